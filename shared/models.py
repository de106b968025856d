"""The campus schema: every entity of GLOSSARY.md, SQLAlchemy 2.x declarative.

Conventions that every table follows:

* Synced tables (everything a phone may read or write) derive from :class:`Synced`: a UUID
  primary key made by whoever creates the row, a server-assigned ``version`` from one global
  counter (bumped on every change, see :mod:`shared.versioning`), and soft delete
  (``is_deleted`` makes a tombstone), so a pull can ask for "everything since version N".
* Money is integer fen (``*_fen`` columns, ``int``). Quantities of lesson hours (课时) are exact
  :class:`~decimal.Decimal` values with two places, stored as integer hundredths.
* Business dates (``*_on`` columns) are Asia/Shanghai local dates; instants (``*_at``) are UTC.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .enums import (
    DEFAULT_STAGE_NAMES,  # noqa: F401 - re-exported
    AttendanceStatus,
    ConsumptionKind,
    DefaultStage,  # noqa: F401 - re-exported
    LessonStatus,
    Metric,
    PeriodKind,
    Role,
    SignType,
    StudentStatus,
    TargetRole,
    TrialOutcome,
    TrialStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# --------------------------------------------------------------------------- column types


class GUID(TypeDecorator[str]):
    """A UUID stored as 16 bytes, presented to Python as its canonical lowercase string."""

    impl = LargeBinary(16)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            return value.bytes
        if isinstance(value, bytes) and len(value) == 16:
            return value
        return uuid.UUID(str(value)).bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(uuid.UUID(bytes=bytes(value)))


class Hours(TypeDecorator[Decimal]):
    """Lesson hours (课时) as an exact Decimal with two places, stored as integer hundredths."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("hours must be Decimal or int, never float")
        hundredths = Decimal(value) * 100
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"hours have at most two decimals: {value!r}")
        return int(hundredths)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant; SQLite keeps it as ISO text without offset."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def new_id() -> str:
    """A fresh random UUID string, the key format of every synced row."""
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- enums

# Defined in shared.enums (importable without SQLAlchemy) and re-exported above.


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as the plain string value with a CHECK constraint (portable through batch mode).
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


# --------------------------------------------------------------------------- base classes


class Base(DeclarativeBase):
    """Declarative base carrying the constraint naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Synced(Base):
    """A row that phones can pull: UUID key, global version, soft delete, UTC timestamps."""

    __abstract__ = True

    id: Mapped[str] = mapped_column(GUID(), primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    is_deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=_now)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), nullable=False, default=_now, onupdate=_now
    )


class SyncCounter(Base):
    """The single-row global change counter (Anki's usn idea); see :mod:`shared.versioning`."""

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


# --------------------------------------------------------------------------- who


class Campus(Synced):
    """校区: one school site; every business row belongs to one."""

    __tablename__ = "campuses"

    name: Mapped[str] = mapped_column(String(100), nullable=False)
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    # Editable campus settings (day-weight profile, charge-on-leave policy, ...) as JSON.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class Staff(Synced):
    """员工: a person working at a campus, with one or more roles and a hashed PIN."""

    __tablename__ = "staff"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    # A JSON list of Role values, e.g. ["consultant"] or ["manager", "teacher"].
    roles: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    pin_hash: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    hired_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    campus: Mapped[Campus] = relationship()

    def has_role(self, role: Role | str) -> bool:
        """Whether this person holds ``role``."""
        return str(role) in self.roles


class Student(Synced):
    """学员: a learner moving lead → trial → enrolled → paused/churned."""

    __tablename__ = "students"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    gender: Mapped[str] = mapped_column(String(2), nullable=False, default="")  # 男 / 女 / ""
    birth_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    school: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    grade: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    status: Mapped[StudentStatus] = mapped_column(
        _enum(StudentStatus, "student_status"), nullable=False, default=StudentStatus.LEAD
    )
    consultant_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.id"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(40), nullable=False, default="")  # lead channel
    first_contact_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")


class Parent(Synced):
    """家长: a guardian of one or more students."""

    __tablename__ = "parents"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="", index=True)
    phone2: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    wechat: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")


class StudentParent(Synced):
    """The many-to-many link between students and parents, with the relation (母亲, 父亲…)."""

    __tablename__ = "student_parents"

    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False, index=True)
    parent_id: Mapped[str] = mapped_column(ForeignKey("parents.id"), nullable=False, index=True)
    relation: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (UniqueConstraint("student_id", "parent_id"),)


