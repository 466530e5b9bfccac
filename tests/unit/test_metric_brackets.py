"""The metric searches decide "no root" (NaN) exactly as evaluating both bracket ends would.

``yield_of`` and ``margin_of`` skip the evaluation at a bracket end when cheap bounds on the
flows decide its sign. These tests put the price just above and just below the present value
at each end, where a wrong bound would give a number for a NaN or the reverse, and compare
with the signs of ``_present_value`` / ``_margin_value`` (the month-by-month evaluation the
bounds stand for).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from waterfall.kernels.metrics import (
    DISCOUNT_MARGIN_BRACKET,
    MIN_PERIOD_GROWTH,
    YIELD_BRACKET,
    _last_flow,
    _margin_value,
    _present_value,
    margin_of,
    yield_of,
)

N = 60
# 30/360 days of monthly dates moved to business days: gaps of 27 to 33 days
DAYS = np.cumsum(np.array([31, 29, 33, 27, 30, 32] * (N // 6), dtype=np.int64))
FRACTIONS = np.array([31, 28, 31, 30, 31, 30] * (N // 6), dtype=np.float64) / 360.0
NEAR = (1.0 - 1e-7, 1.0 + 1e-7, 0.5, 2.0)


def expected_yield_is_nan(flows: np.ndarray, days: np.ndarray, price: float) -> bool:
    stop = _last_flow(flows)
    f_low = _present_value(flows, days, stop, YIELD_BRACKET[0])[0] - price
    f_high = _present_value(flows, days, stop, YIELD_BRACKET[1])[0] - price
    return not (math.isfinite(f_low) and math.isfinite(f_high) and f_low >= 0.0 >= f_high)


def margin_low(fractions: np.ndarray, index: np.ndarray) -> float:
    low = DISCOUNT_MARGIN_BRACKET[0]
    for tau, rate in zip(fractions, index, strict=True):
        if tau > 0.0:
            low = max(low, (MIN_PERIOD_GROWTH - 1.0) / tau - rate)
    return low


def expected_margin_is_nan(
    flows: np.ndarray, fractions: np.ndarray, index: np.ndarray, price: float
) -> bool:
    stop = _last_flow(flows)
    low = margin_low(fractions, index)
    f_low = _margin_value(flows, fractions, index, stop, price, low)[0]
    f_high = _margin_value(flows, fractions, index, stop, price, DISCOUNT_MARGIN_BRACKET[1])[0]
    return not (math.isfinite(f_low) and math.isfinite(f_high) and f_low >= 0.0 >= f_high)


flow_vectors = st.builds(
    lambda scale, decay, last, lead: np.where(
        (np.arange(N) < last) & (np.arange(N) >= lead),
        scale * np.exp(-decay * np.arange(N)),
        0.0,
    ),
    st.floats(1e-3, 1e9),
    st.floats(-0.05, 0.5),
    st.integers(1, N),
    st.integers(0, 20),
)


@given(flow_vectors, st.sampled_from(NEAR), st.booleans())
def test_yield_is_nan_exactly_when_the_bracket_ends_do_not_straddle_the_price(
    flows: np.ndarray, factor: float, at_high: bool
) -> None:
    stop = _last_flow(flows)
    end = YIELD_BRACKET[1] if at_high else YIELD_BRACKET[0]
    price = _present_value(flows, DAYS, stop, end)[0] * factor
    found = yield_of(flows, DAYS, price)
    assert math.isnan(found) == expected_yield_is_nan(flows, DAYS, price)


@given(
    flow_vectors,
    st.sampled_from(NEAR),
    st.booleans(),
    st.sampled_from([0.0, 0.018025, 0.2, 0.99, 1.5, -12.0]),
)
def test_margin_is_nan_exactly_when_the_bracket_ends_do_not_straddle_the_price(
    flows: np.ndarray, factor: float, at_high: bool, last_rate: float
) -> None:
    index = np.full(N, 0.018025)
    index[-1] = last_rate  # an index outside [-10, 1] takes the search off its cheap path
    stop = _last_flow(flows)
    end = DISCOUNT_MARGIN_BRACKET[1] if at_high else margin_low(FRACTIONS, index)
    price = _margin_value(flows, FRACTIONS, index, stop, 0.0, end)[0] * factor
    found = margin_of(flows, FRACTIONS, index, price)
    assert math.isnan(found) == expected_margin_is_nan(flows, FRACTIONS, index, price)


SHAPES = [
    np.where((np.arange(N) < last) & (np.arange(N) >= lead), np.exp(-decay * np.arange(N)), 0.0)
    for lead in (0, 3, 8, 20)
    for last in (1, 5, 7, 12, 30, N)
    for decay in (-0.02, 0.05, 0.3)
    if lead < last
]


@pytest.mark.parametrize("scale", [1e-2, 1e8])
def test_every_shape_near_every_bracket_end_gives_the_evaluated_nan_pattern(
    scale: float,
) -> None:
    index = np.full(N, 0.018025)
    low = margin_low(FRACTIONS, index)
    for shape in SHAPES:
        flows = shape * scale
        stop = _last_flow(flows)
        for factor in NEAR:
            for end in YIELD_BRACKET:
                price = _present_value(flows, DAYS, stop, end)[0] * factor
                found = yield_of(flows, DAYS, price)
                assert math.isnan(found) == expected_yield_is_nan(flows, DAYS, price)
            for end in (low, DISCOUNT_MARGIN_BRACKET[1]):
                price = _margin_value(flows, FRACTIONS, index, stop, 0.0, end)[0] * factor
                found = margin_of(flows, FRACTIONS, index, price)
                assert math.isnan(found) == expected_margin_is_nan(flows, FRACTIONS, index, price)


@pytest.mark.parametrize("price", [0.0, 1.0])
def test_no_flows_have_no_yield_unless_the_price_is_zero(price: float) -> None:
    flows = np.zeros(N)
    assert math.isnan(yield_of(flows, DAYS, price)) == (price != 0.0)
    assert math.isnan(margin_of(flows, FRACTIONS, np.full(N, 0.02), price)) == (price != 0.0)


def test_a_negative_flow_takes_the_evaluated_path_and_the_same_root() -> None:
    flows = np.full(N, 1.0)
    flows[0] = -0.5  # the bounds assume flows >= 0: the ends are evaluated
    price = _present_value(flows, DAYS, N, 0.07)[0]
    assert yield_of(flows, DAYS, price) == pytest.approx(0.07, abs=1e-13)


def test_irregular_days_take_the_month_by_month_present_value() -> None:
    days = DAYS.copy()
    days[30:] += 40  # offsets from 30 days a month spread over more than eight values
    flows = np.full(N, 1.0)
    price = _present_value(flows, days, N, 0.04)[0]
    assert yield_of(flows, days, price) == pytest.approx(0.04, abs=1e-13)
