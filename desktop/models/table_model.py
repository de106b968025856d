"""A read-only table model of ready-made cells, and the table view these pages show them in.

Pages build :class:`Cell` rows from the engine's dataclasses (figures already computed by
:mod:`shared`) and hand them to a :class:`CellTableModel`; the view only shows them. Each row
may carry a key (a staff id, a list index) so a click can be traced back to what it shows.
Percentages and status names come from :mod:`desktop.widgets.format` like on every page; money
in these tables is plain yuan (the column headers say 元), a dash where there is no figure.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from desktop.widgets.format import percent
from shared.money import fen_to_yuan_text
from shared.progress import Status

DASH = "—"

# Status backgrounds for table cells (light, readable with black text), in the hues of
# desktop.widgets.format.STATUS_COLORS: green ahead, blue on pace, orange behind, red at risk,
# grey when there is nothing to judge yet.
STATUS_COLORS: dict[Status, str] = {
    Status.AHEAD: "#c8e6c9",
    Status.ON_PACE: "#bbdefb",
    Status.BEHIND: "#ffe0b2",
    Status.AT_RISK: "#ffcdd2",
    Status.NOT_STARTED: "#eeeeee",
    Status.NO_TARGET: "#f5f5f5",
}

WEAK_COLOR = "#ffcdd2"  # the weak funnel step
MANUAL_COLOR = "#fff3c4"  # a target part set by hand
TOTAL_COLOR = "#eef2f7"  # a total row


def yuan(fen: int | None) -> str:
    """Fen as yuan text with separators (``1,234.50``); a dash for None."""
    return DASH if fen is None else fen_to_yuan_text(fen)


def points(change: Fraction | None) -> str:
    """A change of rate in percentage points with a sign (``+4.2 个百分点``)."""
    if change is None:
        return DASH
    text = percent(abs(change)).removesuffix("%")
    sign = "-" if change < 0 else "+"
    return f"{sign}{text} 个百分点"


def days_text(days: Fraction | None) -> str:
    """A number of days with one decimal (``4.5 天``); a dash for None."""
    if days is None:
        return DASH
    value = (Decimal(days.numerator) / Decimal(days.denominator)).quantize(Decimal("0.1"))
    return f"{value} 天"


@dataclass(frozen=True, slots=True)
class Cell:
    """One shown cell: its text and how it looks."""

    text: str
    numeric: bool = False  # right-aligned
    background: str | None = None
    bold: bool = False
    tooltip: str | None = None

    @classmethod
    def money(cls, fen: int | None, **style: Any) -> Cell:
        """A money cell in yuan."""
        return cls(yuan(fen), numeric=True, **style)

    @classmethod
    def count(cls, value: int | Decimal | str | None, **style: Any) -> Cell:
        """A right-aligned count or hours cell."""
        return cls(DASH if value is None else str(value), numeric=True, **style)


class CellTableModel(QAbstractTableModel):
    """Rows of :class:`Cell` under fixed headers; read-only, each row with an optional key."""

    def __init__(self, headers: Sequence[str] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self._headers: list[str] = list(headers)
        self._rows: list[list[Cell]] = []
        self._keys: list[Hashable | None] = []

    def set_rows(
        self,
        rows: Sequence[Sequence[Cell]],
        keys: Sequence[Hashable | None] | None = None,
        headers: Sequence[str] | None = None,
    ) -> None:
        """Replace everything shown (and the headers, when given)."""
        self.beginResetModel()
        if headers is not None:
            self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self._keys = list(keys) if keys is not None else [None] * len(self._rows)
        self.endResetModel()

    @property
    def headers(self) -> list[str]:
        """The column headers."""
        return list(self._headers)

    def key(self, row: int) -> Hashable | None:
        """The key the page attached to a row."""
        return self._keys[row]

    def row_of(self, key: Hashable) -> int:
        """The row carrying ``key`` (-1 when none does)."""
        try:
            return self._keys.index(key)
        except ValueError:
            return -1

    def cell(self, row: int, column: int) -> Cell:
        """One cell as the page built it."""
        return self._rows[row][column]

    def text(self, row: int, column: int) -> str:
        """The text of one cell."""
        return self._rows[row][column].text

    def column_texts(self, column: int) -> list[str]:
        """Every row's text in one column."""
        return [r[column].text for r in self._rows]

    # ------------------------------------------------------------------ Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Rows shown (none under a parent: a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Columns shown."""
        return 0 if parent.isValid() else len(self._headers)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column headers; rows are unnumbered."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._headers):
            return self._headers[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Text, alignment, background, font and tooltip of a cell."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if index.column() >= len(row):
            return None
        cell = row[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if cell.numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and cell.background:
            return QBrush(QColor(cell.background))
        if role == Qt.ItemDataRole.ForegroundRole and cell.background:
            return QBrush(QColor("#202020"))  # light backgrounds: keep the text dark
        if role == Qt.ItemDataRole.FontRole and cell.bold:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tooltip
        return None


ROW_HEIGHT = 26


class TableView(QTableView):
    """A table view whose first column can fit its labels whatever columns the model brings.

    A section's resize mode belongs to a section that exists: a model that only gets its
    columns later (headers set with the rows) would lose the setting, so it is applied again
    after every reset.
    """

    def __init__(self, first_fits: bool = False) -> None:
        super().__init__()
        self.first_fits = first_fits

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802 - Qt's name
        """Show ``model`` and keep the first column fitted across its resets."""
        super().setModel(model)
        if model is not None:
            model.modelReset.connect(self.fit_first_column)
        self.fit_first_column()

    def fit_first_column(self) -> None:
        """Size the first (label) column to its contents, when asked to."""
        header = self.horizontalHeader()
        if self.first_fits and header.count() > 0:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)


def table_view(
    model: QAbstractItemModel, name: str, *, stretch: bool = True, first_fits: bool = False
) -> QTableView:
    """A row-selecting table view for one of these models.

    ``stretch`` shares the width between the columns (else they fit their contents and the
    last one stretches); ``first_fits`` lets the first (label) column fit its contents. The
    selection is translucent so the status and hand-set colours stay visible on the chosen row.
    """
    view = TableView(first_fits)
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    palette = view.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Highlight, QColor(21, 101, 192, 70))
        palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#101010"))
    view.setPalette(palette)
    header = view.horizontalHeader()
    if stretch:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
    else:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
    view.setModel(model)  # after the header's modes: the first column's comes on top
    return view
