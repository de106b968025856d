"""Fixtures of the LAN server tests: the small demo campus, a real server on 127.0.0.1:0,
tokens for its people and a clock the tests move.

The demo is built once per session and copied into each test's folder, so every test owns a
real database file it may change.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.db import Database, open_database
from shared.demo import build_demo
from sync.live import CommitInfo
from sync.server import SyncServer

from .support import TODAY, FakeClock, People, find_people


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every coroutine test of this folder on pytest-asyncio's loop.

    The mark goes on the function itself before pytest-asyncio looks at it (its own hook
    decides at collection time); nothing else about collection changes.
    """
    if name.startswith("test") and inspect.iscoroutinefunction(obj):
        pytest.mark.asyncio(obj)


@pytest.fixture(autouse=True)
def no_server_bugs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test during which the server answered a request with a 500 (a logged bug)."""
    yield
    bugs = [r for r in caplog.get_records("call") if r.name == "sync.errors"]
    assert not bugs, [r.getMessage() for r in bugs]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo campus, built once (seed 1, a fixed today) and never opened for writing."""
    path = tmp_path_factory.mktemp("demo") / "template.dabiao"
    build_demo(path, scale="small", seed=1, today=TODAY)
    return path


@pytest.fixture
def campus_path(demo_template: Path, tmp_path: Path) -> Path:
    """This test's own copy of the demo file."""
    path = tmp_path / "campus.dabiao"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture
def campus_db(campus_path: Path) -> Iterator[Database]:
    """The copy, open; closed (checkpointed) after the test."""
    database = open_database(campus_path, create=False)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def clock() -> FakeClock:
    """The server's clock: 10:00 in Shanghai on the demo's today, moved by the tests."""
    return FakeClock()


@pytest.fixture
def commits() -> list[CommitInfo]:
    """What the server's on_commit callback received."""
    return []


@pytest.fixture
def server(
    campus_db: Database, clock: FakeClock, commits: list[CommitInfo], tmp_path: Path
) -> Iterator[SyncServer]:
    """A real server on 127.0.0.1 (any free port), without mDNS or a mobile client."""
    srv = SyncServer(
        campus_db,
        host="127.0.0.1",
        port=0,
        mdns=False,
        on_commit=commits.append,
        static_dir=tmp_path / "no-client",
        clock=clock,
        freeze_gc=False,  # one pytest process starts a hundred servers; nothing to gain
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def people(campus_db: Database) -> People:
    """The demo's manager, a teacher and a consultant, with facts about their scopes."""
    return find_people(campus_db)
