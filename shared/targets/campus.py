"""Campus targets in the database: save a year plan, change a parent, set a part by hand.

Every service takes the caller's session (one unit of work), computes the whole new plan first
and only then writes, so an ``Invalid`` leaves the database as it was even if the caller went
on to commit. Decisions:

* The year row is never "manual": it has no parent. Months and weeks carry ``is_manual``.
* Re-spreading is a pure function of the stored figures: the year amount, the manual months,
  the manual weeks, the method and the campus's day-weight profile. Automatic parts are
  recomputed; rows are only written when a figure or flag differs.
* ``set_month_target`` sets the month by hand (``is_manual``): the year stays as it was and
  the month's automatic siblings absorb the difference. The year target must exist first.
* Changing a week by hand re-spreads only its month's other automatic weeks (the months are
  not touched); changing a month re-spreads the year's other automatic months and every
  automatic week.
* The chosen :class:`SpreadMethod` is remembered per year and metric in
  ``Campus.settings["target_methods"]`` so later re-spreads (a month set by hand, a manual
  figure cleared) shape the automatic parts the same way. Seasonality re-reads last year's
  actuals each time.
* People's targets of a month whose campus figures changed are split again (see
  :mod:`shared.targets.staff`), and reported in the same :class:`ChangeReport`.
* So are the month's funnel stage targets (周环节目标) when the month was planned with
  :func:`shared.funnel.save_stage_targets`: they follow its new revenue weeks, hand-set counts
  kept (``ChangeReport.stage_changes``). Whether they can follow is checked before anything is
  written; when hand-set counts no longer fit, ``Invalid`` names the service's input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from .. import actuals
from ..day_weights import DayWeightProfile, holiday_data_available
from ..errors import Invalid
from ..models import Campus, Metric, Target
from ..periods import Period, check_year, month_bounds, weeks_of_month
from ..services.common import check_fen
from .spread import (
    DEFAULT_METHOD,
    MonthPlan,
    PlannedWeek,
    SpreadMethod,
    YearPlan,
    build_year_plan,
    check_method,
    check_month_overrides,
    plan_month,
    week_profile_for,
)
from .staff import resplit_staff_targets

if TYPE_CHECKING:
    from ..funnel import StageTargetChange
from .store import (
    ChangeReport,
    RowKey,
    TargetChange,
    campus_rows,
    check_metric,
    key_of,
    live_campus,
    remember_method,
    remembered_method,
    write_target,
)


def last_year_actuals(
    session: Session, campus_id: str, year: int, metric: Metric | str
) -> dict[int, int]:
    """The actual monthly totals of ``metric`` in ``year − 1``: the seasonality of ``year``.

    Measured by :func:`shared.actuals.revenue` (orders by sign date, refunds negative) or
    :func:`shared.actuals.consumption` (consumption entries by lesson date). Every month
    1..12 is present (0 when empty).
    """
    live_campus(session, campus_id)
    check_year(year)
    kind = check_metric(metric)
    # The one definition of each figure lives in shared.actuals; twelve small sums.
    measure = actuals.revenue if kind is Metric.REVENUE else actuals.consumption
    return {m: measure(session, campus_id, *month_bounds(year - 1, m)) for m in range(1, 13)}


def _method_for(
    campus: Campus, year: int, metric: Metric, method: SpreadMethod | str | None
) -> SpreadMethod:
    if method is not None:
        return check_method(method)
    return remembered_method(campus, year, metric) or DEFAULT_METHOD


def _plan(
    session: Session,
    campus: Campus,
    year: int,
    metric: Metric,
    amount_fen: int,
    method: SpreadMethod,
    manual_months: Mapping[int, int],
    manual_weeks: Mapping[int, Mapping[int, int]],
    field: str,
    week_field: str | None,
) -> YearPlan:
    history = (
        last_year_actuals(session, campus.id, year, metric)
        if method is SpreadMethod.SEASONALITY
        else None
    )
    return build_year_plan(
        year,
        amount_fen,
        method,
        DayWeightProfile.from_settings(campus.settings),
        overrides=manual_months,
        seasonality=history,
        week_overrides=manual_weeks,
        field=field,
        week_field=week_field,
    )


def preview_campus_year(
    session: Session,
    campus_id: str,
    year: int,
    metric: Metric | str,
    amount_fen: int,
    method: SpreadMethod | str | None = None,
    overrides: Mapping[object, object] | None = None,
) -> YearPlan:
    """Preview a campus's year with its own profile and history; writes nothing.

    ``method`` None means the method this year was last spread with, else ``day_weights``.
    """
    campus = live_campus(session, campus_id)
    check_year(year)
    kind = check_metric(metric)
    amount = check_fen(amount_fen, "amount_fen")
    chosen = _method_for(campus, year, kind, method)
    months = check_month_overrides(overrides)
    return _plan(session, campus, year, kind, amount, chosen, months, {}, "overrides", None)


def _manual_parts(
    rows: Mapping[RowKey, Target],
) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    months: dict[int, int] = {}
    weeks: dict[int, dict[int, int]] = {}
    for (kind, month, week), row in rows.items():
        if not row.is_manual:
            continue
        if kind == "month":
            months[month] = row.amount_fen
        elif kind == "week":
            weeks.setdefault(month, {})[week] = row.amount_fen
    return months, weeks


def _write_month(
    session: Session,
    campus_id: str,
    metric: Metric,
    month: MonthPlan,
    rows: Mapping[RowKey, Target],
    with_month_row: bool,
) -> list[TargetChange]:
    parts: list[tuple[Period, int, bool]] = [
        (w.period, w.amount_fen, w.is_manual) for w in month.weeks
    ]
    if with_month_row:
        parts.insert(0, (month.period, month.amount_fen, month.is_manual))
    changes = []
    for period, amount, is_manual in parts:
        change = write_target(
            session,
            rows.get((period.kind, period.month, period.week)),
            campus_id=campus_id,
            metric=metric,
            period=period,
            amount_fen=amount,
            is_manual=is_manual,
        )
        if change is not None:
            changes.append(change)
    return changes


def _check_stage_plans(
    session: Session,
    campus_id: str,
    metric: Metric,
    months: Iterable[MonthPlan],
    rows: Mapping[RowKey, Target],
    field: str,
) -> None:
    """Before writing: refuse new revenue weeks that hand-set stage counts cannot follow."""
    if metric is not Metric.REVENUE:
        return
    from ..funnel import check_stage_plan_follows  # the funnel module builds on this package

    for month in months:
        stored = [rows.get(key_of(w.period)) for w in month.weeks]
        if all(
            r is not None and r.amount_fen == w.amount_fen
            for r, w in zip(stored, month.weeks, strict=True)
        ):
            continue
        weeks = [w.amount_fen for w in month.weeks]
        check_stage_plan_follows(session, campus_id, month.period.year, month.month, weeks, field)


def _finish(
    session: Session, campus_id: str, metric: Metric, changes: list[TargetChange]
) -> tuple[list[TargetChange], tuple[StageTargetChange, ...]]:
    """Flush, then re-split people's targets of every month whose campus figures changed, and
    let the month's funnel stage targets follow its revenue weeks."""
    session.flush()
    touched = sorted({(c.period.year, c.period.month) for c in changes if c.period.month})
    stage_changes: list[StageTargetChange] = []
    for year, month in touched:
        changes += resplit_staff_targets(session, campus_id, year, month, metric)
    if metric is Metric.REVENUE:
        from ..funnel import follow_stage_plan

        for year, month in touched:
            stage_changes += follow_stage_plan(session, campus_id, year, month)
    return changes, tuple(stage_changes)


