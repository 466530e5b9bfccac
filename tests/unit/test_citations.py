"""Every citation the README, the code, the help and the outputs make resolves inside the
repository: `DEAL_NOTES`, `STANDARDS x.y` and `STYLE Cn` name files under docs/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CITING = [
    REPO / "README.md",
    *sorted((REPO / "waterfall").rglob("*.py")),
    *sorted((REPO / "deals").glob("*.yaml")),
    *sorted((REPO / "scenarios").glob("*.yaml")),
    *sorted((REPO / "tests").rglob("*.py")),
    *sorted((REPO / "docs").glob("*.md")),
]
# "STANDARDS 1.6", "STANDARDS 1.1, 1.3", "STANDARDS 1.11, SF-49"
STANDARDS = re.compile(r"STANDARDS ((?:\d+\.\d+)(?:, \d+\.\d+)*)")
STYLE = re.compile(r"STYLE (C\d+)")


def sections(path: Path, pattern: str) -> set[str]:
    return set(re.findall(pattern, path.read_text(encoding="utf-8"), flags=re.MULTILINE))


def citations(pattern: re.Pattern[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in CITING:
        if path == Path(__file__):
            continue
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            for number in match.group(1).split(", "):
                found.setdefault(number, []).append(path.relative_to(REPO).as_posix())
    return found


def test_every_standards_citation_names_a_section_of_docs_standards() -> None:
    known = sections(REPO / "docs" / "STANDARDS.md", r"^### (\d+\.\d+) ")
    cited = citations(STANDARDS)
    assert len(cited) >= 10  # the pattern does find them
    missing = {number: files for number, files in cited.items() if number not in known}
    assert missing == {}


def test_every_style_citation_names_a_section_of_docs_style() -> None:
    known = sections(REPO / "docs" / "STYLE.md", r"^## (C\d+)\. ")
    cited = citations(STYLE)
    assert cited
    assert {number: files for number, files in cited.items() if number not in known} == {}


@pytest.mark.parametrize("name", ["DEAL_NOTES", "STANDARDS", "STYLE"])
def test_the_cited_documents_are_in_the_repository(name: str) -> None:
    doc = REPO / "docs" / f"{name}.md"
    assert doc.is_file()
    assert any(name in path.read_text(encoding="utf-8") for path in CITING if path != doc)


def test_deal_notes_covers_every_derived_figure_the_reconcile_names() -> None:
    notes = (REPO / "docs" / "DEAL_NOTES.md").read_text(encoding="utf-8")
    for figure in ("0.26", "175,505.06", "54,299.55", "69.132%", "23.191153%", "50.63%"):
        assert figure in notes, figure
    # the statement it describes is the one shipped with the deal
    assert "deals/statements/2002-HE1-2002-11-15.txt" in notes
    assert (REPO / "deals" / "statements" / "2002-HE1-2002-11-15.txt").is_file()
