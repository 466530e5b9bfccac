"""breakeven, price-table and run --plot, as a user runs them."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from waterfall import load_deal
from waterfall.analytics import price_from_discount_margin, price_from_yield
from waterfall.cli import main
from waterfall.compile import compile_deal
from waterfall.engine import run
from waterfall.measures import flow_times
from waterfall.scenario import Curve, load_scenario
from waterfall.scenario.model import Scenario
from waterfall.sensitivity import principal_loss_of

ROOT = Path(__file__).parents[2]
DEAL_PATH = str(ROOT / "deals" / "2002-HE1.yaml")
DEAL = load_deal(DEAL_PATH)
BASE = load_scenario(DEAL.default_scenario)
IS_COMPILED = os.environ.get("NUMBA_DISABLE_JIT") != "1"


def json_of(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(list(argv)) == 0
    return cast("dict[str, Any]", json.loads(capsys.readouterr().out))


def loss_at(cdr: float, name: str, base: Scenario = BASE) -> float:
    return principal_loss_of(DEAL, dataclasses.replace(base, default=Curve("cdr", cdr)), name)


@pytest.mark.skipif(not IS_COMPILED, reason="100 full-length runs; the next tests cover it")
def test_breakevens_rise_with_seniority_and_sit_on_the_edge_of_a_loss(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = json_of(capsys, "breakeven", DEAL_PATH, "--all", "--format", "json")
    found = {r["class"]: r for r in out["results"]}
    assert list(found) == ["A-1", "A-2", "M-1", "M-2", "B"]  # not P, the penalty class
    assert found["B"]["breakeven_cdr"] < found["M-2"]["breakeven_cdr"]
    assert found["M-2"]["breakeven_cdr"] < found["M-1"]["breakeven_cdr"]
    assert found["M-1"]["breakeven_cdr"] < found["A-1"]["breakeven_cdr"]
    for name, row in found.items():
        cdr = row["breakeven_cdr"]
        # whole at the breakeven, a loss one grid step (0.01 CDR) above it
        assert loss_at(cdr, name) < 0.005, name
        assert loss_at(cdr + 0.01, name) > 0.005, name
        assert loss_at(cdr + 0.1, name) > 0.005, name
        assert 0 < row["cumulative_loss_pct"] < 100
        assert row["wal_years"] > 0


def test_a_breakeven_on_a_short_projection_is_on_the_edge_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = json_of(capsys, "breakeven", DEAL_PATH, "--class", "B", "--months", "120",
                  "--format", "json")  # fmt: skip
    (row,) = out["results"]
    assert out["assumptions"]["tolerance_cdr"] == 0.01
    short = dataclasses.replace(BASE, months=120)
    cdr = row["breakeven_cdr"]
    assert loss_at(cdr, "B", short) == 0
    assert loss_at(cdr + 0.01, "B", short) > 0


def test_a_steep_loss_curve_still_puts_the_breakeven_on_its_edge(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # at 50 CPR and 60% severity M-2's loss jumps from 0 to tens of thousands in 0.01 CDR
    out = json_of(capsys, "breakeven", DEAL_PATH, "--class", "M-2", "--cpr", "50",
                  "--severity", "60", "--months", "120", "--format", "json")  # fmt: skip
    cdr = out["results"][0]["breakeven_cdr"]
    stress = dataclasses.replace(
        BASE, prepayment=Curve("cpr", 50.0), severity=Curve("severity", 60.0), months=120
    )
    assert loss_at(cdr, "M-2", stress) < 0.005
    assert loss_at(cdr + 0.01, "M-2", stress) > 0.005


def test_a_senior_loses_when_the_pool_runs_out_and_it_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # seniors are never written down in this deal; at 10 CPR, 20 CDR, 60% severity the pool
    # is gone with A-2 still owed: principal paid + loss = the starting balance
    out = json_of(capsys, "run", DEAL_PATH, "--cpr", "10", "--cdr", "20", "--severity", "60",
                  "--format", "json")  # fmt: skip
    a2 = next(c for c in out["classes"] if c["name"] == "A-2")
    assert a2["writedown"] == 0.0
    assert a2["principal_loss"] > 1_000_000
    assert a2["principal"] + a2["principal_loss"] == pytest.approx(489_471_511.95, abs=0.01)
    assert main(["breakeven", DEAL_PATH, "--class", "A-IO"]) == 2
    assert "--class A-IO: not a class with principal to lose" in capsys.readouterr().err


def test_price_table_margins_reprice_to_the_row_price(capsys: pytest.CaptureFixture[str]) -> None:
    prices = [99.0, 100.0, 101.0]
    out = json_of(capsys, "price-table", DEAL_PATH, "--class", "A-2", "--prices", "99,100,101",
                  "--columns", "cpr=20,40", "--months", "60", "--format", "json")  # fmt: skip
    assert out["measure"] == "discount_margin_bp"
    margins = np.array(out["discount_margin_bp"])
    assert (np.diff(margins, axis=0) < 0).all()  # a higher price is a lower margin
    for column, cpr in enumerate((20.0, 40.0)):
        scenario = dataclasses.replace(BASE, prepayment=Curve("cpr", cpr), months=60)
        result = run(DEAL, scenario)
        compiled = compile_deal(DEAL, scenario)
        k = DEAL.tranche_names.index("A-2")
        flows = result.principal[:, k] + result.interest[:, k]
        face = DEAL.tranches[k].balance
        for row, price in enumerate(prices):
            # independent check: the scalar analytics reprice the table's margin and yield
            dm = margins[row, column] / 10_000
            repriced = price_from_discount_margin(
                flows, compiled.calendar.act_360_fraction, compiled.index_rate, dm
            )
            assert repriced == pytest.approx(price / 100 * face, rel=1e-9)
            bey = out["yield_pct"][row][column] / 100
            repriced = price_from_yield(flows, flow_times(DEAL, compiled), bey)
            assert repriced == pytest.approx(price / 100 * face, rel=1e-9)
    assert out["wal_years"][0] > out["wal_years"][1]


def test_price_table_prints_rows_of_prices_and_the_investor_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["price-table", DEAL_PATH, "--class", "M-1", "--prices", "99.5,100,100.5",
                 "--columns", "cdr=0,10", "--months", "60"])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    for label in ("discount margin (bp)", "cdr 0", "cdr 10", "WAL (years)",
                  "mod duration @ 100", "principal window"):  # fmt: skip
        assert label in text
    assert main(["price-table", DEAL_PATH, "--class", "M-1", "--prices", "a,b"]) == 2
    assert main(["price-table", DEAL_PATH, "--class", "M-1", "--prices", "100",
                 "--columns", "speed=1"]) == 2  # fmt: skip
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("waterfall price-table: --prices 'a,b': expected numbers")
    assert err[1].startswith("waterfall price-table: --columns 'speed=1': expected AXIS=")


def test_run_plot_draws_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    picture = tmp_path / "run.png"
    assert main(["run", DEAL_PATH, "--months", "36", "--plot", str(picture)]) == 0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()


def test_an_io_strip_prices_per_100_of_notional(capsys: pytest.CaptureFixture[str]) -> None:
    out = json_of(capsys, "price-table", DEAL_PATH, "--class", "A-IO", "--prices", "9,10",
                  "--columns", "cpr=20", "--months", "60", "--format", "json")  # fmt: skip
    assert out["measure"] == "yield_pct"
    scenario = dataclasses.replace(BASE, prepayment=Curve("cpr", 20.0), months=60)
    result = run(DEAL, scenario)
    k = DEAL.tranche_names.index("A-IO")
    flows = result.principal[:, k] + result.interest[:, k]
    times = flow_times(DEAL, compile_deal(DEAL, scenario))
    for row, price in enumerate((9.0, 10.0)):
        # 6.50% a year on 233,000,000 until July 2004, priced per 100 of that notional
        bey = out["yield_pct"][row][0] / 100
        assert price_from_yield(flows, times, bey) == pytest.approx(price / 100 * 233e6, rel=1e-9)
    assert out["wal_years"] == [None]  # no principal
    assert main(["price-table", DEAL_PATH, "--class", "X", "--prices", "1"]) == 2
    assert "--class X: not a class with a face or notional" in capsys.readouterr().err


def test_run_yields_reprice_to_the_price_given(capsys: pytest.CaptureFixture[str]) -> None:
    out = json_of(capsys, "run", DEAL_PATH, "--cpr", "25", "--months", "90", "--price", "99.5",
                  "--format", "json")  # fmt: skip
    assert out["price"] == 99.5
    scenario = dataclasses.replace(BASE, prepayment=Curve("cpr", 25.0), months=90)
    compiled = compile_deal(DEAL, scenario)
    result = run(DEAL, scenario)
    for row in out["classes"]:
        if row["yield"] is None:
            assert row["name"] in ("A-IO", "P", "X", "R", "BIO")
            continue
        k = DEAL.tranche_names.index(row["name"])
        flows = result.principal[:, k] + result.interest[:, k]
        # 90 months leave collateral: the balance still owed is taken as repaid at par then
        flows[-1] += result.payments.balance[-1, k]
        face = DEAL.tranches[k].balance
        # independent check: the scalar SF-49 price of the reported yield is the price asked
        price = price_from_yield(flows, flow_times(DEAL, compiled), row["yield"] / 100)
        assert price == pytest.approx(99.5 / 100 * face, rel=1e-7), row["name"]
        dm = row["discount_margin"] / 10_000
        repriced = price_from_discount_margin(
            flows, compiled.calendar.act_360_fraction, compiled.index_rate, dm
        )
        assert repriced == pytest.approx(99.5 / 100 * face, rel=1e-7), row["name"]
    assert main(["run", DEAL_PATH, "--price", "0"]) == 2
    assert "--price 0: expected a price above 0" in capsys.readouterr().err


def test_a_writedown_paid_back_is_a_writedown_but_not_a_loss(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # lag 0: the whole pipeline (53.5 million) liquidates in month 1 at 50.63% severity and
    # writes B down; excess interest pays it back later
    out = json_of(capsys, "run", DEAL_PATH, "--lag", "0", "--cdr", "0", "--format", "json")
    b = next(c for c in out["classes"] if c["name"] == "B")
    assert b["writedown"] > 1_000_000
    assert b["principal_loss"] == 0.0
    # principal + reimbursements = the starting balance; reimbursements are in "interest"
    assert b["principal"] + b["writedown"] == pytest.approx(49_875_000.0, abs=0.01)


def test_a_lag_longer_than_the_pool_still_liquidates_the_pipeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = json_of(capsys, "run", DEAL_PATH, "--lag", "360", "--no-advancing", "--format", "json")
    assert out["collateral"]["monthly"]["foreclosure_balance"][-1] == 0.0
    assert out["collateral"]["monthly"]["performing_balance"][-1] == 0.0


def test_a_breakeven_table_by_speed_is_each_speeds_own_breakeven(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = json_of(capsys, "breakeven", DEAL_PATH, "--class", "M-2", "--months", "60",
                  "--columns", "cpr=15,45", "--format", "json")  # fmt: skip
    assert [c["cpr"] for c in out["columns"]] == [15.0, 45.0]
    assert [r["scenario"] for r in out["results"]] == ["cpr 15", "cpr 45"]
    for row, cpr in zip(out["results"], ("15", "45"), strict=True):
        alone = json_of(capsys, "breakeven", DEAL_PATH, "--class", "M-2", "--months", "60",
                        "--cpr", cpr, "--format", "json")  # fmt: skip
        assert row["breakeven_cdr"] == alone["results"][0]["breakeven_cdr"]
    assert main(["breakeven", DEAL_PATH, "--all", "--columns", "cdr=1,2"]) == 2
    assert "the breakeven is the CDR" in capsys.readouterr().err


def test_a_floater_at_par_to_a_short_horizon_has_its_margin_as_dm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 24 months, no cap binding, no call step-up: each floater accrues LIBOR + margin on
    # ACT/360 and the balance left is taken at par at the horizon, so at price 100 its
    # discount margin (SF-53, money-market compounding on the same periods) is its margin
    out = json_of(capsys, "run", DEAL_PATH, "--months", "24", "--format", "json")
    margins = {"A-1": 42, "A-2": 38, "M-1": 110, "M-2": 165, "B": 265}
    for row in out["classes"]:
        if row["name"] in margins:
            assert row["discount_margin"] == pytest.approx(margins[row["name"]], abs=0.05)


def test_a_breakeven_table_states_its_assumptions_and_refuses_a_clashing_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["breakeven", DEAL_PATH, "--class", "B", "--months", "24", "--trigger", "failing",
            "--columns", "severity=40", "--format", "json"]  # fmt: skip
    out = json_of(capsys, *argv)
    assert out["assumptions"]["trigger"] == "failing"
    assert out["assumptions"]["severity_percent"] == 50.62813  # numbers, percent in the key
    assert "cdr_percent" not in out["assumptions"]  # the breakeven solves for it
    assert out["assumptions"]["horizon"].startswith("24 months only")
    assert (
        main(["breakeven", DEAL_PATH, "--class", "B", "--columns", "cpr=15", "--cpr", "40"]) == 2
    )
    assert "--cpr: --columns cpr=... already sets it" in capsys.readouterr().err
