"""Deal + Scenario -> the flat arrays the kernels run on (names -> indices, dates -> months).

This is the only module that knows both the deal's names and dates and the kernels' arrays
(STYLE C3.4). Month ``m = 0`` is the first distribution date after the deal's ``as_of``.
"""

from __future__ import annotations

import calendar
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from waterfall._types import F64Array, I64Array
from waterfall.deal.model import CollateralGroup, Deal, NotionalStep, Tranche
from waterfall.errors import ScenarioFileError
from waterfall.kernels.collateral import CollateralArrays, CollateralRates
from waterfall.kernels.grid import InterestShortfalls
from waterfall.kernels.opcodes import (
    CapForm,
    Coupon,
    InterestPart,
    Mode,
    Step,
    TriggerMode,
    When,
)
from waterfall.kernels.payments import DealTerms, FeeArrays, TrancheArrays, WaterfallProgram
from waterfall.scenario.load import check_groups
from waterfall.scenario.model import Curve, Scenario
from waterfall.scenario.vectors import (
    cdr_to_mdr,
    cpr_to_smm,
    psa_cpr,
    sda_cdr,
    to_monthly_vector,
)

STEPS = {
    "pay_fee": Step.PAY_FEE,
    "pay_interest": Step.PAY_INTEREST,
    "overcollateralization": Step.OVERCOLLATERALIZATION,
    "pay_principal": Step.PAY_PRINCIPAL,
    "write_down": Step.WRITE_DOWN,
    "reimburse_writedown": Step.REIMBURSE_WRITEDOWN,
    "pay_basis_risk": Step.PAY_BASIS_RISK,
    "pay_penalties": Step.PAY_PENALTIES,
    "pay_residual": Step.PAY_RESIDUAL,
}
MODES = {"sequential": Mode.SEQUENTIAL, "pro_rata": Mode.PRO_RATA, "by_group": Mode.BY_GROUP}
WHENS = {
    "always": When.ALWAYS,
    "before_stepdown_or_trigger": When.BEFORE_STEPDOWN_OR_TRIGGER,
    "after_stepdown_no_trigger": When.AFTER_STEPDOWN_NO_TRIGGER,
}
PARTS = {"all": InterestPart.ALL, "current": InterestPart.CURRENT, "carried": InterestPart.CARRIED}
TRIGGER_MODES = {
    "tested": TriggerMode.TESTED,
    "failing": TriggerMode.ALWAYS_FAILING,
    "passing": TriggerMode.NEVER_FAILING,
}
CAP_FORMS = {"available_funds": CapForm.AVAILABLE_FUNDS, "net_wac": CapForm.NET_WAC}


@dataclass(frozen=True)
class Calendar:
    """Distribution dates and accrual of the projected months."""

    dates: tuple[date, ...]  # (n_months,) distribution dates, business-day adjusted
    act_360_fraction: F64Array  # (n_months,)
    distribution_number: I64Array  # (n_months,) 1 = the deal's first distribution


@dataclass(frozen=True)
class CompiledDeal:
    """Everything the kernels need for one deal and one scenario."""

    calendar: Calendar
    collateral: CollateralArrays
    rates: CollateralRates
    tranches: TrancheArrays
    fees: FeeArrays
    terms: DealTerms
    program: WaterfallProgram
    index_rate: F64Array  # (n_months,) one-month LIBOR, decimal
    cumulative_loss_limit: F64Array  # (n_months,)
    penalty_share: F64Array  # (n_months,) share of voluntary prepayments
    note_rate: F64Array  # (n_groups,) gross mortgage rate, decimal
    cap_contract_notional: F64Array  # (n_months,) yield maintenance notional, dollars
    shortfall: InterestShortfalls  # the scenario's prepayment and Relief Act shortfalls

    @property
    def n_months(self) -> int:
        """Number of projected months."""
        return len(self.calendar.dates)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of a month; ``n = -1`` is the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@functools.lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """The Federal Reserve's holidays of ``year``, when New York banks are closed.

    A fixed-date holiday on a Sunday is kept the Monday after; on a Saturday it is not moved
    (the Federal Reserve's rule). Juneteenth from 2021, Martin Luther King Jr. Day from 1986.
    """
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)] + ([(6, 19)] if year >= 2021 else [])
    days = set()
    for month, day in fixed:
        holiday = date(year, month, day)
        days.add(holiday + timedelta(days=1) if holiday.weekday() == 6 else holiday)
    monday, thursday = 0, 3
    floating = [(2, monday, 3), (5, monday, -1), (9, monday, 1), (10, monday, 2)]
    floating += [(11, thursday, 4)] + ([(1, monday, 3)] if year >= 1986 else [])
    for month, weekday, n in floating:
        days.add(_nth_weekday(year, month, weekday, n))
    return frozenset(days)


