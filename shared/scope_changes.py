"""Rows that left or entered a caller's scope since a version, without changing themselves.

A pull returns the rows in scope whose own version is newer than ``since``. That misses
rows whose *visibility* changed through another row: a student handed to another consultant
takes its parents, their communication records, its orders, trials, enrolments, attendance,
consumption and growth records out of the first consultant's scope (and into the second's),
while those rows keep their old versions; a lesson moved to another teacher does the same to
its enrolments, attendance, trials and students.

What can move a row in or out of a scope is known exactly: the columns the scope rules read
(:func:`anchor_columns`, found in the rule templates themselves, per kind of principal). Every
edit of a column records the version it happened at (``field_versions``,
:mod:`shared.versioning`; inserts only ever add to a scope). So the *anchors* since a version
are the rows whose such columns changed after it, and the rows whose visibility they can
have moved are found by following the rules' links from them (:func:`scope_shift`): a
student anchor reaches its links, parents, the parents' records, orders, trials, enrolments,
lessons, attendance, consumption and growth records; a lesson anchor its enrolments,
attendance, trials and enrolled students (and from them as above); a parent link or a
communication record anchor its parent and the parent's records.

Of those *candidates*, the ones out of the caller's scope now are ``gone`` (the phone drops
them if it holds them), and the ones in scope now but not changed since ``since`` have
*entered* (the phone may never have had them; the pull sends them as changes). Only anchors
that can grant the caller something count for *entered*: every rule grants visibility through
a live row to the staff member it names, so a tombstone grants nothing, nor does a change of
owner columns alone (:data:`OWNER_COLUMNS`) to somebody else — the consultant who hands a
student over but still sees it through an order is sent nothing again. The candidates are
still a superset of what really moved — the old values are not kept, so a student reassigned
between two other consultants is a candidate too, and whoever receives a student gets all of
its rows, also those they had through another path — which costs ids and bandwidth, never a
row's content out of scope: a ``gone`` entry is an id only, of the caller's campus, of a row
whose visibility structure changed.

A change of the caller's own roles (or campus) changes the kind of their scope as a whole;
then :func:`roles_changed_since` says so and the pull starts the phone over.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Column, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from . import permissions
from .auth import Principal
from .models import (
    SYNCED_MODELS,
    Attendance,
    CommunicationRecord,
    ConsumptionEntry,
    GrowthRecord,
    Lesson,
    LessonStudent,
    Order,
    Parent,
    StageTarget,
    Student,
    StudentParent,
    Synced,
    Target,
    TrialLesson,
)
from .sync_models import FieldVersion

#: Ids per ``IN (…)`` list (well below SQLite's limit on bound variables).
CHUNK = 500

#: The caller's own staff fields whose change changes the kind of their whole scope.
ROLE_FIELDS = ("roles", "campus_id")

_MODEL_BY_TABLE = {m.__table__: m for m in SYNCED_MODELS}


@functools.cache
def anchor_columns(kind: permissions.ScopeKind) -> dict[type[Synced], frozenset[str]]:
    """For each synced model, the columns of its rows that any scope rule of ``kind`` reads
    (of the row itself or of it as a linked row): a change of one may move rows in or out of
    a scope of that kind. ``id`` is left out (never edited)."""
    found: dict[type[Synced], set[str]] = {}
    for model in SYNCED_MODELS:
        template = permissions.scope_template(kind, model, per_row=True)
        for element in visitors.iterate(template):
            if not isinstance(element, Column):
                continue
            table = getattr(element.table, "element", element.table)  # an alias: its table
            owner = _MODEL_BY_TABLE.get(table)
            if owner is not None and element.key != "id":
                found.setdefault(owner, set()).add(element.key)
    return {model: frozenset(columns) for model, columns in found.items()}


@dataclass
class ScopeShift:
    """What a pull since a version must add: ids out of scope now, and rows in scope now that
    did not change themselves, by model."""

    gone: dict[type[Synced], set[str]] = field(default_factory=dict)
    entered: dict[type[Synced], set[str]] = field(default_factory=dict)


def roles_changed_since(session: Session, p: Principal, since: int) -> bool:
    """Whether the caller's roles (or campus) changed after version ``since``."""
    fv = FieldVersion.__table__.c
    return (
        session.execute(
            select(fv.field).where(
                fv.table_name == "staff",
                fv.row_id == p.staff_id,
                fv.field.in_(ROLE_FIELDS),
                fv.version > since,
            )
        ).first()
        is not None
    )


def chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@functools.cache
def _anchor_statement(model: type[Synced], columns: frozenset[str]) -> Select[tuple[str, ...]]:
    """Rows of ``model`` in a campus whose ``columns`` changed after a version, with the
    links to follow from them."""
    t = model.__table__
    fv = FieldVersion.__table__.alias()
    changed = exists().where(
        fv.c.table_name == t.name,
        fv.c.row_id == t.c.id,
        or_(*(fv.c.field == name for name in sorted(columns))),
        fv.c.version > bindparam("since"),
    )
    fields = (
        select(func.group_concat(fv.c.field, ","))
        .where(
            fv.c.table_name == t.name,
            fv.c.row_id == t.c.id,
            or_(*(fv.c.field == name for name in sorted(columns))),
            fv.c.version > bindparam("since"),
        )
        .scalar_subquery()
    )
    owners = [t.c[name] for name in OWNER_COLUMNS if name in t.c]
    links = [t.c[name] for name in _LINKS.get(model, ()) if name in t.c]
    statement = select(t.c.id, t.c.is_deleted, fields, *owners, *links).where(
        t.c.version > bindparam("since"), changed
    )
    campus = bindparam("campus", type_=t.c.id.type)
    # The version index is the start (the campus is only checked: its index would walk the
    # whole campus), as in the scope rules' per-row shape.
    if "campus_id" in t.c:
        return statement.where(permissions.unindexed(t.c.campus_id) == campus)
    if model is StudentParent:
        st = Student.__table__
        return statement.where(
            select(st.c.id).where(st.c.id == t.c.student_id, st.c.campus_id == campus).exists()
        )
    if model is LessonStudent:
        ls = Lesson.__table__
        return statement.where(
            select(ls.c.id).where(ls.c.id == t.c.lesson_id, ls.c.campus_id == campus).exists()
        )
    return statement.where(t.c.id == campus)  # the campus row itself


#: Columns that name the one staff member a row grants visibility to (``None`` on a target:
#: the whole campus's). A change of only these grants nothing to anybody but the new owner.
OWNER_COLUMNS = ("consultant_id", "teacher_id", "intent_teacher_id", "staff_id")


# The links followed from an anchor row (its columns naming other rows whose scope it feeds).
_LINKS: dict[type[Synced], tuple[str, ...]] = {
    Student: (),
    TrialLesson: ("student_id",),
    Order: ("student_id",),
    LessonStudent: ("student_id", "lesson_id"),
    StudentParent: ("parent_id",),
    CommunicationRecord: ("parent_id",),
}


def _ids_by(session: Session, model: type[Synced], column: str, keys: Iterable[str]) -> list[tuple]:
    """``(id, *rest)`` of the rows of ``model`` whose ``column`` is one of ``keys``."""
    t = model.__table__
    rest = [t.c[name] for name in _LINKS.get(model, ()) if name in t.c and name != column]
    found: list[tuple] = []
    for chunk in chunks(keys):
        found += session.execute(
            select(t.c.id, t.c[column], *rest).where(t.c[column].in_(chunk))
        ).all()
    return found


def scope_shift(
    session: Session, p: Principal, since: int, changed: Iterable[type[Synced]]
) -> ScopeShift:
    """The rows whose visibility to ``p`` may have changed after ``since`` without their own
    version moving: ``gone`` (out of scope now) and ``entered`` (in scope now, version not
    above ``since``). ``changed``: the models with any row newer than ``since`` (the only
    ones that can hold anchors). See the module notes."""
    kind = permissions.scope_kind(p)
    columns = anchor_columns(kind)
    anchors: list[_Anchor] = []
    for model in changed:
        wanted = columns.get(model)
        if not wanted:
            continue
        owners = [name for name in OWNER_COLUMNS if name in model.__table__.c]
        links = [name for name in _LINKS.get(model, ()) if name in model.__table__.c]
        for row_id, is_deleted, fields, *values in session.execute(
            _anchor_statement(model, wanted), {"since": since, "campus": p.campus_id}
        ):
            owner_values = values[: len(owners)]
            anchors.append(
                _Anchor(
                    model,
                    row_id,
                    dict(zip(links, values[len(owners) :], strict=True)),
                    _shrinks_only(
                        p, model, wanted, bool(is_deleted), set(fields.split(",")), owner_values
                    ),
                )
            )
    if not anchors:
        return ScopeShift()
    may_have_left = _reached(session, anchors)
    may_have_entered = (
        may_have_left
        if all(not a.shrinks_only for a in anchors)
        else _reached(session, [a for a in anchors if not a.shrinks_only])
    )
    shift = ScopeShift()
    for model in may_have_left.keys() | may_have_entered.keys():
        ids = may_have_left.get(model, set()) | may_have_entered.get(model, set())
        inside = _in_scope(session, p, kind, model, ids)
        gone = may_have_left.get(model, set()) - inside.keys()
        entered = {
            row_id
            for row_id in may_have_entered.get(model, set())
            if row_id in inside and inside[row_id] <= since
        }
        if gone:
            shift.gone[model] = gone
        if entered:
            shift.entered[model] = entered
    return shift


