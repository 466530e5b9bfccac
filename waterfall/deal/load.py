"""Deal file (YAML) -> ``Deal``: every type, range and reference checked, problems located."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from waterfall.deal.model import (
    CleanUpCall,
    CollateralGroup,
    CompensatingInterest,
    Deal,
    Fee,
    LossStep,
    NotionalStep,
    Overcollateralization,
    PrepaymentPenalties,
    Provenance,
    Stepdown,
    Tranche,
    Trigger,
    WaterfallStep,
    YieldMaintenance,
)
from waterfall.deal.validate import validate_waterfall
from waterfall.errors import DealFileError, InputFileError, Problem
from waterfall.yaml_loader import Document, PathKey, Reader, dotted, load_document

SOURCES = ("reported", "derived", "assumed", "calibrated")
FEE_ROLES = ("servicing", "senior_expense", "other")
"""What a fee is to the statement tools: the servicing fee, the senior expense calibrated to
the interest a statement does not name, or any other fee."""
PROVENANCE_KEYS = ("source", "note")
MAX_BALANCE = 1e13
ACTIONS = (
    "pay_fee",
    "pay_interest",
    "overcollateralization",
    "pay_principal",
    "write_down",
    "reimburse_writedown",
    "pay_basis_risk",
    "pay_penalties",
    "pay_residual",
)
MODES = ("sequential", "pro_rata", "by_group")
WHENS = ("always", "before_stepdown_or_trigger", "after_stepdown_no_trigger")
PARTS = ("all", "current", "carried")
KINDS = ("bond", "notional", "residual")
CAP_FORMS = ("available_funds", "net_wac")
DAY_COUNTS = ("act/360", "30/360")


class _DealReader(Reader):
    """A ``Reader`` that also records each item's provenance."""

    def __init__(self, doc: Document) -> None:
        super().__init__(doc)
        self.provenance: list[Provenance] = []

    def keys(
        self, value: Any, path: PathKey, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict[str, Any]:
        """Check a mapping's keys (plus ``source`` and ``note``) and record its provenance."""
        mapping = self.mapping(value, path, required, (*optional, *PROVENANCE_KEYS))
        if "source" in mapping:
            source = self.choice(mapping["source"], (*path, "source"), SOURCES, "assumed")
            note = self.optional(mapping, "note", path, self.text, "")
            line, _ = self.doc.mark(path)
            self.provenance.append(Provenance(dotted(path), line, source, note))
        return mapping

    def day(self, value: Any, path: PathKey) -> date:
        """Read a date written as YYYY-MM-DD."""
        if self.is_reported(value, path):
            return date(2000, 1, 1)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f"expected a date like 2002-11-15, got {value!r}")
        return date(2000, 1, 1)

    def money(self, value: Any, path: PathKey) -> float:
        """Read a dollar amount (non-negative)."""
        return self.number(value, path, 0.0, MAX_BALANCE)

    def rate(self, value: Any, path: PathKey, high: float = 1.0) -> float:
        """Read an annual rate or a share as a decimal."""
        return self.number(value, path, 0.0, high, is_rate=True)

    def names(self, value: Any, path: PathKey) -> tuple[str, ...]:
        """Read one name or a list of names."""
        if isinstance(value, list):
            return tuple(self.text(item, (*path, i)) for i, item in enumerate(value))
        return (self.text(value, path),)


def load_deal(path: str | Path) -> Deal:
    """Load and validate a deal file.

    Raises
    ------
    DealFileError
        Listing every problem in the file, one line each, with file, line and column.
    """
    try:
        doc = load_document(path)
    except InputFileError as error:
        raise DealFileError(error.problems) from None
    reader = _DealReader(doc)
    deal = _read_deal(reader, str(path))
    if reader.problems:
        raise DealFileError(reader.problems)
    return deal


REQUIRED_TOP_KEYS = (
    "deal",
    "as_of",
    "first_distribution",
    "cutoff_balance",
    "collateral",
    "tranches",
    "waterfall",
)


