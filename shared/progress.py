"""Progress (进度): targets against actuals, pace, forecast, rankings, tasks and the dashboard.

Every figure comes from :mod:`shared.actuals` (the actuals) and the ``Target``/``StageTarget``
rows (the plan); this module only compares them. The rules, decided once:

Target
    A campus target is the ``Target`` row of the campus, metric and period with no staff; a
    staff target names the person and the role they are judged in (``consultant`` and
    ``intent_teacher`` for 营业额, ``teacher`` for 划课收入). No row → target 0 and
    ``has_target`` False. 达成率 ``attainment`` = actual ÷ target as an exact Fraction, None when
    the target is 0.

Actual
    The whole period's figure as recorded (``actuals.revenue``/``actuals.consumption`` over the
    period's first to last day), the same number any report of that period shows.

Pace (expected so far)
    ``target × W_elapsed ÷ W_total`` where the W are the campus's day weights
    (:class:`~shared.day_weights.DayWeightProfile`) summed over the period's days and over the
    days ``<= today``; rounded to the nearest fen, halves up. Should every day of the period
    weigh 0 the days count evenly instead. A finished period expects its whole target, a
    period not started expects 0. ``gap_to_pace_fen`` = actual − expected.

Forecast (run rate)
    ``actual × W_total ÷ W_elapsed`` rounded like the pace. A finished period forecasts its
    actual. Before any weighted day has passed (a period not started, or one whose elapsed days
    all weigh 0) there is no rate yet: the plan stands, ``max(target, actual)``.

Status, first rule that applies (integer comparisons on the fen figures):
    ``no_target`` when the target is 0; ``not_started`` when today is before the period;
    ``at_risk`` when forecast < 80 % of target; ``ahead`` when actual >= 105 % of expected;
    ``on_pace`` when actual >= 95 % of expected (or nothing was expected and nothing done);
    ``behind`` otherwise. As forecast ÷ target equals actual ÷ expected up to rounding, these are
    bands of the pace ratio: >= 105 % ahead, >= 95 % on pace, >= 80 % behind, below at risk.

Rankings (员工排行)
    Monthly 营业额 of consultants (consultant credit) and monthly 划课收入 of teachers, per campus
    or across all live campuses. Listed: every active, non-deleted staff member holding the
    role, plus anyone else not deleted whose amount is non-zero (a consultant who changed role
    keeps the month's credit); a deleted person's credit stays in the campus total only.
    Order: amount descending, then name (Unicode code points: deterministic, not pinyin), then
    id. Rank numbers are competition ranking ("1224"): equal amounts share a rank and the next
    rank skips. A person's monthly staff target, when set, comes with their attainment.

The consumption outlook (课消预测) is described on :func:`consumption_outlook`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Row, String, func, select, type_coerce
from sqlalchemy.orm import Session

from . import actuals
from .actuals import raw_id
from .consumption import ZERO, Package
from .day_weights import DayWeightProfile
from .errors import Invalid
from .figures import (
    STATUS_NAMES,  # noqa: F401 - re-exported
    CampusRow,
    ConsumptionOutlook,
    Dashboard,
    FollowUp,
    FunnelRow,
    OutOfHours,
    Progress,
    ProgressSet,
    RankRow,
    StageTask,
    Status,
    TaskView,
)
from .models import (
    Campus,
    CommunicationRecord,
    ConsumptionEntry,
    ConsumptionKind,
    Course,
    Lesson,
    LessonStatus,
    LessonStudent,
    Metric,
    Order,
    Parent,
    Role,
    SignType,
    Staff,
    Stage,
    StageTarget,
    Student,
    Target,
    TargetRole,
)
from .money import round_half_up
from .periods import Period, check_month, check_year
from .services.common import get_live

# --------------------------------------------------------------------------- status


AHEAD_PERCENT = 105  # actual >= 105 % of pace
ON_PACE_PERCENT = 95  # actual >= 95 % of pace
AT_RISK_PERCENT = 80  # forecast < 80 % of target


def status_of(target: int, actual: int, expected: int, forecast: int, started: bool) -> Status:
    """The status of fen figures by the module's thresholds."""
    if target <= 0:
        return Status.NO_TARGET
    if not started:
        return Status.NOT_STARTED
    if 100 * forecast < AT_RISK_PERCENT * target:
        return Status.AT_RISK
    if expected <= 0:
        return Status.AHEAD if actual > 0 else Status.ON_PACE
    if 100 * actual >= AHEAD_PERCENT * expected:
        return Status.AHEAD
    if 100 * actual >= ON_PACE_PERCENT * expected:
        return Status.ON_PACE
    return Status.BEHIND


