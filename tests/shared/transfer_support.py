"""Helpers for the import tests: workbooks written in the test, an empty campus, row counts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from openpyxl import Workbook

from shared.db import Database
from shared.services.campus import create_campus
from shared.transfer.layout import headers

COUNTED = (
    "staff",
    "students",
    "parents",
    "student_parents",
    "courses",
    "orders",
    "lessons",
    "lesson_students",
    "attendance",
    "consumption_entries",
    "sync_counter",
)


def empty_campus(db: Database, code: str = "E1") -> str:
    """Add a campus with no staff, courses or students (shared.services.campus); its id."""
    with db.unit_of_work() as session:
        return create_campus(session, name=f"新校区{code}", code=code).id


def write_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with one sheet per entry: the first list is the header row."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def table_counts(path: Path) -> dict[str, int]:
    """Row counts of the business tables and the version counter, read with plain sqlite3."""
    conn = sqlite3.connect(path)
    try:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
        counts["version"] = conn.execute("SELECT value FROM sync_counter").fetchone()[0]
        return counts
    finally:
        conn.close()


def small_school() -> dict[str, list[list[object]]]:
    """A hand-made school in the template's format, every kind, whose figures are known.

    钢琴 is 150 元 an hour; 张小明 buys 20 hours for 3,000 元 plus 2 gifted hours, then 2
    hours are refunded for 300 元; he attends two one-hour lessons (300 元 of 划课 in all).
    """
    return {
        "课程": [
            headers("courses"),
            ["钢琴", "音乐", "150", 1, "在售"],
            ["书法", "", "¥120.50", "1.5", ""],
        ],
        "学员": [
            headers("students"),
            [
                "张小明",
                "13812345678",
                "男",
                "2017-05-01",
                "实验小学",
                "二年级",
                "在读",
                "李顾问",
                "转介绍",
                "2025/3/1",
                "",
            ],
            ["李小红", "", "女", None, "", "", "线索", "", "", None, "还没有家长电话"],
        ],
        "家长": [
            headers("parents"),
            ["王芳", "138 1234 5678", "", "wf01", "", "张小明", "", "母亲", "是"],
            ["张强", "13900001111", "", "", "", "张小明", "13812345678", "父亲", ""],
        ],
        "订单": [
            headers("orders"),
            [
                "D1",
                "张小明",
                "13812345678",
                "钢琴",
                "新签",
                "2025年3月2日",
                20,
                2,
                "3,000",
                "李顾问",
                "赵老师",
                "",
                "",
            ],
            [
                "D2",
                "张小明",
                "13812345678",
                "钢琴",
                "退费",
                "2025-04-01",
                2,
                0,
                "-300",
                "李顾问",
                "",
                "D1",
                "家长要求",
            ],
        ],
        "上课记录": [
            headers("attendance"),
            [
                "2025-03-08",
                "16:00",
                "17:00",
                "钢琴",
                "赵老师",
                1,
                "琴房1",
                "张小明",
                "13812345678",
                "出勤",
                "",
                1,
                "",
                "",
            ],
            [
                "2025-03-15",
                "16:00",
                "",
                "钢琴",
                "赵老师",
                "",
                "琴房1",
                "张小明",
                "13812345678",
                "旷课",
                "否",
                "",
                "",
                "没来",
            ],
        ],
    }
