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
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from waterfall.deal.model import Deal
from waterfall.grid.run import (
    METRIC_COLUMNS,
    OTHER_HORIZON_METRICS,
    GridResult,
    describe,
    grid_blocks,
    other_horizon,
)
from waterfall.grid.spec import GridPoint
from waterfall.report.grid import COLUMNS, _cell, columns
from waterfall.scenario.model import Scenario

CHECKPOINT_VERSION = 1


class ResumeError(ValueError):
    """A checkpoint that is missing, unreadable or from another grid: one line to show."""


def partial_path(path: Path) -> Path:
    """Where the rows of an unfinished grid are written."""
    return path.with_name(path.name + ".partial")


def checkpoint_path(path: Path) -> Path:
    """Where the progress of an unfinished grid is recorded."""
    return path.with_name(path.name + ".checkpoint")


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
    for point in points:
        digest.update(
            repr((point.cpr, point.cdr, point.severity, point.lag, point.libor)).encode()
        )
    return digest.hexdigest()


def csv_rows(part: GridResult, *, header: bool) -> str:
    """The CSV text of one block: ``report.grid.grid_csv``' lines for its rows, byte for byte.

    Written cell by cell from the metric arrays rather than through ``GridResult.rows()``
    dicts (the rows are most of a large grid's time on one core); the axes and class cells,
    which may be text, go through the csv module once a scenario.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns(part))
    lines = [buffer.getvalue()] if header else []
    names = [_csv_line([name]) for name in part.class_names]
    kinds = [
        (_MONTH if metric.endswith("_month") else _DOLLARS if metric == "writedown" else _VALUE)
        for metric in METRIC_COLUMNS
    ]
    values = [part.metrics[metric].tolist() for metric in METRIC_COLUMNS] if part.axes else []
    others = (
        [part.other_metrics[metric].tolist() for metric in OTHER_HORIZON_METRICS]
        if part.axes and part.other_horizon
        else []
    )
    axes_names = COLUMNS[: COLUMNS.index("class")]
    pool_loss = METRIC_COLUMNS.index("cumulative_loss_pct")  # one value for every class
    for s, axes in enumerate(part.axes):
        prefix = _csv_line([_cell(axes[a]) for a in axes_names])
        loss = _format(_VALUE, values[pool_loss][s][0]) if names else ""
        for c, name in enumerate(names):
            cells = [
                loss if at == pool_loss else _format(kinds[at], values[at][s][c])
                for at in range(len(kinds))
            ]
            cells += [_format(_VALUE, other[s][c]) for other in others]
            lines.append(f"{prefix},{name},{','.join(cells)}\n")
    return "".join(lines)


_MONTH, _DOLLARS, _VALUE = 0, 1, 2


def _format(kind: int, value: float) -> str:
    if value != value:  # NaN: not defined, an empty cell
        return ""
    if kind == _MONTH:
        return str(int(value))
    if kind == _DOLLARS:
        if value == 0.0:
            return "0.0"  # most classes lose nothing; either zero prints so
        return repr(round(round(value, 2) + 0.0, 10))  # to the cent, as GridResult.rows()
    return repr(round(value, 10))


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
    with partial.open("r+b" if resume else "wb") as handle:
        handle.truncate(size)
        handle.seek(size)
        if not resume:
            empty = _empty_like(deal, base, price)
            handle.write(csv_rows(empty, header=True).encode())
            size = handle.tell()
            handle.flush()
            _write_checkpoint(checkpoint, fingerprint, 0, size)
        blocks = first_block
        try:
            for part in _blocks(deal, base, points, price, by_class, block_size, first_block):
                handle.write(csv_rows(part, header=False).encode())
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
) -> Iterator[GridResult]:
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

    text_axes = {
        axis
        for axis, shown in describe(deal, base).items()
        if isinstance(shown, str) and any(getattr(p, axis) is None for p in points)
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
    with pq.ParquetWriter(partial, schema) as writer:
        for part in _blocks(deal, base, points, price, dict(by_class or {}), block_size):
            rows = part.rows()
            table_columns = {
                name: [
                    None
                    if row[name] is None
                    else str(row[name])
                    if name in text_axes
                    else row[name]
                    for row in rows
                ]
                for name in names
            }
            writer.write_table(pa.table(table_columns, schema=schema))
            done += len(part.axes)
            if progress is not None:
                progress(done, total)
    if path.exists():
        os.chmod(partial, path.stat().st_mode & 0o777)
    os.replace(partial, path)


def _parquet_type(column: str) -> Any:
    import pyarrow as pa  # optional extra

    if column == "lag" or column.endswith("_month"):
        return pa.int64()
    return pa.float64()
