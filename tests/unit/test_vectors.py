"""Rate conversions, PSA and SDA curves and the rate-vector grammar (scenario.vectors)."""

from __future__ import annotations

from typing import Any, Protocol, cast, overload

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from waterfall.scenario.vectors import (
    VectorSyntaxError,
    cdr_to_mdr,
    cpr_to_smm,
    mdr_to_cdr,
    parse_vector,
    psa_cpr,
    sda_cdr,
    smm_to_cpr,
    to_monthly_vector,
)

ATOL = 1e-12  # absolute tolerance for rates computed two ways
ROUND_TRIP_ATOL = 1e-12  # annual -> monthly -> annual

rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
values = st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False)
segments = st.tuples(st.sampled_from("RrSs"), st.integers(min_value=1, max_value=40), values)
bare_values = st.tuples(st.just("V"), st.just(0), values)
vector_items = st.lists(st.one_of(bare_values, segments), max_size=8)


class Conversion(Protocol):
    """cpr_to_smm, smm_to_cpr, cdr_to_mdr and mdr_to_cdr: a float to a float, an array to one."""

    @overload
    def __call__(self, rate: float, /) -> float: ...
    @overload
    def __call__(self, rate: NDArray[np.float64], /) -> NDArray[np.float64]: ...


def vector_text(first: float, items: list[tuple[str, int, float]]) -> str:
    """Write a generated vector in the grammar, e.g. ``'4 11R 27 5'``."""
    words = [repr(first)]
    for kind, n, value in items:
        words.extend([repr(value)] if kind == "V" else [f"{n}{kind}", repr(value)])
    return " ".join(words)


def expand_by_hand(first: float, items: list[tuple[str, int, float]]) -> list[float]:
    """Expand a generated vector month by month, straight from the grammar's wording."""
    months = [first]
    for kind, n, value in items:
        previous = months[-1]
        if kind == "V":
            months.append(value)
        elif kind in "Rr":
            months.extend(previous + (value - previous) * k / n for k in range(1, n + 1))
        else:
            months.extend([previous] * n)
            months.append(value)
    return months


# Rate conversions (STANDARDS 1.3, 2.1)


def test_cpr_of_6_percent_is_smm_of_0_5143_percent() -> None:
    assert round(100 * cpr_to_smm(0.06), 4) == 0.5143


def test_smm_of_0_5143_percent_is_cpr_of_6_percent() -> None:
    assert round(100 * smm_to_cpr(0.005143012831822946), 6) == 6.0


def test_cdr_to_mdr_and_back_use_the_same_formula_as_cpr_and_smm() -> None:
    assert cdr_to_mdr(0.06) == pytest.approx(1 - 0.94 ** (1 / 12), abs=ATOL)
    assert mdr_to_cdr(0.01) == pytest.approx(1 - 0.99**12, abs=ATOL)


@pytest.mark.parametrize("convert", [cpr_to_smm, smm_to_cpr, cdr_to_mdr, mdr_to_cdr])
def test_conversions_map_zero_to_zero_and_one_to_one(convert: Conversion) -> None:
    assert convert(0.0) == 0.0
    assert convert(1.0) == 1.0


@pytest.mark.parametrize("convert", [cpr_to_smm, smm_to_cpr, cdr_to_mdr, mdr_to_cdr])
def test_conversions_return_a_float_for_a_float_and_an_array_of_the_same_shape_for_an_array(
    convert: Conversion,
) -> None:
    assert type(convert(0.25)) is float
    annual = np.array([[0.0, 0.1], [0.5, 1.0]])
    result = convert(annual)
    assert isinstance(result, np.ndarray)
    assert result.shape == (2, 2)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result[0, 1], convert(0.1), rtol=0, atol=0)


@pytest.mark.parametrize("convert", [cpr_to_smm, smm_to_cpr, cdr_to_mdr, mdr_to_cdr])
@pytest.mark.parametrize("rate", [-0.01, 1.5, float("nan")])
def test_conversions_reject_rates_outside_zero_to_one(convert: Conversion, rate: float) -> None:
    with pytest.raises(ValueError, match="decimal from 0 to 1"):
        convert(rate)
    with pytest.raises(ValueError, match="decimal from 0 to 1"):
        convert(np.array([0.1, rate]))


@given(rates)
def test_cpr_to_smm_is_one_minus_the_twelfth_root_of_one_minus_cpr(cpr: float) -> None:
    assert cpr_to_smm(cpr) == pytest.approx(1 - (1 - cpr) ** (1 / 12), abs=ATOL)


@given(rates)
def test_smm_never_exceeds_cpr(cpr: float) -> None:
    assert cpr_to_smm(cpr) <= cpr


