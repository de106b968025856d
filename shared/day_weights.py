"""Day weights: how much of a period's business a single day carries at a training school.

Training schools are busiest on weekends and in school vacations, and quieter on school days
and on public holidays (families travel). Each date gets a *day type*; the campus's editable
profile gives each type an integer weight; splits and pace use those weights.

Day types, decided in this order:

* ``holiday``  — a statutory public holiday (法定节假日), from the maintained ``chinesecalendar``
  package;
* ``vacation`` — a day inside one of the campus's school-vacation ranges (寒暑假) that is not a
  public holiday;
* ``weekend``  — a rest day (Saturday/Sunday that is not an adjusted working day, 调休);
* ``school_day`` — everything else, adjusted working Saturdays included.

``chinesecalendar`` only knows the years the State Council has published. For a later year
(targets for next year are set in December) the weekday rule alone applies and
:func:`holiday_data_available` says so, so a screen can tell the manager.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import chinese_calendar

from .errors import Invalid

log = logging.getLogger(__name__)


class DayType(StrEnum):
    """The kind of day, for weighting."""

    SCHOOL_DAY = "school_day"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    VACATION = "vacation"


DAY_TYPE_NAMES: dict[DayType, str] = {
    DayType.SCHOOL_DAY: "上学日",
    DayType.WEEKEND: "周末",
    DayType.HOLIDAY: "法定节假日",
    DayType.VACATION: "寒暑假",
}

DEFAULT_WEIGHTS: dict[DayType, int] = {
    DayType.SCHOOL_DAY: 2,
    DayType.WEEKEND: 5,
    DayType.HOLIDAY: 2,
    DayType.VACATION: 4,
}

# Month-day ranges repeated every year; campuses edit them to their city's school calendar.
DEFAULT_VACATIONS: tuple[tuple[str, str], ...] = (("01-20", "02-20"), ("07-08", "08-31"))


def holiday_data_available(year: int) -> bool:
    """Whether the public-holiday calendar for ``year`` has been published (and packaged)."""
    try:
        chinese_calendar.is_holiday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _official(day: date) -> tuple[bool, bool]:
    """(is public holiday, is rest day) by the official calendar, or the weekday rule."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return False, day.weekday() >= 5
    # get_holiday_detail is True for weekends too; a named holiday is a statutory one.
    return bool(on_holiday and name), bool(on_holiday)


@dataclass(frozen=True)
class DayWeightProfile:
    """A campus's weights per day type and its school-vacation ranges (month-day, inclusive)."""

    weights: Mapping[DayType, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    vacations: tuple[tuple[str, str], ...] = DEFAULT_VACATIONS

    def __post_init__(self) -> None:
        for day_type in DayType:
            weight = self.weights.get(day_type)
            if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
                raise Invalid(f"day_weights.{day_type.value}", "权重必须是 0 到 100 的整数")
        if sum(self.weights.values()) == 0:
            raise Invalid("day_weights", "权重之和不能为零")
        for i, (start, end) in enumerate(self.vacations):
            for part, text in (("start", start), ("end", end)):
                try:
                    date.fromisoformat(f"2024-{text}")  # a leap year accepts 02-29
                except (TypeError, ValueError):
                    raise Invalid(
                        f"vacations[{i}].{part}", f"日期格式应为 MM-DD：{text!r}"
                    ) from None

    def in_vacation(self, day: date) -> bool:
        """Whether ``day`` falls in one of the vacation ranges (ranges may wrap the new year)."""
        key = day.strftime("%m-%d")
        for start, end in self.vacations:
            if start <= end and start <= key <= end:
                return True
            if start > end and (key >= start or key <= end):
                return True
        return False

    def day_type(self, day: date) -> DayType:
        """Classify one date."""
        is_holiday, is_rest = _official(day)
        if is_holiday:
            return DayType.HOLIDAY
        if self.in_vacation(day):
            return DayType.VACATION
        return DayType.WEEKEND if is_rest else DayType.SCHOOL_DAY

    def weight(self, day: date) -> int:
        """The weight of one date."""
        return self.weights[self.day_type(day)]

    def weights_of(self, days: Iterable[date]) -> list[int]:
        """Weights of several dates, in order."""
        return [self.weight(d) for d in days]

    def to_settings(self) -> dict[str, Any]:
        """The JSON form kept in ``Campus.settings['day_weights']``."""
        return {
            "weights": {t.value: self.weights[t] for t in DayType},
            "vacations": [list(v) for v in self.vacations],
        }

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> DayWeightProfile:
        """Read a campus's profile (defaults where the campus has not edited it)."""
        raw = (settings or {}).get("day_weights") or {}
        weights = dict(DEFAULT_WEIGHTS)
        for key, value in (raw.get("weights") or {}).items():
            try:
                weights[DayType(key)] = value
            except ValueError:
                raise Invalid(f"day_weights.{key}", "未知的日期类型") from None
        vacations = tuple(tuple(v) for v in raw.get("vacations", DEFAULT_VACATIONS))
        return cls(weights=weights, vacations=vacations)  # type: ignore[arg-type]


EVEN = DayWeightProfile(weights={t: 1 for t in DayType}, vacations=())


def dates_between(start: date, end: date) -> list[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
