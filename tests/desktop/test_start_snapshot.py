"""The everyday start: the dashboard drawn from its exact snapshot while the file opens.

A session on a copy of the small demo is closed cleanly (the snapshot is stamped, with the
figures of the next three business dates); the next start — the same day or one of those —
finds it valid, shows the window with the figures before any Database exists, opens the file
on a worker and then reads the same figures from it. Every doubt refuses the snapshot.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from desktop.app import OPEN_FAILED, DesktopSession, everyday_session
from desktop.config import DesktopConfig
from desktop.first_run import FirstRunDialog
from desktop.main_window import OPENING
from desktop.pages import PAGES, dashboard_page
from desktop.pages.dashboard_page import (
    AS_OF_TIP,
    CampusFigures,
    DashboardPage,
    as_of_text,
    load_campus_figures,
    load_following_days,
)
from desktop.snapshot import load_snapshot, snapshot_path
from shared.db import open_database
from shared.models import Campus, Metric
from shared.services.campus import create_campus

from .conftest import DEMO_NOW, DEMO_TODAY, settle

ROOT = Path(__file__).resolve().parents[2]
SERVER = {"host": "127.0.0.1", "port": 0, "mdns": False}


def _normal_session(qtbot, path: Path) -> DesktopSession:
    session = DesktopSession(
        open_database(path, create=False),
        config=DesktopConfig.load(),
        now=lambda: DEMO_NOW,
        **SERVER,
    )
    qtbot.addWidget(session.window)
    session.show()
    qtbot.waitUntil(lambda: session.bridge.running, timeout=10_000)
    settle(session.ctx)
    return session


def _close(session: DesktopSession) -> None:
    session.window.close()
    session.close()


def _everyday(qtbot, path: Path, now: datetime = DEMO_NOW) -> DesktopSession | None:
    session = everyday_session(
        path, demo=False, config=DesktopConfig.load(), now=lambda: now, **SERVER
    )
    if session is not None:
        qtbot.addWidget(session.window)
    return session


def _card_texts(page: DashboardPage) -> dict[str, str]:
    return {
        f"{metric.value}/{kind}": page.cards[(metric, kind)].actual_label.text()
        for metric in (Metric.REVENUE, Metric.CONSUMPTION)
        for kind in ("year", "month", "week")
    }


@pytest.fixture
def closed_cleanly(qtbot, demo_path: Path) -> tuple[Path, DashboardPage]:
    """The demo copy after one normal session closed cleanly (its snapshot stamped)."""
    session = _normal_session(qtbot, demo_path)
    page = session.window.page("dashboard")
    assert isinstance(page, DashboardPage) and page.figures is not None
    _close(session)
    return demo_path, page


def test_the_snapshot_is_written_at_close_and_draws_the_next_start(qtbot, closed_cleanly):
    path, before = closed_cleanly
    assert snapshot_path(path).is_file()
    session = _everyday(qtbot, path)
    assert session is not None
    try:
        session.show()
        # Drawn before the file is open: no Database exists yet.
        assert session.ctx.db is None and not session.ctx.is_open
        page = session.window.current_page()
        assert isinstance(page, DashboardPage) and page.figures is not None
        assert page.figures == before.figures
        assert _card_texts(page) == _card_texts(before)
        # This week's 课消预测 comes from the snapshot too, beside the month's.
        week_text = before.week_outlook_label.text()
        assert "本周" in week_text
        assert page.week_outlook_label.text() == week_text
        assert page.outlook_label.text() == before.outlook_label.text()
        assert page.updated.text() == f"更新于 {before.figures.loaded_at:%H:%M:%S}"
        assert session.window.windowTitle() == before.window().windowTitle()
        # Then the file opens on a worker, the dashboard reads it again, the server starts.
        qtbot.waitUntil(lambda: session.ctx.is_open and session.bridge.running, timeout=15_000)
        settle(session.ctx)
        assert page.figures_read_at is not None  # read from the file this time
        assert page.figures.dashboard == before.figures.dashboard
        assert page.figures.weak == before.figures.weak
        assert page.figures.few_hours == before.figures.few_hours
        assert page.figures.follow_ups == before.figures.follow_ups
        assert _card_texts(page) == _card_texts(before)
    finally:
        _close(session)
    # Closed cleanly again: the next start has a snapshot again.
    assert load_snapshot(path, DEMO_TODAY) is not None


def test_a_file_changed_since_is_not_drawn_from_the_snapshot(qtbot, closed_cleanly):
    path, _page = closed_cleanly
    assert load_snapshot(path, DEMO_TODAY) is not None
    with sqlite3.connect(path) as conn:  # another program writes to the file
        conn.execute("UPDATE campuses SET name = name || '（改）'")
    conn.close()
    assert load_snapshot(path, DEMO_TODAY) is None
    assert _everyday(qtbot, path) is None


def test_a_touched_file_a_wal_file_or_another_day_refuses_the_snapshot(closed_cleanly):
    path, _page = closed_cleanly
    assert load_snapshot(path, DEMO_TODAY) is not None
    for days in (1, 2, 3):  # the figures of the next three business dates are stored too
        assert load_snapshot(path, DEMO_TODAY + timedelta(days=days)) is not None
    assert load_snapshot(path, DEMO_TODAY + timedelta(days=4)) is None
    assert load_snapshot(path, DEMO_TODAY - timedelta(days=1)) is None
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"")
    assert load_snapshot(path, DEMO_TODAY) is None
    wal.unlink()
    assert load_snapshot(path, DEMO_TODAY) is not None
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_snapshot(path, DEMO_TODAY) is None


def test_figures_of_another_campus_are_not_drawn(qtbot, demo_path: Path) -> None:
    with open_database(demo_path, create=False) as db, db.unit_of_work() as s:
        create_campus(s, name="后开校区", code="ZZ99")
    session = _normal_session(qtbot, demo_path)
    first = session.ctx.campuses[0].id
    other = session.ctx.campuses[1].id
    session.ctx.set_campus(other)
    settle(session.ctx)
    page = session.window.page("dashboard")
    assert page.figures is not None and page.figures.dashboard.campus_id == other
    _close(session)
    # The next start shows the first campus, the snapshot holds the other one: refused.
    assert first != other
    assert load_snapshot(demo_path, DEMO_TODAY) is None


def test_a_commit_after_the_last_read_leaves_no_snapshot(qtbot, demo_path: Path) -> None:
    session = _normal_session(qtbot, demo_path)
    session.ctx.ops.write(lambda s: None, lambda _none: None)  # counts as a commit
    session.ctx.ops.wait_idle()
    assert session.ctx.generation > 0
    page = session.window.page("dashboard")
    assert page.figures_read_at is not None
    assert page.figures_read_at[0] != session.ctx.generation  # the refresh is still debounced
    _close(session)
    assert not snapshot_path(demo_path).exists()


def test_a_change_by_another_program_while_open_leaves_no_snapshot(qtbot, demo_path: Path):
    session = _normal_session(qtbot, demo_path)
    # Another program (dabiao serve, a script) commits to the same file; no signal reaches
    # the window, only the file's change counter moves.
    with open_database(demo_path, create=False) as other, other.unit_of_work() as s:
        campus = s.query(Campus).one()
        campus.name = campus.name + "（改）"
    generation = session.ctx.generation
    _close(session)
    assert session.ctx.generation == generation
    assert not snapshot_path(demo_path).exists()


def test_a_corrupt_or_foreign_snapshot_is_ignored_and_deleted(closed_cleanly) -> None:
    path, _page = closed_cleanly
    file = snapshot_path(path)
    file.write_bytes(b"\x80\x05garbage")
    assert load_snapshot(path, DEMO_TODAY) is None
    assert not file.exists()
    # A pickle naming anything but the figure types is never executed.
    marker = path.with_name("ran")
    file.write_bytes(pickle.dumps(_Touch(marker)))
    assert load_snapshot(path, DEMO_TODAY) is None
    assert not marker.exists()
    assert not file.exists()


def test_a_snapshot_written_before_the_week_outlook_is_ignored(closed_cleanly) -> None:
    path, _page = closed_cleanly
    file = snapshot_path(path)
    current = load_snapshot(path, DEMO_TODAY)
    assert current is not None
    assert all(figures[0].week_outlook.period.kind == "week" for _day, figures in current.days)
    # Format 2 held Dashboards without ``week_outlook``: an older program's file is refused.
    file.write_bytes(pickle.dumps(replace(current, format_version=2)))
    assert load_snapshot(path, DEMO_TODAY) is None


class _Touch:
    """Unpickled by an unrestricted loader, this would create ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # noqa: ANN204
        return (Path.touch, (self.path,))


