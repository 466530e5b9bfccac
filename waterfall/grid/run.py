"""Run every scenario of a grid in one compiled call per block, and measure every class.

A grid point leaves out what the base scenario (the deal's default scenario, or the command
line's) should give. Distinct curves are computed once, by the same functions as a single
run (``compile.monthly_rates``, ``compile.index_rates``), then ``kernels.grid.run_range``
runs a block of scenarios, one call per thread of the machine. Blocks of ``BLOCK_SIZE`` keep memory
bounded for a grid of a hundred thousand points; the shipped grid is one block, one call.

The metrics per scenario and class are ``waterfall.measures``' (the same function as a
single run's).
"""

from __future__ import annotations

import array
import dataclasses
import math
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, NamedTuple, overload

import numpy as np

from waterfall._jit import needs_compiling, thread_count
from waterfall._types import F64Array, I64Array
from waterfall.compile import CompiledDeal, compile_deal, index_rates, monthly_rates
from waterfall.deal.model import Deal
from waterfall.engine import allocate_payments, allocate_workspace, start_balance
from waterfall.grid.spec import (
    AXES,
    AxisValue,
    GridPoint,
    GridProduct,
    Multiplier,
    ProductBlock,
    measured_metric,
)
from waterfall.grid.spec import OTHER_HORIZON_METRICS as OTHER_HORIZON_METRICS  # where it was
from waterfall.kernels.collateral import CollateralOut
from waterfall.kernels.grid import (
    N_FLOW_MEASURES,
    DealInputs,
    GridOut,
    ScenarioRows,
    ScenarioTables,
    ThreadFlows,
    ThreadMonths,
    run_range,
)
from waterfall.kernels.payments import DealTerms, PaymentsOut, Workspace
from waterfall.measures import (
    METRIC_COLUMNS,
    class_prices,
    measure_inputs,
    measured_classes,
    measured_metrics,
    principal_losses,
)
from waterfall.scenario.model import Curve, Scenario

BLOCK_SIZE = 1024
"""Scenarios per compiled call (the kernel keeps per-scenario summaries only: about 0.5 MB
a block for 2002-HE1)."""

CACHE_LINE_DOUBLES = 8
"""64 bytes: two threads' scratch slabs are kept at least this far apart."""


def scenario_for(base: Scenario, point: GridPoint) -> Scenario:
    """The full scenario of a grid point: the base with the point's values put in."""
    return dataclasses.replace(
        base,
        prepayment=_curve(base.prepayment, "cpr", point.cpr),
        default=_curve(base.default, "cdr", point.cdr),
        severity=_curve(base.severity, "severity", point.severity),
        recovery_lag_months=_lag(base, point.lag),
        libor=_libor(base, point.libor),
    )


def _curve(curve: Curve, measure: str, value: AxisValue | None) -> Curve:
    """A scenario's curve with a grid point's value put in (None: the base's ``curve``)."""
    if isinstance(value, Multiplier):
        return dataclasses.replace(curve, scale=curve.scale * value.factor)
    if isinstance(value, Curve):
        return value
    return curve if value is None else Curve(measure, float(value))


def _lag(base: Scenario, lag: int | None) -> int:
    return base.recovery_lag_months if lag is None else int(lag)


def _libor(base: Scenario, libor: float | Curve | None) -> Curve | None:
    if isinstance(libor, Curve):
        return libor
    return base.libor if libor is None else Curve("libor", float(libor))


def _shown(curve: Curve | None, measure: str, fallback: float) -> float | str:
    """A scenario's value as a grid column shows it: a number, or the curve as written."""
    if curve is None:
        return fallback
    if (
        curve.measure == measure
        and not isinstance(curve.spec, str)
        and not curve.by_group
        and curve.scale == 1.0
    ):
        return float(curve.spec)
    shown = str(curve)
    return shown.removeprefix(f"{measure} ") if curve.measure == measure else shown


