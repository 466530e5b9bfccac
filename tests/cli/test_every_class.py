"""Every command, for every class of the deal: a result or one usage line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from waterfall import load_deal
from waterfall.cli import main

ROOT = Path(__file__).parents[2]
DEAL = str(ROOT / "deals" / "2002-HE1.yaml")
CLASSES = load_deal(DEAL).tranche_names


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize(
    "command",
    [
        ["price-table", DEAL, "--prices", "50,100", "--months", "24"],
        ["breakeven", DEAL, "--months", "24"],
    ],
    ids=["price-table", "breakeven"],
)
def test_each_class_gets_a_result_or_a_usage_line(
    command: list[str], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*command, "--class", name, "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 0:
        assert out.startswith("{")
        assert err == ""
    else:
        assert err.count("\n") == 1
        assert err.startswith(f"waterfall {command[0]}: --class {name}:")
