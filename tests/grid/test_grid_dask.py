"""The grid on a Dask cluster (an in-process LocalCluster) equals the local run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from waterfall.cli import main

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).parents[2]
DEAL = str(ROOT / "deals" / "2002-HE1.yaml")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_grid_on_a_local_cluster_equals_the_local_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("cpr: [15, 45]\ncdr: [0, 6, 12]\nseverity: 55\nprice: 99\n")
    assert main(["grid", DEAL, "--scenarios", str(grid), "--format", "json"]) == 0
    local = json.loads(capsys.readouterr().out)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        code = main(
            ["grid", DEAL, "--scenarios", str(grid), "--format", "json",
             "--scheduler", cluster.scheduler_address, "--block-size", "4"]
        )  # fmt: skip
    assert code == 0
    remote = json.loads(capsys.readouterr().out)
    assert len(remote["rows"]) == 6 * 6  # 6 scenarios x 6 classes, in 2 blocks
    assert remote == local


def test_an_unreachable_scheduler_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("cpr: 20\n")
    code = main(["grid", DEAL, "--scenarios", str(grid), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("waterfall grid: --scheduler tcp://127.0.0.1:9: cannot reach")
    assert err.count("\n") == 1


@pytest.mark.parametrize("address", ["bogus", "tcp://", "tcp://127.0.0.1:abc", "http://h:1"])
def test_a_malformed_scheduler_address_is_one_line(
    address: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("cpr: 20\n")
    assert main(["grid", DEAL, "--scenarios", str(grid), "--scheduler", address]) == 2
    assert capsys.readouterr().err == (
        f"waterfall grid: --scheduler {address}: expected a scheduler address like "
        "tcp://host:8786\n"
    )
