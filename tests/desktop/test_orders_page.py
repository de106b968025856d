"""订单 page: record an order and refund part of it through the real dialogs."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from desktop.context import AppContext
from desktop.dialogs.order_dialogs import NewOrderDialog, RefundDialog
from desktop.pages.orders_page import OrdersPage
from shared.models import Order, SignType, Student
from tests.desktop.conftest import DEMO_TODAY, settle


@pytest.fixture
def page(qtbot, ctx: AppContext) -> Iterator[OrdersPage]:
    """The page on its own, refreshed on data_changed the way the main window does it."""
    widget = OrdersPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    ctx.data_changed.connect(widget.refresh)
    widget.refresh()
    settle(ctx)
    yield widget
    settle(ctx)


def _a_lead(ctx: AppContext) -> str:
    with ctx.db.reader() as s:
        return s.scalar(
            select(Student.name)
            .where(Student.status == "lead", Student.is_deleted.is_(False))
            .order_by(Student.name)
            .limit(1)
        )


def _new_order(qtbot, ctx: AppContext, page: OrdersPage, student: str) -> NewOrderDialog:
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    dialog = page.dialog
    assert isinstance(dialog, NewOrderDialog)
    dialog.student_search.setText(student)
    dialog.student_list.setCurrentRow(0)
    settle(ctx)
    dialog.course.setCurrentIndex(dialog.course.findText("创意美术", Qt.MatchFlag.MatchStartsWith))
    dialog.sign_type.setCurrentIndex(dialog.sign_type.findData("new"))
    dialog.hours.setValue(32)
    dialog.gift_hours.setValue(2)
    dialog.amount.setText("3,600.50")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    return dialog


def test_totals_are_the_sum_of_the_rows_shown(page: OrdersPage) -> None:
    rows = page.model.rows
    assert rows, "the demo has orders this month"
    assert page.totals.amount_fen == sum(r.amount_fen for r in rows)
    assert page.totals.hours == sum(r.signed_hours for r in rows)
    assert page.totals.count == len(rows)
    page.sign_type_filter.setCurrentIndex(page.sign_type_filter.findData("renewal"))
    renewals = page.model.rows
    assert renewals and all(r.sign_type is SignType.RENEWAL for r in renewals)
    assert page.totals.amount_fen == sum(r.amount_fen for r in renewals)
    assert f"{page.totals.amount_fen // 100:,}" in page.totals_label.text()


def test_the_consultant_filter_keeps_their_orders(page: OrdersPage) -> None:
    consultant = page.model.rows[0].consultant_id
    page.consultant_filter.set_current_id(consultant)
    assert page.model.rows and all(r.consultant_id == consultant for r in page.model.rows)


def test_a_wider_date_range_reads_more_orders(ctx, page: OrdersPage) -> None:
    this_month = len(page.model.rows)
    page.start.set_day(DEMO_TODAY.replace(month=1, day=1))
    settle(ctx)
    assert len(page.model.rows) > this_month
    assert min(r.signed_on for r in page.model.rows) >= DEMO_TODAY.replace(month=1, day=1)


def test_record_an_order_through_the_dialog(qtbot, ctx, page: OrdersPage) -> None:
    before = page.totals.amount_fen
    lead = _a_lead(ctx)
    dialog = _new_order(qtbot, ctx, page, lead)
    assert dialog.result() == NewOrderDialog.DialogCode.Accepted
    row = page.selected_order()
    assert row is not None
    assert (row.student_name, row.course_name, row.sign_type_name) == (lead, "创意美术", "新签")
    assert (row.hours, row.gift_hours, row.amount_fen) == (Decimal(32), Decimal(2), 360050)
    assert row.signed_on == DEMO_TODAY
    assert page.totals.amount_fen == before + 360050
    assert "3,600.50" in page.model.data(page.model.index(0, 6))
    with ctx.db.reader() as s:
        order = s.get(Order, row.id)
        assert order.amount_fen == 360050
        assert s.get(Student, order.student_id).status.value == "enrolled"


def test_a_bad_amount_is_refused_in_chinese_and_nothing_is_saved(qtbot, ctx, page) -> None:
    with ctx.db.reader() as s:
        orders = s.scalar(select(func.count()).select_from(Order))
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    dialog = page.dialog
    dialog.student_search.setText(_a_lead(ctx))
    dialog.student_list.setCurrentRow(0)
    dialog.hours.setValue(10)
    dialog.amount.setText("12.345")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.isVisible() and "两位小数" in dialog.error_label.text()
    assert dialog.amount.hasFocus()
    dialog.amount.setText("")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "请填写金额（元）"
    with ctx.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == orders
    dialog.reject()


def test_refund_part_of_an_order(qtbot, ctx, page: OrdersPage) -> None:
    _new_order(qtbot, ctx, page, _a_lead(ctx))
    original = page.selected_order()
    before = page.totals.amount_fen
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    dialog = page.dialog
    assert isinstance(dialog, RefundDialog)
    assert (
        "最多还可退 3,600.50 元"
        in dialog.findChild(type(dialog.suggest_label), "refundSummary").text()
    )
    dialog.hours.setValue(10)
    # The last 10 of 32 hours of 3,600.50 元: 360050 − ⌊360050 · 22 / 32⌋ = 112516 fen.
    assert "1,125.16" in dialog.suggest_label.text()
    dialog.amount.setText("1000")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    refund = page.selected_order()
    assert refund is not None and refund.is_refund and refund.id != original.id
    assert (refund.sign_type_name, refund.signed_hours, refund.amount_fen) == (
        "退费", Decimal(-10), -100000,
    )  # fmt: skip
    assert page.model.data(page.model.index(0, 4)) == "-10"
    assert page.totals.amount_fen == before - 100000
    assert page.totals.refund_fen <= -100000
    assert not page.refund_button.isEnabled()  # a refund row cannot be refunded
    with ctx.db.reader() as s:
        stored = s.get(Order, refund.id)
        assert (stored.refund_of_id, stored.amount_fen) == (original.id, -100000)


def test_refunding_more_hours_than_remain_is_refused(qtbot, ctx, page: OrdersPage) -> None:
    _new_order(qtbot, ctx, page, _a_lead(ctx))
    qtbot.mouseClick(page.refund_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    dialog = page.dialog
    dialog.hours.setValue(10)
    dialog.amount.setText("5000")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.isVisible() and "超过该订单实付金额" in dialog.error_label.text()
    dialog.reject()
