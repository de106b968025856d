"""A tiny hand-made campus for tests whose right answers are written out in the test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy.orm import Session

from shared.models import Course, Student
from shared.periods import SHANGHAI
from shared.pins import hash_pin
from shared.services.campus import add_staff, create_campus

# One hash for every test PIN: scrypt is slow on purpose.
TEST_PIN = "2468"
TEST_PIN_HASH = hash_pin(TEST_PIN)


@dataclass
class Campus1:
    """Ids of the hand-made campus."""

    campus_id: str
    manager_id: str
    consultant_id: str
    teacher_id: str
    course_id: str  # 钢琴, 150.00 元 per hour, 1 hour per lesson
    student_id: str


def make_campus(session: Session, code: str = "T1") -> Campus1:
    """A campus with a manager, a consultant, a teacher, one course and one lead student."""
    campus = create_campus(session, name=f"测试校区{code}", code=code)
    manager = add_staff(
        session, campus_id=campus.id, name="王校长", roles=["manager"], pin=TEST_PIN,
        pin_hash=TEST_PIN_HASH,
    )
    consultant = add_staff(
        session, campus_id=campus.id, name="李顾问", roles=["consultant"], pin=TEST_PIN,
        pin_hash=TEST_PIN_HASH,
    )
    teacher = add_staff(
        session, campus_id=campus.id, name="赵老师", roles=["teacher"], pin=TEST_PIN,
        pin_hash=TEST_PIN_HASH,
    )
    course = Course(
        campus_id=campus.id, name="钢琴", subject="音乐", price_per_hour_fen=15000,
        hours_per_lesson=Decimal(1),
    )
    student = Student(campus_id=campus.id, name="张小明", consultant_id=consultant.id)
    session.add_all([course, student])
    session.flush()
    return Campus1(campus.id, manager.id, consultant.id, teacher.id, course.id, student.id)


def at(day: date, hour: int = 16) -> datetime:
    """A Shanghai wall-clock time on ``day`` as a UTC instant."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)
