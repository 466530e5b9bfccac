"""Scenario-grid files (YAML) -> ``GridSpec``, the points of a grid run; every problem located.

A grid file gives either axis lists, whose cartesian product is the grid, or an explicit
``scenarios`` list. Values are percentages as on the command line (``cpr: 30`` is 30% CPR) and
``lag`` is the recovery lag in months. An axis a file leaves out is None in every point: the
caller fills it from the deal's default scenario.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, product, starmap
from pathlib import Path
from typing import Any, overload

import numpy as np

from waterfall._types import I64Array
from waterfall.errors import GridFileError, InputFileError
from waterfall.scenario import Curve, check_curve
from waterfall.scenario.load import read_group_curve
from waterfall.yaml_loader import (
    Document,
    PathKey,
    Reader,
    dotted,
    is_number_text,
    load_document,
)

AXES = ("cpr", "cdr", "severity", "lag", "libor")
CURVE_AXES = ("cpr", "cdr", "severity")
"""Axes whose value may be a curve per loan group or a multiplier of the base curves."""
MAX_MULTIPLIER = 100.0
"""The axes of a grid, in the order of the cartesian product (``cpr`` varies slowest)."""

OTHER_HORIZON_METRICS = ("yield", "discount_margin", "wal_years")
"""The measures a grid repeats with the clean-up call the other way."""

OTHER_HORIZONS = ("to_call", "to_maturity")
"""The other horizon of a deal with a call: to call when the base scenario runs to maturity,
to maturity when it exercises the call."""

METRICS = (
    "wal_years",
    "yield",
    "discount_margin",
    "modified_duration",
    "writedown",
    "cumulative_loss_pct",
    "first_principal_month",
    "last_principal_month",
    *(f"{metric}_{horizon}" for horizon in OTHER_HORIZONS for metric in OTHER_HORIZON_METRICS),
)
"""The analytics a grid can pivot on: its columns (``yield_to_call`` is the yield with the
clean-up call exercised, beside a base scenario that does not exercise it)."""


def measured_metric(metric: str) -> tuple[str, str]:
    """``metric`` split into the measure and the horizon suffix ("" for the base horizon):
    ``yield_to_call`` is ``("yield", "to_call")``."""
    for horizon in OTHER_HORIZONS:
        if metric.endswith(f"_{horizon}"):
            return metric[: -len(horizon) - 1], horizon
    return metric, ""


KEYS = ("name", *AXES, "price", "metric", "advancing", "scenarios")
MAX_POINTS = 1_000_000  # a bigger grid is almost surely a mistake; split it into several files
MAX_LAG_MONTHS = 360  # as in scenario files
MAX_PRICE = 1000.0  # per 100 of face
DEFAULT_PRICE = 100.0
DEFAULT_METRIC = "yield"


@dataclass(frozen=True, slots=True)
class Multiplier:
    """``"x0.5"`` in a grid: each loan group's curve of the base scenario, times ``factor``."""

    factor: float

    def __str__(self) -> str:
        return f"x{self.factor:g}"


