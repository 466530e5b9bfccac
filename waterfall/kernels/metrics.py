"""Investor measures of one cash-flow vector: WAL, principal window, yield, duration, margin.

One function per measure and path, called by the batch functions of
``waterfall.analytics.batch`` (single runs, price tables) and by the grid's scenario loop, so a
scenario measures to the same bits whichever ran it. Definitions (STANDARDS 1.11, 1.12):

* yield: bond-equivalent, ``price = sum CF_k (1 + y/2) ** (-2 t_k)``, ``t_k`` in 30/360
  years from settlement, given as whole days ``days[k]`` (``t_k = days[k] / 360``);
* discount margin: ``price = sum CF_k / prod_j<=k (1 + (I_j + DM) tau_j)``;
* modified duration: Macaulay duration at the yield over ``1 + y/2``.

The discount factors are built by multiplication along the months, not a ``pow`` per month.
For the yield, ``d_k = v ** k * u ** (days_k - 30 k)`` (``u`` one day's discount, ``v``
30 days'), four months at a time on independent chains with the ``u`` powers from a table
(``_fast_present_value``); for the margin, four period factors share one division
(``_fast_margin_value``). The relative error this adds is a few hundred units in the last
place of a discount factor, about 1e-14 of a yield.

Roots are found by Halley's method (Newton's step corrected by the second derivative) kept
inside a shrinking sign bracket (bisection when a step leaves it). A search starts from a
first guess free from sums of the flows, and ends on a step whose estimated error is below
``SETTLED_ERROR`` (1e-16), with no evaluation spent to confirm it, or at ``SOLVER_XTOL``.

A vector whose bracket ends do not have opposite signs (no cash flow, a price the flows
cannot reach) has no root: NaN. For flows >= 0 the sign at an end is often implied by
bounds from sums of the flows (a few months' discounting and Jensen's inequality); the end is
evaluated month by month (``_present_value``, ``_margin_value``, the definitions as written)
only when the bounds do not decide it, so the NaN rule is the evaluated one
(``tests/unit/test_metric_brackets.py``).
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
"""Iteration limit of the root searches (they converge long before)."""

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
    n_months = paid.shape[0]
    while first < n_months and not paid[first] > PRINCIPAL_THRESHOLD:
        first += 1
    if first == n_months:
        return 0, 0
    last = n_months  # one past the last paying month: a scan back from the end stops at first
    while last - 4 > first and not (
        (paid[last - 1] > PRINCIPAL_THRESHOLD)
        | (paid[last - 2] > PRINCIPAL_THRESHOLD)
        | (paid[last - 3] > PRINCIPAL_THRESHOLD)
        | (paid[last - 4] > PRINCIPAL_THRESHOLD)
    ):
        last -= 4
    while not paid[last - 1] > PRINCIPAL_THRESHOLD:
        last -= 1
    return first + 1, last


@inline_kernel
def _last_flow(flows: F64Array) -> int:
    """One past the last nonzero flow (later months add nothing to a present value)."""
    month: int = flows.shape[0]
    while month >= 4 and (
        (flows[month - 1] == 0.0)
        & (flows[month - 2] == 0.0)
        & (flows[month - 3] == 0.0)
        & (flows[month - 4] == 0.0)
    ):
        month -= 4  # four months a test: most of a paid-off class's vector is zeros
    while month > 0 and flows[month - 1] == 0.0:
        month -= 1
    return month


@kernel
def _present_value(
    flows: F64Array, days: I64Array, stop: int, y: float
) -> tuple[float, float, float]:
    """Return (sum CF_k d_k, sum CF_k t_k d_k, sum CF_k days_k ** 2 d_k) at yield ``y``,
    d_k the discount factors, month by month as one chain (any days; the bracket ends'
    signs are read from it)."""
    base = 1.0 + y / 2.0
    per_day = math.exp(-math.log(base) / 180.0)
    gap = 30
    factor = per_day**30
    discount = 1.0
    previous = 0
    value = 0.0
    weighted = 0.0
    squared = 0.0
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
        squared += present * (days[month] * days[month])
    return value, weighted, squared


@inline_kernel
def _day_offsets(days: I64Array, stop: int) -> int:
    """Smallest ``days[k] - 30 k`` over the months before ``stop``, or -1 when these offsets
    are negative or spread over more than ``_OFFSETS`` values (then ``_fast_present_value``
    does not apply)."""
    if stop == 0:
        return 0
    smallest: int = days[0]
    largest: int = days[0]
    for month in range(1, stop):
        offset = days[month] - 30 * month
        smallest = min(smallest, offset)
        largest = max(largest, offset)
    if smallest < 0 or largest - smallest >= _OFFSETS:
        return -1
    return smallest


_OFFSETS = 8
"""Distinct day offsets ``days[k] - 30 k`` the fast present value has a table for."""


@inline_kernel
def _fast_present_value(
    flows: F64Array, days: I64Array, stop: int, smallest: int, y: float
) -> tuple[float, float, float]:
    """``_present_value`` for days ``30 k + offset_k`` with offsets in ``smallest`` ..
    ``smallest + 7``: ``d_k = v ** k * u ** offset_k`` (``u`` a day's, ``v`` 30 days'
    discount), four months at a time on four independent chains, the ``u`` powers from a
    table of eight."""
    per_day = math.exp(-math.log(1.0 + y / 2.0) / 180.0)
    table_0 = per_day**smallest
    table_1 = table_0 * per_day
    table_2 = table_1 * per_day
    table_3 = table_2 * per_day
    table_4 = table_3 * per_day
    table_5 = table_4 * per_day
    table_6 = table_5 * per_day
    table_7 = table_6 * per_day
    table = (table_0, table_1, table_2, table_3, table_4, table_5, table_6, table_7)
    month_1 = per_day**30
    month_2 = month_1 * month_1
    month_4 = month_2 * month_2
    lane_0 = 1.0
    lane_1 = month_1
    lane_2 = month_2
    lane_3 = month_2 * month_1
    value_0 = value_1 = value_2 = value_3 = 0.0
    weighted_0 = weighted_1 = weighted_2 = weighted_3 = 0.0
    squared_0 = squared_1 = 0.0
    month = 0
    while month + 4 <= stop:
        day = days[month]
        present = flows[month] * (lane_0 * table[day - 30 * month - smallest])
        value_0 += present
        weighted_0 += present * day
        squared_0 += present * (day * day)
        day = days[month + 1]
        present = flows[month + 1] * (lane_1 * table[day - 30 * (month + 1) - smallest])
        value_1 += present
        weighted_1 += present * day
        squared_1 += present * (day * day)
        day = days[month + 2]
        present = flows[month + 2] * (lane_2 * table[day - 30 * (month + 2) - smallest])
        value_2 += present
        weighted_2 += present * day
        squared_0 += present * (day * day)
        day = days[month + 3]
        present = flows[month + 3] * (lane_3 * table[day - 30 * (month + 3) - smallest])
        value_3 += present
        weighted_3 += present * day
        squared_1 += present * (day * day)
        lane_0 *= month_4
        lane_1 *= month_4
        lane_2 *= month_4
        lane_3 *= month_4
        month += 4
    while month < stop:
        day = days[month]
        present = flows[month] * (lane_0 * table[day - 30 * month - smallest])
        value_0 += present
        weighted_0 += present * day
        squared_0 += present * (day * day)
        lane_0 *= month_1
        month += 1
    value = (value_0 + value_1) + (value_2 + value_3)
    weighted = (weighted_0 + weighted_1) + (weighted_2 + weighted_3)
    return value, weighted / DAYS_PER_YEAR, squared_0 + squared_1


@inline_kernel
def _yield_value(
    flows: F64Array, days: I64Array, stop: int, smallest: int, price: float, y: float
) -> tuple[float, float, float]:
    """Price error and its first and second derivatives in the yield: with
    ``a_k = days_k / 180`` and ``b = 1 + y/2``, ``f' = -sum CF_k a_k b ** (-a_k) / (2 b)``,
    ``f'' = sum CF_k a_k (a_k + 1) b ** (-a_k) / (4 b ** 2)``."""
    if smallest >= 0:
        value, weighted, squared = _fast_present_value(flows, days, stop, smallest, y)
    else:
        value, weighted, squared = _present_value(flows, days, stop, y)
    base = 1.0 + y / 2.0
    second = (squared / (180.0 * 180.0) + 2.0 * weighted) / (4.0 * base * base)
    return value - price, -weighted / base, second


@inline_kernel
def _flow_sums(
    flows: F64Array, days: I64Array, stop: int
) -> tuple[float, float, float, bool, int, int]:
    """Return (sum CF_k, sum CF_k days_k, sum CF_k days_k ** 2, no flow is negative, last
    day, smallest offset) over the months before ``stop``. The last day is -1 when the days
    fall back somewhere (or start before settlement); the offset is ``_day_offsets``'."""
    total_0 = total_1 = 0.0
    timed_0 = timed_1 = 0.0
    squared = 0.0
    is_positive = True
    is_rising = True
    previous = 0
    smallest = largest = days[0] if stop > 0 else 0
    for month in range(stop):
        flow = flows[month]
        day = days[month]
        if month % 2 == 0:
            total_0 += flow
            timed_0 += flow * day
        else:
            total_1 += flow
            timed_1 += flow * day
        squared += flow * (day * day)
        is_positive &= flow >= 0.0
        is_rising &= previous <= day
        previous = day
        offset = day - 30 * month
        smallest = min(smallest, offset)
        largest = max(largest, offset)
    if smallest < 0 or largest - smallest >= _OFFSETS:
        smallest = -1
    return (
        total_0 + total_1,
        timed_0 + timed_1,
        squared,
        is_positive,
        previous if is_rising else -1,
        smallest,
    )


