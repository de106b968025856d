"""The record export: what it refuses, which campus it exports, progress, and the format."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from shared.db import Database
from shared.errors import Invalid, StorageUnavailable
from shared.transfer import commit_import, export_entities, plan_import
from shared.transfer.layout import headers
from tests.shared.transfer_support import empty_campus, small_school, write_book


@pytest.fixture
def school(db: Database, tmp_path: Path) -> str:
    """The hand-made school imported into campus E1; its campus id."""
    campus = empty_campus(db, "E1")
    commit_import(db, plan_import(db, write_book(tmp_path / "in.xlsx", small_school())))
    return campus


def test_the_workbook_has_the_template_headers_and_money_as_numbers(
    db: Database, school: str, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    result = export_entities(db, tmp_path / "out.xlsx", progress=lambda d, t: seen.append((d, t)))
    assert result.counts == {
        "students": 2,
        "parents": 2,
        "courses": 2,
        "orders": 2,
        "attendance": 2,
    }
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    book = load_workbook(result.path, read_only=True)
    assert book.sheetnames == ["学员", "家长", "课程", "订单", "上课记录"]
    # Empty trailing cells are not stored: pad the rows to the headers' width.
    orders = [r + (None,) * 13 for r in book["订单"].iter_rows(values_only=True)]
    assert orders[0][:13] == tuple(headers("orders"))
    assert [r[8] for r in orders[1:]] == [3000, -300]  # numeric cells, in yuan
    assert [r[11] for r in orders[1:]] == [None, orders[1][0]]  # the refund names its order
    marks = list(book["上课记录"].iter_rows(values_only=True))
    assert [r[12] for r in marks[1:]] == [150, 150]  # 划课金额, for people to read


def test_the_export_imports_into_a_second_campus_of_the_same_file(
    db: Database, school: str, tmp_path: Path
) -> None:
    exported = export_entities(db, tmp_path / "out.xlsx", campus_id=school)
    second = empty_campus(db, "E2")
    with pytest.raises(Invalid, match="多个校区"):
        plan_import(db, exported.path)
    plan = plan_import(db, exported.path, campus_id=second)
    assert plan.problems == [] and plan.duplicates == []  # duplicates are per campus
    commit_import(db, plan)
    again = export_entities(db, tmp_path / "again.xlsx", campus_id=second)
    for name in ("学员", "家长", "课程", "订单", "上课记录"):
        first = load_workbook(exported.path, read_only=True)[name]
        other = load_workbook(again.path, read_only=True)[name]
        assert list(first.iter_rows(values_only=True)) == list(other.iter_rows(values_only=True))


def test_one_kind_goes_to_csv_and_several_are_refused(
    db: Database, school: str, tmp_path: Path
) -> None:
    result = export_entities(db, tmp_path / "students.csv", kinds=["students"])
    text = result.path.read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == ",".join(headers("students")) and text[1].startswith("张小明,13812345678")
    with pytest.raises(Invalid, match="只能放一种记录"):
        export_entities(db, tmp_path / "two.csv", kinds=["students", "orders"])
    with pytest.raises(Invalid, match="未知的导出内容"):
        export_entities(db, tmp_path / "x.xlsx", kinds=["teachers"])
    with pytest.raises(Invalid, match=r"\.xlsx 或 \.csv"):
        export_entities(db, tmp_path / "x.pdf")
    with pytest.raises(StorageUnavailable, match="不存在"):
        export_entities(db, tmp_path / "missing" / "x.xlsx")
    assert sorted(
        p.name for p in tmp_path.iterdir() if p.suffix in (".csv", ".xlsx", ".partial")
    ) == [
        "in.xlsx",
        "students.csv",
    ]
