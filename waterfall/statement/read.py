"""Read the trustee's monthly statement (STATEMENT TO CERTIFICATEHOLDERS) into exact records.

The format is US Bank's Form 8-K exhibit for ABSC 2002-HE1; the 15-Nov-2002 statement is
shipped in ``deals/statements/``. Every figure becomes a :class:`~decimal.Decimal` (money to
the cent, percentages as printed, in percent), an ``int`` (counts) or a
:class:`~datetime.date`, so that the statement's own arithmetic can be checked exactly
(:func:`check_statement`).

Lines are found by their labels and table headers, never by line numbers, inside sections that
begin at the statement's headings ('DISTRIBUTION SUMMARY', 'Prin Dist', 'Int Distrib:', ...).
Amounts may be written with or without thousands separators, as the statement mixes both.
Servicer names are kept as printed.

A missing or garbled line is a :class:`~waterfall.errors.StatementError`. Each of its problems
names the file, the 1-based line (of the garbled line, or of the heading of the section in
which a missing line was expected), the field and what was expected (STYLE C6); all problems
are collected and raised once. A non-blank line of the statement that no rule reads is a
problem too, so a figure is never dropped silently.

The statement says "class" where the model says tranche; these records keep the statement's
word and its class names ('A-1', 'A-IO', 'BIO', ...).
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from waterfall.errors import Problem, StatementError

__all__ = [
    "PER_THOUSAND_TOLERANCE",
    "CheckRules",
    "ClassDistribution",
    "ClassInterestShortfall",
    "CollateralInterest",
    "CollateralPrincipal",
    "DistributionTotal",
    "LoanCountBalance",
    "PerThousand",
    "PoolSummary",
    "ServicerDelinquency",
    "ServicerLoans",
    "Statement",
    "check_statement",
    "parse_statement",
    "read_statement",
]


@dataclass(frozen=True, slots=True)
class ClassDistribution:
    """One class of the distribution summary (both halves of the printed table), in dollars."""

    #: As printed: 'A-1', 'A-IO', 'BIO', ...
    name: str
    original_face: Decimal
    beginning_balance: Decimal
    #: Principal distributed this period.
    principal: Decimal
    #: Pass-through rate in percent, as printed (2.22250 means 2.2225% a year); None where blank.
    rate_percent: Decimal | None
    #: Interest distributed this period.
    interest: Decimal
    #: Realized loss allocated this period; None where printed 'N/A'.
    loss: Decimal | None
    #: Interest shortfall this period; None where blank.
    interest_shortfall: Decimal | None
    ending_balance: Decimal


@dataclass(frozen=True, slots=True)
class DistributionTotal:
    """The 'Total' row of the distribution summary, in dollars, as printed (not recomputed)."""

    original_face: Decimal
    beginning_balance: Decimal
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True, slots=True)
class PerThousand:
    """One class of the 'AMOUNTS PER $1,000 UNIT' table: dollars per $1,000 of original face."""

    name: str
    cusip: str
    principal: Decimal
    interest: Decimal
    interest_shortfall: Decimal
    #: Ending balance per $1,000 of original face (1000 means not yet paid down).
    ending_factor: Decimal


@dataclass(frozen=True, slots=True)
class CollateralPrincipal:
    """The 'Prin Dist' section: the pool's principal for the period, in dollars."""

    beginning_balance: Decimal
    scheduled_principal: Decimal
    prepayments: Decimal
    curtailments: Decimal
    net_liquidation_proceeds: Decimal
    loan_purchase_prices: Decimal
    total_principal_remittance: Decimal
    pre_funding_distributed: Decimal
    total_principal_distributed: Decimal
    net_realized_losses: Decimal
    ending_balance: Decimal
    ending_overcollateralization: Decimal
    #: 'Numr of Liq Loans', printed with cents (0.00) but a count of loans.
    liquidated_loan_count: int


@dataclass(frozen=True, slots=True)
class CollateralInterest:
    """The 'Int Distrib:' lines, in dollars."""

    scheduled_interest_net_of_servicing_fee: Decimal
    capitalized_interest_withdrawal: Decimal
    #: Printed on a 'Less ...' line: a positive amount that the total subtracts.
    relief_act_shortfall: Decimal
    #: The unlabelled amount below the three lines.
    total: Decimal


@dataclass(frozen=True, slots=True)
class PoolSummary:
    """Servicing, advances and the pool's size and coupon, below the interest lines."""

    #: Dollars this period.
    servicing_fee: Decimal
    #: Dollars this period.
    advances: Decimal
    #: Dollars; None where printed 'Not Provided By Servicer'.
    aggregate_p_and_i_advances: Decimal | None
    loan_count: int
    #: Dollars, the outstanding balance of the loans counted in ``loan_count``.
    loan_balance: Decimal
    #: 'Bal of Subequent loans' (sic), dollars.
    subsequent_loans_balance: Decimal
    #: 'Remaining Amt in Pre Funding Acct Distrib as Prin', dollars.
    pre_funding_remaining_distributed: Decimal
    #: Weighted average remaining maturity, months.
    wam: int
    #: Weighted average coupon in percent, as printed (8.99827 means 8.99827% a year).
    wac_percent: Decimal
    #: Net of the servicing fee, in percent, as printed.
    net_wac_percent: Decimal


@dataclass(frozen=True, slots=True)
class LoanCountBalance:
    """A number of loans and their balance in dollars."""

    count: int
    balance: Decimal


@dataclass(frozen=True, slots=True)
class ServicerDelinquency:
    """One servicer's column of the 'Delinq Info' table (which excludes foreclosure and REO)."""

    #: As printed, e.g. 'Fairbanks', 'Long Beach'.
    servicer: str
    days_30_59: LoanCountBalance
    days_60_89: LoanCountBalance
    days_90_plus: LoanCountBalance
    #: The 'Total' row; None where it is printed blank (as on 15-Nov-2002).
    total: LoanCountBalance | None


@dataclass(frozen=True, slots=True)
class ServicerLoans:
    """One servicer's row of the foreclosure, bankruptcy or REO table."""

    servicer: str
    count: int
    #: Dollars; bankruptcy and REO balances are printed in whole dollars.
    balance: Decimal


@dataclass(frozen=True, slots=True)
class ClassInterestShortfall:
    """One class of the 'Int Shortfalls' table, in dollars."""

    name: str
    total: Decimal
    losses: Decimal
    #: 'PPIS': prepayment interest shortfall.
    prepayment_interest_shortfall: Decimal
    relief_act_shortfall: Decimal


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_NamedT = TypeVar("_NamedT", bound=_Named)


def _by_name(rows: Sequence[_NamedT], name: str, table: str) -> _NamedT:
    for row in rows:
        if row.name == name:
            return row
    known = ", ".join(row.name for row in rows)
    raise KeyError(f"no class {name!r} in the {table}; it lists {known}")


