"""划课: attendance draws hours from the right package at the right price (answers by hand)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from shared.consumption import (
    Allocation,
    Charge,
    Package,
    allocate,
    package_balances,
    rebuild_student_course,
    remaining_hours,
)
from shared.db import Database
from shared.errors import Invalid
from shared.models import Attendance, ConsumptionEntry, ConsumptionKind, Student, StudentStatus
from shared.services.lessons import AttendanceMark, enroll, mark_attendance, schedule_lesson
from shared.services.orders import record_order, refund_order
from tests.shared.factories import at, make_campus

N = ConsumptionKind.NORMAL
D = Decimal


# --------------------------------------------------------------------------- the pure rule


def test_value_of_thirds_adds_up_to_the_fen() -> None:
    pkg = Package("p", hours=D(3), amount_fen=1000, gift_hours=D(0))
    charges = [Charge(f"a{i}", D(1), N) for i in range(3)]
    assert [a.amount_fen for a in allocate([pkg], charges)] == [333, 333, 334]


def test_oldest_package_first_then_spill_into_the_next() -> None:
    old = Package("old", hours=D("1.5"), amount_fen=15000, gift_hours=D(0))
    new = Package("new", hours=D(10), amount_fen=200000, gift_hours=D(0))
    result = allocate([old, new], [Charge("a1", D(1), N), Charge("a2", D(1), N)])
    assert result == [
        Allocation("a1", "old", N, D(1), 10000),
        Allocation("a2", "old", N, D("0.5"), 5000),
        Allocation("a2", "new", N, D("0.5"), 10000),
    ]


def test_paid_hours_before_gifted_and_gifted_before_the_next_package() -> None:
    first = Package("first", hours=D(1), amount_fen=12000, gift_hours=D(1))
    second = Package("second", hours=D(1), amount_fen=9000, gift_hours=D(0))
    charges = [Charge(f"a{i}", D(1), N) for i in range(3)]
    assert allocate([first, second], charges) == [
        Allocation("a0", "first", N, D(1), 12000),
        Allocation("a1", "first", ConsumptionKind.GIFTED, D(1), 0),
        Allocation("a2", "second", N, D(1), 9000),
    ]


def test_no_hours_left_becomes_arrears_worth_nothing() -> None:
    pkg = Package("p", hours=D(1), amount_fen=8000, gift_hours=D(0))
    assert allocate([pkg], [Charge("a1", D(2), N)]) == [
        Allocation("a1", "p", N, D(1), 8000),
        Allocation("a1", None, ConsumptionKind.ARREARS, D(1), 0),
    ]


def test_refunded_hours_are_taken_from_the_end_and_price_stays() -> None:
    pkg = Package("p", hours=D(4), amount_fen=1000, gift_hours=D(0), refunded_hours=D(2))
    result = allocate([pkg], [Charge(f"a{i}", D(1), N) for i in range(3)])
    assert [(a.order_id, a.amount_fen) for a in result] == [("p", 250), ("p", 250), (None, 0)]


def test_trial_draws_nothing() -> None:
    pkg = Package("p", hours=D(5), amount_fen=5000, gift_hours=D(0))
    result = allocate([pkg], [Charge("t", D(1), ConsumptionKind.TRIAL), Charge("a", D(1), N)])
    assert result == [
        Allocation("t", None, ConsumptionKind.TRIAL, D(1), 0),
        Allocation("a", "p", N, D(1), 1000),
    ]


# --------------------------------------------------------------------------- the services


def _lesson(session, c, day: date, hours: str = "1") -> str:
    lesson = schedule_lesson(
        session, course_id=c.course_id, teacher_id=c.teacher_id, starts_at=at(day), hours=hours,
        student_ids=[c.student_id],
    )
    return lesson.id


def _entries(db: Database, student_id: str) -> list[tuple[str, str | None, Decimal, int, date]]:
    with db.reader() as s:
        rows = s.scalars(
            select(ConsumptionEntry)
            .where(ConsumptionEntry.student_id == student_id)
            .where(ConsumptionEntry.is_deleted.is_(False))
            .order_by(ConsumptionEntry.lesson_on, ConsumptionEntry.kind)
        ).all()
        return [(str(e.kind), e.order_id, e.hours, e.amount_fen, e.lesson_on) for e in rows]


def test_attendance_consumes_the_oldest_package_at_its_unit_price(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        old = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=10, amount_fen=150000,
            consultant_id=c.consultant_id,
        )
        record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="renewal",
            signed_on=date(2026, 4, 1), hours=10, amount_fen=120000,
        )
        lesson = _lesson(s, c, date(2026, 4, 10), hours="2")
        mark_attendance(s, lesson_id=lesson, marks=[AttendanceMark(c.student_id, "present")])
        old_id = old.id
        assert s.get(Student, c.student_id).status is StudentStatus.ENROLLED
    assert _entries(db, c.student_id) == [("normal", old_id, D("2.00"), 30000, date(2026, 4, 10))]
    with db.reader() as s:
        assert remaining_hours(s, c.student_id) == D("18.00")
        assert remaining_hours(s, c.student_id, c.course_id) == D("18.00")


def test_gifted_hours_consume_at_zero_after_the_paid_ones(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        order = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=1, gift_hours=1, amount_fen=15000,
        )
        for day in (date(2026, 3, 2), date(2026, 3, 9)):
            lesson = _lesson(s, c, day)
            mark_attendance(s, lesson_id=lesson, marks=[AttendanceMark(c.student_id, "present")])
    assert _entries(db, c.student_id) == [
        ("normal", order.id, D("1.00"), 15000, date(2026, 3, 2)),
        ("gifted", order.id, D("1.00"), 0, date(2026, 3, 9)),
    ]


def test_arrears_are_settled_by_the_next_package_on_the_lesson_date(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        lesson = _lesson(s, c, date(2026, 5, 6))
        mark_attendance(s, lesson_id=lesson, marks=[AttendanceMark(c.student_id, "present")])
    assert _entries(db, c.student_id) == [("arrears", None, D("1.00"), 0, date(2026, 5, 6))]
    with db.reader() as s:
        assert remaining_hours(s, c.student_id) == D("-1.00")
    with db.unit_of_work() as s:
        order = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 5, 20), hours=20, amount_fen=260000,
        )
    assert _entries(db, c.student_id) == [("normal", order.id, D("1.00"), 13000, date(2026, 5, 6))]
    with db.reader() as s:
        assert remaining_hours(s, c.student_id) == D("19.00")


def test_leave_is_free_and_absence_is_charged_by_default(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        order = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=10, amount_fen=100000,
        )
        mark_attendance(
            s, lesson_id=_lesson(s, c, date(2026, 3, 3)),
            marks=[AttendanceMark(c.student_id, "leave")],
        )
        mark_attendance(
            s, lesson_id=_lesson(s, c, date(2026, 3, 10)),
            marks=[AttendanceMark(c.student_id, "absent")],
        )
    assert _entries(db, c.student_id) == [
        ("absence_charged", order.id, D("1.00"), 10000, date(2026, 3, 10))
    ]


def test_changing_a_mark_returns_the_hours_and_keeps_other_entries(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=10, amount_fen=100000,
        )
        first = _lesson(s, c, date(2026, 3, 3))
        second = _lesson(s, c, date(2026, 3, 10))
        mark_attendance(s, lesson_id=first, marks=[AttendanceMark(c.student_id, "present")])
        mark_attendance(s, lesson_id=second, marks=[AttendanceMark(c.student_id, "present")])
    with db.reader() as s:
        first_entry = s.scalars(
            select(ConsumptionEntry).where(ConsumptionEntry.lesson_on == date(2026, 3, 3))
        ).one()
    with db.unit_of_work() as s:
        mark_attendance(s, lesson_id=second, marks=[AttendanceMark(c.student_id, "leave")])
    with db.reader() as s:
        assert remaining_hours(s, c.student_id) == D("9.00")
        again = s.get(ConsumptionEntry, first_entry.id)
        assert again.version == first_entry.version  # untouched by the rebuild
        attendance = s.scalars(select(Attendance).where(Attendance.lesson_id == second)).one()
        assert attendance.status == "leave" and attendance.charged_hours == 0


def test_trial_attendance_is_recorded_at_zero_without_drawing_hours(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        lesson = schedule_lesson(
            s, course_id=c.course_id, teacher_id=c.teacher_id, starts_at=at(date(2026, 3, 3))
        )
        enroll(s, lesson_id=lesson.id, student_id=c.student_id, is_trial=True)
        mark_attendance(s, lesson_id=lesson.id, marks=[AttendanceMark(c.student_id, "present")])
    assert _entries(db, c.student_id) == [("trial", None, D("1.00"), 0, date(2026, 3, 3))]


def test_refund_takes_back_remaining_hours_only(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        order = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=4, amount_fen=40000,
        )
        mark_attendance(
            s, lesson_id=_lesson(s, c, date(2026, 3, 3), hours="3"),
            marks=[AttendanceMark(c.student_id, "present")],
        )
    with db.unit_of_work() as s, pytest.raises(Invalid) as err:
        refund_order(s, order_id=order.id, signed_on=date(2026, 3, 5), hours=2, refund_fen=20000)
    assert err.value.field == "hours"
    with db.unit_of_work() as s:
        refund = refund_order(
            s, order_id=order.id, signed_on=date(2026, 3, 5), hours=1, refund_fen=9000
        )
        assert refund.amount_fen == -9000 and refund.sign_type == "refund"
    with db.reader() as s:
        assert remaining_hours(s, c.student_id) == D("0.00")
        (balance,) = package_balances(s, c.student_id)
        assert balance.paid_remaining == 0


def test_a_bad_mark_changes_nothing(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        lesson = _lesson(s, c, date(2026, 3, 3))
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        mark_attendance(
            s, lesson_id=lesson,
            marks=[AttendanceMark(c.student_id, "present"), AttendanceMark(c.student_id, "sleep")],
        )
    assert err.value.field == "marks[1].student_id"
    with db.reader() as s:
        assert s.scalars(select(Attendance)).all() == []
        assert s.scalars(select(ConsumptionEntry)).all() == []


def test_rebuild_is_a_no_op_when_nothing_changed(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=3, amount_fen=1000,
        )
        for day in (3, 10, 17):
            mark_attendance(
                s, lesson_id=_lesson(s, c, date(2026, 3, day)),
                marks=[AttendanceMark(c.student_id, "present")],
            )
    with db.unit_of_work() as s:
        assert not rebuild_student_course(s, c.student_id, c.course_id).changed
    assert [e[3] for e in _entries(db, c.student_id)] == [333, 333, 334]


def test_remaining_hours_in_bulk_equal_one_by_one(db: Database) -> None:
    from shared.consumption import remaining_hours_by_student

    with db.unit_of_work() as s:
        c = make_campus(s)
        other = Student(campus_id=c.campus_id, name="李小红")
        idle = Student(campus_id=c.campus_id, name="王小刚")
        s.add_all([other, idle])
        s.flush()
        order = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type="new",
            signed_on=date(2026, 3, 1), hours=10, gift_hours=2, amount_fen=100000,
        )
        refund_order(s, order_id=order.id, signed_on=date(2026, 3, 20), hours=1, refund_fen=1)
        lesson = schedule_lesson(
            s, course_id=c.course_id, teacher_id=c.teacher_id, starts_at=at(date(2026, 3, 3)),
            hours="2", student_ids=[c.student_id, other.id],
        )
        mark_attendance(
            s, lesson_id=lesson.id,
            marks=[AttendanceMark(c.student_id, "present"), AttendanceMark(other.id, "present")],
        )
    with db.reader() as s:
        bulk = remaining_hours_by_student(s, [c.student_id, other.id, idle.id])
        # 10 paid + 2 gifted − 1 refunded − 2 consumed = 9; the other owes 2 (arrears).
        assert bulk == {c.student_id: D("9.00"), other.id: D("-2.00"), idle.id: D("0.00")}
        assert bulk == {sid: remaining_hours(s, sid) for sid in bulk}
