"""签单 and 退费: recording orders (packages) and refunds, keeping consumption in line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..consumption import package_balances, rebuild_student_course
from ..errors import Invalid
from ..models import (
    Course,
    Order,
    Role,
    SignType,
    Staff,
    Student,
    StudentStatus,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)
from .common import check_date, check_fen, check_hours, check_text, get_live


def _staff_with_role(
    session: Session, staff_id: str | None, role: Role, campus_id: str, field: str
) -> str | None:
    if staff_id is None:
        return None
    staff = get_live(session, Staff, staff_id, field)
    if staff.campus_id != campus_id:
        raise Invalid(field, "员工不属于该校区")
    if not staff.has_role(role):
        raise Invalid(field, f"{staff.name} 没有所需的角色（{role.value}）")
    return staff.id


def check_package(
    hours: Decimal | int | str, gift_hours: Decimal | int | str, amount_fen: int
) -> tuple[Decimal, Decimal, int]:
    """A package's paid hours, gifted hours and amount, checked (also used by the import)."""
    paid = check_hours(hours, "hours")
    gift = check_hours(gift_hours, "gift_hours")
    if paid + gift <= 0:
        raise Invalid("hours", "课时必须大于零")
    amount = check_fen(amount_fen, "amount_fen")
    if paid == 0 and amount > 0:
        raise Invalid("amount_fen", "没有付费课时的订单金额必须为零")
    return paid, gift, amount


def record_order(
    session: Session,
    *,
    student_id: str,
    course_id: str,
    sign_type: SignType | str,
    signed_on: date | str,
    hours: Decimal | int | str,
    amount_fen: int,
    gift_hours: Decimal | int | str = 0,
    consultant_id: str | None = None,
    intent_teacher_id: str | None = None,
    trial_id: str | None = None,
    notes: str = "",
    order_id: str | None = None,
) -> Order:
    """Record a signed package; enrol the student; settle any arrears of that course."""
    student = get_live(session, Student, student_id, "student_id")
    course = get_live(session, Course, course_id, "course_id")
    if course.campus_id != student.campus_id:
        raise Invalid("course_id", "课程与学员不属于同一校区")
    try:
        kind = SignType(sign_type)
    except ValueError:
        raise Invalid("sign_type", f"未知签单类型：{sign_type!r}") from None
    if kind is SignType.REFUND:
        raise Invalid("sign_type", "退费请使用退费功能，并指明退哪一笔订单")
    paid, gift, amount = check_package(hours, gift_hours, amount_fen)
    campus_id = student.campus_id
    order = Order(
        campus_id=campus_id,
        student_id=student.id,
        course_id=course.id,
        sign_type=kind,
        signed_on=check_date(signed_on, "signed_on"),
        hours=paid,
        gift_hours=gift,
        amount_fen=amount,
        consultant_id=_staff_with_role(
            session, consultant_id, Role.CONSULTANT, campus_id, "consultant_id"
        ),
        intent_teacher_id=_staff_with_role(
            session, intent_teacher_id, Role.TEACHER, campus_id, "intent_teacher_id"
        ),
        notes=check_text(notes, "notes", max_len=2000),
    )
    if order_id is not None:
        order.id = order_id
    if trial_id is not None:
        trial = get_live(session, TrialLesson, trial_id, "trial_id")
        if trial.student_id != student.id:
            raise Invalid("trial_id", "试听记录不属于该学员")
        order.trial_id = trial.id
        trial.outcome = TrialOutcome.SIGNED
        trial.sign_type = kind
        # An order that came from a trial proves the child attended it.
        trial.status = TrialStatus.HELD
    if student.status in (
        StudentStatus.LEAD,
        StudentStatus.TRIAL,
        StudentStatus.PAUSED,
        StudentStatus.CHURNED,
    ):
        student.status = StudentStatus.ENROLLED
    if student.consultant_id is None and order.consultant_id is not None:
        student.consultant_id = order.consultant_id
    session.add(order)
    session.flush()
    rebuild_student_course(session, student.id, course.id)
    return order


def refund_order(
    session: Session,
    *,
    order_id: str,
    signed_on: date | str,
    hours: Decimal | int | str,
    refund_fen: int,
    gift_hours: Decimal | int | str = 0,
    consultant_id: str | None = None,
    notes: str = "",
) -> Order:
    """Refund part or all of a package's remaining hours; the refund is a negative order."""
    original = get_live(session, Order, order_id, "order_id")
    if original.sign_type is SignType.REFUND:
        raise Invalid("order_id", "不能对退费单再退费")
    paid = check_hours(hours, "hours")
    gift = check_hours(gift_hours, "gift_hours")
    if paid + gift <= 0:
        raise Invalid("hours", "退费课时必须大于零")
    amount = check_fen(refund_fen, "refund_fen")
    balance = next(
        b for b in package_balances(session, original.student_id) if b.order_id == original.id
    )
    if paid > balance.paid_remaining:
        raise Invalid("hours", f"退费课时超过剩余付费课时（剩余 {balance.paid_remaining}）")
    if gift > balance.gift_remaining:
        raise Invalid("gift_hours", f"退赠送课时超过剩余赠送课时（剩余 {balance.gift_remaining}）")
    already = -int(
        session.scalar(
            select(func.coalesce(func.sum(Order.amount_fen), 0)).where(
                Order.refund_of_id == original.id, Order.is_deleted.is_(False)
            )
        )
        or 0
    )
    if amount > original.amount_fen - already:
        raise Invalid("refund_fen", "退费金额超过该订单实付金额")
    refund = Order(
        campus_id=original.campus_id,
        student_id=original.student_id,
        course_id=original.course_id,
        sign_type=SignType.REFUND,
        signed_on=check_date(signed_on, "signed_on"),
        hours=paid,
        gift_hours=gift,
        amount_fen=-amount,
        consultant_id=_staff_with_role(
            session, consultant_id, Role.CONSULTANT, original.campus_id, "consultant_id"
        )
        if consultant_id
        else original.consultant_id,
        refund_of_id=original.id,
        notes=check_text(notes, "notes", max_len=2000),
    )
    session.add(refund)
    session.flush()
    rebuild_student_course(session, original.student_id, original.course_id)
    return refund
