"""Weighted average life and principal window of a tranche's principal payments.

Conventions: principal amounts are in currency units, one entry per distribution (month);
times are in years from settlement to the actual receipt of each payment (delay included),
as SIFMA measures average life (STANDARDS 1.11). Prospectus decrement tables measure from
the closing date to each distribution date instead; the caller chooses by the times it
passes (STANDARDS 2.5).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from waterfall._types import F64Array
from waterfall.kernels.metrics import PRINCIPAL_THRESHOLD  # one definition, kernels too

__all__ = ["PRINCIPAL_THRESHOLD", "principal_window", "wal_years"]


def _principal_vector(principal: ArrayLike) -> F64Array:
    values = np.asarray(principal, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"principal must be one-dimensional, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("principal must be finite; it contains NaN or infinity")
    if np.any(values < 0.0):
        first = int(np.flatnonzero(values < 0.0)[0])
        raise ValueError(
            f"principal must not be negative; month {first + 1} has {float(values[first])!r} "
            "(a writedown is a loss, not a principal payment)"
        )
    return values


def wal_years(principal: ArrayLike, times_years: ArrayLike) -> float:
    """Return the weighted average life of principal payments, in years.

    Parameters
    ----------
    principal : array_like of float, shape (n_months,)
        Principal paid to the tranche at each distribution, currency units, non-negative.
    times_years : array_like of float, shape (n_months,)
        Years from settlement to the actual receipt of each payment (delay included).

    Returns
    -------
    float
        ``sum(t * P) / sum(P)``; 0.0 when no principal is paid (every entry is zero).

    Raises
    ------
    ValueError
        If the arrays are not one-dimensional of the same length, are not finite, or a
        principal payment is negative.

    Notes
    -----
    SIFMA SF-49 (STANDARDS 1.11): average life ``= sum T_k PR_k / sum PR_k``.
    """
    amounts = _principal_vector(principal)
    times = np.asarray(times_years, dtype=np.float64)
    if times.shape != amounts.shape:
        raise ValueError(
            f"times_years has shape {times.shape} but principal has shape {amounts.shape}; "
            "give one time per payment"
        )
    if not np.all(np.isfinite(times)):
        raise ValueError("times_years must be finite; it contains NaN or infinity")
    total = float(amounts.sum())
    if total == 0.0:
        return 0.0
    return float(times @ amounts) / total


def principal_window(principal: ArrayLike) -> tuple[int, int]:
    """Return the first and last months in which principal is paid.

    Parameters
    ----------
    principal : array_like of float, shape (n_months,)
        Principal paid to the tranche at each distribution, currency units, non-negative;
        entry 0 is month 1.

    Returns
    -------
    tuple of (int, int)
        1-based ``(first, last)`` months with principal above ``PRINCIPAL_THRESHOLD``
        (half a cent); ``(0, 0)`` when there is none.

    Raises
    ------
    ValueError
        If ``principal`` is not one-dimensional, not finite, or has a negative entry.

    Notes
    -----
    The principal window is the column of price/yield tables described in STANDARDS 2.5.
    The threshold keeps rounding residue from extending the window.
    """
    amounts = _principal_vector(principal)
    paying = np.flatnonzero(amounts > PRINCIPAL_THRESHOLD)
    if paying.size == 0:
        return (0, 0)
    return (int(paying[0]) + 1, int(paying[-1]) + 1)
