"""Actuals (实际完成): the figures gathered automatically from what the campus records.

Every screen, the phone API and the PDF report read these functions, so a figure has exactly
one definition. All of them skip tombstones (``is_deleted``), always filter by campus (the
per-staff batch versions also accept ``None`` for every live campus at once) and take inclusive
date ranges; ``*_in_ranges`` answer several ranges (a year, its month, its week) in one call.

营业额 (revenue)
    The sum of ``Order.amount_fen`` dated by ``signed_on``; refunds are negative orders, so a
    refund lowers the period it is signed in. Staff credit: role ``consultant`` credits the
    order's ``consultant_id``; role ``intent_teacher`` credits its ``intent_teacher_id``. A
    refund row carries its own consultant (the original's by default) but never an intent
    teacher, so a refund is charged back to the intent teacher of the order it refunds.

划课收入 (consumption)
    The sum of ``ConsumptionEntry.amount_fen`` dated by ``lesson_on``, credited to the entry's
    ``teacher_id`` (copied from the lesson). The entries themselves follow :mod:`consumption`.

Stage counts (环节)
    Per active stage of the campus, keyed by ``Stage.code``: the logged ``StageActivity`` rows
    plus the events that imply a stage without anyone logging it:

    * a held trial (``TrialLesson`` status ``held``, by ``trial_on``) → 试听 ``trial``, credited
      to its consultant *and* to its intent teacher (both did the work; a teacher's stage
      targets may include trials). Campus-wide it is one trial, so the per-person counts of
      ``trial`` may add up to more than the campus count;
    * a non-refund order of sign type new / referral / cross-sell → 签单 ``sign``; a renewal →
      续费 ``renewal``; a referral also → 转介绍 ``referral``; each credited to the order's
      consultant (an order without one counts campus-wide only);
    * a communication record → 家长沟通 ``parent_contact``, credited to its staff member.

    Never counted twice: a logged activity of one of those five stages *matches* an implied
    event when stage, staff member, subject (the student; the parent for ``parent_contact``)
    and date are the same. Matching is one to one: for each such key the count is
    ``max(implied, logged)``, so a manual "签单" typed in beside the order it describes adds
    nothing, while a second manual entry for the same key still counts once more (it is a
    separate logged piece of work, as it would be without any order). In formulas, for a
    scope (the campus, or one staff member)::

        count(stage) = implied events in scope + Σ over keys in scope max(0, logged − implied)

    Activities on inactive or deleted stages, and implied events whose stage the campus has
    switched off, are not counted.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    LargeBinary,
    Select,
    func,
    or_,
    outerjoin,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from .errors import Invalid
from .models import (
    Campus,
    CommunicationRecord,
    ConsumptionEntry,
    DefaultStage,
    Order,
    Role,
    SignType,
    Staff,
    Stage,
    StageActivity,
    TrialLesson,
    TrialStatus,
)
from .services.common import get_live

#: Staff credit on an order: who is judged on it (员工订单目标金额).
REVENUE_ROLES = ("consultant", "intent_teacher")

#: Stages that recorded events imply; a logged activity of these is matched against them.
IMPLIED_STAGES = frozenset(
    {
        DefaultStage.TRIAL.value,
        DefaultStage.SIGN.value,
        DefaultStage.RENEWAL.value,
        DefaultStage.REFERRAL.value,
        DefaultStage.PARENT_CONTACT.value,
    }
)

_SIGN_TYPES_FOR_SIGN = (SignType.NEW, SignType.REFERRAL, SignType.CROSS_SELL)


# --------------------------------------------------------------------------- checks


def check_campus(session: Session, campus_id: object) -> Campus:
    """The live campus, or NotFound naming ``campus_id``."""
    return get_live(session, Campus, campus_id, "campus_id")


def check_staff(
    session: Session, staff_id: object, campus_id: str | None = None, field: str = "staff_id"
) -> Staff:
    """A live staff member (of ``campus_id`` when given), or NotFound/Invalid naming ``field``."""
    staff = get_live(session, Staff, staff_id, field)
    if campus_id is not None and staff.campus_id != campus_id:
        raise Invalid(field, f"{staff.name} 不属于该校区")
    return staff


def check_range(start: object, end: object) -> tuple[date, date]:
    """Accept an inclusive date range with ``start <= end``."""
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, date):
            raise Invalid(field, f"必须是日期：{value!r}")
    assert isinstance(start, date) and isinstance(end, date)
    if end < start:
        raise Invalid("end", "结束日期不能早于开始日期")
    return start, end


def check_revenue_role(staff: Staff, role: object) -> str:
    """Accept a revenue credit role the person holds (intent teachers are teachers)."""
    if role not in REVENUE_ROLES:
        raise Invalid("role", f"营业额的员工角色应为 consultant 或 intent_teacher：{role!r}")
    needed = Role.CONSULTANT if role == "consultant" else Role.TEACHER
    if not staff.has_role(needed):
        label = "课程顾问" if role == "consultant" else "教师"
        raise Invalid("role", f"{staff.name} 没有{label}角色")
    return str(role)


def check_teacher(staff: Staff, field: str = "teacher_id") -> Staff:
    """Accept a person who holds the teacher role."""
    if not staff.has_role(Role.TEACHER):
        raise Invalid(field, f"{staff.name} 不是教师")
    return staff


def _campus_filter(session: Session, column: Any, campus_id: str | None) -> ColumnElement[bool]:
    """``column`` = the campus, or IN every live campus when ``campus_id`` is None.

    The IN keeps the (campus_id, date) indexes usable for "all campuses" (a date alone has no
    index), and leaves out the rows of deleted campuses, as every screen does.
    """
    if campus_id is not None:
        return column == check_campus(session, campus_id).id
    return column.in_(select(Campus.id).where(Campus.is_deleted.is_(False)))


# --------------------------------------------------------------------------- 营业额


def _order_credit(role: str) -> tuple[ColumnElement[str], FromClause]:
    """The column carrying an order's staff credit for ``role``, and the FROM it needs.

    A refund names no intent teacher, so for that role it inherits the one of the order it
    refunds (a self-join on ``refund_of_id``).
    """
    if role == "intent_teacher":
        original = aliased(Order)
        credit = func.coalesce(Order.intent_teacher_id, original.intent_teacher_id)
        return credit, outerjoin(Order, original, original.id == Order.refund_of_id)
    return Order.consultant_id, Order.__table__


def _orders_in(stmt: Select[Any], start: date, end: date) -> Select[Any]:
    return stmt.where(Order.signed_on >= start, Order.signed_on <= end, Order.is_deleted.is_(False))


DateRange = tuple[date, date]


def _check_ranges(ranges: Sequence[DateRange]) -> list[DateRange]:
    if not ranges:
        raise Invalid("ranges", "至少需要一个日期范围")
    return [check_range(start, end) for start, end in ranges]


def revenue_in_ranges(
    session: Session,
    campus_id: str,
    ranges: Sequence[DateRange],
    *,
    staff_id: str | None = None,
    role: str | None = None,
) -> list[int]:
    """营业额 of several date ranges (e.g. a year, its month and week), in order.

    The definition behind :func:`revenue`, which asks for a single range. Each range is its
    own plain SUM: measured on the large demo, that beats one scan with a CASE per range.
    """
    campus = check_campus(session, campus_id)
    ranges = _check_ranges(ranges)
    total = func.coalesce(func.sum(Order.amount_fen), 0)
    if staff_id is None:
        if role is not None:
            raise Invalid("staff_id", "指定角色时必须指定员工")
        stmt = select(total)
    else:
        staff = check_staff(session, staff_id, campus.id)
        credit, source = _order_credit(check_revenue_role(staff, role))
        stmt = select(total).select_from(source).where(credit == staff.id)
    stmt = stmt.where(Order.campus_id == campus.id)
    return [int(session.scalar(_orders_in(stmt, start, end)) or 0) for start, end in ranges]


def revenue(
    session: Session,
    campus_id: str,
    start: date,
    end: date,
    *,
    staff_id: str | None = None,
    role: str | None = None,
) -> int:
    """营业额 in fen of orders signed ``start..end`` (refunds negative), campus or staff credit."""
    return revenue_in_ranges(session, campus_id, [(start, end)], staff_id=staff_id, role=role)[0]


def revenue_by_staff(
    session: Session, campus_id: str | None, start: date, end: date, role: str
) -> dict[str, int]:
    """营业额 credit per staff id for ``role``, one grouped query (no entry for zero credit).

    ``campus_id`` None: every live campus at once.
    """
    where_campus = _campus_filter(session, Order.campus_id, campus_id)
    start, end = check_range(start, end)
    if role not in REVENUE_ROLES:
        raise Invalid("role", f"营业额的员工角色应为 consultant 或 intent_teacher：{role!r}")
    credit, source = _order_credit(role)
    stmt = (
        select(credit, func.sum(Order.amount_fen))
        .select_from(source)
        .where(where_campus, credit.is_not(None))
        .group_by(credit)
    )
    rows = session.execute(_orders_in(stmt, start, end))
    return {staff: int(amount) for staff, amount in rows if amount}


# --------------------------------------------------------------------------- 划课收入


def consumption_in_ranges(
    session: Session,
    campus_id: str,
    ranges: Sequence[DateRange],
    *,
    teacher_id: str | None = None,
) -> list[int]:
    """划课收入 of several date ranges, in order; the definition behind :func:`consumption`."""
    campus = check_campus(session, campus_id)
    ranges = _check_ranges(ranges)
    stmt = select(func.coalesce(func.sum(ConsumptionEntry.amount_fen), 0)).where(
        ConsumptionEntry.campus_id == campus.id, ConsumptionEntry.is_deleted.is_(False)
    )
    if teacher_id is not None:
        teacher = check_teacher(check_staff(session, teacher_id, campus.id, "teacher_id"))
        stmt = stmt.where(ConsumptionEntry.teacher_id == teacher.id)
    day = ConsumptionEntry.lesson_on
    return [int(session.scalar(stmt.where(day >= start, day <= end)) or 0) for start, end in ranges]


def consumption(
    session: Session,
    campus_id: str,
    start: date,
    end: date,
    *,
    teacher_id: str | None = None,
) -> int:
    """划课收入 in fen of consumption entries dated ``start..end``, campus or one teacher."""
    return consumption_in_ranges(session, campus_id, [(start, end)], teacher_id=teacher_id)[0]


def consumption_by_teacher(
    session: Session, campus_id: str | None, start: date, end: date
) -> dict[str, int]:
    """划课收入 per teacher id, one grouped query (no entry for a teacher with nothing).

    ``campus_id`` None: every live campus at once.
    """
    where_campus = _campus_filter(session, ConsumptionEntry.campus_id, campus_id)
    start, end = check_range(start, end)
    stmt = (
        select(ConsumptionEntry.teacher_id, func.sum(ConsumptionEntry.amount_fen))
        .where(
            where_campus,
            ConsumptionEntry.lesson_on >= start,
            ConsumptionEntry.lesson_on <= end,
            ConsumptionEntry.is_deleted.is_(False),
        )
        .group_by(ConsumptionEntry.teacher_id)
    )
    return {t: int(amount) for t, amount in session.execute(stmt) if amount}


def raw_id(column: Any) -> Any:
    """A GUID column as its 16 stored bytes: hot loops skip the UUID round trip per value."""
    return type_coerce(column, LargeBinary)


def id_bytes(row_id: str) -> bytes:
    """The stored bytes of an id string."""
    return uuid.UUID(row_id).bytes


def id_text(blob: bytes) -> str:
    """The id string of stored bytes."""
    return str(uuid.UUID(bytes=blob))


# --------------------------------------------------------------------------- stage counts

# (stage code, staff id, subject id, date): the key a logged activity is matched on. Ids are the
# stored 16 bytes here (see raw_id): a month of a big campus is thousands of them.
_Key = tuple[str, bytes, bytes | None, date]


@dataclass
class _Tally:
    """Implied events and logged activities of one date range, ready to count in any scope."""

    codes: list[str]  # active stage codes, in display order
    # implied events: (code, credited staff ids, subject, date) — one per event
    events: list[tuple[str, frozenset[bytes], bytes, date]]
    logged: Counter[_Key]  # logged activities of implied stages, by key
    plain: Counter[tuple[str, bytes]]  # logged activities of other stages, by (code, staff)

    def count(self, staff_id: bytes | None) -> dict[str, int]:
        """Counts per stage code for the campus (``None``) or one staff member."""
        result = dict.fromkeys(self.codes, 0)
        implied: Counter[_Key] = Counter()
        for code, staff_ids, subject, day in self.events:
            if staff_id is not None and staff_id not in staff_ids:
                continue
            result[code] += 1
            for credited in staff_ids:
                if staff_id is None or credited == staff_id:
                    implied[(code, credited, subject, day)] += 1
        for key, n in self.logged.items():
            if staff_id is None or key[1] == staff_id:
                result[key[0]] += max(0, n - implied[key])
        for (code, staff), n in self.plain.items():
            if staff_id is None or staff == staff_id:
                result[code] += n
        return result

    def staff_ids(self) -> set[bytes]:
        """Everyone credited with anything in the range."""
        ids: set[bytes] = set()
        for _, staff_ids, _, _ in self.events:
            ids |= staff_ids
        ids.update(key[1] for key in self.logged)
        ids.update(staff for _, staff in self.plain)
        return ids


def _tally(
    session: Session, campus_id: str, start: date, end: date, staff_id: bytes | None
) -> _Tally:
    stages = session.execute(
        select(Stage.code)
        .where(Stage.campus_id == campus_id, Stage.active.is_(True), Stage.is_deleted.is_(False))
        .order_by(Stage.sort_order, Stage.code)
    ).scalars()
    codes = list(stages)
    active = set(codes)
    tally = _Tally(codes, [], Counter(), Counter())

    logged = (
        select(
            Stage.code,
            raw_id(StageActivity.staff_id),
            raw_id(StageActivity.student_id),
            raw_id(StageActivity.parent_id),
            StageActivity.occurred_on,
            func.count(),
        )
        .join(Stage, Stage.id == StageActivity.stage_id)
        .where(
            StageActivity.campus_id == campus_id,
            StageActivity.occurred_on >= start,
            StageActivity.occurred_on <= end,
            StageActivity.is_deleted.is_(False),
            Stage.active.is_(True),
            Stage.is_deleted.is_(False),
        )
        .group_by(
            Stage.code,
            StageActivity.staff_id,
            StageActivity.student_id,
            StageActivity.parent_id,
            StageActivity.occurred_on,
        )
    )
    if staff_id is not None:
        logged = logged.where(raw_id(StageActivity.staff_id) == staff_id)
    for code, staff, student, parent, day, n in session.execute(logged):
        if code in IMPLIED_STAGES:
            subject = parent if code == DefaultStage.PARENT_CONTACT else student
            tally.logged[(code, staff, subject, day)] += n
        else:
            tally.plain[(code, staff)] += n

    def add(code: str, staff_ids: Iterable[bytes | None], subject: bytes, day: date) -> None:
        if code in active:
            tally.events.append((code, frozenset(s for s in staff_ids if s), subject, day))

    trials = select(
        raw_id(TrialLesson.consultant_id),
        raw_id(TrialLesson.intent_teacher_id),
        raw_id(TrialLesson.student_id),
        TrialLesson.trial_on,
    ).where(
        TrialLesson.campus_id == campus_id,
        TrialLesson.trial_on >= start,
        TrialLesson.trial_on <= end,
        TrialLesson.status == TrialStatus.HELD,
        TrialLesson.is_deleted.is_(False),
    )
    if staff_id is not None:
        trials = trials.where(
            or_(
                raw_id(TrialLesson.consultant_id) == staff_id,
                raw_id(TrialLesson.intent_teacher_id) == staff_id,
            )
        )
    for consultant, teacher, student, day in session.execute(trials):
        add(DefaultStage.TRIAL, (consultant, teacher), student, day)

    orders = select(
        Order.sign_type, raw_id(Order.consultant_id), raw_id(Order.student_id), Order.signed_on
    ).where(
        Order.campus_id == campus_id,
        Order.signed_on >= start,
        Order.signed_on <= end,
        Order.sign_type.in_((*_SIGN_TYPES_FOR_SIGN, SignType.RENEWAL)),
        Order.is_deleted.is_(False),
    )
    if staff_id is not None:
        orders = orders.where(raw_id(Order.consultant_id) == staff_id)
    for sign_type, consultant, student, day in session.execute(orders):
        if sign_type is SignType.RENEWAL:
            add(DefaultStage.RENEWAL, (consultant,), student, day)
            continue
        add(DefaultStage.SIGN, (consultant,), student, day)
        if sign_type is SignType.REFERRAL:
            add(DefaultStage.REFERRAL, (consultant,), student, day)

    if DefaultStage.PARENT_CONTACT.value in active:
        contacts = select(
            raw_id(CommunicationRecord.staff_id),
            raw_id(CommunicationRecord.parent_id),
            CommunicationRecord.occurred_on,
        ).where(
            CommunicationRecord.campus_id == campus_id,
            CommunicationRecord.occurred_on >= start,
            CommunicationRecord.occurred_on <= end,
            CommunicationRecord.is_deleted.is_(False),
        )
        if staff_id is not None:
            contacts = contacts.where(raw_id(CommunicationRecord.staff_id) == staff_id)
        for staff, parent, day in session.execute(contacts):
            add(DefaultStage.PARENT_CONTACT, (staff,), parent, day)
    return tally


def stage_counts(
    session: Session,
    campus_id: str,
    start: date,
    end: date,
    *,
    staff_id: str | None = None,
) -> dict[str, int]:
    """Stage counts ``start..end`` keyed by ``Stage.code`` (every active stage; the module rule)."""
    campus = check_campus(session, campus_id)
    start, end = check_range(start, end)
    staff = None if staff_id is None else id_bytes(check_staff(session, staff_id, campus.id).id)
    return _tally(session, campus.id, start, end, staff).count(staff)


def stage_counts_by_staff(
    session: Session, campus_id: str, start: date, end: date
) -> dict[str, dict[str, int]]:
    """Stage counts per staff id (everyone credited with anything), from one pass over the rows."""
    campus = check_campus(session, campus_id)
    start, end = check_range(start, end)
    tally = _tally(session, campus.id, start, end, None)
    return {id_text(staff): tally.count(staff) for staff in sorted(tally.staff_ids())}


__all__ = [
    "IMPLIED_STAGES",
    "REVENUE_ROLES",
    "check_campus",
    "check_range",
    "check_revenue_role",
    "check_staff",
    "check_teacher",
    "consumption",
    "consumption_by_teacher",
    "consumption_in_ranges",
    "id_bytes",
    "id_text",
    "raw_id",
    "revenue",
    "revenue_by_staff",
    "revenue_in_ranges",
    "stage_counts",
    "stage_counts_by_staff",
]
