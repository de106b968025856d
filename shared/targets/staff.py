"""Week → people: staff order targets (员工订单目标金额) and teachers' consumption targets.

A person's targets for a month are split from the campus month target and never set apart
from it, so the people of one role always add up to the campus, to the fen:

* Each person's month is the campus month split by their weight (largest remainder, people in
  staff-id order so the result does not depend on the order of a mapping).
* Each person's weeks are a table with the people's months as row totals and the campus weeks
  as column totals (:func:`shared.targets.spread.split_grid`): a person's weeks add up to their
  month, and everyone's week figures add up to the campus week. A person's weekly pace
  therefore follows the campus's (holidays and weekends included).
* 课程顾问任务额 (``consultant``) needs the consultant role; 意向教师任务额
  (``intent_teacher``) the teacher role; both are 营业额 targets.
* Teachers' 划课收入 targets are weighted by the value of the lessons each teacher has
  scheduled in the month: hours × the course's price per hour × enrolled non-trial students,
  over non-deleted, non-cancelled lessons. Lessons of a deleted or inactive teacher, or of
  someone without the teacher role, are left out (nobody can be judged on them).
* Re-splitting replaces the month's set for that role: people left out are tombstoned.
* When the campus month or its weeks change later (a re-spread), the people's targets follow:
  they are split again with their current month figures as weights (equal weights when all are
  zero), so the proportions the manager chose survive and every sum stays exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import Invalid
from ..models import (
    Course,
    Lesson,
    LessonStatus,
    LessonStudent,
    Metric,
    Role,
    Staff,
    Target,
    TargetRole,
)
from ..money import split_by_weights
from ..periods import Period, check_month, check_year, month_bounds, weeks_of_month
from ..services.common import check_uuid
from .spread import PlannedWeek, split_grid
from .store import (
    ChangeReport,
    TargetChange,
    campus_rows,
    live_campus,
    remove_targets,
    staff_rows,
    write_target,
)

ROLE_METRIC: dict[TargetRole, Metric] = {
    TargetRole.CONSULTANT: Metric.REVENUE,
    TargetRole.INTENT_TEACHER: Metric.REVENUE,
    TargetRole.TEACHER: Metric.CONSUMPTION,
}

# The staff role a person needs to hold a target of each kind.
ROLE_NEEDED: dict[TargetRole, Role] = {
    TargetRole.CONSULTANT: Role.CONSULTANT,
    TargetRole.INTENT_TEACHER: Role.TEACHER,
    TargetRole.TEACHER: Role.TEACHER,
}

MAX_WEIGHT = 1_000_000


@dataclass(frozen=True, slots=True)
class StaffPlan:
    """One person's target for a month and each of its weeks (the weeks add up to the month)."""

    staff_id: str
    staff_role: TargetRole
    metric: Metric
    period: Period
    amount_fen: int
    weeks: tuple[PlannedWeek, ...]


def check_staff_weights(
    session: Session,
    campus_id: str,
    weights: Mapping[str, int],
    role: Role,
    field: str = "weights",
) -> list[tuple[str, int]]:
    """Accept ``{staff_id: weight}`` for live, active staff of the campus holding ``role``.

    Returns ``(staff_id, weight)`` pairs in staff-id order. Every problem is an ``Invalid``
    naming ``field[<staff id>]`` (or ``field`` for an empty map or a zero sum).
    """
    if not isinstance(weights, Mapping) or not weights:
        raise Invalid(field, "至少需要一名员工及其权重")
    checked: dict[str, int] = {}
    for raw_id, weight in weights.items():
        item = f"{field}[{raw_id}]"
        staff_id = check_uuid(raw_id, item)
        if staff_id in checked:
            raise Invalid(item, "同一名员工出现了两次")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            raise Invalid(item, "权重必须是不小于零的整数")
        if weight > MAX_WEIGHT:
            raise Invalid(item, f"权重不能超过 {MAX_WEIGHT}")
        staff = session.get(Staff, staff_id)
        if staff is None or staff.is_deleted:
            raise Invalid(item, "员工不存在或已删除")
        if staff.campus_id != campus_id:
            raise Invalid(item, f"{staff.name} 不属于该校区")
        if not staff.active:
            raise Invalid(item, f"{staff.name} 已停用")
        if not staff.has_role(role):
            raise Invalid(item, f"{staff.name} 没有所需的角色（{role.value}）")
        checked[staff_id] = weight
    if sum(checked.values()) == 0:
        raise Invalid(field, "权重之和不能为零")
    return sorted(checked.items())


