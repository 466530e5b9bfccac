"""The cash-flow report ties out from the file alone: every month, cash in = cash out.

The sums are written here from the column names the README documents, not taken from the
report's own lists, so a column that is missing, mislabelled or computed wrong breaks them.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest

from waterfall.cli import main

REPO = Path(__file__).resolve().parents[2]
HE1 = "deals/2002-HE1.yaml"
HALF_CENT = 0.005

CASH_IN = (  # per loan group
    "interest_collected",
    "interest_advanced",
    "scheduled_principal",
    "principal_advanced",
    "unscheduled_principal",
    "recoveries",
    "penalties",
)
CASH_OUT = (  # per class
    "interest_paid",
    "carryforward_paid",
    "writedown_reimbursed",
    "principal",
    "penalties",
    "residual",
)

SCENARIOS = {
    "advancing": [HE1, "--cpr", "30"],
    "no-advancing": [HE1, "--cpr", "30", "--no-advancing"],
    "stress": [HE1, "--cpr", "30", "--cdr", "10", "--severity", "50", "--lag", "12"],
    "stress-no-advancing": [HE1, "--cpr", "20", "--cdr", "8", "--severity", "60", "--lag", "6",
                            "--no-advancing"],
    "call": [HE1, "--cpr", "30", "--call"],
    "trigger-failing-high-libor": [HE1, "--cpr", "50", "--cdr", "6", "--severity", "40",
                                   "--libor", "1.8025 12R 9", "--trigger", "failing"],
    "two-class": ["deals/two-class.yaml", "--cpr", "15", "--cdr", "3", "--severity", "40"],
    "interest-shortfalls": [HE1, "--cpr", "40", "--cdr", "4", "--severity", "45",
                            "--ppis-days", "15", "--relief-act", "5"],
}  # fmt: skip


def report(tmp_path: Path, argv: list[str], name: str = "cf.csv") -> list[dict[str, str]]:
    target = tmp_path / name
    assert main(["run", *argv, "--cashflows", str(target)]) == 0
    with target.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number(row: dict[str, str], key: str) -> float:
    text = row[key]  # KeyError: the README's column is missing
    return float(text) if text else 0.0


def names(header: list[str], suffix: str) -> list[str]:
    return [h.removesuffix(suffix) for h in header if h.endswith(suffix)]


def tie_out(rows: list[dict[str, str]]) -> np.typing.NDArray[np.float64]:
    header = list(rows[0])
    groups = [g for g in names(header, ".interest_collected") if g != "pool"]
    classes = names(header, ".interest_due")
    fees = [h for h in names(header, ".paid") if h not in classes and "." not in h]
    gaps = []
    for row in rows:
        cash_in = sum(number(row, f"{g}.{k}") for g in groups for k in CASH_IN)
        cash_in -= sum(number(row, f"{g}.interest_shortfalls") for g in groups)
        cash_in += number(row, "call_proceeds") + number(row, "cap_contract_payment")
        cash_out = sum(number(row, f"{c}.{k}") for c in classes for k in CASH_OUT)
        cash_out += sum(number(row, f"{fee}.paid") for fee in fees) + number(row, "unallocated")
        gaps.append(cash_in - cash_out)
    return np.array(gaps)


@pytest.mark.parametrize("argv", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_cash_in_equals_cash_out_to_the_cent_every_month_from_the_file_alone(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = report(tmp_path, argv)
    capsys.readouterr()
    gaps = tie_out(rows)
    assert len(gaps) > 1
    assert np.abs(gaps).max() < HALF_CENT, f"month {int(np.abs(gaps).argmax()) + 1}"
    # the file's own totals agree with the sums of its columns
    for row in rows:
        assert number(row, "cash_in") == pytest.approx(number(row, "cash_out"), abs=HALF_CENT)


def test_advances_are_their_own_columns_and_only_when_advancing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stress = SCENARIOS["stress"]
    advanced = report(tmp_path, stress)
    plain = report(tmp_path, [*stress, "--no-advancing"], "plain.csv")
    capsys.readouterr()
    interest = sum(number(r, "pool.interest_advanced") for r in advanced)
    principal = sum(number(r, "pool.principal_advanced") for r in advanced)
    # without the advance columns the file is millions short, as the issue found
    assert interest > 1_000_000
    assert principal > 10_000
    assert sum(number(r, "pool.interest_advanced") for r in plain) == 0.0
    assert sum(number(r, "pool.principal_advanced") for r in plain) == 0.0


def test_pool_columns_are_the_sum_of_the_groups_and_balances_roll_forward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = report(tmp_path, SCENARIOS["stress"])
    capsys.readouterr()
    for row in rows:
        for key in ("balance", "defaults", "losses", "recoveries", "penalties"):
            groups = number(row, f"group_1.{key}") + number(row, f"group_2.{key}")
            assert groups == pytest.approx(number(row, f"pool.{key}"), abs=1e-5), key
    for before, after in itertools.pairwise(rows):
        for name in ("A-1", "A-2", "M-1", "M-2", "B", "P"):
            rolled = (
                number(before, f"{name}.balance")
                - number(after, f"{name}.principal")
                - number(after, f"{name}.writedown")
            )
            assert rolled == pytest.approx(number(after, f"{name}.balance"), abs=1e-5), name
        paid_down = (
            number(before, "pool.balance")
            - number(after, "pool.scheduled_principal")
            - number(after, "pool.principal_advanced")
            - number(after, "pool.unscheduled_principal")
            - number(after, "pool.recoveries")
            - number(after, "pool.losses")
        )
        assert paid_down == pytest.approx(number(after, "pool.balance"), abs=1e-4)


def test_coupon_cap_and_structure_columns_say_what_the_deal_did(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = report(tmp_path, [HE1, "--cpr", "50", "--cdr", "6", "--severity", "40"])
    capsys.readouterr()
    first = rows[0]
    assert number(first, "libor_percent") == pytest.approx(1.8025)
    assert number(first, "A-1.coupon_percent") == pytest.approx(1.8025 + 0.42)
    assert first["A-IO.cap_percent"] == ""  # A-IO is not capped
    assert number(first, "A-1.cap_percent") > number(first, "A-1.coupon_percent")
    # M-1's coupon is cut by the cap in some months: the file shows it without backing it out
    cut = [
        r
        for r in rows
        if number(r, "M-1.balance") > 0
        and number(r, "M-1.coupon_percent") < number(r, "libor_percent") + 1.10 - 1e-9
    ]
    assert cut
    assert all(number(r, "M-1.coupon_percent") == number(r, "M-1.cap_percent") for r in cut)
    assert {r["is_stepped_down"] for r in rows} == {"0", "1"}
    assert all(
        number(r, "oc_actual") == pytest.approx(number(r, "X.balance"), abs=1e-5) for r in rows
    )


@pytest.mark.parametrize(("suffix", "module"), [(".parquet", "pyarrow"), (".xlsx", "openpyxl")])
def test_parquet_and_xlsx_hold_the_csv_columns_and_numbers(
    tmp_path: Path, suffix: str, module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip(module)
    argv = [HE1, "--cpr", "30", "--months", "24"]
    rows = report(tmp_path, argv)
    target = tmp_path / f"cf{suffix}"
    assert main(["run", *argv, "--cashflows", str(target)]) == 0
    capsys.readouterr()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(target)
        header = table.column_names
        values = [table.column(h).to_pylist() for h in header]
        assert table.schema.metadata[b"unit:A-1.principal"] == b"dollars"
    else:
        from openpyxl import load_workbook

        workbook = load_workbook(target, read_only=True)  # holds the file open until closed
        try:
            table_rows = [list(r) for r in workbook["cashflows"].iter_rows(values_only=True)]
        finally:
            workbook.close()
        header = table_rows[0]
        assert table_rows[1][header.index("libor_percent")] == "percent"
        values = [list(col) for col in zip(*table_rows[2:], strict=True)]
    assert list(header) == list(rows[0])
    principal = values[list(header).index("A-2.principal")]
    assert principal == [float(r["A-2.principal"]) for r in rows]


def test_a_report_format_whose_extra_is_missing_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = importlib.import_module

    def without_openpyxl(name: str, *args: object) -> object:
        if name == "openpyxl":
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(importlib, "import_module", without_openpyxl)
    target = tmp_path / "cf.xlsx"
    assert main(["run", HE1, "--cashflows", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"waterfall run: --cashflows {target}: a xlsx file needs openpyxl: "
        "pip install 'rmbs-waterfall[xlsx]'\n"
    )
    assert not target.exists()


def test_the_readme_names_every_column_with_its_unit() -> None:
    from waterfall.cashflows import COLUMNS

    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- cash-flow columns:")
    table = text[start : text.index("<!-- end -->", start)].splitlines()[3:]
    shown = [
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")) for line in table
    ]
    assert shown == [(c.name, c.unit, c.note) for c in COLUMNS]


def test_the_readme_report_example_runs_and_ties_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The cash-flow report") :]
    line = section[section.index("```sh\n") + 6 :].splitlines()[0]
    argv = shlex.split(line)
    assert argv[:2] == ["waterfall", "run"]
    assert argv[-2:] == ["--cashflows", "cf.csv"]
    monkeypatch.chdir(REPO)
    target = tmp_path / "cf.csv"
    assert main([*argv[1:-1], str(target)]) == 0
    capsys.readouterr()
    with target.open(encoding="utf-8") as handle:
        gaps = tie_out(list(csv.DictReader(handle)))
    assert np.abs(gaps).max() < HALF_CENT


def test_a_cap_contract_payment_is_cash_in_and_the_file_still_ties_out(tmp_path: Path) -> None:
    import dataclasses
    from datetime import date

    from waterfall import load_deal, run
    from waterfall.deal.model import NotionalStep, YieldMaintenance
    from waterfall.report.cashflows import cashflows_csv
    from waterfall.scenario import Curve, load_scenario

    deal = load_deal(REPO / HE1)
    contract = YieldMaintenance(
        notional_schedule=(NotionalStep(date(2004, 12, 15), 300_000_000.0),),
        strike=0.04,
        ceiling=0.09,
        day_count="act/360",
    )
    scenario = dataclasses.replace(
        load_scenario(REPO / "scenarios" / "2002-11-observed.yaml"),
        libor=Curve("libor", "1.8025 12R 9"),
        months=36,
    )
    target = tmp_path / "cf.csv"
    target.write_text(cashflows_csv(run(dataclasses.replace(deal, yield_maintenance=contract),
                                        scenario)))  # fmt: skip
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(number(r, "cap_contract_payment") for r in rows) > 100_000
    assert np.abs(tie_out(rows)).max() < HALF_CENT


def test_interest_shortfalls_are_shown_and_taken_off_the_cash_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = report(tmp_path, SCENARIOS["interest-shortfalls"])
    capsys.readouterr()
    assert sum(number(r, "pool.interest_shortfalls") for r in rows) > 10_000
    assert sum(number(r, "A-2.interest_reduction") for r in rows) > 0
