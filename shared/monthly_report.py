"""月度业绩报告: the figures of the monthly performance report, assembled from the engine.

Nothing is computed here that the engine does not already compute: attainment, pace and status
come from :func:`shared.progress.progress` and :func:`~shared.progress.combine`, rankings from
:func:`~shared.progress.ranking`, the funnel from :func:`~shared.progress.funnel`, the weak
stage, trial and student analysis from :mod:`shared.diagnosis`, the campuses side by side from
:func:`~shared.progress.rollup`. The renderer (``desktop.render``) only lays these out.

Decisions:

* The report is **as of** the month's last day, or today for the month under way; a month
  that has not started yet has no report.
* **Year to date** (年累计) is January to the report month: the total of the monthly
  progresses (each month paced by its own day weights as of the report's date), so a past
  month's report never counts orders signed after it. Beside it the year target, and the year
  to date's share of it.
* All campuses: the rollup of every campus side by side with the total, each campus's weak
  stage, and rankings over every campus together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import actuals, diagnosis
from . import progress as engine
from .errors import Invalid, NotFound
from .models import Campus, Metric
from .periods import Period, today_local, utc_now
from .progress import CampusRow, FunnelRow, Progress, RankRow

METRIC_NAMES: dict[Metric, str] = {Metric.REVENUE: "营业额", Metric.CONSUMPTION: "划课收入"}

# Long lists are cut in the printed report; the cut is said on the page.
LIST_LIMIT = 15

ProgressCallback = Callable[[int, str], None]

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


# --------------------------------------------------------------------------- input


def parse_month(text: object, field: str = "month") -> Period:
    """A ``YYYY-MM`` text as the month's period; ``Invalid`` naming ``field`` otherwise."""
    match = _MONTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise Invalid(field, f"月份格式应为 YYYY-MM（例如 2025-06）：{text!r}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise Invalid(field, f"月份必须在 1 到 12 之间：{text!r}")
    if not 2000 <= year <= 2100:
        raise Invalid(field, f"年份必须在 2000 到 2100 之间：{text!r}")
    return Period.of_month(year, month)


def last_complete_month(today: date) -> Period:
    """The month before ``today``'s month (the default month of a report)."""
    first = today.replace(day=1)
    previous = first - timedelta(days=1)
    return Period.of_month(previous.year, previous.month)


def report_as_of(month: Period, today: date) -> date:
    """The day a month's report is as of: its last day, or today while it runs."""
    if month.kind != "month":
        raise Invalid("month", "报告的周期必须是一个月")
    if month.start > today:
        raise Invalid("month", f"{month.label}还没有开始，没有可报告的数据")
    return min(month.end, today)


def find_campus(session: Session, name_or_id: str) -> Campus:
    """A live campus by its name, code or id; ``NotFound`` naming the campuses there are."""
    wanted = name_or_id.strip()
    campuses = session.scalars(
        select(Campus).where(Campus.is_deleted.is_(False)).order_by(Campus.code, Campus.id)
    ).all()
    for match in (
        lambda c: c.id == wanted.lower(),
        lambda c: c.name == wanted,
        lambda c: c.code == wanted,
    ):
        found = [c for c in campuses if match(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise Invalid("campus", f"有 {len(found)} 个校区叫“{wanted}”，请用校区编号")
    known = "、".join(c.name for c in campuses) or "无"
    raise NotFound(f"campus: 没有叫“{wanted}”的校区（现有：{known}）")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class YearToDate:
    """January to the report month: totals of the monthly progresses, and the year's target."""

    target_fen: int  # the monthly targets of January..month, summed
    actual_fen: int
    attainment: Fraction | None
    expected_so_far_fen: int
    forecast_fen: int
    status: engine.Status
    year_target_fen: int
    year_share: Fraction | None  # actual ÷ the year's target


@dataclass(frozen=True, slots=True)
class MetricSection:
    """One metric (营业额 or 划课收入): the month, its year to date, and every month so far."""

    metric: Metric
    name: str
    month: Progress
    year_to_date: YearToDate
    months: tuple[Progress, ...]  # January..the report month, for the bar chart


@dataclass(frozen=True, slots=True)
class CampusReport:
    """Everything the report says about one campus for one month."""

    campus_id: str
    campus_name: str
    revenue: MetricSection
    consumption: MetricSection
    revenue_ranking: tuple[RankRow, ...]  # consultants by 营业额
    consumption_ranking: tuple[RankRow, ...]  # teachers by 划课收入
    funnel: tuple[FunnelRow, ...]
    weak_stage: diagnosis.WeakStageReport
    trials: diagnosis.TrialAnalysis
    students: diagnosis.StudentAnalysis


@dataclass(frozen=True, slots=True)
class CampusComparison:
    """One campus in the side-by-side table (``campus_id`` None: the total, 合计)."""

    row: CampusRow
    weak_stage: diagnosis.FunnelStep | None  # None for the total or when nothing fell
    trial_conversion: Fraction | None
    trials_held: int
    trials_signed: int


@dataclass(frozen=True, slots=True)
class AllCampusesReport:
    """Every campus side by side, their total, and rankings across all campuses."""

    campuses: tuple[CampusComparison, ...]  # by campus code, the total last
    revenue_ytd: YearToDate  # every campus together
    consumption_ytd: YearToDate
    revenue_ranking: tuple[RankRow, ...]
    consumption_ranking: tuple[RankRow, ...]


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """The monthly performance report: one campus (``campus``) or all (``all_campuses``)."""

    period: Period
    as_of: date
    generated_at: datetime  # UTC
    title: str
    scope_name: str  # the campus's name, or 全部校区
    campus: CampusReport | None
    all_campuses: AllCampusesReport | None


ALL_CAMPUSES_NAME = "全部校区"


# --------------------------------------------------------------------------- building


def _year_to_date(months: list[Progress], year_target: int) -> YearToDate:
    total = engine.combine(months)
    return YearToDate(
        target_fen=total.target_fen,
        actual_fen=total.actual_fen,
        attainment=total.attainment,
        expected_so_far_fen=total.expected_so_far_fen,
        forecast_fen=total.forecast_fen,
        status=total.status,
        year_target_fen=year_target,
        year_share=Fraction(total.actual_fen, year_target) if year_target else None,
    )


def _metric_section(
    session: Session, campus_id: str, period: Period, metric: Metric, as_of: date
) -> MetricSection:
    months = [
        engine.progress(session, campus_id, Period.of_month(period.year, m), metric, today=as_of)
        for m in range(1, period.month + 1)
    ]
    year = engine.progress(session, campus_id, Period.of_year(period.year), metric, today=as_of)
    return MetricSection(
        metric=metric,
        name=METRIC_NAMES[metric],
        month=months[-1],
        year_to_date=_year_to_date(months, year.target_fen),
        months=tuple(months),
    )


def campus_report(
    session: Session,
    campus_id: str,
    period: Period,
    *,
    as_of: date,
    progress: ProgressCallback | None = None,
) -> CampusReport:
    """The report's figures for one campus and month, as of ``as_of``."""
    say = progress or (lambda _percent, _text: None)
    campus = actuals.check_campus(session, campus_id)
    say(5, f"{campus.name}：营业额")
    revenue = _metric_section(session, campus.id, period, Metric.REVENUE, as_of)
    say(20, f"{campus.name}：划课收入")
    consumption = _metric_section(session, campus.id, period, Metric.CONSUMPTION, as_of)
    say(35, f"{campus.name}：员工排行")
    revenue_ranking = engine.ranking(session, campus.id, period.year, period.month, Metric.REVENUE)
    consumption_ranking = engine.ranking(
        session, campus.id, period.year, period.month, Metric.CONSUMPTION
    )
    say(45, f"{campus.name}：环节与薄弱环节")
    funnel = engine.funnel(session, campus.id, period)
    weak = diagnosis.weak_stage(session, campus.id, period)
    say(60, f"{campus.name}：试听分析")
    trials = diagnosis.trial_analysis(session, campus.id, period, as_of=as_of)
    say(75, f"{campus.name}：学员分析")
    students = diagnosis.student_analysis(session, campus.id, period, today=as_of)
    return CampusReport(
        campus_id=campus.id,
        campus_name=campus.name,
        revenue=revenue,
        consumption=consumption,
        revenue_ranking=tuple(revenue_ranking),
        consumption_ranking=tuple(consumption_ranking),
        funnel=tuple(funnel),
        weak_stage=weak,
        trials=trials,
        students=students,
    )


def all_campuses_report(
    session: Session,
    period: Period,
    *,
    as_of: date,
    progress: ProgressCallback | None = None,
) -> AllCampusesReport:
    """Every live campus side by side for a month, with the total and cross-campus rankings."""
    say = progress or (lambda _percent, _text: None)
    say(5, "各校区对比")
    rows = engine.rollup(session, period, today=as_of)
    if not rows:
        raise NotFound("campus: 数据库里还没有校区")
    campuses = [r for r in rows if r.campus_id is not None]
    comparisons: list[CampusComparison] = []
    ytd_parts: dict[Metric, list[Progress]] = {Metric.REVENUE: [], Metric.CONSUMPTION: []}
    year_targets = {Metric.REVENUE: 0, Metric.CONSUMPTION: 0}
    for i, row in enumerate(campuses):
        assert row.campus_id is not None
        say(10 + 70 * i // len(campuses), f"{row.campus_name}：年累计、试听与薄弱环节")
        for metric in (Metric.REVENUE, Metric.CONSUMPTION):
            ytd_parts[metric] += [
                engine.progress(
                    session, row.campus_id, Period.of_month(period.year, m), metric, today=as_of
                )
                for m in range(1, period.month + 1)
            ]
            year_targets[metric] += engine.progress(
                session, row.campus_id, Period.of_year(period.year), metric, today=as_of
            ).target_fen
        trials = diagnosis.trial_analysis(session, row.campus_id, period, as_of=as_of)
        weak = diagnosis.weak_stage(session, row.campus_id, period)
        comparisons.append(
            CampusComparison(
                row=row,
                weak_stage=weak.weak,
                trial_conversion=trials.current.counts.conversion,
                trials_held=trials.current.counts.held,
                trials_signed=trials.current.counts.signed,
            )
        )
    total = rows[-1]
    comparisons.append(
        CampusComparison(
            row=total,
            weak_stage=None,
            trial_conversion=_sum_conversion(comparisons),
            trials_held=sum(c.trials_held for c in comparisons),
            trials_signed=sum(c.trials_signed for c in comparisons),
        )
    )
    say(85, "跨校区员工排行")
    return AllCampusesReport(
        campuses=tuple(comparisons),
        revenue_ytd=_year_to_date(ytd_parts[Metric.REVENUE], year_targets[Metric.REVENUE]),
        consumption_ytd=_year_to_date(
            ytd_parts[Metric.CONSUMPTION], year_targets[Metric.CONSUMPTION]
        ),
        revenue_ranking=tuple(
            engine.ranking(session, None, period.year, period.month, Metric.REVENUE)
        ),
        consumption_ranking=tuple(
            engine.ranking(session, None, period.year, period.month, Metric.CONSUMPTION)
        ),
    )


def _sum_conversion(rows: list[CampusComparison]) -> Fraction | None:
    held = sum(c.trials_held for c in rows)
    return Fraction(sum(c.trials_signed for c in rows), held) if held else None


def monthly_report(
    session: Session,
    period: Period,
    *,
    campus_id: str | None,
    today: date | None = None,
    now: datetime | None = None,
    progress: ProgressCallback | None = None,
) -> MonthlyReport:
    """The monthly report of one campus (``campus_id``) or of all campuses (None).

    ``progress(percent, text)`` hears each step (0–90; the renderer takes the rest).
    """
    if not isinstance(period, Period) or period.kind != "month":
        raise Invalid("month", "报告的周期必须是一个月")
    as_of = report_as_of(period, today or today_local())
    generated_at = now or utc_now()
    if campus_id is None:
        everything = all_campuses_report(session, period, as_of=as_of, progress=progress)
        scope = ALL_CAMPUSES_NAME
        return MonthlyReport(
            period=period,
            as_of=as_of,
            generated_at=generated_at,
            title=f"{scope} {period.label} 业绩报告",
            scope_name=scope,
            campus=None,
            all_campuses=everything,
        )
    campus = campus_report(session, campus_id, period, as_of=as_of, progress=progress)
    return MonthlyReport(
        period=period,
        as_of=as_of,
        generated_at=generated_at,
        title=f"{campus.campus_name} {period.label} 业绩报告",
        scope_name=campus.campus_name,
        campus=campus,
        all_campuses=None,
    )
