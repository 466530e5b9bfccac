"""Reconcile says what each line proves: checked, input (read from the statement) or fitted.

The senior split, the servicing fee and the required OC come from the deal's calibration,
never from the statement being reconciled: a statement that disagrees with them is flagged
(exit 1) until the deal is calibrated to it again.
"""

from __future__ import annotations

import shutil
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waterfall import load_deal
from waterfall.cli import main
from waterfall.statement import parse_statement, read_statement
from waterfall.statement.reconcile import reconcile

ROOT = Path(__file__).parents[2]
DEAL = ROOT / "deals" / "2002-HE1.yaml"
STATEMENT = ROOT / "deals" / "statements" / "2002-HE1-2002-11-15.txt"
SCENARIO = ROOT / "scenarios" / "2002-11-observed.yaml"

# What `waterfall calibrate` takes from the November statement, so reconciling November
# reproduces it by construction: the senior split (A-1 and A-2 principal, ending balances and
# their factors), the senior expense (X's interest and the excess cash flow), the servicing
# fee rate and the required OC.
FITTED = {
    "A-1 principal",
    "A-1 ending balance",
    "A-1 principal per 1,000",
    "A-1 ending per 1,000",
    "A-2 principal",
    "A-2 ending balance",
    "A-2 principal per 1,000",
    "A-2 ending per 1,000",
    "X interest",
    "net monthly excess cash flow",
    "servicing fee",
    "required overcollateralization",
}
# What the run reads off the statement it is compared with.
INPUT = {"P interest", "P interest per 1,000", "overcollateralization before (X beginning)"}


def test_every_line_is_labelled_and_the_command_prints_the_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = reconcile(load_deal(DEAL), read_statement(STATEMENT))

    assert {line.name for line in lines if line.basis == "fitted"} == FITTED
    assert {line.name for line in lines if line.basis == "input"} == INPUT
    checked = [line for line in lines if line.basis == "checked"]
    assert len(checked) == len(lines) - len(FITTED) - len(INPUT) == 56
    # the evidence: principal beyond the remittance, the seniors' total, enhancement
    evidence = {
        "extra principal (derived)",
        "senior principal (A-1 + A-2)",
        "credit enhancement %",
    }
    assert evidence <= {line.name for line in checked}
    assert all(line.is_reconciled for line in checked)
    assert main(["reconcile", str(DEAL), str(STATEMENT)]) == 0
    out = capsys.readouterr().out
    assert "71 of 71 lines reconciled" in out
    assert (
        "56 checked (computed without reading them), 3 input (read from this statement), " in out
    )
    assert "12 fitted (calibrated to it)" in out


def factor(amount: Decimal, face: Decimal) -> str:
    return str((amount / face * 1000).quantize(Decimal("1e-8"), rounding=ROUND_HALF_UP))


def moved_principal(text: str, amount: Decimal) -> str:
    """November with ``amount`` of principal moved from A-1 to A-2, balances and factors too."""
    statement = parse_statement(text)
    out = text
    for name, step in (("A-1", -amount), ("A-2", amount)):
        row = statement.by_name(name)
        factors = statement.per_thousand_by_name(name)
        principal = row.principal + step
        ending = row.ending_balance - step
        for old, new in (
            (f"{row.principal:.2f}", f"{principal:.2f}"),
            (f"{row.ending_balance:.2f}", f"{ending:.2f}"),
            (f"{factors.principal}", factor(principal, row.original_face)),
            (f"{factors.ending_factor}", factor(ending, row.original_face)),
        ):
            # keep each column's right edge where it was
            width = max(len(old), len(new))
            assert out.count(old.rjust(width)) == 1, old
            out = out.replace(old.rjust(width), new.rjust(width))
    return out


