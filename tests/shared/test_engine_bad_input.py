"""The issue's bad-input list, across every service of the engine that writes.

A month outside the year, a negative amount, weights summing to zero, an unknown staff member
and a target for a deleted stage each raise ``Invalid`` (a ``DabiaoError``) naming the field.
Nothing is saved — and not only because the unit of work rolls back: every case here catches
the error inside the unit of work and lets it *commit*, so a service that wrote anything before
refusing would be caught. The state compared is every target, every stage target (tombstones
and versions included) and every campus's settings (day weights, remembered methods).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.errors import DabiaoError, Invalid
from shared.funnel import FunnelRates, save_stage_targets, set_stage_target
from shared.models import Campus, Metric, Staff, Stage, StageTarget, Target
from shared.periods import Period
from shared.services.settings import save_day_weights
from shared.targets import (
    SpreadMethod,
    preview_campus_year,
    save_year_plan,
    set_month_target,
    set_part_manually,
    set_year_target,
    split_staff_order_targets,
    split_teacher_consumption_targets,
)
from tests.shared.factories import make_campus
from tests.shared.test_actuals import UNKNOWN, new_staff, stage_id

R = Metric.REVENUE
RATES = FunnelRates(500_000, "1/2", "1/2", "1/4")
WEEK2 = Period("week", 2026, 1, 2)


@dataclass
class Ids:
    """The campus the bad inputs are sent to."""

    campus: str
    li: str  # 李顾问, consultant
    zhao: str  # 赵老师, teacher
    gone: str  # a deleted consultant
    renewal: str  # the 续费 stage
    deleted_stage: str  # 转介绍, deleted by the campus
    invitation: str  # 邀约, planned by the funnel: week 2 80 for the campus, all 李顾问's


@pytest.fixture
def ids(db: Database) -> Ids:
    with db.unit_of_work() as s:
        c = make_campus(s)
        set_year_target(s, c.campus_id, 2026, R, 120_000_000, method=SpreadMethod.EVEN)
        split_staff_order_targets(s, c.campus_id, 2026, 1, "consultant", {c.consultant_id: 1})
        save_stage_targets(s, c.campus_id, 2026, 1, RATES, {c.consultant_id: 1})
        gone = new_staff(s, c.campus_id, "离职顾问", "consultant")
        deleted = s.get_one(Stage, stage_id(s, c.campus_id, "referral"))
        deleted.is_deleted = True
        s.get_one(Staff, gone).is_deleted = True
        renewal = stage_id(s, c.campus_id, "renewal")
        invitation = stage_id(s, c.campus_id, "invitation")
    return Ids(c.campus_id, c.consultant_id, c.teacher_id, gone, renewal, deleted.id, invitation)


def state(session: Session) -> list[tuple[object, ...]]:
    """Every target and stage-target row and every campus's settings, comparable."""
    targets = session.execute(
        select(
            Target.id, Target.staff_id, Target.metric, Target.period_kind, Target.month,
            Target.week, Target.amount_fen, Target.is_manual, Target.is_deleted, Target.version,
        ).order_by(Target.id)
    ).all()  # fmt: skip
    stages = session.execute(
        select(
            StageTarget.id, StageTarget.stage_id, StageTarget.staff_id, StageTarget.week,
            StageTarget.target_count, StageTarget.is_manual, StageTarget.is_deleted,
            StageTarget.version,
        ).order_by(StageTarget.id)
    ).all()  # fmt: skip
    campuses = session.execute(select(Campus.id, Campus.settings).order_by(Campus.id)).all()
    return [tuple(r) for r in (*targets, *stages)] + [(c.id, repr(c.settings)) for c in campuses]


def _tampered_plan(s: Session, i: Ids) -> object:
    plan = preview_campus_year(s, i.campus, 2026, R, 120_000_000, "even")
    january = plan.months[0]
    week = dataclasses.replace(january.weeks[1], amount_fen=-1)
    weeks = (january.weeks[0], week, *january.weeks[2:])
    months = (dataclasses.replace(january, weeks=weeks), *plan.months[1:])
    return save_year_plan(s, i.campus, R, dataclasses.replace(plan, months=months))


Call = Callable[[Session, Ids], object]