AxisValue = float | Curve | Multiplier
"""A curve axis's value: percent for every group, a curve per group, or a multiplier."""


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One scenario of a grid, in percent; None = the value of the deal's default scenario.

    ``cpr``, ``cdr`` and ``severity`` may also be a curve per loan group (``{group_1: 60,
    group_2: 10}`` in the file) or a ``Multiplier`` of the base scenario's curves (``"x1.5"``).
    """

    cpr: AxisValue | None = None
    cdr: AxisValue | None = None
    severity: AxisValue | None = None
    lag: int | None = None  # recovery lag, months
    libor: float | Curve | None = None  # percent, or a vector curve


@dataclass(frozen=True, slots=True)
class GridSpec:
    """A scenario grid as read from its file.

    ``points`` are in file order for a ``scenarios`` list, else in the order of
    ``itertools.product(cpr, cdr, severity, lag, libor)``. ``axes`` names the axes the file
    gives (for a ``scenarios`` list: those any scenario gives), in the order of ``AXES``.
    """

    name: str
    points: Sequence[GridPoint]  # a GridProduct for axis lists
    axes: tuple[str, ...]
    price: float  # per 100 of face, used for yields and discount margins
    metric: str  # one of METRICS
    is_advancing: bool | None  # None = as the deal's default scenario says
    source: str  # the file it came from
    # per class, by name: a bond's own price, or an IO strip's per 100 of notional (an IO is
    # measured only when it has one); the line of each, for messages about unknown classes
    class_prices: tuple[tuple[str, float, int], ...] = ()


def load_grid(path: str | Path) -> GridSpec:
    """Load a scenario-grid file.

    Raises
    ------
    GridFileError
        Listing every problem in the file, one line each, with file, line and column.
    """
    try:
        doc = load_document(path)
    except InputFileError as error:
        raise GridFileError(error.problems) from None
    return _read_grid(doc)


def parse_grid(text: str, file: str) -> GridSpec:
    """Read a scenario grid from ``text``; messages name ``file``.

    Raises
    ------
    GridFileError
        Listing every problem in the text, one line each, with file, line and column.
    """
    try:
        doc = load_document(file, text)
    except InputFileError as error:
        raise GridFileError(error.problems) from None
    return _read_grid(doc)


def _read_grid(doc: Document) -> GridSpec:
    r = Reader(doc)
    m = r.mapping(doc.data, (), (), KEYS)
    name = r.optional(m, "name", (), r.text, Path(doc.file).stem)
    price = DEFAULT_PRICE
    class_prices: tuple[tuple[str, float, int], ...] = ()
    if isinstance(m.get("price"), dict):
        price, class_prices = _read_class_prices(r, doc, m["price"])
    elif "price" in m:
        price = _read_price(r, m["price"], ("price",))
    metric = r.optional(
        m,
        "metric",
        (),
        lambda value, path: r.choice(value, path, METRICS, DEFAULT_METRIC),
        DEFAULT_METRIC,
    )
    is_advancing = r.optional(m, "advancing", (), r.flag, None)
    given = [axis for axis in AXES if axis in m]
    columns = {axis: _read_axis(r, axis, m[axis]) for axis in given}
    points: Sequence[GridPoint] = ()
    if "scenarios" in m:
        if given:
            r.fail(
                ("scenarios",),
                "give either a scenarios list or axis lists, not both; "
                f"found scenarios and {', '.join(given)}",
            )
        points = _read_scenarios(r, m["scenarios"])
        given = [axis for axis in AXES if any(getattr(p, axis) is not None for p in points)]
    elif not given:
        r.fail((), f"no scenarios: give one or more of {', '.join(AXES)}, or a scenarios list")
    else:
        counts = {axis: len(m[axis]) if isinstance(m[axis], list) else 1 for axis in given}
        n_points = math.prod(counts.values())
        if n_points > MAX_POINTS:
            sizes = " x ".join(f"{count} {axis}" for axis, count in counts.items())
            r.fail((), _too_many(n_points, f"points ({sizes})"))
        elif not r.problems:
            points = _product([columns.get(axis, (None,)) for axis in AXES])
    if r.problems:
        raise GridFileError(r.problems)
    return GridSpec(
        name=name,
        points=points,
        axes=tuple(given),
        price=price,
        class_prices=class_prices,
        metric=metric,
        is_advancing=is_advancing,
        source=doc.file,
    )


def _too_many(n_points: int, sizes: str) -> str:
    return (
        f"the grid has {n_points:,} {sizes}; at most {MAX_POINTS:,} are allowed, "
        "split it into smaller grids"
    )


class GridProduct(Sequence[GridPoint]):
    """The points of every combination of ``columns`` (one tuple of values an axis, in the
    order of ``AXES``), in ``itertools.product`` order, each made when it is read.

    A sequence of ``GridPoint`` equal to the tuple of them, without holding them: a million
    points took 1.5 s and 90 MB to make before a grid's first block. The columns describe
    the points without visiting each (``report.stream.grid_fingerprint``,
    ``grid.run._prepare``); a slice, a grid's block, is a tuple of its points.
    """

    __slots__ = ("_length", "columns")

    def __init__(self, columns: Sequence[tuple[Any, ...]]) -> None:
        self.columns: tuple[tuple[Any, ...], ...] = tuple(columns)
        self._length = math.prod(map(len, self.columns))

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[GridPoint]:
        return starmap(GridPoint, product(*self.columns))

    @overload
    def __getitem__(self, index: int) -> GridPoint: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[GridPoint, ...]: ...
    def __getitem__(self, index: int | slice) -> GridPoint | tuple[GridPoint, ...]:
        if isinstance(index, slice):
            numbers = np.arange(*index.indices(self._length), dtype=np.int64)
            return tuple(map(GridPoint, *self.spread(numbers, self.columns)))
        at = operator.index(index)
        if not -self._length <= at < self._length:
            raise IndexError(f"grid point {at} of {self._length}")
        return self[at : at + 1 or None][0]

    def spread(self, numbers: I64Array, tables: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """For the points ``numbers``, each axis's entry of its table (one list an axis, in
        the order of ``AXES``; a table is indexed like its axis's column): with the columns,
        the points' values."""
        shape = tuple(map(len, self.columns))
        positions = np.unravel_index(numbers, shape)
        return [
            list(map(table.__getitem__, at.tolist()))
            for table, at in zip(tables, positions, strict=True)
        ]

    def block(self, start: int, stop: int) -> ProductBlock:
        """Points ``start`` to ``stop - 1`` (``0 <= start <= stop <= len``), made when they
        are read."""
        if not 0 <= start <= stop <= self._length:
            raise IndexError(f"grid points {start} to {stop} of {self._length}")
        return ProductBlock(self, start, stop)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, GridProduct) and other.columns == self.columns:
            return True
        return _equal_points(self, other)

    def __hash__(self) -> int:
        return hash(tuple(self))  # the hash of the equal tuple of points

    def __reduce__(self) -> tuple[type[GridProduct], tuple[tuple[tuple[Any, ...], ...]]]:
        return GridProduct, (self.columns,)

    def __repr__(self) -> str:
        return f"GridProduct of {self._length:,} points"


