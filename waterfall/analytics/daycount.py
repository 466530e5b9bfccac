"""Day counts for accrued interest and yield: SIFMA 30/360 and money-market ACT/360.

Conventions: a period runs from ``start`` (counted) to ``end`` (not counted); an ``end``
before ``start`` counts 0 days, as the SIFMA 30/360 rule prescribes. Business days play no
part. Fractions are in years of 360 days.
"""

from __future__ import annotations

import calendar
from datetime import date

__all__ = [
    "days_30_360",
    "days_actual",
    "year_fraction_30_360",
    "year_fraction_act_360",
]

DAYS_PER_YEAR_360 = 360
"""Days in the year of both the 30/360 and the ACT/360 bases."""

DAYS_PER_MONTH_30 = 30
"""Days in every month on the 30/360 basis."""

_FEBRUARY = 2
_LAST_DAY_OF_LONG_MONTH = 31


def _is_last_day_of_february(day: date) -> bool:
    return day.month == _FEBRUARY and day.day == calendar.monthrange(day.year, _FEBRUARY)[1]


def days_30_360(start: date, end: date) -> int:
    """Count the days from ``start`` to ``end`` on the SIFMA 30/360 basis.

    Parameters
    ----------
    start : datetime.date
        First day of the period (counted), e.g. the first day of the accrual period.
    end : datetime.date
        Last day of the period (not counted), e.g. the settlement date.

    Returns
    -------
    int
        ``N = max(360 (Y2 - Y1) + 30 (M2 - M1) + (D2 - D1), 0)`` after the day adjustments
        below; 0 when ``end`` is on or before ``start``.

    Notes
    -----
    SIFMA Uniform Practices, Standard Formulas SF-44 (STANDARDS 1.9), applied in order:

    1. if ``M1 = 2`` and ``D1`` is the last day of February, set ``D1 = 30``;
    2. if ``D1 = 31``, set ``D1 = 30``;
    3. if ``D1 = 30`` (after steps 1-2) and ``D2 = 31``, set ``D2 = 30``.

    There is no end-of-February rule for ``D2``. This basis applies to accrued interest and
    yield of fixed-rate MBS.
    """
    day1 = start.day
    day2 = end.day
    if _is_last_day_of_february(start):
        day1 = DAYS_PER_MONTH_30
    if day1 == _LAST_DAY_OF_LONG_MONTH:
        day1 = DAYS_PER_MONTH_30
    if day1 == DAYS_PER_MONTH_30 and day2 == _LAST_DAY_OF_LONG_MONTH:
        day2 = DAYS_PER_MONTH_30
    days = (
        DAYS_PER_YEAR_360 * (end.year - start.year)
        + DAYS_PER_MONTH_30 * (end.month - start.month)
        + (day2 - day1)
    )
    return max(days, 0)


def year_fraction_30_360(start: date, end: date) -> float:
    """Return the SIFMA 30/360 year fraction from ``start`` to ``end``.

    Parameters
    ----------
    start : datetime.date
        First day of the period (counted).
    end : datetime.date
        Last day of the period (not counted).

    Returns
    -------
    float
        ``days_30_360(start, end) / 360``; 0.0 when ``end`` is on or before ``start``.

    Notes
    -----
    STANDARDS 1.9 and 1.10: accrued interest of fixed-rate MBS is
    ``face * coupon * N / 360`` with ``N`` the 30/360 days.
    """
    return days_30_360(start, end) / DAYS_PER_YEAR_360


def days_actual(start: date, end: date) -> int:
    """Count the actual calendar days from ``start`` to ``end``.

    Parameters
    ----------
    start : datetime.date
        First day of the period (counted).
    end : datetime.date
        Last day of the period (not counted).

    Returns
    -------
    int
        ``(end - start).days``, "first date in, last date out"; 0 when ``end`` is on or
        before ``start`` (the same floor as the SIFMA 30/360 rule).

    Notes
    -----
    STANDARDS 1.9 and 2.6: the money-market count used by floating-rate classes.
    """
    return max((end - start).days, 0)


def year_fraction_act_360(start: date, end: date) -> float:
    """Return the money-market ACT/360 year fraction from ``start`` to ``end``.

    Parameters
    ----------
    start : datetime.date
        First day of the period (counted), e.g. the previous distribution date.
    end : datetime.date
        Last day of the period (not counted), e.g. the current distribution date.

    Returns
    -------
    float
        ``days_actual(start, end) / 360``; 0.0 when ``end`` is on or before ``start``.

    Notes
    -----
    STANDARDS 2.6: floating-rate certificates accrue index + margin on this basis over the
    accrual period; STANDARDS 1.12 uses these fractions as the ``tau`` of the discount
    margin.
    """
    return days_actual(start, end) / DAYS_PER_YEAR_360
