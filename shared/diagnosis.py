"""业绩诊断: why a campus is behind — trial analysis, student analysis and the weak stage.

Plain functions over the caller's session, returning frozen dataclasses; the desktop page, the
phone API and the PDF report all call them, so each figure has one source of truth. Rates are
exact :class:`~fractions.Fraction` values (``None`` where the denominator is zero); hours are
:class:`~decimal.Decimal`; money is integer fen.

Decisions (each one made here once, so that every edge shows the same figures):

试听分析 (:func:`trial_analysis`)
  * A trial belongs to the period that contains its ``trial_on`` (the day the lesson is booked
    for), not the day it was booked or the day it was signed.
  * Each trial is in exactly one state. *Signed* trials count as *held* whatever their recorded
    status, because an order is proof the child came, and front desks often record the order
    without first marking the trial held; this also keeps conversion at most 100%. Otherwise a
    trial is held, no-show, pending (still 已约, not marked) or cancelled by its status.
    "Trials" counts the booked ones: held + no-show + pending; cancelled trials are reported
    beside them but are not trials that happened or could have.
  * A trial is signed when a live, non-refund order names it (``Order.trial_id``) with
    ``signed_on`` on or before ``as_of`` (default: today) and, if ``sign_window_days`` is
    given, at most that many days after the trial. So an order signed after the period ends
    still converts the trial — families often sign a week later — and re-running a report for
    a past ``as_of`` gives the same answer. A trial whose outcome is 已签单 but that no live
    order names (a result entered on a phone before the order) counts as signed, undated, with
    the trial's own ``sign_type``. A later refund does not unsign a trial: it was converted.
  * Conversion (试听转化率) is signed ÷ held. Days to order is ``order.signed_on −
    trial.trial_on`` of the earliest order, over signed trials with a dated order.
  * Trials are attributed to the trial's consultant and intent teacher (who booked and who
    taught it), not to the order's, since the question is who converts trials.
  * The previous period (:meth:`Period.previous`) is measured with the same ``as_of`` and
    window; for a period still running, the newest trials have had less time to sign.

学员分析 (:func:`student_analysis`)
  * Consumption is live :class:`ConsumptionEntry` rows dated by ``lesson_on``. The by-kind
    table lists every 消耗类型 including 试听; the totals and the by-course and by-teacher tables
    leave 试听 out, because trial hours are drawn from no package and are not 课消.
  * 课次 counts lessons attended (出勤 or 补课, not trial, lesson not cancelled) in the period.
    The students counted are those enrolled (在读) now plus anyone else who attended a lesson
    in the period (so a past month still shows the students who have since left). Buckets: 0,
    1–2, 3–4, 5–8, 9+ (:data:`LESSON_COUNT_BUCKETS`, sized for a month: about one lesson a
    week is 3–4).
  * Remaining hours (剩余课时) are today's, from :func:`shared.consumption.remaining_hours`.
    The renewal list is enrolled students with remaining hours ``<= few_hours_threshold``
    (arrears show as negative), fewest first. The churn-risk list is enrolled students whose
    last attended lesson up to ``today`` is more than ``idle_weeks`` weeks before ``today``
    (or who never attended one), never-attended first, then longest idle.

薄弱环节 (:func:`weak_stage`)
  * The funnel is 邀约 → 到访 → 试听 → 签单, counted by :func:`shared.actuals.stage_counts`
    (implied events included; :func:`~shared.actuals.stage_counts_by_staff` for the
    per-consultant version, which applies the same rule to everyone in one pass).
  * The historical rate of a step is pooled over the previous ``history_periods`` periods of
    the same kind: Σ later-stage counts ÷ Σ earlier-stage counts, i.e. the periods' rates
    averaged with their volumes as weights, so one quiet week with a lucky 1-of-1 does not
    weigh as much as a busy month.
  * The weak stage is the step whose rate fell most relative to its own history:
    (historical − current) ÷ historical; ties go to the earlier step, where the funnel leaks
    first. A step with no current or no historical rate cannot be judged; if no step fell, or
    there is no history, there is no weak stage.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .actuals import stage_counts, stage_counts_by_staff
from .consumption import remaining_hours_by_student
from .errors import Invalid
from .figures import FunnelStep, StudentLessons, WeakStageReport
from .models import (
    DEFAULT_STAGE_NAMES,
    Attendance,
    AttendanceStatus,
    Campus,
    ConsumptionEntry,
    ConsumptionKind,
    Course,
    DefaultStage,
    Lesson,
    LessonStatus,
    Order,
    Role,
    SignType,
    Staff,
    Stage,
    Student,
    StudentStatus,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)
from .periods import Period, today_local
from .services.common import get_live

ZERO_HOURS = Decimal("0.00")

UNASSIGNED = "未指定"  # the row label for trials or students with no consultant / teacher

CONSUMPTION_KIND_NAMES: dict[ConsumptionKind, str] = {
    ConsumptionKind.NORMAL: "正常",
    ConsumptionKind.LEAVE_CHARGED: "请假扣课",
    ConsumptionKind.ABSENCE_CHARGED: "旷课扣课",
    ConsumptionKind.MAKEUP: "补课",
    ConsumptionKind.GIFTED: "赠课",
    ConsumptionKind.TRIAL: "试听",
    ConsumptionKind.ARREARS: "欠课时",
}

# (label, lowest, highest or None for open-ended): lessons attended in the period.
LESSON_COUNT_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1–2", 1, 2),
    ("3–4", 3, 4),
    ("5–8", 5, 8),
    ("9+", 9, None),
)

# The sales funnel the weak-stage finder walks, upstream first.
FUNNEL: tuple[tuple[str, str], ...] = (
    (DefaultStage.INVITATION.value, DefaultStage.VISIT.value),
    (DefaultStage.VISIT.value, DefaultStage.TRIAL.value),
    (DefaultStage.TRIAL.value, DefaultStage.SIGN.value),
)

# Attendance that means the child sat in the lesson.
_ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.MAKEUP)


def _rate(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


# =========================================================================== input checks


def _check_campus(session: Session, campus_id: object) -> str:
    return get_live(session, Campus, campus_id, "campus_id").id


def _check_period(period: object) -> Period:
    if not isinstance(period, Period):
        raise Invalid("period", "必须是年、月或周的周期")
    return period


def _check_date(value: object, field: str) -> date:
    # datetime is a date subclass; a business date must be a plain local date.
    if not isinstance(value, date) or type(value) is not date:
        raise Invalid(field, f"必须是日期：{value!r}")
    return value


def _check_count(value: object, field: str, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise Invalid(field, f"必须是不小于 {minimum} 的整数：{value!r}")
    return value


def _check_threshold(value: object) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (int, Decimal)):
        raise Invalid("few_hours_threshold", f"必须是整数或十进制课时：{value!r}")
    hours = Decimal(value)
    if not hours.is_finite() or hours < 0:
        raise Invalid("few_hours_threshold", "课时阈值不能为负数")
    return hours


def _staff_names(session: Session, ids: Iterable[str | None]) -> dict[str, str]:
    # Deleted staff keep their names here: history must not lose the people who made it.
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted))).all())


def _name_key(name: str, row_id: str | None) -> tuple[bool, str, str]:
    # Named rows by name, the unassigned row last.
    return (row_id is None, name, row_id or "")


# =========================================================================== 试听分析


@dataclass(frozen=True, slots=True)
class TrialCounts:
    """Headline trial figures of one group; conversion is signed ÷ held (None if none held)."""

    trials: int  # booked: held + no_show + pending
    held: int
    no_show: int
    pending: int  # still 已约, neither held nor no-show yet
    signed: int
    cancelled: int  # not part of ``trials``
    conversion: Fraction | None


@dataclass(frozen=True, slots=True)
class DaysToOrder:
    """Days from trial to order over signed trials with a dated order."""

    orders: int
    mean: Fraction | None
    median: Fraction | None


@dataclass(frozen=True, slots=True)
class TrialRow:
    """One consultant's or intent teacher's trials (``staff_id`` None: nobody recorded)."""

    staff_id: str | None
    staff_name: str
    counts: TrialCounts
    days_to_order: DaysToOrder


@dataclass(frozen=True, slots=True)
class TrialPairRow:
    """The trials one consultant booked with one intent teacher."""

    consultant_id: str | None
    consultant_name: str
    intent_teacher_id: str | None
    intent_teacher_name: str
    counts: TrialCounts


@dataclass(frozen=True, slots=True)
class SignTypeRow:
    """Signed trials of one 签单类型 (``sign_type`` None: signed, type not recorded)."""

    sign_type: SignType | None
    signed: int


@dataclass(frozen=True, slots=True)
class TrialHeadline:
    """A period's overall trial figures."""

    period: Period
    counts: TrialCounts
    days_to_order: DaysToOrder