@dataclass(frozen=True, slots=True)
class Statement:
    """Every figure of one monthly statement, as printed.

    Money is in dollars (exact cents), percentages are in percent as printed (fields named
    ``*_percent``), counts are ``int``. Tables keep the printed order of their rows.
    """

    #: As printed below the title, e.g. '2002-HE1'.
    series: str
    distribution_date: date
    classes: tuple[ClassDistribution, ...]
    total: DistributionTotal
    per_thousand: tuple[PerThousand, ...]
    principal: CollateralPrincipal
    interest: CollateralInterest
    pool: PoolSummary
    delinquencies: tuple[ServicerDelinquency, ...]
    foreclosures: tuple[ServicerLoans, ...]
    bankruptcies: tuple[ServicerLoans, ...]
    reos: tuple[ServicerLoans, ...]
    interest_shortfalls: tuple[ClassInterestShortfall, ...]
    #: 'Amt of Prep Prems', dollars.
    prepayment_premiums: Decimal
    #: 'Real Losses incurred during the related Prep Per', dollars.
    realized_losses: Decimal
    bankruptcy_losses: Decimal
    #: 'Cum Net Real Losses since Startup Day', dollars.
    cumulative_net_realized_losses: Decimal
    #: 'Agg Amt of Prep Int Shortfalls', dollars.
    prepayment_interest_shortfalls: Decimal
    #: 'Agg Amt of Relief Act Int Shortfalls', dollars.
    relief_act_shortfalls: Decimal
    #: 'Req Overcoll Amt', dollars.
    required_overcollateralization: Decimal
    #: 'Credit Enhancement %', in percent as printed (23.191153 means 23.191153%).
    credit_enhancement_percent: Decimal
    #: 'Overcoll Inc Amt', dollars.
    overcollateralization_increase: Decimal
    #: 'Overcoll Reduction Amt', dollars.
    overcollateralization_reduction: Decimal
    #: 'Pmt from Yield Maint Agreement', dollars.
    yield_maintenance_payment: Decimal
    #: 'Amt on Deposit in Pre-Funding acct', dollars.
    pre_funding_deposit: Decimal
    net_monthly_excess_cash_flow: Decimal
    extraordinary_trust_fund_expenses: Decimal
    #: 'Trigger Event Occurance' (sic): YES is True, NO is False.
    is_trigger_event: bool

    def by_name(self, name: str) -> ClassDistribution:
        """Return the class printed as `name` ('A-1', 'A-IO', ...) in the distribution summary.

        Raises
        ------
        KeyError
            If the statement has no such class; the message lists the classes it has.
        """
        return _by_name(self.classes, name, "distribution summary")

    def per_thousand_by_name(self, name: str) -> PerThousand:
        """Return the per-$1,000 row of the class printed as `name`."""
        return _by_name(self.per_thousand, name, "per-$1,000 table")

    def interest_shortfall_by_name(self, name: str) -> ClassInterestShortfall:
        """Return the 'Int Shortfalls' row of the class printed as `name`."""
        return _by_name(self.interest_shortfalls, name, "interest shortfall table")


# Formats of the printed values. Each names what a message says was expected.

_T = TypeVar("_T")

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_CENTS_BODY = rf"{_DIGITS}\.\d{{2}}"


def _signed(body: str) -> re.Pattern[str]:
    """Match ``body``, ``-body`` or the accountant's ``(body)``."""
    return re.compile(rf"-?{body}|\({body}\)")


def _to_decimal(text: str) -> Decimal:
    value = Decimal(text.strip("-()").replace(",", ""))
    return -value if text[0] in "-(" else value


def _to_count(text: str) -> int:
    return int(text.replace(",", "").split(".")[0])


_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _to_date(text: str) -> date:
    month, day, year = text.replace(",", "").split()
    return date(int(year), _MONTH_NAMES.index(month) + 1, int(day))


def _to_amount_or_none(text: str) -> Decimal | None:
    return None if text[0].isalpha() else _to_decimal(text)


@dataclass(frozen=True, slots=True)
class _Format(Generic[_T]):
    expected: str
    pattern: re.Pattern[str]
    convert: Callable[[str], _T]
    #: Stands in for a bad value; never returned, because the reader then raises.
    placeholder: _T


_AMOUNT_PATTERN = _signed(_CENTS_BODY)
_AMOUNT = _Format("an amount like 22,442,774.30", _AMOUNT_PATTERN, _to_decimal, Decimal(0))
_TABLE_AMOUNT = _Format("an amount like 933465.63", _AMOUNT_PATTERN, _to_decimal, Decimal(0))
_WHOLE_AMOUNT = _Format(
    "an amount like 6,949,303", _signed(rf"{_DIGITS}(?:\.\d{{2}})?"), _to_decimal, Decimal(0)
)
_LOSS = _Format(
    "an amount like 0.00 or 'N/A'",
    re.compile(rf"N/A|{_AMOUNT_PATTERN.pattern}"),
    _to_amount_or_none,
    None,
)
_ADVANCES = _Format(
    "an amount like 667,853.34 or 'Not Provided By Servicer'",
    re.compile(rf"Not Provided By Servicer|{_AMOUNT_PATTERN.pattern}"),
    _to_amount_or_none,
    None,
)
_PERCENT = _Format(
    "a percentage like 2.22250%", re.compile(r"-?\d+\.\d+%"), lambda t: Decimal(t[:-1]), Decimal(0)
)
_PER_THOUSAND = _Format(
    "an amount per $1,000 like 68.71260664", re.compile(r"-?\d+\.\d+"), Decimal, Decimal(0)
)
_COUNT = _Format("a count like 5871", re.compile(_DIGITS), _to_count, 0)
_COUNT_WITH_CENTS = _Format(
    "a whole count like 0.00", re.compile(rf"{_DIGITS}(?:\.0+)?"), _to_count, 0
)
_MONTHS = _Format("a number of months like 341", re.compile(r"\d+"), int, 0)
_YES_NO = _Format("YES or NO", re.compile(r"YES|NO"), lambda t: t == "YES", False)
_DATE = _Format(
    "a date like November 15, 2002",
    re.compile(rf"(?:{'|'.join(_MONTH_NAMES)}) \d{{1,2}}, \d{{4}}"),
    _to_date,
    date(1900, 1, 1),
)
_SERIES = _Format("a series like 2002-HE1", re.compile(r"\d{4}-[A-Z0-9]+"), str, "")
_CUSIP = _Format("a 9-character CUSIP like 04541GCD2", re.compile(r"[0-9A-Z]{8}\d"), str, "")
_CLASS_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")


def _cusip_check_digit(cusip: str) -> int:
    """Return the check digit of the first 8 characters of a CUSIP (ANSI X9.6 / CGS)."""
    total = 0
    for position, character in enumerate(cusip[:8]):
        value = int(character) if character.isdigit() else ord(character) - ord("A") + 10
        if position % 2:
            value *= 2
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


# Labels, headings and table headers as this trustee prints them. A tuple of labels lists
# accepted spellings (the trustee's typos first).