# --------------------------------------------------------------------------- checks


def check_period(period: object) -> Period:
    """Accept a Period that names a real year, month or week-of-month."""
    if not isinstance(period, Period):
        raise Invalid("period", f"不是有效的周期：{period!r}")
    if period.kind == "year":
        return Period.of_year(period.year)
    if period.kind == "month":
        return Period.of_month(period.year, period.month)
    if period.kind == "week":
        return Period.of_week(period.year, period.month, period.week)
    raise Invalid("period_kind", f"未知的周期类型：{period.kind!r}")


def check_today(today: object) -> date:
    """Accept a business date (not an instant)."""
    if not isinstance(today, date) or isinstance(today, datetime):
        raise Invalid("today", f"必须是日期：{today!r}")
    return today


def check_metric(metric: object) -> Metric:
    """Accept ``revenue`` or ``consumption``."""
    try:
        return Metric(metric)
    except ValueError:
        raise Invalid("metric", f"指标应为 revenue 或 consumption：{metric!r}") from None


def _check_role(staff: Staff, metric: Metric, role: object) -> str:
    """The role a staff member is judged in for ``metric``; consumption defaults to teacher."""
    if metric is Metric.CONSUMPTION:
        if role not in (None, "teacher"):
            raise Invalid("role", f"划课收入只按教师统计：{role!r}")
        actuals.check_teacher(staff, "role")
        return "teacher"
    if role is None:
        raise Invalid("role", "员工营业额需指定角色 consultant 或 intent_teacher")
    return actuals.check_revenue_role(staff, role)


# --------------------------------------------------------------------------- pace


@lru_cache(maxsize=64)
def _year_weights(profile_json: str, year: int) -> tuple[int, ...]:
    # Day types depend only on the profile and the date, so a year's weights are cached by the
    # profile's content: editing the campus settings changes the key, never a stale answer.
    profile = DayWeightProfile.from_settings({"day_weights": json.loads(profile_json)})
    return tuple(profile.weights_of(Period.of_year(year).days))


def period_weights(campus: Campus, period: Period) -> list[int]:
    """The campus's day weight for every day of the period, in order."""
    profile = DayWeightProfile.from_settings(campus.settings)
    key = json.dumps(profile.to_settings(), sort_keys=True)
    year = _year_weights(key, period.year)
    offset = (period.start - date(period.year, 1, 1)).days
    return list(year[offset : offset + len(period.days)])


@dataclass(frozen=True, slots=True)
class _Pace:
    expected: int
    forecast: int
    started: bool
    days_elapsed: int
    days_total: int


def _pace(period: Period, weights: Sequence[int], today: date, target: int, actual: int) -> _Pace:
    days_total = len(weights)
    days_elapsed = max(0, min(days_total, (today - period.start).days + 1))
    if sum(weights) == 0:
        weights = [1] * days_total
    w_total = sum(weights)
    w_elapsed = sum(weights[:days_elapsed])
    expected = round_half_up(Fraction(target * w_elapsed, w_total))
    if days_elapsed == days_total:
        forecast = actual
    elif w_elapsed == 0:
        forecast = max(target, actual)
    else:
        forecast = round_half_up(Fraction(actual * w_total, w_elapsed))
    return _Pace(expected, forecast, days_elapsed > 0, days_elapsed, days_total)


def _make_progress(
    *,
    metric: Metric,
    period: Period,
    today: date,
    campus_id: str | None,
    staff_id: str | None,
    role: str | None,
    target: int | None,
    actual: int,
    weights: Sequence[int],
) -> Progress:
    target_fen = target or 0
    pace = _pace(period, weights, today, target_fen, actual)
    return Progress(
        metric=metric,
        period=period,
        today=today,
        campus_id=campus_id,
        staff_id=staff_id,
        role=role,
        target_fen=target_fen,
        has_target=target is not None,
        actual_fen=actual,
        attainment=Fraction(actual, target_fen) if target_fen else None,
        expected_so_far_fen=pace.expected,
        gap_to_pace_fen=actual - pace.expected,
        forecast_fen=pace.forecast,
        status=status_of(target_fen, actual, pace.expected, pace.forecast, pace.started),
        days_elapsed=pace.days_elapsed,
        days_total=pace.days_total,
    )