def _save(
    session: Session,
    campus: Campus,
    metric: Metric,
    plan: YearPlan,
    rows: Mapping[RowKey, Target],
    field: str,
) -> ChangeReport:
    _check_stage_plans(session, campus.id, metric, plan.months, rows, field)
    changes: list[TargetChange] = []
    year_change = write_target(
        session,
        rows.get(("year", 0, 0)),
        campus_id=campus.id,
        metric=metric,
        period=plan.period,
        amount_fen=plan.amount_fen,
        is_manual=False,
    )
    if year_change is not None:
        changes.append(year_change)
    for month in plan.months:
        changes += _write_month(session, campus.id, metric, month, rows, with_month_row=True)
    remember_method(campus, plan.year, metric, plan.method)
    written, stage_changes = _finish(session, campus.id, metric, changes)
    return ChangeReport(
        tuple(written), plan.method, plan.method_used, plan.fallback_reason, stage_changes
    )


def _check_plan(plan: YearPlan) -> None:
    """Refuse a plan (possibly built by a client) whose levels do not add up exactly."""
    if not isinstance(plan, YearPlan):
        raise Invalid("plan", "不是年度分解方案")
    year = check_year(plan.year, "plan.year")
    check_fen(plan.amount_fen, "plan.amount_fen")
    check_method(plan.method, "plan.method")
    expected = [Period("month", year, m) for m in range(1, 13)]
    if [m.period for m in plan.months] != expected:
        raise Invalid("plan.months", "必须依次包含 1 到 12 月")
    for month in plan.months:
        field = f"plan.months[{month.month}]"
        check_fen(month.amount_fen, f"{field}.amount_fen")
        weeks = [
            Period("week", year, month.month, w.index) for w in weeks_of_month(year, month.month)
        ]
        if [w.period for w in month.weeks] != weeks:
            raise Invalid(f"{field}.weeks", "周的划分与该月不符")
        for week in month.weeks:
            check_fen(week.amount_fen, f"{field}.weeks[{week.period.week}].amount_fen")
        if sum(w.amount_fen for w in month.weeks) != month.amount_fen:
            raise Invalid(f"{field}.weeks", "各周目标之和必须等于月目标")
    if sum(m.amount_fen for m in plan.months) != plan.amount_fen:
        raise Invalid("plan.months", "各月目标之和必须等于年度目标")


