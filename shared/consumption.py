"""划课: how attendance draws lesson hours from a student's packages, and what they are worth.

The rule (decided once, used by every write path and by the demo generator):

* A student's packages for a course are its non-refund orders of that course, oldest first
  (sign date, then creation). Within a package the paid hours are used before the gifted ones.
* Charged attendance draws its hours in lesson order (date, start time, then creation): each
  lesson takes from the oldest package that still has hours, spilling into the next.
* Paid hours are worth the package's unit price. So that a package's consumption adds up to its
  amount exactly, to the fen, the value of hours ``c .. c+h`` of a package of ``H`` hours and
  ``A`` fen is ``floor(A·(c+h)/H) − floor(A·c/H)``. Gifted hours are worth 0 (kind 赠课).
* Refunds take back hours from the end of the package, so the hours that remain are still
  consumed at the original unit price; a refund may not take back more than remains.
* When no hours remain, the attendance is still recorded (the child sat in the class): the
  uncovered hours become an ``arrears`` (欠课时) entry worth 0. The next package of that course
  settles it: consumption is re-allocated in lesson order, so the arrears hours are drawn from
  the new package at its price and count as 划课收入 on the original lesson date.
* Trial attendance draws nothing: a ``trial`` entry records the hours at 0 fen.

Consumption entries are derived data. :func:`rebuild_student_course` recomputes a student's
chain for one course after any change to its attendance or orders and writes only the entries
that differ, so unchanged rows keep their versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import (
    Attendance,
    AttendanceStatus,
    ConsumptionEntry,
    ConsumptionKind,
    Lesson,
    Order,
    SignType,
)

ZERO = Decimal(0)

_STATUS_KIND = {
    AttendanceStatus.PRESENT: ConsumptionKind.NORMAL,
    AttendanceStatus.LEAVE: ConsumptionKind.LEAVE_CHARGED,
    AttendanceStatus.ABSENT: ConsumptionKind.ABSENCE_CHARGED,
    AttendanceStatus.MAKEUP: ConsumptionKind.MAKEUP,
}


def _hundredths(hours: Decimal) -> int:
    return int(hours * 100)


@dataclass(frozen=True, slots=True)
class Package:
    """A package's capacity: paid hours and amount as sold, hours refunded, gifted hours."""

    order_id: str
    hours: Decimal  # paid hours as sold
    amount_fen: int  # price paid for them
    gift_hours: Decimal
    refunded_hours: Decimal = ZERO
    refunded_gift_hours: Decimal = ZERO

    @property
    def usable_paid_hours(self) -> Decimal:
        """Paid hours that may be consumed (refunds take back the last ones)."""
        return self.hours - self.refunded_hours

    @property
    def usable_gift_hours(self) -> Decimal:
        """Gifted hours that may be consumed."""
        return self.gift_hours - self.refunded_gift_hours

    def value_of(self, consumed_before: Decimal, hours: Decimal) -> int:
        """Fen worth of paid hours ``consumed_before .. consumed_before + hours``."""
        total = _hundredths(self.hours)
        if total == 0:
            return 0
        start = _hundredths(consumed_before)
        end = start + _hundredths(hours)
        return self.amount_fen * end // total - self.amount_fen * start // total


@dataclass(frozen=True, slots=True)
class Charge:
    """One attendance that consumes hours, in the order lessons happened."""

    attendance_id: str
    hours: Decimal
    kind: ConsumptionKind  # the kind for paid hours (normal, leave_charged, ...), or trial


@dataclass(frozen=True, slots=True)
class Allocation:
    """A consumption entry to exist: so many hours of one package (or none), worth so much."""

    attendance_id: str
    order_id: str | None
    kind: ConsumptionKind
    hours: Decimal
    amount_fen: int


def allocate(packages: Sequence[Package], charges: Iterable[Charge]) -> list[Allocation]:
    """Allocate charges, in order, to packages, oldest first (the module's rule)."""
    paid_used = [ZERO] * len(packages)
    gift_used = [ZERO] * len(packages)
    result: list[Allocation] = []
    for charge in charges:
        if charge.hours <= 0:
            continue
        if charge.kind is ConsumptionKind.TRIAL:
            result.append(
                Allocation(charge.attendance_id, None, ConsumptionKind.TRIAL, charge.hours, 0)
            )
            continue
        need = charge.hours
        for i, pkg in enumerate(packages):
            if need <= 0:
                break
            take = min(need, pkg.usable_paid_hours - paid_used[i])
            if take > 0:
                amount = pkg.value_of(paid_used[i], take)
                result.append(
                    Allocation(charge.attendance_id, pkg.order_id, charge.kind, take, amount)
                )
                paid_used[i] += take
                need -= take
            take = min(need, pkg.usable_gift_hours - gift_used[i])
            if take > 0:
                result.append(
                    Allocation(charge.attendance_id, pkg.order_id, ConsumptionKind.GIFTED, take, 0)
                )
                gift_used[i] += take
                need -= take
        if need > 0:
            result.append(Allocation(charge.attendance_id, None, ConsumptionKind.ARREARS, need, 0))
    return result