def distribution_date(year: int, month: int, day: int) -> date:
    """Return the distribution date of a month: ``day``, or the next business day.

    Assumed (the statement does not name the calendar): a business day is a weekday that is
    not a Federal Reserve holiday (``bank_holidays``), the usual New York banking-day
    definition of a 2002 pooling and servicing agreement. For a 15th that can only be
    Martin Luther King Jr. Day or Presidents' Day (a Monday the 15th of January or
    February), as in January 2007 and February 2010.
    """
    day = min(day, calendar.monthrange(year, month)[1])
    result = date(year, month, day)
    while result.weekday() >= 5 or result in bank_holidays(result.year):
        result += timedelta(days=1)
    return result


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (by year and month only)."""
    return (end.year - start.year) * 12 + end.month - start.month


def build_calendar(deal: Deal, n_months: int) -> Calendar:
    """Distribution dates, ACT/360 accrual fractions and distribution numbers."""
    dates = []
    previous = deal.as_of
    fractions = np.zeros(n_months)
    for month in range(n_months):
        total = deal.as_of.year * 12 + deal.as_of.month - 1 + month + 1
        current = distribution_date(total // 12, total % 12 + 1, deal.distribution_day)
        fractions[month] = (current - previous).days / 360.0
        dates.append(current)
        previous = current
    first = months_between(deal.first_distribution, deal.as_of) + 2
    numbers = np.arange(first, first + n_months, dtype=np.int64)
    return Calendar(tuple(dates), fractions, numbers)


def scheduled_balance(note_rate: float, remaining_term: int, n_months: int) -> F64Array:
    """SCH(k), k = 0..n_months: level-pay balance factor after k months (0 after maturity)."""
    months = np.arange(n_months + 1, dtype=np.float64)
    left = np.maximum(remaining_term - months, 0.0)
    growth = np.log1p(note_rate / 12.0)
    if growth == 0.0:
        flat: F64Array = left / remaining_term
        return flat
    # 1 - (1 + r)^-k written with expm1 so that a tiny rate loses no precision
    factor: F64Array = np.expm1(-left * growth) / np.expm1(-remaining_term * growth)
    return factor


RATE_MEASURES = ("cpr", "smm", "cdr", "mdr", "severity")
"""Measures that are a share of a balance: a scaled curve stops at 100%."""


def curve_values(curve: Curve, n_months: int, group: str = "") -> F64Array:
    """Per-month values of a curve as written (percent), for loan group ``group``, times the
    curve's ``scale`` (a rate stops at 100%)."""
    values = to_monthly_vector(curve.for_group(group), n_months)
    if curve.scale == 1.0:
        return values
    scaled: F64Array = values * curve.scale
    return np.minimum(scaled, 100.0) if curve.measure in RATE_MEASURES else scaled


def monthly_rates(
    scenario: Scenario, groups: tuple[CollateralGroup, ...], n_months: int
) -> CollateralRates:
    """SMM, MDR and severity per month and group, and the seeded liquidations."""
    n_groups = len(groups)
    shape = (n_months, n_groups)
    smm, mdr, severity, seed = (np.zeros(shape) for _ in range(4))
    lag = scenario.recovery_lag_months
    for index, group in enumerate(groups):
        prepay = curve_values(scenario.prepayment, n_months, group.name) / 100.0
        default = curve_values(scenario.default, n_months, group.name) / 100.0
        loss_severity = curve_values(scenario.severity, n_months, group.name) / 100.0
        age_month = group.age + np.arange(1, n_months + 1, dtype=np.int64)
        smm[:, index] = _to_smm(scenario.prepayment.measure, prepay, age_month)
        final = group.age + group.remaining_term
        mdr[:, index] = _to_mdr(scenario.default.measure, default, age_month, final, lag)
        # BMA rule j: no defaults in the last L months, whatever the default measure
        mdr[max(group.remaining_term - lag, 0) :, index] = 0.0
        severity[:, index] = loss_severity
        # the pipeline liquidates evenly over the lag, and by the pool's last month at the
        # latest (a lag past the remaining term would leave it unliquidated for ever)
        spread = max(min(lag, group.remaining_term), 1)
        seed[:spread, index] = group.delinquent_balance / spread
    return CollateralRates(smm, mdr, severity, seed, lag, scenario.is_advancing)


