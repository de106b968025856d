"""Reverse funnel: weekly revenue → 签单/试听/到访/邀约 counts, history rates, stage targets.

Expected counts and rates are worked out by hand in the comments.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.funnel import (
    FUNNEL_STAGES,
    FunnelRates,
    historical_rates,
    load_stage_targets,
    plan_stage_targets,
    save_stage_targets,
    set_stage_target,
)
from shared.models import (
    Metric,
    SignType,
    Staff,
    Stage,
    StageActivity,
    StageTarget,
    Target,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)
from shared.periods import Period
from shared.services.campus import add_staff
from shared.services.orders import record_order, refund_order
from shared.targets import (
    set_month_target,
    set_part_manually,
    set_year_target,
    split_staff_order_targets,
)
from tests.shared.factories import TEST_PIN, TEST_PIN_HASH, Campus1, make_campus

R = Metric.REVENUE
DEFAULTS = FunnelRates.default()
# avg 1000.00 元, 1/2 of invitations visit, 1/2 of visits try a lesson, 1/4 of trials sign.
SIMPLE = FunnelRates(100_000, Fraction(1, 2), Fraction(1, 2), Fraction(1, 4))


def stage_state(session: Session) -> list[tuple[object, ...]]:
    """Every stage target row (tombstones included), comparable."""
    return [
        tuple(r)
        for r in session.execute(
            select(
                StageTarget.id,
                StageTarget.stage_id,
                StageTarget.staff_id,
                StageTarget.month,
                StageTarget.week,
                StageTarget.target_count,
                StageTarget.is_manual,
                StageTarget.is_deleted,
                StageTarget.version,
            ).order_by(StageTarget.id)
        )
    ]


def stage_id(session: Session, campus_id: str, code: str) -> str:
    return session.scalars(
        select(Stage.id).where(Stage.campus_id == campus_id, Stage.code == code)
    ).one()


def add_person(session: Session, c: Campus1, name: str, roles: list[str]) -> str:
    staff = add_staff(
        session, campus_id=c.campus_id, name=name, roles=roles, pin=TEST_PIN, pin_hash=TEST_PIN_HASH
    )
    return staff.id


@pytest.fixture
def campus(db: Database) -> Campus1:
    with db.unit_of_work() as s:
        return make_campus(s)


@pytest.fixture
def january(db: Database, campus: Campus1) -> tuple[Campus1, str]:
    """January 2026 营业额 3,100,000 fen (weeks 400000, 700000 ×3, 600000); two consultants."""
    with db.unit_of_work() as s:
        set_year_target(s, campus.campus_id, 2026, R, 120_000_000, method="even")
        set_month_target(s, campus.campus_id, 2026, 1, R, 3_100_000)
        second = add_person(s, campus, "钱顾问", ["consultant"])
    return campus, second


# --------------------------------------------------------------------------- the funnel


def test_plan_rounds_up_at_every_step() -> None:
    # 2000000 / 500000 = 4 signs; 4 / (3/10) = 13.3 → 14 trials; 14 / (7/10) = 20 visits;
    # 20 / (1/2) = 40 invitations.
    assert plan_stage_targets(2_000_000, DEFAULTS) == {
        "invitation": 40,
        "visit": 20,
        "trial": 14,
        "sign": 4,
    }
    # One fen more needs a fifth sign: 5 / .3 = 16.7 → 17; 17 / .7 = 24.3 → 25; 25 / .5 = 50.
    assert plan_stage_targets(2_000_001, DEFAULTS) == {
        "invitation": 50,
        "visit": 25,
        "trial": 17,
        "sign": 5,
    }
    assert plan_stage_targets(0, DEFAULTS) == dict.fromkeys(FUNNEL_STAGES, 0)


def test_rates_accept_exact_decimals_and_strings() -> None:
    rates = FunnelRates(300_000, Decimal("0.35"), "7/10", Fraction(1, 3))
    assert rates.invite_to_visit == Fraction(7, 20)
    assert rates.visit_to_trial == Fraction(7, 10)
    # 900000 / 300000 = 3 signs; 3 / (1/3) = 9 trials; 9 / .7 = 12.9 → 13; 13 / .35 = 37.1 → 38.
    assert plan_stage_targets(900_000, rates) == {
        "invitation": 38,
        "visit": 13,
        "trial": 9,
        "sign": 3,
    }


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0, "1/2", "1/2", "1/2"), "avg_order_fen"),
        ((-5, "1/2", "1/2", "1/2"), "avg_order_fen"),
        ((Decimal("100.5"), "1/2", "1/2", "1/2"), "avg_order_fen"),
        ((100, 0, "1/2", "1/2"), "invite_to_visit"),
        ((100, "1/2", Decimal("1.01"), "1/2"), "visit_to_trial"),
        ((100, "1/2", "1/2", 0.3), "trial_to_sign"),
        ((100, "1/2", "1/2", "abc"), "trial_to_sign"),
        ((100, "1/2", "1/2", Decimal("NaN")), "trial_to_sign"),
        ((100, "-1/2", "1/2", "1/2"), "invite_to_visit"),
    ],
)
def test_bad_rates_name_the_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(Invalid) as err:
        FunnelRates(*args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_edited_rates_are_no_longer_defaults() -> None:
    edited = DEFAULTS.edited(trial_to_sign=Decimal("0.4"))
    assert edited.trial_to_sign == Fraction(2, 5)
    assert edited.defaults == {"avg_order_fen", "invite_to_visit", "visit_to_trial"}
    with pytest.raises(Invalid) as err:
        DEFAULTS.edited(trial_to_sign=Decimal("1.5"))
    assert err.value.field == "trial_to_sign"


def test_negative_week_revenue_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        plan_stage_targets(-1, DEFAULTS)
    assert err.value.field == "week_revenue_fen"


# --------------------------------------------------------------------------- history


def _trial(
    s: Session, c: Campus1, on: date, status: TrialStatus, outcome: TrialOutcome
) -> TrialLesson:
    trial = TrialLesson(
        campus_id=c.campus_id,
        student_id=c.student_id,
        course_id=c.course_id,
        consultant_id=c.consultant_id,
        trial_on=on,
        status=status,
        outcome=outcome,
    )
    s.add(trial)
    return trial


def _activities(s: Session, c: Campus1, code: str, on: date, n: int) -> list[StageActivity]:
    rows = [
        StageActivity(
            campus_id=c.campus_id,
            stage_id=stage_id(s, c.campus_id, code),
            staff_id=c.consultant_id,
            occurred_on=on,
        )
        for _ in range(n)
    ]
    s.add_all(rows)
    return rows


def test_historical_rates_from_the_campus_data(db: Database, campus: Campus1) -> None:
    c = campus
    held, signed = TrialStatus.HELD, TrialOutcome.SIGNED
    with db.unit_of_work() as s:
        # Window: the 12 months ending 2026-05-31 = 2025-06-01 … 2026-05-31.
        def order(kind: SignType, on: date, fen: int) -> str:
            return record_order(
                s, student_id=c.student_id, course_id=c.course_id, sign_type=kind,
                signed_on=on, hours=10, amount_fen=fen,
            ).id  # fmt: skip

        first = order(SignType.NEW, date(2025, 6, 1), 400_000)
        order(SignType.REFERRAL, date(2025, 12, 1), 600_001)
        order(SignType.CROSS_SELL, date(2026, 5, 31), 500_001)
        order(SignType.RENEWAL, date(2026, 1, 5), 9_999_999)  # renewals are not new business
        order(SignType.NEW, date(2025, 5, 31), 1)  # the day before the window
        refund_order(s, order_id=first, signed_on=date(2026, 1, 10), hours=1, refund_fen=20_000)
        gone = record_order(
            s, student_id=c.student_id, course_id=c.course_id, sign_type=SignType.NEW,
            signed_on=date(2026, 2, 1), hours=1, amount_fen=5,
        )  # fmt: skip
        gone.is_deleted = True
        # Trials (试听转化率 as the diagnosis page counts it: a signed trial counts as held
        # whatever its status). In the window: held+signed ×2, held+not signed, held+pending
        # ×2, and a trial still marked 已约 but signed → held 6, signed 3 → 1/2. Not counted:
        # a no-show, a cancelled one, one before the window, a deleted one.
        _trial(s, c, date(2025, 8, 1), held, signed)
        _trial(s, c, date(2026, 3, 1), held, signed)
        _trial(s, c, date(2026, 3, 2), held, TrialOutcome.NOT_SIGNED)
        _trial(s, c, date(2026, 5, 30), held, TrialOutcome.PENDING)
        _trial(s, c, date(2026, 5, 31), held, TrialOutcome.PENDING)
        _trial(s, c, date(2026, 4, 3), TrialStatus.SCHEDULED, signed)
        _trial(s, c, date(2026, 4, 1), TrialStatus.NO_SHOW, TrialOutcome.PENDING)
        _trial(s, c, date(2026, 4, 2), TrialStatus.CANCELLED, TrialOutcome.PENDING)
        _trial(s, c, date(2025, 5, 31), held, signed)
        _trial(s, c, date(2026, 1, 9), held, signed).is_deleted = True
        # Stage counts as shared.actuals counts them: 20 invitations and 8 visits logged; the
        # trial stage is implied by the 5 trials with status held in the window. A deleted
        # visit, an invitation after the window and another campus's visits do not count.
        _activities(s, c, "invitation", date(2026, 1, 15), 20)
        _activities(s, c, "visit", date(2026, 2, 15), 8)
        _activities(s, c, "visit", date(2026, 2, 21), 1)[0].is_deleted = True
        _activities(s, c, "invitation", date(2026, 6, 1), 5)
        other = make_campus(s, code="T2")
        _activities(s, other, "visit", date(2026, 2, 15), 7)
    with db.reader() as s:
        rates = historical_rates(s, c.campus_id, date(2026, 5, 31))
    # (400000 + 600001 + 500001) / 3 = 500000.67 → 500001 fen.
    assert rates.avg_order_fen == 500_001
    assert rates.trial_to_sign == Fraction(1, 2)
    assert rates.invite_to_visit == Fraction(8, 20)
    assert rates.visit_to_trial == Fraction(5, 8)
    assert rates.defaults == frozenset()


def test_no_history_means_documented_defaults(db: Database, campus: Campus1) -> None:
    with db.reader() as s:
        rates = historical_rates(s, campus.campus_id, date(2026, 5, 31))
    assert (rates.avg_order_fen, rates.invite_to_visit, rates.visit_to_trial) == (
        500_000,
        Fraction(1, 2),
        Fraction(7, 10),
    )
    assert rates.trial_to_sign == Fraction(3, 10)
    assert rates.defaults == {"avg_order_fen", "invite_to_visit", "visit_to_trial", "trial_to_sign"}


def test_partial_history_names_only_the_missing_rates(db: Database, campus: Campus1) -> None:
    c = campus
    with db.unit_of_work() as s:
        # 2 invitations but 5 visits (walk-ins): capped at 1. Invitations only in the last
        # month are inside a 1-month window; no visits → trial rate is a default.
        _activities(s, c, "invitation", date(2026, 5, 10), 2)
        _activities(s, c, "visit", date(2026, 5, 11), 5)
    with db.reader() as s:
        rates = historical_rates(s, c.campus_id, date(2026, 5, 31), months=1)
    assert rates.invite_to_visit == 1
    assert rates.visit_to_trial == Fraction(7, 10)
    assert rates.defaults == {"avg_order_fen", "visit_to_trial", "trial_to_sign"}


def test_history_window_arguments_are_checked(db: Database, campus: Campus1) -> None:
    with db.reader() as s:
        with pytest.raises(Invalid) as err:
            historical_rates(s, campus.campus_id, date(2026, 5, 31), months=0)
        assert err.value.field == "months"
        with pytest.raises(Invalid) as err:
            historical_rates(s, campus.campus_id, "31/05/2026")  # type: ignore[arg-type]
        assert err.value.field == "until"


# --------------------------------------------------------------------------- saving


def test_save_stage_targets_campus_and_consultants(
    db: Database, january: tuple[Campus1, str]
) -> None:
    c, second = january
    with db.unit_of_work() as s:
        report = save_stage_targets(
            s, c.campus_id, 2026, 1, SIMPLE, {c.consultant_id: 2, second: 1}
        )
    assert report.skipped_stages == ()
    assert [(w.period.week, w.revenue_fen) for w in report.weeks] == [
        (1, 400000), (2, 700000), (3, 700000), (4, 700000), (5, 600000)
    ]  # fmt: skip
    with db.reader() as s:
        campus_counts = load_stage_targets(s, c.campus_id, 2026, 1)
        first_counts = load_stage_targets(s, c.campus_id, 2026, 1, c.consultant_id)
        second_counts = load_stage_targets(s, c.campus_id, 2026, 1, second)
    # Week 1, 400000: 4 signs → 16 trials (÷ 1/4) → 32 visits (÷ 1/2) → 64 invitations.
    # Week 2, 700000: 7 → 28 → 56 → 112. Week 5, 600000: 6 → 24 → 48 → 96.
    assert [campus_counts[(code, 1)] for code in FUNNEL_STAGES] == [64, 32, 16, 4]
    assert [campus_counts[(code, 2)] for code in FUNNEL_STAGES] == [112, 56, 28, 7]
    assert [campus_counts[(code, 5)] for code in FUNNEL_STAGES] == [96, 48, 24, 6]
    # Split 2 : 1. Week 1: 64 → 42.67 / 21.33 → 43 / 21; 32 → 21.33 / 10.67 → 21 / 11;
    # 16 → 10.67 / 5.33 → 11 / 5; 4 → 2.67 / 1.33 → 3 / 1.
    assert [first_counts[(code, 1)] for code in FUNNEL_STAGES] == [43, 21, 11, 3]
    assert [second_counts[(code, 1)] for code in FUNNEL_STAGES] == [21, 11, 5, 1]
    # Week 2: 112 → 74.67 / 37.33 → 75 / 37; 56 → 37.33 / 18.67 → 37 / 19;
    # 28 → 18.67 / 9.33 → 19 / 9; 7 → 4.67 / 2.33 → 5 / 2.
    assert [first_counts[(code, 2)] for code in FUNNEL_STAGES] == [75, 37, 19, 5]
    assert [second_counts[(code, 2)] for code in FUNNEL_STAGES] == [37, 19, 9, 2]
    # Week 5 divides evenly: 64/32, 32/16, 16/8, 4/2.
    assert [first_counts[(code, 5)] for code in FUNNEL_STAGES] == [64, 32, 16, 4]
    assert [second_counts[(code, 5)] for code in FUNNEL_STAGES] == [32, 16, 8, 2]
    assert len(report.changes) == 5 * 4 * 3  # weeks × stages × (campus + 2 consultants)


def test_resaving_updates_rows_in_place(db: Database, january: tuple[Campus1, str]) -> None:
    c, second = january
    weights = {c.consultant_id: 2, second: 1}
    with db.unit_of_work() as s:
        save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, weights)
    with db.reader() as s:
        ids = {row[0] for row in stage_state(s)}
    with db.unit_of_work() as s:
        assert save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, weights).changes == ()
    with db.unit_of_work() as s:
        report = save_stage_targets(
            s, c.campus_id, 2026, 1, SIMPLE.edited(avg_order_fen=200_000), weights
        )
    # Week 1 with avg 2000.00 元: 2 signs (was 4) → campus 4 → 2, consultants 3/1 → 1/1.
    signs = {
        (ch.staff_id, ch.period.week): (ch.old_count, ch.new_count)
        for ch in report.changes
        if ch.stage_code == "sign"
    }
    assert signs[(None, 1)] == (4, 2)
    assert signs[(c.consultant_id, 1)] == (3, 1)
    assert (second, 1) not in signs  # 1 before, 1 after
    with db.reader() as s:
        assert {row[0] for row in stage_state(s)} == ids


def test_consultants_left_out_lose_their_rows(db: Database, january: tuple[Campus1, str]) -> None:
    c, second = january
    with db.unit_of_work() as s:
        save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, {c.consultant_id: 2, second: 1})
    with db.unit_of_work() as s:
        report = save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, {c.consultant_id: 1})
    removed = [ch for ch in report.changes if ch.new_count is None]
    assert len(removed) == 5 * 4 and {ch.staff_id for ch in removed} == {second}
    with db.reader() as s:
        assert load_stage_targets(s, c.campus_id, 2026, 1, second) == {}
        assert load_stage_targets(s, c.campus_id, 2026, 1, c.consultant_id)[("sign", 1)] == 4


def test_weights_default_to_the_consultants_order_targets(
    db: Database, january: tuple[Campus1, str]
) -> None:
    c, second = january
    with db.unit_of_work() as s:
        split_staff_order_targets(
            s, c.campus_id, 2026, 1, "consultant", {c.consultant_id: 3, second: 1}
        )
        save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE)
    with db.reader() as s:
        first = load_stage_targets(s, c.campus_id, 2026, 1, c.consultant_id)
        other = load_stage_targets(s, c.campus_id, 2026, 1, second)
    # Order targets 2325000 : 775000 = 3 : 1. Week 1: 4 signs → 3 / 1; 64 → 48 / 16.
    assert (first[("sign", 1)], other[("sign", 1)]) == (3, 1)
    assert (first[("invitation", 1)], other[("invitation", 1)]) == (48, 16)


def test_empty_weights_write_campus_rows_only(db: Database, january: tuple[Campus1, str]) -> None:
    c, _ = january
    with db.unit_of_work() as s:
        report = save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, {})
    assert {ch.staff_id for ch in report.changes} == {None}
    assert len(report.changes) == 5 * 4


def test_deactivated_funnel_stage_is_skipped(db: Database, january: tuple[Campus1, str]) -> None:
    c, _ = january
    with db.unit_of_work() as s:
        s.get_one(Stage, stage_id(s, c.campus_id, "visit")).active = False
        report = save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, {})
    assert report.skipped_stages == ("visit",)
    with db.reader() as s:
        codes = {code for code, _ in load_stage_targets(s, c.campus_id, 2026, 1)}
    assert codes == {"invitation", "trial", "sign"}


def test_bad_stage_plan_input_changes_nothing(db: Database, january: tuple[Campus1, str]) -> None:
    c, second = january
    with db.unit_of_work() as s:
        save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, {c.consultant_id: 1})
    with db.reader() as s:
        before = stage_state(s)
    unknown = "0b9d7d0e-1111-4222-8333-444455556666"
    cases = [
        ({c.consultant_id: 0, second: 0}, SIMPLE, 1, "consultant_weights"),
        ({unknown: 1}, SIMPLE, 1, f"consultant_weights[{unknown}]"),
        ({c.teacher_id: 1}, SIMPLE, 1, f"consultant_weights[{c.teacher_id}]"),
        ({c.consultant_id: -2}, SIMPLE, 1, f"consultant_weights[{c.consultant_id}]"),
        ({c.consultant_id: 1}, "0.3", 1, "rates"),
        ({c.consultant_id: 1}, SIMPLE, 13, "month"),
    ]
    for weights, rates, target_month, field in cases:
        with pytest.raises(Invalid) as err, db.unit_of_work() as s:
            save_stage_targets(s, c.campus_id, 2026, target_month, rates, weights)  # type: ignore[arg-type]
        assert err.value.field == field, weights
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        save_stage_targets(s, c.campus_id, 2027, 3, SIMPLE, {})
    assert err.value.field == "month"  # no 2027 revenue target yet
    with db.reader() as s:
        assert stage_state(s) == before


# --------------------------------------------------------------------------- by hand


def test_set_stage_target_by_hand_updates_in_place(
    db: Database, january: tuple[Campus1, str]
) -> None:
    c, _ = january
    with db.unit_of_work() as s:
        renewal = stage_id(s, c.campus_id, "renewal")
        first = set_stage_target(s, c.campus_id, renewal, 2026, 1, 2, 5, staff_id=c.consultant_id)
        set_stage_target(s, c.campus_id, renewal, 2026, 1, 2, 12)
    assert [(ch.old_count, ch.new_count, ch.is_manual) for ch in first.changes] == [(None, 5, True)]
    with db.unit_of_work() as s:
        again = set_stage_target(s, c.campus_id, renewal, 2026, 1, 2, 7, staff_id=c.consultant_id)
    assert [(ch.old_count, ch.new_count) for ch in again.changes] == [(5, 7)]
    assert again.changes[0].period == Period("week", 2026, 1, 2)
    with db.reader() as s:
        rows = s.scalars(select(StageTarget).where(StageTarget.stage_id == renewal)).all()
        assert load_stage_targets(s, c.campus_id, 2026, 1) == {("renewal", 2): 12}
    assert sorted((r.staff_id is None, r.target_count) for r in rows) == [(False, 7), (True, 12)]


@pytest.fixture
def split(db: Database, january: tuple[Campus1, str]) -> tuple[Campus1, str, str]:
    """January planned with SIMPLE and weights 2 : 1; week 1: invitations 64 = 43 + 21,
    signs 4 = 3 + 1. Returns the campus, the second consultant and the invitation stage."""
    c, second = january
    with db.unit_of_work() as s:
        save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE, {c.consultant_id: 2, second: 1})
        invitation = stage_id(s, c.campus_id, "invitation")
    return c, second, invitation


def _changes(report: object) -> list[tuple[object, ...]]:
    return [
        (ch.staff_id, ch.old_count, ch.new_count, ch.is_manual)
        for ch in report.changes  # type: ignore[attr-defined]
    ]


def test_a_consultants_count_by_hand_is_absorbed_by_the_others(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, second, invitation = split
    with db.unit_of_work() as s:
        report = set_stage_target(
            s, c.campus_id, invitation, 2026, 1, 1, 50, staff_id=c.consultant_id
        )
    # the campus keeps 64; the other consultant takes the rest: 64 − 50 = 14
    assert _changes(report) == [(c.consultant_id, 43, 50, True), (second, 21, 14, False)]
    with db.reader() as s:
        assert load_stage_targets(s, c.campus_id, 2026, 1)[("invitation", 1)] == 64


def test_a_campus_count_by_hand_respreads_the_consultants(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, second, invitation = split
    with db.unit_of_work() as s:
        report = set_stage_target(s, c.campus_id, invitation, 2026, 1, 1, 90)
    # in proportion to 43 : 21: 60.47 / 29.53 → 60 / 29, the last one to the larger fraction
    assert set(_changes(report)) == {
        (None, 64, 90, True),
        (c.consultant_id, 43, 60, False),
        (second, 21, 30, False),
    }


def test_replanning_keeps_what_was_set_by_hand(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, second, invitation = split
    weights = {c.consultant_id: 2, second: 1}
    with db.unit_of_work() as s:
        set_stage_target(s, c.campus_id, invitation, 2026, 1, 1, 50, staff_id=c.consultant_id)
        set_stage_target(s, c.campus_id, invitation, 2026, 1, 2, 100)  # campus, week 2
        save_stage_targets(s, c.campus_id, 2026, 1, SIMPLE.edited(avg_order_fen=50_000), weights)
    with db.reader() as s:
        campus_counts = load_stage_targets(s, c.campus_id, 2026, 1)
        first = load_stage_targets(s, c.campus_id, 2026, 1, c.consultant_id)
        other = load_stage_targets(s, c.campus_id, 2026, 1, second)
    # Week 1 at 500.00 元 an order: 8 signs → 32 trials → 64 visits → 128 invitations; his 50
    # by hand stays, the other consultant gets 78. Signs 8 by 2 : 1: 5.33 / 2.67 → 5 / 3.
    assert (campus_counts[("invitation", 1)], first[("invitation", 1)]) == (128, 50)
    assert other[("invitation", 1)] == 78
    assert (campus_counts[("sign", 1)], first[("sign", 1)], other[("sign", 1)]) == (8, 5, 3)
    # Week 2's campus 100 by hand stays (the plan says 224) and is split 2 : 1: 66.67 / 33.33
    assert (campus_counts[("invitation", 2)], first[("invitation", 2)]) == (100, 67)
    assert other[("invitation", 2)] == 33


def test_hand_set_counts_that_no_longer_fit_are_refused_and_nothing_changes(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, second, invitation = split
    with db.unit_of_work() as s:
        sign = stage_id(s, c.campus_id, "sign")
        set_stage_target(s, c.campus_id, invitation, 2026, 1, 1, 50, staff_id=c.consultant_id)
    with db.reader() as s:
        before = stage_state(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        set_stage_target(s, c.campus_id, sign, 2026, 1, 1, 5, staff_id=c.consultant_id)
    assert err.value.field == "count"  # 5 of the campus's 4 signs
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        set_stage_target(s, c.campus_id, invitation, 2026, 1, 1, 40)
    assert err.value.field == "count"  # below his 50 by hand
    # at 2000.00 元 an order week 1 needs 32 invitations: fewer than his 50
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        save_stage_targets(
            s, c.campus_id, 2026, 1, SIMPLE.edited(avg_order_fen=200_000), {c.consultant_id: 1}
        )
    assert err.value.field == "consultant_weights"
    assert "第1周邀约" in err.value.reason
    with db.reader() as s:
        assert stage_state(s) == before


def test_a_count_outside_the_split_stands_alone(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, _, _ = split
    with db.unit_of_work() as s:
        trial = stage_id(s, c.campus_id, "trial")
        report = set_stage_target(s, c.campus_id, trial, 2026, 1, 1, 3, staff_id=c.teacher_id)
    assert _changes(report) == [(c.teacher_id, None, 3, True)]  # a teacher: not split


def _stage_changes(report: object) -> dict[tuple[object, ...], tuple[object, ...]]:
    return {
        (ch.stage_code, ch.period.week, ch.staff_id): (ch.old_count, ch.new_count)
        for ch in report.stage_changes  # type: ignore[attr-defined]
    }


def test_stage_targets_follow_a_changed_revenue_week(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, second, _ = split
    first = c.consultant_id
    with db.unit_of_work() as s:
        report = set_part_manually(s, c.campus_id, Period("week", 2026, 1, 1), R, 800_000)
    # January stays 3,100,000: week 1 800,000 by hand, the other weeks share 2,300,000 by days
    # (7, 7, 7, 6 of 27): 596,297 (the leftover fen), 596,296, 596,296, 511,111. At 1000.00 元
    # an order: signs 8, 6, 6, 6, 6; invitations ×16: 128, 96, 96, 96, 96.
    with db.reader() as s:
        campus_counts = load_stage_targets(s, c.campus_id, 2026, 1)
        mine = load_stage_targets(s, c.campus_id, 2026, 1, first)
        other = load_stage_targets(s, c.campus_id, 2026, 1, second)
    assert [campus_counts[("sign", w)] for w in range(1, 6)] == [8, 6, 6, 6, 6]
    assert [campus_counts[("invitation", w)] for w in range(1, 6)] == [128, 96, 96, 96, 96]
    # split 2 : 1: 8 → 5.33 / 2.67 → 5 / 3; 6 → 4 / 2; 128 → 85 / 43; 96 → 64 / 32
    assert [mine[("sign", w)] for w in range(1, 6)] == [5, 4, 4, 4, 4]
    assert [other[("sign", w)] for w in range(1, 6)] == [3, 2, 2, 2, 2]
    assert (mine[("invitation", 1)], other[("invitation", 1)]) == (85, 43)
    changes = _stage_changes(report)
    assert changes[("sign", 1, None)] == (4, 8)
    assert changes[("sign", 2, None)] == (7, 6)
    assert changes[("sign", 1, first)] == (3, 5)
    assert changes[("sign", 2, first)] == (5, 4)  # week 2 had 7 = 5 + 2
    assert ("sign", 2, second) not in changes  # 2 before and after
    assert ("sign", 5, None) not in changes  # 600,000 and 511,111 both need 6 signs


def test_a_consultant_who_left_drops_out_when_the_stage_targets_follow(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, second, _ = split
    with db.unit_of_work() as s:
        s.get_one(Staff, second).active = False
        report = set_part_manually(s, c.campus_id, Period("week", 2026, 1, 1), R, 800_000)
    with db.reader() as s:
        assert load_stage_targets(s, c.campus_id, 2026, 1, second) == {}
        assert load_stage_targets(s, c.campus_id, 2026, 1, c.consultant_id)[("sign", 1)] == 8
    assert _stage_changes(report)[("sign", 1, second)] == (1, None)


def test_a_revenue_change_that_hand_set_counts_cannot_follow_is_refused(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, _, invitation = split
    with db.unit_of_work() as s:
        set_stage_target(s, c.campus_id, invitation, 2026, 1, 1, 50, staff_id=c.consultant_id)
    with db.reader() as s:
        before = (stage_state(s), s.execute(select(Target.id, Target.amount_fen)).all())
    # 100,000 in week 1 needs 1 sign, 4 trials, 8 visits, 16 invitations: fewer than his 50
    with db.unit_of_work() as s, pytest.raises(Invalid) as err:
        set_part_manually(s, c.campus_id, Period("week", 2026, 1, 1), R, 100_000)
    assert err.value.field == "amount_fen"
    assert "周环节目标" in err.value.reason
    with db.reader() as s:  # the unit of work above committed: nothing was written
        assert (stage_state(s), s.execute(select(Target.id, Target.amount_fen)).all()) == before


def test_months_without_a_funnel_plan_have_no_stage_changes(
    db: Database, split: tuple[Campus1, str, str]
) -> None:
    c, _, _ = split
    with db.unit_of_work() as s:
        report = set_month_target(s, c.campus_id, 2026, 2, R, 2_800_000)
    assert report.stage_changes == ()  # only January was planned
    assert report.campus()  # February and the months that absorbed it did change


@pytest.fixture
def odd_stages(db: Database, january: tuple[Campus1, str]) -> Iterator[dict[str, str]]:
    c, _ = january
    with db.unit_of_work() as s:
        deleted = s.get_one(Stage, stage_id(s, c.campus_id, "referral"))
        deleted.is_deleted = True
        inactive = s.get_one(Stage, stage_id(s, c.campus_id, "parent_contact"))
        inactive.active = False
        other = make_campus(s, code="T2")
        foreign = stage_id(s, other.campus_id, "renewal")
        foreign_staff = other.consultant_id
        renewal = stage_id(s, c.campus_id, "renewal")
    yield {
        "deleted": deleted.id,
        "inactive": inactive.id,
        "foreign": foreign,
        "renewal": renewal,
        "foreign_staff": foreign_staff,
    }


@pytest.mark.parametrize(
    ("stage", "args", "staff", "field"),
    [
        ("deleted", (2026, 1, 2, 3), None, "stage_id"),
        ("inactive", (2026, 1, 2, 3), None, "stage_id"),
        ("foreign", (2026, 1, 2, 3), None, "stage_id"),
        ("not-a-uuid", (2026, 1, 2, 3), None, "stage_id"),
        ("renewal", (2026, 1, 2, -1), None, "count"),
        ("renewal", (2026, 1, 2, True), None, "count"),
        ("renewal", (2026, 2, 6, 3), None, "week"),  # February 2026 has five weeks
        ("renewal", (2026, 13, 1, 3), None, "month"),
        ("renewal", (2026, 1, 2, 3), "foreign_staff", "staff_id"),
        ("renewal", (2026, 1, 2, 3), "0b9d7d0e-1111-4222-8333-444455556666", "staff_id"),
    ],
)
def test_bad_stage_target_input_changes_nothing(
    db: Database,
    january: tuple[Campus1, str],
    odd_stages: dict[str, str],
    stage: str,
    args: tuple[int, int, int, int],
    staff: str | None,
    field: str,
) -> None:
    c, _ = january
    with db.reader() as s:
        before = stage_state(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        set_stage_target(
            s, c.campus_id, odd_stages.get(stage, stage), *args,
            staff_id=odd_stages.get(staff, staff) if staff else None,
        )  # fmt: skip
    assert err.value.field == field
    with db.reader() as s:
        assert stage_state(s) == before


def test_stage_target_for_an_unknown_campus(db: Database, january: tuple[Campus1, str]) -> None:
    c, _ = january
    with pytest.raises(NotFound), db.unit_of_work() as s:
        set_stage_target(
            s, "0b9d7d0e-1111-4222-8333-444455556666", stage_id(s, c.campus_id, "renewal"),
            2026, 1, 1, 1,
        )  # fmt: skip


# --------------------------------------------------------------------------- properties

rates_strategy = st.builds(
    lambda avg, a, b, c: FunnelRates(avg, a, b, c),
    st.integers(1, 10**7),
    *[
        st.tuples(st.integers(1, 1000), st.integers(1, 1000)).map(
            lambda t: Fraction(min(t), max(t))
        )
        for _ in range(3)
    ],
)


@settings(max_examples=200, deadline=None)
@given(revenue=st.integers(0, 10**11), rates=rates_strategy)
def test_counts_are_the_least_that_reach_the_target(revenue: int, rates: FunnelRates) -> None:
    counts = plan_stage_targets(revenue, rates)
    steps = [
        (counts["sign"], Fraction(revenue, rates.avg_order_fen)),
        (counts["trial"], counts["sign"] / rates.trial_to_sign),
        (counts["visit"], counts["trial"] / rates.visit_to_trial),
        (counts["invitation"], counts["visit"] / rates.invite_to_visit),
    ]
    for count, needed in steps:
        assert count == math.ceil(needed)  # enough, and one fewer would not be
        assert count >= needed > count - 1 or count == needed == 0


@pytest.fixture
def three_consultants(db: Database, january: tuple[Campus1, str]) -> tuple[Campus1, list[str]]:
    c, second = january
    with db.unit_of_work() as s:
        third = add_person(s, c, "周顾问", ["consultant"])
    return c, [c.consultant_id, second, third]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 50), min_size=3, max_size=3).filter(lambda w: sum(w) > 0),
    rates=rates_strategy,
)
def test_consultant_counts_add_up_to_the_campus(
    db: Database,
    three_consultants: tuple[Campus1, list[str]],
    amount: int,
    weights: list[int],
    rates: FunnelRates,
) -> None:
    c, ids = three_consultants
    with db.unit_of_work() as s:
        set_month_target(s, c.campus_id, 2026, 1, R, min(amount, 120_000_000))
        save_stage_targets(s, c.campus_id, 2026, 1, rates, dict(zip(ids, weights, strict=True)))
    with db.reader() as s:
        campus_counts = load_stage_targets(s, c.campus_id, 2026, 1)
        people = [load_stage_targets(s, c.campus_id, 2026, 1, i) for i in ids]
        live = s.scalars(select(StageTarget).where(StageTarget.is_deleted.is_(False))).all()
    assert len(campus_counts) == 5 * 4
    for key, count in campus_counts.items():
        assert sum(p[key] for p in people) == count
    assert len(live) == 5 * 4 * 4  # campus + three consultants, no duplicates
