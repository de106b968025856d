"""Every read route on the demo campus, as the people who use them, and their scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from sqlalchemy import select

from shared import progress
from shared.db import Database
from shared.models import GrowthRecord
from shared.periods import Period
from sync.server import SyncServer

from .support import TODAY, Api, People, token_for


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def as_(http: aiohttp.ClientSession, server: SyncServer, db: Database, staff_id: str) -> Api:
    return Api(http, server.urls[0], token_for(db, staff_id))


async def test_me_is_the_callers_profile_with_this_device(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    reply = await as_(http, server, campus_db, people.teacher.staff_id).get("/api/me")
    assert reply.status == 200, reply.text
    assert reply.body["staff_id"] == people.teacher.staff_id
    assert reply.body["campus_name"] == "达标艺术中心·滨江校区"
    assert [d["is_current"] for d in reply.body["devices"]] == [True]


async def test_my_tasks_of_a_week_carry_money_and_stage_progress(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = as_(http, server, campus_db, people.consultant.staff_id)
    reply = await api.get("/api/me/tasks", params={"week": "2026-11-18"})
    assert reply.status == 200, reply.text
    period = reply.body["period"]
    assert (period["kind"], period["start"], period["end"]) == ("week", "2026-11-16", "2026-11-22")
    assert reply.body["money"], "a consultant is judged on 营业额"
    assert all(isinstance(m["target_fen"], int) for m in reply.body["money"])
    assert reply.body["stages"]
    # Every figure is the engine's own (shared.progress.task_view).
    with campus_db.reader() as s:
        engine = progress.task_view(
            s, people.consultant.staff_id, Period.containing("week", TODAY), today=TODAY
        )
    assert [(m["metric"], m["target_fen"], m["actual_fen"]) for m in reply.body["money"]] == [
        (m.metric.value, m.target_fen, m.actual_fen) for m in engine.money
    ]
    stage_counts = {x["stage_id"]: x["actual_count"] for x in reply.body["stages"]}
    assert all(stage_counts[x.stage_id] == x.actual_count for x in engine.stages)
    today = await api.get("/api/me/tasks")
    assert today.body["period"] == period  # no week: the week of today


async def test_the_ranking_of_a_month_by_either_metric(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = as_(http, server, campus_db, people.teacher.staff_id)
    consumption = await api.get(
        "/api/ranking", params={"month": "2026-10", "metric": "consumption"}
    )
    assert consumption.status == 200, consumption.text
    assert consumption.body["metric"] == "consumption"
    rows = consumption.body["rows"]
    assert rows and rows == sorted(rows, key=lambda r: r["rank"])
    assert any(r["is_me"] for r in rows)
    with campus_db.reader() as s:
        engine = progress.ranking(s, people.campus_id, 2026, 10, "consumption")
    assert [(r["staff_id"], r["amount_fen"]) for r in rows] == [
        (r.staff_id, r.amount_fen) for r in engine
    ]
    revenue = await api.get("/api/ranking", params={"month": "2026-10"})
    assert revenue.body["metric"] == "revenue"
    this_month = await api.get("/api/ranking")
    assert (this_month.body["year"], this_month.body["month"]) == (2026, 11)


async def test_the_timetable_shows_the_teachers_lessons(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = as_(http, server, campus_db, people.teacher.staff_id)
    reply = await api.get("/api/timetable", params={"start": "2026-11-12", "end": "2026-11-18"})
    assert reply.status == 200, reply.text
    lessons = reply.body
    assert people.teacher_lesson in {lesson["lesson_id"] for lesson in lessons}
    assert {lesson["teacher_id"] for lesson in lessons} == {people.teacher.staff_id}
    assert all("2026-11-12" <= lesson["lesson_on"] <= "2026-11-18" for lesson in lessons)


async def test_students_and_a_students_detail_in_scope(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = as_(http, server, campus_db, people.teacher.staff_id)
    listed = await api.get("/api/students")
    assert listed.status == 200, listed.text
    ids = {s["student_id"] for s in listed.body}
    assert set(people.teacher_lesson_students) <= ids
    assert people.consultant_only_student not in ids
    detail = await api.get(f"/api/students/{people.teacher_lesson_students[0]}")
    assert detail.status == 200, detail.text
    assert detail.body["student_id"] == people.teacher_lesson_students[0]
    # Growth records come with the students: every live one in the detail, the latest in
    # the list, exactly those the database holds.
    with campus_db.reader() as s:
        for student_id in people.teacher_lesson_students:
            held = set(
                s.scalars(
                    select(GrowthRecord.id).where(
                        GrowthRecord.student_id == student_id, GrowthRecord.is_deleted.is_(False)
                    )
                )
            )
            one = (await api.get(f"/api/students/{student_id}")).body
            assert {g["record_id"] for g in one["growth_records"]} == held, student_id
            listed_one = next(x for x in listed.body if x["student_id"] == student_id)
            assert {g["record_id"] for g in listed_one["recent_growth"]} <= held
    assert any(
        x["recent_growth"] for x in listed.body if x["student_id"] in people.teacher_lesson_students
    )


async def test_a_teacher_asking_for_a_consultants_student_is_403(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    api = as_(http, server, campus_db, people.teacher.staff_id)
    reply = await api.get(f"/api/students/{people.consultant_only_student}")
    assert reply.status == 403, reply.text
    assert reply.error["code"] == "forbidden"
    missing = await api.get("/api/students/7d0f2a4e-1b3c-4d5e-8f90-123456789abc")
    assert missing.status in (403, 404), missing.text


async def test_parents_are_scoped_to_the_callers_students(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    teacher = await as_(http, server, campus_db, people.teacher.staff_id).get("/api/parents")
    consultant = await as_(http, server, campus_db, people.consultant.staff_id).get("/api/parents")
    assert teacher.status == consultant.status == 200
    teacher_ids = {p["parent_id"] for p in teacher.body}
    consultant_ids = {p["parent_id"] for p in consultant.body}
    assert people.teacher_parent in teacher_ids
    assert people.consultant_only_parent in consultant_ids
    assert people.consultant_only_parent not in teacher_ids
    # Parents come with their communication records (those in the caller's scope).
    talks = {c["record_id"] for p in teacher.body for c in p["communications"]}
    assert people.teacher_communication in talks


async def test_trials_and_follow_ups(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    teacher = as_(http, server, campus_db, people.teacher.staff_id)
    trials = await teacher.get("/api/trials")
    assert trials.status == 200, trials.text
    assert people.teacher_trial in {t["trial_id"] for t in trials.body}
    ranged = await teacher.get("/api/trials", params={"start": "2026-11-01", "end": "2026-11-30"})
    assert all("2026-11-01" <= t["trial_on"] <= "2026-11-30" for t in ranged.body)
    manager = as_(http, server, campus_db, people.manager.staff_id)
    follow_ups = await manager.get("/api/follow-ups")
    assert follow_ups.status == 200, follow_ups.text
    assert isinstance(follow_ups.body, list)
    assert all(f["due_on"] <= "2026-11-25" for f in follow_ups.body)


async def test_the_manager_sees_the_whole_campus(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    manager = as_(http, server, campus_db, people.manager.staff_id)
    students = await manager.get("/api/students")
    parents = await manager.get("/api/parents")
    ids = {s["student_id"] for s in students.body}
    assert people.consultant_only_student in ids
    assert {people.teacher_parent, people.consultant_only_parent} <= {
        p["parent_id"] for p in parents.body
    }


async def test_a_teacher_asking_for_a_consultants_parent_is_403(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    teacher = as_(http, server, campus_db, people.teacher.staff_id)
    reply = await teacher.get(f"/api/parents/{people.consultant_only_parent}")
    assert reply.status == 403, reply.text
    assert reply.error["code"] == "forbidden"
    assert reply.error["field"] == "id"
    own = await teacher.get(f"/api/parents/{people.teacher_parent}")
    assert own.status == 200, own.text
    assert own.body["parent_id"] == people.teacher_parent
    listed = await teacher.get("/api/parents")
    assert own.body == next(p for p in listed.body if p["parent_id"] == people.teacher_parent)
    consultant = as_(http, server, campus_db, people.consultant.staff_id)
    theirs = await consultant.get(f"/api/parents/{people.consultant_only_parent}")
    assert theirs.status == 200, theirs.text
    missing = await teacher.get("/api/parents/7d0f2a4e-1b3c-4d5e-8f90-123456789abc")
    assert missing.status == 404, missing.text
    malformed = await teacher.get("/api/parents/not-an-id")
    assert malformed.status == 422, malformed.text
    assert malformed.error["field"] == "id"