_PRINCIPAL_LABELS: dict[str, tuple[str, ...]] = {
    "beginning_balance": ("Beg Bal",),
    "scheduled_principal": ("Sched Prin",),
    "prepayments": ("Prep",),
    "curtailments": ("Curt",),
    "net_liquidation_proceeds": ("Net Liq Proceeds",),
    "loan_purchase_prices": ("Loan Purchase Prices",),
    "total_principal_remittance": ("Tot Prin Remit",),
    "pre_funding_distributed": ("Pre-Funding Amt Distributed",),
    "total_principal_distributed": ("Tot Prin Distrib",),
    "net_realized_losses": ("Net Realized Losses",),
    "ending_balance": ("End Bal",),
    "ending_overcollateralization": ("En Overcoll Amt",),
    "liquidated_loan_count": ("Numr of Liq Loans",),
}
_INTEREST_LABELS: dict[str, tuple[str, ...]] = {
    "scheduled_interest_net_of_servicing_fee": ("Sched Int -Curr Per- Net of Serv Fee",),
    "capitalized_interest_withdrawal": ("Capitalized Int Acct W/D",),
    "relief_act_shortfall": ("Less Relief Act Int Shortfall",),
}
_POOL_LABELS: dict[str, tuple[str, ...]] = {
    "servicing_fee": ("Serv Fee",),
    "advances": ("Advances",),
    "aggregate_p_and_i_advances": ("Agg P&I Advances",),
    "loan_count": ("Mortg Loans Outstanding Count",),
    "loan_balance": ("Balance",),
    "subsequent_loans_balance": ("Bal of Subequent loans", "Bal of Subsequent loans"),
    "pre_funding_remaining_distributed": ("Remaining Amt in Pre Funding Acct Distrib as Prin",),
    "wam": ("WAM",),
    "wac_percent": ("WAC",),
    "net_wac_percent": ("Net WAC",),
}
_DELINQUENCY_LABELS: dict[str, tuple[str, ...]] = {
    "days_30_59": ("30-59",),
    "days_60_89": ("60-89",),
    "days_90_plus": ("90+",),
    "total": ("Total",),
}
_TAIL_LABELS: dict[str, tuple[str, ...]] = {
    "prepayment_premiums": ("Amt of Prep Prems",),
    "realized_losses": ("Real Losses incurred during the related Prep Per",),
    "bankruptcy_losses": ("Bankruptcy Losses",),
    "cumulative_net_realized_losses": ("Cum Net Real Losses since Startup Day",),
    "prepayment_interest_shortfalls": ("Agg Amt of Prep Int Shortfalls",),
    "relief_act_shortfalls": ("Agg Amt of Relief Act Int Shortfalls",),
    "required_overcollateralization": ("Req Overcoll Amt",),
    "credit_enhancement_percent": ("Credit Enhancement %",),
    "overcollateralization_increase": ("Overcoll Inc Amt",),
    "overcollateralization_reduction": ("Overcoll Reduction Amt",),
    "yield_maintenance_payment": ("Pmt from Yield Maint Agreement",),
    "pre_funding_deposit": ("Amt on Deposit in Pre-Funding acct",),
    "net_monthly_excess_cash_flow": ("Net Monthly Excess Cash Flow",),
    "extraordinary_trust_fund_expenses": ("Extra Ordinary Trust Fund Expenses",),
    "is_trigger_event": ("Trigger Event Occurance", "Trigger Event Occurrence"),
}

_SUMMARY_HEADER = ("Orig", "Class Face Value Beg Prin Rate Int")
_END_HEADER = ("Loss Int Shortfall End", "Class")
_PER_THOUSAND_HEADER = ("Int", "Class Cusip Prin Int Shortfall End")
_SERVICER_HEADER = ("Count Balance",)
_SHORTFALL_HEADER = ("Relief Act", "Total Losses PPIS Int Shortfall")
_DELINQUENCY_NOTE = "*Note:"
_END_HEADING = "SIGNATURES"