def charge_kind(status: AttendanceStatus, is_trial: bool) -> ConsumptionKind:
    """The consumption kind an attendance mark produces for paid hours."""
    return ConsumptionKind.TRIAL if is_trial else _STATUS_KIND[status]


# --------------------------------------------------------------------------- database side


def load_packages(session: Session, student_id: str, course_id: str) -> list[Package]:
    """The student's packages for a course, oldest first, with their refunds applied."""
    orders = session.scalars(
        select(Order)
        .where(
            Order.student_id == student_id,
            Order.course_id == course_id,
            Order.is_deleted.is_(False),
        )
        .order_by(Order.signed_on, Order.created_at, Order.id)
    ).all()
    refunded: dict[str, tuple[Decimal, Decimal]] = {}
    for o in orders:
        if o.sign_type is SignType.REFUND and o.refund_of_id:
            hours, gift = refunded.get(o.refund_of_id, (ZERO, ZERO))
            refunded[o.refund_of_id] = (hours + o.hours, gift + o.gift_hours)
    packages = []
    for o in orders:
        if o.sign_type is SignType.REFUND:
            continue
        r_hours, r_gift = refunded.get(o.id, (ZERO, ZERO))
        packages.append(Package(o.id, o.hours, o.amount_fen, o.gift_hours, r_hours, r_gift))
    return packages


