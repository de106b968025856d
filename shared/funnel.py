"""Reverse funnel (倒推漏斗): from a week's 营业额 target to the work each week needs.

邀约 invitation → 到访 visit → 试听 trial → 签单 sign. Given the average order value and the
three conversion rates, a week's revenue target becomes a count per stage:

    sign       = ⌈revenue ÷ average order⌉
    trial      = ⌈sign ÷ trial_to_sign⌉
    visit      = ⌈trial ÷ visit_to_trial⌉
    invitation = ⌈visit ÷ invite_to_visit⌉

Rounding up at every step makes the counts enough to reach the target. Rates are exact
:class:`~fractions.Fraction` values (Decimals and strings such as ``"0.35"`` or ``"7/20"`` are
accepted, floats refused), so the same inputs always give the same counts.

Historical rates (:func:`historical_rates`) come from the campus's own last ``months`` calendar
months, each figure from the module that owns it, so the funnel agrees with what the other
screens show:

* average order value: mean ``amount_fen`` of non-deleted 新签 / 转介绍 / 扩科 orders (the sign
  types that count as 签单 in :mod:`shared.actuals`; renewals are left out, the funnel is about
  winning new business), rounded half up to the fen;
* trial_to_sign: 试听转化率 (signed ÷ held) as :func:`shared.diagnosis.trial_analysis` counts
  it, summed over the window's months as of ``until``;
* visit_to_trial and invite_to_visit: the counts of the stages coded ``trial`` / ``visit`` /
  ``invitation`` by :func:`shared.actuals.stage_counts` (logged ``StageActivity`` rows plus
  implied events such as held trials, never counted twice) — the same counts the stage
  targets are later measured against. A rate above 1 (walk-ins never invited) is capped at 1.

Where the campus has no data for a rate (nothing in the denominator, or nothing in the
numerator, which would make the target unreachable) a default is used and named in
``FunnelRates.defaults``: average order 5,000.00 元, invitation→visit 1/2, visit→trial 7/10,
trial→sign 3/10 — typical of small K-12 and arts schools; the manager can edit every figure.

Saving (:func:`save_stage_targets`) writes 周环节目标 rows for every week of a month: one per
funnel stage for the campus (``staff_id`` None) and one per consultant, the campus count split
by the consultants' weights with the largest-remainder rule, so they add up exactly. With no
weights given, consultants are weighted by their 课程顾问任务额 for the month; an empty mapping
means campus-level rows only. Re-planning re-spreads only what was not set by hand, as the money
targets do: a campus count set by hand stays and is what the consultants share; a consultant's
count set by hand stays and the other consultants share the rest; rows of consultants no longer
in the split are tombstoned unless set by hand. Funnel stages the campus has deactivated or
deleted are skipped and reported. Other stages (续费, 转介绍, 家长沟通, the campus's own) are set
by hand with :func:`set_stage_target`.

Setting a funnel stage's count by hand (:func:`set_stage_target`) keeps the split exact too: a
campus count re-spreads the consultants' automatic counts of that week (in proportion to what
they had); a consultant's count leaves the campus count as it is and the other consultants'
automatic counts absorb the difference. Hand-set counts that no longer fit are refused
(``Invalid``) before anything is written.

Following the revenue: each save remembers the month's rates and consultant weights in
``Campus.settings["funnel_plans"]``. When the month's revenue weeks change later (a new year,
month or week target, a hand-set figure cleared), the target services re-plan the month with
them (:func:`follow_stage_plan`; consultants who left drop out, hand-set counts stay) and list
the stage changes in ``ChangeReport.stage_changes``; a change the hand-set counts cannot follow
is refused first (:func:`check_stage_plan_follows`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .actuals import stage_counts
from .diagnosis import trial_analysis
from .errors import Invalid, NotFound
from .models import (
    Campus,
    DefaultStage,
    Metric,
    Order,
    Role,
    SignType,
    Staff,
    Stage,
    StageTarget,
    TargetRole,
)
from .money import round_half_up, split_by_weights
from .periods import Period, check_month, check_year, weeks_of_month
from .services.common import check_date, check_fen, check_uuid, get_live
from .targets.staff import campus_month_targets, check_staff_weights
from .targets.store import live_campus, staff_rows

DEFAULT_AVG_ORDER_FEN = 500_000  # 5,000.00 元
DEFAULT_INVITE_TO_VISIT = Fraction(1, 2)
DEFAULT_VISIT_TO_TRIAL = Fraction(7, 10)
DEFAULT_TRIAL_TO_SIGN = Fraction(3, 10)

# The funnel's stages, first to last.
FUNNEL_STAGES: tuple[str, ...] = (
    DefaultStage.INVITATION.value,
    DefaultStage.VISIT.value,
    DefaultStage.TRIAL.value,
    DefaultStage.SIGN.value,
)

RATE_FIELDS = ("invite_to_visit", "visit_to_trial", "trial_to_sign")
MAX_COUNT = 100_000


def _exact_rate(value: object, name: str) -> Fraction:
    if isinstance(value, (bool, float)):
        raise Invalid(name, "比率必须是精确的分数或小数（不能是浮点数）")
    try:
        if isinstance(value, (Fraction, int)):
            rate = Fraction(value)
        elif isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError
            rate = Fraction(value)
        elif isinstance(value, str):
            rate = Fraction(value.strip())
        else:
            raise TypeError
    except (ValueError, TypeError, ZeroDivisionError):
        raise Invalid(name, f"不是有效的比率：{value!r}") from None
    if not 0 < rate <= 1:
        raise Invalid(name, "比率必须大于 0 且不超过 1")
    return rate


@dataclass(frozen=True)
class FunnelRates:
    """Average order value and the three conversion rates (exact fractions, 0 < rate <= 1).

    ``defaults`` names the fields that are defaults rather than the campus's own history.
    """

    avg_order_fen: int
    invite_to_visit: Fraction
    visit_to_trial: Fraction
    trial_to_sign: Fraction
    defaults: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        avg = self.avg_order_fen
        if not isinstance(avg, int) or isinstance(avg, bool) or avg <= 0:
            raise Invalid("avg_order_fen", "平均客单价必须是大于零的整数（分）")
        check_fen(avg, "avg_order_fen")
        for name in RATE_FIELDS:
            # Frozen: normalise through object.__setattr__ so every rate is a Fraction.
            object.__setattr__(self, name, _exact_rate(getattr(self, name), name))
        object.__setattr__(self, "defaults", frozenset(self.defaults))

    @classmethod
    def default(cls) -> FunnelRates:
        """The documented defaults, all marked as such."""
        return cls(
            DEFAULT_AVG_ORDER_FEN,
            DEFAULT_INVITE_TO_VISIT,
            DEFAULT_VISIT_TO_TRIAL,
            DEFAULT_TRIAL_TO_SIGN,
            frozenset({"avg_order_fen", *RATE_FIELDS}),
        )

    def edited(self, **changes: Any) -> FunnelRates:
        """A copy with figures changed by the manager; those are no longer defaults."""
        unknown = set(changes) - {"avg_order_fen", *RATE_FIELDS}
        if unknown:
            raise Invalid(sorted(unknown)[0], "不是可修改的漏斗参数")
        return replace(self, **changes, defaults=self.defaults - set(changes))


def _window_months(until: date, months: int) -> list[Period]:
    """The ``months`` calendar months that end with ``until``'s month, oldest first."""
    last = until.year * 12 + until.month - 1
    return [Period.of_month(i // 12, i % 12 + 1) for i in range(last - months + 1, last + 1)]


def historical_rates(
    session: Session, campus_id: str, until: date, months: int = 12
) -> FunnelRates:
    """The campus's own funnel over the ``months`` calendar months up to ``until`` (inclusive).

    The window starts on the first day of the month ``months − 1`` months before ``until``'s
    month, so the 12 months up to 2026-05-31 are 2025-06-01 … 2026-05-31.
    """
    live_campus(session, campus_id)
    end = check_date(until, "until")
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
        raise Invalid("months", "月数必须在 1 到 120 之间")
    window = _window_months(end, months)
    start = window[0].start
    defaults: set[str] = set()

    # The same sign types that count as 签单 in shared.actuals.
    count, total = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.amount_fen), 0)).where(
            Order.campus_id == campus_id,
            Order.is_deleted.is_(False),
            Order.sign_type.in_([SignType.NEW, SignType.REFERRAL, SignType.CROSS_SELL]),
            Order.signed_on >= start,
            Order.signed_on <= end,
        )
    ).one()
    avg = round_half_up(Fraction(int(total), count)) if count else 0
    if avg <= 0:
        avg = DEFAULT_AVG_ORDER_FEN
        defaults.add("avg_order_fen")

    # 试听转化率 exactly as the diagnosis page shows it, month by month, as of ``until``.
    held = signed = 0
    for month in window:
        counts = trial_analysis(session, campus_id, month, as_of=end).current.counts
        held += counts.held
        signed += counts.signed

    # Stage work as shared.actuals counts it (logged activities plus implied events), the
    # same figures the stage targets saved from these rates will be measured against.
    stages = stage_counts(session, campus_id, start, end)

    def rate(numerator: int, denominator: int, name: str, default: Fraction) -> Fraction:
        if denominator <= 0 or numerator <= 0:
            defaults.add(name)
            return default
        return min(Fraction(numerator, denominator), Fraction(1))

    invitations = stages.get(DefaultStage.INVITATION.value, 0)
    visits = stages.get(DefaultStage.VISIT.value, 0)
    trials = stages.get(DefaultStage.TRIAL.value, 0)
    return FunnelRates(
        avg,
        rate(visits, invitations, "invite_to_visit", DEFAULT_INVITE_TO_VISIT),
        rate(trials, visits, "visit_to_trial", DEFAULT_VISIT_TO_TRIAL),
        rate(signed, held, "trial_to_sign", DEFAULT_TRIAL_TO_SIGN),
        frozenset(defaults),
    )


