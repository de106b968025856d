"""Reading and writing ``Target`` rows, and the change report every target service returns.

Rows are updated in place (the partial unique indexes of :class:`shared.models.Target` allow
one live row per campus/person, metric and period); a row is only written when its figure or
its manual flag differs, so unchanged targets keep their sync version. A person's targets that
no longer apply are tombstoned (``is_deleted``), never removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Invalid
from ..models import Campus, Metric, PeriodKind, Target, TargetRole
from ..periods import Period
from ..services.common import get_live
from .spread import SpreadMethod

if TYPE_CHECKING:  # shared.funnel builds on this package
    from ..funnel import StageTargetChange


@dataclass(frozen=True, slots=True)
class TargetChange:
    """One target that a service created, changed or removed.

    ``old_fen`` is None for a target that did not exist, ``new_fen`` None for one removed.
    ``is_manual`` is the flag after the change. Campus targets have no ``staff_id``.
    """

    metric: Metric
    period: Period
    old_fen: int | None
    new_fen: int | None
    is_manual: bool = False
    staff_id: str | None = None
    staff_role: TargetRole | None = None


@dataclass(frozen=True, slots=True)
class ChangeReport:
    """What a target service changed, so every open screen can refresh from it.

    ``method``/``method_used``/``fallback_reason`` are set by services that spread a year
    (seasonality may fall back to day weights; ``fallback_reason`` says why, in Chinese).
    ``stage_changes`` are the 周环节目标 that followed changed revenue weeks (months whose
    funnel was planned, :func:`shared.funnel.follow_stage_plan`).
    """

    changes: tuple[TargetChange, ...]
    method: SpreadMethod | None = None
    method_used: SpreadMethod | None = None
    fallback_reason: str | None = None
    stage_changes: tuple[StageTargetChange, ...] = ()

    def campus(self) -> dict[Period, tuple[int | None, int | None]]:
        """The campus targets that changed: ``{period: (old fen, new fen)}``."""
        return {c.period: (c.old_fen, c.new_fen) for c in self.changes if c.staff_id is None}

    def staff(
        self, role: TargetRole | None = None
    ) -> dict[tuple[str, Period], tuple[int | None, int | None]]:
        """The staff targets that changed: ``{(staff id, period): (old fen, new fen)}``."""
        return {
            (c.staff_id, c.period): (c.old_fen, c.new_fen)
            for c in self.changes
            if c.staff_id is not None and (role is None or c.staff_role is role)
        }


def check_metric(metric: Metric | str, field: str = "metric") -> Metric:
    """Accept 营业额 or 划课收入 by value."""
    try:
        return Metric(metric)
    except ValueError:
        raise Invalid(field, f"未知的指标：{metric!r}") from None


def live_campus(session: Session, campus_id: str) -> Campus:
    """The campus, or NotFound naming ``campus_id``."""
    return get_live(session, Campus, campus_id, "campus_id")


def period_of(row: Target) -> Period:
    """The period a target row is about."""
    return Period(str(row.period_kind), row.year, row.month, row.week)


RowKey = tuple[str, int, int]  # (period kind, month, week)


def key_of(period: Period) -> RowKey:
    """The key :func:`campus_rows` uses for a period."""
    return (period.kind, period.month, period.week)


def campus_rows(
    session: Session, campus_id: str, metric: Metric, year: int, month: int | None = None
) -> dict[RowKey, Target]:
    """The live campus targets of a year (or of one month and its weeks), by period key."""
    query = select(Target).where(
        Target.campus_id == campus_id,
        Target.metric == metric,
        Target.year == year,
        Target.staff_id.is_(None),
        Target.is_deleted.is_(False),
    )
    if month is not None:
        query = query.where(Target.month == month)
    return {(str(r.period_kind), r.month, r.week): r for r in session.scalars(query)}


def staff_rows(
    session: Session, campus_id: str, metric: Metric, role: TargetRole, year: int, month: int
) -> dict[str, dict[int, Target]]:
    """Live staff targets of one role in a month: ``{staff_id: {week (0 = month): row}}``."""
    query = select(Target).where(
        Target.campus_id == campus_id,
        Target.metric == metric,
        Target.staff_role == role,
        Target.year == year,
        Target.month == month,
        Target.staff_id.is_not(None),
        Target.is_deleted.is_(False),
    )
    found: dict[str, dict[int, Target]] = {}
    for row in session.scalars(query):
        assert row.staff_id is not None
        found.setdefault(row.staff_id, {})[row.week] = row
    return found


def write_target(
    session: Session,
    row: Target | None,
    *,
    campus_id: str,
    metric: Metric,
    period: Period,
    amount_fen: int,
    is_manual: bool,
    staff_id: str | None = None,
    staff_role: TargetRole | None = None,
) -> TargetChange | None:
    """Create or update one target; return the change, or None when nothing differed."""
    if row is None:
        session.add(
            Target(
                campus_id=campus_id,
                metric=metric,
                period_kind=PeriodKind(period.kind),
                year=period.year,
                month=period.month,
                week=period.week,
                staff_id=staff_id,
                staff_role=staff_role,
                amount_fen=amount_fen,
                is_manual=is_manual,
            )
        )
        return TargetChange(metric, period, None, amount_fen, is_manual, staff_id, staff_role)
    if row.amount_fen == amount_fen and row.is_manual == is_manual:
        return None
    old = row.amount_fen
    row.amount_fen = amount_fen
    row.is_manual = is_manual
    return TargetChange(metric, period, old, amount_fen, is_manual, staff_id, staff_role)


def remove_targets(rows: Iterable[Target]) -> list[TargetChange]:
    """Tombstone targets that no longer apply; return the removals."""
    changes = []
    for row in rows:
        row.is_deleted = True
        changes.append(
            TargetChange(
                row.metric,
                period_of(row),
                row.amount_fen,
                None,
                row.is_manual,
                row.staff_id,
                row.staff_role,
            )
        )
    return changes


# --------------------------------------------------------------------------- method memory

_SETTINGS_KEY = "target_methods"


def remembered_method(campus: Campus, year: int, metric: Metric) -> SpreadMethod | None:
    """The method a campus last spread this year's target with, if any."""
    raw = (campus.settings or {}).get(_SETTINGS_KEY, {}).get(str(year), {}).get(metric.value)
    try:
        return SpreadMethod(raw) if raw is not None else None
    except ValueError:  # a value written by a newer program: fall back to the default
        return None


def remember_method(campus: Campus, year: int, metric: Metric, method: SpreadMethod) -> None:
    """Keep the chosen method in the campus settings, so later re-spreads use it too."""
    if remembered_method(campus, year, metric) is method:
        return
    settings = dict(campus.settings or {})
    methods = {k: dict(v) for k, v in (settings.get(_SETTINGS_KEY) or {}).items()}
    methods.setdefault(str(year), {})[metric.value] = method.value
    settings[_SETTINGS_KEY] = methods
    # A new dict, not an in-place edit: the JSON column only notices reassignment.
    campus.settings = settings
