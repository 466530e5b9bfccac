"""A grid's CSV streams block by block; Ctrl-C leaves the blocks done and a checkpoint, and
``--resume`` finishes the file to the bytes of an uninterrupted run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import waterfall.report.stream as stream
from waterfall import load_deal
from waterfall.cli import EXIT_INTERRUPTED, _Progress, main
from waterfall.grid.run import GridResult, grid_blocks, other_horizon, run_grid
from waterfall.grid.spec import GridProduct, load_grid
from waterfall.report.grid import grid_csv
from waterfall.scenario import load_scenario

ROOT = Path(__file__).parents[2]
DEAL_FILE = ROOT / "deals" / "2002-HE1.yaml"
IS_COMPILED = os.environ.get("NUMBA_DISABLE_JIT") != "1"
GRID_TEXT = (
    "name: streamed\ncpr: [10, 30, 50]\ncdr: [0, 6]\n"
    if IS_COMPILED
    else "name: s\ncpr: [10, 30, 50]\n"
)
BLOCK = "2" if IS_COMPILED else "1"


def _grid(tmp_path: Path) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(GRID_TEXT)
    return path


def _command(tmp_path: Path, out: Path, *extra: str) -> list[str]:
    return ["grid", str(DEAL_FILE), "--scenarios", str(_grid(tmp_path)), "--out", str(out),
            "--block-size", BLOCK, *extra]  # fmt: skip


def test_the_streamed_csv_is_the_in_memory_csv_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    assert main(_command(tmp_path, out)) == 0
    deal = load_deal(DEAL_FILE)
    spec = load_grid(_grid(tmp_path))
    base = load_scenario(deal.default_scenario)
    whole = run_grid(deal, base, spec.points, spec.price)
    other = other_horizon(deal, base)  # 2002-HE1 has a call: the to-call columns too
    assert other is not None
    whole = whole.with_other_horizon(run_grid(deal, other[0], spec.points, spec.price), other[1])
    assert out.read_bytes() == grid_csv(whole).encode()
    assert not stream.partial_path(out).exists()
    assert not stream.checkpoint_path(out).exists()


def _interrupt_after(blocks: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = grid_blocks

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[GridResult]:
        # closed as it is left, as a caller must (or its block thread waits for collection)
        with closing(real(*args, **kwargs)) as parts:
            for done, part in enumerate(parts):
                if done == blocks:
                    raise KeyboardInterrupt
                yield part

    monkeypatch.setattr(stream, "grid_blocks", interrupted)


def test_ctrl_c_leaves_the_blocks_done_and_resume_finishes_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.csv"
    assert main(_command(tmp_path, whole)) == 0
    out = tmp_path / "grid.csv"
    _interrupt_after(1, monkeypatch)
    assert main(_command(tmp_path, out)) == EXIT_INTERRUPTED
    assert "--resume" in capsys.readouterr().err
    assert not out.exists()  # never a half-written output
    partial = stream.partial_path(out).read_text().splitlines()
    expected = whole.read_text().splitlines()
    rows_a_block = (len(expected) - 1) // (len(load_grid(_grid(tmp_path)).points) // int(BLOCK))
    assert partial == expected[: 1 + rows_a_block]  # the header and one whole block
    assert json.loads(stream.checkpoint_path(out).read_text())["blocks_done"] == 1
    # interrupted again on resuming: the second block is kept, nothing is duplicated
    _interrupt_after(1, monkeypatch)
    assert main([*_command(tmp_path, out), "--resume"]) == EXIT_INTERRUPTED
    assert stream.partial_path(out).read_text().splitlines() == expected[: 1 + 2 * rows_a_block]
    monkeypatch.undo()
    assert main([*_command(tmp_path, out), "--resume"]) == 0
    assert out.read_bytes() == whole.read_bytes()
    assert not stream.partial_path(out).exists()
    assert not stream.checkpoint_path(out).exists()


def test_a_small_grid_is_formatted_in_python_until_the_text_kernel_is_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written_by: list[str] = []
    compiled_lines, python_lines = stream._compiled_lines, stream._python_lines

    def by_kernel(*args: Any) -> bytes | None:
        written_by.append("kernel")
        return compiled_lines(*args)

    def by_python(*args: Any) -> str:
        written_by.append("python")
        return python_lines(*args)

    monkeypatch.setattr(stream, "_compiled_lines", by_kernel)
    monkeypatch.setattr(stream, "_python_lines", by_python)
    monkeypatch.setattr(stream, "needs_compiling", lambda *kernels: True)  # an empty cache
    in_python = tmp_path / "python.csv"
    assert main(_command(tmp_path, in_python)) == 0
    assert set(written_by) == {"python"}
    written_by.clear()
    monkeypatch.setattr(stream, "COMPILED_TEXT_FROM", 1)  # a grid that pays for the compile
    assert main(_command(tmp_path, tmp_path / "large.csv")) == 0
    assert set(written_by) == {"kernel"}
    written_by.clear()
    monkeypatch.setattr(stream, "COMPILED_TEXT_FROM", 10**9)
    monkeypatch.setattr(stream, "needs_compiling", lambda *kernels: False)  # cached
    assert main(_command(tmp_path, tmp_path / "cached.csv")) == 0
    assert set(written_by) == {"kernel"}
    assert (tmp_path / "large.csv").read_bytes() == in_python.read_bytes()
    assert (tmp_path / "cached.csv").read_bytes() == in_python.read_bytes()


def test_resume_without_a_checkpoint_or_of_another_grid_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "grid.csv"
    assert main([*_command(tmp_path, out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no unfinished grid" in err
    _interrupt_after(1, monkeypatch)
    assert main(_command(tmp_path, out)) == EXIT_INTERRUPTED
    monkeypatch.undo()
    capsys.readouterr()
    assert main([*_command(tmp_path, out), "--resume", "--trigger", "failing"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "from another grid" in err
    assert not out.exists()
    assert main([*_command(tmp_path, tmp_path / "grid.json"), "--resume"]) == 2


def test_progress_off_a_terminal_is_a_line_with_rate_and_time_left(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    progress = _Progress(False)
    progress(1, 4)
    assert capsys.readouterr().err == ""  # not before LOG_SECONDS
    monkeypatch.setattr(_Progress, "LOG_SECONDS", 0.0)
    progress(2, 4)
    line = capsys.readouterr().err
    assert line.startswith("waterfall grid: 2/4 scenarios, ")
    assert "a second" in line
    assert line.endswith(" s left\n")
    _Progress(False, is_logged=False)(3, 4)  # a grid of one block says nothing
    assert capsys.readouterr().err == ""


def test_parquet_streams_by_block_and_an_interrupt_leaves_a_readable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "grid.parquet"
    assert main(_command(tmp_path, out)) == 0
    deal = load_deal(DEAL_FILE)
    spec = load_grid(_grid(tmp_path))
    base = load_scenario(deal.default_scenario)
    other = other_horizon(deal, base)
    assert other is not None
    expected = (
        run_grid(deal, base, spec.points)
        .with_other_horizon(run_grid(deal, other[0], spec.points), other[1])
        .rows()
    )
    assert pq.read_table(out).to_pylist() == expected
    assert pq.ParquetFile(out).num_row_groups == len(spec.points) // int(BLOCK)
    broken = tmp_path / "broken.parquet"
    _interrupt_after(1, monkeypatch)
    assert main(_command(tmp_path, broken)) == EXIT_INTERRUPTED
    assert "blocks done" in capsys.readouterr().err
    assert not broken.exists()
    rows_a_block = len(expected) // (len(spec.points) // int(BLOCK))
    assert pq.read_table(stream.partial_path(broken)).to_pylist() == expected[:rows_a_block]


def test_a_product_grids_fingerprint_is_that_of_its_points_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # built from each column value's repr once, it must hash the same bytes as the points'
    # reprs one by one (the definition, and what a plain sequence of points gets)
    path = tmp_path / "mixed.yaml"
    path.write_text(
        'cpr: [8, "x1.5", {group_1: 40, group_2: "10 5R 20"}, "4 11R 27"]\n'
        'cdr: [0, 7.5]\nseverity: [35]\nlag: [6, 12]\nlibor: [1.8, "1.8 24R 4.5"]\n'
    )
    deal = load_deal(DEAL_FILE)
    base = load_scenario(deal.default_scenario)
    points = load_grid(path).points
    assert isinstance(points, GridProduct)
    fingerprint = stream.grid_fingerprint(deal, base, points, 100.0, {}, 7)
    assert fingerprint == stream.grid_fingerprint(deal, base, tuple(points), 100.0, {}, 7)
    assert fingerprint != stream.grid_fingerprint(deal, base, points[::-1], 100.0, {}, 7)
    empty = GridProduct(((8.0,), (), (35.0,), (6,), (1.8,)))  # a grid of no points
    assert stream.grid_fingerprint(deal, base, empty, 100.0, {}, 7) == stream.grid_fingerprint(
        deal, base, (), 100.0, {}, 7
    )
    monkeypatch.setattr(stream, "FINGERPRINT_RUN", 5)  # 32 points: runs of 5, the last of 2
    assert stream.grid_fingerprint(deal, base, points, 100.0, {}, 7) == stream.grid_fingerprint(
        deal, base, tuple(points), 100.0, {}, 7
    )


def test_a_product_grid_streams_without_making_its_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # its axes come from the columns (the Parquet schema's text axes too), its fingerprint
    # from the columns' texts, its blocks' axis cells from product_axes
    from waterfall.grid import spec

    made: list[object] = []

    def counted(*values: object) -> Any:
        made.append(values)
        return spec.GridPoint(*values)  # type: ignore[arg-type]

    deal = load_deal(DEAL_FILE)
    base = load_scenario(deal.default_scenario)
    points = GridProduct(((10.0, 30.0), (0.0, 6.0), (35.0,), (12,), (1.8,)))
    stream.stream_grid_csv(deal, base, tuple(points), tmp_path / "points.csv", block_size=3)
    monkeypatch.setattr(spec, "GridPoint", counted)  # what a GridProduct makes points with
    stream.stream_grid_csv(deal, base, points, tmp_path / "g.csv", block_size=3)
    stream.stream_grid_parquet(deal, base, points, tmp_path / "g.parquet", block_size=3)
    assert not made
    assert (tmp_path / "g.csv").read_bytes() == (tmp_path / "points.csv").read_bytes()