@given(rates)
def test_cpr_to_smm_to_cpr_returns_the_cpr(cpr: float) -> None:
    assert smm_to_cpr(cpr_to_smm(cpr)) == pytest.approx(cpr, abs=ROUND_TRIP_ATOL)


@given(rates)
def test_cdr_to_mdr_to_cdr_returns_the_cdr(cdr: float) -> None:
    assert mdr_to_cdr(cdr_to_mdr(cdr)) == pytest.approx(cdr, abs=ROUND_TRIP_ATOL)


@given(st.lists(rates, min_size=1, max_size=30))
def test_array_round_trip_returns_every_rate(annual: list[float]) -> None:
    cpr = np.array(annual)
    np.testing.assert_allclose(smm_to_cpr(cpr_to_smm(cpr)), cpr, rtol=0, atol=ROUND_TRIP_ATOL)


# PSA (STANDARDS 1.3)


def test_1000_psa_in_month_30_is_smm_7_35_percent_as_in_the_sifma_table() -> None:
    cpr = psa_cpr(1000, np.array([30]))
    assert round(100 * cpr_to_smm(cpr)[0], 2) == 7.35


def test_500_psa_in_month_15_is_smm_1_35_percent_as_in_the_sifma_table() -> None:
    cpr = psa_cpr(500, np.array([15]))
    assert round(100 * cpr_to_smm(cpr)[0], 2) == 1.35


def test_100_psa_is_0_2_percent_in_month_1_rising_0_2_a_month_to_6_percent_from_month_30() -> None:
    months = np.array([1, 2, 15, 29, 30, 31, 360])
    expected = [0.002, 0.004, 0.030, 0.058, 0.060, 0.060, 0.060]
    np.testing.assert_allclose(psa_cpr(100, months), expected, rtol=0, atol=ATOL)


def test_psa_counts_months_below_1_as_month_1() -> None:
    np.testing.assert_allclose(
        psa_cpr(100, np.array([-3, 0, 1])), [0.002, 0.002, 0.002], rtol=0, atol=ATOL
    )


def test_psa_cpr_is_capped_at_100_percent() -> None:
    np.testing.assert_array_equal(psa_cpr(2000, np.array([29, 30, 100])), [1.0, 1.0, 1.0])
    assert psa_cpr(2000, np.array([20]))[0] == pytest.approx(0.8, abs=ATOL)


@given(st.floats(min_value=0, max_value=800), st.integers(min_value=1, max_value=480))
def test_psa_speed_scales_the_100_psa_curve(speed: float, month: int) -> None:
    months = np.array([month])
    expected = min(speed / 100 * psa_cpr(100, months)[0], 1.0)
    assert psa_cpr(speed, months)[0] == pytest.approx(expected, abs=ATOL)


def test_psa_cpr_keeps_the_shape_of_month() -> None:
    assert psa_cpr(100, np.arange(1, 13).reshape(3, 4)).shape == (3, 4)


def test_psa_cpr_rejects_fractional_months_and_negative_speeds() -> None:
    with pytest.raises(TypeError, match="whole month numbers"):
        psa_cpr(100, np.array([1.5]))
    with pytest.raises(ValueError, match="psa_percent"):
        psa_cpr(-100, np.array([1]))


# SDA (STANDARDS 1.7)


@pytest.mark.parametrize(
    ("month", "cdr"),
    [
        (1, 0.000200),
        (2, 0.000400),
        (30, 0.006000),
        (45, 0.006000),
        (60, 0.006000),
        (61, 0.005905),
        (62, 0.005810),
        (119, 0.000395),
        (120, 0.000300),
        (200, 0.000300),
        (348, 0.000300),
    ],
)
def test_100_sda_matches_the_bma_annual_default_rate_column(month: int, cdr: float) -> None:
    result = sda_cdr(100, np.array([month]), final_month=360, lag_months=12)
    np.testing.assert_allclose(result, [cdr], rtol=0, atol=ATOL)


def test_sda_is_zero_in_the_last_12_months_with_a_12_month_lag() -> None:
    result = sda_cdr(100, np.arange(349, 361), final_month=360, lag_months=12)
    np.testing.assert_array_equal(result, np.zeros(12))


def test_sda_with_no_lag_is_zero_only_after_final_maturity() -> None:
    result = sda_cdr(100, np.array([360, 361]), final_month=360, lag_months=0)
    np.testing.assert_allclose(result, [0.0003, 0.0], rtol=0, atol=ATOL)


def test_200_sda_is_twice_100_sda() -> None:
    result = sda_cdr(200, np.array([1, 45, 61, 200]), final_month=360, lag_months=12)
    np.testing.assert_allclose(result, [0.0004, 0.012, 0.01181, 0.0006], rtol=0, atol=ATOL)


def test_sda_rejects_a_negative_lag() -> None:
    with pytest.raises(ValueError, match="lag_months"):
        sda_cdr(100, np.array([1]), final_month=360, lag_months=-1)


