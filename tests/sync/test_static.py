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


async def test_the_real_client_is_gzipped_and_its_whole_load_fits_the_phone_budget(
    campus_db: Database,
) -> None:
    from mobile_web import STATIC_DIR

    files = sorted(p for p in STATIC_DIR.rglob("*") if p.suffix in {".html", ".css", ".js", ".svg"})
    assert any(p.name == "index.html" for p in files)
    server = SyncServer(campus_db, host="127.0.0.1", port=0, mdns=False, static_dir=STATIC_DIR)
    server.start()
    try:
        base = server.urls[0]
        # Every file of the client, so an upper bound on what a first visit transfers.
        async with aiohttp.ClientSession(auto_decompress=False) as http:
            transferred = raw = 0
            for path in files:
                url = f"{base}/{path.relative_to(STATIC_DIR).as_posix()}"
                async with http.get(url, headers={"Accept-Encoding": "gzip"}) as response:
                    assert response.status == 200, url
                    body = await response.read()
                    if path.stat().st_size >= 1024:
                        assert response.headers.get("Content-Encoding") == "gzip", url
                    transferred += len(body)
                    raw += path.stat().st_size
            etag = response.headers["ETag"]
            async with http.get(url, headers={"If-None-Match": etag}) as again:
                assert again.status == 304
    finally:
        server.stop()
    assert transferred <= 60 * 1024, f"{transferred} bytes compressed ({raw} raw)"
    assert transferred < raw / 2


async def test_json_views_are_gzipped_for_clients_that_ask(client_server: SyncServer) -> None:
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        url = f"{client_server.urls[0]}/api/openapi.json"
        async with http.get(url, headers={"Accept-Encoding": "gzip"}) as zipped:
            assert zipped.headers.get("Content-Encoding") == "gzip"
            small = len(await zipped.read())
        async with http.get(url, headers={"Accept-Encoding": "identity"}) as plain:
            assert "Content-Encoding" not in plain.headers
            assert len(await plain.read()) > 2 * small