class ProductBlock(Sequence[GridPoint]):
    """Consecutive points of a ``GridProduct`` (a grid's block), each made when it is read:
    a block's result keeps its points this way (``grid.run.GridScenarios``) without making
    a thousand of them to hold. Like the ``GridProduct``, equal to the tuple of them."""

    __slots__ = ("grid", "start", "stop")

    def __init__(self, grid: GridProduct, start: int, stop: int) -> None:
        self.grid, self.start, self.stop = grid, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self) -> Iterator[GridPoint]:
        return iter(self.grid[self.start : self.stop])

    @overload
    def __getitem__(self, index: int) -> GridPoint: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[GridPoint, ...]: ...
    def __getitem__(self, index: int | slice) -> GridPoint | tuple[GridPoint, ...]:
        numbers = range(self.start, self.stop)[index]
        if not isinstance(numbers, range):
            return self.grid[numbers]
        if not numbers:
            return ()  # (an empty range stepping down may start at -1)
        # a range's stop is below 0 only when it steps down to point 0
        end = None if numbers.stop < 0 else numbers.stop
        return self.grid[numbers.start : end : numbers.step]

    def __eq__(self, other: object) -> bool:
        return _equal_points(self, other)

    def __hash__(self) -> int:
        return hash(tuple(self))  # the hash of the equal tuple of points

    def __reduce__(self) -> tuple[type[ProductBlock], tuple[GridProduct, int, int]]:
        return ProductBlock, (self.grid, self.start, self.stop)

    def __repr__(self) -> str:
        return f"ProductBlock of points {self.start:,} to {self.stop:,} of a {self.grid!r}"


def _equal_points(points: Sequence[GridPoint], other: object) -> bool:
    """A lazy sequence of points equals what the tuple of them equals: a tuple of the same
    points, or another lazy sequence of them (not a list, as a tuple does not)."""
    return (
        isinstance(other, tuple | GridProduct | ProductBlock)
        and len(other) == len(points)
        and all(map(operator.eq, points, other))
    )


def axis_values(points: Sequence[GridPoint], axis: str) -> Iterable[Any]:
    """Every value ``points`` give ``axis``; of a product grid, its column's values once
    rather than once a point."""
    if isinstance(points, GridProduct):
        return points.columns[AXES.index(axis)]
    return (getattr(point, axis) for point in points)


def curve_axis_values(points: Sequence[GridPoint]) -> Iterator[Any]:
    """Every value ``points`` give the curve axes (``CURVE_AXES``), as ``axis_values``."""
    return chain.from_iterable(axis_values(points, axis) for axis in CURVE_AXES)


def _product(columns: list[tuple[Any, ...]]) -> GridProduct:
    cpr, cdr, severity, lags, libor = columns
    lags = tuple(None if lag is None else int(lag) for lag in lags)
    return GridProduct((cpr, cdr, severity, lags, libor))


