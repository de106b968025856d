"""成长卡片 and 月度业绩报告 dialogs: real widgets and real files over a copy of the small demo."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from sqlalchemy import func, select

from desktop.context import AppContext
from desktop.dialogs.growth_card_dialog import GrowthCardDialog, card_file_name
from desktop.dialogs.report_dialog import ReportDialog, report_file_name
from desktop.pages.students_page import StudentsPage
from shared.models import GrowthRecord, Student
from shared.periods import Period
from tests.desktop.conftest import settle


def _student_with_records(ctx: AppContext) -> tuple[str, str]:
    with ctx.db.reader() as s:
        row = s.execute(
            select(Student.id, Student.name)
            .join(GrowthRecord, GrowthRecord.student_id == Student.id)
            .group_by(Student.id, Student.name)
            .order_by(func.count().desc(), Student.id)
            .limit(1)
        ).one()
    return row.id, row.name


def test_the_students_page_opens_the_card_of_the_selected_student(qtbot, ctx: AppContext) -> None:
    page = StudentsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    settle(ctx)
    _student_id, name = _student_with_records(ctx)
    page.search.setText(name)
    page.students_table.selectRow(0)
    settle(ctx)
    qtbot.mouseClick(page.growth_card_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, GrowthCardDialog)
    assert dialog.student_name == name
    settle(ctx)
    dialog.close()


def test_the_card_dialog_shows_saves_and_copies_the_picture(
    qtbot, ctx: AppContext, tmp_path: Path
) -> None:
    student_id, name = _student_with_records(ctx)
    dialog = GrowthCardDialog(ctx, student_id, name)
    qtbot.addWidget(dialog)
    with qtbot.wait_signal(dialog.card_ready, timeout=15_000):
        dialog.show()
    assert dialog.data is not None and dialog.data.student_name == name
    assert dialog.picture.pixmap().width() == 360
    assert dialog.save_button.isEnabled()
    with qtbot.wait_signal(dialog.saved, timeout=10_000) as saved:
        dialog.save_to(tmp_path / "card")
    assert saved.args == [str(tmp_path / "card.png")]
    assert QImage(str(tmp_path / "card.png")).width() == 1080
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().image().width() == 1080
    assert card_file_name("王/小明") == "成长卡片-王小明.png"


def test_the_report_dialog_writes_the_pdf_of_last_month_with_progress(
    qtbot, ctx: AppContext, tmp_path: Path
) -> None:
    settle(ctx)
    dialog = ReportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.period == Period.of_month(2025, 5)  # the last complete month of 2025-06-18
    assert dialog.this_campus.isChecked() and dialog.chosen_campus_id == ctx.campus_id
    assert dialog.path.text().endswith(report_file_name(ctx.campus.name, dialog.period))
    target = tmp_path / "报告.pdf"
    dialog.path.setText(str(target))
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    with qtbot.wait_signal(dialog.generated, timeout=30_000):
        qtbot.mouseClick(dialog.generate_button, Qt.MouseButton.LeftButton)
    assert dialog.written == target and target.exists()
    assert seen and seen[-1] == 100 and len(seen) > 3
    assert dialog.open_folder_button.isEnabled()
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "2025年5月 业绩报告" in text


def test_the_report_dialog_shows_an_unwritable_target_in_chinese(
    qtbot, ctx: AppContext, tmp_path: Path
) -> None:
    settle(ctx)
    dialog = ReportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.all_campuses.setChecked(True)
    dialog.path.setText(str(tmp_path / "没有这个文件夹" / "r.pdf"))
    dialog.generate()
    settle(ctx)
    assert "无法生成报告" in dialog.message.text() and "无法写入" in dialog.message.text()
    assert dialog.generate_button.isEnabled() and not dialog.open_folder_button.isEnabled()


def test_cancelling_the_report_writes_nothing(qtbot, ctx: AppContext, tmp_path: Path) -> None:
    settle(ctx)
    dialog = ReportDialog(ctx)
    qtbot.addWidget(dialog)
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "cancelled.pdf"
    dialog.path.setText(str(target))
    job = dialog.generate()
    assert job is not None and dialog.close_button.text() == "取消"
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)  # 取消, at once
    settle(ctx)
    assert "已取消" in dialog.message.text()
    assert list(folder.iterdir()) == []
    assert dialog.close_button.text() == "关闭"
