"""The mutations a phone may push: their wire arguments and how each is applied.

A phone's outbox holds ``{mutation_id, name, args, base_version}``; :mod:`shared.sync_log`
applies them in order, one transaction each, through :func:`apply_mutation`. Every mutation
checks the caller's scope through :mod:`shared.permissions` and writes through the same
services the desktop uses, so a rule lives in one place.

Two kinds (DESIGN.md, "Sync"):

* **Appends** (``mark_attendance``, ``add_growth_record``, ``add_communication``,
  ``log_stage_activity``) insert rows keyed by a UUID the phone made. They never conflict.
  Re-sending an append whose id exists with the same content is a no-op; the same id with
  different content is refused (a phone bug, never a retry). Attendance is special: a mark is
  the current state of one student at one lesson, so re-marking the same attendance id with a
  new status is a correction that goes through the attendance service like a desktop re-mark.
* **Edits** (``record_trial_outcome``, ``edit_parent``, ``set_follow_up``) carry the
  ``base_version`` of the row the phone saw and only the fields it sets. Every sent field that
  differs from the stored one is written (the later-arriving write wins). When the same field
  also changed elsewhere after ``base_version`` (its entry in ``field_versions`` is newer) the
  write is reported as a same-field conflict with both values, for the desktop's conflict
  list. An edit of a deleted row writes nothing and is reported as a deleted-row conflict: a
  tombstone is never resurrected by a phone.

The merge decides only what gets *recorded*; what gets *written* is the same either way, so
the outcome never depends on how stale the phone was.

Argument models are pydantic v2, strict, ``extra="forbid"``, with every string and list
capped; a validation failure becomes :class:`~shared.errors.Invalid` naming the field by its
path inside ``args`` (``marks[0].status``). Dates are Asia/Shanghai business dates, checked
against the ``now`` the caller passes (see :func:`check_business_day`).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlalchemy import Date, Select, bindparam, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Session

from . import permissions
from .auth import Principal
from .errors import Forbidden, Invalid, NotFound
from .models import (
    Attendance,
    AttendanceStatus,
    CommunicationRecord,
    GrowthRecord,
    LessonStudent,
    Order,
    Parent,
    Role,
    SignType,
    Stage,
    StageActivity,
    Student,
    StudentParent,
    Synced,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)
from .periods import local_date_of
from .services.common import check_text, label_of
from .services.lessons import AttendanceMark, mark_attendance
from .services.parents import PARENT_FIELD_LIMITS, clean_parent_fields, edit_parent
from .versioning import current_version, field_versions, next_version

# How far business dates typed on a phone may lie from today (Asia/Shanghai). A day ahead
# tolerates a phone whose clock or time zone is slightly off around midnight; a year back
# lets a teacher catch up on old records but catches a mistyped year.
MAX_DAYS_AHEAD = 1
MAX_DAYS_BACK = 366
# A follow-up is planned at most a year ahead.
MAX_FOLLOW_UP_DAYS_AHEAD = 366

MAX_MARKS = 200  # students in one 点名; far above any class size

# --------------------------------------------------------------------------- wire types

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _canonical_id(value: str) -> str:
    if not _UUID.fullmatch(value):
        raise ValueError("编号必须是 UUID（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）")
    return value.lower()


def _parse_day(value: object) -> object:
    # Strict mode refuses strings for dates, but JSON has no date type: accept exactly the
    # ISO form YYYY-MM-DD (and real dates from Python callers), nothing looser.
    if isinstance(value, datetime):
        raise ValueError("日期不能带时间（YYYY-MM-DD）")
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("日期格式应为 YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("不是有效的日期") from None
    return value


RowId = Annotated[str, AfterValidator(_canonical_id)]
"""A row id made by a phone or read from a pull: a canonical lowercase UUID string."""

BusinessDay = Annotated[date, BeforeValidator(_parse_day)]
"""An Asia/Shanghai business date, ``YYYY-MM-DD`` on the wire."""

Rating = Annotated[int, Field(ge=1, le=5)]


# Text is stripped and capped; the caps are the column widths (free text: a generous page).
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
RequiredLongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
ProgressNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ParentName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=PARENT_FIELD_LIMITS["name"]),
]
ParentPhone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=PARENT_FIELD_LIMITS["phone"])
]
ParentWechat = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=PARENT_FIELD_LIMITS["wechat"])
]
ParentNotes = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=PARENT_FIELD_LIMITS["notes"])
]


class MutationArgs(BaseModel):
    """Base of every mutation's arguments: strict types, unknown keys refused, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AttendanceMarkIn(MutationArgs):
    """One student's 点名 result as a phone sends it."""

    student_id: RowId
    status: Literal["present", "leave", "absent", "makeup"]
    attendance_id: RowId
    note: Note = ""


