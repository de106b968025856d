"""The answer cache never answers with what a commit has made untrue."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import aiohttp
import pytest

from shared.auth import revoke_device
from shared.db import Database
from shared.services.parents import edit_parent
from shared.transfer import commit_import, plan_import
from shared.transfer.layout import headers
from sync import live
from sync.cache import AnswerCache, Generations
from sync.context import CONTEXT
from sync.live import WATCH_INTERVAL
from sync.server import SyncServer
from tests.shared.transfer_support import write_book

from .support import NOW, Api, People, client_id, push_body, token_for


def notes_of(reply_body: list[dict], parent_id: str) -> str:
    return next(p["notes"] for p in reply_body if p["parent_id"] == parent_id)


async def test_repeated_reads_are_answered_from_memory(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    cache = server.app[CONTEXT].cache
    token = token_for(campus_db, people.teacher.staff_id)
    await asyncio.sleep(3 * WATCH_INTERVAL)  # the file watch has seen the pairing's commit
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        first = await api.get("/api/parents")
        hits = cache.hits
        second = await api.get("/api/parents")
    assert second.body == first.body
    assert cache.hits == hits + 1


async def test_a_desktop_edit_is_seen_by_the_very_next_read(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        await api.get("/api/parents")
        with campus_db.unit_of_work() as s:
            edit_parent(s, people.teacher_parent, {"notes": "周三改到周四上课"})
        after = await api.get("/api/parents")
    assert notes_of(after.body, people.teacher_parent) == "周三改到周四上课"


async def test_another_programs_write_is_seen_by_the_very_next_read(
    server: SyncServer, campus_db: Database, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process (``dabiao serve``, ``dabiao import``) commits through its own
    connection: no engine event fires here. The live hub's file watch would notice within its
    tick; the cache must not wait for it, so the watch is slowed to an hour first."""
    monkeypatch.setattr(live, "WATCH_INTERVAL", 3600.0)
    await asyncio.sleep(3 * WATCH_INTERVAL)  # the watch is now in its hour-long sleep
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        await api.get("/api/parents")
        hits = server.app[CONTEXT].cache.hits
        assert (
            notes_of((await api.get("/api/parents")).body, people.teacher_parent) != "别的程序写的"
        )
        assert server.app[CONTEXT].cache.hits == hits + 1  # it was answered from memory

        def other_program() -> None:
            # As every writer does (shared.versioning): take a version, stamp it on the row.
            conn = sqlite3.connect(campus_db.path)
            try:
                conn.execute("UPDATE sync_counter SET value = value + 1 WHERE id = 1")
                conn.execute(
                    "UPDATE parents SET notes = '别的程序写的',"
                    " version = (SELECT value FROM sync_counter) WHERE id = ?",
                    (uuid.UUID(people.teacher_parent).bytes,),
                )
                conn.commit()
            finally:
                conn.close()

        await asyncio.to_thread(other_program)
        after = await api.get("/api/parents")
    assert notes_of(after.body, people.teacher_parent) == "别的程序写的"


