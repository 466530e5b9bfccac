"""Breakeven and price/yield tables as text, CSV rows and JSON-ready objects."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from waterfall.sensitivity import Breakeven, PriceTable


def rows_csv(rows: Sequence[dict[str, Any]]) -> str:
    """CSV of dict rows with the first row's keys as the header; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def breakeven_rows(results: Sequence[Breakeven]) -> list[dict[str, Any]]:
    """One JSON-ready row per class."""
    return [
        {
            "class": r.class_name,
            "breakeven_cdr": r.breakeven_cdr,
            "wal_years": r.wal_years,
            "cumulative_loss_pct": r.cumulative_loss_pct,
            "cumulative_defaults_pct": r.cumulative_defaults_pct,
            "writedown": r.writedown,
            "note": r.note,
        }
        for r in results
    ]


def breakeven_text(
    deal_name: str, assumptions: dict[str, Any], results: Sequence[Breakeven]
) -> str:
    """The breakeven table with its assumptions, as the standard asks them stated."""
    lines = [
        f"{deal_name}: breakeven constant CDR (the highest with no principal loss), to "
        f"{assumptions['tolerance_cdr']} CDR",
        ", ".join(str(v) for k, v in assumptions.items() if k != "tolerance_cdr"),
        "",
        f"{'class':<8}{'breakeven CDR':>14}{'WAL':>8}{'pool loss %':>13}{'defaults %':>12}  note",
    ]
    for r in results:
        cdr = "-" if r.breakeven_cdr is None else f"{r.breakeven_cdr:.2f}"
        wal = "-" if r.wal_years is None else f"{r.wal_years:.2f}"
        lines.append(
            f"{r.class_name:<8}{cdr:>14}{wal:>8}{r.cumulative_loss_pct:>13.2f}"
            f"{r.cumulative_defaults_pct:>12.2f}  {r.note}".rstrip()
        )
    return "\n".join(lines) + "\n"


def _listed(array: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(v) else float(v) for v in row] for row in array]


def _windows(table: PriceTable) -> list[tuple[int, int]]:
    return [
        (int(a), int(b))
        for a, b in zip(table.first_principal_month, table.last_principal_month, strict=True)
    ]


def price_table_json(table: PriceTable, columns: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Both measures for every cell, and the per-column rows."""
    return {
        "class": table.class_name,
        "measure": "discount_margin_bp" if table.is_floater else "yield_pct",
        "columns": list(columns),
        "prices": list(table.prices),
        "yield_pct": _listed(table.yield_pct),
        "discount_margin_bp": _listed(table.discount_margin_bp),
        "modified_duration": _listed(table.modified_duration),
        "wal_years": [None if math.isnan(w) else float(w) for w in table.wal_years],
        "principal_window": [list(w) for w in _windows(table)],
        "writedown": [round(float(w), 2) for w in table.writedown],
        "cumulative_loss_pct": [round(float(x), 4) for x in table.cumulative_loss_pct],
        **(
            {
                table.other_horizon: {
                    "yield_pct": _listed(table.other_yield_pct),
                    "discount_margin_bp": _listed(table.other_discount_margin_bp),
                }
            }
            if table.other_yield_pct is not None and table.other_discount_margin_bp is not None
            else {}
        ),
    }


def _measure(table: PriceTable) -> tuple[np.ndarray, str, int]:
    if table.is_floater:
        return table.discount_margin_bp, "discount margin (bp)", 0
    return table.yield_pct, "yield (%)", 3


def _other_measure(table: PriceTable) -> tuple[np.ndarray, str] | None:
    """The measure with the clean-up call the other way, and its label; None without one."""
    other = table.other_discount_margin_bp if table.is_floater else table.other_yield_pct
    if other is None or not table.other_horizon:
        return None
    return other, table.other_horizon.replace("_", " ")


def _column_rows(table: PriceTable) -> dict[str, list[str]]:
    middle = len(table.prices) // 2
    return {
        "WAL (years)": ["-" if math.isnan(w) else f"{w:.2f}" for w in table.wal_years],
        f"mod duration @ {table.prices[middle]:g}": [
            "-" if math.isnan(d) else f"{d:.2f}" for d in table.modified_duration[middle]
        ],
        "principal window": [f"{a}-{b}" if a else "-" for a, b in _windows(table)],
        "writedown ($)": [f"{w:,.0f}" for w in table.writedown],
        "pool loss %": [f"{x:.2f}" for x in table.cumulative_loss_pct],
    }


def price_table_rows(table: PriceTable, labels: Sequence[str]) -> list[dict[str, Any]]:
    """CSV rows: one per price, then WAL, duration and window rows."""
    measure, _, _ = _measure(table)
    rows: list[dict[str, Any]] = []
    for p, price in enumerate(table.prices):
        cells = [None if math.isnan(v) else round(float(v), 6) for v in measure[p]]
        rows.append({"price": price, **dict(zip(labels, cells, strict=True))})
    other = _other_measure(table)
    if other is not None:
        values, horizon = other
        for p, price in enumerate(table.prices):
            cells = [None if math.isnan(v) else round(float(v), 6) for v in values[p]]
            rows.append({"price": f"{price:g} {horizon}", **dict(zip(labels, cells, strict=True))})
    for name, cells_text in _column_rows(table).items():
        rows.append({"price": name, **dict(zip(labels, cells_text, strict=True))})
    return rows


def price_table_text(table: PriceTable, labels: Sequence[str], heading: str) -> str:
    """The investor page: prices down, scenarios across, then WAL, duration, window."""
    measure, name, decimals = _measure(table)
    width = max(12, *(len(label) + 2 for label in labels))
    lines = [f"{heading}; {name}", ""]
    lines.append(f"{'price':>20}" + "".join(f"{label:>{width}}" for label in labels))
    other = _other_measure(table)
    if other is not None:
        lines.append(f"{'to maturity' if other[1] == 'to call' else 'to call':>20}")
    for p, price in enumerate(table.prices):
        cells = "".join(
            f"{'-' if math.isnan(v) else f'{v:.{decimals}f}':>{width}}" for v in measure[p]
        )
        lines.append(f"{price:>20g}{cells}")
    if other is not None:
        values, horizon = other
        lines.append(f"{horizon:>20}")
        for p, price in enumerate(table.prices):
            cells = "".join(
                f"{'-' if math.isnan(v) else f'{v:.{decimals}f}':>{width}}" for v in values[p]
            )
            lines.append(f"{price:>20g}{cells}")
    lines.append("")
    for row_name, cells_text in _column_rows(table).items():
        lines.append(f"{row_name:>20}" + "".join(f"{c:>{width}}" for c in cells_text))
    return "\n".join(lines) + "\n"