def test_five_million_moved_from_a1_to_a2_is_flagged_on_the_a1_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = moved_principal(STATEMENT.read_text(), Decimal("5000000.00"))
    statement = parse_statement(moved, "moved.txt")
    assert statement.by_name("A-1").principal == Decimal("11165190.41")
    lines = {line.name: line for line in reconcile(load_deal(DEAL), statement)}

    # the deal's calibrated speeds still pay A-1 16,165,190.41
    assert lines["A-1 principal"].difference == pytest.approx(5_000_000.00)
    assert lines["A-2 principal"].difference == pytest.approx(-5_000_000.00)
    assert not lines["A-1 principal"].is_reconciled
    # the total is unchanged, so the evidence lines still hold
    assert lines["senior principal (A-1 + A-2)"].is_exact
    path = tmp_path / "moved.txt"
    path.write_text(moved)
    assert main(["reconcile", str(DEAL), str(path)]) == 1
    flagged = [row for row in capsys.readouterr().out.splitlines() if "UNEXPLAINED" in row]
    assert flagged[0].startswith("A-1 principal ")
    assert "calibrate again" in flagged[0]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("Serv Fee                                                     342,574.70",
         "Serv Fee                                                     300,000.00",
         "servicing fee"),
        ("Req Overcoll Amt                                       14,250,002.00",
         "Req Overcoll Amt                                       14,250,102.00",
         "required overcollateralization"),
    ],
)  # fmt: skip
def test_a_fee_or_oc_target_other_than_the_calibrated_one_is_flagged(
    old: str, new: str, line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = STATEMENT.read_text()
    assert text.count(old) == 1
    path = tmp_path / "altered.txt"
    path.write_text(text.replace(old, new))

    lines = {x.name: x for x in reconcile(load_deal(DEAL), read_statement(path))}

    assert not lines[line].is_reconciled
    assert main(["reconcile", str(DEAL), str(path)]) == 1
    assert f"{line} " in capsys.readouterr().out


def calibrated_to(statement_text: str, folder: Path) -> Path:
    """A copy of the deal calibrated (by the command) to ``statement_text``."""
    (folder / "deals" / "statements").mkdir(parents=True)
    (folder / "scenarios").mkdir()
    statement = folder / "deals" / "statements" / STATEMENT.name
    statement.write_text(statement_text)
    shutil.copy(SCENARIO, folder / "scenarios" / SCENARIO.name)
    deal = Path(shutil.copy(DEAL, folder / "deals" / DEAL.name))
    assert main(["calibrate", str(deal), str(statement), "--format", "json"]) == 0
    return deal


@given(moved=st.integers(-6_500_000_00, 15_500_000_00).map(lambda n: Decimal(n) / 100))
@settings(max_examples=min(settings().max_examples, 12), deadline=None)
def test_calibration_then_a_one_month_run_reproduces_any_split(moved: Decimal) -> None:
    text = moved_principal(STATEMENT.read_text(), moved)
    with tempfile.TemporaryDirectory() as folder:
        deal = load_deal(calibrated_to(text, Path(folder)))
        lines = {line.name: line for line in reconcile(deal, parse_statement(text))}
    for name in ("A-1", "A-2"):
        assert lines[f"{name} principal"].basis == "fitted"
        assert lines[f"{name} principal"].is_exact, lines[f"{name} principal"]
        assert lines[f"{name} ending balance"].is_exact
    assert all(line.is_reconciled for line in lines.values())


def test_a_servicing_fee_that_is_not_a_round_rate_reconciles_once_calibrated_to(
    tmp_path: Path,
) -> None:
    text = STATEMENT.read_text().replace(
        "Serv Fee                                                     342,574.70",
        "Serv Fee                                                     300,000.00",
    )
    deal = load_deal(calibrated_to(text, tmp_path))
    # 300,000.00 x 12 / 822,179,071.35 = 0.43786...%: no 0.01% rate is within the 29.36 the
    # trustee's loan-by-loan rounding can explain, so calibrate keeps the rate unrounded
    servicing = next(fee for fee in deal.fees if fee.role == "servicing")
    assert servicing.annual_rate == pytest.approx(300_000.00 * 12 / 822_179_071.35, abs=1e-10)
    lines = {line.name: line for line in reconcile(deal, parse_statement(text))}
    assert lines["servicing fee"].is_exact
    assert lines["servicing fee"].basis == "fitted"
