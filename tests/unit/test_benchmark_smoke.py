"""The benchmark command runs (tiny sizes) and writes a results table with every row; the
pieces profiler prints every piece."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def _count_instructions_module() -> Any:
    path = ROOT / "benchmarks" / "count_instructions.py"
    spec = importlib.util.spec_from_file_location("count_instructions", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_callgrind_counts_are_read_per_address(tmp_path: Path) -> None:
    # callgrind's compressed positions: absolute, relative (+/-) and "*" (the same); the
    # line after calls= is the callee's inclusive cost, not the caller's own
    text = (
        "positions: instr line\nevents: Ir\nfn=(1) 0x1000\n"
        "0x1000 0 5\n+4 * 7\n*  * 2\ncalls=3 0x2000 0\n+2 * 900\n+3 * 1\n-9 * 4\n"
        "fn=(2) 0x2000\n0x2000 0 300\n"
    )
    path = tmp_path / "callgrind.out"
    path.write_text(text)
    counts = _count_instructions_module().read_callgrind(path).by_address
    # by hand: 0x1000: 5; 0x1004: 7 + 2; the call line at 0x1006 skipped; 0x1009: 1;
    # 0x1000 again (-9): 4 more; 0x2000: 300
    assert counts == {0x1000: 9, 0x1004: 9, 0x1009: 1, 0x2000: 300}


def test_mangled_kernel_names_read_as_dotted_paths() -> None:
    short_name = _count_instructions_module().short_name
    mangled = "_ZN9waterfall7kernels8payments10run_monthsB3v22B50c8tJTIeFIjxExx"
    assert short_name(mangled) == "waterfall.kernels.payments.run_months"
    cpython = "_ZN7cpython9waterfall7kernels4grid9run_rangeB2v1B50c8tJTIeF"
    assert short_name(cpython) == "waterfall.kernels.grid.run_range"


def test_compiled_code_is_the_self_cost_of_the_unnamed_object(tmp_path: Path) -> None:
    # an object is named once ("ob=(2) ???", or first as a callee's "cob="), then by number;
    # a call's inclusive cost (the line after calls=) is not the caller's own
    text = (
        "positions: instr line\nevents: Ir\n"
        "ob=(1) /usr/lib/libc.so\nfn=(1) memset\n0x10 0 50\n"
        "cob=(2) ???\ncfn=(2) 0x9000\ncalls=1 0x9000 0\n0x11 0 700\n0x12 0 9\n"
        "ob=(2)\nfn=(2) 0x9000\n0x9000 0 30\ncfn=(1)\ncalls=2 0x10 0\n+2 * 400\n+2 * 12\n"
        "ob=(1)\nfn=(3) free\n0x20 0 8\n"
        "ob=(2)\nfn=(4) 0x9100\n0x9100 0 5\n"
    )
    path = tmp_path / "callgrind.out"
    path.write_text(text)
    # by hand: the ??? object's own lines are 30 + 12 + 5; libc's 50, 9 and 8 and the calls'
    # 700 and 400 are not counted
    assert _count_instructions_module().read_callgrind(path).compiled == 47


def test_objdump_line_table_names_each_instruction_source(tmp_path: Path) -> None:
    # objdump -d -l: a "file:line" line names the source of the instructions below it, up to
    # the next one; a function's label and blank lines name nothing
    source = tmp_path / "kernels.py"
    source.write_text("x = 1\n\ndef month():\n    a = 1\n    return a\n\ny = 2\n")
    listing = (
        "0000000000000000 <month>:\n"
        f"month():\n{source}:4\n   0:\tmov    %rdi,%rax\n   3:\tadd    $0x1,%rax\n\n"
        f"{source}:5\n   7:\tret\n"
        f"{source}:7\n   8:\tnop\n"
    )
    module = _count_instructions_module()
    table = module.line_table(listing)
    assert table == {0: (str(source), 4), 3: (str(source), 4), 7: (str(source), 5),
                     8: (str(source), 7)}  # fmt: skip
    assert module.enclosing_function(str(source), 5) == "kernels.py: month"
    assert module.enclosing_function(str(source), 7) == "kernels.py:7"