def _to_smm(measure: str, values: F64Array, age_month: I64Array) -> F64Array:
    if measure == "smm":
        return values
    if measure == "psa":
        return np.asarray(cpr_to_smm(np.minimum(psa_cpr(100.0, age_month) * values, 1.0)))
    return np.asarray(cpr_to_smm(values))


def _to_mdr(
    measure: str, values: F64Array, age_month: I64Array, final_month: int, lag: int
) -> F64Array:
    if measure == "mdr":
        return values
    if measure == "sda":
        cdr = np.minimum(sda_cdr(100.0, age_month, final_month, lag) * values, 1.0)
        return np.asarray(cdr_to_mdr(cdr))
    return np.asarray(cdr_to_mdr(values))


def compile_collateral(
    groups: tuple[CollateralGroup, ...], n_months: int, servicing_fee: float = 0.0
) -> CollateralArrays:
    """Starting balances, monthly rates and scheduled balance factors of the loan groups.

    Interest is computed at ``note_rate - servicing_fee``; a deal pays servicing as a fee
    (so ``servicing_fee`` is 0 there) and the ``pool`` command takes it off the rate.
    """
    schedule = np.zeros((n_months + 1, len(groups)))
    for index, group in enumerate(groups):
        schedule[:, index] = scheduled_balance(group.note_rate, group.remaining_term, n_months)
    return CollateralArrays(
        performing_balance=np.array([g.balance - g.delinquent_balance for g in groups]),
        monthly_rate=np.array([(g.note_rate - servicing_fee) / 12.0 for g in groups]),
        schedule=np.ascontiguousarray(schedule),
        pipeline_balance=np.array([g.delinquent_balance for g in groups], dtype=np.float64),
    )


def index_rates(deal: Deal, scenario: Scenario, n_months: int) -> F64Array:
    """One-month LIBOR per month, decimal: the scenario's curve, else the deal's index."""
    if scenario.libor is not None:
        return np.ascontiguousarray(curve_values(scenario.libor, n_months) / 100.0)
    return np.full(n_months, deal.index_rate)


def compile_deal(deal: Deal, scenario: Scenario) -> CompiledDeal:
    """Turn a deal and a scenario into the kernels' arrays.

    Raises
    ------
    ScenarioFileError
        When a per-group curve of the scenario does not name exactly the deal's loan groups.
    """
    problems = check_groups(scenario, [g.name for g in deal.groups], deal.name)
    if problems:
        raise ScenarioFileError(problems)
    longest = max(group.remaining_term for group in deal.groups)
    n_months = scenario.months or longest
    cal = build_calendar(deal, n_months)
    collateral = compile_collateral(deal.groups, n_months)
    index_rate = index_rates(deal, scenario, n_months)
    penalty_share = scenario.penalty_share
    if penalty_share is None:
        penalty_share = deal.prepayment_penalties.share_of_prepayments
    until = deal.prepayment_penalties.until
    penalties = np.array([penalty_share if _month(d) <= _month(until) else 0.0 for d in cal.dates])
    contract = deal.yield_maintenance
    contract_notional = np.array(
        [_scheduled(contract.notional_schedule, day) if contract else 0.0 for day in cal.dates]
    )
    netted_tranches, netted_fees = cap_netting(deal)
    return CompiledDeal(
        calendar=cal,
        collateral=collateral,
        rates=monthly_rates(scenario, deal.groups, n_months),
        tranches=compile_tranches(deal, cal, netted_tranches),
        fees=FeeArrays(
            annual_rate=np.array([fee.annual_rate for fee in deal.fees], dtype=np.float64),
            monthly_amount=np.array([fee.monthly_amount for fee in deal.fees], dtype=np.float64),
            is_cap_netted=np.array(netted_fees, dtype=np.int64),
        ),
        terms=compile_terms(deal, scenario),
        program=compile_program(deal),
        index_rate=np.ascontiguousarray(index_rate),
        cumulative_loss_limit=_loss_limits(deal, cal),
        penalty_share=penalties,
        note_rate=np.array([group.note_rate for group in deal.groups], dtype=np.float64),
        cap_contract_notional=contract_notional,
        shortfall=InterestShortfalls(
            days_lost_on_prepayment=float(scenario.prepayment_interest_shortfall_days),
            relief_act_share=float(scenario.relief_act_percent) / 100.0,
        ),
    )


