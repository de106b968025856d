"""Scope (可见范围): which rows each staff member may read and write, decided in one place.

Every read the phone makes and every row a pull returns is filtered by :func:`scope_clause`;
every write a push applies checks its target row with the ``check_*`` functions (which use the
same clause); the live hub pokes :func:`staff_who_see` a changed row. So "who sees what" has
exactly one definition, the rules below. Nobody sees anything of another campus.

Everyone (whatever their roles)
    their campus row, the campus's staff list, courses and stages; the campus-wide targets and
    stage targets (no ``staff_id``) and their own. Staff rows never carry ``pin_hash``
    (:data:`PUBLIC_EXCLUDED_FIELDS`); colleagues' rows reach someone who is not campus-wide
    with names and roles only (:func:`excluded_fields` also drops ``phone`` and ``hired_on``).

manager (校长/店长) and front_desk (前台)
    everything of their campus.

consultant (课程顾问) — "my students" are
    the students whose ``consultant_id`` is them, the students of their trials
    (``TrialLesson.consultant_id``) and of the orders they signed (``Order.consultant_id``).
    They see those students; their parents (through live ``StudentParent`` links) and those
    parents' communication records; the orders of those students and every order they signed;
    trials where they are the consultant or of their students; lessons their students are
    enrolled in (read-only: only the lesson row and their own students' enrolment, attendance
    and consumption entries, not the rest of the class); growth records of their students;
    their own stage activities.

teacher (教师) — "my students" are
    the students enrolled (live ``LessonStudent``) in live lessons they teach and the students
    of trials where they are the intent teacher. They see the lessons they teach with every
    enrolment, attendance mark and consumption entry of those lessons; those students, their
    parents and the parents' communication records; trials where they are the intent teacher
    or whose lesson they teach; growth records of those students and every one they wrote;
    their own stage activities. Orders are not theirs to see (the money figures they are judged
    on come computed from :mod:`shared.progress`).

Both consultant and teacher
    see the communication records they wrote themselves and the parents those records are
    about, even when no student links them.

Several roles give the union of their scopes. Membership is decided by live links (a deleted
enrolment or trial no longer brings its student in), while the rows themselves are matched
whatever their ``is_deleted``: a tombstone reaches exactly the people who saw the row, which
is what a pull since version N needs.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, false, or_, select, union
from sqlalchemy.orm import Session

from .auth import Principal
from .errors import Forbidden, Invalid
from .models import (
    SYNCED_MODELS,
    Attendance,
    Campus,
    CommunicationRecord,
    ConsumptionEntry,
    Course,
    GrowthRecord,
    Lesson,
    LessonStudent,
    Order,
    Parent,
    Role,
    Staff,
    Stage,
    StageActivity,
    StageTarget,
    Student,
    StudentParent,
    Synced,
    Target,
    TrialLesson,
)
from .services.common import get_live

M = TypeVar("M", bound=Synced)

#: Fields a pull never returns to anyone, by table.
PUBLIC_EXCLUDED_FIELDS: dict[str, frozenset[str]] = {"staff": frozenset({"pin_hash"})}

#: What a caller who is not campus-wide also does not get of the staff list (names/roles only).
COLLEAGUE_EXCLUDED_FIELDS: dict[str, frozenset[str]] = {
    "staff": frozenset({"pin_hash", "phone", "hired_on"})
}

#: Tables every staff member sees whole for their campus.
EVERYONE_TABLES = frozenset({"campuses", "staff", "courses", "stages"})

_LABELS: dict[type[Synced], str] = {
    Campus: "校区",
    Staff: "员工",
    Student: "学员",
    Parent: "家长",
    StudentParent: "家长关系",
    CommunicationRecord: "沟通记录",
    Course: "课程",
    TrialLesson: "试听",
    Order: "订单",
    Lesson: "课程安排",
    LessonStudent: "上课名单",
    Attendance: "考勤记录",
    ConsumptionEntry: "划课记录",
    GrowthRecord: "成长记录",
    Stage: "环节",
    StageActivity: "环节记录",
    Target: "目标",
    StageTarget: "环节目标",
}

_MODEL_BY_TABLE: dict[str, type[Synced]] = {m.__tablename__: m for m in SYNCED_MODELS}


def excluded_fields(p: Principal, table: str) -> frozenset[str]:
    """Fields of ``table`` a pull must leave out for ``p`` (always at least ``pin_hash``)."""
    if p.is_campus_wide:
        return PUBLIC_EXCLUDED_FIELDS.get(table, frozenset())
    return COLLEAGUE_EXCLUDED_FIELDS.get(table, PUBLIC_EXCLUDED_FIELDS.get(table, frozenset()))


# --------------------------------------------------------------------------- the sets


class _Scope:
    """The id sets of one restricted principal (consultant and/or teacher) as subqueries."""

    def __init__(self, p: Principal) -> None:
        self.me = p.staff_id
        self.campus = p.campus_id
        self.consultant = p.has_role(Role.CONSULTANT)
        self.teacher = p.has_role(Role.TEACHER)

    def _in_campus(self, ids: CompoundSelect[Any] | Select[Any]) -> Select[tuple[str]]:
        # Links are same-campus by the services' rules; this keeps a stray one from leaking.
        return select(Student.id).where(Student.campus_id == self.campus, Student.id.in_(ids))

    def consultant_students(self) -> Select[tuple[str]]:
        """Students whose consultant I am, or of my live trials and orders."""
        return self._in_campus(
            union(
                select(Student.id).where(Student.consultant_id == self.me),
                select(TrialLesson.student_id).where(
                    TrialLesson.consultant_id == self.me, TrialLesson.is_deleted.is_(False)
                ),
                select(Order.student_id).where(
                    Order.consultant_id == self.me, Order.is_deleted.is_(False)
                ),
            )
        )

    def taught_lessons(self, *, live: bool) -> Select[tuple[str]]:
        """Lessons I teach (tombstones too unless ``live``)."""
        stmt = select(Lesson.id).where(
            Lesson.teacher_id == self.me, Lesson.campus_id == self.campus
        )
        return stmt.where(Lesson.is_deleted.is_(False)) if live else stmt

    def teacher_students(self) -> Select[tuple[str]]:
        """Students in live lessons I teach, or of live trials where I am intent teacher."""
        return self._in_campus(
            union(
                select(LessonStudent.student_id).where(
                    LessonStudent.lesson_id.in_(self.taught_lessons(live=True)),
                    LessonStudent.is_deleted.is_(False),
                ),
                select(TrialLesson.student_id).where(
                    TrialLesson.intent_teacher_id == self.me, TrialLesson.is_deleted.is_(False)
                ),
            )
        )

    def students(self) -> Select[tuple[str]] | None:
        """All my students (None when I hold neither role)."""
        parts = []
        if self.consultant:
            parts.append(self.consultant_students())
        if self.teacher:
            parts.append(self.teacher_students())
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return select(Student.id).where(Student.id.in_(union(*parts)))

    def parents(self) -> Select[tuple[str]]:
        """Parents of my students, and parents of communication records I wrote."""
        mine = select(CommunicationRecord.parent_id).where(
            CommunicationRecord.staff_id == self.me,
            CommunicationRecord.campus_id == self.campus,
            CommunicationRecord.is_deleted.is_(False),
        )
        students = self.students()
        if students is None:
            ids: CompoundSelect[Any] | Select[Any] = mine
        else:
            linked = select(StudentParent.parent_id).where(
                StudentParent.student_id.in_(students), StudentParent.is_deleted.is_(False)
            )
            ids = union(linked, mine)
        return select(Parent.id).where(Parent.campus_id == self.campus, Parent.id.in_(ids))


def _any(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    present = [c for c in conditions if c is not None]
    return or_(*present) if present else false()


def _campus_clause(campus_id: str, model: type[Synced]) -> ColumnElement[bool]:
    """Every row of ``model`` that belongs to the campus."""
    if model is Campus:
        return Campus.id == campus_id
    if model is StudentParent:
        return StudentParent.student_id.in_(
            select(Student.id).where(Student.campus_id == campus_id)
        )
    if model is LessonStudent:
        return LessonStudent.lesson_id.in_(select(Lesson.id).where(Lesson.campus_id == campus_id))
    column = model.__table__.c.campus_id
    return column == campus_id


def _restricted_clause(p: Principal, model: type[Synced]) -> ColumnElement[bool]:
    """The rows of ``model`` a consultant and/or teacher (not campus-wide) may see."""
    s = _Scope(p)
    campus = _campus_clause(p.campus_id, model)
    if model.__tablename__ in EVERYONE_TABLES:
        return campus
    c, t = s.consultant, s.teacher
    students = s.students()
    if model is Student:
        return and_(campus, Student.id.in_(students)) if students is not None else false()
    if model is Parent:
        return and_(campus, Parent.id.in_(s.parents()))
    if model is StudentParent:
        return StudentParent.student_id.in_(students) if students is not None else false()
    if model is CommunicationRecord:
        return and_(
            campus,
            or_(
                CommunicationRecord.parent_id.in_(s.parents()),
                CommunicationRecord.staff_id == s.me,
            ),
        )
    if model is TrialLesson:
        return and_(
            campus,
            _any(
                TrialLesson.consultant_id == s.me if c else None,
                TrialLesson.student_id.in_(s.consultant_students()) if c else None,
                TrialLesson.intent_teacher_id == s.me if t else None,
                TrialLesson.lesson_id.in_(s.taught_lessons(live=False)) if t else None,
            ),
        )
    if model is Order:
        return and_(
            campus,
            _any(
                Order.consultant_id == s.me if c else None,
                Order.student_id.in_(s.consultant_students()) if c else None,
            ),
        )
    if model is Lesson:
        return and_(
            campus,
            _any(
                Lesson.teacher_id == s.me if t else None,
                Lesson.id.in_(
                    select(LessonStudent.lesson_id).where(
                        LessonStudent.student_id.in_(s.consultant_students()),
                        LessonStudent.is_deleted.is_(False),
                    )
                )
                if c
                else None,
            ),
        )
    if model is LessonStudent:
        return and_(
            campus,
            _any(
                LessonStudent.lesson_id.in_(s.taught_lessons(live=False)) if t else None,
                LessonStudent.student_id.in_(s.consultant_students()) if c else None,
            ),
        )
    if model is Attendance:
        return and_(
            campus,
            _any(
                Attendance.lesson_id.in_(s.taught_lessons(live=False)) if t else None,
                Attendance.student_id.in_(s.consultant_students()) if c else None,
            ),
        )
    if model is ConsumptionEntry:
        return and_(
            campus,
            _any(
                ConsumptionEntry.teacher_id == s.me if t else None,
                ConsumptionEntry.student_id.in_(s.consultant_students()) if c else None,
            ),
        )
    if model is GrowthRecord:
        return and_(
            campus,
            _any(
                GrowthRecord.student_id.in_(students) if students is not None else None,
                GrowthRecord.teacher_id == s.me,
            ),
        )
    if model is StageActivity:
        return and_(campus, StageActivity.staff_id == s.me)
    if model is Target:
        return and_(campus, or_(Target.staff_id.is_(None), Target.staff_id == s.me))
    if model is StageTarget:
        return and_(campus, or_(StageTarget.staff_id.is_(None), StageTarget.staff_id == s.me))
    raise ValueError(f"no scope rule for {model.__name__}")  # pragma: no cover - test covers all


def scope_clause(session: Session, p: Principal, model: type[Synced]) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``model`` (any synced model) within ``p``'s scope.

    Tombstones are matched like live rows, so a pull uses it as is:
    ``select(model).where(scope_clause(s, p, model), model.version > since)``. The clause is
    plain SQL with subqueries; ``session`` is not queried.
    """
    if model not in _LABELS:
        raise ValueError(f"{model!r} is not a synced model")
    if p.is_campus_wide:
        return _campus_clause(p.campus_id, model)
    return _restricted_clause(p, model)


