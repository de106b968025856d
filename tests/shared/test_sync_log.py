"""Push and pull against a real database file and a hand-made campus.

The campus (:func:`make_world`): the factory campus (manager, consultant c1, teacher, course
钢琴, student s1 of c1) plus a second consultant c2 with student s2. Parents p1 (of s1) and p2
(of s2); lesson l1 taught by the teacher with s1 enrolled; a 10-hour order of s1; a trial of
s1 (consultant c1, intent teacher the teacher); a communication c1 → p1. So the teacher sees
p1 (a parent of a student they teach) and never p2; c2 sees p2 and never p1.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared import sync_log
from shared.auth import Principal
from shared.db import Database, open_database
from shared.errors import Forbidden, Invalid, StaleClient
from shared.models import (
    SYNCED_MODELS,
    CommunicationRecord,
    GrowthRecord,
    Parent,
    Staff,
    Student,
    StudentParent,
    TrialLesson,
)
from shared.permissions import scope_clause, staff_who_see
from shared.services.lessons import schedule_lesson
from shared.services.orders import record_order
from shared.services.parents import edit_parent
from shared.sync_log import (
    API_SCHEMA_VERSION,
    MutationIn,
    PushRequest,
    PushResult,
    parse_push,
    pull,
    push,
)
from shared.sync_models import ConflictRecord, SyncClient
from shared.versioning import current_version
from tests.shared.factories import at, make_campus
from tests.shared.test_actuals import new_staff

DAY = date(2026, 3, 10)  # a Tuesday
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai, after the 16:00 lesson


@dataclass
class World:
    """Ids of the hand-made campus and the principals of its people."""

    campus_id: str
    course_id: str
    s1: str
    s2: str
    p1: str
    p2: str
    l1: str
    order1: str
    trial1: str
    cr1: str
    manager: Principal
    c1: Principal
    c2: Principal
    teacher: Principal


def make_world(db: Database) -> World:
    """Build the campus of this module's docstring in one unit of work."""
    with db.unit_of_work() as s:
        c = make_campus(s)
        c2_id = new_staff(s, c.campus_id, "钱顾问", "consultant")
        s2 = Student(campus_id=c.campus_id, name="孙小红", consultant_id=c2_id)
        p1 = Parent(campus_id=c.campus_id, name="张妈妈", phone="13800000001")
        p2 = Parent(campus_id=c.campus_id, name="孙爸爸", phone="13800000002")
        s.add_all([s2, p1, p2])
        s.flush()
        s.add_all(
            [
                StudentParent(student_id=c.student_id, parent_id=p1.id, relation="母亲"),
                StudentParent(student_id=s2.id, parent_id=p2.id, relation="父亲"),
            ]
        )
        lesson = schedule_lesson(
            s,
            course_id=c.course_id,
            teacher_id=c.teacher_id,
            starts_at=at(DAY),
            student_ids=[c.student_id],
        )
        order = record_order(
            s,
            student_id=c.student_id,
            course_id=c.course_id,
            sign_type="new",
            signed_on=DAY - timedelta(days=30),
            hours=10,
            amount_fen=150000,
            consultant_id=c.consultant_id,
        )
        trial = TrialLesson(
            campus_id=c.campus_id,
            student_id=c.student_id,
            course_id=c.course_id,
            consultant_id=c.consultant_id,
            intent_teacher_id=c.teacher_id,
            trial_on=DAY - timedelta(days=40),
        )
        cr1 = CommunicationRecord(
            campus_id=c.campus_id,
            parent_id=p1.id,
            student_id=c.student_id,
            staff_id=c.consultant_id,
            occurred_on=DAY - timedelta(days=1),
            channel="电话",
            content="约了试听",
        )
        s.add_all([trial, cr1])
        s.flush()
        people = {
            staff.id: Principal.of_staff(staff, None)
            for staff in s.scalars(select(Staff).where(Staff.campus_id == c.campus_id))
        }
        return World(
            campus_id=c.campus_id,
            course_id=c.course_id,
            s1=c.student_id,
            s2=s2.id,
            p1=p1.id,
            p2=p2.id,
            l1=lesson.id,
            order1=order.id,
            trial1=trial.id,
            cr1=cr1.id,
            manager=people[c.manager_id],
            c1=people[c.consultant_id],
            c2=people[c2_id],
            teacher=people[c.teacher_id],
        )


