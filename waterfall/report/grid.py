"""Grid results as rows (CSV, JSON, Parquet) and as pivot tables of one metric per class."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from typing import Any

from waterfall.grid.run import METRIC_COLUMNS, OTHER_HORIZON_METRICS, GridResult
from waterfall.grid.spec import AXES, measured_metric

COLUMNS = (*AXES, "class", *METRIC_COLUMNS)
"""Row columns, in the order of the issue: the five axes, the class, then the metrics."""


def columns(result: GridResult) -> tuple[str, ...]:
    """The row columns of ``result``: ``COLUMNS``, then the measures to call (or to maturity)
    when the grid carries them."""
    if not result.other_horizon:
        return COLUMNS
    return (*COLUMNS, *(f"{m}_{result.other_horizon}" for m in OTHER_HORIZON_METRICS))


UNITS = {
    "wal_years": "years",
    "first_principal_month": "month",
    "last_principal_month": "month",
    "yield": "% bond-equivalent",
    "discount_margin": "bp over LIBOR",
    "modified_duration": "years",
    "writedown": "dollars",
    "cumulative_loss_pct": "% of the starting pool",
}


def grid_csv(result: GridResult) -> str:
    """One line per scenario and class; an undefined value is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = columns(result)
    writer.writerow(header)
    for row in result.rows():
        writer.writerow(["" if row[c] is None else _cell(row[c]) for c in header])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return repr(round(value, 10))
    return str(value)


def grid_json(result: GridResult) -> str:
    """``{"deal", "price", "prices_by_class", "columns", "units", "rows": [...]}``; undefined
    values are null."""
    return json.dumps(
        {
            "deal": result.deal_name,
            "price": result.price,
            "prices_by_class": result.prices_by_class,
            "columns": list(columns(result)),
            "units": {
                **UNITS,
                **{
                    f"{m}_{result.other_horizon}": UNITS[m]
                    for m in OTHER_HORIZON_METRICS
                    if result.other_horizon
                },
            },
            "rows": result.rows(),
        }
    )


def write_parquet(result: GridResult, path: str) -> None:
    """Write the rows as a Parquet file (needs pyarrow: ``pip install 'rmbs-waterfall[parquet]'``).

    Raises
    ------
    ImportError
        When pyarrow is not installed.
    """
    import pyarrow as pa  # optional extra: imported only when asked for
    import pyarrow.parquet as pq

    rows = result.rows()
    columns_of = {name: [row[name] for row in rows] for name in columns(result)}
    table = pa.table(
        {
            name: pa.array(
                [None if v is None else str(v) for v in values]
                if any(isinstance(v, str) for v in values)
                else values
            )
            for name, values in columns_of.items()
        }
    )
    pq.write_table(table, path)


def varying_axes(result: GridResult) -> list[str]:
    """Axes with more than one value, most values first (ties in the order of AXES)."""
    counts = {axis: len({str(a[axis]) for a in result.axes}) for axis in AXES}
    varying = [axis for axis in AXES if counts[axis] > 1]
    return sorted(varying, key=lambda axis: (-counts[axis], AXES.index(axis)))


def _unique(values: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(str(value), value)
    return list(seen.values())


def _fmt(value: float | None, metric: str) -> str:
    metric = measured_metric(metric)[0]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if metric.endswith("_month"):
        return str(int(value))
    if metric == "writedown":
        return f"{value:,.0f}"
    return f"{value:.2f}" if metric != "discount_margin" else f"{value:.0f}"


def grid_pivot(result: GridResult, metric: str) -> str:
    """For each class, ``metric`` in a table: rows the second-most-varied axis, columns the
    most varied; one table per combination of the other axes."""
    values = result.values(metric)
    varying = varying_axes(result)
    across = varying[0] if varying else None
    down = varying[1] if len(varying) > 1 else None
    held = varying[2:]
    lookup: dict[tuple[str, ...], int] = {
        tuple(str(axes[a]) for a in AXES): s for s, axes in enumerate(result.axes)
    }
    first = result.axes[0] if result.axes else {}
    lines = [
        f"{result.deal_name}: {metric} ({UNITS[measured_metric(metric)[0]]}) at price "
        f"{result.price:g}"
        + "".join(f", {name} at {value:g}" for name, value in result.prices_by_class.items())
        + "; "
        f"{len(result.axes)} scenarios"
    ]
    fixed = [a for a in AXES if a not in varying]
    if fixed and first:
        lines.append("  all scenarios: " + ", ".join(f"{a} {first[a]}" for a in fixed))
    columns = _unique([a[across] for a in result.axes]) if across else [None]
    rows = _unique([a[down] for a in result.axes]) if down else [None]
    combos = list(itertools.product(*(_unique([a[h] for a in result.axes]) for h in held))) or [()]
    for c, name in enumerate(result.class_names):
        for combo in combos:
            where = ", ".join(f"{h} {v}" for h, v in zip(held, combo, strict=True))
            lines.append("")
            lines.append(f"{name}" + (f"  ({where})" if where else ""))
            labels = [f"{across} {v}" if across else metric for v in columns]
            widths = [max(14, len(label) + 2) for label in labels]
            header = f"{down or '':>10} |" + "".join(
                f"{label:>{width}}" for label, width in zip(labels, widths, strict=True)
            )
            lines.append(header)
            lines.append("-" * len(header))
            for r in rows:
                cells = []
                for v, width in zip(columns, widths, strict=True):
                    point: dict[str, Any] = dict(first)
                    point.update(dict(zip(held, combo, strict=True)))
                    if across:
                        point[across] = v
                    if down:
                        point[down] = r
                    s = lookup.get(tuple(str(point[a]) for a in AXES))
                    value = None if s is None else float(values[s, c])
                    cells.append(f"{_fmt(value, metric):>{width}}")
                lines.append(f"{'' if r is None else r!s:>10} |" + "".join(cells))
    return "\n".join(lines) + "\n"