def _all_labels(*tables: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(label for table in tables for labels in table.values() for label in labels)


@dataclass(frozen=True, slots=True)
class _Section:
    #: The statement field the section fills, for messages.
    where: str
    heading: str
    #: Labels and header lines that show the section is there when its heading is not.
    markers: tuple[str, ...]
    #: The heading line carries more text (the servicer names after 'Delinq Info').
    is_prefix: bool = False


_SECTIONS = (
    _Section("statement", "STATEMENT TO CERTIFICATEHOLDERS", ("Distribution Date:",)),
    _Section("classes", "DISTRIBUTION SUMMARY", (_SUMMARY_HEADER[1], _END_HEADER[0])),
    _Section("per_thousand", "AMOUNTS PER $1,000 UNIT", (_PER_THOUSAND_HEADER[1],)),
    _Section("principal", "Prin Dist", _all_labels(_PRINCIPAL_LABELS)),
    _Section("interest", "Int Distrib:", _all_labels(_INTEREST_LABELS, _POOL_LABELS)),
    _Section(
        "delinquencies",
        "Delinq Info",
        _all_labels({k: v for k, v in _DELINQUENCY_LABELS.items() if k != "total"}),
        is_prefix=True,
    ),
    _Section("foreclosures", "Foreclosure", _SERVICER_HEADER),
    _Section("bankruptcies", "Bankruptcies", _SERVICER_HEADER),
    _Section("reos", "REOs", _SERVICER_HEADER),
    _Section("interest_shortfalls", "Int Shortfalls", (_SHORTFALL_HEADER[1],)),
)


@functools.cache
def _label_pattern(label: str) -> re.Pattern[str]:
    """Match a line that starts with ``label`` (any run of spaces between words).

    A stray apostrophe before the label is allowed: the trustee prints "'Sched Prin".
    """
    words = r"\s+".join(re.escape(word) for word in label.split())
    return re.compile(rf"\s*'?{words}(?=\s|$)")


def _normalized(line: str) -> str:
    return " ".join(line.split())


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    #: 1-based.
    column: int


@dataclass(frozen=True, slots=True)
class _Region:
    section: _Section
    #: 0-based index of the line that problems about missing lines point to: the section's
    #: heading, or the heading before it when the section's own is missing.
    anchor: int
    start: int
    stop: int
    #: The section's absence is already reported: report nothing else about it.
    is_silent: bool = False

    def describe(self) -> str:
        return f"the section headed {self.section.heading!r} (lines {self.start + 1}-{self.stop})"


@dataclass(frozen=True, slots=True)
class _Labelled:
    index: int
    value: str
    #: 1-based column of the value, or just past the label when the value is missing.
    column: int


@dataclass
class _Reader:
    """The lines of one statement, the problems found so far and the lines read."""

    file: str
    lines: list[str]
    problems: list[Problem] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    headings: list[int | None] = field(default_factory=list)
    end: int = 0
    is_truncated: bool = False

    def report(self, index: int, column: int, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, index + 1, column, where, message))

    def tokens(self, index: int) -> list[_Token]:
        return [
            _Token(match.group(), match.start() + 1)
            for match in re.finditer(r"\S+", self.lines[index])
        ]

    def parse(self, text: str, index: int, column: int, where: str, fmt: _Format[_T]) -> _T:
        if not text:
            self.report(index, column, where, f"expected {fmt.expected}, found nothing")
            return fmt.placeholder
        if not fmt.pattern.fullmatch(text):
            self.report(index, column, where, f"expected {fmt.expected}, got {text!r}")
            return fmt.placeholder
        try:
            return fmt.convert(text)
        except ValueError as error:
            self.report(index, column, where, f"expected {fmt.expected}, got {text!r} ({error})")
            return fmt.placeholder

    def parse_token(self, token: _Token, index: int, where: str, fmt: _Format[_T]) -> _T:
        return self.parse(token.text, index, token.column, where, fmt)

    def matching(self, region: _Region, label: str) -> list[int]:
        pattern = _label_pattern(label)
        return [
            index
            for index in range(region.start, region.stop)
            if index not in self.used and pattern.match(self.lines[index])
        ]

    def find_labelled(
        self, region: _Region, where: str, labels: tuple[str, ...], expected: str
    ) -> _Labelled | None:
        """Find the one line of `region` that starts with one of `labels`; mark it read."""
        for label in labels:
            hits = self.matching(region, label)
            if hits:
                break
        else:
            if not region.is_silent:
                self.report(
                    region.anchor,
                    1,
                    where,
                    f"expected a line labelled {labels[0]!r} with {expected} in "
                    f"{region.describe()}, found none",
                )
            return None
        self.used.update(hits)
        for duplicate in hits[1:]:
            self.report(
                duplicate,
                1,
                where,
                f"found a second line labelled {label!r} (the first is line {hits[0] + 1})",
            )
        line = self.lines[hits[0]]
        end = _label_pattern(label).match(line)
        label_end = end.end() if end else 0
        rest = line[label_end:]
        column = label_end + len(rest) - len(rest.lstrip()) + 1
        return _Labelled(hits[0], _normalized(rest), column)

    def labelled(
        self, region: _Region, where: str, labels: tuple[str, ...], fmt: _Format[_T]
    ) -> _T:
        """Parse the value after the one line of `region` that starts with one of `labels`."""
        found = self.find_labelled(region, where, labels, fmt.expected)
        if found is None:
            return fmt.placeholder
        return self.parse(found.value, found.index, found.column, where, fmt)

    def table(
        self, region: _Region, where: str, header: tuple[str, ...], *, has_rows: bool = True
    ) -> tuple[int, list[int]] | None:
        """Find `header` (consecutive lines) in `region`; return its last line and the rows.

        The rows are the non-blank lines below the header, up to the first blank line; they
        are marked read unless `has_rows` is false (rows found by their labels instead).
        """
        for index in range(region.start, region.stop - len(header) + 1):
            if all(
                index + offset not in self.used and _normalized(self.lines[index + offset]) == text
                for offset, text in enumerate(header)
            ):
                break
        else:
            if not region.is_silent:
                shown = " / ".join(header)
                self.report(
                    region.anchor,
                    1,
                    where,
                    f"expected a table headed '{shown}' in {region.describe()}, found none",
                )
            return None
        last = index + len(header) - 1
        self.used.update(range(index, last + 1))
        rows = []
        for row in range(last + 1, region.stop):
            if not self.lines[row].strip() or row in self.used:
                break
            rows.append(row)
        if has_rows:
            self.used.update(rows)
        return last, rows

    def is_heading(self, index: int, section: _Section) -> bool:
        text = _normalized(self.lines[index])
        if section.is_prefix:
            return text == section.heading or text.startswith(section.heading + " ")
        return text == section.heading

    def locate(self) -> None:
        """Find the section headings in order, and the end of the statement."""
        position = 0
        for section in _SECTIONS:
            found = next(
                (i for i in range(position, len(self.lines)) if self.is_heading(i, section)),
                None,
            )
            self.headings.append(found)
            if found is not None:
                position = found + 1
                self.used.add(found)
        self.end = next(
            (
                i
                for i in range(position, len(self.lines))
                if _normalized(self.lines[i]) == _END_HEADING
            ),
            len(self.lines),
        )
        last_found = max((k for k, i in enumerate(self.headings) if i is not None), default=-1)
        self.is_truncated = self.end == len(self.lines) and last_found < len(_SECTIONS) - 1
        if self.is_truncated:
            first_missing = _SECTIONS[last_found + 1]
            self.report(
                len(self.lines) - 1,
                1,
                first_missing.where,
                f"the statement ends at line {len(self.lines)} before the section headed "
                f"{first_missing.heading!r}; the text looks truncated",
            )

    def region(self, number: int) -> _Region:
        """Return the lines of section `number` (in ``_SECTIONS``); report a missing heading.

        Call in section order: when a heading is missing, the section is looked for among the
        lines that the sections before it did not read.
        """
        section = _SECTIONS[number]
        heading = self.headings[number]
        stop = next((i for i in self.headings[number + 1 :] if i is not None), self.end)
        if heading is not None:
            return _Region(section, heading, heading, stop)
        before = max((i for i in self.headings[:number] if i is not None), default=0)
        last_found = max((k for k, i in enumerate(self.headings) if i is not None), default=-1)
        if self.is_truncated and number > last_found:
            return _Region(section, before, self.end, self.end, is_silent=True)
        region = _Region(section, before, before, stop)
        is_present = any(self.matching(region, marker) for marker in section.markers)
        if is_present:
            self.report(
                before,
                1,
                section.where,
                f"expected the heading {section.heading!r} in lines {before + 2}-{stop}, "
                "above the section's lines, found none",
            )
            return region
        self.report(
            before,
            1,
            section.where,
            f"expected a section headed {section.heading!r} in lines {before + 2}-{stop}, "
            "found none",
        )
        return _Region(section, before, stop, stop, is_silent=True)

    def report_unread(self) -> None:
        """Report every non-blank line of the statement that no rule has read."""
        found = [i for i in self.headings if i is not None]
        if not found:
            return
        labels = (
            [section.heading for section in _SECTIONS]
            + [
                text
                for header in (_SUMMARY_HEADER, _END_HEADER, _PER_THOUSAND_HEADER)
                for text in header
            ]
            + list(
                _all_labels(
                    _PRINCIPAL_LABELS,
                    _INTEREST_LABELS,
                    _POOL_LABELS,
                    _DELINQUENCY_LABELS,
                    _TAIL_LABELS,
                )
            )
        )
        for index in range(found[0], self.end):
            line = self.lines[index]
            if not line.strip() or index in self.used:
                continue
            where = next(
                (
                    section.where
                    for section, heading in zip(_SECTIONS[::-1], self.headings[::-1], strict=True)
                    if heading is not None and heading <= index
                ),
                _SECTIONS[0].where,
            )
            words = re.match(r"\s*'?(.*?)(?:\s+[-(]?\d.*)?$", line)
            lead = _normalized(words.group(1)) if words else ""
            close = difflib.get_close_matches(lead, labels, n=1, cutoff=0.6) if lead else []
            hint = ""
            if close and close[0] == lead:
                hint = f"; {lead!r} is read once, in its own section"
            elif close:
                hint = f"; did you mean {close[0]!r}?"
            first = len(line) - len(line.lstrip()) + 1
            self.report(
                index,
                first,
                where,
                f"no rule reads the line {line.strip()!r}{hint} (a label or a table row may "
                "be garbled, or the format has a new line)",
            )

    def tokens_after(self, found: _Labelled) -> list[_Token]:
        """Return the tokens of a labelled line that follow its label."""
        return [token for token in self.tokens(found.index) if token.column >= found.column]


@dataclass(frozen=True, slots=True)
class _SummaryRow:
    original_face: Decimal
    beginning_balance: Decimal
    principal: Decimal
    rate_percent: Decimal | None
    interest: Decimal


@dataclass(frozen=True, slots=True)
class _EndRow:
    loss: Decimal | None
    interest_shortfall: Decimal | None
    ending_balance: Decimal


@dataclass
class _ClassTable:
    """The rows of one per-class table, by class name, and the line of its header."""

    where: str
    title: str
    header: int | None = None
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, reader: _Reader, name: str, index: int) -> bool:
        """Record the row of class `name`; report and return False if it is a second one."""
        if name in self.rows:
            reader.report(
                index,
                1,
                f"{self.where}[{name}]",
                f"found a second row for class {name!r} in the {self.title} "
                f"(the first is line {self.rows[name] + 1})",
            )
            return False
        self.rows[name] = index
        return True


def _class_name(reader: _Reader, token: _Token, index: int, table: _ClassTable) -> str:
    if not _CLASS_NAME.fullmatch(token.text):
        reader.report(
            index,
            token.column,
            f"{table.where}[{token.text}]",
            f"expected a class name like A-1 or A-IO, got {token.text!r}",
        )
    return token.text