@kernel
def _halley_step(
    x: float, f: float, slope: float, second: float, low: float, high: float
) -> tuple[float, bool]:
    """Halley's step from ``x`` (Newton's corrected by the second derivative ``second``;
    Newton's when the correction is out of range) when it lands inside (low, high), else
    the midpoint; and whether it was not the midpoint. A step too small to change ``x`` is
    taken (``x`` is the root to its last bit), though ``x`` is now an end of the bracket."""
    if slope < 0.0:
        newton = f / slope
        scale = 1.0 - newton * second / (2.0 * slope)
        step = x - newton / scale if 0.5 <= scale <= 2.0 else x - newton
        if low < step < high or step == x:
            return step, True
        step = x - newton
        if low < step < high:
            return step, True
    return 0.5 * (low + high), False


SETTLED_ERROR = 1e-16
"""The error a step may leave for the search to end on it, with no evaluation to confirm
it (1e-14 % of a yield, 1e-12 bp of a margin): estimated as ``c * d ** 2`` after a step
``d`` (Newton's error; ``c = f'' / 2 f'``), or as ``10 k d ** 3`` with ``k = d / e ** 3``
from the step ``e`` before (Halley's error shrinks as the cube)."""

SETTLED_STEP = 1e-6
"""Largest step those estimates are trusted after."""


