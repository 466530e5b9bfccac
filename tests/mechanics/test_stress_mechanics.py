"""The stress mechanics of a 2002 subprime OC deal, each against hand arithmetic.

Each test builds a scenario that makes one mechanism act (a cap that binds and then falls
away, a carry-forward paid back, a trigger after the stepdown, a cap contract that pays, ...)
and recomputes the amounts it moves from the deal's terms, written out here. The engine's
own collateral columns (interest collected, prepayments, pool balance) are taken as given:
they are tested against the SIFMA tables in ``tests/reference``. Each test names, in its
docstring, the mutation of the engine that it was seen to fail on.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest
from support.builders import bond, residual

from waterfall import Deal, Result, load_deal, load_scenario, run
from waterfall.deal.model import (
    CleanUpCall,
    CollateralGroup,
    Fee,
    NotionalStep,
    Overcollateralization,
    PrepaymentPenalties,
    Stepdown,
    Tranche,
    Trigger,
    WaterfallStep,
    YieldMaintenance,
)
from waterfall.scenario import BASE, Curve, Scenario

ROOT = Path(__file__).parents[2]
HE1 = load_deal(ROOT / "deals" / "2002-HE1.yaml")
OBSERVED = load_scenario(ROOT / "scenarios" / "2002-11-observed.yaml")
FLOATERS = ("A-1", "A-2", "M-1", "M-2", "B")
MARGIN = {"A-1": 0.0042, "A-2": 0.0038, "M-1": 0.011, "M-2": 0.0165, "B": 0.0265}
NOTE_RATE = 0.0899827  # 2002-HE1's WAC, both groups (deal file)
SERVICING = 0.005
SENIOR_EXPENSE = 0.0025615596


def cents(amount: float) -> float:
    """Half up to the cent, in decimal (independent of the kernel's float rounding)."""
    return float(Decimal(repr(float(amount))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def with_scenario(**changes: object) -> Scenario:
    return dataclasses.replace(OBSERVED, **changes)  # type: ignore[arg-type]


def he1_net_wac(result: Result, month: int) -> float:
    """2002-HE1's group net WAC in ``month`` (0-based), a 30/360 annual rate, by hand.

    Note rate less servicing and the senior expense, each a cent-rounded dollar amount on
    the beginning pool, less A-IO's interest (notional: the schedule, at most the pool) as a
    rate on the pool. BIO, paid after basis risk, is not deducted.
    """
    pool = result.pool_balance[month]
    servicing = cents(SERVICING / 12 * pool)
    expense = cents(SENIOR_EXPENSE / 12 * pool)
    notional = min(233_000_000.0, pool) if result.dates[month] <= date(2004, 7, 31) else 0.0
    a_io = cents(notional * 0.065 / 12)
    return float(NOTE_RATE - 12 * (servicing + expense + a_io) / pool)


def test_carryforward_earns_its_uncapped_rate_in_months_the_cap_binds() -> None:
    """LIBOR 7% for 6 months: B's carry-forward grows by its shortfall plus interest on it.

    Kills: accruing the carry-forward only in months the cap does not bind (the old code);
    accruing it at the capped rate.
    """
    result = run(HE1, with_scenario(libor=Curve("libor", "7 5S 1"), months=6))
    p = result.payments
    b = result.index("B")
    fraction = result.compiled.calendar.act_360_fraction if result.compiled else None
    assert fraction is not None
    carry = 0.0  # the deal file: B carries nothing into December 2002
    for month in range(6):
        rate = 0.07 + MARGIN["B"]
        cap = he1_net_wac(result, month) * 30 / (fraction[month] * 360)
        assert rate > cap  # the cap binds every month
        assert p.basis_risk_paid[month, b] == 0.0  # the seniors take all excess cash first
        full = cents(49_875_000 * rate * fraction[month])
        capped = cents(49_875_000 * cap * fraction[month])
        carry = carry + cents(carry * rate * fraction[month]) + full - capped
        assert p.basis_risk_carryforward[month, b] == pytest.approx(carry, abs=0.005), month
    # January 2003 (month 2, 30 days): the interest on December's carry-forward is in it
    december, january = p.basis_risk_carryforward[:2, b]
    interest = cents(december * 0.0965 * 30 / 360)
    assert interest > 1_000.0
    assert january - december - interest == pytest.approx(
        cents(49_875_000 * 0.0965 * 30 / 360) - p.interest_due[1, b], abs=0.005
    )


def test_unpaid_interest_earns_the_coupon_after_the_cap() -> None:
    """LIBOR 7%, 50 CDR, no advancing: B is short of interest every month while the net WAC
    cap binds. What it is still owed earns interest at its coupon after the cap (its pass-
    through rate), not at LIBOR plus its margin, which only the carry-forward earns.

    Kills: accruing unpaid interest at the uncapped coupon.
    """
    scenario = with_scenario(
        libor=Curve("libor", 7), default=Curve("cdr", 50), is_advancing=False, months=6
    )
    result = run(HE1, scenario)
    p = result.payments
    b = result.index("B")
    fraction = result.compiled.calendar.act_360_fraction if result.compiled else None
    assert fraction is not None
    for month in range(1, 6):
        unpaid = p.interest_shortfall[month - 1, b]
        coupon = p.coupon[month, b]
        uncapped = 0.07 + MARGIN["B"]
        # the cap binds, and by enough that the two rates give different cents
        assert unpaid * (uncapped - coupon) * fraction[month] > 100.0
        carried = unpaid + cents(unpaid * coupon * fraction[month])
        owed = p.interest_due[month, b] + carried
        assert p.interest_shortfall[month, b] == pytest.approx(
            owed - p.interest[month, b], abs=0.005
        )


def test_carryforward_is_paid_back_seniors_pro_rata_then_in_order_once_the_cap_falls_away() -> (
    None
):
    """LIBOR 7% then 1%, no losses: excess cash repays the carry-forwards with interest.

    Kills: paying basis risk A-1 before A-2 (sequential seniors); paying it before the
    unpaid interest of an earlier month accrues; dropping the carry-forward after it is set.
    """
    result = run(
        HE1,
        with_scenario(libor=Curve("libor", "7 5S 1"), severity=Curve("severity", 0.0), months=10),
    )
    p = result.payments
    fraction = result.compiled.calendar.act_360_fraction if result.compiled else None
    assert fraction is not None
    seniors = [result.index(name) for name in ("A-1", "A-2")]
    for month in range(6, 10):
        owed = {}
        for name in FLOATERS:
            index = result.index(name)
            before = p.basis_risk_carryforward[month - 1, index]
            rate = 0.01 + MARGIN[name]
            assert p.coupon[month, index] == pytest.approx(rate)  # the cap no longer binds
            owed[name] = before + cents(before * rate * fraction[month])
        paid = {name: p.basis_risk_paid[month, result.index(name)] for name in FLOATERS}
        senior_owed = owed["A-1"] + owed["A-2"]
        senior_paid = paid["A-1"] + paid["A-2"]
        if senior_paid < senior_owed - 0.005:
            # not enough for the seniors: they share it by what each is owed, nobody else
            assert senior_paid > 0.0
            assert paid["A-1"] == pytest.approx(
                cents(senior_paid * owed["A-1"] / senior_owed), abs=0.005
            )
            assert paid["M-1"] == paid["M-2"] == paid["B"] == 0.0
        else:
            for index in seniors:
                assert p.basis_risk_carryforward[month, index] == pytest.approx(0.0, abs=0.005)
            # then M-1, M-2, B in order: a class is paid only when the one before is whole
            for junior, senior in (("M-2", "M-1"), ("B", "M-2")):
                if paid[junior] > 0.0:
                    assert paid[senior] == pytest.approx(owed[senior], abs=0.005)
        for name in FLOATERS:
            left = p.basis_risk_carryforward[month, result.index(name)]
            assert left == pytest.approx(owed[name] - paid[name], abs=0.005)
    assert p.basis_risk_paid[6:10, seniors].sum() > 2_000_000  # the payback happened
    assert p.basis_risk_carryforward[9].sum() == pytest.approx(0.0, abs=0.01)


def test_the_cap_does_not_reserve_bio_which_is_paid_after_basis_risk() -> None:
    """60 CPR, months 15-18: the cap is the net WAC less A-IO only, and the 157,500 of BIO's
    coupon no longer leaves as extra principal.

    Kills: deducting every uncapped class (BIO included) in the cap, the old blanket rule.
    """
    result = run(HE1, with_scenario(prepayment=Curve("cpr", 60.0)))
    p = result.payments
    a1 = result.index("A-1")
    fraction = result.compiled.calendar.act_360_fraction if result.compiled else None
    assert fraction is not None
    for month in range(14, 18):
        cap = he1_net_wac(result, month) * 30 / (fraction[month] * 360)
        assert p.cap_rate[month, a1] == pytest.approx(cap, abs=1e-12)
        # extra principal only covers the month's realized losses
        assert p.extra_principal[month] <= result.collateral["principal_loss"][month] + 0.01
    bio = result.index("BIO")
    # BIO is owed 157,500 a month; it gets it whenever the carry-forwards ahead are paid
    for month in range(result.n_months):
        if p.interest[month, bio] > 0.0:
            assert p.basis_risk_carryforward[month, : bio - 1].sum() == pytest.approx(0, abs=0.01)


def _two_group_deal(cap_form: str) -> Deal:
    """Group 1 at 9%, group 2 at 7%; A1, A2 by group; M below; AIO with the seniors, BIO after."""
    groups = (
        CollateralGroup("g1", 60_000_000.0, 0.09, 240, 12),
        CollateralGroup("g2", 40_000_000.0, 0.07, 240, 12),
    )

    def strip(name: str, notional: float, coupon: float) -> Tranche:
        return Tranche(
            name,
            "notional",
            notional,
            notional,
            coupon,
            None,
            None,
            "30/360",
            False,
            None,
            notional_schedule=(NotionalStep(date(2030, 1, 25), notional),),
        )

    tranches = (
        bond("A1", 45_000_000.0, 0.003, "g1"),
        bond("A2", 36_000_000.0, 0.003, "g2"),
        strip("AIO", 20_000_000.0, 0.05),
        bond("M", 14_000_000.0, 0.01),
        strip("BIO", 10_000_000.0, 0.04),
        residual("X"),
    )
    steps = (
        WaterfallStep("pay_fee", (), fee="servicing"),
        WaterfallStep("pay_interest", ("A1", "A2", "AIO"), mode="by_group"),
        WaterfallStep("pay_interest", ("M",), part="current"),
        WaterfallStep("overcollateralization", ()),
        WaterfallStep("pay_principal", ("A1", "A2"), mode="by_group"),
        WaterfallStep("pay_principal", ("M",)),
        WaterfallStep("pay_interest", ("A1", "A2", "AIO"), mode="pro_rata", part="carried"),
        WaterfallStep("write_down", ("M",)),
        WaterfallStep("pay_interest", ("M",), part="carried"),
        WaterfallStep("reimburse_writedown", ("M",)),
        WaterfallStep("pay_basis_risk", ("A1", "A2"), mode="pro_rata"),
        WaterfallStep("pay_basis_risk", ("M",)),
        WaterfallStep("pay_interest", ("BIO",)),
        WaterfallStep("pay_residual", ("X",)),
    )
    return Deal(
        name="two groups",
        file="<test>",
        as_of=date(2020, 1, 25),
        first_distribution=date(2019, 2, 25),
        distribution_day=25,
        cutoff_balance=110_000_000.0,
        index_rate=0.10,
        groups=groups,
        tranches=tranches,
        fees=(Fee("servicing", 0.005),),
        waterfall=steps,
        overcollateralization=Overcollateralization(5_000_000.0, 0.1, 500_000.0),
        stepdown=Stepdown(date(2030, 1, 25), 1.0, ("A1", "A2")),
        trigger=Trigger(float("inf"), (), 0.0),
        clean_up_call=CleanUpCall(0.0, False),
        prepayment_penalties=PrepaymentPenalties(0.0, date(1900, 1, 1)),
        interest_cap=cap_form,
    )


def test_net_wac_cap_is_each_groups_rate_for_its_seniors_and_subordinate_weighted_below() -> None:
    """Two groups at 9% and 7%, LIBOR 10%: three different caps in month 1.

    Kills: one pool-wide cap for every class; weighting the subordinates' rate by the group
    balances instead of the subordinate amounts; deducting BIO; not deducting AIO.
    """
    result = run(_two_group_deal("net_wac"), dataclasses.replace(BASE, months=1))
    p = result.payments
    days = (date(2020, 2, 25) - date(2020, 1, 25)).days  # 31
    # the servicing fee and AIO's coupon, as 30/360 rates on the 100,000,000 pool
    servicing = cents(0.005 / 12 * 100_000_000)  # 41,666.67
    a_io = cents(20_000_000 * 0.05 / 12)  # 83,333.33
    deducted = 12 * (servicing + a_io) / 100_000_000  # 1.5%
    group_1 = 0.09 - deducted  # 7.5%
    group_2 = 0.07 - deducted  # 5.5%
    # subordinate amounts: group 1 60M - A1 45M = 15M; group 2 40M - A2 36M = 4M
    subordinate = (group_1 * 15 + group_2 * 4) / 19
    expected = {"A1": group_1, "A2": group_2, "M": subordinate}
    for name, net_wac in expected.items():
        index = result.index(name)
        cap = net_wac * 30 / days
        assert p.cap_rate[0, index] == pytest.approx(cap, abs=1e-14), name
        assert p.coupon[0, index] == pytest.approx(cap, abs=1e-14), name  # LIBOR 10% binds
        balance = result.deal.tranches[index].balance
        assert p.interest_due[0, index] == cents(balance * net_wac / 12), name


def test_available_funds_cap_is_what_is_collected_less_what_ranks_ahead() -> None:
    """The other declared form: one cap, interest collected less the fee and AIO (not BIO)
    over the capped classes' balance x accrual.

    Kills: deducting BIO (paid after the capped classes) from the room.
    """
    result = run(_two_group_deal("available_funds"), dataclasses.replace(BASE, months=1))
    p = result.payments
    days = 31
    collected = 60_000_000 * 0.09 / 12 + 40_000_000 * 0.07 / 12  # no prepayment or default
    assert result.interest_collected[0] == pytest.approx(collected, abs=1e-6)
    room = collected - cents(0.005 / 12 * 100_000_000) - cents(20_000_000 * 0.05 / 12)
    cap = room / ((45_000_000 + 36_000_000 + 14_000_000) * days / 360)
    for name in ("A1", "A2", "M"):
        assert p.cap_rate[0, result.index(name)] == pytest.approx(cap, abs=1e-14)


def test_basis_risk_is_paid_to_the_seniors_pro_rata_before_the_subordinates() -> None:
    """Carry-forwards of 1,000,000 (A-1), 3,000,000 (A-2), 500,000 (M-1), and less excess
    cash in December 2002 than A-1 alone is owed (the pipeline's losses come first).

    Kills: `pay_basis_risk: [A-1, A-2, M-1, M-2, B]` sequential (A-1 would be paid whole).
    """
    carried = {"A-1": 1_000_000.0, "A-2": 3_000_000.0, "M-1": 500_000.0}
    tranches = tuple(
        dataclasses.replace(t, basis_risk_carryforward=carried.get(t.name, 0.0))
        for t in HE1.tranches
    )
    deal = dataclasses.replace(HE1, tranches=tranches)
    result = run(deal, with_scenario(months=1))
    p = result.payments
    fraction = result.compiled.calendar.act_360_fraction[0] if result.compiled else 0.0
    owed = {
        name: amount + cents(amount * (0.018025 + MARGIN[name]) * fraction)
        for name, amount in carried.items()
    }
    paid = {name: p.basis_risk_paid[0, result.index(name)] for name in carried}
    total = paid["A-1"] + paid["A-2"]
    assert 100_000 < total < owed["A-1"]  # in sequence A-1 would have taken it all
    share = owed["A-1"] / (owed["A-1"] + owed["A-2"])
    assert paid["A-1"] == cents(total * share)
    assert paid["M-1"] == 0.0


def test_yield_maintenance_agreement_pays_libor_above_its_strike_to_the_carryforwards() -> None:
    """A cap contract on 100,000,000, strike 5%, ceiling 8%, LIBOR 4%, 6%, 9%.

    Kills: the contract's payment left out of collections; paid to the residual instead of
    the carry-forwards; LIBOR above the ceiling counted.
    """
    contract = YieldMaintenance(
        notional_schedule=(NotionalStep(date(2003, 12, 15), 100_000_000.0),),
        strike=0.05,
        ceiling=0.08,
        day_count="act/360",
    )
    scenario = with_scenario(libor=Curve("libor", "4 6 9"), months=3)
    with_contract = run(dataclasses.replace(HE1, yield_maintenance=contract), scenario)
    without = run(HE1, scenario)
    fraction = with_contract.compiled.calendar.act_360_fraction if with_contract.compiled else None
    assert fraction is not None
    expected = [0.0, cents(1e8 * 0.01 * fraction[1]), cents(1e8 * 0.03 * fraction[2])]
    np.testing.assert_array_equal(with_contract.payments.cap_contract_payment, expected)
    np.testing.assert_array_equal(without.payments.cap_contract_payment, [0.0, 0.0, 0.0])
    gap = with_contract.payments.collections - without.payments.collections
    np.testing.assert_allclose(gap[:2], expected[:2], atol=1e-6)
    # month 2: carry-forwards exist (the cap bound in month 1 at LIBOR 4%? and binds at 6%);
    # the contract's payment is added to what excess cash pays them
    owed_total = without.payments.basis_risk_paid[1].sum() + (
        without.payments.basis_risk_carryforward[1].sum()
    )
    paid_without = without.payments.basis_risk_paid[1].sum()
    paid_with = with_contract.payments.basis_risk_paid[1].sum()
    assert paid_with == pytest.approx(min(owed_total, paid_without + expected[1]), abs=0.01)
    assert owed_total > paid_without + expected[1]  # all of it went to the carry-forwards


def test_the_2002_he1_contract_never_pays_while_its_terms_are_unknown() -> None:
    """The deal file's contract has no notional (assumed): nothing at any LIBOR."""
    result = run(HE1, with_scenario(libor=Curve("libor", 20.0), months=24))
    assert HE1.yield_maintenance is not None
    assert not HE1.yield_maintenance.notional_schedule
    assert result.payments.cap_contract_payment.max() == 0.0


def test_prepayment_interest_and_relief_act_shortfalls_reduce_each_class_pro_rata() -> None:
    """80 CPR, a whole month's interest lost on prepayments, 2% of loans under the Relief Act.

    The servicer covers prepayment interest up to its fee (compensating interest); what it
    does not cover and the Relief Act shortfall reduce every class's current interest pro
    rata to it, and are not carried forward.

    Kills: no compensating interest; shortfalls left to fall on the most junior class;
    shortfalls not taken off collections.
    """
    scenario = with_scenario(
        prepayment=Curve("cpr", 80.0),
        prepayment_interest_shortfall_days=30.0,
        relief_act_percent=2.0,
        months=1,
    )
    result = run(HE1, scenario)
    plain = run(
        HE1,
        dataclasses.replace(
            scenario, prepayment_interest_shortfall_days=0.0, relief_act_percent=0.0
        ),
    )
    p = result.payments
    by_group = result.collateral_by_group
    prepaid = by_group.voluntary_prepayments[0]
    expected_interest = by_group.expected_interest[0]
    lost = float((prepaid * NOTE_RATE / 12).sum())  # 30 of 30 days
    relief = float((expected_interest * 0.02 * (1 - 0.06 / NOTE_RATE)).sum())
    assert result.interest_collected[0] == pytest.approx(
        expected_interest.sum() - lost - relief, abs=1e-6
    )
    servicing = cents(SERVICING / 12 * result.pool_balance[0])
    compensating = min(lost, servicing)
    assert lost > servicing  # the servicer's fee does not cover it all
    assert p.compensating_interest[0] == pytest.approx(compensating, abs=1e-9)
    assert p.fee_paid[0, 0] == pytest.approx(servicing - compensating, abs=1e-6)
    net = lost - compensating + relief
    reduction = p.interest_reduction[0]
    assert reduction.sum() == pytest.approx(net, abs=0.005)
    due_before = plain.payments.interest_due[0]
    for index, name in enumerate(result.tranche_names):
        if due_before[index] > 0:
            share = net * due_before[index] / due_before.sum()
            # half a cent of rounding a class, all of it on the last class at worst
            assert reduction[index] == pytest.approx(share, abs=0.05), name
        assert p.interest_shortfall[0, index] == 0.0, name  # forgone, not carried
    # everything else paid as without the shortfalls, so X absorbs nothing of it
    assert p.residual[0].sum() == pytest.approx(plain.payments.residual[0].sum(), abs=0.05)


def test_shortfalls_are_off_unless_a_scenario_turns_them_on() -> None:
    result = run(HE1, with_scenario(months=12))
    assert result.payments.compensating_interest.max() == 0.0
    assert result.payments.interest_reduction.max() == 0.0


def _stepdown_scenario(cdr: str = "0.5", severity: float = 30.0) -> Scenario:
    return with_scenario(
        prepayment=Curve("cpr", 30.0),
        default=Curve("cdr", cdr),
        severity=Curve("severity", severity),
        months=60,
    )


def test_overcollateralization_is_released_at_the_stepdown_to_3_percent_of_the_pool() -> None:
    """After the stepdown the OC target falls to 3% of the pool (floor 0.50% of cut-off);
    the excess OC is released from principal to excess cash.

    Kills: no OC release; the target not stepping down.
    """
    result = run(HE1, _stepdown_scenario())
    p = result.payments
    step = result.first_month(p.is_stepped_down) - 1
    assert step == 26  # February 2005, the 37th distribution
    assert result.dates[step] == date(2005, 2, 15)
    pool_end = result.pool_balance[step + 1]
    target = min(14_250_002.00, max(0.03 * pool_end, 4_750_000.00))
    assert p.oc_target[step] == pytest.approx(target, abs=1e-6)
    bonds = [i for i, t in enumerate(HE1.tranches) if t.kind == "bond"]
    before = result.balance[step - 1, bonds].sum()
    oc_if_all_principal_paid = pool_end - (before - result.principal_collected[step])
    release = cents(oc_if_all_principal_paid - target)
    assert release > 1_000_000
    assert p.oc_release[step] == pytest.approx(release, abs=0.005)
    assert p.overcollateralization[step] == pytest.approx(target, abs=0.01)


def test_after_the_stepdown_each_class_is_paid_to_its_target_share_of_the_pool() -> None:
    """Seniors to 61% of the pool, then M-1 to 75%, M-2 to 86.5%, B to 97% (cumulative).

    Kills: paying the subordinates sequentially after the stepdown; ignoring a class target.
    """
    result = run(HE1, _stepdown_scenario())
    p = result.payments
    step = result.first_month(p.is_stepped_down) - 1
    levels = ((("A-1", "A-2"), 0.61), (("M-1",), 0.75), (("M-2",), 0.865), (("B",), 0.97))
    at_target = set()
    for month in range(step, step + 12):
        assert p.is_trigger_event[month] == 0.0
        pool_end = result.pool_balance[month + 1]
        cumulative = 0.0
        for level, (names, share) in enumerate(levels):
            indices = [result.index(n) for n in names]
            cumulative += result.balance[month, indices].sum()
            allowed = min(share * pool_end, pool_end - 4_750_000.00)
            paid = result.principal[month, indices].sum()
            junior_paid = sum(
                result.principal[month, [result.index(n) for n in later]].sum()
                for later, _ in levels[level + 1 :]
            )
            if paid > 0.0:  # never paid below its target
                assert cumulative >= allowed - 0.02, (month, names)
            if junior_paid > 0.0:  # paid down to its target before any junior class
                assert cumulative <= allowed + 0.02, (month, names)
            if paid > 0.0 and abs(cumulative - allowed) <= 0.02:
                at_target.add(names)
    assert at_target == {names for names, _ in levels}  # every target was reached exactly


def test_a_trigger_after_the_stepdown_freezes_the_oc_target_and_locks_out_the_subordinates() -> (
    None
):
    """CDR 0.5% then 30% from month 36: the delinquency test fails after the stepdown.

    Kills: a failing trigger still stepping the OC target down; subordinate principal paid
    while a trigger is in effect.
    """
    result = run(HE1, _stepdown_scenario("0.5 34S 30"))
    p = result.payments
    stepped = result.first_month(p.is_stepped_down) - 1
    triggered = result.first_month(p.is_trigger_event) - 1
    assert 0 < stepped < triggered
    frozen = p.oc_target[triggered - 1]
    subs = [result.index(name) for name in ("M-1", "M-2", "B")]
    seniors = [result.index(name) for name in ("A-1", "A-2")]
    cured = triggered + int(np.argmin(p.is_trigger_event[triggered:]))
    assert cured > triggered + 6
    pool = result.pool_balance[triggered + 1 : cured + 1]
    assert (0.03 * pool < frozen - 1_000).any()  # the stepped-down target would have fallen
    for month in range(triggered, cured):
        assert p.oc_target[month] == frozen
        if result.balance[month, seniors].sum() > 0.0:
            assert result.principal[month, subs].sum() == 0.0
    # before the trigger the subordinates were being paid
    assert result.principal[stepped:triggered, subs].sum() > 0.0


def test_written_down_classes_are_reimbursed_from_later_excess_cash() -> None:
    """Heavy defaults for a year write B down; when they stop, excess cash pays B back, after
    B's unpaid interest and never more than it lost.

    Kills: no reimbursement step; reimbursing more than the unreimbursed write-down.
    """
    result = run(
        HE1,
        with_scenario(
            prepayment=Curve("cpr", 20.0),
            default=Curve("cdr", "15 11S 0"),
            severity=Curve("severity", 50.0),
            recovery_lag_months=6,
            months=200,
        ),
    )
    p = result.payments
    b = result.index("B")
    written = result.writedown[:, b].cumsum()
    reimbursed = p.writedown_reimbursed[:, b].cumsum()
    assert written[-1] > 1_000_000
    assert reimbursed[-1] > 0.0
    assert (reimbursed <= written + 0.005).all()
    for month in np.nonzero(p.writedown_reimbursed[:, b] > 0)[0]:
        assert p.interest_shortfall[month, b] == 0.0  # its unpaid interest came first
        # a month that reimburses pays either all that is owed or all that was left
        owed = written[month] - (reimbursed[month - 1] if month else 0.0)
        paid = p.writedown_reimbursed[month, b]
        junior_cash = p.basis_risk_paid[month].sum() + p.residual[month].sum()
        assert paid == pytest.approx(owed, abs=0.005) or junior_cash == 0.0


def test_the_clean_up_call_retires_every_class_at_the_pool_balance() -> None:
    """Exercised on the first date the pool is at or below 10% of the cut-off balance.

    Kills: the call's proceeds not collected; the call month not the first eligible one.
    """
    scenario = with_scenario(
        prepayment=Curve("cpr", 30.0), default=Curve("cdr", 0.0), is_call_exercised=True
    )
    result = run(HE1, scenario)
    p = result.payments
    call = result.n_months - 1
    pool_before_call = result.pool_balance[: call + 1]
    assert (pool_before_call[1:] > 95_000_000.0).all()  # no earlier month was eligible
    proceeds = p.call_proceeds[call]
    assert proceeds > 0.0
    assert proceeds <= 95_000_000.0
    bonds = [i for i, t in enumerate(HE1.tranches) if t.kind == "bond"]
    assert result.balance[call, bonds].sum() == pytest.approx(0.0, abs=0.005)
    assert p.collections[call] == pytest.approx(
        result.interest_collected[call]
        + result.principal_collected[call]
        + proceeds
        + HE1.prepayment_penalties.share_of_prepayments * 0.0,
        abs=0.01,
    )


def test_one_groups_principal_pays_the_other_groups_seniors_once_its_own_are_retired() -> None:
    """A1 is small; once it is retired, group 1's principal pays A2 (cross-collateralization).

    Kills: by-group principal with no cross-support (group 1's principal left unpaid).
    """
    deal = _two_group_deal("net_wac")
    tranches = tuple(
        dataclasses.replace(t, balance=2_000_000.0, original_balance=2_000_000.0)
        if t.name == "A1"
        else t
        for t in deal.tranches
    )
    # OC at its 48,000,000 target: all collected principal goes to the seniors, none released
    oc = Overcollateralization(48_000_000.0, 0.1, 500_000.0)
    deal = dataclasses.replace(deal, tranches=tranches, index_rate=0.02, overcollateralization=oc)
    result = run(deal, dataclasses.replace(BASE, prepayment=Curve("cpr", 30.0), months=12))
    a1, a2 = result.index("A1"), result.index("A2")
    retired = int(np.nonzero(result.balance[:, a1] <= 0.0)[0][0])
    assert retired <= 2
    # while A1 is outstanding each senior takes its own group's principal
    first = result.collateral_by_group
    group_1 = first.expected_amortization[0, 0] + first.voluntary_prepayments[0, 0]
    assert result.principal[0, a1] == pytest.approx(min(group_1, 2_000_000.0), abs=0.01)
    for month in range(retired + 1, 12):
        # all collected principal and any extra principal go to A2 (M is locked out)
        expected = result.principal_collected[month] + result.payments.extra_principal[month]
        expected -= result.payments.oc_release[month]
        assert result.principal[month, a2] == pytest.approx(expected, abs=0.01)
        assert result.principal[month, result.index("M")] == 0.0
