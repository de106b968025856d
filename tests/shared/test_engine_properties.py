"""Property tests of the stored decomposition: every level adds up exactly, to the fen.

Beside the pure previews and the consultants' split (tests/shared/test_targets.py), these cover
the levels that only exist in the database:

* teachers' 划课收入 targets, split by the value of their scheduled lessons (weights with
  fractions of a fen: hours of 0.5 and prices of odd fen);
* intent teachers' order targets, split by the manager's weights;
* any sequence of target edits (a new year figure, months and weeks set by hand, hand-set
  figures cleared): the manual parts keep exactly what was set, every level still adds up,
  people's targets follow their campus month, bad edits change nothing, and the change report
  names exactly the targets whose figure changed, with their old and new figures.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.errors import Invalid
from shared.funnel import (
    FUNNEL_STAGES,
    FunnelRates,
    plan_stage_targets,
    save_stage_targets,
    set_stage_target,
)
from shared.models import Course, Metric, Stage, StageTarget, Target, TargetRole
from shared.periods import Period, weeks_of_month
from shared.services.lessons import schedule_lesson
from shared.targets import (
    ChangeReport,
    SpreadMethod,
    clear_manual,
    load_staff_targets,
    load_year_plan,
    set_part_manually,
    set_year_target,
    split_staff_order_targets,
    split_teacher_consumption_targets,
)
from tests.shared.factories import Campus1, at, make_campus
from tests.shared.test_actuals import new_staff, new_student, stage_id

R, C = Metric.REVENUE, Metric.CONSUMPTION
DB_SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_people_add_up(session: Session, campus_id: str, month: int, role: TargetRole) -> int:
    """Assert a role's people add up to the campus month and weeks; return how many people."""
    metric = C if role is TargetRole.TEACHER else R
    plan = load_year_plan(session, campus_id, 2026, metric)
    assert plan is not None
    campus_month = plan.month(month)
    people = load_staff_targets(session, campus_id, 2026, month, role)
    assert sum(p.amount_fen for p in people) == campus_month.amount_fen
    for p in people:
        assert sum(w.amount_fen for w in p.weeks) == p.amount_fen
        assert all(w.amount_fen >= 0 for w in p.weeks)
    for i, campus_week in enumerate(campus_month.weeks):
        assert sum(p.weeks[i].amount_fen for p in people) == campus_week.amount_fen
    return len(people)


# --------------------------------------------------------------------------- teachers


@pytest.fixture
def teachers(db: Database) -> Iterator[tuple[Campus1, list[str], list[str], str]]:
    """A campus with three teachers, four pupils and a course at an odd price per hour."""
    with db.unit_of_work() as s:
        c = make_campus(s)
        ids = [c.teacher_id] + [new_staff(s, c.campus_id, f"老师{i}", "teacher") for i in (2, 3)]
        pupils = [c.student_id] + [new_student(s, c.campus_id, f"学员{i}") for i in range(3)]
        odd = Course(campus_id=c.campus_id, name="书法", price_per_hour_fen=13_333)
        s.add(odd)
        s.flush()
        course = odd.id
    yield c, ids, pupils, course


lesson_strategy = st.tuples(
    st.integers(0, 2),  # teacher
    st.integers(1, 28),  # day of the month
    st.sampled_from(["0.5", "1", "1.5", "2"]),  # hours
    st.integers(1, 4),  # pupils
    st.booleans(),  # the odd-priced course
)


@DB_SETTINGS
@given(
    amount=st.integers(0, 10**10),
    month=st.integers(1, 12),
    lessons=st.lists(lesson_strategy, min_size=1, max_size=6),
)
def test_teacher_consumption_splits_add_up_exactly(
    db: Database,
    teachers: tuple[Campus1, list[str], list[str], str],
    amount: int,
    month: int,
    lessons: list[tuple[int, int, str, int, bool]],
) -> None:
    # Examples share the file: lessons pile up month by month, so weights keep changing.
    c, ids, pupils, odd = teachers
    with db.unit_of_work() as s:
        set_year_target(s, c.campus_id, 2026, C, amount, method=SpreadMethod.DAY_WEIGHTS)
        for teacher, day, hours, n, use_odd in lessons:
            schedule_lesson(
                s,
                course_id=odd if use_odd else c.course_id,
                teacher_id=ids[teacher],
                starts_at=at(date(2026, month, day)),
                hours=Decimal(hours),
                student_ids=pupils[:n],
            )
        split_teacher_consumption_targets(s, c.campus_id, 2026, month)
    with db.reader() as s:
        people = check_people_add_up(s, c.campus_id, month, TargetRole.TEACHER)
    assert people >= len({teacher for teacher, *_ in lessons})


