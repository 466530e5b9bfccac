"""Run a reported period through the deal's waterfall and compare it with the statement.

The period is driven by the reported collateral flows (beginning and ending pool balance,
principal remittance, realized losses, interest net of servicing, the servicing fee as paid,
penalties) and the period's LIBOR and day count; the tranches start from the statement's
beginning balances. Group balances are not reported: each group's beginning balance follows
from the deal's history (``statement.groups``), and the principal remittance is split between
the groups by the deal's calibrated speeds (its default scenario's first-month SMM of each
group), never by the statement's senior split.

Every line says what it is evidence of (``Line.basis``):

* ``checked``: computed from the deal and its calibrated scenario without reading that line;
* ``input``: taken from this statement, so it agrees with itself;
* ``fitted``: calibrated to this statement (the deal's ``as_of`` is its distribution date), so
  it matches by construction; against any other statement the same line is ``checked``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from waterfall._types import F64Array
from waterfall.compile import Calendar, compile_deal, distribution_date, monthly_rates
from waterfall.deal.model import CollateralGroup, Deal
from waterfall.engine import allocate_payments, allocate_workspace
from waterfall.kernels.payments import FeeArrays, MonthArrays, PaymentsOut, apply_waterfall
from waterfall.scenario import load_scenario
from waterfall.scenario.model import BASE, Scenario
from waterfall.statement.calibrate import loan_rounding_limit
from waterfall.statement.fit import check_statement_fits
from waterfall.statement.groups import (
    PeriodCollections,
    group_balances,
    period_principal,
    seniors_by_group,
)
from waterfall.statement.read import Statement

CENT = 0.005
CARRIED_ROUNDING_LIMIT = 1.00
"""X's beginning balance may carry earlier pool-rounding gaps (cents); a dollar or more
between it and the reported pool less the certificates is not rounding and is shown."""


@dataclass(frozen=True, slots=True)
class Line:
    """One reconciled figure: reported, modeled, and why they differ when they do."""

    name: str
    reported: float
    modeled: float
    explained: str = ""  # the named reason for a difference; empty when none is expected
    decimals: int = 2  # compared to this many decimals: cents, or a factor's 8
    basis: str = "checked"  # checked | input | fitted (statement.options.BASES)

    @property
    def difference(self) -> float:
        """Modeled less reported, at the line's precision."""
        return round(self.modeled - self.reported, self.decimals) + 0.0

    @property
    def is_exact(self) -> bool:
        """True when the figures agree at the line's precision."""
        return abs(self.difference) < 0.5 * 10.0**-self.decimals

    @property
    def is_reconciled(self) -> bool:
        """True when the figures agree at the line's precision, or the difference is named."""
        return self.is_exact or bool(self.explained)


def _f(value: Decimal) -> float:
    return float(value)


def _previous_distribution(deal: Deal, statement: Statement) -> tuple[int, int]:
    day = statement.distribution_date
    total = day.year * 12 + day.month - 2
    return total // 12, total % 12 + 1


def reconcile(
    deal: Deal,
    statement: Statement,
    text: str = "",
    file: str = "<statement>",
    scenario: Scenario | None = None,
) -> list[Line]:
    """Model the statement's period and return every compared line.

    ``scenario`` gives each loan group's prepayment speed for the period (its first month);
    by default the deal's default scenario, the one calibrate writes.

    Raises
    ------
    StatementError
        When the statement cannot be the deal's (``check_statement_fits``).
    """
    check_statement_fits(deal, statement, text, file)
    if scenario is None:
        scenario = load_scenario(deal.default_scenario) if deal.default_scenario else BASE
    classes = {c.name: c for c in statement.classes}
    year, month = _previous_distribution(deal, statement)
    start = distribution_date(year, month, deal.distribution_day)
    tranches = tuple(
        dataclasses.replace(t, balance=_f(classes[t.name].beginning_balance))
        if t.name in classes and t.kind != "residual"
        else t
        for t in deal.tranches
    )
    principal = statement.principal
    begin = _f(principal.beginning_balance)
    seniors = [n for names in seniors_by_group(deal).values() for n in names if n in classes]
    history = group_balances(
        deal,
        {n: _f(classes[n].beginning_balance) for n in seniors},
        begin,
        _f(statement.cumulative_net_realized_losses) - _f(statement.realized_losses),
    )
    groups = tuple(
        dataclasses.replace(g, balance=history.balance[g.name], delinquent_balance=0.0)
        for g in deal.groups
    )
    period_deal = dataclasses.replace(deal, as_of=start, tranches=tranches, groups=groups)
    index_rate = _implied_libor(deal, statement)
    compiled = compile_deal(period_deal, dataclasses.replace(BASE, months=1))
    smm = monthly_rates(dataclasses.replace(scenario, months=1), groups, 1).smm[0]
    collections = PeriodCollections(
        begin, _f(principal.scheduled_principal), _f(principal.net_liquidation_proceeds)
    )
    modeled = period_principal(
        collections,
        history.balance,
        {g.name: float(smm[i]) for i, g in enumerate(groups)},
    )
    # the deal's cap contract, on its notional for the period, pays at the implied LIBOR
    contract_notional = compiled.cap_contract_notional[:1].copy()
    months = _reported_month(
        statement, compiled.calendar, index_rate, groups, modeled, contract_notional
    )
    fees = _reported_fees(deal, statement, compiled.fees)
    terms = compiled.terms._replace(
        compensating_fee=-1,
        cumulative_loss_start=_f(statement.cumulative_net_realized_losses)
        - _f(statement.realized_losses),
    )
    out = allocate_payments(1, len(tranches), len(deal.fees))
    apply_waterfall(
        compiled.program,
        compiled.tranches,
        fees,
        months,
        terms,
        allocate_workspace(len(tranches), len(groups), len(fees.annual_rate)),
        out,
    )
    return _compare(deal, statement, out, deal.as_of == statement.distribution_date)


