"""订单: the campus's orders and refunds for a date range, filtered and searched, with totals.

Orders are listed by sign date (newest first) with sign type, hours and amount; refunds are
rows of their own with negative amounts, so the totals line — the sum of exactly the rows
shown — is the period's 营业额 for that selection. 新建订单 records a package and 退费
refunds part of the selected one (see :mod:`desktop.dialogs.order_dialogs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from desktop.context import AppContext
from desktop.dialogs.order_dialogs import (
    SIGN_TYPE_NAMES,
    NewOrderDialog,
    RefundDialog,
    RefundInfo,
    load_refund_info,
)
from desktop.dialogs.widgets import (
    NEGATIVE,
    Column,
    DateEdit,
    IdCombo,
    RowsModel,
    SearchBox,
    date_text,
    hours_text,
    make_table,
    select_where,
    selected_row,
    yuan,
)
from desktop.errors import show_error
from shared.exports import MONEY_FORMAT, Sheet, Styled, yuan_value
from shared.models import Course, Order, Parent, SignType, Staff, Student, StudentParent
from shared.search import SearchKey, filter_rows, search_key
from shared.services.staff import StaffRow, list_staff

from .base import Page

ALL = "全部"


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order or refund as the list shows it."""

    id: str
    signed_on: date
    student_id: str
    student_name: str
    course_name: str
    sign_type: SignType
    hours: Decimal
    gift_hours: Decimal
    amount_fen: int
    consultant_id: str | None
    consultant_name: str
    intent_teacher_name: str
    notes: str
    key: SearchKey

    @property
    def sign_type_name(self) -> str:
        """签单类型 in Chinese."""
        return SIGN_TYPE_NAMES[self.sign_type]

    @property
    def is_refund(self) -> bool:
        """Whether this row is a refund (negative amount)."""
        return self.sign_type is SignType.REFUND

    @property
    def signed_hours(self) -> Decimal:
        """Paid hours as the list shows them: a refund takes hours back, so they are negative."""
        return -self.hours if self.is_refund else self.hours

    @property
    def signed_gift_hours(self) -> Decimal:
        """Gifted hours, negative on a refund."""
        return -self.gift_hours if self.is_refund else self.gift_hours


@dataclass(frozen=True, slots=True)
class OrdersData:
    """What one refresh of the page reads."""

    orders: list[OrderRow]
    staff: list[StaffRow]


def load_orders(session: Session, campus_id: str, start: date, end: date) -> list[OrderRow]:
    """The campus's live orders and refunds signed from ``start`` to ``end``, newest first.

    Each row's search key holds the student's name and their parents' phone numbers.
    """
    consultant = aliased(Staff)
    teacher = aliased(Staff)
    rows = session.execute(
        select(
            Order,
            Student.name.label("student_name"),
            Course.name.label("course_name"),
            consultant.name.label("consultant_name"),
            teacher.name.label("teacher_name"),
        )
        .join(Student, Student.id == Order.student_id)
        .join(Course, Course.id == Order.course_id)
        .outerjoin(consultant, consultant.id == Order.consultant_id)
        .outerjoin(teacher, teacher.id == Order.intent_teacher_id)
        .where(
            Order.campus_id == campus_id,
            Order.is_deleted.is_(False),
            Order.signed_on >= start,
            Order.signed_on <= end,
        )
        .order_by(Order.signed_on.desc(), Order.created_at.desc())
    ).all()
    student_ids = {r.Order.student_id for r in rows}
    phones: dict[str, list[str]] = {}
    if student_ids:
        for student_id, phone, phone2 in session.execute(
            select(StudentParent.student_id, Parent.phone, Parent.phone2)
            .join(Parent, Parent.id == StudentParent.parent_id)
            .where(
                StudentParent.student_id.in_(student_ids),
                StudentParent.is_deleted.is_(False),
                Parent.is_deleted.is_(False),
            )
        ):
            phones.setdefault(student_id, []).extend([phone, phone2])
    return [
        OrderRow(
            id=r.Order.id,
            signed_on=r.Order.signed_on,
            student_id=r.Order.student_id,
            student_name=r.student_name,
            course_name=r.course_name,
            sign_type=r.Order.sign_type,
            hours=r.Order.hours,
            gift_hours=r.Order.gift_hours,
            amount_fen=r.Order.amount_fen,
            consultant_id=r.Order.consultant_id,
            consultant_name=r.consultant_name or "",
            intent_teacher_name=r.teacher_name or "",
            notes=r.Order.notes,
            key=search_key(r.student_name, phones.get(r.Order.student_id, [])),
        )
        for r in rows
    ]


