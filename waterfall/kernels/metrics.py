"""Investor measures of one cash-flow vector: WAL, principal window, yield, duration, margin.

One function per measure and path, called by the batch functions of
``waterfall.analytics.batch`` (single runs, price tables) and by the grid's scenario loop, so a
scenario measures to the same bits whichever ran it. Definitions (STANDARDS 1.11, 1.12):

* yield: bond-equivalent, ``price = sum CF_k (1 + y/2) ** (-2 t_k)``, ``t_k`` in 30/360
  years from settlement, given as whole days ``days[k]`` (``t_k = days[k] / 360``);
* discount margin: ``price = sum CF_k / prod_j<=k (1 + (I_j + DM) tau_j)``;
* modified duration: Macaulay duration at the yield over ``1 + y/2``.

The discount factors are built by multiplication along the months (``w ** days`` with
``w = (1 + y/2) ** (-1/180)``, one ``pow`` per distinct gap between dates), not a ``pow``
per month: a pass over 341 months is a chain of multiplications. The relative error this
adds is a few hundred units in the last place of a discount factor, about 1e-14 of a
yield.

Roots are found by Newton's method kept inside a shrinking sign bracket (bisection when a
Newton step leaves it), to ``SOLVER_XTOL``; a vector whose bracket ends do not have opposite
signs (no cash flow, a price the flows cannot reach) has no root: NaN.
"""

from __future__ import annotations

import math

from waterfall._jit import inline_kernel, kernel
from waterfall._types import F64Array, I64Array

YIELD_BRACKET = (-1.0, 10.0)
"""Bond-equivalent yields searched: -100% to +1000%."""

DISCOUNT_MARGIN_BRACKET = (-1.0, 10.0)
"""Discount margins searched: -10,000 bp to +100,000 bp."""

MIN_PERIOD_GROWTH = 0.01
"""Smallest period factor ``1 + (I + DM) tau`` the discount-margin search goes down to."""

SOLVER_XTOL = 1e-12
"""Absolute tolerance of the root searches on the yield or margin (1e-8 bp)."""

SOLVER_MAXITER = 200
"""Iteration limit of the root searches (Newton converges long before)."""

PRINCIPAL_THRESHOLD = 0.005
"""Half a cent: principal at or below it does not open or extend a principal window."""

DAYS_PER_YEAR = 360.0


@kernel
def wal_of(paid: F64Array) -> float:
    """WAL in years of monthly principal ``paid`` (n_months,), month k paid k/12 years out;
    NaN when nothing is paid."""
    total = 0.0
    weighted = 0.0
    for month in range(paid.shape[0]):
        total += paid[month]
        weighted += paid[month] * (month + 1)
    if total > 0.0:
        return weighted / total / 12.0
    return math.nan


@kernel
def window_of(paid: F64Array) -> tuple[int, int]:
    """First and last 1-based month paying more than half a cent; (0, 0) when none."""
    first = 0
    last = 0
    for month in range(paid.shape[0]):
        if paid[month] > PRINCIPAL_THRESHOLD:
            if first == 0:
                first = month + 1
            last = month + 1
    return first, last


@inline_kernel
def _last_flow(flows: F64Array) -> int:
    """One past the last nonzero flow (later months add nothing to a present value)."""
    for month in range(flows.shape[0] - 1, -1, -1):
        if flows[month] != 0.0:
            return month + 1
    return 0


@inline_kernel
def _present_value(flows: F64Array, days: I64Array, stop: int, y: float) -> tuple[float, float]:
    """Return (sum CF_k d_k, sum CF_k t_k d_k) at yield ``y``, d_k the discount factors."""
    base = 1.0 + y / 2.0
    per_day = math.exp(-math.log(base) / 180.0)
    gap = 30
    factor = per_day**30
    discount = 1.0
    previous = 0
    value = 0.0
    weighted = 0.0
    for month in range(stop):
        step = days[month] - previous
        previous = days[month]
        if step != gap:
            gap = step
            factor = per_day**step
        discount *= factor
        present = flows[month] * discount
        value += present
        weighted += present * (days[month] / DAYS_PER_YEAR)
    return value, weighted


