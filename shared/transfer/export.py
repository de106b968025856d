"""The record export and the import template: the same sheets, the same headers.

:func:`export_entities` writes a campus's students, parents, courses, orders and attendance
history in the import format (:mod:`shared.transfer.layout`), as one .xlsx workbook or, for a
single kind, one .csv file; importing it into an empty campus file gives back every row.
:func:`write_template` writes the empty workbook with a 说明 sheet.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Database
from ..enums import ATTENDANCE_NAMES, SIGN_TYPE_NAMES, STUDENT_STATUS_NAMES
from ..errors import Invalid, NotFound, StorageUnavailable
from ..models import (
    Attendance,
    Campus,
    ConsumptionEntry,
    Course,
    Lesson,
    Order,
    Parent,
    SignType,
    Staff,
    Student,
    StudentParent,
)
from ..periods import SHANGHAI
from .layout import (
    COLUMNS,
    COURSE_ACTIVE_NAMES,
    ENTITY_KINDS,
    README_LINES,
    README_SHEET,
    SHEET_NAMES,
    YES,
    headers,
)

Cell = str | int | Decimal | date | None
Row = list[Cell]

_MONEY_FORMAT = "#,##0.00"
_HOURS_FORMAT = "0.00"
_DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the file and the number of rows per kind."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows written over all kinds."""
        return sum(self.counts.values())


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _check_kinds(kinds: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in ENTITY_KINDS]
    if unknown:
        raise Invalid(
            "kinds", f"未知的导出内容：{'、'.join(unknown)}（可选：{'、'.join(ENTITY_KINDS)}）"
        )
    if not wanted:
        raise Invalid("kinds", "至少选择一种要导出的记录")
    # The sheets always come in the template's order.
    return [k for k in ENTITY_KINDS if k in wanted]


def resolve_campus(session: Session, campus_id: str | None) -> Campus:
    """The campus to export from or import into: the given one, or the file's only campus."""
    if campus_id is not None:
        campus = session.get(Campus, campus_id)
        if campus is None or campus.is_deleted:
            raise NotFound(f"campus_id: 校区不存在（{campus_id}）")
        return campus
    campuses = session.scalars(select(Campus).where(Campus.is_deleted.is_(False))).all()
    if not campuses:
        raise NotFound("文件中还没有校区")
    if len(campuses) > 1:
        names = "、".join(c.name for c in campuses)
        raise Invalid("campus_id", f"文件中有多个校区（{names}），请指定一个校区")
    return campuses[0]


# --------------------------------------------------------------------------- rows per kind


def _staff_names(session: Session, campus_id: str) -> dict[str, str]:
    return dict(
        session.execute(select(Staff.id, Staff.name).where(Staff.campus_id == campus_id)).all()
    )


def _course_names(session: Session, campus_id: str) -> dict[str, str]:
    return dict(
        session.execute(select(Course.id, Course.name).where(Course.campus_id == campus_id)).all()
    )


def _key_phones(session: Session, campus_id: str) -> dict[str, str]:
    """Each student's 联系电话: the phone of the primary parent, else the first linked."""
    rows = session.execute(
        select(StudentParent.student_id, Parent.phone)
        .join(Parent, Parent.id == StudentParent.parent_id)
        .where(
            Parent.campus_id == campus_id,
            Parent.is_deleted.is_(False),
            StudentParent.is_deleted.is_(False),
        )
        .order_by(StudentParent.is_primary.desc(), StudentParent.created_at, StudentParent.id)
    )
    phones: dict[str, str] = {}
    for student_id, phone in rows:
        phones.setdefault(student_id, phone)
    return phones


def _students(session: Session, campus_id: str) -> Iterator[Row]:
    staff = _staff_names(session, campus_id)
    phones = _key_phones(session, campus_id)
    for s in session.scalars(
        select(Student)
        .where(Student.campus_id == campus_id, Student.is_deleted.is_(False))
        .order_by(Student.created_at, Student.id)
    ):
        yield [
            s.name,
            phones.get(s.id, ""),
            s.gender,
            s.birth_on,
            s.school,
            s.grade,
            STUDENT_STATUS_NAMES[s.status],
            staff.get(s.consultant_id, "") if s.consultant_id else "",
            s.source,
            s.first_contact_on,
            s.notes,
        ]


