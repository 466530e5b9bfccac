"""Distribution dates: the 15th, or the next weekday that is not a bank holiday."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from waterfall import BASE, load_deal, run
from waterfall.compile import bank_holidays, distribution_date


def test_the_federal_reserve_holidays_of_2007() -> None:
    # the Federal Reserve's published schedule for 2007 (Veterans Day, a Sunday, on Monday)
    assert sorted(bank_holidays(2007)) == [
        date(2007, 1, 1), date(2007, 1, 15), date(2007, 2, 19), date(2007, 5, 28),
        date(2007, 7, 4), date(2007, 9, 3), date(2007, 10, 8), date(2007, 11, 12),
        date(2007, 11, 22), date(2007, 12, 25),
    ]  # fmt: skip


def test_a_saturday_holiday_is_not_moved_and_juneteenth_starts_in_2021() -> None:
    # 1 January 2011 was a Saturday: the Federal Reserve kept no Friday or Monday for it
    assert date(2010, 12, 31) not in bank_holidays(2010)
    assert date(2011, 1, 3) not in bank_holidays(2011)
    assert date(2021, 6, 18) not in bank_holidays(2021)  # a Saturday the 19th: not moved
    assert date(2022, 6, 20) in bank_holidays(2022)  # a Sunday the 19th: Monday
    assert all(d.month != 6 for d in bank_holidays(2020))


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2002, 11, date(2002, 11, 15)),  # the statement's own date, a Friday
        (2002, 12, date(2002, 12, 16)),  # Sunday the 15th
        (2007, 1, date(2007, 1, 16)),  # Monday the 15th is Martin Luther King Jr. Day
        (2010, 2, date(2010, 2, 16)),  # Monday the 15th is Presidents' Day
        (2011, 1, date(2011, 1, 18)),  # Saturday the 15th, then MLK Day on the 17th
        (2004, 3, date(2004, 3, 15)),  # an ordinary Monday
    ],
)
def test_distribution_dates_roll_over_weekends_and_bank_holidays(
    year: int, month: int, expected: date
) -> None:
    assert distribution_date(year, month, 15) == expected


def test_a_schedule_date_names_its_month_whatever_day_it_rolls_to(tmp_path: Path) -> None:
    # an A-IO schedule through 15-Feb-2004: that distribution is paid on Tuesday the 17th
    # (Sunday the 15th, then Presidents' Day), and it still earns its month's interest
    root = Path(__file__).parents[2]
    text = (root / "deals" / "2002-HE1.yaml").read_text()
    text = text.replace("through: 2004-07-15", "through: 2004-02-15")
    text = "\n".join(line for line in text.split("\n") if not line.startswith("default_scenario"))
    path = tmp_path / "deal.yaml"
    path.write_text(text)
    deal = load_deal(path)
    result = run(deal, dataclasses.replace(BASE, months=24))
    february = result.dates.index(date(2004, 2, 17))
    io = result.index("A-IO")
    # 233,000,000 x 6.50% / 12 = 1,262,083.33, then nothing from March
    assert result.interest[february, io] == pytest.approx(1_262_083.33, abs=0.005)
    assert result.interest[february + 1, io] == 0.0
