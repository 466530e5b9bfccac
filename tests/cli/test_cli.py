"""The `waterfall` command line, in-process through ``main([...])``: exit codes and output (C7)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

from waterfall.cli import main

REPO = Path(__file__).resolve().parents[2]
HE1 = "deals/2002-HE1.yaml"
TWO_CLASS = "deals/two-class.yaml"
HE1_CLASSES = ["A-1", "A-2", "A-IO", "M-1", "M-2", "B", "P", "X", "R", "BIO"]
CLASS_KEYS = {
    "name",
    "beginning_balance",
    "principal",
    "interest",
    "writedown",
    "principal_loss",
    "yield",
    "discount_margin",
    "modified_duration",
    "wal_years",
    "first_principal_month",
    "last_principal_month",
    "price",
    "to_call",  # 2002-HE1 has a clean-up call: its measures to call beside to maturity
    "monthly",
}
CLASS_MONTHLY_KEYS = {"balance", "principal", "interest", "writedown"}
COLLATERAL_MONTHLY = [  # the standard's column names, in its order (STANDARDS 1.6)
    "performing_balance",
    "new_defaults",
    "foreclosure_balance",
    "expected_amortization",
    "voluntary_prepayments",
    "amortization_from_defaults",
    "actual_amortization",
    "expected_interest",
    "interest_lost",
    "actual_interest",
    "principal_recovery",
    "principal_loss",
]
CENT = 0.01  # outputs are dollars rounded to the cent


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int | str | None, str, str]:
    """Run ``main(argv)``; return (exit code, stdout, stderr).

    argparse reports its own usage errors by raising ``SystemExit``; its code counts as the
    exit code, exactly as it would for the installed command.
    """
    code: int | str | None
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def reject_constant(name: str) -> NoReturn:
    raise ValueError(f"the output holds {name}, which is not JSON")


def strict_json(text: str) -> Any:
    """Parse JSON, refusing the NaN / Infinity that ``json.dumps`` writes by default."""
    return json.loads(text, parse_constant=reject_constant)


def run_json(capsys: pytest.CaptureFixture[str], *flags: str) -> Any:
    code, out, err = cli(capsys, "run", HE1, "--cpr", "30", "--format", "json", *flags)
    assert (code, err) == (0, "")
    return strict_json(out)


# waterfall run --format json


def test_run_json_has_the_documented_top_level_keys(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys)
    assert {"deal", "as_of", "assumptions", "months", "classes", "collateral"} <= set(doc)
    assert doc["deal"] == "ABSC 2002-HE1"
    assert doc["as_of"] == "2002-11-15"
    # numbers a program can use, the unit in the key (STANDARDS-style percent, as the flags)
    assert doc["assumptions"]["cpr_percent"] == 30.0
    assert doc["assumptions"]["severity_percent"] == 50.628130
    assert doc["assumptions"]["libor_percent"] == 1.8025
    assert doc["assumptions"]["recovery_lag_months"] == 12
    assert isinstance(doc["months"], int)
    assert doc["months"] > 0


def test_run_json_lists_exactly_the_ten_classes_of_2002_he1_in_deal_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys)
    assert [c["name"] for c in doc["classes"]] == HE1_CLASSES


def test_run_json_gives_every_class_its_totals_wal_window_and_monthly_flows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys)
    for c in doc["classes"]:
        assert set(c) == CLASS_KEYS, c["name"]
        assert set(c["monthly"]) == CLASS_MONTHLY_KEYS, c["name"]
        for name, values in c["monthly"].items():
            assert len(values) == doc["months"], (c["name"], name)


def test_run_json_collateral_monthly_uses_the_standard_column_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys)
    monthly = doc["collateral"]["monthly"]
    assert list(monthly) == COLLATERAL_MONTHLY
    for name, values in monthly.items():
        assert len(values) == doc["months"], name


def test_run_json_principal_of_each_bond_class_sums_to_its_beginning_balance_at_30_cpr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No defaults, so every bond class (and P) is paid off in full.
    doc = run_json(capsys, "--cdr", "0")
    for c in doc["classes"]:
        if c["name"] in ("A-1", "A-2", "M-1", "M-2", "B", "P"):
            assert c["principal"] == pytest.approx(c["beginning_balance"], abs=CENT), c["name"]
            assert sum(c["monthly"]["principal"]) == pytest.approx(c["principal"], abs=1.0)


def test_strict_json_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        strict_json('{"wal_years": NaN}')


# waterfall run: table, csv and --cashflows


def test_run_table_prints_one_row_per_class_in_deal_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(capsys, "run", HE1, "--cpr", "30")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("class "))
    rows = lines[header + 1 : header + 1 + len(HE1_CLASSES)]
    assert [row.split()[0] for row in rows] == HE1_CLASSES


def test_run_csv_prints_a_header_and_one_row_per_class(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(capsys, "run", HE1, "--cpr", "30", "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "name"
    assert [row[0] for row in rows[1:]] == HE1_CLASSES
    assert {len(row) for row in rows} == {len(rows[0])}


def test_cashflows_writes_one_csv_row_per_month(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "flows.csv"
    doc = run_json(capsys, "--cashflows", str(target))
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["month", "date"]
    assert len(rows) == 1 + doc["months"]
    assert [int(row[0]) for row in rows[1:]] == list(range(1, doc["months"] + 1))
    assert [row[1] for row in rows[1:]] == doc["dates"]
    assert {len(row) for row in rows} == {len(rows[0])}


def test_cashflows_in_a_missing_directory_is_a_usage_error_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "no-such-dir" / "flows.csv"
    code, out, err = cli(capsys, "run", HE1, "--cpr", "30", "--cashflows", str(target))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"waterfall run: cannot write '{target}': No such file or directory"
    ]
    assert list(tmp_path.iterdir()) == []


def test_cashflows_onto_an_existing_directory_is_a_usage_error_and_leaves_no_temp_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "flows").mkdir()
    target = tmp_path / "flows"
    code, out, err = cli(capsys, "run", TWO_CLASS, "--cashflows", str(target))
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["flows"]


def test_cashflows_file_gets_the_permissions_of_an_ordinary_new_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "flows.csv"
    code, _, _ = cli(capsys, "run", TWO_CLASS, "--cashflows", str(target))
    assert code == 0
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


# Usage errors: exit 2, one line on stderr, nothing on stdout, no traceback

ARGPARSE_ERRORS = [  # argparse's wording changes between Python versions: check the gist
    pytest.param(["run", HE1, "--bogus"], "unrecognized arguments: --bogus", id="unknown-flag"),
    pytest.param(
        ["run", HE1, "--cpr", "30", "--psa", "100"],
        "argument --psa: not allowed with argument --cpr",
        id="cpr-and-psa",
    ),
    pytest.param(["run", HE1, "--format", "xml"], "invalid choice: 'xml'", id="format-xml"),
    pytest.param(
        ["pool", "--wac", "8", "--term", "360"],
        "the following arguments are required: --balance",
        id="pool-without-balance",
    ),
    pytest.param(["run", HE1, "--lag", "twelve"], "argument --lag", id="lag-not-a-number"),
    pytest.param([], "the following arguments are required: COMMAND", id="no-command"),
]

VALUE_ERRORS = [
    pytest.param(
        ["run", HE1, "--cpr", "4 11X 27"],
        "waterfall run: --cpr '4 11X 27': token 2 '11X': expected a segment like '12R' (ramp) "
        "or '12S' (step)",
        id="bad-cpr-vector",
    ),
    pytest.param(
        ["run", HE1, "--cpr", "-5"],
        "waterfall run: --cpr '-5': -5 is out of range; expected a percentage from 0 to 100",
        id="negative-cpr",
    ),
    pytest.param(
        ["run", HE1, "--cpr", "150"],
        "waterfall run: --cpr '150': 150 is out of range; expected a percentage from 0 to 100",
        id="cpr-150",
    ),
    pytest.param(
        ["run", HE1, "--lag", "-1"],
        "waterfall run: --lag -1: expected 0 to 360 months",
        id="negative-lag",
    ),
    pytest.param(
        ["pool", "--balance", "100000000", "--wac", "800", "--term", "360"],
        "waterfall pool: --wac 800: expected a note rate in percent, 0 to 50",
        id="pool-wac-800",
    ),
]


@pytest.mark.parametrize(("argv", "gist"), ARGPARSE_ERRORS)
def test_argparse_usage_error_exits_2_with_one_line_pointing_to_help(
    capsys: pytest.CaptureFixture[str], argv: list[str], gist: str
) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    [line] = err.splitlines()
    assert line.startswith("waterfall")
    assert gist in line
    assert line.endswith(" --help'")


@pytest.mark.parametrize(("argv", "line"), VALUE_ERRORS)
def test_bad_flag_value_exits_2_with_exactly_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    code, out, err = cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [line]


def test_every_bad_flag_value_is_reported_in_one_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "run", HE1, "--lag", "-1", "--months", "0")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "waterfall run: --lag -1: expected 0 to 360 months",
        "waterfall run: --months 0: expected 1 to 720",
    ]


# Bad files


def test_missing_deal_file_exits_1_with_one_line_naming_the_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(capsys, "run", "deals/no-such-deal.yaml", "--cpr", "30")
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        "deals/no-such-deal.yaml:0:0: cannot read the file: No such file or directory"
    ]


# waterfall pool


def test_pool_at_1_smm_1_mdr_projects_360_months_and_the_standard_month_1_balance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = cli(
        capsys,
        "pool",
        "--balance", "100000000",
        "--wac", "8",
        "--term", "360",
        "--smm", "1",
        "--mdr", "1",
        "--severity", "20",
        "--lag", "12",
        "--advancing",
        "--format", "json",
    )  # fmt: skip
    assert (code, err) == (0, "")
    doc = strict_json(out)
    assert doc["months"] == 360
    monthly = doc["monthly"]
    assert list(monthly) == COLLATERAL_MONTHLY
    assert {len(values) for values in monthly.values()} == {360}
    # STANDARDS 1.6, month 1, PERF(0) = 100,000,000, r = 0.08 / 12, n = 360, MDR = SMM = 0.01:
    #   level payment  = r / (1 - (1 + r)**-360) = 0.00733764574 per dollar (733,764.57)
    #   1 - af(1)      = payment - r = 0.00733764574 - 0.00666666667 = 0.00067097907
    #   NEW_DEF(1)     = PERF(0) * MDR                 = 100,000,000 * 0.01  = 1,000,000.00
    #   VOL_PREPAY(1)  = PERF(0) * af(1) * SMM         = 100,000,000 * 0.99932902093 * 0.01
    #                                                  =                          999,329.02
    #   ACT_AM(1)      = (PERF(0) - NEW_DEF(1)) * (1 - af(1)) = 99,000,000 * 0.00067097907
    #                                                  =                           66,426.93
    #   PERF(1)        = 100,000,000 - 1,000,000.00 - 999,329.02 - 66,426.93 = 97,934,244.05
    assert monthly["new_defaults"][0] == pytest.approx(1_000_000.00, abs=CENT)
    assert monthly["voluntary_prepayments"][0] == pytest.approx(999_329.02, abs=CENT)
    assert monthly["actual_amortization"][0] == pytest.approx(66_426.93, abs=CENT)
    assert monthly["performing_balance"][0] == pytest.approx(97_934_244.05, abs=CENT)


# waterfall validate


def test_validate_accepts_both_example_deals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "validate", HE1, TWO_CLASS)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{HE1}: ok: 10 tranches")
    assert lines[1].startswith(f"{TWO_CLASS}: ok: 3 tranches")


# python -m waterfall


def test_python_dash_m_waterfall_runs_2002_he1() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "waterfall", "run", HE1, "--cpr", "30"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    first_words = [line.split()[0] for line in completed.stdout.splitlines() if line.strip()]
    for name in HE1_CLASSES:
        assert name in first_words, name


def test_shipped_scenario_file_runs_and_flags_override_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = "scenarios/ppc-trigger-fail.yaml"
    code, out, _ = cli(capsys, "run", HE1, "--scenario", scenario, "--format", "json")
    assert code == 0
    stressed = json.loads(out)
    ppc = stressed["assumptions"]["cpr_percent"]  # month by month until the last value holds
    assert [ppc[0], ppc[11], ppc[12], ppc[21], ppc[22], ppc[26], ppc[27]] == pytest.approx(
        [4, 27, 27, 27, 50, 50, 27]
    )
    assert len(ppc) == 28
    assert stressed["assumptions"]["trigger"] == "failing"
    # a failing trigger keeps the subordinates locked out while the seniors are outstanding
    assert stressed["collateral"]["cumulative_losses_pct"] > 0
    code, out, _ = cli(
        capsys, "run", HE1, "--scenario", scenario, "--cdr", "0", "--format", "json"
    )
    assert code == 0
    # with no new defaults, only the seeded pipeline (foreclosure 42,494,090.76 + bankruptcy
    # 9,125,104 + REO 1,890,965 = 53,510,159.76) liquidates, at the file's 40% severity
    expected = 53_510_159.76 * 0.40 / 798_796_001.41 * 100
    assert json.loads(out)["collateral"]["cumulative_losses_pct"] == pytest.approx(
        expected, abs=5e-5
    )
