"""Monthly rate vectors: rate conversions, PSA and SDA curves, and the vector grammar.

Rates are decimals unless a name says otherwise (STYLE C4): ``cpr`` and ``cdr`` are annual,
``smm`` and ``mdr`` monthly. ``psa`` and ``sda`` speeds are in percent (100 = the standard
curve). Month numbers are loan-age months: MONTH is the accrual month in which the loan age goes
from MONTH - 1 to MONTH (STANDARDS 1.3), so month 1 is the first month of a new loan.

Rate-vector grammar
-------------------
A vector string gives one rate per month, starting in month 1. It is used on the command line
and in scenario files, e.g. ``"4 11R 27 10S 50"``. Values are returned in the units written; the
caller converts percent to decimals.

Tokens are separated by spaces; commas are also accepted (any mix, repeats ignored). Each token
is one of:

* a **value**: a plain decimal number of 0 or more, e.g. ``4``, ``0.2``, ``27.5`` or ``1e-3``;
* a **segment**: a whole number of months N of 1 or more followed at once by ``R`` (ramp) or
  ``S`` (step), in either case, e.g. ``11R`` or ``10s``. A segment is always followed by a
  value V, its target.

In short: ``vector := value { value | segment value }``. The months are filled as follows, with
P the value of the month before:

* The first token is a value; it gives month 1.
* A bare value after a value gives the next month.
* ``N R V`` adds N months moving in equal linear steps from P to V: the k-th of them is
  ``P + (V - P) * k / N`` for k = 1 .. N, so the Nth equals V.
* ``N S V`` holds P for N more months, and V starts in the month after them (N + 1 months in
  all).
* After the last token the last value holds to month ``n_months``. Months beyond ``n_months`` are
  cut off, but the whole text is still checked.

Examples, written out month by month:

* ``"5 12R 20"``: 5 in month 1, 5 + 15k/12 in month 1 + k for k = 1 .. 12 (20 in month 13),
  then 20.
* ``"5 3S 10"``: 5 in months 1-4, then 10 from month 5 on.
* ``"4 11R 27 10S 50 4S 27"``: 4 in month 1, 4 + 23k/11 in month 1 + k for k = 1 .. 11 (27 in
  month 12), 27 in months 13-22, 50 in months 23-27, 27 from month 28 on: the subprime PPC of
  STANDARDS 2.1.
* ``"0.2 29R 6"``: 0.2 in month 1 rising by 0.2 a month to 6.0 in month 30, then 6.0: the
  100% PSA curve as CPR in percent (STANDARDS 1.3).

Errors raise `VectorSyntaxError`, one line naming the token, its 1-based position among the
tokens and what to write, e.g. ``token 3 '11X': expected a segment like '12R' (ramp) or '12S'
(step)``. Rejected: empty text, a first token that is not a value, a token that is neither a
value nor a segment, negative or non-finite values, a segment of 0 (or a fractional number of)
months, a segment with no value after it, and ``n_months`` below 1.

No vendor's (Intex, Bloomberg) definition of this grammar was found (STANDARDS 2.2), so the
endpoints above are this project's own rule, fixed by the tests against explicit month-by-month
expansions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from numbers import Real
from operator import index
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "VectorSyntaxError",
    "cdr_to_mdr",
    "cpr_to_smm",
    "mdr_to_cdr",
    "parse_vector",
    "psa_cpr",
    "sda_cdr",
    "smm_to_cpr",
    "to_monthly_vector",
]

_MONTHS_PER_YEAR = 12

# PSA (STANDARDS 1.3): +0.2% CPR a month up to month 30.
_PSA_CPR_PER_MONTH = 0.002
_PSA_RAMP_END_MONTH = 30

# SDA (STANDARDS 1.7), annual decimals at 100% SDA.
_SDA_CDR_PER_MONTH = 0.0002
_SDA_PEAK_START_MONTH = 30
_SDA_PEAK_END_MONTH = 60
_SDA_PEAK_CDR = 0.006
_SDA_DECLINE_PER_MONTH = 0.000095
_SDA_TAIL_START_MONTH = 120
_SDA_TAIL_CDR = 0.0003

_SEPARATORS = re.compile(r"[\s,]+")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SEGMENT_LIKE = re.compile(r"([+-]?[\d.]+(?:[eE][+-]?\d+)?)([A-Za-z]+)")
_SEGMENT_HINT = "a segment like '12R' (ramp) or '12S' (step)"


class VectorSyntaxError(ValueError):
    """A rate-vector string (or its month count) that cannot be expanded; one line of text."""


def _annual_to_monthly(
    rate: float | NDArray[np.float64], name: str
) -> float | NDArray[np.float64]:
    values = _checked_rates(rate, name)
    # -expm1(log1p(-x) / 12) is 1 - (1 - x)**(1/12) without the cancellation for small x.
    with np.errstate(divide="ignore"):
        monthly = -np.expm1(np.log1p(-values) / _MONTHS_PER_YEAR)
    return _like_input(monthly, rate)


def _monthly_to_annual(
    rate: float | NDArray[np.float64], name: str
) -> float | NDArray[np.float64]:
    values = _checked_rates(rate, name)
    with np.errstate(divide="ignore"):
        annual = -np.expm1(np.log1p(-values) * _MONTHS_PER_YEAR)
    return _like_input(annual, rate)


def _checked_rates(rate: float | NDArray[np.float64], name: str) -> NDArray[np.float64]:
    values = np.asarray(rate, dtype=np.float64)
    in_range = (values >= 0.0) & (values <= 1.0)
    if not np.all(in_range):
        bad = float(values[~in_range].flat[0]) if values.ndim else float(values)
        raise ValueError(f"{name} must be a decimal from 0 to 1, got {bad!r}; write 6% as 0.06")
    return values


def _like_input(
    result: NDArray[np.float64], rate: float | NDArray[np.float64]
) -> float | NDArray[np.float64]:
    if isinstance(rate, np.ndarray):
        return result
    if result.ndim == 0:
        return float(result)
    return result


@overload
def cpr_to_smm(cpr: float) -> float: ...
@overload
def cpr_to_smm(cpr: NDArray[np.float64]) -> NDArray[np.float64]: ...
def cpr_to_smm(cpr: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Convert an annual prepayment rate (CPR) to a single monthly mortality (SMM).

    Parameters
    ----------
    cpr : float or ndarray of float64
        Annual conditional prepayment rate, decimal in [0, 1].

    Returns
    -------
    float or ndarray of float64
        SMM, decimal, with the shape of `cpr` (a float for a float).

    Raises
    ------
    ValueError
        If a rate is outside [0, 1] or not a number.

    Notes
    -----
    ``smm = 1 - (1 - cpr) ** (1 / 12)`` (STANDARDS 1.3 and 2.1), evaluated as
    ``-expm1(log1p(-cpr) / 12)`` to keep full precision for small rates.
    """
    return _annual_to_monthly(cpr, "cpr")


