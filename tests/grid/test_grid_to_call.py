"""A grid of a deal with a clean-up call measures every point to call beside to maturity."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from waterfall.cli import main
from waterfall.deal import load_deal
from waterfall.grid import load_grid
from waterfall.grid.run import scenario_for
from waterfall.measures import scenario_metrics
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
DEAL = "deals/2002-HE1.yaml"


def test_every_row_carries_its_measures_to_call_equal_to_a_called_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text("cpr: [20, 40]\ncdr: [0, 8]\n")
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
    monkeypatch.chdir(REPO)
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text("cpr: [20]\n")
    assert (
        main(["grid", "deals/two-class.yaml", "--scenarios", str(grid_file), "--format", "csv"])
        == 0
    )
    header = capsys.readouterr().out.splitlines()[0]
    assert "to_call" not in header