@inline_kernel
def _yield_value(
    flows: F64Array, days: I64Array, stop: int, price: float, y: float
) -> tuple[float, float]:
    """Price error and its slope in the yield."""
    value, weighted = _present_value(flows, days, stop, y)
    return value - price, -weighted / (1.0 + y / 2.0)


@inline_kernel
def _margin_value(
    flows: F64Array,
    fractions: F64Array,
    index_rate: F64Array,
    stop: int,
    price: float,
    margin: float,
) -> tuple[float, float]:
    """Price error and its slope in the margin."""
    growth = 1.0
    sensitivity = 0.0
    value = 0.0
    slope = 0.0
    for month in range(stop):
        period = 1.0 + (index_rate[month] + margin) * fractions[month]
        growth *= period
        sensitivity += fractions[month] / period
        present = flows[month] / growth
        value += present
        slope += present * sensitivity
    return value - price, -slope


@inline_kernel
def _newton_step(x: float, f: float, slope: float, low: float, high: float) -> float:
    """Newton's step from ``x`` when it lands inside (low, high), else the midpoint."""
    if slope < 0.0:
        step = x - f / slope
        if low < step < high:
            return step
    return 0.5 * (low + high)


@kernel
def yield_of(flows: F64Array, days: I64Array, price: float) -> float:
    """Bond-equivalent yield (decimal) of ``flows`` (n_months,) at ``price`` (dollars).

    ``days`` (n_months,) are 30/360 days from settlement to each flow. NaN when no yield in
    ``YIELD_BRACKET`` gives the price.
    """
    stop = _last_flow(flows)
    low, high = YIELD_BRACKET
    f_low, _ = _yield_value(flows, days, stop, price, low)
    f_high, _ = _yield_value(flows, days, stop, price, high)
    if not (math.isfinite(f_low) and math.isfinite(f_high) and f_low >= 0.0 >= f_high):
        return math.nan
    x = min(max(0.05, low), high)
    for _ in range(SOLVER_MAXITER):
        f, slope = _yield_value(flows, days, stop, price, x)
        if f == 0.0:
            break
        if f > 0.0:
            low = x
        else:
            high = x
        proposal = _newton_step(x, f, slope, low, high)
        moved = abs(proposal - x)
        x = proposal
        if moved <= SOLVER_XTOL or high - low <= SOLVER_XTOL:
            break
    return x


@kernel
def margin_of(flows: F64Array, fractions: F64Array, index_rate: F64Array, price: float) -> float:
    """Discount margin (decimal) of ``flows`` over ``index_rate`` (n_months,) at ``price``.

    ``fractions`` (n_months,) are the accrual periods' actual days / 360. The low end of
    ``DISCOUNT_MARGIN_BRACKET`` is raised so every period factor stays at least
    ``MIN_PERIOD_GROWTH``. NaN when no margin in the bracket gives the price.
    """
    stop = _last_flow(flows)
    low, high = DISCOUNT_MARGIN_BRACKET
    for month in range(fractions.shape[0]):
        if fractions[month] > 0.0:
            low = max(low, (MIN_PERIOD_GROWTH - 1.0) / fractions[month] - index_rate[month])
    f_low, _ = _margin_value(flows, fractions, index_rate, stop, price, low)
    f_high, _ = _margin_value(flows, fractions, index_rate, stop, price, high)
    if not (math.isfinite(f_low) and math.isfinite(f_high) and f_low >= 0.0 >= f_high):
        return math.nan
    x = min(max(0.05, low), high)
    for _ in range(SOLVER_MAXITER):
        f, slope = _margin_value(flows, fractions, index_rate, stop, price, x)
        if f == 0.0:
            break
        if f > 0.0:
            low = x
        else:
            high = x
        proposal = _newton_step(x, f, slope, low, high)
        moved = abs(proposal - x)
        x = proposal
        if moved <= SOLVER_XTOL or high - low <= SOLVER_XTOL:
            break
    return x


@kernel
def duration_of(flows: F64Array, days: I64Array, y: float) -> float:
    """Modified duration in years of ``flows`` at bond-equivalent yield ``y``; NaN when
    ``y`` is NaN or the flows have no positive value."""
    if not math.isfinite(y):
        return math.nan
    value, weighted = _present_value(flows, days, _last_flow(flows), y)
    if not value > 0.0:
        return math.nan
    return weighted / value / (1.0 + y / 2.0)