def visible_student_ids(session: Session, p: Principal) -> set[str]:
    """Ids of the live students in ``p``'s scope."""
    return set(
        session.scalars(
            select(Student.id).where(
                scope_clause(session, p, Student), Student.is_deleted.is_(False)
            )
        )
    )


# --------------------------------------------------------------------------- checks


def is_visible(session: Session, p: Principal, model: type[Synced], row_id: str) -> bool:
    """Whether the row ``row_id`` of ``model`` (deleted or not) is within ``p``'s scope."""
    found = session.scalar(
        select(model.id).where(model.id == row_id, scope_clause(session, p, model))
    )
    return found is not None


def check_visible(session: Session, p: Principal, model: type[M], row_id: object, field: str) -> M:
    """The live row of ``model``; ``NotFound`` when missing or deleted, ``Forbidden`` when it
    lies outside ``p``'s scope (another campus included), both naming ``field``."""
    row = get_live(session, model, row_id, field)
    if not is_visible(session, p, model, row.id):
        raise Forbidden(f"{field}: 无权访问该{_LABELS[model]}")
    return row


def check_student(
    session: Session, p: Principal, student_id: object, field: str = "student_id"
) -> Student:
    """A student ``p`` may see."""
    return check_visible(session, p, Student, student_id, field)


