"""The text of a grid's CSV lines, written as bytes by one compiled loop over a block.

Formatting a block's metric cells one Python string at a time took about 16 us a scenario of
the main thread (six classes of eleven cells), time the compiled grid kernels need on a
two-core machine. Here each cell's decimal text is computed from the float's exact binary
value in integer arithmetic, into a buffer the caller allocated, with the GIL released.

The texts are ``report.stream``'s (and ``report.grid.grid_csv``'s), byte for byte:

* ``VALUE``: ``repr(round(v, 10))``. Where ``1e-4 <= |v| < 1e5`` that is ``v`` correctly
  rounded to 10 places (ties to even, as ``f"{v:.10f}"``), trailing zeros cut with one digit
  kept after the point (``report.stream.value_texts`` says why); either zero is ``0.0`` or
  ``-0.0``.
* ``DOLLARS``: ``f"{v:.2f}"`` with one trailing zero cut, where ``|v| < 1e13``; a value that
  rounds to no cents, of either sign, is ``0.0``.
* ``MONTH``: ``str(int(v))``.

NaN is an empty cell. Any other value (a tiny or large value, whose ``repr`` may have an
exponent or fewer digits; an infinity) is not written here: the block is reported as needing
the Python formatting, which knows every case.

Exact rounding (``_to_places``): a finite ``size > 0`` is ``m * 2**(e - 53)`` with a whole
``m < 2**53`` (``math.frexp``), so ``size * 10**places`` is ``m * 5**places / 2**shift`` with
``shift = 53 - e - places``. ``m * 5**10`` needs up to 77 bits: it is held as two base-2**32
limbs in int64 (below 2**46 and 2**32), so no step overflows and plain Python
(``NUMBA_DISABLE_JIT=1``) computes the same integers as the compiled kernel. In the ranges
written, ``shift`` is 26 to 56 (values) or 7 to 60 (dollars), so the remainder and the half it
is compared with fit in int64 too.
"""

from __future__ import annotations

import math

import numpy as np

from waterfall._jit import called_kernel, kernel
from waterfall._types import F64Array, I64Array, U8Array

VALUE = 0
"""A cell kind: a measure, ``repr(round(v, 10))``."""

DOLLARS = 1
"""A cell kind: dollars to the cent (the writedown)."""

MONTH = 2
"""A cell kind: a whole month number."""

NEEDS_PYTHON = -1
"""What ``write_csv_rows`` returns when a value is outside the ranges it writes."""

OUT_TOO_SMALL = -2
"""What ``write_csv_rows`` returns when ``out`` might not hold the next line (a caller's bug:
the kernel is compiled without bounds checks, so it checks the room a line needs itself)."""

MAX_CELL_BYTES = 20
"""The longest cell written: a month just inside int64 (``-9223372036854774784``). A value or
a dollar amount is at most 17 bytes (sign, 5 whole digits, point, 10 places; sign, 13 whole
digits, point, 2 places)."""

VALUE_PLACES = 10
DOLLAR_PLACES = 2
# the powers of five as constants: a power computed in a kernel compiles slowly
_VALUE_FIVES = 5**VALUE_PLACES
_DOLLAR_FIVES = 5**DOLLAR_PLACES

SMALLEST_VALUE = 1e-4  # below it (and from LARGEST_VALUE up) repr may write an exponent
LARGEST_VALUE = 1e5
LARGEST_DOLLARS = 1e13  # from here on a value to the cent may have a shorter repr
NO_CENTS = 2.0**-10  # below it a value rounds to no cents (and ``shift`` would pass 60)
LARGEST_MONTH = 2.0**63  # beyond int64

_LOW_BITS = (1 << 32) - 1

_POWERS_OF_TEN = np.array([10**n for n in range(19)], dtype=np.int64)
"""10**0 to 10**18: a whole part up to 2**63 has 19 digits (a month just inside int64)."""
_PAIRS = np.frombuffer("".join(f"{n:02d}" for n in range(100)).encode(), dtype=np.uint8)
"""The digits of 00 to 99, two bytes each."""

_ZERO = ord("0")
_POINT = ord(".")
_MINUS = ord("-")
_COMMA = ord(",")
_NEWLINE = ord("\n")


