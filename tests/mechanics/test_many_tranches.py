"""A deal with more classes than the month loop's stack scratch holds
(``kernels.scratch.MAX_STACK_TRANCHES``) keeps that scratch in its workspace instead: the
same deal with paid-off classes added past that size must pay every other class exactly as
without them (a paid-off class accrues nothing, is owed nothing and takes no share)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from waterfall import load_deal
from waterfall.engine import run
from waterfall.grid import GridPoint
from waterfall.grid.run import scenario_for
from waterfall.kernels.scratch import MAX_STACK_TRANCHES
from waterfall.scenario import BASE


def deal_text(n_live: int, n_paid_off: int) -> str:
    """``n_live`` floating classes of 1.4 million (half pro rata, half sequential), then
    ``n_paid_off`` classes with no balance left, then the residual."""
    names = [f"C{k}" for k in range(n_live + n_paid_off)]
    classes = [
        f"  - name: {name}\n"
        f"    balance: {1_400_000.00 if k < n_live else 0.0:.2f}\n"
        f"    original_balance: 1500000.00\n"
        f"    margin: {0.001 + 0.0003 * k:.4f}\n"
        "    capped: true"
        for k, name in enumerate(names)
    ]
    half = n_live // 2  # the paid-off classes join the sequential steps, last
    first, rest = ", ".join(names[:half]), ", ".join(names[half:])
    every = ", ".join(names)
    return "\n".join(
        [
            "deal: Many classes",
            "as_of: 2020-01-25",
            "first_distribution: 2019-02-25",
            "distribution_day: 25",
            f"cutoff_balance: {1_500_000.0 * n_live + 9_000_000.0:.2f}",
            "index_rate: 0.02",
            "collateral:",
            "  - name: loans",
            f"    balance: {1_400_000.0 * n_live + 4_000_000.0:.2f}",
            "    note_rate: 0.07",
            "    remaining_term: 120",
            "    age: 12",
            "tranches:",
            *classes,
            "  - name: RES",
            "    kind: residual",
            "    balance: 0.0",
            "    holds_overcollateralization: true",
            "fees:",
            "  - name: servicing",
            "    role: servicing",
            "    annual_rate: 0.0025",
            "overcollateralization:",
            "  target: 4000000.00",
            "waterfall:",
            "  - pay_fee: servicing",
            f"  - pay_interest: [{first}]",
            "    mode: pro_rata",
            f"  - pay_interest: [{rest}]",
            "  - overcollateralization: to_target",
            f"  - pay_principal: [{first}]",
            "    mode: pro_rata",
            f"  - pay_principal: [{rest}]",
            f"  - write_down: [{', '.join(reversed(names))}]",
            f"  - pay_interest: [{every}]",
            "    mode: pro_rata",
            "    part: carried",
            f"  - reimburse_writedown: [{every}]",
            f"  - pay_basis_risk: [{every}]",
            "    mode: pro_rata",
            "  - pay_residual: RES",
            "",
        ]
    )


def test_classes_past_the_stack_scratch_pay_as_the_same_deal_within_it(tmp_path: Path) -> None:
    n_live = MAX_STACK_TRANCHES - 10
    within, beyond = tmp_path / "within.yaml", tmp_path / "beyond.yaml"
    within.write_text(deal_text(n_live, 0))
    beyond.write_text(deal_text(n_live, 20))
    small, large = load_deal(within), load_deal(beyond)
    assert len(small.tranches) <= MAX_STACK_TRANCHES < len(large.tranches)
    scenario = scenario_for(BASE, GridPoint(cpr=20.0, cdr=30.0, severity=80.0, lag=6))
    a, b = run(small, scenario), run(large, scenario)
    live = [b.index(f"C{k}") for k in range(n_live)] + [b.index("RES")]
    assert a.interest.sum() > 0.0  # money moved
    assert a.writedown.sum() > 0.0  # and losses reached the classes
    for name in ("principal", "interest", "writedown", "balance"):
        assert np.array_equal(getattr(a, name), getattr(b, name)[:, live]), name
    paid_off = [b.index(f"C{k}") for k in range(n_live, n_live + 20)]
    assert not b.principal[:, paid_off].any()
    assert not b.interest[:, paid_off].any()
