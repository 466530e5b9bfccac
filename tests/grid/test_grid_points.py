"""A grid works from its points without building a scenario per point: the row keys, the
axis columns and the scenarios read back must be those of ``scenario_for``'s scenarios."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from waterfall import BASE, load_deal
from waterfall.compile import index_rates, monthly_rates
from waterfall.grid import GridPoint, spec
from waterfall.grid.run import (
    METRIC_COLUMNS,
    GridResult,
    GridScenarios,
    _prepare,
    concatenate,
    describe,
    grid_blocks,
    point_axes,
    product_axes,
    scenario_for,
)
from waterfall.grid.spec import GridProduct, Multiplier
from waterfall.scenario import Curve, load_scenario

ROOT = Path(__file__).parents[2]
DEAL = load_deal(ROOT / "deals" / "2002-HE1.yaml")
OBSERVED = load_scenario(DEAL.default_scenario)  # a curve per loan group
BASES = {
    "observed": OBSERVED,
    "plain": dataclasses.replace(BASE, default=Curve("cdr", 4.0), recovery_lag_months=6),
    "vectors": dataclasses.replace(
        BASE,
        prepayment=Curve("psa", 150.0, scale=0.5),
        severity=Curve("severity", "30 12R 45"),
        libor=Curve("libor", 2.5),
    ),
}
BY_GROUP = Curve("cpr", 40.0, (("group_1", 40.0), ("group_2", 20.0)))
POINTS = [
    GridPoint(),
    GridPoint(cpr=10.0, cdr=0.0, severity=35.0, lag=12, libor=1.8025),
    GridPoint(cpr=10, cdr=-0.0, severity=35.0, lag=12),  # equal values, other types
    GridPoint(cpr=-0.0, cdr=0.0, lag=0),
    GridPoint(cpr=Multiplier(0.5), cdr=3.0),
    GridPoint(cpr=Multiplier(0.5), cdr=Multiplier(1.5), severity=Multiplier(2.0)),
    GridPoint(cpr=BY_GROUP, libor=0.0),
    GridPoint(cpr=dataclasses.replace(BY_GROUP, marks=((3, 4),)), lag=6),  # marks differ
    GridPoint(cdr=3.0, lag=6),
    GridPoint(cdr=3.0),
    GridPoint(severity=50.0, libor=5.0),
]


# a product of the values above: 4 x 3 x 2 x 3 x 2 = 144 points
PRODUCT = GridProduct(
    (
        (None, 10, -0.0, Multiplier(0.5), BY_GROUP),
        (None, 3.0, Multiplier(1.5)),
        (35.0, None),
        (None, 12, 0),
        (1.8025, None),
    )
)


def _as_written(axes: dict[str, Any]) -> list[tuple[type, str]]:
    return [(type(value), repr(value)) for value in axes.values()]


@pytest.mark.parametrize("base", BASES.values(), ids=BASES)
def test_a_product_grids_axes_by_column_are_its_points_axes(base: Any) -> None:
    axes, by_column = point_axes(DEAL, base), product_axes(DEAL, base, PRODUCT)
    for start, stop in ((0, len(PRODUCT)), (7, 8), (29, 101), (140, 144)):
        expected = [axes(point) for point in PRODUCT[start:stop]]
        assert [list(a) for a in by_column(start, stop)] == [list(a) for a in expected]
        assert [_as_written(a) for a in by_column(start, stop)] == [
            _as_written(a) for a in expected
        ]


def test_a_product_grids_block_is_its_points_made_when_read() -> None:
    block = PRODUCT.block(29, 101)
    expected = PRODUCT[29:101]
    assert len(block) == 72
    assert block == expected
    assert tuple(block) == expected
    assert block[0] == expected[0]
    assert block[-1] == expected[-1]
    assert block[5:9] == expected[5:9]
    scenarios = GridScenarios(OBSERVED, block)
    assert scenarios[3:5] == tuple(scenario_for(OBSERVED, p) for p in expected[3:5])
    assert pickle.loads(pickle.dumps(scenarios)) == scenarios  # a Dask block comes back


def test_a_product_grids_blocks_make_no_point(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []

    def counted(*values: object) -> GridPoint:
        made.append(values)
        return GridPoint(*values)  # type: ignore[arg-type]

    grid = GridProduct(((10.0, 30.0), (0.0, 5.0), (35.0,), (12,), (1.8,)))
    monkeypatch.setattr(spec, "GridPoint", counted)  # what a GridProduct makes points with
    results = list(grid_blocks(DEAL, OBSERVED, grid, block_size=3))
    assert [len(result.axes) for result in results] == [3, 1]
    assert not made
    assert results[1].scenarios[0] == scenario_for(OBSERVED, GridPoint(30.0, 5.0, 35.0, 12, 1.8))
    assert len(made) == 1


@pytest.mark.parametrize("base", BASES.values(), ids=BASES)
def test_point_axes_are_the_described_scenario_value_for_value(base: Any) -> None:
    axes = point_axes(DEAL, base)
    for point in POINTS:
        expected = describe(DEAL, scenario_for(base, point))
        assert list(axes(point)) == list(expected)
        assert _as_written(axes(point)) == _as_written(expected), point


def _rows_by_scenario(base: Any) -> tuple[dict[str, list[Any]], np.ndarray]:
    """The row keys as _prepare found them from whole scenarios (before it read points)."""
    keys: dict[str, dict[Any, int]] = {
        name: {} for name in ("prepayment", "default", "severity", "lag", "index_row")
    }

    def row(table: str, key: Any) -> int:
        return keys[table].setdefault(key, len(keys[table]))

    indices = [
        (
            row("prepayment", s.prepayment),
            row("default", (s.default, s.recovery_lag_months)),
            row("severity", s.severity),
            row("lag", s.recovery_lag_months),
            row("index_row", s.libor),
        )
        for s in (scenario_for(base, p) for p in POINTS)
    ]
    return {name: list(table) for name, table in keys.items()}, np.array(indices).T


@pytest.mark.parametrize("base", BASES.values(), ids=BASES)
def test_prepare_from_points_gives_the_tables_and_rows_of_their_scenarios(base: Any) -> None:
    keys, rows = _rows_by_scenario(base)
    prep = _prepare(DEAL, base, iter(POINTS))
    np.testing.assert_array_equal(np.array(prep.rows), rows)
    n_months, groups = prep.compiled.n_months, DEAL.groups

    def rates(**changes: Any) -> Any:
        return monthly_rates(dataclasses.replace(base, **changes), groups, n_months)

    expected = {
        "smm": [rates(prepayment=c).smm for c in keys["prepayment"]],
        "mdr": [rates(default=c, recovery_lag_months=lag).mdr for c, lag in keys["default"]],
        "severity": [rates(severity=c).severity for c in keys["severity"]],
        "seed": [rates(recovery_lag_months=lag).seed_liquidation for lag in keys["lag"]],
        "lag": keys["lag"],
        "index_rate": [
            index_rates(DEAL, dataclasses.replace(base, libor=c), n_months)
            for c in keys["index_row"]
        ],
    }
    for name, table in expected.items():
        np.testing.assert_array_equal(getattr(prep.tables, name), np.array(table), name)


def test_grid_scenarios_are_built_when_read_and_equal_scenario_for() -> None:
    scenarios = GridScenarios(OBSERVED, POINTS)
    expected = tuple(scenario_for(OBSERVED, p) for p in POINTS)
    assert len(scenarios) == len(POINTS)
    assert scenarios == expected
    assert tuple(scenarios) == expected
    assert scenarios[2] == expected[2]
    assert scenarios[-1] == expected[-1]
    assert scenarios[1:3] == expected[1:3]
    assert pickle.loads(pickle.dumps(scenarios)) == expected  # a Dask block comes back


def test_concatenate_keeps_the_scenarios_of_every_block_in_order() -> None:
    def part(scenarios: Any) -> GridResult:
        metrics = {name: np.zeros((len(scenarios), 1)) for name in METRIC_COLUMNS}
        return GridResult("deal", scenarios, (), ("A",), metrics, 100.0)

    lazy = concatenate(
        [part(GridScenarios(OBSERVED, POINTS[:4])), part(GridScenarios(OBSERVED, POINTS[4:]))]
    ).scenarios
    assert isinstance(lazy, GridScenarios)
    assert lazy == tuple(scenario_for(OBSERVED, p) for p in POINTS)
    mixed = concatenate([part(GridScenarios(OBSERVED, POINTS[:4])), part((BASE,))]).scenarios
    assert mixed == (*(scenario_for(OBSERVED, p) for p in POINTS[:4]), BASE)
