"""导出 Excel… on every list and report page: the file shows exactly what the screen shows.

Each page is refreshed on the small demo and exported; the workbook is read back with openpyxl
and every cell, rendered with its own number format, must equal the text the page's table
displays (``Qt.DisplayRole``), with money, rates and dates written as numbers and dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractSpinBox, QMessageBox, QTableView

from desktop import cli
from desktop.main_window import MainWindow
from desktop.pages.base import Page
from desktop.widgets.export import BUTTON_TEXT
from shared import exports

from .conftest import DEMO_TODAY, message_boxes, settle

# Pages whose lists and reports are tables (the 课表's day lists are tested on their own).
PAGES = ["dashboard", "targets", "tasks", "diagnosis", "students", "orders", "staff"]
MONEY_TEXT = re.compile(r"^[+-]?-?¥?-?\d{1,3}(,\d{3})*\.\d\d$")
PERCENT_TEXT = re.compile(r"^-?\d+(\.\d+)?%$")


def render(value: Any, number_format: str) -> str:
    """How a spreadsheet shows ``value`` under the number formats the exporter writes."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if number_format == exports.DATE_FORMAT:
            return value.date().isoformat()
        assert number_format == exports.DATETIME_FORMAT, number_format
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    sections = number_format.split(";")
    section = sections[0]
    if value < 0 and len(sections) > 1:
        section, value = sections[1], -value
    elif value == 0 and len(sections) > 2:
        section = sections[2]
    if section.endswith("%"):
        digits = len(section.split(".")[1]) - 1 if "." in section else 0
        return f"{value * 100:.{digits}f}%"
    prefix = section[: len(section) - len(section.lstrip('+-"¥'))].replace('"', "")
    body = section[len(prefix) + section.count('"') :] if '"' in section else section[len(prefix) :]
    if body in ("#,##0.00", "0.00"):
        digits_text = f"{value:,.2f}" if body.startswith("#") else f"{value:.2f}"
    elif body == "#,##0":
        digits_text = f"{int(value):,}"
    elif body == "0":
        digits_text = str(int(value))
    elif body.startswith("0."):
        digits_text = f"{value:.{len(body) - 2}f}"
    elif body == "General":
        digits_text = f"{value:g}"
    else:
        raise AssertionError(f"unexpected number format {number_format!r}")
    return prefix + digits_text


def displayed(view: QTableView) -> tuple[list[str], list[list[tuple[str, bool, str | None]]]]:
    """Headers and (text, right-aligned, background) of every shown cell of a table view."""
    model = view.model()
    columns = [c for c in range(model.columnCount()) if not view.isColumnHidden(c)]
    headers = [
        str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        for c in columns
    ]
    rows = []
    for r in range(model.rowCount()):
        if view.isRowHidden(r):
            continue
        row = []
        for c in columns:
            index = model.index(r, c, QModelIndex())
            text = model.data(index, Qt.ItemDataRole.DisplayRole)
            align = model.data(index, Qt.ItemDataRole.TextAlignmentRole)
            right = align is not None and bool(int(align) & Qt.AlignmentFlag.AlignRight.value)
            widget = view.indexWidget(index)
            if isinstance(widget, QAbstractSpinBox):
                text, right = widget.text(), True
            brush = model.data(index, Qt.ItemDataRole.BackgroundRole)
            background = brush.color().name()[1:].upper() if isinstance(brush, QBrush) else None
            row.append(("" if text is None else str(text), right, background))
        rows.append(row)
    return headers, rows


def export(page: Page, path: Path) -> openpyxl.Workbook:
    """Export the page to ``path`` as the button does (minus the file dialog); read it back."""
    page.export_to_excel(path)
    assert not page.export_button.isEnabled()  # one export at a time, until this one is done
    settle(page.ctx)
    assert page.export_button.isEnabled() and page.export_button.text() == BUTTON_TEXT
    boxes = [b for b in message_boxes() if b.objectName() == "exportDoneBox"]
    assert boxes and str(path) in boxes[0].text()
    for box in boxes:
        box.close()
    return openpyxl.load_workbook(path)