def new_id() -> str:
    """A fresh UUID, as a phone makes one."""
    return str(uuid.uuid4())


def request(client_id: str, *mutations: tuple[Any, ...]) -> PushRequest:
    """A push of ``(mutation_id, name, args[, base_version])`` tuples."""
    return PushRequest(
        client_id=client_id,
        schema_version=API_SCHEMA_VERSION,
        mutations=[
            MutationIn(mutation_id=m[0], name=m[1], args=m[2], base_version=m[3] if m[3:] else None)
            for m in mutations
        ],
    )


def communication_args(w: World, **over: Any) -> dict[str, Any]:
    """Arguments of an ``add_communication`` by c1 with p1."""
    args: dict[str, Any] = {
        "id": new_id(),
        "parent_id": w.p1,
        "student_id": w.s1,
        "occurred_on": DAY.isoformat(),
        "channel": "微信",
        "content": "聊了续费",
        "next_follow_up_on": (DAY + timedelta(days=7)).isoformat(),
    }
    args.update(over)
    return args


def growth_args(w: World, **over: Any) -> dict[str, Any]:
    """Arguments of an ``add_growth_record`` for s1 after l1."""
    args: dict[str, Any] = {
        "id": new_id(),
        "student_id": w.s1,
        "lesson_id": w.l1,
        "recorded_on": DAY.isoformat(),
        "progress": 4,
        "focus": 3,
        "performance": 5,
        "learning_ability": 4,
        "mastery": 3,
        "progress_note": "第三课",
        "comment": "很专心",
    }
    args.update(over)
    return args


def dump(path: Path) -> list[str]:
    """Every row of every table of the file, as SQL text (content, not pages)."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def last_mutation_id(db: Database, client_id: str) -> int:
    """The client's last applied mutation id."""
    with db.reader() as s:
        client = s.get(SyncClient, client_id)
        return 0 if client is None else client.last_mutation_id


def statuses(result: PushResult) -> list[str]:
    """The status of each mutation's answer, in order."""
    return [r.status for r in result.results]


# --------------------------------------------------------------------------- push


def test_the_same_push_twice_changes_nothing_the_second_time(db: Database, db_path: Path) -> None:
    w = make_world(db)
    mark = {
        "lesson_id": w.l1,
        "marks": [{"student_id": w.s1, "status": "present", "attendance_id": new_id()}],
    }
    req = request(
        "teacher-phone-1",
        (1, "mark_attendance", mark),
        (2, "add_growth_record", growth_args(w)),
    )
    first = push(db, w.teacher, req, now=NOW)
    assert statuses(first) == ["applied", "applied"]
    before = dump(db_path)

    second = push(db, w.teacher, req, now=NOW + timedelta(minutes=5))

    assert statuses(second) == ["duplicate", "duplicate"]
    assert second.version == first.version
    assert not second.touched_staff_ids and not second.touched_campus_ids
    assert dump(db_path) == before


def test_a_gap_in_mutation_ids_is_refused_naming_the_field_and_changes_nothing(
    db: Database, db_path: Path
) -> None:
    w = make_world(db)
    push(
        db,
        w.c1,
        request(
            "c1-phone-01", *[(i, "add_communication", communication_args(w)) for i in range(1, 6)]
        ),
        now=NOW,
    )
    before = dump(db_path)

    with pytest.raises(Invalid) as caught:
        push(
            db,
            w.c1,
            request("c1-phone-01", (7, "add_communication", communication_args(w))),
            now=NOW,
        )
    assert caught.value.field == "mutations[0].mutation_id"
    assert "6" in caught.value.reason

    # A gap later in the push refuses the whole push too: mutation 6 is not applied.
    with pytest.raises(Invalid) as caught:
        push(
            db,
            w.c1,
            request(
                "c1-phone-01",
                (6, "add_communication", communication_args(w)),
                (8, "add_communication", communication_args(w)),
            ),
            now=NOW,
        )
    assert caught.value.field == "mutations[1].mutation_id"
    assert dump(db_path) == before
    assert last_mutation_id(db, "c1-phone-01") == 5


