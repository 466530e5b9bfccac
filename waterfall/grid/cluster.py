"""The same grid on a Dask cluster: blocks of scenarios sent to the workers, joined in order.

Each worker runs ``run_grid`` on its block (numba threads inside the worker), so a block's
results are the local run's bit for bit; blocks come back in grid order. Dask is an
optional extra (``pip install 'rmbs-waterfall[dask]'``); nothing here imports it until a cluster
is asked for.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping, Sequence

from waterfall.deal.model import Deal
from waterfall.grid.run import BLOCK_SIZE, GridResult, concatenate, run_grid
from waterfall.grid.spec import GridPoint
from waterfall.scenario.model import Scenario

MISSING_MESSAGE = "--scheduler needs dask: pip install 'rmbs-waterfall[dask]'"


class ClusterUnavailable(Exception):  # noqa: N818  (a condition, not a bug)
    """Dask is not installed, or the scheduler cannot be reached."""


def _run_block(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    price: float,
    by_class: Mapping[str, float],
    with_other_horizon: bool,
) -> GridResult:
    return run_grid(
        deal, base, points, price, by_class=by_class, with_other_horizon=with_other_horizon
    )


def _check_reachable(address: str, timeout_seconds: float) -> None:
    """Fail at once on a refused TCP address (the Dask client would retry until timeout)."""
    match = re.fullmatch(r"(?:tcp://)?([^:/]+):(\d+)", address)
    if not match:
        return  # another protocol (inproc://, tls://): let the client judge it
    try:
        socket.create_connection((match[1], int(match[2])), timeout=timeout_seconds).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise ClusterUnavailable(
            f"--scheduler {address}: cannot reach the scheduler ({reason})"
        ) from None


def run_grid_on_cluster(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    price: float,
    address: str,
    *,
    by_class: Mapping[str, float] | None = None,
    block_size: int = BLOCK_SIZE,
    progress: Callable[[int, int], None] | None = None,
    timeout_seconds: float = 30.0,
    with_other_horizon: bool = False,
) -> GridResult:
    """Run a grid on the Dask scheduler at ``address``, ``block_size`` scenarios a task.

    Raises
    ------
    ClusterUnavailable
        When dask.distributed is not installed or the scheduler does not answer.
    """
    try:
        from distributed import (  # optional extra: imported only when asked for
            Client,
            as_completed,
        )
    except ImportError:
        raise ClusterUnavailable(MISSING_MESSAGE) from None
    if not re.fullmatch(r"(?:(?:tcp|tls)://)?[^:/\s]+:\d+|inproc://\S+", address):
        raise ClusterUnavailable(
            f"--scheduler {address}: expected a scheduler address like tcp://host:8786"
        )
    _check_reachable(address, timeout_seconds)
    try:
        client = Client(address, timeout=timeout_seconds)
    except Exception as error:  # distributed raises many kinds; each is one line here
        raise ClusterUnavailable(
            f"--scheduler {address}: cannot reach the scheduler ({error})"
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout_seconds)
        except TimeoutError:
            raise ClusterUnavailable(
                f"--scheduler {address}: the scheduler has no workers "
                f"(waited {timeout_seconds:g} s)"
            ) from None
        blocks = [points[i : i + block_size] for i in range(0, len(points), block_size)]
        futures = [
            client.submit(
                _run_block,
                deal,
                base,
                block,
                price,
                dict(by_class or {}),
                with_other_horizon,
                pure=False,
            )
            for block in blocks
        ]
        done = 0
        for future in as_completed(futures):
            done += len(blocks[futures.index(future)])
            if progress is not None:
                progress(done, len(points))
        parts = client.gather(futures)
    return concatenate(parts)
