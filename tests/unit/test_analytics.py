"""Investor analytics on hand-made cash flows: laws and independently written values."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from waterfall.analytics import (
    accrued_interest,
    bey_from_mortgage_yield,
    convexity,
    days_30_360,
    days_actual,
    discount_margin,
    macaulay_duration,
    modified_duration,
    mortgage_yield_from_bey,
    price_from_discount_margin,
    price_from_yield,
    principal_window,
    wal_years,
    year_fraction_30_360,
    year_fraction_act_360,
    yield_from_price,
)

RTOL = 1e-12  # closed forms that differ only by rounding
RATE_ATOL = 1e-10  # rates recovered by a root search (solver xtol is 1e-12)

yields = st.floats(min_value=-0.05, max_value=0.5)
coupons = st.floats(min_value=0.0, max_value=0.2)
maturities_half_years = st.integers(min_value=1, max_value=80)


def bullet_bond(
    coupon: float, n_half_years: int, face: float = 100.0
) -> tuple[np.ndarray, np.ndarray]:
    """Semiannual-pay bullet: coupon/2 of face each half year, face at the end."""
    times = 0.5 * np.arange(1, n_half_years + 1, dtype=np.float64)
    flows = np.full(n_half_years, face * coupon / 2.0)
    flows[-1] += face
    return flows, times


@st.composite
def cash_flow_schedules(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative flows with at least one positive, at increasing times >= 1 month."""
    n_flows = draw(st.integers(min_value=1, max_value=40))
    flows = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(min_value=1.0, max_value=1e6)),
            min_size=n_flows,
            max_size=n_flows,
        )
    )
    flows[draw(st.integers(min_value=0, max_value=n_flows - 1))] += 100.0
    gaps = draw(
        st.lists(
            st.floats(min_value=1.0 / 12.0, max_value=2.0), min_size=n_flows, max_size=n_flows
        )
    )
    return np.array(flows), np.cumsum(gaps)


# -- day counts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # D1 = last day of February -> 30, then D2 = 31 -> 30
        (date(2023, 2, 28), date(2023, 3, 31), 30),
        (date(2024, 2, 29), date(2024, 3, 31), 30),
        # Feb 28 of a leap year is not the last day: D1 stays 28, so D2 = 31 stays 31
        (date(2024, 2, 28), date(2024, 3, 31), 33),
        (date(2023, 2, 28), date(2023, 3, 1), 1),
        (date(2024, 2, 28), date(2024, 3, 1), 3),
        (date(2024, 2, 29), date(2024, 3, 1), 1),
        # no end-of-February rule for D2
        (date(2023, 1, 31), date(2023, 2, 28), 28),
        (date(2023, 1, 30), date(2023, 2, 28), 28),
        # D1 = 31 -> 30; D2 = 31 -> 30 only when D1 is 30
        (date(2023, 3, 31), date(2023, 4, 30), 30),
        (date(2023, 5, 31), date(2023, 7, 31), 60),
        (date(2023, 1, 30), date(2023, 3, 31), 60),
        (date(2023, 1, 15), date(2023, 3, 31), 76),
        (date(2023, 12, 31), date(2024, 1, 31), 30),
        (date(2023, 2, 28), date(2024, 2, 29), 359),
        (date(2023, 1, 1), date(2024, 1, 1), 360),
        (date(2023, 3, 1), date(2023, 3, 15), 14),
        # an end on or before the start counts 0 days
        (date(2023, 3, 15), date(2023, 3, 15), 0),
        (date(2023, 3, 15), date(2023, 3, 1), 0),
        (date(2024, 1, 1), date(2023, 1, 1), 0),
    ],
)
def test_days_30_360_follows_sifma_algorithm(start: date, end: date, expected: int) -> None:
    assert days_30_360(start, end) == expected
    assert year_fraction_30_360(start, end) == expected / 360


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 1)),
    st.integers(min_value=0, max_value=480),
)
def test_days_30_360_counts_30_per_month_between_firsts(start: date, months: int) -> None:
    first = start.replace(day=1)
    index = first.year * 12 + first.month - 1 + months
    end = date(index // 12, index % 12 + 1, 1)
    assert days_30_360(first, end) == 30 * months


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2005, 1, 25), date(2005, 2, 25), 31),
        (date(2005, 2, 25), date(2005, 3, 25), 28),
        (date(2004, 2, 25), date(2004, 3, 25), 29),
        (date(2005, 12, 25), date(2006, 1, 25), 31),
        (date(2005, 3, 25), date(2005, 3, 25), 0),
        (date(2005, 3, 25), date(2005, 2, 25), 0),
    ],
)
def test_days_actual_counts_first_day_in_last_day_out(
    start: date, end: date, expected: int
) -> None:
    assert days_actual(start, end) == expected
    assert year_fraction_act_360(start, end) == expected / 360


