"""What a new user tripped on (issue 10, "Why" 4): each test failed before its fix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from waterfall.cli import build_parser, main, scenario_from_flags
from waterfall.deal import load_deal
from waterfall.engine import run
from waterfall.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
HE1 = "deals/2002-HE1.yaml"
STRESS = ["--cpr", "30", "--cdr", "10", "--severity", "50", "--lag", "12"]
HALF_CENT = 0.005


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def test_the_plot_title_names_the_assumptions_run_not_the_base_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    figure = pytest.importorskip("matplotlib.figure")
    titles: list[str] = []
    original = figure.Figure.suptitle

    def record(self: Any, text: str, **kwargs: Any) -> Any:
        titles.append(text)
        return original(self, text, **kwargs)

    monkeypatch.setattr(figure.Figure, "suptitle", record)
    assert main(["run", HE1, *STRESS, "--months", "24", "--plot", str(tmp_path / "p.png")]) == 0
    assert len(titles) == 1
    assert "cpr 30, cdr 10, severity 50, lag 12 months" in titles[0]
    assert "+ command line" in titles[0]
    assert "28.56" not in titles[0]  # the observed scenario's CPR, overridden by --cpr 30


def test_the_residual_balance_never_goes_negative_when_the_pool_runs_out() -> None:
    deal = load_deal(HE1)
    args = build_parser().parse_args(["run", HE1, *STRESS])
    result = run(deal, scenario_from_flags(args, load_scenario(deal.default_scenario)))
    x = result.balance[:, result.index("X")]
    assert x.min() >= -HALF_CENT  # was -2.32 in months 335-341
    # the 2.32 the pool ends short is written down on P, the last class standing, in whole
    # cents month by month (so up to a cent a month of it stays as fractions of the pool)
    written = result.writedown[:, result.index("P")]
    assert written.sum() == pytest.approx(2.32, abs=0.015)
    np.testing.assert_allclose(written, np.round(written, 2), atol=1e-9)


def test_no_write_down_fires_on_float_residue() -> None:
    """Months with no loss beyond the OC write nothing down (was 1.5e-8 some months)."""
    deal = load_deal(HE1)
    for flags in (STRESS, ["--cpr", "40", "--cdr", "20", "--severity", "30", "--lag", "12"]):
        args = build_parser().parse_args(["run", HE1, *flags])
        result = run(deal, scenario_from_flags(args, load_scenario(deal.default_scenario)))
        written = result.writedown[result.writedown > 0]
        assert written.size > 0
        assert written.min() >= 0.01  # whole cents only


def test_a_trigger_failing_from_month_1_means_no_stepdown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = output(capsys, "run", HE1, "--trigger", "failing")
    assert "stepdown month: none (the stepdown date is reached in month 27" in text
    doc = json.loads(output(capsys, "run", HE1, "--trigger", "failing", "--format", "json"))
    assert doc["collateral"]["stepdown_month"] == 0
    assert doc["collateral"]["stepdown_date_month"] == 27
    assert doc["collateral"]["first_trigger_month"] == 1


def test_every_option_of_every_command_has_help_and_no_false_default() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.help == argparse.SUPPRESS or not action.option_strings:
                continue
            assert action.help, f"{name} {action.option_strings[0]} has no help"
    run_parser = commands.choices["run"]
    lag = next(a for a in run_parser._actions if "--lag" in a.option_strings)
    assert lag.help is not None
    assert "(default 0)" not in lag.help  # the run uses the scenario's 12


def test_validate_table_shows_every_source_count_and_singular_nouns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = output(capsys, "validate", HE1, "deals/two-class.yaml")
    first, second = text.splitlines()
    doc = json.loads(output(capsys, "validate", HE1, "--format", "json"))
    sources = doc["deals"][0]["sources"]
    counts = ", ".join(f"{n} {source}" for source, n in sources.items())
    assert first.endswith(f"items by source: {counts}")
    assert len(sources) == 4
    assert "1 loan group," in second


def test_a_huge_vector_is_not_echoed_whole_into_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text('cpr: "' + " ".join(["30"] * 100_000) + '"\n')
    text = output(capsys, "run", HE1, "--scenario", str(scenario), "--months", "6")
    header = text.splitlines()[1]
    assert len(header) < 250
    assert "(100,000 tokens)" in header
    doc = json.loads(
        output(
            capsys, "run", HE1, "--scenario", str(scenario), "--months", "6", "--format", "json"
        )
    )
    assert doc["assumptions"]["cpr_percent"] == [30.0]  # the vector's values, as numbers


def test_a_deal_with_no_scenario_and_no_flags_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    text = output(capsys, "run", "deals/two-class.yaml")
    assert "(no scenario given: no prepayment, no defaults)" in text.splitlines()[0]
    text = output(capsys, "run", "deals/two-class.yaml", "--cpr", "10")
    assert "(command line)" in text.splitlines()[0]


def test_json_assumptions_are_numbers_with_the_unit_in_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = json.loads(output(capsys, "run", HE1, *STRESS, "--months", "3", "--format", "json"))
    a = doc["assumptions"]
    numbers = {k: v for k, v in a.items() if k.endswith("_percent")}
    assert numbers == {
        "cpr_percent": 30.0,
        "cdr_percent": 10.0,
        "severity_percent": 50.0,
        "libor_percent": 1.8025,
        "relief_act_percent": 0.0,  # the shortfall options, off
    }
    assert a["prepayment_interest_shortfall_days"] == 0.0
    assert a["recovery_lag_months"] == 12
    assert np.isfinite(list(numbers.values())).all()


def test_json_wal_is_null_for_a_class_paid_no_principal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The table shows '-'; JSON said 0.0 (read as 'paid at once') for A-IO, X, BIO."""
    doc = json.loads(output(capsys, "run", HE1, "--months", "24", "--format", "json"))
    for c in doc["classes"]:
        if c["principal"] == 0.0:
            assert c["wal_years"] is None, c["name"]
        else:
            assert c["wal_years"] > 0.0, c["name"]
    assert {c["name"] for c in doc["classes"] if c["wal_years"] is None} >= {"A-IO", "BIO"}
