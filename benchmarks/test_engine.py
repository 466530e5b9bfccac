"""Engine speed: one deal x one scenario, and the compile-excluded collateral kernel alone.

Run with ``pytest benchmarks``; each benchmark calls the code once before timing, so the
numbers exclude numba compilation. Compare medians within one run and quote the machine.
"""

from __future__ import annotations

import dataclasses
import os
import platform
from pathlib import Path
from typing import Any

from waterfall import BASE, load_deal, run
from waterfall.deal.model import CollateralGroup
from waterfall.engine import project_pool
from waterfall.scenario import Curve

DEAL = load_deal(Path(__file__).parents[1] / "deals" / "2002-HE1.yaml")
SCENARIO = dataclasses.replace(
    BASE,
    prepayment=Curve("cpr", 30.0),
    default=Curve("cdr", 5.0),
    severity=Curve("severity", 45.0),
    recovery_lag_months=12,
)


def _machine(benchmark: Any) -> None:
    benchmark.extra_info["machine"] = f"{platform.processor() or platform.machine()}"
    benchmark.extra_info["cpus"] = os.cpu_count()


def test_run_2002_he1_one_scenario(benchmark: Any) -> None:
    _machine(benchmark)
    run(DEAL, SCENARIO)
    result = benchmark(run, DEAL, SCENARIO)
    assert result.n_months == 341


def test_project_one_pool_360_months(benchmark: Any) -> None:
    _machine(benchmark)
    group = CollateralGroup("pool", 1e8, 0.08, 360, 0)
    project_pool(group, SCENARIO)
    out = benchmark(project_pool, group, SCENARIO)
    assert out.performing_balance.shape == (360, 1)
