"""`waterfall calibrate`: the deal's state and observed assumptions come from the statement."""

from __future__ import annotations

import dataclasses
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from waterfall import load_deal
from waterfall.cli import main
from waterfall.errors import StatementError
from waterfall.scenario import load_scenario
from waterfall.statement import parse_statement, read_statement
from waterfall.statement.calibrate import calibrate

ROOT = Path(__file__).parents[2]
DEAL = ROOT / "deals" / "2002-HE1.yaml"
STATEMENT = ROOT / "deals" / "statements" / "2002-HE1-2002-11-15.txt"
SCENARIO = ROOT / "scenarios" / "2002-11-observed.yaml"


def copy_of_the_deal(tmp_path: Path) -> Path:
    """The deal, its statement and its observed scenario, laid out as in the repository."""
    (tmp_path / "deals" / "statements").mkdir(parents=True)
    (tmp_path / "scenarios").mkdir()
    shutil.copy(STATEMENT, tmp_path / "deals" / "statements" / STATEMENT.name)
    shutil.copy(SCENARIO, tmp_path / "scenarios" / SCENARIO.name)
    return Path(shutil.copy(DEAL, tmp_path / "deals" / DEAL.name))


def calibrated(text: str | None = None, **rolls: float):  # type: ignore[no-untyped-def]
    text = STATEMENT.read_text() if text is None else text
    return calibrate(load_deal(DEAL), parse_statement(text, "s.txt"), text, "s.txt", **rolls)


def test_rates_follow_the_arithmetic_of_deal_notes() -> None:
    c = calibrated()
    # SMM = (Prep + Curt) / (Beg Bal - Sched Prin)
    smm = (22_442_774.30 + 267_197.80) / (822_179_071.35 - 565_846.34)
    assert c.smm == pytest.approx(smm, rel=1e-12)
    assert round(c.cpr * 100, 2) == 28.56
    assert c.cpr == pytest.approx(1 - (1 - smm) ** 12, rel=1e-12)
    # liquidated = Net Liq Proceeds + Net Realized Losses = 107,251.76
    assert c.severity == pytest.approx(54_299.56 / 107_251.76, rel=1e-12)
    assert round(c.severity * 100, 2) == 50.63
    assert round(c.mdr * 100, 4) == 0.0130  # DEAL_NOTES rounds 0.013045% up to 0.0131
    assert round(c.cdr * 100, 2) == 0.16
    # LIBOR: A-1's 2.22250% less its 0.42% margin; every floater agrees
    assert c.libor == pytest.approx(0.018025, abs=1e-12)
    margins = {name: round(m * 100, 6) for name, m in c.margins.items()}
    assert margins == {"A-1": 0.42, "A-2": 0.38, "M-1": 1.10, "M-2": 1.65, "B": 2.65}
    assert c.servicing_rate == 0.005  # 342,574.70 x 12 / 822,179,071.35 = 0.499999...%


def test_senior_expense_split_and_pipeline_follow_the_statement() -> None:
    c = calibrated()
    # 5,822,580.49 - (A-1..B + A-IO 2,983,775.60) - BIO 157,500 - X 2,451,500.28
    # - extra principal 54,299.55 = 175,505.06
    assert c.senior_expense == pytest.approx(175_505.06, abs=0.001)
    # kept to 10 decimals, enough for the fee to round back to the cent
    assert c.senior_expense_rate == pytest.approx(175_505.06 * 12 / 822_179_071.35, abs=5e-11)
    assert round(c.senior_expense_rate * 822_179_071.35 / 12, 2) == 175_505.06
    # A-1 16,165,190.41 of 23,383,070.19 senior principal
    assert round(c.senior_principal_share["A-1"] * 100, 3) == 69.132
    assert round(c.senior_principal_share["A-2"] * 100, 3) == 30.868
    # foreclosure 40,832,990.39 + 1,661,100.37, bankruptcy 6,949,303 + 2,175,801,
    # REO 1,604,742 + 286,223
    pipeline = 42_494_090.76 + 9_125_104 + 1_890_965
    assert c.pipeline == pytest.approx(pipeline, abs=0.001)
    assert sum(c.group_pipeline.values()) == pytest.approx(pipeline, abs=0.001)
    # the pipeline and pool split alike: pro rata to A-1 : A-2 ending balances
    share = 124_074_387.46 / (124_074_387.46 + 489_471_511.95)
    assert c.group_pipeline["group_1"] == pytest.approx(pipeline * share, abs=0.01)
    assert c.group_balances["group_1"] == pytest.approx(798_796_001.41 * share, abs=0.01)


def test_rolled_delinquencies_join_the_pipeline() -> None:
    base = calibrated().pipeline
    rolled = calibrated(roll_60_89=0.5, roll_90_plus=0.75).pipeline
    # 60-89: 1,959,569.60 + 1,301,564.11; 90+: 1,425,319.53 + 1,039,060.46
    extra = 0.5 * (1_959_569.60 + 1_301_564.11) + 0.75 * (1_425_319.53 + 1_039_060.46)
    assert rolled - base == pytest.approx(extra, abs=0.01)