def _parents(session: Session, campus_id: str) -> Iterator[Row]:
    phones = _key_phones(session, campus_id)
    links: dict[str, list[tuple[Student, StudentParent]]] = {}
    for link, student in session.execute(
        select(StudentParent, Student)
        .join(Student, Student.id == StudentParent.student_id)
        .where(
            Student.campus_id == campus_id,
            Student.is_deleted.is_(False),
            StudentParent.is_deleted.is_(False),
        )
        .order_by(StudentParent.created_at, StudentParent.id)
    ):
        links.setdefault(link.parent_id, []).append((student, link))
    for p in session.scalars(
        select(Parent)
        .where(Parent.campus_id == campus_id, Parent.is_deleted.is_(False))
        .order_by(Parent.created_at, Parent.id)
    ):
        details: Row = [p.name, p.phone, p.phone2, p.wechat, p.notes]
        children = links.get(p.id)
        if not children:
            yield [*details, "", "", "", ""]
            continue
        for student, link in children:
            yield [
                *details,
                student.name,
                phones.get(student.id, ""),
                link.relation,
                YES if link.is_primary else "",
            ]


def _courses(session: Session, campus_id: str) -> Iterator[Row]:
    for c in session.scalars(
        select(Course)
        .where(Course.campus_id == campus_id, Course.is_deleted.is_(False))
        .order_by(Course.created_at, Course.id)
    ):
        yield [
            c.name,
            c.subject,
            _yuan(c.price_per_hour_fen),
            c.hours_per_lesson,
            COURSE_ACTIVE_NAMES[c.active],
        ]


def _orders(session: Session, campus_id: str) -> Iterator[Row]:
    staff = _staff_names(session, campus_id)
    phones = _key_phones(session, campus_id)
    courses = _course_names(session, campus_id)
    rows = session.execute(
        select(Order, Student.name)
        .join(Student, Student.id == Order.student_id)
        .where(
            Order.campus_id == campus_id,
            Order.is_deleted.is_(False),
            Student.is_deleted.is_(False),
        )
        # The order packages are drawn in (shared.consumption): file order keeps it on import.
        .order_by(Order.signed_on, Order.created_at, Order.id)
    ).all()
    width = max(4, len(str(len(rows))))
    numbers = {order.id: f"D{i:0{width}d}" for i, (order, _) in enumerate(rows, start=1)}
    for order, student_name in rows:
        yield [
            numbers[order.id],
            student_name,
            phones.get(order.student_id, ""),
            courses.get(order.course_id, ""),
            SIGN_TYPE_NAMES[order.sign_type],
            order.signed_on,
            order.hours,
            order.gift_hours,
            _yuan(order.amount_fen),
            staff.get(order.consultant_id, "") if order.consultant_id else "",
            staff.get(order.intent_teacher_id, "") if order.intent_teacher_id else "",
            numbers.get(order.refund_of_id, "")
            if order.sign_type is SignType.REFUND and order.refund_of_id
            else "",
            order.notes,
        ]


def _local_clock(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%H:%M")


def _attendance(session: Session, campus_id: str) -> Iterator[Row]:
    staff = _staff_names(session, campus_id)
    phones = _key_phones(session, campus_id)
    courses = _course_names(session, campus_id)
    amounts = (
        select(ConsumptionEntry.attendance_id, func.sum(ConsumptionEntry.amount_fen).label("fen"))
        .where(ConsumptionEntry.campus_id == campus_id, ConsumptionEntry.is_deleted.is_(False))
        .group_by(ConsumptionEntry.attendance_id)
        .subquery()
    )
    for att, lesson, student_name, fen in session.execute(
        select(Attendance, Lesson, Student.name, amounts.c.fen)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Student, Student.id == Attendance.student_id)
        .outerjoin(amounts, amounts.c.attendance_id == Attendance.id)
        .where(
            Attendance.campus_id == campus_id,
            Attendance.is_deleted.is_(False),
            Lesson.is_deleted.is_(False),
            Student.is_deleted.is_(False),
        )
        # load_charges' order: the import keeps it through the file order.
        .order_by(Lesson.lesson_on, Lesson.starts_at, Attendance.created_at, Attendance.id)
    ):
        yield [
            lesson.lesson_on,
            _local_clock(lesson.starts_at),
            _local_clock(lesson.ends_at),
            courses.get(lesson.course_id, ""),
            staff.get(lesson.teacher_id, ""),
            lesson.hours,
            lesson.room,
            student_name,
            phones.get(att.student_id, ""),
            ATTENDANCE_NAMES[att.status],
            YES if att.is_trial else "",
            att.charged_hours,
            _yuan(int(fen or 0)),
            att.note,
        ]


_ROWS: dict[str, Callable[[Session, str], Iterator[Row]]] = {
    "students": _students,
    "parents": _parents,
    "courses": _courses,
    "orders": _orders,
    "attendance": _attendance,
}
_MONEY_FIELDS = {"price", "amount"}
_HOURS_FIELDS = {"hours_per_lesson", "hours", "gift_hours", "charged_hours"}