def test_accrued_interest_is_current_face_times_coupon_times_fraction() -> None:
    # face 1,000,000 at factor 0.85, 6% coupon, 14 days 30/360 (Mar 1 -> Mar 15)
    fraction = year_fraction_30_360(date(2023, 3, 1), date(2023, 3, 15))
    assert accrued_interest(850_000.0, 0.06, fraction) == pytest.approx(
        850_000 * 0.06 * 14 / 360, rel=RTOL
    )
    assert accrued_interest(850_000.0, 0.06, fraction) == pytest.approx(1983.3333333333, rel=RTOL)


# -- weighted average life and principal window ------------------------------------------


def level_pay_principal(balance: float, annual_rate: float, n_months: int) -> np.ndarray:
    """Scheduled principal of a level-pay loan from the annuity payment formula."""
    rate = annual_rate / 12.0
    payment = balance * rate / (1.0 - (1.0 + rate) ** -n_months)
    principal = np.empty(n_months)
    for month in range(n_months):
        principal[month] = payment - rate * balance
        balance -= principal[month]
    return principal


def test_wal_of_level_pay_8_percent_360_month_loan_matches_closed_form() -> None:
    principal = level_pay_principal(100_000.0, 0.08, 360)
    times = np.arange(1, 361) / 12.0
    np.testing.assert_allclose(principal.sum(), 100_000.0, rtol=RTOL)

    wal = wal_years(principal, times)

    rate = 0.08 / 12.0
    d_n = 1.0 / (1.0 - (1.0 / (1.0 + rate)) ** 360)
    closed_form_months = 360 * d_n - 1.0 / rate
    np.testing.assert_allclose(wal * 12.0, closed_form_months, rtol=1e-10)
    np.testing.assert_allclose(wal * 12.0, 246.23, atol=0.005)
    np.testing.assert_allclose(wal, 20.5194, atol=0.00005)
    assert principal_window(principal) == (1, 360)


@given(
    st.lists(
        st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e7)), min_size=1, max_size=60
    ),
    st.floats(min_value=0.0, max_value=0.5),
)
def test_wal_lies_between_first_and_last_paying_times(
    principal: list[float], delay_years: float
) -> None:
    times = np.arange(1, len(principal) + 1) / 12.0 + delay_years
    amounts = np.array(principal)
    wal = wal_years(amounts, times)
    paying = times[amounts > 0.0]
    if paying.size == 0:
        assert wal == 0.0
    else:
        assert paying.min() * (1 - RTOL) <= wal <= paying.max() * (1 + RTOL)


def test_wal_of_a_single_payment_is_its_time() -> None:
    assert wal_years([0.0, 0.0, 250.0, 0.0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(0.3, rel=RTOL)


def test_wal_without_principal_is_zero() -> None:
    assert wal_years([0.0, 0.0], [1.0, 2.0]) == 0.0
    assert wal_years([], []) == 0.0


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ([0.0, 0.004, 3.0, 0.0, 2.0, 0.005, 0.0], (3, 5)),
        ([0.006], (1, 1)),
        ([0.0, 0.005, 0.001], (0, 0)),
        ([], (0, 0)),
    ],
)
def test_principal_window_is_first_and_last_month_above_half_a_cent(
    principal: list[float], expected: tuple[int, int]
) -> None:
    assert principal_window(principal) == expected


def test_wal_rejects_negative_principal() -> None:
    with pytest.raises(ValueError, match=r"principal must not be negative; month 2 has -1\.0"):
        wal_years([1.0, -1.0], [1.0, 2.0])


