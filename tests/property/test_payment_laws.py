"""Accounting laws of the priority of payments, over random scenarios and random deals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from support.builders import scenarios, small_deals

from waterfall import Deal, Result, load_deal, run
from waterfall.scenario import BASE, Curve, Scenario

CENT = 0.005  # half a cent: amounts that round to the same cent are equal
HE1 = load_deal(Path(__file__).parents[2] / "deals" / "2002-HE1.yaml")


def assert_cash_is_conserved(result: Result) -> None:
    """Every dollar collected goes to exactly one recipient, every month, to the cent."""
    paid = (
        result.payments.fee_paid.sum(axis=1)
        + result.principal.sum(axis=1)
        + result.interest.sum(axis=1)
    )
    gap = result.payments.collections - paid
    assert np.abs(gap).max(initial=0.0) <= CENT, f"month {np.abs(gap).argmax() + 1}: {gap}"
    assert np.abs(result.payments.unallocated).max(initial=0.0) <= CENT
    assert np.isfinite(result.balance).all()
    assert np.isfinite(result.interest).all()


def assert_balances_stay_in_bounds(result: Result) -> None:
    """No balance goes negative, above its original amount, or up without a write-up."""
    for index, tranche in enumerate(result.deal.tranches):
        if tranche.kind != "bond":
            continue
        path = np.concatenate([[tranche.balance], result.balance[:, index]])
        assert path.min() >= -CENT
        assert path.max() <= tranche.original_balance + CENT
        assert (np.diff(path) <= CENT).all()


def assert_interest_is_paid_in_order(result: Result) -> None:
    """No class gets interest while a more senior class's current interest is unpaid.

    A tranche's interest rank is the position of the first step that pays its current
    interest. If a tranche ends a month with part of that month's interest unpaid, no tranche
    of a later rank, nor the residual or basis-risk carry-forward, was paid in that month.
    """
    rank: dict[str, int] = {}
    for position, step in enumerate(result.deal.waterfall):
        if step.action == "pay_interest" and step.part != "carried":
            for name in step.targets:
                rank.setdefault(name, position)
    basis_steps = [
        position
        for position, step in enumerate(result.deal.waterfall)
        if step.action == "pay_basis_risk"
    ]
    names = result.tranche_names
    p = result.payments
    capped = [i for i, t in enumerate(result.deal.tranches) if t.is_capped]
    for month in range(result.n_months):
        # capped interest is rounded half up class by class, so when the cap binds the
        # capped classes may together be owed up to half a cent each more than it leaves
        binding = sum(1 for i in capped if p.coupon[month, i] == p.cap_rate[month, i])
        tolerance = CENT + 0.005 * binding
        short = [
            name
            for name in rank
            if p.interest[month, names.index(name)]
            < p.interest_due[month, names.index(name)] - tolerance
        ]
        if not short:
            continue
        worst = min(rank[name] for name in short)
        for name, position in rank.items():
            if position > worst:
                assert p.interest[month, names.index(name)] <= CENT, (month, short, name)
        assert p.residual[month].sum() <= CENT
        if any(position > worst for position in basis_steps):
            assert p.basis_risk_paid[month].sum() <= CENT


def assert_subordinates_locked_out(result: Result) -> None:
    """No subordinate principal before stepdown or during a trigger while seniors are owed."""
    seniors = [result.index(name) for name in result.deal.stepdown.senior_tranches]
    if not seniors:
        return
    subs = [
        index
        for index, tranche in enumerate(result.deal.tranches)
        if tranche.kind == "bond" and index not in seniors and tranche.name != "P"
    ]
    p = result.payments
    locked = (p.is_stepped_down < 0.5) | (p.is_trigger_event > 0.5)
    seniors_left = result.balance[:, seniors].sum(axis=1) > CENT
    for month in np.nonzero(locked & seniors_left & (p.call_proceeds == 0))[0]:
        assert result.principal[month, subs].sum() <= CENT, month + 1


def assert_losses_written_down_in_reverse_order(result: Result) -> None:
    """Write-downs hit the most junior class first and never the seniors."""
    order = [s.targets for s in result.deal.waterfall if s.action == "write_down"]
    listed = {name for targets in order for name in targets}
    for index, name in enumerate(result.tranche_names):
        if name not in listed:
            assert result.writedown[:, index].max(initial=0.0) <= CENT, name
    for targets in order:
        for position, name in enumerate(targets):
            hit = result.writedown[:, result.index(name)] > CENT
            for junior in targets[:position]:
                assert (result.balance[hit, result.index(junior)] <= CENT).all(), (name, junior)


def assert_collateral_runs_off(result: Result) -> None:
    """Every dollar of the starting pool is collected as principal, lost, bought by the
    clean-up call, or still outstanding at the horizon; the call is taken on the first
    eligible date, at the pool balance."""
    start = result.pool_balance[0]
    called = result.payments.call_proceeds.sum()
    collected = result.principal_collected.sum() + result.collateral["principal_loss"].sum()
    tolerance = 1e-4 * max(1.0, start / 1e8)
    if called > 0.0:
        threshold = result.deal.clean_up_call.share_of_cutoff * result.deal.cutoff_balance
        assert result.payments.call_proceeds[:-1].max(initial=0.0) == 0.0  # the last month
        assert called == result.pool_balance[-1] <= threshold
        assert (result.pool_balance[1:-1] > threshold).all()
        assert abs(collected + called - start) <= tolerance
        return
    assert abs(collected + result.pool_balance[-1] - start) <= tolerance
    if result.scenario.months is None:
        assert abs(result.pool_balance[-1]) <= 1e-4


LAWS = (
    assert_cash_is_conserved,
    assert_balances_stay_in_bounds,
    assert_interest_is_paid_in_order,
    assert_subordinates_locked_out,
    assert_losses_written_down_in_reverse_order,
    assert_collateral_runs_off,
)


def check_all_laws(result: Result) -> None:
    for law in LAWS:
        law(result)


@given(scenario=scenarios())
def test_2002_he1_obeys_every_law_under_random_scenarios(scenario: Scenario) -> None:
    check_all_laws(run(HE1, scenario))


@given(deal=small_deals(), scenario=scenarios())
def test_random_small_deals_obey_every_law(deal: Deal, scenario: Scenario) -> None:
    check_all_laws(run(deal, scenario))


@given(cpr=st.floats(0.0, 50.0), cdr=st.floats(0.0, 50.0), severity=st.floats(20.0, 100.0))
def test_losses_reach_subordinates_only_after_the_overcollateralization(
    cpr: float, cdr: float, severity: float
) -> None:
    scenario = dataclasses.replace(
        BASE,
        prepayment=Curve("cpr", cpr),
        default=Curve("cdr", cdr),
        severity=Curve("severity", severity),
        recovery_lag_months=6,
    )
    result = run(HE1, scenario)
    written = result.writedown.sum(axis=1) > CENT
    # a write-down month ends with no overcollateralization left
    assert (result.payments.overcollateralization[written] <= CENT).all()


def test_zero_prepayment_and_default_pay_down_the_pool_on_schedule() -> None:
    result = run(HE1, BASE)
    monthly = HE1.groups[0].note_rate / 12
    term = HE1.groups[0].remaining_term
    # The seeded pipeline (delinquent_balance) liquidates in month 1 with no loss (lag 0,
    # severity 0); the performing loans follow the level-pay balance after k months,
    # performing x (1 - (1+r)^-(n-k)) / (1 - (1+r)^-n).
    performing = HE1.pool_balance - sum(g.delinquent_balance for g in HE1.groups)
    assert performing < HE1.pool_balance
    k = np.arange(1, term + 1)
    expected = performing * (1 - (1 + monthly) ** -(term - k)) / (1 - (1 + monthly) ** -term)
    np.testing.assert_allclose(result.pool_balance[1:], expected, rtol=1e-9, atol=1e-4)
    assert result.writedown.sum() == 0.0
    check_all_laws(result)


def test_every_kind_of_step_moves_money_in_a_stress_scenario() -> None:
    """Each op-code's branch acts: under a cap that binds, then a year of heavy defaults,
    2002-HE1 pays through every kind of step (a new op-code needs its line here)."""
    from waterfall.kernels.opcodes import Step

    scenario = dataclasses.replace(
        BASE,
        prepayment=Curve("cpr", 20.0),
        default=Curve("cdr", "15 11S 0"),
        severity=Curve("severity", 50.0),
        recovery_lag_months=6,
        libor=Curve("libor", "7 5S 1"),
        months=200,
    )
    result = run(HE1, scenario)
    p = result.payments
    moved = {
        Step.PAY_FEE: p.fee_paid,
        Step.PAY_INTEREST: p.interest,
        Step.OVERCOLLATERALIZATION: p.extra_principal + p.oc_release,
        Step.PAY_PRINCIPAL: p.principal,
        Step.WRITE_DOWN: p.writedown,
        Step.REIMBURSE_WRITEDOWN: p.writedown_reimbursed,
        Step.PAY_BASIS_RISK: p.basis_risk_paid,
        Step.PAY_PENALTIES: p.penalties,
        Step.PAY_RESIDUAL: p.residual,
    }
    for step in Step:
        assert moved[step].sum() > 1_000.0, step.name
    check_all_laws(result)


@given(
    months=st.integers(1, 40),
    lag=st.integers(0, 30),
    cdr=st.floats(0.0, 20.0),
    severity=st.floats(0.0, 80.0),
)
def test_a_shorter_projection_is_the_start_of_the_longer_one(
    months: int, lag: int, cdr: float, severity: float
) -> None:
    # cutting the horizon must not change a month it keeps (the seeded pipeline included,
    # even when its liquidations run past the horizon)
    full = dataclasses.replace(
        BASE,
        prepayment=Curve("cpr", 20.0),
        default=Curve("cdr", cdr),
        severity=Curve("severity", severity),
        recovery_lag_months=lag,
        months=60,
    )
    long_run = run(HE1, full)
    short_run = run(HE1, dataclasses.replace(full, months=months))
    for name in ("principal", "interest", "writedown", "balance"):
        assert np.array_equal(getattr(short_run, name), getattr(long_run, name)[:months]), name
    assert np.array_equal(short_run.pool_balance, long_run.pool_balance[: months + 1])
