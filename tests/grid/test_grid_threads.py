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


def _race(stop: int) -> tuple[Any, Any]:
    """Two threads, started together, take ``range(stop)`` from one counter; return how
    many times each item was taken, and the counter."""
    counter = np.zeros(1, dtype=np.int64)
    taken = [np.zeros(stop, dtype=np.int64) for _ in range(2)]
    together = threading.Barrier(2)

    def take_all(times_taken: Any) -> None:
        together.wait()
        _take_all(counter, times_taken, stop)

    threads = [threading.Thread(target=take_all, args=(t,)) for t in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return taken[0] + taken[1], counter


def test_racing_threads_take_every_item_exactly_once() -> None:
    # compiled, a take costs nanoseconds, so two threads racing through 2 million items
    # meet on the counter all the time: with a read and a write that are not one atomic
    # step, from 1 to 26,000 items went to both threads in a race here, and now and then
    # none, so the race is run ten times
    stop = 2_000_000 if numba.config.DISABLE_JIT == 0 else 20_000  # type: ignore[attr-defined]
    _take_all(np.zeros(1, dtype=np.int64), np.zeros(stop, dtype=np.int64), 10)  # compile
    for _ in range(10):
        times_taken, counter = _race(stop)
        np.testing.assert_array_equal(times_taken, np.ones(stop, dtype=np.int64))
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


def _block_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "waterfall-grid-blocks"}


def test_closing_the_results_stops_the_blocks_thread() -> None:
    before = _block_threads()  # (another test's, not yet collected, would not be this one)
    runner: Any = _FakeRunner()
    outs: Any = _block_outs(runner, BLOCKS)
    assert next(outs) == ("results of", 0)
    assert _block_threads() - before  # running
    outs.close()  # what the caller's Ctrl-C does, through grid_blocks
    assert not _block_threads() - before
    # the block handed over, one waiting for the caller, at most one more under way
    assert len(runner.ran) <= 3
