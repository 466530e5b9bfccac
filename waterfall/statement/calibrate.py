"""Calibrate a deal to a trustee's statement: starting state, rates and observed assumptions.

Everything here is arithmetic on the statement's printed figures (DEAL_NOTES.md shows each
formula); each figure keeps the statement line it comes from, so the deal file and the
observed scenario can say where every number was read.

* **Starting state**: every class's ending balance, the loan groups' balances derived from
  the deal's history (``statement.groups``: group balances are not reported), the required
  OC, and the liquidation pipeline (foreclosure + bankruptcy + REO, optionally plus rolled
  60+ day delinquencies) split in proportion to the group balances.
* **Rates**: one-month LIBOR implied by the floaters' printed coupons less the deal's margins
  (every floater must imply the same fixing), then each floater's margin; the servicing-fee
  rate (fee with ``role: servicing``); the rate of the senior expense the statement does not
  name (fee with ``role: senior_expense``).
* **Observed one-month performance** (STANDARDS 1.1, 1.3): SMM = (prepayments +
  curtailments) / (beginning balance - scheduled principal); MDR = liquidated balance
  (net liquidation proceeds + realized losses) / beginning balance; severity = realized
  losses / liquidated balance; CPR and CDR annualize them.
* **Each group's speed**, fitted so that the period's senior principal split is reproduced
  (``statement.groups.fitted_smm``), and the **pipeline default rate**: the MDR whose new
  defaults replace the 60+ day pipeline (60-89 and 90+ days, foreclosure, bankruptcy, REO)
  as it liquidates over the recovery lag, on the performing balance.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from waterfall.deal.model import Deal
from waterfall.errors import Problem, StatementError
from waterfall.statement.fit import PrintedLines, check_statement_fits
from waterfall.statement.groups import (
    PeriodCollections,
    fitted_smm,
    group_balances,
    seniors_by_group,
)
from waterfall.statement.options import DEFAULT_RECOVERY_LAG_MONTHS
from waterfall.statement.read import Statement
from waterfall.yaml_loader import PathKey, load_document, rewrite_values

LIBOR_AGREEMENT = 1e-9
"""Floaters must imply the same LIBOR to this (decimal; coupons print to 0.00001%)."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One calibrated number and where it comes from."""

    name: str
    value: float
    unit: str  # "dollars" | "rate" (annual decimal) | "percent" | "share" (decimal)
    source: str  # statement line(s), e.g. "line 126 Prep"
    formula: str = ""  # how it follows from the reported figures, when derived

    def formatted(self) -> str:
        """The value as a reader expects it: dollars to the cent, rates in percent."""
        if self.unit == "dollars":
            return f"{self.value:,.2f}"
        if self.unit in ("rate", "share"):
            return f"{self.value * 100:.6f}%"
        return f"{self.value:.6f}%"


@dataclass(frozen=True)
class Calibration:
    """What a statement says about the deal's state after its distribution."""

    statement_file: str
    distribution_date: str  # ISO
    libor: float  # decimal
    margins: dict[str, float]  # floater -> decimal margin
    smm: float
    cpr: float
    mdr: float
    cdr: float
    severity: float
    servicing_rate: float
    senior_expense: float  # dollars this period
    senior_expense_rate: float  # annual decimal of the beginning pool balance
    senior_principal_share: dict[str, float]  # senior class -> share of senior principal
    tranche_balances: dict[str, float]  # class -> ending balance (bonds and notionals)
    pool_balance: float
    overcollateralization: float
    group_balances: dict[str, float]
    pipeline: float  # balance seeded to liquidate over the recovery lag
    group_pipeline: dict[str, float]
    cumulative_loss: float
    required_overcollateralization: float
    group_cpr: dict[str, float]  # group -> annual decimal, fitted to the senior split
    pipeline_cdr: float  # annual decimal that keeps the 60+ day pipeline at its size
    recovery_lag_months: int
    figures: tuple[Figure, ...] = field(default=())

    def figure(self, name: str) -> Figure:
        """The figure called ``name``."""
        return next(f for f in self.figures if f.name == name)