def check_parent(
    session: Session, p: Principal, parent_id: object, field: str = "parent_id"
) -> Parent:
    """A parent ``p`` may see."""
    return check_visible(session, p, Parent, parent_id, field)


def check_lesson(
    session: Session,
    p: Principal,
    lesson_id: object,
    field: str = "lesson_id",
    *,
    write: bool = False,
) -> Lesson:
    """A lesson ``p`` may see; with ``write`` (点名) only its teacher or a manager/front desk."""
    lesson = check_visible(session, p, Lesson, lesson_id, field)
    if write and not (p.is_campus_wide or lesson.teacher_id == p.staff_id):
        raise Forbidden(f"{field}: 只有任课教师或校区管理人员可以点名")
    return lesson


def check_trial(
    session: Session, p: Principal, trial_id: object, field: str = "trial_id"
) -> TrialLesson:
    """A trial lesson ``p`` may see."""
    return check_visible(session, p, TrialLesson, trial_id, field)


def check_communication(
    session: Session, p: Principal, record_id: object, field: str = "record_id"
) -> CommunicationRecord:
    """A communication record ``p`` may see."""
    return check_visible(session, p, CommunicationRecord, record_id, field)


# --------------------------------------------------------------------------- live hub


def model_of_table(table: str) -> type[Synced]:
    """The synced model stored in ``table``; ``Invalid`` for any other name."""
    model = _MODEL_BY_TABLE.get(table)
    if model is None:
        raise Invalid("table", f"不是可同步的数据表：{table!r}")
    return model


