"""The current year's targets of one demo campus, set the way a manager would set them.

The figures are chosen here (last year's actuals plus some growth; the manager's weights from
last year's results); the splitting is the product's own, so the rows are exactly what the
target screens would have saved:

* campus year → months → weeks-of-month: :func:`shared.targets.spread.preview_year` with the
  default method (the campus's day weights: weekends and school holidays weigh more);
* people: each role's month split from the campus month by weight in staff-id order, and their
  weeks by :func:`shared.targets.spread.split_grid`, as :mod:`shared.targets.staff` does —
  consultants and intent teachers by the manager's weights, teachers by the value of the
  lessons they have scheduled in the month (months without a timetable yet get none);
* 周环节目标: the funnel stages from each week's revenue target with
  :func:`shared.funnel.plan_stage_targets` and the campus's own rates, shared out among the
  consultants by their month order targets; the other stages set by hand from last year's
  weekly counts.

Every level adds up exactly, to the fen (DESIGN.md invariant 4).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from ..day_weights import DayWeightProfile
from ..funnel import FUNNEL_STAGES, FunnelRates, plan_stage_targets
from ..models import Metric, PeriodKind, TargetRole
from ..money import round_half_up, split_by_weights
from ..periods import weeks_of_month
from ..targets.spread import DEFAULT_METHOD, preview_year, split_grid
from .rows import RowSink, utc_text


@dataclass
class CampusActuals:
    """What a campus achieved, as its targets are derived from it (ids are raw 16 bytes)."""

    campus_id: bytes
    settings: Mapping[str, Any]
    consultants: list[bytes]
    teachers: list[bytes]
    stage_ids: dict[str, bytes]
    revenue: dict[tuple[int, int], int]  # (year, month) → fen, refunds included
    consumption: dict[tuple[int, int], int]
    consultant_revenue: dict[bytes, int]  # last year
    intent_revenue: dict[bytes, int]  # last year, orders crediting a teacher
    lesson_values: dict[int, dict[bytes, int]]  # month of this year → teacher → lesson value
    stage_counts: dict[str, int]  # last year, whole campus
    funnel_rates: FunnelRates


def write_targets(
    sink: RowSink,
    ids: Callable[[], bytes],
    rng: random.Random,
    year: int,
    actuals: CampusActuals,
) -> None:
    """Queue the campus's Target and StageTarget rows for ``year``."""
    stamp = utc_text(date(year - 1, 12, rng.randrange(15, 29)), 600)
    campus = actuals.campus_id

    def target(
        metric: Metric, kind: PeriodKind, month: int, week: int, amount: int,
        staff: bytes | None = None, role: TargetRole | None = None,
    ) -> None:
        sink.add(
            "targets", ids(), stamp, stamp,
            (
                campus, metric.value, kind.value, year, month, week, staff,
                role.value if role else None, amount, 0,
            ),
        )

    profile = DayWeightProfile.from_settings(actuals.settings)
    weeks: dict[Metric, dict[int, list[int]]] = {}
    months: dict[Metric, dict[int, int]] = {}
    for metric, history in (
        (Metric.REVENUE, actuals.revenue),
        (Metric.CONSUMPTION, actuals.consumption),
    ):
        plan = preview_year(year, _year_target(history, year, rng), DEFAULT_METHOD, profile)
        target(metric, PeriodKind.YEAR, 0, 0, plan.amount_fen)
        months[metric] = {}
        weeks[metric] = {}
        for month in plan.months:
            target(metric, PeriodKind.MONTH, month.month, 0, month.amount_fen)
            for week in month.weeks:
                target(metric, PeriodKind.WEEK, month.month, week.period.week, week.amount_fen)
            months[metric][month.month] = month.amount_fen
            weeks[metric][month.month] = [w.amount_fen for w in month.weeks]

    # The manager weighs consultants and intent teachers by last year's results (a floor
    # keeps newcomers in); teachers are weighed by the lessons they have on the timetable.
    consultant_weights = _with_floor(actuals.consultants, actuals.consultant_revenue)
    intent_weights = _with_floor(actuals.teachers, actuals.intent_revenue)
    consultant_months: dict[int, list[tuple[bytes, int]]] = {}
    for month in range(1, 13):
        for role, metric, weights in (
            (TargetRole.CONSULTANT, Metric.REVENUE, consultant_weights),
            (TargetRole.INTENT_TEACHER, Metric.REVENUE, intent_weights),
            (
                TargetRole.TEACHER,
                Metric.CONSUMPTION,
                sorted((t, v) for t, v in actuals.lesson_values.get(month, {}).items() if v > 0),
            ),
        ):
            if not weights:
                continue  # no timetable for the month yet: teachers' targets come later
            split = _split_people(months[metric][month], weeks[metric][month], weights)
            for staff, amount, week_amounts in split:
                target(metric, PeriodKind.MONTH, month, 0, amount, staff, role)
                for index, fen in enumerate(week_amounts, start=1):
                    target(metric, PeriodKind.WEEK, month, index, fen, staff, role)
            if role is TargetRole.CONSULTANT:
                consultant_months[month] = [(s, a) for s, a, _ in split]

    _write_stage_targets(sink, ids, stamp, year, actuals, weeks[Metric.REVENUE],
                         consultant_months)