@dataclass(frozen=True, slots=True)
class TrialChange:
    """This period minus the previous one (conversion in rate units: ×100 = 百分点)."""

    trials: int
    held: int
    no_show: int
    signed: int
    conversion: Fraction | None  # None unless both periods have a conversion
    mean_days_to_order: Fraction | None


@dataclass(frozen=True, slots=True)
class TrialAnalysis:
    """试听分析 of a campus for a period, with the previous period for comparison."""

    campus_id: str
    period: Period
    as_of: date  # orders signed after this day are not counted
    sign_window_days: int | None
    current: TrialHeadline
    by_consultant: tuple[TrialRow, ...]
    by_intent_teacher: tuple[TrialRow, ...]
    by_pair: tuple[TrialPairRow, ...]
    by_sign_type: tuple[SignTypeRow, ...]  # new, renewal, referral, cross-sell, then unknown
    previous: TrialHeadline
    change: TrialChange


@dataclass(frozen=True, slots=True)
class _TrialFact:
    consultant_id: str | None
    intent_teacher_id: str | None
    state: str  # "held" | "no_show" | "pending" | "cancelled"
    signed: bool
    sign_type: SignType | None
    days_to_order: int | None


def _load_trial_facts(
    session: Session, campus_id: str, period: Period, as_of: date, window: int | None
) -> list[_TrialFact]:
    start, end = period.bounds
    trials = session.scalars(
        select(TrialLesson).where(
            TrialLesson.campus_id == campus_id,
            TrialLesson.is_deleted.is_(False),
            TrialLesson.trial_on >= start,
            TrialLesson.trial_on <= end,
        )
    ).all()
    if not trials:
        return []
    linked: dict[str, list[Order]] = defaultdict(list)
    for order in session.scalars(
        select(Order)
        .where(
            Order.trial_id.in_([t.id for t in trials]),
            Order.is_deleted.is_(False),
            Order.sign_type != SignType.REFUND,
        )
        .order_by(Order.signed_on, Order.created_at, Order.id)
    ):
        linked[order.trial_id].append(order)  # type: ignore[index]  # trial_id is set here
    facts = []
    for trial in trials:
        orders = linked.get(trial.id)
        sign_type: SignType | None = None
        days: int | None = None
        if orders:
            # Orders decide, and only those signed by as_of (and within the window) count.
            latest = as_of
            if window is not None:
                latest = min(latest, trial.trial_on + timedelta(days=window))
            first = next((o for o in orders if o.signed_on <= latest), None)
            signed = first is not None
            if first is not None:
                sign_type = first.sign_type
                days = (first.signed_on - trial.trial_on).days
        else:
            signed = trial.outcome is TrialOutcome.SIGNED
            sign_type = trial.sign_type if signed else None
        if signed or trial.status is TrialStatus.HELD:
            state = "held"
        elif trial.status is TrialStatus.NO_SHOW:
            state = "no_show"
        elif trial.status is TrialStatus.CANCELLED:
            state = "cancelled"
        else:
            state = "pending"
        facts.append(
            _TrialFact(trial.consultant_id, trial.intent_teacher_id, state, signed, sign_type, days)
        )
    return facts


