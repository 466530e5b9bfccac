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

from waterfall._types import F64Array, I64Array
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


ValueAndSlope = Callable[[F64Array, I64Array], tuple[F64Array, F64Array]]
"""f(x) - target and f'(x) for the rows ``rows`` (indices) at their ``x``."""


def _solve(value_and_slope: ValueAndSlope, low: F64Array, high: F64Array) -> F64Array:
    """Roots of decreasing functions, one per row, bracketed by [low, high]; NaN if none.

    Each iteration evaluates only the rows still searching, so the cost follows the rows
    that need it and a row's arithmetic never depends on the others.
    """
    every = np.arange(low.shape[0])
    f_low, _ = value_and_slope(low, every)
    f_high, _ = value_and_slope(high, every)
    solvable = np.isfinite(f_low) & np.isfinite(f_high) & (f_low >= 0.0) & (f_high <= 0.0)
    low, high = low.copy(), high.copy()
    x = np.where(solvable, np.clip(0.05, low, high), np.nan)
    rows = np.flatnonzero(solvable)
    for _ in range(SOLVER_MAXITER):
        if rows.size == 0:
            break
        at = x[rows]
        f, slope = value_and_slope(at, rows)
        searching = f != 0.0  # an exact root stays where it is
        lo = np.where(f > 0.0, at, low[rows])
        hi = np.where(f < 0.0, at, high[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(slope < 0.0, at - f / slope, np.nan)
        proposal = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
        proposal = np.where(searching, proposal, at)
        low[rows], high[rows], x[rows] = lo, hi, proposal
        searching &= (np.abs(proposal - at) > SOLVER_XTOL) & (hi - lo > SOLVER_XTOL)
        rows = rows[searching]
    return x


def yields(cash_flows: F64Array, times_years: F64Array, prices: F64Array) -> F64Array:
    """Bond-equivalent yield of each row of ``cash_flows`` (n_rows, n_flows) at ``prices``.

    ``times_years`` (n_flows,) are years from settlement to each receipt; ``prices`` are
    dirty, currency units. Searches ``YIELD_BRACKET``.
    """
    exponent = -2.0 * times_years

    def value_and_slope(y: F64Array, rows: I64Array) -> tuple[F64Array, F64Array]:
        flows = cash_flows[rows]
        base = (1.0 + y / 2.0)[:, np.newaxis]
        discount = base**exponent
        value = (flows * discount).sum(axis=1) - prices[rows]
        slope = -(flows * times_years * discount / base).sum(axis=1)
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

    def value_and_slope(margin: F64Array, rows: I64Array) -> tuple[F64Array, F64Array]:
        flows = cash_flows[rows]
        growth = 1.0 + (index_rates[rows] + margin[:, np.newaxis]) * period_fractions
        discount = 1.0 / np.cumprod(growth, axis=1)
        value = (flows * discount).sum(axis=1) - prices[rows]
        sensitivity = np.cumsum(period_fractions / growth, axis=1)
        slope = -(flows * discount * sensitivity).sum(axis=1)
        return value, slope

    return _solve(value_and_slope, low, high)
