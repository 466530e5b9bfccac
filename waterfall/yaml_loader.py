"""Strict YAML for deal and scenario files, with the position of every value.

PyYAML's ``safe_load`` silently keeps the last of duplicate keys, reads ``012`` as octal,
``NO`` as ``False`` and ``5e-2`` as text. This module composes the node tree itself, so it
can reject duplicates and leading-zero integers and remember the line and column of every
value. Typed reading (``Reader``) turns the remaining traps into located messages.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from waterfall.errors import InputFileError, Problem

PathKey = tuple[str | int, ...]

_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser where PyYAML was built with it (its wheels are): the same nodes, with
their lines and columns, about ten times faster than the pure-Python one (50-80 ms of a
warm ``waterfall run`` for the deal and scenario files). Its error messages are worded
differently, so a file it cannot read is read again by the pure-Python parser, whose
message is the one shown."""

_LEADING_ZERO_INT = re.compile(r"^[-+]?0[0-9_]+$")
_NUMBER_TEXT = re.compile(r"^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?$")


def is_number_text(value: str) -> bool:
    """True for text that YAML 1.1 leaves unread as a number (``5e-2``, ``1_000``)."""
    return bool(value.strip()) and _NUMBER_TEXT.match(value.strip()) is not None


def dotted(path: PathKey) -> str:
    """Format a key path the way messages show it: ``tranches[0].coupon``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


@dataclass
class Document:
    """A parsed YAML file: plain Python data plus the position of every node."""

    file: str
    data: Any
    marks: dict[PathKey, tuple[int, int]]
    problems: list[Problem] = field(default_factory=list)
    reported: set[PathKey] = field(default_factory=set)  # paths whose value is known bad

    def mark(self, path: PathKey) -> tuple[int, int]:
        """Return (line, column) of ``path``, or of its nearest known parent (an empty
        document has none: its first line)."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def problem(self, path: PathKey, message: str) -> Problem:
        """Record and return a problem located at ``path``."""
        line, column = self.mark(path)
        found = Problem(self.file, line, column, dotted(path), message)
        self.problems.append(found)
        self.reported.add(path)
        return found


def _convert(node: yaml.Node, path: PathKey, doc: Document, loader: Any) -> Any:
    doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in first_line:
                doc.problems.append(
                    Problem(
                        doc.file,
                        line,
                        key_node.start_mark.column + 1,
                        dotted(path),
                        f"duplicate key '{key}' (first given on line {first_line[key]})",
                    )
                )
                continue
            first_line[key] = line
            result[key] = _convert(value_node, (*path, key), doc, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), doc, loader) for i, item in enumerate(node.value)]
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError as error:  # e.g. a date YAML reads but the calendar lacks: 2020-02-30
        doc.problem(path, f"'{node.value}' is not a valid value: {error}")
        return None
    if (
        isinstance(node, yaml.ScalarNode)
        and not node.style  # plain: None from the pure-Python parser, "" from libyaml
        and _LEADING_ZERO_INT.match(node.value)
    ):
        doc.problem(
            path,
            f"'{node.value}' has a leading zero, which YAML 1.1 reads as an octal number; "
            "write it without the leading zero, or quote it if it is text",
        )
    return value