def test_a_new_client_must_start_at_one_and_is_not_registered_otherwise(db: Database) -> None:
    w = make_world(db)
    with pytest.raises(Invalid, match="应为 1"):
        push(
            db,
            w.c1,
            request("c1-phone-02", (3, "add_communication", communication_args(w))),
            now=NOW,
        )
    with db.reader() as s:
        assert s.get(SyncClient, "c1-phone-02") is None


def test_a_rejected_mutation_is_counted_and_later_ones_apply(db: Database) -> None:
    w = make_world(db)
    good = communication_args(w)
    result = push(
        db,
        w.c1,
        request(
            "c1-phone-03",
            (1, "teleport_student", {}),
            (2, "add_communication", communication_args(w, channel="飞鸽传书")),
            (3, "add_communication", communication_args(w, parent_id=w.p2, student_id=None)),
            (4, "add_communication", communication_args(w, parent_id=new_id(), student_id=None)),
            (5, "add_communication", good),
        ),
        now=NOW,
    )

    assert statuses(result) == ["rejected", "rejected", "rejected", "rejected", "applied"]
    errors = [r.error.field if r.error else None for r in result.results]
    assert errors == ["name", "channel", "parent_id", "parent_id", None]
    assert all(r.error.message for r in result.results[:4] if r.error)
    assert last_mutation_id(db, "c1-phone-03") == 5
    with db.reader() as s:
        assert s.get(CommunicationRecord, good["id"]) is not None
        assert s.scalar(select(func.count()).select_from(CommunicationRecord)) == 2

    # The queue moves on: the next push starts at 6.
    after = push(
        db, w.c1, request("c1-phone-03", (6, "add_communication", communication_args(w))), now=NOW
    )
    assert statuses(after) == ["applied"]


