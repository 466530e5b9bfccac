"""Investor analytics on cash flows: day counts, yield, duration, convexity, WAL, DM.

Everything here works on plain arrays of cash flows and times; nothing imports the engine
(STYLE C2). Rates are annual decimals, times are years from settlement to actual receipt,
and prices are dirty, in currency units (STANDARDS 1.9 ... 1.12, 2.4 ... 2.6).
"""

from __future__ import annotations

from waterfall.analytics.daycount import (
    days_30_360,
    days_actual,
    year_fraction_30_360,
    year_fraction_act_360,
)
from waterfall.analytics.life import principal_window, wal_years
from waterfall.analytics.yield_ import (
    accrued_interest,
    bey_from_mortgage_yield,
    convexity,
    discount_margin,
    macaulay_duration,
    modified_duration,
    mortgage_yield_from_bey,
    price_from_discount_margin,
    price_from_yield,
    yield_from_price,
)

__all__ = [
    "accrued_interest",
    "bey_from_mortgage_yield",
    "convexity",
    "days_30_360",
    "days_actual",
    "discount_margin",
    "macaulay_duration",
    "modified_duration",
    "mortgage_yield_from_bey",
    "price_from_discount_margin",
    "price_from_yield",
    "principal_window",
    "wal_years",
    "year_fraction_30_360",
    "year_fraction_act_360",
    "yield_from_price",
]