def point_axes(deal: Deal, base: Scenario) -> Callable[[GridPoint], dict[str, float | int | str]]:
    """``describe(deal, scenario_for(base, point))`` as a function of the point, without
    building the scenario: a number is shown as itself, a left-out value as the base's."""
    shown = describe(deal, base)

    def curve_axis(value: AxisValue | None, curve: Curve, measure: str) -> float | int | str:
        if value is None:
            return shown[measure]
        if isinstance(value, Multiplier | Curve):
            return _shown(_curve(curve, measure, value), measure, 0.0)
        return float(value)  # what _shown gives for Curve(measure, float(value))

    def libor_axis(value: float | Curve | None) -> float | str:
        if value is None:
            return shown["libor"]
        if isinstance(value, Curve):
            return _shown(value, "libor", 0.0)
        return float(value)

    def axes(point: GridPoint) -> dict[str, float | int | str]:
        return {
            "cpr": curve_axis(point.cpr, base.prepayment, "cpr"),
            "cdr": curve_axis(point.cdr, base.default, "cdr"),
            "severity": curve_axis(point.severity, base.severity, "severity"),
            "lag": shown["lag"] if point.lag is None else int(point.lag),
            "libor": libor_axis(point.libor),
        }

    return axes


def product_axes(
    deal: Deal, base: Scenario, grid: GridProduct
) -> Callable[[int, int], tuple[dict[str, float | int | str], ...]]:
    """``point_axes`` of a product grid's points ``start`` to ``stop - 1``, without making
    the points: each column value's cell is made once (a point's axis depends on its own
    value of that axis alone), then spread over the points by their positions."""
    axes = point_axes(deal, base)
    cells = [
        [axes(GridPoint(**{axis: value}))[axis] for value in column]
        for axis, column in zip(AXES, grid.columns, strict=True)
    ]

    def block_axes(start: int, stop: int) -> tuple[dict[str, float | int | str], ...]:
        numbers = np.arange(start, stop, dtype=np.int64)
        cpr, cdr, severity, lag, libor = grid.spread(numbers, cells)
        # dict displays, as point_axes makes them: three times faster than dict(zip(...))
        return tuple(
            {"cpr": a, "cdr": b, "severity": c, "lag": d, "libor": e}
            for a, b, c, d, e in zip(cpr, cdr, severity, lag, libor, strict=True)
        )

    return block_axes


def grid_kernel_needs_compiling() -> bool:
    """True when the next local grid compiles its parallel kernel (a cold cache)."""
    return needs_compiling(run_range)


def describe(deal: Deal, scenario: Scenario) -> dict[str, float | int | str]:
    """The five axis columns of a scenario (percent; lag in months)."""
    return {
        "cpr": _shown(scenario.prepayment, "cpr", 0.0),
        "cdr": _shown(scenario.default, "cdr", 0.0),
        "severity": _shown(scenario.severity, "severity", 0.0),
        "lag": scenario.recovery_lag_months,
        "libor": _shown(scenario.libor, "libor", round(deal.index_rate * 100.0, 10)),
    }


class GridScenarios(Sequence[Scenario]):
    """A grid's scenarios, each built from the base and its point when it is read
    (``scenario_for``): a block's result does not build a thousand scenarios up front."""

    __slots__ = ("base", "points")

    def __init__(self, base: Scenario, points: Iterable[GridPoint]) -> None:
        self.base = base
        # a product grid's block makes its points when they are read
        self.points = points if isinstance(points, tuple | ProductBlock) else tuple(points)

    def __len__(self) -> int:
        return len(self.points)

    @overload
    def __getitem__(self, index: int) -> Scenario: ...
    @overload
    def __getitem__(self, index: slice) -> GridScenarios: ...
    def __getitem__(self, index: int | slice) -> Scenario | GridScenarios:
        if isinstance(index, slice):
            return GridScenarios(self.base, self.points[index])
        return scenario_for(self.base, self.points[index])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, but not hashable as one

    def __repr__(self) -> str:
        return f"GridScenarios({len(self.points)} points)"