def _year_target(history: dict[tuple[int, int], int], year: int, rng: random.Random) -> int:
    """Last year's actual plus 6–15 % growth, rounded to a thousand yuan."""
    base = sum(max(0, history.get((year - 1, m), 0)) for m in range(1, 13))
    if base <= 0:
        # No last year (a young campus): annualise what this year has brought so far.
        this_year = [v for (y, _), v in history.items() if y == year]
        base = max(0, sum(this_year)) * 12 // max(1, len(this_year))
    growth = Fraction(rng.randrange(106, 116), 100)
    return round_half_up(base * growth / 100_000) * 100_000


def _with_floor(people: list[bytes], results: Mapping[bytes, int]) -> list[tuple[bytes, int]]:
    """(person, weight) in staff-id order; everyone gets at least a tenth of the average."""
    raw = [max(0, results.get(p, 0)) for p in people]
    floor = max(1, sum(raw) // (10 * len(raw))) if raw else 1
    return sorted((p, max(w, floor)) for p, w in zip(people, raw, strict=True))


def _split_people(
    month_total: int, week_totals: list[int], weights: list[tuple[bytes, int]]
) -> list[tuple[bytes, int, list[int]]]:
    """A campus month over people by weight, and each person's weeks (as targets.staff does)."""
    people_months = split_by_weights(month_total, [w for _, w in weights])
    grid = split_grid(people_months, week_totals)
    return [
        (staff, amount, week_amounts)
        for (staff, _), amount, week_amounts in zip(weights, people_months, grid, strict=True)
    ]


def _write_stage_targets(
    sink: RowSink,
    ids: Callable[[], bytes],
    stamp: str,
    year: int,
    actuals: CampusActuals,
    revenue_weeks: dict[int, list[int]],
    consultant_months: dict[int, list[tuple[bytes, int]]],
) -> None:
    """周环节目标 for every week of the year, campus-wide and per consultant."""
    for month in range(1, 13):
        owners = consultant_months.get(month, [])
        for index, week_revenue in enumerate(revenue_weeks[month], start=1):
            funnel = plan_stage_targets(week_revenue, actuals.funnel_rates)
            days = len(_week_days(year, month, index))
            for code, stage_id in actuals.stage_ids.items():
                if code in FUNNEL_STAGES:
                    count, manual = funnel[code], 0
                else:
                    # Set by hand: last year's weekly average plus a tenth, for this week's days.
                    weekly = Fraction(actuals.stage_counts.get(code, 0), 52) * Fraction(11, 10)
                    count, manual = round_half_up(weekly * days / 7), 1
                sink.add(
                    "stage_targets", ids(), stamp, stamp,
                    (actuals.campus_id, stage_id, None, year, month, index, count, manual),
                )
                if not owners or sum(w for _, w in owners) == 0:
                    continue
                shares = split_by_weights(count, [w for _, w in owners])
                for (staff, _), share in zip(owners, shares, strict=True):
                    sink.add(
                        "stage_targets", ids(), stamp, stamp,
                        (actuals.campus_id, stage_id, staff, year, month, index, share, manual),
                    )


def _week_days(year: int, month: int, index: int) -> list[date]:
    return weeks_of_month(year, month)[index - 1].days