@pytest.fixture
def window(main_window: MainWindow) -> Iterator[MainWindow]:
    yield main_window


def shown_page(window: MainWindow, key: str) -> Page:
    page = window.show_page(key)
    settle(page.ctx)
    return page


@pytest.mark.parametrize("key", PAGES)
def test_every_exported_cell_is_the_text_the_page_shows(
    window: MainWindow, key: str, tmp_path: Path
) -> None:
    page = shown_page(window, key)
    assert page.export_button.text() == BUTTON_TEXT
    assert page.export_button.isVisibleTo(window)
    views = page.export_views()
    book = export(page, tmp_path / f"{key}.xlsx")
    sheets = book.worksheets
    extra = len(sheets) - len(views)
    if key == "dashboard":  # the cards' attainment first, the funnel and the alerts last
        assert sheets[0].title.startswith("目标达成")
        assert [ws.title for ws in sheets[-2:]] == ["本月环节", "提醒"]
        shown_alerts = [page.alerts_list.item(i).text() for i in range(page.alerts_list.count())]
        assert ["● " + r[0] for r in sheets[-1].iter_rows(min_row=2, values_only=True)] == (
            shown_alerts
        )
        views_sheets = sheets[1:-2]
    else:
        views_sheets = sheets[len(sheets) - len(views) :] if extra else sheets
    assert len(views_sheets) == len(views)
    numbers = cells = coloured = 0
    for ws, (_title, view) in zip(views_sheets, views, strict=True):
        headers, rows = displayed(view)
        assert [c.value or "" for c in ws[1]][: len(headers)] == headers
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1])
        written = list(ws.iter_rows(min_row=2))
        if key == "orders":  # the totals line under the table comes last, in bold
            totals = written.pop()
            assert totals[0].value == f"合计 {page.totals.count} 笔" and totals[0].font.bold
            assert round(Decimal(str(totals[6].value)) * 100) == page.totals.amount_fen
        assert len(written) == len(rows), ws.title
        for got, want in zip(written, rows, strict=True):
            for cell, (text, right, background) in zip(got, want, strict=False):
                assert render(cell.value, cell.number_format) == text, (ws.title, cell.coordinate)
                cells += 1
                if background is not None and text:
                    assert cell.fill.fill_type == "solid", (ws.title, cell.coordinate)
                    assert cell.fill.fgColor.rgb[-6:] == background
                    coloured += 1
                if right and (MONEY_TEXT.match(text) or PERCENT_TEXT.match(text)):
                    assert cell.data_type == "n", (ws.title, cell.coordinate, text)
                    numbers += 1
    assert cells > 0
    if key in ("dashboard", "tasks", "diagnosis", "orders", "targets"):
        assert numbers > 0  # money and rates went in as numbers, not as text
    if key in ("tasks", "diagnosis"):
        assert coloured > 0  # status and weak-stage colours came along


def test_the_dashboard_cards_export_the_engines_attainment(window: MainWindow, tmp_path: Path):
    page = shown_page(window, "dashboard")
    book = export(page, tmp_path / "board.xlsx")
    board = page.figures.dashboard
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    month = board.revenue.month
    revenue_month = next(r for r in rows if r[0] == "营业额" and r[1] == "本月")
    assert revenue_month[4] * 100 == pytest.approx(month.actual_fen, abs=1e-6)
    assert round(revenue_month[3] * 100) == month.target_fen
    assert revenue_month[2] == month.period.label


def test_the_timetable_exports_each_shown_lesson(window: MainWindow, tmp_path: Path) -> None:
    page = shown_page(window, "timetable")
    assert page.export_button.isVisibleTo(window)
    lessons = page.visible_lessons()
    assert lessons
    book = export(page, tmp_path / "week.xlsx")
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(lessons)
    for row, card in zip(rows, lessons, strict=True):
        assert row[0].date() == card.lesson_on
        assert (row[2], row[3], row[4], row[5]) == (
            card.starts,
            card.ends,
            card.course_name,
            card.teacher_name,
        )
        assert row[9] == card.enrolled


