"""Export sheets: the engine's figures as typed cells, and the .xlsx writer.

The sheets are built on the small demo (once per module) and compared with the engine's own
results; the writer is checked by reading its files back with openpyxl.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from shared import diagnosis, exports, progress
from shared.db import Database, open_database
from shared.errors import StorageUnavailable
from shared.exports import Sheet, Styled, sheet_value, yuan_value
from shared.models import Campus, Metric
from shared.periods import Period
from shared.progress import STATUS_NAMES
from shared.services.staff import list_staff

TODAY = date(2025, 6, 18)
MONTH = Period.of_month(2025, 6)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, str]]:
    """The small demo (built once for the module) and its campus id."""
    from shared.demo import build_demo

    path = tmp_path_factory.mktemp("exports") / "demo.dabiao"
    build_demo(path, scale="small", seed=1, today=TODAY)
    db = open_database(path, create=False)
    with db.reader() as session:
        campus_id = session.scalars(select(Campus.id)).one()
    yield db, campus_id
    db.close()


def values(sheet: Sheet) -> list[list[object]]:
    return [[sheet.value(r, c) for c in range(len(row))] for r, row in enumerate(sheet.rows)]


# --------------------------------------------------------------------------- values


def test_yuan_value_is_exact_decimal_from_fen() -> None:
    assert yuan_value(123456789012345) == Decimal("1234567890123.45")
    assert yuan_value(-5) == Decimal("-0.05")
    assert str(yuan_value(100)) == "1.00"
    with pytest.raises(TypeError):
        yuan_value(1.5)  # type: ignore[arg-type]


def test_percent_is_the_shown_percentage_as_a_number() -> None:
    assert exports.percent(Fraction(2, 3)) == Decimal("0.667")
    assert exports.percent_text(Fraction(2, 3)) == "66.7%"
    assert exports.percent(Fraction(1, 8)) == Decimal("0.125")
    assert exports.percent(None) == "—"
    # The same rounding as the screen (Decimal's, half to even): 0.25% shows as 0.2%.
    assert exports.percent_text(Fraction(1, 400)) == "0.2%"
    assert exports.percent(Fraction(1, 400)) == Decimal("0.002")


@pytest.mark.parametrize(
    ("text", "value", "number_format"),
    [
        ("¥12,345.60", Decimal("12345.60"), '"¥"#,##0.00;-"¥"#,##0.00'),
        ("-¥12.00", Decimal("-12.00"), '"¥"#,##0.00;-"¥"#,##0.00'),
        ("1,234,567.89", Decimal("1234567.89"), "#,##0.00;-#,##0.00"),
        ("-0.05", Decimal("-0.05"), "#,##0.00;-#,##0.00"),
        ("+13,415.47", Decimal("13415.47"), "+#,##0.00;-#,##0.00;+0.00"),
        ("+0.00", Decimal("0.00"), "+#,##0.00;-#,##0.00;+0.00"),
        ("45.2%", Decimal("0.452"), "0.0%"),
        ("100%", Decimal("1"), "0%"),
        ("12", 12, "0"),
        ("1,200", 1200, "#,##0"),
        ("1.5", Decimal("1.5"), "0.0"),
    ],
)
def test_a_number_text_becomes_a_number_that_shows_the_same(
    text: str, value: object, number_format: str
) -> None:
    got = sheet_value(text, numeric=True)
    assert isinstance(got, Styled)
    assert got.value == value
    assert type(got.value) is type(value)
    assert got.number_format == number_format


@pytest.mark.parametrize("text", ["3/5", "—", "13800138000", "4.5 天", "+4.2 个百分点", "007"])
def test_other_texts_in_a_number_column_stay_text(text: str) -> None:
    # A long integer keeps the format "0", so it shows all its digits (never 1.38E+10);
    # leading zeros keep a text as text.
    expected = text if text != "13800138000" else Styled(13800138000, "0")
    assert sheet_value(text, numeric=True) == expected
    assert sheet_value(text, numeric=False) == text


def test_numbers_in_text_columns_stay_text_but_dates_become_dates() -> None:
    assert sheet_value("12", numeric=False) == "12"
    assert sheet_value("¥1.00", numeric=False) == "¥1.00"
    assert sheet_value("2025-06-18", numeric=False) == Styled(date(2025, 6, 18), "yyyy-mm-dd")
    assert sheet_value("2025-06-18 14:03", numeric=False) == Styled(
        datetime(2025, 6, 18, 14, 3), "yyyy-mm-dd hh:mm"
    )
    assert sheet_value("2025-13-45", numeric=False) == "2025-13-45"


# --------------------------------------------------------------------------- builders


def test_attainment_sheet_holds_the_dashboards_figures(demo: tuple[Database, str]) -> None:
    db, campus_id = demo
    with db.reader() as session:
        board = progress.dashboard(session, campus_id, TODAY)
        sheets = exports.dashboard_sheets(session, campus_id, TODAY)
    attainment = sheets[0]
    rows = values(attainment)
    assert len(rows) == 6
    expected = [
        (metric, p)
        for metric, sets in (
            (Metric.REVENUE, board.revenue),
            (Metric.CONSUMPTION, board.consumption),
        )
        for p in (sets.year, sets.month, sets.week)
    ]
    for row, (metric, p) in zip(rows, expected, strict=True):
        assert row[0] == exports.METRIC_NAMES[metric]
        assert row[2] == p.period.label
        assert row[3] == (Decimal(p.target_fen) / 100 if p.has_target else "—")
        assert row[4] == Decimal(p.actual_fen) / 100
        assert row[5] == exports.percent(p.attainment)
        assert row[8] == Decimal(p.forecast_fen) / 100
        assert row[9] == STATUS_NAMES[p.status]
        assert (row[10], row[11]) == (p.days_elapsed, p.days_total)
        if p.has_target:
            assert row[7] == Decimal(p.gap_to_pace_fen) / 100
    funnel = values(sheets[-1])
    assert [r[0] for r in funnel] == [f.name for f in board.funnel]
    assert [r[1] for r in funnel] == [f.actual_count for f in board.funnel]


def test_ranking_sheets_hold_the_monthly_ranking(demo: tuple[Database, str]) -> None:
    db, campus_id = demo
    with db.reader() as session:
        sheets = exports.ranking_sheets(session, campus_id, 2025, 6)
        expected = {m: progress.ranking(session, campus_id, 2025, 6, m) for m in Metric}
    for sheet, metric in zip(sheets, (Metric.REVENUE, Metric.CONSUMPTION), strict=True):
        ranked = expected[metric]
        assert ranked
        assert sheet.headers == [
            "排名",
            exports.RANKED_ROLE[metric],
            exports.METRIC_NAMES[metric],
            "目标",
            "达成率",
        ]
        for row, r in zip(values(sheet), ranked, strict=True):
            assert row == [
                r.rank,
                r.staff_name,
                Decimal(r.amount_fen) / 100,
                "—" if r.target_fen is None else Decimal(r.target_fen) / 100,
                exports.percent(r.attainment),
            ]


def test_all_campus_ranking_names_the_campus(demo: tuple[Database, str]) -> None:
    db, _campus_id = demo
    with db.reader() as session:
        sheet = exports.ranking_sheets(session, None, 2025, 6)[0]
    assert sheet.headers[2] == "校区"
    assert all(isinstance(row[2], str) and row[2] for row in sheet.rows)


def test_tasks_sheet_rows_are_each_persons_task_view(demo: tuple[Database, str]) -> None:
    db, campus_id = demo
    with db.reader() as session:
        summary, detail = exports.tasks_sheets(session, campus_id, MONTH, TODAY)
        views = {
            p.name: progress.task_view(session, p.id, MONTH, today=TODAY)
            for p in list_staff(session, campus_id, active_only=True)
        }
    assert summary.rows
    checked = 0
    for row in values(summary):
        view = views[row[0]]
        revenue = [p for p in view.money if p.metric is Metric.REVENUE]
        revenue.sort(key=lambda p: p.role != "consultant")
        if revenue:
            assert row[3] == Decimal(revenue[0].actual_fen) / 100
            assert row[4] == exports.percent(revenue[0].attainment)
            checked += 1
        stage_columns = summary.headers[8:]
        for stage in view.stages:
            at = stage_columns.index(f"{stage.name}实际")
            assert row[8 + at] == stage.actual_count
    assert checked > 0
    gaps = {(r[0], r[1]): r[7] for r in values(detail)}
    for name, view in views.items():
        for p in view.money:
            assert gaps[(name, exports.METRIC_NAMES[p.metric])] == Decimal(p.gap_to_pace_fen) / 100


def test_diagnosis_sheets_hold_trial_and_student_analysis(demo: tuple[Database, str]) -> None:
    db, campus_id = demo
    with db.reader() as session:
        sheets = {s.title: s for s in exports.diagnosis_sheets(session, campus_id, MONTH, TODAY)}
        trials = diagnosis.trial_analysis(session, campus_id, MONTH, as_of=TODAY)
        students = diagnosis.student_analysis(session, campus_id, MONTH, today=TODAY)
    headline = values(sheets["试听概况"])[0]
    counts = trials.current.counts
    assert headline[1:8] == [
        counts.trials,
        counts.held,
        counts.no_show,
        counts.pending,
        counts.signed,
        counts.cancelled,
        exports.percent(counts.conversion),
    ]
    by_consultant = values(sheets["试听-按课程顾问"])
    assert [r[0] for r in by_consultant] == [r.staff_name for r in trials.by_consultant]
    by_course = values(sheets["课消-按课程"])
    assert sum(r[2] for r in by_course) * 100 == sum(c.amount_fen for c in students.by_course)
    assert [r[1] for r in by_course] == [c.hours for c in students.by_course]
    listed = values(sheets["学员课次"])
    assert [(r[0], r[2], r[4]) for r in listed] == [
        (s.student_name, s.lessons, s.remaining_hours) for s in students.students
    ]


def test_staff_sheet_keeps_phones_as_text(demo: tuple[Database, str]) -> None:
    db, campus_id = demo
    with db.reader() as session:
        sheet = exports.staff_sheets(session, campus_id)[0]
        staff = list_staff(session, campus_id)
    assert [r[0] for r in sheet.rows] == [s.name for s in staff]
    assert all(isinstance(r[1], str) for r in sheet.rows)
    assert all(isinstance(r[3], date) or r[3] is None for r in sheet.rows)


def test_timetable_sheets_hold_the_phones_timetable_campus_wide(
    demo: tuple[Database, str],
) -> None:
    from shared import phone_views

    db, campus_id = demo
    start, end = date(2025, 6, 16), date(2025, 6, 22)
    with db.reader() as session:
        lessons_sheet, marks_sheet = exports.timetable_sheets(session, campus_id, start, end)
        manager = exports._campus_principal(session, campus_id)
        lessons = phone_views.timetable(session, manager, start, end)
    assert lessons
    assert [(r[0], r[2], r[4], r[6], r[8]) for r in values(lessons_sheet)] == [
        (x.lesson_on, x.starts_local, x.course_name, x.teacher_name, x.hours) for x in lessons
    ]
    marks = [s for x in lessons for s in x.students]
    assert [r[4] for r in values(marks_sheet)] == [s.student_name for s in marks]
    charged = [r[7] for r in values(marks_sheet) if r[7] is not None]
    assert charged == [s.attendance.charged_hours for s in marks if s.attendance is not None]


# --------------------------------------------------------------------------- writing


def _sample() -> Sheet:
    return Sheet(
        "营业额/排行[6月]",
        ["员工姓名", "金额", "达成率", "签单日期", "备注"],
        [
            [
                "张三",
                yuan_value(1234567),
                Decimal("0.452"),
                date(2025, 6, 18),
                Styled("有风险", None, "#ffcdd2", True),
            ],
            ["李四", yuan_value(-5), "—", None, "一段很长很长的中文备注"],
        ],
        {1: exports.MONEY_FORMAT, 2: exports.PERCENT_FORMAT},
    )


def test_the_workbook_has_typed_cells_a_bold_frozen_header_and_cjk_widths(tmp_path: Path) -> None:
    path = exports.write_workbook(tmp_path / "out.xlsx", [_sample()])
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.title == "营业额-排行-6月-"
    assert ws.freeze_panes == "A2"
    assert all(cell.font.bold for cell in ws[1])
    money = ws["B2"]
    assert money.data_type == "n" and money.number_format == "#,##0.00"
    assert Decimal(str(money.value)) == Decimal("12345.67")
    assert Decimal(str(ws["B3"].value)) == Decimal("-0.05")
    assert ws["C2"].number_format == "0.0%" and ws["C2"].value == pytest.approx(0.452)
    assert ws["C3"].value == "—" and ws["C3"].number_format == "General"
    assert ws["D2"].value == datetime(2025, 6, 18) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["D3"].value is None
    assert ws["E2"].value == "有风险" and ws["E2"].font.bold
    assert ws["E2"].fill.fill_type == "solid" and ws["E2"].fill.fgColor.rgb.endswith("FFCDD2")
    assert ws["E3"].fill.fill_type is None
    # Eight CJK characters take sixteen columns (and a margin); Latin ones take one each.
    assert ws.column_dimensions["E"].width >= 22
    assert ws.column_dimensions["A"].width >= 8


def test_sheet_titles_are_valid_and_distinct() -> None:
    long = "很" * 40
    titles = exports.sheet_titles(
        [Sheet(long, []), Sheet(long, []), Sheet("a:b", []), Sheet("A-B", [])]
    )
    assert all(len(t) <= 31 for t in titles)
    assert len({t.casefold() for t in titles}) == 4
    assert titles[2] == "a-b" and titles[3] == "A-B(2)"


def test_a_long_list_reports_progress_and_streams(tmp_path: Path) -> None:
    rows = [[f"学员{i}", yuan_value(i)] for i in range(2500)]
    seen: list[tuple[int, int]] = []
    exports.write_workbook(
        tmp_path / "long.xlsx",
        [Sheet("学员", ["姓名", "金额"], rows)],
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    ws = openpyxl.load_workbook(tmp_path / "long.xlsx", read_only=True).worksheets[0]
    assert sum(1 for _ in ws.iter_rows()) == 2501


def test_a_locked_target_is_a_clear_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "open-in-excel.xlsx"
    target.write_bytes(b"old")

    def locked(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(exports.os, "replace", locked)
    with pytest.raises(StorageUnavailable, match="Excel"):
        exports.write_workbook(target, [_sample()])
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_a_folder_or_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable, match="文件夹"):
        exports.write_workbook(tmp_path, [_sample()])
    with pytest.raises(StorageUnavailable, match="无法写入"):
        exports.write_workbook(tmp_path / "missing" / "x.xlsx", [_sample()])
