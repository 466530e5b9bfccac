"""A counter the threads of one grid block share, to take its scenarios as they come free.

A block split between its threads in advance (every other scenario to each of two) ends
when the slower share ends, and the shares are rarely equal: scenarios cost from 20 to 341
months, and while the block runs the caller's thread writes the previous block's rows on
one of the same two cores. Measured on 2002-HE1's 100,000-scenario grid (2 threads, 98
blocks), the faster thread waited 0.63 s in all for the slower. Taking a few scenarios at
a time from a shared counter, each thread runs until the block is done.

The counter is read and advanced in one atomic instruction (``lock xadd``), so the
threads need neither the GIL nor a lock; which thread runs a scenario changes nothing in
its results: every scenario starts from zeroed or fully rewritten scratch, but for the
collateral balances a slab keeps for the next scenario of the same prepayment, default and
lag rows (``grid._run_one``), which are then the same bits.
"""

from __future__ import annotations

import threading
from typing import Any

import numba
from numba import types
from numba.extending import intrinsic

from waterfall._types import I64Array


@intrinsic
def _take(typingctx: Any, counter: Any, count: Any) -> Any:
    """``counter[0]`` before adding ``count`` to it, atomically."""
    if not (
        isinstance(counter, types.Array)
        and counter.ndim == 1
        and counter.dtype == types.int64
        and counter.mutable
        and isinstance(count, types.Integer)
    ):
        return None  # numba then reports no matching signature

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        array = context.make_array(signature.args[0])(context, builder, args[0])
        amount = context.cast(builder, args[1], signature.args[1], types.int64)
        # "monotonic": the count alone must be atomic; the threads' results are seen by
        # the caller after it joins them, which orders everything else
        return builder.atomic_rmw("add", array.data, amount, "monotonic")

    return types.int64(counter, count), codegen


_PYTHON_LOCK = threading.Lock()


def _take_python(counter: I64Array, count: int) -> int:
    with _PYTHON_LOCK:  # as plain Python two threads could read the same value
        taken = int(counter[0])
        counter[0] = taken + count
    return taken


take: Any = _take_python if numba.config.DISABLE_JIT else _take  # type: ignore[attr-defined]
"""``take(counter, count)``: the first of the next ``count`` items, counted in
``counter[0]`` (an int64 array shared by the threads), which it advances by ``count`` in one
atomic step. A lock-guarded read and write as plain Python (``NUMBA_DISABLE_JIT=1``)."""
