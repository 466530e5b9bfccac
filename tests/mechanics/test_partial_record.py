"""A month run without its full record (``run_months(..., full_record=False)``, as the grid
runs it) writes every array a grid measures exactly as the full run does, and none of
``RECORD_ONLY``.

The arrays start as ``LEFT_OVER``, as if an earlier scenario had left it there, except
what ``zero_accumulated`` zeroes: a skipped store that something reads leaves it or a
stale value behind, and a store or an addition not skipped changes it in a ``RECORD_ONLY``
array (NaN would stay NaN under an addition).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from waterfall.compile import compile_deal
from waterfall.deal import load_deal
from waterfall.engine import _month_arrays, allocate_payments, allocate_workspace
from waterfall.grid import GridPoint
from waterfall.grid.run import scenario_for
from waterfall.kernels.collateral import CollateralOut, project_collateral
from waterfall.kernels.payments import (
    RECORD_ONLY,
    PaymentsOut,
    run_months,
    start_waterfall,
    zero_accumulated,
)
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
DEAL = load_deal(REPO / "deals" / "2002-HE1.yaml")
BASE = load_scenario(DEAL.default_scenario)

LEFT_OVER = -7.25

SCENARIOS = {
    # deep losses: write-downs, carry-forwards, the trigger
    "losses": (
        scenario_for(BASE, GridPoint(10.0, 25.0, 90.0, 6, None)),
        ("writedown", "interest_shortfall", "is_trigger_event", "extra_principal"),
    ),
    # the call comes early and is exercised; prepaid interest and the Relief Act reduce
    # current interest (``_reduce_current_interest``) and compensating interest is paid
    "call-and-shortfalls": (
        dataclasses.replace(
            scenario_for(BASE, GridPoint(60.0, 2.0, 40.0, 12, None)),
            is_call_exercised=True,
            prepayment_interest_shortfall_days=15.0,
            relief_act_percent=1.0,
        ),
        ("call_proceeds", "interest_reduction", "compensating_interest", "is_stepped_down"),
    ),
}


def _run(compiled, months, full_record: bool) -> tuple[int, PaymentsOut]:  # type: ignore[no-untyped-def]
    n_months, n_tranches = compiled.n_months, len(DEAL.tranches)
    zeros = allocate_payments(n_months, n_tranches, len(DEAL.fees))
    out = PaymentsOut(*(np.full_like(array, LEFT_OVER) for array in zeros))
    zero_accumulated(out, 0, n_months, full_record)
    work = allocate_workspace(n_tranches, len(DEAL.groups), len(DEAL.fees))
    start_waterfall(compiled.tranches, compiled.terms, work)
    every_month = compiled.program.targets[:0]
    ran = run_months(
        0, n_months, compiled.program, compiled.tranches, compiled.fees, months,
        compiled.terms, work, out, every_month, n_months, full_record,
    )  # fmt: skip
    return ran, out


@pytest.mark.parametrize("case", SCENARIOS)
def test_without_the_full_record_the_measured_arrays_are_the_same(case: str) -> None:
    scenario, reached = SCENARIOS[case]
    compiled = compile_deal(DEAL, scenario)
    shape = (compiled.n_months, len(DEAL.groups))
    col = CollateralOut(*(np.zeros(shape) for _ in CollateralOut._fields))
    project_collateral(compiled.collateral, compiled.rates, col, True)
    months = _month_arrays(compiled, col, scenario.is_advancing)
    ran, full = _run(compiled, months, True)
    ran_partial, partial = _run(compiled, months, False)
    assert ran_partial == ran
    # the full run leaves none of the RECORD_ONLY arrays as it found them (the accumulated
    # ones its zero_accumulated zeroes): what keeps them LEFT_OVER below is a guard
    for name in RECORD_ONLY:
        assert (getattr(full, name)[:ran] != LEFT_OVER).all(), name
        assert (getattr(partial, name) == LEFT_OVER).all(), name
    for name in PaymentsOut._fields:
        if name not in RECORD_ONLY:
            np.testing.assert_array_equal(
                getattr(partial, name)[:ran], getattr(full, name)[:ran], err_msg=name
            )
    for name in reached:  # the scenario reaches what it is here for
        assert (getattr(full, name)[:ran] != 0.0).any(), name