def combine(parts: Sequence[Progress], *, campus_id: str | None = None) -> Progress:
    """The total of several progresses of one metric and period (e.g. the campus group).

    Targets, actuals, expected and forecasts add up (each campus paced by its own weights);
    attainment and status are recomputed from the sums.
    """
    if not parts:
        raise Invalid("parts", "没有可合计的进度")
    first = parts[0]
    target = sum(p.target_fen for p in parts)
    actual = sum(p.actual_fen for p in parts)
    expected = sum(p.expected_so_far_fen for p in parts)
    forecast = sum(p.forecast_fen for p in parts)
    started = first.today >= first.period.start
    return Progress(
        metric=first.metric,
        period=first.period,
        today=first.today,
        campus_id=campus_id,
        staff_id=None,
        role=None,
        target_fen=target,
        has_target=any(p.has_target for p in parts),
        actual_fen=actual,
        attainment=Fraction(actual, target) if target else None,
        expected_so_far_fen=expected,
        gap_to_pace_fen=actual - expected,
        forecast_fen=forecast,
        status=status_of(target, actual, expected, forecast, started),
        days_elapsed=first.days_elapsed,
        days_total=first.days_total,
    )


# --------------------------------------------------------------------------- targets


def _target(
    session: Session,
    campus_id: str,
    metric: Metric,
    period: Period,
    staff_id: str | None = None,
    role: str | None = None,
) -> int | None:
    stmt = select(Target.amount_fen).where(
        Target.campus_id == campus_id,
        Target.metric == metric,
        Target.period_kind == period.kind,
        Target.year == period.year,
        Target.month == period.month,
        Target.week == period.week,
        Target.is_deleted.is_(False),
    )
    if staff_id is None:
        stmt = stmt.where(Target.staff_id.is_(None))
    else:
        stmt = stmt.where(Target.staff_id == staff_id, Target.staff_role == TargetRole(role))
    return session.scalar(stmt.limit(1))


def _actual(
    session: Session,
    campus_id: str,
    metric: Metric,
    period: Period,
    staff_id: str | None = None,
    role: str | None = None,
) -> int:
    start, end = period.bounds
    if metric is Metric.REVENUE:
        return actuals.revenue(session, campus_id, start, end, staff_id=staff_id, role=role)
    return actuals.consumption(session, campus_id, start, end, teacher_id=staff_id)


def _progress(
    session: Session,
    campus: Campus,
    period: Period,
    metric: Metric,
    today: date,
    staff_id: str | None = None,
    role: str | None = None,
) -> Progress:
    return _make_progress(
        metric=metric,
        period=period,
        today=today,
        campus_id=campus.id,
        staff_id=staff_id,
        role=role,
        target=_target(session, campus.id, metric, period, staff_id, role),
        actual=_actual(session, campus.id, metric, period, staff_id, role),
        weights=period_weights(campus, period),
    )


def progress(
    session: Session,
    campus_id: str,
    period: Period,
    metric: Metric | str,
    *,
    staff_id: str | None = None,
    role: str | None = None,
    today: date,
) -> Progress:
    """Target, actual, 达成率, pace, forecast and status of a campus or a staff member.

    ``role`` is required for a staff member's 营业额 (``consultant`` or ``intent_teacher``);
    for 划课收入 it can only be ``teacher`` and may be left out.
    """
    campus = actuals.check_campus(session, campus_id)
    period = check_period(period)
    metric = check_metric(metric)
    today = check_today(today)
    if staff_id is None:
        if role is not None:
            raise Invalid("staff_id", "指定角色时必须指定员工")
        return _progress(session, campus, period, metric, today)
    staff = actuals.check_staff(session, staff_id, campus.id)
    role = _check_role(staff, metric, role)
    return _progress(session, campus, period, metric, today, staff.id, role)


# --------------------------------------------------------------------------- outlook


# The outlook reads many rows of a big campus: ids stay as their stored 16 bytes and hours as
# integer hundredths (the Hours column's storage) until the answer is built.
_Pair = tuple[bytes, bytes]  # (student, course)


def _hours(hundredths: int) -> Decimal:
    return Decimal(hundredths).scaleb(-2)


@dataclass
class _Draw:
    """One package while future lessons draw from it (hours in hundredths)."""

    order_id: bytes
    sold: int  # paid hours as sold
    amount_fen: int
    usable_paid: int  # after refunds
    usable_gift: int
    paid_used: int = 0
    gift_used: int = 0

    def take(self, need: int) -> tuple[int, int]:
        """Draw up to ``need`` (paid first, then gifted); return (hundredths taken, fen)."""
        taken = value = 0
        paid = min(need, self.usable_paid - self.paid_used)
        if paid > 0:
            # Valued by the 划課 rule itself, so a future hour is worth what marking it would be.
            package = Package("", _hours(self.sold), self.amount_fen, ZERO)
            value = package.value_of(_hours(self.paid_used), _hours(paid))
            self.paid_used += paid
            taken = paid
        gift = min(need - taken, self.usable_gift - self.gift_used)
        if gift > 0:
            self.gift_used += gift
            taken += gift
        return taken, value

    @property
    def exhausted(self) -> bool:
        """Whether no usable hour is left."""
        return self.paid_used >= self.usable_paid and self.gift_used >= self.usable_gift


