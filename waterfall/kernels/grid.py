"""Many scenarios of one deal: one compiled call per thread runs scenarios until none is left.

The threads are Python threads (``waterfall.grid.run``), each in a ``run_range`` call that
releases the GIL: a numba ``parallel=True`` kernel around the same call took 18 s to
compile (its gufunc wraps every one of the ~150 arrays) and ran no faster.

The scratch arrays are the single run's NamedTuples (``CollateralOut``, ``PaymentsOut``,
``Workspace``) with one more leading axis, the slab; ``_*_slab`` picks a thread's slab.

A scenario is five row numbers into tables of per-month rates (prepayment, default with its
lag, severity, seed liquidations and starting balance by lag, index rate), so a grid of a
hundred thousand points stores each distinct curve once. Each thread owns one slab of every
scratch array (leading axis ``thread * stride``); ``stride`` leaves at least one unused
64-byte cache line between two threads' slabs, so no two threads write the same line
(false sharing made a 2-thread probe slower than 1 thread). Nothing is allocated inside the
scenario loop.

The month arithmetic is the single-scenario engine's own (``project_collateral``,
``fill_months``, ``apply_waterfall``), so a scenario run here gives bit-for-bit the cash
flows of ``waterfall.engine.run``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from waterfall._jit import called_kernel, inline_kernel, kernel
from waterfall._types import F64Array, I64Array
from waterfall.kernels.claim import take
from waterfall.kernels.collateral import (
    CollateralArrays,
    CollateralOut,
    CollateralRates,
    project_collateral,
)
from waterfall.kernels.metrics import duration_of, margin_of, wal_of, window_of, yield_of
from waterfall.kernels.payments import (
    DealTerms,
    FeeArrays,
    MonthArrays,
    PaymentsOut,
    TrancheArrays,
    WaterfallProgram,
    Workspace,
    first_call_month,
    run_months,
    start_waterfall,
    sum_in_order,
    zero_accumulated,
)

SCENARIOS_PER_TAKE = 4
"""Scenarios a thread takes at a time: about half a millisecond of 2002-HE1's, so the
threads of a block end within that of each other, for one atomic add per four."""

POOL_GONE = 0.005
"""A pool below half a cent is gone: what a class is still owed then is lost."""

RELIEF_ACT_RATE = 0.06
"""The Servicemembers (in 2002, Soldiers' and Sailors') Civil Relief Act caps a borrower's
rate at 6% while on active duty; the interest above it is forgiven, not deferred."""


class InterestShortfalls(NamedTuple):
    """Scenario options that make loans pay less than a full month's interest (0 = off)."""

    days_lost_on_prepayment: float  # of a 30-day month, on every voluntary prepayment
    relief_act_share: float  # of the loans, decimal, whose rate the Relief Act caps


@kernel
def fill_months(
    col: CollateralOut,
    start_balance: F64Array,
    penalty_share: F64Array,
    is_advancing: bool,
    shortfall: InterestShortfalls,
    months: MonthArrays,
) -> None:
    """Turn collateral columns into the waterfall's monthly collections (in place).

    Principal is scheduled amortization (expected when P&I is advanced, actual otherwise)
    plus voluntary prepayments plus liquidation proceeds; interest is expected or actual
    interest, less the interest prepaid loans do not pay for the days after their
    prepayment and the interest the Relief Act's rate cap forgives; the pool balance counts
    the liquidation pipeline (foreclosure balance).
    """
    n_months, n_groups = col.performing_balance.shape
    for group in range(n_groups):
        months.group_balance[0, group] = start_balance[group]
    for month in range(n_months):
        voluntary = 0.0
        pipeline = 0.0
        prepaid_interest = 0.0
        relief = 0.0
        for group in range(n_groups):
            if is_advancing:
                amortization = col.expected_amortization[month, group]
                interest = col.expected_interest[month, group]
            else:
                amortization = col.actual_amortization[month, group]
                interest = col.actual_interest[month, group]
            months.group_principal[month, group] = (
                amortization
                + col.voluntary_prepayments[month, group]
                + col.principal_recovery[month, group]
            )
            note_rate = months.group_note_rate[group]
            lost = (
                col.voluntary_prepayments[month, group]
                * note_rate
                / 12.0
                * shortfall.days_lost_on_prepayment
                / 30.0
            )
            forgiven = 0.0
            if note_rate > RELIEF_ACT_RATE:
                forgiven = (
                    interest * shortfall.relief_act_share * (1 - RELIEF_ACT_RATE / note_rate)
                )
            months.group_interest[month, group] = interest - lost - forgiven
            prepaid_interest += lost
            relief += forgiven
            months.group_loss[month, group] = col.principal_loss[month, group]
            months.group_balance[month + 1, group] = (
                col.performing_balance[month, group] + col.foreclosure_balance[month, group]
            )
            voluntary += col.voluntary_prepayments[month, group]
            pipeline += col.foreclosure_balance[month, group]
        months.delinquent_balance[month] = pipeline
        months.prepayment_interest_shortfall[month] = prepaid_interest
        months.relief_act_shortfall[month] = relief
        months.penalties[month] = penalty_share[month] * voluntary


