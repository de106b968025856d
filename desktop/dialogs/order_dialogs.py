"""Dialogs of the 订单 page: 新建订单 (a package sold) and 退费 (part of a package refunded).

Both write through :mod:`shared.services.orders`; amounts are typed in 元 and converted with
:func:`shared.money.yuan_to_fen` (never through a float).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.context import AppContext
from shared.consumption import Package, load_packages, package_balances
from shared.enums import SIGN_TYPE_NAMES
from shared.errors import Invalid
from shared.models import Course, Order, SignType, Student, TrialLesson, TrialOutcome
from shared.money import yuan_to_fen
from shared.search import filter_rows
from shared.services.common import get_live
from shared.services.courses import CourseRow, list_courses
from shared.services.orders import record_order, refund_order
from shared.services.staff import StaffRow
from shared.services.students import StudentRow, list_students

from .widgets import DateEdit, FormDialog, HoursSpin, IdCombo, SearchBox, hours_text, yuan

MAX_MATCHES = 100  # students listed at once in the picker; typing narrows the rest


def parse_yuan(text: str, field: str) -> int:
    """An amount typed in 元 as fen; empty text is refused (an order always has an amount)."""
    if not text.strip():
        raise Invalid(field, "请填写金额（元）")
    fen = yuan_to_fen(text, field)
    if fen < 0:
        raise Invalid(field, "金额不能为负数")
    return fen


# --------------------------------------------------------------------------- 新建订单


@dataclass(frozen=True, slots=True)
class OrderChoices:
    """What the 新建订单 dialog offers: the campus's students and active courses."""

    students: list[StudentRow]
    courses: list[CourseRow]


@dataclass(frozen=True, slots=True)
class TrialChoice:
    """A trial of the student that an order may come from."""

    id: str
    label: str


def load_order_choices(session: Session, campus_id: str) -> OrderChoices:
    """Students and courses for the 新建订单 dialog."""
    return OrderChoices(list_students(session, campus_id), list_courses(session, campus_id))


def load_open_trials(session: Session, student_id: str) -> list[TrialChoice]:
    """The student's trials not yet linked to an order, newest first."""
    courses = dict(session.execute(select(Course.id, Course.name)).all())
    trials = session.scalars(
        select(TrialLesson)
        .where(
            TrialLesson.student_id == student_id,
            TrialLesson.is_deleted.is_(False),
            TrialLesson.outcome != TrialOutcome.SIGNED,
        )
        .order_by(TrialLesson.trial_on.desc())
    )
    return [
        TrialChoice(t.id, f"{t.trial_on.isoformat()} {courses.get(t.course_id, '')} 试听")
        for t in trials
    ]


