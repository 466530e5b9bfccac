"""Pictures for ``--plot FILE``: one run's balances and losses, or a grid metric as heat maps.

matplotlib is an optional extra (``pip install 'rmbs-waterfall[plot]'``): it is imported inside the
functions, never when ``waterfall`` is imported, and only through ``matplotlib.figure.Figure``
with the Agg canvas, so no GUI backend or pyplot global state is ever touched. Files are
written atomically: rendered to a temporary file in the target's directory, then renamed.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from waterfall.report.summary import assumptions_line, scenario_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from waterfall.engine import Result

MISSING_MESSAGE = "--plot needs matplotlib: pip install 'rmbs-waterfall[plot]'"

AXES = ("cpr", "cdr", "severity", "lag", "libor")
"""Scenario axes of a grid row, in tie-break order."""

AXIS_NAMES = {"cpr": "CPR", "cdr": "CDR", "severity": "severity", "lag": "lag", "libor": "LIBOR"}
AXIS_LABELS = {
    "cpr": "CPR (%)",
    "cdr": "CDR (%)",
    "severity": "severity (%)",
    "lag": "recovery lag (months)",
    "libor": "LIBOR (%)",
}

METRICS = {
    "wal_years": "WAL (years)",
    "first_principal_month": "first principal month",
    "last_principal_month": "last principal month",
    "yield": "yield",
    "discount_margin": "discount margin",
    "modified_duration": "modified duration",
    "writedown": "write-down ($)",
    "cumulative_loss_pct": "cumulative loss (%)",
    "yield_to_call": "yield to call",
    "discount_margin_to_call": "discount margin to call",
    "wal_years_to_call": "WAL to call (years)",
    "yield_to_maturity": "yield to maturity",
    "discount_margin_to_maturity": "discount margin to maturity",
    "wal_years_to_maturity": "WAL to maturity (years)",
}
"""Grid metrics that can be plotted, with their colour-bar labels (the other horizon's
columns too, where a grid carries them)."""

MONTH_METRICS = frozenset({"first_principal_month", "last_principal_month"})
MAX_ANNOTATED_CELLS = 200
"""Heat-map cells are labelled with their values up to this many cells per panel."""

RUN_SIZE = (10.0, 7.5)  # inches
PANEL_SIZE = (4.6, 3.6)  # inches, one heat map with its colour bar
DPI = 100


class PlotUnavailable(Exception):  # noqa: N818 (the CLI's name for it)
    """matplotlib is not installed; the message says how to install it."""


def ensure_available() -> None:
    """Raise ``PlotUnavailable`` now if matplotlib is missing (check before a long run)."""
    _matplotlib()


def plot_run(result: Result, path: str | os.PathLike[str]) -> None:
    """Draw one run: class balances over time, and collateral losses per month.

    The top panel stacks the balances of the bonds and the residual classes (the
    overcollateralization holder); notional classes carry no principal and are only named in
    the legend. The bottom panel shows the pool's principal loss each month as bars, with the
    cumulative loss (percent of the beginning pool balance) on a second axis.
    """
    figure_class = _matplotlib()
    fmt = _format(path)
    figure = figure_class(figsize=RUN_SIZE, dpi=DPI, layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    _draw_balances(top, result)
    _draw_losses(bottom, result)
    figure.suptitle(run_title(result))
    _save(figure, path, fmt)


def run_title(result: Result) -> str:
    """The picture's title: the deal and the assumptions actually run (flags included)."""
    line = assumptions_line(result.scenario, result.deal.index_rate)
    return f"{result.deal.name} ({scenario_label(result.scenario)})\n{line}"