@kernel
def write_csv_rows(
    prefixes: U8Array,
    prefix_bounds: I64Array,
    names: U8Array,
    name_bounds: I64Array,
    cells: F64Array,
    kinds: I64Array,
    out: U8Array,
) -> int:
    """Write a block's CSV lines into ``out``; return the bytes written, ``NEEDS_PYTHON`` or
    ``OUT_TOO_SMALL``.

    Line ``scenario * n_classes + c`` is the scenario's prefix (its axis cells, already CSV
    text), a comma, class ``c``'s name cell, then a comma and the text of each of the
    line's ``cells`` (n_lines, n_cells) as ``kinds`` (n_cells,) says, and a newline. Prefix
    ``s`` is ``prefixes[prefix_bounds[s]:prefix_bounds[s + 1]]`` (UTF-8), name ``c`` likewise.
    ``out`` must hold every line with cells of ``MAX_CELL_BYTES``. Unless the bytes written
    are returned, ``out`` holds no block's text.

    One loop body with one call (``_to_places``), because compile time counts: with the
    sign, digits and point written by helper functions the kernel compiled in 0.86 s (each
    helper is optimized again in each caller), with them inlined at numba's IR level in
    1.2 s, written out once here in 0.5 s. A cell is ``[-]scaled / 10**places``, written
    with the trailing zeros of its places cut (one kept), so the three kinds share it.
    """
    n_classes = name_bounds.shape[0] - 1
    most_cell_bytes = kinds.shape[0] * (1 + MAX_CELL_BYTES) + 2  # the commas, the newline
    at = 0
    line = 0
    for scenario in range(prefix_bounds.shape[0] - 1):
        for name in range(n_classes):
            room = prefix_bounds[scenario + 1] - prefix_bounds[scenario] + most_cell_bytes
            if at + room + name_bounds[name + 1] - name_bounds[name] > out.shape[0]:
                return OUT_TOO_SMALL
            for position in range(prefix_bounds[scenario], prefix_bounds[scenario + 1]):
                out[at] = prefixes[position]
                at += 1
            out[at] = _COMMA
            at += 1
            for position in range(name_bounds[name], name_bounds[name + 1]):
                out[at] = names[position]
                at += 1
            for cell in range(kinds.shape[0]):
                out[at] = _COMMA
                at += 1
                value = cells[line, cell]
                if value != value:
                    continue  # NaN: an empty cell
                size = abs(value)
                is_negative = value < 0.0
                scaled = 0
                if kinds[cell] == VALUE:
                    places = VALUE_PLACES
                    if SMALLEST_VALUE <= size < LARGEST_VALUE:
                        scaled = _to_places(size, VALUE_PLACES, _VALUE_FIVES)
                    elif size == 0.0:
                        is_negative = math.copysign(1.0, value) < 0.0  # round keeps -0.0
                    else:
                        return NEEDS_PYTHON
                elif kinds[cell] == DOLLARS:
                    places = DOLLAR_PLACES
                    if NO_CENTS <= size < LARGEST_DOLLARS:
                        scaled = _to_places(size, DOLLAR_PLACES, _DOLLAR_FIVES)
                    elif not size < NO_CENTS:
                        return NEEDS_PYTHON
                    is_negative = is_negative and scaled > 0  # no cents is 0.0 either way
                else:
                    places = 0
                    if not size < LARGEST_MONTH:
                        return NEEDS_PYTHON  # an infinity, which Python's int refuses
                    scaled = math.floor(size)  # int(value) is toward zero
                    is_negative = is_negative and scaled > 0
                if is_negative:
                    out[at] = _MINUS
                    at += 1
                kept = places  # the places written: their trailing zeros are cut, one kept
                whole = scaled // _POWERS_OF_TEN[kept]
                fraction = scaled - whole * _POWERS_OF_TEN[kept]
                if fraction == 0:
                    kept = min(kept, 1)
                while kept > 1 and fraction % 10 == 0:
                    fraction //= 10
                    kept -= 1
                # the digits two at a time from a table, the whole part's count by comparisons:
                # each digit was a division waiting on the one before
                digits = 1
                while digits < _POWERS_OF_TEN.shape[0] and whole >= _POWERS_OF_TEN[digits]:
                    digits += 1
                at += digits
                position = at
                while whole >= 100:
                    pair = 2 * (whole % 100)
                    whole //= 100
                    out[position - 1] = _PAIRS[pair + 1]
                    out[position - 2] = _PAIRS[pair]
                    position -= 2
                if whole >= 10:
                    out[position - 1] = _PAIRS[2 * whole + 1]
                    out[position - 2] = _PAIRS[2 * whole]
                else:
                    out[position - 1] = _ZERO + whole
                if kept > 0:
                    out[at] = _POINT
                    at += 1 + kept
                    position = at
                    while position - at + kept >= 2:
                        pair = 2 * (fraction % 100)
                        fraction //= 100
                        out[position - 1] = _PAIRS[pair + 1]
                        out[position - 2] = _PAIRS[pair]
                        position -= 2
                    if position > at - kept:
                        out[position - 1] = _ZERO + fraction
            out[at] = _NEWLINE
            at += 1
            line += 1
    return at


@called_kernel
def _to_places(size: float, places: int, fives: int) -> int:
    """``size`` (finite, > 0) times ``10**places`` rounded to a whole number, ties to even, from
    its exact binary value (``fives`` is ``5**places``; the module notes give the ranges this
    holds for)."""
    fraction, exponent = math.frexp(size)  # size = fraction * 2**exponent, 0.5 <= fraction < 1
    mantissa = math.floor(fraction * 2.0**53)  # exact
    shift = 53 - exponent - places
    # mantissa * fives = high * 2**32 + low, with low < 2**32
    low = (mantissa & _LOW_BITS) * fives
    high = (mantissa >> 32) * fives + (low >> 32)
    low &= _LOW_BITS
    if shift >= 32:
        whole = high >> (shift - 32)
        rest = ((high & ((1 << (shift - 32)) - 1)) << 32) | low
    else:  # high << (32 - shift) is at most the result, so it does not overflow either
        whole = (high << (32 - shift)) | (low >> shift)
        rest = low & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and whole % 2 == 1):
        whole += 1
    return whole
