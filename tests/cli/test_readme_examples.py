"""Every `$ waterfall ...` example in the README prints what the README shows."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from waterfall.cli import main

ROOT = Path(__file__).parents[2]
EXAMPLE = re.compile(r"```\n\$ (waterfall [^\n]+)\n(.*?)```", re.S)
EXAMPLES = EXAMPLE.findall((ROOT / "README.md").read_text())


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="the compiled run checks the same text"
)
@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_example_output_is_what_the_command_prints(
    command: str, shown: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(shlex.split(command)[1:]) == 0
    printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    assert printed == shown.rstrip("\n").split("\n")


@pytest.mark.skipif(
    os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="a grid and a breakeven as plain Python"
)
def test_the_python_api_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    assert namespace["grid"].metrics["yield"].shape == (165, 6)  # type: ignore[attr-defined]