def _read_deal(r: _DealReader, file: str) -> Deal:
    top = r.keys(
        r.doc.data,
        (),
        REQUIRED_TOP_KEYS,
        (
            "distribution_day",
            "index_rate",
            "default_scenario",
            "fees",
            "overcollateralization",
            "stepdown",
            "trigger",
            "clean_up_call",
            "prepayment_penalties",
            "interest_cap",
            "yield_maintenance",
            "compensating_interest",
            "calibration",
        ),
    )
    if any(key not in top for key in REQUIRED_TOP_KEYS):
        # Without a whole section every reference into it would be reported as unknown, each
        # one false: report the top level alone, a misspelled key once.
        raise DealFileError(_fold_misspelled_keys(r.problems))
    groups = tuple(
        _read_group(r, item, ("collateral", i))
        for i, item in enumerate(r.sequence(top.get("collateral"), ("collateral",), 1))
    )
    group_names = [group.name for group in groups]
    tranches = tuple(
        _read_tranche(r, item, ("tranches", i), group_names)
        for i, item in enumerate(r.sequence(top.get("tranches"), ("tranches",), 1))
    )
    fees = tuple(
        _read_fee(r, item, ("fees", i))
        for i, item in enumerate(r.sequence(top.get("fees", []), ("fees",)))
    )
    _check_unique(r, [g.name for g in groups], "collateral")
    _check_unique(r, [t.name for t in tranches], "tranches")
    _check_unique(r, [f.name for f in fees], "fees")
    tranche_names = [t.name for t in tranches]
    waterfall = tuple(
        _read_step(r, item, ("waterfall", i), tranche_names, [f.name for f in fees])
        for i, item in enumerate(r.sequence(top.get("waterfall"), ("waterfall",), 1))
    )
    cutoff = r.number(top.get("cutoff_balance"), ("cutoff_balance",), 1.0, MAX_BALANCE)
    deal = Deal(
        name=r.text(top.get("deal"), ("deal",), "deal"),
        file=file,
        as_of=r.day(top.get("as_of"), ("as_of",)),
        first_distribution=r.day(top.get("first_distribution"), ("first_distribution",)),
        distribution_day=r.optional(
            top, "distribution_day", (), lambda v, p: r.integer(v, p, 1, 28), 25
        ),
        cutoff_balance=cutoff,
        index_rate=r.optional(top, "index_rate", (), lambda v, p: r.rate(v, p, 0.5), 0.0),
        groups=groups,
        tranches=tranches,
        fees=fees,
        waterfall=waterfall,
        overcollateralization=_read_oc(r, top.get("overcollateralization")),
        stepdown=_read_stepdown(r, top.get("stepdown"), tranche_names),
        trigger=_read_trigger(r, top.get("trigger")),
        clean_up_call=_read_call(r, top.get("clean_up_call")),
        prepayment_penalties=_read_penalties(r, top.get("prepayment_penalties")),
        default_scenario=_default_scenario(r, top, file),
        provenance=(),
        interest_cap=_read_interest_cap(r, top.get("interest_cap")),
        yield_maintenance=_read_yield_maintenance(r, top.get("yield_maintenance")),
        compensating_interest=_read_compensating(
            r, top.get("compensating_interest"), [f.name for f in fees]
        ),
    )
    validate_waterfall(deal, r)
    return Deal(**{**_fields(deal), "provenance": tuple(r.provenance)})


def _fold_misspelled_keys(problems: list[Problem]) -> list[Problem]:
    """Drop "missing key 'K'" where an unknown key already says "did you mean 'K'?"."""
    suggested = {
        match.group(1)
        for problem in problems
        if (match := re.search(r"did you mean '([^']+)'\?", problem.message))
    }
    return [
        problem
        for problem in problems
        if not (
            problem.where == ""
            and (match := re.fullmatch(r"missing key '([^']+)'", problem.message))
            and match.group(1) in suggested
        )
    ]


def _fields(deal: Deal) -> dict[str, Any]:
    return {name: getattr(deal, name) for name in Deal.__dataclass_fields__}


def _default_scenario(r: _DealReader, top: dict[str, Any], file: str) -> str:
    if "default_scenario" not in top:
        return ""
    relative = r.text(top["default_scenario"], ("default_scenario",))
    resolved = Path(file).parent / relative
    if relative and not resolved.is_file():
        r.fail(("default_scenario",), f"no scenario file at '{relative}' (relative to the deal)")
    return os.path.normpath(resolved)


def _check_unique(r: _DealReader, names: list[str], section: str) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            r.fail((section, i, "name"), f"duplicate name '{name}'")
        seen.add(name)