def plan_stage_targets(week_revenue_fen: int, rates: FunnelRates) -> dict[str, int]:
    """How many of each funnel stage a week's revenue target needs (rounded up at each step)."""
    revenue = check_fen(week_revenue_fen, "week_revenue_fen")
    if not isinstance(rates, FunnelRates):
        raise Invalid("rates", "不是漏斗参数")
    sign = math.ceil(Fraction(revenue, rates.avg_order_fen))
    trial = math.ceil(sign / rates.trial_to_sign)
    visit = math.ceil(trial / rates.visit_to_trial)
    invitation = math.ceil(visit / rates.invite_to_visit)
    return {
        DefaultStage.INVITATION.value: invitation,
        DefaultStage.VISIT.value: visit,
        DefaultStage.TRIAL.value: trial,
        DefaultStage.SIGN.value: sign,
    }


@dataclass(frozen=True, slots=True)
class StageTargetChange:
    """One 周环节目标 created, changed or removed (``new_count`` None: removed)."""

    stage_id: str
    stage_code: str
    period: Period  # a week-of-month
    staff_id: str | None
    old_count: int | None
    new_count: int | None
    is_manual: bool


@dataclass(frozen=True, slots=True)
class WeekFunnel:
    """A week's revenue target and the campus stage counts planned from it."""

    period: Period
    revenue_fen: int
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class StageTargetReport:
    """What a stage-target service changed, and (when planned from the funnel) the plan."""

    changes: tuple[StageTargetChange, ...]
    rates: FunnelRates | None = None
    weeks: tuple[WeekFunnel, ...] = ()
    skipped_stages: tuple[str, ...] = ()  # funnel stages the campus deactivated or deleted


