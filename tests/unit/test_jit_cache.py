"""A bounds-checked run never loads kernels compiled without the checks (numba's cache does
not tell them apart)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# ``days`` is too short for the flows, but a view of a longer array: the kernel compiled
# without checks reads on into the parent's days (defined memory, a finite yield), where
# reading past the end of an array of its own was undefined, and once raised on CI
CALL = """
import numpy as np
from waterfall.kernels.metrics import yield_of
days = np.arange(30, 30 * 51, 30, dtype=np.int64)[:2]
try:
    yield_of(np.ones(50), days, 50.0)
    print("unchecked")
except IndexError:
    print("checked")
print(sum(yield_of.stats.cache_hits.values()))
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_boundscheck_runs_compile_their_own_kernels(tmp_path: Path) -> None:
    def call(**env: str) -> str:
        environment = {**os.environ, "WATERFALL_CACHE_DIR": str(tmp_path), **env}
        environment.pop("NUMBA_BOUNDSCHECK", None)
        environment.update(env)
        done = subprocess.run(
            [sys.executable, "-c", CALL], env=environment, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        return " ".join(done.stdout.split())

    assert call() == "unchecked 0"  # fills the cache without bounds checks
    assert call(NUMBA_BOUNDSCHECK="1") == "checked 0"  # compiled
    # loaded from the cache without numba's registry refresh (``_jit._KernelCache``), the
    # kernel still raises its error into Python
    assert call(NUMBA_BOUNDSCHECK="1") == "checked 1"


SHARED_MONTHS = """
from waterfall import load_deal
from waterfall.engine import run
from waterfall.grid import GridPoint
from waterfall.grid.run import run_grid
from waterfall.kernels.payments import run_months
from waterfall.scenario import load_scenario
deal = load_deal("deals/2002-HE1.yaml")
base = load_scenario(deal.default_scenario)
run(deal, base)
run_grid(deal, base, [GridPoint(20.0, 0.0, 50.0, 12, None)], with_other_horizon=True)
print(len(run_months.overloads))
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_a_single_run_and_the_grid_share_one_compiled_month(tmp_path: Path) -> None:
    # the month body is most of the first run's compile (about 13 s); an argument numba
    # types differently at a call (its literal 0 against an int64) compiles it again, and
    # the first grid took 20 s more. Both callers must reach the same specialization.
    environment = {**os.environ, "WATERFALL_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SHARED_MONTHS], env=environment, capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[2], check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["1"]
