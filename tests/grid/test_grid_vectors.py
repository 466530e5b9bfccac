"""A grid file's axis value may be a vector, as on the command line: each such point
measures as the single run of the same vectors, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waterfall.cli import main
from waterfall.deal import load_deal
from waterfall.grid import load_grid
from waterfall.grid.run import METRIC_COLUMNS, run_grid, scenario_for
from waterfall.measures import scenario_metrics
from waterfall.scenario import Curve, load_scenario

REPO = Path(__file__).resolve().parents[2]


def test_vector_points_measure_as_single_runs_of_the_same_vectors(tmp_path: Path) -> None:
    grid_file = tmp_path / "vectors.yaml"
    grid_file.write_text(
        'cpr: ["4 11R 27", 30]\ncdr: [5, "1 24R 8"]\nlibor: ["1.8 24R 4.5", 1.8025]\n'
    )
    deal = load_deal(REPO / "deals" / "2002-HE1.yaml")
    base = load_scenario(deal.default_scenario)
    points = load_grid(grid_file).points
    assert len(points) == 8
    result = run_grid(deal, base, points)
    for row, point in enumerate(points):
        scenario = scenario_for(base, point)
        assert isinstance(point.libor, float) or scenario.libor == Curve("libor", "1.8 24R 4.5")
        _, metrics, _ = scenario_metrics(deal, scenario)
        for name in METRIC_COLUMNS:
            np.testing.assert_array_equal(result.metrics[name][row], metrics[name], err_msg=name)
    # the LIBOR path moves the floaters' yields: rising LIBOR against the flat 1.8025%
    flat, rising = result.metrics["yield"][1], result.metrics["yield"][0]
    assert rising[0] > flat[0] + 0.5
    assert result.axes[0]["libor"] == '"1.8 24R 4.5"'
    assert result.axes[0]["cpr"] == '"4 11R 27"'


def test_curve_values_stream_to_parquet_as_text(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    grid_file = tmp_path / "curves.yaml"
    grid_file.write_text(
        'cpr: ["4 11R 27", {group_1: 40, group_2: 20}, "x1.5", 30]\nlibor: ["1.8 24R 4.5"]\n'
    )
    out = tmp_path / "curves.parquet"
    deal = str(REPO / "deals" / "2002-HE1.yaml")
    assert main(["grid", deal, "--scenarios", str(grid_file), "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert str(table.schema.field("cpr").type) == "string"
    assert str(table.schema.field("cdr").type) == "double"  # the base's number, every point
    cpr = table.column("cpr").to_pylist()[::6]  # six classes a scenario
    assert cpr == ['"4 11R 27"', "{group_1 40, group_2 20}", cpr[2], "30.0"]
    assert cpr[2].endswith("x 1.5")
    assert set(table.column("libor").to_pylist()) == {'"1.8 24R 4.5"'}
