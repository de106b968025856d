"""排课 and 点名: scheduling lessons, enrolling students, marking attendance (which 划课)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..consumption import rebuild_student_course
from ..errors import Invalid
from ..models import (
    Attendance,
    AttendanceStatus,
    Campus,
    Course,
    Lesson,
    LessonStatus,
    LessonStudent,
    Role,
    Staff,
    Student,
)
from ..periods import local_date_of
from .common import check_hours, check_text, check_uuid, get_live


def schedule_lesson(
    session: Session,
    *,
    course_id: str,
    teacher_id: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    hours: Decimal | int | str | None = None,
    room: str = "",
    title: str = "",
    student_ids: Iterable[str] = (),
) -> Lesson:
    """Put a lesson on the timetable, with its enrolled students."""
    course = get_live(session, Course, course_id, "course_id")
    teacher = get_live(session, Staff, teacher_id, "teacher_id")
    if teacher.campus_id != course.campus_id:
        raise Invalid("teacher_id", "教师与课程不属于同一校区")
    if not teacher.has_role(Role.TEACHER):
        raise Invalid("teacher_id", f"{teacher.name} 不是教师")
    if starts_at.tzinfo is None:
        raise Invalid("starts_at", "开始时间必须带时区")
    lesson_hours = course.hours_per_lesson if hours is None else check_hours(hours, "hours")
    if ends_at is None:
        ends_at = starts_at + timedelta(minutes=int(lesson_hours * 60) or 60)
    if ends_at <= starts_at:
        raise Invalid("ends_at", "结束时间必须晚于开始时间")
    lesson = Lesson(
        campus_id=course.campus_id,
        course_id=course.id,
        teacher_id=teacher.id,
        room=check_text(room, "room", max_len=40),
        title=check_text(title or course.name, "title", max_len=100),
        lesson_on=local_date_of(starts_at),
        starts_at=starts_at,
        ends_at=ends_at,
        hours=lesson_hours,
    )
    session.add(lesson)
    session.flush()
    for student_id in student_ids:
        enroll(session, lesson_id=lesson.id, student_id=student_id)
    return lesson


def enroll(
    session: Session, *, lesson_id: str, student_id: str, is_trial: bool = False
) -> LessonStudent:
    """Enrol a student in a lesson (idempotent: an existing enrolment is returned)."""
    lesson = get_live(session, Lesson, lesson_id, "lesson_id")
    student = get_live(session, Student, student_id, "student_id")
    if student.campus_id != lesson.campus_id:
        raise Invalid("student_id", "学员与课程不属于同一校区")
    existing = session.scalar(
        select(LessonStudent).where(
            LessonStudent.lesson_id == lesson.id, LessonStudent.student_id == student.id
        )
    )
    if existing is not None:
        if existing.is_deleted or existing.is_trial != is_trial:
            existing.is_deleted = False
            existing.is_trial = is_trial
            session.flush()
        return existing
    link = LessonStudent(lesson_id=lesson.id, student_id=student.id, is_trial=is_trial)
    session.add(link)
    session.flush()
    return link


@dataclass(frozen=True, slots=True)
class AttendanceMark:
    """One student's 点名 result; ``charged_hours`` None follows the campus policy."""

    student_id: str
    status: AttendanceStatus | str
    charged_hours: Decimal | int | str | None = None
    note: str = ""
    attendance_id: str | None = None  # a client-made UUID makes the insert idempotent


def default_charge(
    campus: Campus, lesson: Lesson, status: AttendanceStatus, is_trial: bool
) -> Decimal:
    """Hours the campus policy charges for a mark (trials record the lesson's hours at 0 fen)."""
    if is_trial:
        return (
            lesson.hours
            if status in (AttendanceStatus.PRESENT, AttendanceStatus.MAKEUP)
            else Decimal(0)
        )
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.MAKEUP):
        return lesson.hours
    if status is AttendanceStatus.LEAVE:
        return lesson.hours if campus.settings.get("charge_leave", False) else Decimal(0)
    return lesson.hours if campus.settings.get("charge_absence", True) else Decimal(0)


def mark_attendance(
    session: Session,
    *,
    lesson_id: str,
    marks: Sequence[AttendanceMark],
    marked_by_id: str | None = None,
) -> list[Attendance]:
    """Record or change 点名 for students of a lesson and re-derive their 划课."""
    lesson = get_live(session, Lesson, lesson_id, "lesson_id")
    if lesson.status is LessonStatus.CANCELLED:
        raise Invalid("lesson_id", "该课程已取消，不能点名")
    if not marks:
        raise Invalid("marks", "至少需要一名学员的点名结果")
    if marked_by_id is not None:
        get_live(session, Staff, marked_by_id, "marked_by_id")
    campus = get_live(session, Campus, lesson.campus_id, "campus_id")
    seen: set[str] = set()
    results: list[Attendance] = []
    for i, mark in enumerate(marks):
        field = f"marks[{i}]"
        student_id = check_uuid(mark.student_id, f"{field}.student_id")
        if student_id in seen:
            raise Invalid(f"{field}.student_id", "同一学员在一次点名中出现了两次")
        seen.add(student_id)
        try:
            status = AttendanceStatus(mark.status)
        except ValueError:
            raise Invalid(f"{field}.status", f"未知考勤状态：{mark.status!r}") from None
        link = session.scalar(
            select(LessonStudent).where(
                LessonStudent.lesson_id == lesson.id,
                LessonStudent.student_id == student_id,
                LessonStudent.is_deleted.is_(False),
            )
        )
        if link is None:
            if status is not AttendanceStatus.MAKEUP:
                raise Invalid(f"{field}.student_id", "该学员不在这节课的名单上（补课请选“补课”）")
            link = enroll(session, lesson_id=lesson.id, student_id=student_id)
        charged = (
            default_charge(campus, lesson, status, link.is_trial)
            if mark.charged_hours is None
            else check_hours(mark.charged_hours, f"{field}.charged_hours")
        )
        if charged > lesson.hours:
            raise Invalid(f"{field}.charged_hours", "扣课时不能超过这节课的课时")
        note = check_text(mark.note, f"{field}.note", max_len=500)
        attendance = session.scalar(
            select(Attendance).where(
                Attendance.lesson_id == lesson.id, Attendance.student_id == student_id
            )
        )
        if attendance is None:
            attendance = Attendance(
                campus_id=lesson.campus_id,
                lesson_id=lesson.id,
                student_id=student_id,
                status=status,
                is_trial=link.is_trial,
                charged_hours=charged,
                marked_by_id=marked_by_id,
                note=note,
            )
            if mark.attendance_id is not None:
                attendance.id = check_uuid(mark.attendance_id, f"{field}.attendance_id")
            session.add(attendance)
        else:
            attendance.is_deleted = False
            attendance.status = status
            attendance.is_trial = link.is_trial
            attendance.charged_hours = charged
            attendance.marked_by_id = marked_by_id
            attendance.note = note
        results.append(attendance)
    lesson.status = LessonStatus.DONE
    session.flush()
    for attendance in results:
        rebuild_student_course(session, attendance.student_id, lesson.course_id)
    return results


def unmark_attendance(session: Session, *, attendance_id: str) -> None:
    """Withdraw a 点名 result (a tombstone); its hours return to the packages."""
    attendance = get_live(session, Attendance, attendance_id, "attendance_id")
    lesson = get_live(session, Lesson, attendance.lesson_id, "lesson_id")
    attendance.is_deleted = True
    session.flush()
    rebuild_student_course(session, attendance.student_id, lesson.course_id)