async def test_a_phones_push_is_seen_by_the_very_next_read(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        before = await api.get(f"/api/parents/{people.teacher_parent}")
        await api.get(f"/api/parents/{people.teacher_parent}")  # now kept in memory
        edit = {
            "name": "edit_parent",
            "base_version": before.body["version"],
            "args": {"parent_id": people.teacher_parent, "fields": {"notes": "手机上改的"}},
        }
        pushed = await api.post("/api/push", push_body(client_id(), edit))
        assert pushed.body["results"][0]["status"] == "applied", pushed.text
        after = await api.get(f"/api/parents/{people.teacher_parent}")
    assert after.body["notes"] == "手机上改的"


async def test_an_import_is_seen_by_the_very_next_read(
    server: SyncServer, campus_db: Database, people: People, tmp_path: Path
) -> None:
    token = token_for(campus_db, people.manager.staff_id)
    book = write_book(
        tmp_path / "new.xlsx",
        {
            "学员": [
                headers("students"),
                ["导入的新同学", "", "女", None, "", "", "线索", "", "", None, ""],
            ]
        },
    )
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        await api.get("/api/students")
        kept = await api.get("/api/students")  # now kept in memory
        assert "导入的新同学" not in {s["name"] for s in kept.body}

        def import_file() -> None:
            plan = plan_import(campus_db, book)
            assert plan.problems == []
            commit_import(campus_db, plan)

        await asyncio.to_thread(import_file)
        after = await api.get("/api/students")
    assert "导入的新同学" in {s["name"] for s in after.body}


async def test_a_device_revoked_on_the_desktop_is_refused_at_once(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        me = await api.get("/api/me")
        assert me.status == 200
        assert (await api.get("/api/me")).status == 200  # the token is now kept in memory
        with campus_db.unit_of_work() as s:
            revoke_device(s, device_id=me.body["devices"][0]["device_id"], now=NOW)
        assert (await api.get("/api/me")).status == 401


def test_an_answer_computed_before_a_commit_is_never_kept() -> None:
    generations = Generations()
    cache = AnswerCache(generations)
    before = generations.value
    generations.bump()  # a commit lands while the answer is being computed
    cache.keep_answer("key", before, b"old")
    assert cache.answer("key") is None
    cache.keep_answer("key", generations.value, b"new")
    assert cache.answer("key") == b"new"
    generations.bump()
    assert cache.answer("key") is None


def test_the_cache_keeps_within_its_memory_bound() -> None:
    generations = Generations()
    cache = AnswerCache(generations, max_bytes=1000)
    for i in range(50):
        cache.keep_answer(i, generations.value, b"x" * 100)
    assert cache.answer(49) == b"x" * 100
    assert cache.answer(0) is None
    assert sum(len(body) for _gen, body in cache._answers.values()) <= 1000


async def test_a_commit_that_changes_nothing_synced_keeps_answers_about_synced_rows(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    """A pairing (here, or by another program) writes devices only: the parents list stays
    in memory, while /api/me, which lists the devices, is computed again."""
    cache = server.app[CONTEXT].cache
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        parents = (await api.get("/api/parents")).body
        assert len((await api.get("/api/me")).body["devices"]) == 1
        token_for(campus_db, people.teacher.staff_id, device="第二台手机")  # in this process
        hits = cache.hits
        assert (await api.get("/api/parents")).body == parents
        assert cache.hits == hits + 1, "a pairing must not drop the answers about synced rows"
        me = (await api.get("/api/me")).body
        assert sorted(d["name"] for d in me["devices"]) == ["测试手机", "第二台手机"]

        def other_program() -> None:
            conn = sqlite3.connect(campus_db.path)
            try:
                conn.execute("UPDATE devices SET name = '改名的手机' WHERE name = '第二台手机'")
                conn.commit()
            finally:
                conn.close()

        await asyncio.to_thread(other_program)
        hits = cache.hits
        assert (await api.get("/api/parents")).body == parents
        assert cache.hits == hits + 1
        me = (await api.get("/api/me")).body
    assert sorted(d["name"] for d in me["devices"]) == ["改名的手机", "测试手机"]


def test_a_push_returning_drops_every_answer_about_synced_rows(campus_db: Database) -> None:
    """The hub is told when a push returns, before it pokes anybody: whatever was kept before
    the push (answers about synced rows included) is not what a poked phone is answered."""
    from sync.app import make_app

    app = make_app(campus_db, allowed_hosts={"127.0.0.1"}, static_dir=None)
    ctx = app[CONTEXT]
    ctx.cache.keep_answer("tasks", ctx.cache.generations.synced, b"before", synced_only=True)
    assert ctx.cache.answer("tasks", synced_only=True) == b"before"
    ctx.hub.pushed(1, [], [])
    assert ctx.cache.answer("tasks", synced_only=True) is None