def _count_trials(facts: Iterable[_TrialFact]) -> TrialCounts:
    states: Counter[str] = Counter()
    signed = 0
    for fact in facts:
        states[fact.state] += 1
        signed += fact.signed
    held = states["held"]
    return TrialCounts(
        trials=held + states["no_show"] + states["pending"],
        held=held,
        no_show=states["no_show"],
        pending=states["pending"],
        signed=signed,
        cancelled=states["cancelled"],
        conversion=_rate(signed, held),
    )


def _days_to_order(facts: Iterable[_TrialFact]) -> DaysToOrder:
    days = sorted(f.days_to_order for f in facts if f.days_to_order is not None)
    if not days:
        return DaysToOrder(0, None, None)
    n = len(days)
    mid = n // 2
    median = Fraction(days[mid]) if n % 2 else Fraction(days[mid - 1] + days[mid], 2)
    return DaysToOrder(n, Fraction(sum(days), n), median)


def _trial_rows(facts: list[_TrialFact], key: str, names: dict[str, str]) -> tuple[TrialRow, ...]:
    groups: dict[str | None, list[_TrialFact]] = defaultdict(list)
    for fact in facts:
        groups[getattr(fact, key)].append(fact)
    rows = [
        TrialRow(
            staff_id,
            names.get(staff_id, UNASSIGNED) if staff_id else UNASSIGNED,
            _count_trials(group),
            _days_to_order(group),
        )
        for staff_id, group in groups.items()
    ]
    return tuple(sorted(rows, key=lambda r: _name_key(r.staff_name, r.staff_id)))


