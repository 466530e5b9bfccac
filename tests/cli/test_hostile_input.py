"""Hostile or impossible input: one located line and a non-zero exit, nothing half-done."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from waterfall.cli import main

ROOT = Path(__file__).parents[2]
DEAL = ROOT / "deals" / "2002-HE1.yaml"
STATEMENT = ROOT / "deals" / "statements" / "2002-HE1-2002-11-15.txt"
GRID = ROOT / "scenarios" / "investor-grid.yaml"


def copy_of_the_deal(tmp_path: Path) -> Path:
    (tmp_path / "deals").mkdir()
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "2002-11-observed.yaml", tmp_path / "scenarios")
    return Path(shutil.copy(DEAL, tmp_path / "deals" / DEAL.name))


def test_outputs_follow_links_keep_permissions_and_refuse_devices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "one.yaml"
    grid.write_text("cpr: 20\n")
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    assert main(["grid", str(DEAL), "--scenarios", str(grid), "--out", str(link)]) == 0
    assert link.is_symlink()
    assert real.read_text().startswith("cpr,cdr,severity")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert main(["grid", str(DEAL), "--scenarios", str(grid), "--out", os.devnull]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"waterfall grid: --out {os.devnull}: name it .csv, .json, .parquet or .txt "
        "(the suffix is the format)",
        f"waterfall grid: --out {os.devnull}: it is not a regular file",
    ]
    argv = ["run", str(DEAL), "--months", "3", "--cashflows", os.devnull]
    assert main(argv) == 2
    assert (
        capsys.readouterr().err
        == f"waterfall run: cannot write '{os.devnull}': it is not a regular file\n"
    )
    assert Path(os.devnull).exists()
    assert not Path(os.devnull).is_file()  # the device is still a device


def test_grid_output_suffix_and_format_must_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "one.yaml"
    grid.write_text("cpr: 20\n")
    out = tmp_path / "c.json"
    assert main(["grid", str(DEAL), "--scenarios", str(grid), "--out", str(out),
                 "--format", "csv"]) == 2  # fmt: skip
    assert "--out" in capsys.readouterr().err
    assert not out.exists()


def test_calibrate_refuses_its_own_deal_as_the_scenario_and_impossible_statements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deal = copy_of_the_deal(tmp_path)
    before = deal.read_text()
    assert main(["calibrate", str(deal), str(STATEMENT), "--scenario-out", str(deal)]) == 2
    assert "that is the deal file itself" in capsys.readouterr().err
    impossible = tmp_path / "prepaid.txt"
    text = STATEMENT.read_text()
    old = "     Prep                                                 22,442,774.30"
    assert text.count(old) == 1
    # prepayments larger than the pool: SMM above 100% is not a rate
    impossible.write_text(text.replace(old, old.replace("  22,442,774.30", "922,442,774.30")))
    assert main(["calibrate", str(deal), str(impossible)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{impossible}:126:1: Prep: prepayments and curtailments exceed")
    assert deal.read_text() == before


def test_deeply_nested_yaml_and_a_bad_default_scenario_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert main(["validate", str(deep)]) == 1
    assert (
        capsys.readouterr().err
        == f"{deep}:1:1: not a deal or scenario: the YAML nests too deeply\n"
    )
    deal = copy_of_the_deal(tmp_path)
    (tmp_path / "scenarios" / "2002-11-observed.yaml").write_text("cpr: fast\n")
    assert main(["validate", str(deal)]) == 1
    err = capsys.readouterr().err
    assert "2002-11-observed.yaml:1:6: cpr:" in err


def test_impossible_collateral_lines_are_located_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deal = copy_of_the_deal(tmp_path)
    before = deal.read_text()
    text = STATEMENT.read_text()
    cases = {
        # all of the pool scheduled: nothing left to prepay, no SMM
        "    'Sched Prin                                              565,846.34": (
            "    'Sched Prin                                           822,179,071.35",
            "125:1: Sched Prin: expected at least 0 and below Beg Bal",
        ),
        # no pool left: the pipeline (53.5 million) cannot be seeded in it
        "End Bal                                                  798,796,001.41": (
            "End Bal                                                            0.00",
            "135:1: End Bal: expected a pool above 0",
        ),
    }
    for old, (new, message) in cases.items():
        assert text.count(old) == 1, old
        bad = tmp_path / "bad.txt"
        bad.write_text(text.replace(old, new))
        assert main(["calibrate", str(deal), str(bad)]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"{bad}:{message}"), err
        assert "Traceback" not in err
    assert deal.read_text() == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "argv",
    [
        ["run", "deals/two-class.yaml"],
        ["run", "deals/two-class.yaml", "--format", "json"],
        ["grid", "deals/two-class.yaml", "--scenarios", "scenarios/investor-grid.yaml"],
        ["validate", "deals/two-class.yaml"],
    ],
)
def test_standard_output_that_cannot_be_written_is_one_line_and_exit_2(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "waterfall", *argv],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr == (
        f"waterfall {argv[0]}: cannot write the output: No space left on device\n"
    )
