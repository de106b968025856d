"""Small widgets the record pages and their dialogs share.

* :class:`RowsModel` — a read-only table model over a list of dataclass rows, with columns
  described once (header, text, alignment); lists of a few thousand rows re-filter instantly.
* :class:`SearchBox` — the one search field (name, phone, pinyin initials) every list uses.
* :class:`HoursSpin`, :class:`DateEdit`, :class:`OptionalDateEdit`, :class:`IdCombo` — inputs
  that hand back domain values (``Decimal`` hours, ``date``, ids) instead of Qt ones.
* :class:`FormDialog` — an edit dialog that saves through ``ctx.ops.write`` and shows a refusal
  (the domain's Chinese sentence) inline, next to the offending field, saving nothing.
* :func:`confirm` — a non-blocking yes/no question (tests can find and answer it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.errors import show_error, user_message
from shared.errors import DabiaoError, Invalid
from shared.money import fen_to_yuan_text

T = TypeVar("T")
W = TypeVar("W", bound=QWidget)

SEARCH_HINT = "搜索：姓名 / 电话 / 拼音首字母（如 zs）"
NONE_CHOICE = "（无）"
ERROR_STYLE = "color: #c0392b;"
MUTED = QColor("#888888")
NEGATIVE = QColor("#c0392b")


# --------------------------------------------------------------------------- formatting


def yuan(fen: int) -> str:
    """Fen as 元 with two decimals and separators: ``1,280.00``, ``-300.00``."""
    return fen_to_yuan_text(fen)


def hours_text(hours: Decimal) -> str:
    """Lesson hours without needless zeros: ``10``, ``1.5``, ``0.25``."""
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def date_text(day: date | None) -> str:
    """A business date as ``2025-06-18``, or empty."""
    return day.isoformat() if day else ""


def to_qdate(day: date) -> QDate:
    """A Python date as a QDate."""
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> date:
    """A QDate as a Python date."""
    return date(day.year(), day.month(), day.day())


# --------------------------------------------------------------------------- table model


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column of a :class:`RowsModel`: its header, its text, how to align and colour it."""

    header: str
    text: Callable[[T], str]
    right: bool = False
    color: Callable[[T], QColor | None] | None = None
    width: int | None = None


class RowsModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of rows; :meth:`set_rows` replaces them all."""

    def __init__(self, columns: Sequence[Column[T]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        """Show ``rows`` (in the given order)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> T | None:
        """The row shown at ``row``, or None."""
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Qt: the number of rows."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Qt: the number of columns."""
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        """Qt: a cell's text, alignment and colour."""
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column.right else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            color = column.color(row)
            return QBrush(color) if color is not None else None
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = 0
    ) -> Any:
        """Qt: the column headers."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        return None


def make_table(model: RowsModel[Any], object_name: str) -> QTableView:
    """A read-only, row-selecting table view over ``model``."""
    view = QTableView()
    view.setObjectName(object_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(28)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for i, column in enumerate(model.columns):
        if column.width is not None:
            view.setColumnWidth(i, column.width)
    return view


def selected_row(view: QTableView, model: RowsModel[T]) -> T | None:
    """The row selected in ``view``, or None."""
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return model.row_at(rows[0].row()) if rows else None


def select_where(view: QTableView, model: RowsModel[T], wanted: Callable[[T], bool]) -> bool:
    """Select the first row for which ``wanted`` holds; False when there is none."""
    for i, row in enumerate(model.rows):
        if wanted(row):
            view.selectRow(i)
            view.scrollTo(model.index(i, 0))
            return True
    return False


# --------------------------------------------------------------------------- inputs


class SearchBox(QLineEdit):
    """The search field of a list: name, phone digits or pinyin initials."""

    def __init__(self, placeholder: str = SEARCH_HINT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(260)


class HoursSpin(QDoubleSpinBox):
    """Lesson hours with two decimals, read back as an exact ``Decimal``."""

    def __init__(self, maximum: float = 10000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(2)
        self.setRange(0, maximum)
        self.setSingleStep(1)
        self.setSuffix(" 课时")

    def hours(self) -> Decimal:
        """The value as exact hours (the spin box keeps two decimals)."""
        return Decimal(f"{self.value():.2f}")

    def set_hours(self, hours: Decimal) -> None:
        """Show ``hours``."""
        self.setValue(float(hours))


class DateEdit(QDateEdit):
    """A date field with a calendar pop-up, read back as a ``date``."""

    def __init__(self, day: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        if day is not None:
            self.setDate(to_qdate(day))

    def day(self) -> date:
        """The chosen date."""
        return from_qdate(self.date())

    def set_day(self, day: date) -> None:
        """Show ``day``."""
        self.setDate(to_qdate(day))


class OptionalDateEdit(QWidget):
    """A date that may be left empty: a check box turns the date on; off shows 未填."""

    EMPTY = QDate(1900, 1, 1)

    def __init__(
        self, day: date | None = None, *, around: date | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._around = around or date.today()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox()
        self.check.setToolTip("勾选后填写日期")
        self.edit = DateEdit()
        self.edit.setMinimumDate(self.EMPTY)
        self.edit.setSpecialValueText("未填")
        layout.addWidget(self.check)
        layout.addWidget(self.edit)
        layout.addStretch(1)
        self.setFocusProxy(self.edit)
        self.check.toggled.connect(self._toggled)
        self.set_optional(day)

    def _toggled(self, on: bool) -> None:
        self.edit.setEnabled(on)
        if on and self.edit.date() == self.EMPTY:
            self.edit.set_day(self._around)
        elif not on:
            self.edit.setDate(self.EMPTY)

    def optional_day(self) -> date | None:
        """The chosen date, or None when left empty."""
        return self.edit.day() if self.check.isChecked() else None

    def set_optional(self, day: date | None) -> None:
        """Show ``day``, or 未填 for None."""
        self.check.setChecked(day is not None)
        self._toggled(day is not None)
        if day is not None:
            self.edit.set_day(day)


class IdCombo(QComboBox):
    """A combo box of (label, id) choices, optionally starting with （无）."""

    def __init__(
        self,
        *,
        allow_none: bool = False,
        none_label: str = NONE_CHOICE,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.allow_none = allow_none
        self.none_label = none_label
        if allow_none:
            self.addItem(none_label, "")

    def set_choices(self, choices: Sequence[tuple[str, str]], current: str | None = None) -> None:
        """Replace the choices; keep ``current`` (or the previous choice) selected."""
        keep = current if current is not None else self.current_id()
        self.blockSignals(True)
        self.clear()
        if self.allow_none:
            self.addItem(self.none_label, "")
        for label, value in choices:
            self.addItem(label, value)
        self.blockSignals(False)
        self.set_current_id(keep)

    def current_id(self) -> str | None:
        """The chosen id, or None for （无） or no choice."""
        value = self.currentData()
        return str(value) if value else None

    def set_current_id(self, value: str | None) -> None:
        """Choose ``value`` (None: （无） or the first choice)."""
        index = self.findData(value or "") if value or self.allow_none else 0
        self.setCurrentIndex(max(index, 0) if self.count() else -1)


# --------------------------------------------------------------------------- dialogs


def write_from(
    widget: QWidget,
    ctx: AppContext,
    fn: Callable[[Session], Any],
    label: str,
    on_done: Callable[[Any], None] | None = None,
) -> None:
    """Run a page's write; a refusal is shown over ``widget``'s window, whatever was active.

    (An error box parented to whatever window is active could belong to a closing question.)
    """
    ctx.ops.write(
        fn,
        on_done or (lambda _result: None),
        on_error=lambda exc: show_error(widget.window(), exc, action=label),
        label=label,
    )


def confirm(
    parent: QWidget, title: str, text: str, on_yes: Callable[[], None], *, yes: str = "确定"
) -> QMessageBox:
    """Ask a yes/no question without blocking; ``on_yes`` runs when it is answered yes."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
    )
    box.setObjectName("confirmBox")
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("取消", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)

    def answered() -> None:
        if box.clickedButton() is yes_button:
            on_yes()

    box.finished.connect(answered)
    box.open()
    return box


