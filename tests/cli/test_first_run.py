"""The package's name, version and the first run's compile notice."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from waterfall import cli
from waterfall.cli import DISTRIBUTION, main

REPO = Path(__file__).resolve().parents[2]
IS_COMPILED = os.environ.get("NUMBA_DISABLE_JIT", "0") != "1"
NOTICE = "waterfall run: compiling the kernels (first run only)...\n"


def test_the_distribution_has_a_name_of_its_own_and_a_license() -> None:
    # "waterfall" on the public index is an unrelated project: pip must not be sent to it
    assert DISTRIBUTION == "rmbs-waterfall"
    assert metadata.metadata(DISTRIBUTION)["Name"] == "rmbs-waterfall"
    assert "Permission is hereby granted" in (REPO / "LICENSE").read_text()
    assert metadata.metadata(DISTRIBUTION)["License"] == "MIT"


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    version = metadata.version(DISTRIBUTION)
    assert capsys.readouterr().out == f"waterfall {version} ({DISTRIBUTION})\n"


def test_the_version_is_read_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def unread(name: str) -> str:
        raise AssertionError(f"read the version of {name}")

    monkeypatch.setattr(metadata, "version", unread)
    arguments = cli.build_parser().parse_args(["run", "deals/2002-HE1.yaml", "--cpr", "30"])
    assert arguments.command == "run"


def waterfall_run(cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATERFALL_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "waterfall", "run", "deals/two-class.yaml", "--months", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(not IS_COMPILED, reason="nothing is compiled with NUMBA_DISABLE_JIT=1")
def test_a_cold_cache_prints_the_compile_notice_once_and_a_warm_one_does_not(
    tmp_path: Path,
) -> None:
    cold = waterfall_run(tmp_path)  # an empty cache folder: numba compiles (about 15 s)
    assert cold.returncode == 0
    assert cold.stderr == NOTICE
    warm = waterfall_run(tmp_path)
    assert warm.returncode == 0
    assert warm.stderr == ""
    assert warm.stdout == cold.stdout


@pytest.mark.parametrize(
    ("command", "run_kernels_cold", "grid_kernel_cold", "announces"),
    [
        ("grid", True, False, False),  # a grid never calls the single run's kernels
        ("grid", False, True, True),
        ("run", True, False, True),
        ("run", False, True, False),
    ],
)
def test_the_notice_asks_only_for_the_kernels_the_command_calls(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    run_kernels_cold: bool,
    grid_kernel_cold: bool,
    announces: bool,
) -> None:
    monkeypatch.setattr(cli, "kernels_need_compiling", lambda: run_kernels_cold)
    monkeypatch.setattr(cli, "grid_kernel_needs_compiling", lambda: grid_kernel_cold)
    cli._announce_compiling(argparse.Namespace(command=command, scheduler=None))
    notice = f"waterfall {command}: {cli.COMPILE_NOTICE}\n"
    assert capsys.readouterr().err == (notice if announces else "")
