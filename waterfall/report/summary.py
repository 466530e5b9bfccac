"""One nested, JSON-ready summary of a Result; the table and CSV views are built from it."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from waterfall._types import F64Array
from waterfall.compile import RATE_MEASURES
from waterfall.engine import COLLATERAL_COLUMNS, Result
from waterfall.kernels.collateral import CollateralOut
from waterfall.measures import measured_classes, result_metrics, result_principal_losses
from waterfall.scenario.load import VECTOR_CHECK_MONTHS
from waterfall.scenario.model import BASE, Curve, Scenario
from waterfall.scenario.vectors import parse_vector


def money(values: F64Array) -> list[float]:
    """Dollars rounded to the cent, as plain floats (deterministic output)."""
    return [round(float(value), 2) + 0.0 for value in values]


MAX_VECTOR_CHARS = 60
"""A vector longer than this is shortened in headers and titles (its JSON keeps every value)."""


def brief(text: str) -> str:
    """``text`` for a header: a long vector keeps its start and says how long it was."""
    if len(text) <= MAX_VECTOR_CHARS:
        return text
    tokens = len(text.partition('"')[2].split())
    return f"{text[: MAX_VECTOR_CHARS - 5]} ... ({tokens:,} tokens)"


def curve_text(curve: Curve) -> str:
    """A curve as a user would write it, shortened for a header when the vector is long."""
    return brief(str(curve))


def curve_number(curve: Curve) -> float | list[float] | dict[str, float | list[float]]:
    """A curve's value in percent: the constant, or the vector month by month until its last
    value (which then holds); per loan group, a mapping of group name to that. A grid's
    multiplier is applied (a rate stops at 100%)."""
    if curve.by_group:
        return {name: _spec_number(spec, curve) for name, spec in curve.by_group}
    return _spec_number(curve.spec, curve)


def _spec_number(spec: float | str, curve: Curve) -> float | list[float]:
    if isinstance(spec, str):
        values = parse_vector(spec, VECTOR_CHECK_MONTHS)
    else:
        values = np.array([float(spec)])
    if curve.scale != 1.0:
        values = values * curve.scale
        if curve.measure in RATE_MEASURES:
            values = np.minimum(values, 100.0)
    if not isinstance(spec, str):
        return float(values[0])
    changes = np.nonzero(values != values[-1])[0]
    last = int(changes[-1]) + 2 if changes.size else 1
    return [float(value) for value in values[:last]]


def scenario_label(scenario: Scenario) -> str:
    """Where the assumptions came from: a file, the command line, or nowhere (zero)."""
    if scenario.source:
        return scenario.source
    if dataclasses.replace(scenario, name=BASE.name) == BASE:
        return "no scenario given: no prepayment, no defaults"
    return "given in Python"


def assumptions(scenario: Scenario, default_libor: float) -> dict[str, Any]:
    """The scenario as numbers: rates in percent (keys say so), vectors month by month."""
    libor = scenario.libor or Curve("libor", round(default_libor * 100.0, 10))
    return {
        "scenario": scenario_label(scenario),
        f"{scenario.prepayment.measure}_percent": curve_number(scenario.prepayment),
        f"{scenario.default.measure}_percent": curve_number(scenario.default),
        "severity_percent": curve_number(scenario.severity),
        "recovery_lag_months": scenario.recovery_lag_months,
        "advancing": scenario.is_advancing,
        "libor_percent": curve_number(libor),
        "months": scenario.months,
        "trigger": scenario.trigger,
        "call": scenario.is_call_exercised,
        "prepayment_interest_shortfall_days": scenario.prepayment_interest_shortfall_days,
        "relief_act_percent": scenario.relief_act_percent,
    }


def assumptions_line(scenario: Scenario, default_libor: float) -> str:
    """The scenario in one line, as the command line would spell it."""
    libor = scenario.libor or Curve("libor", round(default_libor * 100.0, 10))
    return (
        f"{curve_text(scenario.prepayment)}, {curve_text(scenario.default)}, "
        f"{curve_text(scenario.severity)}, lag {scenario.recovery_lag_months} months, "
        f"{'advancing' if scenario.is_advancing else 'no advancing'}, {curve_text(libor)}, "
        f"trigger {scenario.trigger}" + _shortfalls_text(scenario)
    )


def _shortfalls_text(scenario: Scenario) -> str:
    """The interest shortfall options, named only when a scenario turns them on."""
    text = ""
    if scenario.prepayment_interest_shortfall_days > 0.0:
        text += f", {scenario.prepayment_interest_shortfall_days:g} days lost on prepayments"
    if scenario.relief_act_percent > 0.0:
        text += f", Relief Act on {scenario.relief_act_percent:g}% of loans"
    return text


def _wal(result: Result, name: str) -> float | None:
    """WAL in years; null for a class paid no principal (the table's '-'), not 0."""
    if result.principal[:, result.index(name)].sum() <= 0.0:
        return None
    return round(result.wal_years(name), 4)


def _number(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(float(value), digits)


def _pricing_text(measure: str, value: float) -> str:
    if measure == "yield_percent":
        return f"each class priced to a yield of {value:g}% (bond-equivalent)"
    if measure == "discount_margin_bp":
        return f"each floater priced to a discount margin of {value:g} bp"
    return f"yields at {value:g} per 100 of current face"


def _horizon(result: Result) -> str:
    return "to_call" if result.payments.call_proceeds.sum() > 0.0 else "to_maturity"


def result_summary(
    result: Result,
    price: float = 100.0,
    *,
    prices: dict[str, float] | None = None,
    other: Result | None = None,
    priced_by: tuple[str, float] = ("price", 100.0),
) -> dict[str, Any]:
    """The ``waterfall run --format json`` document.

    Yields, margins and durations are at ``price`` per 100 of current face, or at each
    class's own price in ``prices`` (from ``measures.prices_at``: a yield or a margin given
    instead). ``other`` is the same scenario with the clean-up call the other way: its
    measures, at the same prices, appear under ``to_call`` or ``to_maturity``.
    """
    deal = result.deal
    classes = []
    losses = result_principal_losses(result, net=True)
    is_bond = [t.kind == "bond" for t in deal.tranches]
    measured = [deal.tranches[i].name for i in measured_classes(deal)]
    by_class = prices or {}
    metrics = result_metrics(deal, result.scenario, result, price, by_class)
    other_metrics = result_metrics(deal, other.scenario, other, price, by_class) if other else None
    for index, name in enumerate(result.tranche_names):
        first, last = result.principal_window(name)
        column = measured.index(name) if name in measured else -1
        nan = float("nan")
        extra: dict[str, Any] = {}
        if other is not None and other_metrics is not None:
            extra[_horizon(other)] = {
                "yield": _number(other_metrics["yield"][column] if column >= 0 else nan, 6),
                "discount_margin": _number(
                    other_metrics["discount_margin"][column] if column >= 0 else nan, 4
                ),
                "modified_duration": _number(
                    other_metrics["modified_duration"][column] if column >= 0 else nan, 6
                ),
                "wal_years": _wal(other, name),
            }
        class_price = by_class.get(name, price) if column >= 0 else None
        if prices is not None and name not in prices:
            class_price = None  # the yield or margin given does not apply to this class
        if class_price is None:
            column = -1  # nothing is measured without a price
            for measures in extra.values():
                measures.update(yield_=None, discount_margin=None, modified_duration=None)
                measures["yield"] = measures.pop("yield_")
        classes.append(
            {
                "name": name,
                "beginning_balance": round(float(result.beginning_balance[index]), 2),
                "principal": round(float(result.principal[:, index].sum()), 2) + 0.0,
                "interest": round(float(result.interest[:, index].sum()), 2) + 0.0,
                "writedown": round(float(result.writedown[:, index].sum()), 2) + 0.0,
                # written down and not paid back, plus still owed when the pool is gone
                "principal_loss": round(float(losses[index]), 2) if is_bond[index] else 0.0,
                "wal_years": _wal(result, name),
                "first_principal_month": first,
                "last_principal_month": last,
                # measures.py: BEY percent and DM in bp at ``price``; null when not defined
                "yield": _number(metrics["yield"][column] if column >= 0 else nan, 6),
                "discount_margin": _number(
                    metrics["discount_margin"][column] if column >= 0 else nan, 4
                ),
                "modified_duration": _number(
                    metrics["modified_duration"][column] if column >= 0 else nan, 6
                ),
                **extra,
                "price": None if class_price is None else round(float(class_price), 6),
                "monthly": {
                    "balance": money(result.balance[:, index]),
                    "principal": money(result.principal[:, index]),
                    "interest": money(result.interest[:, index]),
                    "writedown": money(result.writedown[:, index]),
                },
            }
        )
    start = float(result.pool_balance[0])
    payments = result.payments
    return {
        "deal": deal.name,
        "as_of": deal.as_of.isoformat(),
        "assumptions": assumptions(result.scenario, deal.index_rate),
        "assumptions_text": assumptions_line(result.scenario, deal.index_rate),
        "months": result.n_months,
        "dates": [day.isoformat() for day in result.dates],
        "price": price,
        "priced_by": {priced_by[0]: priced_by[1]},
        "pricing": _pricing_text(*priced_by),
        "horizon": _horizon(result),
        "classes": classes,
        "collateral": {
            "beginning_balance": round(start, 2),
            # the seeded liquidation pipeline defaulted before the start; it counts here
            "cumulative_defaults_pct": _pct(
                result.collateral["new_defaults"].sum()
                + sum(g.delinquent_balance for g in result.deal.groups),
                start,
            ),
            "cumulative_losses_pct": _pct(result.collateral["principal_loss"].sum(), start),
            # the first month paid by the stepdown rules: past the stepdown date, no trigger
            "stepdown_month": result.first_month(
                payments.is_stepped_down * (1.0 - payments.is_trigger_event)
            ),
            "stepdown_date_month": result.first_month(payments.is_stepped_down),
            "first_trigger_month": result.first_month(payments.is_trigger_event),
            "monthly": {
                name: money(result.collateral[name])
                for name in COLLATERAL_COLUMNS
                if name != "amortized_default_balance"
            },
        },
        "fees": {
            name: round(float(payments.fee_paid[:, index].sum()), 2)
            for index, name in enumerate(result.fee_names)
        },
    }


def pool_summary(out: CollateralOut, inputs: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The ``waterfall pool --format json`` document."""
    n_months = out.performing_balance.shape[0]
    return {
        "pool": inputs,
        "assumptions": {
            key: value
            for key, value in assumptions(scenario, 0.0).items()
            if key not in ("libor_percent", "trigger", "call")
        },
        "months": n_months,
        "monthly": {
            name: money(getattr(out, name)[:, 0])
            for name in COLLATERAL_COLUMNS
            if name != "amortized_default_balance"
        },
    }


def _pct(amount: float, base: float) -> float:
    return round(float(100.0 * amount / base), 4) if base > 0 else 0.0
