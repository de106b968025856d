"""Business calendar: Asia/Shanghai local dates, months and the week-of-month rule.

Week-of-month rule (GLOSSARY.md): a month's weeks are its Monday-to-Sunday runs of days, cut
at the month's first and last day, so the first and last week may be short and a week never
straddles two months. Weekly targets therefore add up exactly to their month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from .errors import Invalid

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC (instants are stored in UTC)."""
    return datetime.now(UTC)


def today_local() -> date:
    """Today's business date in Asia/Shanghai."""
    return datetime.now(SHANGHAI).date()


def local_date_of(instant: datetime) -> date:
    """The Asia/Shanghai business date of an instant (naive instants are taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(SHANGHAI).date()


def check_year(year: int, field: str = "year") -> int:
    """Accept a plausible calendar year."""
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise Invalid(field, f"年份必须在 2000 到 2100 之间：{year!r}")
    return year


def check_month(month: int, field: str = "month") -> int:
    """Accept a month number 1..12."""
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise Invalid(field, f"月份必须在 1 到 12 之间：{month!r}")
    return month


@dataclass(frozen=True, slots=True)
class Week:
    """One week-of-month: the ``index``-th Monday-to-Sunday run of days inside a month."""

    year: int
    month: int
    index: int  # 1-based
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        """Every date of the week, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def label(self) -> str:
        """A short Chinese label, e.g. ``11月第2周 (11.03–11.09)``."""
        return (
            f"{self.month}月第{self.index}周 "
            f"({self.start.month}.{self.start.day:02d}–{self.end.month}.{self.end.day:02d})"
        )


def month_days(year: int, month: int) -> list[date]:
    """Every date of a month, in order."""
    check_year(year)
    check_month(month)
    last = calendar.monthrange(year, month)[1]
    return [date(year, month, d) for d in range(1, last + 1)]


def weeks_of_month(year: int, month: int) -> list[Week]:
    """The month's weeks by the week-of-month rule, first to last."""
    days = month_days(year, month)
    weeks: list[Week] = []
    run_start = days[0]
    for day in days:
        if day.weekday() == 6 or day == days[-1]:  # Sunday closes a run; so does the month's end
            weeks.append(Week(year, month, len(weeks) + 1, run_start, day))
            run_start = day + timedelta(days=1)
    return weeks


def week_of(day: date) -> Week:
    """The week-of-month that contains ``day``."""
    for week in weeks_of_month(day.year, day.month):
        if week.start <= day <= week.end:
            return week
    raise AssertionError("every day belongs to a week of its month")  # pragma: no cover


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last date (inclusive) of a month."""
    days = month_days(year, month)
    return days[0], days[-1]


def year_bounds(year: int) -> tuple[date, date]:
    """First and last date (inclusive) of a year."""
    check_year(year)
    return date(year, 1, 1), date(year, 12, 31)
