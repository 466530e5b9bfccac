"""One nested, JSON-ready summary of a Result; the table and CSV views are built from it."""

from __future__ import annotations

import math
from typing import Any

from waterfall._types import F64Array
from waterfall.engine import COLLATERAL_COLUMNS, Result
from waterfall.kernels.collateral import CollateralOut
from waterfall.measures import measured_classes, result_metrics, result_principal_losses
from waterfall.scenario.model import Scenario


def money(values: F64Array) -> list[float]:
    """Dollars rounded to the cent, as plain floats (deterministic output)."""
    return [round(float(value), 2) + 0.0 for value in values]


def assumptions(scenario: Scenario, default_libor: float) -> dict[str, Any]:
    """The scenario as a user would write it back."""
    libor = str(scenario.libor) if scenario.libor else f"libor {default_libor * 100:g}"
    return {
        "prepayment": str(scenario.prepayment),
        "default": str(scenario.default),
        "severity": str(scenario.severity),
        "recovery_lag_months": scenario.recovery_lag_months,
        "advancing": scenario.is_advancing,
        "libor": libor,
        "months": scenario.months,
        "trigger": scenario.trigger,
        "call": scenario.is_call_exercised,
        "scenario": scenario.source or "command line",
    }


def _number(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(float(value), digits)


def result_summary(result: Result, price: float = 100.0) -> dict[str, Any]:
    """The ``waterfall run --format json`` document; yields at ``price`` per 100 of face."""
    deal = result.deal
    classes = []
    losses = result_principal_losses(result, net=True)
    is_bond = [t.kind == "bond" for t in deal.tranches]
    measured = [deal.tranches[i].name for i in measured_classes(deal)]
    metrics = result_metrics(deal, result.scenario, result, price)
    for index, name in enumerate(result.tranche_names):
        first, last = result.principal_window(name)
        column = measured.index(name) if name in measured else -1
        nan = float("nan")
        classes.append(
            {
                "name": name,
                "beginning_balance": round(float(result.beginning_balance[index]), 2),
                "principal": round(float(result.principal[:, index].sum()), 2) + 0.0,
                "interest": round(float(result.interest[:, index].sum()), 2) + 0.0,
                "writedown": round(float(result.writedown[:, index].sum()), 2) + 0.0,
                # written down and not paid back, plus still owed when the pool is gone
                "principal_loss": round(float(losses[index]), 2) if is_bond[index] else 0.0,
                "wal_years": round(result.wal_years(name), 4),
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
        "months": result.n_months,
        "dates": [day.isoformat() for day in result.dates],
        "price": price,
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
            "stepdown_month": result.first_month(payments.is_stepped_down),
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
            if key not in ("libor", "trigger", "call")
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
