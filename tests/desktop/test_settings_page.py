"""设置: backup, restore with a safety copy, automatic backups, campus, stages, day weights."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.pages.settings_page import SettingsPage
from shared.backups import list_backups
from shared.day_weights import DayType
from shared.models import Campus, Order, Stage
from shared.services.campus import create_campus

from .conftest import message_boxes, settle


def _page(window: MainWindow, ctx: AppContext) -> SettingsPage:
    page = window.show_page("settings")
    assert isinstance(page, SettingsPage)
    settle(ctx)
    return page


def _orders(ctx: AppContext) -> int:
    with ctx.db.reader() as session:
        return session.scalar(select(func.count()).select_from(Order))


def _campus_names(ctx: AppContext) -> list[str]:
    with ctx.db.reader() as session:
        return list(session.scalars(select(Campus.name).order_by(Campus.code)))


def test_backup_then_restore_brings_back_the_earlier_state_and_keeps_a_safety_copy(
    served_window: MainWindow, served_ctx: AppContext, qtbot, tmp_path: Path
) -> None:
    ctx = served_ctx
    page = _page(served_window, ctx)
    backup = tmp_path / "backups" / "达标备份-20250618-100000.dabiao"
    backup.parent.mkdir()
    page.backup_to(backup)
    settle(ctx)
    assert backup.exists()
    assert str(backup) in page.backup_status.text()
    before = _campus_names(ctx)

    # A change after the backup: a second campus.
    ctx.ops.write(lambda s: create_campus(s, name="后来的校区", code="ZZ9"), lambda _c: None)
    settle(ctx)
    assert _campus_names(ctx) == [*before, "后来的校区"]

    page.restore_from(backup)
    qtbot.waitUntil(lambda: page.confirm_box is not None, timeout=5000)
    assert "达标备份-20250618-100000.dabiao" in page.confirm_box.text()
    page.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.last_safety_copy is not None, timeout=10_000)
    settle(ctx)

    assert _campus_names(ctx) == before
    safety = page.last_safety_copy
    assert safety.exists() and safety.parent == ctx.path.parent
    assert "恢复前" in safety.name
    # The server came back, on the restored file.
    qtbot.waitUntil(lambda: ctx.bridge.running, timeout=5000)
    assert ctx.bridge.server.database is ctx.db
    # The window followed: the campus selector no longer offers the removed campus.
    assert served_window.campus_box.count() == 1
    for box in message_boxes():
        box.close()


def test_restoring_from_a_file_that_is_not_a_backup_changes_nothing(
    main_window: MainWindow, ctx: AppContext, qtbot, tmp_path: Path
) -> None:
    page = _page(main_window, ctx)
    junk = tmp_path / "notes.dabiao"
    junk.write_text("这不是数据库" * 50, encoding="utf-8")
    orders = _orders(ctx)
    page.restore_from(junk)
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=5000)
    box = message_boxes()[0]
    assert "不是达标数据库文件" in box.text()
    assert page.confirm_box is None
    assert page.restore_button.isEnabled()
    assert _orders(ctx) == orders


def test_cancelling_the_confirmation_keeps_the_current_data(
    main_window: MainWindow, ctx: AppContext, qtbot, tmp_path: Path
) -> None:
    page = _page(main_window, ctx)
    backup = tmp_path / "b.dabiao"
    page.backup_to(backup)
    settle(ctx)
    ctx.ops.write(lambda s: create_campus(s, name="新校区", code="ZZ8"), lambda _c: None)
    settle(ctx)
    page.restore_from(backup)
    qtbot.waitUntil(lambda: page.confirm_box is not None, timeout=5000)
    page.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
    settle(ctx)
    assert "新校区" in _campus_names(ctx)
    assert page.restore_status.text() == "已取消恢复。"


def test_automatic_backup_settings_write_todays_backup(
    main_window: MainWindow, ctx: AppContext, qtbot, tmp_path: Path
) -> None:
    page = _page(main_window, ctx)
    folder = tmp_path / "auto"
    folder.mkdir()
    page.auto_enabled.setChecked(True)
    page.auto_folder.setText(str(folder))
    page.keep_daily.setValue(3)
    page.save_auto_backup()
    qtbot.waitUntil(lambda: len(list_backups(folder)) == 1, timeout=10_000)
    settle(ctx)
    assert "自动备份：写入" in page.auto_status.text()
    saved = ctx.config.auto_backup_for(ctx.path)
    assert (saved.enabled, saved.folder, saved.keep_daily) == (True, str(folder), 3)


def test_automatic_backup_needs_an_existing_folder(
    main_window: MainWindow, ctx: AppContext, qtbot, tmp_path: Path
) -> None:
    page = _page(main_window, ctx)
    page.auto_enabled.setChecked(True)
    page.auto_folder.setText(str(tmp_path / "missing"))
    page.save_auto_backup()
    boxes = message_boxes()
    assert boxes and "不存在" in boxes[0].text()
    assert not ctx.config.auto_backup_for(ctx.path).enabled


def test_campus_details_are_saved_and_the_title_follows(
    main_window: MainWindow, ctx: AppContext, qtbot
) -> None:
    page = _page(main_window, ctx)
    page.tabs.setCurrentIndex(1)
    page.campus_name.setText("达标艺术中心·滨江旗舰校区")
    page.campus_address.setText("滨江区江南大道 88 号")
    page.campus_save.click()
    qtbot.waitUntil(lambda: "滨江旗舰校区" in main_window.windowTitle(), timeout=3000)
    settle(ctx)
    with ctx.db.reader() as session:
        campus = session.get(Campus, ctx.campus_id)
        assert (campus.name, campus.address) == (
            "达标艺术中心·滨江旗舰校区",
            "滨江区江南大道 88 号",
        )


def test_an_empty_campus_name_is_refused_in_chinese(
    main_window: MainWindow, ctx: AppContext, qtbot
) -> None:
    page = _page(main_window, ctx)
    page.campus_name.setText("   ")
    page.campus_save.click()
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=3000)
    assert "不能为空" in message_boxes()[0].text() or "必填" in message_boxes()[0].text()


def test_stages_are_renamed_reordered_deactivated_and_added(
    main_window: MainWindow, ctx: AppContext, qtbot
) -> None:
    page = _page(main_window, ctx)
    table = page.stages_table
    table.item(0, 0).setText("电话邀约")
    table.setCurrentCell(2, 0)
    page.move_stage(-1)  # 试听 before 到访
    table.item(table.rowCount() - 1, 1).setCheckState(Qt.CheckState.Unchecked)
    page.add_stage_row("地推")
    assert "stages" in page.dirty
    page.stages_save.click()
    settle(ctx)
    assert "stages" not in page.dirty
    with ctx.db.reader() as session:
        stages = list(
            session.scalars(
                select(Stage).where(Stage.campus_id == ctx.campus_id).order_by(Stage.sort_order)
            )
        )
    assert [s.name for s in stages][:3] == ["电话邀约", "试听", "到访"]
    assert stages[-1].name == "地推" and stages[-1].active
    assert not stages[-2].active
    # The dashboard's funnel shows the new name.
    main_window.show_page("dashboard")
    settle(ctx)
    dashboard = main_window.page("dashboard")
    assert dashboard.funnel_chart.categories[0].startswith("电话邀约")


def test_day_weights_are_saved_and_a_bad_date_is_explained(
    main_window: MainWindow, ctx: AppContext, qtbot
) -> None:
    page = _page(main_window, ctx)
    page.weight_boxes[DayType.WEEKEND].setValue(9)
    page.vacations_table.item(0, 0).setText("1月20日")
    page.weights_save.click()
    qtbot.waitUntil(lambda: bool(message_boxes()), timeout=3000)
    assert "MM-DD" in message_boxes()[0].text()
    message_boxes()[0].close()
    page.vacations_table.item(0, 0).setText("01-15")
    page.weights_save.click()
    settle(ctx)
    with ctx.db.reader() as session:
        saved = session.get(Campus, ctx.campus_id).settings["day_weights"]
    assert saved["weights"]["weekend"] == 9
    assert saved["vacations"][0] == ["01-15", "02-20"]