class CommunicationRecord(Synced):
    """沟通记录: a contact with a parent, with an optional next follow-up date."""

    __tablename__ = "communication_records"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    parent_id: Mapped[str] = mapped_column(ForeignKey("parents.id"), nullable=False, index=True)
    student_id: Mapped[str | None] = mapped_column(ForeignKey("students.id"), nullable=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False, index=True)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False, default="")  # 电话/微信/面谈
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    next_follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    follow_up_done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        Index("ix_communication_records_campus_occurred", "campus_id", "occurred_on"),
        Index("ix_communication_records_follow_up", "campus_id", "next_follow_up_on"),
    )


# --------------------------------------------------------------------------- courses, money


class Course(Synced):
    """课程: what is taught, with a standard price per hour."""

    __tablename__ = "courses"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    subject: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    price_per_hour_fen: Mapped[int] = mapped_column(Integer, nullable=False)
    hours_per_lesson: Mapped[Decimal] = mapped_column(Hours(), nullable=False, default=Decimal(1))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (CheckConstraint("price_per_hour_fen >= 0", name="price_not_negative"),)


class Order(Synced):
    """订单 / 签单: a package sold, or a refund (sign type 退费, negative amount).

    A non-refund order is a package: ``hours`` paid hours worth ``amount_fen`` and
    ``gift_hours`` gifted hours worth nothing. A refund order names the package it refunds in
    ``refund_of_id``; its ``hours`` are the hours taken back and ``amount_fen`` is negative.
    """

    __tablename__ = "orders"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False, index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), nullable=False)
    sign_type: Mapped[SignType] = mapped_column(_enum(SignType, "sign_type"), nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    hours: Mapped[Decimal] = mapped_column(Hours(), nullable=False)
    gift_hours: Mapped[Decimal] = mapped_column(Hours(), nullable=False, default=Decimal(0))
    amount_fen: Mapped[int] = mapped_column(Integer, nullable=False)
    consultant_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    intent_teacher_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    trial_id: Mapped[str | None] = mapped_column(ForeignKey("trial_lessons.id"), nullable=True)
    refund_of_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        Index("ix_orders_campus_signed", "campus_id", "signed_on"),
        Index("ix_orders_consultant_signed", "consultant_id", "signed_on"),
        CheckConstraint("hours >= 0 AND gift_hours >= 0", name="hours_not_negative"),
        CheckConstraint(
            "(sign_type = 'refund' AND amount_fen <= 0 AND refund_of_id IS NOT NULL) OR "
            "(sign_type != 'refund' AND amount_fen >= 0 AND refund_of_id IS NULL)",
            name="refund_shape",
        ),
    )


# --------------------------------------------------------------------------- lessons


class Lesson(Synced):
    """课程表 / 排课: one scheduled lesson with its teacher and room."""

    __tablename__ = "lessons"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), nullable=False)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False)
    room: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    title: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    lesson_on: Mapped[date] = mapped_column(Date, nullable=False)  # local date of starts_at
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    hours: Mapped[Decimal] = mapped_column(Hours(), nullable=False, default=Decimal(1))
    status: Mapped[LessonStatus] = mapped_column(
        _enum(LessonStatus, "lesson_status"), nullable=False, default=LessonStatus.SCHEDULED
    )

    __table_args__ = (
        Index("ix_lessons_campus_on", "campus_id", "lesson_on"),
        Index("ix_lessons_teacher_on", "teacher_id", "lesson_on"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
    )


class LessonStudent(Synced):
    """A student enrolled in a scheduled lesson."""

    __tablename__ = "lesson_students"

    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id"), nullable=False, index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False, index=True)
    is_trial: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (UniqueConstraint("lesson_id", "student_id"),)


class Attendance(Synced):
    """点名 / 考勤: one student's mark at one lesson; its hours are drawn by :mod:`consumption`."""

    __tablename__ = "attendance"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    lesson_id: Mapped[str] = mapped_column(ForeignKey("lessons.id"), nullable=False)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False, index=True)
    status: Mapped[AttendanceStatus] = mapped_column(
        _enum(AttendanceStatus, "attendance_status"), nullable=False
    )
    is_trial: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    charged_hours: Mapped[Decimal] = mapped_column(Hours(), nullable=False, default=Decimal(0))
    marked_by_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        UniqueConstraint("lesson_id", "student_id"),
        CheckConstraint("charged_hours >= 0", name="charged_not_negative"),
    )


