"""Grid prices by class: IO strips priced per 100 of notional, bonds at their own price."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waterfall import load_deal
from waterfall.analytics import price_from_yield
from waterfall.cli import main
from waterfall.compile import compile_deal
from waterfall.errors import GridFileError
from waterfall.grid import GridPoint
from waterfall.grid.run import run_grid, scenario_for
from waterfall.grid.spec import parse_grid
from waterfall.measures import METRIC_COLUMNS, flow_times, scenario_metrics
from waterfall.scenario import load_scenario

ROOT = Path(__file__).parents[2]
DEAL = load_deal(ROOT / "deals" / "2002-HE1.yaml")
BASE = load_scenario(DEAL.default_scenario)
PRICES = {"A-IO": 9.0, "M-1": 99.0}


def test_a_price_mapping_reads_a_default_and_class_prices() -> None:
    spec = parse_grid("cpr: 20\nprice:\n  default: 98\n  A-IO: 9\n", "g.yaml")
    assert spec.price == 98.0
    assert spec.class_prices == (("A-IO", 9.0, 4),)
    with pytest.raises(GridFileError) as raised:
        parse_grid("cpr: 20\nprice: {A-IO: -1}\n", "g.yaml")
    assert str(raised.value.problems[0]).startswith("g.yaml:2:")


def test_class_prices_match_single_runs_and_reprice() -> None:
    points = [GridPoint(cpr=cpr, cdr=cdr) for cpr in (15.0, 40.0) for cdr in (0.0, 6.0)]
    result = run_grid(DEAL, BASE, points, 100.0, by_class=PRICES)
    assert "A-IO" in result.class_names
    assert "BIO" not in result.class_names  # an IO strip is measured only when priced
    for index, point in enumerate(points):
        scenario = scenario_for(BASE, point)
        names, alone, run_alone = scenario_metrics(DEAL, scenario, 100.0, PRICES)
        assert names == result.class_names
        for metric in METRIC_COLUMNS:
            assert np.array_equal(result.metrics[metric][index], alone[metric], equal_nan=True)
        # independent check: A-IO's yield prices its interest at 9 per 100 of 233,000,000
        k = DEAL.tranche_names.index("A-IO")
        bey = result.metrics["yield"][index, names.index("A-IO")] / 100
        times = flow_times(DEAL, compile_deal(DEAL, scenario))
        flows = run_alone.principal[:, k] + run_alone.interest[:, k]
        assert price_from_yield(flows, times, bey) == pytest.approx(0.09 * 233e6, rel=1e-9)


def test_an_unknown_class_in_the_prices_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "g.yaml"
    grid.write_text("cpr: 20\nprice:\n  X: 5\n")
    assert main(["grid", str(ROOT / "deals" / "2002-HE1.yaml"), "--scenarios", str(grid)]) == 1
    assert capsys.readouterr().err == (
        f"{grid}:3:1: price.X: no class X to price in ABSC 2002-HE1\n"
    )