def load_charges(session: Session, student_id: str, course_id: str) -> list[Charge]:
    """The student's charged attendance for a course, in the order the lessons happened."""
    rows = session.execute(
        select(Attendance.id, Attendance.charged_hours, Attendance.status, Attendance.is_trial)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Attendance.student_id == student_id,
            Lesson.course_id == course_id,
            Attendance.is_deleted.is_(False),
        )
        .order_by(Lesson.lesson_on, Lesson.starts_at, Attendance.created_at, Attendance.id)
    ).all()
    return [Charge(r.id, r.charged_hours, charge_kind(r.status, r.is_trial)) for r in rows]


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild wrote."""

    inserted: int
    updated: int
    deleted: int

    @property
    def changed(self) -> bool:
        """Whether any entry was written."""
        return bool(self.inserted or self.updated or self.deleted)


def rebuild_student_course(session: Session, student_id: str, course_id: str) -> RebuildResult:
    """Bring a student's consumption entries for one course in line with the rule.

    Call it in the same unit of work after changing the student's attendance or orders of the
    course. Entries that already match keep their row (and version).
    """
    packages = load_packages(session, student_id, course_id)
    charges = load_charges(session, student_id, course_id)
    wanted = allocate(packages, charges)
    if not charges and not wanted:
        existing_count = session.scalar(
            select(func.count())
            .select_from(ConsumptionEntry)
            .where(
                ConsumptionEntry.student_id == student_id,
                ConsumptionEntry.course_id == course_id,
                ConsumptionEntry.is_deleted.is_(False),
            )
        )
        if not existing_count:
            return RebuildResult(0, 0, 0)
    existing = session.scalars(
        select(ConsumptionEntry).where(
            ConsumptionEntry.student_id == student_id,
            ConsumptionEntry.course_id == course_id,
            ConsumptionEntry.is_deleted.is_(False),
        )
    ).all()
    by_key: dict[tuple[str, str | None, ConsumptionKind], list[ConsumptionEntry]] = {}
    for entry in existing:
        by_key.setdefault((entry.attendance_id, entry.order_id, entry.kind), []).append(entry)

    lessons = _lesson_facts(session, {a.attendance_id for a in wanted})
    inserted = updated = 0
    for alloc in wanted:
        bucket = by_key.get((alloc.attendance_id, alloc.order_id, alloc.kind))
        if bucket:
            entry = bucket.pop()
            lesson_on, teacher_id, campus_id = lessons[alloc.attendance_id]
            if (entry.hours, entry.amount_fen, entry.lesson_on, entry.teacher_id) != (
                alloc.hours,
                alloc.amount_fen,
                lesson_on,
                teacher_id,
            ):
                entry.hours, entry.amount_fen = alloc.hours, alloc.amount_fen
                entry.lesson_on, entry.teacher_id = lesson_on, teacher_id
                updated += 1
            continue
        lesson_on, teacher_id, campus_id = lessons[alloc.attendance_id]
        session.add(
            ConsumptionEntry(
                campus_id=campus_id,
                attendance_id=alloc.attendance_id,
                student_id=student_id,
                course_id=course_id,
                teacher_id=teacher_id,
                order_id=alloc.order_id,
                lesson_on=lesson_on,
                kind=alloc.kind,
                hours=alloc.hours,
                amount_fen=alloc.amount_fen,
            )
        )
        inserted += 1
    deleted = 0
    for bucket in by_key.values():
        for entry in bucket:
            entry.is_deleted = True
            deleted += 1
    session.flush()
    return RebuildResult(inserted, updated, deleted)


def _lesson_facts(session: Session, attendance_ids: set[str]) -> dict[str, tuple[date, str, str]]:
    if not attendance_ids:
        return {}
    rows = session.execute(
        select(Attendance.id, Lesson.lesson_on, Lesson.teacher_id, Lesson.campus_id)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(Attendance.id.in_(attendance_ids))
    ).all()
    return {r.id: (r.lesson_on, r.teacher_id, r.campus_id) for r in rows}


@dataclass(frozen=True, slots=True)
class PackageBalance:
    """剩余课时 of one package."""

    order_id: str
    course_id: str
    signed_on: date
    paid_remaining: Decimal
    gift_remaining: Decimal

    @property
    def remaining(self) -> Decimal:
        """All hours still usable in the package."""
        return self.paid_remaining + self.gift_remaining


def package_balances(session: Session, student_id: str) -> list[PackageBalance]:
    """Remaining hours of every package of a student, oldest first."""
    orders = session.scalars(
        select(Order)
        .where(
            Order.student_id == student_id,
            Order.is_deleted.is_(False),
            Order.sign_type != SignType.REFUND,
        )
        .order_by(Order.signed_on, Order.created_at, Order.id)
    ).all()
    used: dict[tuple[str, bool], Decimal] = {}
    for order_id, kind, hours in session.execute(
        select(ConsumptionEntry.order_id, ConsumptionEntry.kind, ConsumptionEntry.hours).where(
            ConsumptionEntry.student_id == student_id,
            ConsumptionEntry.is_deleted.is_(False),
            ConsumptionEntry.order_id.is_not(None),
        )
    ):
        key = (order_id, kind is ConsumptionKind.GIFTED)
        used[key] = used.get(key, ZERO) + hours
    packages: dict[str, Package] = {}
    for course_id in {o.course_id for o in orders}:
        packages.update((p.order_id, p) for p in load_packages(session, student_id, course_id))
    balances = []
    for o in orders:
        pkg = packages[o.id]
        balances.append(
            PackageBalance(
                o.id,
                o.course_id,
                o.signed_on,
                pkg.usable_paid_hours - used.get((o.id, False), ZERO),
                pkg.usable_gift_hours - used.get((o.id, True), ZERO),
            )
        )
    return balances


def remaining_hours(session: Session, student_id: str, course_id: str | None = None) -> Decimal:
    """剩余课时: usable hours left minus unsettled arrears, for one course or all courses."""
    balances = package_balances(session, student_id)
    total = sum((b.remaining for b in balances if course_id in (None, b.course_id)), ZERO)
    arrears_q = select(func.sum(ConsumptionEntry.hours)).where(
        ConsumptionEntry.student_id == student_id,
        ConsumptionEntry.kind == ConsumptionKind.ARREARS,
        ConsumptionEntry.is_deleted.is_(False),
    )
    if course_id is not None:
        arrears_q = arrears_q.where(ConsumptionEntry.course_id == course_id)
    arrears = session.scalar(arrears_q) or ZERO  # sum() keeps the Hours type
    return (total - arrears).quantize(Decimal("0.01"))


def remaining_hours_by_student(session: Session, student_ids: Iterable[str]) -> dict[str, Decimal]:
    """剩余课时 of many students at once, all courses; equal to :func:`remaining_hours` each.

    Bought hours (paid + gifted) − refunded hours − hours drawn from packages − unsettled
    arrears, in four grouped queries per chunk of ids instead of several per student.
    """
    ids = list(dict.fromkeys(student_ids))
    result = {sid: ZERO for sid in ids}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for sign, query in (
            (
                1,
                select(Order.student_id, func.sum(Order.hours), func.sum(Order.gift_hours))
                .where(Order.sign_type != SignType.REFUND)
                .where(Order.student_id.in_(chunk), Order.is_deleted.is_(False))
                .group_by(Order.student_id),
            ),
            (
                -1,
                select(Order.student_id, func.sum(Order.hours), func.sum(Order.gift_hours))
                .where(Order.sign_type == SignType.REFUND)
                .where(Order.student_id.in_(chunk), Order.is_deleted.is_(False))
                .group_by(Order.student_id),
            ),
        ):
            for student_id, hours, gift in session.execute(query):
                result[student_id] += sign * ((hours or ZERO) + (gift or ZERO))
        drawn = (
            select(ConsumptionEntry.student_id, func.sum(ConsumptionEntry.hours))
            .where(ConsumptionEntry.student_id.in_(chunk), ConsumptionEntry.is_deleted.is_(False))
            .where(
                ConsumptionEntry.order_id.is_not(None)
                | (ConsumptionEntry.kind == ConsumptionKind.ARREARS)
            )
            .group_by(ConsumptionEntry.student_id)
        )
        for student_id, hours in session.execute(drawn):
            result[student_id] -= hours or ZERO
    return {sid: value.quantize(Decimal("0.01")) for sid, value in result.items()}