def test_a_file_open_elsewhere_is_a_chinese_message(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = shown_page(window, "staff")
    target = tmp_path / "staff.xlsx"

    def locked(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(exports.os, "replace", locked)
    page.export_to_excel(target)
    settle(page.ctx)
    boxes = message_boxes()
    assert len(boxes) == 1
    assert boxes[0].icon() == QMessageBox.Icon.Warning
    assert "无法写入" in boxes[0].text() and "Excel" in boxes[0].text()
    assert page.export_button.isEnabled() and page.export_button.text() == BUTTON_TEXT
    assert not target.exists()
    assert not list(tmp_path.glob("*.partial"))


def test_cli_ranking_equals_the_dashboard_page_export(
    window: MainWindow, tmp_path: Path, demo_path: Path
) -> None:
    page = shown_page(window, "dashboard")
    desktop_book = export(page, tmp_path / "page.xlsx")
    target = tmp_path / "cli.xlsx"
    month = f"{DEMO_TODAY:%Y-%m}"
    code = cli.main(
        [
            "export",
            "--db",
            str(demo_path),
            "--what",
            "ranking",
            "--month",
            month,
            "--to",
            str(target),
        ]
    )
    assert code == 0
    cli_book = openpyxl.load_workbook(target)
    for title, cli_sheet in zip(
        ["本月营业额排行", "本月划课收入排行"], cli_book.worksheets, strict=True
    ):
        page_sheet = desktop_book[title]
        page_rows = [[c.value for c in row] for row in page_sheet.iter_rows()]
        cli_rows = [[c.value for c in row] for row in cli_sheet.iter_rows()]
        assert len(page_rows) > 1
        assert cli_rows == page_rows


def test_the_button_offers_a_named_file_and_the_done_box_opens_its_folder(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot
) -> None:
    import desktop.widgets.export as export_widget

    page = shown_page(window, "dashboard")
    offered: list[str] = []

    def choose(parent: Any, caption: str, suggested: str, filters: str) -> tuple[str, str]:
        offered.append(suggested)
        return str(tmp_path / "看板导出"), filters  # typed without the suffix

    opened: list[str] = []
    monkeypatch.setattr(export_widget.QFileDialog, "getSaveFileName", choose)
    monkeypatch.setattr(
        export_widget.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile())
    )
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    assert Path(offered[0]).name == f"看板-{DEMO_TODAY:%Y-%m}.xlsx"
    written = tmp_path / "看板导出.xlsx"
    assert written.exists()
    box = next(b for b in message_boxes() if b.objectName() == "exportDoneBox")
    open_folder = next(b for b in box.buttons() if b.objectName() == "openFolderButton")
    assert open_folder.text() == "打开文件夹"
    open_folder.click()
    assert opened == [str(tmp_path)]


def test_cancelling_the_file_dialog_writes_nothing(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import desktop.widgets.export as export_widget

    page = shown_page(window, "staff")
    writes: list[Any] = []
    monkeypatch.setattr(export_widget.QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    monkeypatch.setattr(export_widget, "write_workbook", lambda *a, **k: writes.append(a))
    page.export_to_excel()
    settle(page.ctx)
    assert not message_boxes()
    assert writes == []
    # The same path with a chosen file does write (the check above can fail).
    monkeypatch.setattr(
        export_widget.QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "x.xlsx"), "")
    )
    page.export_to_excel()
    settle(page.ctx)
    assert len(writes) == 1


def test_the_all_campus_rollup_exports_what_it_shows(window: MainWindow, tmp_path: Path) -> None:
    page = shown_page(window, "dashboard")
    page.ctx.set_campus(None)
    settle(page.ctx)
    assert page.views.currentIndex() == 1
    views = page.export_views()
    book = export(page, tmp_path / "all.xlsx")
    assert [ws.title for ws in book.worksheets] == [title for title, _view in views]
    for ws, (_title, view) in zip(book.worksheets, views, strict=True):
        _headers, rows = displayed(view)
        written = list(ws.iter_rows(min_row=2))
        assert len(written) == len(rows) > 0
        for got, want in zip(written, rows, strict=True):
            for cell, (text, _right, _background) in zip(got, want, strict=False):
                assert render(cell.value, cell.number_format) == text
