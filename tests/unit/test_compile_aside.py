"""A first ``waterfall run`` compiles the investor measures in a helper process
(``_jit.compile_aside``) while it compiles the month body, and loads them from the cache;
no helper outlives the command, whether it ends, is interrupted or is killed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from waterfall import _jit

REPO = Path(__file__).resolve().parents[2]

FIRST_RUN = """
from waterfall.cli import main
from waterfall.kernels import metrics
code = main(["run", "deals/2002-HE1.yaml", "--cpr", "30"])
for name in ("wal_of", "window_of", "yield_of", "margin_of", "duration_of"):
    stats = getattr(metrics, name).stats
    print(name, sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="compiled kernels only")
def test_a_first_run_loads_the_measures_its_helper_compiled(tmp_path: Path) -> None:
    # a hit means the kernel came from the cache the helper filled, for the very argument
    # types the run passes (a helper compiling other types would leave misses here)
    environment = {**os.environ, "WATERFALL_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_RUN], env=environment, capture_output=True, text=True,
        cwd=REPO, check=True,
    )  # fmt: skip
    assert "compiling the kernels" in done.stderr
    counts = [line.split() for line in done.stdout.splitlines()[-5:]]
    assert counts == [
        [name, "1", "0"]
        for name in ("wal_of", "window_of", "yield_of", "margin_of", "duration_of")
    ]


def test_await_aside_waits_for_the_helper(tmp_path: Path) -> None:
    marker = tmp_path / "done"
    _jit.compile_aside(f"import time; time.sleep(0.5); open({str(marker)!r}, 'w').close()")
    _jit.await_aside()
    assert marker.exists()
    _jit.await_aside()  # nothing left to wait for


def test_an_interrupted_wait_leaves_the_helper_to_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    _jit.compile_aside("import time; time.sleep(60)")
    helper = _jit._HELPERS[-1]

    def interrupted(timeout: float | None = None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(helper, "wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _jit.await_aside()
    monkeypatch.undo()
    _jit.stop_aside()  # what the command's finally does
    assert helper.poll() is not None


def test_a_helper_that_cannot_start_is_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    _jit.compile_aside("pass")
    assert not _jit._HELPERS


def test_a_command_that_measures_nothing_starts_no_helper(tmp_path: Path) -> None:
    # pool projects the collateral only: a helper would be killed unfinished at its end
    code = (
        "from waterfall import _jit\n"
        "started = []\n"
        "_jit.compile_aside = started.append\n"
        "import waterfall.cli as cli\n"
        "cli.compile_aside = started.append\n"
        "cli.main(['pool', '--balance', '1e6', '--wac', '8', '--term', '360'])\n"
        "print(len(started))\n"
    )
    environment = {**os.environ, "WATERFALL_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True,
        cwd=REPO, check=True,
    )  # fmt: skip
    assert done.stdout.split()[-1] == "0"


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_a_helper_ends_when_its_command_is_killed(tmp_path: Path) -> None:
    # os._exit skips stop_aside, as SIGKILL or SIGTERM would
    code = (
        "import os\n"
        "from waterfall import _jit\n"
        "_jit.compile_aside('import time; time.sleep(60)')\n"
        "print(_jit._HELPERS[-1].pid, flush=True)\n"
        "import time; time.sleep(2)\n"  # the helper is up and has asked to end with us
        "os._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    status = Path(f"/proc/{int(done.stdout.split()[-1])}/status")
    deadline = time.perf_counter() + 10.0
    while status.exists() and "State:\tZ" not in status.read_text():
        assert time.perf_counter() < deadline, "the helper outlived its command"
        time.sleep(0.05)


def test_stop_aside_leaves_no_helper_running() -> None:
    _jit.compile_aside("import time; time.sleep(60)")
    helper = _jit._HELPERS[-1]
    started = time.perf_counter()
    _jit.stop_aside()
    assert helper.poll() is not None
    assert time.perf_counter() - started < 30.0
    assert not _jit._HELPERS