# The vector grammar (STANDARDS 2.2)


def test_subprime_ppc_vector_expands_month_by_month_as_written_in_standards_2_1() -> None:
    ramp = [
        4.0,
        6.090909090909091,
        8.181818181818182,
        10.272727272727273,
        12.363636363636363,
        14.454545454545455,
        16.545454545454547,
        18.636363636363637,
        20.727272727272727,
        22.818181818181817,
        24.90909090909091,
        27.0,
    ]
    expected = ramp + [27.0] * 10 + [50.0] * 5 + [27.0] * (360 - 27)
    assert len(expected) == 360
    result = parse_vector("4 11R 27 10S 50 4S 27", 360)
    np.testing.assert_allclose(result, expected, rtol=0, atol=ATOL)
    assert result[11] == 27.0
    assert result[21] == 27.0
    assert result[22] == 50.0
    assert result[26] == 50.0
    assert result[27] == 27.0


def test_psa_vector_string_equals_the_100_psa_curve_in_percent() -> None:
    months = np.arange(1, 361)
    np.testing.assert_allclose(
        parse_vector("0.2 29R 6", 360), 100 * psa_cpr(100, months), rtol=0, atol=ATOL
    )


def test_ramp_ends_on_its_target_in_its_last_month() -> None:
    expected = [5.0 + 15.0 * k / 12 for k in range(13)] + [20.0] * 3
    np.testing.assert_allclose(parse_vector("5 12R 20", 16), expected, rtol=0, atol=ATOL)


def test_step_holds_the_previous_value_then_starts_the_target_the_month_after() -> None:
    np.testing.assert_array_equal(parse_vector("5 3S 10", 7), [5, 5, 5, 5, 10, 10, 10])


def test_bare_values_fill_consecutive_months_and_the_last_one_holds() -> None:
    np.testing.assert_array_equal(parse_vector("1 2 3", 5), [1, 2, 3, 3, 3])


def test_commas_and_lower_case_segments_read_like_spaces_and_upper_case() -> None:
    np.testing.assert_array_equal(
        parse_vector("4, 11r 27,10s 50", 40), parse_vector("4 11R 27 10S 50", 40)
    )


def test_months_beyond_n_months_are_cut_off() -> None:
    np.testing.assert_allclose(parse_vector("0 10R 10 5S 3", 4), [0, 1, 2, 3], rtol=0, atol=ATOL)


def test_a_single_value_is_a_constant_vector() -> None:
    np.testing.assert_array_equal(parse_vector("12.5", 3), [12.5, 12.5, 12.5])


@given(values, vector_items, st.integers(min_value=1, max_value=400))
def test_parsed_vector_always_has_n_months_float64_values(
    first: float, items: list[tuple[str, int, float]], n_months: int
) -> None:
    result = parse_vector(vector_text(first, items), n_months)
    assert result.shape == (n_months,)
    assert result.dtype == np.float64
    assert result.flags.c_contiguous


@given(values, vector_items, st.integers(min_value=0, max_value=50))
def test_parsed_vector_is_the_last_value_after_the_last_token(
    first: float, items: list[tuple[str, int, float]], extra_months: int
) -> None:
    described = expand_by_hand(first, items)
    last_value = items[-1][2] if items else first
    result = parse_vector(vector_text(first, items), len(described) + extra_months)
    assert result[len(described) - 1] == last_value
    np.testing.assert_array_equal(result[len(described) :], last_value)


@given(values, vector_items, st.integers(min_value=1, max_value=400))
def test_parsed_vector_matches_a_month_by_month_expansion_of_the_grammar(
    first: float, items: list[tuple[str, int, float]], n_months: int
) -> None:
    described = expand_by_hand(first, items)
    expected = (described + [described[-1]] * n_months)[:n_months]
    result = parse_vector(vector_text(first, items), n_months)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=ATOL)


@given(values, vector_items, st.integers(min_value=1, max_value=200))
def test_a_shorter_vector_is_a_prefix_of_a_longer_one(
    first: float, items: list[tuple[str, int, float]], n_months: int
) -> None:
    text = vector_text(first, items)
    np.testing.assert_array_equal(parse_vector(text, n_months), parse_vector(text, 250)[:n_months])


@given(values, values, st.integers(min_value=1, max_value=120), vector_items)
def test_ramp_is_monotone_and_stays_between_its_endpoints(
    start: float, target: float, n: int, tail: list[tuple[str, int, float]]
) -> None:
    text = vector_text(start, [("R", n, target), *tail])
    ramp = parse_vector(text, n + 1 + 10)[: n + 1]
    assert ramp[0] == start
    assert ramp[-1] == target
    steps = np.diff(ramp)
    assert np.all(steps >= 0) if target >= start else np.all(steps <= 0)
    assert np.all(ramp >= min(start, target))
    assert np.all(ramp <= max(start, target))


