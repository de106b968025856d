"""员工 page: hire with roles, edit, PIN reset, deactivation and the last-manager rule."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from desktop.context import AppContext
from desktop.dialogs.staff_dialogs import PinDialog, StaffDialog
from desktop.pages.staff_page import StaffPage
from shared.models import Role, Staff
from shared.pins import verify_pin
from tests.desktop.conftest import message_boxes, settle


@pytest.fixture
def page(qtbot, ctx: AppContext) -> Iterator[StaffPage]:
    """The page on its own, refreshed on data_changed the way the main window does it."""
    widget = StaffPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    ctx.data_changed.connect(widget.refresh)
    widget.refresh()
    settle(ctx)
    yield widget
    settle(ctx)


def _stored(ctx: AppContext, name: str) -> Staff:
    with ctx.db.reader() as s:
        return s.scalar(select(Staff).where(Staff.name == name))


def _select(page: StaffPage, name: str) -> None:
    page.search.setText(name)
    page.table.selectRow(0)
    assert page.selected_staff().name == name


def _hire(qtbot, ctx, page: StaffPage, name: str, roles: list[Role], pin: str = "") -> None:
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, StaffDialog)
    dialog.name.setText(name)
    dialog.phone.setText("139 0000 2222")
    for role in roles:
        dialog.role_boxes[role].setChecked(True)
    dialog.pin.setText(pin)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)


def test_hire_with_roles_and_a_typed_pin(qtbot, ctx, page: StaffPage) -> None:
    _hire(qtbot, ctx, page, "孙悦", [Role.TEACHER, Role.CONSULTANT], "8642")
    row = page.selected_staff()
    assert (row.name, row.phone, row.role_names) == ("孙悦", "13900002222", "课程顾问、教师")
    stored = _stored(ctx, "孙悦")
    assert stored.roles == ["consultant", "teacher"] and stored.active
    assert verify_pin("8642", stored.pin_hash)
    [box] = [b for b in message_boxes() if b.objectName() == "infoBox"]
    assert "8642" in box.text()


def test_hire_without_a_pin_shows_the_random_one_once(qtbot, ctx, page: StaffPage) -> None:
    _hire(qtbot, ctx, page, "孙悦", [Role.FRONT_DESK])
    [box] = [b for b in message_boxes() if b.objectName() == "infoBox"]
    pin = box.text().split("PIN：")[1].split("\n")[0]
    assert len(pin) == 6 and pin.isdigit()
    assert verify_pin(pin, _stored(ctx, "孙悦").pin_hash)


def test_hiring_without_a_role_is_refused_inline(qtbot, ctx, page: StaffPage) -> None:
    with ctx.db.reader() as s:
        before = s.scalar(select(func.count()).select_from(Staff))
    _hire(qtbot, ctx, page, "孙悦", [])
    dialog = page.dialog
    assert isinstance(dialog, StaffDialog) and dialog.isVisible()
    assert dialog.error_label.text() == "至少需要一个角色"
    with ctx.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Staff)) == before
    dialog.reject()


def test_a_bad_phone_is_refused_inline(qtbot, ctx, page: StaffPage) -> None:
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.name.setText("孙悦")
    dialog.phone.setText("1390000")
    dialog.role_boxes[Role.TEACHER].setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert "电话号码格式不正确" in dialog.error_label.text()
    assert _stored(ctx, "孙悦") is None
    dialog.reject()


def test_edit_roles(qtbot, ctx, page: StaffPage) -> None:
    _select(page, "王磊")
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, StaffDialog) and dialog.role_boxes[Role.TEACHER].isChecked()
    dialog.role_boxes[Role.FRONT_DESK].setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert _stored(ctx, "王磊").roles == ["front_desk", "teacher"]
    assert page.selected_staff().role_names == "前台、教师"


def test_search_by_initials(page: StaffPage) -> None:
    page.search.setText("zdm")
    assert [r.name for r in page.model.rows] == ["朱冬梅"]


def test_reset_a_pin_to_a_random_one_that_then_verifies(qtbot, ctx, page: StaffPage) -> None:
    _select(page, "王磊")
    old_hash = _stored(ctx, "王磊").pin_hash
    qtbot.mouseClick(page.pin_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, PinDialog)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.isVisible() and dialog.result_label.text() == dialog.new_pin
    new_hash = _stored(ctx, "王磊").pin_hash
    assert new_hash != old_hash
    assert verify_pin(dialog.new_pin, new_hash)
    assert not verify_pin("7219", new_hash)  # the demo's old PIN
    dialog.reject()


def test_reset_a_pin_to_one_the_manager_types(qtbot, ctx, page: StaffPage) -> None:
    _select(page, "王磊")
    qtbot.mouseClick(page.pin_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.typed.setChecked(True)
    qtbot.keyClicks(dialog.pin, "12a")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.error_label.text() == "PIN 必须是 4 到 8 位数字"
    dialog.pin.setText("97531")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.result_label.text() == "97531"
    assert verify_pin("97531", _stored(ctx, "王磊").pin_hash)
    dialog.reject()


def test_deactivating_the_last_manager_is_refused(qtbot, ctx, page: StaffPage) -> None:
    _select(page, "梁鑫")  # the demo's only manager
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    box = page.dialog
    assert isinstance(box, QMessageBox)
    qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)
    settle(ctx)
    errors = [b.text() for b in message_boxes() if b.objectName() == "errorBox"]
    assert errors == ["梁鑫 是校区唯一在职的校长；校区至少要保留一位在职校长"]
    assert _stored(ctx, "梁鑫").active


def test_deactivate_and_bring_back_a_teacher(qtbot, ctx, page: StaffPage) -> None:
    _select(page, "王磊")
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.dialog.defaultButton(), Qt.MouseButton.LeftButton)
    settle(ctx)
    assert not _stored(ctx, "王磊").active
    assert page.model.rows == []  # hidden while 显示离职员工 is off
    page.show_inactive.setChecked(True)
    page.table.selectRow(0)
    assert page.active_button.text() == "复职" and not page.pin_button.isEnabled()
    qtbot.mouseClick(page.active_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert _stored(ctx, "王磊").active