def plot_grid(
    rows: Sequence[dict[str, Any]],
    metric: str,
    path: str | os.PathLike[str],
    classes: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Draw ``metric`` over a grid as one heat map per class.

    The two scenario axes with the most distinct values are x and y (ties in the order cpr,
    cdr, severity, lag, libor); any other axis that varies is held at its first value in
    ``rows``, and the figure title says so. Undefined values (None) are left blank. ``title``
    (e.g. the deal name) heads the figure title.
    """
    figure_class = _matplotlib()
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: choose one of {', '.join(METRICS)}")
    if not rows:
        raise ValueError("no grid rows to plot")
    names = _classes(rows, classes)
    fmt = _format(path)

    x_axis, y_axis, fixed = grid_axes(rows)
    kept = [row for row in rows if all(row[axis] == value for axis, value in fixed.items())]
    xs, ys = sorted(_distinct(kept, x_axis)), sorted(_distinct(kept, y_axis))

    n_cols = min(len(names), 3)
    n_rows = math.ceil(len(names) / n_cols)
    figure = figure_class(
        figsize=(PANEL_SIZE[0] * n_cols, PANEL_SIZE[1] * n_rows + 0.6),
        dpi=DPI,
        layout="constrained",
    )
    panels = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax, name in zip(panels, names, strict=False):
        grid = _cells(kept, name, metric, x_axis, xs, y_axis, ys)
        _heat_map(figure, ax, grid, xs, ys, metric)
        ax.set_title(name)
        ax.set_xlabel(AXIS_LABELS[x_axis])
        ax.set_ylabel(AXIS_LABELS[y_axis])
    for ax in panels[len(names) :]:
        ax.set_visible(False)

    heading = f"{METRICS[metric]} by {AXIS_NAMES[x_axis]} and {AXIS_NAMES[y_axis]}"
    lines = [f"{title}: {heading}" if title else heading]
    if fixed:
        held = ", ".join(
            f"{AXIS_NAMES[axis]} {value:g} (of {len(_distinct(rows, axis))} values)"
            for axis, value in fixed.items()
        )
        lines.append(f"held at the first value: {held}")
    figure.suptitle("\n".join(lines))
    _save(figure, path, fmt)


def grid_axes(rows: Sequence[dict[str, Any]]) -> tuple[str, str, dict[str, Any]]:
    """The heat maps' x and y axes, and each other axis that varies with the value it is held at.

    x and y are the two scenario axes with the most distinct values, x the one with more
    (ties in the order cpr, cdr, severity, lag, libor); held axes keep their first value.
    """
    counts = {axis: len(_distinct(rows, axis)) for axis in AXES}
    x_axis, y_axis, *others = sorted(AXES, key=lambda axis: (-counts[axis], AXES.index(axis)))
    return x_axis, y_axis, {axis: rows[0][axis] for axis in others if counts[axis] > 1}


# --- matplotlib and files -------------------------------------------------------------------


def _matplotlib() -> type[Figure]:
    """The Figure class, importing matplotlib on first use; PlotUnavailable when missing."""
    try:
        # "import a.b" looks the package up too; "from a.b import c" may find a.b cached alone.
        import matplotlib.figure
    except ImportError:
        raise PlotUnavailable(MISSING_MESSAGE) from None
    return matplotlib.figure.Figure


def _format(path: str | os.PathLike[str]) -> str:
    """The file format named by the suffix (png when there is none); ValueError if unknown."""
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = Path(path).suffix[1:].lower() or "png"
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"cannot write a {fmt!r} picture ({os.fspath(path)}): "
            f"use one of {', '.join(sorted(supported))}"
        )
    return fmt


def _save(figure: Figure, path: str | os.PathLike[str], fmt: str) -> None:
    """Render to a temporary file beside ``path``, then rename it over ``path``."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never follow or reuse an existing file; 0o666 lets the umask decide, as open().
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            figure.savefig(stream, format=fmt)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- one run --------------------------------------------------------------------------------


def _draw_balances(ax: Axes, result: Result) -> None:
    shown, notional = [], []
    for index, tranche in enumerate(result.deal.tranches):
        if tranche.kind == "notional":
            notional.append(tranche.name)
        elif tranche.kind == "bond" or (
            tranche.holds_overcollateralization or np.any(result.balance[:, index] != 0.0)
        ):
            shown.append(index)
    dates = np.array(result.dates, dtype="datetime64[D]")
    colors = _colors(len(shown))
    # Stacked from the most junior class up, so the senior classes sit on top.
    bottom_up = shown[::-1]
    areas = ax.stackplot(
        dates,
        *(result.balance[:, index] / 1e6 for index in bottom_up),
        labels=[result.tranche_names[index] for index in bottom_up],
        colors=colors[::-1],
        linewidth=0.0,
    )
    (pool,) = ax.plot(
        dates,
        np.asarray(result.pool_balance)[1:] / 1e6,
        color="black",
        linestyle="--",
        linewidth=1.0,
        label="pool balance",
    )
    handles: list[Any] = [*areas[::-1], pool]
    if notional:
        (blank,) = ax.plot(
            [], [], linestyle="none", label=f"not shown (notional): {', '.join(notional)}"
        )
        handles.append(blank)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.set_ylabel("balance ($ millions)")
    ax.set_ylim(bottom=0.0)
    ax.grid(visible=True, axis="y", alpha=0.3)


def _draw_losses(ax: Axes, result: Result) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    dates = np.array(result.dates, dtype="datetime64[D]")
    losses = np.asarray(result.collateral["principal_loss"], dtype=float)
    start = float(np.asarray(result.pool_balance)[0])
    bars = ax.bar(
        dates,
        losses / 1e3,
        width=np.timedelta64(24, "D"),
        color="tab:red",
        label="loss in the month",
    )
    ax.set_ylabel("principal loss ($ thousands)")
    ax.grid(visible=True, axis="y", alpha=0.3)
    twin = ax.twinx()
    cumulative = np.cumsum(losses)
    if start > 0.0:
        cumulative_line = twin.plot(dates, 100.0 * cumulative / start, color="black")
        twin.set_ylabel("cumulative loss (% of pool)")
    else:
        cumulative_line = twin.plot(dates, cumulative / 1e6, color="black")
        twin.set_ylabel("cumulative loss ($ millions)")
    cumulative_line[0].set_label("cumulative loss")
    twin.set_ylim(bottom=0.0)
    ax.legend(
        handles=[bars, cumulative_line[0]],
        loc="upper left",
        bbox_to_anchor=(1.08, 1.0),
        fontsize="small",
    )
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    palette = colormaps["tab10" if n <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(n)]


# --- grids ----------------------------------------------------------------------------------


def _classes(rows: Sequence[dict[str, Any]], classes: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(str(row["class"]) for row in rows))
    if classes is None:
        return present
    unknown = [name for name in classes if name not in present]
    if unknown:
        raise ValueError(
            f"no grid rows for class {', '.join(unknown)}: the grid has {', '.join(present)}"
        )
    if not classes:
        raise ValueError("no classes to plot")
    return list(dict.fromkeys(classes))


def _distinct(rows: Sequence[dict[str, Any]], axis: str) -> set[Any]:
    return {row[axis] for row in rows}


def _cells(
    rows: Sequence[dict[str, Any]],
    name: str,
    metric: str,
    x_axis: str,
    xs: list[Any],
    y_axis: str,
    ys: list[Any],
) -> np.ma.MaskedArray[Any, Any]:
    """(len(ys), len(xs)) values of one class, NaN-masked where undefined or missing."""
    column = {value: i for i, value in enumerate(xs)}
    line = {value: i for i, value in enumerate(ys)}
    grid = np.full((len(ys), len(xs)), np.nan)
    for row in rows:
        if str(row["class"]) == name:
            value = row.get(metric)
            if value is not None:
                grid[line[row[y_axis]], column[row[x_axis]]] = float(value)
    return np.ma.masked_invalid(grid)


def _heat_map(
    figure: Figure,
    ax: Axes,
    grid: np.ma.MaskedArray[Any, Any],
    xs: list[Any],
    ys: list[Any],
    metric: str,
) -> None:
    from matplotlib import colormaps
    from matplotlib.ticker import FuncFormatter

    n_y, n_x = grid.shape
    ax.set_xticks(*_ticks(xs))
    ax.set_yticks(*_ticks(ys))
    if grid.mask.all():
        ax.set_xlim(-0.5, n_x - 0.5)
        ax.set_ylim(-0.5, n_y - 0.5)
        ax.text(0.5, 0.5, "undefined", transform=ax.transAxes, ha="center", va="center")
        return
    cmap = colormaps["viridis"].with_extremes(bad="none")
    image = ax.imshow(grid, cmap=cmap, origin="lower", aspect="auto", interpolation="nearest")
    bar = figure.colorbar(image, ax=ax, label=METRICS[metric])
    bar.formatter = FuncFormatter(lambda value, _: _compact(value))
    if n_x * n_y > MAX_ANNOTATED_CELLS:
        return
    text = _cell_text(metric)
    size = "small" if n_x * n_y <= 60 else "x-small"
    for (i, j), value in np.ndenumerate(grid.filled(np.nan)):
        if not math.isnan(value):
            red, green, blue, _ = cmap(image.norm(value))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            ax.text(
                j,
                i,
                text(value),
                ha="center",
                va="center",
                fontsize=size,
                color="white" if dark else "black",
            )


def _ticks(values: list[Any]) -> tuple[list[int], list[str]]:
    """Tick positions and labels, thinned to at most about a dozen."""
    step = max(1, math.ceil(len(values) / 12))
    positions = list(range(0, len(values), step))
    return positions, [f"{values[i]:g}" for i in positions]


def _cell_text(metric: str) -> Callable[[float], str]:
    if metric in MONTH_METRICS:
        return lambda value: f"{value:.0f}"
    return _compact


def _compact(value: float) -> str:
    """Four significant digits, thousands and up with a k/M/B suffix."""
    size = abs(value)
    for threshold, scale, suffix in ((999.5e6, 1e9, "B"), (999.5e3, 1e6, "M"), (9999.5, 1e3, "k")):
        if size >= threshold:
            scaled = value / scale
            return f"{scaled:.3g}{suffix}" if abs(scaled) < 999.5 else f"{scaled:.0f}{suffix}"
    return f"{value:.4g}"
