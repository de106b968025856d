"""Read-only tables filled from rows of text (the pages compute the text, tables show it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)


class ReadOnlyTable(QTableWidget):
    """A compact, sortable-looking, non-editable table with right-aligned number columns."""

    def __init__(
        self,
        headers: Sequence[str],
        *,
        right: Collection[int] = (),
        stretch: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self._right = set(right)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().setVisible(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        if stretch is not None:
            header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        else:
            header.setStretchLastSection(True)

    def set_rows(
        self,
        rows: Sequence[Sequence[str]],
        *,
        colors: Sequence[str | None] | None = None,
        data: Sequence[object] | None = None,
        bold: Collection[int] = (),
    ) -> None:
        """Replace the content; ``colors`` tints a row's text, ``data`` rides on column 0,
        rows in ``bold`` (a total) stand out."""
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c in self._right:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if colors is not None and colors[r]:
                    item.setForeground(QColor(colors[r]))
                if r in bold:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if c == 0 and data is not None:
                    item.setData(Qt.ItemDataRole.UserRole, data[r])
                self.setItem(r, c, item)

    def row_texts(self, row: int) -> list[str]:
        """The texts of one row (for tests and copying)."""
        return [self.item(row, c).text() for c in range(self.columnCount())]

    def row_data(self, row: int) -> object:
        """What ``set_rows(data=…)`` attached to a row."""
        return self.item(row, 0).data(Qt.ItemDataRole.UserRole)
