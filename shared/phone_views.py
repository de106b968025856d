"""What a staff phone reads: profile, tasks, ranking, timetable, students, parents, trials.

Every view takes the caller's :class:`~shared.auth.Principal` and reads only rows inside their
scope (:func:`shared.permissions.scope_clause`, the one definition of who sees what). Figures
come from the engine and nowhere else: tasks and pace from :func:`shared.progress.task_view`,
rankings from :func:`shared.progress.ranking`, remaining hours from
:func:`shared.consumption.remaining_hours`.

Results are pydantic models, ready for JSON and for OpenAPI schemas:

* money is integer fen in fields named ``*_fen``;
* lesson hours and percentages are exact decimals (JSON strings such as ``"9.00"``);
* business dates are ISO dates, instants ISO UTC; lesson times also come as local ``HH:MM``;
* every id is a UUID string, and every row a phone may edit carries its ``version`` (the
  ``base_version`` of an edit pushed later).

The views only read: call them in a read snapshot (``database.reader()``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from . import progress
from .actuals import check_range
from .auth import Principal, list_devices
from .consumption import remaining_hours, remaining_hours_by_student
from .errors import Invalid
from .models import (
    Attendance,
    Campus,
    CommunicationRecord,
    Course,
    GrowthRecord,
    Lesson,
    LessonStudent,
    Parent,
    Staff,
    Stage,
    Student,
    StudentParent,
    TrialLesson,
)
from .periods import SHANGHAI, Period
from .permissions import check_parent, check_student, scope_clause
from .services.common import get_live

#: The longest timetable range one request may ask for, in days (inclusive).
MAX_TIMETABLE_DAYS = 62
#: How many growth records the student list carries per student, newest first.
RECENT_GROWTH = 10
#: How many communication records the parent list carries per parent, newest first.
RECENT_COMMUNICATIONS = 20
#: How far ahead the follow-up list looks, in days from today.
FOLLOW_UP_HORIZON_DAYS = 7

METRIC_NAMES = {"revenue": "营业额", "consumption": "划课收入"}
ROLE_NAMES = {"consultant": "课程顾问", "intent_teacher": "意向教师", "teacher": "教师"}


class View(BaseModel):
    """Base of every phone view: immutable, JSON-ready."""

    model_config = ConfigDict(frozen=True)


# --------------------------------------------------------------------------- me


class DeviceView(View):
    """One of my devices that can still sign in."""

    device_id: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    is_current: bool


class MeView(View):
    """My profile: who I am, where, and my devices."""

    staff_id: str
    version: int
    name: str
    roles: list[str]
    campus_id: str
    campus_name: str
    phone: str
    devices: list[DeviceView]


def me(session: Session, p: Principal) -> MeView:
    """The caller's profile and their devices that are not revoked (newest first)."""
    staff = get_live(session, Staff, p.staff_id, "staff_id")
    campus = get_live(session, Campus, staff.campus_id, "campus_id")
    devices = [
        DeviceView(
            device_id=d.device_id,
            name=d.name,
            created_at=d.created_at,
            last_seen_at=d.last_seen_at,
            is_current=d.device_id == p.device_id,
        )
        for d in list_devices(session, staff_id=staff.id)
        if d.revoked_at is None
    ]
    return MeView(
        staff_id=staff.id,
        version=staff.version,
        name=staff.name,
        roles=list(staff.roles),
        campus_id=campus.id,
        campus_name=campus.name,
        phone=staff.phone,
        devices=devices,
    )


# --------------------------------------------------------------------------- tasks


class PeriodView(View):
    """A target period: a year, a month or a week-of-month."""

    kind: str
    year: int
    month: int
    week: int
    label: str
    start: date
    end: date


class MoneyTaskView(View):
    """One money target of mine (营业额 or 划课收入) against its actual and pace."""

    metric: str
    metric_name: str
    role: str
    role_name: str
    target_fen: int
    has_target: bool
    actual_fen: int
    remaining_fen: int
    attainment_percent: Decimal | None
    expected_so_far_fen: int
    gap_to_pace_fen: int
    forecast_fen: int
    status: str
    status_name: str
    days_elapsed: int
    days_total: int


