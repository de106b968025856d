"""``dabiao import``: the template, a checked import, problems listed, duplicates, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop import cli
from shared.db import open_database
from shared.services.students import register_student
from tests.shared.transfer_support import empty_campus, small_school, table_counts, write_book


@pytest.fixture
def campus_file(tmp_path: Path) -> Path:
    """A database file with one empty campus, closed."""
    path = tmp_path / "school.dabiao"
    db = open_database(path)
    try:
        empty_campus(db)
    finally:
        db.close()
    return path


def test_template_is_written_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "导入模板.xlsx"
    assert cli.main(["import", "--template", str(target)]) == 0
    assert target.stat().st_size > 0
    assert "已写出导入模板" in capsys.readouterr().out


def test_a_good_file_is_imported_with_progress_on_stderr(
    campus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = write_book(tmp_path / "school.xlsx", small_school())
    assert cli.main(["import", "--db", str(campus_file), str(book)]) == 0
    out, err = capsys.readouterr()
    assert "学员 2" in out and "订单 2" in out and "导入完成" in out
    assert "将新建员工：李顾问（课程顾问，无 PIN）" in err
    assert "写入：100%" in err
    assert table_counts(campus_file)["orders"] == 2


def test_problems_are_listed_by_sheet_row_and_column_and_nothing_is_imported(
    campus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheets = small_school()
    sheets["订单"][1][8] = "三千"
    sheets["上课记录"][1][0] = "2025-13-01"
    book = write_book(tmp_path / "bad.xlsx", sheets)
    before = table_counts(campus_file)
    assert cli.main(["import", "--db", str(campus_file), str(book)]) == 1
    err = capsys.readouterr().err
    assert "订单 第 2 行「金额（元）」：不是有效的金额" in err
    assert "上课记录 第 2 行「上课日期」" in err
    assert err.strip().splitlines()[-1].startswith("错误：文件有 2 个问题")
    assert "Traceback" not in err
    assert table_counts(campus_file) == before


def test_a_renamed_program_is_refused_in_one_line(
    campus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "学员.xlsx"
    fake.write_bytes(b"MZ\x90\x00" + bytes(1000))
    assert cli.main(["import", "--db", str(campus_file), str(fake)]) == 1
    err = capsys.readouterr().err
    assert (
        err.strip().splitlines()[-1]
        == "错误：“学员.xlsx”是一个程序文件，不是表格；请选择 .xlsx 或 .csv 文件。"
    )


def test_duplicates_are_skipped_by_default_and_merged_on_request(
    campus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(campus_file)
    try:
        with db.unit_of_work() as s:
            from shared.models import Campus

            campus_id = s.query(Campus.id).scalar()
            register_student(
                s,
                campus_id=campus_id,
                name="张小明",
                parent_name="王芳",
                parent_phone="13812345678",
            )
    finally:
        db.close()
    book = write_book(tmp_path / "school.xlsx", small_school())
    assert cli.main(["import", "--db", str(campus_file), str(book)]) == 0
    out, err = capsys.readouterr()
    assert "重复学员：学员 第 2 行 张小明（13812345678）" in err and "→ 跳过" in err
    assert "跳过重复学员：1 名" in out
    assert table_counts(campus_file)["orders"] == 0
    assert cli.main(["import", "--db", str(campus_file), "--merge", str(book)]) == 0
    assert "合并到已有学员：1 名" in capsys.readouterr().out
    assert table_counts(campus_file)["orders"] == 2


def test_check_only_writes_nothing(
    campus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = write_book(tmp_path / "school.xlsx", small_school())
    before = table_counts(campus_file)
    assert cli.main(["import", "--db", str(campus_file), "--check-only", str(book)]) == 0
    assert "检查通过" in capsys.readouterr().out
    assert table_counts(campus_file) == before


def test_a_file_without_database_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", str(tmp_path / "x.xlsx")]) == 2
    assert "--db" in capsys.readouterr().err
