"""``--plot`` pictures: the files they leave, the grid's axes, and matplotlib as an extra."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from waterfall import BASE, Result, load_deal, run
from waterfall.report import plot
from waterfall.report.plot import PlotUnavailable, grid_axes, plot_grid, plot_run
from waterfall.scenario import Curve

REPO = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> Result:
    scenario = dataclasses.replace(
        BASE,
        prepayment=Curve("cpr", 30.0),
        default=Curve("cdr", 6.0),
        severity=Curve("severity", 40.0),
        recovery_lag_months=6,
        months=60,
    )
    return run(load_deal(REPO / "deals/2002-HE1.yaml"), scenario)


def grid_rows(
    cprs: tuple[float, ...] = (10.0, 20.0, 30.0),
    cdrs: tuple[float, ...] = (0.0, 5.0),
    severities: tuple[float, ...] = (40.0,),
    classes: tuple[str, ...] = ("A-1", "M-1", "X"),
) -> list[dict[str, Any]]:
    """Grid rows as the grid command writes them; X has no yield or discount margin."""
    rows = []
    for cpr, cdr, severity, name in itertools.product(cprs, cdrs, severities, classes):
        defined = name != "X"
        rows.append(
            {
                "cpr": cpr,
                "cdr": cdr,
                "severity": severity,
                "lag": 6,
                "libor": 1.8025,
                "class": name,
                "wal_years": 10.0 / (1.0 + cpr / 10.0) + cdr / 10.0,
                "first_principal_month": 1.0,
                "last_principal_month": 360.0 - cpr,
                "yield": 5.0 + cdr / 10.0 if defined else None,
                "discount_margin": 40.0 + cdr if defined else None,
                "modified_duration": 4.0,
                "writedown": 1e6 * cdr if name == "M-1" else 0.0,
                "cumulative_loss_pct": cdr * severity / 100.0,
            }
        )
    return rows


def read_png(path: Path) -> tuple[int, int]:
    """(height, width) in pixels of a PNG file, checking its signature first."""
    image = pytest.importorskip("matplotlib.image")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = image.imread(path).shape[:2]
    return height, width


def assert_only(directory: Path, *names: str) -> None:
    """Nothing but ``names`` in ``directory``: no temporary file left behind."""
    assert sorted(os.listdir(directory)) == sorted(names)


# --- one run --------------------------------------------------------------------------------


def test_run_picture_is_a_png_of_the_set_size(result: Result, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "run.png"
    plot_run(result, target)
    width, height = (round(inches * plot.DPI) for inches in plot.RUN_SIZE)
    assert read_png(target) == (height, width)
    assert_only(tmp_path, "run.png")


def test_run_picture_format_follows_the_suffix(result: Result, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot_run(result, tmp_path / "run.svg")
    plot_run(result, str(tmp_path / "no-suffix"))
    assert b"<svg" in (tmp_path / "run.svg").read_bytes()[:1000]
    assert (tmp_path / "no-suffix").read_bytes()[:8] == PNG_SIGNATURE
    assert_only(tmp_path, "run.svg", "no-suffix")


def test_unknown_suffix_is_refused_before_drawing(result: Result, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=r"cannot write a 'xyz' picture .*: use one of .*png"):
        plot_run(result, tmp_path / "run.xyz")
    assert_only(tmp_path)


def test_failed_render_leaves_the_old_file_and_no_temporary(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figure = pytest.importorskip("matplotlib.figure")
    target = tmp_path / "run.png"
    target.write_bytes(b"old picture")

    def half_written(self: Any, stream: Any, **kwargs: Any) -> None:
        stream.write(PNG_SIGNATURE)
        raise RuntimeError("disk full")

    monkeypatch.setattr(figure.Figure, "savefig", half_written)
    with pytest.raises(RuntimeError, match="disk full"):
        plot_run(result, target)
    assert target.read_bytes() == b"old picture"
    assert_only(tmp_path, "run.png")


def test_missing_directory_is_an_os_error(result: Result, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(FileNotFoundError):
        plot_run(result, tmp_path / "absent" / "run.png")


# --- grids ----------------------------------------------------------------------------------


def test_grid_picture_has_one_panel_per_class(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "grid.png"
    plot_grid(grid_rows(), "yield", target, title="ABSC 2002-HE1")
    width, height = plot.PANEL_SIZE
    assert read_png(target) == (round((height + 0.6) * plot.DPI), round(3 * width * plot.DPI))
    assert_only(tmp_path, "grid.png")


def test_grid_picture_of_chosen_classes(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "grid.png"
    plot_grid(grid_rows(), "writedown", target, classes=["M-1"])
    width, height = plot.PANEL_SIZE
    assert read_png(target) == (round((height + 0.6) * plot.DPI), round(width * plot.DPI))


@pytest.mark.parametrize("metric", sorted(plot.METRICS))
def test_every_metric_draws(metric: str, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rows = grid_rows(classes=("A-1", "X"))
    rows[0][metric] = None  # a blank cell among values
    plot_grid(rows, metric, tmp_path / "grid.png")
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG_SIGNATURE


def test_large_grid_held_axis_and_many_classes(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    rows = grid_rows(
        cprs=tuple(float(c) for c in range(0, 60, 3)),  # 20 x 11 > 200 cells: no labels
        cdrs=tuple(float(c) for c in range(11)),
        severities=(30.0, 50.0),
        classes=("A-1", "A-2", "M-1", "M-2"),
    )
    target = tmp_path / "grid.png"
    plot_grid(rows, "wal_years", target)
    width, height = plot.PANEL_SIZE
    assert read_png(target) == (
        round((2 * height + 0.6) * plot.DPI),
        round(3 * width * plot.DPI),
    )


def test_grid_axes_most_distinct_first() -> None:
    assert grid_axes(grid_rows()) == ("cpr", "cdr", {})
    assert grid_axes(grid_rows(cprs=(10.0,), cdrs=(0.0, 5.0), severities=(30.0, 50.0))) == (
        "cdr",
        "severity",
        {},
    )
    many_cdrs = grid_rows(cprs=(10.0, 20.0), cdrs=(0.0, 2.0, 5.0), severities=(50.0, 30.0))
    assert grid_axes(many_cdrs) == ("cdr", "cpr", {"severity": 50.0})
    assert grid_axes(grid_rows(cprs=(10.0,), cdrs=(0.0,))) == ("cpr", "cdr", {})


def test_grid_errors_are_one_line_value_errors(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "grid.png"
    cases = [
        (grid_rows(), "price", None, r"^unknown metric 'price': choose one of wal_years, "),
        ([], "wal_years", None, r"^no grid rows to plot$"),
        (grid_rows(), "wal_years", ["A-1", "Z"], r"^no grid rows for class Z: the grid has "),
        (grid_rows(), "wal_years", [], r"^no classes to plot$"),
    ]
    for rows, metric, classes, message in cases:
        with pytest.raises(ValueError, match=message) as error:
            plot_grid(rows, metric, target, classes=classes)
        assert "\n" not in str(error.value)
    assert_only(tmp_path)


def test_compact_cell_text() -> None:
    assert plot._compact(12.345) == "12.35"
    assert plot._compact(0.0) == "0"
    assert plot._compact(25_000.0) == "25k"
    assert plot._compact(-3_250_000.0) == "-3.25M"
    assert plot._compact(1.5e9) == "1.5B"
    assert plot._compact(9999.6) == "10k"
    assert plot._compact(999_999.0) == "1M"


# --- matplotlib is optional -----------------------------------------------------------------


def test_without_matplotlib_plot_unavailable(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    message = r"^--plot needs matplotlib: pip install 'rmbs-waterfall\[plot\]'$"
    with pytest.raises(PlotUnavailable, match=message):
        plot.ensure_available()
    with pytest.raises(PlotUnavailable, match=message):
        plot_run(result, tmp_path / "run.png")
    with pytest.raises(PlotUnavailable, match=message):
        plot_grid(grid_rows(), "wal_years", tmp_path / "grid.png")
    assert_only(tmp_path)


def test_importing_waterfall_does_not_import_matplotlib() -> None:
    code = (
        "import sys, waterfall, waterfall.report, waterfall.report.plot\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
