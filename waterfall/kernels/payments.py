"""The priority of payments: one interpreter of a compiled op-code program, month by month.

Every dollar collected in a month leaves through exactly one step: a fee, a tranche's
interest, principal, reimbursement, basis-risk or penalty payment, or the residual. The
program's last step (``PAY_RESIDUAL``) empties every account, so collections equal payments.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from waterfall._jit import called_kernel, inline_kernel, kernel
from waterfall._types import F64Array, I64Array
from waterfall.kernels.opcodes import (
    N_ACCOUNTS,
    Account,
    CapForm,
    Coupon,
    InterestPart,
    Mode,
    Step,
    TriggerMode,
    When,
)
from waterfall.kernels.scratch import MAX_STACK_TRANCHES, stack_zeros


class TrancheArrays(NamedTuple):
    """Tranche terms and starting state in deal order (seniority); index = tranche number."""

    balance: F64Array  # (n_tranches,) principal balance, or notional, at the start; dollars
    original_balance: F64Array  # (n_tranches,) dollars
    coupon_kind: I64Array  # (n_tranches,) Coupon
    fixed_rate: F64Array  # (n_tranches,) annual decimal, for Coupon.FIXED
    margin: F64Array  # (n_tranches,) annual decimal over the index, for Coupon.FLOATING
    margin_after_call: F64Array  # (n_tranches,) margin once the clean-up call is possible
    is_act_360: I64Array  # (n_tranches,) 1 = actual/360 accrual, 0 = 30/360
    is_capped: I64Array  # (n_tranches,) 1 = the interest cap (DealTerms.cap_form) applies
    is_cap_netted: I64Array  # (n_tranches,) 1 = uncapped interest ranking ahead of or with a
    #                          capped class: the cap is what is left after it
    is_certificate: I64Array  # (n_tranches,) 1 = balance counts against the pool (OC, targets)
    is_notional: I64Array  # (n_tranches,) 1 = interest-only on a notional schedule
    is_senior: I64Array  # (n_tranches,) 1 = measured by the stepdown (senior enhancement) test
    group: I64Array  # (n_tranches,) loan group for BY_GROUP steps, -1 for none
    notional_schedule: F64Array  # (n_months, n_tranches) notional before the pool-balance cap
    unpaid_interest: F64Array  # (n_tranches,) interest carried into the first month
    unreimbursed_writedown: F64Array  # (n_tranches,) write-downs not yet reimbursed
    basis_risk_carryforward: F64Array  # (n_tranches,) cap shortfalls carried forward


class FeeArrays(NamedTuple):
    """Senior fees; index = fee number."""

    annual_rate: F64Array  # (n_fees,) decimal a year on the beginning pool balance, 30/360
    monthly_amount: F64Array  # (n_fees,) fixed dollars a month
    is_cap_netted: I64Array  # (n_fees,) 1 = paid ahead of the capped classes' interest


class MonthArrays(NamedTuple):
    """Calendar and market inputs per projected month."""

    index_rate: F64Array  # (n_months,) one-month LIBOR, annual decimal
    act_360_fraction: F64Array  # (n_months,) actual days of the accrual period / 360
    distribution_number: I64Array  # (n_months,) 1 = the deal's first distribution date
    cumulative_loss_limit: F64Array  # (n_months,) trigger: losses / cut-off above this fail
    group_interest: F64Array  # (n_months, n_groups) interest collected, dollars
    group_principal: F64Array  # (n_months, n_groups) principal collected, dollars
    group_loss: F64Array  # (n_months, n_groups) realized principal loss, dollars
    group_balance: F64Array  # (n_months + 1, n_groups) pool balance; row 0 = the start
    delinquent_balance: F64Array  # (n_months,) balance in the liquidation pipeline at month end
    penalties: F64Array  # (n_months,) prepayment penalties collected, dollars
    group_note_rate: F64Array  # (n_groups,) weighted average gross mortgage rate, decimal
    cap_contract_notional: F64Array  # (n_months,) yield maintenance notional, dollars
    prepayment_interest_shortfall: F64Array  # (n_months,) interest prepaid loans did not pay
    relief_act_shortfall: F64Array  # (n_months,) interest the Relief Act rate cap forgave


class DealTerms(NamedTuple):
    """Scalar terms of the structure (dollars, decimals, distribution numbers)."""

    cutoff_balance: float
    oc_target: float  # required overcollateralization before the stepdown date
    oc_target_share_after_stepdown: float  # of the current pool balance
    oc_floor: float  # dollars
    stepdown_distribution: int  # earliest distribution number of the stepdown date
    senior_enhancement_target: float  # stepdown when the senior enhancement reaches this
    delinquency_share_of_enhancement: float  # trigger when delinquent share >= this x enhancement
    cumulative_loss_start: float  # realized losses since cut-off before the first month
    trigger_mode: int  # TriggerMode
    call_share: float  # clean-up call possible at pool <= this x cut-off; 0 = never
    is_call_exercised: bool  # exercise the call on the first possible date
    is_stepped_down: bool  # the stepdown date has already passed
    cap_form: int  # CapForm
    cap_contract_strike: float  # annual decimal; the contract pays LIBOR above it
    cap_contract_ceiling: float  # annual decimal; LIBOR above it adds nothing (inf = none)
    is_cap_contract_act_360: bool  # accrual of the contract's payment
    compensating_fee: int  # fee the servicer gives up as compensating interest; -1 none
    compensating_share: float  # at most this share of that fee each month


class WaterfallProgram(NamedTuple):
    """The priority of payments, one entry per step, run in order each month."""

    step: I64Array  # (n_steps,) Step
    mode: I64Array  # (n_steps,) Mode
    when: I64Array  # (n_steps,) When
    part: I64Array  # (n_steps,) InterestPart, for PAY_INTEREST
    fee: I64Array  # (n_steps,) fee index for PAY_FEE, else -1
    credit_target: F64Array  # (n_steps,) PAY_PRINCIPAL: cumulative share of pool; <0 = none
    target_start: I64Array  # (n_steps,) first position in ``targets``
    target_stop: I64Array  # (n_steps,) one past the last position in ``targets``
    targets: I64Array  # (n_targets,) tranche indices of all steps, concatenated
    sweeps_principal: I64Array  # (n_steps,) 1 after the last PAY_PRINCIPAL step


class PaymentsOut(NamedTuple):
    """Monthly results written in place; tranche arrays (n_months, n_tranches)."""

    balance: F64Array  # end-of-month balance (notional for IO tranches)
    principal: F64Array
    interest: F64Array  # current and carried interest paid
    interest_due: F64Array  # current interest accrued (after the cap)
    interest_shortfall: F64Array  # interest owed and unpaid at month end
    coupon: F64Array  # annual rate accrued at (after the cap)
    writedown: F64Array
    writedown_reimbursed: F64Array
    basis_risk_paid: F64Array
    basis_risk_carryforward: F64Array
    penalties: F64Array
    residual: F64Array
    fee_paid: F64Array  # (n_months, n_fees)
    collections: F64Array  # (n_months,) all cash in: interest, principal, penalties, call
    extra_principal: F64Array  # (n_months,) excess interest paid as principal
    oc_release: F64Array  # (n_months,) principal released to excess cash
    overcollateralization: F64Array  # (n_months,) pool - certificates at month end
    oc_target: F64Array  # (n_months,)
    senior_enhancement: F64Array  # (n_months,) share of the pool below the seniors
    cap_rate: F64Array  # (n_months, n_tranches) the interest cap, annual on the class's
    #                     day count; 0 for a class without a cap
    cap_contract_payment: F64Array  # (n_months,) paid in by the yield maintenance agreement
    compensating_interest: F64Array  # (n_months,) servicing fee given up for prepaid interest
    interest_reduction: F64Array  # (n_months, n_tranches) current interest forgone for net
    #                               prepayment interest and Relief Act shortfalls
    net_monthly_excess: F64Array  # (n_months,) interest left after the OC step
    is_stepped_down: F64Array  # (n_months,) 1.0 from the stepdown date on
    is_trigger_event: F64Array  # (n_months,) 1.0 while a trigger event is in effect
    call_proceeds: F64Array  # (n_months,) purchase price paid in the call month
    unallocated: F64Array  # (n_months,) cash no step took (0 in a valid deal)


RECORD_ONLY = (
    "interest_due",
    "interest_shortfall",
    "basis_risk_carryforward",
    "fee_paid",
    "collections",
    "extra_principal",
    "oc_release",
    "overcollateralization",
    "oc_target",
    "senior_enhancement",
    "cap_rate",
    "cap_contract_payment",
    "compensating_interest",
    "interest_reduction",
    "net_monthly_excess",
    "is_stepped_down",
    "is_trigger_event",
    "unallocated",
)
"""The arrays of ``PaymentsOut`` that ``run_months`` writes only with ``full_record``: the
month's record (a single run's cash-flow table, the statement check), which no later month
reads. A grid measures the classes from the others, and runs without them: the stores and
the zeroing of these took about 4% of a grid scenario's time (six more arrays a month of
every tranche went to memory)."""


@called_kernel
def sum_in_order(values: F64Array) -> float:
    """``values.sum()`` of a 1-D array, in its order: first to last, from 0.0 (the same bits).

    numba's ``sum`` is in its array maths module, which a cached kernel that calls it imports
    when it loads, with the arrays module: about 30 ms of a warm run of 0.38 s. As plain
    Python (``NUMBA_DISABLE_JIT=1``) it sums in the same order, where numpy's ``sum`` adds
    eight or more values pairwise: plain Python gives the compiled kernels' bits."""
    total = 0.0
    for at in range(values.shape[0]):
        total += values[at]
    return total


