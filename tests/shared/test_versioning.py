"""Every synced change gets a new global version; rows are soft-deleted, never removed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from shared.db import Database
from shared.models import Course, Parent, Staff
from shared.versioning import current_version
from tests.shared.factories import make_campus


def test_versions_grow_and_only_changed_rows_move(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        parent = Parent(campus_id=c.campus_id, name="张妈妈", phone="13800000000")
        s.add(parent)
    with db.reader() as s:
        before = {st.id: st.version for st in s.scalars(select(Staff))}
        parent_version = s.get(Parent, parent.id).version
        top = current_version(s)
    assert parent_version == top
    with db.unit_of_work() as s:
        s.get(Parent, parent.id).phone = "13900000000"
    with db.reader() as s:
        assert s.get(Parent, parent.id).version == top + 1 == current_version(s)
        assert {st.id: st.version for st in s.scalars(select(Staff))} == before


def test_a_tombstone_is_a_change_with_a_version(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        parent = Parent(campus_id=c.campus_id, name="李爸爸")
        s.add(parent)
    with db.unit_of_work() as s:
        s.get(Parent, parent.id).is_deleted = True
    with db.reader() as s:
        row = s.get(Parent, parent.id)
        assert row.is_deleted and row.version == current_version(s)


def test_hard_delete_of_a_synced_row_is_refused(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(RuntimeError, match="soft-deleted"), db.unit_of_work() as s:
        s.delete(s.get(Staff, c.teacher_id))
    with db.reader() as s:
        assert s.get(Staff, c.teacher_id) is not None


def test_hours_are_exact_decimals_and_floats_are_refused(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        s.get(Course, c.course_id).hours_per_lesson = Decimal("1.25")
    with db.reader() as s:
        assert s.get(Course, c.course_id).hours_per_lesson == Decimal("1.25")
    with pytest.raises(Exception, match="never float"), db.unit_of_work() as s:
        s.get(Course, c.course_id).hours_per_lesson = 1.5
        s.flush()


def test_the_head_revision_constant_is_the_newest_migration() -> None:
    from shared.db import HEAD_REVISION, head_revision

    assert head_revision() == HEAD_REVISION