def cap_netting(deal: Deal) -> tuple[list[bool], list[bool]]:
    """Which tranches' and fees' interest the cap deducts: (by tranche, by fee).

    It follows from the priority of payments: an uncapped class whose current interest is
    paid in a step before or with the last step paying a capped class's current interest
    (2002-HE1's A-IO, paid with A-1 and A-2), and a fee paid before that step. A class paid
    after the capped classes (2002-HE1's BIO, after basis risk) is not deducted.
    """
    capped = {t.name for t in deal.tranches if t.is_capped}
    first_paid: dict[str, int] = {}
    capped_steps = []
    for index, step in enumerate(deal.waterfall):
        if step.action != "pay_interest" or step.part == "carried":
            continue
        for name in step.targets:
            first_paid.setdefault(name, index)
        if capped & set(step.targets):
            capped_steps.append(index)
    if not capped_steps:
        return [False] * len(deal.tranches), [False] * len(deal.fees)
    last = max(capped_steps)
    tranches = [
        not t.is_capped
        and (t.coupon is not None or t.margin is not None)
        and first_paid.get(t.name, last + 1) <= last
        for t in deal.tranches
    ]
    fee_steps = {
        step.fee: index for index, step in enumerate(deal.waterfall) if step.action == "pay_fee"
    }
    fees = [fee_steps.get(fee.name, last + 1) < last for fee in deal.fees]
    return tranches, fees


def _loss_limits(deal: Deal, cal: Calendar) -> F64Array:
    limits = np.full(len(cal.dates), np.inf)
    for month, day in enumerate(cal.dates):
        for step in deal.trigger.cumulative_loss:
            if _month(step.start) <= _month(day):
                limits[month] = step.share
    return limits


def _month(day: date) -> int:
    """A date's calendar month as one number: schedule dates in a deal file name the
    distribution of their month, whatever day it rolls to."""
    return day.year * 12 + day.month


def _notional(tranche: Tranche, day: date) -> float:
    return _scheduled(tranche.notional_schedule, day)


def _scheduled(schedule: tuple[NotionalStep, ...], day: date) -> float:
    for step in schedule:
        if _month(day) <= _month(step.through):
            return step.amount
    return 0.0


def compile_tranches(deal: Deal, cal: Calendar, netted: list[bool]) -> TrancheArrays:
    """Tranche terms in deal order; ``netted`` is ``cap_netting(deal)[0]``."""
    tranches = deal.tranches
    groups = [group.name for group in deal.groups]
    seniors = set(deal.stepdown.senior_tranches)
    schedule = np.zeros((len(cal.dates), len(tranches)))
    for index, tranche in enumerate(tranches):
        if tranche.kind == "notional":
            schedule[:, index] = [_notional(tranche, day) for day in cal.dates]

    def column(values: list[float]) -> F64Array:
        return np.array(values, dtype=np.float64)

    def flags(values: Sequence[bool | int]) -> I64Array:
        return np.array([int(v) for v in values], dtype=np.int64)

    kinds = [
        Coupon.FLOATING
        if t.margin is not None
        else Coupon.FIXED
        if t.coupon is not None
        else Coupon.NONE
        for t in tranches
    ]
    return TrancheArrays(
        balance=column([t.balance for t in tranches]),
        original_balance=column([t.original_balance for t in tranches]),
        coupon_kind=flags(kinds),
        fixed_rate=column([t.coupon or 0.0 for t in tranches]),
        margin=column([t.margin or 0.0 for t in tranches]),
        margin_after_call=column([t.margin_after_call or t.margin or 0.0 for t in tranches]),
        is_act_360=flags([t.day_count == "act/360" for t in tranches]),
        is_capped=flags([t.is_capped for t in tranches]),
        is_cap_netted=flags(netted),
        is_certificate=flags([t.kind == "bond" for t in tranches]),
        is_notional=flags([t.kind == "notional" for t in tranches]),
        is_senior=flags([t.name in seniors for t in tranches]),
        group=flags([groups.index(t.group) if t.group else -1 for t in tranches]),
        notional_schedule=np.ascontiguousarray(schedule),
        unpaid_interest=column([t.unpaid_interest for t in tranches]),
        unreimbursed_writedown=column([t.unreimbursed_writedown for t in tranches]),
        basis_risk_carryforward=column([t.basis_risk_carryforward for t in tranches]),
    )