@dataclass(frozen=True)
class GridResult:
    """Metrics of every class under every scenario: arrays (n_scenarios, n_classes)."""

    deal_name: str
    scenarios: Sequence[Scenario]  # a tuple, or GridScenarios built when read
    axes: tuple[dict[str, float | int | str], ...]  # per scenario: cpr, cdr, ... as shown
    class_names: tuple[str, ...]
    metrics: dict[str, F64Array]  # METRIC_COLUMNS -> (n_scenarios, n_classes), NaN = none
    price: float
    prices_by_class: dict[str, float] = field(default_factory=dict)  # overrides of ``price``
    # the same grid with the clean-up call the other way ("to_call" or "to_maturity")
    other_horizon: str = ""
    other_metrics: dict[str, F64Array] = field(default_factory=dict)

    def frame(self) -> Any:
        """The rows as a pandas DataFrame, one row per scenario and class, with the columns
        of ``waterfall grid --out FILE.csv`` (NaN where a measure is not defined).

        Needs pandas (``pip install 'rmbs-waterfall[pandas]'``).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "GridResult.frame() needs pandas: pip install 'rmbs-waterfall[pandas]'"
            ) from None
        rows = self.rows()
        return pd.DataFrame(rows, columns=list(rows[0]) if rows else None)

    def rows(self) -> list[dict[str, Any]]:
        """One row per scenario and class, NaN as None, in scenario-then-class order."""
        out = []
        for s, axes in enumerate(self.axes):
            for c, name in enumerate(self.class_names):
                row: dict[str, Any] = {**axes, "class": name}
                for metric in METRIC_COLUMNS:
                    value = float(self.metrics[metric][s, c])
                    if math.isnan(value):
                        row[metric] = None
                    elif metric.endswith("_month"):
                        row[metric] = int(value)
                    elif metric == "writedown":
                        row[metric] = round(value, 2) + 0.0  # dollars, to the cent
                    else:
                        row[metric] = value
                for metric in OTHER_HORIZON_METRICS if self.other_horizon else ():
                    value = float(self.other_metrics[metric][s, c])
                    row[f"{metric}_{self.other_horizon}"] = None if math.isnan(value) else value
                out.append(row)
        return out

    def values(self, metric: str) -> F64Array:
        """The (n_scenarios, n_classes) values of a column: a metric (``METRIC_COLUMNS``) or
        the other horizon's (``yield_to_call``). KeyError naming what this grid has when it
        does not carry the column."""
        measure, horizon = measured_metric(metric)
        if not horizon and measure in self.metrics:
            return self.metrics[measure]
        if horizon and horizon == self.other_horizon and measure in self.other_metrics:
            return self.other_metrics[measure]
        carried = [*self.metrics, *(f"{m}_{self.other_horizon}" for m in self.other_metrics)]
        raise KeyError(f"{metric}: this grid has {', '.join(carried)}")

    def with_other_horizon(self, other: GridResult, horizon: str) -> GridResult:
        """This grid with ``other``'s yield, margin and WAL beside it: the same points with
        the clean-up call the other way, ``horizon`` "to_call" or "to_maturity"."""
        return dataclasses.replace(self, other_horizon=horizon, other_metrics=other.metrics)


def other_horizon(deal: Deal, base: Scenario) -> tuple[Scenario, str] | None:
    """The base scenario with the clean-up call the other way, and the label of that horizon
    ("to_call" or "to_maturity"); None for a deal without a call."""
    if deal.clean_up_call.share_of_cutoff <= 0.0:
        return None
    called = (
        deal.clean_up_call.is_exercised
        if base.is_call_exercised is None
        else base.is_call_exercised
    )
    other = dataclasses.replace(base, is_call_exercised=not called)
    return other, "to_maturity" if called else "to_call"


class _Prepared(NamedTuple):
    compiled: CompiledDeal
    tables: ScenarioTables
    rows: ScenarioRows
    classes: tuple[int, ...]
    prices: tuple[float, ...]
    other_horizon: str  # "to_call" or "to_maturity" when measured too, else ""
    other_terms: DealTerms  # the base's terms with the call the other way (else the base's)


def _prepare(
    deal: Deal,
    base: Scenario,
    points: Iterable[GridPoint],
    by_class: Mapping[str, float] | None = None,
    price: float = 100.0,
    with_other_horizon: bool = False,
) -> _Prepared:
    """Curve tables (each distinct curve once) and every point's row numbers into them.

    ``points`` is read once, so a generator keeps a million points out of memory. A point's
    value is turned into its scenario's curve once per distinct value, not once per point.
    ``with_other_horizon`` measures the clean-up call the other way too (a deal with a call).
    """
    compiled = compile_deal(deal, base)
    other = other_horizon(deal, base) if with_other_horizon else None
    other_terms = compile_deal(deal, other[0]).terms if other else compiled.terms
    n_months, groups = compiled.n_months, deal.groups
    keys: dict[str, dict[Any, int]] = {name: {} for name in ScenarioRows._fields}

    def row(table: str, key: Any) -> int:
        return keys[table].setdefault(key, len(keys[table]))

    # the row of each distinct value of a point's field: the rows of scenario_for's curves
    prepayment = _RowOf(lambda cpr: row("prepayment", _curve(base.prepayment, "cpr", cpr)))
    default = _RowOf(
        lambda key: row("default", (_curve(base.default, "cdr", key[0]), _lag(base, key[1])))
    )
    severity = _RowOf(lambda sev: row("severity", _curve(base.severity, "severity", sev)))
    lag = _RowOf(lambda months: row("lag", _lag(base, months)))
    libor = _RowOf(lambda rate: row("index_row", _libor(base, rate)))
    if isinstance(points, GridProduct):
        columns = _product_rows(points.columns, prepayment, default, severity, lag, libor)
    else:
        indices = array.array("q")
        for p in points:
            indices.extend(
                (
                    prepayment[p.cpr],
                    default[p.cdr, p.lag],
                    severity[p.severity],
                    lag[p.lag],
                    libor[p.libor],
                )
            )
        columns = list(np.frombuffer(indices, dtype=np.int64).reshape(-1, 5).T)

    def rates(**changes: Any):  # type: ignore[no-untyped-def]
        return monthly_rates(dataclasses.replace(base, **changes), groups, n_months)

    lag_rates = [rates(recovery_lag_months=lag) for lag in keys["lag"]]
    tables = ScenarioTables(
        smm=np.stack([rates(prepayment=c).smm for c in keys["prepayment"]]),
        mdr=np.stack(
            [rates(default=c, recovery_lag_months=lag).mdr for c, lag in keys["default"]]
        ),
        severity=np.stack([rates(severity=c).severity for c in keys["severity"]]),
        seed=np.stack([r.seed_liquidation for r in lag_rates]),
        start_balance=np.stack([start_balance(compiled.collateral) for _ in lag_rates]),
        lag=np.array(list(keys["lag"]), dtype=np.int64),
        index_rate=np.stack(
            [
                index_rates(deal, dataclasses.replace(base, libor=c), n_months)
                for c in keys["index_row"]
            ]
        ),
    )
    rows = ScenarioRows(*(np.ascontiguousarray(c) for c in columns))
    classes = measured_classes(deal, by_class or {})
    prices = class_prices(deal, classes, price, by_class or {})
    horizon = other[1] if other else ""
    return _Prepared(compiled, tables, rows, classes, prices, horizon, other_terms)


def _product_rows(
    columns: tuple[tuple[Any, ...], ...],
    prepayment: _RowOf,
    default: _RowOf,
    severity: _RowOf,
    lag: _RowOf,
    libor: _RowOf,
) -> list[I64Array]:
    """The five row numbers of every point of a product grid (``GridProduct``), from its
    columns: each value resolved once, in the order the points first show it (so the
    tables' rows are numbered as ``_prepare``'s loop over the points numbers them), then
    spread over the points in ``itertools.product`` order. A million points took 0.6 s
    one by one."""
    cprs, cdrs, severities, lags, libors = columns
    shape = (len(cprs), len(cdrs), len(severities), len(lags), len(libors))
    by_cpr = np.array([prepayment[value] for value in cprs], dtype=np.int64)
    # the default row is one per default curve and lag: in product order, lags vary faster
    by_default = np.array(
        [default[cdr, months] for cdr in cdrs for months in lags], dtype=np.int64
    ).reshape(len(cdrs), len(lags))
    by_severity = np.array([severity[value] for value in severities], dtype=np.int64)
    by_lag = np.array([lag[months] for months in lags], dtype=np.int64)
    by_libor = np.array([libor[value] for value in libors], dtype=np.int64)
    spread = [
        by_cpr[:, None, None, None, None],
        by_default[None, :, None, :, None],
        by_severity[None, None, :, None, None],
        by_lag[None, None, None, :, None],
        by_libor[None, None, None, None, :],
    ]
    return [np.broadcast_to(values, shape).ravel() for values in spread]


class _RowOf(dict[Any, int]):
    """Row numbers by a point's value, each distinct value resolved once by ``resolve``.

    Equal values share a row, as the equal curves they give do in ``_prepare``'s tables.
    """

    def __init__(self, resolve: Callable[[Any], int]) -> None:
        super().__init__()
        self.resolve = resolve

    def __missing__(self, value: Any) -> int:
        row = self[value] = self.resolve(value)
        return row


def _slabs(template: tuple[Any, ...], kind: type, n_slabs: int) -> Any:
    return kind(
        *(np.zeros((n_slabs, *np.shape(array)), dtype=np.result_type(array)) for array in template)
    )


def _stride(*templates: tuple[Any, ...]) -> int:
    smallest = min(np.size(a) for t in templates for a in t if np.size(a) > 0)
    return 1 + -(-CACHE_LINE_DOUBLES // smallest)


class _BlockRunner:
    """Runs a grid's blocks, one after another, on this machine's threads.

    The scratch slabs, the deal's inputs and the worker threads are made once for every
    block: a block allocates only its results. Use as a context manager (it owns threads).
    """

    def __init__(self, prep: _Prepared, deal: Deal, base: Scenario) -> None:
        compiled = prep.compiled
        n_months, n_groups = compiled.n_months, len(deal.groups)
        self.n_threads = max(1, thread_count())
        collateral = CollateralOut(
            *(np.zeros((n_months, n_groups)) for _ in CollateralOut._fields)
        )
        month_template = (
            *(np.zeros((n_months, n_groups)) for _ in range(3)),
            np.zeros((n_months + 1, n_groups)),
            *(np.zeros(n_months) for _ in range(4)),
        )
        payments = allocate_payments(n_months, len(deal.tranches), len(deal.fees))
        work = allocate_workspace(len(deal.tranches), n_groups, len(deal.fees))
        n_classes = len(prep.classes)
        flows = (
            np.zeros(n_months),
            np.zeros(n_months),
            np.zeros(n_classes, dtype=np.int64),
            np.zeros(n_classes),
        )
        self.stride = _stride(collateral, month_template, payments, work, flows)
        n_slabs = self.n_threads * self.stride
        shared = DealInputs(
            performing_balance=compiled.collateral.performing_balance,
            pipeline_balance=compiled.collateral.pipeline_balance,
            monthly_rate=compiled.collateral.monthly_rate,
            schedule=compiled.collateral.schedule,
            act_360_fraction=compiled.calendar.act_360_fraction,
            distribution_number=compiled.calendar.distribution_number,
            cumulative_loss_limit=compiled.cumulative_loss_limit,
            penalty_share=compiled.penalty_share,
            is_advancing=base.is_advancing,
            note_rate=compiled.note_rate,
            cap_contract_notional=compiled.cap_contract_notional,
            days_lost_on_prepayment=compiled.shortfall.days_lost_on_prepayment,
            relief_act_share=compiled.shortfall.relief_act_share,
        )
        self.prep = prep
        self.n_tranches = len(deal.tranches)
        self.deal_arguments: tuple[Any, ...] = (
            shared,
            compiled.program,
            compiled.tranches,
            compiled.fees,
            compiled.terms,
            prep.other_terms,
            _slabs(collateral, CollateralOut, n_slabs),
            # the prepayment, default and lag rows whose balances a slab's collateral holds
            # (none yet); a row of 64 bytes a slab
            np.full((n_slabs, CACHE_LINE_DOUBLES), -1, dtype=np.int64),
            _slabs(month_template, ThreadMonths, n_slabs),
            _slabs(payments, PaymentsOut, n_slabs),
            _slabs(work, Workspace, n_slabs),
            _slabs(work, Workspace, n_slabs),
            measure_inputs(deal, compiled, prep.classes, prep.prices),
            _slabs(flows, ThreadFlows, n_slabs),
        )
        self.pool = ThreadPoolExecutor(self.n_threads) if self.n_threads > 1 else None

    def __enter__(self) -> _BlockRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, block: slice) -> GridOut:
        """The block's results; every thread runs its scenarios until none is left."""
        prep = self.prep
        n = block.stop - block.start
        n_other = n if prep.other_horizon else 0
        out = GridOut(
            measures=np.zeros((n, len(prep.classes), N_FLOW_MEASURES)),
            other_measures=np.zeros((n_other, len(prep.classes), N_FLOW_MEASURES)),
            writedown=np.zeros((n, self.n_tranches)),
            ending_balance=np.zeros((n, self.n_tranches)),
            pool_end=np.zeros(n),
            collateral_loss=np.zeros(n),
        )
        rows = ScenarioRows(*(column[block] for column in prep.rows))
        arguments = (prep.tables, rows, *self.deal_arguments, out)
        next_scenario = np.zeros(1, dtype=np.int64)  # the threads take scenarios from it
        n_threads = min(self.n_threads, n)
        if self.pool is None or n_threads == 1:
            run_range(next_scenario, n, 0, *arguments)
        else:
            shares = [
                self.pool.submit(run_range, next_scenario, n, t * self.stride, *arguments)
                for t in range(n_threads)
            ]
            for done in shares:
                done.result()
        return out