@inline_kernel
def _search_step(
    x: float, f: float, slope: float, second: float, low: float, high: float, last_step: float
) -> tuple[float, float, float, bool, float]:
    """One step of the bracketed Halley search from ``x``, where the price error is ``f``
    (first and second derivatives ``slope``, ``second``) and the step before moved
    ``last_step`` (NaN at the start or after a bisection).

    Return the next point, the bracket, whether the search is done (at a root, a bracket
    or a step within ``SOLVER_XTOL``, or a step settled by ``SETTLED_ERROR``) and the
    step's size (NaN for a bisection).
    """
    if f == 0.0:
        return x, low, high, True, 0.0
    if f > 0.0:
        low = x
    else:
        high = x
    proposal, is_step = _halley_step(x, f, slope, second, low, high)
    moved = abs(proposal - x)
    if moved <= SOLVER_XTOL or high - low <= SOLVER_XTOL:
        return proposal, low, high, True, moved
    if not is_step:
        return proposal, low, high, False, math.nan
    if moved <= SETTLED_STEP:
        # a step has slope < 0; a NaN last step compares False
        is_settled = abs(second / (2.0 * slope)) * moved * moved <= SETTLED_ERROR or (
            last_step > 0.0 and 10.0 * moved**4 <= SETTLED_ERROR * last_step**3
        )
        return proposal, low, high, is_settled, moved
    return proposal, low, high, False, moved