def _roll_forward_gap(statement: Statement) -> float:
    """Reported ending pool balance less beginning - principal remittance - realized losses."""
    p = statement.principal
    rolled = p.beginning_balance - p.total_principal_remittance - p.net_realized_losses
    return float(p.ending_balance - rolled)


def _implied_libor(deal: Deal, statement: Statement) -> float:
    """One-month LIBOR implied by the first floater's rate and margin."""
    for tranche in deal.tranches:
        row = next((c for c in statement.classes if c.name == tranche.name), None)
        if tranche.margin is not None and row is not None and row.rate_percent is not None:
            return float(row.rate_percent) / 100.0 - tranche.margin
    return deal.index_rate


def _reported_month(
    statement: Statement,
    cal: Calendar,
    index_rate: float,
    groups: tuple[CollateralGroup, ...],
    modeled_principal: dict[str, float],
    cap_contract_notional: F64Array,
) -> MonthArrays:
    principal = statement.principal
    begin = np.array([g.balance for g in groups])
    weight = begin / begin.sum()
    by_group = np.array([modeled_principal[g.name] for g in groups])
    weight_principal = by_group / by_group.sum() if by_group.sum() > 0 else weight
    gross_interest = _f(statement.interest.total) + _f(statement.pool.servicing_fee)
    remittance = _f(principal.total_principal_remittance)
    losses = _f(principal.net_realized_losses)
    end = _f(principal.ending_balance)
    delinquent = sum(
        float(row.balance)
        for rows in (statement.foreclosures, statement.bankruptcies, statement.reos)
        for row in rows
    )
    return MonthArrays(
        index_rate=np.array([index_rate]),
        act_360_fraction=cal.act_360_fraction,
        distribution_number=cal.distribution_number,
        cumulative_loss_limit=np.array([np.inf]),
        group_interest=(gross_interest * weight)[np.newaxis, :],
        group_principal=(remittance * weight_principal)[np.newaxis, :],
        group_loss=(losses * weight_principal)[np.newaxis, :],
        group_balance=np.vstack([begin, end * weight]),
        delinquent_balance=np.array([delinquent]),
        penalties=np.array([_f(statement.prepayment_premiums)]),
        group_note_rate=np.array([g.note_rate for g in groups]),
        cap_contract_notional=cap_contract_notional,
        # the reported interest is already net of both; they are passed to be allocated
        # to the classes (the reported servicing fee is net of any compensating interest)
        prepayment_interest_shortfall=np.array([_f(statement.prepayment_interest_shortfalls)]),
        relief_act_shortfall=np.array([_f(statement.relief_act_shortfalls)]),
    )


def _reported_fees(deal: Deal, statement: Statement, fees: FeeArrays) -> FeeArrays:
    """The servicing fee as paid (the trustee rounds it by loan): the cash the waterfall
    starts from; its line compares the deal's rate with it. Other fees as modeled."""
    rate = fees.annual_rate.copy()
    amount = fees.monthly_amount.copy()
    for index, fee in enumerate(deal.fees):
        if fee.role == "servicing":
            rate[index] = 0.0
            amount[index] = _f(statement.pool.servicing_fee)
    return fees._replace(annual_rate=rate, monthly_amount=amount)