def test_a_click_on_another_page_while_the_file_opens_works_once_it_is(qtbot, closed_cleanly):
    path, _page = closed_cleanly
    session = _everyday(qtbot, path)
    assert session is not None
    try:
        session.show()
        window = session.window
        assert not session.ctx.is_open
        window.nav.setCurrentRow(window.page_keys.index("students"))  # the click
        assert "students" not in window.pages  # not built before the file is open
        # The dialogs that work on the file itself wait for it too.
        assert not window.import_action.isEnabled() and not window.report_action.isEnabled()
        slot = window.stack.currentWidget()
        assert slot.currentWidget().text() == OPENING
        # A read asked for meanwhile waits for the file instead of failing.
        counted: list[int] = []
        session.ctx.ops.read(lambda s: len(s.execute(_campus_ids()).all()), counted.append)
        qtbot.waitUntil(lambda: session.ctx.is_open, timeout=15_000)
        settle(session.ctx)
        assert counted == [1]
        page = window.current_page()
        assert page is not None and page.key == "students"
        assert slot.currentWidget() is page
        assert window.pages["students"] is page
        assert window.import_action.isEnabled() and window.report_action.isEnabled()
    finally:
        _close(session)


def _campus_ids():
    from sqlalchemy import select

    from shared.models import Campus

    return select(Campus.id)