SKIP_SLACK = 1e-9
"""Relative room left when a cheap bound decides the sign at a bracket end (the rounding of
the present value it stands for is below 1e-12)."""

BOUND_MONTHS = 6
"""Months whose discount factors the bound at a bracket's high end computes one by one (a
later flow is discounted at least as much as the last of them)."""


@inline_kernel
def _yield_high_bounds(
    flows: F64Array, days: I64Array, stop: int, total: float
) -> tuple[float, float]:
    """Bounds on ``_present_value`` at the top of ``YIELD_BRACKET``, for flows >= 0.

    The first ``BOUND_MONTHS``' present values are the same products as
    ``_present_value``'s and the rest are >= 0, so their sum is a lower bound (bit for
    bit: floating-point addition of terms >= 0 never decreases). With rising days the
    discount factors fall month by month, so that sum plus the rest of the flows at the
    last of its factors is an upper bound (up to rounding, below 1e-12).
    """
    base = 1.0 + YIELD_BRACKET[1] / 2.0
    per_day = math.exp(-math.log(base) / 180.0)
    discount = 1.0
    previous = 0
    value = 0.0
    paid = 0.0
    for month in range(min(stop, BOUND_MONTHS)):
        discount *= per_day ** (days[month] - previous)
        previous = days[month]
        value += flows[month] * discount
        paid += flows[month]
    rest = max(total - paid, 0.0) + 1e-12 * total
    return value, value + rest * discount


@kernel
def yield_of(flows: F64Array, days: I64Array, price: float) -> float:
    """Bond-equivalent yield (decimal) of ``flows`` (n_months,) at ``price`` (dollars).

    ``days`` (n_months,) are 30/360 days from settlement to each flow. NaN when no yield in
    ``YIELD_BRACKET`` gives the price.

    The signs at the bracket ends are evaluated unless flows >= 0 with rising days decide
    them: at -100% the value ``sum CF_k 2 ** (days_k / 180)`` is at least
    ``sum CF * 2 ** (mean days / 180)`` (Jensen: the weights are >= 0, the function
    convex); at +1000% ``_yield_high_bounds`` bounds it. The search starts from
    Halley's step from 0, free from the sums: ``f(0) = sum CF - price``,
    ``f'(0) = -sum CF t`` and ``f''(0) = sum CF a (a + 1) / 4`` (``a = days / 180``).
    """
    stop = _last_flow(flows)
    low, high = YIELD_BRACKET
    total, timed, squared, is_positive, last_day, smallest = _flow_sums(flows, days, stop)
    is_monotone = is_positive and last_day >= 0
    is_high_below = False
    if is_positive:
        lowest, highest = _yield_high_bounds(flows, days, stop, total)
        if lowest > price:
            return math.nan  # the value at the high end is above the price
        is_high_below = is_monotone and highest * (1.0 + SKIP_SLACK) <= price
    # at -100% a factor is 2 ** (days / 180): finite for 100 years of flows below 1e200
    if not (is_monotone and last_day <= 36_000 and total <= 1e200):
        is_low_above = False
    elif total > 0.0:
        is_low_above = price <= total * 2.0 ** (timed / total / 180.0) * (1.0 - SKIP_SLACK)
    else:
        is_low_above = price <= 0.0  # no flows: the value is 0
    # the ends' price errors month by month: ``_yield_value`` with no day offsets, whose
    # fast path (never taken here) would be compiled twice more
    if not is_low_above:
        f_low = _present_value(flows, days, stop, low)[0] - price
        if not (math.isfinite(f_low) and f_low >= 0.0):
            return math.nan
    if not is_high_below:
        f_high = _present_value(flows, days, stop, high)[0] - price
        if not (math.isfinite(f_high) and f_high <= 0.0):
            return math.nan
    x = 0.05
    if is_monotone and timed > 0.0:
        # Halley's step from 0, free from the sums (``_yield_value`` at y = 0)
        guess, is_step = _halley_step(
            0.0,
            total - price,
            -timed / DAYS_PER_YEAR,
            (squared / (180.0 * 180.0) + timed / 180.0) / 4.0,
            low,
            high,
        )
        if is_step:
            x = guess
    last_step = math.nan
    for _ in range(SOLVER_MAXITER):
        f, slope, second = _yield_value(flows, days, stop, smallest, price, x)
        x, low, high, is_done, last_step = _search_step(x, f, slope, second, low, high, last_step)
        if is_done:
            break
    return x


