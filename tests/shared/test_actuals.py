"""Actuals: 营业额, 划课收入 and stage counts of a hand-made campus (answers worked out by hand).

The helpers at the top build rows through the services where a service exists (orders,
refunds, lessons, attendance) and as plain model rows otherwise; ``test_progress`` reuses them.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.actuals import (
    consumption,
    consumption_by_teacher,
    consumption_in_ranges,
    revenue,
    revenue_by_staff,
    revenue_in_ranges,
    stage_counts,
    stage_counts_by_staff,
)
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.models import (
    Campus,
    CommunicationRecord,
    Order,
    Parent,
    Stage,
    StageActivity,
    Student,
    Target,
    TrialLesson,
)
from shared.periods import Period
from shared.services.campus import add_staff
from shared.services.lessons import AttendanceMark, enroll, mark_attendance, schedule_lesson
from shared.services.orders import record_order, refund_order
from tests.shared.factories import TEST_PIN, TEST_PIN_HASH, Campus1, at, make_campus

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))
UNKNOWN = "9b2d8e0e-0000-4000-8000-000000000000"  # a well-formed id of no row


# --------------------------------------------------------------------------- helpers


def new_staff(s: Session, campus_id: str, name: str, *roles: str, active: bool = True) -> str:
    """A staff member with the test PIN."""
    person = add_staff(
        s, campus_id=campus_id, name=name, roles=roles, pin=TEST_PIN, pin_hash=TEST_PIN_HASH
    )
    person.active = active
    return person.id


def new_student(s: Session, campus_id: str, name: str) -> str:
    """A lead student."""
    student = Student(campus_id=campus_id, name=name)
    s.add(student)
    s.flush()
    return student.id


def new_parent(s: Session, campus_id: str, name: str) -> str:
    """A parent."""
    parent = Parent(campus_id=campus_id, name=name)
    s.add(parent)
    s.flush()
    return parent.id


def sign(
    s: Session,
    c: Campus1,
    student_id: str,
    sign_type: str,
    day: date,
    hours: int | str,
    fen: int,
    consultant_id: str | None = None,
    intent_teacher_id: str | None = None,
) -> str:
    """An order of the campus's course, through the service."""
    return record_order(
        s,
        student_id=student_id,
        course_id=c.course_id,
        sign_type=sign_type,
        signed_on=day,
        hours=hours,
        amount_fen=fen,
        consultant_id=consultant_id,
        intent_teacher_id=intent_teacher_id,
    ).id


def lesson(
    s: Session, c: Campus1, teacher_id: str, day: date, *student_ids: str, hours: str = "1"
) -> str:
    """A scheduled lesson of the campus's course with its students."""
    return schedule_lesson(
        s,
        course_id=c.course_id,
        teacher_id=teacher_id,
        starts_at=at(day),
        hours=hours,
        student_ids=student_ids,
    ).id


def attend(s: Session, lesson_id: str, *student_ids: str) -> None:
    """Mark students present (which 划课)."""
    mark_attendance(
        s, lesson_id=lesson_id, marks=[AttendanceMark(sid, "present") for sid in student_ids]
    )


def stage_id(s: Session, campus_id: str, code: str) -> str:
    """The id of a campus's stage by code."""
    return s.scalars(select(Stage.id).where(Stage.campus_id == campus_id, Stage.code == code)).one()


def activity(
    s: Session,
    campus_id: str,
    code: str,
    staff_id: str,
    day: date,
    *,
    student_id: str | None = None,
    parent_id: str | None = None,
    deleted: bool = False,
) -> None:
    """A logged stage activity."""
    s.add(
        StageActivity(
            campus_id=campus_id,
            stage_id=stage_id(s, campus_id, code),
            staff_id=staff_id,
            student_id=student_id,
            parent_id=parent_id,
            occurred_on=day,
            is_deleted=deleted,
        )
    )
    s.flush()


def contact(
    s: Session,
    campus_id: str,
    staff_id: str,
    parent_id: str,
    day: date,
    *,
    due: date | None = None,
    done: bool = False,
    deleted: bool = False,
    student_id: str | None = None,
    content: str = "",
) -> str:
    """A communication record with a parent, optionally with a follow-up date."""
    record = CommunicationRecord(
        campus_id=campus_id,
        staff_id=staff_id,
        parent_id=parent_id,
        student_id=student_id,
        occurred_on=day,
        channel="电话",
        content=content,
        next_follow_up_on=due,
        follow_up_done=done,
        is_deleted=deleted,
    )
    s.add(record)
    s.flush()
    return record.id


