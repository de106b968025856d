"""The answer cache never answers with what a commit has made untrue."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiohttp

from shared.auth import revoke_device
from shared.db import Database
from shared.services.parents import edit_parent
from sync.cache import AnswerCache, Generations
from sync.context import CONTEXT
from sync.live import WATCH_INTERVAL
from sync.server import SyncServer

from .support import NOW, Api, People, token_for


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


async def test_another_programs_write_is_seen_within_the_watch_tick(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        await api.get("/api/parents")

        def other_program() -> None:
            conn = campus_db.raw_connection()
            try:
                conn.execute(
                    "UPDATE parents SET notes = '别的程序写的' WHERE id = ?",
                    (uuid.UUID(people.teacher_parent).bytes,),
                )
            finally:
                conn.close()

        await asyncio.to_thread(other_program)
        deadline = time.monotonic() + 1.0
        while True:
            body = (await api.get("/api/parents")).body
            if notes_of(body, people.teacher_parent) == "别的程序写的":
                break
            assert time.monotonic() < deadline, "a stale answer outlived the watch tick"
            await asyncio.sleep(0.05)


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
