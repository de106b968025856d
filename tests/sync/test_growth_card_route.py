"""``GET /api/students/{id}/growth-card.png``: the card as a picture, only within scope."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from PySide6.QtGui import QImage

from desktop.render.card import growth_card_png
from shared.db import Database
from shared.growth_card import GrowthCardData
from sync.server import SyncServer

from .support import FakeClock, People, token_for


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def drawn() -> list[GrowthCardData]:
    """The cards the renderer was asked for."""
    return []


@pytest.fixture
def card_server(
    qapp: object,
    campus_db: Database,
    clock: FakeClock,
    tmp_path: Path,
    drawn: list[GrowthCardData],
) -> Iterator[SyncServer]:
    """A real server with the desktop's real card renderer (Qt, offscreen; pytest-qt's
    application, so widget tests later in the same process still get a QApplication)."""

    def renderer(data: GrowthCardData) -> bytes:
        drawn.append(data)
        return growth_card_png(data)

    srv = SyncServer(
        campus_db,
        host="127.0.0.1",
        port=0,
        mdns=False,
        static_dir=tmp_path / "no-client",
        clock=clock,
        freeze_gc=False,
        card_renderer=renderer,
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


async def _get(
    http: aiohttp.ClientSession, server: SyncServer, path: str, token: str | None
) -> tuple[int, str, bytes]:
    headers = {"Accept-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with http.get(server.urls[0] + path, headers=headers) as response:
        if response.status == 200:
            assert "Content-Encoding" not in response.headers  # PNG is not gzipped again
        return response.status, response.content_type, await response.read()


def _path(student_id: str) -> str:
    return f"/api/students/{student_id}/growth-card.png"


async def test_a_teacher_gets_the_card_of_a_student_they_teach(
    http: aiohttp.ClientSession,
    card_server: SyncServer,
    campus_db: Database,
    people: People,
    drawn: list[GrowthCardData],
) -> None:
    student_id = people.teacher_lesson_students[0]
    token = token_for(campus_db, people.teacher.staff_id)
    status, content_type, body = await _get(http, card_server, _path(student_id), token)
    assert status == 200, body[:200]
    assert content_type == "image/png"
    image = QImage.fromData(body, "PNG")
    assert (image.width(), image.height()) == (1080, 1920)
    assert [d.student_id for d in drawn] == [student_id]


async def test_a_student_outside_the_callers_scope_is_forbidden(
    http: aiohttp.ClientSession,
    card_server: SyncServer,
    campus_db: Database,
    people: People,
    drawn: list[GrowthCardData],
) -> None:
    token = token_for(campus_db, people.teacher.staff_id)
    status, content_type, body = await _get(
        http, card_server, _path(people.consultant_only_student), token
    )
    assert (status, content_type) == (403, "application/json")
    assert drawn == []


@pytest.mark.parametrize(
    ("student_id", "status"),
    [("00000000-0000-0000-0000-000000000000", 404), ("not-an-id", 422)],
)
async def test_unknown_or_malformed_ids_get_json_errors(
    http: aiohttp.ClientSession,
    card_server: SyncServer,
    campus_db: Database,
    people: People,
    student_id: str,
    status: int,
) -> None:
    token = token_for(campus_db, people.manager.staff_id)
    got, content_type, _body = await _get(http, card_server, _path(student_id), token)
    assert (got, content_type) == (status, "application/json")


async def test_no_token_no_card(
    http: aiohttp.ClientSession, card_server: SyncServer, people: People
) -> None:
    status, _type, _body = await _get(
        http, card_server, _path(people.teacher_lesson_students[0]), None
    )
    assert status == 401


async def test_a_server_without_a_renderer_says_so_in_chinese(
    http: aiohttp.ClientSession, server: SyncServer, campus_db: Database, people: People
) -> None:
    token = token_for(campus_db, people.manager.staff_id)
    async with http.get(
        server.urls[0] + _path(people.teacher_lesson_students[0]),
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 503
        body = await response.json()
    assert body["error"]["code"] == "storage_unavailable"
    assert "成长卡片" in body["error"]["message"]


async def test_the_route_is_documented_as_a_png(
    http: aiohttp.ClientSession, server: SyncServer
) -> None:
    async with http.get(server.urls[0] + "/api/openapi.json") as response:
        document = await response.json()
    operation = document["paths"]["/api/students/{id}/growth-card.png"]["get"]
    assert operation["security"] == [{"bearer": []}]
    content = operation["responses"]["200"]["content"]
    assert content == {"image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}}


def test_dabiao_serve_draws_cards_headless(campus_path: Path) -> None:
    """``dabiao serve`` makes its own offscreen application and passes the real renderer."""
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from shared.db import open_database

    from .support import find_people
    from .test_serve_cli import REPO, read_url

    db = open_database(campus_path, create=False)
    try:
        people = find_people(db)
        token = token_for(db, people.teacher.staff_id)
    finally:
        db.close()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "serve", "--db", str(campus_path)]
        + ["--host", "127.0.0.1", "--port", "0", "--no-mdns"],
        cwd=REPO,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url, _lines = read_url(process)
        request = urllib.request.Request(
            url + _path(people.teacher_lesson_students[0]),
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.headers["Content-Type"] == "image/png"
            assert response.read().startswith(b"\x89PNG")
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
