"""The trustee's monthly statement reader: exact figures, other months, located problems."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import waterfall.statement.read as read_module
from waterfall.errors import StatementError
from waterfall.statement import (
    CheckRules,
    LoanCountBalance,
    ServicerLoans,
    Statement,
    check_statement,
    parse_statement,
    read_statement,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "deals" / "statements" / "2002-HE1-2002-11-15.txt"
ORIGINAL = REPO / ".." / "shared" / "data" / "2002-HE1" / "trustee-report-2002-11-15.txt"
FILE = "trustee.txt"

POOL_ROUNDING_FINDING = (
    "principal.ending_balance: 798,796,001.41 is 0.26 above beginning_balance - "
    "total_principal_remittance - net_realized_losses (822,179,071.35 - 23,328,770.64 - "
    "54,299.56) = 798,796,001.15"
)


def shipped_text() -> str:
    return SHIPPED.read_text(encoding="ascii")


def substitute(text: str, *pairs: tuple[str, str]) -> str:
    """Replace each `old` text, which must occur exactly once, by `new`."""
    for old, new in pairs:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def delete_line(text: str, line: int) -> str:
    lines = text.split("\n")
    del lines[line - 1]
    return "\n".join(lines)


def problems_of(text: str) -> list[str]:
    with pytest.raises(StatementError) as raised:
        parse_statement(text, FILE)
    return [str(problem) for problem in raised.value.problems]


# The 16-Dec-2002 statement as it would read one month on: every class row and collateral
# line changed consistently (check_statement finds nothing), Fairbanks renamed (it became
# Select Portfolio Servicing), the delinquency Total row filled in, a count with a thousands
# separator and the P&I advances reported.
DECEMBER = (
    ("15-Nov-02\n\nAsset", "16-Dec-02\n\nAsset"),
    ("On November 15, 2002", "On December 16, 2002"),
    ("dated     15-Nov-02", "dated     16-Dec-02"),
    ("Report Dated            15-Nov-02", "Report Dated            16-Dec-02"),
    ("Distribution Date:        November 15, 2002", "Distribution Date:        December 16, 2002"),
    (
        "A-1    235258000.00    140239577.87  16165190.41   2.22250%       268393.23",
        "A-1    235258000.00    124074387.46  14000000.00   1.80000%       192315.30",
    ),
    (
        "A-2    543742000.00    496689391.73   7217879.78   2.18250%       933465.63",
        "A-2    543742000.00    489471511.95   6470123.45   1.76000%       741821.27",
    ),
    (
        "M-1     66500000.00     66500000.00         0.00   2.90250%       166208.44",
        "M-1     66500000.00     66500000.00         0.00   2.48000%       142014.44",
    ),
    (
        "M-2     54625000.00     54625000.00         0.00   3.45250%       162399.37",
        "M-2     54625000.00     54625000.00         0.00   3.03000%       142525.73",
    ),
    (
        "B       49875000.00     49875000.00         0.00   4.45250%       191225.60",
        "B       49875000.00     49875000.00         0.00   4.03000%       173080.10",
    ),
    (
        "P            100.00          100.00         0.00                  562097.21",
        "P            100.00          100.00         0.00                  498761.40",
    ),
    (
        "X              0.00     14250001.75         0.00   3.57805%      2451500.28",
        "X              0.00     14250001.74         0.00   3.94112%      2623456.78",
    ),
    (
        "Total  950000000.00    807928969.60  23383070.19                 5997373.09",
        "Total  950000000.00    784545899.41  20470123.45                 5776058.35",
    ),
    (
        "        A-1     N/A       0.00       124074387.46",
        "        A-1     N/A       0.00       110074387.46",
    ),
    (
        "        A-2     N/A       0.00       489471511.95",
        "        A-2     N/A       0.00       483001388.50",
    ),
    (
        "          B     0.00      0.00        49875000.00",
        "          B     0.00   1234.56        49875000.00",
    ),
    (
        "          X     0.00      0.00        14250001.74",
        "          X     0.00      0.00        14250002.00",
    ),
    (
        "A-1    04541GCD2      68.71260664     1.14084635   0.00000000   527.39710215",
        "A-1    04541GCD2      59.50913465     0.81746551   0.00000000   467.88796751",
    ),
    (
        "A-2    04541GCE0      13.27445696     1.71674366   0.00000000   900.19073743",
        "A-2    04541GCE0      11.89925268     1.36428907   0.00000000   888.29148475",
    ),
    (
        "M-1    04541GCG5      0.00000000      2.49937504   0.00000000   1000.00000000",
        "M-1    04541GCG5      0.00000000      2.13555549   0.00000000   1000.00000000",
    ),
    (
        "M-2    04541GCH3      0.00000000      2.97298618   0.00000000   1000.00000000",
        "M-2    04541GCH3      0.00000000      2.60916668   0.00000000   1000.00000000",
    ),
    (
        "B      04541GCJ9      0.00000000      3.83409724   0.00000000   1000.00000000",
        "B      04541GCJ9      0.00000000      3.47027769   0.02475308   1000.00000000",
    ),
    (
        "P      04541GCL4      0.00000000     5620972.1000  0.00000000   1000.00000000",
        "P      04541GCL4      0.00000000     4987614.0000  0.00000000   1000.00000000",
    ),
    ("Beg Bal                                                  822,179,071.35",
     "Beg Bal                                                  798,796,001.41"),
    ("'Sched Prin                                              565,846.34",
     "'Sched Prin                                              560,123.45"),
    ("Prep                                                 22,442,774.30",
     "Prep                                                 19,500,000.00"),
    ("Curt                                                     267,197.80",
     "Curt                                                     250,000.00"),
    ("Net Liq Proceeds                                         52,952.20",
     "Net Liq Proceeds                                        100,000.00"),
    ("Tot Prin Remit                                       23,328,770.64",
     "Tot Prin Remit                                       20,410,123.45"),
    ("Tot Prin Distrib                                     23,328,770.64",
     "Tot Prin Distrib                                     20,410,123.45"),
    ("Net Realized Losses                                      54,299.56",
     "Net Realized Losses                                      60,000.00"),
    ("End Bal                                                  798,796,001.41",
     "End Bal                                                  778,325,877.96"),
    ("En Overcoll Amt                                           14,250,001.74",
     "En Overcoll Amt                                           14,250,002.00"),
    ("Numr of Liq Loans                                                  0.00",
     "Numr of Liq Loans                                                  2.00"),
    ("Sched Int -Curr Per- Net of Serv Fee                       5,822,580.49",
     "Sched Int -Curr Per- Net of Serv Fee                       5,400,000.00"),
    ("Less Relief Act Int Shortfall                                      0.00",
     "Less Relief Act Int Shortfall                                  1,000.00"),
    ("                                                           5,822,580.49",
     "                                                           5,399,000.00"),
    ("Serv Fee                                                     342,574.70",
     "Serv Fee                                                     332,831.67"),
    ("Advances                                                     667,853.34",
     "Advances                                                     700,000.00"),
    ("Agg P&I  Advances                               Not Provided By Servicer",
     "Agg P&I  Advances                                       1,234,567.89"),
    ("Count                 5871", "Count                5,750"),
    ("Balance      798,796,001.41", "Balance      778,325,877.96"),
    ("WAM                                                                341",
     "WAM                                                                340"),
    ("WAC                                                            8.99827%\n",
     "WAC                                                            8.99512%\n"),
    ("Net WAC                                                        8.49827%",
     "Net WAC                                                        8.49512%"),
    ("Delinq Info  Fairbanks                      Long Beach",
     "Delinq Info  Select Portfolio               Long Beach"),
    ("30-59      143        19,526,780.36         59      4,175,166.26",
     "30-59      150        20,000,000.00         61      4,321,000.50"),
    ("60-89       16         1,959,569.60         18      1,301,564.11",
     "60-89       20         2,100,000.00         17      1,200,000.25"),
    ("90+         14         1,425,319.53         14      1,039,060.46",
     "90+         12         1,300,000.75         15      1,100,000.00"),
    ("Total\n*Note", "Total      182        23,400,000.75         93      6,621,000.75\n*Note"),
    ("Fairbanks       265        40,832,990.39", "Select Portfolio 270      41,000,000.01"),
    ("Long Beach       20        1,661,100.37", "Long Beach       22        1,700,000.00"),
    ("Fairbanks       51           6,949,303", "Select Portfolio 55         7,000,001"),
    ("Long Beach      32           2,175,801", "Long Beach      30           2,100,000"),
    ("Fairbanks        10          1,604,742", "Select Portfolio  12        1,800,000"),
    ("Long Beach        5            286,223", "Long Beach        4            250,000"),
    ("B              0.00            0.00            0.00         0.00",
     "B           1234.56            0.00         1234.56         0.00"),
    ("Amt of Prep Prems                                         562,097.21",
     "Amt of Prep Prems                                         498,761.40"),
    ("Real Losses incurred during the related Prep Per           54,299.56",
     "Real Losses incurred during the related Prep Per           60,000.00"),
    ("Cum Net Real Losses since Startup Day                     103,748.62",
     "Cum Net Real Losses since Startup Day                     163,748.62"),
    ("Agg Amt of Prep Int Shortfalls                                  0.00",
     "Agg Amt of Prep Int Shortfalls                              1,234.56"),
    ("Agg Amt of Relief Act Int Shortfalls                            0.00",
     "Agg Amt of Relief Act Int Shortfalls                        1,000.00"),
    ("Credit Enhancement %                                      23.191153%",
     "Credit Enhancement %                                      23.801085%"),
    ("Overcoll Inc Amt                                                0.00",
     "Overcoll Inc Amt                                           60,000.00"),
    ("Net Monthly Excess Cash Flow                            2,451,500.28",
     "Net Monthly Excess Cash Flow                            2,623,456.78"),
)  # fmt: skip


def test_reads_hand_checked_figures_of_the_shipped_statement() -> None:
    statement = read_statement(SHIPPED)

    assert statement.series == "2002-HE1"
    assert statement.distribution_date == date(2002, 11, 15)
    assert statement.by_name("A-2").interest == Decimal("933465.63")
    assert statement.by_name("A-1").rate_percent == Decimal("2.22250")
    assert statement.by_name("X").ending_balance == Decimal("14250001.74")
    assert statement.total.beginning_balance == Decimal("807928969.60")
    assert statement.per_thousand_by_name("A-1").cusip == "04541GCD2"
    assert statement.per_thousand_by_name("P").interest == Decimal("5620972.1000")
    assert statement.principal.prepayments == Decimal("22442774.30")
    assert statement.principal.scheduled_principal == Decimal("565846.34")
    assert statement.principal.ending_balance == Decimal("798796001.41")
    assert statement.interest.total == Decimal("5822580.49")
    assert statement.pool.loan_count == 5871
    assert statement.pool.wam == 341
    assert statement.pool.net_wac_percent == Decimal("8.49827")
    assert statement.delinquencies[0].servicer == "Fairbanks"
    assert statement.delinquencies[1].days_60_89 == LoanCountBalance(18, Decimal("1301564.11"))
    assert statement.foreclosures[0] == ServicerLoans("Fairbanks", 265, Decimal("40832990.39"))
    assert statement.bankruptcies[1] == ServicerLoans("Long Beach", 32, Decimal("2175801"))
    assert statement.reos[1].servicer == "Long Beach"
    assert statement.reos[1].count == 5
    assert statement.required_overcollateralization == Decimal("14250002.00")
    assert statement.credit_enhancement_percent == Decimal("23.191153")
    assert statement.net_monthly_excess_cash_flow == Decimal("2451500.28")
    assert statement.is_trigger_event is False


def test_shipped_statement_is_a_verbatim_copy() -> None:
    if not ORIGINAL.exists():
        pytest.skip(f"{ORIGINAL} is not available")
    assert SHIPPED.read_bytes() == ORIGINAL.read_bytes()


def test_keeps_printed_class_order_and_finds_classes_by_name() -> None:
    statement = read_statement(SHIPPED)
    printed = ("A-1", "A-2", "A-IO", "M-1", "M-2", "B", "P", "X", "R", "BIO")

    assert tuple(row.name for row in statement.classes) == printed
    assert tuple(row.name for row in statement.per_thousand) == printed
    assert [row.name for row in statement.interest_shortfalls] == [
        "A-1", "A-2", "A-IO", "M-1", "M-2", "B", "X", "BIO",
    ]  # fmt: skip
    assert statement.by_name("BIO").original_face == Decimal("31500000.00")
    assert statement.interest_shortfall_by_name("X").total == Decimal("0.00")
    with pytest.raises(KeyError, match=r"no class 'A-3'.*A-1, A-2, A-IO"):
        statement.by_name("A-3")


def test_blank_cells_and_text_read_as_none() -> None:
    statement = read_statement(SHIPPED)

    assert statement.by_name("P").rate_percent is None
    assert statement.by_name("P").interest_shortfall is None
    assert statement.by_name("R").interest_shortfall is None
    assert statement.by_name("A-IO").loss is None  # 'N/A'
    assert statement.by_name("M-1").loss == Decimal("0.00")
    assert statement.pool.aggregate_p_and_i_advances is None  # 'Not Provided By Servicer'
    assert all(row.total is None for row in statement.delinquencies)  # blank Total row


def test_money_is_exact_decimal_and_counts_are_int() -> None:
    statement = read_statement(SHIPPED)

    assert isinstance(statement.principal.curtailments, Decimal)
    assert statement.principal.curtailments.as_tuple().exponent == -2
    assert statement.principal.liquidated_loan_count == 0  # printed 0.00
    assert type(statement.principal.liquidated_loan_count) is int
    assert type(statement.foreclosures[1].count) is int
    assert statement.pool.wac_percent - statement.pool.net_wac_percent == Decimal("0.50000")


def test_check_statement_finds_only_the_pool_rounding_of_026() -> None:
    assert check_statement(read_statement(SHIPPED)) == [POOL_ROUNDING_FINDING]


def test_check_statement_finds_a_wrong_digit_that_still_parses() -> None:
    text = substitute(shipped_text(), ("489471511.95", "489471515.95"))

    findings = check_statement(parse_statement(text))

    assert findings[0] == (
        "classes[A-2].ending_balance: 489,471,515.95 is 4.00 above beginning_balance - "
        "principal - loss (496,689,391.73 - 7,217,879.78 - 0) = 489,471,511.95"
    )
    assert findings[1].startswith("per_thousand[A-2].ending_factor: 900.19073743 is not")
    assert findings[2:] == [POOL_ROUNDING_FINDING]


def test_check_rules_choose_the_classes_in_the_total_row() -> None:
    statement = read_statement(SHIPPED)
    rules = CheckRules(total_interest_excludes=frozenset())

    assert check_statement(statement, rules)[0] == (
        "total.interest: 5,997,373.09 is 157,500.00 below the sum over A-1, A-2, A-IO, M-1, "
        "M-2, B, P, X, R, BIO = 6,154,873.09"
    )


def test_reads_another_month_with_other_figures_and_servicer_names() -> None:
    text = substitute(shipped_text(), *DECEMBER)

    statement = parse_statement(text, FILE)

    assert statement.distribution_date == date(2002, 12, 16)
    assert statement.by_name("A-2").interest == Decimal("741821.27")
    assert statement.by_name("A-2").ending_balance == Decimal("483001388.50")
    assert statement.by_name("B").interest_shortfall == Decimal("1234.56")
    assert statement.per_thousand_by_name("B").interest_shortfall == Decimal("0.02475308")
    assert statement.principal.prepayments == Decimal("19500000.00")
    assert statement.principal.liquidated_loan_count == 2
    assert statement.interest.relief_act_shortfall == Decimal("1000.00")
    assert statement.interest.total == Decimal("5399000.00")
    assert statement.pool.aggregate_p_and_i_advances == Decimal("1234567.89")
    assert statement.pool.loan_count == 5750
    assert [row.servicer for row in statement.delinquencies] == ["Select Portfolio", "Long Beach"]
    assert statement.delinquencies[0].total == LoanCountBalance(182, Decimal("23400000.75"))
    assert statement.foreclosures[0] == ServicerLoans(
        "Select Portfolio", 270, Decimal("41000000.01")
    )
    assert statement.reos[1] == ServicerLoans("Long Beach", 4, Decimal("250000"))
    assert statement.interest_shortfall_by_name("B").prepayment_interest_shortfall == Decimal(
        "1234.56"
    )
    assert statement.credit_enhancement_percent == Decimal("23.801085")
    assert check_statement(statement) == []


def test_thousands_separators_do_not_change_the_figures() -> None:
    text = shipped_text()
    plain = re.sub(r"(?<![$\d,])\d{1,3}(?:,\d{3})+", lambda m: m[0].replace(",", ""), text)
    assert "22442774.30" in plain
    assert "6949303" in plain

    assert parse_statement(plain) == parse_statement(text)


def test_windows_line_endings_and_a_final_newline_read_the_same() -> None:
    text = shipped_text()

    assert parse_statement(text.replace("\n", "\r\n") + "\r\n") == parse_statement(text)


def test_trigger_event_yes_reads_true() -> None:
    text = substitute(shipped_text(), ("   NO\n", "  YES\n"))

    assert parse_statement(text).is_trigger_event is True


@given(cents=st.integers(min_value=0, max_value=10**13), grouped=st.booleans())
def test_any_amount_reads_back_exactly(cents: int, grouped: bool) -> None:
    amount = Decimal(cents).scaleb(-2)
    printed = f"{amount:,.2f}" if grouped else f"{amount:.2f}"
    text = substitute(shipped_text(), ("22,442,774.30", printed))

    assert parse_statement(text).principal.prepayments == amount


def test_truncated_statement_names_the_missing_lines_and_where_it_ends() -> None:
    text = shipped_text()
    half = text[: len(text) // 2]  # ends in line 127, after the 'Prep' line (126)

    problems = problems_of(half)

    assert problems[0] == (
        "trustee.txt:123:1: principal.curtailments: expected a line labelled 'Curt' with an "
        "amount like 22,442,774.30 in the section headed 'Prin Dist' (lines 123-127), found none"
    )
    assert problems[-1] == (
        "trustee.txt:127:1: interest: the statement ends at line 127 before the section headed "
        "'Int Distrib:'; the text looks truncated"
    )
    assert all(":123:1: principal." in problem for problem in problems[:-1])
    assert len(problems) == 11  # ten principal lines after 'Prep', then the truncation


def test_garbled_number_names_its_line_column_and_field() -> None:
    text = substitute(shipped_text(), ("933465.63", "93346x.63"))

    assert problems_of(text) == [
        "trustee.txt:82:67: classes[A-2].interest: expected an amount like 933465.63, "
        "got '93346x.63'"
    ]


def test_deleted_class_row_is_reported_at_its_table() -> None:
    text = delete_line(shipped_text(), 82)  # A-2 in the distribution summary

    assert problems_of(text) == [
        "trustee.txt:80:1: classes[A-2]: expected a row for class 'A-2' in the distribution "
        "summary below this header, found none (line 97 of the loss and ending balance table "
        "has one)"
    ]


def test_missing_label_is_reported_at_its_section_and_its_orphan_value() -> None:
    text = substitute(shipped_text(), ("     Prep     ", "              "))

    assert problems_of(text) == [
        "trustee.txt:123:1: principal.prepayments: expected a line labelled 'Prep' with an "
        "amount like 22,442,774.30 in the section headed 'Prin Dist' (lines 123-139), "
        "found none",
        "trustee.txt:126:59: principal: no rule reads the line '22,442,774.30' (a label or a "
        "table row may be garbled, or the format has a new line)",
    ]


@pytest.mark.parametrize(
    ("old", "new", "location"),
    [
        ("04541GCE0", "04541GCE1", "113:8: per_thousand[A-2].cusip"),
        ("22,442,774.30", "22,44,2774.30", "126:59: principal.prepayments"),
        ("267,197.80", "267,197.8", "127:62: principal.curtailments"),
        ("  2.18250%", "  2.18250 ", "82:52: classes[A-2].rate_percent"),
        ("0.00\n\nInt", "0.50\n\nInt", "138:68: principal.liquidated_loan_count"),
        ("5871", "58 71", "153:67: pool.loan_count"),
        ("8.99827%", "8.99827", "163:64: pool.wac_percent"),
        ("    NO\n", "    N0\n", "230:66: is_trigger_event"),
        ("November 15, 2002\n", "November 31, 2002\n", "74:27: distribution_date"),
        ("M-1     0.00      0.00", "M-1     N/B       0.00", "100:17: classes[M-1].loss"),
        ("Long Beach        5", "Long Beach        5x", "188:19: reos[Long Beach].count"),
        ("6,949,303", "6,949,30", "182:30: bankruptcies[Fairbanks].balance"),
        ("B      04541GCJ9      0.00000000      3.83409724",
         "B      04541GCJ9      0.00000000      3.83409724 1", "117:1: per_thousand[B]"),
        ("Series 2002-HE1\n\nSTATEMENT", "Series 2002-HE2\n\nSTATEMENT", "70:8: series"),
        ("DISTRIBUTION SUMMARY", "DISTRIBUTION SUMARY", "72:1: classes"),
        ("Extra Ordinary", "Extraordinary", "190:1: extraordinary_trust_fund_expenses"),
    ],
)  # fmt: skip
def test_garbled_field_is_located(old: str, new: str, location: str) -> None:
    text = substitute(shipped_text(), (old, new))

    problems = problems_of(text)

    assert any(problem.startswith(f"{FILE}:{location}: ") for problem in problems), problems


def test_all_problems_are_collected_and_raised_once_in_line_order() -> None:
    text = substitute(
        shipped_text(),
        ("2,451,500.28", "2,451,500.2B"),
        ("A-1    235258000.00", "A-1    235258000.0O"),
    )  # fmt: skip

    problems = problems_of(text)

    assert [problem.split(": ")[0:2] for problem in problems] == [
        ["trustee.txt:81:8", "classes[A-1].original_face"],
        ["trustee.txt:226:57", "net_monthly_excess_cash_flow"],
    ]


def test_a_line_no_rule_reads_is_a_problem() -> None:
    text = substitute(
        shipped_text(),
        (
            "Bankruptcy Losses",
            "Subsequent Recoveries                                   1,234.00\n\n"
            "Bankruptcy Losses",
        ),
    )

    assert problems_of(text) == [
        "trustee.txt:206:1: interest_shortfalls: no rule reads the line 'Subsequent Recoveries"
        "                                   1,234.00' (a label or a table row may be garbled, "
        "or the format has a new line)"
    ]


def test_a_garbled_heading_is_reported_with_a_suggestion() -> None:
    text = substitute(shipped_text(), ("Prin Dist\n", "Prin Dst\n"))

    assert problems_of(text) == [
        "trustee.txt:108:1: principal: expected the heading 'Prin Dist' in lines 109-139, above "
        "the section's lines, found none",
        "trustee.txt:123:1: per_thousand: no rule reads the line 'Prin Dst'; did you mean "
        "'Prin Dist'? (a label or a table row may be garbled, or the format has a new line)",
    ]


def test_read_statement_names_the_file_and_rejects_bytes_that_are_not_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(shipped_text().encode("ascii").replace(b"Prep ", b"Pr\xe9p "))

    with pytest.raises(StatementError) as raised:
        read_statement(path)

    assert str(raised.value) == (
        f"{path}:126:8: expected text (ASCII or UTF-8), got the byte 0xe9"
    )


def test_empty_text_is_reported_as_truncated() -> None:
    assert problems_of("") == [
        "trustee.txt:1:1: statement: the statement ends at line 1 before the section headed "
        "'STATEMENT TO CERTIFICATEHOLDERS'; the text looks truncated"
    ]


def test_statement_is_frozen() -> None:
    statement = read_statement(SHIPPED)

    with pytest.raises(AttributeError):
        statement.series = "2002-HE2"  # type: ignore[misc]
    assert replace(statement, is_trigger_event=True) != statement
    assert isinstance(statement, Statement)


def test_reader_imports_only_the_standard_library_and_waterfall_errors() -> None:
    tree = ast.parse(Path(read_module.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }

    assert imported == {
        "__future__",
        "collections.abc",
        "dataclasses",
        "datetime",
        "decimal",
        "difflib",
        "functools",
        "os",
        "pathlib",
        "re",
        "typing",
        "waterfall.errors",
    }
