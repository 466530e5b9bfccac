"""Small deals and scenarios for tests, built from the deal language's grammar (not YAML)."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import strategies as st

from waterfall.deal.model import (
    CleanUpCall,
    CollateralGroup,
    Deal,
    Fee,
    LossStep,
    Overcollateralization,
    PrepaymentPenalties,
    Stepdown,
    Tranche,
    Trigger,
    WaterfallStep,
)
from waterfall.scenario import BASE, Curve, Scenario


def bond(name: str, balance: float, margin: float, group: str | None = None) -> Tranche:
    return Tranche(
        name=name,
        kind="bond",
        balance=balance,
        original_balance=balance,
        coupon=None,
        margin=margin,
        margin_after_call=margin,
        day_count="act/360",
        is_capped=True,
        group=group,
    )


def residual(name: str) -> Tranche:
    """A residual class holding the overcollateralization (its balance is the OC)."""
    return Tranche(
        name,
        "residual",
        0.0,
        0.0,
        None,
        None,
        None,
        "30/360",
        False,
        None,
        holds_overcollateralization=True,
    )


@st.composite
def small_deals(draw: st.DrawFn) -> Deal:
    """A random deal: 1-2 groups, seniors by group, 0-3 subordinates, OC, residual."""
    n_groups = draw(st.integers(1, 2))
    groups = tuple(
        CollateralGroup(
            name=f"g{index}",
            balance=draw(st.floats(1e6, 5e7)),
            note_rate=draw(st.floats(0.03, 0.12)),
            remaining_term=draw(st.integers(24, 120)),
            age=draw(st.integers(0, 36)),
        )
        for index in range(n_groups)
    )
    pool = sum(group.balance for group in groups)
    oc_share = draw(st.floats(0.0, 0.05))
    sub_shares = draw(st.lists(st.floats(0.01, 0.08), min_size=0, max_size=3))
    senior_total = pool * (1 - oc_share - sum(sub_shares))
    seniors = [
        bond(
            f"A{index}", senior_total * group.balance / pool, draw(st.floats(0, 0.01)), group.name
        )
        for index, group in enumerate(groups)
    ]
    subs = [
        bond(f"M{index}", pool * share, draw(st.floats(0.005, 0.04)))
        for index, share in enumerate(sub_shares)
    ]
    senior_names = tuple(t.name for t in seniors)
    sub_names = tuple(t.name for t in subs)
    senior_mode = draw(st.sampled_from(["by_group", "pro_rata", "sequential"]))
    steps = [
        WaterfallStep("pay_fee", (), fee="servicing"),
        WaterfallStep(
            "pay_interest",
            senior_names,
            mode=draw(st.sampled_from(["by_group", "pro_rata", "sequential"])),
        ),
    ]
    if sub_names:
        steps.append(WaterfallStep("pay_interest", sub_names, part="current"))
    steps.append(WaterfallStep("overcollateralization", ()))
    steps.append(
        WaterfallStep(
            "pay_principal", senior_names, mode=senior_mode, when="before_stepdown_or_trigger"
        )
    )
    if sub_names:
        steps.append(WaterfallStep("pay_principal", sub_names, when="before_stepdown_or_trigger"))
    cumulative = 1.0 - 2 * (oc_share + sum(sub_shares))
    steps.append(
        WaterfallStep(
            "pay_principal",
            senior_names,
            mode=senior_mode,
            when="after_stepdown_no_trigger",
            credit_target=max(cumulative, 0),
        )
    )
    for index, name in enumerate(sub_names):
        cumulative += 2 * sub_shares[index]
        steps.append(
            WaterfallStep(
                "pay_principal",
                (name,),
                when="after_stepdown_no_trigger",
                credit_target=min(max(cumulative, 0.0), 1.0),
            )
        )
    # like 2002-HE1: the seniors' unpaid interest comes first out of excess cash
    steps.append(WaterfallStep("pay_interest", senior_names, mode="pro_rata", part="carried"))
    if sub_names:
        steps.append(WaterfallStep("write_down", tuple(reversed(sub_names))))
        for name in sub_names:
            steps.append(WaterfallStep("pay_interest", (name,), part="carried"))
            steps.append(WaterfallStep("reimburse_writedown", (name,)))
    steps.append(WaterfallStep("pay_basis_risk", (*senior_names, *sub_names)))
    steps.append(WaterfallStep("pay_residual", ("X",)))
    return Deal(
        name="random",
        file="<random>",
        as_of=date(2020, 1, 25),
        first_distribution=date(2019, 2, 25),
        distribution_day=25,
        cutoff_balance=pool * 1.1,
        index_rate=draw(st.floats(0.0, 0.08)),
        groups=groups,
        tranches=(*seniors, *subs, residual("X")),
        fees=(Fee("servicing", draw(st.floats(0.0, 0.01))),),
        waterfall=tuple(steps),
        overcollateralization=Overcollateralization(
            target=pool * oc_share * draw(st.floats(1.0, 1.5)),
            target_share_after_stepdown=2 * oc_share,
            floor=pool * 0.005,
        ),
        stepdown=Stepdown(date(2021, 1, 25), draw(st.floats(0.0, 0.5)), senior_names),
        trigger=Trigger(
            draw(st.floats(0.1, 2.0)),
            (LossStep(date(2021, 1, 25), draw(st.floats(0.0, 0.1))),),
            0.0,
        ),
        clean_up_call=CleanUpCall(draw(st.sampled_from([0.0, 0.1])), draw(st.booleans())),
        prepayment_penalties=PrepaymentPenalties(0.0, date(1900, 1, 1)),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Random constant assumptions, plus a trigger mode."""
    return dataclasses.replace(
        BASE,
        prepayment=Curve("cpr", draw(st.floats(0.0, 60.0))),
        default=Curve("cdr", draw(st.floats(0.0, 40.0))),
        severity=Curve("severity", draw(st.floats(0.0, 100.0))),
        recovery_lag_months=draw(st.integers(0, 18)),
        is_advancing=draw(st.booleans()),
        libor=Curve("libor", draw(st.floats(0.0, 12.0))),
        trigger=draw(st.sampled_from(["tested", "failing", "passing"])),
    )