@called_kernel
def zero_accumulated(out: PaymentsOut, first: int, stop: int, full_record: bool) -> None:
    """Zero months ``first`` to ``stop - 1`` of the arrays of ``out`` that must be zeros
    before those months run: a month adds to them, or writes them only in some months (a
    step that may not run, the call month) or for some tranches (the cap rate, of the capped
    classes). A month writes its row of every other array in full (of the ``RECORD_ONLY``
    arrays, only with its full record), so a grid's scratch need not zero those between two
    scenarios, nor before a month is run again. Without ``full_record`` the ``RECORD_ONLY``
    arrays are not zeroed either: ``run_months`` then leaves them as they are.

    Spelled out rather than a loop over a tuple of the arrays: numba's ``literal_unroll``
    of mixed shapes took about 0.3 s more to compile."""
    out.principal[first:stop] = 0.0
    out.interest[first:stop] = 0.0
    out.writedown[first:stop] = 0.0
    out.writedown_reimbursed[first:stop] = 0.0
    out.basis_risk_paid[first:stop] = 0.0
    out.penalties[first:stop] = 0.0
    out.residual[first:stop] = 0.0
    out.call_proceeds[first:stop] = 0.0
    if full_record:
        out.fee_paid[first:stop] = 0.0
        out.extra_principal[first:stop] = 0.0
        out.oc_release[first:stop] = 0.0
        out.cap_rate[first:stop] = 0.0
        out.interest_reduction[first:stop] = 0.0
        out.net_monthly_excess[first:stop] = 0.0


class Workspace(NamedTuple):
    """Scratch state for one run, allocated once outside the month loop."""

    balance: F64Array  # (n_tranches,)
    unpaid_interest: F64Array  # (n_tranches,)
    unreimbursed: F64Array  # (n_tranches,)
    carryforward: F64Array  # (n_tranches,)
    due_current: F64Array  # (n_tranches,)
    due_carried: F64Array  # (n_tranches,)
    owed: F64Array  # (n_tranches,) per-step scratch
    accounts: F64Array  # (N_ACCOUNTS,)
    status: F64Array  # (N_STATUS,) month state: stepped, triggered, OC target, pools, ...
    group_rate: F64Array  # (n_groups,) net WAC of each group this month, annual 30/360
    group_netted: F64Array  # (n_groups,) netted uncapped interest of each group's classes
    fee_due: F64Array  # (n_fees,) this month's fee, before compensating interest


ANY_GROUP = -2