def _write_stage_target(
    session: Session,
    row: StageTarget | None,
    *,
    campus_id: str,
    stage: Stage,
    period: Period,
    staff_id: str | None,
    count: int,
    is_manual: bool,
) -> StageTargetChange | None:
    if row is None:
        session.add(
            StageTarget(
                campus_id=campus_id,
                stage_id=stage.id,
                staff_id=staff_id,
                year=period.year,
                month=period.month,
                week=period.week,
                target_count=count,
                is_manual=is_manual,
            )
        )
        return StageTargetChange(stage.id, stage.code, period, staff_id, None, count, is_manual)
    if row.target_count == count and row.is_manual == is_manual:
        return None
    old = row.target_count
    row.target_count = count
    row.is_manual = is_manual
    return StageTargetChange(stage.id, stage.code, period, staff_id, old, count, is_manual)


def _consultant_weights(
    session: Session,
    campus_id: str,
    year: int,
    month: int,
    weights: Mapping[str, int] | None,
) -> list[tuple[str, int]]:
    if weights is not None:
        if not weights:
            return []
        return check_staff_weights(
            session, campus_id, weights, Role.CONSULTANT, "consultant_weights"
        )
    # No weights given: follow the consultants' order targets of the month, if any.
    derived = []
    rows = staff_rows(session, campus_id, Metric.REVENUE, TargetRole.CONSULTANT, year, month)
    for staff_id, by_week in sorted(rows.items()):
        staff = session.get(Staff, staff_id)
        month_row = by_week.get(0)
        if (
            staff is not None
            and not staff.is_deleted
            and staff.active
            and staff.has_role(Role.CONSULTANT)
            and month_row is not None
        ):
            derived.append((staff_id, month_row.amount_fen))
    return derived if sum(w for _, w in derived) > 0 else []