def load_orders_page(session: Session, campus_id: str, start: date, end: date) -> OrdersData:
    """Orders of the range and the campus's staff (for the consultant filter and dialogs)."""
    return OrdersData(load_orders(session, campus_id, start, end), list_staff(session, campus_id))


@dataclass(frozen=True, slots=True)
class OrderTotals:
    """The totals line: sums over exactly the rows shown."""

    count: int
    hours: Decimal
    gift_hours: Decimal
    amount_fen: int
    refund_fen: int  # the refunds among them (negative or 0)

    @classmethod
    def of(cls, rows: list[OrderRow]) -> OrderTotals:
        """Add up ``rows`` as shown (refunds' hours and amounts are negative)."""
        return cls(
            count=len(rows),
            hours=sum((r.signed_hours for r in rows), Decimal(0)),
            gift_hours=sum((r.signed_gift_hours for r in rows), Decimal(0)),
            amount_fen=sum(r.amount_fen for r in rows),
            refund_fen=sum(r.amount_fen for r in rows if r.is_refund),
        )

    def text(self) -> str:
        """The line under the table."""
        return (
            f"合计 {self.count} 笔　课时 {hours_text(self.hours)}"
            f"　赠送 {hours_text(self.gift_hours)}　金额 {yuan(self.amount_fen)} 元"
            f"（其中退费 {yuan(self.refund_fen)} 元）"
        )


def _negative(row: OrderRow) -> QColor | None:
    return NEGATIVE if row.is_refund else None


