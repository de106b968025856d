"""The live hub: pokes reach exactly the people a change concerns, within a second, and the
desktop hears about every commit."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from shared.db import Database
from shared.services.parents import edit_parent
from sync import live
from sync.live import CommitInfo, LiveHub
from sync.server import SyncServer

from .support import Api, People, client_id, new_id, push_body, token_for

POKE_DEADLINE = 1.0  # seconds: the brief's promise


async def connect(
    http: aiohttp.ClientSession, server: SyncServer, token: str
) -> aiohttp.ClientWebSocketResponse:
    """Open the live socket (token in the query) and read its hello."""
    ws = await http.ws_connect(f"{server.urls[0]}/api/live?token={token}")
    hello = await ws.receive_json(timeout=2)
    assert hello["type"] == "hello"
    return ws


async def next_poke(ws: aiohttp.ClientWebSocketResponse, timeout: float) -> dict[str, Any] | None:
    """The next poke within ``timeout`` seconds, or None."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await ws.receive(timeout=left)
        except TimeoutError:
            return None
        if msg.type != aiohttp.WSMsgType.TEXT:
            return None
        data = json.loads(msg.data)
        if data["type"] == "poke":
            return data
    return None


def stage_work(people: People) -> dict[str, Any]:
    """An append only its author (and the campus-wide staff) can see."""
    return {
        "name": "log_stage_activity",
        "args": {"id": new_id(), "stage_id": people.stage_id, "occurred_on": "2026-11-18"},
    }


async def settle(*sockets: aiohttp.ClientWebSocketResponse) -> None:
    """Let the file watch catch up with the set-up's writes and drop what it sent.

    A desktop write in the same 200 ms as a push makes the watch poke the whole campus
    (harmless: one extra pull), which would blur what a test looks at.
    """
    await asyncio.sleep(3 * live.WATCH_INTERVAL)
    for ws in sockets:
        while await next_poke(ws, 0.01) is not None:
            pass


async def wait_for(predicate: Any, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def test_a_push_pokes_the_people_in_scope_within_a_second(
    server: SyncServer, campus_db: Database, people: People, commits: list[CommitInfo]
) -> None:
    teacher = token_for(campus_db, people.teacher.staff_id)
    manager = token_for(campus_db, people.manager.staff_id)
    other = token_for(campus_db, people.other_teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        ws_teacher = await connect(http, server, teacher)
        ws_manager = await connect(http, server, manager)
        ws_other = await connect(http, server, other)
        await settle(ws_teacher, ws_manager, ws_other)
        started = time.monotonic()
        reply = await Api(http, server.urls[0], teacher).post(
            "/api/push", push_body(client_id(), stage_work(people))
        )
        assert reply.body["results"][0]["status"] == "applied", reply.text
        poke = await next_poke(ws_teacher, POKE_DEADLINE)
        assert poke == {"type": "poke", "version": reply.body["version"]}
        assert time.monotonic() - started < POKE_DEADLINE
        assert await next_poke(ws_manager, POKE_DEADLINE) is not None
        # The other teacher cannot see the activity: no poke, not even from the file watch.
        assert await next_poke(ws_other, 3 * live.WATCH_INTERVAL + 0.3) is None
        for ws in (ws_teacher, ws_manager, ws_other):
            await ws.close()
    pushes = [c for c in commits if c.source == "push"]
    assert len(pushes) == 1
    assert people.teacher.staff_id in pushes[0].staff_ids
    assert people.other_teacher.staff_id not in pushes[0].staff_ids
    assert pushes[0].campus_ids == frozenset({people.campus_id})
    assert not [c for c in commits if c.source == "external"]


async def test_a_replayed_push_pokes_nobody(
    server: SyncServer, campus_db: Database, people: People, commits: list[CommitInfo]
) -> None:
    teacher = token_for(campus_db, people.teacher.staff_id)
    body = push_body(client_id(), stage_work(people))
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], teacher)
        await api.post("/api/push", body)
        ws = await connect(http, server, teacher)
        await settle(ws)
        commits.clear()
        replay = await api.post("/api/push", body)
        assert replay.body["results"][0]["status"] == "duplicate"
        assert await next_poke(ws, 3 * live.WATCH_INTERVAL + 0.3) is None
        await ws.close()
    assert commits == []


