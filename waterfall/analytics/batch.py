"""The yield measures of ``yield_`` for many cash-flow vectors at once (rows = paths).

Same definitions and conventions as ``waterfall.analytics.yield_`` (STANDARDS 1.11, 1.12):
bond-equivalent yields, times in years from settlement, dirty prices in currency units,
money-market discounting for the discount margin. Where a row has no solution in the
bracket (no cash flow, or a price its flows cannot reach) the result is NaN; callers show
it as "not defined", never as a number.

Each row is measured alone by the compiled functions of ``waterfall.kernels.metrics``, the
same ones the grid's scenario loop calls, so a path gives bit-for-bit the same number
whether it was run alone, in a batch or in a grid.
"""

from __future__ import annotations

import numpy as np

from waterfall._jit import await_aside, needs_compiling
from waterfall._types import F64Array, I64Array
from waterfall.kernels.metrics import (
    DAYS_PER_YEAR,
    duration_of,
    margin_of,
    wal_of,
    window_of,
    yield_of,
)

__all__ = [
    "compile_measures",
    "discount_margins",
    "measures_need_compiling",
    "modified_durations",
    "principal_windows",
    "wals",
    "yields",
]

COMPILE_MEASURES = "from waterfall.analytics.batch import compile_measures; compile_measures()"
"""The statement a helper process runs to compile the measures (``_jit.compile_aside``)."""


def measures_need_compiling() -> bool:
    """True when a call of this module would compile a measure's kernel (a cold cache)."""
    return needs_compiling(wal_of, window_of, yield_of, margin_of, duration_of)


def compile_measures() -> None:
    """Compile (or load) every measure's kernel for the argument types this module passes:
    C-contiguous float64 rows, int64 days, float prices and yields."""
    flows = np.ones(2)
    days = np.array([30, 60], dtype=np.int64)
    wal_of(flows)
    window_of(flows)
    found = yield_of(flows, days, 1.5)
    duration_of(flows, days, float(found))
    margin_of(flows, np.full(2, 30.0 / 360.0), np.full(2, 0.02), 1.5)


def _rows(values: F64Array) -> F64Array:
    """``values`` as C-contiguous float64 rows, once a helper compiling the measures (see
    ``compile_measures``) has put them in the cache: every function here calls this first."""
    await_aside()
    rows: F64Array = np.ascontiguousarray(values, dtype=np.float64)
    return rows


def flow_days(times_years: F64Array) -> I64Array:
    """Whole 30/360 days from settlement of each time in years (``t = days / 360``)."""
    days: I64Array = np.rint(np.asarray(times_years) * DAYS_PER_YEAR).astype(np.int64)
    return days


def wals(principal: F64Array) -> F64Array:
    """WAL in years of each row of monthly principal (month k paid k/12 years out); NaN
    where a row pays no principal."""
    rows = _rows(principal)
    return np.array([wal_of(row) for row in rows], dtype=np.float64).reshape(rows.shape[0])


def principal_windows(principal: F64Array) -> tuple[F64Array, F64Array]:
    """First and last month (1-based) each row pays more than half a cent; 0 when never
    (``life.principal_window`` per row)."""
    rows = _rows(principal)
    windows = np.array([window_of(row) for row in rows], dtype=np.float64).reshape(-1, 2)
    return windows[:, 0].copy(), windows[:, 1].copy()


def yields(cash_flows: F64Array, times_years: F64Array, prices: F64Array) -> F64Array:
    """Bond-equivalent yield of each row of ``cash_flows`` (n_rows, n_flows) at ``prices``.

    ``times_years`` (n_flows,) are 30/360 years (whole days / 360) from settlement to each
    receipt; ``prices`` are dirty, currency units. Searches ``YIELD_BRACKET``.
    """
    rows, days = _rows(cash_flows), flow_days(times_years)
    found = [yield_of(row, days, float(price)) for row, price in zip(rows, prices, strict=True)]
    return np.array(found, dtype=np.float64).reshape(rows.shape[0])


def modified_durations(
    cash_flows: F64Array, times_years: F64Array, yields_bey: F64Array
) -> F64Array:
    """Modified duration of each row at its bond-equivalent yield; NaN where the yield is."""
    rows, days = _rows(cash_flows), flow_days(times_years)
    found = [duration_of(row, days, float(y)) for row, y in zip(rows, yields_bey, strict=True)]
    return np.array(found, dtype=np.float64).reshape(rows.shape[0])


def discount_margins(
    cash_flows: F64Array, period_fractions: F64Array, index_rates: F64Array, prices: F64Array
) -> F64Array:
    """Discount margin of each row over its index path (n_rows, n_flows) at ``prices``.

    Money-market discounting ``prod 1 / (1 + (I_j + DM) tau_j)``; searches
    ``DISCOUNT_MARGIN_BRACKET`` with its low end raised so every period factor stays at
    least ``MIN_PERIOD_GROWTH`` (as ``yield_.discount_margin``).
    """
    rows, paths = _rows(cash_flows), _rows(index_rates)
    fractions = _rows(period_fractions)
    found = [
        margin_of(row, fractions, path, float(price))
        for row, path, price in zip(rows, paths, prices, strict=True)
    ]
    return np.array(found, dtype=np.float64).reshape(rows.shape[0])