def _share(
    total: int,
    parts: list[tuple[str, int | None, int]],
    field: str,
    what: str,
) -> dict[str, int]:
    """Counts per consultant adding up to ``total``.

    ``parts`` are ``(staff id, count set by hand or None, weight)``: hand-set counts stay, the
    others share the rest by weight (largest remainder; equal shares when every weight is 0).
    ``Invalid(field)`` when the hand-set counts do not fit.
    """
    fixed = sum(count for _, count, _ in parts if count is not None)
    free = [(staff_id, weight) for staff_id, count, weight in parts if count is None]
    remainder = total - fixed
    if remainder < 0:
        raise Invalid(field, f"{what}：顾问手工设定的目标合计 {fixed} 次，超过了校区的 {total} 次")
    if not free and remainder:
        raise Invalid(
            field,
            f"{what}：顾问的目标都已手工设定，合计 {fixed} 次，必须等于校区的 {total} 次",
        )
    shares = {staff_id: count for staff_id, count, _ in parts if count is not None}
    if free:
        weights = [w for _, w in free]
        if sum(weights) == 0:
            weights = [1] * len(free)
        for (staff_id, _), n in zip(free, split_by_weights(remainder, weights), strict=True):
            shares[staff_id] = n
    return shares


def _is_consultant(session: Session, staff_id: str) -> bool:
    staff = session.get(Staff, staff_id)
    return staff is not None and not staff.is_deleted and staff.has_role(Role.CONSULTANT)


@dataclass
class _StagePlan:
    """A month's funnel plan worked out, ready to write."""

    writes: list[tuple[StageTarget | None, Stage, Period, str | None, int]]
    stale: dict[tuple[str, str | None, int], StageTarget]  # rows to tombstone
    usable: list[Stage]
    weeks: list[WeekFunnel]
    skipped: tuple[str, ...]