def load_document(path: str | Path, text: str | None = None) -> Document:
    """Parse a YAML file strictly.

    Duplicate keys and leading-zero integers are recorded in ``Document.problems`` (the
    caller reads on and raises once with every problem in the file).

    Raises
    ------
    InputFileError
        For a file that cannot be read or is not valid YAML, with its line and column.
    """
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise InputFileError(
                [Problem(file, 0, 0, "", f"cannot read the file: {error.strerror}")]
            ) from None
        except UnicodeDecodeError:
            raise InputFileError([Problem(file, 0, 0, "", "the file is not UTF-8 text")]) from None
    if _FAST_LOADER is not None:
        fast = _FAST_LOADER(text)
        try:
            node = fast.get_single_node()
            doc = Document(file, None, {})
            doc.data = {} if node is None else _convert(node, (), doc, fast)
            return doc
        except (yaml.YAMLError, RecursionError):
            pass  # read again below, for the pure-Python parser's message
        finally:
            fast.dispose()
    doc = Document(file, None, {})
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        doc.data = {} if node is None else _convert(node, (), doc, loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise InputFileError(
            [Problem(file, line, column, "", f"not valid YAML: {error.problem}")]
        ) from None
    except RecursionError:
        raise InputFileError(
            [Problem(file, 1, 1, "", "not a deal or scenario: the YAML nests too deeply")]
        ) from None
    finally:
        loader.dispose()
    return doc


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


class Reader:
    """Typed, located access to a ``Document``; collects problems instead of raising.

    Every getter returns a usable default after recording a problem, so that one pass
    reports every problem in the file.
    """

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    @property
    def problems(self) -> list[Problem]:
        """Problems recorded so far."""
        return self.doc.problems

    def fail(self, path: PathKey, message: str) -> None:
        """Record a problem at ``path``."""
        self.doc.problem(path, message)

    def mapping(
        self,
        value: Any,
        path: PathKey,
        required: Sequence[str] = (),
        optional: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Check that ``value`` is a mapping with only the allowed keys."""
        if self.is_reported(value, path):
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_describe(value)}")
            return {}
        allowed = [*required, *optional]
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                self.fail(
                    (*path, key),
                    f"unknown key '{key}'{suggestion} (allowed: {', '.join(allowed)})",
                )
        for key in required:
            if key not in value:
                self.fail(path, f"missing key '{key}'")
                self.doc.reported.add((*path, key))
        return value

    def is_reported(self, value: Any, path: PathKey) -> bool:
        """Return True for a missing or unreadable value already reported at ``path``."""
        return value is None and path in self.doc.reported

    def sequence(self, value: Any, path: PathKey, min_length: int = 0) -> list[Any]:
        """Check that ``value`` is a list of at least ``min_length`` items."""
        if self.is_reported(value, path):
            return []
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {_describe(value)}")
            return []
        if len(value) < min_length:
            self.fail(path, f"expected at least {min_length} item(s), got {len(value)}")
        return value

    def number(
        self,
        value: Any,
        path: PathKey,
        low: float = float("-inf"),
        high: float = float("inf"),
        *,
        is_rate: bool = False,
        default: float = 0.0,
    ) -> float:
        """Read a finite number in [low, high].

        ``is_rate`` marks an annual decimal rate: a value above ``high`` that would fit
        once divided by 100 is reported as a percentage written where a decimal belongs.
        """
        if self.is_reported(value, path):
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str) and is_number_text(value):
                self.fail(
                    path,
                    f"expected a number, got the text '{value}'; YAML 1.1 reads numbers "
                    "such as 5e-2 as text, write 0.05 or 5.0e-2",
                )
            else:
                self.fail(path, f"expected a number, got {_describe(value)}")
            return default
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(path, f"expected a finite number, got {value}")
            return default
        if is_rate and number > high and low <= number / 100 <= high:
            self.fail(
                path,
                f"{value} looks like a percentage; rates are decimals, write {number / 100:g}",
            )
            return default
        if not low <= number <= high:
            self.fail(path, f"{value} is out of range; expected {_range(low, high)}")
            return default
        return number

    def integer(
        self, value: Any, path: PathKey, low: int = 0, high: int = 10**9, default: int = 0
    ) -> int:
        """Read a whole number in [low, high]."""
        if self.is_reported(value, path):
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.fail(path, f"expected a whole number, got {_describe(value)}")
                return default
        if not low <= value <= high:
            self.fail(path, f"{value} is out of range; expected {_range(low, high)}")
            return default
        return int(value)

    def text(self, value: Any, path: PathKey, default: str = "") -> str:
        """Read a non-empty string (a name, a label)."""
        if self.is_reported(value, path):
            return default
        if isinstance(value, bool):
            self.fail(
                path,
                f"expected a name, got {_describe(value)}; YAML 1.1 reads yes/no/on/off "
                "as booleans, quote the name",
            )
            return default
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected a name, got {_describe(value)}")
            return default
        return value

    def flag(self, value: Any, path: PathKey, default: bool = False) -> bool:
        """Read a boolean."""
        if self.is_reported(value, path):
            return default
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {_describe(value)}")
            return default
        return value

    def choice(self, value: Any, path: PathKey, choices: Iterable[str], default: str) -> str:
        """Read one of a fixed set of words."""
        options = list(choices)
        word = self.text(value, path, default)
        if word not in options:
            hint = difflib.get_close_matches(word, options, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            self.fail(path, f"unknown value '{word}'{suggestion} (allowed: {', '.join(options)})")
            return default
        return word

    def reference(
        self, value: Any, path: PathKey, known: Sequence[str], kind: str, default: str = ""
    ) -> str:
        """Read a name that must be one of ``known`` (a tranche, a group, a fee)."""
        name = self.text(value, path, default)
        if name and name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            self.fail(
                path,
                f"unknown {kind} '{name}'; known {kind}s: {', '.join(known)}{suggestion}",
            )
            return default
        return name

    def optional(
        self,
        mapping: dict[str, Any],
        key: str,
        path: PathKey,
        read: Callable[[Any, PathKey], Any],
        default: Any,
    ) -> Any:
        """Read ``mapping[key]`` with ``read`` when present, else return ``default``."""
        if key not in mapping:
            return default
        return read(mapping[key], (*path, key))


def _range(low: float, high: float) -> str:
    if high == float("inf"):
        return f"a value of at least {low:g}"
    if low == float("-inf"):
        return f"a value of at most {high:g}"
    return f"a value from {low:g} to {high:g}"


_PLAIN_SCALAR = re.compile(r"[^\s#,}\]]+")


def rewrite_values(
    text: str,
    doc: Document,
    values: dict[PathKey, str],
    insertions: Sequence[tuple[PathKey, str, str]] = (),
) -> str:
    """Return ``text`` with the plain scalars at ``values``' paths replaced, comments kept.

    ``insertions`` are ``(sibling_path, key, value)``: a new ``key: value`` line below the
    line of the existing ``sibling_path``, at its indentation (for a key the file lacks).
    Only block-style plain scalars (numbers, dates, bare words) can be replaced.

    Raises
    ------
    KeyError
        For a path the document does not have.
    """
    lines = text.split("\n")
    edits: list[tuple[int, int, str, bool]] = []  # (line index, column, text, is_insertion)
    for path, value in values.items():
        line, column = doc.marks[path]
        edits.append((line - 1, column - 1, value, False))
    for sibling, key, value in insertions:
        line, _ = doc.marks[sibling]
        edits.append((line - 1, -1, f"{key}: {value}", True))
    for index, column, value, is_insertion in sorted(edits, reverse=True):
        current = lines[index]
        if is_insertion:
            indent = len(current) - len(current.lstrip(" -"))
            lines.insert(index + 1, " " * indent + value)
            continue
        match = _PLAIN_SCALAR.match(current, column)
        end = match.end() if match else column
        lines[index] = current[:column] + value + current[end:]
    return "\n".join(lines)