FACTOR_ROUNDING = (
    "the trustee's factor differs by one unit in the 8th decimal from the straight division "
    "rounded (its own rounding, DEAL_NOTES)"
)


def _factor_line(
    name: str, reported: Decimal, amount: float, face: float, basis: str = "checked"
) -> Line:
    """A per-1,000 factor to 8 decimals; one unit off is the trustee's rounding, named."""
    modeled = round(amount / face * 1000.0, 8)
    off_by_one = round(abs(modeled - float(reported)) * 1e8) == 1
    return Line(name, float(reported), modeled, FACTOR_ROUNDING if off_by_one else "", 8, basis)


def _compare(
    deal: Deal, statement: Statement, out: PaymentsOut, is_calibrated_here: bool
) -> list[Line]:
    """Every compared line, each labelled with what it is evidence of
    (``statement.options.BASES``).

    What calibrate fits (the senior split, the servicing and senior-expense rates, the
    required OC) is ``fitted`` when the deal was calibrated to this statement, else
    ``checked``; what the run takes from the statement (penalties, X's beginning balance)
    is ``input``.
    """
    lines: list[Line] = []
    names = deal.tranche_names
    fitted = "fitted" if is_calibrated_here else "checked"
    seniors = set(deal.stepdown.senior_tranches)
    penalty_classes = {s.targets[0] for s in deal.waterfall if s.action == "pay_penalties"}
    residual_classes = {s.targets[0] for s in deal.waterfall if s.action == "pay_residual"}
    per_thousand = {p.name: p for p in statement.per_thousand}
    for row in statement.classes:
        if row.name not in names:
            continue
        index = names.index(row.name)
        tranche = deal.tranches[index]
        interest = (
            out.interest[0, index]
            + out.penalties[0, index]
            + out.residual[0, index]
            + out.basis_risk_paid[0, index]
            + out.writedown_reimbursed[0, index]
        )
        interest_basis = (
            "input"
            if row.name in penalty_classes
            else fitted
            if row.name in residual_classes
            else "checked"
        )
        principal_basis = fitted if row.name in seniors else "checked"
        lines.append(
            Line(f"{row.name} interest", _f(row.interest), interest, basis=interest_basis)
        )
        lines.append(
            Line(
                f"{row.name} principal",
                _f(row.principal),
                out.principal[0, index],
                basis=principal_basis,
            )
        )
        ending = out.balance[0, index]
        note = ""
        if tranche.holds_overcollateralization:
            ending = out.overcollateralization[0]
            gap = round(_roll_forward_gap(statement), 2)
            if gap and abs(ending - _f(row.ending_balance) - gap) < CENT:
                note = (
                    f"the statement's ending pool balance is {gap:.2f} above its own "
                    "roll-forward; the trustee rolls X forward (beginning + extra principal "
                    "- realized loss), the model takes the reported pool balance"
                )
        lines.append(
            Line(
                f"{row.name} ending balance",
                _f(row.ending_balance),
                ending,
                note,
                basis=principal_basis,
            )
        )
        if row.loss is not None:
            lines.append(Line(f"{row.name} write-down", _f(row.loss), out.writedown[0, index]))
        face = float(row.original_face)
        if face > 0 and row.name in per_thousand and not tranche.holds_overcollateralization:
            printed = per_thousand[row.name]
            for label, reported, amount, basis in (
                ("principal", printed.principal, out.principal[0, index], principal_basis),
                ("interest", printed.interest, interest, interest_basis),
                ("ending", printed.ending_factor, ending, principal_basis),
            ):
                lines.append(
                    _factor_line(f"{row.name} {label} per 1,000", reported, amount, face, basis)
                )
    senior_rows = [c for c in statement.classes if c.name in seniors]
    if senior_rows:
        lines.append(
            Line(
                f"senior principal ({' + '.join(c.name for c in senior_rows)})",
                sum(_f(c.principal) for c in senior_rows),
                sum(out.principal[0, names.index(c.name)] for c in senior_rows),
            )
        )
    # not printed as such: principal paid to the classes less the principal remittance
    reported_extra = _f(statement.total.principal) - _f(
        statement.principal.total_principal_remittance
    )
    lines.append(Line("extra principal (derived)", reported_extra, out.extra_principal[0]))
    holder = next((t for t in deal.tranches if t.holds_overcollateralization), None)
    if holder is not None and holder.name in {c.name for c in statement.classes}:
        beginning_oc = _f(statement.principal.beginning_balance) - sum(
            _f(c.beginning_balance)
            for c in statement.classes
            if c.name in names and deal.tranches[names.index(c.name)].kind == "bond"
        )
        x_beginning = _f(statement.by_name(holder.name).beginning_balance)
        carried = round(beginning_oc - x_beginning, 2)
        lines.append(
            Line(
                f"overcollateralization before ({holder.name} beginning)",
                x_beginning,
                beginning_oc,
                (
                    f"{holder.name}'s beginning balance is the trustee's roll-forward of the "
                    "OC, which keeps the rounding of earlier ending pool balances (a statement "
                    "whose End Bal is off its own roll-forward); the reported pool less the "
                    f"certificates is {carried:.2f} above it"
                )
                if carried and abs(carried) < CARRIED_ROUNDING_LIMIT
                else "",
                basis="input",
            )
        )
    gap = round(_roll_forward_gap(statement), 2)
    ending_oc = _f(statement.principal.ending_overcollateralization)
    is_the_gap = gap != 0.0 and abs(out.overcollateralization[0] - ending_oc - gap) < CENT
    lines.append(
        Line(
            "overcollateralization after (En Overcoll Amt)",
            ending_oc,
            out.overcollateralization[0],
            (
                f"the statement's ending pool balance is {gap:.2f} above its own roll-forward; "
                "the trustee rolls the OC forward, the model takes the reported pool balance"
            )
            if is_the_gap
            else "",
        )
    )
    lines.append(
        Line(
            "required overcollateralization",
            _f(statement.required_overcollateralization),
            out.oc_target[0],
            basis=fitted,
        )
    )
    lines.append(
        Line(
            "net monthly excess cash flow",
            _f(statement.net_monthly_excess_cash_flow),
            out.residual[0].sum(),
            basis=fitted,
        )
    )
    lines.append(
        Line(
            "payment from the yield maintenance agreement",
            _f(statement.yield_maintenance_payment),
            out.cap_contract_payment[0],
            # the deal's contract terms at the period's LIBOR; 2002-HE1's are assumed (a zero
            # notional), so agreement there says only that nothing was paid
        )
    )
    lines.extend(_servicing_lines(deal, statement, fitted))
    certificates = sum(out.balance[0, i] for i, t in enumerate(deal.tranches) if t.kind == "bond")
    pool_end = _f(statement.principal.ending_balance)
    # the seniors' enhancement: the classes below them and the OC, not the classes that
    # only collect penalties (P's face)
    subordinate = (
        certificates
        - sum(out.balance[0, i] for i, t in enumerate(deal.tranches) if t.name in seniors)
        - sum(out.balance[0, i] for i, t in enumerate(deal.tranches) if t.name in penalty_classes)
        + out.overcollateralization[0]
    )
    lines.append(
        Line(
            "credit enhancement %",
            float(statement.credit_enhancement_percent),
            round(subordinate / pool_end * 100, 6),
            decimals=6,  # printed to 6 decimals: a cent of OC is 1e-9 %, $10 is 1e-6 %
        )
    )
    lines.append(
        Line("trigger event", float(statement.is_trigger_event), float(out.is_trigger_event[0]))
    )
    return lines


def _servicing_lines(deal: Deal, statement: Statement, basis: str) -> list[Line]:
    """The servicing fee at the deal's rate on the beginning pool against the fee paid.

    The trustee computes the fee loan by loan, each rounded to the cent: it may differ from
    the rate on the pool total by at most half a cent on each loan, a difference named as that
    rounding; more is unexplained.
    """
    out = []
    begin = _f(statement.principal.beginning_balance)
    limit = loan_rounding_limit(statement)
    for fee in deal.fees:
        if fee.role != "servicing":
            continue
        modeled = round(fee.annual_rate * begin / 12.0 + fee.monthly_amount, 2)
        reported = _f(statement.pool.servicing_fee)
        apart = abs(modeled - reported)
        note = (
            f"the trustee rounds the fee loan by loan: {apart:.2f} apart is within half a cent "
            f"on each of {statement.pool.loan_count:,} loans ({limit:,.2f})"
            if 0.0 < apart <= limit
            else ""
        )
        out.append(Line(f"{fee.name} fee", reported, modeled, note, basis=basis))
    return out