def _stage_plan(
    session: Session,
    campus_id: str,
    year: int,
    month: int,
    rates: FunnelRates,
    weights: list[tuple[str, int]],
    week_revenue: list[int],
) -> _StagePlan:
    """Every count of the month's funnel stages, hand-set ones kept; writes nothing."""
    weight_of = dict(weights)
    stages = {
        s.code: s
        for s in session.scalars(
            select(Stage).where(Stage.campus_id == campus_id, Stage.code.in_(FUNNEL_STAGES))
        )
    }
    usable = [
        stages[c]
        for c in FUNNEL_STAGES
        if c in stages and stages[c].active and not stages[c].is_deleted
    ]
    skipped = tuple(c for c in FUNNEL_STAGES if c not in {s.code for s in usable})
    existing: dict[tuple[str, str | None, int], StageTarget] = {
        (r.stage_id, r.staff_id, r.week): r
        for r in session.scalars(
            select(StageTarget).where(
                StageTarget.campus_id == campus_id,
                StageTarget.year == year,
                StageTarget.month == month,
                StageTarget.stage_id.in_([s.id for s in usable]),
                StageTarget.is_deleted.is_(False),
            )
        )
    }
    # Hand-set counts are never re-planned; consultants' ones are fixed parts of the split.
    hand_set = {key: row for key, row in existing.items() if row.is_manual}
    for key in hand_set:
        del existing[key]

    writes: list[tuple[StageTarget | None, Stage, Period, str | None, int]] = []
    plans: list[WeekFunnel] = []
    for week, revenue in zip(weeks_of_month(year, month), week_revenue, strict=True):
        period = Period("week", year, month, week.index)
        counts = plan_stage_targets(revenue, rates)
        plans.append(WeekFunnel(period, revenue, counts))
        for stage in usable:
            campus_key = (stage.id, None, week.index)
            if campus_key in hand_set:
                count = hand_set[campus_key].target_count
            else:
                count = counts[stage.code]
                writes.append((existing.pop(campus_key, None), stage, period, None, count))
            if not weights:
                continue
            fixed = {
                sid: row.target_count
                for (stage_id, sid, w), row in hand_set.items()
                if stage_id == stage.id and w == week.index and sid is not None
                if sid in weight_of or _is_consultant(session, sid)
            }
            parts = [
                (sid, fixed.get(sid), weight_of.get(sid, 0))
                for sid in sorted(set(weight_of) | set(fixed))
            ]
            what = f"{period.label}{stage.name}"
            for sid, n in _share(count, parts, "consultant_weights", what).items():
                if sid not in fixed:
                    key = (stage.id, sid, week.index)
                    writes.append((existing.pop(key, None), stage, period, sid, n))
    return _StagePlan(writes, existing, usable, plans, skipped)


def _write_stage_plan(
    session: Session, campus_id: str, year: int, month: int, plan: _StagePlan
) -> list[StageTargetChange]:
    changes: list[StageTargetChange] = []
    for row, stage, period, staff_id, count in plan.writes:
        change = _write_stage_target(
            session,
            row,
            campus_id=campus_id,
            stage=stage,
            period=period,
            staff_id=staff_id,
            count=count,
            is_manual=False,
        )
        if change is not None:
            changes.append(change)
    by_id = {s.id: s for s in plan.usable}
    for (stage_id, staff_id, week_index), row in plan.stale.items():
        # Consultants no longer in the split (or weeks that no longer exist) lose their rows.
        row.is_deleted = True
        changes.append(
            StageTargetChange(
                stage_id,
                by_id[stage_id].code,
                Period("week", year, month, week_index),
                staff_id,
                row.target_count,
                None,
                row.is_manual,
            )
        )
    session.flush()
    return changes


# The inputs of each month's last funnel plan, in Campus.settings, so that the stage targets can
# follow when the month's revenue targets change: {"2026-01": {rates…, "weights": {…}|None}}.
_PLANS_KEY = "funnel_plans"


def _remember_plan(
    campus: Campus,
    year: int,
    month: int,
    rates: FunnelRates,
    weights: Mapping[str, int] | None,
) -> None:
    plan: dict[str, Any] = {"avg_order_fen": rates.avg_order_fen}
    plan.update({name: str(getattr(rates, name)) for name in RATE_FIELDS})
    plan["weights"] = None if weights is None else {k: int(v) for k, v in weights.items()}
    settings = dict(campus.settings or {})
    plans = dict(settings.get(_PLANS_KEY) or {})
    key = f"{year}-{month:02d}"
    if plans.get(key) == plan:
        return
    plans[key] = plan
    settings[_PLANS_KEY] = plans
    campus.settings = settings  # a new dict: the JSON column only notices reassignment


