"""Price, yield, duration, convexity and discount margin of hand-given cash flows.

Conventions (every function here):

* rates, yields and margins are annual decimals (0.065, not 6.5);
* times are in years from settlement to the actual receipt of each cash flow, delay
  included (30/360 for fixed-rate MBS, STANDARDS 1.11);
* prices and cash flows are in currency units: a quote per 100 of face is multiplied by
  ``face / 100`` first;
* a price includes accrued interest (a dirty price, the settlement amount) unless the
  function says otherwise.

Yields are bond-equivalent (semiannual compounding) whatever the payment frequency
(SIFMA SF-48 ... SF-52, STANDARDS 1.11). A mortgage (monthly) yield is available only by
conversion and is never used in duration or convexity. A loss-adjusted yield (STANDARDS
2.4) is ``yield_from_price`` applied to the cash flows of the loss scenario.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from waterfall._types import F64Array
from waterfall.kernels.metrics import (  # one definition for scalar, batch and grid
    DISCOUNT_MARGIN_BRACKET,
    MIN_PERIOD_GROWTH,
    SOLVER_MAXITER,
    SOLVER_XTOL,
    YIELD_BRACKET,
)

__all__ = [
    "DISCOUNT_MARGIN_BRACKET",
    "MIN_PERIOD_GROWTH",
    "SOLVER_MAXITER",
    "SOLVER_XTOL",
    "YIELD_BRACKET",
    "accrued_interest",
    "bey_from_mortgage_yield",
    "convexity",
    "discount_margin",
    "macaulay_duration",
    "modified_duration",
    "mortgage_yield_from_bey",
    "price_from_discount_margin",
    "price_from_yield",
    "yield_from_price",
]


def _vector(values: ArrayLike, name: str) -> F64Array:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; it contains NaN or infinity")
    return array


def _flows_and_times(cash_flows: ArrayLike, times_years: ArrayLike) -> tuple[F64Array, F64Array]:
    flows = _vector(cash_flows, "cash_flows")
    times = _vector(times_years, "times_years")
    if times.shape != flows.shape:
        raise ValueError(
            f"times_years has shape {times.shape} but cash_flows has shape {flows.shape}; "
            "give one time per cash flow"
        )
    if np.any(times < 0.0):
        raise ValueError(
            f"times_years must not be negative (a flow before settlement is not received), "
            f"got {float(times.min())!r}"
        )
    return flows, times


def _check_yield(yield_bey: float) -> None:
    if not math.isfinite(yield_bey) or 1.0 + yield_bey / 2.0 <= 0.0:
        raise ValueError(
            "yield_bey must be a finite decimal above -2 (so that 1 + Y/2 > 0), "
            f"got {float(yield_bey)!r}"
        )


def _check_price(price: float) -> None:
    if not math.isfinite(price) or price <= 0.0:
        raise ValueError(
            f"price must be positive and finite (currency units, accrued interest "
            f"included), got {float(price)!r}"
        )


def _check_receivable(flows: F64Array) -> None:
    """Reject flows for which a price-to-rate solve has no unique answer."""
    if np.any(flows < 0.0):
        raise ValueError(
            "cash_flows must not be negative when solving for a rate: with payments in "
            "both directions the rate need not be unique"
        )
    if not np.any(flows > 0.0):
        raise ValueError("no cash flow: every cash flow is zero, so no rate prices them")


def _discount_factors(times: F64Array, yield_bey: float) -> F64Array:
    discount: F64Array = (1.0 + yield_bey / 2.0) ** (-2.0 * times)
    return discount


def price_from_yield(cash_flows: ArrayLike, times_years: ArrayLike, yield_bey: float) -> float:
    """Return the present value of cash flows at a bond-equivalent yield.

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_flows,)
        Interest plus principal received, currency units.
    times_years : array_like of float, shape (n_flows,)
        Years from settlement to the actual receipt of each flow (delay included),
        non-negative.
    yield_bey : float
        Bond-equivalent (semiannually compounded) yield, decimal, above -2.

    Returns
    -------
    float
        ``sum CF_k / (1 + Y/2) ** (2 T_k)``: the dirty price in currency units
        (0.0 for no flows).

    Raises
    ------
    ValueError
        If the arrays differ in shape, are not finite, a time is negative, or
        ``yield_bey <= -2``.

    Notes
    -----
    SIFMA SF-49 (STANDARDS 1.11), with Y as a decimal instead of a percentage.
    """
    flows, times = _flows_and_times(cash_flows, times_years)
    _check_yield(yield_bey)
    return float(flows @ _discount_factors(times, yield_bey))


def yield_from_price(cash_flows: ArrayLike, times_years: ArrayLike, price: float) -> float:
    """Return the bond-equivalent yield at which cash flows are worth ``price``.

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_flows,)
        Interest plus principal received, currency units, non-negative, at least one
        positive flow after settlement. For a loss-adjusted yield, pass the flows of the
        default scenario (STANDARDS 2.4).
    times_years : array_like of float, shape (n_flows,)
        Years from settlement to the actual receipt of each flow (delay included).
    price : float
        Dirty price (accrued interest included), currency units, positive.

    Returns
    -------
    float
        The bond-equivalent yield Y, decimal, solving ``price_from_yield(...) = price``.

    Raises
    ------
    ValueError
        If the price is not positive, there is no positive cash flow after settlement, a
        cash flow is negative, or no yield in ``YIELD_BRACKET`` gives the price.

    Notes
    -----
    With non-negative flows the price falls strictly as the yield rises, so the yield is
    unique. It is found by ``scipy.optimize.brentq`` on ``YIELD_BRACKET`` = [-1, 10]
    (decimal), absolute tolerance ``SOLVER_XTOL`` = 1e-12, at most ``SOLVER_MAXITER``
    iterations.
    """
    flows, times = _flows_and_times(cash_flows, times_years)
    _check_price(price)
    _check_receivable(flows)
    if not np.any((flows > 0.0) & (times > 0.0)):
        raise ValueError("every cash flow is received at settlement (time 0); no yield is defined")

    def excess(yield_bey: float) -> float:
        return float(flows @ _discount_factors(times, yield_bey)) - price

    low, high = YIELD_BRACKET
    price_at_low = float(flows @ _discount_factors(times, low))
    price_at_high = float(flows @ _discount_factors(times, high))
    if not price_at_high <= price <= price_at_low:
        raise ValueError(
            f"no bond-equivalent yield between {low:.0%} and {high:.0%} gives price "
            f"{float(price)!r}; these cash flows are worth {price_at_low!r} at {low:.0%} and "
            f"{price_at_high!r} at {high:.0%}"
        )
    from scipy.optimize import brentq  # 0.2 s to import: only the solvers load it

    return float(brentq(excess, low, high, xtol=SOLVER_XTOL, maxiter=SOLVER_MAXITER))


def mortgage_yield_from_bey(yield_bey: float) -> float:
    """Convert a bond-equivalent yield to a mortgage (monthly-compounded) yield.

    Parameters
    ----------
    yield_bey : float
        Bond-equivalent yield, decimal, above -2.

    Returns
    -------
    float
        ``MY = 12 ((1 + Y/2) ** (1/6) - 1)``, decimal.

    Raises
    ------
    ValueError
        If ``yield_bey`` is not finite or not above -2.

    Notes
    -----
    SIFMA SF-49 (STANDARDS 1.11): ``MY = 1200 [(1 + Y/200)^(1/6) - 1]`` in percent. Label
    the result as a mortgage yield; never use it in duration or convexity.
    """
    _check_yield(yield_bey)
    return 12.0 * (math.pow(1.0 + yield_bey / 2.0, 1.0 / 6.0) - 1.0)


def bey_from_mortgage_yield(mortgage_yield: float) -> float:
    """Convert a mortgage (monthly-compounded) yield to a bond-equivalent yield.

    Parameters
    ----------
    mortgage_yield : float
        Monthly-compounded yield, decimal, above -12.

    Returns
    -------
    float
        ``Y = 2 ((1 + MY/12) ** 6 - 1)``, decimal.

    Raises
    ------
    ValueError
        If ``mortgage_yield`` is not finite or not above -12.

    Notes
    -----
    SIFMA SF-49 (STANDARDS 1.11): ``Y = 200 [(1 + MY/1200)^6 - 1]`` in percent.
    """
    if not math.isfinite(mortgage_yield) or 1.0 + mortgage_yield / 12.0 <= 0.0:
        raise ValueError(
            f"mortgage_yield must be a finite decimal above -12 (so that 1 + MY/12 > 0), "
            f"got {float(mortgage_yield)!r}"
        )
    return 2.0 * ((1.0 + mortgage_yield / 12.0) ** 6 - 1.0)


def _priced(
    cash_flows: ArrayLike, times_years: ArrayLike, yield_bey: float
) -> tuple[F64Array, F64Array, F64Array, float]:
    """Return flows, times, discounted flows and their price; the price must be positive."""
    flows, times = _flows_and_times(cash_flows, times_years)
    _check_yield(yield_bey)
    present_values = flows * _discount_factors(times, yield_bey)
    price = float(present_values.sum())
    if price <= 0.0:
        raise ValueError(
            f"the cash flows are worth {price!r} at yield {float(yield_bey)!r}; duration "
            "and convexity need a positive price (is there no cash flow?)"
        )
    return flows, times, present_values, price


def macaulay_duration(cash_flows: ArrayLike, times_years: ArrayLike, yield_bey: float) -> float:
    """Return the Macaulay duration in years at a bond-equivalent yield.

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_flows,)
        Interest plus principal received, currency units.
    times_years : array_like of float, shape (n_flows,)
        Years from settlement to the actual receipt of each flow (delay included).
    yield_bey : float
        Bond-equivalent yield, decimal, above -2.

    Returns
    -------
    float
        ``(1/P) sum T_k CF_k / (1 + Y/2) ** (2 T_k)``, years, with P the dirty price at Y.

    Raises
    ------
    ValueError
        On invalid arrays or yield (as ``price_from_yield``), or when the price is not
        positive.

    Notes
    -----
    SIFMA SF-50 (STANDARDS 1.11).
    """
    _, times, present_values, price = _priced(cash_flows, times_years, yield_bey)
    return float(times @ present_values) / price


def modified_duration(cash_flows: ArrayLike, times_years: ArrayLike, yield_bey: float) -> float:
    """Return the modified duration at a bond-equivalent yield.

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_flows,)
        Interest plus principal received, currency units.
    times_years : array_like of float, shape (n_flows,)
        Years from settlement to the actual receipt of each flow (delay included).
    yield_bey : float
        Bond-equivalent yield, decimal, above -2.

    Returns
    -------
    float
        ``macaulay_duration / (1 + Y/2)``: the relative price change per unit (decimal)
        change of the yield, ``-(dP/dY) / P``.

    Raises
    ------
    ValueError
        As ``macaulay_duration``.

    Notes
    -----
    SIFMA SF-50 (STANDARDS 1.11). This is the cash-flow (static) measure; effective
    duration re-runs the engine and lives in ``waterfall.sensitivity``.
    """
    return macaulay_duration(cash_flows, times_years, yield_bey) / (1.0 + yield_bey / 2.0)


def convexity(cash_flows: ArrayLike, times_years: ArrayLike, yield_bey: float) -> float:
    """Return the cash-flow convexity at a bond-equivalent yield (not divided by 100).

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_flows,)
        Interest plus principal received, currency units.
    times_years : array_like of float, shape (n_flows,)
        Years from settlement to the actual receipt of each flow (delay included).
    yield_bey : float
        Bond-equivalent yield, decimal, above -2.

    Returns
    -------
    float
        ``[1 / ((1 + Y/2)^2 P)] sum T_k (T_k + 1/2) CF_k / (1 + Y/2) ** (2 T_k)``, in
        years squared; equal to ``(d2P/dY2) / P``.

    Raises
    ------
    ValueError
        As ``macaulay_duration``.

    Notes
    -----
    SIFMA SF-51 (STANDARDS 1.11). With ``dY`` a decimal yield change,
    ``P(Y + dY) ~ P (1 - modified_duration dY + convexity dY^2 / 2)``. Displays often
    divide it by 100; this function does not.
    """
    _, times, present_values, price = _priced(cash_flows, times_years, yield_bey)
    weighted = float((times * (times + 0.5)) @ present_values)
    return weighted / ((1.0 + yield_bey / 2.0) ** 2 * price)


def _floater_inputs(
    cash_flows: ArrayLike, period_fractions: ArrayLike, index_rates: ArrayLike
) -> tuple[F64Array, F64Array, F64Array]:
    flows = _vector(cash_flows, "cash_flows")
    fractions = np.broadcast_to(np.asarray(period_fractions, dtype=np.float64), flows.shape)
    rates = np.broadcast_to(np.asarray(index_rates, dtype=np.float64), flows.shape)
    for name, values in (("period_fractions", fractions), ("index_rates", rates)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite; it contains NaN or infinity")
    if np.any(fractions < 0.0):
        raise ValueError(f"period_fractions must not be negative, got {float(fractions.min())!r}")
    return flows, fractions, rates


def _floater_price(
    flows: F64Array,
    fractions: F64Array,
    rates: F64Array,
    discount_margin: float,
) -> float:
    growth = 1.0 + (rates + discount_margin) * fractions
    if np.any(growth <= 0.0):
        period = int(np.flatnonzero(growth <= 0.0)[0])
        raise ValueError(
            f"discount margin {float(discount_margin)!r} makes the factor 1 + (I + DM) tau of "
            f"period {period + 1} non-positive ({float(growth[period])!r})"
        )
    return float(flows @ (1.0 / np.cumprod(growth)))


def price_from_discount_margin(
    cash_flows: ArrayLike,
    period_fractions: ArrayLike,
    index_rates: ArrayLike,
    discount_margin: float,
) -> float:
    """Return the price of a floater's cash flows at a discount margin over an index path.

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_periods,)
        Interest plus principal received at the end of each payment period, currency
        units; period 1 starts at settlement.
    period_fractions : array_like of float, shape (n_periods,) or scalar
        ACT/360 year fraction ``tau_j`` of each period (``year_fraction_act_360``),
        non-negative.
    index_rates : array_like of float, shape (n_periods,) or scalar
        The assumed index path ``I_j`` (e.g. one-month LIBOR), decimal; a scalar is a flat
        path.
    discount_margin : float
        Spread over the index, decimal (0.0035 = 35 bp).

    Returns
    -------
    float
        ``sum_k CF_k prod_{j<=k} 1 / (1 + (I_j + DM) tau_j)``: the dirty price, currency
        units.

    Raises
    ------
    ValueError
        If inputs are not finite, do not match in shape, a fraction is negative, or a
        period factor ``1 + (I_j + DM) tau_j`` is not positive.

    Notes
    -----
    SIFMA SF-53 (STANDARDS 1.12, 2.6): money-market compounding at the security's own
    payment frequency. DMs are not comparable across payment frequencies.
    """
    flows, fractions, rates = _floater_inputs(cash_flows, period_fractions, index_rates)
    if not math.isfinite(discount_margin):
        raise ValueError(f"discount_margin must be finite, got {float(discount_margin)!r}")
    return _floater_price(flows, fractions, rates, discount_margin)


def discount_margin(
    cash_flows: ArrayLike,
    period_fractions: ArrayLike,
    index_rates: ArrayLike,
    price: float,
) -> float:
    """Return the discount margin over an index path that prices a floater at ``price``.

    Parameters
    ----------
    cash_flows : array_like of float, shape (n_periods,)
        Interest plus principal received at the end of each payment period, currency
        units, non-negative; period 1 starts at settlement.
    period_fractions : array_like of float, shape (n_periods,) or scalar
        ACT/360 year fraction ``tau_j`` of each period, non-negative.
    index_rates : array_like of float, shape (n_periods,) or scalar
        The assumed index path ``I_j``, decimal; state it with the result.
    price : float
        Dirty price (accrued interest included), currency units, positive.

    Returns
    -------
    float
        The discount margin DM, decimal, solving ``price_from_discount_margin(...) = price``.

    Raises
    ------
    ValueError
        If the price is not positive, there is no positive cash flow after a period of
        positive length, a cash flow is negative, or no margin in the search bracket gives
        the price.

    Notes
    -----
    SIFMA SF-53 (STANDARDS 1.12). With non-negative flows the price falls strictly as the
    margin rises, so the margin is unique. It is found by ``scipy.optimize.brentq`` on
    ``DISCOUNT_MARGIN_BRACKET`` = [-1, 10] (decimal), whose low end is raised where needed
    so that every period factor ``1 + (I_j + DM) tau_j`` stays at least
    ``MIN_PERIOD_GROWTH`` = 0.01; absolute tolerance ``SOLVER_XTOL`` = 1e-12, at most
    ``SOLVER_MAXITER`` iterations.
    """
    flows, fractions, rates = _floater_inputs(cash_flows, period_fractions, index_rates)
    _check_price(price)
    _check_receivable(flows)
    if not np.any((flows > 0.0) & (np.cumsum(fractions) > 0.0)):
        raise ValueError(
            "no cash flow is discounted over a period of positive length (every tau up to "
            "the last positive flow is zero); no discount margin is defined"
        )
    low, high = DISCOUNT_MARGIN_BRACKET
    accruing = fractions > 0.0
    if np.any(accruing):
        # Below this margin some period's factor 1 + (I + DM) tau falls under MIN_PERIOD_GROWTH.
        floor = float(np.max((MIN_PERIOD_GROWTH - 1.0) / fractions[accruing] - rates[accruing]))
        low = max(low, floor)
    if low >= high:
        raise ValueError(
            f"the index path needs a discount margin above {low!r} to keep every period "
            f"factor positive, beyond the search bracket's high end {high!r}"
        )

    def excess(margin: float) -> float:
        return _floater_price(flows, fractions, rates, margin) - price

    price_at_low = _floater_price(flows, fractions, rates, low)
    price_at_high = _floater_price(flows, fractions, rates, high)
    if not price_at_high <= price <= price_at_low:
        raise ValueError(
            f"no discount margin between {low!r} and {high!r} gives price {float(price)!r}; these "
            f"cash flows are worth {price_at_low!r} and {price_at_high!r} at those margins"
        )
    from scipy.optimize import brentq  # 0.2 s to import: only the solvers load it

    return float(brentq(excess, low, high, xtol=SOLVER_XTOL, maxiter=SOLVER_MAXITER))


def accrued_interest(face: float, coupon: float, fraction: float) -> float:
    """Return the interest accrued from the start of the accrual period to settlement.

    Parameters
    ----------
    face : float
        Current face (original face times the factor at the start of the period),
        currency units.
    coupon : float
        Annual coupon rate for the period, decimal (for a floater: index set for the
        period plus margin).
    fraction : float
        Year fraction from the first day of the accrual period to settlement, from
        ``year_fraction_30_360`` (fixed rate) or ``year_fraction_act_360`` (floater).

    Returns
    -------
    float
        ``face * coupon * fraction``, currency units. The settlement amount (dirty price)
        is the clean principal amount plus this.

    Notes
    -----
    SIFMA SF-45 ... SF-48 (STANDARDS 1.10) for fixed-rate MBS, STANDARDS 2.6 for floaters.
    """
    return face * coupon * fraction