def _read_axis(r: Reader, axis: str, raw: Any) -> tuple[Any, ...]:
    """Read one axis, a number or a list of distinct numbers; keep the values that are good."""
    path: PathKey = (axis,)
    if isinstance(raw, list):
        if not raw:
            r.fail(
                path,
                f"empty list; give at least one value, or leave {axis} out "
                "to use the deal's default",
            )
            return ()
        items = [(value, (*path, i)) for i, value in enumerate(raw)]
    elif (isinstance(raw, dict) and axis not in CURVE_AXES) or (
        raw is None and not r.is_reported(raw, path)
    ):
        found = "a mapping" if isinstance(raw, dict) else "nothing"
        r.fail(path, f"expected a number or a list of numbers, got {found}")
        return ()
    else:
        items = [(raw, path)]
    values: list[Any] = []
    first: dict[Any, PathKey] = {}
    for value, item_path in items:
        number = _read_value(r, axis, value, item_path)
        if number is None:
            continue
        if number in first:
            r.fail(
                item_path,
                f"duplicate value {value} (first given as {dotted(first[number])}); "
                "each value of an axis is run once, remove one",
            )
            continue
        first[number] = item_path
        values.append(number)
    return tuple(values)


def _read_value(r: Reader, axis: str, value: Any, path: PathKey) -> Any:
    """Read one value of ``axis`` (lag: whole months; a curve axis also a per-group mapping
    or a multiplier "x1.5"); None after recording a problem."""
    before = len(r.problems)
    if axis in CURVE_AXES and isinstance(value, dict):
        by_group = read_group_curve(r, axis, value, path)
        return None if len(r.problems) > before else by_group
    if axis in CURVE_AXES and isinstance(value, str) and value.startswith("x"):
        try:
            factor = float(value[1:])
        except ValueError:
            factor = -1.0
        if not (math.isfinite(factor) and 0.0 <= factor <= MAX_MULTIPLIER):
            r.fail(
                path,
                f'expected a multiplier like "x1.5" (0 to {MAX_MULTIPLIER:g} times the base '
                f"curve of each group), got {value!r}",
            )
            return None
        return Multiplier(factor)
    if axis != "lag" and isinstance(value, str) and not is_number_text(value):
        # a vector, as on the command line ("4 11R 27", LIBOR "1.8 24R 4.5"): a curve
        vector, message = check_curve(axis, value)
        if vector is None:
            r.fail(path, message)
        return vector
    if axis == "lag":
        number: float = r.integer(value, path, 0, MAX_LAG_MONTHS)
    else:
        number = r.number(value, path)
    if len(r.problems) > before or r.is_reported(value, path):
        return None
    if axis != "lag":
        curve, message = check_curve(axis, number)
        if curve is None:
            r.fail(path, message)
            return None
    return number


def _read_scenarios(r: Reader, raw: Any) -> tuple[GridPoint, ...]:
    path: PathKey = ("scenarios",)
    items = r.sequence(raw, path)
    if isinstance(raw, list) and not raw:
        r.fail(path, "empty list; give at least one scenario, e.g. {cpr: 30, cdr: 5}")
    if len(items) > MAX_POINTS:
        r.fail(path, _too_many(len(items), "scenarios"))
        return ()
    points: list[GridPoint] = []
    first: dict[GridPoint, PathKey] = {}
    for i, item in enumerate(items):
        item_path: PathKey = (*path, i)
        entry = r.mapping(item, item_path, (), AXES)
        values = {
            axis: _read_value(r, axis, entry[axis], (*item_path, axis))
            for axis in AXES
            if axis in entry
        }
        if any(value is None for value in values.values()):
            continue
        lag = values.get("lag")
        point = GridPoint(
            cpr=values.get("cpr"),
            cdr=values.get("cdr"),
            severity=values.get("severity"),
            lag=None if lag is None else int(lag),
            libor=values.get("libor"),
        )
        if point in first:
            r.fail(
                item_path,
                f"the same scenario as {dotted(first[point])}; "
                "each scenario is run once, remove one",
            )
            continue
        first[point] = item_path
        points.append(point)
    return tuple(points)


def _read_class_prices(
    r: Reader, doc: Document, prices: dict[str, Any]
) -> tuple[float, tuple[tuple[str, float, int], ...]]:
    """``price: {default: 100, A-IO: 9}``: the default for every bond, and class prices."""
    default = DEFAULT_PRICE
    named = []
    for key, value in prices.items():
        path: PathKey = ("price", key)
        if key == "default":
            default = _read_price(r, value, path)
        else:
            named.append((key, _read_price(r, value, path), doc.mark(path)[0]))
    return default, tuple(named)


def _read_price(r: Reader, value: Any, path: PathKey) -> float:
    before = len(r.problems)
    price = r.number(value, path)
    if len(r.problems) > before or r.is_reported(value, path):
        return DEFAULT_PRICE
    if not 0.0 < price <= MAX_PRICE:
        r.fail(
            path,
            f"{value} is out of range; expected a price per 100 of face above 0 "
            f"and at most {MAX_PRICE:g}",
        )
        return DEFAULT_PRICE
    return price