def test_a_file_that_fails_to_open_after_a_valid_snapshot_is_explained(qtbot, closed_cleanly):
    path, _page = closed_cleanly
    # The file goes bad in place, keeping its size, inode and modification time.
    st = path.stat()
    with path.open("r+b") as f:
        f.write(b"\x00" * 100)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    session = _everyday(qtbot, path)
    assert session is not None  # the stamp still matches
    try:
        session.show()
        qtbot.waitUntil(lambda: session.first_run is not None, timeout=15_000)
        dialog = session.first_run
        assert isinstance(dialog, FirstRunDialog) and dialog.isVisible()
        assert "不是达标数据库文件" in dialog.problem.text()
        note = session.window.stack.currentWidget().currentWidget()
        assert note.text().startswith(OPEN_FAILED) and "不是达标数据库文件" in note.text()
        assert not snapshot_path(path).exists()  # the next start takes the normal path
        dialog.reject()
        qtbot.waitUntil(lambda: not session.window.isVisible(), timeout=5_000)
    finally:
        _close(session)
    assert not session.bridge.running


def test_every_page_entry_names_its_class() -> None:
    for entry in PAGES:
        page_class = entry.load()
        assert (page_class.key, page_class.title) == (entry.key, entry.title)


@pytest.mark.parametrize("days_later", [0, 1], ids=["same day", "next morning"])
def test_the_everyday_start_draws_without_sqlalchemy_pydantic_alembic_or_aiohttp(
    qtbot,  # noqa: ARG001 - the application of this process is not used by the child
    closed_cleanly,
    tmp_path: Path,
    days_later: int,
) -> None:
    path, before = closed_cleanly
    start = DEMO_NOW + timedelta(days=days_later)
    code = textwrap.dedent(
        f"""
        import json, os, sys
        from datetime import datetime, UTC
        from pathlib import Path
        from desktop.app import everyday_session, make_application
        from desktop.config import DesktopConfig

        app = make_application()
        now = datetime({start.year}, {start.month}, {start.day}, {start.hour}, tzinfo=UTC)
        session = everyday_session(
            Path({str(path)!r}), demo=False, config=DesktopConfig.load(),
            now=lambda: now, host="127.0.0.1", port=0, mdns=False,
        )
        session.show()
        session.window.repaint()
        page = session.window.current_page()
        heavy = sorted(
            m for m in sys.modules
            if m.split(".")[0] in ("sqlalchemy", "pydantic", "alembic", "aiohttp")
        )
        print(json.dumps({{
            "drawn": page.figures is not None and session.ctx.db is None,
            "today": str(page.figures.dashboard.today),
            "updated": page.updated.text(),
            "revenue": page.cards[(page.figures.dashboard.revenue.month.metric, "month")]
                .actual_label.text(),
            "heavy": heavy,
        }}))
        sys.stdout.flush()
        os._exit(0)
        """
    )
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=os.environ["XDG_CONFIG_HOME"],
        XDG_CACHE_HOME=os.environ["XDG_CACHE_HOME"],
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["drawn"] is True
    assert result["today"] == str(DEMO_TODAY + timedelta(days=days_later))
    if days_later:
        assert result["updated"] == "数据截至 昨天 10:00"
    assert result["revenue"] == before.cards[(Metric.REVENUE, "month")].actual_label.text()
    assert result["heavy"] == []
    QApplication.processEvents()