def _run_block(prep: _Prepared, deal: Deal, base: Scenario, block: slice) -> GridOut:
    """One block's results (the benchmarks time this: the compiled scenario loop alone)."""
    with _BlockRunner(prep, deal, base) as runner:
        return runner.run(block)


def _block_outs(runner: _BlockRunner, blocks: list[slice]) -> Generator[GridOut, None, None]:
    """Each block's results in order.

    With more than one thread the blocks run back to back on a thread of their own while
    the caller writes the rows of the one before (the kernel releases the GIL); at most two
    finished blocks wait for the caller (one queued, one about to be). Closing this
    generator (the caller's Ctrl-C) stops that thread after the block it is running. On one
    thread, one thing at a time.
    """
    if runner.n_threads == 1:
        for block in blocks:
            yield runner.run(block)
        return
    run = runner.run
    finished: queue.Queue[GridOut | BaseException] = queue.Queue(maxsize=1)
    stopping = threading.Event()

    def produce() -> None:
        for block in blocks:
            if stopping.is_set():
                return
            result: GridOut | BaseException
            try:
                result = run(block)
            except BaseException as error:  # handed to the caller, raised there
                result = error
            while not stopping.is_set():
                try:
                    finished.put(result, timeout=0.05)
                    break
                except queue.Full:
                    continue
            if isinstance(result, BaseException):
                return

    producer = threading.Thread(target=produce, name="waterfall-grid-blocks", daemon=True)
    producer.start()
    try:
        for _ in blocks:
            result = finished.get()
            if isinstance(result, BaseException):
                raise result
            yield result
    finally:
        stopping.set()
        producer.join()


