"""The desktop program: opening a file, first run, bad files, operations, closing whole."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.app import DesktopSession, choose_database, make_application
from desktop.config import DesktopConfig
from desktop.context import AppContext
from desktop.first_run import FirstRunDialog
from desktop.operations import current_job
from desktop.pages.dashboard_page import DashboardPage
from desktop.widgets.format import yuan
from shared import progress
from shared.db import open_database
from shared.errors import StorageUnavailable
from shared.models import Campus, Metric

from .conftest import DEMO_NOW, DEMO_TODAY, Phone, message_boxes, settle


@pytest.fixture
def session(qtbot, demo_path: Path):
    """The program as ``dabiao --db`` opens it, on the demo, server on 127.0.0.1."""
    config = DesktopConfig.load()
    desktop = DesktopSession(
        open_database(demo_path, create=False),
        config=config,
        host="127.0.0.1",
        port=0,
        mdns=False,
        now=lambda: DEMO_NOW,
    )
    qtbot.addWidget(desktop.window)
    desktop.show()
    qtbot.waitUntil(lambda: desktop.bridge.running, timeout=5000)
    settle(desktop.ctx)
    yield desktop
    desktop.window.close()
    desktop.close()


def test_the_app_opens_on_a_file_and_shows_the_dashboard_figures(session, demo_path) -> None:
    window = session.window
    assert window.isVisible()
    assert window.current_page().key == "dashboard"
    page = window.current_page()
    assert isinstance(page, DashboardPage)
    with session.ctx.db.reader() as s:
        campus = s.query(Campus).one()
        board = progress.dashboard(s, campus.id, DEMO_TODAY)
    card = page.cards[(Metric.REVENUE, "month")]
    assert card.actual_label.text() == yuan(board.revenue.month.actual_fen)
    assert window.windowTitle() == f"达标 — {campus.name} — {demo_path.name}"
    assert session.bridge.urls[0] in window.server_label.text()
    status, health = Phone(session.bridge.urls[0]).get("/api/health")
    assert status == 200, health
    # The file is remembered for next time.
    assert DesktopConfig.load().last_database == str(demo_path.resolve())


def test_closing_stops_the_server_and_leaves_one_file(session, demo_path) -> None:
    url = session.bridge.urls[0]
    session.window.close()
    session.close()
    assert not session.bridge.running
    assert not demo_path.with_name(demo_path.name + "-wal").exists()
    assert not demo_path.with_name(demo_path.name + "-shm").exists()
    with pytest.raises(OSError):
        Phone(url).get("/api/health")


def test_the_remembered_file_opens_without_the_dialog(qtbot, demo_path) -> None:
    config = DesktopConfig.load()
    config.remember_database(demo_path)
    db = choose_database(None, demo=False, config=DesktopConfig.load())
    try:
        assert db is not None and db.path == demo_path.resolve()
    finally:
        db.close()


def test_a_bad_file_gives_the_chinese_message_in_the_first_run_dialog(qtbot, tmp_path) -> None:
    junk = tmp_path / "文档.dabiao"
    junk.write_text("不是数据库" * 100, encoding="utf-8")
    seen: list[str] = []

    def inspect_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, FirstRunDialog)
        seen.append(dialog.problem.text())
        dialog.reject()

    QTimer.singleShot(200, inspect_dialog)
    assert choose_database(junk, demo=False, config=DesktopConfig.load()) is None
    assert seen and "不是达标数据库文件" in seen[0]
    assert "Traceback" not in seen[0]


def test_first_run_creates_a_new_campus_file(qtbot, tmp_path) -> None:
    dialog = FirstRunDialog(demo_path=tmp_path / "demo.dabiao")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.new_button.click()
    dialog.name_edit.setText("星星琴行")
    dialog.code_edit.setText("XX01")
    dialog.location_edit.setText(str(tmp_path / "星星琴行"))
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.create_button.click()
    db = dialog.database
    try:
        assert db is not None and db.path == tmp_path / "星星琴行.dabiao"
        with db.reader() as s:
            assert [(c.name, c.code) for c in s.query(Campus)] == [("星星琴行", "XX01")]
    finally:
        db.close()


def test_first_run_refuses_an_empty_name_and_creates_no_file(qtbot, tmp_path) -> None:
    dialog = FirstRunDialog(demo_path=tmp_path / "demo.dabiao")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.new_button.click()
    dialog.name_edit.setText(" ")
    dialog.location_edit.setText(str(tmp_path / "x.dabiao"))
    dialog.create_button.click()
    dialog.ops.wait_idle()
    assert dialog.stack.currentIndex() == 1  # back on the form
    assert dialog.problem.isVisible() and dialog.problem.text()
    assert not (tmp_path / "x.dabiao").exists()
    for box in message_boxes():
        box.close()


def test_first_run_opens_an_existing_file_and_explains_a_bad_one(qtbot, tmp_path, demo_path):
    dialog = FirstRunDialog(demo_path=tmp_path / "demo.dabiao")
    qtbot.addWidget(dialog)
    dialog.show()
    junk = tmp_path / "junk.dabiao"
    junk.write_bytes(b"\x00" * 4096)
    dialog.open_file(junk)
    dialog.ops.wait_idle()
    assert "不是达标数据库文件" in dialog.problem.text()
    assert dialog.database is None
    for box in message_boxes():
        box.close()
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.open_file(demo_path)
    assert dialog.database is not None
    dialog.database.close()


def test_first_run_builds_and_opens_the_demo_with_progress(qtbot, tmp_path) -> None:
    demo = tmp_path / "demo.dabiao"
    dialog = FirstRunDialog(demo_path=demo)
    qtbot.addWidget(dialog)
    dialog.show()
    values: list[int] = []
    dialog.progress_bar.valueChanged.connect(values.append)
    with qtbot.waitSignal(dialog.accepted, timeout=60_000):
        dialog.demo_button.click()
    assert values and max(values) >= 90
    db = dialog.database
    try:
        with db.reader() as s:
            assert s.query(Campus).count() == 1
    finally:
        db.close()


def test_cancelling_the_demo_build_leaves_no_file(qtbot, tmp_path) -> None:
    demo = tmp_path / "demo.dabiao"
    dialog = FirstRunDialog(demo_path=demo)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.open_demo()
    assert dialog.cancel_button.isVisible()
    dialog.cancel()
    assert dialog.ops.wait_idle(60_000)
    assert dialog.database is None
    assert dialog.stack.currentIndex() == 0
    assert "已取消" in dialog.problem.text()
    assert not demo.exists()


def test_make_application_picks_a_cjk_font() -> None:
    app = make_application()
    assert app.applicationDisplayName() == "达标"
    assert app.font().family() in {"WenQuanYi Micro Hei", "Noto Sans CJK SC", "WenQuanYi Zen Hei"}


# --------------------------------------------------------------------------- operations


def test_callbacks_arrive_on_the_gui_thread(ctx: AppContext) -> None:
    from PySide6.QtCore import QThread

    threads: list[tuple[bool, bool]] = []

    def work(_session):
        return QThread.currentThread() is QApplication.instance().thread()

    ctx.ops.read(work, lambda on_gui: threads.append((on_gui, _on_gui_thread())))
    settle(ctx)
    assert threads == [(False, True)]


def _on_gui_thread() -> bool:
    from PySide6.QtCore import QThread

    return QThread.currentThread() is QApplication.instance().thread()


def test_the_window_stays_responsive_during_a_long_job(qtbot, ctx: AppContext) -> None:
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    reports: list[int] = []

    def long_job() -> str:
        job = current_job()
        for step in range(10):
            time.sleep(0.08)
            job.report(step * 10, f"第 {step} 步")
        return "完成"

    done: list[str] = []
    ctx.ops.run(long_job, done.append, progress=lambda p, _t: reports.append(p), label="长任务")
    qtbot.waitUntil(lambda: done == ["完成"], timeout=5000)
    timer.stop()
    assert len(ticks) >= 20  # 0.8 s of work, a tick every 20 ms: the GUI thread kept going
    assert reports == list(range(0, 100, 10))


def test_a_cancelled_job_calls_neither_done_nor_error(qtbot, ctx: AppContext) -> None:
    outcome: list[str] = []

    def slow() -> None:
        job = current_job()
        for _ in range(100):
            time.sleep(0.01)
            job.check_cancelled()

    job = ctx.ops.run(
        slow, lambda _r: outcome.append("done"), on_cancelled=lambda: outcome.append("cancelled")
    )
    job.cancel()
    settle(ctx)
    assert outcome == ["cancelled"]


def test_an_environment_error_is_a_chinese_warning(qtbot, ctx: AppContext) -> None:
    def fails(_session):
        raise StorageUnavailable("磁盘已满，无法写入。")

    ctx.ops.write(fails, lambda _r: None, label="保存")
    settle(ctx)
    boxes = message_boxes()
    assert [b.text() for b in boxes] == ["磁盘已满，无法写入。"]
    assert boxes[0].windowTitle() == "保存未完成"


def test_a_bug_is_logged_and_shown_as_a_program_error(
    qtbot, ctx: AppContext, caplog, bugs_fail_the_test
) -> None:
    def buggy(_session):
        return 1 / 0

    with caplog.at_level(logging.ERROR, logger="desktop.errors"):
        ctx.ops.read(buggy, lambda _r: None, on_error=lambda _e: None, label="读取数据")
        settle(ctx)
    boxes = message_boxes()
    assert [b.windowTitle() for b in boxes] == ["程序错误"]
    assert "ZeroDivisionError" in boxes[0].detailedText()
    assert "ZeroDivisionError" in caplog.text
    assert isinstance(bugs_fail_the_test.pop(), ZeroDivisionError)


def test_a_burst_of_writes_causes_one_data_changed(qtbot, ctx: AppContext) -> None:
    changes: list[int] = []
    ctx.data_changed.connect(lambda: changes.append(1))
    for _ in range(5):
        ctx.ops.write(lambda _s: None, lambda _r: None)
    settle(ctx)
    assert changes == [1]


def test_the_bridge_default_port_is_the_servers() -> None:
    from desktop.server_bridge import DEFAULT_PORT
    from sync.server import DEFAULT_PORT as SERVER_PORT

    assert DEFAULT_PORT == SERVER_PORT == 8765


def test_pages_are_built_when_first_shown(main_window) -> None:
    assert list(main_window.pages) == ["dashboard"]
    page = main_window.show_page("settings")
    assert main_window.pages["settings"] is page
    assert main_window.page_keys[0] == "dashboard" and main_window.page_keys[-1] == "settings"


def test_dabiao_db_runs_as_a_process_and_sigterm_closes_the_file_whole(demo_path, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop",
            "--db",
            str(demo_path),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-mdns",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = child.stderr.readline()
            lines.append(line)
            if "LAN server listening" in line or not line:
                break
        assert any("LAN server listening" in line for line in lines), "".join(lines)
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
    assert not demo_path.with_name(demo_path.name + "-wal").exists()
    assert "Traceback" not in child.stderr.read()


def test_the_toolbar_opens_the_import_and_report_dialogs(qtbot, main_window) -> None:
    from desktop.dialogs.import_dialog import ImportDialog
    from desktop.dialogs.report_dialog import ReportDialog

    for action, kind, title in (
        (main_window.import_action, ImportDialog, "导入"),
        (main_window.report_action, ReportDialog, "报告"),
    ):
        action.trigger()
        dialogs = [w for w in main_window.findChildren(kind) if w.isVisible()]
        assert len(dialogs) == 1, kind
        assert title in dialogs[0].windowTitle()
        dialogs[0].reject()