def _read_group(r: _DealReader, item: Any, path: PathKey) -> CollateralGroup:
    m = r.keys(
        item,
        path,
        ("name", "balance", "note_rate", "remaining_term"),
        ("age", "delinquent_balance"),
    )
    balance = r.money(m.get("balance"), (*path, "balance"))
    delinquent = r.optional(m, "delinquent_balance", path, r.money, 0.0)
    if delinquent > balance:
        r.fail(
            (*path, "delinquent_balance"),
            f"{delinquent:,.2f} exceeds the group balance {balance:,.2f}",
        )
    return CollateralGroup(
        name=r.text(m.get("name"), (*path, "name"), "group"),
        balance=balance,
        note_rate=r.rate(m.get("note_rate"), (*path, "note_rate"), 0.5),
        remaining_term=r.integer(m.get("remaining_term"), (*path, "remaining_term"), 1, 600, 1),
        age=r.optional(m, "age", path, lambda v, p: r.integer(v, p, 0, 600), 0),
        delinquent_balance=delinquent,
    )


def _read_tranche(r: _DealReader, item: Any, path: PathKey, group_names: list[str]) -> Tranche:
    m = r.keys(
        item,
        path,
        ("name", "balance"),
        (
            "kind",
            "original_balance",
            "coupon",
            "margin",
            "margin_after_call",
            "day_count",
            "capped",
            "group",
            "notional_schedule",
            "holds_overcollateralization",
            "unpaid_interest",
            "unreimbursed_writedown",
            "basis_risk_carryforward",
            "cusip",
        ),
    )
    kind = r.optional(m, "kind", path, lambda v, p: r.choice(v, p, KINDS, "bond"), "bond")
    balance = r.money(m.get("balance"), (*path, "balance"))
    coupon = r.optional(m, "coupon", path, lambda v, p: r.rate(v, p, 0.5), None)
    margin = r.optional(m, "margin", path, lambda v, p: r.rate(v, p, 0.5), None)
    if kind != "residual" and (coupon is None) == (margin is None):
        r.fail(path, "give exactly one of 'coupon' (a fixed rate) or 'margin' (over LIBOR)")
    if kind == "residual" and (coupon is not None or margin is not None):
        r.fail(path, "a residual tranche has no coupon or margin")
    schedule = r.optional(m, "notional_schedule", path, _schedule_reader(r), ())
    if kind == "notional" and not schedule:
        r.fail(path, "a notional tranche needs a 'notional_schedule'")
    day_count_default = "act/360" if margin is not None else "30/360"
    original = r.optional(m, "original_balance", path, r.money, balance)
    if balance > original + 0.005 and kind == "bond":
        r.fail(
            (*path, "balance"),
            f"balance {balance:,.2f} exceeds original_balance {original:,.2f}",
        )
    return Tranche(
        name=r.text(m.get("name"), (*path, "name"), "tranche"),
        kind=kind,
        balance=balance,
        original_balance=original,
        coupon=coupon,
        margin=margin,
        margin_after_call=r.optional(
            m, "margin_after_call", path, lambda v, p: r.rate(v, p, 0.5), margin
        ),
        day_count=r.optional(
            m,
            "day_count",
            path,
            lambda v, p: r.choice(v, p, ("act/360", "30/360"), day_count_default),
            day_count_default,
        ),
        is_capped=r.optional(m, "capped", path, r.flag, False),
        group=r.optional(
            m, "group", path, lambda v, p: r.reference(v, p, group_names, "group"), None
        ),
        notional_schedule=schedule,
        holds_overcollateralization=r.optional(
            m, "holds_overcollateralization", path, r.flag, False
        ),
        unpaid_interest=r.optional(m, "unpaid_interest", path, r.money, 0.0),
        unreimbursed_writedown=r.optional(m, "unreimbursed_writedown", path, r.money, 0.0),
        basis_risk_carryforward=r.optional(m, "basis_risk_carryforward", path, r.money, 0.0),
        cusip=r.optional(m, "cusip", path, r.text, ""),
    )


def _schedule_reader(r: _DealReader, min_steps: int = 1) -> Any:
    def read(value: Any, path: PathKey) -> tuple[NotionalStep, ...]:
        steps = []
        for i, item in enumerate(r.sequence(value, path, min_steps)):
            m = r.keys(item, (*path, i), ("through", "amount"), ())
            steps.append(
                NotionalStep(
                    r.day(m.get("through"), (*path, i, "through")),
                    r.money(m.get("amount"), (*path, i, "amount")),
                )
            )
        for i in range(1, len(steps)):
            if steps[i].through <= steps[i - 1].through:
                r.fail((*path, i, "through"), "dates must increase")
        return tuple(steps)

    return read