class ScenarioTables(NamedTuple):
    """Each distinct curve once; a scenario is a row number into each table."""

    smm: F64Array  # (n_prepayment, n_months, n_groups) monthly prepayment rate
    mdr: F64Array  # (n_default, n_months, n_groups) monthly default rate, lag rule applied
    severity: F64Array  # (n_severity, n_months, n_groups) decimal
    seed: F64Array  # (n_lag, n_months, n_groups) seeded liquidations, dollars
    start_balance: F64Array  # (n_lag, n_groups) pool balance at the start, dollars
    lag: I64Array  # (n_lag,) recovery lag of each seed row, months
    index_rate: F64Array  # (n_index, n_months) one-month LIBOR, decimal


class ScenarioRows(NamedTuple):
    """Row numbers into ``ScenarioTables``; index = scenario number."""

    prepayment: I64Array  # (n_scenarios,)
    default: I64Array  # (n_scenarios,) row of ``mdr`` (its lag is ``lag``'s)
    severity: I64Array  # (n_scenarios,)
    lag: I64Array  # (n_scenarios,) row of ``seed``, ``start_balance`` and ``lag``
    index_row: I64Array  # (n_scenarios,) row of ``index_rate``


class DealInputs(NamedTuple):
    """What every scenario shares: the month calendar and the starting collateral."""

    performing_balance: F64Array  # (n_groups,) dollars
    pipeline_balance: F64Array  # (n_groups,) dollars, seeded liquidations
    monthly_rate: F64Array  # (n_groups,)
    schedule: F64Array  # (n_months + 1, n_groups)
    act_360_fraction: F64Array  # (n_months,)
    distribution_number: I64Array  # (n_months,)
    cumulative_loss_limit: F64Array  # (n_months,)
    penalty_share: F64Array  # (n_months,)
    is_advancing: bool
    note_rate: F64Array  # (n_groups,) gross mortgage rate, decimal
    cap_contract_notional: F64Array  # (n_months,) dollars
    # InterestShortfalls' fields (a parallel kernel's arguments hold no nested scalar tuple)
    days_lost_on_prepayment: float
    relief_act_share: float


class ThreadMonths(NamedTuple):
    """MonthArrays' per-scenario columns with a leading slab axis."""

    group_interest: F64Array  # (n_slabs, n_months, n_groups)
    group_principal: F64Array  # (n_slabs, n_months, n_groups)
    group_loss: F64Array  # (n_slabs, n_months, n_groups)
    group_balance: F64Array  # (n_slabs, n_months + 1, n_groups)
    delinquent_balance: F64Array  # (n_slabs, n_months)
    penalties: F64Array  # (n_slabs, n_months)
    prepayment_interest_shortfall: F64Array  # (n_slabs, n_months)
    relief_act_shortfall: F64Array  # (n_slabs, n_months)


FLOW_MEASURES = (
    "wal_years",
    "first_principal_month",
    "last_principal_month",
    "yield",
    "discount_margin",
    "modified_duration",
)
"""The measures of a class's cash flows, in ``GridOut.measures``' last axis (units as
``waterfall.measures``: years, 1-based months, percent, basis points, years)."""

N_FLOW_MEASURES = len(FLOW_MEASURES)