class ConsumptionEntry(Synced):
    """划课: hours deducted by an attendance, from one package, valued at its unit price.

    One attendance may produce several entries when its hours span two packages (oldest first)
    or run past the last one (an ``arrears`` entry with no package, worth 0 until settled).
    ``lesson_on`` and ``teacher_id`` are copied from the lesson so that 划课收入 by date and by
    teacher needs no join.
    """

    __tablename__ = "consumption_entries"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    attendance_id: Mapped[str] = mapped_column(
        ForeignKey("attendance.id"), nullable=False, index=True
    )
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), nullable=False)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    lesson_on: Mapped[date] = mapped_column(Date, nullable=False)
    kind: Mapped[ConsumptionKind] = mapped_column(
        _enum(ConsumptionKind, "consumption_kind"), nullable=False
    )
    hours: Mapped[Decimal] = mapped_column(Hours(), nullable=False)
    amount_fen: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        Index("ix_consumption_entries_campus_on", "campus_id", "lesson_on"),
        Index("ix_consumption_entries_teacher_on", "teacher_id", "lesson_on"),
        Index("ix_consumption_entries_student_course", "student_id", "course_id"),
        Index("ix_consumption_entries_order", "order_id"),
        # Covering indexes for the dashboard (migration 0002): sums and the outlook's package
        # reads are answered from the index alone.
        Index(
            "ix_consumption_entries_campus_on_amount",
            "campus_id",
            "lesson_on",
            "teacher_id",
            "amount_fen",
            "is_deleted",
        ),
        Index("ix_consumption_entries_order_hours", "order_id", "is_deleted", "kind", "hours"),
        CheckConstraint("hours >= 0 AND amount_fen >= 0", name="not_negative"),
    )


class TrialLesson(Synced):
    """试听: a free lesson for a lead, with the consultant, intent teacher and outcome."""

    __tablename__ = "trial_lessons"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False, index=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), nullable=False)
    consultant_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    intent_teacher_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    lesson_id: Mapped[str | None] = mapped_column(ForeignKey("lessons.id"), nullable=True)
    trial_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[TrialStatus] = mapped_column(
        _enum(TrialStatus, "trial_status"), nullable=False, default=TrialStatus.SCHEDULED
    )
    outcome: Mapped[TrialOutcome] = mapped_column(
        _enum(TrialOutcome, "trial_outcome"), nullable=False, default=TrialOutcome.PENDING
    )
    # The order a signed trial led to points back here through ``Order.trial_id``.
    sign_type: Mapped[SignType | None] = mapped_column(_enum(SignType, "sign_type"), nullable=True)
    feedback: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        Index("ix_trial_lessons_campus_on", "campus_id", "trial_on"),
        # A consultant's, an intent teacher's and a lesson's trials, for the permission
        # scopes (migration 0004).
        Index("ix_trial_lessons_consultant_id", "consultant_id"),
        Index("ix_trial_lessons_intent_teacher_id", "intent_teacher_id"),
        Index("ix_trial_lessons_lesson_id", "lesson_id"),
    )


class GrowthRecord(Synced):
    """成长记录: a teacher's record of one student after a lesson, five dimensions rated 1–5."""

    __tablename__ = "growth_records"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), nullable=False, index=True)
    lesson_id: Mapped[str | None] = mapped_column(ForeignKey("lessons.id"), nullable=True)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False)
    recorded_on: Mapped[date] = mapped_column(Date, nullable=False)
    progress_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")  # 教程进度
    progress: Mapped[int] = mapped_column(Integer, nullable=False)  # 教程进度
    focus: Mapped[int] = mapped_column(Integer, nullable=False)  # 专注持久
    performance: Mapped[int] = mapped_column(Integer, nullable=False)  # 课堂表现
    learning_ability: Mapped[int] = mapped_column(Integer, nullable=False)  # 学习能力
    mastery: Mapped[int] = mapped_column(Integer, nullable=False)  # 掌握情况
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        # The records a teacher wrote, for the permission scopes (migration 0004).
        Index("ix_growth_records_teacher_id", "teacher_id"),
        CheckConstraint(
            "progress BETWEEN 1 AND 5 AND focus BETWEEN 1 AND 5 AND performance BETWEEN 1 AND 5"
            " AND learning_ability BETWEEN 1 AND 5 AND mastery BETWEEN 1 AND 5",
            name="ratings_1_to_5",
        ),
    )


# --------------------------------------------------------------------------- stages


class Stage(Synced):
    """环节: a countable step of work, configurable per campus."""

    __tablename__ = "stages"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    __table_args__ = (UniqueConstraint("campus_id", "code"),)


