"""成长卡片: what a student's growth card for the parents says, from the growth records.

A teacher sends the card (a phone-sized picture drawn by ``desktop.render``) to a parent. The
figures, decided here once:

* The card covers the last :data:`WINDOW_DAYS` days up to ``today`` (近三个月). Each of the five
  ratings of :class:`~shared.models.GrowthRecord` (1–5) is averaged over the window's records,
  to one decimal, halves up; beside it the average of the window before, so the card can show
  the trend (None when there were no records then).
* Lessons attended (出勤 or 补课, not trial, lesson not cancelled) in the window; remaining
  hours today (:func:`shared.consumption.remaining_hours`).
* The latest few records' date, teacher, 教程进度 note and comment, newest first.
* On the phone the student must be visible to the caller
  (:func:`shared.permissions.check_student`) and only the growth records in the caller's scope
  are used; the desktop and the command line see every record.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .auth import Principal
from .consumption import remaining_hours
from .errors import Invalid, NotFound
from .models import (
    Attendance,
    AttendanceStatus,
    Campus,
    Course,
    GrowthRecord,
    Lesson,
    LessonStatus,
    Staff,
    Student,
)
from .permissions import check_student, scope_clause
from .services.common import get_live

WINDOW_DAYS = 90
RECENT_RECORDS = 3

# (attribute of GrowthRecord, the dimension's name on the card), in the card's order.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("progress", "教程进度"),
    ("focus", "专注持久"),
    ("performance", "课堂表现"),
    ("learning_ability", "学习能力"),
    ("mastery", "掌握情况"),
)

_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """One dimension's average in the window (1–5, one decimal) and in the window before."""

    code: str
    name: str
    average: Decimal | None  # None: no record in the window
    previous_average: Decimal | None

    @property
    def trend(self) -> int:
        """+1 up, −1 down, 0 unchanged or unknown against the window before."""
        if self.average is None or self.previous_average is None:
            return 0
        return (self.average > self.previous_average) - (self.average < self.previous_average)


@dataclass(frozen=True, slots=True)
class GrowthEntry:
    """One recent growth record as the card quotes it."""

    recorded_on: date
    teacher_name: str
    course_name: str
    progress_note: str
    comment: str


@dataclass(frozen=True, slots=True)
class GrowthCardData:
    """Everything a growth card shows about one student."""

    student_id: str
    student_name: str
    grade: str
    campus_name: str
    courses: tuple[str, ...]  # of the records in the window, by name
    window_start: date
    window_end: date  # today
    records: int  # growth records in the window
    lessons_attended: int
    remaining_hours: Decimal
    ratings: tuple[RatingSummary, ...]  # the five dimensions, in DIMENSIONS order
    recent: tuple[GrowthEntry, ...]  # newest first, at most RECENT_RECORDS


def _average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(_TENTH, ROUND_HALF_UP)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def find_student(session: Session, name_or_id: str) -> Student:
    """A live student by id or by exact name; ``NotFound``/``Invalid`` say what went wrong."""
    wanted = re.sub(r"\s+", " ", name_or_id).strip()
    if not wanted:
        raise Invalid("student", "请给出学员姓名或编号")
    if _is_uuid(wanted):
        return get_live(session, Student, wanted, "student")
    found = session.scalars(
        select(Student).where(Student.name == wanted, Student.is_deleted.is_(False))
    ).all()
    if not found:
        raise NotFound(f"student: 没有叫“{wanted}”的学员")
    if len(found) > 1:
        raise Invalid("student", f"有 {len(found)} 个学员叫“{wanted}”，请用学员编号")
    return found[0]


def growth_card(
    session: Session,
    student_id: str,
    *,
    today: date,
    principal: Principal | None = None,
) -> GrowthCardData:
    """The growth card of a student as of ``today`` (scoped to ``principal`` when given)."""
    if principal is not None:
        student = check_student(session, principal, student_id, "id")
    else:
        student = get_live(session, Student, student_id, "student_id")
    campus = session.get(Campus, student.campus_id)
    if campus is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound("campus: 学员所在校区不存在")
    start = today - timedelta(days=WINDOW_DAYS - 1)
    before = start - timedelta(days=WINDOW_DAYS)

    stmt = (
        select(GrowthRecord, Staff.name, Course.name)
        .join(Staff, Staff.id == GrowthRecord.teacher_id)
        .outerjoin(Lesson, Lesson.id == GrowthRecord.lesson_id)
        .outerjoin(Course, Course.id == Lesson.course_id)
        .where(
            GrowthRecord.student_id == student.id,
            GrowthRecord.is_deleted.is_(False),
            GrowthRecord.recorded_on >= before,
            GrowthRecord.recorded_on <= today,
        )
        .order_by(
            GrowthRecord.recorded_on.desc(),
            GrowthRecord.created_at.desc(),
            GrowthRecord.id.desc(),
        )
    )
    if principal is not None:
        stmt = stmt.where(scope_clause(session, principal, GrowthRecord))
    rows = session.execute(stmt).all()
    current = [(g, t, c) for g, t, c in rows if g.recorded_on >= start]
    earlier = [g for g, _t, _c in rows if g.recorded_on < start]

    ratings = tuple(
        RatingSummary(
            code=code,
            name=name,
            average=_average([getattr(g, code) for g, _t, _c in current]),
            previous_average=_average([getattr(g, code) for g in earlier]),
        )
        for code, name in DIMENSIONS
    )
    lessons = session.scalar(
        select(func.count())
        .select_from(Attendance)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Attendance.student_id == student.id,
            Attendance.is_deleted.is_(False),
            Attendance.is_trial.is_(False),
            Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.MAKEUP]),
            Lesson.is_deleted.is_(False),
            Lesson.status != LessonStatus.CANCELLED,
            Lesson.lesson_on >= start,
            Lesson.lesson_on <= today,
        )
    )
    return GrowthCardData(
        student_id=student.id,
        student_name=student.name,
        grade=student.grade,
        campus_name=campus.name,
        courses=tuple(sorted({c for _g, _t, c in current if c})),
        window_start=start,
        window_end=today,
        records=len(current),
        lessons_attended=int(lessons or 0),
        remaining_hours=remaining_hours(session, student.id),
        ratings=ratings,
        recent=tuple(
            GrowthEntry(
                recorded_on=g.recorded_on,
                teacher_name=t,
                course_name=c or "",
                progress_note=g.progress_note,
                comment=g.comment,
            )
            for g, t, c in current[:RECENT_RECORDS]
        ),
    )
