"""run(deal, scenario) -> Result: allocate, call the kernels, wrap the arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import numpy as np

from waterfall._jit import needs_compiling
from waterfall._types import F64Array
from waterfall.compile import CompiledDeal, compile_collateral, compile_deal, monthly_rates
from waterfall.deal.model import CollateralGroup, Deal
from waterfall.kernels.collateral import (
    CollateralArrays,
    CollateralOut,
    project_collateral,
)
from waterfall.kernels.grid import fill_months
from waterfall.kernels.opcodes import N_ACCOUNTS
from waterfall.kernels.payments import (
    N_STATUS,
    MonthArrays,
    PaymentsOut,
    Workspace,
    apply_waterfall,
    run_months,
    start_waterfall,
)
from waterfall.scenario.model import Scenario

COLLATERAL_COLUMNS = CollateralOut._fields
"""The standard's monthly collateral columns, in its order (STANDARDS 1.6)."""


@dataclass(frozen=True)
class Result:
    """One scenario's projection: named arrays, time-major (n_months, n_tranches).

    ``principal``, ``interest`` and ``writedown`` are what each tranche receives or loses:
    ``interest`` is all non-principal cash (interest, basis-risk and write-down
    reimbursements, penalties, residual), as a trustee's "interest" column shows it.
    """

    deal: Deal
    scenario: Scenario
    dates: tuple[date, ...]
    tranche_names: tuple[str, ...]
    beginning_balance: F64Array  # (n_tranches,)
    balance: F64Array
    principal: F64Array
    interest: F64Array
    writedown: F64Array
    payments: PaymentsOut  # every detail array of the waterfall
    collateral: dict[str, F64Array]  # pool totals, (n_months,) each, standard column names
    collateral_by_group: CollateralOut  # (n_months, n_groups) each
    pool_balance: F64Array  # (n_months + 1,) row 0 = the start
    principal_collected: F64Array  # (n_months,)
    interest_collected: F64Array  # (n_months,)
    interest_by_group: F64Array  # (n_months, n_groups) interest into the waterfall, after
    #                              prepayment-interest and Relief Act shortfalls
    fee_names: tuple[str, ...] = field(default=())
    compiled: CompiledDeal | None = None  # the arrays the run was computed from (not copied)

    @property
    def n_months(self) -> int:
        """Months projected (fewer than asked when the clean-up call is exercised)."""
        return len(self.dates)

    def index(self, name: str) -> int:
        """Tranche index of ``name``."""
        return self.tranche_names.index(name)

    def wal_years(self, name: str) -> float:
        """Weighted average life in years from the as-of date, months / 12."""
        principal = self.principal[:, self.index(name)]
        total = principal.sum()
        if total <= 0.0:
            return 0.0
        months = np.arange(1, self.n_months + 1)
        return float((principal * months).sum() / total / 12.0)

    def principal_window(self, name: str) -> tuple[int, int]:
        """First and last month (1-based) with principal; (0, 0) when none."""
        paid = np.nonzero(self.principal[:, self.index(name)] >= 0.005)[0]
        if paid.size == 0:
            return (0, 0)
        return (int(paid[0]) + 1, int(paid[-1]) + 1)

    def cashflows(self) -> Any:
        """The month-by-month cash-flow report as a pandas DataFrame indexed by month, with
        the columns of ``waterfall run --cashflows`` (``waterfall.cashflows.COLUMNS``).

        Needs pandas (``pip install 'rmbs-waterfall[pandas]'``).
        """
        from waterfall.cashflows import cashflow_frame

        return cashflow_frame(self)

    def first_month(self, flags: F64Array) -> int:
        """First month (1-based) a 0/1 flag array is set; 0 when never."""
        hits = np.nonzero(flags > 0.5)[0]
        return int(hits[0]) + 1 if hits.size else 0


def kernels_need_compiling() -> bool:
    """True when the next ``run`` compiles the kernels (a cold cache); about 10 s on 2 cores,
    the investor measures in a helper process meanwhile (``cli._announce_compiling``)."""
    return needs_compiling(project_collateral, fill_months, start_waterfall, run_months)


def project_pool(
    group: CollateralGroup, scenario: Scenario, servicing_fee: float = 0.0
) -> CollateralOut:
    """Project one pool with no waterfall: the standard's monthly columns, (n_months, 1) each.

    Interest is at ``group.note_rate - servicing_fee``; amortization at the note rate.
    """
    n_months = scenario.months or group.remaining_term
    collateral = compile_collateral((group,), n_months, servicing_fee)
    rates = monthly_rates(scenario, (group,), n_months)
    out = CollateralOut(*(np.zeros((n_months, 1)) for _ in CollateralOut._fields))
    project_collateral(collateral, rates, out, True)
    return out


def start_balance(collateral: CollateralArrays) -> F64Array:
    """Pool balance by group at the start: performing loans plus the seeded pipeline (all
    of it, whether or not the projection reaches its last liquidations)."""
    start: F64Array = collateral.performing_balance + collateral.pipeline_balance
    return start