def _f(value: Decimal) -> float:
    return float(value)


def _annual(monthly: float) -> float:
    return 1.0 - (1.0 - monthly) ** 12


def calibrate(
    deal: Deal,
    statement: Statement,
    text: str,
    file: str = "<statement>",
    *,
    roll_60_89: float = 0.0,
    roll_90_plus: float = 0.0,
    lag: int = DEFAULT_RECOVERY_LAG_MONTHS,
) -> Calibration:
    """Derive the deal's state, rates and the observed assumptions from one statement.

    ``text`` is the statement as read and ``file`` its path (for the line numbers of the
    sources, and in messages); ``roll_60_89``
    and ``roll_90_plus`` are the shares (decimal) of 60-89 and 90+ day delinquencies assumed
    to default and join the liquidation pipeline (0 = only foreclosure, bankruptcy and REO).

    Raises
    ------
    StatementError
        When the statement contradicts the deal: a class the deal has is missing, the
        floaters imply different LIBOR fixings, or the pool has no beginning balance.
    """
    check_statement_fits(deal, statement, text, file)
    lines = PrintedLines(text)
    classes = {row.name: row for row in statement.classes}
    summary = lines.of("DISTRIBUTION SUMMARY")
    problems: list[Problem] = []
    principal = statement.principal
    begin = _f(principal.beginning_balance)

    figures: list[Figure] = []

    def class_source(name: str) -> str:
        return f"line {lines.of_class(name, summary)} {name}"

    # LIBOR and margins -------------------------------------------------------------------
    floaters = [t for t in deal.tranches if t.margin is not None and t.name in classes]
    implied = {
        t.name: _f(classes[t.name].rate_percent or Decimal(0)) / 100.0 - (t.margin or 0.0)
        for t in floaters
    }
    libor = implied[floaters[0].name] if floaters else deal.index_rate
    for name, fixing in implied.items():
        if abs(fixing - libor) > LIBOR_AGREEMENT:
            problems.append(
                Problem(
                    file,
                    lines.of_class(name, summary),
                    1,
                    f"{name} rate",
                    f"implies LIBOR {fixing * 100:.5f}% with the deal's margin, but "
                    f"{floaters[0].name} implies {libor * 100:.5f}%",
                )
            )
    if problems:
        raise StatementError(problems)
    libor = round(libor, 10)
    figures.append(
        Figure(
            "one-month LIBOR",
            libor,
            "rate",
            "; ".join(class_source(t.name) for t in floaters),
            "each floater's printed rate less its margin; all agree",
        )
    )
    margins = {}
    for t in floaters:
        margins[t.name] = round(_f(classes[t.name].rate_percent or Decimal(0)) / 100 - libor, 10)
        figures.append(
            Figure(
                f"{t.name} margin", margins[t.name], "rate", class_source(t.name), "rate - LIBOR"
            )
        )

    # Observed performance ----------------------------------------------------------------
    scheduled = _f(principal.scheduled_principal)
    voluntary = _f(principal.prepayments) + _f(principal.curtailments)
    left = begin - scheduled
    if not 0.0 <= scheduled < begin:
        problems.append(
            Problem(file, lines.of("Sched Prin"), 1, "Sched Prin",
                    "expected at least 0 and below Beg Bal (no balance would be left to prepay)")
        )  # fmt: skip
        left = begin  # keeps the arithmetic below finite; the problem is raised below
    smm = voluntary / left
    liquidated = _f(principal.net_liquidation_proceeds) + _f(principal.net_realized_losses)
    mdr = liquidated / begin
    severity = _f(principal.net_realized_losses) / liquidated if liquidated > 0 else 0.0
    for label, printed in (
        ("Prep", principal.prepayments),
        ("Curt", principal.curtailments),
        ("Net Liq Proceeds", principal.net_liquidation_proceeds),
        ("Net Realized Losses", principal.net_realized_losses),
    ):
        if printed < 0:
            problems.append(
                Problem(file, lines.of(label), 1, label, f"{printed:,} is negative; calibrate "
                        "derives rates from non-negative prepayments and liquidations")
            )  # fmt: skip
    if voluntary >= 0.0 and smm > 1.0:
        problems.append(
            Problem(file, lines.of("Prep"), 1, "Prep", "prepayments and curtailments exceed "
                    "the balance left after scheduled principal (Beg Bal - Sched Prin)")
        )  # fmt: skip
    if liquidated >= 0.0 and mdr > 1.0:
        problems.append(
            Problem(file, lines.of("Net Liq Proceeds"), 1, "Net Liq Proceeds",
                    "the liquidated balance (proceeds + losses) exceeds Beg Bal")
        )  # fmt: skip
    ending = _f(principal.ending_balance)
    pipeline_reported = sum(
        _f(r.balance) for r in (*statement.foreclosures, *statement.bankruptcies, *statement.reos)
    )
    if ending < pipeline_reported:  # (a pool of 0 or less: check_statement_fits)
        problems.append(
            Problem(file, lines.of("End Bal"), 1, "End Bal",
                    f"expected at least the foreclosure, bankruptcy and REO balance "
                    f"({pipeline_reported:,.2f})")
        )  # fmt: skip
    if problems:
        raise StatementError(problems)
    perf_source = lines.cite("Beg Bal", "Sched Prin", "Prep", "Curt")
    loss_source = lines.cite("Beg Bal", "Net Liq Proceeds", "Net Realized Losses")
    figures += [
        Figure("SMM", smm, "rate", perf_source, "(Prep + Curt) / (Beg Bal - Sched Prin)"),
        Figure("CPR", _annual(smm), "rate", perf_source, "1 - (1 - SMM)^12"),
        Figure("MDR", mdr, "rate", loss_source, "(Net Liq Proceeds + Losses) / Beg Bal"),
        Figure("CDR", _annual(mdr), "rate", loss_source, "1 - (1 - MDR)^12"),
        Figure(
            "severity",
            severity,
            "share",
            loss_source,
            "Net Realized Losses / (Net Liq Proceeds + Net Realized Losses)",
        ),
    ]

    # Fees --------------------------------------------------------------------------------
    servicing_fee = _f(statement.pool.servicing_fee)
    servicing_rate = round(servicing_fee * 12.0 / begin, 4)
    rounding = loan_rounding_limit(statement)
    servicing_formula = (
        f"Serv Fee x 12 / Beg Bal, to 0.01% (the trustee rounds the fee by loan: "
        f"{abs(servicing_rate * begin / 12.0 - servicing_fee):,.2f} apart, within half a cent "
        f"on each of {statement.pool.loan_count:,} loans, {rounding:,.2f})"
    )
    if abs(servicing_rate * begin / 12.0 - servicing_fee) > rounding:
        servicing_rate = round(servicing_fee * 12.0 / begin, 10)
        servicing_formula = "Serv Fee x 12 / Beg Bal (not a round rate)"
    figures.append(
        Figure(
            "servicing fee rate",
            servicing_rate,
            "rate",
            lines.cite("Serv Fee", "Beg Bal"),
            servicing_formula,
        )
    )
    extra_principal = _f(statement.total.principal) - _f(principal.total_principal_remittance)
    penalty_classes = {
        step.targets[0] for step in deal.waterfall if step.action == "pay_penalties"
    }
    paid_from_interest = sum(
        _f(row.interest) for row in statement.classes if row.name not in penalty_classes
    )
    senior_expense = round(_f(statement.interest.total) - paid_from_interest - extra_principal, 2)
    senior_expense_rate = round(senior_expense * 12.0 / begin, 10)
    figures += [
        Figure(
            "extra principal",
            extra_principal,
            "dollars",
            lines.cite("Total", "Tot Prin Remit"),
            "class principal (Total row) - Tot Prin Remit",
        ),
        Figure(
            "unnamed senior expense",
            senior_expense,
            "dollars",
            f"{lines.cite('Sched Int -Curr Per- Net of Serv Fee')}; lines "
            f"{lines.of_class(statement.classes[0].name, summary)}-"
            f"{lines.of_class(statement.classes[-1].name, summary)} Int",
            "interest net of servicing - class interest (penalties excluded) - extra principal",
        ),
        Figure(
            "senior expense rate",
            senior_expense_rate,
            "rate",
            lines.cite("Beg Bal"),
            "unnamed senior expense x 12 / Beg Bal",
        ),
    ]

    # Senior principal split and the groups' speeds ----------------------------------------
    by_group = seniors_by_group(deal)
    seniors = [name for names in by_group.values() for name in names if name in classes]
    senior_principal = sum(_f(classes[name].principal) for name in seniors)
    shares = {
        name: (_f(classes[name].principal) / senior_principal if senior_principal else 0.0)
        for name in seniors
    }
    for name in seniors:
        figures.append(
            Figure(
                f"{name} share of senior principal",
                shares[name],
                "share",
                class_source(name),
                "class principal / senior principal",
            )
        )
    cumulative = _f(statement.cumulative_net_realized_losses)
    beginning = group_balances(
        deal,
        {name: _f(classes[name].beginning_balance) for name in seniors},
        begin,
        cumulative - _f(statement.realized_losses),
    )
    collections = PeriodCollections(begin, scheduled, _f(principal.net_liquidation_proceeds))
    remittance = _f(principal.total_principal_remittance)
    group_principal = {
        g: remittance
        * (
            sum(_f(classes[n].principal) for n in by_group[g] if n in classes) / senior_principal
            if senior_principal
            else beginning.balance[g] / begin
        )
        for g in beginning.balance
    }
    group_smm = fitted_smm(collections, beginning.balance, group_principal)
    for g, value in group_smm.items():
        if not 0.0 <= value <= 1.0:
            first = by_group[g][0] if by_group[g] else ""
            problems.append(
                Problem(file, lines.of_class(first, summary) if first else lines.of("Prep"), 1,
                        f"{first} principal" if first else "Prep",
                        f"implies a monthly prepayment rate of {value * 100:.4f}% for {g} "
                        f"(derived balance {beginning.balance[g]:,.2f}); expected 0 to 100%")
            )  # fmt: skip
    if problems:
        raise StatementError(problems)
    group_cpr = {g: _annual(value) for g, value in group_smm.items()}
    split_source = "; ".join(class_source(n) for n in seniors)
    for g in beginning.balance:
        figures.append(
            Figure(
                f"{g} beginning balance",
                beginning.balance[g],
                "dollars",
                f"{lines.cite('Beg Bal', 'Cum Net Real Losses since Startup Day')}; "
                + "; ".join(class_source(n) for n in by_group[g]),
                beginning.formula[g],
            )
        )
    for g in beginning.balance:
        figures.append(
            Figure(
                f"{g} principal remittance",
                group_principal[g],
                "dollars",
                f"{lines.cite('Tot Prin Remit')}; {split_source}",
                "Tot Prin Remit x the group's seniors' share of senior principal",
            )
        )
    for g in beginning.balance:
        share = beginning.balance[g] / begin
        figures.append(
            Figure(
                f"{g} CPR (fitted)",
                group_cpr[g],
                "rate",
                f"{lines.cite('Sched Prin', 'Net Liq Proceeds')}; {split_source}",
                f"SMM {group_smm[g] * 100:.6f}% = (remittance {group_principal[g]:,.2f} - "
                f"Sched Prin and Net Liq Proceeds x {share * 100:.6f}% of Beg Bal) / "
                "(beginning balance - its Sched Prin); reproduces the senior split",
            )
        )

    # Starting state ----------------------------------------------------------------------
    balances = {
        t.name: _f(classes[t.name].ending_balance)
        for t in deal.tranches
        if t.kind != "residual" and t.name in classes
    }
    pool = _f(principal.ending_balance)
    bonds = sum(balances[t.name] for t in deal.tranches if t.kind == "bond")
    history = group_balances(deal, {n: balances[n] for n in seniors}, pool, cumulative)
    group_balances_end = history.balance
    weights = [group_balances_end[g.name] / pool for g in deal.groups]
    pipeline_parts = {
        "foreclosure": sum(_f(r.balance) for r in statement.foreclosures),
        "bankruptcy": sum(_f(r.balance) for r in statement.bankruptcies),
        "REO": sum(_f(r.balance) for r in statement.reos),
        "60-89 days rolled": roll_60_89
        * sum(_f(d.days_60_89.balance) for d in statement.delinquencies),
        "90+ days rolled": roll_90_plus
        * sum(_f(d.days_90_plus.balance) for d in statement.delinquencies),
    }
    pipeline = round(sum(pipeline_parts.values()), 2)
    group_pipeline = _split_to_cents(pipeline, weights, deal)
    delinquent_60 = sum(
        _f(d.days_60_89.balance) + _f(d.days_90_plus.balance) for d in statement.delinquencies
    )
    in_default = sum(pipeline_parts[k] for k in ("foreclosure", "bankruptcy", "REO"))
    reported_pipeline = delinquent_60 + in_default
    performing = pool - pipeline
    pipeline_mdr = (
        min(reported_pipeline / max(lag, 1) / performing, 1.0) if performing > 0 else 0.0
    )
    pipeline_cdr = _annual(pipeline_mdr)
    figures += [
        Figure(
            "pool balance",
            pool,
            "dollars",
            lines.cite("End Bal"),
        ),
        Figure(
            "overcollateralization",
            pool - bonds,
            "dollars",
            lines.cite("End Bal"),
            "End Bal - every bond's ending balance (P's 100 included); X's printed balance "
            "differs by the statement's own rounding of End Bal",
        ),
        Figure(
            "required overcollateralization",
            _f(statement.required_overcollateralization),
            "dollars",
            lines.cite("Req Overcoll Amt"),
        ),
        *(
            Figure(
                f"{g.name} balance",
                group_balances_end[g.name],
                "dollars",
                f"{lines.cite('End Bal', 'Cum Net Real Losses since Startup Day')}; "
                + "; ".join(class_source(n) for n in by_group[g.name]),
                history.formula[g.name],
            )
            for g in deal.groups
        ),
        Figure(
            "liquidation pipeline",
            pipeline,
            "dollars",
            f"lines {lines.of('Foreclosure')}-{lines.of('REOs') + 3}"
            + (
                f", {lines.of('60-89')}-{lines.of('60-89') + 1}"
                if roll_60_89 or roll_90_plus
                else ""
            ),
            " + ".join(f"{k} {v:,.2f}" for k, v in pipeline_parts.items() if v),
        ),
        Figure(
            "60+ day pipeline",
            reported_pipeline,
            "dollars",
            f"lines {lines.of('60-89')}-{lines.of('60-89') + 1}, "
            f"{lines.of('Foreclosure')}-{lines.of('REOs') + 3}",
            f"60-89 and 90+ days {delinquent_60:,.2f} + foreclosure, bankruptcy and REO "
            f"{in_default:,.2f}",
        ),
        Figure(
            "pipeline MDR",
            pipeline_mdr,
            "rate",
            f"lines {lines.of('60-89')}-{lines.of('REOs') + 3}; {lines.cite('End Bal')}",
            f"60+ day pipeline / {lag} months of recovery lag / performing balance "
            f"{performing:,.2f} (End Bal - liquidation pipeline): the new defaults that keep "
            "the pipeline at its size",
        ),
        Figure("pipeline CDR", pipeline_cdr, "rate", "pipeline MDR", "1 - (1 - MDR)^12"),
    ]
    for name, value in balances.items():
        figures.append(Figure(f"{name} balance", value, "dollars", class_source(name)))
    figures.append(
        Figure(
            "cumulative realized losses",
            cumulative,
            "dollars",
            lines.cite("Cum Net Real Losses since Startup Day"),
        )
    )
    return Calibration(
        statement_file=file,
        distribution_date=statement.distribution_date.isoformat(),
        libor=libor,
        margins=margins,
        smm=smm,
        cpr=_annual(smm),
        mdr=mdr,
        cdr=_annual(mdr),
        severity=severity,
        servicing_rate=servicing_rate,
        senior_expense=senior_expense,
        senior_expense_rate=senior_expense_rate,
        senior_principal_share=shares,
        tranche_balances=balances,
        pool_balance=pool,
        overcollateralization=pool - bonds,
        group_balances=group_balances_end,
        pipeline=pipeline,
        group_pipeline=group_pipeline,
        cumulative_loss=cumulative,
        required_overcollateralization=_f(statement.required_overcollateralization),
        group_cpr=group_cpr,
        pipeline_cdr=pipeline_cdr,
        recovery_lag_months=lag,
        figures=tuple(figures),
    )