class MarkAttendanceArgs(MutationArgs):
    """``mark_attendance``: 点名 for some students of one lesson (consumes hours)."""

    lesson_id: RowId
    marks: Annotated[list[AttendanceMarkIn], Field(min_length=1, max_length=MAX_MARKS)]


class AddGrowthRecordArgs(MutationArgs):
    """``add_growth_record``: a 成长记录 after a lesson, five dimensions rated 1–5."""

    id: RowId
    student_id: RowId
    lesson_id: RowId | None = None
    recorded_on: BusinessDay
    progress: Rating
    focus: Rating
    performance: Rating
    learning_ability: Rating
    mastery: Rating
    progress_note: ProgressNote = ""
    comment: LongText = ""


Channel = Literal["电话", "微信", "面谈", "其他"]


class AddCommunicationArgs(MutationArgs):
    """``add_communication``: a 沟通记录 with a parent, optionally planning a follow-up."""

    id: RowId
    parent_id: RowId
    student_id: RowId | None = None
    occurred_on: BusinessDay
    channel: Channel
    content: RequiredLongText
    next_follow_up_on: BusinessDay | None = None


class LogStageActivityArgs(MutationArgs):
    """``log_stage_activity``: one unit of 环节 work (an invitation, a visit, ...)."""

    id: RowId
    stage_id: RowId
    student_id: RowId | None = None
    parent_id: RowId | None = None
    occurred_on: BusinessDay
    note: Note = ""


class RecordTrialOutcomeArgs(MutationArgs):
    """``record_trial_outcome`` (an edit): whether the 试听 happened and what it led to."""

    trial_id: RowId
    status: Literal["held", "no_show", "cancelled"]
    outcome: Literal["pending", "signed", "not_signed"]
    feedback: LongText | None = None


class ParentFieldsIn(MutationArgs):
    """The parent fields a phone may change; only the keys it sends are edited."""

    name: ParentName = ""
    phone: ParentPhone = ""
    phone2: ParentPhone = ""
    wechat: ParentWechat = ""
    notes: ParentNotes = ""


class EditParentArgs(MutationArgs):
    """``edit_parent`` (an edit): change some of a parent's contact details."""

    parent_id: RowId
    fields: ParentFieldsIn


class SetFollowUpArgs(MutationArgs):
    """``set_follow_up`` (an edit): plan, move, clear or complete a communication's follow-up."""

    communication_id: RowId
    next_follow_up_on: BusinessDay | None
    done: bool | None = None


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class EditConflict:
    """An edit that collided: the same field changed on both sides, or the row was deleted.

    Values are JSON-ready (see :func:`to_json`). For ``deleted_row`` nothing was written:
    ``field`` is empty, ``overwritten_value`` None and ``applied_value`` the fields the edit
    carried.
    """

    kind: Literal["same_field", "deleted_row"]
    table: str
    row_id: str
    campus_id: str | None
    field: str
    overwritten_value: Any
    applied_value: Any
    changed_at_version: int  # the field's version that made it a conflict (0: deleted row)


