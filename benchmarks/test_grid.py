"""Grid speed: many scenarios in one compiled call, against one ``run`` per scenario, and
the same grid on 1 thread and on 2.

Run with ``pytest benchmarks``. Every benchmark calls its code once (or on a two-point grid)
before timing, so the numbers exclude numba compilation and thread-pool start-up. Compare
medians within one table (``group``) of one run, and quote the machine:

* ``grid-165``: the shipped investor grid (165 scenarios) through ``run_grid``, which also
  solves yield, discount margin and duration for every class, against the same 165
  scenarios as 165 ``run`` calls (cash flows only). Both rows time all 165 scenarios, so the
  ratio of their medians is the ratio per scenario.
* ``grid-threads``: ``run_grid`` on a 400-point grid with numba set to 1 thread, then 2.
* ``grid-kernel-threads``: the compiled scenario loop alone (``_run_block``: no curve
  tables) on the same grid, 1 thread then 2: the parallel part, where a false
  sharing of cache lines between the threads' scratch slabs would show as a slowdown.
"""

from __future__ import annotations

import itertools
import os
import platform
from pathlib import Path
from typing import Any

import numba
import pytest

from waterfall import load_deal, run
from waterfall.grid import GridPoint, load_grid
from waterfall.grid.run import _prepare, _run_block, run_grid, scenario_for
from waterfall.scenario import load_scenario

ROOT = Path(__file__).parents[1]
DEAL = load_deal(ROOT / "deals" / "2002-HE1.yaml")
BASE_SCENARIO = load_scenario(DEAL.default_scenario)
INVESTOR_GRID = load_grid(ROOT / "scenarios" / "investor-grid.yaml").points

LARGE_GRID = tuple(
    GridPoint(float(cpr), float(cdr), float(severity), lag, 1.8025)
    for cpr, cdr, severity, lag in itertools.product(
        range(5, 55, 5), range(0, 20, 2), (35, 55), (6, 12)
    )
)
"""400 points: 10 CPRs x 10 CDRs x 2 severities x 2 recovery lags."""

THREADS = (1, 2)


def _machine(benchmark: Any) -> None:
    benchmark.extra_info["machine"] = f"{platform.processor() or platform.machine()}"
    benchmark.extra_info["cpus"] = os.cpu_count()
    benchmark.extra_info["numba_threads"] = numba.get_num_threads()


def _single_runs(points: tuple[GridPoint, ...]) -> int:
    for point in points:
        run(DEAL, scenario_for(BASE_SCENARIO, point))
    return len(points)


def test_grid_165_run_grid(benchmark: Any) -> None:
    benchmark.group = "grid-165"
    _machine(benchmark)
    benchmark.extra_info["scenarios"] = len(INVESTOR_GRID)
    run_grid(DEAL, BASE_SCENARIO, INVESTOR_GRID)
    result = benchmark.pedantic(
        run_grid, args=(DEAL, BASE_SCENARIO, INVESTOR_GRID), rounds=5, iterations=1
    )
    assert result.metrics["yield"].shape == (165, len(result.class_names))


def test_grid_165_single_runs(benchmark: Any) -> None:
    benchmark.group = "grid-165"
    _machine(benchmark)
    benchmark.extra_info["scenarios"] = len(INVESTOR_GRID)
    _single_runs(INVESTOR_GRID[:1])
    n = benchmark.pedantic(_single_runs, args=(INVESTOR_GRID,), rounds=3, iterations=1)
    assert n == 165


@pytest.fixture(params=THREADS, ids=lambda k: f"{k}thread")
def threads(request: pytest.FixtureRequest) -> Any:
    """Set numba's thread count for one benchmark, and put it back after."""
    k: int = request.param
    if k > numba.config.NUMBA_NUM_THREADS:
        pytest.skip(f"numba has {numba.config.NUMBA_NUM_THREADS} thread(s) here")
    before = numba.get_num_threads()
    numba.set_num_threads(k)
    try:
        yield k
    finally:
        numba.set_num_threads(before)


def test_grid_400_threads(benchmark: Any, threads: int) -> None:
    benchmark.group = "grid-threads"
    _machine(benchmark)
    benchmark.extra_info["scenarios"] = len(LARGE_GRID)
    run_grid(DEAL, BASE_SCENARIO, LARGE_GRID[:2])
    result = benchmark.pedantic(
        run_grid, args=(DEAL, BASE_SCENARIO, LARGE_GRID), rounds=3, iterations=1
    )
    assert result.metrics["yield"].shape[0] == 400


def test_grid_400_kernel_threads(benchmark: Any, threads: int) -> None:
    benchmark.group = "grid-kernel-threads"
    _machine(benchmark)
    benchmark.extra_info["scenarios"] = len(LARGE_GRID)
    prep = _prepare(DEAL, BASE_SCENARIO, LARGE_GRID)
    _run_block(prep, DEAL, BASE_SCENARIO, slice(0, 2))
    out = benchmark.pedantic(
        _run_block, args=(prep, DEAL, BASE_SCENARIO, slice(0, 400)), rounds=3, iterations=1
    )
    assert out.pool_end.shape == (400,)
