"""课程: the courses a campus teaches, each with a standard price per hour.

A course's name is unique among the campus's live courses. Courses are deactivated, never
deleted: orders, lessons and 划课 keep pointing at them, and an inactive course is simply not
offered for new orders or lessons. Changing the price affects only orders signed later; a
package keeps the unit price it was sold at (see :mod:`shared.consumption`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, Invalid
from ..models import Campus, Course
from ..search import sort_key
from .common import check_fen, check_hours, check_text, get_live


def check_hours_per_lesson(value: object) -> Decimal:
    """A course's hours per lesson: more than 0, at most 12 (the form's and the import's rule)."""
    hours = check_hours(value, "hours_per_lesson", allow_zero=False)
    if hours > 12:
        raise Invalid("hours_per_lesson", "每节课课时不能超过 12")
    return hours


def _refuse_same_name(session: Session, campus_id: str, name: str, course_id: str | None) -> None:
    query = select(Course.id).where(
        Course.campus_id == campus_id, Course.name == name, Course.is_deleted.is_(False)
    )
    if course_id is not None:
        query = query.where(Course.id != course_id)
    if session.scalar(query.limit(1)) is not None:
        raise Conflict(f"课程“{name}”已存在")


def create_course(
    session: Session,
    *,
    campus_id: str,
    name: str,
    price_per_hour_fen: int,
    hours_per_lesson: Decimal | int | str = 1,
    subject: str = "",
) -> Course:
    """Add a course with its price per hour (fen) and hours per lesson."""
    get_live(session, Campus, campus_id, "campus_id")
    name = check_text(name, "name", max_len=60, required=True)
    _refuse_same_name(session, campus_id, name, None)
    course = Course(
        campus_id=campus_id,
        name=name,
        subject=check_text(subject, "subject", max_len=40),
        price_per_hour_fen=check_fen(price_per_hour_fen, "price_per_hour_fen"),
        hours_per_lesson=check_hours_per_lesson(hours_per_lesson),
    )
    session.add(course)
    session.flush()
    return course


def update_course(
    session: Session,
    course_id: str,
    *,
    name: str | None = None,
    subject: str | None = None,
    price_per_hour_fen: int | None = None,
    hours_per_lesson: Decimal | int | str | None = None,
) -> Course:
    """Change a course's name, subject, price or hours per lesson (None leaves it alone)."""
    course = get_live(session, Course, course_id, "course_id")
    if name is not None:
        name = check_text(name, "name", max_len=60, required=True)
        _refuse_same_name(session, course.campus_id, name, course.id)
        course.name = name
    if subject is not None:
        course.subject = check_text(subject, "subject", max_len=40)
    if price_per_hour_fen is not None:
        course.price_per_hour_fen = check_fen(price_per_hour_fen, "price_per_hour_fen")
    if hours_per_lesson is not None:
        course.hours_per_lesson = check_hours_per_lesson(hours_per_lesson)
    session.flush()
    return course


def set_course_active(session: Session, course_id: str, active: bool) -> Course:
    """Stop (or resume) offering a course; its history is untouched."""
    course = get_live(session, Course, course_id, "course_id")
    course.active = bool(active)
    session.flush()
    return course


def deactivate_course(session: Session, course_id: str) -> Course:
    """Stop offering a course for new orders and lessons."""
    return set_course_active(session, course_id, False)


@dataclass(frozen=True, slots=True)
class CourseRow:
    """One course as lists and pickers show it."""

    id: str
    name: str
    subject: str
    price_per_hour_fen: int
    hours_per_lesson: Decimal
    active: bool


def list_courses(session: Session, campus_id: str, *, active_only: bool = True) -> list[CourseRow]:
    """The campus's courses (active ones by default), by pinyin of the name."""
    query = select(Course).where(Course.campus_id == campus_id, Course.is_deleted.is_(False))
    if active_only:
        query = query.where(Course.active.is_(True))
    rows = [
        CourseRow(c.id, c.name, c.subject, c.price_per_hour_fen, c.hours_per_lesson, c.active)
        for c in session.scalars(query)
    ]
    rows.sort(key=lambda row: (not row.active, sort_key(row.name)))
    return rows
