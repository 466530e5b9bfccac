"""The law behind the grid's early stop: once every watched class is settled and no
penalties are left, no later month pays or writes down any of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from waterfall.compile import compile_deal
from waterfall.deal import load_deal
from waterfall.engine import run
from waterfall.grid import GridPoint
from waterfall.grid.run import METRIC_COLUMNS, run_grid, scenario_for
from waterfall.measures import measured_classes, scenario_metrics, settling_watch
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def _settled_after(result, watched) -> int:  # type: ignore[no-untyped-def]
    """The first month (1-based) after which the watched classes are settled, as
    ``payments._is_settled`` judges it from the month-end state; 0 when never."""
    pay = result.payments
    unreimbursed = np.cumsum(pay.writedown - pay.writedown_reimbursed, axis=0)
    penalties_left = np.cumsum(pay.penalties.sum(axis=1)[::-1])[::-1]  # this month on
    for month in range(pay.balance.shape[0]):
        owing = (
            pay.balance[month, watched],
            pay.interest_shortfall[month, watched],
            pay.basis_risk_carryforward[month, watched],
            unreimbursed[month, watched],
        )
        later_penalties = penalties_left[month + 1] if month + 1 < len(penalties_left) else 0
        if later_penalties == 0.0 and all(not amounts.any() for amounts in owing):
            return month + 1
    return 0


@pytest.mark.parametrize(
    ("cpr", "cdr", "severity", "settles"),
    [
        (95.0, 0.0, 10.0, True),  # every class retired early: the penalties decide (month 25)
        (30.0, 0.0, 50.0, True),
        (60.0, 1.0, 20.0, True),
        (30.0, 8.0, 50.0, False),  # B written down and owed to the end: every month runs
    ],
)
def test_nothing_reaches_a_settled_class_later(
    cpr: float, cdr: float, severity: float, settles: bool
) -> None:
    deal = load_deal(REPO / "deals" / "2002-HE1.yaml")
    base = load_scenario(deal.default_scenario)
    scenario = scenario_for(base, GridPoint(cpr, cdr, severity, 12, None))
    watched = settling_watch(deal, compile_deal(deal, scenario), measured_classes(deal))
    result = run(deal, scenario)
    settled = _settled_after(result, watched)
    assert (0 < settled < 341) == settles
    pay = result.payments
    later = slice(settled if settles else 341, None)
    for name in ("principal", "interest", "basis_risk_paid", "writedown_reimbursed",
                 "penalties", "writedown"):  # fmt: skip
        assert not getattr(pay, name)[later][:, watched].any(), name


def test_a_grid_cut_short_by_settled_classes_measures_as_the_full_runs() -> None:
    # the grid stops these scenarios early (settled classes, penalties over); every metric
    # still equals the full single run's, P's included (its penalties end in month 25)
    deal = load_deal(REPO / "deals" / "2002-HE1.yaml")
    base = load_scenario(deal.default_scenario)
    points = [GridPoint(95.0, 0.0, 10.0, 12, None), GridPoint(30.0, 0.0, 50.0, 12, None)]
    result = run_grid(deal, base, points, with_other_horizon=True)
    for row, point in enumerate(points):
        _, metrics, _ = scenario_metrics(deal, scenario_for(base, point))
        for name in METRIC_COLUMNS:
            np.testing.assert_array_equal(result.metrics[name][row], metrics[name], err_msg=name)
