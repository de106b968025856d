"""Lists and reports as spreadsheets: typed sheets built from the engine's results, and the .xlsx
writer.

A :class:`Sheet` is a title, headers and rows of typed values: money as :class:`~decimal.Decimal`
yuan converted exactly from integer fen (``#,##0.00``), rates as the percentage the screen shows
(rounded the way :func:`percent_text` rounds) in a percent format, dates as date cells, counts
as integers. The builders take the same engine results the desktop pages and the phone show
(:func:`shared.progress.dashboard`, :func:`~shared.progress.ranking`,
:func:`~shared.progress.task_view`, :mod:`shared.diagnosis`,
:func:`shared.services.staff.list_staff`), so a sheet holds exactly their figures.
:func:`sheet_value` turns a cell's displayed text back into such a value (the desktop's
"导出 Excel…" writes what its tables show through it).

:func:`write_workbook` writes sheets in openpyxl's write-only mode (large lists stream), with
Chinese sheet names, a bold frozen header row and columns wide enough for CJK text; a target
that cannot be written (open in Excel, a read-only folder) is a
:class:`~shared.errors.StorageUnavailable` naming the file.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import diagnosis, phone_views, progress
from .auth import Principal
from .errors import NotFound, StorageUnavailable
from .figures import TASK_HEADERS
from .models import Metric, Role, Staff, Stage
from .periods import SHANGHAI, Period
from .progress import STATUS_NAMES, Progress, RankRow, TaskView
from .services.staff import StaffRow, list_staff, role_names

MONEY_FORMAT = "#,##0.00"
SIGNED_MONEY_FORMAT = "+#,##0.00;-#,##0.00;+0.00"
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DASH = "—"

METRIC_NAMES: dict[Metric, str] = {Metric.REVENUE: "营业额", Metric.CONSUMPTION: "划课收入"}
PERIOD_WORDS: dict[str, str] = {"year": "本年", "month": "本月", "week": "本周"}
CREDIT_NAMES: dict[str, str] = {
    "consultant": "课程顾问",
    "intent_teacher": "意向教师",
    "teacher": "教师",
}
RANKED_ROLE: dict[Metric, str] = {Metric.REVENUE: "课程顾问", Metric.CONSUMPTION: "教师"}

# Excel's limits on sheet names.
MAX_TITLE = 31
BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60  # characters; longer text wraps off the column rather than widening it
WIDTH_SAMPLE = 2000  # rows measured for column widths (a long list is measured at its head)
PROGRESS_EVERY = 1000  # rows between progress reports

CellValue = str | int | Decimal | date | datetime | None


@dataclass(frozen=True, slots=True)
class Styled:
    """A value with its own number format (None: the column's) and, optionally, its look:
    a background (a status colour) and bold text (a total), as ``#rrggbb``."""

    value: CellValue
    number_format: str | None
    fill: str | None = None
    bold: bool = False


@dataclass
class Sheet:
    """One worksheet: title, headers, rows of values and per-column number formats."""

    title: str
    headers: list[str]
    rows: list[list[CellValue | Styled]] = field(default_factory=list)
    formats: dict[int, str] = field(default_factory=dict)

    def value(self, row: int, column: int) -> CellValue:
        """A cell's value without its style (for tests and comparisons)."""
        cell = self.rows[row][column]
        return cell.value if isinstance(cell, Styled) else cell


# --------------------------------------------------------------------------- values


def yuan_value(fen: int) -> Decimal:
    """Integer fen as exact Decimal yuan with two places (``123456`` → ``1234.56``)."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"fen must be int, got {type(fen).__name__}")
    return Decimal(fen).scaleb(-2)


def money(fen: int | None) -> Decimal | str:
    """A money cell: yuan, or a dash for no figure."""
    return DASH if fen is None else yuan_value(fen)


def percent_text(rate: Fraction | Decimal | None, digits: int = 1) -> str:
    """A rate as the pages show it: ``45.2%`` (``digits`` decimals), ``—`` for none."""
    if rate is None:
        return DASH
    if isinstance(rate, Fraction):
        exact = rate * 100
        value = Decimal(exact.numerator) / Decimal(exact.denominator)
    else:
        value = rate * 100
    return f"{value:.{digits}f}%"


def percent(rate: Fraction | Decimal | None, digits: int = 1) -> Decimal | str:
    """A rate as the number behind the shown percentage (``45.2%`` → ``0.452``); a dash for none."""
    if rate is None:
        return DASH
    return Decimal(percent_text(rate, digits)[:-1]).scaleb(-2)


def local_datetime(instant: datetime) -> datetime:
    """An instant as a naive Shanghai wall-clock time (spreadsheets have no time zones)."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(SHANGHAI).replace(tzinfo=None)
    return instant


_MONEY = re.compile(r"^([+-]?)(¥?)(-?)(\d{1,3}(?:,\d{3})+|\d+)\.(\d\d)$")
_PERCENT = re.compile(r"^(-?\d+(?:\.(\d+))?)%$")
_INTEGER = re.compile(r"^-?(?:0|[1-9]\d{0,14})$")
_GROUPED_INTEGER = re.compile(r"^-?\d{1,3}(?:,\d{3})+$")
_DECIMAL = re.compile(r"^-?(?:0|[1-9]\d{0,14})\.(\d{1,6})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def _money_format(plus: bool, currency: bool) -> str:
    unit = '"¥"' if currency else ""
    body = f"{unit}#,##0.00"
    if plus:
        return f"+{body};-{body};+{unit}0.00"
    return f"{body};-{body}"


def sheet_value(text: str, *, numeric: bool) -> CellValue | Styled:
    """A displayed cell text as a typed spreadsheet value that shows the same text.

    Dates (``2025-06-18``, ``2025-06-18 14:03``) become date cells anywhere. In a ``numeric``
    (right-aligned) column, money (``¥1,234.50``, ``-1,234.50``, ``+12.00``) becomes Decimal
    yuan, ``45.2%`` the number 0.452 in a percent format with the same decimals, and plain
    counts and hours numbers. Anything else (names, phone numbers, ``3/5``, ``—``) stays text.
    """
    if _DATE.match(text):
        try:
            return Styled(date.fromisoformat(text), DATE_FORMAT)
        except ValueError:
            return text
    if _DATETIME.match(text):
        try:
            return Styled(datetime.strptime(text, "%Y-%m-%d %H:%M"), DATETIME_FORMAT)
        except ValueError:
            return text
    if not numeric:
        return text
    if found := _MONEY.match(text):
        sign, currency, inner_minus, whole, cents = found.groups()
        if sign and inner_minus:
            return text
        negative = sign == "-" or inner_minus == "-"
        value = Decimal(f"{whole.replace(',', '')}.{cents}")
        shown_plus = sign == "+"
        return Styled(-value if negative else value, _money_format(shown_plus, bool(currency)))
    if found := _PERCENT.match(text):
        digits = len(found.group(2) or "")
        fmt = "0%" if digits == 0 else "0." + "0" * digits + "%"
        return Styled(Decimal(found.group(1)).scaleb(-2), fmt)
    if _INTEGER.match(text):
        return Styled(int(text), INTEGER_FORMAT)
    if _GROUPED_INTEGER.match(text):
        return Styled(int(text.replace(",", "")), "#,##0")
    if found := _DECIMAL.match(text):
        return Styled(Decimal(text), "0." + "0" * len(found.group(1)))
    return text


# --------------------------------------------------------------------------- builders


def attainment_sheet(board: progress.Dashboard) -> Sheet:
    """目标达成: year, month and week × 营业额 and 划课收入 of a campus dashboard."""
    headers = [
        "指标",
        "周期",
        "周期名称",
        "目标（元）",
        "实际（元）",
        "达成率",
        "应完成（元）",
        "进度差距（元）",
        "预计全期（元）",
        "状态",
        "已过天数",
        "总天数",
    ]
    rows: list[list[CellValue | Styled]] = []
    for metric, sets in ((Metric.REVENUE, board.revenue), (Metric.CONSUMPTION, board.consumption)):
        for kind, p in (("year", sets.year), ("month", sets.month), ("week", sets.week)):
            rows.append(
                [
                    METRIC_NAMES[metric],
                    PERIOD_WORDS[kind],
                    p.period.label,
                    money(p.target_fen if p.has_target else None),
                    yuan_value(p.actual_fen),
                    percent(p.attainment),
                    money(p.expected_so_far_fen if p.has_target else None),
                    Styled(yuan_value(p.gap_to_pace_fen), SIGNED_MONEY_FORMAT)
                    if p.has_target
                    else DASH,
                    money(p.forecast_fen),
                    STATUS_NAMES[p.status],
                    p.days_elapsed,
                    p.days_total,
                ]
            )
    formats = {3: MONEY_FORMAT, 4: MONEY_FORMAT, 5: PERCENT_FORMAT, 6: MONEY_FORMAT}
    formats |= {8: MONEY_FORMAT, 10: INTEGER_FORMAT, 11: INTEGER_FORMAT}
    return Sheet(f"目标达成-{board.campus_name}", headers, rows, formats)


def ranking_sheet(
    rows: Sequence[RankRow], metric: Metric, title: str, *, with_campus: bool = False
) -> Sheet:
    """员工排行 as the 看板 shows it: rank, name, [campus], amount, target, 达成率."""
    headers = ["排名", RANKED_ROLE[metric]]
    if with_campus:
        headers.append("校区")
    headers += [METRIC_NAMES[metric], "目标", "达成率"]
    out: list[list[CellValue | Styled]] = []
    for r in rows:
        cells: list[CellValue | Styled] = [r.rank, r.staff_name]
        if with_campus:
            cells.append(r.campus_name)
        cells += [yuan_value(r.amount_fen), money(r.target_fen), percent(r.attainment)]
        out.append(cells)
    first_money = 3 if with_campus else 2
    formats = {0: INTEGER_FORMAT, first_money: MONEY_FORMAT, first_money + 1: MONEY_FORMAT}
    formats[first_money + 2] = PERCENT_FORMAT
    return Sheet(title, headers, out, formats)


def ranking_sheets(session: Session, campus_id: str | None, year: int, month: int) -> list[Sheet]:
    """Both rankings of a month (营业额 by consultant, 划课收入 by teacher); None: all campuses."""
    sheets = []
    for metric in (Metric.REVENUE, Metric.CONSUMPTION):
        rows = progress.ranking(session, campus_id, year, month, metric)
        title = f"{month}月{METRIC_NAMES[metric]}排行"
        sheets.append(ranking_sheet(rows, metric, title, with_campus=campus_id is None))
    return sheets


def _stage_columns(session: Session, campus_id: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Stage.code, Stage.name)
        .where(
            Stage.campus_id == campus_id,
            Stage.active.is_(True),
            Stage.is_deleted.is_(False),
        )
        .order_by(Stage.sort_order, Stage.code)
    ).all()
    return [(code, name) for code, name in rows]


def _money_task(view: TaskView, metric: Metric) -> Progress | None:
    found = [p for p in view.money if p.metric is metric]
    found.sort(key=lambda p: p.role != "consultant")
    return found[0] if found else None


def tasks_sheets(session: Session, campus_id: str, period: Period, today: date) -> list[Sheet]:
    """任务 of every active staff member for a week or month (:func:`shared.progress.task_view`):
    one row per person with money targets, actuals and 达成率 and each stage's actual and target;
    and one row per money task with pace, gap and forecast."""
    stages = _stage_columns(session, campus_id)
    headers = list(TASK_HEADERS)
    for _code, name in stages:
        headers += [f"{name}实际", f"{name}目标"]
    rows: list[list[CellValue | Styled]] = []
    detail: list[list[CellValue | Styled]] = []
    for person in list_staff(session, campus_id, active_only=True):
        view = progress.task_view(session, person.id, period, today=today)
        if not (view.money or view.stages or view.follow_ups):
            continue
        row: list[CellValue | Styled] = [view.staff_name, role_names(person.roles) or DASH]
        for metric in (Metric.REVENUE, Metric.CONSUMPTION):
            p = _money_task(view, metric)
            if p is None:
                row += [DASH, DASH, DASH]
            else:
                row += [
                    money(p.target_fen if p.has_target else None),
                    yuan_value(p.actual_fen),
                    percent(p.attainment),
                ]
        by_code = {s.code: s for s in view.stages}
        for code, _name in stages:
            task = by_code.get(code)
            if task is None:
                row += [None, None]
            else:
                target = DASH if task.target_count is None else task.target_count
                row += [task.actual_count, target]
        rows.append(row)
        for p in view.money:
            detail.append(
                [
                    view.staff_name,
                    METRIC_NAMES[p.metric],
                    CREDIT_NAMES.get(p.role or "", DASH),
                    money(p.target_fen if p.has_target else None),
                    yuan_value(p.actual_fen),
                    percent(p.attainment),
                    yuan_value(p.expected_so_far_fen),
                    yuan_value(p.gap_to_pace_fen),
                    yuan_value(p.forecast_fen),
                    STATUS_NAMES[p.status],
                ]
            )
    formats = {2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: PERCENT_FORMAT}
    formats |= {5: MONEY_FORMAT, 6: MONEY_FORMAT, 7: PERCENT_FORMAT}
    formats |= {8 + i: INTEGER_FORMAT for i in range(2 * len(stages))}
    label = period.label
    return [
        Sheet(f"任务-{label}", headers, rows, formats),
        Sheet(
            f"金额任务-{label}",
            [
                "姓名",
                "指标",
                "身份",
                "目标",
                "实际",
                "达成率",
                "应完成",
                "差距",
                "预计全期",
                "状态",
            ],
            detail,
            {
                3: MONEY_FORMAT,
                4: MONEY_FORMAT,
                5: PERCENT_FORMAT,
                6: MONEY_FORMAT,
                7: SIGNED_MONEY_FORMAT,
                8: MONEY_FORMAT,
            },
        ),
    ]


def _days(value: Fraction | None) -> Decimal | str:
    if value is None:
        return DASH
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"))


TRIAL_HEADERS = ["试听", "已上", "未到", "待上", "签单", "取消", "转化率", "平均签单天数"]


def _trial_cells(counts: diagnosis.TrialCounts) -> list[CellValue | Styled]:
    return [
        counts.trials,
        counts.held,
        counts.no_show,
        counts.pending,
        counts.signed,
        counts.cancelled,
        percent(counts.conversion),
    ]


def _trial_formats(offset: int) -> dict[int, str]:
    formats = {offset + i: INTEGER_FORMAT for i in range(6)}
    formats[offset + 6] = PERCENT_FORMAT
    formats[offset + 7] = "0.0"
    return formats


def diagnosis_sheets(session: Session, campus_id: str, period: Period, today: date) -> list[Sheet]:
    """诊断 of a period: 试听分析 (overall, by consultant, by intent teacher) and 学员分析
    (consumption by course, teacher and kind; every student's 课次 and remaining hours)."""
    trials = diagnosis.trial_analysis(session, campus_id, period, as_of=today)
    headline = Sheet(
        "试听概况",
        ["期间", *TRIAL_HEADERS],
        [
            [
                h.period.label,
                *_trial_cells(h.counts),
                _days(h.days_to_order.mean),
            ]
            for h in (trials.current, trials.previous)
        ],
        _trial_formats(1),
    )
    by_role = []
    for title, role, rows in (
        ("试听-按课程顾问", "课程顾问", trials.by_consultant),
        ("试听-按意向教师", "意向教师", trials.by_intent_teacher),
    ):
        by_role.append(
            Sheet(
                title,
                [role, *TRIAL_HEADERS],
                [
                    [r.staff_name, *_trial_cells(r.counts), _days(r.days_to_order.mean)]
                    for r in rows
                ],
                _trial_formats(1),
            )
        )
    students = diagnosis.student_analysis(session, campus_id, period, today=today)
    hours_format = "General"  # 33 and 49.5 as they are
    consumption = [
        Sheet(
            "课消-按课程",
            ["课程", "课时", "划课收入（元）"],
            [[c.course_name, c.hours, yuan_value(c.amount_fen)] for c in students.by_course],
            {1: hours_format, 2: MONEY_FORMAT},
        ),
        Sheet(
            "课消-按教师",
            ["教师", "课时", "划课收入（元）"],
            [[t.teacher_name, t.hours, yuan_value(t.amount_fen)] for t in students.by_teacher],
            {1: hours_format, 2: MONEY_FORMAT},
        ),
        Sheet(
            "课消-按类型",
            ["消耗类型", "课时", "金额（元）"],
            [[k.kind_name, k.hours, yuan_value(k.amount_fen)] for k in students.by_kind],
            {1: hours_format, 2: MONEY_FORMAT},
        ),
        Sheet(
            "学员课次",
            ["学员", "课程顾问", "本期课次", "最近上课", "剩余课时"],
            [
                [
                    s.student_name,
                    s.consultant_name or DASH,
                    s.lessons,
                    s.last_lesson_on,
                    s.remaining_hours,
                ]
                for s in students.students
            ],
            {2: INTEGER_FORMAT, 3: DATE_FORMAT, 4: hours_format},
        ),
    ]
    return [headline, *by_role, *consumption]


def staff_sheet(rows: Sequence[StaffRow]) -> Sheet:
    """员工 list: name, phone (as text), roles, hired on, active."""
    return Sheet(
        "员工",
        ["姓名", "手机号", "角色", "入职日期", "状态"],
        [
            [r.name, r.phone, role_names(r.roles), r.hired_on, "在职" if r.active else "已停用"]
            for r in rows
        ],
        {3: DATE_FORMAT},
    )


def funnel_sheet(board: progress.Dashboard) -> Sheet:
    """本月环节: each stage's actual count against the campus's target for the month."""
    return Sheet(
        "本月环节",
        ["环节", "实际", "目标", "完成率"],
        [
            [
                f.name,
                f.actual_count,
                DASH if f.target_count is None else f.target_count,
                percent(Fraction(f.actual_count, f.target_count)) if f.target_count else DASH,
            ]
            for f in board.funnel
        ],
        {1: INTEGER_FORMAT, 2: INTEGER_FORMAT, 3: PERCENT_FORMAT},
    )


def dashboard_sheets(session: Session, campus_id: str, today: date) -> list[Sheet]:
    """The campus 看板 of ``today``: attainment, both rankings of the month and the funnel."""
    board = progress.dashboard(session, campus_id, today)
    return [
        attainment_sheet(board),
        ranking_sheet(board.revenue_ranking, Metric.REVENUE, "本月营业额排行"),
        ranking_sheet(board.consumption_ranking, Metric.CONSUMPTION, "本月划课收入排行"),
        funnel_sheet(board),
    ]


def staff_sheets(session: Session, campus_id: str) -> list[Sheet]:
    """Every staff member of a campus (active and inactive), as the 员工 page lists them."""
    return [staff_sheet(list_staff(session, campus_id))]


LESSON_STATUS_NAMES: dict[str, str] = {
    "scheduled": "已排课",
    "done": "已上课",
    "cancelled": "已取消",
}
ATTENDANCE_STATUS_NAMES: dict[str, str] = {
    "present": "出勤",
    "leave": "请假",
    "absent": "旷课",
    "makeup": "补课",
}
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _campus_principal(session: Session, campus_id: str) -> Principal:
    """The campus seen whole: as its first active manager sees it."""
    managers = session.scalars(
        select(Staff)
        .where(
            Staff.campus_id == campus_id,
            Staff.is_deleted.is_(False),
            Staff.active.is_(True),
        )
        .order_by(Staff.name, Staff.id)
    ).all()
    manager = next((s for s in managers if Role.MANAGER.value in s.roles), None)
    if manager is None:
        raise NotFound("这个校区没有在职的校长，无法按全校区范围读取课表。")
    return Principal.of_staff(manager)


def timetable_sheets(session: Session, campus_id: str, start: date, end: date) -> list[Sheet]:
    """课表 and 点名 of ``start..end`` (:func:`shared.phone_views.timetable`, campus-wide):
    one row per lesson, and one row per student on a lesson with their mark."""
    lessons = phone_views.timetable(session, _campus_principal(session, campus_id), start, end)
    lesson_rows: list[list[CellValue | Styled]] = []
    mark_rows: list[list[CellValue | Styled]] = []
    for lesson in lessons:
        marked = sum(1 for s in lesson.students if s.attendance is not None)
        lesson_rows.append(
            [
                lesson.lesson_on,
                WEEKDAY_NAMES[lesson.lesson_on.weekday()],
                lesson.starts_local,
                lesson.ends_local,
                lesson.course_name,
                lesson.title or DASH,
                lesson.teacher_name,
                lesson.room or DASH,
                lesson.hours,
                LESSON_STATUS_NAMES.get(lesson.status, lesson.status),
                len(lesson.students),
                marked,
            ]
        )
        for student in lesson.students:
            mark = student.attendance
            mark_rows.append(
                [
                    lesson.lesson_on,
                    lesson.starts_local,
                    lesson.course_name,
                    lesson.teacher_name,
                    student.student_name,
                    "试听" if student.is_trial else "",
                    DASH if mark is None else ATTENDANCE_STATUS_NAMES.get(mark.status, mark.status),
                    None if mark is None else mark.charged_hours,
                    "" if mark is None else mark.note,
                ]
            )
    label = f"{start.isoformat()}至{end.isoformat()}"
    return [
        Sheet(
            f"课表 {label}",
            ["日期", "星期", "开始", "结束", "课程", "标题", "教师", "教室", "课时", "状态"]
            + ["学员数", "已点名"],
            lesson_rows,
            {0: DATE_FORMAT, 8: "General", 10: INTEGER_FORMAT, 11: INTEGER_FORMAT},
        ),
        Sheet(
            f"点名 {label}",
            ["日期", "开始", "课程", "教师", "学员", "试听", "点名", "扣课时", "备注"],
            mark_rows,
            {0: DATE_FORMAT, 7: "General"},
        ),
    ]


# --------------------------------------------------------------------------- writing


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: CJK (wide and fullwidth) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Styled):
        value = value.value
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 1
    return display_width(str(value))


