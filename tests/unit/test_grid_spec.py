"""Scenario-grid files (grid.spec): the points a grid file stands for, and its problems.

Each bad-file message is checked verbatim in ``tests/invalid_files/grids``; the tests here cover
what a good file reads as, and the problems that need a file built in the test.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waterfall.errors import GridFileError, InputFileError
from waterfall.grid import METRICS, GridPoint, GridSpec, load_grid, spec
from waterfall.grid.spec import AXES, GridProduct, parse_grid
from waterfall.scenario import Curve

REPO = Path(__file__).resolve().parents[2]
INVESTOR_GRID = REPO / "scenarios" / "investor-grid.yaml"


def problems(text: str, file: str = "grid.yaml") -> list[str]:
    """The message lines ``parse_grid`` raises for ``text``."""
    with pytest.raises(GridFileError) as caught:
        parse_grid(text, file)
    return str(caught.value).splitlines()


# The shipped investor grid


def test_investor_grid_has_165_scenarios_in_product_order() -> None:
    grid = load_grid(INVESTOR_GRID)
    cprs = [10.0, 20.0, 30.0, 40.0, 50.0]
    cdrs = [float(cdr) for cdr in range(0, 21, 2)]
    severities = [40.0, 50.0, 60.0]
    assert len(grid.points) == 165
    assert grid.points == tuple(
        GridPoint(cpr, cdr, severity, 12, 1.8025)
        for cpr, cdr, severity in itertools.product(cprs, cdrs, severities)
    )
    assert grid.points[0] == GridPoint(cpr=10.0, cdr=0.0, severity=40.0, lag=12, libor=1.8025)
    assert grid.points[1] == GridPoint(cpr=10.0, cdr=0.0, severity=50.0, lag=12, libor=1.8025)
    assert grid.points[3] == GridPoint(cpr=10.0, cdr=2.0, severity=40.0, lag=12, libor=1.8025)
    assert grid.points[33] == GridPoint(cpr=20.0, cdr=0.0, severity=40.0, lag=12, libor=1.8025)
    assert grid.points[-1] == GridPoint(cpr=50.0, cdr=20.0, severity=60.0, lag=12, libor=1.8025)


def test_investor_grid_settings() -> None:
    grid = load_grid(INVESTOR_GRID)
    assert grid.axes == ("cpr", "cdr", "severity", "lag", "libor")
    assert grid.price == 100.0
    assert grid.metric == "yield"
    assert grid.is_advancing is None
    assert grid.name == "Investor grid, 10-50 CPR x 0-20 CDR x 40-60% severity"
    assert grid.source == str(INVESTOR_GRID)


# Axis lists: the cartesian product


def test_first_axis_varies_slowest_and_axes_left_out_are_none() -> None:
    grid = parse_grid("severity: [40, 50]\ncpr: [10, 20]\ncdr: [0, 5]\n", "g.yaml")
    assert [(p.cpr, p.cdr, p.severity) for p in grid.points] == [
        (10, 0, 40),
        (10, 0, 50),
        (10, 5, 40),
        (10, 5, 50),
        (20, 0, 40),
        (20, 0, 50),
        (20, 5, 40),
        (20, 5, 50),
    ]
    assert all(p.lag is None and p.libor is None for p in grid.points)
    assert grid.axes == ("cpr", "cdr", "severity")  # in AXES order, not file order


def test_list_order_within_an_axis_is_kept() -> None:
    grid = parse_grid("cdr: [20, 0, 10]\n", "g.yaml")
    assert grid.points == (GridPoint(cdr=20.0), GridPoint(cdr=0.0), GridPoint(cdr=10.0))
    assert grid.axes == ("cdr",)


@pytest.mark.parametrize(
    "sizes", [(1, 1, 1, 1, 1), (3, 1, 2, 1, 1), (2, 4, 3, 2, 5), (7, 0, 0, 0, 0), (0, 0, 0, 3, 0)]
)
def test_number_of_points_is_the_product_of_the_axis_lengths(
    sizes: tuple[int, ...],
) -> None:
    lines = [
        f"{axis}: [{', '.join(str(i) for i in range(size))}]\n"
        for axis, size in zip(AXES, sizes, strict=True)
        if size
    ]
    grid = parse_grid("".join(lines), "g.yaml")
    expected = 1
    for size in sizes:
        expected *= max(size, 1)
    assert len(grid.points) == expected
    assert len(set(grid.points)) == expected
    assert grid.axes == tuple(axis for axis, size in zip(AXES, sizes, strict=True) if size)


def test_a_single_number_is_a_one_value_axis() -> None:
    single = parse_grid("cpr: 30\ncdr: 5\nseverity: 45\nlag: 12\nlibor: 1.8\n", "g.yaml")
    listed = parse_grid("cpr: [30]\ncdr: [5]\nseverity: [45]\nlag: [12]\nlibor: [1.8]\n", "g.yaml")
    assert single.points == listed.points == (GridPoint(30.0, 5.0, 45.0, 12, 1.8),)
    assert single.axes == AXES


def test_values_are_floats_and_the_lag_is_a_whole_number_of_months() -> None:
    (point,) = parse_grid("cpr: 30\nlag: 12.0\n", "g.yaml").points
    assert type(point.cpr) is float
    assert type(point.lag) is int
    assert point.lag == 12


def test_limits_are_inclusive() -> None:
    text = "cpr: [0, 100]\ncdr: [0, 100]\nseverity: [0, 100]\nlag: [0, 360]\nlibor: [0, 50]\n"
    assert len(parse_grid(text, "g.yaml").points) == 32
    assert parse_grid("cpr: 10\nprice: 1000\n", "g.yaml").price == 1000.0
    assert parse_grid("cpr: 10\nprice: 0.01\n", "g.yaml").price == 0.01


@pytest.mark.slow
def test_a_grid_of_exactly_one_million_points_is_allowed() -> None:
    values = ", ".join(str(i) for i in range(100))
    text = f"cpr: [{values}]\ncdr: [{values}]\nseverity: [{values}]\n"
    grid = parse_grid(text, "g.yaml")
    assert len(grid.points) == 1_000_000
    assert grid.points[-1] == GridPoint(cpr=99.0, cdr=99.0, severity=99.0)


def _columns(sizes: list[int]) -> list[tuple[float, ...]]:
    return [tuple(float(10 * axis + value) for value in range(n)) for axis, n in enumerate(sizes)]


def _reads_as_the_tuple(
    points: Sequence[GridPoint], expected: tuple[GridPoint, ...], cut: slice
) -> None:
    """The laws of a lazy sequence of points: it reads, compares, hashes and pickles as the
    tuple of them (not as a list, which a tuple does not equal)."""
    assert len(points) == len(expected)
    assert points == expected
    assert expected == points
    as_list: object = list(expected)
    assert points != as_list
    assert hash(points) == hash(expected)
    assert tuple(points) == expected
    assert points[cut] == expected[cut]
    for at in (cut.start or 0, -1, 0, len(expected) - 1):
        if -len(expected) <= at < len(expected):
            assert points[at] == expected[at]
    with pytest.raises(IndexError):
        points[len(expected)]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(points, protocol)) == expected


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=5, max_size=5),
    start=st.integers(-80, 80) | st.none(),
    stop=st.integers(-80, 80) | st.none(),
    step=st.integers(-5, 5).filter(bool) | st.none(),
)
def test_a_product_grid_is_the_tuple_of_its_points(
    sizes: list[int], start: int | None, stop: int | None, step: int | None
) -> None:
    # law: GridProduct reads as tuple(itertools.product(...)) of GridPoint, index by index
    columns = _columns(sizes)
    expected = tuple(itertools.starmap(GridPoint, itertools.product(*columns)))
    _reads_as_the_tuple(GridProduct(columns), expected, slice(start, stop, step))


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 3), min_size=5, max_size=5),
    bounds=st.tuples(st.integers(0, 250), st.integers(0, 250)),
    start=st.integers(-40, 40) | st.none(),
    stop=st.integers(-40, 40) | st.none(),
    step=st.integers(-4, 4).filter(bool) | st.none(),
)
def test_a_product_grids_block_is_the_tuple_of_its_points(
    sizes: list[int],
    bounds: tuple[int, int],
    start: int | None,
    stop: int | None,
    step: int | None,
) -> None:
    points = GridProduct(_columns(sizes))
    first, last = sorted(min(bound, len(points)) for bound in bounds)
    expected = tuple(points)[first:last]
    _reads_as_the_tuple(points.block(first, last), expected, slice(start, stop, step))
    with pytest.raises(IndexError):
        points.block(first, len(points) + 1)
    with pytest.raises(IndexError):
        points.block(-1, last)


def test_a_product_grid_makes_a_point_only_when_it_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []

    def counted(*values: object) -> GridPoint:
        made.append(values)
        return GridPoint(*values)  # type: ignore[arg-type]

    monkeypatch.setattr(spec, "GridPoint", counted)
    values = ", ".join(str(i) for i in range(100))
    grid = parse_grid(f"cpr: [{values}]\ncdr: [{values}]\nseverity: [{values}]\n", "g.yaml")
    assert len(grid.points) == 1_000_000
    assert not made
    assert grid.points[2048:2051] == (
        GridPoint(0.0, 20.0, 48.0),
        GridPoint(0.0, 20.0, 49.0),
        GridPoint(0.0, 20.0, 50.0),
    )
    assert len(made) == 3


# Defaults and settings


def test_defaults_when_only_an_axis_is_given(tmp_path: Path) -> None:
    path = tmp_path / "my-grid.yaml"
    path.write_text("cpr: [10, 20]\n", encoding="utf-8")
    grid = load_grid(path)
    assert grid == GridSpec(
        name="my-grid",
        points=(GridPoint(cpr=10.0), GridPoint(cpr=20.0)),
        axes=("cpr",),
        price=100.0,
        metric="yield",
        is_advancing=None,
        source=str(path),
    )


def test_settings_are_read() -> None:
    text = "name: stress\ncpr: 10\nprice: 98.5\nmetric: wal_years\nadvancing: false\n"
    grid = parse_grid(text, "g.yaml")
    assert (grid.name, grid.price, grid.metric, grid.is_advancing) == (
        "stress",
        98.5,
        "wal_years",
        False,
    )


@pytest.mark.parametrize("metric", METRICS)
def test_every_metric_is_accepted(metric: str) -> None:
    assert parse_grid(f"cpr: 10\nmetric: {metric}\n", "g.yaml").metric == metric


def test_metrics_are_the_documented_eight_and_the_other_horizons_three() -> None:
    assert METRICS == (
        "wal_years",
        "yield",
        "discount_margin",
        "modified_duration",
        "writedown",
        "cumulative_loss_pct",
        "first_principal_month",
        "last_principal_month",
        "yield_to_call",
        "discount_margin_to_call",
        "wal_years_to_call",
        "yield_to_maturity",
        "discount_margin_to_maturity",
        "wal_years_to_maturity",
    )


def test_load_grid_and_parse_grid_agree() -> None:
    text = INVESTOR_GRID.read_text(encoding="utf-8")
    assert parse_grid(text, str(INVESTOR_GRID)) == load_grid(INVESTOR_GRID)


# Explicit scenarios


def test_explicit_scenarios_keep_file_order_and_leave_out_keys_as_none() -> None:
    text = (
        "scenarios:\n"
        "  - {cpr: 30, cdr: 5, severity: 45, lag: 12, libor: 1.8}\n"
        "  - {cdr: 10}\n"
        "  - {severity: 60, cpr: 8}\n"
        "  - {}\n"
    )
    grid = parse_grid(text, "g.yaml")
    assert grid.points == (
        GridPoint(cpr=30.0, cdr=5.0, severity=45.0, lag=12, libor=1.8),
        GridPoint(cdr=10.0),
        GridPoint(cpr=8.0, severity=60.0),
        GridPoint(),
    )
    assert grid.axes == AXES


def test_axes_of_explicit_scenarios_are_the_keys_any_scenario_gives() -> None:
    text = "scenarios:\n  - {cdr: 10}\n  - {lag: 6, cdr: 2}\n"
    assert parse_grid(text, "g.yaml").axes == ("cdr", "lag")


# Problems that need a file built here (the rest: tests/invalid_files/grids)


def test_a_file_with_no_axes_and_no_scenarios_is_rejected() -> None:
    assert problems("name: nothing to run\nprice: 99\n") == [
        "grid.yaml:1:1: no scenarios: give one or more of cpr, cdr, severity, lag, libor, "
        "or a scenarios list"
    ]


def test_an_empty_file_is_rejected() -> None:
    assert problems("# only a comment\n") == [
        "grid.yaml:1:1: no scenarios: give one or more of cpr, cdr, severity, lag, libor, "
        "or a scenarios list"
    ]


def test_a_file_that_is_not_a_mapping_is_rejected() -> None:
    assert problems("- 10\n- 20\n")[0] == "grid.yaml:1:1: expected a mapping, got a list"


def test_an_axis_given_as_a_mapping_or_nothing_is_rejected() -> None:
    # (a mapping on cpr, cdr or severity is a curve per loan group, checked against the deal)
    assert problems("libor: {low: 1, high: 2}\ncdr:\n") == [
        "grid.yaml:1:8: libor: expected a number or a list of numbers, got a mapping",
        "grid.yaml:2:5: cdr: expected a number or a list of numbers, got nothing",
    ]


def test_a_list_inside_an_axis_list_is_rejected() -> None:
    assert problems("cpr: [10, [20, 30]]\n") == [
        "grid.yaml:1:11: cpr[1]: expected a number, got a list"
    ]


def test_a_duplicate_key_is_rejected() -> None:
    assert problems("cpr: [10]\ncpr: [20]\n") == [
        "grid.yaml:2:1: duplicate key 'cpr' (first given on line 1)"
    ]


def test_a_leading_zero_is_rejected() -> None:
    assert problems("lag: [06, 12]\n")[0].startswith(
        "grid.yaml:1:7: lag[0]: '06' has a leading zero"
    )


def test_price_out_of_range_and_not_a_number() -> None:
    assert problems("cpr: 10\nprice: 1000.5\n") == [
        "grid.yaml:2:8: price: 1000.5 is out of range; expected a price per 100 of face "
        "above 0 and at most 1000"
    ]
    assert problems("cpr: 10\nprice: par\n") == [
        "grid.yaml:2:8: price: expected a number, got the text 'par'"
    ]


def test_empty_or_non_list_scenarios_are_rejected() -> None:
    assert problems("scenarios: []\n") == [
        "grid.yaml:1:12: scenarios: empty list; give at least one scenario, e.g. {cpr: 30, cdr: 5}"
    ]
    assert problems("scenarios: {cpr: 30}\n") == [
        "grid.yaml:1:12: scenarios: expected a list, got a mapping"
    ]


def test_a_scenario_that_is_not_a_mapping_or_has_a_bad_value_is_rejected() -> None:
    text = "scenarios:\n  - 30\n  - {cpr: 30, lag: 1.5, serverity: 40, libor: 60}\n"
    assert problems(text) == [
        "grid.yaml:2:5: scenarios[0]: expected a mapping, got 30",
        "grid.yaml:3:20: scenarios[1].lag: expected a whole number, got 1.5",
        "grid.yaml:3:36: scenarios[1].serverity: unknown key 'serverity'; did you mean "
        "'severity'? (allowed: cpr, cdr, severity, lag, libor)",
        "grid.yaml:3:47: scenarios[1].libor: 60 is out of range; expected a percentage "
        "from 0 to 50",
    ]


def test_equal_values_written_differently_are_duplicates() -> None:
    assert problems("libor: [1.80, 1.8]\n") == [
        "grid.yaml:1:15: libor[1]: duplicate value 1.8 (first given as libor[0]); "
        "each value of an axis is run once, remove one"
    ]


def test_every_problem_is_reported_at_once() -> None:
    lines = problems("cpr: [10, 10, 200]\ncdr: x\nlag: -1\nmetric: ylde\n")
    assert len(lines) == 5
    assert [line.split(": ")[0] for line in lines] == [
        "grid.yaml:1:11",
        "grid.yaml:1:15",
        "grid.yaml:2:6",
        "grid.yaml:3:6",
        "grid.yaml:4:9",
    ]


def test_invalid_yaml_raises_a_grid_file_error() -> None:
    with pytest.raises(GridFileError) as caught:
        parse_grid("cpr: [10, 20\n", "grid.yaml")
    assert isinstance(caught.value, InputFileError)
    assert str(caught.value).startswith("grid.yaml:2:1: not valid YAML: ")


def test_a_missing_file_raises_a_grid_file_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(GridFileError) as caught:
        load_grid(path)
    assert str(caught.value).startswith(f"{path}:0:0: cannot read the file: ")


def test_a_vector_is_a_curve_value_of_any_curve_axis_or_libor() -> None:
    text = 'cpr: ["4 11R 27", 30]\nlibor: ["1.8 24R 4.5"]\nseverity: ["35 12S 60"]\n'
    first, second = parse_grid(text, "g.yaml").points
    assert first.cpr == Curve("cpr", "4 11R 27")
    assert second.cpr == 30.0
    assert first.libor == second.libor == Curve("libor", "1.8 24R 4.5")
    assert first.severity == Curve("severity", "35 12S 60")


def test_a_bad_vector_is_one_line_at_its_place() -> None:
    lines = problems('cpr: [30, "4 11Q 27"]\nlibor: ["1.8 24R 400"]\n', "g.yaml")
    assert len(lines) == 2
    assert lines[0].startswith("g.yaml:1:11: cpr[1]: ")
    assert lines[1] == "g.yaml:2:9: libor[0]: 400 is above 50 (values are percentages)"
