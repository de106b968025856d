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


@dataclass(frozen=True, slots=True)
class Period:
    """A target period: a year, a month, or a week-of-month (``month``/``week`` 0 when unused).

    The same triple (kind, year, month, week) keys ``Target`` rows, so a period found here maps
    straight onto its target.
    """

    kind: str  # "year" | "month" | "week" (shared.models.PeriodKind values)
    year: int
    month: int = 0
    week: int = 0

    @classmethod
    def of_year(cls, year: int) -> Period:
        """The whole calendar year."""
        check_year(year)
        return cls("year", year)

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        """One calendar month."""
        check_year(year)
        check_month(month)
        return cls("month", year, month)

    @classmethod
    def of_week(cls, year: int, month: int, week: int) -> Period:
        """The ``week``-th week-of-month of a month."""
        weeks = weeks_of_month(year, month)
        if not isinstance(week, int) or isinstance(week, bool) or not 1 <= week <= len(weeks):
            raise Invalid("week", f"{year}年{month}月只有 {len(weeks)} 周：{week!r}")
        return cls("week", year, month, week)

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        """The period of ``kind`` that contains ``day``."""
        if kind == "year":
            return cls.of_year(day.year)
        if kind == "month":
            return cls.of_month(day.year, day.month)
        if kind == "week":
            return cls.of_week(day.year, day.month, week_of(day).index)
        raise Invalid("period_kind", f"未知的周期类型：{kind!r}")

    @property
    def start(self) -> date:
        """First date, inclusive."""
        return self.bounds[0]

    @property
    def end(self) -> date:
        """Last date, inclusive."""
        return self.bounds[1]

    @property
    def bounds(self) -> tuple[date, date]:
        """(first, last) dates, inclusive."""
        if self.kind == "year":
            return year_bounds(self.year)
        if self.kind == "month":
            return month_bounds(self.year, self.month)
        week = weeks_of_month(self.year, self.month)[self.week - 1]
        return week.start, week.end

    @property
    def days(self) -> list[date]:
        """Every date of the period, in order."""
        start, end = self.bounds
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def children(self) -> list[Period]:
        """Months of a year, weeks of a month; a week has none."""
        if self.kind == "year":
            return [Period("month", self.year, m) for m in range(1, 13)]
        if self.kind == "month":
            return [
                Period("week", self.year, self.month, w.index)
                for w in weeks_of_month(self.year, self.month)
            ]
        return []

    def parent(self) -> Period | None:
        """The month of a week, the year of a month; a year has none."""
        if self.kind == "week":
            return Period("month", self.year, self.month)
        if self.kind == "month":
            return Period("year", self.year)
        return None

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "year":
            return Period.of_year(self.year - 1)
        if self.kind == "month":
            return Period.containing("month", self.start - timedelta(days=1))
        return Period.containing("week", self.start - timedelta(days=1))

    def same_last_year(self) -> Period:
        """The same year/month a year earlier (a week maps to the week holding the same date)."""
        if self.kind == "year":
            return Period.of_year(self.year - 1)
        if self.kind == "month":
            return Period.of_month(self.year - 1, self.month)
        start = self.start
        try:
            then = start.replace(year=start.year - 1)
        except ValueError:  # 29 February
            then = start.replace(year=start.year - 1, day=28)
        return Period.containing("week", then)

    @property
    def label(self) -> str:
        """A Chinese label: ``2026年``, ``2026年11月``, ``2026年11月第2周``."""
        if self.kind == "year":
            return f"{self.year}年"
        if self.kind == "month":
            return f"{self.year}年{self.month}月"
        return f"{self.year}年{self.month}月第{self.week}周"
