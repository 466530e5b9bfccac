"""Does a statement fit a deal, and where is a figure printed: shared by reconcile and
calibrate."""

from __future__ import annotations

import re

from waterfall.deal.model import Deal
from waterfall.errors import Problem, StatementError
from waterfall.statement.read import Statement


class PrintedLines:
    """Find the statement line a figure is printed on (1-based), for provenance only."""

    def __init__(self, text: str) -> None:
        self.lines = text.replace("\r\n", "\n").split("\n")

    def of(self, label: str, start: int = 0) -> int:
        pattern = re.compile(r"^\s*'?" + r"\s+".join(map(re.escape, label.split())) + r"\b")
        for index in range(start, len(self.lines)):
            if pattern.match(self.lines[index]):
                return index + 1
        return 0

    def of_class(self, name: str, start: int) -> int:
        """The first row of class ``name`` (its name, then a number) at or after ``start``."""
        pattern = re.compile(r"^\s*" + re.escape(name) + r"\s+\d")
        for index in range(start, len(self.lines)):
            if pattern.match(self.lines[index]):
                return index + 1
        return 0

    def cite(self, *labels: str) -> str:
        found = [f"line {self.of(label)} {label}" for label in labels if self.of(label)]
        return "; ".join(found) or "statement"


def check_statement_fits(
    deal: Deal, statement: Statement, text: str = "", file: str = "<statement>"
) -> None:
    """Raise a located StatementError when the statement cannot be this deal's period.

    Every class of the deal with a balance must be in the statement's table, and the pool
    must have a beginning balance; ``text`` (the statement as read) locates the lines.
    """
    lines = PrintedLines(text)
    classes = {c.name for c in statement.classes}
    table = lines.of("DISTRIBUTION SUMMARY")
    problems = [
        Problem(file, table, 1, t.name, "the deal has this class; the statement's table not")
        for t in deal.tranches
        if t.kind != "residual" and t.name not in classes
    ]
    if statement.principal.beginning_balance <= 0:
        problems.append(Problem(file, lines.of("Beg Bal"), 1, "Beg Bal", "expected > 0"))
    if statement.principal.ending_balance <= 0:
        problems.append(
            Problem(file, lines.of("End Bal"), 1, "End Bal", "expected a pool above 0")
        )
    if problems:
        raise StatementError(problems)