def _remembered_inputs(
    session: Session, campus: Campus, year: int, month: int
) -> tuple[FunnelRates, list[tuple[str, int]]] | None:
    """The last plan's rates and consultant weights (people who left are dropped)."""
    raw = ((campus.settings or {}).get(_PLANS_KEY) or {}).get(f"{year}-{month:02d}")
    if not raw:
        return None
    try:
        rates = FunnelRates(raw["avg_order_fen"], *(raw[name] for name in RATE_FIELDS))
    except (KeyError, TypeError, Invalid):  # written by another program version: not followed
        return None
    if raw.get("weights") is None:
        return rates, _consultant_weights(session, campus.id, year, month, None)
    usable = {}
    for staff_id, weight in raw["weights"].items():
        staff = session.get(Staff, staff_id)
        if (
            staff is not None
            and not staff.is_deleted
            and staff.active
            and staff.campus_id == campus.id
            and staff.has_role(Role.CONSULTANT)
        ):
            usable[staff_id] = weight
    if sum(usable.values()) <= 0:
        return rates, []
    return rates, sorted(usable.items())


def check_stage_plan_follows(
    session: Session, campus_id: str, year: int, month: int, week_revenue: list[int], field: str
) -> None:
    """Refuse new week revenue targets that the month's hand-set stage counts cannot follow.

    Called by the target services before they write; ``Invalid(field)`` names their input.
    """
    campus = live_campus(session, campus_id)
    inputs = _remembered_inputs(session, campus, year, month)
    if inputs is None:
        return
    try:
        _stage_plan(session, campus_id, year, month, *inputs, week_revenue)
    except Invalid as exc:
        raise Invalid(field, f"周环节目标无法随之调整：{exc.reason}") from None


def follow_stage_plan(
    session: Session, campus_id: str, year: int, month: int
) -> list[StageTargetChange]:
    """Re-plan a month's funnel stage targets from its saved revenue targets, if it was planned.

    The rates and consultants of the month's last plan are used again; hand-set counts stay.
    """
    campus = live_campus(session, campus_id)
    inputs = _remembered_inputs(session, campus, year, month)
    if inputs is None:
        return []
    _, week_revenue = campus_month_targets(session, campus_id, Metric.REVENUE, year, month)
    plan = _stage_plan(session, campus_id, year, month, *inputs, week_revenue)
    return _write_stage_plan(session, campus_id, year, month, plan)


def save_stage_targets(
    session: Session,
    campus_id: str,
    year: int,
    month: int,
    rates: FunnelRates,
    consultant_weights: Mapping[str, int] | None = None,
) -> StageTargetReport:
    """Plan and save the funnel stages' weekly targets of a month, campus-wide and per consultant.

    ``consultant_weights`` ``{staff_id: int}``; None follows the consultants' order targets;
    ``{}`` writes campus rows only. Counts set by hand stay (see the module notes); the whole
    plan is worked out before anything is written, so an ``Invalid`` writes nothing. The rates
    and weights are remembered: when the month's revenue targets change later, the stage
    targets follow (:func:`follow_stage_plan`).
    """
    campus = live_campus(session, campus_id)
    check_year(year)
    check_month(month)
    if not isinstance(rates, FunnelRates):
        raise Invalid("rates", "不是漏斗参数")
    _, week_revenue = campus_month_targets(session, campus_id, Metric.REVENUE, year, month)
    weights = _consultant_weights(session, campus_id, year, month, consultant_weights)
    plan = _stage_plan(session, campus_id, year, month, rates, weights, week_revenue)
    changes = _write_stage_plan(session, campus_id, year, month, plan)
    remembered = None if consultant_weights is None else dict(weights)
    _remember_plan(campus, year, month, rates, remembered)
    return StageTargetReport(tuple(changes), rates, tuple(plan.weeks), plan.skipped)


