"""The collateral's two passes: no balance depends on the severity.

A grid projects the balances (``project_collateral(..., with_balances=True)``) only when a
scenario's prepayment, default or lag differs from the one its scratch last held, and the
losses always. That is right only if the losses alone, over the balances projected with
another severity, give exactly the whole projection with its own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from waterfall.compile import CompiledDeal, compile_deal
from waterfall.deal import load_deal
from waterfall.grid import GridPoint
from waterfall.grid.run import scenario_for
from waterfall.kernels.collateral import CollateralOut, project_collateral
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
DEAL = load_deal(REPO / "deals" / "2002-HE1.yaml")
BASE = load_scenario(DEAL.default_scenario)


def _compiled(cdr: float, severity: float, lag: int, is_advancing: bool) -> CompiledDeal:
    point = GridPoint(25.0, cdr, severity, lag, None)
    scenario = dataclasses.replace(scenario_for(BASE, point), is_advancing=is_advancing)
    return compile_deal(DEAL, scenario)


def _projected(compiled: CompiledDeal) -> CollateralOut:
    shape = (compiled.n_months, len(DEAL.groups))
    out = CollateralOut(*(np.full(shape, np.nan) for _ in CollateralOut._fields))
    project_collateral(compiled.collateral, compiled.rates, out, True)
    return out


@pytest.mark.parametrize(
    ("cdr", "lag", "is_advancing"), [(8.0, 12, True), (20.0, 6, False), (3.0, 0, True)]
)
def test_losses_over_another_severitys_balances_equal_the_whole_projection(
    cdr: float, lag: int, is_advancing: bool
) -> None:
    severe = _compiled(cdr, 70.0, lag, is_advancing)
    whole = _projected(severe)
    mild = _projected(_compiled(cdr, 30.0, lag, is_advancing))
    assert not np.array_equal(mild.principal_loss, whole.principal_loss)  # severity matters
    project_collateral(severe.collateral, severe.rates, mild, False)  # over mild's balances
    for name in CollateralOut._fields:
        np.testing.assert_array_equal(getattr(mild, name), getattr(whole, name), err_msg=name)
