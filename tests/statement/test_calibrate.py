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
from waterfall.engine import run
from waterfall.errors import StatementError
from waterfall.scenario import Curve, load_scenario
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


def calibrated(  # type: ignore[no-untyped-def]
    text: str | None = None, roll_60_89: float = 0.0, roll_90_plus: float = 0.0
):
    text = STATEMENT.read_text() if text is None else text
    return calibrate(
        load_deal(DEAL),
        parse_statement(text, "s.txt"),
        text,
        "s.txt",
        roll_60_89=roll_60_89,
        roll_90_plus=roll_90_plus,
    )


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
    # the pipeline is split in proportion to the derived group balances
    share = c.group_balances["group_1"] / 798_796_001.41
    assert c.group_pipeline["group_1"] == pytest.approx(pipeline * share, abs=0.01)


def test_group_balances_follow_from_the_deals_history() -> None:
    c = calibrated()
    # at cut-off A-1 + A-2 = 779,000,000 were 82% of the 950,000,000 pool, in each group
    cutoff_1 = 235_258_000 / (779_000_000 / 950_000_000)  # 286,900,000
    cutoff_2 = 543_742_000 / (779_000_000 / 950_000_000)  # 663,100,000
    paid_1 = 235_258_000 - 124_074_387.46  # 111,183,612.54
    paid_2 = 543_742_000 - 489_471_511.95  # 54,270,488.05
    # the seniors got 165,454,100.59; the pool paid 950,000,000 - 798,796,001.41 less the
    # 103,748.62 of losses = 151,100,249.97; the rest, 14,353,850.62, is extra principal
    extra = (paid_1 + paid_2) - (950_000_000 - 798_796_001.41 - 103_748.62)
    assert extra == pytest.approx(14_353_850.62, abs=0.005)
    extra_1 = extra * paid_1 / (paid_1 + paid_2)  # shared by paydown
    loss_1 = 103_748.62 * cutoff_1 / 950_000_000  # shared by cut-off balance
    group_1 = cutoff_1 - (paid_1 - extra_1) - loss_1
    assert c.group_balances["group_1"] == pytest.approx(group_1, abs=0.005)
    assert round(group_1 / 1e6) == 185  # the rough 185M
    extra_2 = extra * paid_2 / (paid_1 + paid_2)
    group_2 = cutoff_2 - (paid_2 - extra_2) - (103_748.62 - loss_1)
    assert c.group_balances["group_2"] == pytest.approx(group_2, abs=0.01)
    assert sum(c.group_balances.values()) == pytest.approx(798_796_001.41, abs=1e-6)


def test_group_speeds_reproduce_the_senior_split() -> None:
    c = calibrated()
    begin_1 = c.figure("group_1 beginning balance").value
    # group 1's share of Tot Prin Remit is A-1's share of senior principal
    remit_1 = 23_328_770.64 * 16_165_190.41 / 23_383_070.19
    share_1 = begin_1 / 822_179_071.35
    scheduled_1, liquidated_1 = 565_846.34 * share_1, 52_952.20 * share_1
    smm_1 = (remit_1 - scheduled_1 - liquidated_1) / (begin_1 - scheduled_1)
    assert c.group_cpr["group_1"] == pytest.approx(1 - (1 - smm_1) ** 12, rel=1e-12)
    assert 0.60 < c.group_cpr["group_1"] < 0.66
    assert 0.11 < c.group_cpr["group_2"] < 0.14
    # both groups' prepayments add up to the pool's Prep + Curt
    begin_2 = 822_179_071.35 - begin_1
    smm = {g: 1 - (1 - cpr) ** (1 / 12) for g, cpr in c.group_cpr.items()}
    scheduled = {"group_1": 565_846.34 * share_1, "group_2": 565_846.34 * (1 - share_1)}
    prepaid = smm["group_1"] * (begin_1 - scheduled["group_1"]) + smm["group_2"] * (
        begin_2 - scheduled["group_2"]
    )
    assert prepaid == pytest.approx(22_442_774.30 + 267_197.80, abs=0.01)


def test_pipeline_default_rate_keeps_the_60_plus_pipeline_at_its_size() -> None:
    c = calibrated()
    # 60-89 and 90+ days (both servicers) + foreclosure, bankruptcy and REO
    pipeline = (1_959_569.60 + 1_301_564.11 + 1_425_319.53 + 1_039_060.46) + (
        42_494_090.76 + 9_125_104 + 1_890_965
    )
    # a twelfth of it liquidates each month; new defaults from the performing balance
    # (the pool less the seeded liquidation pipeline) refill it
    performing = 798_796_001.41 - (42_494_090.76 + 9_125_104 + 1_890_965)
    mdr = pipeline / 12 / performing
    assert c.pipeline_cdr == pytest.approx(1 - (1 - mdr) ** 12, rel=1e-12)
    assert round(c.pipeline_cdr * 100, 2) == 7.66


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
    cpr = {name: float(spec) for name, spec in observed.prepayment.by_group}
    assert round(cpr["group_1"], 2) == 62.93
    assert round(cpr["group_2"], 2) == 12.28
    assert main(["run", str(DEAL), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assumed = summary["assumptions"]["cpr_percent"]
    assert assumed == {"group_1": cpr["group_1"], "group_2": cpr["group_2"]}
    assert summary["assumptions"]["recovery_lag_months"] == 12


def test_default_run_pays_a1_from_its_fast_group() -> None:
    deal = load_deal(DEAL)
    result = run(deal, load_scenario(deal.default_scenario))
    a1, a2 = result.principal[0, result.index("A-1")], result.principal[0, result.index("A-2")]
    # November: A-1 took 69.13%; group 1 prepays near 63% CPR, group 2 near 12%
    assert a1 / (a1 + a2) >= 0.60
    # A-1's factor 0.5274 against A-2's 0.9002: A-1 is paid off years before A-2
    assert result.wal_years("A-1") < 0.5 * result.wal_years("A-2")
    # one speed for both groups (the pool's 28.56% CPR) gives A-1 no such share: the
    # difference is the per-group curve at work
    pooled = dataclasses.replace(
        load_scenario(deal.default_scenario), prepayment=Curve("cpr", 28.563327)
    )
    flat = run(deal, pooled)
    b1, b2 = flat.principal[0, flat.index("A-1")], flat.principal[0, flat.index("A-2")]
    assert b1 / (b1 + b2) < 0.35


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