async def test_a_desktop_edit_reaches_on_commit_and_pokes_the_campus(
    server: SyncServer, campus_db: Database, people: People, commits: list[CommitInfo]
) -> None:
    teacher = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        ws = await connect(http, server, teacher)

        def desktop_edit() -> None:
            with campus_db.unit_of_work() as s:
                edit_parent(s, people.consultant_only_parent, {"notes": "前台改的"})

        started = time.monotonic()
        await asyncio.to_thread(desktop_edit)
        poke = await next_poke(ws, POKE_DEADLINE)
        assert poke is not None and poke["type"] == "poke"
        assert time.monotonic() - started < POKE_DEADLINE
        await ws.close()
    assert await wait_for(lambda: any(c.source == "external" for c in commits))
    external = [c for c in commits if c.source == "external"]
    assert external[0].campus_ids == frozenset({people.campus_id})
    assert external[0].version == poke["version"]


async def test_a_write_from_another_program_is_noticed(
    server: SyncServer, campus_db: Database, people: People, commits: list[CommitInfo]
) -> None:
    """A plain sqlite3 connection stands for another process writing to the file."""
    teacher = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        ws = await connect(http, server, teacher)

        def other_program() -> None:
            conn = campus_db.raw_connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                version = conn.execute(
                    "UPDATE sync_counter SET value = value + 1 RETURNING value"
                ).fetchone()[0]
                conn.execute("UPDATE campuses SET phone = '0571-1234', version = ?", (version,))
                conn.execute("COMMIT")
            finally:
                conn.close()

        await asyncio.to_thread(other_program)
        assert await next_poke(ws, POKE_DEADLINE) is not None
        await ws.close()
    assert await wait_for(lambda: any(c.source == "external" for c in commits))


async def test_the_token_may_come_as_a_subprotocol(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{server.urls[0]}/api/live", protocols=[f"bearer.{token}"])
        assert ws.protocol == f"bearer.{token}"
        assert (await ws.receive_json(timeout=2))["type"] == "hello"
        await ws.send_json({"type": "ping"})
        assert (await ws.receive_json(timeout=2)) == {"type": "pong"}
        await ws.close()


async def test_the_live_socket_without_a_token_is_refused(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{server.urls[0]}/api/live")
        assert refused.value.status == 401
        with pytest.raises(aiohttp.WSServerHandshakeError) as forged:
            await http.ws_connect(f"{server.urls[0]}/api/live?token=forged")
        assert forged.value.status == 401


async def test_a_live_socket_from_another_site_is_refused(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                f"{server.urls[0]}/api/live?token={token}",
                headers={"Origin": "http://evil.example"},
            )
    assert refused.value.status == 403


async def test_revoking_a_device_closes_its_live_socket(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        ws = await connect(http, server, token)
        assert (await Api(http, server.urls[0], token).post("/api/logout")).status == 200
        msg = await ws.receive(timeout=2)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == live.CLOSE_REVOKED


async def test_stopping_the_server_closes_live_sockets(campus_db: Database, people: People) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    server = SyncServer(campus_db, host="127.0.0.1", port=0, mdns=False)
    server.start()
    async with aiohttp.ClientSession() as http:
        ws = await connect(http, server, token)
        await asyncio.to_thread(server.stop)
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


class StuckSocket:
    """A WebSocket whose peer stopped reading: every send hangs."""

    closed = False
    close_code: int | None = None

    async def send_str(self, text: str) -> None:
        await asyncio.Event().wait()

    async def close(self, *, code: int, message: bytes) -> None:
        self.closed, self.close_code = True, code


class QuickSocket:
    """A WebSocket that takes every message at once."""

    closed = False

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_str(self, text: str) -> None:
        self.sent.append(text)

    async def close(self, *, code: int, message: bytes) -> None:
        self.closed = True


async def test_a_stuck_phone_neither_delays_others_nor_grows_a_queue(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "SEND_TIMEOUT", 0.2)
    hub = LiveHub()
    stuck, quick = StuckSocket(), QuickSocket()
    slow_conn = hub.add(stuck, people.teacher)  # type: ignore[arg-type]
    hub.add(quick, people.teacher)  # type: ignore[arg-type]
    for version in range(1, 101):
        hub.poke_staff([people.teacher.staff_id], version)
        await asyncio.sleep(0)
    assert await wait_for(lambda: '"version": 100' in (quick.sent or [""])[-1], 1.0)
    assert len(quick.sent) < 100  # pokes coalesce: only the newest version matters
    assert await wait_for(lambda: stuck.closed, 1.0)  # dropped after the send timeout
    await hub.remove(slow_conn)
    await hub.close_all()
