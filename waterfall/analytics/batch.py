"""The yield measures of ``yield_`` for many cash-flow vectors at once (rows = paths).

Same definitions and conventions as ``waterfall.analytics.yield_`` (STANDARDS 1.11, 1.12):
bond-equivalent yields, times in years from settlement, dirty prices in currency units,
money-market discounting for the discount margin. Where a row has no solution in the
bracket (no cash flow, or a price its flows cannot reach) the result is NaN; callers show
it as "not defined", never as a number.

Each root is found by Newton's method kept inside a shrinking sign bracket (bisection when
a Newton step leaves it), to ``SOLVER_XTOL``. A row stops moving once it has converged, so
a row's result does not depend on the other rows of the batch: running one path alone
gives bit-for-bit the same number as running it in a grid.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from waterfall._types import BoolArray, F64Array
from waterfall.analytics.life import PRINCIPAL_THRESHOLD
from waterfall.analytics.yield_ import (
    DISCOUNT_MARGIN_BRACKET,
    MIN_PERIOD_GROWTH,
    SOLVER_MAXITER,
    SOLVER_XTOL,
    YIELD_BRACKET,
)

__all__ = ["discount_margins", "modified_durations", "principal_windows", "wals", "yields"]


def wals(principal: F64Array) -> F64Array:
    """WAL in years of each row of monthly principal (month k paid k/12 years out); NaN
    where a row pays no principal."""
    months = np.arange(1, principal.shape[1] + 1, dtype=np.float64)
    total = principal.sum(axis=1)
    weighted = (principal * months).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0.0, weighted / total / 12.0, np.nan)


def principal_windows(principal: F64Array) -> tuple[F64Array, F64Array]:
    """First and last month (1-based) each row pays more than half a cent; 0 when never
    (``life.principal_window`` per row)."""
    paid = principal > PRINCIPAL_THRESHOLD
    any_paid = paid.any(axis=1)
    first = np.where(any_paid, paid.argmax(axis=1) + 1, 0)
    last = np.where(any_paid, principal.shape[1] - paid[:, ::-1].argmax(axis=1), 0)
    return first.astype(np.float64), last.astype(np.float64)


ValueAndSlope = Callable[[F64Array, BoolArray], tuple[F64Array, F64Array]]
"""f(x) - target and f'(x) per row, given x and the rows still searching."""


def _solve(value_and_slope: ValueAndSlope, low: F64Array, high: F64Array) -> F64Array:
    """Roots of decreasing functions, one per row, bracketed by [low, high]; NaN if none."""
    f_low, _ = value_and_slope(low, np.ones(low.shape, dtype=bool))
    f_high, _ = value_and_slope(high, np.ones(low.shape, dtype=bool))
    solvable = np.isfinite(f_low) & np.isfinite(f_high) & (f_low >= 0.0) & (f_high <= 0.0)
    low, high = low.copy(), high.copy()
    x = np.where(solvable, np.clip(0.05, low, high), np.nan)
    active = solvable.copy()
    for _ in range(SOLVER_MAXITER):
        if not active.any():
            break
        f, slope = value_and_slope(x, active)
        active &= f != 0.0  # an exact root stays where it is
        low = np.where(active & (f > 0.0), x, low)
        high = np.where(active & (f < 0.0), x, high)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(slope < 0.0, x - f / slope, np.nan)
        inside = (step > low) & (step < high)
        proposal = np.where(inside, step, 0.5 * (low + high))
        moved = np.abs(proposal - x)
        x = np.where(active, proposal, x)
        active &= (moved > SOLVER_XTOL) & (high - low > SOLVER_XTOL)
    return x


def yields(cash_flows: F64Array, times_years: F64Array, prices: F64Array) -> F64Array:
    """Bond-equivalent yield of each row of ``cash_flows`` (n_rows, n_flows) at ``prices``.

    ``times_years`` (n_flows,) are years from settlement to each receipt; ``prices`` are
    dirty, currency units. Searches ``YIELD_BRACKET``.
    """
    exponent = -2.0 * times_years

    def value_and_slope(y: F64Array, rows: BoolArray) -> tuple[F64Array, F64Array]:
        base = np.where(rows, 1.0 + y / 2.0, 1.0)[:, np.newaxis]
        discount = base**exponent
        value = (cash_flows * discount).sum(axis=1) - prices
        slope = -(cash_flows * times_years * discount / base).sum(axis=1)
        return value, slope

    n = cash_flows.shape[0]
    return _solve(value_and_slope, np.full(n, YIELD_BRACKET[0]), np.full(n, YIELD_BRACKET[1]))


def modified_durations(
    cash_flows: F64Array, times_years: F64Array, yields_bey: F64Array
) -> F64Array:
    """Modified duration of each row at its bond-equivalent yield; NaN where the yield is."""
    base = (1.0 + np.nan_to_num(yields_bey) / 2.0)[:, np.newaxis]
    present = cash_flows * base ** (-2.0 * times_years)
    price = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        macaulay = (present * times_years).sum(axis=1) / price
        result = macaulay / base[:, 0]
    return np.where(np.isfinite(yields_bey) & (price > 0.0), result, np.nan)


def discount_margins(
    cash_flows: F64Array, period_fractions: F64Array, index_rates: F64Array, prices: F64Array
) -> F64Array:
    """Discount margin of each row over its index path (n_rows, n_flows) at ``prices``.

    Money-market discounting ``prod 1 / (1 + (I_j + DM) tau_j)``; searches
    ``DISCOUNT_MARGIN_BRACKET`` with its low end raised so every period factor stays at
    least ``MIN_PERIOD_GROWTH`` (as ``yield_.discount_margin``).
    """
    accruing = period_fractions > 0.0
    low = np.full(cash_flows.shape[0], DISCOUNT_MARGIN_BRACKET[0])
    if accruing.any():
        floor = (MIN_PERIOD_GROWTH - 1.0) / period_fractions[accruing] - index_rates[:, accruing]
        low = np.maximum(low, floor.max(axis=1))
    high = np.full(cash_flows.shape[0], DISCOUNT_MARGIN_BRACKET[1])

    def value_and_slope(margin: F64Array, rows: BoolArray) -> tuple[F64Array, F64Array]:
        spread = np.where(rows, margin, 0.0)[:, np.newaxis]
        growth = 1.0 + (index_rates + spread) * period_fractions
        discount = 1.0 / np.cumprod(growth, axis=1)
        value = (cash_flows * discount).sum(axis=1) - prices
        sensitivity = np.cumsum(period_fractions / growth, axis=1)
        slope = -(cash_flows * discount * sensitivity).sum(axis=1)
        return value, slope

    return _solve(value_and_slope, low, high)