def _month_arrays(compiled: CompiledDeal, col: CollateralOut, is_advancing: bool) -> MonthArrays:
    n_months, n_groups = col.performing_balance.shape
    months = MonthArrays(
        index_rate=compiled.index_rate,
        act_360_fraction=compiled.calendar.act_360_fraction,
        distribution_number=compiled.calendar.distribution_number,
        cumulative_loss_limit=compiled.cumulative_loss_limit,
        group_interest=np.zeros((n_months, n_groups)),
        group_principal=np.zeros((n_months, n_groups)),
        group_loss=np.zeros((n_months, n_groups)),
        group_balance=np.zeros((n_months + 1, n_groups)),
        delinquent_balance=np.zeros(n_months),
        penalties=np.zeros(n_months),
        group_note_rate=compiled.note_rate,
        cap_contract_notional=compiled.cap_contract_notional,
        prepayment_interest_shortfall=np.zeros(n_months),
        relief_act_shortfall=np.zeros(n_months),
    )
    fill_months(
        col,
        start_balance(compiled.collateral),
        compiled.penalty_share,
        is_advancing,
        compiled.shortfall,
        months,
    )
    return months


def allocate_payments(n_months: int, n_tranches: int, n_fees: int) -> PaymentsOut:
    """Zeroed output arrays (an unwritten cell shows as 0, not garbage)."""
    arrays: dict[str, F64Array] = {}
    for name in PaymentsOut._fields:
        if name == "fee_paid":
            arrays[name] = np.zeros((n_months, n_fees))
        elif name in PAYMENT_MONTH_FIELDS:
            arrays[name] = np.zeros(n_months)
        else:
            arrays[name] = np.zeros((n_months, n_tranches))
    return PaymentsOut(**arrays)


PAYMENT_MONTH_FIELDS = (
    "collections",
    "extra_principal",
    "oc_release",
    "overcollateralization",
    "oc_target",
    "senior_enhancement",
    "cap_contract_payment",
    "compensating_interest",
    "net_monthly_excess",
    "is_stepped_down",
    "is_trigger_event",
    "call_proceeds",
    "unallocated",
)


def allocate_workspace(n_tranches: int, n_groups: int, n_fees: int) -> Workspace:
    """Scratch arrays for one run of the waterfall."""
    per_tranche = [np.zeros(n_tranches) for _ in range(7)]
    balance, unpaid, unreimbursed, carryforward, due_current, due_carried, owed = per_tranche
    return Workspace(
        balance,
        unpaid,
        unreimbursed,
        carryforward,
        due_current,
        due_carried,
        owed,
        accounts=np.zeros(N_ACCOUNTS),
        status=np.zeros(N_STATUS),
        group_rate=np.zeros(n_groups),
        group_netted=np.zeros(n_groups),
        fee_due=np.zeros(n_fees),
    )


class WaterfallInputs(NamedTuple):
    """What one run of the waterfall reads and writes, the collateral already projected."""

    compiled: CompiledDeal
    collateral: CollateralOut  # (n_months, n_groups) each
    months: MonthArrays
    out: PaymentsOut  # zeros
    work: Workspace


def waterfall_inputs(deal: Deal, scenario: Scenario) -> WaterfallInputs:
    """Compile the deal for ``scenario``, project its collateral and allocate the waterfall's
    arrays: ``run`` up to the waterfall itself (which ``benchmarks/profile_pieces.py`` times
    alone)."""
    compiled = compile_deal(deal, scenario)
    n_months, n_groups = compiled.n_months, len(deal.groups)
    col = CollateralOut(*(np.zeros((n_months, n_groups)) for _ in CollateralOut._fields))
    project_collateral(compiled.collateral, compiled.rates, col, True)
    months = _month_arrays(compiled, col, scenario.is_advancing)
    n_tranches = len(deal.tranches)
    out = allocate_payments(n_months, n_tranches, len(deal.fees))
    work = allocate_workspace(n_tranches, n_groups, len(deal.fees))
    return WaterfallInputs(compiled, col, months, out, work)


def run(deal: Deal, scenario: Scenario) -> Result:
    """Project the collateral and apply the waterfall for one scenario."""
    compiled, col, months, out, work = waterfall_inputs(deal, scenario)
    ran = apply_waterfall(
        compiled.program, compiled.tranches, compiled.fees, months, compiled.terms, work, out
    )
    return _wrap(deal, scenario, compiled, col, months, out, ran)


def _wrap(
    deal: Deal,
    scenario: Scenario,
    compiled: CompiledDeal,
    col: CollateralOut,
    months: MonthArrays,
    out: PaymentsOut,
    ran: int,
) -> Result:
    out = PaymentsOut(*(array[:ran] for array in out))
    col = CollateralOut(*(array[:ran] for array in col))
    balance = out.balance.copy()
    for index, tranche in enumerate(deal.tranches):
        if tranche.holds_overcollateralization:
            balance[:, index] = out.overcollateralization
    interest = (
        out.interest
        + out.basis_risk_paid
        + out.writedown_reimbursed
        + out.penalties
        + out.residual
    )
    beginning = compiled.tranches.balance.copy()
    for index, tranche in enumerate(deal.tranches):
        if tranche.holds_overcollateralization:
            beginning[index] = deal.pool_balance - sum(
                t.balance for t in deal.tranches if t.kind == "bond"
            )
    return Result(
        deal=deal,
        scenario=scenario,
        dates=compiled.calendar.dates[:ran],
        tranche_names=deal.tranche_names,
        beginning_balance=beginning,
        balance=balance,
        principal=out.principal,
        interest=interest,
        writedown=out.writedown,
        payments=out,
        collateral={name: getattr(col, name).sum(axis=1) for name in COLLATERAL_COLUMNS},
        collateral_by_group=col,
        pool_balance=months.group_balance[: ran + 1].sum(axis=1),
        principal_collected=months.group_principal[:ran].sum(axis=1),
        interest_collected=months.group_interest[:ran].sum(axis=1),
        interest_by_group=months.group_interest[:ran].copy(),
        fee_names=tuple(fee.name for fee in deal.fees),
        compiled=compiled,
    )