_STEPPED = 0
_TRIGGERED = 1
_OC_TARGET = 2
_CALL_POSSIBLE = 3
_POOL_END = 4
_CUMULATIVE_LOSS = 5
_POOL_BEGIN = 6
_COMPENSATING = 7
N_STATUS = 8


HALF_CENT = 0.005
# Tranche indices and target positions are never negative (``compile_program``). ANDed with
# this mask they keep their values, and LLVM can prove them not negative: it then drops
# numba's fix-up for negative indices (a sign test and an add of the array's length, which
# the month loop reloads from the stack) from every array access with them. run_months
# executes 12% fewer instructions so (benchmarks/count_instructions.py).
_NOT_NEGATIVE = np.int64(0x7FFF_FFFF_FFFF_FFFF)

TIE_CENTS = 1e-6
"""A product this close below a half cent counts as the half cent, and rounds up.

``balance x rate x days / 360`` of a cent balance and a rate quoted to 7 decimals lands
exactly on a half cent for about one LIBOR quote in 30, and binary floating point can
compute it a few units in the last place below (66,500,000 x 2.10204% x 31/360 =
120,370.985 comes out as 120,370.98499...); the float error is about 1e-8 cents at these
sizes. The price: a decimal product that lies less than 1e-6 cents below a half cent
without being on it (such products are multiples of 1/(720 x 10^7) cents from the tie)
rounds up too, about one payment in a million.
"""


@kernel
def cents(amount: float) -> float:
    """Round half away from zero to the cent, as trustees round each payment.

    ``np.floor`` stays a double where ``math.floor`` converts to an integer and back: the
    same value below 2**53 cents, about 10% of a month's time less (floor probe).
    """
    if amount >= 0.0:
        return float(np.floor(amount * 100.0 + 0.5 + TIE_CENTS)) / 100.0
    return -float(np.floor(-amount * 100.0 + 0.5 + TIE_CENTS)) / 100.0


def apply_waterfall(
    program: WaterfallProgram,
    tranches: TrancheArrays,
    fees: FeeArrays,
    months: MonthArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
) -> int:
    """Run the priority of payments for every month; return the number of months run.

    Parameters
    ----------
    program, tranches, fees, months, terms
        The compiled deal and the collateral cash of one scenario (shapes in each class).
    work : Workspace
        Scratch arrays; overwritten.
    out : PaymentsOut
        Preallocated zeros; written in place.

    Notes
    -----
    Fewer months than ``n_months`` run when the clean-up call is exercised. A Python
    function over the two kernels, not a kernel: a kernel calling ``run_months`` compiled
    the month body's machine code a second time inside its own (1.8 s).
    """
    start_waterfall(tranches, terms, work)
    n_months = out.balance.shape[0]
    every_month = program.targets[:0]  # no tranche watched: never stops early
    ran = run_months(
        0, n_months, program, tranches, fees, months, terms, work, out, every_month, n_months,
        True,
    )  # fmt: skip
    return int(ran)


@kernel
def start_waterfall(tranches: TrancheArrays, terms: DealTerms, work: Workspace) -> None:
    """Set ``work`` to the structure's state before its first projected month."""
    for tranche in range(work.balance.shape[0]):
        work.balance[tranche] = tranches.balance[tranche]
        work.unpaid_interest[tranche] = tranches.unpaid_interest[tranche]
        work.unreimbursed[tranche] = tranches.unreimbursed_writedown[tranche]
        work.carryforward[tranche] = tranches.basis_risk_carryforward[tranche]
    work.status[:] = 0.0
    work.status[_STEPPED] = 1.0 if terms.is_stepped_down else 0.0
    work.status[_OC_TARGET] = terms.oc_target
    work.status[_CUMULATIVE_LOSS] = terms.cumulative_loss_start


@kernel
def run_months(
    first: int,
    stop: int,
    program: WaterfallProgram,
    tranches: TrancheArrays,
    fees: FeeArrays,
    months: MonthArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
    watched: I64Array,
    quiet_from: int,
    full_record: bool,
) -> int:
    """Run months ``first`` to ``stop - 1`` from the state in ``work``; return the month
    after the last one run (``stop``, the month after an exercised clean-up call, or the
    month after the watched tranches settle). Without ``full_record``, the arrays of
    ``RECORD_ONLY`` are not written.

    Each month writes only its own row of ``out``, and carries everything the next month
    needs in ``work``: a run split in two calls equals the run in one.

    ``watched`` (tranche indices; empty: every month runs) stops the run once, from month
    ``quiet_from`` on (no prepayment penalties left to collect), every watched tranche is
    settled (``_is_settled``): no later month can pay or write down any of them, so a grid
    that measures only them need not run those months.
    """
    work, stored = _on_stack(work), work
    ran = stop
    for month in range(first, stop):
        is_called = _collect(month, tranches, months, terms, work, out, full_record)
        _accrue(month, tranches, fees, months, terms, work, out, full_record)
        _test_structure(month, tranches, months, terms, work, out, full_record)
        _run_program(month, program, tranches, fees, months, terms, work, out, full_record)
        _close_month(month, tranches, terms, work, out, full_record)
        if is_called:
            ran = month + 1
            break
        if watched.shape[0] > 0 and month + 1 >= quiet_from:
            owing = (work.balance, work.unpaid_interest, work.carryforward, work.unreimbursed)
            if _is_settled(watched, owing):
                ran = month + 1
                break
    for index in range(N_STATUS):
        stored.status[index] = work.status[index]  # the state the next month starts from
    return ran


