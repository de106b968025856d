"""School vacations (寒暑假) and public holidays in the day weights, the spread and the pace.

The day types of 2026 come from the State Council's calendar as the ``chinesecalendar``
package carries it: 春节 15–23 February (Saturday 14 and Saturday 28 February are 调休 working
days); July has no holiday. The default profile weighs a school day 2, a weekend day 5, a public
holiday 2 and a vacation day 4, with the vacations 20 January – 20 February and 8 July –
31 August.

July 2026 (1 July is a Wednesday) under the default profile:

    week 1  01–05  Wed Thu Fri school 3 × 2, Sat Sun weekend 2 × 5      = 16
    week 2  06–12  Mon Tue school 2 × 2, Wed 8 … Sun 12 vacation 5 × 4  = 24
    week 3  13–19  vacation 7 × 4                                       = 28
    week 4  20–26  vacation 7 × 4                                       = 28
    week 5  27–31  vacation 5 × 4                                       = 20
    month                                                                 116

Without the summer vacation the same weeks weigh 16, 20, 20, 20, 10 (86).
"""

from __future__ import annotations

from datetime import date

import pytest

from shared.day_weights import DayType, DayWeightProfile
from shared.db import Database
from shared.models import Metric
from shared.periods import Period
from shared.progress import Status, progress
from shared.targets import (
    SpreadMethod,
    load_year_plan,
    preview_month,
    set_month_target,
    set_year_target,
)
from tests.shared.factories import make_campus

DEFAULT = DayWeightProfile()
NO_VACATION = DayWeightProfile(vacations=())


@pytest.mark.parametrize(
    ("day", "day_type"),
    [
        (date(2026, 3, 4), DayType.SCHOOL_DAY),  # a Wednesday in term
        (date(2026, 3, 7), DayType.WEEKEND),  # a Saturday in term
        (date(2026, 7, 7), DayType.SCHOOL_DAY),  # the Tuesday before the summer vacation
        (date(2026, 7, 8), DayType.VACATION),  # its first day
        (date(2026, 7, 11), DayType.VACATION),  # a Saturday in the vacation
        (date(2026, 8, 31), DayType.VACATION),  # its last day
        (date(2026, 9, 1), DayType.SCHOOL_DAY),
        (date(2026, 2, 16), DayType.HOLIDAY),  # 春节 inside the winter vacation
        (date(2026, 2, 21), DayType.HOLIDAY),  # a Saturday of 春节, after the vacation
        (date(2026, 2, 14), DayType.VACATION),  # a 调休 working Saturday inside the vacation
        (date(2026, 2, 28), DayType.SCHOOL_DAY),  # a 调休 working Saturday in term
        (date(2026, 10, 1), DayType.HOLIDAY),  # 国庆
    ],
)
def test_day_types_of_the_default_profile(day: date, day_type: DayType) -> None:
    assert DEFAULT.day_type(day) is day_type


def test_the_default_profile_favours_weekends_and_vacations() -> None:
    weights = [DEFAULT.weight(date(2026, 3, d)) for d in (4, 7)]  # Wednesday, Saturday
    assert weights == [2, 5]
    assert DEFAULT.weight(date(2026, 7, 8)) == 4  # a vacation Wednesday
    assert DEFAULT.weight(date(2026, 10, 1)) == 2  # a public holiday


def test_a_vacation_range_may_wrap_the_new_year() -> None:
    winter = DayWeightProfile(vacations=(("12-20", "01-10"),))
    assert winter.day_type(date(2026, 12, 25)) is DayType.VACATION  # a Friday
    assert winter.day_type(date(2026, 1, 5)) is DayType.VACATION  # a Monday
    assert winter.day_type(date(2026, 1, 12)) is DayType.SCHOOL_DAY  # a Monday after it


def test_july_weeks_follow_the_summer_vacation() -> None:
    # 1,160,000 over 116: 10,000 a unit
    plan = preview_month(2026, 7, 1_160_000, SpreadMethod.DAY_WEIGHTS, DEFAULT)
    assert [w.amount_fen for w in plan.weeks] == [160_000, 240_000, 280_000, 280_000, 200_000]
    # 860,000 over 86 without the vacation
    plan = preview_month(2026, 7, 860_000, SpreadMethod.DAY_WEIGHTS, NO_VACATION)
    assert [w.amount_fen for w in plan.weeks] == [160_000, 200_000, 200_000, 200_000, 100_000]


def test_a_campus_month_spreads_and_paces_by_its_default_vacations(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)  # settings hold no day weights: the default profile applies
        set_year_target(s, c.campus_id, 2026, Metric.REVENUE, 120_000_000)
        set_month_target(s, c.campus_id, 2026, 7, Metric.REVENUE, 1_160_000)
    with db.reader() as s:
        plan = load_year_plan(s, c.campus_id, 2026, Metric.REVENUE)
        assert plan is not None
        assert [w.amount_fen for w in plan.month(7).weeks] == [
            160_000,
            240_000,
            280_000,
            280_000,
            200_000,
        ]
        # Wednesday 8 July: week 2 has used Mon 2 + Tue 2 + Wed (vacation) 4 = 8 of its 24
        week = progress(
            s, c.campus_id, Period.of_week(2026, 7, 2), "revenue", today=date(2026, 7, 8)
        )
    assert (week.target_fen, week.expected_so_far_fen) == (240_000, 80_000)  # 240,000 × 8/24
    assert (week.actual_fen, week.forecast_fen, week.status) == (0, 0, Status.AT_RISK)
