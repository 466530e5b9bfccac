"""The streamed grid CSV formats whole columns at once: each cell must be the text the row
by row writer gives (``repr(round(v, 10))``, dollars to the cent, months as whole numbers),
for any float, and a block's text must be ``grid_csv``'s. The compiled writer
(``kernels.text``) must give the same cells where it writes them, and leave every other value
to the Python formatting."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import waterfall.report.stream as stream
from waterfall._types import F64Array
from waterfall.grid.run import METRIC_COLUMNS, OTHER_HORIZON_METRICS, GridResult
from waterfall.kernels import text
from waterfall.report.grid import grid_csv
from waterfall.report.stream import csv_rows, dollar_texts, month_texts, value_texts


def value_cell(value: float) -> str:
    return "" if math.isnan(value) else repr(round(value, 10))


def dollar_cell(value: float) -> str:
    if math.isnan(value):
        return ""
    return repr(round(round(value, 2) + 0.0, 10))


# the edges of the fast paths: 1e-4 and 1e5 (values), 1e13 and 2**19 (dollars), whole
# numbers and halves of the last place kept, either zero, and every float besides
EDGES = [1e-4, 1e5, 1e13, 2.0**19, 0.5e-10, 0.005, 1.0, 99999.99999999995]
near_edges = st.builds(
    lambda edge, sign, steps: sign * edge + steps * math.ulp(edge),
    st.sampled_from(EDGES),
    st.sampled_from([1.0, -1.0]),
    st.integers(-1000, 1000),
)
near_whole = st.builds(
    lambda whole, offset: whole + offset,
    st.integers(-100_000, 100_000),
    st.floats(-2e-10, 2e-10),
)
near_ties = st.builds(  # k + 0.5 units of the 10th (or 2nd) place, give or take ulps
    lambda k, scale, steps: (k + 0.5) * scale + steps * math.ulp((k + 0.5) * scale),
    st.integers(-(10**14), 10**14),
    st.sampled_from([1e-10, 1e-2]),
    st.integers(-3, 3),
)
plain = st.floats(-1e5, 1e5)
large = st.floats(-1e7, 1e7)  # above 1e5 a 10-place value may have a shorter repr
floats = st.one_of(st.floats(), plain, large, near_edges, near_whole, near_ties)


@given(st.lists(floats, max_size=40))
@example([0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1e-4, 1e5, 12.0, 2.5])
@example([12.99999999999, -0.00009999999999, 1e308, 907960.732383858, -755048.078675177])
def test_value_texts_are_repr_of_round_to_10_places(values: list[float]) -> None:
    assert value_texts(np.array(values, dtype=np.float64)) == [value_cell(v) for v in values]


@given(st.lists(plain, max_size=40))
def test_value_texts_of_ordinary_values_are_repr_of_round_to_10_places(
    values: list[float],
) -> None:
    assert value_texts(np.array(values, dtype=np.float64)) == [value_cell(v) for v in values]


@given(st.lists(st.one_of(floats, st.floats(-1e16, 1e16)), max_size=40))
@example([0.0, -0.0, -0.001, -0.005, -0.0051, 0.004, 0.005, 1e13, 9999999999999.99, math.nan])
@example([1042526976921108.8, -541565445381579.8])  # to the cent, a shorter repr
def test_dollar_texts_are_the_cent_as_rows_gives_it(values: list[float]) -> None:
    assert dollar_texts(np.array(values, dtype=np.float64)) == [dollar_cell(v) for v in values]


@given(st.lists(st.one_of(st.integers(-400, 400).map(float), st.floats(-1e20, 1e20)), max_size=40))
@example([0.0, -0.0, 1.5, -1.5, 2.0**53, 2.0**53 + 2, -(2.0**60)])
def test_month_texts_are_whole_numbers(values: list[float]) -> None:
    with_nan = [*values, math.nan]
    assert month_texts(np.array(with_nan)) == [str(int(v)) for v in values] + [""]
    assert month_texts(np.array(values, dtype=np.float64)) == [str(int(v)) for v in values]


# exact ties: halfway between two 10-place decimals is a double only at odd multiples of
# 2**-11 (and between two cents at odd eighths); dyadic values k * 2**-n are exact or near ties
exact_ties = st.builds(lambda k: (2 * k + 1) / 2048, st.integers(-(10**8), 10**8))
exact_cent_ties = st.builds(lambda k: (2 * k + 1) / 8, st.integers(-(10**13), 10**13))
dyadic = st.builds(lambda k, n: k * 2.0**-n, st.integers(-(2**53), 2**53), st.integers(0, 70))
kernel_floats = st.one_of(floats, exact_ties, exact_cent_ties, dyadic)


def is_compiled_value(value: float) -> bool:
    """A value ``kernels.text`` writes (NaN, either zero, 1e-4 <= |v| < 1e5)."""
    return math.isnan(value) or value == 0.0 or 1e-4 <= abs(value) < 1e5


def is_compiled_dollars(value: float) -> bool:
    return math.isnan(value) or abs(value) < 1e13


def is_compiled_month(value: float) -> bool:
    return math.isnan(value) or abs(value) < 2.0**63


def compiled_cells(values: list[float], kind: int) -> list[str] | None:
    """The compiled writer's cells of ``values`` as one column of ``kind`` (lines of an empty
    prefix and an empty class name, as the stream calls it); None when it leaves them to
    Python."""
    cells = np.array(values, dtype=np.float64).reshape(len(values), 1)
    kinds = np.array([kind], dtype=np.int64)
    written = stream._compiled_lines([""] * len(values), [""], cells, kinds)
    if written is None:
        return None
    lines = written.decode().split("\n")
    assert lines.pop() == ""
    assert all(line.startswith(",,") for line in lines)
    return [line[2:] for line in lines]


@given(st.lists(kernel_floats.filter(is_compiled_value), max_size=40))
@example([0.0, -0.0, math.nan, 1e-4, -1e-4, 99999.99999999999, -99999.99999999999, 0.5])
@example([1 / 2048, 3 / 2048, -5 / 2048, 12345 + 1 / 2048, 99999 + 2047 / 2048])
@example([12.99999999999, 0.00049999999999, 1.00000000005, 2.5e-10 + 1.0, 0.1, 1e-4 * 3])
def test_compiled_values_are_repr_of_round_to_10_places(values: list[float]) -> None:
    assert compiled_cells(values, text.VALUE) == [value_cell(v) for v in values]


@given(st.lists(st.one_of(kernel_floats, st.floats(-1e16, 1e16)).filter(is_compiled_dollars)))
@example([0.0, -0.0, -0.001, -0.005, -0.0051, 0.004, 0.005, 9999999999999.99, math.nan])
@example([0.125, 0.375, -0.625, 1.125, 2.0**-10, -(2.0**-10), 2.0**-11, 5e-324, -5e-324])
@example([0.995, 1.005, 2.675, 1e12 + 0.125, -123456789.875, 100.0, 10.5, 0.05])
def test_compiled_dollars_are_the_cent_as_rows_gives_it(values: list[float]) -> None:
    assert compiled_cells(values, text.DOLLARS) == [dollar_cell(v) for v in values]


@given(
    st.lists(st.one_of(st.integers(-400, 400).map(float), kernel_floats).filter(is_compiled_month))
)
@example([0.0, -0.0, 1.5, -1.5, -0.5, 2.0**53, 2.0**53 + 2, -(2.0**62), 2.0**63 - 1024, math.nan])
def test_compiled_months_are_whole_numbers(values: list[float]) -> None:
    assert compiled_cells(values, text.MONTH) == ["" if v != v else str(int(v)) for v in values]


@given(st.sampled_from([text.VALUE, text.DOLLARS, text.MONTH]), st.lists(kernel_floats))
@example(text.VALUE, [1.0, 1e-5, 2.0])
@example(text.VALUE, [1e5, 1.0])
@example(text.VALUE, [1e5, -math.inf, 9.9999e-5, 5e-324])
@example(text.DOLLARS, [1e13, 1.0])
@example(text.MONTH, [math.inf, 1.0])
def test_the_compiled_writer_leaves_only_the_values_it_does_not_write_to_python(
    kind: int, values: list[float]
) -> None:
    is_compiled = {
        text.VALUE: is_compiled_value,
        text.DOLLARS: is_compiled_dollars,
        text.MONTH: is_compiled_month,
    }[kind]
    got = compiled_cells(values, kind)
    assert (got is None) == (not all(map(is_compiled, values)))


def test_the_longest_lines_fit_the_buffer() -> None:
    """The buffer holds every line with cells of MAX_CELL_BYTES: long prefixes and names (in
    UTF-8 bytes, not characters) and the longest cell of each kind come out whole."""
    longest = {
        text.VALUE: -99999.1234567891,
        text.DOLLARS: -1234567890123.45,
        text.MONTH: -(2.0**63) + 1024,
    }
    expected_texts = {
        text.VALUE: "-99999.1234567891",
        text.DOLLARS: "-1234567890123.45",
        text.MONTH: "-9223372036854774784",
    }
    assert max(map(len, expected_texts.values())) == text.MAX_CELL_BYTES
    kinds = [text.VALUE, text.MONTH, text.DOLLARS, text.MONTH] * 3
    prefixes = ["½" * 40, "cpr " * 30, ""]
    names = ["É" * 25, "A-1"]
    cells = np.array([[longest[k] for k in kinds]] * (len(prefixes) * len(names)))
    written = stream._compiled_lines(prefixes, names, cells, np.array(kinds, dtype=np.int64))
    line_cells = ",".join(expected_texts[k] for k in kinds)
    expected = "".join(f"{p},{n},{line_cells}\n" for p in prefixes for n in names)
    assert written == expected.encode()


axis_values = st.one_of(
    st.floats(0.0, 100.0),
    st.sampled_from([-0.0, 1e-5, 1e6, math.nan]),
    st.sampled_from(['cpr "4 11R 27"', "x1.5", "cpr {group_1 60, group_2 10}", "", "½ ramp"]),
)


@given(
    n_scenarios=st.integers(1, 4),
    n_classes=st.integers(1, 4),
    axes=st.data(),
    values=st.lists(
        st.one_of(floats, kernel_floats.filter(is_compiled_value)), min_size=1, max_size=8
    ),
    is_other_horizon=st.booleans(),
)
def test_a_block_is_grid_csv_byte_for_byte(
    n_scenarios: int,
    n_classes: int,
    axes: st.DataObject,
    values: list[float],
    is_other_horizon: bool,
) -> None:
    rng = np.random.default_rng(len(values))

    def metric(kind: str) -> np.ndarray:
        picked = rng.choice(np.array(values), size=(n_scenarios, n_classes))
        if kind.endswith("_month"):
            is_finite = np.isfinite(picked)
            months = np.trunc(np.abs(np.where(is_finite, picked, 0.0)) % 400)
            return np.where(is_finite, months, math.nan)
        if kind == "cumulative_loss_pct":  # the pool's: one value for every class
            return np.repeat(picked[:, :1], n_classes, axis=1)
        return picked

    points = [
        {
            "cpr": axes.draw(axis_values),
            "cdr": axes.draw(axis_values),
            "severity": axes.draw(st.floats(0.0, 100.0)),
            "lag": axes.draw(st.integers(0, 360)),
            "libor": axes.draw(st.floats(0.0, 20.0)),
        }
        for _ in range(n_scenarios)
    ]
    part = GridResult(
        deal_name="deal",
        scenarios=(),
        axes=tuple(points),
        class_names=tuple(["A-1", 'B,"2"', "M 1", "É-4"][:n_classes]),
        metrics={m: metric(m) for m in METRIC_COLUMNS},
        price=100.0,
        other_horizon="to_call" if is_other_horizon else "",
        other_metrics={m: metric(m) for m in OTHER_HORIZON_METRICS} if is_other_horizon else {},
    )
    assert csv_rows(part, header=True) == grid_csv(part)


def _ordinary_block(n_scenarios: int = 3) -> GridResult:
    """A block of values the compiled writer writes (two classes, the to-call columns)."""
    rng = np.random.default_rng(7)

    def metric(name: str) -> F64Array:
        if name.endswith("_month"):
            return rng.integers(1, 360, size=(n_scenarios, 2)).astype(np.float64)
        values = rng.uniform(-200.0, 1e4, size=(n_scenarios, 2))
        values[0, 1] = math.nan  # an undefined measure: an empty cell
        return np.repeat(values[:, :1], 2, axis=1) if name == "cumulative_loss_pct" else values

    return GridResult(
        deal_name="deal",
        scenarios=(),
        axes=tuple(
            {"cpr": 10.0 * s, "cdr": "x1.5", "severity": 35.0, "lag": 12, "libor": 1.8025}
            for s in range(n_scenarios)
        ),
        class_names=("A-1", "M-1"),
        metrics={m: metric(m) for m in METRIC_COLUMNS},
        price=100.0,
        other_horizon="to_call",
        other_metrics={m: metric(m) for m in OTHER_HORIZON_METRICS},
    )


@pytest.mark.parametrize(
    ("table", "metric", "value"),
    [
        ("metrics", "yield", 1e-5),  # repr 1e-05
        ("metrics", "wal_years", 123456.78),  # from 1e5 up, repr may be shorter
        ("metrics", "discount_margin", -math.inf),
        ("metrics", "modified_duration", 5e-324),
        ("metrics", "cumulative_loss_pct", 2.5e-7),
        ("metrics", "writedown", 1042526976921108.8),  # to the cent, a shorter repr
        ("other_metrics", "wal_years", math.inf),
    ],
)
def test_a_block_with_a_value_left_to_python_is_grid_csv_byte_for_byte(
    table: str, metric: str, value: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = _ordinary_block()
    formatted_in_python = []
    python_lines = stream._python_lines

    def spy(*args: Any) -> str:
        formatted_in_python.append(True)
        return python_lines(*args)

    monkeypatch.setattr(stream, "_python_lines", spy)
    assert csv_rows(part, header=True) == grid_csv(part)
    assert not formatted_in_python  # the compiled writer wrote the ordinary block
    getattr(part, table)[metric][1, :] = value
    assert csv_rows(part, header=True) == grid_csv(part)
    assert formatted_in_python == [True]


@given(st.lists(st.one_of(st.sampled_from([0.0, -0.0, 2.5, 1e-5]), floats), max_size=60))
@example([0.0, -0.0, 0.0, -0.0])
@example([math.nan, 2.5, math.nan])
def test_an_axis_is_formatted_as_each_value_alone(values: list[float]) -> None:
    # each distinct value is formatted once (stream._axis_texts); a block holding a NaN (no
    # grid axis does) goes through the text path, as grid_csv writes every axis cell
    alone = [stream._axis_texts([value])[0] for value in values]
    assert stream._axis_texts(values) == alone
    numbers = [(value, text) for value, text in zip(values, alone, strict=True) if value == value]
    assert [text for _, text in numbers] == [value_cell(value) for value, _ in numbers]