def test_a_rejected_mutation_leaves_no_partial_write(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        top = current_version(s)
    # The first mark is fine, the second names a student who is not on the lesson: the
    # attendance service refuses after having written the first one; nothing may remain.
    marks = [
        {"student_id": w.s1, "status": "present", "attendance_id": new_id()},
        {"student_id": w.s2, "status": "present", "attendance_id": new_id()},
    ]
    result = push(
        db,
        w.teacher,
        request("teacher-phone-2", (1, "mark_attendance", {"lesson_id": w.l1, "marks": marks})),
        now=NOW,
    )
    assert statuses(result) == ["rejected"]
    assert result.results[0].error is not None
    assert result.results[0].error.field == "marks[1].student_id"
    with db.reader() as s:
        assert current_version(s) == top
    assert last_mutation_id(db, "teacher-phone-2") == 1


def test_a_stale_schema_version_is_told_to_reload(db: Database) -> None:
    w = make_world(db)
    req = request("c1-phone-04", (1, "add_communication", communication_args(w)))
    stale = req.model_copy(update={"schema_version": API_SCHEMA_VERSION + 1})
    with pytest.raises(StaleClient) as caught:
        push(db, w.c1, stale, now=NOW)
    assert caught.value.server_schema_version == API_SCHEMA_VERSION
    with db.reader() as s, pytest.raises(StaleClient):
        pull(s, w.c1, 0, API_SCHEMA_VERSION - 1)
    assert last_mutation_id(db, "c1-phone-04") == 0


def test_another_staff_members_client_id_is_forbidden(db: Database) -> None:
    w = make_world(db)
    push(
        db, w.c1, request("shared-phone", (1, "add_communication", communication_args(w))), now=NOW
    )
    with pytest.raises(Forbidden):
        push(
            db,
            w.c2,
            request("shared-phone", (2, "add_communication", communication_args(w))),
            now=NOW,
        )
    assert last_mutation_id(db, "shared-phone") == 1


def test_an_acknowledged_push_is_in_the_file_for_a_fresh_database(
    db: Database, db_path: Path
) -> None:
    w = make_world(db)
    args = communication_args(w)
    push(db, w.c1, request("c1-phone-05", (1, "add_communication", args)), now=NOW)

    fresh = open_database(db_path)
    try:
        with fresh.reader() as s:
            record = s.get(CommunicationRecord, args["id"])
            assert record is not None and record.content == "聊了续费"
            assert s.get(SyncClient, "c1-phone-05").last_mutation_id == 1
    finally:
        fresh.close()


def test_push_pokes_the_people_who_see_the_changed_rows(db: Database) -> None:
    w = make_world(db)
    result = push(
        db, w.c1, request("c1-phone-06", (1, "add_communication", communication_args(w))), now=NOW
    )
    # p1's communication: c1 wrote it, the teacher teaches s1, the manager sees the campus.
    assert {w.c1.staff_id, w.teacher.staff_id, w.manager.staff_id} <= result.touched_staff_ids
    assert w.c2.staff_id not in result.touched_staff_ids
    assert result.touched_campus_ids == {w.campus_id}
    wire = json.loads(result.model_dump_json())
    assert set(wire) == {"results", "version"}


def test_the_poked_staff_are_exactly_those_staff_who_see_says_see_a_changed_row(
    db: Database,
) -> None:
    w = make_world(db)
    with db.unit_of_work() as s:
        new_staff(s, w.campus_id, "吴老师", "teacher")
        new_staff(s, w.campus_id, "郑前台", "front_desk")
        new_staff(s, w.campus_id, "冯老师", "teacher", active=False)
    with db.reader() as s:
        before = current_version(s)
    mark = {
        "lesson_id": w.l1,
        "marks": [{"student_id": w.s1, "status": "present", "attendance_id": new_id()}],
    }
    result = push(
        db,
        w.teacher,
        request(
            "teacher-phone-4",
            (1, "mark_attendance", mark),
            (2, "add_growth_record", growth_args(w)),
        ),
        now=NOW,
    )
    with db.reader() as s:
        expected: set[str] = set()
        for model in SYNCED_MODELS:
            for row in s.scalars(select(model).where(model.version > before)):
                expected |= staff_who_see(s, model.__tablename__, row)
    assert result.touched_staff_ids == expected
    # s1's consultant sees the 点名 and the 划课 of their student; c2 does not.
    assert w.c1.staff_id in expected and w.c2.staff_id not in expected


def test_the_poked_staff_of_many_rows_alike_are_those_who_see_any_of_them(
    db: Database,
) -> None:
    w = make_world(db)
    with db.reader() as s:
        before = current_version(s)
    mutations = [(i + 1, "add_communication", communication_args(w)) for i in range(3)]
    mutations.append(
        (4, "add_communication", communication_args(w, parent_id=w.p2, student_id=w.s2))
    )
    result = push(db, w.manager, request("manager-phone-9", *mutations), now=NOW)
    assert statuses(result) == ["applied"] * 4
    with db.reader() as s:
        expected: set[str] = set()
        for row in s.scalars(
            select(CommunicationRecord).where(CommunicationRecord.version > before)
        ):
            expected |= staff_who_see(s, "communication_records", row)
    assert result.touched_staff_ids == expected
    assert {w.c1.staff_id, w.c2.staff_id, w.teacher.staff_id} <= expected


def test_push_body_errors_name_the_field(db: Database) -> None:
    body = {"client_id": "short", "schema_version": 1, "mutations": []}
    with pytest.raises(Invalid) as caught:
        parse_push(body)
    assert caught.value.field == "client_id"
    body = {
        "client_id": "long-enough-id",
        "schema_version": 1,
        "mutations": [{"mutation_id": 0, "name": "x", "args": {}}],
    }
    with pytest.raises(Invalid) as caught:
        parse_push(body)
    assert caught.value.field == "mutations[0].mutation_id"


# --------------------------------------------------------------------------- edits collide


def parent_version(db: Database, parent_id: str) -> int:
    """The parent row's version now."""
    with db.reader() as s:
        return s.get(Parent, parent_id).version


def test_edits_of_different_fields_merge_and_the_same_field_keeps_both_values(
    db: Database,
) -> None:
    w = make_world(db)
    seen = parent_version(db, w.p1)  # both phones pulled the parent at this version
    with db.unit_of_work() as s:  # the front desk edits the notes
        edit_parent(s, w.p1, {"notes": "周末才方便接电话"})

    a = push(
        db,
        w.c1,
        request(
            "c1-phone-07",
            (1, "edit_parent", {"parent_id": w.p1, "fields": {"phone": "13911112222"}}, seen),
        ),
        now=NOW,
    )
    b = push(
        db,
        w.manager,
        request(
            "manager-phone",
            (
                1,
                "edit_parent",
                {"parent_id": w.p1, "fields": {"phone": "13733334444", "wechat": "zhang_mama"}},
                seen,
            ),
        ),
        now=NOW + timedelta(minutes=1),
    )

    assert statuses(a) == ["applied"]  # the desk changed notes, not the phone: merged
    assert statuses(b) == ["conflict"]
    assert [c.model_dump() for c in b.results[0].conflicts] == [
        {"field": "phone", "overwritten_value": "13911112222", "applied_value": "13733334444"}
    ]
    with db.reader() as s:
        parent = s.get(Parent, w.p1)
        assert (parent.notes, parent.phone, parent.wechat) == (
            "周末才方便接电话",
            "13733334444",
            "zhang_mama",
        )
        (record,) = s.scalars(select(ConflictRecord))
        assert (record.kind, record.table_name, record.row_id, record.field) == (
            "same_field",
            "parents",
            w.p1,
            "phone",
        )
        assert (record.staff_id, record.client_id, record.mutation_id) == (
            w.manager.staff_id,
            "manager-phone",
            1,
        )
        assert record.campus_id == w.campus_id and record.resolved_at is None


def test_a_phone_edit_of_a_field_the_desk_changed_wins_and_keeps_the_desks_value(
    db: Database,
) -> None:
    w = make_world(db)
    seen = parent_version(db, w.p1)
    with db.unit_of_work() as s:
        edit_parent(s, w.p1, {"notes": "桌面写的备注"})

    result = push(
        db,
        w.c1,
        request(
            "c1-phone-08",
            (1, "edit_parent", {"parent_id": w.p1, "fields": {"notes": "手机写的备注"}}, seen),
        ),
        now=NOW,
    )

    assert statuses(result) == ["conflict"]
    with db.reader() as s:
        assert s.get(Parent, w.p1).notes == "手机写的备注"
        record = s.scalars(select(ConflictRecord)).one()
        assert (record.overwritten_value, record.applied_value) == ("桌面写的备注", "手机写的备注")


def test_an_edit_made_after_seeing_the_other_change_is_no_conflict(db: Database) -> None:
    w = make_world(db)
    with db.unit_of_work() as s:
        edit_parent(s, w.p1, {"notes": "桌面写的备注"})
    seen = parent_version(db, w.p1)  # the phone pulled after the desk's edit

    result = push(
        db,
        w.c1,
        request(
            "c1-phone-09",
            (1, "edit_parent", {"parent_id": w.p1, "fields": {"notes": "改过"}}, seen),
        ),
        now=NOW,
    )
    assert statuses(result) == ["applied"]
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(ConflictRecord)) == 0


