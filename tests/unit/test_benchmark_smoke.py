"""The benchmark command runs (tiny sizes) and writes a results table with every row."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="times the compiled kernels"
)
def test_measure_quick_writes_every_row(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("measure", ROOT / "benchmarks" / "measure.py")
    assert spec is not None
    assert spec.loader is not None
    measure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(measure)
    out = tmp_path / "RESULTS.md"
    assert measure.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    for row in (
        "scenario kernel",
        "1 thread(s)",
        "2 thread(s)",
        "speed-up 1 -> 2 threads",
        "the fixed start",
        "grid of 1,000 scenarios",
        "the same 1,000 scenarios on 1 thread",
        "peak RSS",
        "first `waterfall run`",
        "warm `waterfall run`",
        "Load average before",
    ):
        assert row in text, row
