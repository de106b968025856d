"""The figures the progress and diagnosis engines return, free of SQLAlchemy.

Plain frozen dataclasses and enums: :mod:`shared.progress` and :mod:`shared.diagnosis` compute
them (and re-export every one, so callers keep importing them from there), while code that only
shows them — the desktop drawing its dashboard from a snapshot before the database is open —
imports this module without loading the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from .enums import Metric, StudentStatus
from .periods import Period

# --------------------------------------------------------------------------- status


class Status(StrEnum):
    """Where a target stands against its pace (see the module docstring for the thresholds)."""

    AHEAD = "ahead"
    ON_PACE = "on_pace"
    BEHIND = "behind"
    AT_RISK = "at_risk"
    NOT_STARTED = "not_started"
    NO_TARGET = "no_target"


STATUS_NAMES: dict[Status, str] = {
    Status.AHEAD: "超前",
    Status.ON_PACE: "正常",
    Status.BEHIND: "落后",
    Status.AT_RISK: "有风险",
    Status.NOT_STARTED: "未开始",
    Status.NO_TARGET: "未设目标",
}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Progress:
    """One target against its actual for a period, as of ``today``."""

    metric: Metric
    period: Period
    today: date
    campus_id: str | None  # None for a total over several campuses
    staff_id: str | None
    role: str | None  # consultant / intent_teacher / teacher for a staff member
    target_fen: int
    has_target: bool
    actual_fen: int
    attainment: Fraction | None  # 达成率, None when the target is 0
    expected_so_far_fen: int
    gap_to_pace_fen: int  # actual − expected so far; negative means behind pace
    forecast_fen: int
    status: Status
    days_elapsed: int
    days_total: int

    @property
    def remaining_fen(self) -> int:
        """What is still to do to reach the target (0 once reached)."""
        return max(0, self.target_fen - self.actual_fen)

    @property
    def attainment_percent(self) -> Decimal | None:
        """达成率 in percent with one decimal, for display."""
        if self.attainment is None:
            return None
        exact = self.attainment * 100
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class RankRow:
    """One person in a ranking (排行)."""

    rank: int
    staff_id: str
    staff_name: str
    campus_id: str
    campus_name: str
    amount_fen: int
    target_fen: int | None  # None when the person has no target for the month
    attainment: Fraction | None


@dataclass(frozen=True, slots=True)
class OutOfHours:
    """A student with scheduled lessons in the period but no hours left to pay for them."""

    student_id: str
    student_name: str
    course_id: str
    course_name: str
    lessons: int  # scheduled lessons in the period not fully covered by remaining hours
    uncovered_hours: Decimal


@dataclass(frozen=True, slots=True)
class ConsumptionOutlook:
    """划课收入 of a period: done so far plus what the timetable still holds, against target."""

    campus_id: str
    teacher_id: str | None
    period: Period
    today: date
    actual_fen: int
    scheduled_fen: int  # value of the scheduled lessons still to come in the period
    scheduled_lessons: int
    expected_total_fen: int
    target_fen: int
    has_target: bool
    out_of_hours: list[OutOfHours]

    @property
    def shortfall_fen(self) -> int:
        """How much the expected total falls short of the target (0 when it reaches it)."""
        return max(0, self.target_fen - self.expected_total_fen)

    @property
    def will_miss(self) -> bool:
        """Whether the timetable as it stands cannot reach the target."""
        return self.has_target and self.expected_total_fen < self.target_fen


@dataclass(frozen=True, slots=True)
class StageTask:
    """One stage of a person's week or month: target count against the count done."""

    stage_id: str
    code: str
    name: str
    target_count: int | None  # None when no stage target row names this person
    actual_count: int


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A parent contact whose next follow-up is due (or overdue) and not done."""

    record_id: str
    parent_id: str
    parent_name: str
    student_id: str | None
    student_name: str
    due_on: date
    days_overdue: int
    last_contact_on: date
    channel: str
    content: str


@dataclass(frozen=True, slots=True)
class TaskView:
    """任务驱动: one person's money targets, stage targets and due follow-ups for a period."""

    staff_id: str
    staff_name: str
    campus_id: str
    period: Period
    today: date
    money: list[Progress]
    stages: list[StageTask]
    follow_ups: list[FollowUp]


@dataclass(frozen=True, slots=True)
class CampusRow:
    """One campus in the group rollup; ``campus_id`` None is the total row."""

    campus_id: str | None
    campus_name: str
    revenue: Progress
    consumption: Progress


@dataclass(frozen=True, slots=True)
class ProgressSet:
    """One metric's progress for the year, month and week containing a date."""

    year: Progress
    month: Progress
    week: Progress


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """One stage of the month's funnel: count against the campus's stage targets."""

    code: str
    name: str
    actual_count: int
    target_count: int | None  # None when the campus has no stage target of the month


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the campus dashboard shows for the month of ``today``."""

    campus_id: str
    campus_name: str
    today: date
    revenue: ProgressSet
    consumption: ProgressSet
    revenue_ranking: list[RankRow]
    consumption_ranking: list[RankRow]
    funnel: list[FunnelRow]
    outlook: ConsumptionOutlook  # this month's 课消预测
    week_outlook: ConsumptionOutlook  # this week's (the week of ``today``, inside the month)


# =========================================================================== diagnosis


@dataclass(frozen=True, slots=True)
class StudentLessons:
    """One student's 课次 in the period, last attended lesson and remaining hours today."""

    student_id: str
    student_name: str
    status: StudentStatus
    consultant_id: str | None
    consultant_name: str
    lessons: int  # attended in the period
    last_lesson_on: date | None  # last attended lesson up to ``today``
    remaining_hours: Decimal


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One funnel step's conversion now and over its history (rates may exceed 1)."""

    from_code: str
    to_code: str
    from_name: str
    to_name: str
    current_from: int
    current_to: int
    current_rate: Fraction | None
    history_from: int  # summed over the history periods
    history_to: int
    historical_rate: Fraction | None
    change: Fraction | None  # current − historical
    relative_change: Fraction | None  # change ÷ historical (−1/2: fell by half)


@dataclass(frozen=True, slots=True)
class WeakStageReport:
    """薄弱环节 of a campus (``staff_id`` None) or one staff member, for one period."""

    campus_id: str
    staff_id: str | None
    staff_name: str | None
    period: Period
    history: tuple[Period, ...]  # newest first
    steps: tuple[FunnelStep, ...]  # invitation→visit, visit→trial, trial→sign
    weak: FunnelStep | None  # the step that fell most against its history


# The columns of 任务 before the stage columns: the desktop page and its Excel export.
TASK_HEADERS: tuple[str, ...] = (
    "姓名",
    "角色",
    "营业额目标",
    "营业额实际",
    "营业额达成率",
    "划课收入目标",
    "划课收入实际",
    "划课收入达成率",
)
