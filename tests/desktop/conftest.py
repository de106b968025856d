"""Fixtures for desktop tests: real widgets (offscreen), real database files, a real server.

The small demo is built ONCE per session (a few seconds) with a fixed "today", then copied for
each test, so every test starts from the same figures and may write freely.

* ``demo_path`` — a private copy of the small demo;
* ``ctx`` — an :class:`~desktop.context.AppContext` on that copy, its clock pinned to
  :data:`DEMO_NOW` (so ``ctx.today()`` is :data:`DEMO_TODAY`), no server;
* ``served_ctx`` — the same with the embedded server started on 127.0.0.1, a free port, no
  mDNS, on the same pinned clock (``served_ctx.bridge.urls[0]`` is its base URL);
* ``main_window`` — a shown :class:`~desktop.main_window.MainWindow` over ``ctx`` with the
  first page loaded;
* ``served_window`` — the same over ``served_ctx``;
* :func:`settle` — wait until every operation finished and no refresh is scheduled;
* :class:`Phone` — a phone speaking HTTP to the embedded server (pair, push, read).

A bug shown as 程序错误 during a test fails it (qutebrowser's habit: a bug is never quiet).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import desktop.errors
from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.server_bridge import ServerBridge
from shared.db import open_database
from shared.sync_log import API_SCHEMA_VERSION

DEMO_TODAY = date(2025, 6, 18)  # a Wednesday mid-month: year, month and week all under way
DEMO_NOW = datetime(2025, 6, 18, 2, 0, tzinfo=UTC)  # 10:00 that morning in Shanghai
DEMO_SEED = 1


def settle(ctx: AppContext, timeout_ms: int = 15_000) -> None:
    """Wait until no operation is pending and no ``data_changed`` is scheduled."""
    assert ctx.settle(timeout_ms), f"operations still pending: {ctx.ops.pending_labels()}"


def message_boxes() -> list[QMessageBox]:
    """The message boxes open right now (errors and notices open non-blocking)."""
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo, built once per test session with a fixed today."""
    from shared.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.dabiao"
    build_demo(path, scale="small", seed=DEMO_SEED, today=DEMO_TODAY)
    return path


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the small demo for one test."""
    path = tmp_path / "campus.dabiao"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture(autouse=True)
def private_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point platformdirs' config and data folders into the test's tmp dir (never ~)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def bugs_fail_the_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """Record every bug the desktop reports; a test that saw one fails at teardown."""
    seen: list[BaseException] = []
    original = desktop.errors.report_bug

    def recording(parent: QWidget | None, exc: BaseException, *, action: str | None = None):
        seen.append(exc)
        return original(parent, exc, action=action)

    monkeypatch.setattr(desktop.errors, "report_bug", recording)
    yield seen
    for box in message_boxes():
        box.close()
    if seen:
        raise AssertionError(f"the desktop reported a bug: {seen[0]!r}") from seen[0]


def _close(ctx: AppContext) -> None:
    ctx.settle(15_000)
    if ctx.bridge is not None:
        ctx.bridge.stop()
    ctx.ops.shutdown()
    ctx.db.close()


@pytest.fixture
def ctx(qtbot, demo_path: Path) -> Iterator[AppContext]:  # noqa: ARG001 - qtbot makes the app
    """An AppContext on a copy of the small demo, today pinned to DEMO_TODAY, no server."""
    context = AppContext(open_database(demo_path, create=False), now=lambda: DEMO_NOW)
    try:
        yield context
    finally:
        _close(context)


@pytest.fixture
def served_ctx(qtbot, demo_path: Path) -> Iterator[AppContext]:  # noqa: ARG001
    """An AppContext whose embedded server listens on 127.0.0.1 (free port, no mDNS)."""
    db = open_database(demo_path, create=False)
    bridge = ServerBridge(db, host="127.0.0.1", port=0, mdns=False, clock=lambda: DEMO_NOW)
    context = AppContext(db, bridge=bridge, now=lambda: DEMO_NOW)
    bridge.setParent(context)
    bridge.start()
    try:
        yield context
    finally:
        _close(context)


def _window(qtbot, context: AppContext) -> Iterator[MainWindow]:
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    settle(context)
    yield window
    settle(context)


@pytest.fixture
def main_window(qtbot, ctx: AppContext) -> Iterator[MainWindow]:
    """The main window over ``ctx``, shown, with its first page loaded."""
    yield from _window(qtbot, ctx)


@pytest.fixture
def served_window(qtbot, served_ctx: AppContext) -> Iterator[MainWindow]:
    """The main window over ``served_ctx`` (with the embedded server running)."""
    yield from _window(qtbot, served_ctx)


class Phone:
    """A phone talking to the embedded server over real HTTP (urllib, 127.0.0.1 only)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one request; return (status, decoded JSON body)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        return self.call("POST", path, body)

    def push(self, *mutations: dict[str, Any]) -> dict[str, Any]:
        """Push mutations from a fresh outbox; return the answer (asserting 200)."""
        status, answer = self.post(
            "/api/push",
            {
                "client_id": uuid.uuid4().hex,
                "schema_version": API_SCHEMA_VERSION,
                "mutations": [{"mutation_id": i + 1, **m} for i, m in enumerate(mutations)],
            },
        )
        assert status == 200, answer
        return answer
