"""Pushing the phone's outbox over HTTP: every mutation, replays, gaps and collisions."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest_asyncio
from sqlalchemy import select

from shared.db import Database
from shared.models import (
    Attendance,
    CommunicationRecord,
    ConsumptionEntry,
    GrowthRecord,
    Parent,
    StageActivity,
    TrialLesson,
)
from shared.services.parents import edit_parent
from shared.sync_models import ConflictRecord
from sync.server import SyncServer

from .support import Api, People, client_id, new_id, push_body, sync_version, token_for

DAY = "2026-11-18"


@pytest_asyncio.fixture
async def http():  # noqa: ANN201
    async with aiohttp.ClientSession() as session:
        yield session


def teacher_api(http: aiohttp.ClientSession, server: SyncServer, db: Database, p: People) -> Api:
    return Api(http, server.urls[0], token_for(db, p.teacher.staff_id))


def row_version(db: Database, model: type, row_id: str) -> int:
    with db.reader() as s:
        return s.get(model, row_id).version


def every_mutation(db: Database, p: People) -> list[dict[str, Any]]:
    """One of each mutation a phone may push, all inside the teacher's scope."""
    communication_id = new_id()
    return [
        {
            "name": "mark_attendance",
            "args": {
                "lesson_id": p.teacher_lesson,
                "marks": [
                    {
                        "student_id": p.teacher_lesson_students[0],
                        "status": "present",
                        "attendance_id": new_id(),
                    }
                ],
            },
        },
        {
            "name": "add_growth_record",
            "args": {
                "id": new_id(),
                "student_id": p.teacher_lesson_students[0],
                "recorded_on": DAY,
                "progress": 4,
                "focus": 5,
                "performance": 4,
                "learning_ability": 3,
                "mastery": 4,
                "comment": "节奏稳定多了",
            },
        },
        {
            "name": "add_communication",
            "args": {
                "id": communication_id,
                "parent_id": p.teacher_parent,
                "occurred_on": DAY,
                "channel": "微信",
                "content": "发了练琴视频",
                "next_follow_up_on": "2026-11-25",
            },
        },
        {
            "name": "log_stage_activity",
            "args": {"id": new_id(), "stage_id": p.stage_id, "occurred_on": DAY, "note": "邀约"},
        },
        {
            "name": "record_trial_outcome",
            "args": {
                "trial_id": p.teacher_trial,
                "status": "held",
                "outcome": "pending",
                "feedback": "孩子很喜欢",
            },
            "base_version": row_version(db, TrialLesson, p.teacher_trial),
        },
        {
            "name": "edit_parent",
            "args": {"parent_id": p.teacher_parent, "fields": {"wechat": "wx_test_01"}},
            "base_version": row_version(db, Parent, p.teacher_parent),
        },
        {
            "name": "set_follow_up",
            "args": {"communication_id": communication_id, "next_follow_up_on": "2026-11-26"},
            "base_version": sync_version(db),
        },
    ]


