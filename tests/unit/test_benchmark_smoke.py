"""The benchmark command runs (tiny sizes) and writes a results table with every row; the
pieces profiler prints every piece."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
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


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="times the compiled kernels"
)
def test_profile_pieces_prints_every_piece() -> None:
    script = ROOT / "benchmarks" / "profile_pieces.py"
    done = subprocess.run(
        [sys.executable, str(script), "--scenarios", "2", "--repeats", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()[1:]
    names = [line.split(" us  ", 1)[1] for line in lines]
    for piece in (
        "collateral (project_collateral), per call",
        "waterfall (apply_waterfall), per call",
        "grid kernel (_run_block, 2 scenarios, 1 thread), per scenario",
        "a month after the 100th, 90 CPR 5 CDR (bonds paid off; best of 30 runs)",
        "a month after the 100th, 5 CPR 5 CDR (bonds with balances; best of 30 runs)",
    ):
        assert piece in names, piece
    assert all(float(line.split(" us  ", 1)[0]) > 0.0 for line in lines)