class NewOrderDialog(FormDialog):
    """新建订单: student, course, sign type and date, hours, amount in 元, who is credited."""

    def __init__(
        self, ctx: AppContext, staff: Sequence[StaffRow], parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "新建订单", parent)
        self.setObjectName("newOrderDialog")
        self.save_label = "保存订单"
        self.choices = OrderChoices([], [])
        self._trials_request = 0
        self.student_search = SearchBox()
        self.student_search.setObjectName("studentSearch")
        self.form.addRow("查找学员", self.student_search)
        self.student_list = self.add_field("学员", "student_id", QListWidget())
        self.student_list.setFixedHeight(130)
        self.course = self.add_field("课程", "course_id", IdCombo())
        self.sign_type = self.add_field("签单类型", "sign_type", QComboBox())
        for kind, label in SIGN_TYPE_NAMES.items():
            if kind is not SignType.REFUND:
                self.sign_type.addItem(label, kind.value)
        self.signed_on = self.add_field("签单日期", "signed_on", DateEdit(ctx.today()))
        self.hours = self.add_field("购买课时", "hours", HoursSpin())
        self.gift_hours = self.add_field("赠送课时", "gift_hours", HoursSpin())
        self.amount = self.add_field("金额（元）", "amount_fen", QLineEdit())
        self.amount.setPlaceholderText("实收金额，如 6400 或 6400.50")
        self.standard_label = QLabel("")
        self.standard_label.setObjectName("standardPrice")
        self.standard_button = QPushButton("按标准价填入")
        self.standard_button.setObjectName("standardPriceButton")
        standard = QWidget()
        row = QHBoxLayout(standard)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.standard_label, 1)
        row.addWidget(self.standard_button)
        self.form.addRow("", standard)
        self.consultant = self.add_field("课程顾问", "consultant_id", IdCombo(allow_none=True))
        self.consultant.set_choices(
            [(s.name, s.id) for s in staff if s.active and s.has_role("consultant")]
        )
        self.intent_teacher = self.add_field(
            "意向教师", "intent_teacher_id", IdCombo(allow_none=True)
        )
        self.intent_teacher.set_choices(
            [(s.name, s.id) for s in staff if s.active and s.has_role("teacher")]
        )
        self.trial = self.add_field("来自试听", "trial_id", IdCombo(allow_none=True))
        self.notes = self.add_field("备注", "notes", QPlainTextEdit())
        self.notes.setFixedHeight(52)
        self.finish_layout()
        self.resize(480, self.sizeHint().height())

        self.student_search.textChanged.connect(self._filter_students)
        self.student_list.currentItemChanged.connect(self._student_chosen)
        self.course.currentIndexChanged.connect(self._update_standard)
        self.hours.valueChanged.connect(self._update_standard)
        self.standard_button.clicked.connect(self.fill_standard_amount)
        self.save_button.setEnabled(False)
        campus_id = ctx.campus_id
        ctx.ops.read(
            lambda s: load_order_choices(s, campus_id), self._choices_loaded, label="读取学员"
        )

    def _choices_loaded(self, choices: OrderChoices) -> None:
        self.choices = choices
        self.course.set_choices(
            [(f"{c.name}（{yuan(c.price_per_hour_fen)} 元/课时）", c.id) for c in choices.courses]
        )
        self._filter_students(self.student_search.text())
        self.save_button.setEnabled(True)

    def _filter_students(self, query: str) -> None:
        rows = filter_rows(query, self.choices.students, lambda r: r.key)[:MAX_MATCHES]
        self.student_list.clear()
        for row in rows:
            phone = row.primary_parent.phone if row.primary_parent else ""
            item = QListWidgetItem(f"{row.name}　{row.status_name}　{row.grade}　{phone}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.student_list.addItem(item)
        if len(rows) == 1:
            self.student_list.setCurrentRow(0)

    def chosen_student(self) -> StudentRow | None:
        """The student picked in the list."""
        item = self.student_list.currentItem()
        if item is None:
            return None
        student_id = item.data(Qt.ItemDataRole.UserRole)
        return next((s for s in self.choices.students if s.id == student_id), None)

    def _student_chosen(self, *_args: Any) -> None:
        student = self.chosen_student()
        self.trial.set_choices([])
        if student is None:
            return
        if student.consultant_id and self.consultant.findData(student.consultant_id) >= 0:
            self.consultant.set_current_id(student.consultant_id)
        self._trials_request += 1
        request, student_id = self._trials_request, student.id

        def shown(trials: list[TrialChoice]) -> None:
            if request == self._trials_request:
                self.trial.set_choices([(t.label, t.id) for t in trials])

        self.ctx.ops.read(lambda s: load_open_trials(s, student_id), shown, label="读取试听")

    def _course(self) -> CourseRow | None:
        course_id = self.course.current_id()
        return next((c for c in self.choices.courses if c.id == course_id), None)

    def _update_standard(self, *_args: Any) -> None:
        course = self._course()
        if course is None:
            self.standard_label.setText("")
            return
        total = course.price_per_hour_fen * self.hours.hours()
        self.standard_label.setText(
            f"标准价 {yuan(course.price_per_hour_fen)} × {hours_text(self.hours.hours())}"
            f" = {yuan(int(total))} 元"
        )

    def fill_standard_amount(self) -> None:
        """Put the standard price × paid hours into the amount."""
        course = self._course()
        if course is not None:
            fen = int(course.price_per_hour_fen * self.hours.hours())
            self.amount.setText(f"{fen // 100}.{fen % 100:02d}")

    def prepare(self) -> Callable[[Session], Any]:
        """Record the order through the order service."""
        student = self.chosen_student()
        if student is None:
            raise Invalid("student_id", "请先选择学员")
        course_id = self.course.current_id()
        if course_id is None:
            raise Invalid("course_id", "请选择课程")
        args = {
            "student_id": student.id,
            "course_id": course_id,
            "sign_type": SignType(self.sign_type.currentData()),
            "signed_on": self.signed_on.day(),
            "hours": self.hours.hours(),
            "gift_hours": self.gift_hours.hours(),
            "amount_fen": parse_yuan(self.amount.text(), "amount_fen"),
            "consultant_id": self.consultant.current_id(),
            "intent_teacher_id": self.intent_teacher.current_id(),
            "trial_id": self.trial.current_id(),
            "notes": self.notes.toPlainText(),
        }
        return lambda s: record_order(s, **args).id


# --------------------------------------------------------------------------- 退费


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """A package as the 退费 dialog shows it: what was sold, what is left, what is refundable."""

    order_id: str
    student_name: str
    course_name: str
    signed_on: date
    hours: Decimal
    gift_hours: Decimal
    amount_fen: int
    paid_remaining: Decimal
    gift_remaining: Decimal
    refunded_fen: int  # refunded from this package so far (positive)
    package: Package  # the package as shared.consumption values its hours

    @property
    def refundable_fen(self) -> int:
        """The most that may still be refunded."""
        return self.amount_fen - self.refunded_fen

    def value_of_last(self, hours: Decimal) -> int:
        """Fen worth of the last ``hours`` paid hours still usable (refunds take those back)."""
        if hours <= 0:
            return 0
        return self.package.value_of(self.package.usable_paid_hours - hours, hours)


def load_refund_info(session: Session, order_id: str) -> RefundInfo:
    """The package of ``order_id`` with its remaining hours and refundable amount."""
    order = get_live(session, Order, order_id, "order_id")
    if order.sign_type is SignType.REFUND:
        raise Invalid("order_id", "这是一笔退费记录，请选择要退费的原订单")
    balance = next(b for b in package_balances(session, order.student_id) if b.order_id == order.id)
    package = next(
        p
        for p in load_packages(session, order.student_id, order.course_id)
        if p.order_id == order.id
    )
    refunded = -int(
        session.scalar(
            select(func.coalesce(func.sum(Order.amount_fen), 0)).where(
                Order.refund_of_id == order.id, Order.is_deleted.is_(False)
            )
        )
        or 0
    )
    student = session.get(Student, order.student_id)
    course = session.get(Course, order.course_id)
    return RefundInfo(
        order_id=order.id,
        student_name=student.name if student else "",
        course_name=course.name if course else "",
        signed_on=order.signed_on,
        hours=order.hours,
        gift_hours=order.gift_hours,
        amount_fen=order.amount_fen,
        paid_remaining=balance.paid_remaining,
        gift_remaining=balance.gift_remaining,
        refunded_fen=refunded,
        package=package,
    )


class RefundDialog(FormDialog):
    """退费: take back some of a package's remaining hours and pay back an amount."""

    def __init__(self, ctx: AppContext, info: RefundInfo, parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"退费 — {info.student_name}", parent)
        self.setObjectName("refundDialog")
        self.save_label = "保存退费"
        self.save_button.setText("确认退费")
        self.info = info
        summary = QLabel(
            f"{info.signed_on.isoformat()} 签单 {info.course_name}：购买 {hours_text(info.hours)}"
            f" 课时、赠送 {hours_text(info.gift_hours)} 课时，实收 {yuan(info.amount_fen)} 元。\n"
            f"剩余付费 {hours_text(info.paid_remaining)} 课时、剩余赠送"
            f" {hours_text(info.gift_remaining)} 课时；已退 {yuan(info.refunded_fen)} 元，"
            f"最多还可退 {yuan(info.refundable_fen)} 元。"
        )
        summary.setObjectName("refundSummary")
        summary.setWordWrap(True)
        self.form.addRow(summary)
        self.signed_on = self.add_field("退费日期", "signed_on", DateEdit(ctx.today()))
        self.hours = self.add_field("退付费课时", "hours", HoursSpin(float(info.paid_remaining)))
        self.gift_hours = self.add_field(
            "退赠送课时", "gift_hours", HoursSpin(float(info.gift_remaining))
        )
        self.amount = self.add_field("退费金额（元）", "refund_fen", QLineEdit())
        self.suggest_label = QLabel("")
        self.suggest_label.setObjectName("refundSuggestion")
        self.form.addRow("", self.suggest_label)
        self.notes = self.add_field("备注", "notes", QPlainTextEdit())
        self.notes.setFixedHeight(52)
        self.hours.valueChanged.connect(self._suggest)
        self._suggest()
        self.finish_layout()
        self.resize(460, self.sizeHint().height())

    def _suggest(self, *_args: Any) -> None:
        fen = self.info.value_of_last(self.hours.hours())
        self.suggest_label.setText(f"按原单价，这些课时值 {yuan(fen)} 元")

    def prepare(self) -> Callable[[Session], Any]:
        """Record the refund through the order service."""
        args = {
            "order_id": self.info.order_id,
            "signed_on": self.signed_on.day(),
            "hours": self.hours.hours(),
            "gift_hours": self.gift_hours.hours(),
            "refund_fen": parse_yuan(self.amount.text(), "refund_fen"),
            "notes": self.notes.toPlainText(),
        }
        return lambda s: refund_order(s, **args).id
