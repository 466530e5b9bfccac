"""A product grid's row numbers are made from its columns (``grid.run._product_rows``), not
point by point: they must be the loop's, table rows numbered in the same order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waterfall import load_deal
from waterfall.grid.run import _prepare
from waterfall.grid.spec import GridProduct, load_grid
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


GRIDS = {
    # numbers, a multiplier, a per-group curve, vectors, two lags, a LIBOR vector
    "every-axis": (
        'cpr: [8, "x1.5", {group_1: 40, group_2: "10 5R 20"}, "4 11R 27"]\n'
        'cdr: [7.5, 0, 3]\nseverity: [35, 60]\nlag: [12, 6]\nlibor: [1.8, "1.8 24R 4.5"]\n',
        6,  # three default curves at two lags
    ),
    # axes left out take the base's values (a column of None); a default curve equal to
    # the base's and the base's lag share its rows
    "left-out": ('cpr: [20, "x2"]\ncdr: [0, "x1"]\nlag: [12, 0]\n', 4),
}


@pytest.mark.parametrize("grid", GRIDS)
def test_a_product_grids_rows_and_tables_are_those_of_its_points_one_by_one(
    tmp_path: Path, grid: str
) -> None:
    text, n_default_rows = GRIDS[grid]
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    deal = load_deal(REPO / "deals" / "2002-HE1.yaml")
    base = load_scenario(deal.default_scenario)
    points = load_grid(path).points
    assert isinstance(points, GridProduct)
    by_columns = _prepare(deal, base, points, with_other_horizon=True)
    one_by_one = _prepare(deal, base, tuple(points), with_other_horizon=True)
    for name in by_columns.rows._fields:
        np.testing.assert_array_equal(
            getattr(by_columns.rows, name), getattr(one_by_one.rows, name), err_msg=name
        )
        assert getattr(by_columns.rows, name).flags.c_contiguous
    for name in by_columns.tables._fields:
        np.testing.assert_array_equal(
            getattr(by_columns.tables, name), getattr(one_by_one.tables, name), err_msg=name
        )
    assert by_columns.tables.mdr.shape[0] == n_default_rows
