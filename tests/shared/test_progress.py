"""Progress: pace by day weights, forecast, status, rankings, tasks, rollup, outlook, dashboard.

Every expected figure is worked out by hand in the comment beside it. The calendar used
throughout is March 2026 under the default day weights (school day 2, weekend 5; March has
no public holiday and no default school vacation):

    week 1  03-01 (Sun)            5
    week 2  03-02 .. 03-08        2+2+2+2+2+5+5 = 20
    week 3  03-09 .. 03-15        20
    week 4  03-16 .. 03-22        20
    week 5  03-23 .. 03-29        20
    week 6  03-30 .. 03-31        2+2 = 4
    month                          89

``TODAY`` is Wednesday 11 March: the month has used 5 + 20 + 6 = 31 of its 89, week 3 has
used 6 of its 20 (Mon, Tue, Wed at 2 each).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from shared.consumption import remaining_hours
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.models import Campus, Lesson, LessonStatus, Metric, Staff, StageTarget
from shared.periods import Period
from shared.progress import (
    Status,
    consumption_outlook,
    dashboard,
    progress,
    ranking,
    rollup,
    status_of,
    task_view,
)
from shared.services.lessons import enroll
from shared.services.orders import record_order, refund_order
from tests.shared.factories import make_campus
from tests.shared.test_actuals import (
    UNKNOWN,
    activity,
    attend,
    contact,
    lesson,
    new_parent,
    new_staff,
    new_student,
    sign,
    stage_id,
    target,
)

TODAY = date(2026, 3, 11)
MARCH = Period.of_month(2026, 3)
WEEK2 = Period.of_week(2026, 3, 2)  # 03-02 .. 03-08, over by TODAY
WEEK3 = Period.of_week(2026, 3, 3)  # 03-09 .. 03-15, holds TODAY
WEEK4 = Period.of_week(2026, 3, 4)  # 03-16 .. 03-22, not started


def _campus_with_order(db: Database, fen: int, day: date = date(2026, 3, 10)):
    with db.unit_of_work() as s:
        c = make_campus(s)
        sign(s, c, c.student_id, "new", day, 10, fen, c.consultant_id)
    return c


# --------------------------------------------------------------------------- pace and status


def test_week_pace_follows_the_day_weights(db: Database) -> None:
    c = _campus_with_order(db, 57000)
    with db.unit_of_work() as s:
        target(s, c.campus_id, "revenue", WEEK3, 200000)
    with db.reader() as s:
        p = progress(s, c.campus_id, WEEK3, "revenue", today=TODAY)
    assert (p.target_fen, p.has_target, p.actual_fen) == (200000, True, 57000)
    assert p.attainment == Fraction(57, 200)  # 57000 / 200000
    assert p.expected_so_far_fen == 60000  # 200000 × 6 / 20
    assert p.gap_to_pace_fen == -3000  # 57000 − 60000
    assert p.forecast_fen == 190000  # 57000 × 20 / 6
    assert p.status is Status.ON_PACE  # 57000 is exactly 95 % of 60000
    assert (p.days_elapsed, p.days_total) == (3, 7)
    assert p.attainment_percent == Decimal("28.5")
    assert p.remaining_fen == 143000


def test_month_pace_rounds_to_the_nearest_fen(db: Database) -> None:
    c = _campus_with_order(db, 57000)
    with db.unit_of_work() as s:
        target(s, c.campus_id, "revenue", MARCH, 1_000_000)
    with db.reader() as s:
        p = progress(s, c.campus_id, MARCH, "revenue", today=TODAY)
    assert p.expected_so_far_fen == 348315  # 1000000 × 31 / 89 = 348314.61 → 348315
    assert p.gap_to_pace_fen == -291315  # 57000 − 348315
    assert p.forecast_fen == 163645  # 57000 × 89 / 31 = 163645.16 → 163645
    assert p.status is Status.AT_RISK  # 163645 < 80 % of 1000000
    assert (p.days_elapsed, p.days_total) == (11, 31)


def test_pace_halves_round_up(db: Database) -> None:
    c = _campus_with_order(db, 3)
    with db.unit_of_work() as s:
        target(s, c.campus_id, "revenue", WEEK3, 25)
    with db.reader() as s:
        p = progress(s, c.campus_id, WEEK3, "revenue", today=date(2026, 3, 9))
    assert p.expected_so_far_fen == 3  # 25 × 2 / 20 = 2.5 → 3
    assert p.forecast_fen == 30  # 3 × 20 / 2


def test_pace_reads_the_campus_day_weights_and_sees_them_change(db: Database) -> None:
    c = _campus_with_order(db, 33000)
    with db.unit_of_work() as s:
        target(s, c.campus_id, "revenue", WEEK3, 110000)
    with db.reader() as s:
        before = progress(s, c.campus_id, WEEK3, "revenue", today=TODAY)
    assert before.expected_so_far_fen == 33000  # 110000 × 6 / 20
    assert before.status is Status.ON_PACE
    with db.unit_of_work() as s:
        campus = s.get(Campus, c.campus_id)
        campus.settings = {
            **campus.settings,
            "day_weights": {"weights": {"school_day": 1, "weekend": 3}},
        }
    with db.reader() as s:
        after = progress(s, c.campus_id, WEEK3, "revenue", today=TODAY)
    # weights now 5 × 1 + 2 × 3 = 11, elapsed 3
    assert after.expected_so_far_fen == 30000  # 110000 × 3 / 11
    assert after.forecast_fen == 121000  # 33000 × 11 / 3
    assert after.status is Status.AHEAD  # 33000 is 110 % of 30000


def test_finished_period_expects_the_target_and_forecasts_the_actual(db: Database) -> None:
    c = _campus_with_order(db, 90000, day=date(2026, 3, 3))
    with db.unit_of_work() as s:
        target(s, c.campus_id, "revenue", WEEK2, 100000)
    with db.reader() as s:
        p = progress(s, c.campus_id, WEEK2, "revenue", today=TODAY)
    assert (p.expected_so_far_fen, p.forecast_fen, p.gap_to_pace_fen) == (100000, 90000, -10000)
    assert p.status is Status.BEHIND  # 90 %: below 95 %, not below 80 %
    assert (p.days_elapsed, p.days_total) == (7, 7)


def test_period_not_started_expects_nothing_and_keeps_the_plan(db: Database) -> None:
    c = _campus_with_order(db, 90000, day=date(2026, 3, 3))
    with db.unit_of_work() as s:
        target(s, c.campus_id, "revenue", WEEK4, 100000)
    with db.reader() as s:
        p = progress(s, c.campus_id, WEEK4, "revenue", today=TODAY)
    assert (p.actual_fen, p.expected_so_far_fen, p.forecast_fen) == (0, 0, 100000)
    assert p.status is Status.NOT_STARTED
    assert p.days_elapsed == 0


def test_missing_target_is_zero_without_attainment(db: Database) -> None:
    c = _campus_with_order(db, 57000)
    with db.reader() as s:
        p = progress(s, c.campus_id, MARCH, "revenue", today=TODAY)
    assert (p.target_fen, p.has_target, p.actual_fen, p.attainment) == (0, False, 57000, None)
    assert p.expected_so_far_fen == 0
    assert p.status is Status.NO_TARGET
    assert p.attainment_percent is None


@pytest.mark.parametrize(
    ("actual", "expected", "forecast", "status"),
    [
        # target 200000, pace 60000 (week 3 on TODAY), forecast = actual × 20 / 6
        (63000, 60000, 210000, Status.AHEAD),  # 105 % of pace
        (62999, 60000, 209997, Status.ON_PACE),
        (57000, 60000, 190000, Status.ON_PACE),  # 95 %
        (56999, 60000, 189997, Status.BEHIND),
        (48000, 60000, 160000, Status.BEHIND),  # forecast exactly 80 % of target
        (47999, 60000, 159997, Status.AT_RISK),  # forecast below 80 %
        (0, 0, 200000, Status.ON_PACE),  # nothing expected yet, nothing done
    ],
)
def test_status_thresholds(actual: int, expected: int, forecast: int, status: Status) -> None:
    assert status_of(200000, actual, expected, forecast, started=True) is status


def test_status_without_target_or_before_the_start() -> None:
    assert status_of(0, 5, 0, 5, started=True) is Status.NO_TARGET
    assert status_of(100, 0, 0, 100, started=False) is Status.NOT_STARTED


# --------------------------------------------------------------------------- staff progress


def test_staff_progress_uses_the_staff_target_and_credit(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        chen = new_staff(s, c.campus_id, "陈顾问", "consultant")
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 60000, c.consultant_id, c.teacher_id)
        sign(s, c, c.student_id, "renewal", date(2026, 3, 9), 10, 40000, chen)
        target(s, c.campus_id, "revenue", MARCH, 1_000_000)
        target(
            s, c.campus_id, "revenue", MARCH, 100000, staff_id=c.consultant_id, role="consultant"
        )
        target(
            s, c.campus_id, "revenue", MARCH, 80000, staff_id=c.teacher_id, role="intent_teacher"
        )
    with db.reader() as s:
        li = progress(
            s,
            c.campus_id,
            MARCH,
            "revenue",
            staff_id=c.consultant_id,
            role="consultant",
            today=TODAY,
        )
        zhao = progress(
            s,
            c.campus_id,
            MARCH,
            Metric.REVENUE,
            staff_id=c.teacher_id,
            role="intent_teacher",
            today=TODAY,
        )
        chen_p = progress(
            s, c.campus_id, MARCH, "revenue", staff_id=chen, role="consultant", today=TODAY
        )
    assert (li.target_fen, li.actual_fen, li.attainment) == (100000, 60000, Fraction(3, 5))
    assert li.expected_so_far_fen == 34831  # 100000 × 31 / 89 = 34831.46
    assert li.status is Status.AHEAD  # 60000 ≥ 105 % of 34831
    assert (zhao.target_fen, zhao.actual_fen, zhao.attainment) == (80000, 60000, Fraction(3, 4))
    assert (chen_p.has_target, chen_p.actual_fen, chen_p.status) == (False, 40000, Status.NO_TARGET)


def test_progress_bad_input_names_the_field(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        other = make_campus(s, "T2")
        gone = new_staff(s, c.campus_id, "离职", "consultant")
        s.get(Staff, gone).is_deleted = True

    def field_of(exc_type: type[Exception], **kwargs: object) -> str:
        args = {"campus_id": c.campus_id, "period": MARCH, "metric": "revenue", "today": TODAY}
        args.update(kwargs)
        with db.reader() as s, pytest.raises(exc_type) as err:
            progress(
                s,
                args.pop("campus_id"),
                args.pop("period"),
                args.pop("metric"),
                **args,  # type: ignore[arg-type]
            )
        return getattr(err.value, "field", str(err.value))

    assert "campus_id" in field_of(NotFound, campus_id=UNKNOWN)
    assert "staff_id" in field_of(NotFound, staff_id=UNKNOWN, role="consultant")
    assert "staff_id" in field_of(NotFound, staff_id=gone, role="consultant")
    assert field_of(Invalid, staff_id=other.consultant_id, role="consultant") == "staff_id"
    assert field_of(Invalid, staff_id=c.teacher_id, role="consultant") == "role"
    assert field_of(Invalid, staff_id=c.consultant_id) == "role"  # revenue needs the role
    assert field_of(Invalid, staff_id=c.consultant_id, metric="consumption") == "role"
    assert field_of(Invalid, staff_id=c.teacher_id, metric="consumption", role="consultant") == (
        "role"
    )
    assert field_of(Invalid, role="consultant") == "staff_id"
    assert field_of(Invalid, metric="profit") == "metric"
    assert field_of(Invalid, period=Period("week", 2026, 3, 9)) == "week"
    assert field_of(Invalid, period=Period("month", 2026, 13)) == "month"
    assert field_of(Invalid, period=Period("decade", 2026)) == "period_kind"
    assert field_of(Invalid, today="2026-03-11") == "today"


# --------------------------------------------------------------------------- ranking


def test_ranking_shares_ranks_on_ties_and_orders_by_name(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        cid = c.campus_id
        chen = new_staff(s, cid, "陈顾问", "consultant")
        zhou = new_staff(s, cid, "周顾问", "consultant")
        new_staff(s, cid, "吴顾问", "consultant", active=False)  # inactive, nothing: not listed
        qian = new_staff(s, cid, "钱顾问", "consultant", active=False)  # inactive with credit
        new_staff(s, cid, "前台小刘", "front_desk")
        sun = new_staff(s, cid, "孙老师", "teacher")
        hong = new_student(s, cid, "李小红")
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 90000, c.consultant_id)
        sign(s, c, hong, "new", date(2026, 3, 3), 10, 90000, chen)
        sign(s, c, hong, "cross_sell", date(2026, 3, 4), 10, 30000, zhou)
        sign(s, c, hong, "renewal", date(2026, 3, 5), 10, 20000, qian)
        sign(s, c, hong, "renewal", date(2026, 4, 1), 10, 99000, zhou)  # April: not counted
        attend(s, lesson(s, c, c.teacher_id, date(2026, 3, 6), c.student_id), c.student_id)
        target(s, cid, "revenue", MARCH, 100000, staff_id=c.consultant_id, role="consultant")
        target(s, cid, "consumption", MARCH, 30000, staff_id=c.teacher_id, role="teacher")
        other = make_campus(s, "T2")
        sign(s, other, other.student_id, "new", date(2026, 3, 9), 10, 120000, other.consultant_id)

    with db.reader() as s:
        rows = ranking(s, cid, 2026, 3, "revenue")
        # 李 and 陈 tie at 90000 and share rank 1; by name 李 (U+674E) before 陈 (U+9648);
        # competition ranking skips to 3
        assert [(r.rank, r.staff_name, r.amount_fen) for r in rows] == [
            (1, "李顾问", 90000),
            (1, "陈顾问", 90000),
            (3, "周顾问", 30000),
            (4, "钱顾问", 20000),
        ]
        assert (rows[0].target_fen, rows[0].attainment) == (100000, Fraction(9, 10))
        assert (rows[1].target_fen, rows[1].attainment) == (None, None)
        assert rows[1].staff_id == chen

        everyone = ranking(s, None, 2026, 3, "revenue")
        assert [(r.rank, r.staff_name, r.campus_name) for r in everyone] == [
            (1, "李顾问", "测试校区T2"),
            (2, "李顾问", "测试校区T1"),
            (2, "陈顾问", "测试校区T1"),
            (4, "周顾问", "测试校区T1"),
            (5, "钱顾问", "测试校区T1"),
        ]

        teachers = ranking(s, cid, 2026, 3, Metric.CONSUMPTION)
        # 赵老师 taught one hour of a 10 h / 900.00 package: 9000
        assert [(r.rank, r.staff_name, r.amount_fen) for r in teachers] == [
            (1, "赵老师", 9000),
            (2, "孙老师", 0),
        ]
        assert teachers[0].attainment == Fraction(3, 10)  # 9000 / 30000
        assert teachers[1].staff_id == sun
        all_teachers = ranking(s, None, 2026, 3, "consumption")
        # 孙 (U+5B59) before T2's 赵 (U+8D75), both at 0, sharing rank 2
        assert [(r.rank, r.staff_name, r.campus_name) for r in all_teachers] == [
            (1, "赵老师", "测试校区T1"),
            (2, "孙老师", "测试校区T1"),
            (2, "赵老师", "测试校区T2"),
        ]
        with pytest.raises(Invalid) as err:
            ranking(s, cid, 2026, 13, "revenue")
        assert err.value.field == "month"


# --------------------------------------------------------------------------- task view


def test_task_view_of_a_consultant(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        cid, li = c.campus_id, c.consultant_id
        chen = new_staff(s, cid, "陈顾问", "consultant")
        gang = new_student(s, cid, "王小刚")
        mum = new_parent(s, cid, "张妈妈")
        dad = new_parent(s, cid, "王爸爸")
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 60000, li)
        target(s, cid, "revenue", MARCH, 100000, staff_id=li, role="consultant")
        for week, code, n, who in (
            (2, "invitation", 3, li),
            (3, "invitation", 2, li),
            (2, "sign", 1, li),
            (2, "invitation", 10, None),  # the campus's own target: not his
            (2, "visit", 4, chen),  # someone else's
        ):
            s.add(
                StageTarget(
                    campus_id=cid,
                    stage_id=stage_id(s, cid, code),
                    staff_id=who,
                    year=2026,
                    month=3,
                    week=week,
                    target_count=n,
                )
            )
        activity(s, cid, "invitation", li, date(2026, 3, 3), student_id=gang)
        activity(s, cid, "invitation", li, date(2026, 3, 10), student_id=gang)
        # his contacts (each is a 家长沟通 of its month) and their follow-ups
        contact(s, cid, li, mum, date(2026, 3, 1), due=date(2026, 3, 10), content="约试听")
        contact(
            s,
            cid,
            li,
            dad,
            date(2026, 3, 4),
            due=date(2026, 3, 11),
            student_id=gang,
            content="回访",
        )
        contact(s, cid, li, mum, date(2026, 3, 5), due=date(2026, 3, 12))  # not due yet
        contact(s, cid, li, mum, date(2026, 2, 20), due=date(2026, 3, 5), done=True)  # done
        contact(s, cid, li, dad, date(2026, 2, 21), due=date(2026, 3, 1), deleted=True)
        contact(s, cid, chen, dad, date(2026, 2, 22), due=date(2026, 3, 1))  # 陈's

    with db.reader() as s:
        month = task_view(s, li, MARCH, today=TODAY)
        week = task_view(s, li, WEEK2, today=TODAY)

    (money,) = month.money  # a consultant only: his 营业额 as consultant
    assert (money.role, money.target_fen, money.actual_fen) == ("consultant", 100000, 60000)
    # month: invitation target 3 + 2, done 2; sign target 1, done 1 (the order);
    # parent_contact: no target, 3 contacts in March
    assert [(t.code, t.target_count, t.actual_count) for t in month.stages] == [
        ("invitation", 5, 2),
        ("sign", 1, 1),
        ("parent_contact", None, 3),
    ]
    # week 2 (03-02 .. 03-08): invitation 3 / 1 (the 3rd), sign 1 / 1, contacts of the 4th, 5th
    assert [(t.code, t.target_count, t.actual_count) for t in week.stages] == [
        ("invitation", 3, 1),
        ("sign", 1, 1),
        ("parent_contact", None, 2),
    ]
    assert [
        (f.parent_name, f.student_name, f.due_on, f.days_overdue) for f in month.follow_ups
    ] == [
        ("张妈妈", "", date(2026, 3, 10), 1),
        ("王爸爸", "王小刚", date(2026, 3, 11), 0),
    ]
    assert [f.content for f in month.follow_ups] == ["约试听", "回访"]
    assert week.follow_ups == month.follow_ups  # due by today, whatever the period


def test_task_view_of_a_teacher_shows_intent_credit_once_there_is_some(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        target(s, c.campus_id, "consumption", MARCH, 30000, staff_id=c.teacher_id, role="teacher")
    with db.reader() as s:
        before = task_view(s, c.teacher_id, MARCH, today=TODAY)
    assert [(p.metric, p.role, p.target_fen) for p in before.money] == [
        ("consumption", "teacher", 30000)
    ]
    with db.unit_of_work() as s:
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 60000, c.consultant_id, c.teacher_id)
    with db.reader() as s:
        after = task_view(s, c.teacher_id, MARCH, today=TODAY)
        with pytest.raises(NotFound, match="staff_id"):
            task_view(s, UNKNOWN, MARCH, today=TODAY)
    assert [(p.metric, p.role, p.actual_fen) for p in after.money] == [
        ("consumption", "teacher", 0),
        ("revenue", "intent_teacher", 60000),
    ]
    assert after.stages == []  # no stage target, nothing counted
    assert after.follow_ups == []


# --------------------------------------------------------------------------- rollup


def test_rollup_of_two_campuses_with_totals(db: Database) -> None:
    with db.unit_of_work() as s:
        one = make_campus(s, "T1")
        two = make_campus(s, "T2")
        sign(s, one, one.student_id, "new", date(2026, 3, 2), 10, 200000, one.consultant_id)
        sign(s, two, two.student_id, "new", date(2026, 3, 3), 10, 50000, two.consultant_id)
        target(s, one.campus_id, "revenue", MARCH, 500000)
        target(s, two.campus_id, "revenue", MARCH, 300000)
    with db.reader() as s:
        rows = rollup(s, MARCH, today=TODAY)
    assert [(r.campus_id, r.campus_name) for r in rows] == [
        (one.campus_id, "测试校区T1"),
        (two.campus_id, "测试校区T2"),
        (None, "合计"),
    ]
    first, second, total = (r.revenue for r in rows)
    # T1: pace 500000 × 31/89 = 174157.30 → 174157; forecast 200000 × 89/31 = 574193.5 → 574194
    assert (first.expected_so_far_fen, first.forecast_fen) == (174157, 574194)
    assert first.status is Status.AHEAD  # 200000 ≥ 105 % × 174157 = 182864.85
    # T2: pace 300000 × 31/89 = 104494.38 → 104494; forecast 50000 × 89/31 = 143548.39 → 143548
    assert (second.expected_so_far_fen, second.forecast_fen) == (104494, 143548)
    assert second.status is Status.AT_RISK  # 143548 < 80 % × 300000 = 240000
    # total: 800000 target, 250000 actual, pace 174157 + 104494, forecast 574194 + 143548
    assert (total.target_fen, total.actual_fen) == (800000, 250000)
    assert (total.expected_so_far_fen, total.forecast_fen) == (278651, 717742)
    assert total.attainment == Fraction(5, 16)  # 250000 / 800000
    # 717742 ≥ 640000 (not at risk); 250000 < 95 % × 278651 = 264718.45 → behind
    assert total.status is Status.BEHIND
    assert [r.consumption.status for r in rows] == [Status.NO_TARGET] * 3
    assert [r.consumption.actual_fen for r in rows] == [0, 0, 0]


# --------------------------------------------------------------------------- outlook


def test_consumption_outlook_values_the_timetable_and_lists_who_runs_out(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        cid, zhao, ming = c.campus_id, c.teacher_id, c.student_id
        sun = new_staff(s, cid, "孙老师", "teacher")
        hong = new_student(s, cid, "李小红")
        gang = new_student(s, cid, "王小刚")
        # 张小明: 3 h for 450.00 (150.00 an hour); 李小红: 3 h for 100.00 (thirds: 3333/3333/3334)
        sign(s, c, ming, "new", date(2026, 3, 1), 3, 45000, c.consultant_id)
        sign(s, c, hong, "new", date(2026, 3, 1), 3, 10000, c.consultant_id)
        attend(s, lesson(s, c, zhao, date(2026, 3, 4), ming), ming)  # 15000
        attend(s, lesson(s, c, sun, date(2026, 3, 5), hong), hong)  # 3333
        lesson(s, c, zhao, date(2026, 3, 10), ming)  # before today, never marked: ignored
        lesson(s, c, zhao, date(2026, 3, 11), ming)  # today: 张's 2nd hour, 15000
        trial_lesson = lesson(s, c, sun, date(2026, 3, 12), hong)  # 李's 2nd third, 3333
        enroll(s, lesson_id=trial_lesson, student_id=gang, is_trial=True)  # trial: no value
        lesson(s, c, sun, date(2026, 3, 18), ming)  # 张's 3rd (last) hour, 15000
        lesson(s, c, sun, date(2026, 3, 19), hong)  # 李's last third, 3334
        lesson(s, c, zhao, date(2026, 3, 25), ming)  # 张 has no hour left: 0, listed
        cancelled = lesson(s, c, zhao, date(2026, 3, 26), ming)
        s.get(Lesson, cancelled).status = LessonStatus.CANCELLED
        lesson(s, c, zhao, date(2026, 4, 1), ming)  # April
        target(s, cid, "consumption", MARCH, 80000)

    with db.reader() as s:
        campus = consumption_outlook(s, cid, MARCH, today=TODAY)
        of_zhao = consumption_outlook(s, cid, MARCH, today=TODAY, teacher_id=zhao)
        of_sun = consumption_outlook(s, cid, MARCH, today=TODAY, teacher_id=sun)
        february = consumption_outlook(s, cid, Period.of_month(2026, 2), today=TODAY)
        with pytest.raises(Invalid) as err:
            consumption_outlook(s, cid, MARCH, today=TODAY, teacher_id=c.consultant_id)
        assert err.value.field == "teacher_id"

    assert campus.actual_fen == 18333  # 15000 + 3333
    assert campus.scheduled_fen == 36667  # 15000 + 3333 + 15000 + 3334 + 0
    assert campus.scheduled_lessons == 5  # 11th, 12th, 18th, 19th, 25th
    assert campus.expected_total_fen == 55000
    assert (campus.target_fen, campus.shortfall_fen, campus.will_miss) == (80000, 25000, True)
    short = [
        (o.student_name, o.course_name, o.lessons, o.uncovered_hours) for o in campus.out_of_hours
    ]
    assert short == [("张小明", "钢琴", 1, Decimal("1.00"))]

    # 赵: the 11th (15000) and the 25th (0: 孙's lesson on the 18th drew the last hour first)
    assert (of_zhao.actual_fen, of_zhao.scheduled_fen, of_zhao.scheduled_lessons) == (
        15000,
        15000,
        2,
    )
    assert [o.student_name for o in of_zhao.out_of_hours] == ["张小明"]
    assert (of_zhao.has_target, of_zhao.shortfall_fen, of_zhao.will_miss) == (False, 0, False)
    # 孙: 3333 done; 3333 + 15000 + 3334 to come
    assert (of_sun.actual_fen, of_sun.scheduled_fen, of_sun.expected_total_fen) == (
        3333,
        21667,
        25000,
    )
    assert of_sun.out_of_hours == []
    # a month already over has nothing still to come
    assert (february.actual_fen, february.scheduled_fen, february.scheduled_lessons) == (0, 0, 0)


# --------------------------------------------------------------------------- dashboard


def test_dashboard_gathers_the_same_figures_as_the_single_calls(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        cid = c.campus_id
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 150000, c.consultant_id)
        attend(s, lesson(s, c, c.teacher_id, date(2026, 3, 4), c.student_id), c.student_id)
        # 李小红 bought 1 h for 200.00 in February: the 12th uses it, the 14th and 20th are short
        hong = new_student(s, cid, "李小红")
        sign(s, c, hong, "new", date(2026, 2, 20), 1, 20000, c.consultant_id)
        for day, student in ((11, c.student_id), (12, hong), (13, c.student_id), (14, hong)):
            lesson(s, c, c.teacher_id, date(2026, 3, day), student)  # week 3
        lesson(s, c, c.teacher_id, date(2026, 3, 18), c.student_id)  # week 4
        lesson(s, c, c.teacher_id, date(2026, 3, 20), hong)
        target(s, cid, "revenue", Period.of_year(2026), 3_000_000)
        target(s, cid, "revenue", MARCH, 300000)
        target(s, cid, "consumption", WEEK3, 60000)
        for week, n in ((2, 3), (3, 2)):
            s.add(
                StageTarget(
                    campus_id=cid,
                    stage_id=stage_id(s, cid, "sign"),
                    year=2026,
                    month=3,
                    week=week,
                    target_count=n,
                )
            )
    with db.reader() as s:
        board = dashboard(s, cid, TODAY)
        for metric in ("revenue", "consumption"):
            sets = getattr(board, metric)
            for got, period in zip(
                (sets.year, sets.month, sets.week),
                (Period.of_year(2026), MARCH, WEEK3),
                strict=True,
            ):
                assert got == progress(s, cid, period, metric, today=TODAY)
        assert board.revenue_ranking == ranking(s, cid, 2026, 3, "revenue")
        assert board.consumption_ranking == ranking(s, cid, 2026, 3, "consumption")
        assert board.outlook == consumption_outlook(s, cid, MARCH, today=TODAY)
        assert board.week_outlook == consumption_outlook(s, cid, WEEK3, today=TODAY)
        with pytest.raises(NotFound, match="campus_id"):
            dashboard(s, UNKNOWN, TODAY)
    assert (board.revenue.month.actual_fen, board.revenue.month.target_fen) == (150000, 300000)
    assert (board.revenue.year.target_fen, board.consumption.week.target_fen) == (3_000_000, 60000)
    assert board.consumption.week.actual_fen == 0  # the lesson of the 4th is in week 2
    assert board.consumption.month.actual_fen == 15000  # one hour of 1500.00 / 10 h
    # this week: 张 the 11th and 13th (15000 each), 李 the 12th (20000) and the 14th (no hour)
    week = board.week_outlook
    assert (week.period, week.actual_fen, week.scheduled_fen, week.scheduled_lessons) == (
        WEEK3,
        0,
        50000,
        4,
    )
    assert (week.target_fen, week.shortfall_fen, week.will_miss) == (60000, 10000, True)
    assert [(o.student_name, o.lessons) for o in week.out_of_hours] == [("李小红", 1)]
    # the month adds 张 the 18th (15000) and 李 the 20th (short again)
    month = board.outlook
    assert (month.period, month.scheduled_fen, month.scheduled_lessons) == (MARCH, 65000, 6)
    assert (month.expected_total_fen, month.has_target) == (80000, False)
    assert [(o.student_name, o.lessons) for o in month.out_of_hours] == [("李小红", 2)]
    # funnel: sign target 3 + 2 over March's weeks, one order signed
    assert [(f.code, f.actual_count, f.target_count) for f in board.funnel] == [
        ("invitation", 0, None),
        ("visit", 0, None),
        ("trial", 0, None),
        ("sign", 1, 5),
        ("renewal", 0, None),
        ("referral", 0, None),
        ("parent_contact", 0, None),
    ]


def test_outlook_draws_from_the_current_package_after_full_and_refunded_ones(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        cid, zhao, ming = c.campus_id, c.teacher_id, c.student_id
        hong = new_student(s, cid, "李小红")
        # 张小明: P1 2 h for 300.00, P2 2 h for 200.00 + 1 gifted h, P3 1 h fully refunded
        sign(s, c, ming, "new", date(2026, 3, 1), 2, 30000)
        record_order(
            s,
            student_id=ming,
            course_id=c.course_id,
            sign_type="renewal",
            signed_on=date(2026, 3, 2),
            hours=2,
            gift_hours=1,
            amount_fen=20000,
        )
        p3 = sign(s, c, ming, "renewal", date(2026, 3, 3), 1, 15000)
        refund_order(s, order_id=p3, signed_on=date(2026, 3, 4), hours=1, refund_fen=15000)
        # 李小红: 4 h for 400.00, 2 of them refunded: 2 h left at 100.00
        p4 = sign(s, c, hong, "new", date(2026, 3, 1), 4, 40000)
        refund_order(s, order_id=p4, signed_on=date(2026, 3, 2), hours=2, refund_fen=20000)
        for day in (3, 4, 5):  # P1 full (15000 + 15000), P2's first paid hour (10000)
            attend(s, lesson(s, c, zhao, date(2026, 3, day), ming), ming)
        for day in (12, 13, 14):
            lesson(s, c, zhao, date(2026, 3, day), ming, hong)
    with db.reader() as s:
        outlook = consumption_outlook(s, cid, MARCH, today=TODAY)
        # the consumption module agrees on what is left: 张 1 paid + 1 gifted, 李 2 paid
        assert remaining_hours(s, ming) == Decimal("2.00")
        assert remaining_hours(s, hong) == Decimal("2.00")
    assert outlook.actual_fen == 40000  # 15000 + 15000 + 10000
    # 张: 12th P2's last paid hour 10000, 13th the gifted hour 0, 14th nothing left (P3 refunded)
    # 李: 12th 10000, 13th 10000, 14th nothing left
    assert outlook.scheduled_fen == 30000
    assert [(o.student_name, o.lessons, o.uncovered_hours) for o in outlook.out_of_hours] == [
        ("张小明", 1, Decimal("1.00")),  # 张 (U+5F20) before 李 (U+674E)
        ("李小红", 1, Decimal("1.00")),
    ]