def sheet_titles(sheets: Sequence[Sheet]) -> list[str]:
    """Valid, distinct Excel sheet names for ``sheets`` (31 characters, no ``[]:*?/\\``)."""
    titles: list[str] = []
    for sheet in sheets:
        base = BAD_TITLE_CHARS.sub("-", sheet.title).strip("'") or "Sheet"
        title = base[:MAX_TITLE]
        n = 2
        while title.casefold() in {t.casefold() for t in titles}:
            suffix = f"({n})"
            title = base[: MAX_TITLE - len(suffix)] + suffix
            n += 1
        titles.append(title)
    return titles


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_datetime(value)
    if isinstance(value, (str, int, Decimal, date)) or value is None:
        return value
    raise TypeError(f"not a sheet value: {value!r}")


def write_workbook(
    path: Path | str,
    sheets: Sequence[Sheet],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write ``sheets`` to an .xlsx file at ``path`` (replaced whole; never half-written).

    The rows go to a hidden file beside the target, which replaces the target once complete,
    so a failure leaves any old file as it was. ``progress(rows_written, rows_total)`` is
    called every thousand rows and at the end.
    """
    target = Path(path)
    if not sheets:
        raise ValueError("nothing to write: no sheets")
    if target.is_dir():
        raise StorageUnavailable(f"“{target}”是一个文件夹，请给出 .xlsx 文件名。")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        # Opened first: a missing or read-only folder fails before any work.
        with partial.open("wb") as handle:
            _write_sheets(handle, sheets, progress)
        os.replace(partial, target)
    except PermissionError:
        partial.unlink(missing_ok=True)
        raise StorageUnavailable(
            f"无法写入“{target}”：文件可能正在 Excel 等程序中打开，或没有写入权限；"
            "请关闭它或换一个文件名后再试。"
        ) from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageUnavailable(f"无法写入“{target}”：{exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _column_widths(sheet: Sheet) -> list[int]:
    width = len(sheet.headers)
    for row in sheet.rows[:WIDTH_SAMPLE]:
        width = max(width, len(row))
    widths = [0] * width
    for i, header in enumerate(sheet.headers):
        widths[i] = display_width(header)
    for row in sheet.rows[:WIDTH_SAMPLE]:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _shown_width(value))
    return [min(MAX_WIDTH, max(6, w + 2)) for w in widths]


@functools.cache
def _fill(color: str) -> Any:
    from openpyxl.styles import PatternFill

    rgb = color.removeprefix("#").upper()
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


def _write_sheets(
    handle: BinaryIO,
    sheets: Sequence[Sheet],
    progress: Callable[[int, int], None] | None,
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    total = sum(len(s.rows) for s in sheets)
    done = 0
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet, title in zip(sheets, sheet_titles(sheets), strict=True):
        ws = book.create_sheet(title)
        for i, width in enumerate(_column_widths(sheet)):
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        ws.freeze_panes = "A2"
        header_cells = []
        for header in sheet.headers:
            cell = WriteOnlyCell(ws, value=header)
            cell.font = bold
            header_cells.append(cell)
        ws.append(header_cells)
        for row in sheet.rows:
            cells: list[Any] = []
            for i, value in enumerate(row):
                fill, is_bold = None, False
                fmt = sheet.formats.get(i)
                if isinstance(value, Styled):
                    fmt = value.number_format or fmt
                    fill, is_bold = value.fill, value.bold
                    value = value.value
                if isinstance(value, str) or value is None:
                    fmt = None  # a dash or a note in a number column keeps the text format
                elif isinstance(value, datetime) and fmt is None:
                    fmt = DATETIME_FORMAT
                elif isinstance(value, date) and fmt is None:
                    fmt = DATE_FORMAT
                if fmt is None and fill is None and not is_bold:
                    cells.append(_cell_value(value))  # plain: no cell object (much faster)
                    continue
                cell = WriteOnlyCell(ws, value=_cell_value(value))
                if fmt is not None:
                    cell.number_format = fmt
                if fill is not None:
                    cell.fill = _fill(fill)
                if is_bold:
                    cell.font = bold
                cells.append(cell)
            ws.append(cells)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, total)
    book.save(handle)
    if progress is not None and done % PROGRESS_EVERY != 0:
        progress(total, total)