@kernel
def _margin_value(
    flows: F64Array,
    fractions: F64Array,
    index_rate: F64Array,
    stop: int,
    price: float,
    margin: float,
) -> tuple[float, float]:
    """Price error and its slope in the margin, month by month as the definition reads
    (the bracket ends' signs are read from it)."""
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
def _fast_margin_value(
    flows: F64Array,
    fractions: F64Array,
    index_rate: F64Array,
    stop: int,
    price: float,
    margin: float,
) -> tuple[float, float]:
    """``_margin_value`` four months at a time with one division: for period factors
    ``p0 .. p3``, ``r = 1 / (p0 p1 p2 p3)`` gives ``1 / (p0 p1) = p2 p3 r``,
    ``1 / p0 = p1 / (p0 p1)`` and so on, and the discount and the summed ``tau / p``
    (``total``) advance once per four months (shorter dependency chains)."""
    discount = 1.0
    total = 0.0
    value_0 = value_1 = 0.0
    slope_0 = slope_1 = 0.0
    month = 0
    while month + 4 <= stop:
        fraction_0 = fractions[month]
        fraction_1 = fractions[month + 1]
        fraction_2 = fractions[month + 2]
        fraction_3 = fractions[month + 3]
        period_0 = 1.0 + (index_rate[month] + margin) * fraction_0
        period_1 = 1.0 + (index_rate[month + 1] + margin) * fraction_1
        period_2 = 1.0 + (index_rate[month + 2] + margin) * fraction_2
        period_3 = 1.0 + (index_rate[month + 3] + margin) * fraction_3
        first_two = period_0 * period_1
        last_two = period_2 * period_3
        inverse = 1.0 / (first_two * last_two)
        inverse_01 = last_two * inverse
        inverse_23 = first_two * inverse
        share_0 = fraction_0 * (period_1 * inverse_01)
        share_1 = fraction_1 * (period_0 * inverse_01)
        share_2 = fraction_2 * (period_3 * inverse_23)
        share_3 = fraction_3 * (period_2 * inverse_23)
        discount_1 = discount * inverse_01
        present_0 = flows[month] * (discount * (period_1 * inverse_01))
        present_1 = flows[month + 1] * discount_1
        present_2 = flows[month + 2] * (discount_1 * (period_3 * inverse_23))
        discount *= inverse
        present_3 = flows[month + 3] * discount
        sum_0 = total + share_0
        sum_1 = total + (share_0 + share_1)
        sum_2 = sum_1 + share_2
        total = sum_1 + (share_2 + share_3)
        value_0 += present_0 + present_1
        value_1 += present_2 + present_3
        slope_0 += present_0 * sum_0 + present_1 * sum_1
        slope_1 += present_2 * sum_2 + present_3 * total
        month += 4
    while month < stop:
        period = 1.0 + (index_rate[month] + margin) * fractions[month]
        inverse = 1.0 / period
        discount *= inverse
        total += fractions[month] * inverse
        present = flows[month] * discount
        value_0 += present
        slope_0 += present * total
        month += 1
    return (value_0 + value_1) - price, -(slope_0 + slope_1)


