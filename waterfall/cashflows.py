"""The month-by-month cash-flow report of one run: its columns, and the table they make.

``waterfall run --cashflows FILE`` writes it (``report/cashflows.py``) and
``Result.cashflows()`` returns it as a pandas DataFrame (``cashflow_frame``).

Every column is declared once, in ``COLUMNS``: its header, where its numbers come from and
their unit. A header holding ``{group}``, ``{tranche}`` or ``{fee}`` is repeated for each loan
group (then once more for the pool, ``pool.``), each class or each fee. A source is
``payments.FIELD`` (a ``PaymentsOut`` array of the waterfall kernel), ``collateral.FIELD`` (a
``CollateralOut`` array of the collateral kernel, by group) or the name of a function in
``DERIVED``. A new ``PaymentsOut`` field is one more line here, e.g.
``Column("{tranche}.cap_contract_paid", "payments.cap_contract_paid", DOLLARS)``.

The report ties out: in every month, the cash in (each group's interest collected and advanced,
scheduled principal collected and advanced, prepayments, recoveries and penalties, plus any
clean-up call proceeds) equals the cash out (fees, and each class's interest, carryforward,
reimbursement, principal, penalties and residual, plus cash no step took). Dollars are written
to the micro-dollar (6 decimals) so that the columns add up to the cent from the file alone;
the waterfall pays classes in whole cents.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from waterfall._types import F64Array

if TYPE_CHECKING:
    from waterfall.engine import Result

DOLLARS = "dollars"
PERCENT = "percent"  # of the quantity the column names; rates are annual
FLAG = "flag"  # 1 = yes, 0 = no
DATE = "date"
COUNT = "count"
DOLLAR_DECIMALS = 6
PERCENT_DECIMALS = 8


@dataclass(frozen=True, slots=True)
class Column:
    """One column (or one per group, class or fee) of the cash-flow report."""

    name: str  # header; {group}, {tranche} or {fee} repeat it per item
    source: str  # payments.FIELD, collateral.FIELD, or a key of DERIVED
    unit: str  # DOLLARS, PERCENT, FLAG, DATE or COUNT
    note: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("month", "month", COUNT, "1 = the first projected distribution"),
    Column("date", "date", DATE, "distribution date"),
    Column("libor_percent", "libor", PERCENT, "one-month LIBOR set for the period"),
    # collateral, per loan group and for the pool
    Column("{group}.balance", "group_balance", DOLLARS, "performing + in foreclosure, month end"),
    Column("{group}.scheduled_principal", "collateral.actual_amortization", DOLLARS,
           "paid by performing borrowers"),
    Column("{group}.principal_advanced", "principal_advanced", DOLLARS,
           "scheduled principal of defaulted loans, advanced"),
    Column("{group}.unscheduled_principal", "collateral.voluntary_prepayments", DOLLARS,
           "prepayments in full and curtailments"),
    Column("{group}.defaults", "collateral.new_defaults", DOLLARS, "new defaults"),
    Column("{group}.recoveries", "collateral.principal_recovery", DOLLARS,
           "net liquidation proceeds"),
    Column("{group}.losses", "collateral.principal_loss", DOLLARS, "realized"),
    Column("{group}.interest_collected", "collateral.actual_interest", DOLLARS,
           "net of servicing, from performing borrowers"),
    Column("{group}.interest_advanced", "interest_advanced", DOLLARS,
           "interest of defaulted loans, advanced"),
    Column("{group}.interest_shortfalls", "interest_shortfalls", DOLLARS,
           "interest prepaid loans (after their payoff day) and Relief Act loans do not pay"),
    Column("{group}.penalties", "penalties", DOLLARS, "prepayment penalties"),
    Column("{group}.in_foreclosure", "collateral.foreclosure_balance", DOLLARS,
           "defaulted, awaiting liquidation"),
    Column("call_proceeds", "payments.call_proceeds", DOLLARS, "clean-up call purchase price"),
    Column("cap_contract_payment", "payments.cap_contract_payment", DOLLARS,
           "paid in by the yield maintenance agreement"),
    Column("cash_in", "cash_in", DOLLARS, "every dollar the month brings in"),
    # fees and classes
    Column("{fee}.paid", "payments.fee_paid", DOLLARS, "each senior fee"),
    Column("{tranche}.balance", "balance", DOLLARS, "month end; notional for IO classes"),
    Column("{tranche}.coupon_percent", "coupon", PERCENT, "rate accrued at, after any cap"),
    Column("{tranche}.cap_percent", "cap", PERCENT, "the interest cap; blank if uncapped"),
    Column("{tranche}.interest_due", "payments.interest_due", DOLLARS, "current interest"),
    Column("{tranche}.interest_paid", "payments.interest", DOLLARS, "current and unpaid"),
    Column("{tranche}.interest_shortfall", "payments.interest_shortfall", DOLLARS,
           "owed and unpaid at month end"),
    Column("{tranche}.interest_reduction", "payments.interest_reduction", DOLLARS,
           "current interest forgone for net prepayment-interest and Relief Act shortfalls"),
    Column("{tranche}.carryforward", "payments.basis_risk_carryforward", DOLLARS,
           "basis-risk (cap) carryforward outstanding"),
    Column("{tranche}.carryforward_paid", "payments.basis_risk_paid", DOLLARS,
           "carryforward paid from excess cash"),
    Column("{tranche}.principal", "payments.principal", DOLLARS, "principal paid"),
    Column("{tranche}.writedown", "payments.writedown", DOLLARS, "written down this month"),
    Column("{tranche}.writedown_reimbursed", "payments.writedown_reimbursed", DOLLARS,
           "earlier write-downs paid back"),
    Column("{tranche}.penalties", "payments.penalties", DOLLARS, "prepayment penalties received"),
    Column("{tranche}.residual", "payments.residual", DOLLARS, "the cash left, to the residual"),
    Column("unallocated", "payments.unallocated", DOLLARS, "cash no step took (0)"),
    Column("cash_out", "cash_out", DOLLARS, "fees and every class payment"),
    # the structure
    Column("oc_target", "payments.oc_target", DOLLARS, "required overcollateralization"),
    Column("oc_actual", "payments.overcollateralization", DOLLARS, "pool less certificates"),
    Column("oc_release", "payments.oc_release", DOLLARS, "principal released above the target"),
    Column("extra_principal", "payments.extra_principal", DOLLARS,
           "excess interest paid as principal"),
    Column("excess_spread", "payments.net_monthly_excess", DOLLARS,
           "interest left after the OC step"),
    Column("compensating_interest", "payments.compensating_interest", DOLLARS,
           "servicing fee given up for prepaid loans' interest"),
    Column("senior_enhancement_percent", "payments.senior_enhancement", PERCENT,
           "share of the pool below the seniors"),
    Column("is_stepped_down", "payments.is_stepped_down", FLAG, "stepdown date reached"),
    Column("is_trigger_event", "payments.is_trigger_event", FLAG, "a trigger event in effect"),
    Column("delinquency_percent", "delinquency", PERCENT,
           "liquidation pipeline over the pool: the delinquency test's value"),
    Column("delinquency_limit_percent", "delinquency_limit", PERCENT,
           "the test fails at or above this"),
    Column("cumulative_loss_percent", "cumulative_loss", PERCENT,
           "realized losses since cut-off over the cut-off balance"),
    Column("cumulative_loss_limit_percent", "cumulative_loss_limit", PERCENT,
           "the test fails above this"),
)  # fmt: skip
"""The report's columns, in order; README "Cash-flow report" names them."""

