"""The streamed grid CSV formats whole columns at once: each cell must be the text the row
by row writer gives (``repr(round(v, 10))``, dollars to the cent, months as whole numbers),
for any float, and a block's text must be ``grid_csv``'s."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from waterfall.grid.run import METRIC_COLUMNS, OTHER_HORIZON_METRICS, GridResult
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


axis_values = st.one_of(
    st.floats(0.0, 100.0),
    st.sampled_from([-0.0, 1e-5, 1e6, math.nan]),
    st.sampled_from(['cpr "4 11R 27"', "x1.5", "cpr {group_1 60, group_2 10}", ""]),
)


@given(
    n_scenarios=st.integers(1, 4),
    n_classes=st.integers(1, 3),
    axes=st.data(),
    values=st.lists(floats, min_size=1, max_size=8),
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
        class_names=tuple(["A-1", 'B,"2"', "M 1"][:n_classes]),
        metrics={m: metric(m) for m in METRIC_COLUMNS},
        price=100.0,
        other_horizon="to_call" if is_other_horizon else "",
        other_metrics={m: metric(m) for m in OTHER_HORIZON_METRICS} if is_other_horizon else {},
    )
    assert csv_rows(part, header=True) == grid_csv(part)