def test_two_edits_of_one_field_in_one_push_do_not_conflict_with_each_other(db: Database) -> None:
    w = make_world(db)
    seen = parent_version(db, w.p1)
    edit = "edit_parent"
    result = push(
        db,
        w.c1,
        request(
            "c1-phone-10",
            (1, edit, {"parent_id": w.p1, "fields": {"phone": "13900000001"}}, seen),
            (2, edit, {"parent_id": w.p1, "fields": {"phone": "13900000002"}}, seen),
        ),
        now=NOW,
    )
    assert statuses(result) == ["applied", "applied"]
    with db.reader() as s:
        assert s.get(Parent, w.p1).phone == "13900000002"


def test_an_edit_of_a_deleted_parent_is_a_conflict_and_does_not_resurrect_it(
    db: Database,
) -> None:
    w = make_world(db)
    seen = parent_version(db, w.p1)
    with db.unit_of_work() as s:
        s.get(Parent, w.p1).is_deleted = True
    deleted_at = parent_version(db, w.p1)

    result = push(
        db,
        w.c1,
        request(
            "c1-phone-11",
            (1, "edit_parent", {"parent_id": w.p1, "fields": {"phone": "13911112222"}}, seen),
        ),
        now=NOW,
    )

    assert statuses(result) == ["conflict"]
    assert [c.model_dump() for c in result.results[0].conflicts] == [
        {"field": "", "overwritten_value": None, "applied_value": {"phone": "13911112222"}}
    ]
    with db.reader() as s:
        parent = s.get(Parent, w.p1)
        assert parent.is_deleted and parent.phone == "13800000001"
        assert parent.version == deleted_at
        record = s.scalars(select(ConflictRecord)).one()
        assert (record.kind, record.row_id) == ("deleted_row", w.p1)
    assert last_mutation_id(db, "c1-phone-11") == 1


