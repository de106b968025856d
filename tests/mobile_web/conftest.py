"""Fixtures of the phone client's browser tests.

A real server (``SyncServer`` on 127.0.0.1, port 0) serves ``mobile_web/`` over a copy of the
small demo campus; Debian's Chromium, driven by Playwright with DESIGN.md's flags, plays the
phones at 390×844 with a mobile user agent and touch. The demo is built once per session; the
browser is launched once per session, and every phone is a fresh context (fresh IndexedDB).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

import mobile_web
from shared.db import Database, open_database
from shared.demo import build_demo
from sync.server import SyncServer

from .support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TODAY,
    Campus,
    Person,
    Phone,
    RunningClock,
    find_campus,
)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The small demo campus, built once; and each person's PIN by name."""
    path = tmp_path_factory.mktemp("phone-demo") / "template.dabiao"
    result = build_demo(path, scale="small", seed=1, today=TODAY)
    return path, {login.name: login.pin for login in result.logins}


@pytest.fixture
def campus_db(demo_build: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Database]:
    """This test's own copy of the demo, open."""
    path = tmp_path / "campus.dabiao"
    shutil.copyfile(demo_build[0], path)
    database = open_database(path, create=False)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def campus(campus_db: Database, demo_build: tuple[Path, dict[str, str]]) -> Campus:
    """The demo's people and rows the tests act on."""
    return find_campus(campus_db, demo_build[1])


@pytest.fixture
def clock() -> RunningClock:
    """The server's clock (the demo's today, running)."""
    return RunningClock()


@pytest.fixture
def server(campus_db: Database, clock: RunningClock) -> Iterator[SyncServer]:
    """The LAN server with the phone client, on 127.0.0.1 and a free port, no mDNS."""
    srv = SyncServer(
        campus_db,
        host="127.0.0.1",
        port=0,
        mdns=False,
        static_dir=mobile_web.STATIC_DIR,
        clock=clock,
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def base_url(server: SyncServer) -> str:
    """Where the phones open the client."""
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with DESIGN.md's launch flags (never `playwright install`).

    Package-scoped: Playwright's sync API keeps an event loop running on the main thread while
    it lives, and pytest-asyncio's tests in later packages (tests/sync) cannot start theirs
    beside it, so it must be gone when this package's tests end.
    """
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_phone(browser: Browser, base_url: str) -> Iterator[Callable[[], Phone]]:
    """Make phones (fresh browser contexts); each must end without page errors or dialogs."""
    phones: list[Phone] = []

    def make() -> Phone:
        phone = Phone(browser.new_context(**PHONE), base_url)
        phones.append(phone)
        return phone

    yield make
    for phone in phones:
        phone.context.close()
    for phone in phones:
        assert phone.errors == [], f"JavaScript errors: {phone.errors}"
        assert phone.dialogs == [], f"dialogs opened: {phone.dialogs}"


@pytest.fixture
def phone_of(
    new_phone: Callable[[], Phone], campus_db: Database, clock: RunningClock
) -> Callable[[Person], Phone]:
    """A phone paired for ``person`` through the desktop's pairing link, on 我的任务."""

    def make(person: Person) -> Phone:
        return new_phone().pair(campus_db, person, clock())

    return make