CASH_IN = (
    "interest_collected",
    "interest_advanced",
    "-interest_shortfalls",
    "scheduled_principal",
    "principal_advanced",
    "unscheduled_principal",
    "recoveries",
    "penalties",
)
"""Per-group columns that bring cash in (``-``: that take it away), plus ``call_proceeds``
and ``cap_contract_payment``."""

CASH_OUT = (
    "interest_paid",
    "carryforward_paid",
    "writedown_reimbursed",
    "principal",
    "penalties",
    "residual",
)
"""Per-class columns that pay cash out (plus each fee and ``unallocated``)."""


def _group_balance(result: Result) -> F64Array:
    col = result.collateral_by_group
    total: F64Array = col.performing_balance + col.foreclosure_balance
    return total


def _interest_advanced(result: Result) -> F64Array:
    col = result.collateral_by_group
    if not result.scenario.is_advancing:
        return np.zeros_like(col.actual_interest)
    advanced: F64Array = col.expected_interest - col.actual_interest
    return advanced


def _principal_advanced(result: Result) -> F64Array:
    col = result.collateral_by_group
    advanced: F64Array = col.expected_amortization - col.actual_amortization
    return advanced if result.scenario.is_advancing else np.zeros_like(advanced)


def _penalties(result: Result) -> F64Array:
    share = _compiled(result).penalty_share[: result.n_months]
    by_group: F64Array = result.collateral_by_group.voluntary_prepayments * share[:, np.newaxis]
    return by_group