def _shrinks_only(
    p: Principal,
    model: type[Synced],
    read: frozenset[str],
    is_deleted: bool,
    changed: set[str],
    owners: list[str | None],
) -> bool:
    """Whether an anchor's change can only have taken rows out of ``p``'s scope, never
    brought any in: every rule grants visibility through a live row to the staff member it
    names. So a tombstone (of a row whose liveness the rules read) grants nothing, nor does a
    change of owner columns alone to somebody else (a student handed from one colleague to
    another, or away from ``p``)."""
    if is_deleted and "is_deleted" in read:
        return True
    if changed <= set(OWNER_COLUMNS):
        everyone = model in (Target, StageTarget)  # a target without a person is everyone's
        return not any(owner == p.staff_id or (owner is None and everyone) for owner in owners)
    return False


@dataclass(frozen=True)
class _Anchor:
    """A row whose columns read by the scope rules changed, and the rows it names."""

    model: type[Synced]
    id: str
    links: dict[str, str | None]
    shrinks_only: bool


def _reached(session: Session, anchors: list[_Anchor]) -> dict[type[Synced], set[str]]:
    """The anchors and every row whose visibility they decide (module notes)."""
    candidates: dict[type[Synced], set[str]] = {}
    students: set[str] = set()
    lessons: set[str] = set()  # lessons whose teacher or liveness changed: follow them whole
    parents: set[str] = set()

    def add(model: type[Synced], ids: Iterable[str]) -> None:
        candidates.setdefault(model, set()).update(ids)

    for anchor in anchors:
        add(anchor.model, [anchor.id])
        if anchor.model is Student:
            students.add(anchor.id)
        elif anchor.model is Lesson:
            lessons.add(anchor.id)
        if anchor.links.get("student_id"):
            students.add(anchor.links["student_id"])
        if anchor.links.get("parent_id"):
            parents.add(anchor.links["parent_id"])
        if anchor.model is LessonStudent and anchor.links.get("lesson_id"):
            add(Lesson, [anchor.links["lesson_id"]])  # a consultant sees a lesson through it
    # A lesson's teacher decides its enrolments, attendance, trials and enrolled students.
    if lessons:
        for model in (LessonStudent, Attendance, TrialLesson):
            found = _ids_by(session, model, "lesson_id", lessons)
            add(model, (row[0] for row in found))
            if model is LessonStudent:
                students.update(row[2] for row in found)
    # A student decides its links (and so its parents), orders, trials, enrolments (and the
    # lessons a consultant sees through them), attendance, consumption and growth records.
    if students:
        add(Student, students)
        for model in (
            StudentParent,
            Order,
            TrialLesson,
            LessonStudent,
            Attendance,
            ConsumptionEntry,
            GrowthRecord,
        ):
            found = _ids_by(session, model, "student_id", students)
            add(model, (row[0] for row in found))
            if model is StudentParent:
                parents.update(row[2] for row in found)
            elif model is LessonStudent:
                add(Lesson, (row[2] for row in found))
    # A parent decides its communication records.
    if parents:
        add(Parent, parents)
        found = _ids_by(session, CommunicationRecord, "parent_id", parents)
        add(CommunicationRecord, (row[0] for row in found))
    return candidates


@functools.cache
def _in_scope_statement(kind: permissions.ScopeKind, model: type[Synced]) -> Select[tuple]:
    c = model.__table__.c
    return select(c.id, c.version).where(
        c.id.in_(bindparam("ids", expanding=True)),
        permissions.scope_template(kind, model, per_row=True),
    )


def _in_scope(
    session: Session,
    p: Principal,
    kind: permissions.ScopeKind,
    model: type[Synced],
    ids: set[str],
) -> dict[str, int]:
    """The versions of those of ``ids`` that are in ``p``'s scope now (of ``p``'s campus:
    the scope never leaves it)."""
    params = permissions.scope_params(p)
    inside: dict[str, int] = {}
    for chunk in chunks(ids):
        inside.update(
            session.execute(_in_scope_statement(kind, model), {**params, "ids": chunk}).all()
        )
    return inside
