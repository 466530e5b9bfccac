"""Bad deal, scenario and grid files: the exact messages the loaders print (STYLE C6, C8).

Each ``deals/<name>.yaml`` is ``deals/two-class.yaml`` with one kind of problem (or, for
``several_problems``, many at once); each ``scenarios/<name>.yaml`` is a small scenario file and
each ``grids/<name>.yaml`` a small scenario-grid file.
``<name>.expected.txt`` holds the exact lines, one per problem, as
``file:line:col: where: message`` with the path relative to the repository root. Rewording a
message means updating its expected file, and that change is reviewed like code.

Cases whose expected file states what C6 asks for, while the loader still prints something
else, are listed in ``KNOWN_BUGS`` and run as strict xfails: once the loader is fixed they pass,
strict xfail turns that into a failure, and the entry must be removed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from waterfall.cli import main
from waterfall.deal import load_deal
from waterfall.errors import DealFileError, GridFileError, ScenarioFileError
from waterfall.grid import load_grid
from waterfall.scenario import load_scenario

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GOOD_DEAL = "deals/two-class.yaml"
BAD_DEALS = sorted(HERE.glob("deals/*.yaml"))
BAD_SCENARIOS = sorted(HERE.glob("scenarios/*.yaml"))
BAD_GRIDS = sorted(HERE.glob("grids/*.yaml"))
BAD_FILES = [*BAD_DEALS, *BAD_SCENARIOS, *BAD_GRIDS]

# "deals/<name>", "scenarios/<name>" or "grids/<name>": what is wrong
KNOWN_BUGS: dict[str, str] = {}


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages carry the path as given; the tests give it relative to the repository."""
    monkeypatch.chdir(REPO)


def relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def expected_lines(path: str) -> list[str]:
    return (REPO / path).with_suffix(".expected.txt").read_text(encoding="utf-8").splitlines()


def cases(files: list[Path]) -> list[Any]:
    params = []
    for file in files:
        key = file.relative_to(HERE).with_suffix("").as_posix()
        marks = (
            [pytest.mark.xfail(reason=KNOWN_BUGS[key], raises=AssertionError, strict=True)]
            if key in KNOWN_BUGS
            else []
        )
        params.append(pytest.param(relative(file), id=key, marks=marks))
    return params


def test_every_bad_file_has_an_expected_file_and_no_expected_file_is_orphaned() -> None:
    inputs = {path.with_suffix("") for path in BAD_FILES}
    expected = {path.with_suffix("").with_suffix("") for path in HERE.glob("*/*.expected.txt")}
    assert inputs == expected
    assert len(BAD_DEALS) >= 17
    assert len(BAD_SCENARIOS) >= 7
    assert len(BAD_GRIDS) >= 10


def test_known_bugs_name_existing_files() -> None:
    names = {path.relative_to(HERE).with_suffix("").as_posix() for path in BAD_FILES}
    assert set(KNOWN_BUGS) <= names


@pytest.mark.parametrize("path", [relative(file) for file in BAD_FILES])
def test_every_expected_message_is_one_located_line_for_its_own_file(path: str) -> None:
    located = re.compile(rf"{re.escape(path)}:[1-9][0-9]*:[1-9][0-9]*: \S")
    lines = expected_lines(path)
    assert lines
    for line in lines:
        assert located.match(line), line


@pytest.mark.parametrize("path", cases(BAD_DEALS))
def test_bad_deal_file_raises_exactly_the_expected_messages(path: str) -> None:
    with pytest.raises(DealFileError) as caught:
        load_deal(path)
    assert str(caught.value).splitlines() == expected_lines(path)


@pytest.mark.parametrize("path", cases(BAD_SCENARIOS))
def test_bad_scenario_file_raises_exactly_the_expected_messages(path: str) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        load_scenario(path)
    assert str(caught.value).splitlines() == expected_lines(path)


@pytest.mark.parametrize("path", cases(BAD_GRIDS))
def test_bad_grid_file_raises_exactly_the_expected_messages(path: str) -> None:
    with pytest.raises(GridFileError) as caught:
        load_grid(path)
    assert str(caught.value).splitlines() == expected_lines(path)


@pytest.mark.parametrize("path", cases(BAD_DEALS))
def test_validate_prints_the_expected_messages_to_stderr_and_exits_1(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", path])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == expected_lines(path)


@pytest.mark.parametrize("path", cases(BAD_SCENARIOS))
def test_run_with_a_bad_scenario_prints_the_expected_messages_and_exits_1(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", GOOD_DEAL, "--scenario", path])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines() == expected_lines(path)


def test_validate_checks_every_file_and_reports_each_bad_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unknown_key = "tests/invalid_files/deals/unknown_key.yaml"
    unknown_tranche = "tests/invalid_files/deals/unknown_tranche.yaml"
    code = main(["validate", unknown_key, GOOD_DEAL, unknown_tranche])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.startswith(f"{GOOD_DEAL}: ok: ")
    assert len(out.splitlines()) == 1
    assert err.splitlines() == expected_lines(unknown_key) + expected_lines(unknown_tranche)