@dataclass
class _Chain:
    """A student's packages of one course, oldest first; older than ``current`` are used up."""

    draws: list[_Draw]
    current: int = 0

    def take(self, need: int) -> tuple[int, int]:
        """Draw a lesson's hours oldest package first; return (hundredths taken, fen)."""
        taken = value = 0
        while need > taken and self.current < len(self.draws):
            got, fen = self.draws[self.current].take(need - taken)
            taken += got
            value += fen
            if self.draws[self.current].exhausted:
                self.current += 1
        return taken, value


_IN_CHUNK = 5000  # well under SQLite's limit on bound parameters


def _packages_in_use(session: Session, pairs: set[_Pair]) -> dict[_Pair, _Chain]:
    """Per (student, course): packages oldest first, each with the hours already used.

    Packages and refunds are read as :func:`shared.consumption.load_packages` reads them. The
    hours used come from the consumption entries, but only of the packages that can still hold
    hours: the 划課 rule fills packages oldest first (paid, then gifted, then the next), so once
    a package shows any use, every older one is full. The walk therefore starts at each
    student-course's newest package and steps back only past unused ones — usually one or two
    grouped queries over the current packages' entries, however long the history.
    """
    draws: dict[_Pair, list[_Draw]] = {}
    if not pairs:
        return {}
    hundredths = type_coerce(Order.hours, Integer), type_coerce(Order.gift_hours, Integer)
    columns = (
        raw_id(Order.id),
        raw_id(Order.student_id),
        raw_id(Order.course_id),
        type_coerce(Order.sign_type, String),
        *hundredths,
        Order.amount_fen,
        raw_id(Order.refund_of_id),
    )
    students = sorted({student for student, _ in pairs})
    orders: list[Row[Any]] = []
    for at in range(0, len(students), _IN_CHUNK):
        # A student's orders all fall in one chunk, so each chain keeps its order.
        orders += session.execute(
            select(*columns)
            .where(
                raw_id(Order.student_id).in_(students[at : at + _IN_CHUNK]),
                Order.is_deleted.is_(False),
            )
            .order_by(Order.signed_on, Order.created_at, Order.id)
        ).all()
    refunded: dict[bytes, tuple[int, int]] = {}
    for _, _, _, sign_type, hours, gift, _, refund_of in orders:
        if sign_type == SignType.REFUND and refund_of:
            r_hours, r_gift = refunded.get(refund_of, (0, 0))
            refunded[refund_of] = (r_hours + hours, r_gift + gift)
    for order_id, student, course, sign_type, hours, gift, amount, _ in orders:
        if sign_type == SignType.REFUND or (student, course) not in pairs:
            continue
        r_hours, r_gift = refunded.get(order_id, (0, 0))
        draw = _Draw(order_id, hours, amount, hours - r_hours, gift - r_gift)
        draws.setdefault((student, course), []).append(draw)

    chains = {pair: _Chain(chain) for pair, chain in draws.items()}
    pending = {pair: len(chain) - 1 for pair, chain in draws.items()}
    while pending:
        used = _hours_used(session, [draws[pair][i].order_id for pair, i in pending.items()])
        still: dict[_Pair, int] = {}
        for pair, i in pending.items():
            draw = draws[pair][i]
            draw.paid_used, draw.gift_used = used.get(draw.order_id, (0, 0))
            if draw.paid_used or draw.gift_used:
                chains[pair].current = i  # every older package is used up
            elif i > 0:
                still[pair] = i - 1
        pending = still
    return chains


def _hours_used(session: Session, order_ids: list[bytes]) -> dict[bytes, tuple[int, int]]:
    """(paid, gifted) hundredths consumed from each package, one grouped query per chunk."""
    used: dict[bytes, tuple[int, int]] = {}
    for at in range(0, len(order_ids), _IN_CHUNK):
        # Grouped by kind as stored, in the covering index's order (no sort step).
        rows = session.execute(
            select(
                raw_id(ConsumptionEntry.order_id),
                type_coerce(ConsumptionEntry.kind, String),
                func.sum(type_coerce(ConsumptionEntry.hours, Integer)),
            )
            .where(
                raw_id(ConsumptionEntry.order_id).in_(order_ids[at : at + _IN_CHUNK]),
                ConsumptionEntry.is_deleted.is_(False),
            )
            .group_by(ConsumptionEntry.order_id, ConsumptionEntry.kind)
        )
        for order_id, kind, hours in rows:
            paid, gift = used.get(order_id, (0, 0))
            is_gift = kind == ConsumptionKind.GIFTED
            used[order_id] = (paid, gift + hours) if is_gift else (paid + hours, gift)
    return used