@inline_kernel
def _on_stack(work: Workspace) -> Workspace:
    """``work`` with the month's scratch on the calling kernel's stack (``kernels.scratch``):
    the accounts, the status (copied in; ``run_months`` copies it back), and the interest
    owed and per-step scratch, which every month sets before it reads them. The tranche
    balances and amounts carried between months stay in ``work``.

    For ``run_months``' body only: inlined there, its arrays live in that kernel's frame. A
    kernel that called it as a function would get back arrays of a frame already gone."""
    status = stack_zeros(N_STATUS)
    for index in range(N_STATUS):
        status[index] = work.status[index]
    n_tranches = work.balance.shape[0]
    due_current = work.due_current
    due_carried = work.due_carried
    owed = work.owed
    if n_tranches <= MAX_STACK_TRANCHES:
        due_current = stack_zeros(MAX_STACK_TRANCHES)[:n_tranches]
        due_carried = stack_zeros(MAX_STACK_TRANCHES)[:n_tranches]
        owed = stack_zeros(MAX_STACK_TRANCHES)[:n_tranches]
    return Workspace(
        work.balance, work.unpaid_interest, work.unreimbursed, work.carryforward,
        due_current, due_carried, owed, stack_zeros(N_ACCOUNTS), status,
        work.group_rate, work.group_netted, work.fee_due,
    )  # fmt: skip


@kernel
def _is_settled(watched: I64Array, owing: tuple[F64Array, ...]) -> bool:
    """True when no watched tranche has a balance or is owed anything: ``owing`` is the
    balances, unpaid interest, basis-risk carry-forwards and unreimbursed write-downs. Such
    a tranche accrues nothing, is paid no principal and cannot be written down, whatever
    later months collect."""
    for tranche in watched:
        for amounts in owing:
            if amounts[tranche] != 0.0:
                return False
    return True


@kernel
def first_call_month(months: MonthArrays, terms: DealTerms) -> int:
    """The first month (0-based) the pool is at or below the clean-up call's level, by the
    test ``_collect`` makes; the number of months when it never is."""
    n_months = int(months.group_balance.shape[0] - 1)
    if terms.call_share <= 0.0:
        return n_months
    for month in range(n_months):
        if (
            sum_in_order(months.group_balance[month + 1])
            <= terms.call_share * terms.cutoff_balance
        ):
            return month
    return n_months


@inline_kernel
def _collect(
    month: int,
    tranches: TrancheArrays,
    months: MonthArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
    full_record: bool,
) -> bool:
    """Fill the accounts with the month's collections; return True in the call month."""
    interest = sum_in_order(months.group_interest[month])
    principal = sum_in_order(months.group_principal[month])
    pool_end = sum_in_order(months.group_balance[month + 1])
    work.status[_CUMULATIVE_LOSS] += sum_in_order(months.group_loss[month])
    is_called = False
    if terms.call_share > 0.0 and pool_end <= terms.call_share * terms.cutoff_balance:
        is_called = terms.is_call_exercised
        if is_called:
            out.call_proceeds[month] = pool_end
            principal += pool_end
            pool_end = 0.0
    work.status[_POOL_END] = pool_end
    work.accounts[Account.INTEREST] = interest
    work.accounts[Account.PRINCIPAL] = principal
    work.accounts[Account.PENALTIES] = months.penalties[month]
    contract = _cap_contract_payment(
        months.cap_contract_notional[month],
        months.index_rate[month],
        months.act_360_fraction[month],
        terms.cap_contract_strike,
        terms.cap_contract_ceiling,
        terms.is_cap_contract_act_360,
    )
    work.accounts[Account.CAP_CONTRACT] = contract
    if full_record:
        out.cap_contract_payment[month] = contract
        out.collections[month] = interest + principal + months.penalties[month] + contract
    pool_begin = sum_in_order(months.group_balance[month])
    work.status[_POOL_BEGIN] = pool_begin
    for tranche in range(work.balance.shape[0]):
        if tranches.is_notional[tranche] == 1:
            work.balance[tranche] = min(tranches.notional_schedule[month, tranche], pool_begin)
    return is_called


@kernel
def _cap_contract_payment(
    notional: float,
    index_rate: float,
    act_360_fraction: float,
    strike: float,
    ceiling: float,
    is_act_360: bool,
) -> float:
    """One month of the yield maintenance agreement: notional x (LIBOR - strike), capped."""
    if notional <= 0.0:
        return 0.0
    rate = min(index_rate, ceiling) - strike
    if rate <= 0.0:
        return 0.0
    return cents(notional * rate * (act_360_fraction if is_act_360 else 1.0 / 12.0))


