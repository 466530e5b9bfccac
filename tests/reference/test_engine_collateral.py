"""The numba collateral engine against the pure-Python twin and the BMA published tables."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.reference_collateral import reference_pool

from waterfall.deal.model import CollateralGroup
from waterfall.engine import COLLATERAL_COLUMNS, project_pool
from waterfall.scenario import BASE, Curve, Scenario

DATA = Path(__file__).parent / "data" / "bma_example_150psa_100sda.csv"
TWIN_TOLERANCE = 1e-6  # dollars: same formulas, different loop order and rounding path
COLUMNS = [name for name in COLLATERAL_COLUMNS if name != "amortized_default_balance"]


def bma_scenario(**changes: Any) -> Scenario:
    base = dataclasses.replace(
        BASE,
        prepayment=Curve("psa", 150.0),
        default=Curve("sda", 100.0),
        severity=Curve("severity", 20.0),
        recovery_lag_months=12,
        is_advancing=True,
    )
    return dataclasses.replace(base, **changes)


def constant_scenario(
    cpr: float, cdr: float, severity: float, lag: int, advancing: bool
) -> Scenario:
    return dataclasses.replace(
        BASE,
        prepayment=Curve("cpr", cpr),
        default=Curve("cdr", cdr),
        severity=Curve("severity", severity),
        recovery_lag_months=lag,
        is_advancing=advancing,
    )


def engine_columns(
    scenario: Scenario, balance: float = 1e8, rate: float = 0.08, term: int = 360, age: int = 0
) -> dict[str, np.ndarray]:
    out = project_pool(CollateralGroup("pool", balance, rate, term, age), scenario)
    return {name: getattr(out, name)[:, 0] for name in COLLATERAL_COLUMNS}


def test_engine_reproduces_bma_cash_flow_b_to_the_dollar_in_every_printed_month() -> None:
    engine = engine_columns(bma_scenario())
    with DATA.open() as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert len(rows) >= 40
    for row in rows:
        month = int(row["month"]) - 1
        for name in COLUMNS:
            printed = float(row[name])
            assert abs(engine[name][month] - printed) <= 0.5 + 1e-9, (row["month"], name)


def test_engine_equals_the_twin_in_every_month_of_the_bma_examples() -> None:
    for scenario, twin_rates in (
        (bma_scenario(), {"psa": 150.0, "sda": 100.0}),
        (
            bma_scenario(prepayment=Curve("smm", 1.0), default=Curve("mdr", 1.0)),
            # both BMA tables have no defaults in the last L = 12 months (rule j)
            {"smm": [0.01] * 360, "mdr": [0.01] * 348 + [0.0] * 12},
        ),
    ):
        engine = engine_columns(scenario)
        twin = reference_pool(
            1e8, 0.08, 0.08, 360, 0, severity=[0.2] * 360, lag=12, advancing=True, **twin_rates
        )
        for name in COLUMNS:
            np.testing.assert_allclose(engine[name], twin[name], rtol=0, atol=TWIN_TOLERANCE)


def test_bma_cumulative_defaults_match_the_published_matrix() -> None:
    # SF-21: 100% SDA with 150% PSA on new 8% 30-year loans, 12-month liquidation: ~2.78%
    engine = engine_columns(bma_scenario())
    assert engine["new_defaults"].sum() / 1e8 * 100 == pytest.approx(2.78, abs=0.005)


rates = st.floats(0.0, 60.0, allow_nan=False)


@given(
    cpr=rates,
    cdr=st.floats(0.0, 30.0),
    severity=st.floats(0.0, 100.0),
    lag=st.integers(0, 24),
    advancing=st.booleans(),
    note_rate=st.one_of(st.just(0.0), st.floats(1e-4, 0.15)),
    term=st.integers(24, 360),
    age=st.integers(0, 60),
)
def test_engine_equals_the_twin_for_random_pools(
    cpr: float,
    cdr: float,
    severity: float,
    lag: int,
    advancing: bool,
    note_rate: float,
    term: int,
    age: int,
) -> None:
    lag = min(lag, term - 1)
    scenario = constant_scenario(cpr, cdr, severity, lag, advancing)
    engine = engine_columns(scenario, 5e6, note_rate, term, age)
    # the twin zeroes defaults in the last L months only for SDA; the engine always does
    mdr = [1 - (1 - cdr / 100) ** (1 / 12)] * term
    for month in range(max(term - lag, 0), term):
        mdr[month] = 0.0
    twin = reference_pool(
        5e6,
        note_rate,
        note_rate,
        term,
        age,
        cpr=[cpr / 100] * term,
        mdr=mdr,
        severity=[severity / 100] * term,
        lag=lag,
        advancing=advancing,
    )
    for name in COLUMNS:
        np.testing.assert_allclose(engine[name], twin[name], rtol=1e-9, atol=1e-6)


@given(
    cpr=rates,
    cdr=st.floats(0.0, 30.0),
    severity=st.floats(0.0, 100.0),
    lag=st.integers(0, 24),
    advancing=st.booleans(),
)
def test_collateral_principal_lines_add_up_to_the_starting_balance(
    cpr: float, cdr: float, severity: float, lag: int, advancing: bool
) -> None:
    scenario = constant_scenario(cpr, cdr, severity, lag, advancing)
    c = engine_columns(scenario, 1e8, 0.07, 240, 10)
    amortization = c["expected_amortization"] if advancing else c["actual_amortization"]
    total = (
        amortization.sum()
        + c["voluntary_prepayments"].sum()
        + c["principal_recovery"].sum()
        + c["principal_loss"].sum()
    )
    assert total == pytest.approx(1e8, abs=1e-4)
    assert c["performing_balance"][-1] == pytest.approx(0.0, abs=1e-6)
    assert c["foreclosure_balance"][-1] == pytest.approx(0.0, abs=1e-6)


def test_zero_prepayment_and_default_reproduce_the_level_payment_schedule() -> None:
    c = engine_columns(BASE, 1e8, 0.08, 360, 0)
    monthly = 0.08 / 12
    payment = 1e8 * monthly / (1 - (1 + monthly) ** -360)  # 733,764.57 a month
    balance = 1e8
    for month in range(360):
        interest = balance * monthly
        assert c["expected_interest"][month] == pytest.approx(interest, abs=1e-6)
        assert c["expected_amortization"][month] == pytest.approx(payment - interest, abs=1e-6)
        balance -= payment - interest
        assert c["performing_balance"][month] == pytest.approx(balance, abs=1e-4)