def _outlook(
    session: Session,
    campus: Campus,
    period: Period,
    today: date,
    teacher_id: str | None,
) -> ConsumptionOutlook:
    """The outlook of one period."""
    start, end = period.bounds
    actual = actuals.consumption(session, campus.id, start, end, teacher_id=teacher_id)
    role = "teacher" if teacher_id else None
    target = _target(session, campus.id, Metric.CONSUMPTION, period, teacher_id, role)
    return _outlooks(session, campus, [(period, actual, target)], today, teacher_id)[0]


def _outlooks(
    session: Session,
    campus: Campus,
    wanted: Sequence[tuple[Period, int, int | None]],
    today: date,
    teacher_id: str | None,
) -> list[ConsumptionOutlook]:
    """The outlooks of several periods, each given with its (already read) actual and target.

    One walk over the timetable serves them all: the lessons are read from ``today`` to the
    latest period end and drawn in lesson order once; each period counts the ones it holds.
    """
    teacher = None if teacher_id is None else actuals.id_bytes(teacher_id)
    ranges = [period.bounds for period, _, _ in wanted]
    scheduled = [0] * len(wanted)
    counted: list[set[bytes]] = [set() for _ in wanted]
    # per period: (student, course) → [lessons, hundredths uncovered]
    shorts: list[dict[_Pair, list[int]]] = [{} for _ in wanted]
    last = max(end for _, end in ranges)
    if today <= last:
        # Every scheduled lesson from today on draws, in lesson order, even those before the
        # period or of other teachers: they use up hours first. Only the period's lessons (of
        # the teacher, when asked) are counted.
        rows = session.execute(
            select(
                raw_id(Lesson.id),
                Lesson.lesson_on,
                raw_id(Lesson.course_id),
                raw_id(Lesson.teacher_id),
                type_coerce(Lesson.hours, Integer),
                raw_id(LessonStudent.student_id),
            )
            .join(LessonStudent, LessonStudent.lesson_id == Lesson.id)
            .join(Student, Student.id == LessonStudent.student_id)
            .where(
                Lesson.campus_id == campus.id,
                Lesson.status == LessonStatus.SCHEDULED,
                Lesson.lesson_on >= today,
                Lesson.lesson_on <= last,
                Lesson.is_deleted.is_(False),
                LessonStudent.is_deleted.is_(False),
                LessonStudent.is_trial.is_(False),
                Student.is_deleted.is_(False),
            )
            .order_by(Lesson.lesson_on, Lesson.starts_at, Lesson.created_at, Lesson.id)
        ).all()
        chains = _packages_in_use(session, {(r[5], r[2]) for r in rows})
        for lesson_id, lesson_on, course, lesson_teacher, hours, student in rows:
            chain = chains.get((student, course))
            taken, value = chain.take(hours) if chain else (0, 0)
            need = hours - taken
            if teacher is not None and lesson_teacher != teacher:
                continue
            for i, (start, end) in enumerate(ranges):
                if not start <= lesson_on <= end:
                    continue
                counted[i].add(lesson_id)
                scheduled[i] += value
                if need > 0:
                    lessons_hours = shorts[i].setdefault((student, course), [0, 0])
                    lessons_hours[0] += 1
                    lessons_hours[1] += need
    named = _name_short(session, shorts)
    return [
        ConsumptionOutlook(
            campus_id=campus.id,
            teacher_id=teacher_id,
            period=period,
            today=today,
            actual_fen=actual,
            scheduled_fen=scheduled[i],
            scheduled_lessons=len(counted[i]),
            expected_total_fen=actual + scheduled[i],
            target_fen=target or 0,
            has_target=target is not None,
            out_of_hours=named[i],
        )
        for i, (period, actual, target) in enumerate(wanted)
    ]


def _by_name(row: OutOfHours) -> tuple[str, str, str, str]:
    return (row.student_name, row.student_id, row.course_name, row.course_id)


