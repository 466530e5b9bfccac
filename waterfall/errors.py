"""Located problems in input files, collected and raised once (STYLE C6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One problem in one input file, with where it is and how to fix it.

    Printed like a compiler message: ``file:line:column: where: message``. ``line`` and
    ``column`` are 1-based; 0 means the position is not known (e.g. a missing key is
    reported at its parent mapping).
    """

    file: str
    line: int
    column: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f" {self.where}:" if self.where else ""
        return f"{self.file}:{self.line}:{self.column}:{where} {self.message}"


class InputFileError(ValueError):
    """All problems found in an input file, sorted by position; one line each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(problem) for problem in self.problems))


class DealFileError(InputFileError):
    """A deal file that cannot be loaded."""


class ScenarioFileError(InputFileError):
    """A scenario file (or scenario flags) that cannot be loaded."""


class GridFileError(InputFileError):
    """A scenario-grid file that cannot be loaded."""


class StatementError(InputFileError):
    """A trustee statement that cannot be read."""


class UsageError(ValueError):
    """A bad command-line value; the CLI prints it and exits with code 2."""
