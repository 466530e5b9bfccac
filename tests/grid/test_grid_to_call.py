"""A grid of a deal with a clean-up call measures every point to call beside to maturity."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from waterfall.cli import main
from waterfall.deal import load_deal
from waterfall.grid import GridPoint, load_grid
from waterfall.grid.run import METRIC_COLUMNS, OTHER_HORIZON_METRICS, run_grid, scenario_for
from waterfall.measures import scenario_metrics
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
DEAL = "deals/2002-HE1.yaml"


def _grid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    """A grid file of ``text``, with the repository as the working folder (the deal paths
    in the commands are relative to it)."""
    monkeypatch.chdir(REPO)
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(text)
    return grid_file


def test_every_row_carries_its_measures_to_call_equal_to_a_called_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid_file = _grid_file(tmp_path, monkeypatch, "cpr: [20, 40]\ncdr: [0, 8]\n")
    assert main(["grid", DEAL, "--scenarios", str(grid_file), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["columns"][-3:] == ["yield_to_call", "discount_margin_to_call", "wal_years_to_call"]
    rows = out["rows"]
    deal = load_deal(DEAL)
    base = load_scenario(deal.default_scenario)
    for point in load_grid(grid_file).points:
        called = dataclasses.replace(scenario_for(base, point), is_call_exercised=True)
        names, metrics, _ = scenario_metrics(deal, called)
        for column, name in enumerate(names):
            (row,) = [
                r
                for r in rows
                if r["class"] == name and (r["cpr"], r["cdr"]) == (point.cpr, point.cdr)
            ]
            expected = float(metrics["discount_margin"][column])
            if row["discount_margin_to_call"] is None:
                assert expected != expected  # NaN: not defined either way
            else:
                assert row["discount_margin_to_call"] == expected  # bit for bit
    # at par with no defaults a floater's DM to call is its margin; to maturity it is wider
    # group 1 retires A-1 before the call is possible, so A-1 never steps up)
    (a2,) = [r for r in rows if r["class"] == "A-2" and (r["cpr"], r["cdr"]) == (20.0, 0.0)]
    assert a2["discount_margin_to_call"] == pytest.approx(38, abs=0.5)
    assert a2["discount_margin"] > a2["discount_margin_to_call"] + 2


def test_a_deal_without_a_call_has_no_to_call_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid_file = _grid_file(tmp_path, monkeypatch, "cpr: [20]\n")
    assert (
        main(["grid", "deals/two-class.yaml", "--scenarios", str(grid_file), "--format", "csv"])
        == 0
    )
    header = capsys.readouterr().out.splitlines()[0]
    assert "to_call" not in header


@pytest.mark.parametrize("base_called", [False, True])
def test_one_projection_measures_both_horizons_as_two_single_runs(base_called: bool) -> None:
    # the grid projects each point once: the months before the call are shared, the call
    # month is run a second time from the state before it; every base metric, and the
    # other horizon's yield, margin and WAL, equal single runs bit for bit either way round
    deal = load_deal(REPO / DEAL)
    base = dataclasses.replace(load_scenario(deal.default_scenario), is_call_exercised=base_called)
    points = [
        GridPoint(cpr, cdr, sev, 12, None)
        for cpr, cdr, sev in [(25, 0, 50), (40, 10, 60), (8, 25, 90)]
    ]
    result = run_grid(deal, base, points, with_other_horizon=True)
    assert result.other_horizon == ("to_maturity" if base_called else "to_call")
    for row, point in enumerate(points):
        scenario = scenario_for(base, point)
        _, metrics, _ = scenario_metrics(deal, scenario)
        other = dataclasses.replace(scenario, is_call_exercised=not base_called)
        _, other_metrics, _ = scenario_metrics(deal, other)
        for name in METRIC_COLUMNS:
            np.testing.assert_array_equal(result.metrics[name][row], metrics[name], err_msg=name)
        for name in OTHER_HORIZON_METRICS:
            np.testing.assert_array_equal(
                result.other_metrics[name][row], other_metrics[name], err_msg=name
            )
        # the two horizons differ where the call is reached (else the test proves nothing)
        if row == 0:
            assert result.other_metrics["wal_years"][row][1] != result.metrics["wal_years"][row][1]


def test_a_class_paid_off_before_the_call_still_owed_penalties_is_measured_to_call(
    tmp_path: Path,
) -> None:
    # penalties paid to A-1: at 95 CPR it is retired in month 5, the call comes in month 9
    # and the penalties run to month 25. Nothing is owed to A-1 at the call, yet its flows to
    # call end there and those to maturity do not: its measures to call are its own (a grid
    # that reused a settled class's measures to maturity would fail here)
    text = (REPO / DEAL).read_text()
    assert text.count("  - pay_penalties: P\n") == 1
    text = text.replace("  - pay_penalties: P\n", "  - pay_penalties: A-1\n")
    text = text.replace("../scenarios/", f"{REPO / 'scenarios'}/")  # the deal's own scenario
    deal_file = tmp_path / "penalties-to-a1.yaml"
    deal_file.write_text(text)
    deal = load_deal(deal_file)
    base = load_scenario(deal.default_scenario)
    point = GridPoint(95.0, 0.0, 10.0, 12, None)
    result = run_grid(deal, base, [point], with_other_horizon=True)
    called = dataclasses.replace(scenario_for(base, point), is_call_exercised=True)
    names, metrics, _ = scenario_metrics(deal, called)
    for name in OTHER_HORIZON_METRICS:
        np.testing.assert_array_equal(result.other_metrics[name][0], metrics[name], err_msg=name)
    a1 = names.index("A-1")
    assert np.isfinite(metrics["yield"][a1])
    assert result.other_metrics["yield"][0][a1] < result.metrics["yield"][0][a1]


def test_the_pivot_shows_a_measure_to_call_from_the_called_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid_file = _grid_file(tmp_path, monkeypatch, "cpr: [20, 40]\ncdr: [0, 8]\n")
    argv = ["grid", DEAL, "--scenarios", str(grid_file), "--metric", "wal_years_to_call"]
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert table.startswith("ABSC 2002-HE1: wal_years_to_call (years) at price 100")
    block = table.split("\nA-2\n")[1].split("\n\n")[0].splitlines()
    assert block[0].split() == ["cdr", "|", "cpr", "20.0", "cpr", "40.0"]
    cells = {line.split("|")[0].strip(): line.split("|")[1].split() for line in block[2:]}
    deal = load_deal(DEAL)
    base = load_scenario(deal.default_scenario)
    for point in load_grid(grid_file).points:
        called = dataclasses.replace(scenario_for(base, point), is_call_exercised=True)
        names, metrics, _ = scenario_metrics(deal, called)
        a2 = float(metrics["wal_years"][names.index("A-2")])
        assert isinstance(point.cpr, float)
        assert cells[f"{point.cdr}"][[20.0, 40.0].index(point.cpr)] == f"{a2:.2f}"


def test_a_measure_of_a_horizon_the_grid_does_not_measure_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid_file = _grid_file(tmp_path, monkeypatch, "cpr: [20]\n")
    argv = ["grid", DEAL, "--scenarios", str(grid_file), "--metric", "yield_to_maturity"]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "waterfall grid: --metric yield_to_maturity: this grid's other horizon is to_call; "
        "ask for yield_to_call"
    ]
    assert main(["grid", "deals/two-class.yaml", "--scenarios", str(grid_file), "--metric",
                 "yield_to_call"]) == 2  # fmt: skip
    assert "has no clean-up call" in capsys.readouterr().err
    grid_file.write_text("cpr: [20]\nmetric: discount_margin_to_maturity\n")
    assert main(["grid", DEAL, "--scenarios", str(grid_file)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (
        f"{grid_file}:0:0: metric: discount_margin_to_maturity: this grid's other horizon is "
        "to_call; ask for discount_margin_to_call"
    )
