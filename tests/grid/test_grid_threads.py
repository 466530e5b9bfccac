"""How a grid's blocks share this machine's threads.

Inside a block, the threads take scenarios from one counter (``kernels.claim.take``) until
none is left: each scenario must be taken exactly once, however the threads race for it.
Across blocks, a thread of their own runs them back to back (``grid.run._block_outs``):
the caller gets every block's results in order, a block's exception in its place, and
closing the results stops that thread after at most the blocks already under way.
"""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np
import pytest

from waterfall.grid.run import _block_outs
from waterfall.kernels.claim import take

TAKEN_AT_A_TIME = 1


@numba.njit(nogil=True)
def _take_all(counter: Any, times_taken: Any, stop: int) -> None:
    while True:
        first = take(counter, TAKEN_AT_A_TIME)
        if first >= stop:
            break
        for item in range(first, min(first + TAKEN_AT_A_TIME, stop)):
            times_taken[item] += 1


def test_racing_threads_take_every_item_exactly_once() -> None:
    # compiled, a take costs nanoseconds, so two threads racing through 2 million items
    # meet on the counter all the time: with a read and a write that are not one atomic
    # step, 0.03% to 1.2% of the items went to both threads in three runs here
    stop = 2_000_000 if numba.config.DISABLE_JIT == 0 else 20_000  # type: ignore[attr-defined]
    _take_all(np.zeros(1, dtype=np.int64), np.zeros(stop, dtype=np.int64), 10)  # compile
    counter = np.zeros(1, dtype=np.int64)
    taken = [np.zeros(stop, dtype=np.int64) for _ in range(2)]
    threads = [threading.Thread(target=_take_all, args=(counter, t, stop)) for t in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_array_equal(taken[0] + taken[1], np.ones(stop, dtype=np.int64))
    assert counter[0] >= stop


class _FakeRunner:
    """A block runner that records what it ran, and fails on one block if told to."""

    n_threads = 2

    def __init__(self, failing: int | None = None) -> None:
        self.ran: list[int] = []
        self.failing = failing

    def run(self, block: slice) -> Any:
        self.ran.append(block.start)
        if block.start == self.failing:
            raise ValueError(f"block at {block.start}")
        return ("results of", block.start)


BLOCKS = [slice(start, start + 10) for start in range(0, 200, 10)]


def test_blocks_come_back_in_order_from_their_own_thread() -> None:
    runner: Any = _FakeRunner()
    outs: Any = _block_outs(runner, BLOCKS)
    assert list(outs) == [("results of", b.start) for b in BLOCKS]
    assert runner.ran == [b.start for b in BLOCKS]


def test_a_failing_block_raises_in_its_place() -> None:
    runner: Any = _FakeRunner(failing=30)
    outs: Any = _block_outs(runner, BLOCKS)
    got = [next(outs), next(outs), next(outs)]
    assert got == [("results of", 0), ("results of", 10), ("results of", 20)]
    with pytest.raises(ValueError, match=r"^block at 30$"):
        next(outs)
    assert runner.ran == [0, 10, 20, 30]  # nothing after the failed block


def test_closing_the_results_stops_the_blocks_thread() -> None:
    runner: Any = _FakeRunner()
    outs: Any = _block_outs(runner, BLOCKS)
    assert next(outs) == ("results of", 0)
    outs.close()  # what the caller's Ctrl-C does, through grid_blocks
    assert not [t for t in threading.enumerate() if t.name == "waterfall-grid-blocks"]
    # the block handed over, one waiting for the caller, at most one more under way
    assert len(runner.ran) <= 3