def _pair_rows(facts: list[_TrialFact], names: dict[str, str]) -> tuple[TrialPairRow, ...]:
    groups: dict[tuple[str | None, str | None], list[_TrialFact]] = defaultdict(list)
    for fact in facts:
        groups[(fact.consultant_id, fact.intent_teacher_id)].append(fact)
    rows = [
        TrialPairRow(
            consultant_id,
            names.get(consultant_id, UNASSIGNED) if consultant_id else UNASSIGNED,
            teacher_id,
            names.get(teacher_id, UNASSIGNED) if teacher_id else UNASSIGNED,
            _count_trials(group),
        )
        for (consultant_id, teacher_id), group in groups.items()
    ]
    return tuple(
        sorted(
            rows,
            key=lambda r: (
                _name_key(r.consultant_name, r.consultant_id),
                _name_key(r.intent_teacher_name, r.intent_teacher_id),
            ),
        )
    )


def _sign_type_rows(facts: list[_TrialFact]) -> tuple[SignTypeRow, ...]:
    signed = Counter(f.sign_type for f in facts if f.signed)
    # Every orderable type appears, even at zero, so charts keep their shape period to period.
    rows = [SignTypeRow(t, signed[t]) for t in SignType if t is not SignType.REFUND]
    if signed[None]:
        rows.append(SignTypeRow(None, signed[None]))
    return tuple(rows)


