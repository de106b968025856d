"""Logging in over HTTP: PIN login with lockout, pairing, revoking and logging out."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from sqlalchemy import select

from shared.auth import create_pairing_token
from shared.db import Database
from shared.models import Staff
from shared.sync_models import Device
from sync.server import SyncServer

from .support import NOW, Api, FakeClock, People, token_for

# PINs the demo (seed 1) hands out; a name → PIN table keeps the tests readable.
DEMO_PINS = {"梁鑫": "3201", "王磊": "7219", "朱冬梅": "2931"}


def staff_id(db: Database, name: str) -> str:
    with db.reader() as s:
        return s.scalars(select(Staff.id).where(Staff.name == name)).one()


async def test_login_with_the_right_pin_gives_a_token_that_works(
    server: SyncServer, campus_db: Database
) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        sid = staff_id(campus_db, "王磊")
        reply = await api.post(
            "/api/login", {"staff_id": sid, "pin": DEMO_PINS["王磊"], "device_name": "王磊的手机"}
        )
        assert reply.status == 200, reply.text
        assert reply.body["staff"]["staff_id"] == sid
        assert reply.body["staff"]["name"] == "王磊"
        me = await Api(http, server.urls[0], reply.body["token"]).get("/api/me")
        assert me.status == 200, me.text
    with campus_db.reader() as s:
        names = list(s.scalars(select(Device.name).where(Device.staff_id == sid)))
    assert names == ["王磊的手机"]


async def test_a_wrong_pin_is_401_with_a_bearer_challenge(
    server: SyncServer, campus_db: Database
) -> None:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).post(
            "/api/login", {"staff_id": staff_id(campus_db, "王磊"), "pin": "0000"}
        )
    assert reply.status == 401
    assert reply.error["code"] == "unauthorized"
    assert reply.headers["WWW-Authenticate"] == "Bearer"


async def test_five_wrong_pins_lock_login_with_429_and_retry_after(
    server: SyncServer, campus_db: Database, clock: FakeClock
) -> None:
    sid = staff_id(campus_db, "王磊")
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        statuses = [
            (await api.post("/api/login", {"staff_id": sid, "pin": "0000"})).status
            for _ in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]
        locked = await api.post("/api/login", {"staff_id": sid, "pin": DEMO_PINS["王磊"]})
        assert locked.status == 429
        assert locked.error["code"] == "too_many_attempts"
        assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
        clock.advance(timedelta(minutes=16))
        after = await api.post("/api/login", {"staff_id": sid, "pin": DEMO_PINS["王磊"]})
        assert after.status == 200, after.text


async def test_a_pairing_token_gives_a_device_token_once(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    with campus_db.unit_of_work() as s:
        ticket = create_pairing_token(s, staff_id=people.teacher.staff_id, now=NOW)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        paired = await api.post("/api/pair", {"token": ticket.token, "device_name": "iPhone"})
        assert paired.status == 200, paired.text
        me = await Api(http, server.urls[0], paired.body["token"]).get("/api/me")
        assert me.status == 200, me.text
        again = await api.post("/api/pair", {"token": ticket.token, "device_name": "另一台"})
        assert again.status == 401
        assert again.error["code"] == "unauthorized"


async def test_an_expired_pairing_token_is_401(
    server: SyncServer, campus_db: Database, people: People, clock: FakeClock
) -> None:
    with campus_db.unit_of_work() as s:
        ticket = create_pairing_token(s, staff_id=people.teacher.staff_id, now=NOW)
    clock.advance(timedelta(minutes=11))
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).post("/api/pair", {"token": ticket.token})
    assert reply.status == 401


async def test_a_revoked_device_token_is_401(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    keep = token_for(campus_db, people.teacher.staff_id, device="留下的手机")
    lose = token_for(campus_db, people.teacher.staff_id, device="丢失的手机")
    async with aiohttp.ClientSession() as http:
        keeper, loser = Api(http, server.urls[0], keep), Api(http, server.urls[0], lose)
        devices = await keeper.get("/api/me/devices")
        assert devices.status == 200, devices.text
        lost = next(d for d in devices.body if d["name"] == "丢失的手机")
        revoked = await keeper.request("DELETE", f"/api/me/devices/{lost['device_id']}")
        assert revoked.status == 200, revoked.text
        assert revoked.body == {"device_id": lost["device_id"], "revoked": True}
        assert (await loser.get("/api/me")).status == 401
        assert (await keeper.get("/api/me")).status == 200


async def test_nobody_revokes_somebody_elses_device(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    teacher = token_for(campus_db, people.teacher.staff_id)
    consultant = token_for(campus_db, people.consultant.staff_id)
    async with aiohttp.ClientSession() as http:
        theirs = (await Api(http, server.urls[0], consultant).get("/api/me/devices")).body[0]
        reply = await Api(http, server.urls[0], teacher).request(
            "DELETE", f"/api/me/devices/{theirs['device_id']}"
        )
        assert reply.status == 404
        assert (await Api(http, server.urls[0], consultant).get("/api/me")).status == 200


async def test_logout_revokes_this_device(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        assert (await api.post("/api/logout")).status == 200
        reply = await api.get("/api/me")
    assert reply.status == 401
    assert reply.error["code"] == "unauthorized"


async def test_login_candidates_are_public_and_carry_no_secrets(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).get("/api/login/candidates")
    assert reply.status == 200
    names = {c["name"] for c in reply.body}
    assert {"梁鑫", "王磊"} <= names
    assert all("pin" not in key for c in reply.body for key in c)


async def test_a_garbage_token_is_401_not_an_error(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        for token in ["x", "é" * 10, "a" * 5000]:
            reply = await Api(http, server.urls[0], token).get("/api/me")
            assert reply.status in (400, 401), (token[:10], reply.text)
