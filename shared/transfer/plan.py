"""Checking an import: every row against the same rules as the desktop, before anything is written.

:func:`plan_import` reads the file (:mod:`shared.transfer.reader`), reads each cell
(:mod:`shared.transfer.cells`), checks each record with the services' own validation
(``shared.services``: text lengths, phone numbers, genders, statuses, birth dates, course
hours, roles), resolves the references between sheets and against the campus already in the
file, and returns an :class:`ImportPlan`: the clean rows, every problem by 表/行/列, the
duplicate students to merge or skip, and the staff to be created. Nothing is written; the
plan is committed by :func:`shared.transfer.commit.commit_import` only when it has no problems.

Rules decided here (the services have no bulk counterpart):

* A student who matches one already in the campus file (same name and a parent with the same
  phone, :func:`shared.services.students.find_duplicate`) or an earlier row of the file is a
  duplicate, offered as merge (reuse the student, fill its empty fields, add links, orders and
  attendance) or skip (the row and every row that refers to that student are left out). For a
  student repeated within the file, merge fills the first row's blanks from the later row and
  skip ignores the later row; rows of other sheets naming that student go to the one student.
* A parent whose phone is already in the campus is that parent (as at the front desk's 登记);
  a course whose name exists is that course; both are reused unchanged.
* A student whose 状态 is blank is a 线索, or 在读 when the file gives them an order (as
  signing an order at the desktop enrols a student); a written 状态 is kept as written.
* Staff are found by name; a name not in the file is created as staff without PIN, with the
  roles the sheets use it in (课程顾问 → consultant, 教师 / 意向教师 → teacher). An existing
  person used in a role they do not hold is a problem, as on the desktop.
* A refund (退费) names its package by 原订单号 in the same file; the refunds of a package may
  not take back more hours, gifted hours or money than it was sold with. How much of it was
  already consumed is not checked: 划课 is recomputed with the refund applied, so hours taken
  back are never consumed (what runs past the packages becomes 欠课时, as in the live program).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Database
from ..enums import ATTENDANCE_NAMES, SIGN_TYPE_NAMES, STUDENT_STATUS_NAMES
from ..errors import Invalid
from ..models import (
    AttendanceStatus,
    Campus,
    Course,
    Lesson,
    Parent,
    Role,
    SignType,
    Staff,
    Student,
    StudentStatus,
)
from ..periods import SHANGHAI, today_local
from ..services.common import check_phone, check_text
from ..services.courses import check_hours_per_lesson
from ..services.lessons import default_charge
from ..services.orders import check_package
from ..services.parents import clean_parent_fields
from ..services.staff import ROLE_NAMES
from ..services.students import clean_student_fields, find_duplicate
from . import cells
from .export import resolve_campus
from .layout import (
    COLUMNS,
    COURSE_ACTIVE_NAMES,
    ENTITY_KINDS,
    SHEET_NAMES,
)
from .reader import Problem, RawFile, RawSheet, read_file

StudentKey = tuple[str, str]  # (学员姓名, 联系电话 canonical or "")
LessonKey = tuple[date, time, str, str, str]  # (上课日期, 开始时间, 课程, 教师, 教室)

MERGE, SKIP = "merge", "skip"


def describe_key(key: StudentKey) -> str:
    """A student key as people read it: ``张小明（13812345678）``."""
    name, phone = key
    return f"{name}（{phone}）" if phone else f"{name}（无联系电话）"


# --------------------------------------------------------------------------- clean rows


@dataclass
class StudentIn:
    """A 学员 row, checked."""

    row: int
    key: StudentKey
    fields: dict[str, object]  # Student columns (name, gender, birth_on, ..., notes)
    consultant: str  # staff name or ""
    status_given: bool = True  # False: 状态 was blank (线索, or 在读 once an order is signed)


@dataclass
class LinkIn:
    """A 家长 row, checked: the parent (by phone) and, optionally, the child it belongs to."""

    row: int
    phone: str
    fields: dict[str, str]  # Parent columns (name, phone, phone2, wechat, notes)
    student: StudentKey | None
    relation: str
    is_primary: bool


@dataclass
class CourseIn:
    """A 课程 row, checked."""

    row: int
    name: str
    subject: str
    price_per_hour_fen: int
    hours_per_lesson: Decimal
    active: bool


@dataclass
class OrderIn:
    """An 订单 row, checked."""

    row: int
    number: str
    student: StudentKey
    course: str
    sign_type: SignType
    signed_on: date
    hours: Decimal
    gift_hours: Decimal
    amount_fen: int  # negative for a refund
    consultant: str
    intent_teacher: str
    refund_of: str
    notes: str


@dataclass
class LessonIn:
    """A lesson made from the 上课记录 rows that share its key."""

    row: int  # the first row naming it
    key: LessonKey
    starts_at: datetime  # UTC
    ends_at: datetime
    hours: Decimal
    room: str


@dataclass
class AttendanceIn:
    """An 上课记录 row, checked."""

    row: int
    lesson: LessonKey
    student: StudentKey
    status: AttendanceStatus
    is_trial: bool
    charged_hours: Decimal
    note: str


@dataclass(frozen=True)
class Duplicate:
    """A student of the file who is already in the campus or earlier in the file."""

    index: int
    sheet: str
    row: int
    key: StudentKey
    existing: str  # what it duplicates, as people read it
    existing_student_id: str | None  # None: an earlier row of the same file
    first_row: int | None  # the earlier row, for duplicates within the file


@dataclass(frozen=True)
class NewStaff:
    """A staff name used in the file and not found in the campus: created without PIN."""

    name: str
    roles: tuple[str, ...]

    @property
    def role_names(self) -> str:
        """The roles as staff say them."""
        return "、".join(ROLE_NAMES[Role(r)] for r in self.roles)


@dataclass
class ImportPlan:
    """What an import would do, checked: clean rows, problems, duplicates, new staff."""

    path: Path
    campus_id: str
    campus_name: str
    raw: RawFile
    problems: list[Problem] = field(default_factory=list)
    students: list[StudentIn] = field(default_factory=list)
    links: list[LinkIn] = field(default_factory=list)
    courses: list[CourseIn] = field(default_factory=list)
    orders: list[OrderIn] = field(default_factory=list)
    lessons: dict[LessonKey, LessonIn] = field(default_factory=dict)
    attendance: list[AttendanceIn] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    new_staff: list[NewStaff] = field(default_factory=list)
    # Resolved against the campus file as it was when checked.
    existing_staff: dict[str, str] = field(default_factory=dict)  # name → id
    existing_courses: dict[str, str] = field(default_factory=dict)  # name → id
    existing_parents: dict[str, str] = field(default_factory=dict)  # phone → id
    existing_students: dict[StudentKey, str] = field(default_factory=dict)  # referenced only
    course_hours: dict[str, Decimal] = field(default_factory=dict)  # per lesson, by name
    checked_at_version: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file may be imported (no problem at all)."""
        return not self.problems

    def row_counts(self) -> dict[str, int]:
        """Data rows read per kind (only kinds present in the file)."""
        return {kind: len(sheet.rows) for kind, sheet in self.raw.sheets.items()}

    def sheet_title(self, kind: str) -> str:
        """The sheet (or file) name a kind came from."""
        sheet = self.raw.sheets.get(kind)
        return sheet.title if sheet else SHEET_NAMES[kind]

    def preview(self, kind: str, limit: int = 20) -> tuple[list[str], list[list[str]]]:
        """The first ``limit`` rows of a kind as text, with the template's headers."""
        sheet = self.raw.sheets.get(kind)
        columns = [c for c in COLUMNS[kind] if not c.export_only]
        if sheet is None:
            return [c.header for c in columns], []
        rows = [
            [cells.text(sheet.cell(values, c.field)) for c in columns]
            for _, values in sheet.rows[:limit]
        ]
        return [c.header for c in columns], rows

    def default_decisions(self, merge: bool = False) -> dict[int, str]:
        """A decision for every duplicate (by its row): all merge or (the default) all skip."""
        return {d.row: MERGE if merge else SKIP for d in self.duplicates}