@inline_kernel
def _accrue(
    month: int,
    tranches: TrancheArrays,
    fees: FeeArrays,
    months: MonthArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
    full_record: bool,
) -> None:
    """Set each tranche's coupon, cap and interest due, and the carry-forwards."""
    pool_begin = work.status[_POOL_BEGIN]
    netted_fees = 0.0
    compensating = 0.0
    for fee in range(fees.annual_rate.shape[0]):
        due = _fee_due(fees.annual_rate[fee], fees.monthly_amount[fee], pool_begin)
        work.fee_due[fee] = due
        if fee == terms.compensating_fee:
            # the servicer pays the interest prepaid loans did not, up to part of its fee
            room = cents(due * terms.compensating_share)
            compensating = min(months.prepayment_interest_shortfall[month], room)
        if fees.is_cap_netted[fee] == 1:
            netted_fees += due
    work.status[_COMPENSATING] = compensating
    if full_record:
        out.compensating_interest[month] = compensating
    act_360 = months.act_360_fraction[month]
    capped_base = 0.0
    netted_pool = 0.0
    work.group_netted[:] = 0.0
    for tranche in range(work.balance.shape[0]):
        fraction = act_360 if tranches.is_act_360[tranche] == 1 else 1.0 / 12.0
        margin = tranches.margin[tranche]
        if work.status[_CALL_POSSIBLE] > 0.0:
            margin = tranches.margin_after_call[tranche]
        rate = _coupon(
            tranches.coupon_kind[tranche],
            tranches.fixed_rate[tranche],
            margin,
            months.index_rate[month],
        )
        out.coupon[month, tranche] = rate
        if tranches.is_capped[tranche] == 1:
            capped_base += work.balance[tranche] * fraction
            continue
        due = _accrued(work.balance[tranche], rate, fraction)
        work.due_current[tranche] = due
        work.due_carried[tranche] = _carried(work.unpaid_interest[tranche], rate, fraction)
        if tranches.is_cap_netted[tranche] == 1:
            if tranches.group[tranche] >= 0:
                work.group_netted[tranches.group[tranche]] += due
            else:
                netted_pool += due
    if terms.cap_form == CapForm.NET_WAC:
        subordinate_rate = _net_wac_rates(
            months.group_note_rate,
            months.group_balance[month],
            netted_fees + netted_pool,
            pool_begin,
            tranches.is_senior,
            tranches.group,
            work.balance,
            work.group_netted,
            work.group_rate,
        )
        available_funds_cap = 0.0
    else:
        netted_cash = netted_fees - compensating + netted_pool + sum_in_order(work.group_netted)
        room = sum_in_order(months.group_interest[month]) - netted_cash
        available_funds_cap = max(room, 0.0) / capped_base if capped_base > 0.0 else 0.0
        subordinate_rate = 0.0
    for tranche in range(work.balance.shape[0]):
        if tranches.is_capped[tranche] == 0:
            continue
        fraction = act_360 if tranches.is_act_360[tranche] == 1 else 1.0 / 12.0
        if terms.cap_form == CapForm.NET_WAC:
            group = tranches.group[tranche]
            net_wac = work.group_rate[group] if group >= 0 else subordinate_rate
            # a 30/360 rate on the group balance, restated on the class's own day count
            cap = net_wac / 12.0 / fraction
        else:
            cap = available_funds_cap
        if full_record:
            out.cap_rate[month, tranche] = cap
        rate = out.coupon[month, tranche]
        owed = work.carryforward[tranche]
        if owed > 0.0:
            # an unpaid carry-forward earns interest at the class's uncapped rate, every
            # month it is outstanding, whether or not the cap binds this month
            work.carryforward[tranche] = owed + cents(owed * rate * fraction)
        full = _accrued(work.balance[tranche], rate, fraction)
        if rate > cap:
            # each class's capped interest is rounded to the cent like any other, as a
            # trustee pays it; under the available-funds cap the classes may together owe
            # up to half a cent a class more than the room, and that much may go unpaid
            capped = _accrued(work.balance[tranche], cap, fraction)
            out.coupon[month, tranche] = cap
            work.carryforward[tranche] += full - capped
            work.due_current[tranche] = capped
        else:
            work.due_current[tranche] = full
        rate = out.coupon[month, tranche]  # after the cap: what unpaid interest accrues at
        work.due_carried[tranche] = _carried(work.unpaid_interest[tranche], rate, fraction)
    net_shortfall = (
        months.prepayment_interest_shortfall[month]
        - compensating
        + months.relief_act_shortfall[month]
    )
    if net_shortfall > 0.0:
        _reduce_current_interest(
            net_shortfall, work.due_current, out.interest_reduction[month], full_record
        )
    if full_record:
        for tranche in range(work.balance.shape[0]):
            out.interest_due[month, tranche] = work.due_current[tranche]


@kernel
def _carried(unpaid: float, annual_rate: float, fraction: float) -> float:
    """Interest unpaid from earlier months with this period's interest on it (at the class's
    coupon after the cap), to the cent; nothing unpaid (most months), nothing added."""
    if unpaid == 0.0:
        return unpaid  # as it is (a negative zero stays one)
    return unpaid + _accrued(unpaid, annual_rate, fraction)


@kernel
def _accrued(balance: float, annual_rate: float, fraction: float) -> float:
    """One period's interest on ``balance``, to the cent; a class with no balance accrues
    nothing, without the division of ``cents`` (in most months most classes have none)."""
    if balance == 0.0:
        return 0.0
    return cents(balance * annual_rate * fraction)


@inline_kernel
def _net_wac_rates(
    note_rate: F64Array,
    group_begin: F64Array,
    netted_pool: float,
    pool_begin: float,
    is_senior: I64Array,
    tranche_group: I64Array,
    balance: F64Array,
    group_netted: F64Array,
    group_rate: F64Array,
) -> float:
    """Fill ``group_rate`` with each group's net WAC; return the subordinates' rate.

    A group's net WAC is its mortgage rate less the fees and the interest-only strips paid
    ahead of or with the capped classes, each as a 30/360 rate on the balance that bears it
    (the pool for pool-wide amounts, the group for a group's own classes). The subordinate
    classes' cap is the average of the group rates weighted by each group's subordinate
    amount: its balance less the balance of the senior classes it backs.
    """
    # each group's senior balance, in one pass over the classes, into ``group_rate`` until
    # the group's rate replaces it
    group_rate[:] = 0.0
    for tranche in range(balance.shape[0]):
        if is_senior[tranche] == 1 and tranche_group[tranche] >= 0:
            group_rate[tranche_group[tranche]] += balance[tranche]
    weighted = 0.0
    total = 0.0
    for group in range(note_rate.shape[0]):
        senior = group_rate[group]
        begin = group_begin[group]
        rate = note_rate[group]
        if pool_begin > 0.0:
            rate -= 12.0 * netted_pool / pool_begin
        if begin > 0.0:
            rate -= 12.0 * group_netted[group] / begin
        group_rate[group] = max(rate, 0.0)
        subordinate = max(begin - senior, 0.0)
        weighted += group_rate[group] * subordinate
        total += subordinate
    if total > 0.0:
        return weighted / total
    # no subordinate amount left in any group: weight by the group balances instead
    for group in range(note_rate.shape[0]):
        weighted += group_rate[group] * group_begin[group]
        total += group_begin[group]
    return weighted / total if total > 0.0 else 0.0


@inline_kernel
def _reduce_current_interest(
    shortfall: float, due_current: F64Array, reduction: F64Array, full_record: bool
) -> None:
    """Take ``shortfall`` off every class's current interest, pro rata to it (usual PSA form),
    and with ``full_record`` add each class's part to ``reduction``.

    Net prepayment interest shortfalls and Relief Act shortfalls reduce the interest a class
    is owed; the reduction is not carried forward. Shares are rounded to the cent and the
    last class owed anything takes the remainder.
    """
    total = sum_in_order(due_current)
    if total <= 0.0:
        return
    shortfall = min(shortfall, total)
    last = -1
    for tranche in range(due_current.shape[0]):
        if due_current[tranche] > 0.0:
            last = tranche
    left = shortfall
    for tranche in range(due_current.shape[0]):
        if due_current[tranche] <= 0.0:
            continue
        share = left if tranche == last else cents(shortfall * due_current[tranche] / total)
        amount = min(share, due_current[tranche], left)
        due_current[tranche] -= amount
        if full_record:
            reduction[tranche] += amount
        left -= amount


