"""学员/家长 page: real dialogs driven by their widgets, over a copy of the small demo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from desktop.context import AppContext
from desktop.dialogs.student_dialogs import (
    CommunicationDialog,
    LinkParentDialog,
    ParentDialog,
    StudentDialog,
)
from desktop.main_window import MainWindow
from desktop.pages.students_page import StudentsPage
from shared.models import CommunicationRecord, Parent, Student, StudentParent
from tests.desktop.conftest import DEMO_TODAY, message_boxes, settle


@pytest.fixture
def page(qtbot, ctx: AppContext) -> Iterator[StudentsPage]:
    """The page on its own, refreshed on data_changed the way the main window does it."""
    widget = StudentsPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    ctx.data_changed.connect(widget.refresh)
    widget.refresh()
    settle(ctx)
    yield widget
    settle(ctx)


def _save(qtbot, ctx: AppContext, dialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)


def _count(ctx: AppContext, model, *where) -> int:
    with ctx.db.reader() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _register(qtbot, ctx: AppContext, page: StudentsPage, name: str, phone: str) -> StudentDialog:
    qtbot.mouseClick(page.new_student_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, StudentDialog)
    dialog.name.setText(name)
    dialog.grade.setCurrentText("二年级")
    dialog.gender.setCurrentText("女")
    dialog.parent_name.setText("欧阳芳")
    dialog.parent_phone.setText(phone)
    dialog.relation.setCurrentText("母亲")
    _save(qtbot, ctx, dialog)
    return dialog


def test_the_record_pages_are_registered_in_navigation_order(main_window: MainWindow) -> None:
    keys = main_window.page_keys
    mine = [keys.index(k) for k in ("students", "orders", "timetable", "staff")]
    assert mine == sorted(mine) and mine[-1] - mine[0] == 3  # together, in this order
    for before in ("dashboard", "targets", "tasks", "diagnosis"):
        assert before not in keys or keys.index(before) < mine[0]
    for after in ("phones", "settings"):
        assert after not in keys or keys.index(after) > mine[-1]
    page = main_window.show_page("students")
    settle(main_window.ctx)
    assert isinstance(page, StudentsPage)
    assert page.students_model.rowCount() > 100
    assert page.count_label.text() == f"共 {page.students_model.rowCount()} 人"


def test_create_a_student_with_a_parent_through_the_dialog(qtbot, ctx, page) -> None:
    dialog = _register(qtbot, ctx, page, "欧阳娜娜", "139 0000 1111")
    assert dialog.result() == StudentDialog.DialogCode.Accepted
    selected = page.selected_student()
    assert selected is not None and selected.name == "欧阳娜娜"
    detail = page.detail_panel.detail
    assert detail is not None and detail.grade == "二年级" and detail.gender == "女"
    assert detail.birth_on is None  # left empty in the dialog, so none is stored
    assert [(p.name, p.phone, p.relation, p.is_primary) for p in detail.parents] == [
        ("欧阳芳", "13900001111", "母亲", True)
    ]
    assert page.detail_panel.header.text().startswith("欧阳娜娜　线索")


def test_a_bad_parent_phone_shows_the_chinese_message_and_saves_nothing(qtbot, ctx, page) -> None:
    students = _count(ctx, Student)
    dialog = _register(qtbot, ctx, page, "欧阳娜娜", "1381234")
    assert dialog.isVisible()
    assert dialog.error_label.isVisible()
    assert "电话号码格式不正确" in dialog.error_label.text()
    assert dialog.parent_phone.hasFocus()
    assert _count(ctx, Student) == students
    dialog.reject()


def test_registering_the_same_child_twice_is_refused_by_name(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    dialog = _register(qtbot, ctx, page, "欧阳娜娜", "139-0000-1111")
    assert dialog.isVisible() and "欧阳娜娜" in dialog.error_label.text()
    assert _count(ctx, Student, Student.name == "欧阳娜娜") == 1
    dialog.reject()


def test_pinyin_initials_find_the_student(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.keyClicks(page.search, "oynn")
    assert [r.name for r in page.students_model.rows] == ["欧阳娜娜"]
    page.search.setText("0000111")  # the parent's phone
    assert [r.name for r in page.students_model.rows] == ["欧阳娜娜"]
    page.search.setText("欧阳娜")
    assert [r.name for r in page.students_model.rows] == ["欧阳娜娜"]


def test_the_status_filter_keeps_only_that_status(page: StudentsPage) -> None:
    page.status_filter.setCurrentIndex(page.status_filter.findData("enrolled"))
    rows = page.students_model.rows
    assert rows and all(r.status_name == "在读" for r in rows)


def test_edit_a_student_through_the_dialog(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.edit_student_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, StudentDialog) and dialog.name.text() == "欧阳娜娜"
    dialog.grade.setCurrentText("三年级")
    dialog.status.setCurrentIndex(dialog.status.findData("trial"))
    dialog.school.setText("育才小学")
    _save(qtbot, ctx, dialog)
    with ctx.db.reader() as s:
        row = s.scalar(select(Student).where(Student.name == "欧阳娜娜"))
        assert (row.grade, row.status.value, row.school) == ("三年级", "trial", "育才小学")
    assert page.detail_panel.info_labels["school"].text() == "育才小学"


def test_delete_a_new_student_after_confirming(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.delete_student_button, Qt.MouseButton.LeftButton)
    box = page.dialog
    assert isinstance(box, QMessageBox) and "欧阳娜娜" in box.text()
    qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)
    settle(ctx)
    assert _count(ctx, Student, Student.name == "欧阳娜娜", Student.is_deleted.is_(False)) == 0
    assert all(r.name != "欧阳娜娜" for r in page.students_model.rows)


def test_a_student_with_orders_cannot_be_deleted(qtbot, ctx, page) -> None:
    page.status_filter.setCurrentIndex(page.status_filter.findData("enrolled"))
    name = page.selected_student().name
    qtbot.mouseClick(page.delete_student_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.dialog.defaultButton(), Qt.MouseButton.LeftButton)
    settle(ctx)
    texts = [b.text() for b in message_boxes() if b.objectName() == "errorBox"]
    assert any("不能删除" in t and name in t for t in texts), texts
    assert any(r.name == name for r in page.students_model.rows)


def test_add_edit_and_unlink_a_parent_of_the_student(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.detail_panel.add_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, ParentDialog) and not dialog.primary.isChecked()
    dialog.name.setText("欧阳强")
    dialog.phone.setText("0571-88886666")
    dialog.relation.setCurrentText("父亲")
    _save(qtbot, ctx, dialog)
    parents = page.detail_panel.detail.parents
    assert [(p.name, p.phone, p.relation) for p in parents] == [
        ("欧阳芳", "13900001111", "母亲"),
        ("欧阳强", "0571-88886666", "父亲"),
    ]
    page.detail_panel.parents_table.selectRow(1)
    qtbot.mouseClick(page.detail_panel.edit_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, ParentDialog) and dialog.name.text() == "欧阳强"
    dialog.wechat.setText("oyq_2025")
    dialog.primary.setChecked(True)
    _save(qtbot, ctx, dialog)
    parents = page.detail_panel.detail.parents
    assert [(p.name, p.wechat, p.is_primary) for p in parents][0] == ("欧阳强", "oyq_2025", True)
    page.detail_panel.parents_table.selectRow(0)
    qtbot.mouseClick(page.detail_panel.unlink_parent_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.dialog.defaultButton(), Qt.MouseButton.LeftButton)
    settle(ctx)
    assert [(p.name, p.is_primary) for p in page.detail_panel.detail.parents] == [("欧阳芳", True)]


def test_a_bad_phone_when_editing_a_parent_saves_nothing(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    page.detail_panel.parents_table.selectRow(0)
    qtbot.mouseClick(page.detail_panel.edit_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.name.setText("欧阳芳芳")
    dialog.phone.setText("139000011")
    _save(qtbot, ctx, dialog)
    assert dialog.isVisible() and "电话号码格式不正确" in dialog.error_label.text()
    assert _count(ctx, Parent, Parent.name == "欧阳芳芳") == 0
    dialog.reject()


def test_link_an_existing_parent_found_by_initials(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.new_student_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.name.setText("欧阳笑笑")
    _save(qtbot, ctx, dialog)
    assert page.detail_panel.detail.name == "欧阳笑笑"
    qtbot.mouseClick(page.detail_panel.link_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, LinkParentDialog) and dialog.primary.isChecked()
    qtbot.keyClicks(dialog.search, "oyf")
    assert dialog.list.count() == 1 and "欧阳芳" in dialog.list.item(0).text()
    _save(qtbot, ctx, dialog)
    assert [p.name for p in page.detail_panel.detail.parents] == ["欧阳芳"]
    with ctx.db.reader() as s:
        mother = s.scalar(select(Parent).where(Parent.name == "欧阳芳"))
        links = s.scalar(
            select(func.count())
            .select_from(StudentParent)
            .where(StudentParent.parent_id == mother.id, StudentParent.is_deleted.is_(False))
        )
    assert links == 2


def test_add_a_communication_record_with_a_follow_up(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.detail_panel.add_communication_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, CommunicationDialog)
    dialog.channel.setCurrentText("微信")
    dialog.content.setPlainText("发送了试听课时间表")
    dialog.follow_up.set_optional(DEMO_TODAY.replace(day=21))
    _save(qtbot, ctx, dialog)
    [record] = page.detail_panel.detail.communications
    assert (record.channel, record.content, record.parent_name) == (
        "微信",
        "发送了试听课时间表",
        "欧阳芳",
    )
    assert record.next_follow_up_on == DEMO_TODAY.replace(day=21)
    assert (
        _count(ctx, CommunicationRecord, CommunicationRecord.content == "发送了试听课时间表") == 1
    )


def test_an_empty_communication_is_refused_inline(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.detail_panel.add_communication_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    _save(qtbot, ctx, dialog)
    assert dialog.isVisible() and dialog.error_label.text() == "不能为空"
    assert dialog.content.hasFocus()
    dialog.reject()


def test_create_edit_and_delete_a_parent_in_the_parent_tab(qtbot, ctx, page) -> None:
    page.tabs.setCurrentIndex(1)
    qtbot.mouseClick(page.new_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.name.setText("司马光")
    dialog.phone.setText("+86 186 0000 2222")
    _save(qtbot, ctx, dialog)
    qtbot.keyClicks(page.parent_search, "smg")
    assert [(p.name, p.phone) for p in page.parents_model.rows] == [("司马光", "18600002222")]
    page.parents_table.selectRow(0)
    qtbot.mouseClick(page.edit_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.notes.setPlainText("只能周末接送")
    _save(qtbot, ctx, dialog)
    assert page.parents_model.rows[0].notes == "只能周末接送"
    page.parents_table.selectRow(0)
    qtbot.mouseClick(page.delete_parent_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.dialog.defaultButton(), Qt.MouseButton.LeftButton)
    settle(ctx)
    assert page.parents_model.rows == []
    assert _count(ctx, Parent, Parent.name == "司马光", Parent.is_deleted.is_(True)) == 1


def test_a_communication_without_a_follow_up_plans_none(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    qtbot.mouseClick(page.detail_panel.add_communication_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog.follow_up.optional_day() is None
    dialog.content.setPlainText("家长说再考虑一下")
    _save(qtbot, ctx, dialog)
    [record] = page.detail_panel.detail.communications
    assert record.next_follow_up_on is None


def test_an_old_phone_nobody_touched_does_not_block_an_edit(qtbot, ctx, page) -> None:
    _register(qtbot, ctx, page, "欧阳娜娜", "13900001111")
    with ctx.db.unit_of_work() as s:  # as a phone's looser edit could have stored it
        s.scalar(select(Parent).where(Parent.name == "欧阳芳")).phone2 = "555-1234"
    page.refresh()
    settle(ctx)
    page.detail_panel.parents_table.selectRow(0)
    qtbot.mouseClick(page.detail_panel.edit_parent_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.wechat.setText("oyf_88")
    _save(qtbot, ctx, dialog)
    assert not dialog.isVisible(), dialog.error_label.text()
    with ctx.db.reader() as s:
        parent = s.scalar(select(Parent).where(Parent.name == "欧阳芳"))
        assert (parent.wechat, parent.phone2) == ("oyf_88", "555-1234")
