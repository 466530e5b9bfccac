"""A bounds-checked run never loads kernels compiled without the checks (numba's cache does
not tell them apart)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CALL = """
import numpy as np
from waterfall.kernels.metrics import yield_of
try:
    yield_of(np.ones(50), np.array([30, 60], dtype=np.int64), 50.0)  # days too short
    print("unchecked")
except IndexError:
    print("checked")
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
        return done.stdout.strip()

    assert call() == "unchecked"  # fills the cache without bounds checks
    assert call(NUMBA_BOUNDSCHECK="1") == "checked"