def loan_rounding_limit(statement: Statement) -> float:
    """Most a pool figure the trustee rounds loan by loan can be off: half a cent a loan."""
    return 0.005 * statement.pool.loan_count


def _split_to_cents(total: float, weights: Sequence[float], deal: Deal) -> dict[str, float]:
    """Split ``total`` by ``weights`` to the cent; the last group takes the rounding."""
    names = [g.name for g in deal.groups]
    parts = [round(total * w, 2) for w in weights[:-1]]
    parts.append(round(total - sum(parts), 2))
    return dict(zip(names, parts, strict=True))


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text and decimals > 2 else text


def _relative(path: str | Path, start: str | Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), Path(start).resolve())).as_posix()


def calibrated_deal_text(
    deal: Deal, deal_text: str, calibration: Calibration, scenario_path: str | Path
) -> str:
    """The deal file's text with its starting state and rates taken from ``calibration``.

    Replaces in place (comments and layout kept): ``as_of``, ``index_rate``, every class's
    ``balance`` and floater ``margin``, every group's ``balance`` and ``delinquent_balance``,
    the servicing fee's rate, the rate of each fee marked ``source: calibrated`` (the
    unnamed senior expense), the trigger's ``cumulative_loss_to_date`` and
    ``default_scenario``; then writes the ``calibration`` section (the last in the file)
    with every figure and its statement lines.
    """
    doc = load_document(deal.file, deal_text)
    data = doc.data
    values: dict[PathKey, str] = {}
    insertions: list[tuple[PathKey, str, str]] = []

    def put(path: PathKey, value: str, sibling: PathKey) -> None:
        if path in doc.marks:
            values[path] = value
        else:
            insertions.append((sibling, str(path[-1]), value))

    values[("as_of",)] = calibration.distribution_date
    put(("index_rate",), _number(calibration.libor, 10), ("as_of",))
    for index, tranche in enumerate(data["tranches"]):
        name = tranche["name"]
        if name in calibration.tranche_balances:
            values[("tranches", index, "balance")] = f"{calibration.tranche_balances[name]:.2f}"
        if name in calibration.margins:
            values[("tranches", index, "margin")] = _number(calibration.margins[name], 10)
    for index, group in enumerate(data["collateral"]):
        name = group["name"]
        values[("collateral", index, "balance")] = f"{calibration.group_balances[name]:.2f}"
        put(
            ("collateral", index, "delinquent_balance"),
            f"{calibration.group_pipeline[name]:.2f}",
            ("collateral", index, "balance"),
        )
    for index, fee in enumerate(deal.fees):
        if fee.role == "servicing":
            values[("fees", index, "annual_rate")] = _number(calibration.servicing_rate, 10)
        elif fee.role == "senior_expense":
            values[("fees", index, "annual_rate")] = _number(calibration.senior_expense_rate, 10)
    if ("overcollateralization", "target") in doc.marks:
        values[("overcollateralization", "target")] = (
            f"{calibration.required_overcollateralization:.2f}"
        )
    if "trigger" in data:
        put(
            ("trigger", "cumulative_loss_to_date"),
            f"{calibration.cumulative_loss:.2f}",
            ("trigger", "delinquency_share_of_enhancement"),
        )
    deal_dir = Path(deal.file).parent
    put(("default_scenario",), _relative(scenario_path, deal_dir), ("index_rate",))
    text = rewrite_values(deal_text, doc, values, insertions)
    return _with_section(text, _calibration_section(calibration, deal_dir))