def test_an_unknown_segment_letter_names_the_token_and_what_to_write() -> None:
    with pytest.raises(VectorSyntaxError) as caught:
        parse_vector("4 27 11X 50", 360)
    assert str(caught.value) == (
        "token 3 '11X': expected a segment like '12R' (ramp) or '12S' (step)"
    )


@pytest.mark.parametrize(
    ("text", "position", "token"),
    [
        ("4 11X 27", 2, "11X"),
        ("11R 27", 1, "11R"),
        ("abc", 1, "abc"),
        ("4 R 27", 2, "R"),
        ("4 5%", 2, "5%"),
        ("-4", 1, "-4"),
        ("4 -5", 2, "-5"),
        ("4 12R -3", 3, "-3"),
        ("4 nan", 2, "nan"),
        ("4 inf", 2, "inf"),
        ("4 1e999", 2, "1e999"),
        ("4 0R 10", 2, "0R"),
        ("4 0S 10", 2, "0S"),
        ("4 2.5R 10", 2, "2.5R"),
        ("4 -3S 10", 2, "-3S"),
        ("4 12R", 2, "12R"),
        ("4 27 10S", 3, "10S"),
        ("4 12R 3S 10", 3, "3S"),
    ],
)
def test_invalid_vector_raises_a_one_line_error_naming_the_token_and_its_position(
    text: str, position: int, token: str
) -> None:
    with pytest.raises(VectorSyntaxError) as caught:
        parse_vector(text, 360)
    message = str(caught.value)
    assert f"token {position} '{token}':" in message
    assert "\n" not in message


def test_tokens_beyond_n_months_are_still_checked() -> None:
    with pytest.raises(VectorSyntaxError, match="token 4 '11X'"):
        parse_vector("1 2 3 11X", 1)


@pytest.mark.parametrize("text", ["", "   ", " , ,"])
def test_empty_vector_is_rejected(text: str) -> None:
    with pytest.raises(VectorSyntaxError, match="empty vector"):
        parse_vector(text, 360)


@pytest.mark.parametrize("n_months", [0, -1])
def test_n_months_below_1_is_rejected(n_months: int) -> None:
    with pytest.raises(VectorSyntaxError, match="n_months must be 1 or more"):
        parse_vector("5", n_months)
    with pytest.raises(VectorSyntaxError, match="n_months must be 1 or more"):
        to_monthly_vector(5.0, n_months)


def test_vector_syntax_error_is_a_value_error() -> None:
    assert issubclass(VectorSyntaxError, ValueError)


# to_monthly_vector


def test_constant_spec_fills_every_month() -> None:
    np.testing.assert_array_equal(to_monthly_vector(6.0, 4), [6.0, 6.0, 6.0, 6.0])
    np.testing.assert_array_equal(to_monthly_vector(3, 2), [3.0, 3.0])


def test_string_spec_is_parsed_with_the_vector_grammar() -> None:
    np.testing.assert_array_equal(to_monthly_vector("5 3S 10", 6), [5, 5, 5, 5, 10, 10])


def test_short_list_spec_is_extended_with_its_last_value() -> None:
    np.testing.assert_array_equal(to_monthly_vector([1.0, 2.0, 3.0], 5), [1, 2, 3, 3, 3])


def test_long_list_spec_is_cut_off_at_n_months() -> None:
    np.testing.assert_array_equal(to_monthly_vector([1.0, 2.0, 3.0], 2), [1, 2])


@pytest.mark.parametrize("spec", [6.0, "4 11R 27", [1.0, 2.0], np.array([1.0, 2.0], np.float32)])
def test_monthly_vector_is_a_new_c_contiguous_float64_array(spec: Any) -> None:
    result = to_monthly_vector(spec, 30)
    assert result.shape == (30,)
    assert result.dtype == np.float64
    assert result.flags.c_contiguous
    assert result.flags.writeable


def test_monthly_vector_does_not_share_memory_with_an_array_spec() -> None:
    spec = np.array([1.0, 2.0, 3.0])
    # An array is accepted (the docstring says so), but the signature names Sequence[float].
    result = to_monthly_vector(cast(Any, spec), 3)
    result[0] = 99.0
    assert spec[0] == 1.0


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ([], "non-empty"),
        ([[1.0, 2.0]], "non-empty flat list"),
        ([1.0, -2.0], "element 2 of the vector is -2.0"),
        ([1.0, float("nan")], "element 2 of the vector is nan"),
        (-1.0, "element 1 of the vector is -1.0"),
        (float("inf"), "element 1 of the vector is inf"),
        (True, "got True"),
    ],
)
def test_invalid_non_string_spec_is_rejected(spec: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        to_monthly_vector(spec, 12)