def grid_blocks(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    price: float = 100.0,
    *,
    by_class: Mapping[str, float] | None = None,
    block_size: int = BLOCK_SIZE,
    first_block: int = 0,
    with_other_horizon: bool = False,
) -> Generator[GridResult, None, None]:
    """Run the points block by block, from block ``first_block``; yield each block's result.

    Memory follows the block, not the grid: the curve tables hold each distinct curve once,
    the kernel keeps per-scenario summaries, and a block's scenarios are built when it runs.
    ``by_class`` prices single classes, and adds the IO strips it names (per 100 of their
    notional) to the measured classes. ``with_other_horizon`` adds, for a deal with a
    clean-up call, ``OTHER_HORIZON_METRICS`` with the call the other way (from the same
    projection: see ``kernels.grid._run_one``).
    """
    by_class = dict(by_class or {})
    prep = _prepare(
        deal,
        base,
        points,
        by_class,
        price,
        with_other_horizon=with_other_horizon,
    )
    names = tuple(deal.tranches[i].name for i in prep.classes)
    blocks = [
        slice(start, min(start + block_size, len(points)))
        for start in range(first_block * block_size, len(points), block_size)
    ]
    with (
        _BlockRunner(prep, deal, base) as runner,
        closing(_block_outs(runner, blocks)) as outs,
    ):
        yield from _block_results(prep, deal, base, points, blocks, names, price, by_class, outs)


