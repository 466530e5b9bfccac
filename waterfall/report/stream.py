"""Write a grid's CSV block by block as the blocks finish, with a checkpoint to resume from.

The rows go to ``OUT.partial`` and, after each block, ``OUT.checkpoint`` records how many
blocks and bytes are complete (written through a temporary file, so it is always whole).
At the end the partial file becomes ``OUT`` (a rename: ``OUT`` is never half-written) and
the checkpoint is removed. Interrupted (Ctrl-C), the partial file is cut back to the last
complete block, so it is a valid CSV of the blocks done; ``resume=True`` checks that the
checkpoint belongs to the same grid, cuts the partial file to the checkpoint's size and
runs the remaining blocks, so the finished file has the same bytes as an uninterrupted run.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
from collections.abc import Callable, Generator, Mapping, Sequence
from contextlib import closing
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from waterfall._jit import needs_compiling
from waterfall._types import F64Array, I64Array, U8Array
from waterfall.deal.model import Deal
from waterfall.grid.run import (
    METRIC_COLUMNS,
    OTHER_HORIZON_METRICS,
    GridResult,
    describe,
    grid_blocks,
    other_horizon,
)
from waterfall.grid.spec import AXES, GridPoint, GridProduct, axis_values
from waterfall.kernels import text
from waterfall.report.grid import _cell, columns
from waterfall.scenario.model import Scenario

CHECKPOINT_VERSION = 1

COMPILED_TEXT_FROM = 10_000
"""A grid of this many scenarios or more has its CSV written by ``kernels.text`` even when that
kernel is not compiled yet (an empty kernel cache). Its compile takes 0.55 s, as long as
formatting some 35,000 scenarios in Python; a smaller grid (the first grid a user runs, often
a few hundred scenarios) is formatted in Python until a larger one has compiled the kernel,
which is then cached and loads in milliseconds. The bytes are the same either way."""


class ResumeError(ValueError):
    """A checkpoint that is missing, unreadable or from another grid: one line to show."""


def partial_path(path: Path) -> Path:
    """Where the rows of an unfinished grid are written."""
    return path.with_name(path.name + ".partial")


def checkpoint_path(path: Path) -> Path:
    """Where the progress of an unfinished grid is recorded."""
    return path.with_name(path.name + ".checkpoint")


FINGERPRINT_RUN = 65_536
"""At most this many points of a product grid (or its last axis's, if more) share the text of
their lines' ends in ``grid_fingerprint`` (a few MB of text)."""


def grid_fingerprint(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    price: float,
    by_class: Mapping[str, float],
    block_size: int,
) -> str:
    """A hash of everything that decides the file's bytes (a resumed grid must match it)."""
    digest = hashlib.sha256()
    digest.update(repr((deal, base, price, sorted(by_class.items()), block_size)).encode())
    if isinstance(points, GridProduct):
        # the same bytes from each column value's repr once (a million points' reprs one by
        # one took 1.4 s before the first block), and the lines' ends for the last axes (at
        # most FINGERPRINT_RUN points) once, after each combination of the others (a
        # million lines one by one took 0.33 s)
        texts = [[repr(value) for value in column] for column in points.columns]
        if not all(texts):
            return digest.hexdigest()  # no points
        inner_from, size = len(texts) - 1, len(texts[-1])
        while inner_from > 0 and size * len(texts[inner_from - 1]) <= FINGERPRINT_RUN:
            inner_from -= 1
            size *= len(texts[inner_from])
        ends = [", ".join(values) + ")" for values in product(*texts[inner_from:])]
        for outer in product(*texts[:inner_from]):
            start = "(" + "".join(value + ", " for value in outer)
            digest.update((start + start.join(ends)).encode())
        return digest.hexdigest()
    for point in points:
        digest.update(
            repr((point.cpr, point.cdr, point.severity, point.lag, point.libor)).encode()
        )
    return digest.hexdigest()


def csv_rows(part: GridResult, *, header: bool) -> str:
    """The CSV text of one block: ``report.grid.grid_csv``' lines for its rows, byte for byte
    (``csv_bytes``, decoded)."""
    return csv_bytes(part, header=header).decode()


def csv_bytes(part: GridResult, *, header: bool, compiled: bool = True) -> bytes:
    """The CSV of one block as UTF-8: ``report.grid.grid_csv``' lines for its rows, byte for
    byte.

    Written from the metric arrays rather than through ``GridResult.rows()`` dicts (the rows
    were most of a large grid's Python time). The axes and class cells, which may be text,
    are made in Python once a scenario and once a class (text through the csv module). The
    metric cells (eleven a line with the other horizon's) are written with the lines by the
    compiled ``kernels.text.write_csv_rows``, which releases the GIL: formatting them in
    Python was about 16 us a scenario of the main thread. A block with a value the kernel does not
    write (tiny, huge or infinite: ``repr`` may take an exponent) is formatted in Python, a
    column at a time (``value_texts``, ``dollar_texts``, ``month_texts``), as every block is
    with ``compiled=False`` (see ``COMPILED_TEXT_FROM``).
    """
    head = (_csv_line(list(columns(part))) + "\n").encode() if header else b""
    names = [_csv_line([name]) for name in part.class_names]
    if not part.axes or not names:
        return head
    axes = [_axis_texts([a[axis] for a in part.axes]) for axis in AXES]
    prefixes = list(map(",".join, zip(*axes, strict=True)))
    cells, kinds = _metric_cells(part)
    written = _compiled_lines(prefixes, names, cells, kinds) if compiled else None
    if written is None:
        return head + _python_lines(prefixes, names, cells, kinds).encode()
    return head + written


def _metric_cells(part: GridResult) -> tuple[F64Array, I64Array]:
    """The block's metric cells, one line per scenario and class (n_lines, n_cells), and each
    column's kind (``kernels.text.VALUE``, ``DOLLARS`` or ``MONTH``)."""
    n_classes = len(part.class_names)
    per_column: list[F64Array] = []
    kinds = []
    for metric in METRIC_COLUMNS:
        values = part.metrics[metric]
        if metric == "cumulative_loss_pct":  # one value for every class: the first's
            per_column.append(np.repeat(values[:, 0], n_classes))
        else:
            per_column.append(values.ravel())
        if metric.endswith("_month"):
            kinds.append(text.MONTH)
        elif metric == "writedown":
            kinds.append(text.DOLLARS)
        else:
            kinds.append(text.VALUE)
    if part.other_horizon:
        per_column += [part.other_metrics[m].ravel() for m in OTHER_HORIZON_METRICS]
        kinds += [text.VALUE] * len(OTHER_HORIZON_METRICS)
    return np.stack(per_column, axis=1, dtype=np.float64), np.array(kinds, dtype=np.int64)


def _compiled_lines(
    prefixes: list[str], names: list[str], cells: F64Array, kinds: I64Array
) -> bytes | None:
    """The lines (prefix, name, cells) as ``kernels.text.write_csv_rows`` writes them; None
    when a value needs the Python formatting."""
    if cells.shape != (len(prefixes) * len(names), kinds.shape[0]):
        # the kernel reads without bounds checks: a block that does not add up must not reach it
        raise ValueError(f"{cells.shape} metric cells for {len(prefixes)} x {len(names)} lines")
    prefix_bytes, prefix_bounds = _packed(prefixes)
    name_bytes, name_bounds = _packed(names)
    n_lines, n_cells = cells.shape
    size = (  # every prefix once a class, every name once a scenario, the longest cells
        len(names) * prefix_bytes.size
        + len(prefixes) * name_bytes.size
        + n_lines * (2 + n_cells * (1 + text.MAX_CELL_BYTES))
    )
    out = np.empty(size, dtype=np.uint8)
    written = text.write_csv_rows(
        prefix_bytes, prefix_bounds, name_bytes, name_bounds, cells, kinds, out
    )
    if written == text.OUT_TOO_SMALL:
        raise RuntimeError(f"a grid block's CSV would not fit its {size:,}-byte buffer")
    return None if written == text.NEEDS_PYTHON else out[:written].tobytes()


def _packed(texts: list[str]) -> tuple[U8Array, I64Array]:
    """``texts`` as one UTF-8 buffer, and where each starts (the last bound is the end)."""
    encoded = [t.encode() for t in texts]
    bounds = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=bounds[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), bounds


def _python_lines(prefixes: list[str], names: list[str], cells: F64Array, kinds: I64Array) -> str:
    """The lines as ``_compiled_lines`` writes them, formatted in Python a column at a time:
    for any float."""
    texts_of = {text.VALUE: value_texts, text.DOLLARS: dollar_texts, text.MONTH: month_texts}
    leads = [f"{prefix},{name}" for prefix in prefixes for name in names]
    column_texts = [texts_of[kind](cells[:, at]) for at, kind in enumerate(kinds.tolist())]
    return "\n".join(map(",".join, zip(leads, *column_texts, strict=True))) + "\n"


def value_texts(values: F64Array) -> list[str]:
    """``repr(round(v, 10))`` of each value, NaN as an empty cell (a 1-D array).

    Notes
    -----
    Where ``1e-4 <= |v| < 1e5`` this is ``f"{v:.10f}"`` with its trailing zeros cut (one
    kept after the point). Both ``round`` and ``:.10f`` give D, ``v`` correctly rounded to
    10 places. ``round`` returns the double nearest D and ``repr`` the shortest decimal that
    reads back as that double. Below 1e5, D has at most 15 significant digits, and two
    decimals of at most 15 significant digits never read back as the same double (IEEE
    double's 15-digit round trip), so that shortest decimal is D itself; from 1e-4 up,
    ``repr`` writes it without an exponent. Elsewhere (zero, tiny, large, infinite) each
    value goes through ``repr(round(v, 10))``.
    """
    size = np.abs(values)
    is_plain = (size >= 1e-4) & (size < 1e5)  # False for NaN
    if is_plain.all():
        texts = [f"{v:.10f}".rstrip("0") for v in values.tolist()]
    else:
        cells = np.full(len(values), "", dtype=object)
        cells[is_plain] = [f"{v:.10f}".rstrip("0") for v in values[is_plain].tolist()]
        texts = cells.tolist()
        for at in np.flatnonzero(~is_plain & (values == values)).tolist():
            texts[at] = repr(round(float(values[at]), 10))
    # a value whole to 10 places lost every digit after the point: put one zero back (only
    # values within 1e-9 of a whole number can be; the difference is exact, Sterbenz)
    plain = np.where(is_plain, values, 0.5)
    for at in np.flatnonzero(np.abs(plain - np.rint(plain)) < 1e-9).tolist():
        if texts[at].endswith("."):
            texts[at] += "0"
    return texts


def dollar_texts(values: F64Array) -> list[str]:
    """Dollars to the cent as ``GridResult.rows()`` gives them and ``_cell`` writes them:
    ``repr(round(round(v, 2) + 0.0, 10))``, zero as ``0.0``, NaN as an empty cell.

    Notes
    -----
    Where ``|v| < 1e13`` this is ``f"{v:.2f}"`` with a trailing zero cut, and ``-0.0``
    written ``0.0`` (the ``+ 0.0``). ``round(v, 2)`` is C, the double nearest D2 (``v`` to
    the cent, which ``:.2f`` writes); D2 has at most 15 significant digits, so ``repr(C)``
    is D2 (see ``value_texts``). ``round(C, 10)`` is C again: below 2**19 C is within
    2**-35 of D2, so C to 10 places is D2; from 2**19 on, doubles are more than 1e-10
    apart, so the double nearest C to 10 places is C.
    """
    texts = [s[:-1] if s[-1] == "0" else s for s in [f"{v:.2f}" for v in values.tolist()]]
    is_plain = np.abs(values) < 1e13  # False for NaN
    for at in np.flatnonzero(~is_plain | (np.signbit(values) & (values > -0.01))).tolist():
        value = float(values[at])
        texts[at] = "" if value != value else repr(round(round(value, 2) + 0.0, 10))
    return texts


def month_texts(values: F64Array) -> list[str]:
    """``str(int(v))`` of each month number, NaN as an empty cell."""
    if (np.abs(values) < 2.0**53).all():  # no NaN, and exact as int64
        return list(map(str, values.astype(np.int64).tolist()))
    return ["" if v != v else str(int(v)) for v in values.tolist()]


def _axis_texts(values: list[Any]) -> list[str]:
    """One axis's cells as ``grid_csv`` writes them (text through the csv module).

    Numbers are formatted once per distinct value (a block of a product grid holds a few
    values an axis): 1,024 values of one axis took 317 us, now 120-160 us, about 0.7 s of a
    million-scenario grid's writing thread. Values are told apart by their bits, so -0.0
    keeps its own text."""
    if all(type(value) is float and value == value for value in values):
        bits = np.array(values, dtype=np.float64).view(np.int64)
        distinct, where = np.unique(bits, return_inverse=True)
        texts = value_texts(distinct.view(np.float64))
        return list(map(texts.__getitem__, where.tolist()))
    return [_csv_cell(_cell(value)) for value in values]


@functools.lru_cache(maxsize=4096)
def _csv_cell(text: str) -> str:
    """One cell of a line of several (a lone empty cell would be written as ``""``)."""
    return _csv_line([text]) if text else ""


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _write_checkpoint(path: Path, fingerprint: str, blocks: int, size: int) -> None:
    record = {
        "version": CHECKPOINT_VERSION,
        "grid": fingerprint,
        "blocks_done": blocks,
        "bytes": size,
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _read_checkpoint(path: Path, fingerprint: str) -> tuple[int, int]:
    """(blocks done, bytes) of a checkpoint of this grid."""
    target = checkpoint_path(path)
    if not target.is_file() or not partial_path(path).is_file():
        raise ResumeError(f"--resume: no unfinished grid at '{path}' (no {target.name})")
    try:
        record = json.loads(target.read_text(encoding="utf-8"))
        blocks, size = int(record["blocks_done"]), int(record["bytes"])
        is_same = record["version"] == CHECKPOINT_VERSION and record["grid"] == fingerprint
    except (ValueError, KeyError, TypeError) as error:
        raise ResumeError(f"--resume: '{target}' is not a checkpoint ({error})") from None
    if not is_same:
        raise ResumeError(
            f"--resume: '{target}' is from another grid (deal, scenarios, prices or block "
            "size differ); run without --resume to start over"
        )
    if partial_path(path).stat().st_size < size:
        raise ResumeError(f"--resume: '{partial_path(path)}' is shorter than its checkpoint")
    return blocks, size


def stream_grid_csv(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    path: Path,
    price: float = 100.0,
    *,
    by_class: Mapping[str, float] | None = None,
    block_size: int,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Run the grid and write its CSV to ``path`` block by block (see the module notes).

    Raises
    ------
    ResumeError
        With ``resume``, when there is no checkpoint of this grid next to ``path``.
    """
    by_class = dict(by_class or {})
    fingerprint = grid_fingerprint(deal, base, points, price, by_class, block_size)
    partial, checkpoint = partial_path(path), checkpoint_path(path)
    first_block, size = _read_checkpoint(path, fingerprint) if resume else (0, 0)
    total = len(points)
    is_text_compiled = total >= COMPILED_TEXT_FROM or not needs_compiling(text.write_csv_rows)
    with partial.open("r+b" if resume else "wb") as handle:
        handle.truncate(size)
        handle.seek(size)
        if not resume:
            empty = _empty_like(deal, base, price)
            handle.write(csv_bytes(empty, header=True))
            size = handle.tell()
            handle.flush()
            _write_checkpoint(checkpoint, fingerprint, 0, size)
        blocks = first_block
        parts = _blocks(deal, base, points, price, by_class, block_size, first_block)
        try:
            for part in parts:
                handle.write(csv_bytes(part, header=False, compiled=is_text_compiled))
                handle.flush()
                size = handle.tell()
                blocks += 1
                _write_checkpoint(checkpoint, fingerprint, blocks, size)
                if progress is not None:
                    progress(min(blocks * block_size, total), total)
        except BaseException:
            # a block cut off mid-write is not kept: the file ends with the last whole block
            handle.truncate(size)
            raise
        finally:
            parts.close()  # the block threads stop now, not when the generator is collected
    if path.exists():
        os.chmod(partial, path.stat().st_mode & 0o777)  # a file replaced keeps its permissions
    os.replace(partial, path)
    checkpoint.unlink(missing_ok=True)


def _empty_like(deal: Deal, base: Scenario, price: float) -> GridResult:
    empty = GridResult(deal.name, (), (), (), {}, price)
    other = other_horizon(deal, base)
    return empty.with_other_horizon(empty, other[1]) if other else empty


def _blocks(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    price: float,
    by_class: Mapping[str, float],
    block_size: int,
    first_block: int = 0,
) -> Generator[GridResult, None, None]:
    """The grid's blocks, each with the clean-up call the other way beside it where the deal
    has a call (as the CLI measures a whole grid)."""
    return grid_blocks(
        deal,
        base,
        points,
        price,
        by_class=by_class,
        block_size=block_size,
        first_block=first_block,
        with_other_horizon=True,
    )


def stream_grid_parquet(
    deal: Deal,
    base: Scenario,
    points: Sequence[GridPoint],
    path: Path,
    price: float = 100.0,
    *,
    by_class: Mapping[str, float] | None = None,
    block_size: int,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Run the grid and write its rows to ``path`` as Parquet, one row group a block.

    The rows go to ``OUT.partial``, renamed to ``OUT`` at the end. Interrupted, the partial
    file is closed after the last whole block, so it is a valid Parquet file of the blocks
    done (Parquet cannot be appended to: there is no resume).

    Raises
    ------
    ImportError
        When pyarrow is not installed.
    """
    import pyarrow as pa  # optional extra: imported only when asked for
    import pyarrow.parquet as pq

    # an axis is text where a point shows a curve: a per-group curve, a multiplier or a
    # vector of its own, or the base scenario's curve where a point leaves the axis out
    text_axes = {
        axis
        for axis, shown in describe(deal, base).items()
        if any(
            not isinstance(value, int | float) and (value is not None or isinstance(shown, str))
            for value in axis_values(points, axis)
        )
    }
    names = columns(_empty_like(deal, base, price))
    schema = pa.schema(
        [
            (name, pa.string() if name in text_axes or name == "class" else _parquet_type(name))
            for name in names
        ]
    )
    partial = partial_path(path)
    total = len(points)
    done = 0
    parts = _blocks(deal, base, points, price, dict(by_class or {}), block_size)
    with pq.ParquetWriter(partial, schema) as writer, closing(parts):
        for part in parts:
            writer.write_table(_parquet_table(part, schema, text_axes))
            done += len(part.axes)
            if progress is not None:
                progress(done, total)
    if path.exists():
        os.chmod(partial, path.stat().st_mode & 0o777)
    os.replace(partial, path)


def _parquet_table(part: GridResult, schema: Any, text_axes: set[str]) -> Any:
    """One block's rows as a pyarrow table: ``part.rows()``' values, built a column at a
    time from the metric arrays (a dict per row was about 3 s of a 100,000-scenario grid's
    caller): NaN as null, months as integers, the write-down to the cent."""
    import pyarrow as pa  # optional extra

    n_scenarios, n_classes = len(part.axes), len(part.class_names)
    each_scenario = pa.array(np.repeat(np.arange(n_scenarios), n_classes))
    table: dict[str, Any] = {}
    for axis in AXES:
        values = [a[axis] for a in part.axes]
        if axis in text_axes:
            values = [None if v is None else str(v) for v in values]
        table[axis] = pa.array(values, type=schema.field(axis).type).take(each_scenario)
    table["class"] = pa.array(list(part.class_names) * n_scenarios, type=pa.string())
    for name in columns(part)[len(AXES) + 1 :]:  # the metric columns, after the class
        flat = np.ascontiguousarray(part.values(name), dtype=np.float64).ravel()
        missing = np.isnan(flat)
        if name == "writedown":
            flat = np.array([round(v, 2) + 0.0 for v in flat.tolist()])  # as rows() does
        elif name.endswith("_month"):
            flat = np.where(missing, 0.0, flat).astype(np.int64)
        table[name] = pa.array(flat, mask=missing, type=schema.field(name).type)
    return pa.table(table, schema=schema)


def _parquet_type(column: str) -> Any:
    import pyarrow as pa  # optional extra

    if column == "lag" or column.endswith("_month"):
        return pa.int64()
    return pa.float64()
