"""签单 and 退费 through the order service: effects and refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.models import Course, Order, TrialLesson
from shared.services.orders import record_order, refund_order
from tests.shared.factories import make_campus


def _order(s, c, **over):
    args = dict(
        student_id=c.student_id,
        course_id=c.course_id,
        sign_type="new",
        signed_on=date(2026, 3, 1),
        hours=10,
        amount_fen=150000,
        consultant_id=c.consultant_id,
    )
    args.update(over)
    return record_order(s, **args)


def test_an_order_from_a_trial_marks_it_held_and_signed(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        trial = TrialLesson(
            campus_id=c.campus_id,
            student_id=c.student_id,
            course_id=c.course_id,
            consultant_id=c.consultant_id,
            intent_teacher_id=c.teacher_id,
            trial_on=date(2026, 2, 20),
        )
        s.add(trial)
        s.flush()
        order = _order(s, c, trial_id=trial.id, intent_teacher_id=c.teacher_id)
    with db.reader() as s:
        t = s.get(TrialLesson, trial.id)
        assert (t.status, t.outcome, t.sign_type) == ("held", "signed", "new")
        assert s.get(Order, order.id).trial_id == trial.id


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"hours": 1.5}, "hours"),
        ({"hours": "-1"}, "hours"),
        ({"amount_fen": -100}, "amount_fen"),
        ({"amount_fen": 99.5}, "amount_fen"),
        ({"sign_type": "gift"}, "sign_type"),
        ({"sign_type": "refund"}, "sign_type"),
        ({"signed_on": "2026-02-30"}, "signed_on"),
        ({"hours": 0, "gift_hours": 0}, "hours"),
        ({"hours": 0, "gift_hours": 2, "amount_fen": 100}, "amount_fen"),
    ],
)
def test_bad_orders_name_the_field_and_save_nothing(db: Database, override, field) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        _order(s, c, **override)
    assert err.value.field == field
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0


def test_staff_must_hold_the_role_they_are_credited_in(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        _order(s, c, consultant_id=c.teacher_id)
    assert err.value.field == "consultant_id"
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        _order(s, c, intent_teacher_id=c.consultant_id)
    assert err.value.field == "intent_teacher_id"


def test_unknown_or_deleted_rows_are_not_found(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        s.get(Course, c.course_id).is_deleted = True
    with pytest.raises(NotFound, match="course_id"), db.unit_of_work() as s:
        _order(s, c)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        _order(s, c, student_id="not-a-uuid")
    assert err.value.field == "student_id"


def test_refunds_cannot_exceed_what_was_paid_or_refund_a_refund(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        order = _order(s, c, hours=10, amount_fen=100000)
        first = refund_order(
            s, order_id=order.id, signed_on="2026-03-10", hours=4, refund_fen=60000
        )
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        refund_order(s, order_id=order.id, signed_on="2026-03-11", hours=4, refund_fen=50000)
    assert err.value.field == "refund_fen"  # 60000 + 50000 > 100000 paid
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        refund_order(s, order_id=first.id, signed_on="2026-03-11", hours=1, refund_fen=1)
    assert err.value.field == "order_id"
    with db.reader() as s:
        rows = s.scalars(select(Order).order_by(Order.signed_on)).all()
        assert [(o.sign_type, o.hours, o.amount_fen) for o in rows] == [
            ("new", Decimal("10.00"), 100000),
            ("refund", Decimal("4.00"), -60000),
        ]
