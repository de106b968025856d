"""The month and week tables of the target decomposition: figures of a plan, editable by hand.

The model shows what :func:`shared.targets.preview_year` planned and lets the manager type a
figure into a month or week cell. It does not change anything itself: an edit is reported with
:attr:`PlanTableModel.part_edited` (row, metric, the text typed) and the page re-plans and sets
new rows. Parts set by hand are drawn bold on a yellow background and marked ✎.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from shared.models import Metric

from .table_model import DASH, MANUAL_COLOR, yuan

MANUAL_MARK = "✎"


@dataclass(frozen=True, slots=True)
class PlanCell:
    """A money figure of the plan; ``manual`` when the manager set it by hand."""

    fen: int | None
    manual: bool = False


def edit_text(fen: int | None) -> str:
    """Fen as the plain yuan text an editor starts with (``12345.60``, no separators)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


class PlanTableModel(QAbstractTableModel):
    """Rows of labels and :class:`PlanCell` figures; the columns in ``editable`` take edits."""

    part_edited = Signal(int, str, str)  # row, Metric value, the text typed

    def __init__(
        self, headers: Sequence[str], editable: Mapping[int, Metric], parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._editable = dict(editable)
        self._rows: list[list[str | PlanCell]] = []
        self._enabled = True

    def set_rows(self, rows: Sequence[Sequence[str | PlanCell]]) -> None:
        """Replace the rows shown."""
        self.beginResetModel()
        self._rows = [list(r) for r in rows]
        self.endResetModel()

    def set_editable(self, enabled: bool) -> None:
        """Allow or refuse edits (no edits while there is no plan to edit)."""
        self._enabled = enabled

    def cell(self, row: int, column: int) -> str | PlanCell:
        """The raw content of a cell."""
        return self._rows[row][column]

    def text(self, row: int, column: int) -> str:
        """The text a cell shows."""
        return str(self.data(self.index(row, column)))

    def column_of(self, metric: Metric) -> int:
        """The editable column of a metric."""
        return next(c for c, m in self._editable.items() if m is metric)

    # ------------------------------------------------------------------ Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Rows shown."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Columns shown."""
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column headers."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._headers[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """Figure cells of the editable columns take edits."""
        base = super().flags(index)
        if not index.isValid():
            return base
        value = self._rows[index.row()][index.column()]
        if (
            self._enabled
            and index.column() in self._editable
            and isinstance(value, PlanCell)
            and value.fen is not None
        ):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Yuan text, plain text for the editor, and the look of hand-set parts."""
        if not index.isValid():
            return None
        value = self._rows[index.row()][index.column()]
        if not isinstance(value, PlanCell):
            return value if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            if value.fen is None:
                return DASH
            # A mark as well as the colour: it shows on a selected row and without colour vision.
            return f"{MANUAL_MARK} {yuan(value.fen)}" if value.manual else yuan(value.fen)
        if role == Qt.ItemDataRole.EditRole:
            return edit_text(value.fen)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if value.manual and role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(MANUAL_COLOR))
        if value.manual and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("#202020"))
        if value.manual and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() not in self._editable:
                return None
            if value.manual:
                return "手工设定：其余自动部分按分解方式分摊剩余金额。右键可恢复自动。"
            return "自动分配；双击输入金额即可手工设定。"
        return None

    def setData(  # noqa: N802
        self,
        index: QModelIndex | QPersistentModelIndex,
        value: Any,
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        """Report the typed text; the page re-plans and replaces the rows."""
        if role != Qt.ItemDataRole.EditRole or index.column() not in self._editable:
            return False
        current = self._rows[index.row()][index.column()]
        text = str(value).strip()
        if isinstance(current, PlanCell) and text == edit_text(current.fen):
            return False  # opened and closed without a change
        self.part_edited.emit(index.row(), self._editable[index.column()].value, text)
        return True
