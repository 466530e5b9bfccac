"""The README's first projected month is what `waterfall run deals/2002-HE1.yaml` computes."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from waterfall import load_deal, run
from waterfall.scenario import load_scenario
from waterfall.statement import read_statement

ROOT = Path(__file__).parents[2]


def readme_rows() -> dict[str, list[float]]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- first-projected-month:.*?-->\n(.*?)<!-- end -->", text, re.S)
    assert block, "the README lost its first-projected-month table"
    rows = {}
    for line in block.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 1 and re.fullmatch(r"[\d,.]+", cells[1]):
            rows[cells[0]] = [float(c.replace(",", "")) for c in cells[1:]]
    return rows


def test_readme_shows_the_december_projection_beside_the_november_statement() -> None:
    deal = load_deal(ROOT / "deals" / "2002-HE1.yaml")
    result = run(deal, load_scenario(deal.default_scenario))
    statement = read_statement(ROOT / "deals" / "statements" / "2002-HE1-2002-11-15.txt")
    rows = readme_rows()
    assert result.dates[0] == datetime.date(2002, 12, 16)
    for index, name in enumerate(result.tranche_names):
        reported = statement.by_name(name)
        november = [float(reported.interest), float(reported.principal)]
        november.append(float(reported.ending_balance))
        december = [result.interest[0, index], result.principal[0, index]]
        december.append(result.balance[0, index])
        assert rows[name] == pytest.approx(november + december, abs=0.005), name
    collateral = result.collateral
    assert rows["pool ending balance"] == pytest.approx(
        [float(statement.principal.ending_balance), result.pool_balance[1]], abs=0.005
    )
    december_pool = {
        "scheduled principal (advanced)": collateral["expected_amortization"][0],
        "prepayments and curtailments": collateral["voluntary_prepayments"][0],
        "net liquidation proceeds": collateral["principal_recovery"][0],
        "realized losses": collateral["principal_loss"][0],
    }
    for name, value in december_pool.items():
        assert rows[name][1] == pytest.approx(value, abs=0.005), name


def test_readme_pool_rows_add_up_to_the_ending_balance() -> None:
    rows = readme_rows()
    outflows = (
        "scheduled principal (advanced)",
        "prepayments and curtailments",
        "net liquidation proceeds",
        "realized losses",
    )
    november, december = (
        rows["pool beginning balance"][k] - sum(rows[name][k] for name in outflows) for k in (0, 1)
    )
    # December: to the rounding of the four printed rows
    assert december == pytest.approx(rows["pool ending balance"][1], abs=0.025)
    # November: the statement's own 0.26 (DEAL_NOTES: ending balance above its roll-forward)
    assert rows["pool ending balance"][0] - november == pytest.approx(0.26, abs=1e-6)