CASES: list[tuple[str, Call, Callable[[Ids], str]]] = [
    # ---- a month outside the year
    (
        "month 13 by hand",
        lambda s, i: set_month_target(s, i.campus, 2026, 13, R, 1),
        lambda i: "month",
    ),
    (
        "month 0 of a part",
        lambda s, i: set_part_manually(s, i.campus, Period("month", 2026, 0), R, 1),
        lambda i: "month",
    ),
    (
        "week 6 of February",
        lambda s, i: set_part_manually(s, i.campus, Period("week", 2026, 2, 6), R, 1),
        lambda i: "week",
    ),
    (
        "people of month 13",
        lambda s, i: split_staff_order_targets(s, i.campus, 2026, 13, "consultant", {i.li: 1}),
        lambda i: "month",
    ),
    (
        "teachers of month 13",
        lambda s, i: split_teacher_consumption_targets(s, i.campus, 2026, 13),
        lambda i: "month",
    ),
    (
        "funnel of month 13",
        lambda s, i: save_stage_targets(s, i.campus, 2026, 13, RATES, {}),
        lambda i: "month",
    ),
    (
        "stage target of month 13",
        lambda s, i: set_stage_target(s, i.campus, i.renewal, 2026, 13, 1, 1),
        lambda i: "month",
    ),
    # ---- negative amounts
    (
        "negative year",
        lambda s, i: set_year_target(s, i.campus, 2026, R, -1),
        lambda i: "amount_fen",
    ),
    (
        "negative month",
        lambda s, i: set_month_target(s, i.campus, 2026, 3, R, -5),
        lambda i: "amount_fen",
    ),
    (
        "negative week",
        lambda s, i: set_part_manually(s, i.campus, WEEK2, R, -1),
        lambda i: "amount_fen",
    ),
    ("negative week in a plan", _tampered_plan, lambda i: "plan.months[1].weeks[2].amount_fen"),
    (
        "negative stage count",
        lambda s, i: set_stage_target(s, i.campus, i.renewal, 2026, 1, 2, -1),
        lambda i: "count",
    ),
    (
        "negative weight",
        lambda s, i: split_staff_order_targets(s, i.campus, 2026, 1, "consultant", {i.li: -1}),
        lambda i: f"weights[{i.li}]",
    ),
    (
        # January week 2 is 2,301,370 fen: 5 signs, 20 trials, 40 visits, 80 invitations,
        # all 李顾问's: his count by hand must stay 80
        "a consultant's count above the campus's",
        lambda s, i: set_stage_target(s, i.campus, i.invitation, 2026, 1, 2, 81, staff_id=i.li),
        lambda i: "count",
    ),
    # ---- weights summing to zero
    (
        "zero order weights",
        lambda s, i: split_staff_order_targets(s, i.campus, 2026, 1, "consultant", {i.li: 0}),
        lambda i: "weights",
    ),
    (
        "zero intent weights",
        lambda s, i: split_staff_order_targets(s, i.campus, 2026, 1, "intent_teacher", {i.zhao: 0}),
        lambda i: "weights",
    ),
    (
        "zero funnel weights",
        lambda s, i: save_stage_targets(s, i.campus, 2026, 1, RATES, {i.li: 0}),
        lambda i: "consultant_weights",
    ),
    (
        "zero day weights",
        lambda s, i: save_day_weights(
            s, i.campus, dict.fromkeys(("school_day", "weekend", "holiday", "vacation"), 0), []
        ),
        lambda i: "day_weights",
    ),
    (
        "no scheduled lesson value",
        lambda s, i: split_teacher_consumption_targets(s, i.campus, 2026, 1),
        lambda i: "month",
    ),
    # ---- an unknown staff member
    (
        "unknown consultant",
        lambda s, i: split_staff_order_targets(s, i.campus, 2026, 1, "consultant", {UNKNOWN: 1}),
        lambda i: f"weights[{UNKNOWN}]",
    ),
    (
        "deleted consultant",
        lambda s, i: split_staff_order_targets(s, i.campus, 2026, 1, "consultant", {i.gone: 1}),
        lambda i: f"weights[{i.gone}]",
    ),
    (
        "unknown intent teacher",
        lambda s, i: split_staff_order_targets(
            s, i.campus, 2026, 1, "intent_teacher", {UNKNOWN: 1}
        ),
        lambda i: f"weights[{UNKNOWN}]",
    ),
    (
        "unknown funnel consultant",
        lambda s, i: save_stage_targets(s, i.campus, 2026, 1, RATES, {UNKNOWN: 1}),
        lambda i: f"consultant_weights[{UNKNOWN}]",
    ),
    (
        "unknown stage-target owner",
        lambda s, i: set_stage_target(s, i.campus, i.renewal, 2026, 1, 2, 3, staff_id=UNKNOWN),
        lambda i: "staff_id",
    ),
    (
        "deleted stage-target owner",
        lambda s, i: set_stage_target(s, i.campus, i.renewal, 2026, 1, 2, 3, staff_id=i.gone),
        lambda i: "staff_id",
    ),
    # ---- a target for a deleted stage
    (
        "deleted stage",
        lambda s, i: set_stage_target(s, i.campus, i.deleted_stage, 2026, 1, 2, 3),
        lambda i: "stage_id",
    ),
    (
        "deleted stage for a person",
        lambda s, i: set_stage_target(s, i.campus, i.deleted_stage, 2026, 1, 2, 3, staff_id=i.li),
        lambda i: "stage_id",
    ),
]


@pytest.mark.parametrize(("name", "call", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_field_and_saves_nothing_even_when_committed(
    db: Database, ids: Ids, name: str, call: Call, field: Callable[[Ids], str]
) -> None:
    with db.reader() as s:
        before = state(s)
    with db.unit_of_work() as s, pytest.raises(Invalid) as err:
        call(s, ids)
    # the unit of work above committed: the error was caught inside it
    assert isinstance(err.value, DabiaoError)
    assert err.value.field == field(ids), name
    assert err.value.reason  # a sentence for the person, not just a field name
    with db.reader() as s:
        assert state(s) == before