class OrdersPage(Page):
    """订单: list with date range, sign type, consultant and search; 新建订单 and 退费."""

    key = "orders"
    title = "订单"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data = OrdersData([], [])
        self.dialog: QWidget | None = None  # the dialog opened last (tests use it)
        self._select_id: str | None = None
        today = ctx.today()

        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.start = DateEdit(today.replace(day=1))
        self.start.setObjectName("startDate")
        self.end = DateEdit(today)
        self.end.setObjectName("endDate")
        self.sign_type_filter = QComboBox()
        self.sign_type_filter.setObjectName("signTypeFilter")
        self.sign_type_filter.addItem(f"{ALL}类型", "")
        for kind, label in SIGN_TYPE_NAMES.items():
            self.sign_type_filter.addItem(label, kind.value)
        self.consultant_filter = IdCombo(allow_none=True, none_label=f"{ALL}顾问")
        self.consultant_filter.setObjectName("consultantFilter")
        self.search = SearchBox("搜索学员：姓名 / 家长电话 / 拼音首字母")
        self.search.setObjectName("orderSearch")
        for label, widget in (("签单日期", self.start), ("至", self.end)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.sign_type_filter)
        filters.addWidget(self.consultant_filter)
        filters.addWidget(self.search)
        filters.addStretch(1)
        self.new_button = QPushButton("新建订单")
        self.new_button.setObjectName("newOrderButton")
        self.refund_button = QPushButton("退费")
        self.refund_button.setObjectName("refundButton")
        filters.addWidget(self.new_button)
        filters.addWidget(self.refund_button)
        filters.addWidget(self.make_export_button())
        layout.addLayout(filters)

        self.model: RowsModel[OrderRow] = RowsModel(
            [
                Column("签单日期", lambda r: date_text(r.signed_on), color=_negative, width=96),
                Column("学员", lambda r: r.student_name, color=_negative, width=80),
                Column("课程", lambda r: r.course_name, color=_negative, width=150),
                Column("类型", lambda r: r.sign_type_name, color=_negative, width=60),
                Column("课时", lambda r: hours_text(r.signed_hours), True, _negative, 60),
                Column("赠送", lambda r: hours_text(r.signed_gift_hours), True, _negative, 60),
                Column("金额（元）", lambda r: yuan(r.amount_fen), True, _negative, 110),
                Column("课程顾问", lambda r: r.consultant_name, color=_negative, width=80),
                Column("意向教师", lambda r: r.intent_teacher_name, color=_negative, width=80),
                Column("备注", lambda r: r.notes, color=_negative),
            ]
        )
        self.table = make_table(self.model, "orderTable")
        layout.addWidget(self.table, 1)
        self.totals_label = QLabel("")
        self.totals_label.setObjectName("ordersTotal")
        self.totals_label.setStyleSheet("font-weight: bold; padding: 4px;")
        layout.addWidget(self.totals_label)
        self.totals = OrderTotals.of([])

        self.start.dateChanged.connect(self.refresh)
        self.end.dateChanged.connect(self.refresh)
        self.sign_type_filter.currentIndexChanged.connect(self._apply_filter)
        self.consultant_filter.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.new_button.clicked.connect(self.new_order)
        self.refund_button.clicked.connect(self.refund)
        self._selection_changed()

    def export_name(self) -> str:
        """``订单-2025-06-01至2025-06-18``."""
        return f"订单-{self.start.day().isoformat()}至{self.end.day().isoformat()}"

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """The orders as filtered now."""
        return [("订单", self.table)]

    def export_sheets(self) -> list[Sheet]:
        """The orders as filtered now, and under them the totals line (bold)."""
        sheets = super().export_sheets()
        t = self.totals
        sheets[0].rows.append(
            [
                Styled(f"合计 {t.count} 笔", None, bold=True),
                None,
                None,
                None,
                Styled(t.hours, "General", bold=True),
                Styled(t.gift_hours, "General", bold=True),
                Styled(yuan_value(t.amount_fen), MONEY_FORMAT, bold=True),
                None,
                None,
                Styled(f"其中退费 {yuan(t.refund_fen)} 元", None, bold=True),
            ]
        )
        return sheets

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Reload the orders of the date range."""
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        start, end = self.start.day(), self.end.day()
        self.ctx.ops.read(lambda s: load_orders_page(s, campus_id, start, end), self._loaded)

    def _loaded(self, data: OrdersData) -> None:
        self.data = data
        self.consultant_filter.set_choices(
            [(s.name, s.id) for s in data.staff if s.has_role("consultant")]
        )
        self._apply_filter()

    def _apply_filter(self, *_args: Any) -> None:
        current = self.selected_order()
        keep = self._select_id or (current.id if current else None)
        self._select_id = None
        kind = self.sign_type_filter.currentData()
        consultant = self.consultant_filter.current_id()
        rows = [
            r
            for r in self.data.orders
            if (not kind or r.sign_type.value == kind)
            and (consultant is None or r.consultant_id == consultant)
        ]
        rows = filter_rows(self.search.text(), rows, lambda r: r.key)
        self.model.set_rows(rows)
        self.totals = OrderTotals.of(rows)
        self.totals_label.setText(self.totals.text())
        if keep is not None:
            select_where(self.table, self.model, lambda r: r.id == keep)
        self._selection_changed()

    def selected_order(self) -> OrderRow | None:
        """The order selected in the list."""
        return selected_row(self.table, self.model)

    def _selection_changed(self, *_args: Any) -> None:
        row = self.selected_order()
        self.refund_button.setEnabled(row is not None and not row.is_refund)

    # ------------------------------------------------------------------ actions

    def new_order(self) -> NewOrderDialog:
        """Open 新建订单."""
        dialog = NewOrderDialog(self.ctx, self.data.staff, parent=self)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, order_id: object) -> None:
        self._select_id = str(order_id)
        self.search.clear()
        self.sign_type_filter.setCurrentIndex(0)
        self.consultant_filter.set_current_id(None)
        saved_on = self.ctx.today()
        if saved_on > self.end.day():
            self.end.set_day(saved_on)

    def refund(self) -> None:
        """Read the selected package's balance, then open 退费 for it."""
        row = self.selected_order()
        if row is None or row.is_refund:
            return
        order_id = row.id
        self.ctx.ops.read(
            lambda s: load_refund_info(s, order_id),
            self._open_refund,
            on_error=lambda exc: show_error(self.window(), exc, action="退费"),
            label="读取订单",
        )

    def _open_refund(self, info: RefundInfo) -> None:
        dialog = RefundDialog(self.ctx, info, parent=self)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