async def test_every_mutation_applies_through_push(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    mutations = every_mutation(campus_db, people)
    before = sync_version(campus_db)
    reply = await teacher_api(http, server, campus_db, people).post(
        "/api/push", push_body(client_id(), *mutations)
    )
    assert reply.status == 200, reply.text
    statuses = [(r["mutation_id"], r["status"], r["error"]) for r in reply.body["results"]]
    assert statuses == [(i, "applied", None) for i in range(1, 8)], statuses
    assert reply.body["version"] > before
    assert "touched_staff_ids" not in reply.body
    with campus_db.reader() as s:
        attendance = s.scalar(
            select(Attendance).where(
                Attendance.lesson_id == people.teacher_lesson,
                Attendance.student_id == people.teacher_lesson_students[0],
            )
        )
        assert attendance.status == "present"
        # Marking present consumed hours (划课) through the engine's service.
        (entry,) = s.scalars(
            select(ConsumptionEntry).where(ConsumptionEntry.attendance_id == attendance.id)
        )
        assert entry.hours == attendance.charged_hours > 0
        assert entry.amount_fen > 0 and entry.teacher_id == people.teacher.staff_id
        assert s.scalar(select(GrowthRecord).where(GrowthRecord.comment == "节奏稳定多了"))
        record = s.get(CommunicationRecord, mutations[2]["args"]["id"])
        assert str(record.next_follow_up_on) == "2026-11-26"
        assert s.get(StageActivity, mutations[3]["args"]["id"]) is not None
        assert s.get(TrialLesson, people.teacher_trial).feedback == "孩子很喜欢"
        assert s.get(Parent, people.teacher_parent).wechat == "wx_test_01"


async def test_the_same_push_twice_changes_nothing_the_second_time(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = teacher_api(http, server, campus_db, people)
    body = push_body(client_id(), *every_mutation(campus_db, people)[1:4])
    first = await api.post("/api/push", body)
    assert [r["status"] for r in first.body["results"]] == ["applied"] * 3, first.text
    after_first = sync_version(campus_db)
    second = await api.post("/api/push", body)
    assert second.status == 200, second.text
    assert [r["status"] for r in second.body["results"]] == ["duplicate"] * 3
    assert sync_version(campus_db) == after_first


async def test_a_gap_in_mutation_ids_is_422_naming_the_field(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = teacher_api(http, server, campus_db, people)
    client = client_id()
    mutations = every_mutation(campus_db, people)
    first = await api.post("/api/push", push_body(client, *mutations[1:6]))
    assert [r["status"] for r in first.body["results"]] == ["applied"] * 5, first.text
    before = sync_version(campus_db)
    gap = await api.post("/api/push", push_body(client, mutations[6], first_id=7))
    assert gap.status == 422, gap.text
    assert gap.error["field"] == "mutations[0].mutation_id"
    assert sync_version(campus_db) == before


async def test_a_mutation_that_can_never_apply_is_rejected_and_counted(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = teacher_api(http, server, campus_db, people)
    client = client_id()
    bad = {"name": "add_growth_record", "args": {"id": new_id(), "student_id": "nope"}}
    good = every_mutation(campus_db, people)[3]
    reply = await api.post("/api/push", push_body(client, bad, good))
    assert reply.status == 200, reply.text
    rejected, applied = reply.body["results"]
    assert rejected["status"] == "rejected"
    assert rejected["error"]["field"]
    assert applied["status"] == "applied"


async def test_a_teacher_editing_a_consultants_parent_is_refused(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = teacher_api(http, server, campus_db, people)
    before = sync_version(campus_db)
    edit = {
        "name": "edit_parent",
        "args": {"parent_id": people.consultant_only_parent, "fields": {"notes": "偷看"}},
        "base_version": before,
    }
    reply = await api.post("/api/push", push_body(client_id(), edit))
    (result,) = reply.body["results"]
    assert result["status"] == "rejected", reply.text
    # The answer names the problem; nothing synced changed. (The outbox counter still moves,
    # DESIGN.md: a mutation that can never apply is counted so the queue cannot jam.)
    assert result["error"]["field"] == "parent_id", reply.text
    assert "无权" in result["error"]["message"]
    assert sync_version(campus_db) == before
    with campus_db.reader() as s:
        assert s.get(Parent, people.consultant_only_parent).notes != "偷看"


async def test_two_phones_and_the_desktop_colliding_on_one_parent(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    """Different fields merge; the same field changed on two sides is a recorded conflict
    whose later-arriving write wins."""
    parent_id = people.teacher_parent
    base = row_version(campus_db, Parent, parent_id)
    teacher = teacher_api(http, server, campus_db, people)
    manager = Api(http, server.urls[0], token_for(campus_db, people.manager.staff_id))
    # The desktop changes the phone number first.
    with campus_db.unit_of_work() as s:
        edit_parent(s, parent_id, {"phone": "13900000001"})
    # The teacher's phone, from the old base, sets the WeChat id (another field: merged).
    one = await teacher.post(
        "/api/push",
        push_body(
            client_id(),
            {
                "name": "edit_parent",
                "base_version": base,
                "args": {"parent_id": parent_id, "fields": {"wechat": "wx_1"}},
            },
        ),
    )
    assert one.body["results"][0]["status"] == "applied", one.text
    # The manager's phone, from the same old base, also sets the phone number (same field).
    two = await manager.post(
        "/api/push",
        push_body(
            client_id(),
            {
                "name": "edit_parent",
                "base_version": base,
                "args": {"parent_id": parent_id, "fields": {"phone": "13900000002"}},
            },
        ),
    )
    result = two.body["results"][0]
    assert result["status"] == "conflict", two.text
    assert result["conflicts"] == [
        {"field": "phone", "overwritten_value": "13900000001", "applied_value": "13900000002"}
    ]
    with campus_db.reader() as s:
        parent = s.get(Parent, parent_id)
        assert (parent.phone, parent.wechat) == ("13900000002", "wx_1")
        records = list(s.scalars(select(ConflictRecord).where(ConflictRecord.row_id == parent_id)))
    assert [(r.kind, r.field, r.overwritten_value, r.applied_value) for r in records] == [
        ("same_field", "phone", "13900000001", "13900000002")
    ]


async def test_pull_returns_the_callers_rows_since_a_version(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = teacher_api(http, server, campus_db, people)
    everything = await api.get("/api/pull", params={"since": "0", "schema_version": "1"})
    assert everything.status == 200, everything.text[:300]
    assert everything.body["changes"]["parents"]
    parent_ids = set()
    version = 0
    body = everything.body
    while True:
        parent_ids |= {row["id"] for row in body["changes"].get("parents", [])}
        version = body["version"]
        if not body["has_more"]:
            break
        body = (
            await api.get("/api/pull", params={"since": str(version), "schema_version": "1"})
        ).body
    assert people.teacher_parent in parent_ids
    assert people.consultant_only_parent not in parent_ids
    staff_rows = everything.body["changes"]["staff"]
    assert all("pin_hash" not in row for row in staff_rows)
    nothing = await api.get("/api/pull", params={"since": str(version), "schema_version": "1"})
    assert nothing.body["changes"] == {}


async def test_a_client_id_of_another_staff_member_is_403_naming_it(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    """The phone starts a new outbox client on exactly this answer (mobile_web outbox.js)."""
    client = client_id()
    stage = every_mutation(campus_db, people)[3]
    first = await teacher_api(http, server, campus_db, people).post(
        "/api/push", push_body(client, stage)
    )
    assert first.body["results"][0]["status"] == "applied", first.text
    manager = Api(http, server.urls[0], token_for(campus_db, people.manager.staff_id))
    before = sync_version(campus_db)
    reply = await manager.post("/api/push", push_body(client, stage, first_id=2))
    assert reply.status == 403, reply.text
    assert (reply.error["code"], reply.error["field"]) == ("forbidden", "client_id")
    assert sync_version(campus_db) == before
