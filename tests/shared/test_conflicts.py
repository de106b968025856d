"""The desktop's conflict list: listing, one-click revert, dismissing.

Conflicts are made the real way: a desktop edit, then a phone push against the version it
saw before (campus: :func:`tests.shared.test_sync_log.make_world`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shared.auth import Principal
from shared.conflicts import dismiss_conflict, list_conflicts, revert_conflict
from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound
from shared.models import CommunicationRecord, Parent, TrialLesson
from shared.services.parents import edit_parent
from shared.sync_log import push
from shared.sync_models import SyncClient
from shared.versioning import current_version, field_versions
from tests.shared.test_sync_log import NOW, World, make_world, new_id, request


def phone_edit(
    db: Database, who: Principal, client_id: str, name: str, args: dict[str, Any], base: int
) -> str:
    """Push one edit as the client's next mutation; return its status."""
    with db.reader() as s:
        client = s.get(SyncClient, client_id)
        next_id = 1 if client is None else client.last_mutation_id + 1
    result = push(db, who, request(client_id, (next_id, name, args, base)), now=NOW)
    return result.results[0].status


def parent_conflict(db: Database, w: World) -> str:
    """The desk sets p1's phone, then c1's phone (which saw the old row) sets it too."""
    with db.reader() as s:
        seen = s.get(Parent, w.p1).version
    with db.unit_of_work() as s:
        edit_parent(s, w.p1, {"phone": "13800009999"})
    status = phone_edit(
        db,
        w.c1,
        "c1-phone-x1",
        "edit_parent",
        {"parent_id": w.p1, "fields": {"phone": "13911112222"}},
        seen,
    )
    assert status == "conflict"
    with db.reader() as s:
        (view,) = list_conflicts(s, w.campus_id)
    return view.id


def test_the_list_shows_the_row_the_field_both_values_and_who(db: Database) -> None:
    w = make_world(db)
    parent_conflict(db, w)
    with db.reader() as s:
        (view,) = list_conflicts(s, w.campus_id)
    assert (view.kind, view.table, view.table_label) == ("same_field", "parents", "家长")
    assert (view.row_id, view.row_label) == (w.p1, "张妈妈")
    assert (view.field, view.field_label) == ("phone", "电话")
    assert (view.overwritten_value, view.applied_value) == ("13800009999", "13911112222")
    assert (view.staff_id, view.staff_name) == (w.c1.staff_id, "李顾问")
    assert view.created_at == NOW and view.resolved_at is None and view.resolution == ""


def test_the_list_is_per_campus(db: Database) -> None:
    w = make_world(db)
    parent_conflict(db, w)
    with db.reader() as s:
        assert list_conflicts(s, new_id()) == []


def test_revert_restores_the_old_value_as_a_new_version(db: Database) -> None:
    w = make_world(db)
    conflict_id = parent_conflict(db, w)
    with db.reader() as s:
        before = s.get(Parent, w.p1).version

    with db.unit_of_work() as s:
        revert_conflict(s, conflict_id, now=NOW + timedelta(hours=1))

    with db.reader() as s:
        parent = s.get(Parent, w.p1)
        assert parent.phone == "13800009999"
        assert parent.version > before and parent.version == current_version(s)
        # A normal edit: phones learn of it by the field's version like any other change.
        assert field_versions(s, "parents", w.p1)["phone"] == parent.version
        assert list_conflicts(s, w.campus_id) == []
        (view,) = list_conflicts(s, w.campus_id, open_only=False)
        assert (view.resolution, view.resolved_at) == ("reverted", NOW + timedelta(hours=1))


def test_a_resolved_conflict_cannot_be_reverted_again(db: Database) -> None:
    w = make_world(db)
    conflict_id = parent_conflict(db, w)
    with db.unit_of_work() as s:
        revert_conflict(s, conflict_id, now=NOW)
    with db.unit_of_work() as s, pytest.raises(Invalid):
        revert_conflict(s, conflict_id, now=NOW)


def test_revert_refuses_when_the_field_changed_again_since(db: Database) -> None:
    w = make_world(db)
    conflict_id = parent_conflict(db, w)
    with db.unit_of_work() as s:
        edit_parent(s, w.p1, {"phone": "13700000000"})
    with db.unit_of_work() as s, pytest.raises(Conflict):
        revert_conflict(s, conflict_id, now=NOW)
    with db.reader() as s:
        assert s.get(Parent, w.p1).phone == "13700000000"
        assert len(list_conflicts(s, w.campus_id)) == 1


