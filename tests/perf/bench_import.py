"""Benchmark: importing 10,000 rows from an .xlsx workbook, against reading it and raw inserts.

Run it by hand::

    .venv/bin/python tests/perf/bench_import.py [--rows N] [--keep FOLDER]

or through pytest, which collects this file only when it is named explicitly::

    .venv/bin/pytest tests/perf/bench_import.py

What it does and prints:

1. writes a workbook in the template's format with ``N`` data rows (default 10,000) spread
   over the five sheets like a school's history: courses, students, their parents, orders
   (packages, some refunded) and attendance marks;
2. imports it into an empty campus file the way ``dabiao import`` does — read and check
   (:func:`shared.transfer.plan_import`), then write in one transaction
   (:func:`shared.transfer.commit_import`) — each timed; the goal is ≤ 10 s in all;
3. two references measured in the same run on the same machine: openpyxl merely iterating the
   workbook's cells (read-only mode, what any import must pay), and plain ``sqlite3``
   ``executemany`` of the same number of rows into bare tables; with the ratios.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from shared.db import open_database
from shared.services.campus import create_campus
from shared.transfer import commit_import, plan_import
from shared.transfer.layout import headers

GOAL_SECONDS = 10.0
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "子涵欣怡梓涵一诺浩宇宇轩子墨雨泽梓萱思彤俊熙诗涵可馨晨曦嘉怡语桐若汐"
COURSES = [
    ("少儿钢琴", 200),
    ("小提琴", 180),
    ("少儿美术", 120),
    ("硬笔书法", 100),
    ("英语口语", 150),
    ("围棋", 110),
    ("中国舞", 130),
    ("编程启蒙", 220),
    ("作文", 140),
    ("数学思维", 160),
]
TEACHERS = ["赵老师", "钱老师", "孙老师", "李老师", "周老师", "吴老师"]
CONSULTANTS = ["郑顾问", "王顾问", "冯顾问"]


def make_workbook(path: Path, rows: int, seed: int = 1) -> dict[str, int]:
    """A workbook of ``rows`` data rows in the template's format; rows per sheet."""
    rng = random.Random(seed)
    courses = len(COURSES)
    families = max(1, (rows - courses) * 15 // 100)  # students; as many parents
    orders = max(1, (rows - courses) * 20 // 100)
    marks = rows - courses - 2 * families - orders
    book = Workbook(write_only=True)

    sheet = book.create_sheet("课程")
    sheet.append(headers("courses"))
    for name, price in COURSES:
        sheet.append([name, "", price, 1, "在售"])

    students = []
    for i in range(families):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])
        phone = f"13{rng.randrange(10**9):09d}"
        students.append((f"{name}{i}", phone))
    sheet = book.create_sheet("学员")
    sheet.append(headers("students"))
    for name, phone in students:
        sheet.append(
            [
                name,
                phone,
                rng.choice("男女"),
                date(2015, 1, 1) + timedelta(rng.randrange(2000)),
                "实验小学",
                "三年级",
                "在读",
                rng.choice(CONSULTANTS),
                "地推",
                None,
                "",
            ]
        )
    sheet = book.create_sheet("家长")
    sheet.append(headers("parents"))
    for name, phone in students:
        sheet.append([f"{name[0]}家长", phone, "", "", "", name, phone, "母亲", "是"])

    sheet = book.create_sheet("订单")
    sheet.append(headers("orders"))
    taken: list[tuple[str, str, str]] = []
    start = date(2024, 1, 1)
    for i in range(orders):
        name, phone = students[i % len(students)]
        course, price = COURSES[i % courses]
        hours = rng.choice([12, 24, 48])
        refund = i % 50 == 49 and taken and taken[-1][0] == name
        if refund:
            sheet.append(
                [
                    f"D{i}",
                    name,
                    phone,
                    taken[-1][2],
                    "退费",
                    start + timedelta(300),
                    2,
                    0,
                    f"-{2 * COURSES[[c for c, _ in COURSES].index(taken[-1][2])][1]}",
                    "",
                    "",
                    taken[-1][1],
                    "",
                ]
            )
            continue
        sheet.append(
            [
                f"D{i}",
                name,
                phone,
                course,
                "新签" if i < len(students) else "续费",
                start + timedelta(rng.randrange(200)),
                hours,
                rng.choice([0, 0, 2]),
                f"{hours * price:,}.00",
                rng.choice(CONSULTANTS),
                "",
                "",
                "",
            ]
        )
        taken.append((name, f"D{i}", course))

    sheet = book.create_sheet("上课记录")
    sheet.append(headers("attendance"))
    for i in range(marks):
        name, phone = students[i % len(students)]
        course = COURSES[i % len(students) % courses][0]
        day = start + timedelta(days=200 + i // len(students) * 7)
        sheet.append(
            [
                day,
                "16:00",
                "17:00",
                course,
                TEACHERS[i % len(TEACHERS)],
                1,
                f"教室{i % 7}",
                name,
                phone,
                rng.choice(["出勤"] * 8 + ["请假", "旷课"]),
                "",
                "",
                "",
                "",
            ]
        )
    book.save(path)
    return {"课程": courses, "学员": families, "家长": families, "订单": orders, "上课记录": marks}


def read_reference(path: Path) -> float:
    """Seconds openpyxl needs just to iterate every cell of the workbook (read-only)."""
    started = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
    book.close()
    return time.perf_counter() - started


def insert_reference(folder: Path, rows: int) -> float:
    """Seconds plain sqlite3 needs to executemany ``rows`` 14-column rows into a bare table."""
    path = folder / "reference.sqlite"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(14))})")
        data = [
            (
                i.to_bytes(16, "big"),
                i,
                0,
                "2025-01-01 00:00:00.000000",
                "x" * 10,
                "张三",
                "13800000000",
                1,
                2,
                3,
                "present",
                100,
                None,
                "",
            )
            for i in range(rows)
        ]
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * 14)})", data)
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def run(rows: int, folder: Path) -> dict[str, float]:
    """Make the workbook, import it, measure the references; print and return the figures."""
    book = folder / "import.xlsx"
    per_sheet = make_workbook(book, rows)
    print(
        f"工作簿：{book.stat().st_size / 1024:.0f} KB，"
        + "，".join(f"{k} {v:,} 行" for k, v in per_sheet.items())
        + f"，共 {sum(per_sheet.values()):,} 行"
    )
    target = folder / "school.dabiao"
    target.unlink(missing_ok=True)
    db = open_database(target)
    try:
        with db.unit_of_work() as session:
            create_campus(session, name="基准校区", code="BENCH")
        started = time.perf_counter()
        plan = plan_import(db, book)
        checked = time.perf_counter()
        assert plan.problems == [], plan.problems[:5]
        result = commit_import(db, plan)
        written = time.perf_counter()
    finally:
        db.close()
    figures = {
        "check": checked - started,
        "write": written - checked,
        "total": written - started,
        "read_reference": read_reference(book),
        "insert_reference": insert_reference(folder, sum(result.counts.values())),
    }
    print(
        f"导入：读取并检查 {figures['check']:.2f} s，写入 {figures['write']:.2f} s，"
        f"共 {figures['total']:.2f} s（目标 ≤ {GOAL_SECONDS:.0f} s）"
    )
    print("写入行数：" + "，".join(f"{k} {v:,}" for k, v in result.counts.items()))
    print(
        f"参照一：openpyxl 只读遍历同一工作簿 {figures['read_reference']:.2f} s；"
        f"导入用时是它的 {figures['total'] / figures['read_reference']:.1f} 倍"
    )
    print(
        f"参照二：sqlite3 executemany 同样 {sum(result.counts.values()):,} 行到无索引空表 "
        f"{figures['insert_reference']:.2f} s；写入用时是它的 "
        f"{figures['write'] / max(figures['insert_reference'], 1e-6):.1f} 倍"
    )
    return figures


@pytest.mark.perf
@pytest.mark.timeout(600)
def test_ten_thousand_rows_import_within_ten_seconds(tmp_path: Path) -> None:
    figures = run(10_000, tmp_path)
    assert figures["total"] <= GOAL_SECONDS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="keep the workbook and database in this folder")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = run(args.rows, args.keep)
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = run(args.rows, Path(folder))
    return 0 if figures["total"] <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
