"""A grid scenario reads only what its own months wrote, or the collateral balances a
scenario of the same prepayment, default and lag rows left in the slab: between two
scenarios a thread's scratch arrays are not zeroed, except those a month adds to or writes
only sometimes (``payments.zero_accumulated``). Filled with NaN beforehand, as if an
earlier scenario had left anything at all there, they must give the same results to the
bit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import waterfall.grid.run as grid_run
from waterfall.deal import load_deal
from waterfall.grid import GridPoint
from waterfall.grid.run import run_grid
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]

POINTS = [
    GridPoint(30.0, 0.0, 50.0, 12, None),  # settles early: the run stops before month 341
    GridPoint(30.0, 8.0, 50.0, 12, None),  # B written down and owed: every month runs
    GridPoint(30.0, 8.0, 70.0, 12, None),  # the same balances as the one before
    GridPoint(95.0, 0.0, 10.0, 12, None),  # the call comes early
    GridPoint(10.0, 25.0, 90.0, 6, None),  # deep losses, shortfalls, carry-forwards
    GridPoint(60.0, 1.0, 20.0, 12, None),
]


def _poisoned(array: Any, n_slabs: int) -> Any:
    # an integer scratch (a month number, compared "<=" with the call month) gets the value
    # that fails every such test, where zeros pass it
    kind = np.result_type(array)
    poison = np.nan if kind == np.float64 else np.iinfo(kind).max
    return np.full((n_slabs, *np.shape(array)), poison, dtype=kind)


def _poisoned_slabs(template: tuple[Any, ...], kind: type, n_slabs: int) -> Any:
    return kind(*(_poisoned(array, n_slabs) for array in template))


@pytest.mark.parametrize("threads", [1, 2])
def test_scratch_left_over_changes_no_result(
    monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    deal = load_deal(REPO / "deals" / "2002-HE1.yaml")
    base = load_scenario(deal.default_scenario)
    monkeypatch.setattr(grid_run, "thread_count", lambda: threads)
    clean = run_grid(deal, base, POINTS, with_other_horizon=True)
    monkeypatch.setattr(grid_run, "_slabs", _poisoned_slabs)
    dirty = run_grid(deal, base, POINTS, with_other_horizon=True)
    for clean_metrics, dirty_metrics in (
        (clean.metrics, dirty.metrics),
        (clean.other_metrics, dirty.other_metrics),
    ):
        assert clean_metrics.keys() == dirty_metrics.keys()
        for name, values in clean_metrics.items():
            np.testing.assert_array_equal(dirty_metrics[name], values, err_msg=name)