def trial(
    s: Session,
    c: Campus1,
    student_id: str,
    day: date,
    consultant_id: str | None,
    intent_teacher_id: str | None,
    status: str = "held",
) -> None:
    """A trial lesson record."""
    s.add(
        TrialLesson(
            campus_id=c.campus_id,
            student_id=student_id,
            course_id=c.course_id,
            consultant_id=consultant_id,
            intent_teacher_id=intent_teacher_id,
            trial_on=day,
            status=status,
        )
    )
    s.flush()


def target(
    s: Session,
    campus_id: str,
    metric: str,
    period: Period,
    amount_fen: int,
    *,
    staff_id: str | None = None,
    role: str | None = None,
) -> None:
    """A Target row (campus target without staff, staff target with staff and role)."""
    s.add(
        Target(
            campus_id=campus_id,
            metric=metric,
            period_kind=period.kind,
            year=period.year,
            month=period.month,
            week=period.week,
            staff_id=staff_id,
            staff_role=role,
            amount_fen=amount_fen,
        )
    )
    s.flush()


# --------------------------------------------------------------------------- 营业额


class Sales:
    """Ids of the revenue scenario."""

    def __init__(self, db: Database) -> None:
        with db.unit_of_work() as s:
            c = make_campus(s)
            self.c = c
            self.chen = new_staff(s, c.campus_id, "陈顾问", "consultant")
            self.hong = new_student(s, c.campus_id, "李小红")
            # 张小明 new, 10 h for 1500.00 (李顾问, intent teacher 赵老师)
            self.first = sign(
                s,
                c,
                c.student_id,
                "new",
                date(2026, 3, 2),
                10,
                150000,
                c.consultant_id,
                c.teacher_id,
            )
            # 李小红 referral, 20 h for 2800.00 (陈顾问)
            sign(s, c, self.hong, "referral", date(2026, 3, 10), 20, 280000, self.chen)
            # 张小明 renewal in April: outside March
            sign(s, c, c.student_id, "renewal", date(2026, 4, 1), 10, 140000, c.consultant_id)
            # 4 of the first package's hours refunded for 600.00 on 20 March
            refund_order(
                s, order_id=self.first, signed_on=date(2026, 3, 20), hours=4, refund_fen=60000
            )
            # an order recorded by mistake and deleted: a tombstone counts nowhere
            mistake = sign(s, c, self.hong, "new", date(2026, 3, 15), 1, 999900, self.chen)
            s.get(Order, mistake).is_deleted = True
            # another campus's March order
            other = make_campus(s, "T2")
            self.other = other
            sign(s, other, other.student_id, "new", date(2026, 3, 3), 5, 50000, other.consultant_id)


def test_revenue_sums_orders_by_sign_date_with_refunds_negative(db: Database) -> None:
    sales = Sales(db)
    with db.reader() as s:
        # 150000 + 280000 − 60000 (refund); the April renewal, the tombstone and T2 excluded
        assert revenue(s, sales.c.campus_id, *MARCH) == 370000
        # before the refund: 150000 + 280000
        assert revenue(s, sales.c.campus_id, date(2026, 3, 1), date(2026, 3, 19)) == 430000
        assert revenue(s, sales.c.campus_id, *APRIL) == 140000
        # the same three in one scan, in the order asked
        ranges = [MARCH, (date(2026, 3, 1), date(2026, 3, 19)), APRIL]
        assert revenue_in_ranges(s, sales.c.campus_id, ranges) == [370000, 430000, 140000]
        assert revenue_in_ranges(
            s, sales.c.campus_id, ranges, staff_id=sales.c.consultant_id, role="consultant"
        ) == [90000, 150000, 140000]
        with pytest.raises(Invalid) as err:
            revenue_in_ranges(s, sales.c.campus_id, [])
        assert err.value.field == "ranges"