def _difference(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    return None if a is None or b is None else a - b


def trial_analysis(
    session: Session,
    campus_id: str,
    period: Period,
    *,
    as_of: date | None = None,
    sign_window_days: int | None = None,
) -> TrialAnalysis:
    """试听分析 of a campus for a period: overall, per consultant, teacher, pair and sign type.

    A trial counts as signed if an order naming it is signed by ``as_of`` (default: today) and,
    when ``sign_window_days`` is given, within that many days of the trial; see the module
    docstring for every counting rule.
    """
    campus_id = _check_campus(session, campus_id)
    period = _check_period(period)
    as_of = today_local() if as_of is None else _check_date(as_of, "as_of")
    if sign_window_days is not None:
        _check_count(sign_window_days, "sign_window_days", minimum=0)

    facts = _load_trial_facts(session, campus_id, period, as_of, sign_window_days)
    previous_period = period.previous()
    previous_facts = _load_trial_facts(session, campus_id, previous_period, as_of, sign_window_days)
    current = TrialHeadline(period, _count_trials(facts), _days_to_order(facts))
    previous = TrialHeadline(
        previous_period, _count_trials(previous_facts), _days_to_order(previous_facts)
    )
    names = _staff_names(
        session, [f.consultant_id for f in facts] + [f.intent_teacher_id for f in facts]
    )
    now, then = current.counts, previous.counts
    return TrialAnalysis(
        campus_id=campus_id,
        period=period,
        as_of=as_of,
        sign_window_days=sign_window_days,
        current=current,
        by_consultant=_trial_rows(facts, "consultant_id", names),
        by_intent_teacher=_trial_rows(facts, "intent_teacher_id", names),
        by_pair=_pair_rows(facts, names),
        by_sign_type=_sign_type_rows(facts),
        previous=previous,
        change=TrialChange(
            trials=now.trials - then.trials,
            held=now.held - then.held,
            no_show=now.no_show - then.no_show,
            signed=now.signed - then.signed,
            conversion=_difference(now.conversion, then.conversion),
            mean_days_to_order=_difference(current.days_to_order.mean, previous.days_to_order.mean),
        ),
    )


# =========================================================================== 学员分析


@dataclass(frozen=True, slots=True)
class CourseConsumption:
    """Hours consumed and 划课收入 of one course (trial hours excluded)."""

    course_id: str
    course_name: str
    hours: Decimal
    amount_fen: int


@dataclass(frozen=True, slots=True)
class TeacherConsumption:
    """Hours consumed and 划课收入 of one teacher's lessons (trial hours excluded)."""

    teacher_id: str
    teacher_name: str
    hours: Decimal
    amount_fen: int


@dataclass(frozen=True, slots=True)
class KindConsumption:
    """Hours and fen of one 消耗类型 (every kind is listed, 试听 included)."""

    kind: ConsumptionKind
    kind_name: str
    hours: Decimal
    amount_fen: int


@dataclass(frozen=True, slots=True)
class LessonCountBucket:
    """How many students attended between ``low`` and ``high`` (None: no limit) lessons."""

    label: str
    low: int
    high: int | None
    students: int


@dataclass(frozen=True, slots=True)
class StudentAnalysis:
    """学员分析 of a campus for a period, with today's renewal and churn-risk lists."""

    campus_id: str
    period: Period
    today: date
    few_hours_threshold: Decimal
    idle_weeks: int
    consumed_hours: Decimal  # 课消 hours, trial hours excluded
    consumed_fen: int  # 划课收入
    by_course: tuple[CourseConsumption, ...]
    by_teacher: tuple[TeacherConsumption, ...]
    by_kind: tuple[KindConsumption, ...]
    lesson_buckets: tuple[LessonCountBucket, ...]
    students: tuple[StudentLessons, ...]  # enrolled now, or attended in the period
    few_hours: tuple[StudentLessons, ...]  # renewal opportunities, fewest hours first
    idle: tuple[StudentLessons, ...]  # churn risk, never-attended first, then longest idle


def _consumption(
    session: Session, campus_id: str, period: Period
) -> tuple[list[CourseConsumption], list[TeacherConsumption], list[KindConsumption]]:
    start, end = period.bounds
    rows = session.execute(
        select(
            ConsumptionEntry.course_id,
            ConsumptionEntry.teacher_id,
            ConsumptionEntry.kind,
            ConsumptionEntry.hours,
            ConsumptionEntry.amount_fen,
        ).where(
            ConsumptionEntry.campus_id == campus_id,
            ConsumptionEntry.is_deleted.is_(False),
            ConsumptionEntry.lesson_on >= start,
            ConsumptionEntry.lesson_on <= end,
        )
    ).all()
    # Summed in Python over the Hours type: an SQL SUM would bypass its hundredths decoding.
    hours: dict[tuple[str, object], Decimal] = defaultdict(lambda: ZERO_HOURS)
    fen: dict[tuple[str, object], int] = defaultdict(int)
    for course_id, teacher_id, kind, entry_hours, amount in rows:
        keys = [("kind", kind)]
        if kind is not ConsumptionKind.TRIAL:
            keys += [("course", course_id), ("teacher", teacher_id)]
        for key in keys:
            hours[key] += entry_hours
            fen[key] += amount
    course_ids = [k for table, k in hours if table == "course"]
    teacher_ids = [k for table, k in hours if table == "teacher"]
    course_names: dict[str, str] = dict(
        session.execute(select(Course.id, Course.name).where(Course.id.in_(course_ids))).all()
    )
    teacher_names = _staff_names(session, teacher_ids)
    courses = sorted(
        (
            CourseConsumption(
                cid, course_names.get(cid, ""), hours[("course", cid)], fen[("course", cid)]
            )
            for cid in course_ids
        ),
        key=lambda r: (r.course_name, r.course_id),
    )
    teachers = sorted(
        (
            TeacherConsumption(
                tid, teacher_names.get(tid, ""), hours[("teacher", tid)], fen[("teacher", tid)]
            )
            for tid in teacher_ids
        ),
        key=lambda r: (r.teacher_name, r.teacher_id),
    )
    # Every kind is listed, even at zero, so the chart keeps its shape period to period.
    kinds = [
        KindConsumption(
            kind,
            CONSUMPTION_KIND_NAMES[kind],
            hours.get(("kind", kind), ZERO_HOURS),
            fen.get(("kind", kind), 0),
        )
        for kind in ConsumptionKind
    ]
    return courses, teachers, kinds


def _attended_lessons(campus_id: str) -> Select[tuple[str]]:
    """Attended (出勤/补课), non-trial marks on lessons that took place, grouped by student."""
    return (
        select(Attendance.student_id)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            # Through the lesson's (campus_id, lesson_on) index: attendance has no campus index,
            # and grouping by student otherwise walks every mark of every campus (seconds on
            # the large demo instead of milliseconds).
            Lesson.campus_id == campus_id,
            Attendance.campus_id == campus_id,
            Attendance.is_deleted.is_(False),
            Attendance.is_trial.is_(False),
            Attendance.status.in_(_ATTENDED),
            Lesson.is_deleted.is_(False),
            Lesson.status != LessonStatus.CANCELLED,
        )
        .group_by(Attendance.student_id)
    )