def _run_dabiao(path: Path, tmp_path: Path) -> str:
    """``dabiao --db path`` as a process until its server listens, then SIGTERM; its log."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    command = [sys.executable, "-m", "desktop", "--db", str(path)]
    command += ["--host", "127.0.0.1", "--port", "0", "--no-mdns"]
    child = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
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
        lines.append(child.stderr.read())
    finally:
        if child.poll() is None:
            child.kill()
    log = "".join(lines)
    assert "Traceback" not in log
    return log


def test_dabiao_starts_the_everyday_way_after_a_clean_close(demo_path: Path, tmp_path: Path):
    first = _run_dabiao(demo_path, tmp_path)
    assert "from its snapshot" not in first
    assert "dashboard snapshot kept" in first
    second = _run_dabiao(demo_path, tmp_path)
    assert "drawing the dashboard from its snapshot" in second
    assert "dashboard snapshot kept" in second


# --------------------------------------------------------------------------- the next mornings


def _same_figures(stored: CampusFigures, fresh: CampusFigures) -> bool:
    """Equal but for the time of the read (the only field not a function of data and date)."""
    return replace(fresh, loaded_at=stored.loaded_at) == stored


def test_the_figures_stored_for_the_following_days_equal_a_fresh_read(closed_cleanly):
    path, before = closed_cleanly
    snapshot = load_snapshot(path, DEMO_TODAY)
    assert snapshot is not None
    following = [DEMO_TODAY + timedelta(days=n) for n in (1, 2, 3)]
    assert [day for day, _ in snapshot.days] == [DEMO_TODAY, *following]
    assert snapshot.closing_day == DEMO_TODAY and snapshot.closed_at == DEMO_NOW
    with open_database(path, create=False) as db, db.reader() as session:
        for day in following:
            stored = CampusFigures(*snapshot.figures_on(day))
            fresh = load_campus_figures(session, snapshot.campus_id, day)
            assert stored.dashboard.today == day
            assert _same_figures(stored, fresh), day
            # Not today's figures under another date: the week, the pace, the dues move on.
            assert not _same_figures(before.figures, fresh)


def test_a_start_the_next_morning_draws_from_the_snapshot_before_the_file_opens(
    qtbot, closed_cleanly
):
    path, _before = closed_cleanly
    tomorrow = DEMO_TODAY + timedelta(days=1)
    stored = CampusFigures(*load_snapshot(path, tomorrow).figures_on(tomorrow))
    session = _everyday(qtbot, path, now=DEMO_NOW + timedelta(days=1))
    assert session is not None
    try:
        session.show()
        assert session.ctx.db is None and not session.ctx.is_open
        page = session.window.current_page()
        assert isinstance(page, DashboardPage) and page.figures == stored
        assert page.figures.dashboard.today == tomorrow
        assert "2025年6月19日 星期四" in page.header.text()
        # The figures are tomorrow's; the data is as of the close the evening before.
        assert page.updated.text() == "数据截至 昨天 10:00"
        assert page.updated.toolTip() == AS_OF_TIP
        drawn = _card_texts(page)
        qtbot.waitUntil(lambda: session.ctx.is_open and session.bridge.running, timeout=15_000)
        settle(session.ctx)
        assert page.figures_read_at is not None  # read from the file this time
        assert _same_figures(stored, page.figures)
        assert _card_texts(page) == drawn
        assert page.updated.text().startswith("更新于 ") and not page.updated.toolTip()
    finally:
        _close(session)
    # Closed on the 19th: the snapshot now starts from that day.
    again = load_snapshot(path, tomorrow)
    assert again is not None and again.closing_day == tomorrow
    assert load_snapshot(path, tomorrow + timedelta(days=3)) is not None


def test_a_start_on_a_day_the_snapshot_does_not_cover_takes_the_cold_path(qtbot, closed_cleanly):
    path, _page = closed_cleanly
    assert _everyday(qtbot, path, now=DEMO_NOW + timedelta(days=4)) is None
    assert _everyday(qtbot, path, now=DEMO_NOW - timedelta(days=1)) is None
    # 23:30 in Shanghai on the third day after is still covered; half an hour later it is not.
    third = datetime(2025, 6, 21, 15, 30, tzinfo=UTC)
    assert load_snapshot(path, date(2025, 6, 21)) is not None
    session = _everyday(qtbot, path, now=third)
    assert session is not None
    session.deleteLater()
    assert _everyday(qtbot, path, now=third + timedelta(hours=1)) is None


def test_an_error_reading_the_following_days_keeps_what_was_read(
    qtbot, demo_path: Path, monkeypatch, caplog
):
    real = dashboard_page.load_campus_figures
    broken = DEMO_TODAY + timedelta(days=2)

    def failing(session, campus_id, today):  # noqa: ANN001, ANN202
        if today == broken:
            raise RuntimeError("the engine failed")
        return real(session, campus_id, today)

    monkeypatch.setattr(dashboard_page, "load_campus_figures", failing)
    session = _normal_session(qtbot, demo_path)
    _close(session)
    assert not session.bridge.running
    assert not demo_path.with_name(demo_path.name + "-wal").exists()  # closed whole
    assert "could not read the dashboard of 2025-06-20" in caplog.text
    snapshot = load_snapshot(demo_path, DEMO_TODAY)
    assert snapshot is not None
    assert [day for day, _ in snapshot.days] == [DEMO_TODAY, DEMO_TODAY + timedelta(days=1)]


def test_the_following_days_stop_once_their_time_budget_is_spent(demo_path: Path) -> None:
    ticks = iter(range(100))  # every look at the clock: one second later
    with open_database(demo_path, create=False) as db, db.reader() as session:
        campus_id = session.query(Campus.id).scalar()
        read = load_following_days(
            session, campus_id, DEMO_TODAY, days=3, budget_s=2.5, clock=lambda: next(ticks)
        )
    # Started at 0; looked at 1 and 2 (read both days), at 3 the budget was spent.
    assert [day for day, _ in read] == [DEMO_TODAY + timedelta(days=n) for n in (1, 2)]


def test_the_time_the_data_is_from_reads_as_a_manager_says_it() -> None:
    evening = datetime(2025, 6, 18, 13, 3, tzinfo=UTC)  # 21:03 in Shanghai
    assert as_of_text(evening, date(2025, 6, 18)) == "数据截至 今天 21:03"
    assert as_of_text(evening, date(2025, 6, 19)) == "数据截至 昨天 21:03"
    assert as_of_text(evening, date(2025, 6, 20)) == "数据截至 前天 21:03"
    assert as_of_text(evening, date(2025, 6, 21)) == "数据截至 6月18日 21:03"
    late = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on New Year's Day in Shanghai
    assert as_of_text(late, date(2026, 1, 2)) == "数据截至 昨天 00:30"
    assert as_of_text(late, date(2026, 1, 4)) == "数据截至 1月1日 00:30"
    assert as_of_text(datetime(2025, 12, 30, 13, 3, tzinfo=UTC), date(2026, 1, 2)) == (
        "数据截至 2025年12月30日 21:03"
    )