def _campus_of(session: Session, row: Synced) -> str | None:
    if isinstance(row, Campus):
        return row.id
    if isinstance(row, StudentParent):
        return session.scalar(select(Student.campus_id).where(Student.id == row.student_id))
    if isinstance(row, LessonStudent):
        return session.scalar(select(Lesson.campus_id).where(Lesson.id == row.lesson_id))
    return getattr(row, "campus_id", None)


def staff_who_see(session: Session, table: str, row: Synced) -> set[str]:
    """Ids of the active staff whose scope includes ``row`` (of ``table``) as stored now.

    Managers and front desk of the row's campus always; others by :func:`scope_clause`, one
    small query each. A row that just left someone's scope (a student handed to another
    consultant) is not theirs any more and they are not listed.
    """
    model = model_of_table(table)
    if not isinstance(row, model):
        raise Invalid("table", f"{type(row).__name__} 不属于数据表 {table}")
    campus_id = _campus_of(session, row)
    if campus_id is None:
        return set()
    people = session.execute(
        select(Staff.id, Staff.name, Staff.roles).where(
            Staff.campus_id == campus_id, Staff.is_deleted.is_(False), Staff.active.is_(True)
        )
    ).all()
    seen: set[str] = set()
    for staff_id, name, roles in people:
        p = Principal(staff_id, campus_id, name, tuple(roles), None)
        if p.is_campus_wide or table in EVERYONE_TABLES or is_visible(session, p, model, row.id):
            seen.add(staff_id)
    return seen