def test_wal_rejects_mismatched_times() -> None:
    with pytest.raises(ValueError, match="give one time per payment"):
        wal_years([1.0, 2.0], [1.0])


# -- price and bond-equivalent yield ------------------------------------------------------


@given(coupons, maturities_half_years)
def test_bullet_bond_at_its_coupon_yield_is_at_par(coupon: float, n_half_years: int) -> None:
    flows, times = bullet_bond(coupon, n_half_years)
    assert price_from_yield(flows, times, coupon) == pytest.approx(100.0, rel=RTOL)


def test_price_from_yield_hand_value() -> None:
    # 105 in 1.5 years and 5 in 0.5 years at 8% BEY: discount by 1.04 per half year
    assert price_from_yield([5.0, 105.0], [0.5, 1.5], 0.08) == pytest.approx(
        5.0 / 1.04 + 105.0 / 1.04**3, rel=RTOL
    )


@given(cash_flow_schedules(), yields)
def test_yield_from_price_inverts_price_from_yield(
    schedule: tuple[np.ndarray, np.ndarray], yield_bey: float
) -> None:
    flows, times = schedule
    price = price_from_yield(flows, times, yield_bey)
    assert yield_from_price(flows, times, price) == pytest.approx(yield_bey, abs=RATE_ATOL)


@given(cash_flow_schedules(), st.floats(min_value=0.0, max_value=1.0))
def test_price_from_yield_inverts_yield_from_price(
    schedule: tuple[np.ndarray, np.ndarray], position: float
) -> None:
    flows, times = schedule
    lowest = price_from_yield(flows, times, 0.5)
    highest = price_from_yield(flows, times, -0.05)
    price = lowest + position * (highest - lowest)
    yield_bey = yield_from_price(flows, times, price)
    assert price_from_yield(flows, times, yield_bey) == pytest.approx(price, rel=1e-9)


def test_yield_from_price_of_a_discount_bond_exceeds_its_coupon() -> None:
    flows, times = bullet_bond(0.06, 20)
    assert yield_from_price(flows, times, 95.0) > 0.06
    assert yield_from_price(flows, times, 105.0) < 0.06


# -- mortgage yield --------------------------------------------------------------------


def test_mortgage_yield_8_percent_is_bey_8_1345_percent() -> None:
    # 200 * ((1 + 8/1200)^6 - 1) = 8.13452446...%
    assert bey_from_mortgage_yield(0.08) == pytest.approx(0.0813452446026, rel=1e-11)
    assert mortgage_yield_from_bey(0.0813452446026437) == pytest.approx(0.08, rel=1e-11)


@given(st.floats(min_value=-0.5, max_value=1.0))
def test_mortgage_yield_and_bey_round_trip(yield_bey: float) -> None:
    mortgage_yield = mortgage_yield_from_bey(yield_bey)
    assert bey_from_mortgage_yield(mortgage_yield) == pytest.approx(yield_bey, abs=1e-14)
    # monthly compounding needs a lower nominal rate for the same effective rate
    if yield_bey > 1e-6:  # below that the difference is lost to rounding
        assert mortgage_yield < yield_bey


# -- duration and convexity -----------------------------------------------------------


@given(st.floats(min_value=1.0 / 12.0, max_value=40.0), yields)
def test_zero_coupon_durations_and_convexity(maturity: float, yield_bey: float) -> None:
    growth = 1.0 + yield_bey / 2.0
    assert macaulay_duration([100.0], [maturity], yield_bey) == pytest.approx(maturity, rel=RTOL)
    assert modified_duration([100.0], [maturity], yield_bey) == pytest.approx(
        maturity / growth, rel=RTOL
    )
    # d2/dY2 of (1 + Y/2)^(-2T), divided by the price
    assert convexity([100.0], [maturity], yield_bey) == pytest.approx(
        maturity * (maturity + 0.5) / growth**2, rel=RTOL
    )