# --------------------------------------------------------------------------- writing


def _xlsx_cell(sheet: object, value: Cell, column_field: str) -> object:
    from openpyxl.cell import WriteOnlyCell

    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
    if isinstance(value, date):
        cell.number_format = _DATE_FORMAT
    elif column_field in _MONEY_FIELDS:
        cell.number_format = _MONEY_FORMAT
    elif column_field in _HOURS_FIELDS:
        cell.number_format = _HOURS_FORMAT
    return cell


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _add_readme(workbook: object) -> None:
    sheet = workbook.create_sheet(README_SHEET)  # type: ignore[attr-defined]
    sheet.column_dimensions["A"].width = 120
    for line in README_LINES:
        sheet.append([line])
    sheet.append([])
    sheet.append(["各表的列（* 为必填）："])
    for kind in ENTITY_KINDS:
        sheet.append([f"【{SHEET_NAMES[kind]}】"])
        for column in COLUMNS[kind]:
            mark = "*" if column.required else ""
            sheet.append(
                [
                    f"  {column.header}{mark}：{column.hint}"
                    if column.hint
                    else f"  {column.header}{mark}"
                ]
            )


def _prepare_sheet(workbook: object, kind: str) -> object:
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(SHEET_NAMES[kind])  # type: ignore[attr-defined]
    for index, column in enumerate(COLUMNS[kind], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append(headers(kind))
    return sheet


def _write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write to ``path.partial`` and rename, so a failed export never leaves half a file."""
    partial = path.with_name(path.name + ".partial")
    try:
        write(partial)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageUnavailable(f"无法写入“{path}”：{exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _check_target(path: Path) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Invalid("path", f"导出文件应以 .xlsx 或 .csv 结尾：“{path.name}”")
    if path.is_dir():
        raise StorageUnavailable(f"“{path}”是一个文件夹，请给出文件名。")
    if not path.parent.is_dir():
        raise StorageUnavailable(f"文件夹“{path.parent}”不存在。")
    return path


def write_template(path: Path) -> Path:
    """Write the empty import workbook (.xlsx): one sheet per kind with headers, and 说明."""
    path = _check_target(path)
    if path.suffix.lower() != ".xlsx":
        raise Invalid("path", "导入模板是 .xlsx 文件")
    from openpyxl import Workbook

    def write(target: Path) -> None:
        workbook = Workbook(write_only=True)
        _add_readme(workbook)
        for kind in ENTITY_KINDS:
            _prepare_sheet(workbook, kind)
        workbook.save(target)

    _write_atomically(path, write)
    return path


def export_entities(
    db: Database,
    path: Path,
    *,
    campus_id: str | None = None,
    kinds: Sequence[str] = ENTITY_KINDS,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Export a campus's records in the import format to ``path`` (.xlsx, or .csv for one kind).

    ``campus_id`` None means the file's only campus (a file with several campuses needs one
    named). ``progress(done, total)`` is called as rows are written. Raises Invalid for an
    unknown kind, several kinds to a .csv or a wrong suffix; StorageUnavailable when the file
    cannot be written. The file appears only when complete.
    """
    path = _check_target(path)
    wanted = _check_kinds(kinds)
    as_csv = path.suffix.lower() == ".csv"
    if as_csv and len(wanted) != 1:
        raise Invalid("kinds", "一个 .csv 文件只能放一种记录；导出多种记录请用 .xlsx")
    with db.reader() as session:
        campus = resolve_campus(session, campus_id)
        tables = {kind: list(_ROWS[kind](session, campus.id)) for kind in wanted}
    total = sum(len(rows) for rows in tables.values())
    done = 0
    step = max(1, total // 100)

    def advance() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)

    if progress is not None:
        progress(0, total)
    if as_csv:
        kind = wanted[0]

        def write_csv(target: Path) -> None:
            with target.open("w", encoding="utf-8-sig", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(headers(kind))
                for row in tables[kind]:
                    out.writerow([_csv_cell(v) for v in row])
                    advance()

        _write_atomically(path, write_csv)
    else:
        from openpyxl import Workbook

        def write_xlsx(target: Path) -> None:
            workbook = Workbook(write_only=True)
            for kind in wanted:
                sheet = _prepare_sheet(workbook, kind)
                fields = [c.field for c in COLUMNS[kind]]
                for row in tables[kind]:
                    sheet.append(  # type: ignore[attr-defined]
                        [_xlsx_cell(sheet, v, f) for v, f in zip(row, fields, strict=True)]
                    )
                    advance()
            workbook.save(target)

        _write_atomically(path, write_xlsx)
    return ExportResult(path=path, counts={kind: len(rows) for kind, rows in tables.items()})