def _bucket_counts(lessons: Iterable[int]) -> tuple[LessonCountBucket, ...]:
    counts = list(lessons)
    return tuple(
        LessonCountBucket(
            label, low, high, sum(1 for n in counts if low <= n and (high is None or n <= high))
        )
        for label, low, high in LESSON_COUNT_BUCKETS
    )


def student_analysis(
    session: Session,
    campus_id: str,
    period: Period,
    *,
    today: date,
    few_hours_threshold: Decimal | int = Decimal(4),
    idle_weeks: int = 3,
) -> StudentAnalysis:
    """学员分析: consumption by course, teacher and kind; 课次; renewal and churn-risk lists."""
    campus_id = _check_campus(session, campus_id)
    period = _check_period(period)
    today = _check_date(today, "today")
    threshold = _check_threshold(few_hours_threshold)
    idle_weeks = _check_count(idle_weeks, "idle_weeks", minimum=1)
    start, end = period.bounds

    courses, teachers, kinds = _consumption(session, campus_id, period)
    consumed_hours = sum((c.hours for c in courses), ZERO_HOURS)
    consumed_fen = sum(c.amount_fen for c in courses)

    base = _attended_lessons(campus_id)
    lessons_in_period: dict[str, int] = dict(
        session.execute(
            base.add_columns(func.count()).where(Lesson.lesson_on >= start, Lesson.lesson_on <= end)
        ).all()
    )
    last_lesson: dict[str, date] = dict(
        session.execute(
            base.add_columns(func.max(Lesson.lesson_on)).where(Lesson.lesson_on <= today)
        ).all()
    )
    students = session.scalars(
        select(Student).where(
            Student.campus_id == campus_id,
            Student.is_deleted.is_(False),
            (Student.status == StudentStatus.ENROLLED) | Student.id.in_(list(lessons_in_period)),
        )
    ).all()
    consultants = _staff_names(session, (s.consultant_id for s in students))
    hours = remaining_hours_by_student(session, [s.id for s in students])
    rows = sorted(
        (
            StudentLessons(
                student_id=s.id,
                student_name=s.name,
                status=s.status,
                consultant_id=s.consultant_id,
                consultant_name=consultants.get(s.consultant_id, UNASSIGNED)
                if s.consultant_id
                else UNASSIGNED,
                lessons=lessons_in_period.get(s.id, 0),
                last_lesson_on=last_lesson.get(s.id),
                remaining_hours=hours[s.id],
            )
            for s in students
        ),
        key=lambda r: (r.student_name, r.student_id),
    )
    enrolled = [r for r in rows if r.status is StudentStatus.ENROLLED]
    few_hours = sorted(
        (r for r in enrolled if r.remaining_hours <= threshold),
        key=lambda r: (r.remaining_hours, r.student_name, r.student_id),
    )
    idle_since = today - timedelta(weeks=idle_weeks)
    idle = sorted(
        (r for r in enrolled if r.last_lesson_on is None or r.last_lesson_on < idle_since),
        key=lambda r: (r.last_lesson_on or date.min, r.student_name, r.student_id),
    )
    return StudentAnalysis(
        campus_id=campus_id,
        period=period,
        today=today,
        few_hours_threshold=threshold,
        idle_weeks=idle_weeks,
        consumed_hours=consumed_hours,
        consumed_fen=consumed_fen,
        by_course=tuple(courses),
        by_teacher=tuple(teachers),
        by_kind=tuple(kinds),
        lesson_buckets=_bucket_counts(r.lessons for r in rows),
        students=tuple(rows),
        few_hours=tuple(few_hours),
        idle=tuple(idle),
    )


# =========================================================================== 薄弱环节