# --------------------------------------------------------------------------- intent teachers


@DB_SETTINGS
@given(
    amount=st.integers(0, 10**10),
    month=st.integers(1, 12),
    weights=st.lists(st.integers(0, 1000), min_size=3, max_size=3).filter(lambda w: sum(w) > 0),
)
def test_intent_teacher_splits_add_up_exactly(
    db: Database,
    teachers: tuple[Campus1, list[str], list[str], str],
    amount: int,
    month: int,
    weights: list[int],
) -> None:
    c, ids, _, _ = teachers
    with db.unit_of_work() as s:
        set_year_target(s, c.campus_id, 2026, R, amount)
        split_staff_order_targets(
            s, c.campus_id, 2026, month, "intent_teacher", dict(zip(ids, weights, strict=True))
        )
    with db.reader() as s:
        assert check_people_add_up(s, c.campus_id, month, TargetRole.INTENT_TEACHER) == 3


# --------------------------------------------------------------------------- edit sequences


def live_targets(session: Session, campus_id: str) -> dict[tuple[object, ...], tuple[int, bool]]:
    """Every live 营业额 target of 2026: ``{(staff, role, period): (fen, manual)}``."""
    rows = session.scalars(
        select(Target).where(
            Target.campus_id == campus_id,
            Target.metric == R,
            Target.year == 2026,
            Target.is_deleted.is_(False),
        )
    )
    return {
        (r.staff_id, r.staff_role, Period(str(r.period_kind), r.year, r.month, r.week)): (
            r.amount_fen,
            r.is_manual,
        )
        for r in rows
    }


edit_strategy = st.one_of(
    st.tuples(st.just("year"), st.integers(0, 10**9)),
    # months and weeks by hand: per mille of the parent's twelfth / the parent, so that most
    # fit and some do not
    st.tuples(st.just("month"), st.integers(1, 12), st.integers(0, 1300)),
    st.tuples(st.just("week"), st.integers(1, 12), st.integers(1, 6), st.integers(0, 1300)),
    st.tuples(st.just("clear_month"), st.integers(1, 12)),
    st.tuples(st.just("clear_week"), st.integers(1, 12), st.integers(1, 6)),
)


def _period_of(edit: tuple[object, ...]) -> Period | None:
    """The month or week an edit is about (None for a new year figure)."""
    kind, month = edit[0], edit[1]
    if kind == "year":
        return None
    assert isinstance(month, int)
    if kind in ("month", "clear_month"):
        return Period("month", 2026, month)
    week = edit[2]
    assert isinstance(week, int)
    return Period("week", 2026, month, min(week, len(weeks_of_month(2026, month))))


def _apply(
    s: Session, campus_id: str, edit: tuple[object, ...], fen: dict[Period, int]
) -> tuple[ChangeReport, int | None]:
    """Apply an edit; return the report and the figure set by hand (None if none was)."""
    period = _period_of(edit)
    if period is None:
        return set_year_target(s, campus_id, 2026, R, edit[1]), None  # type: ignore[arg-type]
    if edit[0] in ("month", "week"):
        permille = edit[-1]
        assert isinstance(permille, int) and period is not None
        parent = period.parent()
        assert parent is not None
        share = 12_000 if period.kind == "month" else 1000
        amount = fen[parent] * permille // share
        return set_part_manually(s, campus_id, period, R, amount), amount
    return clear_manual(s, campus_id, period, R), None