# --------------------------------------------------------------------------- the checker


_STATUS_BY_WORD: dict[str, object] = {
    **{name: status for status, name in STUDENT_STATUS_NAMES.items()},
    **{status.value: status for status in StudentStatus},
}
_SIGN_BY_WORD: dict[str, object] = {
    **{name: kind for kind, name in SIGN_TYPE_NAMES.items()},
    **{kind.value: kind for kind in SignType},
}
_ATTENDANCE_BY_WORD: dict[str, object] = {
    **{name: status for status, name in ATTENDANCE_NAMES.items()},
    **{status.value: status for status in AttendanceStatus},
    "缺勤": AttendanceStatus.ABSENT,
    "到课": AttendanceStatus.PRESENT,
}
_ACTIVE_BY_WORD: dict[str, object] = {
    **{name: active for active, name in COURSE_ACTIVE_NAMES.items()},
    "": True,
    "是": True,
    "否": False,
}


class _RowProblem(Exception):
    """Stops checking one row after its problems were recorded."""


class _Checker:
    """Builds an ImportPlan from a RawFile and the campus's current state."""

    def __init__(
        self, session: Session, plan: ImportPlan, today: date, check: Callable[[], None]
    ) -> None:
        self.session = session
        self.plan = plan
        self.today = today
        self.check = check
        self.campus = session.get(Campus, plan.campus_id)
        self.headers = {kind: {c.field: c.header for c in COLUMNS[kind]} for kind in ENTITY_KINDS}
        # Staff uses: name → roles needed, and where first needed (for problems).
        self.staff_uses: dict[str, dict[str, tuple[str, int, str]]] = {}
        self.staff_by_name: dict[str, list[Staff]] = {}
        for staff in session.scalars(
            select(Staff).where(Staff.campus_id == plan.campus_id, Staff.is_deleted.is_(False))
        ):
            self.staff_by_name.setdefault(staff.name, []).append(staff)
        self.db_courses = {
            c.name: c
            for c in session.scalars(
                select(Course).where(
                    Course.campus_id == plan.campus_id, Course.is_deleted.is_(False)
                )
            )
        }
        self.db_student_names = set(
            session.scalars(
                select(Student.name).where(
                    Student.campus_id == plan.campus_id, Student.is_deleted.is_(False)
                )
            )
        )
        self.db_parent_phones = {
            phone: parent_id
            for parent_id, phone in session.execute(
                select(Parent.id, Parent.phone)
                .where(Parent.campus_id == plan.campus_id, Parent.is_deleted.is_(False))
                .order_by(Parent.created_at.desc())  # the oldest wins, as find_parent_by_phone
            )
        }
        self._student_lookup: dict[StudentKey, str | None] = {}
        self._raw_cache: dict[tuple[str, str], set[str]] = {}

    # ------------------------------------------------------------------ helpers

    def problem(self, kind: str, row: int, column_field: str, message: str) -> None:
        header = self.headers[kind].get(column_field, "") if column_field else ""
        self.plan.problems.append(Problem(self.plan.sheet_title(kind), row, header, message))

    def read(
        self,
        kind: str,
        row: int,
        values: tuple[object, ...],
        sheet: RawSheet,
        name: str,
        reader: Callable[[object], object],
        *,
        required: bool = False,
        default: object = None,
    ) -> object:
        """Read one cell with ``reader``; a problem is recorded and _RowProblem raised."""
        raw = sheet.cell(values, name)
        if cells.is_blank(raw):
            if required:
                self.problem(kind, row, name, "不能为空")
            return default
        try:
            return reader(raw)
        except cells.CellError as exc:
            # Recorded; the row goes on being read so that all its problems are listed.
            self.problem(kind, row, name, exc.message)
            return None

    def invalid(
        self, kind: str, row: int, exc: Invalid, rename: dict[str, str] | None = None
    ) -> None:
        field_name = (rename or {}).get(exc.field, exc.field)
        self.problem(kind, row, field_name if field_name in self.headers[kind] else "", exc.reason)

    def use_staff(self, name: str, role: Role, kind: str, row: int, column_field: str) -> None:
        if name:
            self.staff_uses.setdefault(name, {}).setdefault(role.value, (kind, row, column_field))

    def student_key(
        self,
        kind: str,
        row: int,
        values: tuple[object, ...],
        sheet: RawSheet,
        name_field: str,
        phone_field: str,
        default_phone: str = "",
    ) -> StudentKey:
        name = self.read(kind, row, values, sheet, name_field, cells.text, required=True)
        raw_phone = cells.text(sheet.cell(values, phone_field))
        try:
            phone = check_phone(raw_phone, "phone") if raw_phone else default_phone
        except Invalid as exc:
            self.problem(kind, row, phone_field, exc.reason)
            phone = ""
        return (str(name or ""), phone)

    def rows(self, kind: str) -> list[tuple[int, tuple[object, ...]]]:
        sheet = self.plan.raw.sheets.get(kind)
        return sheet.rows if sheet else []

    # ------------------------------------------------------------------ kinds

    def courses(self) -> None:
        sheet = self.plan.raw.sheets.get("courses")
        seen: dict[str, int] = {}
        for row, values in self.rows("courses"):
            assert sheet is not None
            mark = len(self.plan.problems)
            try:
                name = check_text(
                    cells.text(sheet.cell(values, "name")), "name", max_len=60, required=True
                )
                subject = check_text(
                    cells.text(sheet.cell(values, "subject")), "subject", max_len=40
                )
            except Invalid as exc:
                self.invalid("courses", row, exc)
                continue
            try:
                price = self.read(
                    "courses", row, values, sheet, "price", cells.money_fen, required=True
                )
                raw_hours = self.read(
                    "courses",
                    row,
                    values,
                    sheet,
                    "hours_per_lesson",
                    cells.hours,
                    default=Decimal(1),
                )
                active = self.read(
                    "courses",
                    row,
                    values,
                    sheet,
                    "active",
                    lambda v: cells.choice(v, _ACTIVE_BY_WORD, "课程状态"),
                    default=True,
                )
            except _RowProblem:
                continue
            if len(self.plan.problems) > mark:
                continue
            try:
                per_lesson = check_hours_per_lesson(raw_hours)
            except Invalid as exc:
                self.invalid("courses", row, exc)
                continue
            if name in seen:
                self.problem(
                    "courses", row, "name", f"课程“{name}”在第 {seen[name]} 行已出现（重复）"
                )
                continue
            seen[name] = row
            if name in self.db_courses:
                # The campus already teaches it: that course is used, unchanged.
                self.plan.existing_courses[name] = self.db_courses[name].id
                self.plan.course_hours[name] = self.db_courses[name].hours_per_lesson
                continue
            assert isinstance(price, int) and isinstance(active, bool)
            self.plan.courses.append(CourseIn(row, name, subject, price, per_lesson, active))
            self.plan.course_hours[name] = per_lesson

    def course_known(self, kind: str, row: int, name: str, column_field: str) -> bool:
        if name in self.plan.course_hours:
            return True
        if name in self.db_courses:
            self.plan.existing_courses[name] = self.db_courses[name].id
            self.plan.course_hours[name] = self.db_courses[name].hours_per_lesson
            return True
        if name not in self._raw_values("courses", "name"):
            # A course row with problems of its own is reported there, not again here.
            self.problem(kind, row, column_field, f"课程“{name}”不存在；请在课程表中添加")
        return False

    def _raw_values(self, kind: str, name: str) -> set[str]:
        """Every value of one column of a sheet as written, problems or not."""
        cache_key = (kind, name)
        if cache_key not in self._raw_cache:
            sheet = self.plan.raw.sheets.get(kind)
            self._raw_cache[cache_key] = (
                {cells.text(sheet.cell(values, name)) for _, values in sheet.rows}
                if sheet
                else set()
            )
        return self._raw_cache[cache_key]

    def students(self) -> None:
        sheet = self.plan.raw.sheets.get("students")
        first_row: dict[StudentKey, int] = {}
        for row, values in self.rows("students"):
            assert sheet is not None
            mark = len(self.plan.problems)
            try:
                key = self.student_key("students", row, values, sheet, "name", "phone")
                status = self.read(
                    "students",
                    row,
                    values,
                    sheet,
                    "status",
                    lambda v: cells.choice(v, _STATUS_BY_WORD, "学员状态"),
                    default=StudentStatus.LEAD,
                )
                birth = self.read("students", row, values, sheet, "birth_on", cells.day)
                first_contact = self.read(
                    "students", row, values, sheet, "first_contact_on", cells.day
                )
            except _RowProblem:
                continue
            if len(self.plan.problems) > mark:
                continue
            raw_fields = {
                "name": key[0],
                "gender": cells.text(sheet.cell(values, "gender")),
                "birth_on": birth,
                "school": cells.text(sheet.cell(values, "school")),
                "grade": cells.text(sheet.cell(values, "grade")),
                "status": status,
                "source": cells.text(sheet.cell(values, "source")),
                "first_contact_on": first_contact,
                "notes": cells.text(sheet.cell(values, "notes")),
            }
            try:
                # The desktop's own rules for a student's fields.
                fields = clean_student_fields(
                    self.session, self.plan.campus_id, raw_fields, self.today
                )
            except Invalid as exc:
                self.invalid("students", row, exc)
                continue
            consultant = cells.text(sheet.cell(values, "consultant"))
            self.use_staff(consultant, Role.CONSULTANT, "students", row, "consultant")
            student = StudentIn(
                row,
                (str(fields["name"]), key[1]),
                fields,
                consultant,
                status_given=not cells.is_blank(sheet.cell(values, "status")),
            )
            if student.key in first_row:
                self.plan.duplicates.append(
                    Duplicate(
                        index=len(self.plan.duplicates),
                        sheet=self.plan.sheet_title("students"),
                        row=row,
                        key=student.key,
                        existing=f"本文件第 {first_row[student.key]} 行的同一学员",
                        existing_student_id=None,
                        first_row=first_row[student.key],
                    )
                )
            else:
                first_row[student.key] = row
            self.plan.students.append(student)
            if len(self.plan.students) % 1000 == 0:
                self.check()

    def parents(self) -> None:
        sheet = self.plan.raw.sheets.get("parents")
        details: dict[str, tuple[int, dict[str, str]]] = {}
        seen_links: dict[tuple[str, StudentKey], int] = {}
        for row, values in self.rows("parents"):
            assert sheet is not None
            mark = len(self.plan.problems)
            try:
                phone = check_phone(cells.text(sheet.cell(values, "phone")), "phone", required=True)
                phone2 = check_phone(cells.text(sheet.cell(values, "phone2")), "phone2")
                fields = clean_parent_fields(
                    {
                        "name": cells.text(sheet.cell(values, "name")),
                        "phone": phone,
                        "phone2": phone2,
                        "wechat": cells.text(sheet.cell(values, "wechat")),
                        "notes": cells.text(sheet.cell(values, "notes")),
                    }
                )
                relation = check_text(
                    cells.text(sheet.cell(values, "relation")), "relation", max_len=20
                )
            except Invalid as exc:
                self.invalid("parents", row, exc)
                continue
            try:
                is_primary = bool(
                    self.read(
                        "parents", row, values, sheet, "is_primary", cells.yes_no, default=False
                    )
                )
                student: StudentKey | None = None
                if not cells.is_blank(sheet.cell(values, "student_name")):
                    student = self.student_key(
                        "parents",
                        row,
                        values,
                        sheet,
                        "student_name",
                        "student_phone",
                        default_phone=phone,
                    )
            except _RowProblem:
                continue
            if len(self.plan.problems) > mark:
                continue
            if phone in details:
                first, known = details[phone]
                for name, value in fields.items():
                    if known[name] != value:
                        header = self.headers["parents"][name]
                        self.problem(
                            "parents",
                            row,
                            name,
                            f"同一家长（电话 {phone}）在第 {first} 行的{header}是“{known[name]}”，"
                            "两处不一致",
                        )
                        break
            else:
                details[phone] = (row, fields)
            if student is not None:
                link_key = (phone, student)
                if link_key in seen_links:
                    self.problem(
                        "parents",
                        row,
                        "student_name",
                        f"第 {seen_links[link_key]} 行已写过这位家长与"
                        f"{describe_key(student)}的关系（重复）",
                    )
                    continue
                seen_links[link_key] = row
            self.plan.links.append(LinkIn(row, phone, fields, student, relation, is_primary))

    def resolve_student(self, key: StudentKey) -> str | None:
        """The id of a campus student with this key (name + a parent's phone), or None."""
        if key not in self._student_lookup:
            found = None
            if key[0] in self.db_student_names:
                if key[1]:
                    hit = find_duplicate(self.session, self.plan.campus_id, key[0], [key[1]])
                    found = hit[0] if hit else None
                else:
                    found = self.session.scalar(
                        select(Student.id)
                        .where(
                            Student.campus_id == self.plan.campus_id,
                            Student.name == key[0],
                            Student.is_deleted.is_(False),
                        )
                        .order_by(Student.created_at)
                        .limit(1)
                    )
            self._student_lookup[key] = found
        return self._student_lookup[key]

    def student_duplicates(self) -> None:
        """Students of the file already in the campus (the desktop's duplicate rule)."""
        phones_of: dict[StudentKey, set[str]] = {}
        for link in self.plan.links:
            if link.student is not None:
                phones_of.setdefault(link.student, set()).update(
                    p for p in (link.phone, link.fields["phone2"]) if p
                )
        in_file = {d.row for d in self.plan.duplicates}
        for student in self.plan.students:
            if student.row in in_file or student.key[0] not in self.db_student_names:
                continue
            phones = {student.key[1], *phones_of.get(student.key, set())} - {""}
            hit = find_duplicate(self.session, self.plan.campus_id, student.key[0], sorted(phones))
            if hit is None:
                continue
            existing_id, parent_name, phone = hit
            self.plan.duplicates.append(
                Duplicate(
                    index=len(self.plan.duplicates),
                    sheet=self.plan.sheet_title("students"),
                    row=student.row,
                    key=student.key,
                    existing=f"已有学员 {student.key[0]}（家长 {parent_name}，电话 {phone}）",
                    existing_student_id=existing_id,
                    first_row=None,
                )
            )
            self._student_lookup[student.key] = existing_id

    def check_references_to_students(self) -> None:
        in_file = {s.key for s in self.plan.students}
        parent_phones = {link.phone for link in self.plan.links} | set(self.db_parent_phones)

        def known(kind: str, row: int, key: StudentKey, column_field: str) -> None:
            if key in in_file:
                return
            found = self.resolve_student(key)
            if found is None and key[0] in self._raw_values("students", "name"):
                return  # the student's own row has a problem, reported there
            if found is None:
                self.problem(
                    kind, row, column_field, f"学员{describe_key(key)}不存在；请在学员表中添加"
                )
            else:
                self.plan.existing_students[key] = found

        for link in self.plan.links:
            if link.student is not None:
                known("parents", link.row, link.student, "student_name")
        for order in self.plan.orders:
            known("orders", order.row, order.student, "student_name")
        for att in self.plan.attendance:
            known("attendance", att.row, att.student, "student_name")
        # A student's 联系电话 is the phone of one of its parents.
        linked: dict[StudentKey, set[str]] = {}
        primaries: dict[StudentKey, list[int]] = {}
        for link in self.plan.links:
            if link.student is not None:
                linked.setdefault(link.student, set()).add(link.phone)
                if link.is_primary:
                    primaries.setdefault(link.student, []).append(link.row)
        for student in self.plan.students:
            phone = student.key[1]
            if phone and phone not in linked.get(student.key, set()) and phone not in parent_phones:
                self.problem(
                    "students",
                    student.row,
                    "phone",
                    f"家长表和系统中都没有电话为 {phone} 的家长；请在家长表中添加这位家长",
                )
        for key, rows in primaries.items():
            if len(rows) > 1:
                self.problem(
                    "parents",
                    rows[1],
                    "is_primary",
                    f"学员{describe_key(key)}在第 {rows[0]} 行已有主要联系人，只能有一位",
                )

    def orders(self) -> None:
        sheet = self.plan.raw.sheets.get("orders")
        numbers: dict[str, OrderIn] = {}
        for row, values in self.rows("orders"):
            assert sheet is not None
            mark = len(self.plan.problems)
            try:
                student = self.student_key(
                    "orders", row, values, sheet, "student_name", "student_phone"
                )
                course = str(
                    self.read("orders", row, values, sheet, "course", cells.text, required=True)
                )
                sign_type = self.read(
                    "orders",
                    row,
                    values,
                    sheet,
                    "sign_type",
                    lambda v: cells.choice(v, _SIGN_BY_WORD, "签单类型"),
                    required=True,
                )
                signed_on = self.read(
                    "orders", row, values, sheet, "signed_on", cells.day, required=True
                )
                hours = self.read("orders", row, values, sheet, "hours", cells.hours, required=True)
                gift = self.read(
                    "orders", row, values, sheet, "gift_hours", cells.hours, default=Decimal(0)
                )
                amount = self.read(
                    "orders",
                    row,
                    values,
                    sheet,
                    "amount",
                    lambda v: cells.money_fen(v, allow_negative=True),
                    required=True,
                )
            except _RowProblem:
                continue
            if len(self.plan.problems) > mark:
                continue
            assert isinstance(sign_type, SignType) and isinstance(amount, int)
            assert isinstance(hours, Decimal) and isinstance(gift, Decimal)
            assert isinstance(signed_on, date)
            number = cells.text(sheet.cell(values, "number"))
            refund_of = cells.text(sheet.cell(values, "refund_of"))
            try:
                notes = check_text(cells.text(sheet.cell(values, "notes")), "notes", max_len=2000)
            except Invalid as exc:
                self.invalid("orders", row, exc)
                continue
            ok = self.course_known("orders", row, course, "course")
            # record_order's rules on hours and money (refunds: the refund's own, below).
            if sign_type is SignType.REFUND:
                amount = -abs(amount)
                if hours + gift <= 0:
                    self.problem("orders", row, "hours", "退费课时必须大于零")
                    ok = False
                if not refund_of:
                    self.problem("orders", row, "refund_of", "退费行必须写明所退订单的订单号")
                    ok = False
            else:
                if amount < 0:
                    self.problem(
                        "orders", row, "amount", "金额不能为负数（退费请选签单类型“退费”）"
                    )
                    ok = False
                else:
                    try:
                        check_package(hours, gift, amount)
                    except Invalid as exc:
                        self.invalid("orders", row, exc, {"amount_fen": "amount"})
                        ok = False
                if refund_of:
                    self.problem("orders", row, "refund_of", "只有退费行可以填写原订单号")
                    ok = False
            consultant = cells.text(sheet.cell(values, "consultant"))
            intent_teacher = cells.text(sheet.cell(values, "intent_teacher"))
            self.use_staff(consultant, Role.CONSULTANT, "orders", row, "consultant")
            self.use_staff(intent_teacher, Role.TEACHER, "orders", row, "intent_teacher")
            order = OrderIn(
                row,
                number,
                student,
                course,
                sign_type,
                signed_on,
                hours,
                gift,
                amount,
                consultant,
                intent_teacher,
                refund_of,
                notes,
            )
            if number:
                if number in numbers:
                    self.problem(
                        "orders",
                        row,
                        "number",
                        f"订单号“{number}”在第 {numbers[number].row} 行已出现（重复）",
                    )
                    ok = False
                else:
                    numbers[number] = order
            if ok:
                self.plan.orders.append(order)
        self._check_refunds(numbers)

    def _check_refunds(self, numbers: dict[str, OrderIn]) -> None:
        taken: dict[str, tuple[Decimal, Decimal, int]] = {}
        for order in self.plan.orders:
            if order.sign_type is not SignType.REFUND:
                continue
            original = numbers.get(order.refund_of)
            if original is None and order.refund_of in self._raw_values("orders", "number"):
                continue  # the order's own row has a problem, reported there
            if original is None:
                self.problem(
                    "orders",
                    order.row,
                    "refund_of",
                    f"本文件中没有订单号为“{order.refund_of}”的订单",
                )
                continue
            if original.sign_type is SignType.REFUND:
                self.problem("orders", order.row, "refund_of", "不能对退费单再退费")
                continue
            if (original.student, original.course) != (order.student, order.course):
                self.problem(
                    "orders",
                    order.row,
                    "refund_of",
                    f"原订单（第 {original.row} 行）的学员或课程与本行不同",
                )
                continue
            hours, gift, fen = taken.get(original.number, (Decimal(0), Decimal(0), 0))
            hours, gift, fen = hours + order.hours, gift + order.gift_hours, fen - order.amount_fen
            taken[original.number] = (hours, gift, fen)
            if hours > original.hours:
                self.problem(
                    "orders",
                    order.row,
                    "hours",
                    f"退费课时超过原订单的付费课时（{original.hours}）",
                )
            elif gift > original.gift_hours:
                self.problem(
                    "orders",
                    order.row,
                    "gift_hours",
                    f"退赠送课时超过原订单的赠送课时（{original.gift_hours}）",
                )
            elif fen > original.amount_fen:
                self.problem("orders", order.row, "amount", "退费金额超过该订单实付金额")

    def attendance(self) -> None:
        sheet = self.plan.raw.sheets.get("attendance")
        marks: dict[tuple[LessonKey, StudentKey], int] = {}
        assert self.campus is not None
        for row, values in self.rows("attendance"):
            assert sheet is not None
            mark = len(self.plan.problems)
            try:
                lesson_on = self.read(
                    "attendance", row, values, sheet, "lesson_on", cells.day, required=True
                )
                starts = self.read(
                    "attendance", row, values, sheet, "starts", cells.clock, required=True
                )
                ends = self.read("attendance", row, values, sheet, "ends", cells.clock)
                course = str(
                    self.read("attendance", row, values, sheet, "course", cells.text, required=True)
                )
                teacher = str(
                    self.read(
                        "attendance", row, values, sheet, "teacher", cells.text, required=True
                    )
                )
                lesson_hours = self.read("attendance", row, values, sheet, "hours", cells.hours)
                student = self.student_key(
                    "attendance", row, values, sheet, "student_name", "student_phone"
                )
                status = self.read(
                    "attendance",
                    row,
                    values,
                    sheet,
                    "status",
                    lambda v: cells.choice(v, _ATTENDANCE_BY_WORD, "考勤"),
                    required=True,
                )
                is_trial = bool(
                    self.read(
                        "attendance", row, values, sheet, "is_trial", cells.yes_no, default=False
                    )
                )
                charged = self.read("attendance", row, values, sheet, "charged_hours", cells.hours)
            except _RowProblem:
                continue
            if len(self.plan.problems) > mark:
                continue
            assert isinstance(lesson_on, date) and isinstance(starts, time)
            assert isinstance(status, AttendanceStatus)
            try:
                room = check_text(cells.text(sheet.cell(values, "room")), "room", max_len=40)
                note = check_text(cells.text(sheet.cell(values, "note")), "note", max_len=500)
            except Invalid as exc:
                self.invalid("attendance", row, exc)
                continue
            if not self.course_known("attendance", row, course, "course"):
                continue
            self.use_staff(teacher, Role.TEACHER, "attendance", row, "teacher")
            key: LessonKey = (lesson_on, starts, course, teacher, room)
            starts_at = datetime.combine(lesson_on, starts, tzinfo=SHANGHAI)
            lesson = self.plan.lessons.get(key)
            if lesson is None:
                if lesson_hours is None:
                    lesson_hours = self.plan.course_hours[course]
                assert isinstance(lesson_hours, Decimal)
                if ends is None:
                    # schedule_lesson's default length.
                    ends_at = starts_at + timedelta(minutes=int(lesson_hours * 60) or 60)
                else:
                    assert isinstance(ends, time)
                    ends_at = datetime.combine(lesson_on, ends, tzinfo=SHANGHAI)
                    if ends_at <= starts_at:
                        self.problem("attendance", row, "ends", "结束时间必须晚于开始时间")
                        continue
                lesson = LessonIn(row, key, starts_at, ends_at, lesson_hours, room)
                self.plan.lessons[key] = lesson
            else:
                # The lesson's details are repeated on each of its rows: blank inherits,
                # anything written must agree.
                given = (
                    (
                        "ends",
                        None
                        if ends is None
                        else datetime.combine(lesson_on, ends, tzinfo=SHANGHAI),
                        lesson.ends_at,
                    ),
                    ("hours", lesson_hours, lesson.hours),
                )
                clash = next(
                    (name for name, mine, theirs in given if mine is not None and mine != theirs),
                    None,
                )
                if clash is not None:
                    self.problem(
                        "attendance",
                        row,
                        clash,
                        f"同一节课在第 {lesson.row} 行的"
                        f"{self.headers['attendance'][clash]}不同，须一致",
                    )
                    continue
            # mark_attendance's rules: the campus policy when 扣课时 is blank, never above
            # the lesson's hours.
            if charged is None:
                charged = default_charge(self.campus, Lesson(hours=lesson.hours), status, is_trial)
            assert isinstance(charged, Decimal)
            if charged > lesson.hours:
                self.problem("attendance", row, "charged_hours", "扣课时不能超过这节课的课时")
                continue
            mark = (key, student)
            if mark in marks:
                self.problem(
                    "attendance",
                    row,
                    "student_name",
                    f"第 {marks[mark]} 行已有该学员这节课的点名（重复）",
                )
                continue
            marks[mark] = row
            self.plan.attendance.append(
                AttendanceIn(row, key, student, status, is_trial, charged, note)
            )
            if len(self.plan.attendance) % 2000 == 0:
                self.check()

    def staff(self) -> None:
        """Existing staff must hold the role they are used in; unknown names become new staff."""
        for name, uses in self.staff_uses.items():
            kind, row, column_field = next(iter(uses.values()))
            if len(name) > 60:
                self.problem(kind, row, column_field, "员工姓名不能超过 60 个字")
                continue
            found = self.staff_by_name.get(name, [])
            if len(found) > 1:
                self.problem(
                    kind,
                    row,
                    column_field,
                    f"校区有 {len(found)} 位员工叫“{name}”，无法确定是哪一位",
                )
                continue
            if not found:
                roles = tuple(r.value for r in Role if r.value in uses)
                self.plan.new_staff.append(NewStaff(name, roles))
                continue
            staff = found[0]
            self.plan.existing_staff[name] = staff.id
            for role, (kind, row, column_field) in uses.items():
                if not staff.has_role(role):
                    self.problem(
                        kind,
                        row,
                        column_field,
                        f"{name} 不是{ROLE_NAMES[Role(role)]}（请在员工页添加该角色）",
                    )

    def run(self, say: Callable[[str], None] = lambda _text: None) -> None:
        for kind, step in (
            ("courses", self.courses),
            ("students", self.students),
            ("parents", self.parents),
            ("orders", self.orders),
            ("attendance", self.attendance),
        ):
            if kind in self.plan.raw.sheets:
                say(f"检查{self.plan.sheet_title(kind)}（{len(self.rows(kind)):,} 行）…")
            step()
            if kind == "parents":
                self.student_duplicates()
            self.check()
        say("检查表之间的引用…")
        self.check_references_to_students()
        self.staff()
        self.plan.existing_parents = {
            link.phone: self.db_parent_phones[link.phone]
            for link in self.plan.links
            if link.phone in self.db_parent_phones
        }
        for student in self.plan.students:
            if student.key[1] in self.db_parent_phones:
                self.plan.existing_parents[student.key[1]] = self.db_parent_phones[student.key[1]]
        order = {SHEET_NAMES[k]: i for i, k in enumerate(ENTITY_KINDS)}
        self.plan.problems.sort(key=lambda p: (order.get(p.sheet, -1), p.sheet, p.row, p.column))


def plan_import(
    db: Database,
    path: Path,
    *,
    campus_id: str | None = None,
    today: date | None = None,
    check: Callable[[], None] = lambda: None,
    progress: Callable[[str], None] | None = None,
) -> ImportPlan:
    """Read and check an import file against a campus; write nothing.

    Raises :class:`~shared.transfer.reader.FileRefused` for a file that is not a readable
    spreadsheet at all (too big, a program, encrypted, empty); everything else wrong is
    listed in the plan's ``problems``. ``check`` is called between steps (a cancel point);
    ``progress`` receives a line in Chinese at each step.
    """
    path = Path(path)
    say = progress or (lambda _text: None)
    say(f"读取“{path.name}”…")
    raw = read_file(path, check)
    from ..versioning import current_version

    with db.reader() as session:
        campus = resolve_campus(session, campus_id)
        plan = ImportPlan(path=path, campus_id=campus.id, campus_name=campus.name, raw=raw)
        plan.problems.extend(raw.problems)
        plan.checked_at_version = current_version(session)
        if not raw.problems:
            # Rows are checked once the headers are right: with a sheet unreadable, every
            # reference to its records would be reported again as missing.
            _Checker(session, plan, today or today_local(), check).run(say)
    return plan