class StageActivity(Synced):
    """One logged unit of stage work (a call that invited a family, a visit, ...)."""

    __tablename__ = "stage_activities"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    stage_id: Mapped[str] = mapped_column(ForeignKey("stages.id"), nullable=False)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False)
    student_id: Mapped[str | None] = mapped_column(ForeignKey("students.id"), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("parents.id"), nullable=True)
    occurred_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        Index("ix_stage_activities_campus_on", "campus_id", "occurred_on"),
        Index("ix_stage_activities_staff_on", "staff_id", "occurred_on"),
    )


# --------------------------------------------------------------------------- targets


class Target(Synced):
    """A money target: 年度/月度/周目标 of a campus, or a staff member's task amount.

    ``metric`` says 营业额 or 划课收入; ``period_kind`` the level (year, month, week-of-month);
    ``month`` is 0 for a year target and ``week`` is 0 unless it is a week target. Campus targets
    have no ``staff_id``; staff targets (员工订单目标金额: 课程顾问任务额, 意向教师任务额, and
    teachers' consumption targets) name the person and the ``staff_role`` they are judged in.
    ``is_manual`` marks a figure set by hand, which re-spreading a parent leaves alone.
    """

    __tablename__ = "targets"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    metric: Mapped[Metric] = mapped_column(_enum(Metric, "metric"), nullable=False)
    period_kind: Mapped[PeriodKind] = mapped_column(
        _enum(PeriodKind, "period_kind"), nullable=False
    )
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    week: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    staff_role: Mapped[TargetRole | None] = mapped_column(
        _enum(TargetRole, "target_role"), nullable=True
    )
    amount_fen: Mapped[int] = mapped_column(Integer, nullable=False)
    is_manual: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint(
            "(period_kind = 'year' AND month = 0 AND week = 0) OR "
            "(period_kind = 'month' AND month BETWEEN 1 AND 12 AND week = 0) OR "
            "(period_kind = 'week' AND month BETWEEN 1 AND 12 AND week BETWEEN 1 AND 6)",
            name="period_shape",
        ),
        CheckConstraint("(staff_id IS NULL) = (staff_role IS NULL)", name="staff_has_role"),
        Index(
            "uq_targets_campus_period",
            "campus_id",
            "metric",
            "period_kind",
            "year",
            "month",
            "week",
            unique=True,
            sqlite_where=text("staff_id IS NULL AND is_deleted = 0"),
        ),
        Index(
            "uq_targets_staff_period",
            "staff_id",
            "staff_role",
            "metric",
            "period_kind",
            "year",
            "month",
            "week",
            unique=True,
            sqlite_where=text("staff_id IS NOT NULL AND is_deleted = 0"),
        ),
        Index("ix_targets_campus_year", "campus_id", "year"),
    )


class StageTarget(Synced):
    """周环节目标: a target count of one stage for one week-of-month, campus-wide or per person."""

    __tablename__ = "stage_targets"

    campus_id: Mapped[str] = mapped_column(ForeignKey("campuses.id"), nullable=False)
    stage_id: Mapped[str] = mapped_column(ForeignKey("stages.id"), nullable=False)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False)
    week: Mapped[int] = mapped_column(Integer, nullable=False)
    target_count: Mapped[int] = mapped_column(Integer, nullable=False)
    is_manual: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        CheckConstraint("target_count >= 0", name="count_not_negative"),
        CheckConstraint("month BETWEEN 1 AND 12 AND week BETWEEN 1 AND 6", name="week_shape"),
        Index(
            "uq_stage_targets_campus_week",
            "campus_id",
            "stage_id",
            "year",
            "month",
            "week",
            unique=True,
            sqlite_where=text("staff_id IS NULL AND is_deleted = 0"),
        ),
        Index(
            "uq_stage_targets_staff_week",
            "staff_id",
            "stage_id",
            "year",
            "month",
            "week",
            unique=True,
            sqlite_where=text("staff_id IS NOT NULL AND is_deleted = 0"),
        ),
        Index("ix_stage_targets_campus_year", "campus_id", "year"),
    )


SYNCED_MODELS: tuple[type[Synced], ...] = (
    Campus,
    Staff,
    Student,
    Parent,
    StudentParent,
    CommunicationRecord,
    Course,
    TrialLesson,
    Order,
    Lesson,
    LessonStudent,
    Attendance,
    ConsumptionEntry,
    GrowthRecord,
    Stage,
    StageActivity,
    Target,
    StageTarget,
)


# The LAN edge's own tables share this metadata (migrations and schema checks see them).
from . import sync_models  # noqa: E402,F401
