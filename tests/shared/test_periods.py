"""The week-of-month rule and Shanghai business dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.errors import Invalid
from shared.periods import local_date_of, week_of, weeks_of_month


def test_weeks_are_monday_to_sunday_runs_cut_at_the_month() -> None:
    # November 2026 starts on a Sunday and ends on a Monday.
    weeks = weeks_of_month(2026, 11)
    assert [(w.start.day, w.end.day) for w in weeks] == [
        (1, 1),
        (2, 8),
        (9, 15),
        (16, 22),
        (23, 29),
        (30, 30),
    ]
    assert [w.index for w in weeks] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_every_day_of_a_year_lies_in_exactly_one_week_of_its_month(year: int) -> None:
    day, seen = date(year, 1, 1), 0
    while day.year == year:
        week = week_of(day)
        assert week.month == day.month and week.start <= day <= week.end
        assert week.start.weekday() == 0 or week.start.day == 1
        assert week.end.weekday() == 6 or (week.end + timedelta(days=1)).month != day.month
        day += timedelta(days=1)
        seen += 1
    assert seen == sum(len(w.days) for m in range(1, 13) for w in weeks_of_month(year, m))


def test_business_date_is_the_shanghai_date() -> None:
    assert local_date_of(datetime(2026, 3, 31, 16, 30, tzinfo=UTC)) == date(2026, 4, 1)
    assert local_date_of(datetime(2026, 3, 31, 15, 59, tzinfo=UTC)) == date(2026, 3, 31)


@pytest.mark.parametrize(("year", "month", "field"), [(2026, 13, "month"), (1900, 1, "year")])
def test_out_of_range_periods_name_the_field(year: int, month: int, field: str) -> None:
    with pytest.raises(Invalid) as err:
        weeks_of_month(year, month)
    assert err.value.field == field