class MeasureInputs(NamedTuple):
    """What measuring a class's cash flows needs; index = measured class (column)."""

    tranche: I64Array  # (n_classes,) tranche index of each measured class
    is_bond: I64Array  # (n_classes,) 1 = a bond: a horizon's balance is repaid at par
    has_margin: I64Array  # (n_classes,) 1 = a floater: measure its discount margin
    price: F64Array  # (n_classes,) dirty price, dollars
    days: I64Array  # (n_months,) 30/360 days from settlement to each distribution
    act_360_fraction: F64Array  # (n_months,) accrual periods, actual days / 360
    watched: I64Array  # tranches whose settling ends a scenario's run (empty: none does)
    quiet_from: int  # first month from which the deal collects no prepayment penalties


class ThreadFlows(NamedTuple):
    """One class's monthly principal and total cash flow, per slab (n_slabs, n_months), and
    what the first of two horizons found (index = measured class)."""

    paid: F64Array
    flows: F64Array
    kept_stop: I64Array  # (n_slabs, n_classes) one past each class's last month paid
    kept_yield: F64Array  # (n_slabs, n_classes) each class's yield, decimal


ONLY_HORIZON = 0
FIRST_OF_TWO = 1  # keeps each class's last month paid and yield in ``ThreadFlows``
SECOND_OF_TWO = 2  # a class paid nothing from the call month on in either horizon takes
#                    the first horizon's measures


class GridOut(NamedTuple):
    """Per-scenario results; index = scenario number within the block."""

    measures: F64Array  # (n_scenarios, n_classes, N_FLOW_MEASURES) FLOW_MEASURES' columns
    other_measures: F64Array  # the same with the clean-up call the other way, WAL, yield and
    #                           margin only: window 0, duration NaN (0 rows: not asked for)
    writedown: F64Array  # (n_scenarios, n_tranches) total write-down
    ending_balance: F64Array  # (n_scenarios, n_tranches) balance after the last month run
    pool_end: F64Array  # (n_scenarios,) pool balance after the last month run
    collateral_loss: F64Array  # (n_scenarios,) realized losses, dollars


@called_kernel
def _collateral_slab(c: CollateralOut, k: int) -> CollateralOut:
    return CollateralOut(
        c.performing_balance[k],
        c.new_defaults[k],
        c.foreclosure_balance[k],
        c.expected_amortization[k],
        c.voluntary_prepayments[k],
        c.amortization_from_defaults[k],
        c.actual_amortization[k],
        c.expected_interest[k],
        c.interest_lost[k],
        c.actual_interest[k],
        c.principal_recovery[k],
        c.principal_loss[k],
        c.amortized_default_balance[k],
    )


@called_kernel
def _payments_slab(p: PaymentsOut, k: int) -> PaymentsOut:
    return PaymentsOut(
        p.balance[k],
        p.principal[k],
        p.interest[k],
        p.interest_due[k],
        p.interest_shortfall[k],
        p.coupon[k],
        p.writedown[k],
        p.writedown_reimbursed[k],
        p.basis_risk_paid[k],
        p.basis_risk_carryforward[k],
        p.penalties[k],
        p.residual[k],
        p.fee_paid[k],
        p.collections[k],
        p.extra_principal[k],
        p.oc_release[k],
        p.overcollateralization[k],
        p.oc_target[k],
        p.senior_enhancement[k],
        p.cap_rate[k],
        p.cap_contract_payment[k],
        p.compensating_interest[k],
        p.interest_reduction[k],
        p.net_monthly_excess[k],
        p.is_stepped_down[k],
        p.is_trigger_event[k],
        p.call_proceeds[k],
        p.unallocated[k],
    )


@called_kernel
def _flows_slab(f: ThreadFlows, k: int) -> ThreadFlows:
    return ThreadFlows(f.paid[k], f.flows[k], f.kept_stop[k], f.kept_yield[k])


@called_kernel
def _work_slab(w: Workspace, k: int) -> Workspace:
    return Workspace(
        w.balance[k],
        w.unpaid_interest[k],
        w.unreimbursed[k],
        w.carryforward[k],
        w.due_current[k],
        w.due_carried[k],
        w.owed[k],
        w.accounts[k],
        w.status[k],
        w.group_rate[k],
        w.group_netted[k],
        w.fee_due[k],
    )