def check_target_role(role: TargetRole | str, allowed: Sequence[TargetRole]) -> TargetRole:
    """Accept one of the ``allowed`` target roles by value."""
    for candidate in allowed:
        if role == candidate.value:
            return candidate
    names = "、".join(r.value for r in allowed)
    raise Invalid("role", f"必须是 {names} 之一：{role!r}")


def campus_month_targets(
    session: Session, campus_id: str, metric: Metric, year: int, month: int
) -> tuple[int, list[int]]:
    """The campus's month target and its week targets in order; Invalid("month") if unset."""
    rows = campus_rows(session, campus_id, metric, year, month)
    month_row = rows.get(("month", month, 0))
    weeks = weeks_of_month(year, month)
    week_rows = [rows.get(("week", month, w.index)) for w in weeks]
    if month_row is None or any(r is None for r in week_rows):
        label = "营业额" if metric is Metric.REVENUE else "划课收入"
        raise Invalid("month", f"{year}年{month}月还没有校区{label}目标，请先设定年度目标")
    return month_row.amount_fen, [r.amount_fen for r in week_rows if r is not None]


def _write_split(
    session: Session,
    campus_id: str,
    year: int,
    month: int,
    role: TargetRole,
    weights: Sequence[tuple[str, int | Decimal | Fraction]],
) -> list[TargetChange]:
    """Split the campus month (and weeks) over people by weight and write their targets."""
    metric = ROLE_METRIC[role]
    month_total, week_totals = campus_month_targets(session, campus_id, metric, year, month)
    staff_months = split_by_weights(month_total, [w for _, w in weights])
    grid = split_grid(staff_months, week_totals)
    existing = staff_rows(session, campus_id, metric, role, year, month)
    month_period = Period("month", year, month)
    changes: list[TargetChange] = []
    for (staff_id, _), amount, week_amounts in zip(weights, staff_months, grid, strict=True):
        rows = existing.pop(staff_id, {})
        parts = [(month_period, amount)] + [
            (Period("week", year, month, w), fen) for w, fen in enumerate(week_amounts, start=1)
        ]
        for period, fen in parts:
            change = write_target(
                session,
                rows.pop(period.week, None),
                campus_id=campus_id,
                metric=metric,
                period=period,
                amount_fen=fen,
                is_manual=False,
                staff_id=staff_id,
                staff_role=role,
            )
            if change is not None:
                changes.append(change)
        changes += remove_targets(rows.values())  # weeks that no longer exist, if any
    for rows in existing.values():  # people no longer in the split
        changes += remove_targets(rows.values())
    session.flush()
    return changes


def split_staff_order_targets(
    session: Session,
    campus_id: str,
    year: int,
    month: int,
    role: TargetRole | str,
    weights: Mapping[str, int],
) -> ChangeReport:
    """Set consultants' or intent teachers' order targets for a month and its weeks.

    The campus month 营业额 target is split by ``weights`` (``{staff_id: int}``, set by the
    manager); people of that role not in ``weights`` lose their targets for the month.
    """
    live_campus(session, campus_id)
    check_year(year)
    check_month(month)
    target_role = check_target_role(role, (TargetRole.CONSULTANT, TargetRole.INTENT_TEACHER))
    checked = check_staff_weights(session, campus_id, weights, ROLE_NEEDED[target_role])
    return ChangeReport(tuple(_write_split(session, campus_id, year, month, target_role, checked)))


