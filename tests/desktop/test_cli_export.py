"""``dabiao export``: report kinds hold the engine's figures, record kinds the import format,
and every bad input is one ``错误：…`` line, exit code 1 and no file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from desktop import cli
from desktop.cli_export import RECORD_KINDS, REPORT_KINDS
from shared import progress
from shared.db import open_database
from shared.models import Campus, Metric
from tests.storage_support import run_cli

from .conftest import DEMO_TODAY


def export(path: Path, *args: str) -> int:
    return cli.main(["export", "--db", str(path), *args])


def rows_of(path: Path, sheet: int | str = 0) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def test_help_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["export", "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    for kind in [*REPORT_KINDS, *RECORD_KINDS]:
        assert f"  {kind}" in out


def test_ranking_holds_the_engines_ranking_of_the_month(demo_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "排行.xlsx"
    assert export(demo_path, "--what", "ranking", "--month", "2025-06", "--to", str(target)) == 0
    db = open_database(demo_path, create=False)
    try:
        with db.reader() as session:
            campus_id = session.scalars(select(Campus.id)).one()
            expected = {m: progress.ranking(session, campus_id, 2025, 6, m) for m in Metric}
    finally:
        db.close()
    for sheet, metric in ((0, Metric.REVENUE), (1, Metric.CONSUMPTION)):
        rows = rows_of(target, sheet)
        assert rows
        assert [(r[0], r[1]) for r in rows] == [(e.rank, e.staff_name) for e in expected[metric]]
        assert [Decimal(str(r[2])) * 100 for r in rows] == [e.amount_fen for e in expected[metric]]


@pytest.mark.parametrize(
    ("args", "first_sheet"),
    [
        (["--what", "dashboard", "--date", DEMO_TODAY.isoformat()], "目标达成-"),
        (["--what", "tasks", "--week", "2025-06-18"], "任务-2025年6月第4周"),
        (["--what", "tasks", "--month", "2025-05"], "任务-2025年5月"),
        (["--what", "diagnosis", "--month", "2025-06"], "试听概况"),
        (["--what", "staff"], "员工"),
        (["--what", "timetable", "--week", "2025-06-18"], "课表 2025-06-16至2025-06-22"),
    ],
)
def test_each_report_kind_writes_its_sheets_with_progress_on_stderr(
    demo_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    first_sheet: str,
) -> None:
    target = tmp_path / "report.xlsx"
    assert export(demo_path, *args, "--to", str(target)) == 0
    captured = capsys.readouterr()
    assert "正在写入" in captured.err and "行" in captured.err
    assert str(target) in captured.out
    book = openpyxl.load_workbook(target)
    assert book.worksheets[0].title.startswith(first_sheet)
    assert book.worksheets[0].max_row > 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--what", "bogus"], "不认识的导出内容"),
        (["--what", "ranking", "--month", "2025-13"], "YYYY-MM"),
        (["--what", "ranking", "--month", "June"], "YYYY-MM"),
        (["--what", "tasks", "--week", "2025-02-30"], "YYYY-MM-DD"),
        (["--what", "diagnosis", "--week", "2025-06-18"], "只有 tasks"),
        (["--what", "staff", "--campus", "没有这个校区"], "没有名为“没有这个校区”的校区"),
        (["--what", "staff", "--to-suffix", ".txt"], ".xlsx"),
        (["--what", "all", "--to-suffix", ".csv"], ".xlsx"),
        (["--what", "staff", "--to-folder", "missing"], "不存在"),
    ],
)
def test_bad_input_is_one_chinese_line_and_no_file(
    demo_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    words: str,
) -> None:
    folder, suffix = tmp_path, ".xlsx"
    if "--to-suffix" in args:
        suffix = args[args.index("--to-suffix") + 1]
        args = args[: args.index("--to-suffix")]
    if "--to-folder" in args:
        folder = tmp_path / args[args.index("--to-folder") + 1]
        args = args[: args.index("--to-folder")]
    target = folder / f"out{suffix}"
    assert export(demo_path, *args, "--to", str(target)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("错误：") and words in err[-1], err
    assert "Traceback" not in "\n".join(err)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["campus.dabiao"]


def test_a_real_process_exports_and_reports_progress(demo_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "ranking.xlsx"
    done = run_cli("export", "--db", str(demo_path), "--what", "ranking", "--to", str(target))
    assert done.returncode == 0, done.stderr
    assert "正在计算" in done.stderr and "已写入" in done.stderr
    assert target.exists()
    refused = run_cli("export", "--db", str(demo_path), "--what", "nope", "--to", str(target))
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("错误：")
    assert len(refused.stderr.strip().splitlines()) == 1


def test_with_several_campuses_one_must_be_named_except_for_the_ranking(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.services.campus import create_campus

    db = open_database(demo_path, create=False)
    try:
        with db.unit_of_work() as session:
            create_campus(session, name="达标艺术中心·江南校区", code="ZZ02")
    finally:
        db.close()
    target = tmp_path / "staff.xlsx"
    assert export(demo_path, "--what", "staff", "--to", str(target)) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("错误：") and "--campus" in err and "江南校区" in err
    assert not target.exists()
    # Named by its code, the new (empty) campus exports its (empty) staff list.
    assert export(demo_path, "--what", "staff", "--campus", "ZZ02", "--to", str(target)) == 0
    assert openpyxl.load_workbook(target).worksheets[0].max_row == 1
    # The ranking of every campus together names each person's campus.
    ranking = tmp_path / "ranking.xlsx"
    assert export(demo_path, "--what", "ranking", "--month", "2025-06", "--to", str(ranking)) == 0
    header = next(openpyxl.load_workbook(ranking).worksheets[0].iter_rows(values_only=True))
    assert header[2] == "校区"


# Record kinds come last: they use shared.transfer.export_entities (another module's work).


def test_all_records_go_to_one_workbook_in_the_import_format(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.transfer import ENTITY_KINDS, SHEET_NAMES

    target = tmp_path / "records.xlsx"
    assert export(demo_path, "--what", "all", "--to", str(target)) == 0
    err = capsys.readouterr().err
    assert "已导出" in err and "共导出" in err
    names = openpyxl.load_workbook(target, read_only=True).sheetnames
    assert [n for n in names if n in SHEET_NAMES.values()] == [SHEET_NAMES[k] for k in ENTITY_KINDS]


def test_one_record_kind_may_go_to_csv(demo_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "orders.csv"
    assert export(demo_path, "--what", "orders", "--to", str(target)) == 0
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) > 10
    assert "金额" in lines[0]
