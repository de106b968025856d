"""The desktop's conflict list: what phone edits overwrote, and one-click revert.

A conflict is recorded by :mod:`shared.sync_log` when a phone's edit changed a field that
someone else had changed since the phone last looked (the phone's value won; the one it
replaced is kept), or when it edited a row that had been deleted (nothing was written).
The front desk sees them here and either reverts (the overwritten value is written back as a
normal edit, with a new version that phones pull) or keeps what is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Conflict, Invalid, NotFound
from .models import CommunicationRecord, Parent, Staff, Student, Synced, TrialLesson
from .mutations import EDITORS, to_json, value_from_json, write_fields
from .services.common import TABLE_LABELS, check_uuid
from .sync_models import ConflictRecord

FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "phone": "电话",
    "phone2": "备用电话",
    "wechat": "微信",
    "notes": "备注",
    "status": "状态",
    "outcome": "结果",
    "feedback": "反馈",
    "next_follow_up_on": "下次跟进日期",
    "follow_up_done": "已跟进",
}

RESOLUTION_REVERTED = "reverted"  # the overwritten value was written back
RESOLUTION_KEPT = "kept"  # the phone's value (or, for a deleted row, the deletion) stands


@dataclass(frozen=True, slots=True)
class ConflictView:
    """One conflict as the desktop lists it, with readable labels and both values."""

    id: str
    kind: str  # same_field | deleted_row
    table: str
    table_label: str
    row_id: str
    row_label: str  # e.g. the parent's name
    field: str
    field_label: str
    overwritten_value: Any  # what was there before the phone's edit (JSON form)
    applied_value: Any  # what the phone wrote (for a deleted row: the fields it carried)
    staff_id: str | None  # who made the phone edit
    staff_name: str
    created_at: datetime
    resolved_at: datetime | None
    resolution: str  # "", reverted or kept


def _row_label(session: Session, table: str, row: Synced | None) -> str:
    if row is None:
        return ""
    if isinstance(row, Parent):
        return row.name
    if isinstance(row, TrialLesson):
        student = session.get(Student, row.student_id)
        name = student.name if student is not None else ""
        return f"{name} {row.trial_on.isoformat()}".strip()
    if isinstance(row, CommunicationRecord):
        parent = session.get(Parent, row.parent_id)
        name = parent.name if parent is not None else ""
        return f"{name} {row.occurred_on.isoformat()} {row.channel}".strip()
    return row.id[:8]


def list_conflicts(
    session: Session, campus_id: str, *, open_only: bool = True
) -> list[ConflictView]:
    """The campus's conflicts, newest first; by default only those not yet resolved."""
    campus_id = check_uuid(campus_id, "campus_id")
    query = select(ConflictRecord).where(ConflictRecord.campus_id == campus_id)
    if open_only:
        query = query.where(ConflictRecord.resolved_at.is_(None))
    query = query.order_by(ConflictRecord.created_at.desc(), ConflictRecord.mutation_id.desc())
    views = []
    for record in session.scalars(query):
        editor = EDITORS.get(record.table_name)
        row = session.get(editor.model, record.row_id) if editor is not None else None
        staff = session.get(Staff, record.staff_id) if record.staff_id else None
        views.append(
            ConflictView(
                id=record.id,
                kind=record.kind,
                table=record.table_name,
                table_label=TABLE_LABELS.get(record.table_name, record.table_name),
                row_id=record.row_id,
                row_label=_row_label(session, record.table_name, row),
                field=record.field,
                field_label=FIELD_LABELS.get(record.field, record.field),
                overwritten_value=record.overwritten_value,
                applied_value=record.applied_value,
                staff_id=record.staff_id,
                staff_name=staff.name if staff is not None else "",
                created_at=record.created_at,
                resolved_at=record.resolved_at,
                resolution=record.resolution,
            )
        )
    return views


def _open_conflict(session: Session, conflict_id: str) -> ConflictRecord:
    key = check_uuid(conflict_id, "conflict_id")
    record = session.get(ConflictRecord, key)
    if record is None:
        raise NotFound(f"conflict_id: 冲突记录不存在（{key}）")
    if record.resolved_at is not None:
        raise Invalid("conflict_id", "这条冲突已经处理过了")
    return record


def revert_conflict(session: Session, conflict_id: str, *, now: datetime) -> None:
    """Write the overwritten value back (a normal edit, new version) and close the conflict.

    Refused when there is nothing to revert (a deleted-row conflict: dismiss it instead), when
    the row has been deleted since, or when the field has changed again after the phone's
    edit (reverting would silently discard that newer value; the list shows it as it is).
    """
    record = _open_conflict(session, conflict_id)
    if record.kind != "same_field":
        raise Invalid("conflict_id", "被删除的记录没有可恢复的值，请选择“保留”")
    editor = EDITORS.get(record.table_name)
    if editor is None:
        raise Invalid("conflict_id", f"{record.table_name} 的冲突不能恢复")
    row = session.get(editor.model, record.row_id)
    if row is None or row.is_deleted:
        raise Invalid("conflict_id", "这条记录已被删除，无法恢复")
    current = to_json(getattr(row, record.field))
    if current != record.applied_value:
        raise Conflict(f"conflict_id: 该项之后又被修改过（现在是 {current!r}），未恢复")
    old = value_from_json(editor.model, record.field, record.overwritten_value)
    write_fields(session, record.table_name, row.id, {record.field: old}, now=now)
    record.resolved_at = now
    record.resolution = RESOLUTION_REVERTED
    session.flush()


def dismiss_conflict(session: Session, conflict_id: str, *, now: datetime) -> None:
    """Close a conflict keeping what the row holds now (resolution ``kept``)."""
    record = _open_conflict(session, conflict_id)
    record.resolved_at = now
    record.resolution = RESOLUTION_KEPT
    session.flush()