def test_an_edit_of_a_deleted_row_outside_the_scope_is_forbidden(db: Database) -> None:
    w = make_world(db)
    with db.unit_of_work() as s:
        s.get(Parent, w.p2).is_deleted = True
    result = push(
        db,
        w.c1,
        request(
            "c1-phone-12", (1, "edit_parent", {"parent_id": w.p2, "fields": {"phone": "1"}}, 0)
        ),
        now=NOW,
    )
    assert statuses(result) == ["rejected"]
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(ConflictRecord)) == 0


# --------------------------------------------------------------------------- pull


def pulled_ids(result: sync_log.PullResult) -> dict[str, set[str]]:
    """Row ids per table of a pull."""
    return {table: {row["id"] for row in rows} for table, rows in result.changes.items()}


def test_pull_since_zero_returns_exactly_the_rows_in_scope(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        for who in (w.manager, w.c1, w.c2, w.teacher):
            result = pull(s, who, 0, API_SCHEMA_VERSION)
            expected = {
                model.__tablename__: set(
                    s.scalars(select(model.id).where(scope_clause(s, who, model)))
                )
                for model in SYNCED_MODELS
            }
            assert pulled_ids(result) == {t: ids for t, ids in expected.items() if ids}
            assert result.version == current_version(s) and not result.has_more

        teacher = pulled_ids(pull(s, w.teacher, 0, API_SCHEMA_VERSION))
        c2 = pulled_ids(pull(s, w.c2, 0, API_SCHEMA_VERSION))
    assert w.p1 in teacher["parents"] and w.p2 not in teacher["parents"]
    assert "orders" not in teacher
    assert c2["parents"] == {w.p2} and c2["students"] == {w.s2}


@pytest.mark.parametrize("per_row_rows", [0, 10**6], ids=["sets", "per-row"])
def test_a_pull_since_any_version_returns_the_rows_in_scope_changed_after_it(
    db: Database, monkeypatch: pytest.MonkeyPatch, per_row_rows: int
) -> None:
    # Whichever shape the scope takes (from the caller's sets, or from the changed rows), a
    # pull answers the same.
    monkeypatch.setattr(sync_log, "PER_ROW_PULL_ROWS", per_row_rows)
    w = make_world(db)
    push(db, w.c1, request("c1-phone-30", (1, "add_communication", communication_args(w))), now=NOW)
    push(
        db,
        w.teacher,
        request("teacher-phone-30", (1, "add_growth_record", growth_args(w))),
        now=NOW,
    )
    with db.unit_of_work() as s:
        s.get(Parent, w.p2).phone = "13900000002"  # type: ignore[union-attr]
    with db.reader() as s:
        top = current_version(s)
        for who in (w.manager, w.c1, w.c2, w.teacher):
            for since in range(top + 1):
                expected = {
                    model.__tablename__: set(
                        s.scalars(
                            select(model.id).where(
                                scope_clause(s, who, model), model.version > since
                            )
                        )
                    )
                    for model in SYNCED_MODELS
                }
                got = pulled_ids(pull(s, who, since, API_SCHEMA_VERSION))
                assert got == {t: ids for t, ids in expected.items() if ids}, (who.name, since)


def test_pull_never_sends_a_pin_hash(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        for who in (w.manager, w.c1, w.teacher):
            staff_rows = pull(s, who, 0, API_SCHEMA_VERSION).changes["staff"]
            assert len(staff_rows) == 4
            assert all("pin_hash" not in row for row in staff_rows)


def test_pull_rows_are_json_ready(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        result = pull(s, w.manager, 0, API_SCHEMA_VERSION)
    json.dumps(result.model_dump(mode="json"))
    (lesson,) = result.changes["lessons"]
    assert lesson["hours"] == "1.00" and lesson["lesson_on"] == DAY.isoformat()
    assert lesson["id"] == w.l1 and lesson["status"] == "scheduled"
    (order,) = result.changes["orders"]
    assert order["amount_fen"] == 150000 and isinstance(order["amount_fen"], int)
    assert datetime.fromisoformat(lesson["starts_at"]) == at(DAY)


def test_pull_includes_tombstones_and_since_now_returns_nothing(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        seen = current_version(s)
    with db.unit_of_work() as s:
        s.get(CommunicationRecord, w.cr1).is_deleted = True

    with db.reader() as s:
        result = pull(s, w.c1, seen, API_SCHEMA_VERSION)
        assert list(result.changes) == ["communication_records"]
        (row,) = result.changes["communication_records"]
        assert (row["id"], row["is_deleted"]) == (w.cr1, True)

        empty = pull(s, w.c1, result.version, API_SCHEMA_VERSION)
        assert empty.changes == {} and empty.version == result.version == current_version(s)
        assert not empty.has_more


def test_pull_from_a_version_the_file_never_had_is_told_to_reload(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s, pytest.raises(StaleClient):
        pull(s, w.c1, current_version(s) + 1, API_SCHEMA_VERSION)


def test_pull_in_batches_cut_on_version_boundaries_gives_every_row_once(db: Database) -> None:
    w = make_world(db)
    for i in range(6):  # some single-row versions after the big set-up flushes
        with db.unit_of_work() as s:
            edit_parent(s, w.p1, {"notes": f"第{i}次"})
    with db.reader() as s:
        whole = pull(s, w.manager, 0, API_SCHEMA_VERSION)
        got: dict[str, dict[str, dict[str, Any]]] = {}
        since, rounds = 0, 0
        while True:
            batch = pull(s, w.manager, since, API_SCHEMA_VERSION, limit=3)
            rounds += 1
            versions = [row["version"] for rows in batch.changes.values() for row in rows]
            assert all(since < v <= batch.version for v in versions)
            # More than the limit only when one version alone is bigger (a set-up flush).
            assert len(versions) <= 3 or len(set(versions)) == 1
            for table, rows in batch.changes.items():
                for row in rows:
                    assert row["id"] not in got.setdefault(table, {})
                    got[table][row["id"]] = row
            since = batch.version
            if not batch.has_more:
                break
        assert since == current_version(s)
    assert rounds > 3
    # The same rows as one big pull; each parent only in its newest state.
    assert {t: set(rows) for t, rows in got.items()} == pulled_ids(whole)
    assert got["parents"][w.p1]["notes"] == "第5次"


def test_pull_of_a_single_huge_version_sends_it_whole(db: Database) -> None:
    w = make_world(db)
    with db.unit_of_work() as s:  # one flush: one version for eight rows
        s.add_all([Parent(campus_id=w.campus_id, name=f"家长{i}") for i in range(8)])
    with db.reader() as s:
        top = current_version(s)
        result = pull(s, w.manager, top - 1, API_SCHEMA_VERSION, limit=3)
    assert len(result.changes["parents"]) == 8
    assert result.version == top and not result.has_more


def test_pull_refuses_a_negative_since(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s, pytest.raises(Invalid) as caught:
        pull(s, w.c1, -1, API_SCHEMA_VERSION)
    assert caught.value.field == "since"


def test_growth_record_pushed_by_a_teacher_reaches_the_students_consultant(db: Database) -> None:
    w = make_world(db)
    with db.reader() as s:
        seen = current_version(s)
    args = growth_args(w)
    push(db, w.teacher, request("teacher-phone-3", (1, "add_growth_record", args)), now=NOW)
    with db.reader() as s:
        assert pulled_ids(pull(s, w.c1, seen, API_SCHEMA_VERSION)) == {
            "growth_records": {args["id"]}
        }
        assert pull(s, w.c2, seen, API_SCHEMA_VERSION).changes == {}
        assert s.get(GrowthRecord, args["id"]).teacher_id == w.teacher.staff_id