def _block_points_and_axes(
    deal: Deal, base: Scenario, points: Sequence[GridPoint]
) -> Callable[[slice], tuple[Sequence[GridPoint], tuple[dict[str, float | int | str], ...]]]:
    """A block's points and axis dicts; of a product grid, without making the points (a
    ``ProductBlock`` makes them if the block's scenarios are read)."""
    if isinstance(points, GridProduct):
        grid, by_column = points, product_axes(deal, base, points)
        return lambda block: (
            grid.block(block.start, block.stop),
            by_column(block.start, block.stop),
        )
    axes = point_axes(deal, base)

    def of_points(
        block: slice,
    ) -> tuple[Sequence[GridPoint], tuple[dict[str, float | int | str], ...]]:
        block_points = points[block]
        return block_points, tuple(map(axes, block_points))

    return of_points


def _block_results(
    prep: _Prepared,
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    blocks: list[slice],
    names: tuple[str, ...],
    price: float,
    by_class: dict[str, float],
    outs: Iterator[GridOut],
) -> Iterator[GridResult]:
    points_and_axes = _block_points_and_axes(deal, base, points)
    for block, out in zip(blocks, outs, strict=True):
        block_points, block_axes = points_and_axes(block)
        losses = principal_losses(out.writedown, out.ending_balance, out.pool_end)
        other_metrics = (
            measured_metrics(
                prep.compiled, prep.classes, out.other_measures, losses, out.collateral_loss
            )
            if prep.other_horizon
            else {}
        )
        yield GridResult(
            deal_name=deal.name,
            scenarios=GridScenarios(base, block_points),
            axes=block_axes,
            class_names=names,
            metrics=measured_metrics(
                prep.compiled, prep.classes, out.measures, losses, out.collateral_loss
            ),
            price=price,
            prices_by_class=by_class,
            other_horizon=prep.other_horizon,
            other_metrics={m: other_metrics[m] for m in OTHER_HORIZON_METRICS if other_metrics},
        )