def test_revenue_credits_consultant_and_intent_teacher(db: Database) -> None:
    sales = Sales(db)
    c = sales.c
    with db.reader() as s:
        # 李顾问: 150000 − 60000 (the refund keeps the original's consultant)
        assert revenue(s, c.campus_id, *MARCH, staff_id=c.consultant_id, role="consultant") == 90000
        assert revenue(s, c.campus_id, *MARCH, staff_id=sales.chen, role="consultant") == 280000
        # 赵老师 as intent teacher: 150000 − 60000 (the refund row names no intent teacher; it is
        # charged back to the intent teacher of the order it refunds)
        assert (
            revenue(s, c.campus_id, *MARCH, staff_id=c.teacher_id, role="intent_teacher") == 90000
        )


def test_revenue_by_staff_groups_in_one_query_per_campus_or_all(db: Database) -> None:
    sales = Sales(db)
    c = sales.c
    with db.reader() as s:
        assert revenue_by_staff(s, c.campus_id, *MARCH, "consultant") == {
            c.consultant_id: 90000,
            sales.chen: 280000,
        }
        assert revenue_by_staff(s, None, *MARCH, "consultant") == {
            c.consultant_id: 90000,
            sales.chen: 280000,
            sales.other.consultant_id: 50000,
        }
        assert revenue_by_staff(s, c.campus_id, *MARCH, "intent_teacher") == {c.teacher_id: 90000}


def test_revenue_bad_input_names_the_field(db: Database) -> None:
    sales = Sales(db)
    c = sales.c
    with db.reader() as s:
        with pytest.raises(NotFound, match="campus_id"):
            revenue(s, UNKNOWN, *MARCH)
        with pytest.raises(Invalid) as err:
            revenue(s, c.campus_id, *MARCH, staff_id=sales.other.consultant_id, role="consultant")
        assert err.value.field == "staff_id"  # another campus's consultant
        with pytest.raises(Invalid) as err:
            revenue(s, c.campus_id, *MARCH, staff_id=c.teacher_id, role="consultant")
        assert err.value.field == "role"  # 赵老师 is no consultant
        with pytest.raises(Invalid) as err:
            revenue(s, c.campus_id, *MARCH, staff_id=c.consultant_id)
        assert err.value.field == "role"
        with pytest.raises(Invalid) as err:
            revenue(s, c.campus_id, date(2026, 3, 31), date(2026, 3, 1))
        assert err.value.field == "end"
        with pytest.raises(Invalid) as err:
            revenue(s, c.campus_id, *MARCH, staff_id="not-a-uuid", role="consultant")
        assert err.value.field == "staff_id"
        with pytest.raises(NotFound, match="staff_id"):
            revenue(s, c.campus_id, *MARCH, staff_id=UNKNOWN, role="consultant")


def test_deleted_campus_is_not_found(db: Database) -> None:
    sales = Sales(db)
    with db.unit_of_work() as s:
        s.get(Campus, sales.other.campus_id).is_deleted = True
    with db.reader() as s, pytest.raises(NotFound, match="campus_id"):
        revenue(s, sales.other.campus_id, *MARCH)


# --------------------------------------------------------------------------- 划课收入


def test_consumption_by_lesson_date_across_months_and_teachers(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        sun = new_staff(s, c.campus_id, "孙老师", "teacher")
        hong = new_student(s, c.campus_id, "李小红")
        # 张小明: 10 h for 1500.00 → 150.00 an hour; 李小红: 20 h for 2800.00 → 140.00 an hour
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 150000, c.consultant_id)
        sign(s, c, hong, "new", date(2026, 3, 2), 20, 280000, c.consultant_id)
        attend(s, lesson(s, c, c.teacher_id, date(2026, 3, 30), c.student_id), c.student_id)
        attend(
            s, lesson(s, c, c.teacher_id, date(2026, 3, 31), c.student_id, hours="2"), c.student_id
        )
        attend(s, lesson(s, c, sun, date(2026, 3, 31), hong), hong)
        attend(s, lesson(s, c, c.teacher_id, date(2026, 4, 2), c.student_id), c.student_id)
        lesson(s, c, c.teacher_id, date(2026, 3, 25), c.student_id)  # scheduled, not held
    with db.reader() as s:
        # March: 15000 (30th) + 30000 (31st, 2 h) + 14000 (李小红) ; April: 15000
        assert consumption(s, c.campus_id, *MARCH) == 59000
        assert consumption(s, c.campus_id, *APRIL) == 15000
        assert consumption(s, c.campus_id, date(2026, 3, 1), date(2026, 4, 30)) == 74000
        assert consumption_in_ranges(s, c.campus_id, [APRIL, MARCH]) == [15000, 59000]
        assert consumption_in_ranges(s, c.campus_id, [MARCH, APRIL], teacher_id=sun) == [14000, 0]
        assert consumption(s, c.campus_id, *MARCH, teacher_id=c.teacher_id) == 45000
        assert consumption(s, c.campus_id, *MARCH, teacher_id=sun) == 14000
        assert consumption_by_teacher(s, c.campus_id, *MARCH) == {c.teacher_id: 45000, sun: 14000}
        assert consumption_by_teacher(s, None, *APRIL) == {c.teacher_id: 15000}
        with pytest.raises(Invalid) as err:
            consumption(s, c.campus_id, *MARCH, teacher_id=c.consultant_id)
        assert err.value.field == "teacher_id"