@kernel
def margin_of(flows: F64Array, fractions: F64Array, index_rate: F64Array, price: float) -> float:
    """Discount margin (decimal) of ``flows`` over ``index_rate`` (n_months,) at ``price``.

    ``fractions`` (n_months,) are the accrual periods' actual days / 360. The low end of
    ``DISCOUNT_MARGIN_BRACKET`` is raised so every period factor stays at least
    ``MIN_PERIOD_GROWTH``. NaN when no margin in the bracket gives the price.

    As ``yield_of``, the signs at the bracket ends are evaluated unless flows >= 0 decide
    them (``_is_plain_index``, ``_margin_high_bounds``), and a settled step ends the
    search (``_search_step``).
    """
    stop = _last_flow(flows)
    low, high = DISCOUNT_MARGIN_BRACKET
    total, timed, is_positive, least, guess = _margin_sums(
        flows, fractions, index_rate, stop, price
    )
    is_plain = _is_plain_index(fractions, index_rate)
    if not is_plain:
        for month in range(fractions.shape[0]):
            if fractions[month] > 0.0:
                low = max(low, (MIN_PERIOD_GROWTH - 1.0) / fractions[month] - index_rate[month])
    is_monotone = is_positive and is_plain
    # plain: every period factor at the low end (-100%) is p = 1 + (I - 1) tau in [1/2, 1]
    # (rounding is monotone): the discounts stay below 2 ** 900 for 900 months, so the value
    # of flows below 1e30 is finite; and as -log p >= 1 - p = tau (1 - I) >= ``least``,
    # month k's discount is at least exp(least (k + 1)), so the value is at least
    # sum CF * exp(least * mean (k + 1)) (Jensen: weights >= 0, a convex function)
    is_low_above = False
    if is_monotone and stop <= 900 and total <= 1e30:
        if total > 0.0:
            lowest = total * math.exp(least * (timed / total)) * (1.0 - SKIP_SLACK)
            is_low_above = price <= max(lowest, total * (1.0 - 1e-12))
        else:
            is_low_above = price <= 0.0  # no flows: the value is 0
    if not is_low_above:
        f_low, _ = _margin_value(flows, fractions, index_rate, stop, price, low)
        if not (math.isfinite(f_low) and f_low >= 0.0):
            return math.nan
    is_high_below = False
    if is_monotone:  # period factors >= 1 at the high end: every present value >= 0
        lowest, highest = _margin_high_bounds(flows, fractions, index_rate, stop, total, high)
        if lowest > price:
            return math.nan  # the value at the high end is above the price
        is_high_below = highest * (1.0 + SKIP_SLACK) <= price
    if not is_high_below:
        f_high, _ = _margin_value(flows, fractions, index_rate, stop, price, high)
        if not (math.isfinite(f_high) and f_high <= 0.0):
            return math.nan
    x = 0.05
    if is_monotone:
        x = guess if low < guess < high else min(max(0.0, low), high)
    last_step = math.nan
    last_x = last_slope = math.nan
    for _ in range(SOLVER_MAXITER):
        f, slope = _fast_margin_value(flows, fractions, index_rate, stop, price, x)
        # the second derivative from the slopes at the last two points (NaN at the start):
        # computing it in the pass would cost a third of it
        second = (slope - last_slope) / (x - last_x) if x != last_x else math.nan
        last_x, last_slope = x, slope
        x, low, high, is_done, last_step = _search_step(x, f, slope, second, low, high, last_step)
        if is_done:
            break
    return x