def _rebalance(
    session: Session,
    campus_id: str,
    stage: Stage,
    period: Period,
    staff_id: str | None,
    count: int,
) -> list[tuple[StageTarget, int]]:
    """After a funnel stage's count is set by hand: the consultants' automatic counts to rewrite.

    Nothing when the week has no split (no campus count, or no consultant holds a count of that
    stage and week) or the person is no consultant.
    """
    if stage.code not in FUNNEL_STAGES:
        return []
    if staff_id is not None and not _is_consultant(session, staff_id):
        return []
    rows = {
        r.staff_id: r
        for r in session.scalars(
            select(StageTarget).where(
                StageTarget.campus_id == campus_id,
                StageTarget.stage_id == stage.id,
                StageTarget.year == period.year,
                StageTarget.month == period.month,
                StageTarget.week == period.week,
                StageTarget.is_deleted.is_(False),
            )
        )
    }
    campus_row = rows.pop(None, None)
    if staff_id is None:
        total = count
    elif campus_row is None:
        return []
    else:
        total = campus_row.target_count
    consultants = {sid: r for sid, r in rows.items() if sid and _is_consultant(session, sid)}
    if not consultants:
        return []  # no split of this week: the count stands alone
    parts = [
        (sid, r.target_count if r.is_manual else None, r.target_count)
        for sid, r in sorted(consultants.items())
        if sid != staff_id
    ]
    if staff_id is not None:
        parts.append((staff_id, count, 0))
    shares = _share(total, parts, "count", f"{period.label}{stage.name}")
    return [
        (row, shares[sid])
        for sid, row in sorted(consultants.items())
        if sid != staff_id and not row.is_manual and row.target_count != shares[sid]
    ]


def set_stage_target(
    session: Session,
    campus_id: str,
    stage_id: str,
    year: int,
    month: int,
    week: int,
    count: int,
    staff_id: str | None = None,
) -> StageTargetReport:
    """Set one week's target count of a stage by hand, for the campus or one staff member.

    For a funnel stage the consultants' split stays exact (see the module notes).
    """
    live_campus(session, campus_id)
    stage = session.get(Stage, check_uuid(stage_id, "stage_id"))
    if stage is None or stage.is_deleted or stage.campus_id != campus_id:
        raise Invalid("stage_id", "环节不存在、已删除或不属于该校区")
    if not stage.active:
        raise Invalid("stage_id", f"环节“{stage.name}”已停用")
    period = Period.of_week(year, month, week)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_COUNT:
        raise Invalid("count", f"目标次数必须是 0 到 {MAX_COUNT} 之间的整数")
    if staff_id is not None:
        try:
            staff = get_live(session, Staff, staff_id, "staff_id")
        except NotFound:  # presented as a bad input of this call, like a deleted stage
            raise Invalid("staff_id", "员工不存在或已删除") from None
        if staff.campus_id != campus_id:
            raise Invalid("staff_id", f"{staff.name} 不属于该校区")
        if not staff.active:
            raise Invalid("staff_id", f"{staff.name} 已停用")
        staff_id = staff.id
    rebalanced = _rebalance(session, campus_id, stage, period, staff_id, count)
    query = select(StageTarget).where(
        StageTarget.stage_id == stage.id,
        StageTarget.year == period.year,
        StageTarget.month == period.month,
        StageTarget.week == period.week,
        StageTarget.is_deleted.is_(False),
        StageTarget.staff_id.is_(None) if staff_id is None else StageTarget.staff_id == staff_id,
    )
    changes = []
    edits: list[tuple[StageTarget | None, str | None, int, bool]] = [
        (session.scalar(query), staff_id, count, True),
        *((row, row.staff_id, n, False) for row, n in rebalanced),
    ]
    for row, owner, n, is_manual in edits:
        change = _write_stage_target(
            session,
            row,
            campus_id=campus_id,
            stage=stage,
            period=period,
            staff_id=owner,
            count=n,
            is_manual=is_manual,
        )
        if change is not None:
            changes.append(change)
    session.flush()
    return StageTargetReport(tuple(changes))


def load_stage_targets(
    session: Session, campus_id: str, year: int, month: int, staff_id: str | None = None
) -> dict[tuple[str, int], int]:
    """Saved weekly stage targets of a month: ``{(stage code, week index): count}``.

    Campus-wide with ``staff_id`` None, else that person's.
    """
    live_campus(session, campus_id)
    check_year(year)
    check_month(month)
    query = (
        select(Stage.code, StageTarget.week, StageTarget.target_count)
        .join(Stage, Stage.id == StageTarget.stage_id)
        .where(
            StageTarget.campus_id == campus_id,
            StageTarget.year == year,
            StageTarget.month == month,
            StageTarget.is_deleted.is_(False),
            StageTarget.staff_id.is_(None)
            if staff_id is None
            else StageTarget.staff_id == check_uuid(staff_id, "staff_id"),
        )
    )
    return {(code, week): count for code, week, count in session.execute(query)}
