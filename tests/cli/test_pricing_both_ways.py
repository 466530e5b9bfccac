"""Pricing both ways (a price, a yield or a discount margin) and to call beside to maturity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from waterfall.cli import main

REPO = Path(__file__).resolve().parents[2]
HE1 = "deals/2002-HE1.yaml"
FLOATERS = ("A-1", "A-2", "M-1", "M-2", "B")
MARGIN_BP = {"A-1": 42, "A-2": 38, "M-1": 110, "M-2": 165, "B": 265}


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def run_json(capsys: pytest.CaptureFixture[str], *flags: str) -> dict[str, Any]:
    assert main(["run", HE1, *flags, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    doc: dict[str, Any] = json.loads(captured.out)
    return doc


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in doc["classes"]}


def test_a_yield_prices_every_bond_and_the_price_gives_the_yield_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    classes = by_name(run_json(capsys, "--cpr", "25", "--yield", "5"))
    for name in FLOATERS:
        assert classes[name]["yield"] == pytest.approx(5.0, abs=1e-6), name
        assert classes[name]["price"] < 100.0  # a 2-5% coupon priced to yield 5%
    # repricing at the price found gives the same DM as pricing to that price directly
    price = classes["M-1"]["price"]
    direct = by_name(run_json(capsys, "--cpr", "25", "--price", f"{price:.12f}"))
    assert direct["M-1"]["discount_margin"] == pytest.approx(
        classes["M-1"]["discount_margin"],
        abs=2e-4,  # 4 decimals in JSON
    )
    assert classes["P"]["price"] is None  # P's 100 against its penalties has no such price


def test_a_discount_margin_prices_the_floaters_only(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "--cpr", "25", "--dm", "80")
    classes = by_name(doc)
    assert doc["priced_by"] == {"discount_margin_bp": 80.0}
    for name in FLOATERS:
        assert classes[name]["discount_margin"] == pytest.approx(80.0, abs=1e-6), name
    # wider than A-1's 42 bp margin: below par; tighter than B's 265: above par
    assert classes["A-1"]["price"] < 100.0 < classes["B"]["price"]
    assert classes["P"]["price"] is None
    assert classes["P"]["yield"] is None


def test_to_call_sits_beside_to_maturity_and_removes_the_step_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys, "--cpr", "25", "--cdr", "0")
    assert doc["horizon"] == "to_maturity"
    classes = by_name(doc)
    for name, margin in MARGIN_BP.items():
        to_call = classes[name]["to_call"]["discount_margin"]
        to_maturity = classes[name]["discount_margin"]
        # at par a floater's DM to call is its margin; to maturity the step-up adds to it
        assert to_call == pytest.approx(margin, abs=0.5), name
        if name == "A-1":
            # group 1 (185 million behind 124 million of A-1) retires A-1 before the call
            # is possible: it never earns the step-up
            assert to_maturity == pytest.approx(to_call, abs=0.5)
        else:
            assert to_maturity > to_call + 2, name
    called = run_json(capsys, "--cpr", "25", "--cdr", "0", "--call")
    assert called["horizon"] == "to_call"
    assert by_name(called)["A-1"]["to_maturity"]["discount_margin"] == pytest.approx(
        classes["A-1"]["discount_margin"]
    )


def test_the_table_shows_price_yield_and_the_other_horizon(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", HE1, "--dm", "50"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "each floater priced to a discount margin of 50 bp" in lines[0]
    assert lines[1].endswith("(to maturity)")
    assert lines[3].split()[-5:] == ["price", "yield", "DM", "yld-call", "DM-call"]


def test_price_yield_and_dm_are_one_choice(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", HE1, "--yield", "5", "--dm", "50"])
    assert done.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["run", HE1, "--yield", "500"]) == 2
    assert capsys.readouterr().err == (
        "waterfall run: --yield 500: expected a yield in percent, -50 to 100\n"
    )


def test_price_tables_carry_write_down_and_loss_rows_and_a_to_call_block(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["price-table", HE1, "--class", "B", "--prices", "95,100", "--columns", "cdr=0,12"]
    assert main([*argv, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["writedown"][0] == 0.0
    assert out["writedown"][1] > 1_000_000  # B is written down at 12 CDR
    assert out["cumulative_loss_pct"][0] < out["cumulative_loss_pct"][1]
    # the same cells to call: at par and no loss, B's DM to call is its 265 bp margin
    assert out["to_call"]["discount_margin_bp"][1][0] == pytest.approx(265, abs=0.5)
    assert out["discount_margin_bp"][1][0] > 268  # to maturity: the step-up
    assert main(argv) == 0
    text = capsys.readouterr().out.splitlines()
    rows = {line.split()[0] + " " + line.split()[1]: line for line in text if line.strip()}
    assert "writedown ($)" in rows
    assert rows["writedown ($)"].split()[-2:][0] == "0"
    assert [line.strip() for line in text if line.strip() in ("to maturity", "to call")] == [
        "to maturity",
        "to call",
    ]
