"""Fixtures for desktop tests: real widgets (offscreen), real database files, a real server.

The small demo is built ONCE per session (a few seconds) with a fixed "today", then copied for
each test, so every test starts from the same figures and may write freely.

* ``demo_path`` — a private copy of the small demo;
* ``ctx`` — an :class:`~desktop.context.AppContext` on that copy, today pinned to
  :data:`DEMO_TODAY`, no server;
* ``served_ctx`` — the same with the embedded server started on 127.0.0.1, a free port, no
  mDNS (``served_ctx.bridge.urls[0]`` is its base URL);
* ``main_window`` — a shown :class:`~desktop.main_window.MainWindow` over ``ctx`` with the
  first page loaded;
* :func:`settle` — wait until every operation finished and no refresh is scheduled.

A bug shown as 程序错误 during a test fails it (qutebrowser's habit: a bug is never quiet).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import desktop.errors
from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.server_bridge import ServerBridge
from shared.db import open_database

DEMO_TODAY = date(2025, 6, 18)  # a Wednesday mid-month: year, month and week all under way
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
    context = AppContext(open_database(demo_path, create=False), today=lambda: DEMO_TODAY)
    try:
        yield context
    finally:
        _close(context)


@pytest.fixture
def served_ctx(qtbot, demo_path: Path) -> Iterator[AppContext]:  # noqa: ARG001
    """An AppContext whose embedded server listens on 127.0.0.1 (free port, no mDNS)."""
    db = open_database(demo_path, create=False)
    bridge = ServerBridge(db, host="127.0.0.1", port=0, mdns=False)
    context = AppContext(db, bridge=bridge, today=lambda: DEMO_TODAY)
    bridge.setParent(context)
    bridge.start()
    try:
        yield context
    finally:
        _close(context)


@pytest.fixture
def main_window(qtbot, ctx: AppContext) -> Iterator[MainWindow]:
    """The main window over ``ctx``, shown, with its first page loaded."""
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    settle(ctx)
    yield window
    settle(ctx)
