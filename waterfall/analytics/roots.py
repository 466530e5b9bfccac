"""The edge of a threshold on a tolerance grid: where a rising quantity first leaves zero."""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy.optimize import brentq


def last_within(
    quantity: Callable[[float], float],
    low: float,
    high: float,
    tolerance: float,
    allowance: float,
) -> float | None:
    """Largest ``x`` on the grid ``low + k * tolerance`` with ``quantity(x) <= allowance``.

    ``quantity`` must be non-decreasing and continuous above its threshold (a class's
    write-down as the default rate rises). Returns ``high`` when ``quantity(high)`` is
    still within the allowance, and None when ``quantity(low)`` already exceeds it.

    Notes
    -----
    ``scipy.optimize.brentq`` finds where ``quantity - allowance`` crosses zero to a tenth
    of ``tolerance``; the result is then moved down onto the grid and checked, stepping
    down while ``quantity`` is above the allowance (a flat stretch can fool the root).
    """
    if quantity(high) <= allowance:
        return high
    if quantity(low) > allowance:
        return None
    crossing = brentq(lambda x: quantity(x) - allowance, low, high, xtol=tolerance / 10.0)
    x = low + math.floor((crossing - low) / tolerance) * tolerance
    while x > low and quantity(x) > allowance:
        x -= tolerance
    return round(x, 10)
