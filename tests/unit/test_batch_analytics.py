"""The batch yield measures equal the scalar ones of ``analytics.yield_`` row by row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from waterfall.analytics import (
    discount_margin,
    modified_duration,
    principal_window,
    wal_years,
    yield_from_price,
)
from waterfall.analytics.batch import (
    discount_margins,
    modified_durations,
    principal_windows,
    wals,
    yields,
)

N = 36
TIMES = np.arange(1, N + 1) / 12.0
FRACTIONS = np.full(N, 31 / 360)


def amortizing(face: float, coupon: float, months: int) -> np.ndarray:
    """Level principal over ``months`` plus monthly interest on the balance."""
    principal = np.zeros(N)
    principal[:months] = face / months
    balance = np.maximum(face - np.concatenate([[0.0], np.cumsum(principal)[:-1]]), 0.0)
    return principal + balance * coupon / 12


paths = st.lists(
    st.tuples(
        st.floats(0.01, 0.12), st.integers(2, N), st.floats(95.0, 105.0), st.floats(0.0, 0.06)
    ),
    min_size=1,
    max_size=6,
)


@given(paths)
def test_each_row_solves_as_the_scalar_functions_do(
    rows: list[tuple[float, int, float, float]],
) -> None:
    flows = np.array([amortizing(100.0, coupon, months) for coupon, months, _, _ in rows])
    prices = np.array([price for _, _, price, _ in rows])
    index = np.array([[libor] * N for *_, libor in rows])
    bey = yields(flows, TIMES, prices)
    durations = modified_durations(flows, TIMES, bey)
    margins = discount_margins(flows, FRACTIONS, index, prices)
    for k in range(len(rows)):
        assert bey[k] == pytest.approx(yield_from_price(flows[k], TIMES, prices[k]), abs=1e-10)
        assert durations[k] == pytest.approx(modified_duration(flows[k], TIMES, bey[k]), rel=1e-12)
        expected = discount_margin(flows[k], FRACTIONS, index[k], prices[k])
        assert margins[k] == pytest.approx(expected, abs=1e-10)


def test_a_row_alone_gives_the_same_bits_as_in_a_batch() -> None:
    flows = np.array([amortizing(100.0, c, m) for c, m in ((0.05, 12), (0.08, 36), (0.02, 5))])
    prices = np.array([99.0, 101.0, 100.0])
    together = yields(flows, TIMES, prices)
    for k in range(3):
        assert yields(flows[k : k + 1], TIMES, prices[k : k + 1])[0] == together[k]


def test_rows_with_no_solution_are_nan_not_numbers() -> None:
    flows = np.array([np.zeros(N), amortizing(100.0, 0.05, 12)])
    # no cash flow at all; and a price no yield in [-100%, 1000%] reaches (10,000 for 100)
    prices = np.array([100.0, 10_000.0])
    assert np.isnan(yields(flows, TIMES, prices)).all()
    assert np.isnan(modified_durations(flows, TIMES, np.array([np.nan, np.nan]))).all()


def test_wal_and_windows_match_the_life_functions() -> None:
    principal = np.zeros((3, N))
    principal[0, 3:10] = 10.0
    principal[1, [0, 35]] = [1.0, 0.004]  # the last is below half a cent
    months = np.arange(1, N + 1) / 12.0
    first, last = principal_windows(principal)
    assert wals(principal)[0] == pytest.approx(wal_years(principal[0], months), rel=1e-14)
    for k in range(2):
        assert (first[k], last[k]) == principal_window(principal[k])
    assert (first[2], last[2]) == (0, 0)
    assert np.isnan(wals(principal)[2])