class StageTaskView(View):
    """One active stage of my campus: my target count (if any) and my count so far."""

    stage_id: str
    version: int
    code: str
    name: str
    target_count: int | None
    actual_count: int


class FollowUpView(View):
    """An open parent follow-up (沟通记录 with a next follow-up date)."""

    record_id: str
    version: int
    parent_id: str
    parent_name: str
    student_id: str | None
    student_name: str
    staff_id: str
    staff_name: str
    due_on: date
    overdue: bool
    days_overdue: int
    last_contact_on: date
    channel: str
    content: str


class TasksView(View):
    """任务驱动: my money targets, stage targets and follow-ups due, for a period."""

    staff_id: str
    staff_name: str
    today: date
    period: PeriodView
    money: list[MoneyTaskView]
    stages: list[StageTaskView]
    follow_ups: list[FollowUpView]


def _period_view(period: Period) -> PeriodView:
    return PeriodView(
        kind=period.kind,
        year=period.year,
        month=period.month,
        week=period.week,
        label=period.label,
        start=period.start,
        end=period.end,
    )


def _money_view(item: progress.Progress) -> MoneyTaskView:
    role = item.role or ""
    return MoneyTaskView(
        metric=item.metric.value,
        metric_name=METRIC_NAMES[item.metric.value],
        role=role,
        role_name=ROLE_NAMES.get(role, ""),
        target_fen=item.target_fen,
        has_target=item.has_target,
        actual_fen=item.actual_fen,
        remaining_fen=item.remaining_fen,
        attainment_percent=item.attainment_percent,
        expected_so_far_fen=item.expected_so_far_fen,
        gap_to_pace_fen=item.gap_to_pace_fen,
        forecast_fen=item.forecast_fen,
        status=item.status.value,
        status_name=progress.STATUS_NAMES[item.status],
        days_elapsed=item.days_elapsed,
        days_total=item.days_total,
    )


def _follow_up_select() -> Select[tuple[CommunicationRecord, str, str | None, str]]:
    return (
        select(CommunicationRecord, Parent.name, Student.name, Staff.name)
        .join(Parent, Parent.id == CommunicationRecord.parent_id)
        .join(Staff, Staff.id == CommunicationRecord.staff_id)
        .outerjoin(Student, Student.id == CommunicationRecord.student_id)
    )


def _follow_up_views(
    rows: Iterable[tuple[CommunicationRecord, str, str | None, str]], today: date
) -> list[FollowUpView]:
    views = []
    for record, parent_name, student_name, staff_name in rows:
        due = record.next_follow_up_on
        assert due is not None
        views.append(
            FollowUpView(
                record_id=record.id,
                version=record.version,
                parent_id=record.parent_id,
                parent_name=parent_name,
                student_id=record.student_id,
                student_name=student_name or "",
                staff_id=record.staff_id,
                staff_name=staff_name,
                due_on=due,
                overdue=due < today,
                days_overdue=max(0, (today - due).days),
                last_contact_on=record.occurred_on,
                channel=record.channel,
                content=record.content,
            )
        )
    return views


def my_tasks(session: Session, p: Principal, week: Period, *, today: date) -> TasksView:
    """The caller's tasks for a period (the phone asks for a week-of-month).

    Money and stage figures are :func:`shared.progress.task_view`'s. Stages list every active
    stage of the campus in its order (so the phone can log "+1" on any of them), with the
    caller's target count where one is set; follow-ups are the caller's own that are due by
    ``today``, oldest due first.
    """
    task = progress.task_view(session, p.staff_id, week, today=today)
    by_stage = {s.stage_id: s for s in task.stages}
    stages = [
        StageTaskView(
            stage_id=stage.id,
            version=stage.version,
            code=stage.code,
            name=stage.name,
            target_count=by_stage[stage.id].target_count if stage.id in by_stage else None,
            actual_count=by_stage[stage.id].actual_count if stage.id in by_stage else 0,
        )
        for stage in session.scalars(
            select(Stage)
            .where(
                Stage.campus_id == task.campus_id,
                Stage.active.is_(True),
                Stage.is_deleted.is_(False),
            )
            .order_by(Stage.sort_order, Stage.code)
        )
    ]
    due_ids = [f.record_id for f in task.follow_ups]
    rows = (
        session.execute(_follow_up_select().where(CommunicationRecord.id.in_(due_ids))).all()
        if due_ids
        else []
    )
    by_id = {row[0].id: row for row in rows}
    return TasksView(
        staff_id=task.staff_id,
        staff_name=task.staff_name,
        today=task.today,
        period=_period_view(task.period),
        money=[_money_view(m) for m in task.money],
        stages=stages,
        follow_ups=_follow_up_views((by_id[i] for i in due_ids), task.today),
    )