def _read_series_and_date(reader: _Reader) -> tuple[str, date]:
    region = reader.region(0)
    if region.is_silent:
        return _SERIES.placeholder, _DATE.placeholder
    # The series is printed below the title, above the statement's heading (and on the
    # Form 8-K cover before it); all of them must agree.
    hits = [
        index
        for index in range(0, region.stop)
        if _label_pattern("Series").match(reader.lines[index])
    ]
    series = _SERIES.placeholder
    if not hits:
        reader.report(
            region.anchor,
            1,
            "series",
            f"expected a line labelled 'Series' with {_SERIES.expected} in lines "
            f"1-{region.stop}, found none",
        )
    for index in hits:
        reader.used.add(index)
        tokens = reader.tokens(index)
        text = " ".join(token.text for token in tokens[1:])
        column = tokens[1].column if len(tokens) > 1 else len(reader.lines[index]) + 1
        value = reader.parse(text, index, column, "series", _SERIES)
        if series and value and value != series:
            reader.report(
                index,
                column,
                "series",
                f"the series {value!r} differs from {series!r} given on line {hits[0] + 1}",
            )
        series = series or value
    distribution_date = reader.labelled(
        region, "distribution_date", ("Distribution Date:",), _DATE
    )
    return series, distribution_date


def _read_summary(
    reader: _Reader, region: _Region, table: _ClassTable
) -> tuple[dict[str, _SummaryRow], DistributionTotal]:
    """Read the first half of the distribution summary and its 'Total' row."""
    rows: dict[str, _SummaryRow] = {}
    total = DistributionTotal(Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    found = reader.table(region, "classes", _SUMMARY_HEADER)
    if found is None:
        return rows, total
    table.header, indices = found
    has_total = False
    for index in indices:
        tokens = reader.tokens(index)
        name, values = tokens[0].text, tokens[1:]
        if name == "Total":
            has_total = True
            if len(values) != 4:
                reader.report(
                    index,
                    tokens[0].column,
                    "total",
                    "expected original face, beginning balance, principal and interest after "
                    f"'Total', got {len(values)} values",
                )
                continue
            face, beginning, principal, interest = (
                reader.parse_token(token, index, f"total.{key}", _TABLE_AMOUNT)
                for token, key in zip(
                    values,
                    ("original_face", "beginning_balance", "principal", "interest"),
                    strict=True,
                )
            )
            total = DistributionTotal(face, beginning, principal, interest)
            continue
        name = _class_name(reader, tokens[0], index, table)
        if not table.add(reader, name, index):
            continue
        where = f"classes[{name}]"
        has_rate = len(values) == 5
        if not has_rate and (len(values) != 4 or any(v.text.endswith("%") for v in values)):
            reader.report(
                index,
                tokens[0].column,
                where,
                "expected original face, beginning balance, principal, rate (blank for none) "
                f"and interest after the class name, got {len(values)} values",
            )
            continue
        amounts = [values[0], values[1], values[2], values[-1]]
        face, beginning, principal, interest = (
            reader.parse_token(token, index, f"{where}.{key}", _TABLE_AMOUNT)
            for token, key in zip(
                amounts,
                ("original_face", "beginning_balance", "principal", "interest"),
                strict=True,
            )
        )
        rate = (
            reader.parse_token(values[3], index, f"{where}.rate_percent", _PERCENT)
            if has_rate
            else None
        )
        rows[name] = _SummaryRow(face, beginning, principal, rate, interest)
    if not has_total:
        reader.report(
            table.header,
            1,
            "total",
            "expected a 'Total' row at the end of the table below this header, found none",
        )
    return rows, total


def _read_end_table(reader: _Reader, region: _Region, table: _ClassTable) -> dict[str, _EndRow]:
    """Read the second half of the distribution summary: loss, shortfall, ending balance."""
    rows: dict[str, _EndRow] = {}
    found = reader.table(region, "classes", _END_HEADER)
    if found is None:
        return rows
    table.header, indices = found
    for index in indices:
        tokens = reader.tokens(index)
        name = _class_name(reader, tokens[0], index, table)
        values = tokens[1:]
        if not table.add(reader, name, index):
            continue
        where = f"classes[{name}]"
        # Two values are a loss and an ending balance: the shortfall column is the one the
        # trustee leaves blank (classes P and R).
        if len(values) not in (2, 3):
            reader.report(
                index,
                tokens[0].column,
                where,
                "expected loss, interest shortfall (blank for none) and ending balance after "
                f"the class name, got {len(values)} values",
            )
            continue
        loss = reader.parse_token(values[0], index, f"{where}.loss", _LOSS)
        shortfall = (
            reader.parse_token(values[1], index, f"{where}.interest_shortfall", _TABLE_AMOUNT)
            if len(values) == 3
            else None
        )
        ending = reader.parse_token(values[-1], index, f"{where}.ending_balance", _TABLE_AMOUNT)
        rows[name] = _EndRow(loss, shortfall, ending)
    return rows


def _read_per_thousand(
    reader: _Reader, region: _Region, table: _ClassTable
) -> dict[str, PerThousand]:
    rows: dict[str, PerThousand] = {}
    found = reader.table(region, "per_thousand", _PER_THOUSAND_HEADER)
    if found is None:
        return rows
    table.header, indices = found
    for index in indices:
        tokens = reader.tokens(index)
        name = _class_name(reader, tokens[0], index, table)
        if not table.add(reader, name, index):
            continue
        where = f"per_thousand[{name}]"
        if len(tokens) != 6:
            reader.report(
                index,
                tokens[0].column,
                where,
                "expected CUSIP, principal, interest, interest shortfall and ending factor "
                f"after the class name, got {len(tokens) - 1} values",
            )
            continue
        cusip = reader.parse_token(tokens[1], index, f"{where}.cusip", _CUSIP)
        if cusip and int(cusip[8]) != _cusip_check_digit(cusip):
            reader.report(
                index,
                tokens[1].column,
                f"{where}.cusip",
                f"CUSIP {cusip!r} fails its check digit: the first 8 characters give "
                f"{_cusip_check_digit(cusip)}, not {cusip[8]}",
            )
        principal, interest, shortfall, ending = (
            reader.parse_token(token, index, f"{where}.{key}", _PER_THOUSAND)
            for token, key in zip(
                tokens[2:],
                ("principal", "interest", "interest_shortfall", "ending_factor"),
                strict=True,
            )
        )
        rows[name] = PerThousand(name, cusip, principal, interest, shortfall, ending)
    return rows


def _check_class_tables(reader: _Reader, tables: Sequence[_ClassTable]) -> list[str]:
    """Report a class that one table lists and another lacks; return the classes in order."""
    names: dict[str, tuple[int, _ClassTable]] = {}
    for table in tables:
        for name, index in table.rows.items():
            names.setdefault(name, (index, table))
    for table in tables:
        if table.header is None:
            continue
        for name, (index, other) in names.items():
            if name not in table.rows:
                reader.report(
                    table.header,
                    1,
                    f"{table.where}[{name}]",
                    f"expected a row for class {name!r} in the {table.title} below this "
                    f"header, found none (line {index + 1} of the {other.title} has one)",
                )
    return list(names)


def _read_principal(reader: _Reader) -> CollateralPrincipal:
    region = reader.region(3)

    def amount(key: str) -> Decimal:
        return reader.labelled(region, f"principal.{key}", _PRINCIPAL_LABELS[key], _AMOUNT)

    return CollateralPrincipal(
        beginning_balance=amount("beginning_balance"),
        scheduled_principal=amount("scheduled_principal"),
        prepayments=amount("prepayments"),
        curtailments=amount("curtailments"),
        net_liquidation_proceeds=amount("net_liquidation_proceeds"),
        loan_purchase_prices=amount("loan_purchase_prices"),
        total_principal_remittance=amount("total_principal_remittance"),
        pre_funding_distributed=amount("pre_funding_distributed"),
        total_principal_distributed=amount("total_principal_distributed"),
        net_realized_losses=amount("net_realized_losses"),
        ending_balance=amount("ending_balance"),
        ending_overcollateralization=amount("ending_overcollateralization"),
        liquidated_loan_count=reader.labelled(
            region,
            "principal.liquidated_loan_count",
            _PRINCIPAL_LABELS["liquidated_loan_count"],
            _COUNT_WITH_CENTS,
        ),
    )


def _read_interest_and_pool(reader: _Reader) -> tuple[CollateralInterest, PoolSummary]:
    region = reader.region(4)

    def interest(key: str) -> Decimal:
        return reader.labelled(region, f"interest.{key}", _INTEREST_LABELS[key], _AMOUNT)

    def pool(key: str, fmt: _Format[_T]) -> _T:
        return reader.labelled(region, f"pool.{key}", _POOL_LABELS[key], fmt)

    scheduled = interest("scheduled_interest_net_of_servicing_fee")
    capitalized = interest("capitalized_interest_withdrawal")
    relief = interest("relief_act_shortfall")
    total = _read_interest_total(reader, region)
    return CollateralInterest(scheduled, capitalized, relief, total), PoolSummary(
        servicing_fee=pool("servicing_fee", _AMOUNT),
        advances=pool("advances", _AMOUNT),
        aggregate_p_and_i_advances=pool("aggregate_p_and_i_advances", _ADVANCES),
        loan_count=pool("loan_count", _COUNT),
        loan_balance=pool("loan_balance", _AMOUNT),
        subsequent_loans_balance=pool("subsequent_loans_balance", _AMOUNT),
        pre_funding_remaining_distributed=pool("pre_funding_remaining_distributed", _AMOUNT),
        wam=pool("wam", _MONTHS),
        wac_percent=pool("wac_percent", _PERCENT),
        net_wac_percent=pool("net_wac_percent", _PERCENT),
    )


def _read_interest_total(reader: _Reader, region: _Region) -> Decimal:
    """Read the unlabelled total: the amount alone on the line below the relief-act line."""
    relief = next(
        (
            index
            for index in range(region.start, region.stop)
            if _label_pattern(_INTEREST_LABELS["relief_act_shortfall"][0]).match(
                reader.lines[index]
            )
        ),
        None,
    )
    if relief is None:
        return _AMOUNT.placeholder  # the missing relief-act line is reported already
    below = next(
        (i for i in range(relief + 1, region.stop) if reader.lines[i].strip()), region.stop
    )
    tokens = reader.tokens(below) if below < region.stop else []
    if below in reader.used or len(tokens) != 1:
        reader.report(
            region.anchor,
            1,
            "interest.total",
            "expected the total interest alone on the line below "
            f"'{_INTEREST_LABELS['relief_act_shortfall'][0]}' (line {relief + 1}), found none",
        )
        return _AMOUNT.placeholder
    reader.used.add(below)
    return reader.parse_token(tokens[0], below, "interest.total", _AMOUNT)


def _read_count_balance(
    reader: _Reader, tokens: Sequence[_Token], index: int, where: str
) -> LoanCountBalance:
    count = reader.parse_token(tokens[0], index, f"{where}.count", _COUNT)
    balance = reader.parse_token(tokens[1], index, f"{where}.balance", _AMOUNT)
    return LoanCountBalance(count, balance)


def _read_delinquencies(reader: _Reader) -> tuple[ServicerDelinquency, ...]:
    region = reader.region(5)
    servicers: list[str] = []
    if not region.is_silent and region.anchor == reader.headings[5]:
        line = reader.lines[region.anchor]
        rest = line[line.index("Info") + len("Info") :]
        servicers = [" ".join(name.split()) for name in re.split(r"\s{2,}", rest.strip()) if name]
        if not servicers:
            reader.report(
                region.anchor,
                len(line) + 1,
                "delinquencies",
                "expected the servicer names after 'Delinq Info', like "
                "'Delinq Info  Fairbanks  Long Beach', found none",
            )
    header = ("Count Balance " * max(len(servicers), 1)).strip()
    reader.table(region, "delinquencies", (header,), has_rows=False)
    note = next(
        (
            i
            for i in range(region.start, region.stop)
            if reader.lines[i].strip().startswith(_DELINQUENCY_NOTE)
        ),
        None,
    )
    if note is not None:
        reader.used.add(note)
        for index in range(note + 1, region.stop):
            if not reader.lines[index].strip():
                break
            reader.used.add(index)
    by_servicer: list[dict[str, LoanCountBalance | None]] = [{} for _ in servicers]
    for key, labels in _DELINQUENCY_LABELS.items():
        found = reader.find_labelled(
            region, f"delinquencies.{key}", labels, "a count and a balance for each servicer"
        )
        if found is None:
            continue
        tokens = reader.tokens_after(found)
        if key == "total" and not tokens:
            for values in by_servicer:
                values[key] = None
            continue
        if len(tokens) != 2 * len(servicers):
            reader.report(
                found.index,
                found.column,
                f"delinquencies.{key}",
                f"expected a count and a balance for each of the {len(servicers)} servicers "
                f"({', '.join(servicers)}), got {len(tokens)} values",
            )
            continue
        for number, values in enumerate(by_servicer):
            where = f"delinquencies[{servicers[number]}].{key}"
            values[key] = _read_count_balance(
                reader, tokens[2 * number : 2 * number + 2], found.index, where
            )
    if reader.problems:
        return ()  # a bucket may be missing; the caller raises
    return tuple(
        ServicerDelinquency(
            servicer=servicer,
            days_30_59=_required(values["days_30_59"]),
            days_60_89=_required(values["days_60_89"]),
            days_90_plus=_required(values["days_90_plus"]),
            total=values["total"],
        )
        for servicer, values in zip(servicers, by_servicer, strict=True)
    )


def _required(value: _T | None) -> _T:
    """Return a value that is present whenever the reader has found no problem."""
    if value is None:
        raise AssertionError("a value is missing although no problem was reported")
    return value


def _read_servicer_loans(
    reader: _Reader, number: int, balance_format: _Format[Decimal]
) -> tuple[ServicerLoans, ...]:
    region = reader.region(number)
    where = region.section.where
    found = reader.table(region, where, _SERVICER_HEADER)
    if found is None:
        return ()
    rows = []
    for index in found[1]:
        tokens = reader.tokens(index)
        # The name is the words before the first number (a garbled number still starts with
        # a digit); 'Long Beach' has a space in it.
        first_value = next(
            (n for n, token in enumerate(tokens) if re.match(r"[-(]?\d", token.text)),
            len(tokens),
        )
        name = " ".join(token.text for token in tokens[:first_value])
        if len(tokens) - first_value != 2 or not name:
            reader.report(
                index,
                tokens[0].column,
                where,
                "expected a servicer name, a count and a balance, like "
                f"'Fairbanks  265  40,832,990.39', got {reader.lines[index].strip()!r}",
            )
            continue
        count = reader.parse_token(tokens[-2], index, f"{where}[{name}].count", _COUNT)
        balance = reader.parse_token(tokens[-1], index, f"{where}[{name}].balance", balance_format)
        rows.append(ServicerLoans(name, count, balance))
    return tuple(rows)


def _read_interest_shortfalls(
    reader: _Reader, region: _Region, known: Sequence[str]
) -> tuple[ClassInterestShortfall, ...]:
    found = reader.table(region, "interest_shortfalls", _SHORTFALL_HEADER)
    if found is None:
        return ()
    table = _ClassTable("interest_shortfalls", "interest shortfall table")
    rows = []
    for index in found[1]:
        tokens = reader.tokens(index)
        name = _class_name(reader, tokens[0], index, table)
        if not table.add(reader, name, index):
            continue
        where = f"interest_shortfalls[{name}]"
        if known and name not in known:
            reader.report(
                index,
                tokens[0].column,
                where,
                f"class {name!r} is not in the distribution summary, which lists "
                f"{', '.join(known)}",
            )
        if len(tokens) != 5:
            reader.report(
                index,
                tokens[0].column,
                where,
                "expected total, losses, PPIS and relief act shortfall after the class name, "
                f"got {len(tokens) - 1} values",
            )
            continue
        total, losses, prepayment, relief = (
            reader.parse_token(token, index, f"{where}.{key}", _TABLE_AMOUNT)
            for token, key in zip(
                tokens[1:],
                ("total", "losses", "prepayment_interest_shortfall", "relief_act_shortfall"),
                strict=True,
            )
        )
        rows.append(ClassInterestShortfall(name, total, losses, prepayment, relief))
    return tuple(rows)


def parse_statement(text: str, file: str = "<text>") -> Statement:
    """Read one monthly statement from its text.

    Parameters
    ----------
    text : str
        The statement, verbatim (the Form 8-K with its exhibit, or the exhibit alone).
    file : str
        Name of the file for messages.

    Returns
    -------
    Statement
        Every figure of the statement, exactly as printed.

    Raises
    ------
    StatementError
        If a line is missing or garbled, or a line of the statement is not understood: one
        problem per line of the message, ``file:line:column: field: what was expected``.
    """
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    reader = _Reader(file, [line.rstrip("\r") for line in lines])
    reader.locate()
    series, distribution_date = _read_series_and_date(reader)

    summary_region = reader.region(1)
    summary_table = _ClassTable("classes", "distribution summary")
    end_table = _ClassTable("classes", "loss and ending balance table")
    summary, total = _read_summary(reader, summary_region, summary_table)
    ends = _read_end_table(reader, summary_region, end_table)
    per_thousand_table = _ClassTable("per_thousand", "per-$1,000 table")
    per_thousand = _read_per_thousand(reader, reader.region(2), per_thousand_table)
    names = _check_class_tables(reader, (summary_table, end_table, per_thousand_table))

    principal = _read_principal(reader)
    interest, pool = _read_interest_and_pool(reader)
    delinquencies = _read_delinquencies(reader)
    foreclosures = _read_servicer_loans(reader, 6, _AMOUNT)
    bankruptcies = _read_servicer_loans(reader, 7, _WHOLE_AMOUNT)
    reos = _read_servicer_loans(reader, 8, _WHOLE_AMOUNT)

    tail_region = reader.region(9)
    interest_shortfalls = _read_interest_shortfalls(reader, tail_region, names)

    amounts = {
        key: reader.labelled(tail_region, key, labels, _AMOUNT)
        for key, labels in _TAIL_LABELS.items()
        if key not in ("credit_enhancement_percent", "is_trigger_event")
    }
    credit_enhancement_percent = reader.labelled(
        tail_region,
        "credit_enhancement_percent",
        _TAIL_LABELS["credit_enhancement_percent"],
        _PERCENT,
    )
    is_trigger_event = reader.labelled(
        tail_region, "is_trigger_event", _TAIL_LABELS["is_trigger_event"], _YES_NO
    )
    reader.report_unread()
    if reader.problems:
        raise StatementError(reader.problems)
    classes = tuple(
        ClassDistribution(
            name=name,
            original_face=summary[name].original_face,
            beginning_balance=summary[name].beginning_balance,
            principal=summary[name].principal,
            rate_percent=summary[name].rate_percent,
            interest=summary[name].interest,
            loss=ends[name].loss,
            interest_shortfall=ends[name].interest_shortfall,
            ending_balance=ends[name].ending_balance,
        )
        for name in names
    )
    return Statement(
        series=series,
        distribution_date=distribution_date,
        classes=classes,
        total=total,
        per_thousand=tuple(per_thousand[name] for name in names),
        principal=principal,
        interest=interest,
        pool=pool,
        delinquencies=delinquencies,
        foreclosures=foreclosures,
        bankruptcies=bankruptcies,
        reos=reos,
        interest_shortfalls=interest_shortfalls,
        prepayment_premiums=amounts["prepayment_premiums"],
        realized_losses=amounts["realized_losses"],
        bankruptcy_losses=amounts["bankruptcy_losses"],
        cumulative_net_realized_losses=amounts["cumulative_net_realized_losses"],
        prepayment_interest_shortfalls=amounts["prepayment_interest_shortfalls"],
        relief_act_shortfalls=amounts["relief_act_shortfalls"],
        required_overcollateralization=amounts["required_overcollateralization"],
        credit_enhancement_percent=credit_enhancement_percent,
        overcollateralization_increase=amounts["overcollateralization_increase"],
        overcollateralization_reduction=amounts["overcollateralization_reduction"],
        yield_maintenance_payment=amounts["yield_maintenance_payment"],
        pre_funding_deposit=amounts["pre_funding_deposit"],
        net_monthly_excess_cash_flow=amounts["net_monthly_excess_cash_flow"],
        extraordinary_trust_fund_expenses=amounts["extraordinary_trust_fund_expenses"],
        is_trigger_event=is_trigger_event,
    )


def read_statement(path: str | os.PathLike[str]) -> Statement:
    """Read one monthly statement from a text file.

    Parameters
    ----------
    path : str or os.PathLike
        The statement file, e.g. ``deals/statements/2002-HE1-2002-11-15.txt``.

    Returns
    -------
    Statement
        Every figure of the statement, exactly as printed.

    Raises
    ------
    StatementError
        If the file is not text, or a line is missing, garbled or not understood.
    OSError
        If the file cannot be read.
    """
    file = os.fspath(path)
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        problem = Problem(
            file,
            data.count(b"\n", 0, error.start) + 1,
            error.start - line_start + 1,
            "",
            f"expected text (ASCII or UTF-8), got the byte 0x{data[error.start]:02x}",
        )
        raise StatementError([problem]) from None
    return parse_statement(text, file)


@dataclass(frozen=True, slots=True)
class CheckRules:
    """Which classes each cross-check of :func:`check_statement` covers.

    The defaults fit this trustee's 2002-HE1 statements: on 15-Nov-2002 each sum holds
    exactly with them and with no other choice (DEAL_NOTES.md).
    """

    #: Left out of the Total row's face, beginning balance and principal: the interest-only
    #: classes (notional balances), P's $100 and the X and R certificates.
    total_balance_excludes: frozenset[str] = frozenset({"A-IO", "BIO", "P", "X", "R"})
    #: Left out of the Total row's interest.
    total_interest_excludes: frozenset[str] = frozenset({"BIO"})
    #: Interest-only classes: a notional balance follows a schedule, not the principal paid,
    #: so it is not rolled forward.
    notional_classes: frozenset[str] = frozenset({"A-IO", "BIO"})
    #: The class whose balance is the overcollateralization amount. It grows by excess
    #: interest paid as principal to other classes and falls by realized losses, so its
    #: ending balance is compared with the ending overcollateralization amount instead
    #: (on 15-Nov-2002 X ends 0.01 below its beginning balance with no principal paid).
    overcollateralization_class: str = "X"


#: Per-$1,000 figures are compared with the dollar amounts to within this (or half a unit of
#: the last printed decimal, if coarser). The trustee divides unrounded amounts: on 15-Nov-2002
#: A-1's principal factor is 1.24 units of the 8th decimal off a straight division. 1e-7 per
#: $1,000 is 2.4 cents on the largest class, so a wrong digit is still caught.
PER_THOUSAND_TOLERANCE = Decimal("1e-7")


def _compare(
    findings: list[str], where: str, reported: Decimal, expected: Decimal, formula: str
) -> None:
    if reported != expected:
        difference = reported - expected
        side = "above" if difference > 0 else "below"
        findings.append(
            f"{where}: {reported:,} is {abs(difference):,} {side} {formula} = {expected:,}"
        )


def _check_classes(statement: Statement, rules: CheckRules, findings: list[str]) -> None:
    for row in statement.classes:
        where = f"classes[{row.name}].ending_balance"
        if row.name == rules.overcollateralization_class:
            _compare(
                findings,
                where,
                row.ending_balance,
                statement.principal.ending_overcollateralization,
                "principal.ending_overcollateralization",
            )
        elif row.name not in rules.notional_classes:
            loss = row.loss or Decimal(0)
            _compare(
                findings,
                where,
                row.ending_balance,
                row.beginning_balance - row.principal - loss,
                "beginning_balance - principal - loss "
                f"({row.beginning_balance:,} - {row.principal:,} - {loss:,})",
            )
    balance_rows = [r for r in statement.classes if r.name not in rules.total_balance_excludes]
    interest_rows = [r for r in statement.classes if r.name not in rules.total_interest_excludes]
    over_balance = f"the sum over {', '.join(r.name for r in balance_rows)}"
    total = statement.total
    for key, reported, values in (
        ("original_face", total.original_face, [r.original_face for r in balance_rows]),
        (
            "beginning_balance",
            total.beginning_balance,
            [r.beginning_balance for r in balance_rows],
        ),
        ("principal", total.principal, [r.principal for r in balance_rows]),
    ):
        _compare(findings, f"total.{key}", reported, sum(values, Decimal(0)), over_balance)
    _compare(
        findings,
        "total.interest",
        total.interest,
        sum((r.interest for r in interest_rows), Decimal(0)),
        f"the sum over {', '.join(r.name for r in interest_rows)}",
    )


def _check_per_thousand(statement: Statement, findings: list[str]) -> None:
    for row in statement.classes:
        if not row.original_face:
            continue
        factors = statement.per_thousand_by_name(row.name)
        for key, reported, amount in (
            ("principal", factors.principal, row.principal),
            ("interest", factors.interest, row.interest),
            ("interest_shortfall", factors.interest_shortfall, row.interest_shortfall),
            ("ending_factor", factors.ending_factor, row.ending_balance),
        ):
            expected = (amount or Decimal(0)) / row.original_face * 1000
            exponent = reported.as_tuple().exponent
            half_unit = Decimal(5).scaleb(exponent - 1) if isinstance(exponent, int) else 0
            tolerance = max(PER_THOUSAND_TOLERANCE, half_unit)
            if abs(reported - expected) > tolerance:
                source = "ending_balance" if key == "ending_factor" else key
                findings.append(
                    f"per_thousand[{row.name}].{key}: {reported} is not classes[{row.name}]."
                    f"{source} / original_face x 1000 = {expected:.10f} (to within {tolerance})"
                )


def _check_collateral(statement: Statement, findings: list[str]) -> None:
    principal = statement.principal
    parts = (
        principal.scheduled_principal,
        principal.prepayments,
        principal.curtailments,
        principal.net_liquidation_proceeds,
        principal.loan_purchase_prices,
    )
    _compare(
        findings,
        "principal.total_principal_remittance",
        principal.total_principal_remittance,
        sum(parts, Decimal(0)),
        "scheduled_principal + prepayments + curtailments + net_liquidation_proceeds + "
        f"loan_purchase_prices ({' + '.join(f'{part:,}' for part in parts)})",
    )
    _compare(
        findings,
        "principal.total_principal_distributed",
        principal.total_principal_distributed,
        principal.total_principal_remittance + principal.pre_funding_distributed,
        "total_principal_remittance + pre_funding_distributed "
        f"({principal.total_principal_remittance:,} + {principal.pre_funding_distributed:,})",
    )
    _compare(
        findings,
        "principal.ending_balance",
        principal.ending_balance,
        principal.beginning_balance
        - principal.total_principal_remittance
        - principal.net_realized_losses,
        "beginning_balance - total_principal_remittance - net_realized_losses "
        f"({principal.beginning_balance:,} - {principal.total_principal_remittance:,} - "
        f"{principal.net_realized_losses:,})",
    )
    interest = statement.interest
    _compare(
        findings,
        "interest.total",
        interest.total,
        interest.scheduled_interest_net_of_servicing_fee
        + interest.capitalized_interest_withdrawal
        - interest.relief_act_shortfall,
        "scheduled_interest_net_of_servicing_fee + capitalized_interest_withdrawal - "
        f"relief_act_shortfall ({interest.scheduled_interest_net_of_servicing_fee:,} + "
        f"{interest.capitalized_interest_withdrawal:,} - {interest.relief_act_shortfall:,})",
    )
    _compare(
        findings,
        "pool.loan_balance",
        statement.pool.loan_balance,
        principal.ending_balance,
        "principal.ending_balance",
    )
    for servicer in statement.delinquencies:
        if servicer.total is None:
            continue
        buckets = (servicer.days_30_59, servicer.days_60_89, servicer.days_90_plus)
        where = f"delinquencies[{servicer.servicer}].total"
        if servicer.total.count != sum(bucket.count for bucket in buckets):
            findings.append(
                f"{where}.count: {servicer.total.count} is not the sum of the three buckets, "
                f"{sum(bucket.count for bucket in buckets)}"
            )
        _compare(
            findings,
            f"{where}.balance",
            servicer.total.balance,
            sum((bucket.balance for bucket in buckets), Decimal(0)),
            "the sum of the three buckets",
        )


def check_statement(statement: Statement, rules: CheckRules | None = None) -> list[str]:
    """Check the statement's own arithmetic; return one finding per failed check.

    Parameters
    ----------
    statement : Statement
        A statement as read by :func:`read_statement`.
    rules : CheckRules, optional
        Which classes the class checks cover; the default fits this trustee's 2002-HE1
        statements.

    Returns
    -------
    list of str
        ``'field: reported is difference above|below formula = expected'``, one per failed
        check, in a fixed order; empty when every check holds. Nothing is raised: a
        trustee's rounding is a finding to note, not an error in the file.

    Notes
    -----
    Checks, all exact to the cent except the per-$1,000 figures:

    - each class: ending balance = beginning balance - principal - loss (notional classes
      excepted); the overcollateralization class ends at the ending overcollateralization
      amount;
    - the Total row sums the classes :class:`CheckRules` leaves in;
    - per-$1,000 figures = dollar amount / original face x 1000, to within
      :data:`PER_THOUSAND_TOLERANCE`;
    - total principal remittance = scheduled principal + prepayments + curtailments + net
      liquidation proceeds + loan purchase prices; total principal distributed = remittance +
      pre-funding distributed;
    - pool: ending balance = beginning balance - total principal remittance - net realized
      losses (15-Nov-2002: the reported ending balance is 0.26 above this, a known trustee
      rounding); loans outstanding balance = ending balance;
    - interest total = scheduled interest + capitalized interest withdrawal - relief act
      shortfall;
    - a printed delinquency 'Total' row = the sum of the three buckets.
    """
    rules = rules or CheckRules()
    findings: list[str] = []
    _check_classes(statement, rules, findings)
    _check_per_thousand(statement, findings)
    _check_collateral(statement, findings)
    return findings
