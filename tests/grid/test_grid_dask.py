"""The grid on a Dask cluster (an in-process LocalCluster) equals the local run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_worker_process_killed_mid_grid_loses_and_duplicates_nothing() -> None:
    import os
    import signal

    from waterfall import load_deal
    from waterfall.grid import GridPoint
    from waterfall.grid.cluster import run_grid_on_cluster
    from waterfall.grid.run import run_grid
    from waterfall.scenario import load_scenario

    deal = load_deal(DEAL)
    base = load_scenario(deal.default_scenario)
    points = [GridPoint(cpr, cdr, 50.0) for cpr in (10.0, 30.0, 50.0) for cdr in (0.0, 4.0, 8.0)]
    local = run_grid(deal, base, points, block_size=1)
    killed: list[int] = []
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:

        def kill_a_worker(done: int, total: int) -> None:
            if not killed and done < total:  # blocks still to come: the kill is mid-grid
                nanny = next(iter(cluster.workers.values()))
                pid = nanny.process.process.pid
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        remote = run_grid_on_cluster(
            deal, base, points, 100.0, cluster.scheduler_address, block_size=1,
            progress=kill_a_worker, timeout_seconds=120.0,
        )  # fmt: skip
    assert killed
    assert remote.axes == local.axes
    for name, values in local.metrics.items():
        assert np.array_equal(remote.metrics[name], values, equal_nan=True), name
