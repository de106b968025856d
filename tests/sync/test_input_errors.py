"""Invariant 3 at the door: bad input gets a 4xx JSON error naming the problem, and changes
nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from shared.db import Database
from shared.sync_log import API_SCHEMA_VERSION
from shared.sync_models import SyncClient
from sync.server import SyncServer

from .support import Api, People, client_id, new_id, push_body, sync_version, token_for


def outbox_clients(db: Database) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(SyncClient)) or 0


def a_communication(people: People) -> dict[str, Any]:
    return {
        "name": "add_communication",
        "args": {
            "id": new_id(),
            "parent_id": people.teacher_parent,
            "occurred_on": "2026-11-18",
            "channel": "电话",
            "content": "提醒明天上课",
        },
    }


@pytest_asyncio.fixture
async def api(server: SyncServer, campus_db: Database, people: People):  # noqa: ANN201
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        yield Api(http, server.urls[0], token)


async def assert_nothing_changed(db: Database, before: int, reply_text: str) -> None:
    assert sync_version(db) == before, reply_text
    assert outbox_clients(db) == 0, reply_text


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b"", b"   ", b"\xff\xfe\x00", b'{"client_id": "abc",}', b"[1, 2"],
)
async def test_malformed_json_is_400_naming_the_body(
    api: Api, campus_db: Database, raw: bytes
) -> None:
    before = sync_version(campus_db)
    reply = await api.request(
        "POST", "/api/push", data=raw, headers={"Content-Type": "application/json"}
    )
    assert reply.status == 400, reply.text
    assert reply.error["code"] == "bad_json"
    assert reply.error["field"] == "body"
    await assert_nothing_changed(campus_db, before, reply.text)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(client_id=12345678), "client_id"),
        (lambda b: b.update(client_id="短"), "client_id"),
        (lambda b: b.update(schema_version="1"), "schema_version"),
        (lambda b: b.update(mutations="all"), "mutations"),
        (lambda b: b.update(mutations=[]), "mutations"),
        (lambda b: b["mutations"][0].update(mutation_id="1"), "mutations.0.mutation_id"),
        (lambda b: b["mutations"][0].update(mutation_id=0), "mutations.0.mutation_id"),
        (lambda b: b["mutations"][0].update(colour="red"), "mutations.0.colour"),
        (lambda b: b.update(extra=True), "extra"),
        (lambda b: b.pop("client_id"), "client_id"),
    ],
)
async def test_wrong_types_and_unknown_fields_are_422_naming_the_field(
    api: Api, campus_db: Database, people: People, change: Any, field: str
) -> None:
    body = push_body(client_id(), a_communication(people))
    change(body)
    before = sync_version(campus_db)
    reply = await api.post("/api/push", body)
    assert reply.status == 422, reply.text
    assert reply.error["code"] == "invalid"
    assert reply.error["field"] == field
    assert reply.error["message"]
    await assert_nothing_changed(campus_db, before, reply.text)


async def test_a_body_that_is_not_an_object_is_422(api: Api, campus_db: Database) -> None:
    for body in ([1, 2], "text", 42, None):
        reply = await api.request(
            "POST",
            "/api/push",
            data=__import__("json").dumps(body),
            headers={"Content-Type": "application/json"},
        )
        assert reply.status == 422, reply.text
        assert reply.error["field"] == "body"


async def test_a_huge_body_is_413_and_changes_nothing(
    api: Api, campus_db: Database, people: People
) -> None:
    body = push_body(client_id(), a_communication(people))
    body["mutations"][0]["args"]["content"] = "长" * 100_000  # 300 KB, over the 256 KiB cap
    before = sync_version(campus_db)
    reply = await api.post("/api/push", body)
    assert reply.status == 413, reply.text[:200]
    assert reply.error["code"] == "too_large"
    await assert_nothing_changed(campus_db, before, reply.text)


async def test_a_push_from_a_future_client_is_409_reload(
    api: Api, campus_db: Database, people: People
) -> None:
    body = push_body(client_id(), a_communication(people))
    body["schema_version"] = API_SCHEMA_VERSION + 1
    before = sync_version(campus_db)
    reply = await api.post("/api/push", body)
    assert reply.status == 409, reply.text
    assert reply.error["code"] == "stale_client"
    assert reply.body["reload"] is True
    assert reply.body["schema_version"] == API_SCHEMA_VERSION
    await assert_nothing_changed(campus_db, before, reply.text)


async def test_a_pull_from_a_future_client_is_409_reload(api: Api) -> None:
    reply = await api.get(
        "/api/pull", params={"since": "0", "schema_version": str(API_SCHEMA_VERSION + 1)}
    )
    assert reply.status == 409, reply.text
    assert reply.body["reload"] is True


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/pull", {"since": "-1", "schema_version": "1"}, "since"),
        ("/api/pull", {"since": "x", "schema_version": "1"}, "since"),
        ("/api/pull", {"since": "9" * 40, "schema_version": "1"}, "since"),
        ("/api/pull", {"schema_version": "1"}, "since"),
        ("/api/pull", {"since": "0", "schema_version": "1", "limit": "5"}, "limit"),
        ("/api/me/tasks", {"week": "0"}, "week"),
        ("/api/me/tasks", {"week": "2026-02-30"}, "week"),
        ("/api/me/tasks", {"week": "1999-12-31"}, "week"),
        ("/api/me/tasks", {"week": "9999-12-31"}, "week"),
        ("/api/ranking", {"month": "2026-13"}, "month"),
        ("/api/ranking", {"month": "2026-11", "metric": "profit"}, "metric"),
        ("/api/timetable", {"start": "2026-11-18"}, "end"),
        ("/api/timetable", {"start": "2026-11-18", "end": "2026-11-01"}, "end"),
        ("/api/timetable", {"start": "2026-01-01", "end": "2026-12-31"}, "end"),
        ("/api/trials", {"start": "2026-11-18", "end": "2026-11-01"}, "end"),
        ("/api/students", {"page": "2"}, "page"),
        ("/api/students/not-a-uuid", {}, "id"),
    ],
)
async def test_bad_query_parameters_are_422_naming_them(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    reply = await api.get(path, params=params)
    assert reply.status == 422, reply.text
    assert reply.error["field"] == field


async def test_a_repeated_query_parameter_is_422(api: Api) -> None:
    reply = await api.get("/api/me/tasks?week=2026-11-18&week=2026-11-25")
    assert reply.status == 422
    assert reply.error["field"] == "week"


async def test_login_input_errors_name_the_field(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        missing = await api.post("/api/login", {"staff_id": new_id()})
        assert (missing.status, missing.error["field"]) == (422, "pin")
        wrong = await api.post("/api/login", {"staff_id": new_id(), "pin": 1234})
        assert (wrong.status, wrong.error["field"]) == (422, "pin")
        long = await api.post("/api/login", {"staff_id": new_id(), "pin": "1" * 100})
        assert (long.status, long.error["field"]) == (422, "pin")
