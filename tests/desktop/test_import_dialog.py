"""The 导入数据 dialog: template, check with preview and problems, duplicates, import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox

from desktop.context import AppContext
from desktop.dialogs.import_dialog import ImportDialog
from shared.db import open_database
from shared.services.students import register_student
from tests.desktop.conftest import DEMO_NOW, settle
from tests.shared.transfer_support import empty_campus, small_school, table_counts, write_book


@pytest.fixture
def school_ctx(qtbot, tmp_path: Path) -> Iterator[AppContext]:  # noqa: ARG001 - makes the app
    """An AppContext on a file with one empty campus (no staff, courses or students)."""
    db = open_database(tmp_path / "school.dabiao")
    empty_campus(db)
    context = AppContext(db, now=lambda: DEMO_NOW)
    try:
        yield context
    finally:
        settle(context)
        context.ops.shutdown()
        context.db.close()


@pytest.fixture
def dialog(qtbot, school_ctx: AppContext) -> ImportDialog:
    widget = ImportDialog(school_ctx)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _check(qtbot, dialog: ImportDialog, path: Path) -> None:
    with qtbot.waitSignal(dialog.checked, timeout=20_000):
        dialog.check_file(path)


def _cells(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_the_template_is_saved_from_the_dialog(qtbot, dialog: ImportDialog, tmp_path: Path) -> None:
    target = tmp_path / "模板.xlsx"
    dialog.save_template(target)
    qtbot.waitUntil(lambda: target.exists() and "已保存" in dialog.status.text(), timeout=10_000)


def test_a_good_file_is_previewed_then_imported_with_a_summary(
    qtbot, dialog: ImportDialog, school_ctx: AppContext, tmp_path: Path
) -> None:
    _check(qtbot, dialog, write_book(tmp_path / "school.xlsx", small_school()))
    summary = dialog.summary.text()
    assert "学员 2 行" in summary and "上课记录 2 行" in summary
    assert "李顾问（课程顾问）" in summary and "赵老师（教师）" in summary
    assert dialog.problems_table.rowCount() == 0
    assert dialog.sheet_tabs.count() == 5
    students = dialog.findChild(type(dialog.problems_table), "preview_students")
    assert [row[0] for row in _cells(students)] == ["张小明", "李小红"]
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as done:
        dialog.import_button.click()
    assert done.args[0].counts["orders"] == 2
    assert "新增：" in dialog.result_label.text()
    assert not dialog.import_button.isEnabled()  # the same file is not imported twice
    assert table_counts(school_ctx.db.path)["attendance"] == 2


def test_problems_are_listed_by_sheet_row_and_column_and_block_the_import(
    qtbot, dialog: ImportDialog, school_ctx: AppContext, tmp_path: Path
) -> None:
    sheets = small_school()
    sheets["订单"][1][8] = "三千"
    sheets["学员"][2][6] = "毕业"
    before = table_counts(school_ctx.db.path)
    _check(qtbot, dialog, write_book(tmp_path / "bad.xlsx", sheets))
    rows = _cells(dialog.problems_table)
    assert rows[0][:3] == ["学员", "3", "状态"] and "未知的学员状态" in rows[0][3]
    assert rows[1][:3] == ["订单", "2", "金额（元）"]
    assert dialog.tabs.tabText(1) == "问题（2）"
    assert not dialog.import_button.isEnabled()
    assert "不能导入" in dialog.status.text()
    assert table_counts(school_ctx.db.path) == before


def test_a_file_that_is_not_a_spreadsheet_is_refused_in_the_dialog(
    qtbot, dialog: ImportDialog, tmp_path: Path
) -> None:
    fake = tmp_path / "学员.xlsx"
    fake.write_bytes(b"MZ" + bytes(100))
    _check(qtbot, dialog, fake)
    assert "程序文件" in dialog.status.text()
    assert "程序文件" in _cells(dialog.problems_table)[0][3]
    assert not dialog.import_button.isEnabled()


def test_duplicates_are_chosen_per_row_and_merged(
    qtbot, dialog: ImportDialog, school_ctx: AppContext, tmp_path: Path
) -> None:
    with school_ctx.db.unit_of_work() as s:
        register_student(
            s,
            campus_id=school_ctx.campus_id,
            name="张小明",
            parent_name="王芳",
            parent_phone="13812345678",
        )
    _check(qtbot, dialog, write_book(tmp_path / "school.xlsx", small_school()))
    [row] = _cells(dialog.duplicates_table)
    assert row[:3] == ["学员", "2", "张小明（13812345678）"] and "王芳" in row[3]
    assert dialog.decisions() == {2: "skip"}  # skipping is the default
    dialog.merge_all_button.click()
    assert dialog.decisions() == {2: "merge"}
    dialog.skip_all_button.click()
    dialog.findChild(QComboBox, "decision_2").setCurrentIndex(1)  # 合并, chosen for the row
    assert dialog.decisions() == {2: "merge"}
    with qtbot.waitSignal(dialog.imported, timeout=20_000) as done:
        dialog.start_import()
    assert done.args[0].merged_students == 1
    assert "合并到已有学员：1 名" in dialog.result_label.text()
    assert table_counts(school_ctx.db.path)["students"] == 2


def test_cancelling_the_import_writes_nothing(
    qtbot, dialog: ImportDialog, school_ctx: AppContext, tmp_path: Path, monkeypatch
) -> None:
    import time

    import shared.transfer.commit as commit_module

    original = commit_module.next_version

    def slow_start(session):
        time.sleep(0.5)  # the cancel below arrives while the transaction is open
        return original(session)

    monkeypatch.setattr(commit_module, "next_version", slow_start)
    _check(qtbot, dialog, write_book(tmp_path / "school.xlsx", small_school()))
    before = table_counts(school_ctx.db.path)
    with qtbot.waitSignal(dialog.import_failed, timeout=20_000) as failed:
        dialog.start_import()
        assert dialog.cancel_button.isVisible()
        dialog.cancel_button.click()
    assert failed.args == ["已取消"]
    assert "已取消，未导入任何数据" in dialog.status.text()
    assert table_counts(school_ctx.db.path) == before
    assert dialog.import_button.isEnabled()  # the checked file may still be imported