def _name_short(session: Session, shorts: list[dict[_Pair, list[int]]]) -> list[list[OutOfHours]]:
    """Each period's students short of hours, named (one lookup of the names for all)."""
    pairs = {pair for short in shorts for pair in short}
    if not pairs:
        return [[] for _ in shorts]
    students = dict(
        session.execute(
            select(raw_id(Student.id), Student.name).where(
                raw_id(Student.id).in_({s for s, _ in pairs})
            )
        ).all()
    )
    courses = dict(
        session.execute(
            select(raw_id(Course.id), Course.name).where(
                raw_id(Course.id).in_({c for _, c in pairs})
            )
        ).all()
    )
    named = []
    for short in shorts:
        rows = [
            OutOfHours(
                student_id=actuals.id_text(student),
                student_name=students.get(student, ""),
                course_id=actuals.id_text(course),
                course_name=courses.get(course, ""),
                lessons=lessons,
                uncovered_hours=_hours(hundredths),
            )
            for (student, course), (lessons, hundredths) in short.items()
        ]
        named.append(sorted(rows, key=_by_name))
    return named


def consumption_outlook(
    session: Session,
    campus_id: str,
    period: Period,
    *,
    today: date,
    teacher_id: str | None = None,
) -> ConsumptionOutlook:
    """课消预测: 划课收入 so far plus the value of the scheduled lessons still to come.

    Still to come: lessons with status scheduled dated from ``today`` to the period's end, for
    each enrolled non-trial student, valued as if the student attends and the lesson's hours are
    drawn by the 划课 rule (:mod:`shared.consumption`): from the student's remaining hours of
    that course, oldest package first, paid before gifted, at each package's unit price. A
    student whose hours run out contributes 0 for the uncovered hours and is listed in
    ``out_of_hours`` (a renewal to chase). Comparing ``expected_total_fen`` with the target
    tells the manager early that the month's consumption target will be missed.
    """
    campus = actuals.check_campus(session, campus_id)
    period = check_period(period)
    today = check_today(today)
    if teacher_id is not None:
        teacher = actuals.check_staff(session, teacher_id, campus.id, "teacher_id")
        teacher_id = actuals.check_teacher(teacher).id
    return _outlook(session, campus, period, today, teacher_id)


# --------------------------------------------------------------------------- ranking


def _rank_role(metric: Metric) -> tuple[Role, TargetRole]:
    if metric is Metric.REVENUE:
        return Role.CONSULTANT, TargetRole.CONSULTANT
    return Role.TEACHER, TargetRole.TEACHER


def _ranking(
    session: Session, campus_id: str | None, period: Period, metric: Metric
) -> list[RankRow]:
    start, end = period.bounds
    role, target_role = _rank_role(metric)
    if metric is Metric.REVENUE:
        amounts = actuals.revenue_by_staff(session, campus_id, start, end, "consultant")
    else:
        amounts = actuals.consumption_by_teacher(session, campus_id, start, end)
    people = select(Staff.id, Staff.name, Staff.roles, Staff.active, Campus.id, Campus.name).join(
        Campus, Campus.id == Staff.campus_id
    )
    people = people.where(Staff.is_deleted.is_(False), Campus.is_deleted.is_(False))
    targets = select(Target.staff_id, Target.amount_fen).where(
        Target.metric == metric,
        Target.period_kind == period.kind,
        Target.year == period.year,
        Target.month == period.month,
        Target.week == 0,
        Target.staff_role == target_role,
        Target.is_deleted.is_(False),
    )
    if campus_id is not None:
        people = people.where(Staff.campus_id == campus_id)
        targets = targets.where(Target.campus_id == campus_id)
    target_of = dict(session.execute(targets).all())
    listed = []
    for staff_id, name, roles, active, cid, campus_name in session.execute(people):
        amount = amounts.get(staff_id, 0)
        if (active and role.value in roles) or amount:
            listed.append((staff_id, name, cid, campus_name, amount))
    listed.sort(key=lambda p: (-p[4], p[1], p[0]))
    rows: list[RankRow] = []
    for i, (staff_id, name, cid, campus_name, amount) in enumerate(listed):
        rank = rows[-1].rank if rows and rows[-1].amount_fen == amount else i + 1
        target = target_of.get(staff_id)
        rows.append(
            RankRow(
                rank=rank,
                staff_id=staff_id,
                staff_name=name,
                campus_id=cid,
                campus_name=campus_name,
                amount_fen=amount,
                target_fen=target,
                attainment=Fraction(amount, target) if target else None,
            )
        )
    return rows


def ranking(
    session: Session, campus_id: str | None, year: int, month: int, metric: Metric | str
) -> list[RankRow]:
    """员工排行 of a month: consultants by 营业额 or teachers by 划课收入 (the module's rule).

    ``campus_id`` None ranks everyone of every campus together.
    """
    if campus_id is not None:
        campus_id = actuals.check_campus(session, campus_id).id
    period = Period.of_month(check_year(year), check_month(month))
    return _ranking(session, campus_id, period, check_metric(metric))


# --------------------------------------------------------------------------- task view