@given(st.floats(min_value=0.005, max_value=0.2), maturities_half_years)
def test_macaulay_duration_of_par_bond_matches_annuity_closed_form(
    coupon: float, n_half_years: int
) -> None:
    flows, times = bullet_bond(coupon, n_half_years)
    growth = 1.0 + coupon / 2.0
    closed_form = growth / coupon * (1.0 - growth**-n_half_years)
    assert macaulay_duration(flows, times, coupon) == pytest.approx(closed_form, rel=1e-10)


@pytest.mark.parametrize(("coupon", "yield_bey"), [(0.06, 0.065), (0.08, 0.03), (0.0, 0.05)])
def test_duration_and_convexity_give_second_order_price_change(
    coupon: float, yield_bey: float
) -> None:
    flows, times = bullet_bond(coupon, 60)
    price = price_from_yield(flows, times, yield_bey)
    duration = modified_duration(flows, times, yield_bey)
    curvature = convexity(flows, times, yield_bey)
    shift = 1e-4
    for move in (shift, -shift):
        repriced = price_from_yield(flows, times, yield_bey + move)
        second_order = price * (1.0 - duration * move + 0.5 * curvature * move**2)
        first_order = price * (1.0 - duration * move)
        assert repriced == pytest.approx(second_order, rel=1e-8)
        assert abs(repriced - second_order) < 0.01 * abs(repriced - first_order)
    up = price_from_yield(flows, times, yield_bey + shift)
    down = price_from_yield(flows, times, yield_bey - shift)
    assert (down - up) / (2.0 * price * shift) == pytest.approx(duration, rel=1e-5)
    assert (up + down - 2.0 * price) / (price * shift**2) == pytest.approx(curvature, rel=1e-5)


@given(cash_flow_schedules(), yields)
def test_macaulay_duration_lies_within_cash_flow_times(
    schedule: tuple[np.ndarray, np.ndarray], yield_bey: float
) -> None:
    flows, times = schedule
    duration = macaulay_duration(flows, times, yield_bey)
    paying = times[flows > 0.0]
    assert paying.min() * (1 - RTOL) <= duration <= paying.max() * (1 + RTOL)
    assert modified_duration(flows, times, yield_bey) == pytest.approx(
        duration / (1.0 + yield_bey / 2.0), rel=RTOL
    )


# -- discount margin ----------------------------------------------------------------------


@st.composite
def floaters(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """An amortizing floater paying index + margin on ACT/360: flows, tau, index, margin, face."""
    n_periods = draw(st.integers(min_value=1, max_value=120))
    days = draw(st.lists(st.integers(28, 31), min_size=n_periods, max_size=n_periods))
    index = draw(st.lists(st.floats(0.0, 0.12), min_size=n_periods, max_size=n_periods))
    shares = draw(
        st.lists(st.floats(0.0, 1.0), min_size=n_periods, max_size=n_periods).filter(
            lambda values: sum(values) > 0.01
        )
    )
    margin = draw(st.floats(0.0, 0.05))
    face = draw(st.floats(1_000.0, 1e8))
    fractions = np.array(days) / 360.0
    index_rates = np.array(index)
    principal = face * np.array(shares) / sum(shares)
    balance_before = np.cumsum(principal[::-1])[::-1]  # non-negative, unlike face - paid
    flows = balance_before * (index_rates + margin) * fractions + principal
    return flows, fractions, index_rates, margin, face


@given(floaters())
def test_floater_at_discount_margin_equal_to_its_margin_prices_at_par(
    floater: tuple[np.ndarray, np.ndarray, np.ndarray, float, float],
) -> None:
    flows, fractions, index_rates, margin, face = floater
    assert price_from_discount_margin(flows, fractions, index_rates, margin) == pytest.approx(
        face, rel=1e-11
    )
    assert discount_margin(flows, fractions, index_rates, face) == pytest.approx(
        margin, abs=RATE_ATOL
    )


@given(floaters(), st.floats(-0.02, 0.2))
def test_discount_margin_and_price_round_trip(
    floater: tuple[np.ndarray, np.ndarray, np.ndarray, float, float], trial_margin: float
) -> None:
    flows, fractions, index_rates, _, _ = floater
    price = price_from_discount_margin(flows, fractions, index_rates, trial_margin)
    assert discount_margin(flows, fractions, index_rates, price) == pytest.approx(
        trial_margin, abs=RATE_ATOL
    )


def test_price_from_discount_margin_compounds_per_period() -> None:
    # two quarters, index 4% then 5%, DM 1%: factors 1 + 0.05/4 and 1 + 0.06/4
    price = price_from_discount_margin([1.0, 101.0], [0.25, 0.25], [0.04, 0.05], 0.01)
    assert price == pytest.approx(1.0 / 1.0125 + 101.0 / (1.0125 * 1.015), rel=RTOL)


def test_discount_margin_accepts_a_flat_index_and_fraction() -> None:
    flows = [2.0, 2.0, 102.0]
    flat = price_from_discount_margin(flows, 0.25, 0.03, 0.005)
    path = price_from_discount_margin(flows, [0.25] * 3, [0.03] * 3, 0.005)
    assert flat == path
    assert discount_margin(flows, 0.25, 0.03, flat) == pytest.approx(0.005, abs=RATE_ATOL)


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flows", "times"), [([0.0, 0.0], [0.5, 1.0]), ([], [])], ids=["all_zero", "empty"]
)
def test_yield_from_price_without_cash_flow_raises(flows: list[float], times: list[float]) -> None:
    with pytest.raises(ValueError, match="no cash flow: every cash flow is zero"):
        yield_from_price(flows, times, 100.0)