def _stage_names(session: Session, campus_id: str) -> dict[str, str]:
    # Campuses may rename their stages; the defaults fill in any that are missing.
    names = {str(code): name for code, name in DEFAULT_STAGE_NAMES.items()}
    names.update(
        session.execute(
            select(Stage.code, Stage.name).where(
                Stage.campus_id == campus_id, Stage.is_deleted.is_(False)
            )
        ).all()
    )
    return names


def _history_periods(period: Period, count: int) -> tuple[Period, ...]:
    history = []
    for _ in range(count):
        period = period.previous()
        history.append(period)
    return tuple(history)


def _period_counts(
    session: Session, campus_id: str, periods: Iterable[Period]
) -> dict[Period, dict[str, dict[str, int]]]:
    # One tally per period for everybody at once, instead of one per person per period.
    return {p: stage_counts_by_staff(session, campus_id, p.start, p.end) for p in periods}


def _weak_stage_report(
    campus_id: str,
    period: Period,
    staff: Staff | None,
    history: tuple[Period, ...],
    counts: dict[Period, dict[str, int]],
    stage_names: dict[str, str],
) -> WeakStageReport:
    now = counts[period]
    past: Counter[str] = Counter()
    for p in history:
        past.update(counts[p])
    steps = []
    for from_code, to_code in FUNNEL:
        current = _rate(now.get(to_code, 0), now.get(from_code, 0))
        historical = _rate(past[to_code], past[from_code])
        change = _difference(current, historical)
        steps.append(
            FunnelStep(
                from_code=from_code,
                to_code=to_code,
                from_name=stage_names.get(from_code, from_code),
                to_name=stage_names.get(to_code, to_code),
                current_from=now.get(from_code, 0),
                current_to=now.get(to_code, 0),
                current_rate=current,
                history_from=past[from_code],
                history_to=past[to_code],
                historical_rate=historical,
                change=change,
                relative_change=change / historical if change is not None and historical else None,
            )
        )
    fallen = [s for s in steps if s.relative_change is not None and s.relative_change < 0]
    # min() keeps the first of equal drops: the upstream step, where the funnel leaks first.
    weak = min(fallen, key=lambda s: s.relative_change or 0) if fallen else None
    return WeakStageReport(
        campus_id=campus_id,
        staff_id=staff.id if staff is not None else None,
        staff_name=staff.name if staff is not None else None,
        period=period,
        history=history,
        steps=tuple(steps),
        weak=weak,
    )


def weak_stage(
    session: Session,
    campus_id: str,
    period: Period,
    *,
    staff_id: str | None = None,
    history_periods: int = 6,
) -> WeakStageReport:
    """薄弱环节: the funnel step whose conversion fell most against its own recent history."""
    campus_id = _check_campus(session, campus_id)
    period = _check_period(period)
    history_periods = _check_count(history_periods, "history_periods", minimum=1)
    staff = None
    if staff_id is not None:
        staff = get_live(session, Staff, staff_id, "staff_id")
        if staff.campus_id != campus_id:
            raise Invalid("staff_id", "员工不属于该校区")
    history = _history_periods(period, history_periods)
    counts = {
        p: stage_counts(session, campus_id, p.start, p.end, staff_id=staff_id)
        for p in (period, *history)
    }
    return _weak_stage_report(
        campus_id, period, staff, history, counts, _stage_names(session, campus_id)
    )


def weak_stages_by_staff(
    session: Session, campus_id: str, period: Period, *, history_periods: int = 6
) -> list[WeakStageReport]:
    """薄弱环节 of every active consultant of the campus, each against their own history."""
    campus_id = _check_campus(session, campus_id)
    period = _check_period(period)
    history_periods = _check_count(history_periods, "history_periods", minimum=1)
    consultants = sorted(
        (
            s
            for s in session.scalars(
                select(Staff).where(
                    Staff.campus_id == campus_id,
                    Staff.is_deleted.is_(False),
                    Staff.active.is_(True),
                )
            )
            if s.has_role(Role.CONSULTANT)
        ),
        key=lambda s: (s.name, s.id),
    )
    names = _stage_names(session, campus_id)
    history = _history_periods(period, history_periods)
    by_staff = _period_counts(session, campus_id, (period, *history))
    return [
        _weak_stage_report(
            campus_id,
            period,
            s,
            history,
            {p: counts.get(s.id, {}) for p, counts in by_staff.items()},
            names,
        )
        for s in consultants
    ]