def test_dismiss_keeps_the_phones_value(db: Database) -> None:
    w = make_world(db)
    conflict_id = parent_conflict(db, w)
    with db.reader() as s:
        before = s.get(Parent, w.p1).version
    with db.unit_of_work() as s:
        dismiss_conflict(s, conflict_id, now=NOW)
    with db.reader() as s:
        parent = s.get(Parent, w.p1)
        assert (parent.phone, parent.version) == ("13911112222", before)
        (view,) = list_conflicts(s, w.campus_id, open_only=False)
        assert view.resolution == "kept"


def test_a_deleted_row_conflict_has_nothing_to_revert_and_is_dismissed(db: Database) -> None:
    w = make_world(db)
    with db.unit_of_work() as s:
        s.get(Parent, w.p2).is_deleted = True
    status = phone_edit(
        db, w.c2, "c2-phone-x1", "edit_parent", {"parent_id": w.p2, "fields": {"notes": "x"}}, 0
    )
    assert status == "conflict"
    with db.reader() as s:
        (view,) = list_conflicts(s, w.campus_id)
    assert (view.kind, view.row_label, view.applied_value) == (
        "deleted_row",
        "孙爸爸",
        {"notes": "x"},
    )

    with db.unit_of_work() as s, pytest.raises(Invalid) as caught:
        revert_conflict(s, view.id, now=NOW)
    assert caught.value.field == "conflict_id"
    with db.unit_of_work() as s:
        dismiss_conflict(s, view.id, now=NOW)
    with db.reader() as s:
        assert s.get(Parent, w.p2).is_deleted
        assert list_conflicts(s, w.campus_id) == []


def test_revert_of_a_trial_status_restores_the_enum(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        seen = s.get(TrialLesson, w.trial1).version
    with db.unit_of_work() as s:
        s.get(TrialLesson, w.trial1).status = "cancelled"
    args = {"trial_id": w.trial1, "status": "held", "outcome": "pending"}
    assert phone_edit(db, w.teacher, "teacher-x1", "record_trial_outcome", args, seen) == "conflict"
    with db.reader() as s:
        (view,) = list_conflicts(s, w.campus_id)
    assert view.row_label == f"张小明 {(date(2026, 3, 10) - timedelta(days=40)).isoformat()}"
    assert (view.field, view.overwritten_value, view.applied_value) == (
        "status",
        "cancelled",
        "held",
    )
    with db.unit_of_work() as s:
        revert_conflict(s, view.id, now=NOW)
    with db.reader() as s:
        assert s.get(TrialLesson, w.trial1).status == "cancelled"


def test_revert_of_a_follow_up_date_restores_the_date(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        seen = s.get(CommunicationRecord, w.cr1).version
    with db.unit_of_work() as s:
        s.get(CommunicationRecord, w.cr1).next_follow_up_on = date(2026, 3, 12)
    args = {"communication_id": w.cr1, "next_follow_up_on": "2026-03-15"}
    assert phone_edit(db, w.c1, "c1-phone-x2", "set_follow_up", args, seen) == "conflict"
    with db.reader() as s:
        (view,) = list_conflicts(s, w.campus_id)
    assert view.row_label == "张妈妈 2026-03-09 电话"
    assert (view.overwritten_value, view.applied_value) == ("2026-03-12", "2026-03-15")
    with db.unit_of_work() as s:
        revert_conflict(s, view.id, now=NOW)
    with db.reader() as s:
        assert s.get(CommunicationRecord, w.cr1).next_follow_up_on == date(2026, 3, 12)


def test_an_unknown_conflict_is_not_found(db: Database) -> None:
    make_world(db)
    with db.unit_of_work() as s, pytest.raises(NotFound):
        revert_conflict(s, new_id(), now=NOW)
    with db.unit_of_work() as s, pytest.raises(Invalid):
        dismiss_conflict(s, "nonsense", now=NOW)


def test_conflicts_list_newest_first(db: Database) -> None:
    w = make_world(db)
    parent_conflict(db, w)
    with db.reader() as s:
        seen = s.get(Parent, w.p1).version
    with db.unit_of_work() as s:
        edit_parent(s, w.p1, {"notes": "桌面"})
    later = NOW + timedelta(minutes=5)
    args = {"parent_id": w.p1, "fields": {"notes": "手机"}}
    result = push(db, w.manager, request("manager-x1", (1, "edit_parent", args, seen)), now=later)
    assert result.results[0].status == "conflict"
    with db.reader() as s:
        assert [v.field for v in list_conflicts(s, w.campus_id)] == ["notes", "phone"]