def compile_terms(deal: Deal, scenario: Scenario) -> DealTerms:
    """Scalar terms; dates become distribution numbers."""
    first = deal.first_distribution
    call = deal.clean_up_call
    contract = deal.yield_maintenance
    fee_names = [fee.name for fee in deal.fees]
    compensating = -1
    if deal.compensating_interest is not None:
        compensating = fee_names.index(deal.compensating_interest.fee)
    exercised = (
        call.is_exercised if scenario.is_call_exercised is None else (scenario.is_call_exercised)
    )
    return DealTerms(
        cutoff_balance=deal.cutoff_balance,
        oc_target=deal.overcollateralization.target,
        oc_target_share_after_stepdown=deal.overcollateralization.target_share_after_stepdown,
        oc_floor=deal.overcollateralization.floor,
        stepdown_distribution=months_between(first, deal.stepdown.earliest) + 1,
        senior_enhancement_target=deal.stepdown.senior_enhancement_target,
        delinquency_share_of_enhancement=deal.trigger.delinquency_share_of_enhancement,
        cumulative_loss_start=deal.trigger.cumulative_loss_to_date,
        trigger_mode=int(TRIGGER_MODES[scenario.trigger]),
        call_share=call.share_of_cutoff,
        is_call_exercised=exercised,
        is_stepped_down=deal.stepdown.has_occurred,
        cap_form=int(CAP_FORMS[deal.interest_cap]),
        cap_contract_strike=contract.strike if contract else 0.0,
        cap_contract_ceiling=math.inf
        if contract is None or contract.ceiling is None
        else contract.ceiling,
        is_cap_contract_act_360=contract is None or contract.day_count == "act/360",
        compensating_fee=compensating,
        compensating_share=deal.compensating_interest.share_of_fee
        if deal.compensating_interest
        else 0.0,
    )


def compile_program(deal: Deal) -> WaterfallProgram:
    """The priority of payments as op-code arrays."""
    names = deal.tranche_names
    fees = [fee.name for fee in deal.fees]
    steps = deal.waterfall
    targets: list[int] = []
    starts, stops = [], []
    for step in steps:
        starts.append(len(targets))
        targets.extend(names.index(name) for name in step.targets)
        stops.append(len(targets))

    def ints(values: list[int]) -> I64Array:
        return np.array(values, dtype=np.int64)

    principal_steps = [i for i, s in enumerate(steps) if s.action == "pay_principal"]
    last_principal = principal_steps[-1] if principal_steps else len(steps)
    return WaterfallProgram(
        step=ints([STEPS[s.action] for s in steps]),
        mode=ints([MODES[s.mode] for s in steps]),
        when=ints([WHENS[s.when] for s in steps]),
        part=ints([PARTS[s.part] for s in steps]),
        fee=ints([fees.index(s.fee) if s.fee else -1 for s in steps]),
        credit_target=np.array(
            [-1.0 if s.credit_target is None else s.credit_target for s in steps]
        ),
        target_start=ints(starts),
        target_stop=ints(stops),
        targets=ints(targets),
        sweeps_principal=ints([int(index > last_principal) for index in range(len(steps))]),
    )
