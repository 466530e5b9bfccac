"""libyaml and the pure-Python parser read every file the same: values, lines, problems."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from waterfall import yaml_loader
from waterfall.errors import InputFileError

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(
    str(path.relative_to(REPO))
    for folder in ("deals", "scenarios", "tests/invalid_files")
    for path in (REPO / folder).rglob("*.yaml")
)


def _read(path: str) -> tuple[object, ...]:
    try:
        doc = yaml_loader.load_document(REPO / path)
    except InputFileError as error:
        return ("error", str(error))
    return (doc.data, doc.marks, [str(problem) for problem in doc.problems])


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", FILES)
def test_libyaml_reads_each_file_as_the_pure_python_parser(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _read(path)
    monkeypatch.setattr(yaml_loader, "_FAST_LOADER", None)
    assert fast == _read(path)


def test_the_files_compared_include_each_kind_of_problem() -> None:
    # a leading zero and a duplicate key are found from the nodes, invalid YAML by the parser
    names = {Path(path).name for path in FILES}
    assert {"leading_zero.yaml", "duplicate_key.yaml", "invalid_yaml.yaml"} <= names
    assert len(FILES) > 40