# --------------------------------------------------------------------------- stage counts


class Funnel:
    """The stage-count scenario of March 2026 (see the test for the expected counts)."""

    def __init__(self, db: Database) -> None:
        with db.unit_of_work() as s:
            c = make_campus(s)
            self.c = c
            cid = c.campus_id
            li, zhao = c.consultant_id, c.teacher_id
            self.chen = chen = new_staff(s, cid, "陈顾问", "consultant")
            hong = new_student(s, cid, "李小红")
            gang = new_student(s, cid, "王小刚")
            p1 = new_parent(s, cid, "张妈妈")
            p2 = new_parent(s, cid, "李爸爸")
            # implied: 签单 (李), 签单 + 转介绍 (陈), 续费 (李); the refund implies nothing
            first = sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 150000, li)
            sign(s, c, hong, "referral", date(2026, 3, 10), 20, 280000, chen)
            sign(s, c, c.student_id, "renewal", date(2026, 3, 25), 10, 140000, li)
            refund_order(s, order_id=first, signed_on=date(2026, 3, 26), hours=1, refund_fen=1)
            # implied: one held trial (李 consultant, 赵 intent teacher); a no-show and an April
            # trial are not counted
            trial(s, c, gang, date(2026, 3, 5), li, zhao)
            trial(s, c, gang, date(2026, 3, 6), li, zhao, status="no_show")
            trial(s, c, gang, date(2026, 4, 1), li, zhao)
            # implied: 家长沟通 (李 with 张妈妈 on the 3rd, 陈 with 李爸爸 on the 4th)
            contact(s, cid, li, p1, date(2026, 3, 3))
            contact(s, cid, chen, p2, date(2026, 3, 4))
            # logged duplicates of implied events: counted once
            activity(s, cid, "sign", li, date(2026, 3, 2), student_id=c.student_id)
            activity(s, cid, "trial", zhao, date(2026, 3, 5), student_id=gang)
            activity(s, cid, "parent_contact", li, date(2026, 3, 3), parent_id=p1)
            # logged and new: another date, or a stage nothing implies
            activity(s, cid, "parent_contact", li, date(2026, 3, 4), parent_id=p1)
            activity(s, cid, "sign", chen, date(2026, 3, 11), student_id=hong)
            activity(s, cid, "invitation", li, date(2026, 3, 1), student_id=gang)
            activity(s, cid, "invitation", li, date(2026, 3, 2), student_id=hong)
            activity(s, cid, "visit", chen, date(2026, 3, 7), student_id=hong)
            # a tombstone and an activity on a switched-off stage count nowhere
            activity(s, cid, "invitation", li, date(2026, 3, 8), deleted=True)
            off = Stage(campus_id=cid, code="homework", name="作业回访", active=False)
            s.add(off)
            s.flush()
            s.add(
                StageActivity(
                    campus_id=cid, stage_id=off.id, staff_id=li, occurred_on=date(2026, 3, 9)
                )
            )


STAGES = ("invitation", "visit", "trial", "sign", "renewal", "referral", "parent_contact")


def counts(*values: int) -> dict[str, int]:
    """A stage-count dict in the default stage order."""
    return dict(zip(STAGES, values, strict=True))