@inline_kernel
def _run_one(
    scenario: int,
    slab: int,
    tables: ScenarioTables,
    rows: ScenarioRows,
    shared: DealInputs,
    program: WaterfallProgram,
    tranches: TrancheArrays,
    fees: FeeArrays,
    terms: DealTerms,
    other_terms: DealTerms,
    tc: CollateralOut,
    projected: I64Array,
    tm: ThreadMonths,
    tp: PaymentsOut,
    tw: Workspace,
    tw_call: Workspace,
    measure: MeasureInputs,
    tf: ThreadFlows,
    out: GridOut,
) -> None:
    """Project one scenario in the slab's scratch arrays; write its results to ``out``.

    With ``out.other_measures`` asked for, the scenario is measured with the clean-up call
    both ways from one projection: until the call month the two are the same months, so the
    state at the call month is copied, the run without the call goes on to the end, and the
    call month is then run again from the copy, with the call, over that month's row.
    """
    lag_row = rows.lag[scenario]
    rates = CollateralRates(
        tables.smm[rows.prepayment[scenario]],
        tables.mdr[rows.default[scenario]],
        tables.severity[rows.severity[scenario]],
        tables.seed[lag_row],
        tables.lag[lag_row],
        shared.is_advancing,
    )
    col = _collateral_slab(tc, slab)  # every element is written (or kept, below): no zeroing
    collateral = CollateralArrays(
        shared.performing_balance, shared.monthly_rate, shared.schedule, shared.pipeline_balance
    )
    # the balances depend on the prepayment, default and lag rows, not on the severity: a
    # scenario after one of the same three rows in this slab (a grid's severity axis varies
    # fastest) projects the losses alone (the default row is one per default curve and lag,
    # but the lag row, which gives the seeded liquidations, is compared too rather than
    # trusted to follow)
    key = projected[slab]
    prepayment_row, default_row = rows.prepayment[scenario], rows.default[scenario]
    with_balances = key[0] != prepayment_row or key[1] != default_row or key[2] != lag_row
    project_collateral(collateral, rates, col, with_balances)
    key[0], key[1], key[2] = prepayment_row, default_row, lag_row  # once they are written
    months = MonthArrays(
        tables.index_rate[rows.index_row[scenario]],
        shared.act_360_fraction,
        shared.distribution_number,
        shared.cumulative_loss_limit,
        tm.group_interest[slab],
        tm.group_principal[slab],
        tm.group_loss[slab],
        tm.group_balance[slab],
        tm.delinquent_balance[slab],
        tm.penalties[slab],
        shared.note_rate,
        shared.cap_contract_notional,
        tm.prepayment_interest_shortfall[slab],
        tm.relief_act_shortfall[slab],
    )
    fill_months(
        col,
        tables.start_balance[lag_row],
        shared.penalty_share,
        shared.is_advancing,
        InterestShortfalls(shared.days_lost_on_prepayment, shared.relief_act_share),
        months,
    )
    pay = _payments_slab(tp, slab)
    n_months = pay.balance.shape[0]
    # the measures read only what a month writes without its full record (RECORD_ONLY);
    # not the literal False: numba would compile run_months again for it
    full_record = np.int64(0) != 0
    # the rest a month writes in full, but for RECORD_ONLY's arrays, which stay as they were
    zero_accumulated(pay, 0, n_months, full_record)
    work = _work_slab(tw, slab)
    is_both = out.other_measures.shape[0] > 0
    is_base_called = terms.is_call_exercised
    uncalled = other_terms if is_base_called else terms
    called = terms if is_base_called else other_terms
    needs_uncalled = is_both or not is_base_called
    needs_called = is_both or is_base_called
    start_waterfall(tranches, terms, work)
    call = first_call_month(months, terms)
    # once the measured classes are settled and no penalties are left, later months cannot
    # change what is measured (the residual takes the rest): the run stops there
    watched = measure.watched
    quiet_from = measure.quiet_from
    # (the months before the call are not cut short: the call month must be reached)
    before_call = watched if call == n_months else watched[:0]
    first = int(np.int64(0))  # not the literal 0: numba would compile run_months again for it
    ran = run_months(
        first, call, program, tranches, fees, months, uncalled, work, pay, before_call,
        quiet_from, full_record,
    )  # fmt: skip
    if call < n_months:
        if needs_called:
            _copy_work(work, _work_slab(tw_call, slab))
        if needs_uncalled:
            ran = run_months(
                call, n_months, program, tranches, fees, months, uncalled, work, pay, watched,
                quiet_from, full_record,
            )  # fmt: skip
    flows = _flows_slab(tf, slab)
    if needs_uncalled:
        target = out.other_measures if is_base_called else out.measures
        if not is_base_called:
            _store(scenario, ran, n_months, col, pay, out)
        order = FIRST_OF_TWO if is_both else ONLY_HORIZON
        _horizon(
            scenario, ran, n_months, pay, months, measure, flows, target, not is_base_called,
            out, order, target, call,
        )  # fmt: skip
    if needs_called:
        horizon = n_months
        if call < n_months:
            # the call month again, from the state before it, with the call exercised
            zero_accumulated(pay, call, call + 1, full_record)
            ran = run_months(
                call, call + 1, program, tranches, fees, months, called,
                _work_slab(tw_call, slab), pay, watched, quiet_from, full_record,
            )  # fmt: skip
            horizon = call + 1
        target = out.measures if is_base_called else out.other_measures
        first_measures = out.other_measures if is_base_called else out.measures
        if is_base_called:
            _store(scenario, ran, horizon, col, pay, out)
        order = SECOND_OF_TWO if is_both else ONLY_HORIZON
        _horizon(
            scenario, ran, horizon, pay, months, measure, flows, target, is_base_called, out,
            order, first_measures, call,
        )  # fmt: skip


