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

How the rules run: they are written once (:class:`_Sets`, :func:`_restricted_clause`) and
built once per kind of principal into a template with the principal left as bind parameters
(:func:`scope_template`), in two shapes that keep the same rows — one that lists a scope from
the caller's sets, one that starts from given rows and probes indexes (a row check, a push's
rows, a recent pull). Which columns of the row the rules read is known too
(:func:`scope_columns`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    FromClause,
    Select,
    UnaryExpression,
    and_,
    bindparam,
    false,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.operators import custom_op

from .auth import Principal
from .errors import Forbidden, Invalid, NotFound
from .models import (
    GUID,
    SYNCED_MODELS,
    Attendance,
    Campus,
    CommunicationRecord,
    ConsumptionEntry,
    GrowthRecord,
    Lesson,
    LessonStudent,
    Order,
    Parent,
    Role,
    Staff,
    StageActivity,
    StageTarget,
    Student,
    StudentParent,
    Synced,
    Target,
    TrialLesson,
)
from .services.common import check_uuid, label_of

M = TypeVar("M", bound=Synced)

#: Fields a pull never returns to anyone, by table.
PUBLIC_EXCLUDED_FIELDS: dict[str, frozenset[str]] = {"staff": frozenset({"pin_hash"})}

#: What a caller who is not campus-wide also does not get of the staff list (names/roles only).
COLLEAGUE_EXCLUDED_FIELDS: dict[str, frozenset[str]] = {
    "staff": frozenset({"pin_hash", "phone", "hired_on"})
}

#: Tables every staff member sees whole for their campus.
EVERYONE_TABLES = frozenset({"campuses", "staff", "courses", "stages"})

#: Names of the bind parameters a scope template leaves open (see :func:`scope_template`).
STAFF_PARAM = "scope_staff_id"
CAMPUS_PARAM = "scope_campus_id"
ROW_PARAM = "scope_row_id"


_MODEL_BY_TABLE: dict[str, type[Synced]] = {m.__tablename__: m for m in SYNCED_MODELS}


def excluded_fields(p: Principal, table: str) -> frozenset[str]:
    """Fields of ``table`` a pull must leave out for ``p`` (always at least ``pin_hash``)."""
    if p.is_campus_wide:
        return PUBLIC_EXCLUDED_FIELDS.get(table, frozenset())
    return COLLEAGUE_EXCLUDED_FIELDS.get(table, PUBLIC_EXCLUDED_FIELDS.get(table, frozenset()))


# --------------------------------------------------------------------------- the sets


@dataclass(frozen=True, slots=True)
class ScopeKind:
    """What shapes a principal's scope besides who they are and where: their roles."""

    campus_wide: bool
    consultant: bool
    teacher: bool


def scope_kind(p: Principal) -> ScopeKind:
    """The kind of scope ``p`` has (campus-wide roles make the others irrelevant)."""
    if p.is_campus_wide:
        return ScopeKind(campus_wide=True, consultant=False, teacher=False)
    return ScopeKind(
        campus_wide=False, consultant=p.has_role(Role.CONSULTANT), teacher=p.has_role(Role.TEACHER)
    )


def scope_params(p: Principal) -> dict[str, str]:
    """The values of a scope template's open parameters for ``p``."""
    return {STAFF_PARAM: p.staff_id, CAMPUS_PARAM: p.campus_id}


# The principal stays open in the templates, so that one template (and the one compiled SQL
# string SQLAlchemy caches for each statement made from it) serves every principal of a kind.
_ME: BindParameter[str] = bindparam(STAFF_PARAM, type_=GUID())
_CAMPUS: BindParameter[str] = bindparam(CAMPUS_PARAM, type_=GUID())


def _alias(model: type[Synced]) -> FromClause:
    # Every table inside a set gets an alias of its own, so that a subquery never
    # correlates by accident with an outer query over the same table.
    return model.__table__.alias()


def unindexed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` behind SQLite's no-op unary ``+``: same value, but no index on it is used
    for the term (SQLite's documented way to steer a query plan by hand)."""
    return UnaryExpression(column, operator=_PLUS, type_=column.type)


_PLUS = custom_op("+")


class _Sets:
    """The sets a restricted principal's scope is made of, as conditions on a key column.

    Each set is written once, as the ids one or more SELECTs give, and tested with
    :meth:`member`, which renders it in one of two shapes that mean the same:

    * the *set* shape, ``key IN (SELECT … UNION SELECT …)``: SQLite builds the whole set
      once and can drive a query from it through an index on ``key`` — the right plan to
      list much of someone's scope (a first pull, "all my students");
    * the *per-row* shape, ``EXISTS (SELECT … WHERE selected = key) OR …``, correlated to
      the row being tested: SQLite starts from that row and probes indexes, never building
      a set — the right plan when the rows are few and known (one row by id, the rows of a
      push, the rows changed since a recent version).

    No rule is ever negated, so the NULL an ``IN`` gives for a missing key and the false an
    ``EXISTS`` gives act alike.

    SQLite has no statistics here, so it guesses, and takes any equality on an indexed
    column for a narrow start: it would walk a whole campus by ``campus_id``, or a
    teacher's years of lessons by ``teacher_id``, rather than start from the row's id or the
    version index. So in the per-row shape every filter column goes through :meth:`col`,
    which keeps its index out of the running (the anchor — the row's id, the versions, the
    key a subquery is correlated on — stays indexable); and in either shape the campus
    (:meth:`in_my_campus`) never drives a restricted scope, whose sets are always narrower.
    """

    def __init__(self, kind: ScopeKind, *, per_row: bool) -> None:
        self.consultant = kind.consultant
        self.teacher = kind.teacher
        self.per_row = per_row

    def col(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """``column`` as a filter term uses it: never an index in the per-row shape."""
        return unindexed(column) if self.per_row else column

    @staticmethod
    def in_my_campus(campus_id: ColumnElement[Any]) -> ColumnElement[bool]:
        """The row's ``campus_id`` is mine, checked on the row, never used to find rows."""
        return unindexed(campus_id) == _CAMPUS

    def member(self, key: ColumnElement[Any], parts: Sequence[Select[Any]]) -> ColumnElement[bool]:
        """``key`` is one of the ids the ``parts`` (one-column SELECTs) give."""
        if self.per_row:
            return or_(*(part.where(part.selected_columns[0] == key).exists() for part in parts))
        if len(parts) == 1:
            return key.in_(parts[0])
        return key.in_(union(*parts))

    def consultant_student(self, key: ColumnElement[Any]) -> ColumnElement[bool]:
        """Students whose consultant I am, or of my live trials and orders."""
        st, own, trial, order = _alias(Student), _alias(Student), _alias(TrialLesson), _alias(Order)
        col = self.col
        mine = self.member(
            st.c.id,
            [
                select(own.c.id).where(col(own.c.consultant_id) == _ME),
                select(trial.c.student_id).where(
                    col(trial.c.consultant_id) == _ME, trial.c.is_deleted.is_(False)
                ),
                select(order.c.student_id).where(
                    col(order.c.consultant_id) == _ME, order.c.is_deleted.is_(False)
                ),
            ],
        )
        # Links are same-campus by the services' rules; this keeps a stray one from leaking.
        return self.member(key, [select(st.c.id).where(self.in_my_campus(st.c.campus_id), mine)])

    def taught_lesson(self, key: ColumnElement[Any], *, live: bool) -> ColumnElement[bool]:
        """Lessons I teach (tombstones too unless ``live``)."""
        lesson = _alias(Lesson)
        conditions = [self.col(lesson.c.teacher_id) == _ME, self.in_my_campus(lesson.c.campus_id)]
        if live:
            conditions.append(lesson.c.is_deleted.is_(False))
        return self.member(key, [select(lesson.c.id).where(*conditions)])

    def teacher_student(self, key: ColumnElement[Any]) -> ColumnElement[bool]:
        """Students in live lessons I teach, or of live trials where I am intent teacher."""
        st, enrolment, trial = _alias(Student), _alias(LessonStudent), _alias(TrialLesson)
        mine = self.member(
            st.c.id,
            [
                select(enrolment.c.student_id).where(
                    self.taught_lesson(enrolment.c.lesson_id, live=True),
                    enrolment.c.is_deleted.is_(False),
                ),
                select(trial.c.student_id).where(
                    self.col(trial.c.intent_teacher_id) == _ME, trial.c.is_deleted.is_(False)
                ),
            ],
        )
        return self.member(key, [select(st.c.id).where(self.in_my_campus(st.c.campus_id), mine)])

    def student(self, key: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """All my students (None when I hold neither role)."""
        parts = []
        if self.consultant:
            parts.append(self.consultant_student(key))
        if self.teacher:
            parts.append(self.teacher_student(key))
        return or_(*parts) if parts else None

    def parent(self, key: ColumnElement[Any]) -> ColumnElement[bool]:
        """Parents of my students, and parents of communication records I wrote."""
        parent, link, record = _alias(Parent), _alias(StudentParent), _alias(CommunicationRecord)
        ids = [
            select(record.c.parent_id).where(
                self.col(record.c.staff_id) == _ME,
                self.in_my_campus(record.c.campus_id),
                record.c.is_deleted.is_(False),
            )
        ]
        linked_student = self.student(link.c.student_id)
        if linked_student is not None:
            ids.insert(
                0,
                select(link.c.parent_id).where(linked_student, link.c.is_deleted.is_(False)),
            )
        mine = self.member(parent.c.id, ids)
        return self.member(
            key, [select(parent.c.id).where(self.in_my_campus(parent.c.campus_id), mine)]
        )


def _campus_clause(model: type[Synced], *, per_row: bool, drives: bool) -> ColumnElement[bool]:
    """Every row of ``model`` that belongs to the campus.

    ``drives`` when the campus may be where the query starts: it is everything a campus-wide
    scope asks, while in a restricted one it is only a check (link rows, whose campus is on
    their other end, are then checked row by row: a whole campus of students or lessons is
    never the narrowest start, and ``IN`` both it and a set made SQLite probe the product).
    """
    c = model.__table__.c
    if model is Campus:
        return c.id == _CAMPUS
    if model in (StudentParent, LessonStudent):
        sets = _Sets(ScopeKind(False, False, False), per_row=per_row or not drives)
        other, key = (
            (_alias(Student), c.student_id)
            if model is StudentParent
            else (_alias(Lesson), c.lesson_id)
        )
        return sets.member(key, [select(other.c.id).where(sets.col(other.c.campus_id) == _CAMPUS)])
    if drives and not per_row:
        return c.campus_id == _CAMPUS
    return _Sets.in_my_campus(c.campus_id)


def _any(*conditions: ColumnElement[bool] | None) -> ColumnElement[bool]:
    present = [c for c in conditions if c is not None]
    return or_(*present) if present else false()


def _restricted_clause(s: _Sets, model: type[Synced]) -> ColumnElement[bool]:
    """The rows of ``model`` a consultant and/or teacher (not campus-wide) may see."""
    c = model.__table__.c
    col = s.col
    if model.__tablename__ in EVERYONE_TABLES:
        return _campus_clause(model, per_row=s.per_row, drives=True)
    # Most of a campus's targets are its own, not a person's: there the campus is the start.
    drives = model in (Target, StageTarget)
    campus = _campus_clause(model, per_row=s.per_row, drives=drives)
    consultant, teacher = s.consultant, s.teacher
    if model is Student:
        student = s.student(c.id)
        return and_(campus, student) if student is not None else false()
    if model is Parent:
        return and_(campus, s.parent(c.id))
    if model is StudentParent:
        student = s.student(c.student_id)
        return student if student is not None else false()
    if model is CommunicationRecord:
        return and_(campus, or_(s.parent(c.parent_id), col(c.staff_id) == _ME))
    if model is TrialLesson:
        return and_(
            campus,
            _any(
                col(c.consultant_id) == _ME if consultant else None,
                s.consultant_student(c.student_id) if consultant else None,
                col(c.intent_teacher_id) == _ME if teacher else None,
                s.taught_lesson(c.lesson_id, live=False) if teacher else None,
            ),
        )
    if model is Order:
        return and_(
            campus,
            _any(
                col(c.consultant_id) == _ME if consultant else None,
                s.consultant_student(c.student_id) if consultant else None,
            ),
        )
    if model is Lesson:
        enrolment = _alias(LessonStudent)
        return and_(
            campus,
            _any(
                col(c.teacher_id) == _ME if teacher else None,
                s.member(
                    c.id,
                    [
                        select(enrolment.c.lesson_id).where(
                            s.consultant_student(enrolment.c.student_id),
                            enrolment.c.is_deleted.is_(False),
                        )
                    ],
                )
                if consultant
                else None,
            ),
        )
    if model in (LessonStudent, Attendance):
        return and_(
            campus,
            _any(
                s.taught_lesson(c.lesson_id, live=False) if teacher else None,
                s.consultant_student(c.student_id) if consultant else None,
            ),
        )
    if model is ConsumptionEntry:
        return and_(
            campus,
            _any(
                col(c.teacher_id) == _ME if teacher else None,
                s.consultant_student(c.student_id) if consultant else None,
            ),
        )
    if model is GrowthRecord:
        return and_(campus, _any(s.student(c.student_id), col(c.teacher_id) == _ME))
    if model is StageActivity:
        return and_(campus, col(c.staff_id) == _ME)
    if model in (Target, StageTarget):
        return and_(campus, or_(col(c.staff_id).is_(None), col(c.staff_id) == _ME))
    raise ValueError(f"no scope rule for {model.__name__}")  # pragma: no cover - test covers all


@functools.cache
def scope_template(
    kind: ScopeKind, model: type[Synced], *, per_row: bool = False
) -> ColumnElement[bool]:
    """The scope clause of ``model`` for every principal of ``kind``, the principal left open.

    Its bind parameters :data:`STAFF_PARAM` and :data:`CAMPUS_PARAM` are filled at execution
    from :func:`scope_params`. Built once per kind, model and shape (building one is slow:
    about a millisecond of SQLAlchemy constructs), so that a statement made from it once can
    be executed again and again and is compiled once. ``per_row`` picks the shape (see
    :class:`_Sets`); the rows matched are the same.
    """
    if model not in _MODEL_BY_TABLE.values():
        raise ValueError(f"{model!r} is not a synced model")
    if kind.campus_wide:
        return _campus_clause(model, per_row=per_row, drives=True)
    return _restricted_clause(_Sets(kind, per_row=per_row), model)


_KINDS = tuple(
    ScopeKind(campus_wide=wide, consultant=consultant, teacher=teacher)
    for wide, consultant, teacher in (
        (True, False, False),
        (False, True, False),
        (False, False, True),
        (False, True, True),
        (False, False, False),
    )
)


@functools.cache
def scope_columns(model: type[Synced]) -> tuple[str, ...]:
    """The columns of a ``model`` row that any scope rule reads (for any kind of principal).

    Rows that agree on these are seen by exactly the same people, whatever else they hold:
    the rules read nothing else of the row itself.
    """
    table = model.__table__
    names: set[str] = set()
    for kind in _KINDS:
        for element in visitors.iterate(scope_template(kind, model, per_row=True)):
            if isinstance(element, Column) and element.table is table:
                names.add(element.key)
    return tuple(sorted(names))


def scope_clause(
    session: Session, p: Principal, model: type[Synced], *, per_row: bool = False
) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``model`` (any synced model) within ``p``'s scope.

    Tombstones are matched like live rows, so a pull uses it as is:
    ``select(model).where(scope_clause(s, p, model), model.version > since)``. The clause is
    plain SQL with subqueries; ``session`` is not queried. With ``per_row`` the subqueries
    are correlated ``EXISTS`` probes: use it when the query starts from a few known rows
    of ``model`` (by id, or by a recent version); the default suits queries that list much
    of the scope.
    """
    values = scope_params(p)

    def fill(bind: BindParameter[Any]) -> None:
        if bind.key in values:
            bind.value = values[bind.key]
            bind.required = False

    # A copy of the template with the principal's values (several times faster than building
    # the clause afresh; what ClauseElement.params() did before SQLAlchemy 2.1 deprecated it).
    return visitors.cloned_traverse(
        scope_template(scope_kind(p), model, per_row=per_row), {}, {"bindparam": fill}
    )


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


@functools.cache
def _visible_statement(kind: ScopeKind, model: type[Synced]) -> Select[Any]:
    c = model.__table__.c
    return select(c.id).where(
        c.id == bindparam(ROW_PARAM), scope_template(kind, model, per_row=True)
    )


def is_visible(session: Session, p: Principal, model: type[Synced], row_id: str) -> bool:
    """Whether the row ``row_id`` of ``model`` (deleted or not) is within ``p``'s scope."""
    statement = _visible_statement(scope_kind(p), model)
    found = session.execute(statement, {**scope_params(p), ROW_PARAM: row_id}).first()
    return found is not None


@functools.cache
def _checked_statement(kind: ScopeKind, model: type[Synced]) -> Select[Any]:
    # The row and whether it is in scope, in one query (a phone's write checks one or two).
    in_scope = scope_template(kind, model, per_row=True).label("in_scope")
    return select(model, in_scope).where(model.id == bindparam(ROW_PARAM))


def check_visible(session: Session, p: Principal, model: type[M], row_id: object, field: str) -> M:
    """The live row of ``model``; ``NotFound`` when missing or deleted, ``Forbidden`` when it
    lies outside ``p``'s scope (another campus included), both naming ``field``."""
    key = check_uuid(row_id, field)
    statement = _checked_statement(scope_kind(p), model)
    found = session.execute(statement, {**scope_params(p), ROW_PARAM: key}).first()
    if found is None or found[0].is_deleted:
        raise NotFound(f"{field}: {label_of(model)}不存在（{key}）")
    row, in_scope = found
    if not in_scope:
        raise Forbidden(f"{field}: 无权访问该{label_of(model)}")
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

    Managers and front desk of the row's campus always; others by :func:`is_visible`, one
    small query each that starts from the row. A row that just left someone's scope (a student
    handed to another consultant) is not theirs any more and they are not listed.
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