def _compiled(result: Result) -> Any:
    if result.compiled is None:
        raise ValueError("this Result does not keep the arrays it was computed from")
    return result.compiled


def _cap(result: Result) -> F64Array:
    capped = _compiled(result).tranches.is_capped == 1
    cap: F64Array = result.payments.cap_rate.copy()
    cap[:, ~capped] = np.nan  # the kernel writes 0 for a class without a cap
    cap[~np.isfinite(cap)] = np.nan
    return cap


def _interest_shortfalls(result: Result) -> F64Array:
    col = result.collateral_by_group
    gross = col.expected_interest if result.scenario.is_advancing else col.actual_interest
    lost: F64Array = gross - result.interest_by_group
    return lost


def _delinquency(result: Result) -> F64Array:
    pipeline = result.collateral_by_group.foreclosure_balance.sum(axis=1)
    pool = result.pool_balance[1:]
    share: F64Array = np.divide(pipeline, pool, out=np.zeros_like(pipeline), where=pool > 0.0)
    return share


def _delinquency_limit(result: Result) -> F64Array:
    share = _compiled(result).terms.delinquency_share_of_enhancement
    enhancement = result.payments.senior_enhancement
    if not math.isfinite(share):  # a deal with no delinquency test: blank
        return np.full_like(enhancement, np.nan)
    limit: F64Array = share * enhancement
    return limit


def _cumulative_loss(result: Result) -> F64Array:
    terms = _compiled(result).terms
    losses = result.collateral_by_group.principal_loss.sum(axis=1)
    share: F64Array = (terms.cumulative_loss_start + np.cumsum(losses)) / terms.cutoff_balance
    return share


def _cumulative_loss_limit(result: Result) -> F64Array:
    limit: F64Array = _compiled(result).cumulative_loss_limit[: result.n_months]
    return limit


def _libor(result: Result) -> F64Array:
    rate: F64Array = _compiled(result).index_rate[: result.n_months]
    return rate


DERIVED: dict[str, Callable[[Result], F64Array]] = {
    "group_balance": _group_balance,
    "interest_advanced": _interest_advanced,
    "interest_shortfalls": _interest_shortfalls,
    "principal_advanced": _principal_advanced,
    "penalties": _penalties,
    "balance": lambda result: result.balance,
    "coupon": lambda result: result.payments.coupon,
    "cap": _cap,
    "delinquency": _delinquency,
    "delinquency_limit": _delinquency_limit,
    "cumulative_loss": _cumulative_loss,
    "cumulative_loss_limit": _cumulative_loss_limit,
    "libor": _libor,
}
"""Columns computed from several arrays of a Result."""


def _source(result: Result, source: str) -> F64Array:
    kind, _, field = source.partition(".")
    if kind == "payments":
        array: F64Array = getattr(result.payments, field)
        return array
    if kind == "collateral":
        array = getattr(result.collateral_by_group, field)
        return array
    return DERIVED[source](result)