def save_year_plan(
    session: Session, campus_id: str, metric: Metric | str, plan: YearPlan
) -> ChangeReport:
    """Write a (previewed) year plan as the campus's targets, updating rows in place.

    The plan is taken as it is: its manual flags replace the stored ones.
    """
    campus = live_campus(session, campus_id)
    kind = check_metric(metric)
    _check_plan(plan)
    rows = campus_rows(session, campus.id, kind, plan.year)
    return _save(session, campus, kind, plan, rows, "plan")


def set_year_target(
    session: Session,
    campus_id: str,
    year: int,
    metric: Metric | str,
    amount_fen: int,
    method: SpreadMethod | str | None = None,
) -> ChangeReport:
    """Set (or change) a year's target; re-spread every part not set by hand.

    ``method`` None means the method this year was last spread with, else ``day_weights``.
    Manual months and weeks keep their figures; when they no longer fit, ``Invalid`` names
    ``amount_fen``.
    """
    campus = live_campus(session, campus_id)
    check_year(year)
    kind = check_metric(metric)
    amount = check_fen(amount_fen, "amount_fen")
    chosen = _method_for(campus, year, kind, method)
    rows = campus_rows(session, campus.id, kind, year)
    months, weeks = _manual_parts(rows)
    plan = _plan(
        session, campus, year, kind, amount, chosen, months, weeks, "amount_fen", "amount_fen"
    )
    return _save(session, campus, kind, plan, rows, "amount_fen")


def _check_part(period: Period) -> Period:
    if not isinstance(period, Period):
        raise Invalid("period", "不是有效的周期")
    if period.kind == "month":
        return Period.of_month(period.year, period.month)
    if period.kind == "week":
        return Period.of_week(period.year, period.month, period.week)
    raise Invalid("period", "只能手工设定月目标或周目标；年度目标请直接修改")