@dataclass(frozen=True, slots=True)
class Applied:
    """What one mutation did: the rows it wrote itself, and any conflicts to record.

    Rows the services derive (划课 entries after 点名) are not listed; the sync log finds
    every row a transaction touched by its version. An empty ``rows`` with no conflicts means
    nothing needed writing (a re-sent append, an edit to values already stored).
    """

    rows: tuple[Synced, ...] = ()
    written_fields: tuple[str, ...] = ()  # for an edit: the fields it wrote on rows[0]
    conflicts: tuple[EditConflict, ...] = ()


# --------------------------------------------------------------------------- helpers


def to_json(value: Any) -> Any:
    """A column value as JSON: dates ISO, instants ISO UTC, hours as a string, enums by value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def value_from_json(model: type[Synced], field: str, value: Any) -> Any:
    """Turn a JSON value (as :func:`to_json` made it) back into ``model.field``'s Python type."""
    if value is None:
        return None
    column_type = model.__table__.c[field].type
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
        return column_type.enum_class(value)
    return value


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "缺少此项"
    if kind == "extra_forbidden":
        return "不认识这一项"
    if kind == "string_too_long":
        return f"不能超过 {ctx['max_length']} 个字"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "too_short":
        return f"至少需要 {ctx['min_length']} 项"
    if kind == "too_long":
        return f"最多 {ctx['max_length']} 项"
    if kind == "literal_error":
        return f"只能是 {ctx['expected']}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()))
        relation = {
            "greater_than_equal": "不能小于",
            "less_than_equal": "不能大于",
            "greater_than": "必须大于",
            "less_than": "必须小于",
        }[kind]
        return f"{relation} {bound}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("int_type", "int_from_float"):
        return "必须是整数"
    if kind == "string_type":
        return "必须是文本"
    if kind == "bool_type":
        return "必须是 true 或 false"
    if kind in ("dict_type", "model_type"):
        return "必须是对象"
    if kind == "list_type":
        return "必须是列表"
    if kind in ("date_type", "date_from_datetime_inexact"):
        return "必须是日期（YYYY-MM-DD）"
    return str(error["msg"])


def invalid_from(exc: ValidationError, prefix: str = "") -> Invalid:
    """The first problem of a pydantic validation as Invalid naming its field path."""
    error = exc.errors()[0]
    field = _path(tuple(error["loc"]))
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    return Invalid(field or prefix or "args", _message(error))


def check_business_day(
    value: date,
    field: str,
    today: date,
    *,
    days_ahead: int = MAX_DAYS_AHEAD,
    days_back: int = MAX_DAYS_BACK,
) -> date:
    """Refuse a business date too far from ``today`` (a wrong clock or a mistyped year)."""
    latest = today + timedelta(days=days_ahead)
    earliest = today - timedelta(days=days_back)
    if value > latest:
        raise Invalid(field, f"日期不能晚于 {latest.isoformat()}")
    if value < earliest:
        raise Invalid(field, f"日期不能早于 {earliest.isoformat()}")
    return value


def check_follow_up_day(value: date, occurred_on: date, today: date, field: str) -> date:
    """A follow-up date lies on or after the contact it follows, and at most a year ahead."""
    if value < occurred_on:
        raise Invalid(field, f"下次跟进日期不能早于沟通日期 {occurred_on.isoformat()}")
    latest = today + timedelta(days=MAX_FOLLOW_UP_DAYS_AHEAD)
    if value > latest:
        raise Invalid(field, f"下次跟进日期不能晚于 {latest.isoformat()}")
    return value