def _read_fee(r: _DealReader, item: Any, path: PathKey) -> Fee:
    m = r.keys(item, path, ("name",), ("annual_rate", "monthly_amount", "role"))
    if "annual_rate" not in m and "monthly_amount" not in m:
        r.fail(path, "give 'annual_rate' (on the pool balance) or 'monthly_amount' or both")
    return Fee(
        name=r.text(m.get("name"), (*path, "name"), "fee"),
        annual_rate=r.optional(m, "annual_rate", path, lambda v, p: r.rate(v, p, 0.1), 0.0),
        monthly_amount=r.optional(m, "monthly_amount", path, r.money, 0.0),
        role=r.optional(m, "role", path, lambda v, p: r.choice(v, p, FEE_ROLES, "other"), "other"),
    )


def _read_step(
    r: _DealReader, item: Any, path: PathKey, tranche_names: list[str], fee_names: list[str]
) -> WaterfallStep:
    m = r.keys(item, path, (), (*ACTIONS, "mode", "when", "part", "target"))
    actions = [key for key in m if key in ACTIONS]
    if len(actions) != 1:
        r.fail(
            path,
            f"a step names exactly one action; found {len(actions)} (allowed: "
            f"{', '.join(ACTIONS)})",
        )
        return WaterfallStep("", ())  # no action: reported above, skipped by the checks
    action = actions[0]
    value = m[action]
    apath = (*path, action)
    fee = ""
    targets: tuple[str, ...] = ()
    if action == "pay_fee":
        fee = r.reference(value, apath, fee_names, "fee")
    elif action == "overcollateralization":
        r.choice(value, apath, ("to_target",), "to_target")
    else:
        names = r.names(value, apath)
        targets = tuple(
            r.reference(
                name, (*apath, i) if isinstance(value, list) else apath, tranche_names, "tranche"
            )
            for i, name in enumerate(names)
        )
    line, _ = r.doc.mark(path)
    return WaterfallStep(
        action=action,
        targets=targets,
        mode=r.optional(
            m, "mode", path, lambda v, p: r.choice(v, p, MODES, "sequential"), "sequential"
        ),
        when=r.optional(m, "when", path, lambda v, p: r.choice(v, p, WHENS, "always"), "always"),
        part=r.optional(m, "part", path, lambda v, p: r.choice(v, p, PARTS, "all"), "all"),
        fee=fee,
        credit_target=r.optional(m, "target", path, r.rate, None),
        line=line,
    )


def _read_oc(r: _DealReader, value: Any) -> Overcollateralization:
    path: PathKey = ("overcollateralization",)
    if value is None:
        return Overcollateralization(0.0, 0.0, 0.0)
    m = r.keys(value, path, ("target",), ("target_share_after_stepdown", "floor"))
    target = r.money(m.get("target"), (*path, "target"))
    return Overcollateralization(
        target=target,
        target_share_after_stepdown=r.optional(
            m, "target_share_after_stepdown", path, r.rate, 0.0
        ),
        floor=r.optional(m, "floor", path, r.money, 0.0),
    )


def _read_stepdown(r: _DealReader, value: Any, tranche_names: list[str]) -> Stepdown:
    path: PathKey = ("stepdown",)
    if value is None:
        return Stepdown(date(9999, 12, 31), 1.0, ())
    m = r.keys(
        value,
        path,
        ("earliest", "senior_enhancement_target", "senior_tranches"),
        ("has_occurred",),
    )
    seniors = r.names(m.get("senior_tranches"), (*path, "senior_tranches"))
    return Stepdown(
        earliest=r.day(m.get("earliest"), (*path, "earliest")),
        senior_enhancement_target=r.rate(
            m.get("senior_enhancement_target"), (*path, "senior_enhancement_target")
        ),
        senior_tranches=tuple(
            r.reference(name, (*path, "senior_tranches", i), tranche_names, "tranche")
            for i, name in enumerate(seniors)
        ),
        has_occurred=r.optional(m, "has_occurred", path, r.flag, False),
    )


