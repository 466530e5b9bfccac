"""Terminal tables and CSV text for `waterfall run` and `waterfall pool`."""

from __future__ import annotations

import csv
import io
from typing import Any

CLASS_COLUMNS = (
    "name",
    "beginning_balance",
    "principal",
    "interest",
    "writedown",
    "principal_loss",
    "wal_years",
    "first_principal_month",
    "last_principal_month",
    "yield",
    "discount_margin",
    "modified_duration",
)


def _optional(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec).replace("-0.00", "0.00")


def run_table(summary: dict[str, Any]) -> str:
    """The class table and pool lines of `waterfall run`."""
    a = summary["assumptions"]
    horizon = "to call" if summary["horizon"] == "to_call" else "to maturity"
    classes = summary["classes"]
    other = next((k for k in ("to_call", "to_maturity") if classes and k in classes[0]), "")
    other_head = ""
    if other:
        short = "call" if other == "to_call" else "mat"
        other_head = f" {'yld-' + short:>8} {'DM-' + short:>7}"
    lines = [
        f"{summary['deal']}  as of {summary['as_of']}  ({a['scenario']}); {summary['pricing']}",
        f"{summary['assumptions_text']}, {summary['months']} months ({horizon})",
        "",
        f"{'class':<6} {'beginning':>16} {'principal':>16} {'interest':>16} "
        f"{'writedown':>14} {'loss':>14} {'WAL':>6} {'window':>9} {'price':>8} {'yield':>7} "
        f"{'DM':>5}{other_head}",
    ]
    for c in summary["classes"]:
        wal = f"{c['wal_years']:.2f}" if c["first_principal_month"] else "-"  # no principal
        window = (
            f"{c['first_principal_month']}-{c['last_principal_month']}"
            if c["first_principal_month"]
            else "-"
        )
        lines.append(
            f"{c['name']:<6} {c['beginning_balance']:>16,.2f} {c['principal']:>16,.2f} "
            f"{c['interest']:>16,.2f} {c['writedown']:>14,.2f} {c['principal_loss']:>14,.2f} "
            f"{wal:>6} "
            f"{window:>9} {_optional(c['price'], '.3f'):>8} {_optional(c['yield'], '.2f'):>7} "
            f"{_optional(c['discount_margin'], '.0f'):>5}"
            + (
                f" {_optional(c[other]['yield'], '.2f'):>8} "
                f"{_optional(c[other]['discount_margin'], '.0f'):>7}"
                if other
                else ""
            )
        )
    col = summary["collateral"]
    lines += [
        "",
        f"pool: beginning {col['beginning_balance']:,.2f}; cumulative defaults "
        f"{col['cumulative_defaults_pct']:.2f}% and losses {col['cumulative_losses_pct']:.2f}% "
        "of the beginning balance",
        f"stepdown month: {_stepdown(col)}; first month a trigger is in "
        f"effect: {col['first_trigger_month'] or 'none'}",
    ]
    return "\n".join(lines) + "\n"


def _stepdown(col: dict[str, Any]) -> str:
    paid, date = col["stepdown_month"], col["stepdown_date_month"]
    if paid == date:
        return str(paid or "none")
    return (
        f"{paid or 'none'} (the stepdown date is reached in month {date}; a trigger event "
        "keeps principal paid as before it)"
    )


def run_csv(summary: dict[str, Any]) -> str:
    """The class table as CSV, one row per class."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CLASS_COLUMNS)
    for c in summary["classes"]:
        writer.writerow(["" if c[column] is None else c[column] for column in CLASS_COLUMNS])
    return buffer.getvalue()


def pool_csv(summary: dict[str, Any]) -> str:
    """The pool's monthly columns as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    monthly = summary["monthly"]
    writer.writerow(["month", *monthly])
    for month in range(summary["months"]):
        writer.writerow([month + 1, *(values[month] for values in monthly.values())])
    return buffer.getvalue()


POOL_TABLE_COLUMNS = (
    ("performing_balance", "performing"),
    ("new_defaults", "new_def"),
    ("foreclosure_balance", "foreclosure"),
    ("expected_amortization", "exp_am"),
    ("voluntary_prepayments", "prepay"),
    ("amortization_from_defaults", "am_def"),
    ("actual_amortization", "act_am"),
    ("expected_interest", "exp_int"),
    ("interest_lost", "lost_int"),
    ("actual_interest", "act_int"),
    ("principal_recovery", "recovery"),
    ("principal_loss", "loss"),
)


def pool_table(summary: dict[str, Any]) -> str:
    """The pool's monthly columns, whole dollars, as the standard's tables print them."""
    monthly = summary["monthly"]
    widths = [14 if key == "performing_balance" else 11 for key, _ in POOL_TABLE_COLUMNS]
    head = f"{'month':>5} " + " ".join(
        f"{label:>{w}}" for (_, label), w in zip(POOL_TABLE_COLUMNS, widths, strict=True)
    )
    lines = [head]
    for month in range(summary["months"]):
        cells = " ".join(
            f"{monthly[key][month]:>{w},.0f}"
            for (key, _), w in zip(POOL_TABLE_COLUMNS, widths, strict=True)
        )
        lines.append(f"{month + 1:>5} {cells}")
    return "\n".join(lines) + "\n"
