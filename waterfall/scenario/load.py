"""Scenario files (YAML) and command-line values -> ``Scenario``, every problem located."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from waterfall.errors import InputFileError, Problem, ScenarioFileError
from waterfall.scenario.model import (
    BASE,
    DEFAULT_MEASURES,
    PREPAYMENT_MEASURES,
    TRIGGER_MODES,
    Curve,
    Scenario,
)
from waterfall.scenario.vectors import VectorSyntaxError, parse_vector
from waterfall.yaml_loader import PathKey, Reader, load_document

CURVE_LIMITS = {
    "cpr": 100.0,
    "smm": 100.0,
    "psa": 10000.0,
    "cdr": 100.0,
    "mdr": 100.0,
    "sda": 100000.0,
    "severity": 100.0,
    "libor": 50.0,
}
ASSUMPTION_FIELDS = (
    *PREPAYMENT_MEASURES,
    *DEFAULT_MEASURES,
    "severity",
    "recovery_lag_months",
    "advancing",
    "libor",
    "months",
    "trigger",
    "call",
    "penalty_share",
    "prepayment_interest_shortfall_days",
    "relief_act_percent",
)
ASSUMPTION_KEYS = frozenset(ASSUMPTION_FIELDS)
VECTOR_CHECK_MONTHS = 1200  # long enough to reach every value of any realistic vector
KEYS = ("name", *ASSUMPTION_FIELDS, "note", "source", "calibration")


def check_curve(measure: str, spec: Any) -> tuple[Curve | None, str]:
    """Check one assumption written in percent; return (curve, "") or (None, message)."""
    limit = CURVE_LIMITS[measure]
    if isinstance(spec, str) and "=" in spec and measure != "libor":
        return _check_group_text(measure, spec)
    if isinstance(spec, bool) or not isinstance(spec, int | float | str):
        return None, f'expected a percentage or a vector like "4 11R 27", got {spec!r}'
    if isinstance(spec, str):
        try:
            values = parse_vector(spec, VECTOR_CHECK_MONTHS)
        except VectorSyntaxError as error:
            return None, str(error)
        if values.max() > limit:
            return None, f"{values.max():g} is above {limit:g} (values are percentages)"
        return Curve(measure, spec), ""
    value = float(spec)
    if not 0.0 <= value <= limit:
        return None, f"{value:g} is out of range; expected a percentage from 0 to {limit:g}"
    return Curve(measure, value), ""


def _check_group_text(measure: str, text: str) -> tuple[Curve | None, str]:
    """The command-line form of a per-group curve: ``"group_1=62.5; group_2=4 11R 27"``."""
    by_group: list[tuple[str, float | str]] = []
    for entry in (part.strip() for part in text.split(";")):
        name, equals, value = (piece.strip() for piece in entry.partition("="))
        if not entry:
            continue
        if not equals or not name or not value:
            return None, (
                f"{entry!r}: expected GROUP=VALUE entries separated by ';', "
                'e.g. "group_1=62.5; group_2=12.1"'
            )
        try:
            spec: float | str = float(value)
        except ValueError:
            spec = value
        curve, message = check_curve(measure, spec)
        if curve is None:
            return None, f"{name}: {message}"
        if name in dict(by_group):
            return None, f"{name} is given twice"
        by_group.append((name, curve.spec))
    if not by_group:
        return None, 'expected GROUP=VALUE entries, e.g. "group_1=62.5; group_2=12.1"'
    return Curve(measure, by_group[0][1], tuple(by_group)), ""


def load_scenario(path: str | Path, base: Scenario = BASE) -> Scenario:
    """Load a scenario file; fields it leaves out keep their values from ``base``.

    Raises
    ------
    ScenarioFileError
        Listing every problem in the file, one line each, with file, line and column.
    """
    try:
        doc = load_document(path)
    except InputFileError as error:
        raise ScenarioFileError(error.problems) from None
    r = Reader(doc)
    m = r.mapping(doc.data, (), (), KEYS)
    if not r.problems and not set(m) & ASSUMPTION_KEYS:
        r.fail((), "no assumptions in the file; give at least one, e.g. cpr: 30 (percent)")
    changes: dict[str, Any] = {"source": str(path)}
    if "name" in m:
        changes["name"] = r.text(m["name"], ("name",))
    for field, measures in (("prepayment", PREPAYMENT_MEASURES), ("default", DEFAULT_MEASURES)):
        given = [measure for measure in measures if measure in m]
        if len(given) > 1:
            r.fail((given[1],), f"give one of {', '.join(measures)}; found {', '.join(given)}")
        if given:
            changes[field] = _curve(r, given[0], m[given[0]], (given[0],))
    if "severity" in m:
        changes["severity"] = _curve(r, "severity", m["severity"], ("severity",))
    if "libor" in m:
        changes["libor"] = _curve(r, "libor", m["libor"], ("libor",))
    if "recovery_lag_months" in m:
        changes["recovery_lag_months"] = r.integer(
            m["recovery_lag_months"], ("recovery_lag_months",), 0, 360
        )
    if "advancing" in m:
        changes["is_advancing"] = r.flag(m["advancing"], ("advancing",))
    if "months" in m:
        changes["months"] = r.integer(m["months"], ("months",), 1, 720, 1)
    if "trigger" in m:
        changes["trigger"] = r.choice(m["trigger"], ("trigger",), TRIGGER_MODES, "tested")
    if "call" in m:
        changes["is_call_exercised"] = r.flag(m["call"], ("call",))
    if "penalty_share" in m:
        changes["penalty_share"] = r.number(
            m["penalty_share"], ("penalty_share",), 0.0, 0.2, is_rate=True
        )
    if "prepayment_interest_shortfall_days" in m:
        key = "prepayment_interest_shortfall_days"
        changes[key] = r.number(m[key], (key,), 0.0, 30.0)
    if "relief_act_percent" in m:
        changes["relief_act_percent"] = r.number(
            m["relief_act_percent"], ("relief_act_percent",), 0.0, 100.0
        )
    if r.problems:
        raise ScenarioFileError(r.problems)
    return dataclasses.replace(base, **changes)


def _curve(r: Reader, measure: str, spec: Any, path: PathKey) -> Curve:
    if isinstance(spec, dict) and measure != "libor":
        return read_group_curve(r, measure, spec, path)
    curve, message = check_curve(measure, spec)
    if curve is None:
        r.fail(path, message)
        return Curve(measure, 0.0)
    return curve


def read_group_curve(r: Reader, measure: str, specs: dict[Any, Any], path: PathKey) -> Curve:
    """``{group_1: 62.5, group_2: "4 11R 27"}``: one curve per loan group, by name."""
    if not specs:
        r.fail(path, "expected one value per loan group, e.g. {group_1: 62.5, group_2: 12.1}")
        return Curve(measure, 0.0)
    by_group: list[tuple[str, float | str]] = []
    marks: list[tuple[int, int]] = []
    for name, spec in specs.items():
        where = (*path, name)
        if not isinstance(name, str) or not name:
            r.fail(where, f"expected a loan group's name, got {name!r}")
            continue
        curve, message = check_curve(measure, spec)
        if curve is None:
            r.fail(where, message)
            continue
        by_group.append((name, curve.spec))
        marks.append(r.doc.mark(where))
    return Curve(measure, by_group[0][1] if by_group else 0.0, tuple(by_group), tuple(marks))


def check_groups(scenario: Scenario, groups: Sequence[str], deal_name: str) -> list[Problem]:
    """Problems of per-group curves that do not name exactly the deal's loan groups."""
    problems = []
    for curve in (scenario.prepayment, scenario.default, scenario.severity):
        problems += check_curve_groups(curve, groups, deal_name, scenario.source)
    return problems


def check_curve_groups(
    curve: Curve, groups: Sequence[str], deal_name: str, source: str = ""
) -> list[Problem]:
    """Problems of one per-group curve that does not name exactly the deal's loan groups."""
    if not curve.by_group:
        return []
    problems: list[Problem] = []
    known = ", ".join(groups)
    file = source or "command line"
    named = [name for name, _ in curve.by_group]
    marks = curve.marks or ((0, 0),) * len(named)
    missing = [g for g in groups if g not in named]
    # a name the deal lacks is most often a misspelt group, the one left without a value:
    # one line says both
    left_out = (
        f", and {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no value"
        if missing
        else ""
    )
    for name, (line, column) in zip(named, marks, strict=True):
        if name not in groups:
            problems.append(
                Problem(file, line, column, f"{curve.measure}.{name}",
                        f"no loan group '{name}' in {deal_name}; its groups: {known}{left_out}")
            )  # fmt: skip
    if missing and not problems:
        problems.append(
            Problem(file, marks[0][0], marks[0][1], curve.measure,
                    f"no value for {', '.join(missing)}; give every loan group of "
                    f"{deal_name} ({known}) or one value for all")
        )  # fmt: skip
    return problems
