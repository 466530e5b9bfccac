"""Grids vary each loan group's curve: a curve per group, or a multiplier of the base curves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from waterfall import load_deal
from waterfall.cli import main
from waterfall.grid import GridPoint, load_grid
from waterfall.grid.run import run_grid, scenario_for
from waterfall.grid.spec import Multiplier
from waterfall.measures import METRIC_COLUMNS, scenario_metrics
from waterfall.scenario import Curve, load_scenario

ROOT = Path(__file__).parents[2]
DEAL = load_deal(ROOT / "deals" / "2002-HE1.yaml")
BASE = load_scenario(DEAL.default_scenario)


def test_a_multiplier_scales_each_groups_base_curve() -> None:
    base = dict(BASE.prepayment.by_group)
    halved = scenario_for(BASE, GridPoint(cpr=Multiplier(0.5)))
    # written out by hand: each group's calibrated CPR, halved
    by_hand = dataclasses.replace(
        BASE,
        prepayment=Curve(
            "cpr",
            0.0,
            (
                ("group_1", float(base["group_1"]) * 0.5),
                ("group_2", float(base["group_2"]) * 0.5),
            ),
        ),
    )
    _, scaled, _ = scenario_metrics(DEAL, halved, 100.0)
    _, explicit, _ = scenario_metrics(DEAL, by_hand, 100.0)
    for metric in METRIC_COLUMNS:
        np.testing.assert_allclose(scaled[metric], explicit[metric], rtol=1e-12, err_msg=metric)
    # x1 is the base itself; x2 takes group 1 past 100% CPR, which stops at 100
    assert scenario_for(BASE, GridPoint(cpr=Multiplier(1.0))).prepayment == dataclasses.replace(
        BASE.prepayment, scale=1.0
    )
    doubled = scenario_for(BASE, GridPoint(cpr=Multiplier(2.0)))
    assert str(doubled.prepayment).endswith(" x 2")


def test_per_group_and_multiplied_points_equal_their_single_runs() -> None:
    points = [
        GridPoint(cpr=Multiplier(0.5), cdr=3.0),
        GridPoint(cpr=Curve("cpr", 40.0, (("group_1", 40.0), ("group_2", 20.0)))),
        GridPoint(cdr=Multiplier(1.5)),
    ]
    result = run_grid(DEAL, BASE, points, 100.0)
    for index, point in enumerate(points):
        _, alone, _ = scenario_metrics(DEAL, scenario_for(BASE, point), 100.0)
        for metric in METRIC_COLUMNS:
            assert np.array_equal(result.metrics[metric][index], alone[metric], equal_nan=True), (
                point,
                metric,
            )
    # slower group speeds lengthen A-1; a faster group 2 shortens A-2
    a1, a2 = result.class_names.index("A-1"), result.class_names.index("A-2")
    _, base_metrics, _ = scenario_metrics(DEAL, BASE, 100.0)
    assert result.metrics["wal_years"][0, a1] > base_metrics["wal_years"][a1]
    assert result.metrics["wal_years"][1, a2] < base_metrics["wal_years"][a2]


def test_a_grid_file_reads_group_curves_and_multipliers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text('cpr: ["x0.5", "x1", {group_1: 40, group_2: "10 5R 20"}]\ncdr: [2, "x1"]\n')
    spec = load_grid(path)
    assert [p.cpr for p in spec.points[::2]] == [
        Multiplier(0.5),
        Multiplier(1.0),
        Curve("cpr", 40.0, (("group_1", 40.0), ("group_2", "10 5R 20"))),
    ]
    assert main(["grid", str(ROOT / "deals" / "2002-HE1.yaml"), "--scenarios", str(path)]) == 0
    assert 'cpr {group_1 40, group_2 "10 5R 20"}' in capsys.readouterr().out
    path.write_text("cpr: [{group_1: 40, group_3: 20}]\n")
    assert main(["grid", str(ROOT / "deals" / "2002-HE1.yaml"), "--scenarios", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:1:30: cpr.group_3: no loan group 'group_3' in ABSC 2002-HE1; its groups: "
        "group_1, group_2, and group_2 has no value"
    ]
