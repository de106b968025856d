"""Invariant 5 at the door: no route answers without a token but the public ones, and the
server answers only to its own names (DNS rebinding)."""

from __future__ import annotations

import aiohttp
import pytest

from shared.db import Database
from sync.routes import routes
from sync.server import SyncServer

from .support import Api, People, token_for

# The routes that answer without a token, by (method, path). Adding a public route means
# adding it here on purpose.
PUBLIC = {
    ("GET", "/api/health"),
    ("GET", "/api/login/candidates"),
    ("POST", "/api/login"),
    ("POST", "/api/pair"),
    ("GET", "/api/openapi.json"),
    ("GET", "/"),
    ("GET", "/{path}"),
}
SAMPLE_ID = "7d0f2a4e-1b3c-4d5e-8f90-123456789abc"


def registered(server: SyncServer) -> list[tuple[str, str]]:
    """(method, canonical path) of every route in the running app's router."""
    return [(r.method, r.resource.canonical) for r in server.app.router.routes()]


def concrete(path: str) -> str:
    return path.replace("{id}", SAMPLE_ID).replace("{path}", "app.js")


def test_the_router_holds_exactly_the_route_table(server: SyncServer) -> None:
    from sync.openapi import openapi_path

    assert sorted(registered(server)) == sorted((r.method, openapi_path(r.path)) for r in routes())


def test_exactly_the_listed_routes_are_public(server: SyncServer) -> None:
    from sync.openapi import openapi_path

    public = {(r.method, openapi_path(r.path)) for r in routes() if r.public}
    assert public == PUBLIC


async def test_every_private_route_without_a_token_is_401(server: SyncServer) -> None:
    private = [route for route in registered(server) if route not in PUBLIC]
    assert len(private) >= 15
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        for method, path in private:
            reply = await api.request(method, concrete(path))
            assert reply.status == 401, (method, path, reply.text)
            assert reply.error["code"] == "unauthorized"
            assert reply.headers["WWW-Authenticate"] == "Bearer"
            forged = await api.request(
                method, concrete(path), headers={"Authorization": "Bearer forged-token"}
            )
            assert forged.status == 401, (method, path, forged.text)


async def test_public_routes_answer_without_a_token(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        for method, path in PUBLIC:
            reply = await api.request(method, concrete(path))
            assert reply.status != 401, (method, path)
            assert reply.status < 500, (method, path, reply.text)


async def test_health_names_the_campus_version_and_time(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).get("/api/health")
    assert reply.status == 200
    assert reply.body["status"] == "ok"
    assert reply.body["campuses"] == ["达标艺术中心·滨江校区"]
    assert reply.body["version"]
    assert reply.body["schema_version"] >= 1
    assert reply.body["server_time"].startswith("2026-11-18T02:00:00")


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Host": "evil.example:80"},
        {"Host": "127.0.0.2"},
        {"Host": "localhost:1"},
        {"Host": "[not-an-address"},
    ],
)
async def test_a_foreign_host_is_421(server: SyncServer, headers: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).get("/api/health", headers=headers)
    assert reply.status == 421, reply.text
    assert reply.error["code"] == "bad_host"


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "null", "https://127.0.0.1", "http://127.0.0.1:1", "::"],
)
async def test_a_foreign_origin_is_403_and_changes_nothing(
    server: SyncServer, campus_db: Database, people: People, origin: str
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0], token).post(
            "/api/logout", headers={"Origin": origin}
        )
        assert reply.status == 403, reply.text
        assert reply.error["code"] == "bad_origin"
        assert (await Api(http, server.urls[0], token).get("/api/me")).status == 200


async def test_the_servers_own_names_are_accepted(server: SyncServer) -> None:
    port = server.port
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0])
        for headers in [
            {"Host": f"localhost:{port}"},
            {"Host": f"127.0.0.1:{port}"},
            {"Host": f"127.0.0.1:{port}", "Origin": f"http://127.0.0.1:{port}"},
            {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
        ]:
            reply = await api.get("/api/health", headers=headers)
            assert reply.status == 200, (headers, reply.text)


async def test_unknown_routes_and_wrong_methods_answer_json(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        for path in ["/api/nothing", "/api", "/api/", "/api/me/tasks/extra"]:
            reply = await api.get(path)
            assert reply.status == 404, (path, reply.text)
            assert reply.error["code"] == "not_found"
        for method, path in [("PUT", "/api/me"), ("POST", "/api/health"), ("GET", "/api/push")]:
            reply = await api.request(method, path)
            assert reply.status == 405, (method, path, reply.text)
            assert reply.error["code"] == "method_not_allowed"
            assert reply.headers["Allow"]