def _replan_part(
    session: Session,
    campus: Campus,
    metric: Metric,
    part: Period,
    rows: Mapping[RowKey, Target],
    months: dict[int, int],
    weeks: dict[int, dict[int, int]],
    field: str,
) -> ChangeReport:
    """Re-spread after the manual set of a month or week changed (``months``/``weeks``)."""
    year_row = rows.get(("year", 0, 0))
    if year_row is None:
        raise Invalid("year", f"{part.year}年还没有年度目标，请先设定年度目标")
    method = remembered_method(campus, part.year, metric) or DEFAULT_METHOD
    if part.kind == "month":
        plan = _plan(
            session,
            campus,
            part.year,
            metric,
            year_row.amount_fen,
            method,
            months,
            weeks,
            field,
            field,
        )
        return _save(session, campus, metric, plan, rows, field)
    month_row = rows.get(("month", part.month, 0))
    if month_row is None:  # a year row always comes with its months; guard a foreign file
        raise Invalid("period", f"{part.year}年{part.month}月还没有月目标")
    month = plan_month(
        part.year,
        part.month,
        month_row.amount_fen,
        is_manual=month_row.is_manual,
        week_profile=week_profile_for(method, DayWeightProfile.from_settings(campus.settings)),
        week_overrides=weeks.get(part.month, {}),
        field=field,
    )
    _check_stage_plans(session, campus.id, metric, [month], rows, field)
    changes = _write_month(session, campus.id, metric, month, rows, with_month_row=False)
    written, stage_changes = _finish(session, campus.id, metric, changes)
    return ChangeReport(tuple(written), stage_changes=stage_changes)


def set_part_manually(
    session: Session, campus_id: str, period: Period, metric: Metric | str, amount_fen: int
) -> ChangeReport:
    """Set one month or week by hand; its automatic siblings absorb the difference.

    The parent's total stays as it is; a month set by hand also re-spreads its own weeks.
    """
    campus = live_campus(session, campus_id)
    part = _check_part(period)
    kind = check_metric(metric)
    amount = check_fen(amount_fen, "amount_fen")
    rows = campus_rows(session, campus.id, kind, part.year)
    months, weeks = _manual_parts(rows)
    if part.kind == "month":
        months[part.month] = amount
    else:
        weeks.setdefault(part.month, {})[part.week] = amount
    return _replan_part(session, campus, kind, part, rows, months, weeks, "amount_fen")


def set_month_target(
    session: Session, campus_id: str, year: int, month: int, metric: Metric | str, amount_fen: int
) -> ChangeReport:
    """Set a month's target by hand: its automatic weeks re-spread, the year stays whole.

    The other automatic months absorb the difference (see :func:`set_part_manually`).
    """
    return set_part_manually(session, campus_id, Period.of_month(year, month), metric, amount_fen)


def clear_manual(
    session: Session, campus_id: str, period: Period, metric: Metric | str
) -> ChangeReport:
    """Return a hand-set month or week to automatic and re-spread it with its siblings."""
    campus = live_campus(session, campus_id)
    part = _check_part(period)
    kind = check_metric(metric)
    rows = campus_rows(session, campus.id, kind, part.year)
    if (part.kind, part.month, part.week) not in rows:
        raise Invalid("period", f"{part.label}还没有目标")
    months, weeks = _manual_parts(rows)
    if part.kind == "month":
        months.pop(part.month, None)
    else:
        weeks.get(part.month, {}).pop(part.week, None)
    return _replan_part(session, campus, kind, part, rows, months, weeks, "period")


def load_year_plan(
    session: Session, campus_id: str, year: int, metric: Metric | str
) -> YearPlan | None:
    """The saved targets of a year as a plan (None when the year has no target yet)."""
    campus = live_campus(session, campus_id)
    check_year(year)
    kind = check_metric(metric)
    rows = campus_rows(session, campus.id, kind, year)
    year_row = rows.get(("year", 0, 0))
    if year_row is None:
        return None
    months = []
    for m in range(1, 13):
        month_row = rows.get(("month", m, 0))
        if month_row is None:
            continue
        weeks = tuple(
            PlannedWeek(Period("week", year, m, w.index), row.amount_fen, row.is_manual)
            for w in weeks_of_month(year, m)
            if (row := rows.get(("week", m, w.index))) is not None
        )
        months.append(
            MonthPlan(
                Period("month", year, m),
                month_row.amount_fen,
                month_row.is_manual,
                weeks,
                holiday_data_available(year),
            )
        )
    method = remembered_method(campus, year, kind) or DEFAULT_METHOD
    return YearPlan(
        Period("year", year),
        year_row.amount_fen,
        method,
        method,
        tuple(months),
        holiday_data_available(year),
    )