def _stage_target_filter(period: Period) -> list[ColumnElement[bool]]:
    conditions = [StageTarget.year == period.year]
    if period.kind in ("month", "week"):
        conditions.append(StageTarget.month == period.month)
    if period.kind == "week":
        conditions.append(StageTarget.week == period.week)
    return conditions


def _stage_targets(
    session: Session, campus_id: str, period: Period, staff_id: str | None
) -> dict[str, int]:
    """Stage target counts per stage id, summed over the period's weeks (campus or person)."""
    stmt = (
        select(StageTarget.stage_id, func.sum(StageTarget.target_count))
        .where(
            StageTarget.campus_id == campus_id,
            StageTarget.is_deleted.is_(False),
            *_stage_target_filter(period),
        )
        .group_by(StageTarget.stage_id)
    )
    if staff_id is None:
        stmt = stmt.where(StageTarget.staff_id.is_(None))
    else:
        stmt = stmt.where(StageTarget.staff_id == staff_id)
    return {stage_id: int(n) for stage_id, n in session.execute(stmt)}


def _active_stages(session: Session, campus_id: str) -> list[tuple[str, str, str]]:
    return [
        (r.id, r.code, r.name)
        for r in session.execute(
            select(Stage.id, Stage.code, Stage.name)
            .where(
                Stage.campus_id == campus_id,
                Stage.active.is_(True),
                Stage.is_deleted.is_(False),
            )
            .order_by(Stage.sort_order, Stage.code)
        )
    ]


def follow_ups_due(session: Session, staff_id: str, today: date) -> list[FollowUp]:
    """A person's open follow-ups due on or before ``today``, oldest due first."""
    staff = get_live(session, Staff, staff_id, "staff_id")
    today = check_today(today)
    rows = session.execute(
        select(CommunicationRecord, Parent.name, Student.name)
        .join(Parent, Parent.id == CommunicationRecord.parent_id)
        .outerjoin(Student, Student.id == CommunicationRecord.student_id)
        .where(
            CommunicationRecord.staff_id == staff.id,
            CommunicationRecord.is_deleted.is_(False),
            CommunicationRecord.follow_up_done.is_(False),
            CommunicationRecord.next_follow_up_on.is_not(None),
            CommunicationRecord.next_follow_up_on <= today,
        )
        .order_by(
            CommunicationRecord.next_follow_up_on,
            CommunicationRecord.occurred_on,
            CommunicationRecord.id,
        )
    ).all()
    result = []
    for record, parent_name, student_name in rows:
        due = record.next_follow_up_on
        assert due is not None
        result.append(
            FollowUp(
                record_id=record.id,
                parent_id=record.parent_id,
                parent_name=parent_name,
                student_id=record.student_id,
                student_name=student_name or "",
                due_on=due,
                days_overdue=(today - due).days,
                last_contact_on=record.occurred_on,
                channel=record.channel,
                content=record.content,
            )
        )
    return result


def task_view(session: Session, staff_id: str, period: Period, *, today: date) -> TaskView:
    """任务驱动: the person's targets against actuals for a week or month, and follow-ups due.

    Money tasks follow the person's roles: a consultant's 营业额 (consultant credit); a
    teacher's 划课收入 and, when they have a target for it or any credit, their 营业额 as
    intent teacher. Stage tasks list every active stage with a target naming the person or a
    count in the period, in the campus's stage order. Follow-ups are all open ones due by
    ``today``, whatever the period.
    """
    staff = get_live(session, Staff, staff_id, "staff_id")
    campus = actuals.check_campus(session, staff.campus_id)
    period = check_period(period)
    today = check_today(today)
    money: list[Progress] = []
    if staff.has_role(Role.CONSULTANT):
        money.append(
            _progress(session, campus, period, Metric.REVENUE, today, staff.id, "consultant")
        )
    if staff.has_role(Role.TEACHER):
        money.append(
            _progress(session, campus, period, Metric.CONSUMPTION, today, staff.id, "teacher")
        )
        as_intent = _progress(
            session, campus, period, Metric.REVENUE, today, staff.id, "intent_teacher"
        )
        if as_intent.has_target or as_intent.actual_fen:
            money.append(as_intent)
    start, end = period.bounds
    counts = actuals.stage_counts(session, campus.id, start, end, staff_id=staff.id)
    targets = _stage_targets(session, campus.id, period, staff.id)
    stages = [
        StageTask(stage_id, code, name, targets.get(stage_id), counts.get(code, 0))
        for stage_id, code, name in _active_stages(session, campus.id)
        if stage_id in targets or counts.get(code, 0)
    ]
    return TaskView(
        staff_id=staff.id,
        staff_name=staff.name,
        campus_id=campus.id,
        period=period,
        today=today,
        money=money,
        stages=stages,
        follow_ups=follow_ups_due(session, staff.id, today),
    )


