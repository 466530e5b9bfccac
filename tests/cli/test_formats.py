"""Every command takes --format table|json, and csv where its output is a table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from waterfall.cli import main

ROOT = Path(__file__).parents[2]
DEAL = str(ROOT / "deals" / "2002-HE1.yaml")
STATEMENT = str(ROOT / "deals" / "statements" / "2002-HE1-2002-11-15.txt")
POOL = ["pool", "--balance", "1000000", "--wac", "8", "--term", "24", "--cpr", "10"]

COMMANDS = {
    "run": (["run", DEAL, "--months", "12"], ("table", "json", "csv")),
    "pool": (POOL, ("table", "json", "csv")),
    "reconcile": (["reconcile", DEAL, STATEMENT], ("table", "json", "csv")),
    "calibrate": (["calibrate", DEAL, STATEMENT, "--dry-run"], ("table", "json", "csv")),
    "validate": (["validate", DEAL], ("table", "json")),
    "breakeven": (["breakeven", DEAL, "--class", "B", "--months", "12"], ("table", "json", "csv")),
    "price-table": (
        ["price-table", DEAL, "--class", "A-1", "--prices", "100", "--months", "12"],
        ("table", "json", "csv"),
    ),
}


@pytest.mark.parametrize(
    ("command", "output"),
    [(name, fmt) for name, (_, formats) in COMMANDS.items() for fmt in formats],
)
def test_each_format_prints_what_it_says(
    command: str, output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, _ = COMMANDS[command]
    assert main([*argv, "--format", output]) == 0
    text = capsys.readouterr().out
    assert text.endswith("\n")
    if output == "json":
        assert isinstance(json.loads(text), dict)
    elif output == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) >= 2
        assert (
            len({len(row) for row in rows}) == 1
        )  # a rectangle: every row has the header's cells
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)


def test_json_never_carries_nan(capsys: pytest.CaptureFixture[str]) -> None:
    # at 100 CDR M-1 is written off: no WAL, no yield, no margin; JSON says null, not NaN
    argv = ["price-table", DEAL, "--class", "M-1", "--prices", "100", "--columns", "cdr=0,100",
            "--months", "60", "--format", "json"]  # fmt: skip
    assert main(argv) == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON output")

    document = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert document["wal_years"][1] is None