class FormDialog(QDialog):
    """An edit dialog: a form, an inline error line, 保存 and 取消.

    Subclasses build their fields into :attr:`form`, register them in :attr:`fields` under
    the domain's field names (so a refusal focuses the right input) and implement
    :meth:`prepare`, which reads the inputs and returns the write to run, or raises
    :class:`~shared.errors.Invalid` for input it can judge itself. The write runs through
    ``ctx.ops.write``; on success :attr:`saved` carries its result and the dialog closes, on
    a refusal the message stays in the dialog and nothing is saved.
    """

    saved = Signal(object)

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setModal(True)
        self.fields: dict[str, QWidget] = {}
        self.body = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.body.addLayout(self.form)
        self.error_label = QLabel("")
        self.error_label.setObjectName("formError")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox()
        self.save_button: QPushButton = self.buttons.addButton(
            "保存", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("saveButton")
        self.save_button.setDefault(True)
        self.cancel_button: QPushButton = self.buttons.addButton(
            "取消", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.save_label = "保存"

    def finish_layout(self) -> None:
        """Put the error line and the buttons under whatever the subclass added."""
        self.body.addWidget(self.error_label)
        self.body.addWidget(self.buttons)

    def add_field(self, label: str, name: str, widget: W) -> W:
        """Add a labelled input registered under the domain field ``name``."""
        widget.setObjectName(name)
        if isinstance(widget, QComboBox):
            widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.form.addRow(label, widget)
        self.fields[name] = widget
        return widget

    def prepare(self) -> Callable[[Session], Any]:
        """Read the inputs and return the write to run (raise Invalid for bad input)."""
        raise NotImplementedError

    def submit(self) -> None:
        """Run the write; close on success, show the refusal otherwise."""
        try:
            write = self.prepare()
        except DabiaoError as exc:
            self.show_error(exc)
            return
        self.error_label.hide()
        self.save_button.setEnabled(False)
        self.ctx.ops.write(write, self._done, on_error=self._refused, label=self.save_label)

    def _done(self, result: object) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(result)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        assert isinstance(exc, DabiaoError)
        self.show_error(exc)

    def show_error(self, exc: DabiaoError) -> None:
        """Show a refusal inline and put the cursor in the field it names."""
        self.error_label.setText(user_message(exc))
        self.error_label.show()
        if isinstance(exc, Invalid):
            widget = self.fields.get(exc.field)
            if widget is not None:
                widget.setFocus()
                if isinstance(widget, QLineEdit):
                    widget.selectAll()