@inline_kernel
def _horizon(
    scenario: int,
    ran: int,
    horizon: int,
    pay: PaymentsOut,
    months: MonthArrays,
    measure: MeasureInputs,
    flows: ThreadFlows,
    measures: F64Array,
    is_base: bool,
    out: GridOut,
    order: int,
    first: F64Array,
    call: int,
) -> None:
    """Measure the classes of a run of ``ran`` months (the rest of the ``horizon`` pays
    them nothing) into ``measures[scenario]``; for the base horizon, record the pool left.
    ``order``, ``first`` (the first horizon's measures) and ``call``: see ``_measure``."""
    pool_end = sum_in_order(months.group_balance[horizon])
    pool_end = pool_end if pay.call_proceeds[ran - 1] == 0.0 else 0.0
    if is_base:
        out.pool_end[scenario] = pool_end
    is_cut = pool_end > POOL_GONE and horizon == pay.principal.shape[0]
    _measure(
        scenario, ran, is_cut, pay, measure, months.index_rate, flows, measures, is_base, order,
        first, call,
    )  # fmt: skip


@called_kernel
def _copy_work(source: Workspace, target: Workspace) -> None:
    """Copy every scratch array of one workspace into another of the same shapes."""
    for position in range(len(source)):
        _copy_array(source[position], target[position])


@inline_kernel
def _copy_array(source: F64Array, target: F64Array) -> None:
    for index in range(source.shape[0]):
        target[index] = source[index]


