"""The November 2002 statement reconciles through the deal's waterfall to the cent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from waterfall import load_deal
from waterfall.cli import main
from waterfall.statement import parse_statement, read_statement
from waterfall.statement.reconcile import reconcile

ROOT = Path(__file__).parents[2]
DEAL = ROOT / "deals" / "2002-HE1.yaml"
STATEMENT = ROOT / "deals" / "statements" / "2002-HE1-2002-11-15.txt"


def test_every_class_payment_and_balance_matches_the_statement_to_the_cent() -> None:
    lines = {line.name: line for line in reconcile(load_deal(DEAL), read_statement(STATEMENT))}
    for name in ("A-1", "A-2", "A-IO", "M-1", "M-2", "B", "P", "X", "R", "BIO"):
        assert abs(lines[f"{name} interest"].difference) < 0.005, name
        assert abs(lines[f"{name} principal"].difference) < 0.005, name
    for name in ("A-1", "A-2", "A-IO", "M-1", "M-2", "B", "P", "R", "BIO"):
        assert abs(lines[f"{name} ending balance"].difference) < 0.005, name
    # hand check from the statement: 16,165,190.41 + 7,217,879.78 = 23,328,770.64 + 54,299.55
    assert lines["extra principal (derived)"].modeled == pytest.approx(54_299.55, abs=0.005)
    assert lines["net monthly excess cash flow"].modeled == pytest.approx(2_451_500.28)


def test_the_only_differences_are_the_trustees_026_and_its_factor_rounding() -> None:
    lines = reconcile(load_deal(DEAL), read_statement(STATEMENT))
    differing = {line.name: line for line in lines if not line.is_exact}
    assert sorted(differing) == [
        "A-1 ending per 1,000",
        "A-1 principal per 1,000",
        "A-2 principal per 1,000",
        "X ending balance",
        "overcollateralization after (En Overcoll Amt)",
        "servicing fee",
    ]
    # 798,796,001.41 reported - (822,179,071.35 - 23,328,770.64 - 54,299.56) = 0.26
    for name in ("X ending balance", "overcollateralization after (En Overcoll Amt)"):
        assert differing[name].difference == pytest.approx(0.26)
        assert "0.26" in differing[name].explained
    # 16,165,190.41 / 235,258 = 68.712606628 -> 68.71260663; printed 68.71260664
    for name in ("A-1 ending per 1,000", "A-1 principal per 1,000", "A-2 principal per 1,000"):
        assert abs(differing[name].difference) == pytest.approx(1e-8)
        assert "one unit in the 8th decimal" in differing[name].explained
    # 0.50% x 822,179,071.35 / 12 = 342,574.61; the trustee's loan-by-loan fee is 342,574.70
    assert differing["servicing fee"].difference == pytest.approx(-0.09)
    assert "5,871 loans" in differing["servicing fee"].explained
    assert all(line.is_reconciled for line in lines)
    assert len(lines) == 71


def test_a_statement_the_waterfall_cannot_produce_is_flagged_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = STATEMENT.read_text()
    altered = text.replace("933465.63", "933466.63")  # A-2 paid a dollar more than it accrued
    statement = parse_statement(altered, "altered.txt")
    lines = {line.name: line for line in reconcile(load_deal(DEAL), statement)}
    assert lines["A-2 interest"].difference == pytest.approx(-1.0)
    assert not lines["A-2 interest"].is_reconciled
    path = tmp_path / "altered.txt"
    path.write_text(altered)
    assert main(["reconcile", str(DEAL), str(path)]) == 1
    assert "UNEXPLAINED" in capsys.readouterr().out


def test_reconcile_command_exits_0_on_the_shipped_statement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["reconcile", str(DEAL), str(STATEMENT)]) == 0
    assert "71 of 71 lines reconciled" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        # a thousand dollars of OC is not the statement's 0.26 of pool rounding
        ("En Overcoll Amt                                           14,250,001.74",
         "En Overcoll Amt                                           14,249,001.74",
         "overcollateralization after (En Overcoll Amt)"),
        # 23.195000% is about $30,000 of enhancement away from 23.191153%
        ("Credit Enhancement %                                      23.191153%",
         "Credit Enhancement %                                      23.195000%",
         "credit enhancement %"),
    ],
)  # fmt: skip
def test_a_difference_that_is_not_the_named_one_stays_unexplained(
    old: str, new: str, line: str
) -> None:
    text = STATEMENT.read_text()
    assert text.count(old) == 1
    lines = {
        x.name: x for x in reconcile(load_deal(DEAL), parse_statement(text.replace(old, new)))
    }
    assert not lines[line].is_reconciled
    assert lines[line].explained == ""


def test_a_statement_of_another_deal_or_an_empty_pool_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two_class = ROOT / "deals" / "two-class.yaml"
    assert main(["reconcile", str(two_class), str(STATEMENT)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{STATEMENT}:76:1: SNR: the deal has this class; the statement's table not",
        f"{STATEMENT}:76:1: SUB: the deal has this class; the statement's table not",
    ]
    empty = tmp_path / "empty-pool.txt"
    empty.write_text(
        STATEMENT.read_text().replace(
            "Beg Bal                                                  822,179,071.35",
            "Beg Bal                                                            0.00",
        )
    )
    assert main(["reconcile", str(DEAL), str(empty)]) == 1
    assert capsys.readouterr().err == f"{empty}:124:1: Beg Bal: expected > 0\n"


def test_the_cap_contract_payment_is_computed_from_the_deals_terms_at_the_periods_libor() -> None:
    """The deal's contract pays notional x (LIBOR - strike) x 31/360 for the period; a
    statement printing another amount is flagged."""
    from datetime import date

    from waterfall.deal.model import NotionalStep, YieldMaintenance

    deal = load_deal(DEAL)
    text = STATEMENT.read_text()
    lines = {line.name: line for line in reconcile(deal, parse_statement(text))}
    assert lines["payment from the yield maintenance agreement"].modeled == 0.0  # no notional
    contract = YieldMaintenance(
        (NotionalStep(date(2003, 1, 15), 100_000_000.0),), 0.015, None, "act/360"
    )
    with_contract = dataclasses.replace(deal, yield_maintenance=contract)
    # implied LIBOR 2.22250% - 0.42% = 1.8025%: 100,000,000 x 0.3025% x 31/360 = 26,048.61
    paid = "26,048.61"
    printed = text.replace(
        "Pmt from Yield Maint Agreement                                  0.00",
        f"Pmt from Yield Maint Agreement                             {paid}",
    )
    assert printed != text
    lines = {line.name: line for line in reconcile(with_contract, parse_statement(printed))}
    line = lines["payment from the yield maintenance agreement"]
    assert line.modeled == pytest.approx(26_048.61, abs=1e-9)
    assert line.is_exact
    # the shipped deal (no notional) against that statement: flagged, not explained
    lines = {line.name: line for line in reconcile(deal, parse_statement(printed))}
    line = lines["payment from the yield maintenance agreement"]
    assert not line.is_exact
    assert not line.explained
