"""Tests of the pure-Python BMA/SIFMA standard-formula twin against independent values.

Independent values used here: the closed-form level-pay annuity schedule, hand-derived
month-1 amounts, the published SF-21 cumulative-default figure (about 2.78% at 150% PSA /
100% SDA), the PSA/SDA spot checks of STANDARDS.md, and the printed BMA example tables
("Cash Flow B": 150% PSA / 100% SDA; "Cash Flow A": 1% SMM / 1% MDR), whole dollars.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from support.reference_collateral import reference_pool

DATA = Path(__file__).parent / "data" / "bma_example_150psa_100sda.csv"

BAL = 100_000_000.0
RATE = 0.08
TERM = 360
R = RATE / 12.0

DOLLAR_KEYS = (
    "performing_balance",
    "new_defaults",
    "foreclosure_balance",
    "expected_amortization",
    "voluntary_prepayments",
    "amortization_from_defaults",
    "actual_amortization",
    "expected_interest",
    "interest_lost",
    "actual_interest",
    "principal_recovery",
    "principal_loss",
    "adb",
)
ALL_KEYS = {*DOLLAR_KEYS, "smm", "mdr", "cpr", "cdr"}


def annuity_balance(balance: float, rate: float, term: int, k: int) -> float:
    """Level-pay balance after ``k`` payments: B(1+r)^k - P((1+r)^k - 1)/r."""
    r = rate / 12.0
    payment = balance * r / (1.0 - (1.0 + r) ** (-term))
    growth = (1.0 + r) ** k
    return balance * growth - payment * (growth - 1.0) / r


def bma_example(**overrides: object) -> dict[str, list[float]]:
    """The BMA example pool: $100MM, 8%, 360 months, new loans, 150% PSA, 100% SDA."""
    kwargs: dict[str, object] = {
        "severity": [0.20] * TERM,
        "lag": 12,
        "advancing": True,
        "psa": 150.0,
        "sda": 100.0,
    }
    kwargs.update(overrides)
    return reference_pool(BAL, RATE, RATE, TERM, 0, **kwargs)  # type: ignore[arg-type]


def single_default(month: int, rate: float, term: int = 60) -> list[float]:
    """An MDR vector with one default month (1-based) and zeros elsewhere."""
    vec = [0.0] * term
    vec[month - 1] = rate
    return vec


def load_printed_table() -> list[dict[str, str]]:
    """Rows of the printed BMA Cash Flow B table kept in the data file."""
    with DATA.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines))


# --------------------------------------------------------------------------- basics


def test_output_keys_and_lengths() -> None:
    out = bma_example()
    assert set(out) == ALL_KEYS
    assert all(len(values) == TERM for values in out.values())


def test_zero_prepay_zero_default_follows_level_pay_schedule() -> None:
    out = reference_pool(BAL, RATE, RATE, TERM, 0, severity=[0.0] * TERM, lag=0, advancing=True)
    for k in (1, 12, 120, 240, 359):
        expected = annuity_balance(BAL, RATE, TERM, k)
        assert out["performing_balance"][k - 1] == pytest.approx(expected, abs=1e-4)
    assert out["performing_balance"][-1] == 0.0
    assert out["expected_interest"][0] == pytest.approx(666_666.67, abs=0.005)
    assert out["actual_interest"][0] == pytest.approx(666_666.67, abs=0.005)
    # month-1 scheduled principal = level payment 733,764.57 - interest 666,666.67
    assert out["expected_amortization"][0] == pytest.approx(67_097.91, abs=0.005)
    assert sum(out["expected_amortization"]) == pytest.approx(BAL, abs=1e-4)
    assert max(out["new_defaults"]) == 0.0
    assert max(out["voluntary_prepayments"]) == 0.0


def test_monthly_balance_recursions_hold() -> None:
    out = bma_example()
    perf_prev, fcl_prev = BAL, 0.0
    for i in range(TERM):
        nd = out["new_defaults"][i]
        perf = perf_prev - nd - out["voluntary_prepayments"][i] - out["actual_amortization"][i]
        fcl = nd + fcl_prev - out["adb"][i] - out["amortization_from_defaults"][i]
        assert out["performing_balance"][i] == pytest.approx(perf, abs=1e-6)
        assert out["foreclosure_balance"][i] == pytest.approx(fcl, abs=1e-6)
        assert out["actual_interest"][i] == pytest.approx((perf_prev - nd) * R, abs=1e-6)
        assert out["expected_amortization"][i] == pytest.approx(
            out["actual_amortization"][i] + out["amortization_from_defaults"][i], abs=1e-6
        )
        perf_prev, fcl_prev = out["performing_balance"][i], out["foreclosure_balance"][i]


# ------------------------------------------------------------------ principal identities

IDENTITY_CASES = {
    "bma_150psa_100sda": {"psa": 150.0, "sda": 100.0, "lag": 12},
    "constant_cpr_cdr_lag6": {"cpr": [0.10] * TERM, "cdr": [0.05] * 354 + [0.0] * 6, "lag": 6},
    "lag0_high_default": {"smm": [0.02] * TERM, "mdr": [0.03] * TERM, "lag": 0},
    "severity_vector_lag18": {
        "psa": 300.0,
        "sda": 500.0,
        "lag": 18,
        "severity": [0.05 + 0.5 * k / TERM for k in range(TERM)],
    },
    "severity_above_100pct": {"psa": 100.0, "sda": 400.0, "lag": 12, "severity": [1.3] * TERM},
}


@pytest.mark.parametrize("case", list(IDENTITY_CASES.values()), ids=list(IDENTITY_CASES))
def test_principal_identity_with_advancing(case: dict[str, object]) -> None:
    kwargs: dict[str, object] = {"severity": [0.35] * TERM, "advancing": True, **case}
    out = reference_pool(BAL, RATE, RATE, TERM, 0, **kwargs)  # type: ignore[arg-type]
    total = sum(
        out["expected_amortization"][i]
        + out["voluntary_prepayments"][i]
        + out["principal_recovery"][i]
        + out["principal_loss"][i]
        for i in range(TERM)
    )
    assert total == pytest.approx(BAL, abs=1e-4)
    assert out["performing_balance"][-1] == pytest.approx(0.0, abs=1e-6)
    assert out["foreclosure_balance"][-1] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("case", list(IDENTITY_CASES.values()), ids=list(IDENTITY_CASES))
def test_principal_identity_without_advancing(case: dict[str, object]) -> None:
    kwargs: dict[str, object] = {"severity": [0.35] * TERM, "advancing": False, **case}
    out = reference_pool(BAL, RATE, RATE, TERM, 0, **kwargs)  # type: ignore[arg-type]
    total = sum(
        out["actual_amortization"][i] + out["voluntary_prepayments"][i] + out["adb"][i]
        for i in range(TERM)
    )
    assert total == pytest.approx(BAL, abs=1e-4)
    assert max(out["amortization_from_defaults"]) == 0.0
    lag = int(case["lag"])  # type: ignore[call-overload]
    for i in range(lag, TERM):
        assert out["adb"][i] == out["new_defaults"][i - lag]


def test_seasoned_pool_identity_and_curve_ages() -> None:
    term, age, lag = 300, 60, 6
    out = reference_pool(
        5_000_000.0, 0.07, 0.065, term, age, severity=[0.4] * term, lag=lag, advancing=True,
        psa=200.0, sda=200.0,
    )  # fmt: skip
    total = sum(
        out["expected_amortization"][i]
        + out["voluntary_prepayments"][i]
        + out["principal_recovery"][i]
        + out["principal_loss"][i]
        for i in range(term)
    )
    assert total == pytest.approx(5_000_000.0, abs=1e-6)
    # month 1 is loan age 61: 200% PSA -> 12% CPR, 200% SDA -> 2 x 0.5905% CDR
    assert out["cpr"][0] == pytest.approx(0.12)
    assert out["cdr"][0] == pytest.approx(2 * 0.005905)
    assert out["expected_interest"][0] == pytest.approx(5_000_000.0 * 0.065 / 12)
    assert out["cdr"][term - lag - 1] > 0.0
    assert out["cdr"][term - lag :] == [0.0] * lag


# ------------------------------------------------------------------- timing and severity


@pytest.mark.parametrize("advancing", [True, False])
def test_recovery_month_is_default_month_plus_lag(advancing: bool) -> None:
    term, default_month, lag, severity = 60, 5, 7, 0.25
    out = reference_pool(
        BAL, RATE, RATE, term, 0, mdr=single_default(default_month, 0.01, term),
        severity=[severity] * term, lag=lag, advancing=advancing,
    )  # fmt: skip
    liquidation = default_month + lag
    nonzero = [i + 1 for i, v in enumerate(out["adb"]) if v != 0.0]
    assert nonzero == [liquidation]
    defaulted = out["new_defaults"][default_month - 1]
    assert defaulted == pytest.approx(annuity_balance(BAL, RATE, term, 4) * 0.01)
    adb = out["adb"][liquidation - 1]
    if advancing:
        ratio = annuity_balance(BAL, RATE, term, liquidation - 1) / annuity_balance(
            BAL, RATE, term, default_month - 1
        )
        assert adb == pytest.approx(defaulted * ratio, rel=1e-12)
    else:
        assert adb == defaulted
    assert out["principal_loss"][liquidation - 1] == pytest.approx(defaulted * severity)
    assert out["principal_recovery"][liquidation - 1] == pytest.approx(adb - defaulted * severity)
    assert out["foreclosure_balance"][liquidation - 1] == pytest.approx(0.0, abs=1e-9)
    assert out["foreclosure_balance"][liquidation - 2] == pytest.approx(adb, rel=1e-12)


def test_severity_vector_uses_default_month_value() -> None:
    term, default_month, lag = 60, 5, 7
    severity = [0.10 + 0.01 * k for k in range(term)]
    out = reference_pool(
        BAL, RATE, RATE, term, 0, mdr=single_default(default_month, 0.01, term),
        severity=severity, lag=lag, advancing=False,
    )  # fmt: skip
    defaulted = out["new_defaults"][default_month - 1]
    loss = out["principal_loss"][default_month + lag - 1]
    assert loss == pytest.approx(defaulted * severity[default_month - 1])
    assert loss != pytest.approx(defaulted * severity[default_month + lag - 1])


def test_loss_capped_at_amortized_default_balance() -> None:
    term, default_month, lag = 60, 5, 12
    out = reference_pool(
        BAL, RATE, RATE, term, 0, mdr=single_default(default_month, 0.01, term),
        severity=[1.0] * term, lag=lag, advancing=True,
    )  # fmt: skip
    i = default_month + lag - 1
    assert out["adb"][i] < out["new_defaults"][default_month - 1]
    assert out["principal_loss"][i] == out["adb"][i]
    assert out["principal_recovery"][i] == 0.0


def test_lag_zero_liquidates_in_default_month() -> None:
    out = reference_pool(
        BAL, RATE, RATE, 60, 0, mdr=[0.02] * 60, severity=[0.0] * 60, lag=0, advancing=True
    )
    assert out["adb"] == out["new_defaults"]
    assert out["principal_recovery"] == out["new_defaults"]
    assert max(out["foreclosure_balance"]) == 0.0
    assert max(out["amortization_from_defaults"]) == 0.0


def test_defaulting_loan_loses_interest_and_its_principal_is_advanced() -> None:
    out = bma_example()
    nd = out["new_defaults"][0]
    af = annuity_balance(BAL, RATE, TERM, 1) / BAL
    assert out["interest_lost"][0] == pytest.approx(nd * R)
    assert out["amortization_from_defaults"][0] == pytest.approx(nd * (1.0 - af))
    assert out["foreclosure_balance"][0] == pytest.approx(nd * af)


def test_prepayment_uses_whole_prior_balance_and_cap() -> None:
    out = bma_example()
    af = annuity_balance(BAL, RATE, TERM, 1) / BAL
    assert out["voluntary_prepayments"][0] == pytest.approx(BAL * af * out["smm"][0])
    capped = reference_pool(
        BAL, RATE, RATE, 12, 0, smm=[1.0] * 12, mdr=[0.05] * 12, severity=[0.2] * 12, lag=3,
        advancing=True,
    )  # fmt: skip
    first = (
        capped["actual_amortization"][0]
        + capped["new_defaults"][0]
        + capped["voluntary_prepayments"][0]
    )
    assert first == pytest.approx(BAL)
    assert capped["performing_balance"][0] == pytest.approx(0.0, abs=1e-6)
    assert capped["voluntary_prepayments"][0] < BAL * 1.0


# ----------------------------------------------------------------------- PSA / SDA curves


def test_psa_curve_spot_checks() -> None:
    out = reference_pool(1.0, RATE, RATE, TERM, 0, severity=[0.0] * TERM, lag=0,
                         advancing=True, psa=100.0)  # fmt: skip
    assert out["cpr"][0] == pytest.approx(0.002)
    assert out["cpr"][29] == pytest.approx(0.06)
    assert out["cpr"][30] == pytest.approx(0.06)
    assert out["smm"][0] == pytest.approx(1.0 - (1.0 - 0.002) ** (1.0 / 12.0))
    fast = reference_pool(1.0, RATE, RATE, 40, 0, severity=[0.0] * 40, lag=0,
                          advancing=True, psa=1000.0)  # fmt: skip
    assert round(fast["smm"][29], 4) == 0.0735
    mid = reference_pool(1.0, RATE, RATE, 40, 0, severity=[0.0] * 40, lag=0,
                         advancing=True, psa=500.0)  # fmt: skip
    assert round(mid["smm"][14], 4) == 0.0135


def test_sda_curve_spot_checks_and_zero_tail() -> None:
    out = bma_example()
    cdr = out["cdr"]
    expected = {1: 0.0002, 30: 0.006, 31: 0.006, 60: 0.006, 61: 0.005905, 119: 0.000395,
                120: 0.0003, 348: 0.0003}  # fmt: skip
    for month, value in expected.items():
        assert cdr[month - 1] == pytest.approx(value, abs=1e-12)
    assert out["mdr"][0] == pytest.approx(1.0 - (1.0 - 0.0002) ** (1.0 / 12.0))


def test_no_defaults_in_last_lag_months() -> None:
    out = bma_example()
    assert out["mdr"][348:] == [0.0] * 12
    assert out["new_defaults"][348:] == [0.0] * 12
    assert out["new_defaults"][347] > 0.0
    assert all(out["adb"][i] > 0.0 for i in range(348, 360))


def test_rate_inputs_are_exclusive() -> None:
    with pytest.raises(ValueError, match="at most one"):
        reference_pool(BAL, RATE, RATE, TERM, 0, cpr=[0.1] * TERM, psa=100.0,
                       severity=[0.2] * TERM, lag=12, advancing=True)  # fmt: skip


# ------------------------------------------------------------ published BMA example values


def test_cumulative_defaults_match_sf21_matrix() -> None:
    out = bma_example()
    cumulative_pct = 100.0 * sum(out["new_defaults"]) / BAL
    assert abs(cumulative_pct - 2.78) <= 0.01
    assert cumulative_pct == pytest.approx(2.7760187, abs=1e-7)


def test_printed_cash_flow_b_totals() -> None:
    out = bma_example()
    printed_totals = {
        "new_defaults": 2_776_019,
        "expected_amortization": 21_208_767,
        "voluntary_prepayments": 76_052_023,
        "amortization_from_defaults": 36_809,
        "actual_amortization": 21_171_958,
        "principal_recovery": 2_184_008,
        "principal_loss": 555_201,
        "adb": 2_739_209,
    }
    for key, printed in printed_totals.items():
        assert abs(sum(out[key]) - printed) <= 0.5 + 1e-6, key


def test_printed_cash_flow_b_table_to_the_dollar() -> None:
    out = bma_example()
    rows = load_printed_table()
    assert len(rows) >= 40
    for row in rows:
        i = int(row["month"]) - 1
        for key in DOLLAR_KEYS:
            printed = float(row[key])
            assert abs(out[key][i] - printed) <= 0.5 + 1e-6, (row["month"], key)
        scheduled = annuity_balance(BAL, RATE, TERM, i + 1) / BAL
        assert abs(scheduled - float(row["amort_factor"])) <= 0.5e-4 + 1e-12
        assert abs(out["cdr"][i] - float(row["cdr"])) <= 0.5e-6 + 1e-12
        assert abs(out["mdr"][i] - float(row["mdr"])) <= 0.5e-6 + 1e-12
        if i < TERM - 1:  # the last month prints SMM 0 (nothing left to prepay: af = 0)
            assert abs(out["smm"][i] - float(row["smm"])) <= 0.5e-6 + 1e-12


CASH_FLOW_A_PRINTED = {
    1: (97934244, 1000000, 999329, 67098, 999329, 671, 66427, 666667, 6667, 660000, 0, 0, 0),
    2: (95910689, 979342, 1977334, 66870, 978680, 1337, 65532, 659557, 13191, 646366, 0, 0, 0),
    13: (76203943, 778161, 10453093, 64118, 777591, 7666, 56453, 589936, 76349, 513587,
         791646, 200000, 991646),
    14: (74624734, 762039, 10236469, 63255, 761477, 7562, 55693, 577714, 74768, 502946,
         775233, 195868, 971101),
    60: (28288335, 288958, 3880385, 33903, 288656, 4053, 29850, 219063, 28351, 190712,
         293702, 74530, 368232),
    120: (7766959, 79388, 1065414, 15029, 79255, 1797, 13233, 60185, 7789, 52396,
          80543, 20625, 101168),
}  # fmt: skip


def test_printed_cash_flow_a_months_to_the_dollar() -> None:
    """BMA "Cash Flow A": 1% SMM, 1% MDR, same pool, lag and severity (selected months)."""
    out = reference_pool(
        BAL, RATE, RATE, TERM, 0, smm=[0.01] * TERM, mdr=[0.01] * 348 + [0.0] * 12,
        severity=[0.20] * TERM, lag=12, advancing=True,
    )  # fmt: skip
    for month, printed_row in CASH_FLOW_A_PRINTED.items():
        for key, printed in zip(DOLLAR_KEYS, printed_row, strict=True):
            assert abs(out[key][month - 1] - printed) <= 0.5 + 1e-6, (month, key)
    assert math.isclose(out["new_defaults"][0], 1_000_000.0, rel_tol=1e-12)
