"""The mobile client at ``/``: index.html and its files, or a page saying it is missing;
never a directory listing, never a file outside the folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from shared.db import Database
from sync.server import SyncServer

from .support import Api


@pytest.fixture
def client_dir(tmp_path: Path) -> Path:
    root = tmp_path / "mobile_web"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>达标</title>", encoding="utf-8")
    (root / "js" / "app.js").write_text("export const ok = true;\n", encoding="utf-8")
    (root / ".secret").write_text("hidden", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("not yours", encoding="utf-8")
    return root


@pytest.fixture
def client_server(campus_db: Database, client_dir: Path) -> Iterator[SyncServer]:
    server = SyncServer(campus_db, host="127.0.0.1", port=0, mdns=False, static_dir=client_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_client_is_served_at_the_root(client_server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        api = Api(http, client_server.urls[0])
        index = await api.get("/")
        assert index.status == 200
        assert "<title>达标</title>" in index.text
        assert index.headers["Content-Type"].startswith("text/html")
        script = await api.get("/js/app.js")
        assert script.status == 200
        assert "export const ok" in script.text
        assert script.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/js/",
        "/js",
        "/missing.js",
        "/.secret",
        "/js/../../outside.txt",
        "/%2e%2e/outside.txt",
        "/js/%2e%2e/%2e%2e/outside.txt",
        "/" + "a" * 5000,
    ],
)
async def test_no_listing_no_hidden_files_no_escape(client_server: SyncServer, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, client_server.urls[0]).get(path)
    assert reply.status == 404, (path, reply.text[:200])
    assert "not yours" not in reply.text and "hidden" not in reply.text


async def test_without_a_client_the_root_says_so_in_chinese(server: SyncServer) -> None:
    async with aiohttp.ClientSession() as http:
        reply = await Api(http, server.urls[0]).get("/")
    assert reply.status == 200
    assert "手机客户端尚未安装" in reply.text
