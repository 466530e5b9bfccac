"""Scenario files (YAML) and command-line values -> ``Scenario``, every problem located."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from waterfall.errors import InputFileError, ScenarioFileError
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
ASSUMPTION_KEYS = frozenset(
    (
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
    )
)
VECTOR_CHECK_MONTHS = 1200  # long enough to reach every value of any realistic vector
KEYS = (
    "name",
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
    "note",
    "source",
    "calibration",
)


def check_curve(measure: str, spec: Any) -> tuple[Curve | None, str]:
    """Check one assumption written in percent; return (curve, "") or (None, message)."""
    limit = CURVE_LIMITS[measure]
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
    curve, message = check_curve(measure, spec)
    if curve is None:
        r.fail(path, message)
        return Curve(measure, 0.0)
    return curve