# --------------------------------------------------------------------------- ranking


class RankRowView(View):
    """One person in the month's ranking."""

    rank: int
    staff_id: str
    staff_name: str
    amount_fen: int
    target_fen: int | None
    attainment_percent: Decimal | None
    is_me: bool


class RankingView(View):
    """员工排行 of a month within the caller's campus."""

    year: int
    month: int
    metric: str
    metric_name: str
    rows: list[RankRowView]
    my_rank: int | None


def _percent(attainment: Fraction | None) -> Decimal | None:
    """An engine 达成率 in percent with one decimal (as ``Progress.attainment_percent``)."""
    if attainment is None:
        return None
    exact = attainment * 100
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.1"))


def ranking_view(session: Session, p: Principal, year: int, month: int, metric: str) -> RankingView:
    """The month's ranking of the caller's campus (consultants by 营业额, teachers by 划课收入)."""
    rows = progress.ranking(session, p.campus_id, year, month, metric)
    views = [
        RankRowView(
            rank=r.rank,
            staff_id=r.staff_id,
            staff_name=r.staff_name,
            amount_fen=r.amount_fen,
            target_fen=r.target_fen,
            attainment_percent=_percent(r.attainment),
            is_me=r.staff_id == p.staff_id,
        )
        for r in rows
    ]
    name = progress.check_metric(metric).value
    return RankingView(
        year=year,
        month=month,
        metric=name,
        metric_name=METRIC_NAMES[name],
        rows=views,
        my_rank=next((v.rank for v in views if v.is_me), None),
    )


# --------------------------------------------------------------------------- timetable


class AttendanceView(View):
    """A student's 点名 mark at a lesson."""

    attendance_id: str
    version: int
    status: str
    charged_hours: Decimal
    note: str


class LessonStudentView(View):
    """A student on a lesson's list, with their mark if already taken."""

    link_id: str
    link_version: int
    student_id: str
    student_name: str
    is_trial: bool
    attendance: AttendanceView | None


class LessonView(View):
    """One lesson of the timetable."""

    lesson_id: str
    version: int
    course_id: str
    course_name: str
    title: str
    room: str
    teacher_id: str
    teacher_name: str
    lesson_on: date
    starts_at: datetime
    ends_at: datetime
    starts_local: str  # HH:MM, Asia/Shanghai
    ends_local: str
    hours: Decimal
    status: str
    can_mark_attendance: bool
    students: list[LessonStudentView]