# --------------------------------------------------------------------------- rollup


TOTAL_NAME = "合计"


def rollup(session: Session, period: Period, *, today: date) -> list[CampusRow]:
    """Every campus side by side (by code), then a total row (``campus_id`` None, 合计)."""
    period = check_period(period)
    today = check_today(today)
    campuses = session.scalars(
        select(Campus).where(Campus.is_deleted.is_(False)).order_by(Campus.code, Campus.id)
    ).all()
    rows = [
        CampusRow(
            campus.id,
            campus.name,
            _progress(session, campus, period, Metric.REVENUE, today),
            _progress(session, campus, period, Metric.CONSUMPTION, today),
        )
        for campus in campuses
    ]
    if rows:
        rows.append(
            CampusRow(
                None,
                TOTAL_NAME,
                combine([r.revenue for r in rows]),
                combine([r.consumption for r in rows]),
            )
        )
    return rows


# --------------------------------------------------------------------------- dashboard


def funnel(session: Session, campus_id: str, period: Period) -> list[FunnelRow]:
    """The period's stage counts against the campus-wide stage targets, in stage order."""
    campus = actuals.check_campus(session, campus_id)
    period = check_period(period)
    start, end = period.bounds
    counts = actuals.stage_counts(session, campus.id, start, end)
    targets = _stage_targets(session, campus.id, period, None)
    return [
        FunnelRow(code, name, counts.get(code, 0), targets.get(stage_id))
        for stage_id, code, name in _active_stages(session, campus.id)
    ]


def _campus_targets(
    session: Session, campus_id: str, year: int
) -> dict[tuple[Metric, str, int, int], int]:
    """Every campus target of a year (year, months, weeks), by (metric, kind, month, week)."""
    rows = session.execute(
        select(
            Target.metric, Target.period_kind, Target.month, Target.week, Target.amount_fen
        ).where(
            Target.campus_id == campus_id,
            Target.staff_id.is_(None),
            Target.year == year,
            Target.is_deleted.is_(False),
        )
    )
    return {(metric, str(kind), month, week): amount for metric, kind, month, week, amount in rows}


def dashboard(session: Session, campus_id: str, today: date) -> Dashboard:
    """The campus dashboard for the month of ``today``: progress, rankings, funnel, and the
    consumption outlooks of the month and the week.

    The same figures as :func:`progress`, :func:`ranking`, :func:`funnel` and
    :func:`consumption_outlook` (a test holds them equal), read with fewer queries: the year's
    campus targets at once, each period's 划课收入 read once for its progress and outlook, and
    one walk over the timetable for both outlooks.
    """
    campus = actuals.check_campus(session, campus_id)
    today = check_today(today)
    periods = (
        Period.of_year(today.year),
        Period.of_month(today.year, today.month),
        Period.containing("week", today),
    )
    month = periods[1]
    targets = _campus_targets(session, campus.id, today.year)
    bounds = [p.bounds for p in periods]
    amounts = {
        Metric.REVENUE: actuals.revenue_in_ranges(session, campus.id, bounds),
        Metric.CONSUMPTION: actuals.consumption_in_ranges(session, campus.id, bounds),
    }

    def both(metric: Metric) -> ProgressSet:
        return ProgressSet(
            *(
                _make_progress(
                    metric=metric,
                    period=p,
                    today=today,
                    campus_id=campus.id,
                    staff_id=None,
                    role=None,
                    target=targets.get((metric, p.kind, p.month, p.week)),
                    actual=actual,
                    weights=period_weights(campus, p),
                )
                for p, actual in zip(periods, amounts[metric], strict=True)
            )
        )

    consumption = both(Metric.CONSUMPTION)
    # This month's and this week's outlooks in one walk over the timetable, from the actuals
    # and targets already read (the week lies inside the month).
    month_outlook, week_outlook = _outlooks(
        session,
        campus,
        [
            (p, actual.actual_fen, targets.get((Metric.CONSUMPTION, p.kind, p.month, p.week)))
            for p, actual in ((month, consumption.month), (periods[2], consumption.week))
        ],
        today,
        None,
    )
    return Dashboard(
        campus_id=campus.id,
        campus_name=campus.name,
        today=today,
        revenue=both(Metric.REVENUE),
        consumption=consumption,
        revenue_ranking=_ranking(session, campus.id, month, Metric.REVENUE),
        consumption_ranking=_ranking(session, campus.id, month, Metric.CONSUMPTION),
        funnel=funnel(session, campus.id, month),
        outlook=month_outlook,
        week_outlook=week_outlook,
    )