def test_stage_counts_of_the_campus_count_each_event_once(db: Database) -> None:
    f = Funnel(db)
    with db.reader() as s:
        assert stage_counts(s, f.c.campus_id, *MARCH) == counts(
            2,  # invitation: two logged
            1,  # visit: one logged
            1,  # trial: the held trial; 赵's logged duplicate adds nothing
            3,  # sign: two orders (new, referral) + 陈's logged sign on another date
            1,  # renewal: the renewal order
            1,  # referral: the referral order
            3,  # parent_contact: two records + 李's logged contact on the 4th
        )


def test_stage_counts_of_a_staff_member(db: Database) -> None:
    f = Funnel(db)
    c = f.c
    with db.reader() as s:
        # 李: 2 invitations; the trial as consultant; his order's sign (logged duplicate
        # absorbed); the renewal; contacts on the 3rd (implied + duplicate) and the 4th (logged)
        assert stage_counts(s, c.campus_id, *MARCH, staff_id=c.consultant_id) == counts(
            2, 0, 1, 1, 1, 0, 2
        )
        # 陈: the visit; the referral order's sign + the logged sign of the 11th; its referral;
        # the contact of the 4th
        assert stage_counts(s, c.campus_id, *MARCH, staff_id=f.chen) == counts(0, 1, 0, 2, 0, 1, 1)
        # 赵 as intent teacher is credited the held trial too (his logged one is the same trial)
        assert stage_counts(s, c.campus_id, *MARCH, staff_id=c.teacher_id) == counts(
            0, 0, 1, 0, 0, 0, 0
        )
        assert stage_counts(s, c.campus_id, *APRIL, staff_id=c.teacher_id) == counts(
            0, 0, 1, 0, 0, 0, 0
        )


def test_stage_counts_by_staff_match_the_single_calls(db: Database) -> None:
    f = Funnel(db)
    c = f.c
    with db.reader() as s:
        by_staff = stage_counts_by_staff(s, c.campus_id, *MARCH)
        assert set(by_staff) == {c.consultant_id, f.chen, c.teacher_id}
        for staff_id, got in by_staff.items():
            assert got == stage_counts(s, c.campus_id, *MARCH, staff_id=staff_id)


def test_two_logged_entries_for_one_implied_event_count_twice(db: Database) -> None:
    # The match is one to one: max(implied 1, logged 2) = 2.
    with db.unit_of_work() as s:
        c = make_campus(s)
        sign(s, c, c.student_id, "new", date(2026, 3, 2), 10, 150000, c.consultant_id)
        for _ in range(2):
            activity(
                s, c.campus_id, "sign", c.consultant_id, date(2026, 3, 2), student_id=c.student_id
            )
    with db.reader() as s:
        assert stage_counts(s, c.campus_id, *MARCH)["sign"] == 2


def test_every_active_stage_is_present_even_with_nothing(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        s.add(Stage(campus_id=c.campus_id, code="homework", name="作业回访", sort_order=9))
        s.scalars(
            select(Stage).where(Stage.campus_id == c.campus_id, Stage.code == "visit")
        ).one().active = False
    with db.reader() as s:
        assert stage_counts(s, c.campus_id, *MARCH) == {
            "invitation": 0,
            "trial": 0,
            "sign": 0,
            "renewal": 0,
            "referral": 0,
            "parent_contact": 0,
            "homework": 0,
        }


def test_stage_counts_refuse_another_campus_staff(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        other = make_campus(s, "T2")
    with db.reader() as s:
        with pytest.raises(Invalid) as err:
            stage_counts(s, c.campus_id, *MARCH, staff_id=other.consultant_id)
        assert err.value.field == "staff_id"
        with pytest.raises(NotFound, match="staff_id"):
            stage_counts(s, c.campus_id, *MARCH, staff_id="9b2d8e0e-0000-4000-8000-000000000000")


def test_trial_attendance_adds_no_consumption(db: Database) -> None:
    # A trial pupil in a held lesson consumes 0 (a ``trial`` entry) and adds no 划课收入.
    with db.unit_of_work() as s:
        c = make_campus(s)
        lesson_id = lesson(s, c, c.teacher_id, date(2026, 3, 3))
        enroll(s, lesson_id=lesson_id, student_id=c.student_id, is_trial=True)
        attend(s, lesson_id, c.student_id)
    with db.reader() as s:
        assert consumption(s, c.campus_id, *MARCH) == 0
