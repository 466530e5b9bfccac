"""Scratch arrays on a kernel's own stack, for the month loop's per-month state.

An array a kernel's caller passed in may share memory with any other such array as far as
the compiler knows, so after every store into one (a payment into ``out``) the month loop
must read the collection accounts and the status flags back from memory, and cannot keep
a value it computed from them. An array on the kernel's own stack shares memory with
nothing passed in. The month loop's accounts, status, interest owed and per-step scratch
live there (``payments.run_months``): 2002-HE1's grid kernel went from 103.2 to 100.2 us
a scenario without metrics (135.5 -> 133.1 with every metric, both horizons), the same
bits. Keeping the balances carried between months there too gained nothing more.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from waterfall._types import F64Array

MAX_STACK_TRANCHES = 64
"""Tranches a stack array holds; a deal with more keeps that scratch in its workspace."""


@intrinsic
def _stack_zeros(typingctx: Any, size: Any) -> Any:
    """``size`` float64 zeros in the caller's entry block (one ``alloca``, not one a call)."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    count = int(size.literal_value)
    array_type = types.Array(types.float64, 1, "C")

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        element = context.get_value_type(types.float64)
        data = cgutils.alloca_once(builder, element, size=count)  # type: ignore[no-untyped-call]
        itemsize = context.get_abi_sizeof(element)
        intp = context.get_value_type(types.intp)
        cgutils.memset(builder, data, intp(count * itemsize), 0)  # type: ignore[no-untyped-call]
        array = context.make_array(array_type)(context, builder)
        context.populate_array(
            array,
            data=data,
            shape=[intp(count)],
            strides=[intp(itemsize)],
            itemsize=intp(itemsize),
            meminfo=None,
        )
        return array._getvalue()

    return array_type(size), codegen


def _zeros(size: int) -> F64Array:
    return np.zeros(size)


stack_zeros: Any = _zeros if numba.config.DISABLE_JIT else _stack_zeros  # type: ignore[attr-defined]
"""``stack_zeros(size)``: a float64 array of ``size`` zeros on the calling kernel's stack
(``size`` a constant; one ``alloca`` in the kernel's entry block, not one per call). It
lives until that kernel returns, so only a kernel's own body (or an ``inline_kernel``
inlined into it) may call it, and the array must never be returned. ``np.zeros`` as plain
Python (``NUMBA_DISABLE_JIT=1``)."""