CAMPUS_CODES = itertools.count(1)
FUNNEL_RATES = FunnelRates(300_000, "1/2", "7/10", "3/10")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(0, 10**9),
    weights=st.lists(st.integers(1, 100), min_size=2, max_size=2),
    edits=st.lists(edit_strategy, min_size=1, max_size=6),
)
def test_any_edit_sequence_keeps_every_level_exact_and_reports_what_changed(
    db: Database, start: int, weights: list[int], edits: list[tuple[object, ...]]
) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s, code=f"P{next(CAMPUS_CODES)}")  # a fresh campus per example
        second = new_staff(s, c.campus_id, "周顾问", "consultant")
        set_year_target(s, c.campus_id, 2026, R, start)
        people = dict(zip((c.consultant_id, second), weights, strict=True))
        split_staff_order_targets(s, c.campus_id, 2026, 5, "consultant", people)
        save_stage_targets(s, c.campus_id, 2026, 5, FUNNEL_RATES, people)
    for edit in edits:
        with db.reader() as s:
            before = live_targets(s, c.campus_id)
            stages_before = stage_split(s, c.campus_id)
        campus_fen = {p: fen for (staff, _, p), (fen, _) in before.items() if staff is None}
        try:
            with db.unit_of_work() as s:
                report, by_hand = _apply(s, c.campus_id, edit, campus_fen)
        except Invalid:
            event("an edit refused")
            with db.reader() as s:
                assert live_targets(s, c.campus_id) == before  # nothing saved
                assert stage_split(s, c.campus_id) == stages_before
            continue
        with db.reader() as s:
            after = live_targets(s, c.campus_id)
            plan = load_year_plan(s, c.campus_id, 2026, R)
            assert check_people_add_up(s, c.campus_id, 5, TargetRole.CONSULTANT) == 2
            stages_after = stage_split(s, c.campus_id)
        assert plan is not None
        # May's 周环节目标 follow its revenue weeks, split exactly between the consultants.
        for week in plan.month(5).weeks:
            planned = plan_stage_targets(week.amount_fen, FUNNEL_RATES)
            for code in FUNNEL_STAGES:
                assert stages_after[(code, week.period.week)][None] == (planned[code], False)
        check_split_exact(stages_after)
        stage_report = {
            (ch.stage_code, ch.period.week, ch.staff_id): (ch.old_count, ch.new_count)
            for ch in report.stage_changes
        }
        assert stage_report == {
            (code, week, staff): (
                stages_before[(code, week)][staff][0]  # type: ignore[index]
                if staff in stages_before.get((code, week), {})
                else None,
                stages_after[(code, week)][staff][0]  # type: ignore[index]
                if staff in stages_after.get((code, week), {})
                else None,
            )
            for code, week in stages_before.keys() | stages_after.keys()
            for staff in stages_before.get((code, week), {}).keys()
            | stages_after.get((code, week), {}).keys()
            if stages_before.get((code, week), {}).get(staff)
            != stages_after.get((code, week), {}).get(staff)
        }
        # The part edited by hand holds exactly its figure, a cleared one is automatic again,
        # and every other hand-set part keeps its figure: only automatic parts re-spread.
        edited = _period_of(edit)
        event(f"{edit[0]} applied")
        if edit[0] in ("month", "week"):
            assert after[(None, None, edited)] == (by_hand, True)
        elif edited is not None:
            assert after[(None, None, edited)][1] is False
        for key, (fen, is_manual) in before.items():
            if is_manual and key[2] != edited:
                assert after[key] == (fen, True)
        # Every level adds up exactly.
        assert sum(m.amount_fen for m in plan.months) == plan.amount_fen
        for m in plan.months:
            assert sum(w.amount_fen for w in m.weeks) == m.amount_fen
            assert m.amount_fen >= 0 and all(w.amount_fen >= 0 for w in m.weeks)
        # The report names exactly the targets whose figure or flag changed.
        reported = {
            (ch.staff_id, ch.staff_role, ch.period): (ch.old_fen, ch.new_fen)
            for ch in report.changes
        }
        differing = {
            key: (
                before[key][0] if key in before else None,
                after[key][0] if key in after else None,
            )
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)
        }
        assert reported == differing


# --------------------------------------------------------------------------- stage targets


