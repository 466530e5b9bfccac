"""Hypothesis profiles loaded once for the whole suite (STYLE C8)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from waterfall import BASE, load_deal, run
from waterfall.engine import kernels_need_compiling
from waterfall.grid import GridPoint
from waterfall.grid.run import grid_kernel_needs_compiling, run_grid

TWO_CLASS = Path(__file__).resolve().parents[1] / "deals" / "two-class.yaml"

_SLOW_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large]
# The first example pays for numba compilation, so no deadline. Without the JIT every run is
# plain Python: fewer examples keep that pass of the suite within minutes.
_EXAMPLES = 15 if os.environ.get("NUMBA_DISABLE_JIT") == "1" else None

settings.register_profile(
    "dev", max_examples=_EXAMPLES or 40, deadline=None, suppress_health_check=_SLOW_CHECKS
)
settings.register_profile(
    "ci",
    max_examples=_EXAMPLES or 150,
    deadline=None,
    derandomize=True,
    suppress_health_check=_SLOW_CHECKS,
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the kernels once before any test, so that a cold cache's one-line notice
    ("compiling the kernels (first run only)...") does not land in a test that checks the
    command's stderr is empty. The first test would pay the compile anyway."""
    if kernels_need_compiling():
        run(load_deal(TWO_CLASS), dataclasses.replace(BASE, months=2))
    if grid_kernel_needs_compiling():
        run_grid(load_deal(TWO_CLASS), BASE, (GridPoint(cpr=10.0),), 100.0)