def _local_time(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%H:%M")


def _staff_names(session: Session, campus_id: str) -> dict[str, str]:
    rows = session.execute(select(Staff.id, Staff.name).where(Staff.campus_id == campus_id))
    return {staff_id: name for staff_id, name in rows}


def timetable(session: Session, p: Principal, start: date, end: date) -> list[LessonView]:
    """Lessons in scope dated ``start..end`` (at most 62 days), in time order.

    Each lesson lists the students on it that the caller may see (a teacher: the whole class;
    a consultant: their own students) with their attendance marks.
    """
    start, end = check_range(start, end)
    if (end - start).days + 1 > MAX_TIMETABLE_DAYS:
        raise Invalid("end", f"课程表一次最多查询 {MAX_TIMETABLE_DAYS} 天")
    in_range: list[ColumnElement[bool]] = [
        scope_clause(session, p, Lesson),
        Lesson.is_deleted.is_(False),
        Lesson.lesson_on >= start,
        Lesson.lesson_on <= end,
    ]
    lessons = session.execute(
        select(Lesson, Course.name)
        .join(Course, Course.id == Lesson.course_id)
        .where(*in_range)
        .order_by(Lesson.starts_at, Lesson.lesson_on, Lesson.id)
    ).all()
    lesson_ids = select(Lesson.id).where(*in_range)
    links = session.execute(
        select(LessonStudent, Student.name)
        .join(Student, Student.id == LessonStudent.student_id)
        .where(
            LessonStudent.lesson_id.in_(lesson_ids),
            scope_clause(session, p, LessonStudent),
            LessonStudent.is_deleted.is_(False),
        )
        .order_by(Student.name, Student.id)
    ).all()
    marks = {
        (a.lesson_id, a.student_id): a
        for a in session.scalars(
            select(Attendance).where(
                Attendance.lesson_id.in_(lesson_ids),
                scope_clause(session, p, Attendance),
                Attendance.is_deleted.is_(False),
            )
        )
    }
    students: dict[str, list[LessonStudentView]] = {}
    for link, student_name in links:
        mark = marks.get((link.lesson_id, link.student_id))
        students.setdefault(link.lesson_id, []).append(
            LessonStudentView(
                link_id=link.id,
                link_version=link.version,
                student_id=link.student_id,
                student_name=student_name,
                is_trial=link.is_trial,
                attendance=None
                if mark is None
                else AttendanceView(
                    attendance_id=mark.id,
                    version=mark.version,
                    status=mark.status.value,
                    charged_hours=mark.charged_hours,
                    note=mark.note,
                ),
            )
        )
    names = _staff_names(session, p.campus_id)
    return [
        LessonView(
            lesson_id=lesson.id,
            version=lesson.version,
            course_id=lesson.course_id,
            course_name=course_name,
            title=lesson.title,
            room=lesson.room,
            teacher_id=lesson.teacher_id,
            teacher_name=names.get(lesson.teacher_id, ""),
            lesson_on=lesson.lesson_on,
            starts_at=lesson.starts_at,
            ends_at=lesson.ends_at,
            starts_local=_local_time(lesson.starts_at),
            ends_local=_local_time(lesson.ends_at),
            hours=lesson.hours,
            status=lesson.status.value,
            can_mark_attendance=p.is_campus_wide or lesson.teacher_id == p.staff_id,
            students=students.get(lesson.id, []),
        )
        for lesson, course_name in lessons
    ]


# --------------------------------------------------------------------------- students


class GrowthRecordView(View):
    """成长记录: five ratings (1–5) and a comment about one student after a lesson."""

    record_id: str
    version: int
    student_id: str
    lesson_id: str | None
    teacher_id: str
    teacher_name: str
    recorded_on: date
    progress_note: str
    progress: int
    focus: int
    performance: int
    learning_ability: int
    mastery: int
    comment: str


class StudentView(View):
    """A student in my list, with remaining hours and the latest growth records."""

    student_id: str
    version: int
    name: str
    gender: str
    grade: str
    school: str
    status: str
    consultant_id: str | None
    consultant_name: str
    remaining_hours: Decimal
    recent_growth: list[GrowthRecordView]


class StudentParentView(View):
    """A parent of the student, through their link (relation, primary contact)."""

    link_id: str
    link_version: int
    parent_id: str
    parent_name: str
    relation: str
    is_primary: bool
    phone: str
    wechat: str


class StudentDetail(View):
    """One student in full: profile, remaining hours, parents and every growth record."""

    student_id: str
    version: int
    name: str
    gender: str
    birth_on: date | None
    grade: str
    school: str
    status: str
    source: str
    first_contact_on: date | None
    notes: str
    consultant_id: str | None
    consultant_name: str
    remaining_hours: Decimal
    parents: list[StudentParentView]
    growth_records: list[GrowthRecordView]


def _growth_views(
    session: Session, p: Principal, student_ids: list[str], limit: int | None
) -> dict[str, list[GrowthRecordView]]:
    """Live, in-scope growth records per student, newest first (at most ``limit`` each)."""
    if not student_ids:
        return {}
    newest_first = (
        GrowthRecord.recorded_on.desc(),
        GrowthRecord.created_at.desc(),
        GrowthRecord.id.desc(),
    )
    ranked = (
        select(
            GrowthRecord.id,
            func.row_number()
            .over(partition_by=GrowthRecord.student_id, order_by=newest_first)
            .label("n"),
        )
        .where(
            GrowthRecord.student_id.in_(student_ids),
            GrowthRecord.is_deleted.is_(False),
            scope_clause(session, p, GrowthRecord),
        )
        .subquery()
    )
    stmt = (
        select(GrowthRecord)
        .join(ranked, ranked.c.id == GrowthRecord.id)
        .order_by(GrowthRecord.student_id, *newest_first)
    )
    if limit is not None:
        stmt = stmt.where(ranked.c.n <= limit)
    names = _staff_names(session, p.campus_id)
    result: dict[str, list[GrowthRecordView]] = {}
    for g in session.scalars(stmt):
        result.setdefault(g.student_id, []).append(
            GrowthRecordView(
                record_id=g.id,
                version=g.version,
                student_id=g.student_id,
                lesson_id=g.lesson_id,
                teacher_id=g.teacher_id,
                teacher_name=names.get(g.teacher_id, ""),
                recorded_on=g.recorded_on,
                progress_note=g.progress_note,
                progress=g.progress,
                focus=g.focus,
                performance=g.performance,
                learning_ability=g.learning_ability,
                mastery=g.mastery,
                comment=g.comment,
            )
        )
    return result


def my_students(session: Session, p: Principal) -> list[StudentView]:
    """The live students in the caller's scope by name, with 剩余课时 and growth (last 10)."""
    students = session.scalars(
        select(Student)
        .where(scope_clause(session, p, Student), Student.is_deleted.is_(False))
        .order_by(Student.name, Student.id)
    ).all()
    growth = _growth_views(session, p, [s.id for s in students], RECENT_GROWTH)
    names = _staff_names(session, p.campus_id)
    hours = remaining_hours_by_student(session, [s.id for s in students])
    return [
        StudentView(
            student_id=s.id,
            version=s.version,
            name=s.name,
            gender=s.gender,
            grade=s.grade,
            school=s.school,
            status=s.status.value,
            consultant_id=s.consultant_id,
            consultant_name=names.get(s.consultant_id or "", ""),
            remaining_hours=hours[s.id],
            recent_growth=growth.get(s.id, []),
        )
        for s in students
    ]


def student_detail(session: Session, p: Principal, student_id: str) -> StudentDetail:
    """One student the caller may see (``Forbidden`` otherwise), with every growth record."""
    s = check_student(session, p, student_id, "id")
    links = session.execute(
        select(StudentParent, Parent)
        .join(Parent, Parent.id == StudentParent.parent_id)
        .where(
            StudentParent.student_id == s.id,
            StudentParent.is_deleted.is_(False),
            Parent.is_deleted.is_(False),
            scope_clause(session, p, Parent),
        )
        .order_by(StudentParent.is_primary.desc(), Parent.name, Parent.id)
    ).all()
    names = _staff_names(session, p.campus_id)
    return StudentDetail(
        student_id=s.id,
        version=s.version,
        name=s.name,
        gender=s.gender,
        birth_on=s.birth_on,
        grade=s.grade,
        school=s.school,
        status=s.status.value,
        source=s.source,
        first_contact_on=s.first_contact_on,
        notes=s.notes,
        consultant_id=s.consultant_id,
        consultant_name=names.get(s.consultant_id or "", ""),
        remaining_hours=remaining_hours(session, s.id),
        parents=[
            StudentParentView(
                link_id=link.id,
                link_version=link.version,
                parent_id=parent.id,
                parent_name=parent.name,
                relation=link.relation,
                is_primary=link.is_primary,
                phone=parent.phone,
                wechat=parent.wechat,
            )
            for link, parent in links
        ],
        growth_records=_growth_views(session, p, [s.id], None).get(s.id, []),
    )


# --------------------------------------------------------------------------- parents


class ParentStudentView(View):
    """A student of the parent (one I may see), through their link."""

    link_id: str
    link_version: int
    student_id: str
    student_name: str
    relation: str
    is_primary: bool


class CommunicationView(View):
    """沟通记录: one contact with a parent."""

    record_id: str
    version: int
    student_id: str | None
    staff_id: str
    staff_name: str
    occurred_on: date
    channel: str
    content: str
    next_follow_up_on: date | None
    follow_up_done: bool


class ParentView(View):
    """A parent of my students: contacts, children, recent communication, next follow-up."""

    parent_id: str
    version: int
    name: str
    phone: str
    phone2: str
    wechat: str
    notes: str
    students: list[ParentStudentView]
    communications: list[CommunicationView]
    next_follow_up_on: date | None


def parents(session: Session, p: Principal) -> list[ParentView]:
    """The live parents in the caller's scope by name.

    Each lists the caller's visible students it is linked to, its communication records in
    scope (newest first, the last 20) and the earliest open follow-up date among them.
    """
    rows = session.scalars(
        select(Parent)
        .where(scope_clause(session, p, Parent), Parent.is_deleted.is_(False))
        .order_by(Parent.name, Parent.id)
    ).all()
    return _parent_views(session, p, list(rows))


def parent_detail(session: Session, p: Principal, parent_id: str) -> ParentView:
    """One parent as :func:`parents` lists it; ``NotFound`` when missing or deleted,
    ``Forbidden`` outside the caller's scope (a teacher asking for a consultant's parent)."""
    parent = check_parent(session, p, parent_id, "id")
    return _parent_views(session, p, [parent])[0]


def _parent_views(session: Session, p: Principal, rows: list[Parent]) -> list[ParentView]:
    """The views of these parents (all in the caller's scope), in the order given."""
    if not rows:
        return []
    parent_ids = [r.id for r in rows]
    children: dict[str, list[ParentStudentView]] = {}
    for link, student_name in session.execute(
        select(StudentParent, Student.name)
        .join(Student, Student.id == StudentParent.student_id)
        .where(
            StudentParent.parent_id.in_(parent_ids),
            StudentParent.is_deleted.is_(False),
            Student.is_deleted.is_(False),
            scope_clause(session, p, Student),
        )
        .order_by(Student.name, Student.id)
    ):
        children.setdefault(link.parent_id, []).append(
            ParentStudentView(
                link_id=link.id,
                link_version=link.version,
                student_id=link.student_id,
                student_name=student_name,
                relation=link.relation,
                is_primary=link.is_primary,
            )
        )
    in_scope = [
        CommunicationRecord.parent_id.in_(parent_ids),
        CommunicationRecord.is_deleted.is_(False),
        scope_clause(session, p, CommunicationRecord),
    ]
    newest_first = (
        CommunicationRecord.occurred_on.desc(),
        CommunicationRecord.created_at.desc(),
        CommunicationRecord.id.desc(),
    )
    ranked = (
        select(
            CommunicationRecord.id,
            func.row_number()
            .over(partition_by=CommunicationRecord.parent_id, order_by=newest_first)
            .label("n"),
        )
        .where(*in_scope)
        .subquery()
    )
    names = _staff_names(session, p.campus_id)
    talks: dict[str, list[CommunicationView]] = {}
    for r in session.scalars(
        select(CommunicationRecord)
        .join(ranked, ranked.c.id == CommunicationRecord.id)
        .where(ranked.c.n <= RECENT_COMMUNICATIONS)
        .order_by(CommunicationRecord.parent_id, *newest_first)
    ):
        talks.setdefault(r.parent_id, []).append(
            CommunicationView(
                record_id=r.id,
                version=r.version,
                student_id=r.student_id,
                staff_id=r.staff_id,
                staff_name=names.get(r.staff_id, ""),
                occurred_on=r.occurred_on,
                channel=r.channel,
                content=r.content,
                next_follow_up_on=r.next_follow_up_on,
                follow_up_done=r.follow_up_done,
            )
        )
    next_due = dict(
        session.execute(
            select(CommunicationRecord.parent_id, func.min(CommunicationRecord.next_follow_up_on))
            .where(
                *in_scope,
                CommunicationRecord.follow_up_done.is_(False),
                CommunicationRecord.next_follow_up_on.is_not(None),
            )
            .group_by(CommunicationRecord.parent_id)
        ).all()
    )
    return [
        ParentView(
            parent_id=r.id,
            version=r.version,
            name=r.name,
            phone=r.phone,
            phone2=r.phone2,
            wechat=r.wechat,
            notes=r.notes,
            students=children.get(r.id, []),
            communications=talks.get(r.id, []),
            next_follow_up_on=next_due.get(r.id),
        )
        for r in rows
    ]


# --------------------------------------------------------------------------- trials


class TrialView(View):
    """试听: a trial lesson with its people and outcome."""

    trial_id: str
    version: int
    student_id: str
    student_name: str
    course_id: str
    course_name: str
    consultant_id: str | None
    consultant_name: str
    intent_teacher_id: str | None
    intent_teacher_name: str
    lesson_id: str | None
    trial_on: date
    status: str
    outcome: str
    sign_type: str | None
    feedback: str


def trials(
    session: Session, p: Principal, *, start: date | None = None, end: date | None = None
) -> list[TrialView]:
    """Live trial lessons in scope, optionally dated ``start..end``, by date."""
    conditions: list[ColumnElement[bool]] = [
        scope_clause(session, p, TrialLesson),
        TrialLesson.is_deleted.is_(False),
    ]
    for field, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise Invalid(field, f"必须是日期：{value!r}")
    if start is not None and end is not None:
        start, end = check_range(start, end)
    if start is not None:
        conditions.append(TrialLesson.trial_on >= start)
    if end is not None:
        conditions.append(TrialLesson.trial_on <= end)
    names = _staff_names(session, p.campus_id)
    rows = session.execute(
        select(TrialLesson, Student.name, Course.name)
        .join(Student, Student.id == TrialLesson.student_id)
        .join(Course, Course.id == TrialLesson.course_id)
        .where(*conditions)
        .order_by(TrialLesson.trial_on, Student.name, TrialLesson.id)
    ).all()
    return [
        TrialView(
            trial_id=t.id,
            version=t.version,
            student_id=t.student_id,
            student_name=student_name,
            course_id=t.course_id,
            course_name=course_name,
            consultant_id=t.consultant_id,
            consultant_name=names.get(t.consultant_id or "", ""),
            intent_teacher_id=t.intent_teacher_id,
            intent_teacher_name=names.get(t.intent_teacher_id or "", ""),
            lesson_id=t.lesson_id,
            trial_on=t.trial_on,
            status=t.status.value,
            outcome=t.outcome.value,
            sign_type=t.sign_type.value if t.sign_type is not None else None,
            feedback=t.feedback,
        )
        for t, student_name, course_name in rows
    ]


# --------------------------------------------------------------------------- follow-ups


def follow_ups(session: Session, p: Principal, *, today: date) -> list[FollowUpView]:
    """Open follow-ups due by ``today`` + 7 days, oldest due first; overdue ones flagged.

    A manager or front desk sees every one of the campus; anyone else the ones they wrote.
    """
    today = progress.check_today(today)
    horizon = today + timedelta(days=FOLLOW_UP_HORIZON_DAYS)
    whose = (
        CommunicationRecord.campus_id == p.campus_id
        if p.is_campus_wide
        else CommunicationRecord.staff_id == p.staff_id
    )
    rows = session.execute(
        _follow_up_select()
        .where(
            whose,
            scope_clause(session, p, CommunicationRecord),
            CommunicationRecord.is_deleted.is_(False),
            CommunicationRecord.follow_up_done.is_(False),
            CommunicationRecord.next_follow_up_on.is_not(None),
            CommunicationRecord.next_follow_up_on <= horizon,
        )
        .order_by(
            CommunicationRecord.next_follow_up_on,
            CommunicationRecord.occurred_on,
            CommunicationRecord.id,
        )
    ).all()
    return _follow_up_views(rows, today)