def stage_split(session: Session, campus_id: str) -> dict[tuple[str, int], dict[object, object]]:
    """Live funnel stage targets of January: ``{(stage, week): {staff or None: (n, manual)}}``."""
    rows = session.execute(
        select(
            Stage.code,
            StageTarget.week,
            StageTarget.staff_id,
            StageTarget.target_count,
            StageTarget.is_manual,
        )
        .join(Stage, Stage.id == StageTarget.stage_id)
        .where(StageTarget.campus_id == campus_id, StageTarget.is_deleted.is_(False))
    )
    found: dict[tuple[str, int], dict[object, object]] = {}
    for code, week, staff_id, count, is_manual in rows:
        found.setdefault((code, week), {})[staff_id] = (count, is_manual)
    return found


def check_split_exact(split: dict[tuple[str, int], dict[object, object]]) -> None:
    """Wherever consultants hold counts of a week, they add up to the campus count."""
    for owners in split.values():
        people = [n for staff, (n, _) in owners.items() if staff is not None]  # type: ignore[misc]
        if people and None in owners:
            assert sum(people) == owners[None][0]  # type: ignore[index]


stage_edit = st.tuples(
    st.sampled_from(FUNNEL_STAGES),
    st.integers(1, 5),  # January 2026 has five weeks
    st.integers(-1, 2),  # -1: the campus, else a consultant
    st.integers(0, 400),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.integers(0, 10**7),
    weights=st.tuples(st.integers(1, 20), st.integers(0, 20), st.integers(0, 20)),
    edits=st.lists(stage_edit, min_size=1, max_size=6),
    avg=st.integers(10_000, 1_000_000),
)
def test_stage_targets_stay_exact_through_hand_edits_and_replanning(
    db: Database,
    amount: int,
    weights: tuple[int, int, int],
    edits: list[tuple[str, int, int, int]],
    avg: int,
) -> None:
    rates = FunnelRates(avg, "1/2", "7/10", "3/10")
    with db.unit_of_work() as s:
        c = make_campus(s, code=f"F{next(CAMPUS_CODES)}")
        people = [c.consultant_id] + [
            new_staff(s, c.campus_id, f"顾问{i}", "consultant") for i in (2, 3)
        ]
        set_year_target(s, c.campus_id, 2026, R, 12 * amount, method=SpreadMethod.EVEN)
        chosen = dict(zip(people, weights, strict=True))
        save_stage_targets(s, c.campus_id, 2026, 1, rates, chosen)
        stages = {code: stage_id(s, c.campus_id, code) for code in FUNNEL_STAGES}
    for code, week, who, count in edits:
        with db.reader() as s:
            before = stage_split(s, c.campus_id)
        owner = None if who < 0 else people[who]
        try:
            with db.unit_of_work() as s:
                set_stage_target(s, c.campus_id, stages[code], 2026, 1, week, count, owner)
        except Invalid:
            event("a hand edit refused")
            with db.reader() as s:
                assert stage_split(s, c.campus_id) == before
            continue
        event("a hand edit applied")
        with db.reader() as s:
            after = stage_split(s, c.campus_id)
        assert after[(code, week)][owner] == (count, True)
        for key, owners in before.items():  # other hand-set counts keep their figure
            for staff, (n, is_manual) in owners.items():  # type: ignore[misc]
                if is_manual and (key, staff) != ((code, week), owner):
                    assert after[key][staff] == (n, True)
        check_split_exact(after)
    with db.reader() as s:
        before = stage_split(s, c.campus_id)
    try:
        with db.unit_of_work() as s:
            save_stage_targets(s, c.campus_id, 2026, 1, rates.edited(avg_order_fen=avg * 2), chosen)
    except Invalid:
        event("a re-plan refused")
        with db.reader() as s:
            assert stage_split(s, c.campus_id) == before
        return
    event("a re-plan applied")
    with db.reader() as s:
        after = stage_split(s, c.campus_id)
    for key, owners in before.items():
        for staff, (n, is_manual) in owners.items():  # type: ignore[misc]
            if is_manual:
                assert after[key][staff] == (n, True)
    check_split_exact(after)
