"""Grids: one compiled call over the scenario axis equals each scenario run alone."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numba
import numpy as np
import pytest

from waterfall import load_deal
from waterfall.cli import main
from waterfall.grid import GridPoint, load_grid
from waterfall.grid.run import run_grid, scenario_for
from waterfall.measures import METRIC_COLUMNS, scenario_metrics
from waterfall.scenario import load_scenario

ROOT = Path(__file__).parents[2]
DEAL = load_deal(ROOT / "deals" / "2002-HE1.yaml")
BASE = load_scenario(DEAL.default_scenario)
GRID = ROOT / "scenarios" / "investor-grid.yaml"
IS_COMPILED = os.environ.get("NUMBA_DISABLE_JIT") != "1"

# every axis varied, lag 0 (everything liquidates in month 1) and a LIBOR move included
POINTS = [
    GridPoint(cpr, cdr, severity, lag, libor)
    for cpr in (8.0, 35.0)
    for cdr in (0.0, 9.0)
    for severity in (35.0, 65.0)
    for lag in (0, 12)
    for libor in (1.8025, 5.5)
][:: 1 if IS_COMPILED else 8]


def assert_same(grid: dict[str, np.ndarray], alone: dict[str, np.ndarray], where: str) -> None:
    for metric in METRIC_COLUMNS:
        assert np.array_equal(grid[metric], alone[metric], equal_nan=True), (where, metric)


def test_each_grid_scenario_equals_its_single_run_bit_for_bit() -> None:
    result = run_grid(DEAL, BASE, POINTS, 99.5)
    for index, point in enumerate(POINTS):
        names, alone, _ = scenario_metrics(DEAL, scenario_for(BASE, point), 99.5)
        assert names == result.class_names
        grid = {metric: result.metrics[metric][index] for metric in METRIC_COLUMNS}
        assert_same(grid, alone, str(point))


def test_a_called_deal_and_a_failing_trigger_also_match_single_runs() -> None:
    base = dataclasses.replace(BASE, is_call_exercised=True, trigger="failing")
    points = [GridPoint(cpr=40.0, cdr=cdr) for cdr in (0.0, 6.0, 15.0)]
    result = run_grid(DEAL, base, points)
    for index, point in enumerate(points):
        _, alone, run_alone = scenario_metrics(DEAL, scenario_for(base, point))
        assert run_alone.n_months < 341  # the call shortened the deal
        grid = {metric: result.metrics[metric][index] for metric in METRIC_COLUMNS}
        assert_same(grid, alone, str(point))


# severity varied fastest, as a grid file's product is: a scenario after one of the same
# prepayment, default and lag in its thread's slab reuses the collateral balances already
# there (kernels.grid._run_one), across blocks too
SEVERITY_FASTEST = [
    GridPoint(cpr, cdr, severity, lag, None)
    for cpr in (8.0, 35.0)
    for cdr in (0.0, 9.0)
    for lag in (0, 12)
    for severity in (35.0, 50.0, 65.0)
][: None if IS_COMPILED else 3]


@pytest.fixture(scope="module")
def severity_fastest_alone() -> list[dict[str, np.ndarray]]:
    return [scenario_metrics(DEAL, scenario_for(BASE, p))[1] for p in SEVERITY_FASTEST]


@pytest.mark.parametrize("block_size", [1, 5, 1024])
def test_a_scenario_on_the_balances_of_the_one_before_equals_its_single_run(
    block_size: int, severity_fastest_alone: list[dict[str, np.ndarray]]
) -> None:
    result = run_grid(DEAL, BASE, SEVERITY_FASTEST, block_size=block_size)
    for index, point in enumerate(SEVERITY_FASTEST):
        grid = {metric: result.metrics[metric][index] for metric in METRIC_COLUMNS}
        assert_same(grid, severity_fastest_alone[index], str(point))


@pytest.mark.skipif(not IS_COMPILED, reason="threads need the compiled kernel")
def test_threads_and_blocks_do_not_change_a_single_bit() -> None:
    both = run_grid(DEAL, BASE, POINTS, block_size=5)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_grid(DEAL, BASE, POINTS)
    finally:
        numba.set_num_threads(threads)
    for metric in METRIC_COLUMNS:
        assert np.array_equal(both.metrics[metric], one.metrics[metric], equal_nan=True)


def test_progress_is_reported_after_each_block() -> None:
    seen: list[tuple[int, int]] = []
    run_grid(DEAL, BASE, POINTS[:3], block_size=2, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 3), (3, 3)]


def test_grid_laws_losses_rise_with_defaults_and_seniors_shorten_with_prepayments() -> None:
    points = [GridPoint(cpr=cpr, cdr=cdr) for cpr in (10.0, 30.0, 50.0) for cdr in (0.0, 5.0)]
    result = run_grid(DEAL, BASE, points)
    loss = result.metrics["cumulative_loss_pct"][:, 0].reshape(3, 2)
    assert (loss[:, 1] > loss[:, 0]).all()
    senior = result.class_names.index("A-1")
    wal = result.metrics["wal_years"][:, senior].reshape(3, 2)
    assert (np.diff(wal[:, 0]) < 0).all()
    # the cumulative loss is the same number on every class's row of a scenario
    losses = result.metrics["cumulative_loss_pct"]
    assert (losses == losses[:, :1]).all()


def test_the_shipped_grid_runs_from_the_command_line_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = load_grid(GRID)
    assert len(spec.points) == 165
    if not IS_COMPILED:
        pytest.skip("165 scenarios as plain Python take minutes; the compiled run covers it")
    out = tmp_path / "grid.csv"
    assert main(["grid", str(ROOT / "deals" / "2002-HE1.yaml"), "--scenarios", str(GRID),
                 "--out", str(out)]) == 0  # fmt: skip
    lines = out.read_text().splitlines()
    assert lines[0] == (
        "cpr,cdr,severity,lag,libor,class,wal_years,first_principal_month,"
        "last_principal_month,yield,discount_margin,modified_duration,writedown,"
        "cumulative_loss_pct,yield_to_call,discount_margin_to_call,wal_years_to_call"
    )
    assert len(lines) == 1 + 165 * 6
    json_out = tmp_path / "grid.json"
    assert main(["grid", str(ROOT / "deals" / "2002-HE1.yaml"), "--scenarios", str(GRID),
                 "--out", str(json_out), "--format", "json"]) == 0  # fmt: skip
    rows = json.loads(json_out.read_text())["rows"]
    assert len(rows) == 165 * 6
    assert {r["class"] for r in rows} == {"A-1", "A-2", "M-1", "M-2", "B", "P"}
    assert main(["grid", str(ROOT / "deals" / "2002-HE1.yaml"), "--scenarios", str(GRID),
                 "--metric", "writedown"]) == 0  # fmt: skip
    table = capsys.readouterr().out
    assert "writedown (dollars)" in table
    assert table.count("B  (severity") == 3


def test_parquet_output_reads_back_the_same_rows(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    grid = tmp_path / "small.yaml"
    grid.write_text("cpr: [20, 40]\ncdr: [0, 10]\n")
    out = tmp_path / "small.parquet"
    deal = str(ROOT / "deals" / "2002-HE1.yaml")
    assert main(["grid", deal, "--scenarios", str(grid), "--out", str(out)]) == 0
    table = pq.read_table(out).to_pylist()
    points = load_grid(grid).points
    called = run_grid(DEAL, dataclasses.replace(BASE, is_call_exercised=True), points)
    expected = run_grid(DEAL, BASE, points).with_other_horizon(called, "to_call").rows()
    assert table == expected


def test_bad_grid_requests_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deal = str(ROOT / "deals" / "2002-HE1.yaml")
    assert main(["grid", deal, "--scenarios", str(GRID), "--format", "parquet"]) == 2
    assert capsys.readouterr().err == (
        "waterfall grid: --format parquet: give --out FILE.parquet (Parquet is not text)\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("cpr: [10, ten]\n")
    assert main(["grid", deal, "--scenarios", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:1:")
    assert err.count("\n") == 1


def test_grid_plot_draws_a_heat_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    grid = tmp_path / "small.yaml"
    grid.write_text("cpr: [20, 40]\ncdr: [0, 10]\nmetric: wal_years\n")
    picture = tmp_path / "heat.png"
    deal = str(ROOT / "deals" / "2002-HE1.yaml")
    assert main(["grid", deal, "--scenarios", str(grid), "--plot", str(picture)]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wal_years (years)" in capsys.readouterr().out


def test_the_progress_bar_draws_on_a_terminal_only(capsys: pytest.CaptureFixture[str]) -> None:
    from waterfall.cli import _Progress

    _Progress(False)(5, 10)
    assert capsys.readouterr().err == ""
    bar = _Progress(True)
    bar(5, 10)
    bar(10, 10)
    err = capsys.readouterr().err
    assert err.startswith("\r[###############...............] 5/10 scenarios")
    assert "\r[##############################] 10/10 scenarios" in err
    assert err.endswith("\n")
