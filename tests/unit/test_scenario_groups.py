"""Per-group assumption curves: each loan group its own prepayment, default and severity."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from waterfall import load_deal
from waterfall.cli import main
from waterfall.compile import compile_deal
from waterfall.scenario import BASE, Curve, load_scenario

ROOT = Path(__file__).parents[2]
DEAL = ROOT / "deals" / "2002-HE1.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def test_each_group_prepays_defaults_and_loses_at_its_own_rate(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(
            tmp_path,
            'cpr: {group_1: 62.5, group_2: "12 2R 18"}\n'
            "cdr: {group_1: 3, group_2: 6}\nseverity: 40\nmonths: 4\n",
        )
    )
    rates = compile_deal(load_deal(DEAL), scenario).rates

    # SMM = 1 - (1 - CPR)^(1/12): group 1 at 62.5% every month; group 2's ramp 12, 15, 18, 18
    np.testing.assert_allclose(rates.smm[:, 0], 1 - 0.375 ** (1 / 12), rtol=1e-12)
    expected = [1 - (1 - c) ** (1 / 12) for c in (0.12, 0.15, 0.18, 0.18)]
    np.testing.assert_allclose(rates.smm[:, 1], expected, rtol=1e-12)
    np.testing.assert_allclose(rates.mdr[:, 0], 1 - 0.97 ** (1 / 12), rtol=1e-12)
    np.testing.assert_allclose(rates.mdr[:, 1], 1 - 0.94 ** (1 / 12), rtol=1e-12)
    # a single value applies to every group
    np.testing.assert_allclose(rates.severity, 0.40)


def test_the_command_line_form_is_the_file_form(tmp_path: Path) -> None:
    from waterfall.cli import build_parser, scenario_from_flags

    deal = load_deal(DEAL)
    args = build_parser().parse_args(
        ["run", str(DEAL), "--cpr", "group_1=62.5; group_2=12 2R 18", "--months", "4"]
    )
    flagged = scenario_from_flags(args, BASE, deal)
    filed = load_scenario(
        write(tmp_path, 'cpr: {group_1: 62.5, group_2: "12 2R 18"}\nmonths: 4\n')
    )
    assert flagged.prepayment == filed.prepayment
    np.testing.assert_array_equal(
        compile_deal(deal, flagged).rates.smm, compile_deal(deal, filed).rates.smm
    )


def test_a_group_the_deal_lacks_or_leaves_out_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "cpr: {group_1: 62.5, group_9: 12}\n")

    assert main(["run", str(DEAL), "--scenario", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    # one line: the name the deal lacks, and the group it left without a value
    assert err == [
        f"{path}:1:31: cpr.group_9: no loan group 'group_9' in ABSC 2002-HE1; its groups: "
        "group_1, group_2, and group_2 has no value",
    ]
    assert main(["run", str(DEAL), "--cdr", "group_1=3"]) == 2
    assert capsys.readouterr().err == (
        "waterfall run: --cdr 'group_1=3': no value for group_2; give every loan group of "
        "ABSC 2002-HE1 (group_1, group_2) or one value for all\n"
    )
    assert main(["run", str(DEAL), "--cpr", "group_1=40; group_3=10"]) == 2
    assert capsys.readouterr().err == (
        "waterfall run: --cpr 'group_1=40; group_3=10': no loan group 'group_3' in "
        "ABSC 2002-HE1; its groups: group_1, group_2, and group_2 has no value\n"
    )
    assert main(["run", str(DEAL), "--cpr", "group_1=abc; group_2=3"]) == 2
    assert "--cpr 'group_1=abc; group_2=3': group_1: token 1 'abc'" in capsys.readouterr().err


def test_validate_checks_the_default_scenarios_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "s.yaml").write_text("cpr: {loans: 10, other: 5}\n")
    deal = tmp_path / "d.yaml"
    text = (ROOT / "deals" / "two-class.yaml").read_text()
    deal.write_text(text + "default_scenario: s.yaml\n")
    assert main(["validate", str(deal)]) == 1
    assert "cpr.other: no loan group 'other'" in capsys.readouterr().err


def test_a_curve_per_group_prints_each_group() -> None:
    curve = Curve("cpr", 62.5, (("group_1", 62.5), ("group_2", "4 11R 27")))
    assert str(curve) == 'cpr {group_1 62.5, group_2 "4 11R 27"}'
    assert dataclasses.replace(curve, by_group=()).for_group("group_2") == 62.5