def scheduled_lesson_values(
    session: Session, campus_id: str, year: int, month: int
) -> dict[str, Decimal]:
    """Each teacher's scheduled lesson value in a month, in fen (may carry fractions of a fen).

    Value of a lesson = its hours × the course's price per hour × its enrolled non-trial
    students; non-deleted, non-cancelled lessons only.
    """
    start, end = month_bounds(year, month)
    enrolled = (
        select(LessonStudent.lesson_id, func.count().label("students"))
        .where(LessonStudent.is_deleted.is_(False), LessonStudent.is_trial.is_(False))
        .group_by(LessonStudent.lesson_id)
        .subquery()
    )
    query = (
        select(Lesson.teacher_id, Lesson.hours, Course.price_per_hour_fen, enrolled.c.students)
        .join(Course, Course.id == Lesson.course_id)
        .join(enrolled, enrolled.c.lesson_id == Lesson.id)
        .where(
            Lesson.campus_id == campus_id,
            Lesson.lesson_on >= start,
            Lesson.lesson_on <= end,
            Lesson.is_deleted.is_(False),
            Lesson.status != LessonStatus.CANCELLED,
        )
    )
    values: dict[str, Decimal] = {}
    for teacher_id, hours, price, students in session.execute(query):
        values[teacher_id] = values.get(teacher_id, Decimal(0)) + hours * price * students
    return values


def split_teacher_consumption_targets(
    session: Session, campus_id: str, year: int, month: int
) -> ChangeReport:
    """Set teachers' 划课收入 targets for a month and its weeks from their scheduled lessons."""
    live_campus(session, campus_id)
    check_year(year)
    check_month(month)
    weights: list[tuple[str, int | Decimal | Fraction]] = []
    for teacher_id, value in sorted(
        scheduled_lesson_values(session, campus_id, year, month).items()
    ):
        teacher = session.get(Staff, teacher_id)
        if value <= 0 or teacher is None or teacher.is_deleted:
            continue
        if teacher.campus_id != campus_id or not teacher.active:
            continue
        if teacher.has_role(Role.TEACHER):
            weights.append((teacher_id, value))
    if not weights:
        raise Invalid("month", f"{year}年{month}月没有任何教师排了有在读学员的课，无法分解划课目标")
    changes = _write_split(session, campus_id, year, month, TargetRole.TEACHER, weights)
    return ChangeReport(tuple(changes))


def resplit_staff_targets(
    session: Session, campus_id: str, year: int, month: int, metric: Metric
) -> list[TargetChange]:
    """Re-split people's targets of a month after the campus month or weeks changed."""
    changes: list[TargetChange] = []
    for role, role_metric in ROLE_METRIC.items():
        if role_metric is not metric:
            continue
        existing = staff_rows(session, campus_id, metric, role, year, month)
        weights: list[tuple[str, int]] = []
        for staff_id, rows in sorted(existing.items()):
            staff = session.get(Staff, staff_id)
            if staff is None or staff.is_deleted:
                changes += remove_targets(rows.values())
                continue
            month_row = rows.get(0)
            weights.append(
                (
                    staff_id,
                    month_row.amount_fen if month_row else sum(r.amount_fen for r in rows.values()),
                )
            )
        if not weights:
            continue
        if sum(w for _, w in weights) == 0:
            weights = [(staff_id, 1) for staff_id, _ in weights]
        changes += _write_split(session, campus_id, year, month, role, weights)
    return changes


def load_staff_targets(
    session: Session, campus_id: str, year: int, month: int, role: TargetRole | str
) -> tuple[StaffPlan, ...]:
    """The saved targets of one role for a month, per person (staff-id order)."""
    live_campus(session, campus_id)
    check_year(year)
    check_month(month)
    target_role = check_target_role(role, tuple(TargetRole))
    metric = ROLE_METRIC[target_role]
    plans = []
    for staff_id, rows in sorted(
        staff_rows(session, campus_id, metric, target_role, year, month).items()
    ):
        month_row: Target | None = rows.get(0)
        weeks = tuple(
            PlannedWeek(Period("week", year, month, w), rows[w].amount_fen, rows[w].is_manual)
            for w in sorted(rows)
            if w != 0
        )
        amount = month_row.amount_fen if month_row else sum(w.amount_fen for w in weeks)
        plans.append(
            StaffPlan(staff_id, target_role, metric, Period("month", year, month), amount, weeks)
        )
    return tuple(plans)