def cashflow_table(result: Result) -> tuple[list[str], list[str], list[list[Any]]]:
    """The report as (headers, units, rows): one row per month, numbers in the column's unit
    (dollars to the micro-dollar, percent to 8 decimals), None where a value does not apply."""
    deal = result.deal
    n = result.n_months
    group_names = [group.name for group in deal.groups]
    headers: list[str] = []
    units: list[str] = []
    columns: list[list[Any]] = []
    cash_in = np.zeros(n)
    cash_out = np.zeros(n)
    for column in COLUMNS:
        if column.source == "month":
            values: list[Any] = list(range(1, n + 1))
            _add(headers, units, columns, column.name, column.unit, values)
            continue
        if column.source == "date":
            values = [day.isoformat() for day in result.dates]
            _add(headers, units, columns, column.name, column.unit, values)
            continue
        if column.source in ("cash_in", "cash_out"):
            total = cash_in if column.source == "cash_in" else cash_out
            _add(headers, units, columns, column.name, column.unit, _cells(total, DOLLARS))
            continue
        array = _source(result, column.source)
        key = column.name.partition(".")[2]
        if "{group}" in column.name:
            for index, name in enumerate(group_names):
                cells = _cells(array[:, index], column.unit)
                _add(headers, units, columns, column.name.format(group=name), column.unit, cells)
            pool = array.sum(axis=1)
            _add(headers, units, columns, f"pool.{key}", column.unit, _cells(pool, column.unit))
            if key in CASH_IN:
                cash_in += pool
            elif f"-{key}" in CASH_IN:
                cash_in -= pool
        elif "{tranche}" in column.name:
            for index, name in enumerate(result.tranche_names):
                cells = _cells(array[:, index], column.unit)
                header = column.name.format(tranche=name)
                _add(headers, units, columns, header, column.unit, cells)
            if key in CASH_OUT:
                cash_out += array.sum(axis=1)
        elif "{fee}" in column.name:
            for index, name in enumerate(result.fee_names):
                cells = _cells(array[:, index], column.unit)
                _add(headers, units, columns, column.name.format(fee=name), column.unit, cells)
            cash_out += array.sum(axis=1)
        else:
            _add(headers, units, columns, column.name, column.unit, _cells(array, column.unit))
            if column.name in ("call_proceeds", "cap_contract_payment"):
                cash_in += array
            elif column.name == "unallocated":
                cash_out += array
    rows = [list(row) for row in zip(*columns, strict=True)]
    return headers, units, rows


def _add(
    headers: list[str],
    units: list[str],
    columns: list[list[Any]],
    header: str,
    unit: str,
    values: list[Any],
) -> None:
    headers.append(header)
    units.append(unit)
    columns.append(values)


def _cells(values: F64Array, unit: str) -> list[float | int | None]:
    if unit == FLAG:
        return [int(value > 0.5) for value in values]
    scale, digits = (100.0, PERCENT_DECIMALS) if unit == PERCENT else (1.0, DOLLAR_DECIMALS)
    return [
        None if not math.isfinite(value) else round(float(value) * scale, digits) + 0.0
        for value in values
    ]


def cashflow_frame(result: Result) -> Any:
    """The report as a pandas DataFrame indexed by month: the file's columns and numbers
    (dates as ``datetime64``), each column's unit in ``frame.attrs["units"]``.

    Needs pandas (``pip install 'rmbs-waterfall[pandas]'``).
    """
    try:
        import pandas as pd  # an optional extra, imported only when asked for
    except ImportError:
        raise ImportError(
            "Result.cashflows() needs pandas: pip install 'rmbs-waterfall[pandas]'"
        ) from None
    headers, units, rows = cashflow_table(result)
    frame = pd.DataFrame(rows, columns=headers)
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame.set_index("month")
    frame.attrs["units"] = dict(zip(headers, units, strict=True))
    return frame