@called_kernel
def _measure(
    scenario: int,
    ran: int,
    is_cut: bool,
    pay: PaymentsOut,
    inputs: MeasureInputs,
    index_rate: F64Array,
    scratch: ThreadFlows,
    measures: F64Array,
    is_every_measure: bool,
    order: int,
    first: F64Array,
    call: int,
) -> None:
    """Measure every class's cash flows (``waterfall.measures.class_metrics``' arithmetic);
    without ``is_every_measure``, only what the other horizon reports (WAL, yield, margin:
    ``grid.run.OTHER_HORIZON_METRICS``), the principal window and duration left 0 and NaN.

    ``scratch`` is the thread's slab; a projection cut short by the horizon with collateral
    left repays a bond's balance at par in its last month.

    Of two horizons, the first (``order`` ``FIRST_OF_TWO``, the run without the call) keeps
    each class's last month paid and its yield. The two runs share every month before the
    ``call`` month (0-based; the number of months when the pool never reaches the call),
    so a class paid nothing from that month on in either has the same vectors in both: in
    the second (``SECOND_OF_TWO``) it takes its WAL, yield and margin from
    ``first[scenario]``, the same functions of the same numbers, instead of searching
    again. About half of the probe grid's classes are such (settled before the call).
    """
    paid, flows = scratch.paid, scratch.flows
    n_months = paid.shape[0]
    for month in range(ran, n_months):
        # months after the last one run (a call) pay nothing; earlier ones are set below
        paid[month] = 0.0
        flows[month] = 0.0
    for column in range(inputs.tranche.shape[0]):
        tranche = inputs.tranche[column]
        stop = 0  # one past the last month paying the class anything
        for month in range(ran):
            principal = pay.principal[month, tranche]
            # as a trustee's "interest" column: every payment that is not principal
            cash = (
                pay.interest[month, tranche]
                + pay.basis_risk_paid[month, tranche]
                + pay.writedown_reimbursed[month, tranche]
                + pay.penalties[month, tranche]
                + pay.residual[month, tranche]
            )
            paid[month] = principal
            flows[month] = principal + cash
            stop = month + 1 if (principal != 0.0) | (flows[month] != 0.0) else stop
        if inputs.is_bond[column] == 1:
            flows[n_months - 1] += pay.balance[ran - 1, tranche] if is_cut else 0.0
            stop = n_months if flows[n_months - 1] != 0.0 else stop
        row = measures[scenario, column]
        if order == SECOND_OF_TWO and stop <= call and scratch.kept_stop[column] <= call:
            source = first[scenario, column]
            row[0] = source[0]
            bey = scratch.kept_yield[column]
            row[3] = source[3]
            row[4] = source[4]
        else:
            row[0] = wal_of(paid)
            price = inputs.price[column]
            bey = yield_of(flows, inputs.days, price)
            row[3] = bey * 100.0
            row[4] = math.nan
            if inputs.has_margin[column] == 1:
                row[4] = margin_of(flows, inputs.act_360_fraction, index_rate, price) * 10_000.0
            if order == FIRST_OF_TWO:
                scratch.kept_stop[column] = stop
                scratch.kept_yield[column] = bey
        row[1] = 0.0
        row[2] = 0.0
        if is_every_measure:
            first_month, last_month = window_of(paid)
            row[1] = first_month
            row[2] = last_month
        row[5] = duration_of(flows, inputs.days, bey) if is_every_measure else math.nan


@called_kernel
def _store(
    scenario: int, ran: int, horizon: int, col: CollateralOut, pay: PaymentsOut, out: GridOut
) -> None:
    """Copy one scenario's class totals (of the ``ran`` months run) and pool totals (of the
    ``horizon``) into the block's results."""
    loss = 0.0
    for month in range(horizon):
        for group in range(col.principal_loss.shape[1]):
            loss += col.principal_loss[month, group]
    out.collateral_loss[scenario] = loss
    for tranche in range(pay.principal.shape[1]):
        written = 0.0
        for month in range(ran):
            written += pay.writedown[month, tranche]
        out.writedown[scenario, tranche] = written
        out.ending_balance[scenario, tranche] = pay.balance[ran - 1, tranche]


@kernel
def run_range(
    next_scenario: I64Array,
    stop: int,
    slab: int,
    tables: ScenarioTables,
    rows: ScenarioRows,
    shared: DealInputs,
    program: WaterfallProgram,
    tranches: TrancheArrays,
    fees: FeeArrays,
    terms: DealTerms,
    other_terms: DealTerms,
    tc: CollateralOut,
    projected: I64Array,
    tm: ThreadMonths,
    tp: PaymentsOut,
    tw: Workspace,
    tw_call: Workspace,
    measure: MeasureInputs,
    tf: ThreadFlows,
    out: GridOut,
) -> None:
    """Run scenarios below ``stop``, a few at a time, each taken from ``next_scenario[0]``
    (``kernels.claim``), in slab ``slab``, until none is left.

    A block's threads share ``next_scenario`` and take scenarios as they come free rather
    than a share fixed in advance: scenarios cost from 20 to 341 months, and the caller's
    thread writes the previous block on one of the same cores, so fixed shares were unequal
    work and the faster thread waited for the slower at the end of every block.

    ``out`` must be zeros (months after a clean-up call stay zero). Each thread of a block
    makes one call (the kernel releases the GIL), with its own slab of the scratch arrays.

    Notes
    -----
    Compiled with numba; runs as plain Python under ``NUMBA_DISABLE_JIT=1``.
    """
    while True:
        first = take(next_scenario, SCENARIOS_PER_TAKE)
        if first >= stop:
            break
        for scenario in range(first, min(first + SCENARIOS_PER_TAKE, stop)):
            _run_one(
                scenario, slab, tables, rows, shared, program, tranches, fees, terms,
                other_terms, tc, projected, tm, tp, tw, tw_call, measure, tf, out,
            )  # fmt: skip