def _read_trigger(r: _DealReader, value: Any) -> Trigger:
    path: PathKey = ("trigger",)
    if value is None:
        return Trigger(float("inf"), (), 0.0)
    m = r.keys(
        value,
        path,
        (),
        ("delinquency_share_of_enhancement", "cumulative_loss", "cumulative_loss_to_date"),
    )
    steps = []
    for i, item in enumerate(r.sequence(m.get("cumulative_loss", []), (*path, "cumulative_loss"))):
        step_path = (*path, "cumulative_loss", i)
        s = r.keys(item, step_path, ("from", "share"), ())
        steps.append(
            LossStep(
                r.day(s.get("from"), (*step_path, "from")),
                r.rate(s.get("share"), (*step_path, "share")),
            )
        )
    return Trigger(
        delinquency_share_of_enhancement=r.optional(
            m,
            "delinquency_share_of_enhancement",
            path,
            lambda v, p: r.number(v, p, 0.0, 100.0),
            float("inf"),
        ),
        cumulative_loss=tuple(steps),
        cumulative_loss_to_date=r.optional(m, "cumulative_loss_to_date", path, r.money, 0.0),
    )


def _read_call(r: _DealReader, value: Any) -> CleanUpCall:
    path: PathKey = ("clean_up_call",)
    if value is None:
        return CleanUpCall(0.0, False)
    m = r.keys(value, path, ("share_of_cutoff",), ("exercised",))
    return CleanUpCall(
        share_of_cutoff=r.rate(m.get("share_of_cutoff"), (*path, "share_of_cutoff")),
        is_exercised=r.optional(m, "exercised", path, r.flag, False),
    )


def _read_penalties(r: _DealReader, value: Any) -> PrepaymentPenalties:
    path: PathKey = ("prepayment_penalties",)
    if value is None:
        return PrepaymentPenalties(0.0, date(1900, 1, 1))
    m = r.keys(value, path, ("share_of_prepayments", "until"), ())
    return PrepaymentPenalties(
        share_of_prepayments=r.rate(
            m.get("share_of_prepayments"), (*path, "share_of_prepayments"), 0.2
        ),
        until=r.day(m.get("until"), (*path, "until")),
    )


def _read_interest_cap(r: _DealReader, value: Any) -> str:
    path: PathKey = ("interest_cap",)
    if value is None:
        return "available_funds"
    m = r.keys(value, path, ("form",), ())
    form: str = r.choice(m.get("form"), (*path, "form"), CAP_FORMS, "available_funds")
    return form


def _read_yield_maintenance(r: _DealReader, value: Any) -> YieldMaintenance | None:
    path: PathKey = ("yield_maintenance",)
    if value is None:
        return None
    m = r.keys(value, path, ("notional_schedule",), ("strike", "ceiling", "day_count"))
    schedule = _schedule_reader(r, min_steps=0)(
        m.get("notional_schedule"), (*path, "notional_schedule")
    )
    strike = r.optional(m, "strike", path, lambda v, p: r.rate(v, p, 0.5), 0.0)
    ceiling = r.optional(m, "ceiling", path, lambda v, p: r.rate(v, p, 0.5), None)
    if ceiling is not None and ceiling < strike:
        r.fail((*path, "ceiling"), f"ceiling {ceiling:g} is below the strike {strike:g}")
    if schedule and "strike" not in m:
        r.fail(path, "a cap contract with a notional needs a 'strike'")
    return YieldMaintenance(
        notional_schedule=schedule,
        strike=strike,
        ceiling=ceiling,
        day_count=r.optional(
            m,
            "day_count",
            path,
            lambda v, p: r.choice(v, p, DAY_COUNTS, "act/360"),
            "act/360",
        ),
    )


def _read_compensating(
    r: _DealReader, value: Any, fee_names: list[str]
) -> CompensatingInterest | None:
    path: PathKey = ("compensating_interest",)
    if value is None:
        return None
    m = r.keys(value, path, ("fee",), ("share_of_fee",))
    return CompensatingInterest(
        fee=r.reference(m.get("fee"), (*path, "fee"), fee_names, "fee"),
        # a share of one fee (1.0 = all of it), not a rate: no percentage hint
        share_of_fee=r.optional(
            m, "share_of_fee", path, lambda v, p: r.number(v, p, 0.0, 1.0), 1.0
        ),
    )