def _today(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return local_date_of(now)


S = TypeVar("S", bound=Synced)


def _linked(session: Session, student_id: str, parent_id: str) -> bool:
    return (
        session.scalar(
            select(StudentParent.id).where(
                StudentParent.student_id == student_id,
                StudentParent.parent_id == parent_id,
                StudentParent.is_deleted.is_(False),
            )
        )
        is not None
    )


#: ``session.info`` key: while set, appends that write one row of their own
#: (:data:`SINGLE_ROW_APPENDS`) insert it with one Core statement and answer an empty
#: :class:`Applied` (the row is not loaded). Set by :mod:`shared.sync_log` around a push.
CORE_APPENDS = "mutations.core_appends"


@functools.cache
def _id_taken(model: type[Synced]) -> Select[tuple[Any]]:
    # A plain statement, built once: loading through the ORM (session.get) cost more than the
    # insert itself, and almost every append is new.
    column = model.__table__.c.id
    return select(column).where(column == bindparam("id"))


@functools.cache
def _visible_columns(kind: permissions.ScopeKind, model: type[Synced]) -> Select[Any]:
    # permissions.check_visible's question, answered as plain columns (no ORM row loaded).
    c = model.__table__.c
    in_scope = permissions.scope_template(kind, model, per_row=True).label("in_scope")
    return select(c.id, c.campus_id, c.is_deleted, in_scope).where(
        c.id == bindparam(permissions.ROW_PARAM)
    )


def _check_visible_columns(
    session: Session, principal: Principal, model: type[Synced], row_id: object, field: str
) -> Any:
    """:func:`shared.permissions.check_visible` (same answers, same errors), returning only
    the row's ``id`` and ``campus_id``."""
    key = permissions.check_uuid(row_id, field)
    statement = _visible_columns(permissions.scope_kind(principal), model)
    found = session.execute(
        statement, {**permissions.scope_params(principal), permissions.ROW_PARAM: key}
    ).first()
    if found is None or found.is_deleted:
        raise NotFound(f"{field}: {label_of(model)}不存在（{key}）")
    if not found.in_scope:
        raise Forbidden(f"{field}: 无权访问该{label_of(model)}")
    return found


def _insert_once(session: Session, model: type[S], row_id: str, values: dict[str, Any]) -> Applied:
    """Insert an append keyed by the phone's id; the same id again must carry the same content."""
    if session.execute(_id_taken(model), {"id": row_id}).first() is not None:
        existing = session.get(model, row_id)
        if all(getattr(existing, name) == value for name, value in values.items()):
            return Applied()
        raise Invalid("id", "这个编号已用于另一条内容不同的记录（不能重复使用编号）")
    if session.info.get(CORE_APPENDS):
        # The sync log's path: one plain INSERT carrying its version, no ORM bookkeeping.
        # The table's column defaults (is_deleted, created_at, updated_at) apply as in a flush.
        session.execute(
            model.__table__.insert(),
            {"id": row_id, "version": next_version(session), **values},
        )
        return Applied()
    row = model(id=row_id, **values)
    session.add(row)
    session.flush()
    return Applied(rows=(row,))


# --------------------------------------------------------------------------- appends


def _check_distinct(marks: list[AttendanceMarkIn]) -> None:
    students: set[str] = set()
    ids: set[str] = set()
    for i, mark in enumerate(marks):
        if mark.student_id in students:
            raise Invalid(f"marks[{i}].student_id", "同一学员在一次点名中出现了两次")
        if mark.attendance_id in ids:
            raise Invalid(f"marks[{i}].attendance_id", "同一编号在一次点名中出现了两次")
        students.add(mark.student_id)
        ids.add(mark.attendance_id)


def apply_mark_attendance(
    session: Session,
    principal: Principal,
    args: MarkAttendanceArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """点名 through :func:`shared.services.lessons.mark_attendance`, which 划课 the hours.

    Only the lesson's teacher or the campus's manager / front desk may mark it
    (``permissions.check_lesson(write=True)``).
    """
    lesson = permissions.check_lesson(session, principal, args.lesson_id, write=True)
    _check_distinct(args.marks)
    fresh: list[AttendanceMark] = []
    positions: list[int] = []  # index in args.marks of each fresh mark, for error paths
    for i, mark in enumerate(args.marks):
        existing = session.get(Attendance, mark.attendance_id)
        if existing is not None:
            if existing.lesson_id != lesson.id or existing.student_id != mark.student_id:
                raise Invalid(
                    f"marks[{i}].attendance_id", "这个编号已用于另一条考勤记录（不能重复使用编号）"
                )
            if not existing.is_deleted and (existing.status, existing.note) == (
                mark.status,
                mark.note,
            ):
                continue  # re-sent: already recorded exactly so
        fresh.append(
            AttendanceMark(
                student_id=mark.student_id,
                status=AttendanceStatus(mark.status),
                note=mark.note,
                attendance_id=mark.attendance_id,
            )
        )
        positions.append(i)
    if not fresh:
        return Applied()
    try:
        rows = mark_attendance(
            session, lesson_id=lesson.id, marks=fresh, marked_by_id=principal.staff_id
        )
    except Invalid as exc:
        # The service numbers the marks it was given; point at the phone's own numbering.
        field = re.sub(r"^marks\[(\d+)\]", lambda m: f"marks[{positions[int(m[1])]}]", exc.field)
        raise Invalid(field, exc.reason) from None
    return Applied(rows=tuple(rows))


def apply_add_growth_record(
    session: Session,
    principal: Principal,
    args: AddGrowthRecordArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Insert a 成长记录 for a student in scope (after a lesson the student was on, if named).

    The record is the teacher's: the author when they teach, otherwise the named lesson's
    teacher (a manager typing it in for them), otherwise the author.
    """
    check_business_day(args.recorded_on, "recorded_on", _today(now))
    student = permissions.check_student(session, principal, args.student_id)
    teacher_id = principal.staff_id
    if args.lesson_id is not None:
        lesson = permissions.check_lesson(session, principal, args.lesson_id)
        if lesson.campus_id != student.campus_id:
            raise Invalid("lesson_id", "课程与学员不属于同一校区")
        on_lesson = session.scalar(
            select(LessonStudent.id).where(
                LessonStudent.lesson_id == lesson.id,
                LessonStudent.student_id == student.id,
                LessonStudent.is_deleted.is_(False),
            )
        )
        if on_lesson is None:
            raise Invalid("lesson_id", "该学员不在这节课的名单上")
        if not principal.has_role(Role.TEACHER):
            teacher_id = lesson.teacher_id
    values: dict[str, Any] = {
        "campus_id": student.campus_id,
        "student_id": student.id,
        "lesson_id": args.lesson_id,
        "teacher_id": teacher_id,
        "recorded_on": args.recorded_on,
        "progress": args.progress,
        "focus": args.focus,
        "performance": args.performance,
        "learning_ability": args.learning_ability,
        "mastery": args.mastery,
        "progress_note": args.progress_note,
        "comment": args.comment,
    }
    return _insert_once(session, GrowthRecord, args.id, values)


def apply_add_communication(
    session: Session,
    principal: Principal,
    args: AddCommunicationArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Insert a 沟通记录 by the caller with a parent in scope (about one of their children)."""
    today = _today(now)
    check_business_day(args.occurred_on, "occurred_on", today)
    if args.next_follow_up_on is not None:
        check_follow_up_day(args.next_follow_up_on, args.occurred_on, today, "next_follow_up_on")
    parent = _check_visible_columns(session, principal, Parent, args.parent_id, "parent_id")
    if args.student_id is not None:
        _check_visible_columns(session, principal, Student, args.student_id, "student_id")
        if not _linked(session, args.student_id, parent.id):
            raise Invalid("student_id", "该学员与这位家长没有关联")
    values: dict[str, Any] = {
        "campus_id": parent.campus_id,
        "parent_id": parent.id,
        "student_id": args.student_id,
        "staff_id": principal.staff_id,
        "occurred_on": args.occurred_on,
        "channel": args.channel,
        "content": args.content,
        "next_follow_up_on": args.next_follow_up_on,
        "follow_up_done": False,
    }
    return _insert_once(session, CommunicationRecord, args.id, values)


def apply_log_stage_activity(
    session: Session,
    principal: Principal,
    args: LogStageActivityArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Insert a logged 环节 activity by the caller on an active stage of their campus."""
    check_business_day(args.occurred_on, "occurred_on", _today(now))
    stage = session.get(Stage, args.stage_id)
    if stage is None or stage.is_deleted:
        raise NotFound(f"stage_id: 环节不存在（{args.stage_id}）")
    if not permissions.is_visible(session, principal, Stage, stage.id):
        raise Forbidden("stage_id: 这个环节不属于你的校区")
    if not stage.active:
        raise Invalid("stage_id", f"环节“{stage.name}”已停用")
    if args.student_id is not None:
        permissions.check_student(session, principal, args.student_id)
    if args.parent_id is not None:
        permissions.check_parent(session, principal, args.parent_id)
    if (
        args.student_id is not None
        and args.parent_id is not None
        and not _linked(session, args.student_id, args.parent_id)
    ):
        raise Invalid("parent_id", "该家长与这名学员没有关联")
    values: dict[str, Any] = {
        "campus_id": stage.campus_id,
        "stage_id": stage.id,
        "staff_id": principal.staff_id,
        "student_id": args.student_id,
        "parent_id": args.parent_id,
        "occurred_on": args.occurred_on,
        "note": args.note,
    }
    return _insert_once(session, StageActivity, args.id, values)


# --------------------------------------------------------------------------- edits


@dataclass(frozen=True, slots=True)
class Editor:
    """How one table's phone-editable fields are written: the one path for phone edits,
    their merge and the desktop's one-click revert of a conflict."""

    model: type[Synced]
    fields: frozenset[str]
    # (session, live row, {field: Python value}, today) -> None; validates, sets, flushes.
    write: Callable[[Session, Any, dict[str, Any], date], None]


def _write_parent(session: Session, row: Parent, changes: dict[str, Any], today: date) -> None:
    edit_parent(session, row.id, changes)


def _write_trial(session: Session, row: TrialLesson, changes: dict[str, Any], today: date) -> None:
    for name, value in changes.items():
        if name == "status":
            try:
                row.status = TrialStatus(value)
            except ValueError:
                raise Invalid("status", f"未知试听状态：{value!r}") from None
        elif name == "outcome":
            try:
                row.outcome = TrialOutcome(value)
            except ValueError:
                raise Invalid("outcome", f"未知试听结果：{value!r}") from None
        elif name == "feedback":
            row.feedback = check_text(value, "feedback", max_len=2000)
        else:
            raise Invalid(name, "试听记录中这一项不能修改")
    # The rules hold for the merged row, whichever side set which field.
    if row.outcome is not TrialOutcome.PENDING and row.status is not TrialStatus.HELD:
        raise Invalid("outcome", "只有已试听的试听才能记录签单结果")
    signed_by_order = session.scalar(
        select(Order.id).where(
            Order.trial_id == row.id,
            Order.is_deleted.is_(False),
            Order.sign_type != SignType.REFUND,
        )
    )
    if signed_by_order is not None and row.outcome is not TrialOutcome.SIGNED:
        raise Invalid("outcome", "这次试听已有签单订单，结果只能是“已签单”")
    session.flush()


def _write_follow_up(
    session: Session, row: CommunicationRecord, changes: dict[str, Any], today: date
) -> None:
    for name, value in changes.items():
        if name == "next_follow_up_on":
            if value is not None:
                if not isinstance(value, date) or isinstance(value, datetime):
                    raise Invalid("next_follow_up_on", "必须是日期（YYYY-MM-DD）")
                check_follow_up_day(value, row.occurred_on, today, "next_follow_up_on")
            row.next_follow_up_on = value
        elif name == "follow_up_done":
            if not isinstance(value, bool):
                raise Invalid("done", "必须是 true 或 false")
            row.follow_up_done = value
        else:
            raise Invalid(name, "沟通记录中这一项不能修改")
    session.flush()


EDITORS: dict[str, Editor] = {
    "parents": Editor(Parent, frozenset(PARENT_FIELD_LIMITS), _write_parent),
    "trial_lessons": Editor(
        TrialLesson, frozenset({"status", "outcome", "feedback"}), _write_trial
    ),
    "communication_records": Editor(
        CommunicationRecord,
        frozenset({"next_follow_up_on", "follow_up_done"}),
        _write_follow_up,
    ),
}


def write_fields(
    session: Session, table: str, row_id: str, values: Mapping[str, Any], *, now: datetime
) -> Synced:
    """Write Python values to phone-editable fields of a live row, by the edit's own rules.

    The desktop's conflict revert goes through here, so a reverted value is checked exactly
    like a phone's edit and gets a new version like any change.
    """
    editor = EDITORS.get(table)
    if editor is None:
        raise Invalid("table", f"{table} 不能这样修改")
    unknown = set(values) - editor.fields
    if unknown:
        raise Invalid(sorted(unknown)[0], "这一项不能修改")
    row = session.get(editor.model, row_id)
    if row is None or row.is_deleted:
        raise NotFound(f"row_id: 记录不存在或已删除（{row_id}）")
    editor.write(session, row, dict(values), _today(now))
    return row


def _edit(
    session: Session,
    principal: Principal,
    table: str,
    row_id: str,
    field: str,
    check: Callable[..., Synced],
    wanted: dict[str, Any],
    *,
    base_version: int,
    now: datetime,
) -> Applied:
    """Merge an edit against what changed since ``base_version`` and write it."""
    editor = EDITORS[table]
    row = session.get(editor.model, row_id)
    if row is None:
        raise NotFound(f"{field}: 记录不存在（{row_id}）")
    campus_id = getattr(row, "campus_id", None)
    if row.is_deleted:
        # The permission checks refuse deleted rows as missing; scope is asked directly so
        # that a deleted row outside the caller's scope stays as invisible as a live one.
        if not permissions.is_visible(session, principal, editor.model, row.id):
            raise Forbidden(f"{field}: 无权修改这条记录")
        conflict = EditConflict(
            kind="deleted_row",
            table=table,
            row_id=row.id,
            campus_id=campus_id,
            field="",
            overwritten_value=None,
            applied_value={name: to_json(value) for name, value in wanted.items()},
            changed_at_version=0,
        )
        return Applied(conflicts=(conflict,))
    check(session, principal, row_id, field)
    versions = field_versions(session, table, row.id)
    changes: dict[str, Any] = {}
    conflicts: list[EditConflict] = []
    for name, value in wanted.items():
        stored = getattr(row, name)
        if stored == value:
            continue
        changes[name] = value
        # A field absent from field_versions has not changed since the row was inserted,
        # which the phone cannot have missed (it saw the row, or made it).
        changed_at = versions.get(name, 0)
        if changed_at > base_version:
            conflicts.append(
                EditConflict(
                    kind="same_field",
                    table=table,
                    row_id=row.id,
                    campus_id=campus_id,
                    field=name,
                    overwritten_value=to_json(stored),
                    applied_value=to_json(value),
                    changed_at_version=changed_at,
                )
            )
    if not changes:
        return Applied()
    editor.write(session, row, changes, _today(now))
    return Applied(rows=(row,), written_fields=tuple(changes), conflicts=tuple(conflicts))


def apply_record_trial_outcome(
    session: Session,
    principal: Principal,
    args: RecordTrialOutcomeArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Set a 试听's status, outcome and feedback (field by field, see the module notes)."""
    wanted: dict[str, Any] = {"status": args.status, "outcome": args.outcome}
    if args.feedback is not None:
        wanted["feedback"] = args.feedback
    return _edit(
        session,
        principal,
        "trial_lessons",
        args.trial_id,
        "trial_id",
        permissions.check_trial,
        wanted,
        base_version=_required_base(base_version),
        now=now,
    )


def apply_edit_parent(
    session: Session,
    principal: Principal,
    args: EditParentArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Change a parent's contact details through :func:`shared.services.parents.edit_parent`."""
    sent = args.fields.model_dump(include=args.fields.model_fields_set)
    try:
        wanted: dict[str, Any] = clean_parent_fields(sent)
    except Invalid as exc:
        field = exc.field if exc.field == "fields" else f"fields.{exc.field}"
        raise Invalid(field, exc.reason) from None
    return _edit(
        session,
        principal,
        "parents",
        args.parent_id,
        "parent_id",
        permissions.check_parent,
        wanted,
        base_version=_required_base(base_version),
        now=now,
    )


def apply_set_follow_up(
    session: Session,
    principal: Principal,
    args: SetFollowUpArgs,
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Plan, move or clear a communication's next follow-up date, and/or mark it done."""
    wanted: dict[str, Any] = {"next_follow_up_on": args.next_follow_up_on}
    if args.done is not None:
        wanted["follow_up_done"] = args.done
    return _edit(
        session,
        principal,
        "communication_records",
        args.communication_id,
        "communication_id",
        permissions.check_communication,
        wanted,
        base_version=_required_base(base_version),
        now=now,
    )


def _required_base(base_version: int | None) -> int:
    if base_version is None:
        raise Invalid("base_version", "修改必须带上手机看到的版本号")
    return base_version


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True, slots=True)
class Mutation:
    """A mutation a phone may push: its argument model and its apply function."""

    name: str
    args_model: type[MutationArgs]
    apply: Callable[..., Applied]
    is_edit: bool


MUTATIONS: dict[str, Mutation] = {
    m.name: m
    for m in (
        Mutation("mark_attendance", MarkAttendanceArgs, apply_mark_attendance, False),
        Mutation("add_growth_record", AddGrowthRecordArgs, apply_add_growth_record, False),
        Mutation("add_communication", AddCommunicationArgs, apply_add_communication, False),
        Mutation("log_stage_activity", LogStageActivityArgs, apply_log_stage_activity, False),
        Mutation("record_trial_outcome", RecordTrialOutcomeArgs, apply_record_trial_outcome, True),
        Mutation("edit_parent", EditParentArgs, apply_edit_parent, True),
        Mutation("set_follow_up", SetFollowUpArgs, apply_set_follow_up, True),
    )
}


#: Appends that validate everything before their single write: a refused one has written
#: nothing, so the sync log needs no savepoint around them.
SINGLE_ROW_APPENDS: frozenset[str] = frozenset(
    {"add_growth_record", "add_communication", "log_stage_activity"}
)


def parse_args(name: str, args: Mapping[str, Any]) -> MutationArgs:
    """Validate a pushed mutation's name and arguments (Invalid names the field)."""
    mutation = MUTATIONS.get(name)
    if mutation is None:
        raise Invalid("name", f"未知的操作：{name[:64]!r}")
    try:
        return mutation.args_model.model_validate(args)
    except ValidationError as exc:
        raise invalid_from(exc) from None


def apply_mutation(
    session: Session,
    principal: Principal,
    name: str,
    args: Mapping[str, Any],
    *,
    base_version: int | None,
    now: datetime,
) -> Applied:
    """Validate and apply one pushed mutation inside the caller's transaction.

    Raises Invalid, NotFound or Forbidden for a mutation that can never apply; the caller
    (the sync log) rolls its writes back and answers it as rejected.
    """
    parsed = parse_args(name, args)
    mutation = MUTATIONS[name]
    if base_version is not None and base_version > current_version(session):
        raise Invalid("base_version", "版本号比服务器上的还新，请重新同步")
    if not mutation.is_edit:
        base_version = None  # appends never conflict; the base is irrelevant to them
    return mutation.apply(session, principal, parsed, base_version=base_version, now=now)