@pytest.mark.parametrize("price", [-5.0, 0.0, math.nan, math.inf])
def test_yield_from_price_rejects_non_positive_price(price: float) -> None:
    with pytest.raises(ValueError, match="price must be positive and finite"):
        yield_from_price([105.0], [1.0], price)


def test_yield_from_price_outside_bracket_raises() -> None:
    with pytest.raises(
        ValueError, match="no bond-equivalent yield between -100% and 1000% gives price 1000000"
    ):
        yield_from_price([105.0], [1.0], 1e6)


def test_yield_from_price_rejects_negative_cash_flows() -> None:
    with pytest.raises(ValueError, match="cash_flows must not be negative"):
        yield_from_price([-50.0, 105.0], [0.5, 1.0], 50.0)


def test_yield_from_price_rejects_flows_only_at_settlement() -> None:
    with pytest.raises(ValueError, match=r"every cash flow is received at settlement \(time 0\)"):
        yield_from_price([100.0], [0.0], 100.0)


def test_mismatched_or_negative_times_raise() -> None:
    with pytest.raises(ValueError, match="give one time per cash flow"):
        price_from_yield([1.0, 2.0], [0.5], 0.05)
    with pytest.raises(ValueError, match="times_years must not be negative"):
        price_from_yield([1.0], [-0.5], 0.05)


def test_yield_at_or_below_minus_two_raises() -> None:
    with pytest.raises(ValueError, match=r"yield_bey must be a finite decimal above -2"):
        price_from_yield([1.0], [0.5], -2.0)
    with pytest.raises(ValueError, match=r"mortgage_yield must be a finite decimal above -12"):
        bey_from_mortgage_yield(-12.0)


def test_duration_without_cash_flow_raises() -> None:
    with pytest.raises(ValueError, match="need a positive price"):
        macaulay_duration([0.0], [1.0], 0.05)
    with pytest.raises(ValueError, match="need a positive price"):
        convexity([], [], 0.05)


def test_discount_margin_without_cash_flow_or_with_bad_price_raises() -> None:
    with pytest.raises(ValueError, match="no cash flow: every cash flow is zero"):
        discount_margin([0.0, 0.0], 0.25, 0.03, 100.0)
    with pytest.raises(ValueError, match="price must be positive and finite"):
        discount_margin([1.0, 101.0], 0.25, 0.03, -1.0)
    with pytest.raises(ValueError, match="no discount margin between"):
        discount_margin([1.0, 101.0], 0.25, 0.03, 1e9)
    with pytest.raises(ValueError, match="no discount margin is defined"):
        discount_margin([1.0, 101.0], 0.0, 0.03, 102.0)


def test_price_from_discount_margin_rejects_non_positive_period_factor() -> None:
    with pytest.raises(ValueError, match=r"period 2 non-positive"):
        price_from_discount_margin([1.0, 101.0], [0.25, 2.0], 0.0, -0.6)