@overload
def smm_to_cpr(smm: float) -> float: ...
@overload
def smm_to_cpr(smm: NDArray[np.float64]) -> NDArray[np.float64]: ...
def smm_to_cpr(smm: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Convert a single monthly mortality (SMM) to an annual prepayment rate (CPR).

    Parameters
    ----------
    smm : float or ndarray of float64
        Single monthly mortality, decimal in [0, 1].

    Returns
    -------
    float or ndarray of float64
        CPR, decimal, with the shape of `smm` (a float for a float).

    Raises
    ------
    ValueError
        If a rate is outside [0, 1] or not a number.

    Notes
    -----
    ``cpr = 1 - (1 - smm) ** 12`` (STANDARDS 1.3 and 2.1).
    """
    return _monthly_to_annual(smm, "smm")


@overload
def cdr_to_mdr(cdr: float) -> float: ...
@overload
def cdr_to_mdr(cdr: NDArray[np.float64]) -> NDArray[np.float64]: ...
def cdr_to_mdr(cdr: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Convert an annual default rate (CDR) to a monthly default rate (MDR).

    Parameters
    ----------
    cdr : float or ndarray of float64
        Annual constant default rate, decimal in [0, 1].

    Returns
    -------
    float or ndarray of float64
        MDR, decimal, with the shape of `cdr` (a float for a float).

    Raises
    ------
    ValueError
        If a rate is outside [0, 1] or not a number.

    Notes
    -----
    ``mdr = 1 - (1 - cdr) ** (1 / 12)`` (STANDARDS 1.7 and 2.1), evaluated as
    ``-expm1(log1p(-cdr) / 12)`` to keep full precision for small rates.
    """
    return _annual_to_monthly(cdr, "cdr")


@overload
def mdr_to_cdr(mdr: float) -> float: ...
@overload
def mdr_to_cdr(mdr: NDArray[np.float64]) -> NDArray[np.float64]: ...
def mdr_to_cdr(mdr: float | NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Convert a monthly default rate (MDR) to an annual default rate (CDR).

    Parameters
    ----------
    mdr : float or ndarray of float64
        Monthly default rate, decimal in [0, 1].

    Returns
    -------
    float or ndarray of float64
        CDR, decimal, with the shape of `mdr` (a float for a float).

    Raises
    ------
    ValueError
        If a rate is outside [0, 1] or not a number.

    Notes
    -----
    ``cdr = 1 - (1 - mdr) ** 12`` (STANDARDS 2.1).
    """
    return _monthly_to_annual(mdr, "mdr")


def _checked_speed(speed: float, name: str) -> float:
    if not (math.isfinite(speed) and speed >= 0.0):
        raise ValueError(f"{name} must be a finite speed in percent of 0 or more, got {speed!r}")
    return float(speed)


def _checked_months(month: NDArray[np.integer[Any]]) -> NDArray[np.int64]:
    months = np.asarray(month)
    if months.dtype.kind not in "iu":
        raise TypeError(f"month must hold whole month numbers, got dtype {months.dtype}")
    return months.astype(np.int64)


def psa_cpr(psa_percent: float, month: NDArray[np.integer[Any]]) -> NDArray[np.float64]:
    """Return the annual CPR of a PSA speed for each loan-age month.

    Parameters
    ----------
    psa_percent : float
        PSA speed in percent (100 = 100% PSA), 0 or more.
    month : ndarray of int
        Accrual month numbers MONTH (loan age at the end of the month), any shape.

    Returns
    -------
    ndarray of float64
        Annual CPR as a decimal, same shape as `month`.

    Raises
    ------
    ValueError
        If `psa_percent` is negative or not finite.
    TypeError
        If `month` does not hold integers.

    Notes
    -----
    ``CPR% = min(psa/100 * 0.2 * max(1, min(MONTH, 30)), 100)`` (STANDARDS 1.3, SF-5 ... SF-10).
    At 100% PSA: 0.2% CPR in month 1, +0.2% a month, 6% from month 30 on. Months below 1
    (loan age 0 after issue) count as month 1.
    """
    speed = _checked_speed(psa_percent, "psa_percent")
    months = np.clip(_checked_months(month), 1, _PSA_RAMP_END_MONTH)
    cpr = (speed / 100.0) * _PSA_CPR_PER_MONTH * months.astype(np.float64)
    return np.asarray(np.minimum(cpr, 1.0), dtype=np.float64)


def sda_cdr(
    sda_percent: float, month: NDArray[np.integer[Any]], final_month: int, lag_months: int
) -> NDArray[np.float64]:
    """Return the annual CDR of an SDA speed for each loan-age month.

    Parameters
    ----------
    sda_percent : float
        SDA speed in percent (100 = 100% SDA), 0 or more.
    month : ndarray of int
        Loan-age month numbers, any shape.
    final_month : int
        Loan-age month of the pool's scheduled final maturity, e.g. 360.
    lag_months : int
        Months from default to liquidation (L), 0 or more.

    Returns
    -------
    ndarray of float64
        Annual CDR as a decimal, same shape as `month`.

    Raises
    ------
    ValueError
        If `sda_percent` or `lag_months` is negative, or `sda_percent` is not finite.
    TypeError
        If `month` does not hold integers.

    Notes
    -----
    At 100% SDA (STANDARDS 1.7, SF-20 ... SF-22) the CDR is 0.02% x month for months 1-30,
    0.60% for months 30-60, 0.60% - 0.0095% x (month - 60) for months 61-120 (0.5905% in
    month 61, 0.03% in month 120) and 0.03% after; x% SDA is x/100 times that. The rate is 0
    in the last L months before final maturity, i.e. for months > ``final_month - lag_months``
    (both BMA tables: months 349-360 with L = 12). Months below 1 count as month 1, as in PSA.
    """
    speed = _checked_speed(sda_percent, "sda_percent")
    final = index(final_month)
    lag = index(lag_months)
    if lag < 0:
        raise ValueError(f"lag_months must be 0 or more, got {lag}")
    months = np.maximum(_checked_months(month), 1)
    age = months.astype(np.float64)
    cdr = np.where(
        months <= _SDA_PEAK_START_MONTH,
        _SDA_CDR_PER_MONTH * age,
        np.where(
            months <= _SDA_PEAK_END_MONTH,
            _SDA_PEAK_CDR,
            np.where(
                months <= _SDA_TAIL_START_MONTH,
                _SDA_PEAK_CDR - _SDA_DECLINE_PER_MONTH * (age - _SDA_PEAK_END_MONTH),
                _SDA_TAIL_CDR,
            ),
        ),
    )
    cdr = np.where(months > final - lag, 0.0, cdr * (speed / 100.0))
    return np.ascontiguousarray(cdr, dtype=np.float64)


def _checked_n_months(n_months: int) -> int:
    try:
        count = index(n_months)
    except TypeError:
        raise VectorSyntaxError(
            f"n_months must be a whole number of months, got {n_months!r}"
        ) from None
    if isinstance(n_months, bool) or count < 1:
        raise VectorSyntaxError(f"n_months must be 1 or more, got {n_months!r}")
    return count


def _parse_value(token: str, position: int) -> float:
    where = f"token {position} {token!r}"
    if _NUMBER.fullmatch(token) is None:
        try:
            value = float(token)
        except ValueError:
            value = 0.0
        if not math.isfinite(value):
            raise VectorSyntaxError(f"{where}: expected a finite number, e.g. '5' or '0.25'")
        raise VectorSyntaxError(
            f"{where}: expected a number such as '5' or '0.25', or {_SEGMENT_HINT}"
        )
    value = float(token)
    if not math.isfinite(value):
        raise VectorSyntaxError(f"{where}: expected a finite number, e.g. '5' or '0.25'")
    if value < 0.0:
        raise VectorSyntaxError(f"{where}: rates cannot be negative; write a value of 0 or more")
    return value + 0.0  # -0 becomes 0


def _parse_segment(token: str, position: int) -> tuple[str, int] | None:
    """Return (kind, months) if `token` is written like a segment, None if it is not."""
    match = _SEGMENT_LIKE.fullmatch(token)
    if match is None:
        return None
    count_text, letters = match.groups()
    where = f"token {position} {token!r}"
    kind = letters.upper()
    if kind not in ("R", "S"):
        raise VectorSyntaxError(f"{where}: expected {_SEGMENT_HINT}")
    if not count_text.isdigit() or int(count_text) < 1:
        raise VectorSyntaxError(
            f"{where}: a segment needs a whole number of months of 1 or more before "
            f"'{letters}', e.g. '12{letters}'"
        )
    return kind, int(count_text)


def _fill_ramp(
    out: NDArray[np.float64], start: int, n: int, previous: float, target: float
) -> None:
    """Write the visible part of an n-month ramp that starts at month index `start`."""
    stop = min(start + n, out.size)
    if stop <= start:
        return
    steps = np.arange(1, stop - start + 1, dtype=np.float64)
    ramp = previous + (target - previous) * (steps / n)
    # Clipping keeps the ramp monotone and inside its endpoints despite rounding; the
    # last month is the target exactly.
    np.clip(ramp, min(previous, target), max(previous, target), out=ramp)
    if start + n <= out.size:
        ramp[-1] = target
    out[start:stop] = ramp


def parse_vector(text: str, n_months: int) -> NDArray[np.float64]:
    """Expand a rate-vector string to one value per month.

    Parameters
    ----------
    text : str
        Vector in the grammar of the module docstring, e.g. ``"4 11R 27 10S 50"``.
    n_months : int
        Number of months to return, 1 or more.

    Returns
    -------
    ndarray of float64, shape (n_months,)
        Value for months 1 .. n_months, in the units written (C-contiguous).

    Raises
    ------
    VectorSyntaxError
        If the text breaks the grammar, holds a negative or non-finite value, or `n_months` is
        below 1. The message names the token and its 1-based position.

    Notes
    -----
    ``N R V`` ends on V in its Nth month; ``N S V`` holds the previous value N months and starts
    V in the month after them. The last value holds to the end. See the module docstring.
    """
    count = _checked_n_months(n_months)
    tokens = [token for token in _SEPARATORS.split(text) if token]
    if not tokens:
        raise VectorSyntaxError(
            f"empty vector {text!r}: write at least one value, e.g. '5' or '4 11R 27'"
        )
    out = np.empty(count, dtype=np.float64)
    first = tokens[0]
    if _parse_segment(first, 1) is not None:
        raise VectorSyntaxError(
            f"token 1 {first!r}: expected the value for month 1 before any segment, "
            f"e.g. '4 {first} 27'"
        )
    previous = _parse_value(first, 1)
    out[0] = previous
    month = 1  # months filled so far, counting those cut off beyond n_months
    position = 1
    while position < len(tokens):
        position += 1
        token = tokens[position - 1]
        segment = _parse_segment(token, position)
        if segment is None:
            value = _parse_value(token, position)
            if month < count:
                out[month] = value
            month += 1
            previous = value
            continue
        kind, n = segment
        if position == len(tokens):
            raise VectorSyntaxError(
                f"token {position} {token!r}: a segment needs a target value after it, "
                f"e.g. '{token} 20'"
            )
        position += 1
        target_token = tokens[position - 1]
        if _parse_segment(target_token, position) is not None:
            raise VectorSyntaxError(
                f"token {position} {target_token!r}: expected the target value of segment "
                f"{token!r} (token {position - 1}), got another segment; write e.g. "
                f"'{token} 20 {target_token}'"
            )
        target = _parse_value(target_token, position)
        if kind == "R":
            _fill_ramp(out, month, n, previous, target)
            month += n
        else:
            out[month : min(month + n, count)] = previous
            month += n
            if month < count:
                out[month] = target
            month += 1
        previous = target
    if month < count:
        out[month:] = previous
    return out


def to_monthly_vector(spec: float | str | Sequence[float], n_months: int) -> NDArray[np.float64]:
    """Turn a constant, a vector string or an explicit list into one value per month.

    Parameters
    ----------
    spec : float, str or sequence of float
        A constant for every month; a string in the vector grammar (module docstring); or an
        explicit list (or 1-D array) for months 1, 2, ..., extended with its last value or cut
        off at `n_months`.
    n_months : int
        Number of months to return, 1 or more.

    Returns
    -------
    ndarray of float64, shape (n_months,)
        A new C-contiguous array, in the units given.

    Raises
    ------
    VectorSyntaxError
        If a string breaks the grammar, or `n_months` is below 1.
    ValueError
        If a constant or list element is negative or not finite, or a list is empty or not
        one-dimensional, or `spec` is a boolean.
    """
    count = _checked_n_months(n_months)
    if isinstance(spec, str):
        return parse_vector(spec, count)
    if isinstance(spec, bool | np.bool_):
        raise ValueError(f"expected a number, a vector string or a list of numbers, got {spec!r}")
    if isinstance(spec, Real):
        values = np.array([float(spec)], dtype=np.float64)
    else:
        values = np.array(spec, dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"expected a non-empty flat list of numbers, got shape {values.shape}"
            )
    bad = np.flatnonzero(~(np.isfinite(values) & (values >= 0.0)))
    if bad.size:
        element = int(bad[0])
        raise ValueError(
            f"element {element + 1} of the vector is {float(values[element])!r}; "
            "rates must be finite and 0 or more"
        )
    out = np.empty(count, dtype=np.float64)
    shown = min(values.size, count)
    out[:shown] = values[:shown]
    out[shown:] = values[-1]
    return out