@inline_kernel
def _margin_sums(
    flows: F64Array, fractions: F64Array, index_rate: F64Array, stop: int, price: float
) -> tuple[float, float, bool, float, float]:
    """Return (sum CF_k, sum CF_k (k + 1), no flow is negative, the least
    ``tau_k (1 - I_k)``, a first margin) over the months before ``stop``, two months a step.

    The first margin solves the price with each discount linearised at 0:
    ``1 / prod (1 + (I_j + m) tau_j) ~ 1 - A_k - m T_k`` (``T_k = sum tau_j``,
    ``A_k = sum I_j tau_j``), so ``m = (sum CF - price - sum CF A) / sum CF T``; NaN when
    ``sum CF T`` is not positive.
    """
    total_0 = total_1 = timed_0 = timed_1 = 0.0
    years = accrued = 0.0  # T_k, A_k
    by_years_0 = by_years_1 = by_accrued_0 = by_accrued_1 = 0.0
    least = math.inf
    is_positive = True
    month = 0
    while month + 2 <= stop:
        flow_0 = flows[month]
        flow_1 = flows[month + 1]
        fraction_0 = fractions[month]
        fraction_1 = fractions[month + 1]
        rate_0 = index_rate[month]
        rate_1 = index_rate[month + 1]
        years_0 = years + fraction_0
        accrued_0 = accrued + rate_0 * fraction_0
        years += fraction_0 + fraction_1
        accrued += rate_0 * fraction_0 + rate_1 * fraction_1
        total_0 += flow_0
        total_1 += flow_1
        timed_0 += flow_0 * (month + 1)
        timed_1 += flow_1 * (month + 2)
        by_years_0 += flow_0 * years_0
        by_years_1 += flow_1 * years
        by_accrued_0 += flow_0 * accrued_0
        by_accrued_1 += flow_1 * accrued
        least = min(least, min(fraction_0 * (1.0 - rate_0), fraction_1 * (1.0 - rate_1)))
        is_positive &= (flow_0 >= 0.0) & (flow_1 >= 0.0)
        month += 2
    if month < stop:
        flow = flows[month]
        years += fractions[month]
        accrued += index_rate[month] * fractions[month]
        total_0 += flow
        timed_0 += flow * (month + 1)
        by_years_0 += flow * years
        by_accrued_0 += flow * accrued
        least = min(least, fractions[month] * (1.0 - index_rate[month]))
        is_positive &= flow >= 0.0
    total = total_0 + total_1
    by_years = by_years_0 + by_years_1
    guess = math.nan
    if by_years > 0.0:
        guess = (total - price - (by_accrued_0 + by_accrued_1)) / by_years
    return total, timed_0 + timed_1, is_positive, least, guess


@inline_kernel
def _is_plain_index(fractions: F64Array, index_rate: F64Array) -> bool:
    """True when every accrual period is >= 0 (and at most 1e6 years), every index is in
    [-10, 1] (-1,000% to 100%), and ``tau (I - 1) >= -1/2``.

    Then the raised low end of ``DISCOUNT_MARGIN_BRACKET`` is not raised: each candidate
    ``-0.99 / tau - I`` is below -1 by at least ``0.49 / tau``, far more than its rounding,
    so no division needs computing it. Each period factor is then in [1/2, 1] at the low end
    and at least 1 at the high end.
    """
    is_plain = True
    for month in range(fractions.shape[0]):
        fraction = fractions[month]
        rate = index_rate[month]
        is_plain &= (
            (fraction >= 0.0)
            & (fraction <= 1e6)
            & (rate >= -DISCOUNT_MARGIN_BRACKET[1])
            & (rate <= 1.0)
            & (fraction * (rate - 1.0) >= -0.5)
        )
    return is_plain


@inline_kernel
def _margin_high_bounds(
    flows: F64Array,
    fractions: F64Array,
    index_rate: F64Array,
    stop: int,
    total: float,
    high: float,
) -> tuple[float, float]:
    """Bounds on ``_margin_value`` at ``high``, as ``_yield_high_bounds``: the first
    ``BOUND_MONTHS``' present values (the same products as ``_margin_value``; a lower
    bound, bit for bit, for flows >= 0) and, for period factors >= 1 (``_is_plain_index``),
    that plus the rest of the flows at the last of their discounts."""
    growth = 1.0
    value = 0.0
    paid = 0.0
    for month in range(min(stop, BOUND_MONTHS)):
        growth *= 1.0 + (index_rate[month] + high) * fractions[month]
        value += flows[month] / growth
        paid += flows[month]
    rest = max(total - paid, 0.0) + 1e-12 * total
    return value, value + rest / growth


@kernel
def duration_of(flows: F64Array, days: I64Array, y: float) -> float:
    """Modified duration in years of ``flows`` at bond-equivalent yield ``y``; NaN when
    ``y`` is NaN or the flows have no positive value."""
    if not math.isfinite(y):
        return math.nan
    stop = _last_flow(flows)
    smallest = _day_offsets(days, stop)
    if smallest >= 0:
        value, weighted, _ = _fast_present_value(flows, days, stop, smallest, y)
    else:
        value, weighted, _ = _present_value(flows, days, stop, y)
    if not value > 0.0:
        return math.nan
    return weighted / value / (1.0 + y / 2.0)