def test_every_figure_names_its_statement_line() -> None:
    text = STATEMENT.read_text().split("\n")
    c = calibrated()
    assert c.figure("one-month LIBOR").source.startswith("line 81 A-1")
    for figure in c.figures:
        for cited in figure.source.split("; "):
            if cited.startswith("line "):
                number, label = cited[5:].split(" ", 1)
                assert label.split()[0] in text[int(number) - 1], (figure.name, cited)


def test_floaters_implying_different_libor_name_the_line() -> None:
    text = STATEMENT.read_text().replace(
        "B       49875000.00     49875000.00         0.00   4.45250%",
        "B       49875000.00     49875000.00         0.00   4.45350%",
    )
    with pytest.raises(StatementError) as raised:
        calibrated(text)
    (problem,) = raised.value.problems
    assert str(problem).startswith("s.txt:86:1: B rate: implies LIBOR 1.80350%")


def test_shipped_deal_and_scenario_are_what_calibrate_writes(tmp_path: Path) -> None:
    deal = copy_of_the_deal(tmp_path)
    statement = tmp_path / "deals" / "statements" / STATEMENT.name
    # start from a stale deal: a wrong balance and rate, no pipeline, no default scenario,
    # no calibration section; calibrate must restore every figure
    lines = DEAL.read_text().split("\n")
    stale = "\n".join(
        line
        for line in lines
        if "delinquent_balance:" not in line and not line.startswith("default_scenario:")
    )
    stale = stale.replace("balance: 124074387.46", "balance: 1.00")
    stale = stale.replace("annual_rate: 0.0025615596", "annual_rate: 0.001")
    deal.write_text(stale[: stale.index("\ncalibration:")] + "\n")
    assert main(["calibrate", str(deal), str(statement)]) == 0
    assert deal.read_text() == DEAL.read_text()
    assert (tmp_path / "scenarios" / SCENARIO.name).read_text() == SCENARIO.read_text()


def test_deal_starting_balances_equal_the_statements_ending_balances() -> None:
    deal = load_deal(DEAL)
    statement = read_statement(STATEMENT)
    for tranche in deal.tranches:
        if tranche.kind == "residual":
            continue
        row = statement.by_name(tranche.name)
        assert Decimal(f"{tranche.balance:.2f}") == row.ending_balance, tranche.name
    pool = sum(Decimal(f"{g.balance:.2f}") for g in deal.groups)
    assert pool == statement.principal.ending_balance
    pipeline = sum(Decimal(f"{g.delinquent_balance:.2f}") for g in deal.groups)
    reported = sum(
        (r.balance for r in (*statement.foreclosures, *statement.bankruptcies)), Decimal(0)
    )
    reported += sum(r.balance for r in statement.reos)
    assert pipeline == reported
    assert deal.trigger.cumulative_loss_to_date == float(statement.cumulative_net_realized_losses)


def test_run_with_no_flags_uses_the_calibrated_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    observed = load_scenario(SCENARIO)
    assert observed.prepayment.spec == pytest.approx(28.563327)
    assert main(["run", str(DEAL), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["assumptions"]["cpr_percent"] == 28.563327
    assert summary["assumptions"]["recovery_lag_months"] == 12


def test_dry_run_writes_nothing_and_bad_flags_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deal = copy_of_the_deal(tmp_path)
    before = deal.read_text()
    out = tmp_path / "observed.yaml"
    code = main(["calibrate", str(deal), str(STATEMENT), "--scenario-out", str(out), "--dry-run"])
    assert code == 0
    assert deal.read_text() == before
    assert not out.exists()
    assert "28.563327%" in capsys.readouterr().out
    assert main(["calibrate", str(deal), str(STATEMENT), "--roll-60-89", "120"]) == 2
    assert "--roll-60-89 120: expected a percentage" in capsys.readouterr().err


def test_a_garbled_statement_is_a_located_error_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deal = copy_of_the_deal(tmp_path)
    before = deal.read_text()
    statement = tmp_path / "bad.txt"
    statement.write_text(STATEMENT.read_text().replace("22,442,774.30", "22,44x,774.30"))
    assert main(["calibrate", str(deal), str(statement)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{statement}:126:")
    assert "Traceback" not in err
    assert deal.read_text() == before


def test_a_class_the_deal_has_but_the_statement_lacks_is_named() -> None:
    deal = load_deal(DEAL)
    statement = read_statement(STATEMENT)
    text = STATEMENT.read_text()
    without_m2 = dataclasses.replace(
        statement, classes=tuple(c for c in statement.classes if c.name != "M-2")
    )
    with pytest.raises(StatementError) as raised:
        calibrate(deal, without_m2, text, "s.txt")
    assert [str(p) for p in raised.value.problems] == [
        "s.txt:76:1: M-2: the deal has this class; the statement's table not"
    ]