@kernel
def _coupon(kind: int, fixed_rate: float, margin: float, index_rate: float) -> float:
    """Return the uncapped annual coupon of a tranche (the margin in force this month)."""
    if kind == Coupon.FIXED:
        return float(fixed_rate)
    if kind == Coupon.FLOATING:
        return float(index_rate + margin)
    return 0.0


@inline_kernel
def _test_structure(
    month: int,
    tranches: TrancheArrays,
    months: MonthArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
    full_record: bool,
) -> None:
    """Decide the stepdown, the trigger event and the OC target for this month."""
    pool_end = work.status[_POOL_END]
    senior = 0.0
    has_seniors = False
    for tranche in range(work.balance.shape[0]):
        if tranches.is_senior[tranche] == 1:
            senior += work.balance[tranche]
            has_seniors = True
    # a pool under half a cent is gone: a ratio to it would only amplify float residue
    enhancement = (pool_end - senior) / pool_end if pool_end >= HALF_CENT else 0.0
    distribution = months.distribution_number[month]
    if (
        work.status[_STEPPED] == 0.0
        and has_seniors
        and (
            senior <= 0.0
            or (
                distribution >= terms.stepdown_distribution
                and enhancement >= terms.senior_enhancement_target
            )
        )
    ):
        work.status[_STEPPED] = 1.0
    loss_share = work.status[_CUMULATIVE_LOSS] / terms.cutoff_balance
    is_triggered = loss_share > months.cumulative_loss_limit[month]
    if pool_end >= HALF_CENT:
        delinquent = months.delinquent_balance[month] / pool_end
        is_triggered = is_triggered or (
            delinquent >= terms.delinquency_share_of_enhancement * enhancement
        )
    if terms.trigger_mode == TriggerMode.ALWAYS_FAILING:
        is_triggered = True
    elif terms.trigger_mode == TriggerMode.NEVER_FAILING:
        is_triggered = False
    work.status[_TRIGGERED] = 1.0 if is_triggered else 0.0
    if work.status[_STEPPED] == 1.0 and not is_triggered:
        stepped_target = max(terms.oc_target_share_after_stepdown * pool_end, terms.oc_floor)
        work.status[_OC_TARGET] = min(terms.oc_target, stepped_target)
    elif work.status[_STEPPED] == 0.0:
        work.status[_OC_TARGET] = terms.oc_target
    if full_record:
        out.senior_enhancement[month] = enhancement
        out.oc_target[month] = work.status[_OC_TARGET]
        out.is_stepped_down[month] = work.status[_STEPPED]
        out.is_trigger_event[month] = work.status[_TRIGGERED]


@kernel
def _not_running(stepped: float, triggered: float) -> int:
    """The one step condition (``When``) whose steps do not run this month: those for after
    the stepdown before it or while the trigger fails, those for before it otherwise.

    Small helpers take numbers, not NamedTuples: a call that passes a NamedTuple of arrays
    costs two atomic reference-count operations per array (numba's NRT), which made
    these calls most of the waterfall's time.
    """
    if stepped == 1.0 and triggered == 0.0:
        return When.BEFORE_STEPDOWN_OR_TRIGGER
    return When.AFTER_STEPDOWN_NO_TRIGGER


@inline_kernel
def _run_program(
    month: int,
    program: WaterfallProgram,
    tranches: TrancheArrays,
    fees: FeeArrays,
    months: MonthArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
    full_record: bool,
) -> None:
    """Run the program's steps for one month, each through its helper.

    The helpers take the arrays they use, not the NamedTuples: passing a NamedTuple of
    arrays to a compiled call costs two atomic reference-count operations per array, and
    that made most of the waterfall's time (35 us a month for 2002-HE1, against about 5 us
    in this form, where the NamedTuples cross one call a month).
    """
    accounts = work.accounts
    group = tranches.group
    # no step changes the stepdown or the trigger: read once a month, not once a step
    not_running = _not_running(work.status[_STEPPED], work.status[_TRIGGERED])
    for step in range(program.step.shape[0]):
        if program.when[step] == not_running:
            continue
        kind = program.step[step]
        if program.sweeps_principal[step] == 1:
            # principal no class could take joins the excess cash flow, which pays unpaid
            # interest and reimbursements before the residual
            accounts[Account.INTEREST] += accounts[Account.PRINCIPAL]
            accounts[Account.PRINCIPAL] = 0.0
        first_target = program.target_start[step] & _NOT_NEGATIVE
        targets = program.targets[first_target : program.target_stop[step] & _NOT_NEGATIVE]
        mode = program.mode[step]
        if kind == Step.PAY_FEE:
            fee = program.fee[step]
            due = work.fee_due[fee]
            if fee == terms.compensating_fee:
                due -= work.status[_COMPENSATING]
            paid_fee = min(due, accounts[Account.INTEREST])
            accounts[Account.INTEREST] -= paid_fee
            if full_record:
                out.fee_paid[month, fee] += paid_fee
        elif kind == Step.PAY_INTEREST:
            weight = months.group_interest[month]
            owed = work.owed
            _pay_interest(
                targets, mode, program.part[step], owed, work.due_current, work.due_carried,
                weight, group, accounts, out.interest[month],
            )  # fmt: skip
        elif kind == Step.OVERCOLLATERALIZATION:
            certificate = tranches.is_certificate
            extra, release = _overcollateralize(certificate, work.balance, accounts, work.status)
            if full_record:
                out.extra_principal[month] += extra
                out.oc_release[month] += release
                out.net_monthly_excess[month] = accounts[Account.INTEREST]
        elif kind == Step.PAY_PRINCIPAL:
            weight = months.group_principal[month]
            _pay_principal(
                targets, mode, program.credit_target[step], terms.oc_floor,
                tranches.is_certificate, work.balance, work.owed, weight, group, accounts,
                work.status[_POOL_END], out.principal[month],
            )  # fmt: skip
        elif kind == Step.WRITE_DOWN:
            _write_down(
                targets, tranches.is_certificate, work.balance, work.unreimbursed,
                work.status[_POOL_END], out.writedown[month],
            )  # fmt: skip
        elif kind == Step.REIMBURSE_WRITEDOWN or kind == Step.PAY_BASIS_RISK:
            # one call site of the inlined ``_split`` pays from excess cash for both steps
            if kind == Step.REIMBURSE_WRITEDOWN:
                paid = out.writedown_reimbursed[month]
                owed = work.unreimbursed
            else:
                # the cap contract's payment goes to the carry-forwards first
                paid = out.basis_risk_paid[month]
                owed = work.carryforward
                if accounts[Account.CAP_CONTRACT] > 0.0:
                    contract = Account.CAP_CONTRACT
                    _split(targets, mode, owed, contract, accounts, paid, group, ANY_GROUP)
            _split(targets, mode, owed, Account.INTEREST, accounts, paid, group, ANY_GROUP)
        elif kind == Step.PAY_PENALTIES:
            out.penalties[month, targets[0]] += accounts[Account.PENALTIES]
            accounts[Account.PENALTIES] = 0.0
        elif kind == Step.PAY_RESIDUAL:
            out.residual[month, targets[0]] += sum_in_order(accounts)
            accounts[:] = 0.0


