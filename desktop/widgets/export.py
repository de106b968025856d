"""导出 Excel…: write what a page's tables show to an .xlsx file, exactly as shown.

A page lists the tables it shows (:meth:`desktop.pages.base.Page.export_views`); each becomes a
sheet of the cells' **displayed** text (``Qt.DisplayRole``, or the text of a widget placed in a
cell), in the view's row order, hidden rows and columns left out. Each text becomes a typed value
that shows the same text (:func:`shared.exports.sheet_value`: money as yuan numbers, rates as
percentages, dates as dates; right-aligned columns are the number columns). Pages with figures
outside tables (the 看板's cards, the 课表's day lists) add sheets built from the same data.

The file is written on a worker (``ctx.ops.run``); success says where, with 打开文件夹; a file
that cannot be written (open in Excel, a read-only folder) is a Chinese message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QStandardPaths, Qt, QUrl
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QWidget,
)

if TYPE_CHECKING:
    # shared.exports loads SQLAlchemy and the engines: imported on use (an export), so that
    # every page's button costs nothing at start-up.
    from desktop.operations import Operations
    from shared.exports import Sheet

BUTTON_TEXT = "导出 Excel…"
ACTION = "导出 Excel"

_last_folder: Path | None = None  # the folder chosen last, offered again this session


def _widget_text(widget: QWidget) -> str | None:
    if isinstance(widget, (QLineEdit, QLabel, QAbstractSpinBox)):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    return None


def _is_right_aligned(value: object) -> bool:
    if value is None:
        return False
    try:
        flags = int(value)  # type: ignore[call-overload]
    except TypeError:
        flags = int(getattr(value, "value", 0))
    return bool(flags & Qt.AlignmentFlag.AlignRight.value)


BACKGROUND = Qt.ItemDataRole.BackgroundRole
FONT = Qt.ItemDataRole.FontRole


def _background(value: object) -> str | None:
    """A cell's explicit background (a status colour) as ``#rrggbb``; None when it has none."""
    if isinstance(value, QBrush) and value.style() != Qt.BrushStyle.NoBrush:
        return value.color().name()
    if isinstance(value, QColor) and value.isValid():
        return value.name()
    return None


def _bold(value: object) -> bool:
    return isinstance(value, QFont) and value.bold()


def write_workbook(
    path: Path, sheets: Sequence[Sheet], *, progress: Callable[[int, int], None] | None = None
) -> Path:
    """:func:`shared.exports.write_workbook`, imported on first use (not at start-up)."""
    from shared.exports import write_workbook as write

    return write(path, sheets, progress=progress)


def view_sheet(title: str, view: QAbstractItemView) -> Sheet:
    """The displayed cells of a table view as a sheet (hidden rows and columns left out)."""
    from shared.exports import Sheet, Styled, sheet_value

    model = view.model()
    table = view if isinstance(view, QTableView) else None
    columns = [
        c for c in range(model.columnCount()) if table is None or not table.isColumnHidden(c)
    ]
    headers = []
    for c in columns:
        header = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        headers.append("" if header is None else str(header))
    rows = []
    for r in range(model.rowCount()):
        if table is not None and table.isRowHidden(r):
            continue
        row = []
        for c in columns:
            index = model.index(r, c, QModelIndex())
            shown = model.data(index, Qt.ItemDataRole.DisplayRole)
            text = "" if shown is None else str(shown)
            alignment = model.data(index, Qt.ItemDataRole.TextAlignmentRole)
            numeric = _is_right_aligned(alignment)
            widget = view.indexWidget(index)
            if widget is not None and (inner := _widget_text(widget)) is not None:
                text = inner
                numeric = isinstance(widget, QAbstractSpinBox)
            if text == "":
                row.append(None)
                continue
            value = sheet_value(text, numeric=numeric)
            fill, bold = _background(model.data(index, BACKGROUND)), _bold(model.data(index, FONT))
            if fill is not None or bold:
                if isinstance(value, Styled):
                    value = replace(value, fill=fill, bold=bold)
                else:
                    value = Styled(value, None, fill, bold)
            row.append(value)
        rows.append(row)
    return Sheet(title, headers, rows)


def views_sheets(views: Sequence[tuple[str, QAbstractItemView]]) -> list[Sheet]:
    """One sheet per (title, view)."""
    return [view_sheet(title, view) for title, view in views]


def default_folder() -> Path:
    """Where the save dialog opens: the folder used last, else 文档, else home."""
    if _last_folder is not None and _last_folder.is_dir():
        return _last_folder
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def safe_file_name(name: str) -> str:
    """``name`` without characters file systems refuse."""
    return "".join("-" if ch in '<>:"/\\|?*' else ch for ch in name).strip() or "导出"


def ask_target(parent: QWidget, name: str) -> Path | None:
    """Ask where to save ``name``.xlsx; None when cancelled."""
    suggested = default_folder() / f"{safe_file_name(name)}.xlsx"
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, "导出 Excel", str(suggested), "Excel 工作簿 (*.xlsx)"
    )
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() != ".xlsx":
        path = path.with_name(path.name + ".xlsx")
    return path


def show_exported(parent: QWidget | None, path: Path) -> QMessageBox:
    """Say where the file went (non-blocking), with a button that opens its folder."""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "导出完成",
        f"已导出到：\n{path}",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setObjectName("exportDoneBox")
    box.setEscapeButton(QMessageBox.StandardButton.Ok)  # Esc and the close button work too
    open_folder = box.addButton("打开文件夹", QMessageBox.ButtonRole.ActionRole)
    open_folder.setObjectName("openFolderButton")
    open_folder.clicked.connect(
        lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def export_sheets(
    parent: QWidget,
    ops: Operations,
    sheets: list[Sheet],
    path: Path,
    *,
    button: QPushButton | None = None,
) -> None:
    """Write ``sheets`` to ``path`` on a worker; tell the person how it went.

    While it runs, ``button`` (the page's 导出 Excel…) is disabled and shows the share written,
    then comes back whatever the outcome (a DabiaoError is shown by ``ops`` in Chinese).
    """
    global _last_folder
    _last_folder = path.parent
    from desktop.operations import current_job

    def write() -> Path:
        job = current_job()
        return write_workbook(
            path, sheets, progress=lambda done, total: job.report(100 * done // max(total, 1))
        )

    def progressed(percent: int, _text: str) -> None:
        if button is not None:
            button.setText(f"正在导出 {percent}%")

    def finished(label: str) -> None:
        if label != ACTION:
            return
        ops.job_finished.disconnect(finished)
        if button is not None:
            button.setEnabled(True)
            button.setText(BUTTON_TEXT)

    if button is not None:
        button.setEnabled(False)
        button.setText("正在导出…")
    ops.job_finished.connect(finished)
    ops.run(
        write,
        lambda written: show_exported(parent.window(), written),
        label=ACTION,
        progress=progressed,
    )


def export_button(name: str = "exportButton") -> QPushButton:
    """The 导出 Excel… button every list and report page shows."""
    button = QPushButton(BUTTON_TEXT)
    button.setObjectName(name)
    button.setToolTip("把本页显示的表格导出为 Excel 文件，数字与屏幕上的一致")
    return button
