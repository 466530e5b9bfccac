"""The edge of a threshold on a tolerance grid: where a rising quantity first leaves zero."""

from __future__ import annotations

import math
from collections.abc import Callable


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
    of ``tolerance``; the result is then moved down onto the grid and checked both ways:
    down while ``quantity`` is above the allowance, up while the next grid point is still
    within it. So ``quantity(x) <= allowance < quantity(x + tolerance)``.
    """
    if quantity(high) <= allowance:
        return high
    if quantity(low) > allowance:
        return None
    from scipy.optimize import brentq  # 0.2 s to import: only the solvers load it

    crossing = brentq(lambda x: quantity(x) - allowance, low, high, xtol=tolerance / 10.0)
    x = low + math.floor((crossing - low) / tolerance) * tolerance
    while x > low and quantity(x) > allowance:
        x -= tolerance
    while x + tolerance <= high and quantity(x + tolerance) <= allowance:
        x += tolerance  # the root can sit a grid step low when the rise is steep
    return round(x, 10)