@kernel
def _fee_due(annual_rate: float, monthly_amount: float, pool_begin: float) -> float:
    """One month of a fee: a 30/360 rate on the beginning pool balance plus a fixed amount."""
    return cents(annual_rate / 12.0 * pool_begin + monthly_amount)


@inline_kernel
def _pay_interest(
    targets: I64Array,
    mode: int,
    part: int,
    owed: F64Array,
    due_current: F64Array,
    due_carried: F64Array,
    group_weight: F64Array,
    tranche_group: I64Array,
    accounts: F64Array,
    paid: F64Array,
) -> None:
    """Pay current and/or carried interest to ``targets`` from interest collections."""
    is_owed = False
    for target in targets:
        tranche = target & _NOT_NEGATIVE
        # a CARRIED step pays everything still owed: earlier months' shortfalls and any of
        # this month's current interest an earlier step could not pay (unpaid interest amount)
        owed[tranche] = 0.0 + due_current[tranche]
        if part != InterestPart.CURRENT:
            owed[tranche] += due_carried[tranche]
        if owed[tranche] != 0.0:
            is_owed = True
    if not is_owed:
        return  # nothing owed (most months of a carried step): nothing would change
    if mode == Mode.BY_GROUP:
        _split_by_group(
            targets, owed, group_weight, tranche_group, Account.INTEREST, accounts, paid
        )
    else:
        _split(targets, mode, owed, Account.INTEREST, accounts, paid, tranche_group, ANY_GROUP)
    for target in targets:
        tranche = target & _NOT_NEGATIVE
        # owed now holds what is still unpaid; current interest is paid before carried interest
        unpaid = owed[tranche]
        if part == InterestPart.CURRENT:
            due_current[tranche] = unpaid
        else:
            carried = min(unpaid, due_carried[tranche])
            due_carried[tranche] = carried
            due_current[tranche] = unpaid - carried


@inline_kernel
def _split(
    targets: I64Array,
    mode: int,
    owed: F64Array,
    account: int,
    accounts: F64Array,
    paid: F64Array,
    tranche_group: I64Array,
    only_group: int,
) -> None:
    """Pay ``owed`` of ``targets`` from ``accounts[account]``, in order or pro rata by owed.

    ``owed`` is reduced by each payment and ``paid`` increased; pro-rata shares are rounded to
    the cent and the last tranche owed anything takes the rounding remainder. With
    ``only_group`` set, only the targets of that loan group take part.
    """
    available = accounts[account]
    if available <= 0.0:
        return
    total = 0.0
    if mode != Mode.SEQUENTIAL:
        for target in targets:
            tranche = target & _NOT_NEGATIVE
            if only_group == ANY_GROUP or tranche_group[tranche] == only_group:
                total += owed[tranche]
        if total <= 0.0:
            return
    if mode == Mode.SEQUENTIAL or available >= total:
        for target in targets:
            tranche = target & _NOT_NEGATIVE
            if only_group != ANY_GROUP and tranche_group[tranche] != only_group:
                continue
            amount = min(owed[tranche], available)
            owed[tranche] -= amount
            paid[tranche] += amount
            available -= amount
    else:
        last = -1
        for target in targets:
            tranche = target & _NOT_NEGATIVE
            if owed[tranche] > 0.0 and (
                only_group == ANY_GROUP or tranche_group[tranche] == only_group
            ):
                last = tranche
        budget = available
        for target in targets:
            tranche = target & _NOT_NEGATIVE
            if owed[tranche] <= 0.0:
                continue
            if only_group != ANY_GROUP and tranche_group[tranche] != only_group:
                continue
            share = budget if tranche == last else cents(available * owed[tranche] / total)
            amount = min(share, owed[tranche], budget)
            owed[tranche] -= amount
            paid[tranche] += amount
            budget -= amount
        available = budget
    accounts[account] = available


@kernel
def _split_by_group(
    targets: I64Array,
    owed: F64Array,
    group_weight: F64Array,
    tranche_group: I64Array,
    account: int,
    accounts: F64Array,
    paid: F64Array,
) -> None:
    """Pay each group's tranches from that group's share of ``accounts[account]`` first.

    A group's share is its weight (its collections) over the weights of the groups the
    targets belong to. What a group's tranches cannot use, and tranches with no group, are
    then paid pro rata from what is left (cross-support).
    """
    available = accounts[account]
    total_weight = 0.0
    for group in range(group_weight.shape[0]):
        if _has_group(targets, tranche_group, group):
            total_weight += group_weight[group]
    if total_weight > 0.0:
        spent = 0.0
        for group in range(group_weight.shape[0]):
            if not _has_group(targets, tranche_group, group):
                continue
            portion = cents(available * group_weight[group] / total_weight)
            portion = min(portion, available - spent)
            accounts[account] = portion
            _split(targets, Mode.PRO_RATA, owed, account, accounts, paid, tranche_group, group)
            spent += portion - accounts[account]
        accounts[account] = available - spent
    _split(targets, Mode.PRO_RATA, owed, account, accounts, paid, tranche_group, ANY_GROUP)