def _with_section(text: str, section: str) -> str:
    """Replace the trailing top-level ``calibration:`` block, or append one."""
    match = re.search(r"^calibration:", text, re.MULTILINE)
    head = text[: match.start()] if match else text.rstrip("\n") + "\n\n"
    return head + section


def _calibration_section(calibration: Calibration, deal_dir: Path) -> str:
    quote = json.dumps  # a JSON string is a valid YAML double-quoted scalar
    out = [
        "calibration:",
        "  # Written by `waterfall calibrate`; the values above marked as calibrated or",
        "  # reported come from these figures. Re-run it on the next statement.",
        f"  statement: {quote(_relative(calibration.statement_file, deal_dir))}",
        f"  distribution_date: {calibration.distribution_date}",
        "  figures:",
    ]
    for figure in calibration.figures:
        out.append(f"    - name: {quote(figure.name)}")
        out.append(f"      value: {quote(figure.formatted())}")
        out.append(f"      source: {quote(figure.source)}")
        if figure.formula:
            out.append(f"      formula: {quote(figure.formula)}")
    return "\n".join(out) + "\n"


def observed_scenario_text(
    calibration: Calibration,
    deal_name: str,
    lag: int = DEFAULT_RECOVERY_LAG_MONTHS,
    default_method: str = "pipeline",
) -> str:
    """The observed performance as a scenario file (percent, as the flags).

    Each loan group's CPR is the one fitted to the period's senior split; the default rate
    is ``pipeline`` (the default) or ``one-month`` (``statement.options.DEFAULT_METHODS``),
    the other shown in a comment beside it.
    """
    month = calibration.distribution_date[:7]
    pipeline, one_month = calibration.pipeline_cdr * 100, calibration.cdr * 100
    cdr = pipeline if default_method == "pipeline" else one_month
    severity = calibration.severity * 100
    cprs = ", ".join(f"{g}: {v * 100:.10f}" for g, v in calibration.group_cpr.items())
    shown = ", ".join(f"{g} {v * 100:.2f}" for g, v in calibration.group_cpr.items())
    other = (
        f"the one-month liquidation rate is {one_month:.6f}"
        if default_method == "pipeline"
        else f"the pipeline rate is {pipeline:.6f}"
    )
    cdr_note = (
        f"keeps the 60+ day pipeline at its size over {lag} months; {other}"
        if default_method == "pipeline"
        else f"the period's liquidations over the beginning pool; {other}"
    )

    def cite(name: str) -> str:
        return json.dumps(calibration.figure(name).source)

    first_group = next(iter(calibration.group_cpr))
    split_source = calibration.figure(f"{first_group} CPR (fitted)").source
    return "\n".join(
        [
            f"# {deal_name}: the performance observed in the period paid on "
            f"{calibration.distribution_date},",
            "# written by `waterfall calibrate` from the trustee's statement. The liquidation",
            "# pipeline (foreclosure, bankruptcy, REO) is seeded in the deal file's loan groups",
            "# and liquidates over the recovery lag at this severity. Each group's CPR is",
            "# fitted so that the period's senior principal split is reproduced.",
            f"name: observed {month} (CPR {shown}; CDR {cdr:.2f} {default_method}; "
            f"severity {severity:.2f})",
            "source: calibrated",
            f"cpr: {{{cprs}}}  # fitted to the senior split",
            f"cdr: {cdr:.6f}  # {cdr_note}",
            f"severity: {severity:.6f}",
            f"recovery_lag_months: {lag}  # assumed: not reported",
            "advancing: true  # assumed: the servicers report P&I advances",
            f"libor: {calibration.libor * 100:.6f}",
            "calibration:",
            f"  statement: {json.dumps(Path(calibration.statement_file).name)}",
            f"  cpr: {json.dumps('fitted: ' + split_source)}",
            f"  cdr: {cite('pipeline MDR') if default_method == 'pipeline' else cite('CDR')}",
            f"  cdr_method: {default_method}",
            f"  cdr_pipeline: {pipeline:.6f}",
            f"  cdr_one_month: {one_month:.6f}",
            f"  severity: {cite('severity')}",
            f"  libor: {cite('one-month LIBOR')}",
            "",
        ]
    )
