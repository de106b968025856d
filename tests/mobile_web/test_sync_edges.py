"""The edges of syncing: live pokes, a stale page, a database restored under the phone."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

import mobile_web
from shared import sync_log
from shared.db import Database, open_database
from shared.models import CommunicationRecord, Stage, StageActivity
from shared.sync_models import SyncClient
from sync.server import SyncServer

from .support import TODAY, Campus, Person, Phone, RunningClock, eventually


def _activities(db: Database, person: Person) -> int:
    with db.reader() as s:
        return s.scalar(
            select(func.count(StageActivity.id)).where(
                StageActivity.staff_id == person.staff_id, StageActivity.occurred_on == TODAY
            )
        )


def _clients(db: Database, person: Person) -> dict[str, int]:
    with db.reader() as s:
        rows = s.scalars(select(SyncClient).where(SyncClient.staff_id == person.staff_id))
        return {c.client_id: c.last_mutation_id for c in rows}


def test_a_colleagues_write_shows_on_screen_without_a_tap(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    manager, teacher = phone_of(campus.manager), phone_of(campus.teacher)
    manager.open(f"parent/{campus.parent_id}", "parent")
    teacher.open(f"parent/{campus.parent_id}", "parent")
    teacher.page.get_by_role("link", name="添加沟通记录").click()
    teacher.ready("talk")
    teacher.page.get_by_label("沟通内容").fill("老师刚和家长通过电话")
    teacher.page.get_by_role("button", name="保存沟通记录").click()
    # The push pokes the manager's live socket; the screen in view refreshes itself.
    expect(manager.page.locator("li.talk").first).to_contain_text("老师刚和家长通过电话")
    assert manager.page.locator("li.talk .chip.pending").count() == 0
    with campus_db.reader() as s:
        assert (
            s.scalar(
                select(func.count(CommunicationRecord.id)).where(
                    CommunicationRecord.content == "老师刚和家长通过电话"
                )
            )
            == 1
        )


def test_a_change_made_on_the_desktop_shows_on_screen_without_a_tap(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    """The desktop writes the campus file itself (not through the server): the server sees
    the file change, pokes the phones in scope, and the screen in view refreshes."""
    from shared.services.parents import edit_parent

    phone = phone_of(campus.teacher)
    phone.open(f"parent/{campus.parent_id}", "parent")
    contact = phone.page.locator("dl.contact")
    expect(contact).not_to_contain_text("前台刚改的备注")
    with campus_db.unit_of_work() as s:
        edit_parent(s, campus.parent_id, {"notes": "前台刚改的备注"})
    expect(contact).to_contain_text("前台刚改的备注")


def test_a_stale_page_reloads_without_losing_its_outbox(
    phone_of: Callable[[Person], Phone],
    campus: Campus,
    campus_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = phone_of(campus.consultant)
    page = phone.page
    before = _activities(campus_db, campus.consultant)
    page.evaluate("window.beforeReload = true")
    # The server now speaks a newer push format than this page (an upgrade while it was open).
    monkeypatch.setattr(sync_log, "API_SCHEMA_VERSION", sync_log.API_SCHEMA_VERSION + 1)
    page.locator('li.stage[data-stage="visit"]').get_by_role("button", name="到访 +1").click()
    page.wait_for_function("window.beforeReload === undefined")  # the page reloaded
    phone.ready("tasks")
    expect(page.locator("#outbox-badge")).to_have_text("待同步 1")  # the entry survived
    page.wait_for_timeout(500)
    assert page.evaluate("window.beforeReload") is None  # refused again, but no reload loop
    assert _activities(campus_db, campus.consultant) == before
    monkeypatch.undo()
    phone.tab("me")
    page.get_by_role("button", name="立即同步").click()
    phone.wait_synced()
    eventually(lambda: _activities(campus_db, campus.consultant) == before + 1)


def test_a_restored_database_loses_track_of_the_phone_and_the_phone_starts_over(
    phone_of: Callable[[Person], Phone],
    campus: Campus,
    campus_db: Database,
    server: SyncServer,
    clock: RunningClock,
    tmp_path: Path,
) -> None:
    phone = phone_of(campus.consultant)
    page = phone.page
    backup = campus_db.backup_to(tmp_path / "before.dabiao")  # the phone is already paired
    before = _activities(campus_db, campus.consultant)
    page.locator('li.stage[data-stage="visit"]').get_by_role("button", name="到访 +1").click()
    phone.wait_synced()
    eventually(lambda: _activities(campus_db, campus.consultant) == before + 1)
    first_clients = _clients(campus_db, campus.consultant)
    assert list(first_clients.values()) == [1]

    # The desktop restores yesterday's backup: mutation 1 of this phone never happened there.
    port = server.port
    server.stop()
    campus_db.close()
    path = campus_db.path
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, path)
    restored = open_database(path, create=False)
    again = SyncServer(
        restored,
        host="127.0.0.1",
        port=port,
        mdns=False,
        static_dir=mobile_web.STATIC_DIR,
        clock=clock,
    )
    again.start()
    try:
        assert _activities(restored, campus.consultant) == before
        # Mutation 2 now leaves a gap; the phone renumbers under a new client id and it lands.
        page.locator('li.stage[data-stage="trial"]').get_by_role("button", name="试听 +1").click()
        eventually(lambda: _activities(restored, campus.consultant) == before + 1, timeout=15)
        phone.wait_synced(timeout=15_000)
        expect(page.locator("#problems-badge")).to_be_hidden()
        clients = _clients(restored, campus.consultant)
        assert list(clients.values()) == [1] and clients.keys().isdisjoint(first_clients)
    finally:
        again.stop()
        restored.close()


def test_a_write_the_server_refuses_is_shown_until_dismissed(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.consultant)
    page = phone.page
    before = _activities(campus_db, campus.consultant)
    phone.context.set_offline(True)
    page.locator('li.stage[data-stage="referral"]').get_by_role("button", name="转介绍 +1").click()
    expect(page.locator("#outbox-badge")).to_have_text("待同步 1")
    # Meanwhile the manager switches the stage off on the desktop.
    with campus_db.unit_of_work() as s:
        stage = s.scalars(
            select(Stage).where(Stage.campus_id == campus.campus_id, Stage.code == "referral")
        ).one()
        stage.active = False
    phone.context.set_offline(False)
    badge = page.locator("#problems-badge")
    expect(badge).to_have_text("需处理 1")
    phone.wait_synced()  # answered, so no longer waiting: never silently dropped either
    assert _activities(campus_db, campus.consultant) == before
    badge.click()
    phone.ready("problems")
    item = page.locator("li.problem")
    expect(item).to_contain_text("未能保存")
    expect(item).to_contain_text("转介绍 +1")
    expect(item).to_contain_text("已停用")
    phone.shot("problems-rejected")
    page.get_by_role("button", name="全部知道了").click()
    expect(badge).to_be_hidden()
    page.reload()  # dismissed for good, not only on this screen
    phone.ready("problems")
    expect(page.locator("main")).to_contain_text("没有需要处理的记录")


def test_fresh_data_arriving_never_redraws_a_form_the_person_is_in(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    """The edit form is drawn at once from the last data; when the fresh answer lands a
    moment later it must not replace a form whose field has the focus (the keyboard would
    close and the next keystrokes go nowhere)."""
    phone = phone_of(campus.manager)
    page = phone.page
    phone.open(f"parent/{campus.parent_id}", "parent")  # the parents list is now cached
    held: list = []
    page.route("**/api/parents*", lambda route: held.append(route))
    page.get_by_role("link", name="编辑").click()
    phone.ready("parent-edit")
    name = page.get_by_label("姓名")
    name.focus()
    assert held, "the fresh answer should still be on its way"
    for route in held:
        route.continue_()
    page.wait_for_function(
        "() => performance.getEntriesByName('dabiao:fetched:parent-edit').length > 0"
    )
    page.keyboard.press("End")
    page.keyboard.type("先生")
    expect(name).to_be_focused()
    assert name.input_value().endswith("先生")
    page.unroute("**/api/parents*")


def test_an_unchanged_answer_does_not_redraw_the_screen(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    """Coming back to a screen draws it at once from the last answer; when the fresh answer
    is the same, the screen is left alone (a redraw would swallow a tap landing meanwhile)."""
    phone = phone_of(campus.teacher)
    page = phone.page

    def count(mark: str) -> int:
        return page.evaluate("m => performance.getEntriesByName(m).length", mark)

    phone.open(f"student/{campus.student_id}", "student")
    page.wait_for_function("() => performance.getEntriesByName('dabiao:fetched:student').length")
    phone.tab("tasks")
    drawn, fetched = count("dabiao:ready:student"), count("dabiao:fetched:student")
    phone.open(f"student/{campus.student_id}", "student")
    page.wait_for_function(
        "n => performance.getEntriesByName('dabiao:fetched:student').length > n", arg=fetched
    )
    assert count("dabiao:ready:student") == drawn + 1  # from the cache, and not again