@kernel
def _has_group(targets: I64Array, tranche_group: I64Array, group: int) -> bool:
    """Return True when one of ``targets`` belongs to ``group``."""
    for target in targets:
        tranche = target & _NOT_NEGATIVE
        if tranche_group[tranche] == group:
            return True
    return False


@inline_kernel
def _certificates(is_certificate: I64Array, balance: F64Array, last: int) -> float:
    """Return the balance of the certificates from the most senior through ``last``."""
    total = 0.0
    for tranche in range(last + 1):
        if is_certificate[tranche] == 1:
            total += balance[tranche]
    return total


@inline_kernel
def _overcollateralize(
    is_certificate: I64Array, balance: F64Array, accounts: F64Array, status: F64Array
) -> tuple[float, float]:
    """Pay excess interest as extra principal up to the OC target, or release OC above it.

    The OC the month would end with if all collected principal were paid is compared with
    the target: a deficiency moves interest to the principal account (extra principal), an
    excess moves collected principal to the interest account (OC reduction amount).
    Returns (extra principal, release).
    """
    certificates = _certificates(is_certificate, balance, balance.shape[0] - 1)
    principal = accounts[Account.PRINCIPAL]
    projected = status[_POOL_END] - max(certificates - principal, 0.0)
    deficiency = cents(status[_OC_TARGET] - projected)
    if deficiency > 0.0:
        payable = max(certificates - principal, 0.0)
        extra = min(deficiency, accounts[Account.INTEREST], payable)
        accounts[Account.INTEREST] -= extra
        accounts[Account.PRINCIPAL] += extra
        return extra, 0.0
    if deficiency < 0.0:
        release = min(-deficiency, principal)
        accounts[Account.PRINCIPAL] -= release
        accounts[Account.INTEREST] += release
        return 0.0, release
    return 0.0, 0.0


@inline_kernel
def _pay_principal(
    targets: I64Array,
    mode: int,
    credit_target: float,
    oc_floor: float,
    is_certificate: I64Array,
    balance: F64Array,
    owed: F64Array,
    group_weight: F64Array,
    tranche_group: I64Array,
    accounts: F64Array,
    pool_end: float,
    paid: F64Array,
) -> None:
    """Pay principal to ``targets``, down to a target balance when ``credit_target`` >= 0.

    With a credit target, the certificates from the most senior through the last target may
    be paid down to ``min(credit_target x pool, pool - OC floor)``, the usual post-stepdown
    class target (the pool is the month-end balance).
    """
    is_owed = False
    for target in targets:
        tranche = target & _NOT_NEGATIVE
        owed[tranche] = balance[tranche]
        is_owed = is_owed or balance[tranche] != 0.0
    budget = accounts[Account.PRINCIPAL]
    if credit_target >= 0.0:
        allowed = max(min(credit_target * pool_end, pool_end - oc_floor), 0.0)
        last = targets[0]
        for target in targets:
            tranche = target & _NOT_NEGATIVE
            last = max(last, tranche)
        budget = min(budget, max(_certificates(is_certificate, balance, last) - allowed, 0.0))
    kept = accounts[Account.PRINCIPAL] - budget
    if not is_owed:
        # the targets are paid off (most months of most steps): the account ends as a split
        # that pays nothing would leave it
        accounts[Account.PRINCIPAL] = budget + kept
        return
    accounts[Account.PRINCIPAL] = budget
    if mode == Mode.BY_GROUP:
        _split_by_group(
            targets, owed, group_weight, tranche_group, Account.PRINCIPAL, accounts, paid
        )
    else:
        _split(targets, mode, owed, Account.PRINCIPAL, accounts, paid, tranche_group, ANY_GROUP)
    accounts[Account.PRINCIPAL] += kept
    for target in targets:
        tranche = target & _NOT_NEGATIVE
        balance[tranche] = owed[tranche]


@inline_kernel
def _write_down(
    targets: I64Array,
    is_certificate: I64Array,
    balance: F64Array,
    unreimbursed: F64Array,
    pool_end: float,
    written: F64Array,
) -> None:
    """Write down ``targets`` in order by the certificates' excess over the pool balance."""
    # balances are whole cents and the pool is not: the shortfall is written down in whole
    # cents, so float residue (1.5e-8) or a fraction of a cent never fires a write-down
    shortfall = _certificates(is_certificate, balance, balance.shape[0] - 1) - pool_end
    if shortfall <= 0.0:
        return  # its cents would not be positive either (and cost a division)
    excess = cents(shortfall)
    for target in targets:
        tranche = target & _NOT_NEGATIVE
        if excess <= 0.0:
            return
        amount = min(excess, balance[tranche])
        balance[tranche] -= amount
        unreimbursed[tranche] += amount
        written[tranche] += amount
        excess -= amount


@inline_kernel
def _close_month(
    month: int,
    tranches: TrancheArrays,
    terms: DealTerms,
    work: Workspace,
    out: PaymentsOut,
    full_record: bool,
) -> None:
    """Carry unpaid interest forward and record the month-end state."""
    n_tranches = work.balance.shape[0]
    for tranche in range(n_tranches):
        unpaid = work.due_current[tranche] + work.due_carried[tranche]
        work.unpaid_interest[tranche] = unpaid
        out.balance[month, tranche] = work.balance[tranche]
        if full_record:
            out.interest_shortfall[month, tranche] = unpaid
            out.basis_risk_carryforward[month, tranche] = work.carryforward[tranche]
    pool_end = work.status[_POOL_END]
    if full_record:
        certificates = _certificates(tranches.is_certificate, work.balance, n_tranches - 1)
        out.overcollateralization[month] = pool_end - certificates
        out.unallocated[month] = sum_in_order(work.accounts)
    work.accounts[:] = 0.0
    if terms.call_share > 0.0 and pool_end <= terms.call_share * terms.cutoff_balance:
        work.status[_CALL_POSSIBLE] = 1.0