def run_grid(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    price: float = 100.0,
    *,
    by_class: Mapping[str, float] | None = None,
    block_size: int = BLOCK_SIZE,
    progress: Callable[[int, int], None] | None = None,
    with_other_horizon: bool = False,
) -> GridResult:
    """Run every point on this machine's threads; ``progress(done, total)`` after a block.

    ``by_class`` prices single classes, and adds the IO strips it names (per 100 of their
    notional) to the measured classes. ``with_other_horizon``: see ``grid_blocks``.
    """
    parts = []
    done = 0
    blocks = grid_blocks(
        deal,
        base,
        points,
        price,
        by_class=by_class,
        block_size=block_size,
        with_other_horizon=with_other_horizon,
    )
    # closed here, not when collected: an exception kept with its traceback (an
    # interactive session keeps the last) would keep the block threads waiting
    with closing(blocks):
        for part in blocks:
            parts.append(part)
            done += len(part.axes)
            if progress is not None:
                progress(done, len(points))
    if parts:
        return concatenate(parts)
    classes = measured_classes(deal, by_class or {})
    other = other_horizon(deal, base) if with_other_horizon else None
    return GridResult(
        deal_name=deal.name,
        scenarios=(),
        axes=(),
        class_names=tuple(deal.tranches[i].name for i in classes),
        metrics={name: np.zeros((0, len(classes))) for name in METRIC_COLUMNS},
        price=price,
        prices_by_class=dict(by_class or {}),
        other_horizon=other[1] if other else "",
        other_metrics={m: np.zeros((0, len(classes))) for m in OTHER_HORIZON_METRICS if other},
    )


def concatenate(parts: Sequence[GridResult]) -> GridResult:
    """Join grid results of consecutive blocks of one grid (e.g. from a cluster)."""
    first = parts[0]
    return GridResult(
        deal_name=first.deal_name,
        scenarios=_joined([part.scenarios for part in parts]),
        axes=tuple(a for part in parts for a in part.axes),
        class_names=first.class_names,
        metrics={
            name: np.concatenate([part.metrics[name] for part in parts]) for name in METRIC_COLUMNS
        },
        price=first.price,
        prices_by_class=first.prices_by_class,
        other_horizon=first.other_horizon,
        other_metrics={
            name: np.concatenate([part.other_metrics[name] for part in parts])
            for name in first.other_metrics
        },
    )


def _joined(parts: list[Sequence[Scenario]]) -> Sequence[Scenario]:
    """Blocks' scenarios one after another, still built only when read where they were."""
    lazy = [part for part in parts if isinstance(part, GridScenarios)]
    if lazy and len(lazy) == len(parts) and all(part.base == lazy[0].base for part in lazy):
        return GridScenarios(lazy[0].base, [point for part in lazy for point in part.points])
    return tuple(scenario for part in parts for scenario in part)


__all__ = [
    "AXES",
    "METRIC_COLUMNS",
    "GridResult",
    "GridScenarios",
    "concatenate",
    "grid_blocks",
    "run_grid",
    "scenario_for",
]
