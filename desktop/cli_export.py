"""``dabiao export``: lists and reports to .xlsx.

Report kinds are built by :mod:`shared.exports` from the same engine functions the desktop pages
and the phone show; record kinds (students, parents, courses, orders, attendance, all) are
written by :func:`shared.transfer.export_entities` in the import template's format, so such a
file imports back. Progress goes to stderr; a bad kind, month, week, campus or target is one
``错误：…`` line and exit code 1 (a :class:`~shared.errors.DabiaoError`, see desktop/cli.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shared.errors import Invalid

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.exports import Sheet

# What each report kind writes (shown by ``dabiao export --help``).
REPORT_KINDS: dict[str, str] = {
    "dashboard": "看板：目标达成（年/月/周 × 营业额/划课收入）、本月排行、本月环节（--date）",
    "ranking": "员工排行：某月营业额与划课收入排行（--month；不给 --campus 时为全部校区）",
    "tasks": "任务：每位员工的金额与环节任务（--month 或 --week）",
    "diagnosis": "诊断：试听分析与学员分析（--month）",
    "staff": "员工名单",
    "timetable": "课表与点名：每节课与每位学员的点名（--month，或 --week 含某天的周一至周日）",
}
REPORT_NAMES: dict[str, str] = {
    "dashboard": "看板",
    "ranking": "员工排行",
    "tasks": "任务",
    "diagnosis": "诊断",
    "staff": "员工名单",
    "timetable": "课表与点名",
}
# Record kinds, in the import template's format (they import back).
RECORD_KINDS: dict[str, str] = {
    "students": "学员",
    "parents": "家长",
    "courses": "课程",
    "orders": "订单",
    "attendance": "考勤",
    "all": "以上五种记录，一个文件（单一种记录也可导出为 .csv）",
}
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _note(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _path(text: str) -> Path:
    return Path(text).expanduser()


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); anything else is :class:`Invalid`."""
    found = MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2100:
        raise Invalid("--month", f"月份格式应为 YYYY-MM（如 2026-11）：{text!r}")
    return int(found.group(1)), int(found.group(2))


def parse_day(text: str, option: str) -> date:
    """``YYYY-MM-DD`` as a date; anything else is :class:`Invalid`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(option, f"日期格式应为 YYYY-MM-DD（如 2026-11-05）：{text!r}") from None


def resolve_campus(session: Session, name: str | None, *, optional: bool) -> str | None:
    """The id of the campus named (by name or code) ``name``; the only campus when none is named.

    With several campuses and no name, ``optional`` kinds get None (every campus); the others
    are refused with the list of names to choose from.
    """
    from sqlalchemy import or_, select

    from shared.models import Campus

    alive = Campus.is_deleted.is_(False)
    if name is not None:
        wanted = name.strip()
        found = session.scalars(
            select(Campus.id).where(alive, or_(Campus.name == wanted, Campus.code == wanted))
        ).all()
        if not found:
            names = "、".join(session.scalars(select(Campus.name).where(alive)).all())
            raise Invalid("--campus", f"没有名为“{wanted}”的校区；现有校区：{names or '无'}")
        return found[0]
    campuses = session.execute(
        select(Campus.id, Campus.name).where(alive).order_by(Campus.code)
    ).all()
    if len(campuses) == 1:
        return campuses[0].id
    if optional:
        return None
    if not campuses:
        raise Invalid("--campus", "这个数据库里还没有校区。")
    names = "、".join(c.name for c in campuses)
    raise Invalid("--campus", f"有 {len(campuses)} 个校区，请用 --campus 指定一个：{names}")


def build_report(session: Session, args: argparse.Namespace, today: date) -> list[Sheet]:
    """The sheets of the report kind ``args.what`` (options already checked)."""
    from shared import exports
    from shared.periods import Period

    what = args.what
    if what == "ranking":
        year, month = parse_month(args.month) if args.month else (today.year, today.month)
        campus_id = resolve_campus(session, args.campus, optional=True)
        return exports.ranking_sheets(session, campus_id, year, month)
    campus_id = resolve_campus(session, args.campus, optional=False)
    assert campus_id is not None
    if what == "dashboard":
        return exports.dashboard_sheets(session, campus_id, today)
    if what == "staff":
        return exports.staff_sheets(session, campus_id)
    if what == "timetable":
        if args.week:
            day = parse_day(args.week, "--week")
            monday = day - timedelta(days=day.weekday())
            return exports.timetable_sheets(session, campus_id, monday, monday + timedelta(days=6))
        year, month = parse_month(args.month) if args.month else (today.year, today.month)
        start, end = Period.of_month(year, month).bounds
        return exports.timetable_sheets(session, campus_id, start, end)
    if what == "tasks" and args.week:
        period = Period.containing("week", parse_day(args.week, "--week"))
    else:
        year, month = parse_month(args.month) if args.month else (today.year, today.month)
        period = Period.of_month(year, month)
    if what == "tasks":
        return exports.tasks_sheets(session, campus_id, period, today)
    return exports.diagnosis_sheets(session, campus_id, period, today)


def _check_options(args: argparse.Namespace) -> None:
    what = args.what
    if what not in REPORT_KINDS and what not in RECORD_KINDS:
        kinds = "、".join([*REPORT_KINDS, *RECORD_KINDS])
        raise Invalid("--what", f"不认识的导出内容“{what}”；可选：{kinds}")
    suffix = args.to.suffix.lower()
    single_record = what in RECORD_KINDS and what != "all"
    if suffix != ".xlsx" and not (single_record and suffix == ".csv"):
        allowed = ".xlsx（单一种记录也可用 .csv）" if single_record else ".xlsx"
        raise Invalid("--to", f"导出文件应以 {allowed} 结尾：{args.to}")
    if args.month:
        parse_month(args.month)
    if args.week:
        if what not in ("tasks", "timetable"):
            raise Invalid(
                "--week", "只有 tasks（任务）与 timetable（课表）可以按周导出；其余请用 --month。"
            )
        if args.month:
            raise Invalid("--week", "--week 与 --month 只能给一个。")
        parse_day(args.week, "--week")
    if args.date:
        parse_day(args.date, "--date")
    if not args.to.parent.is_dir():
        from shared.errors import StorageUnavailable

        raise StorageUnavailable(f"文件夹“{args.to.parent}”不存在，无法写入导出文件。")


def _row_progress(done: int, total: int) -> None:
    _note(f"已写入 {done:,}/{total:,} 行")


class _RecordProgress:
    """Prints ``已导出 done/total 行`` at every tenth of the way (not at every row)."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = 10 if total == 0 else done * 10 // total
        if tenth > self.shown:
            self.shown = tenth
            _note(f"已导出 {done:,}/{total:,} 行")


def cmd_export(args: argparse.Namespace) -> int:
    """Write the report or records ``--what`` asks for to ``--to``."""
    _check_options(args)

    from shared.db import open_database
    from shared.periods import today_local

    today = parse_day(args.date, "--date") if args.date else today_local()
    db = open_database(args.db, create=False)
    try:
        if args.what in RECORD_KINDS:
            from shared.transfer import ENTITY_KINDS, export_entities

            with db.reader() as session:
                campus_id = resolve_campus(session, args.campus, optional=True)
            kinds = tuple(ENTITY_KINDS) if args.what == "all" else (args.what,)
            _note(f"正在导出{RECORD_KINDS[args.what] if args.what != 'all' else '全部记录'}…")
            result = export_entities(
                db, args.to, campus_id=campus_id, kinds=kinds, progress=_RecordProgress()
            )
            counts = "、".join(f"{RECORD_KINDS[k]} {n:,} 行" for k, n in result.counts.items())
            _note(f"共导出 {counts}")
        else:
            from shared.exports import write_workbook

            _note(f"正在计算{REPORT_NAMES[args.what]}…")
            with db.reader() as session:
                sheets = build_report(session, args, today)
            rows = sum(len(s.rows) for s in sheets)
            _note(f"正在写入 {len(sheets)} 个工作表、{rows:,} 行…")
            write_workbook(args.to, sheets, progress=_row_progress)
    finally:
        db.close()
    print(f"已导出到 {args.to}", flush=True)
    return 0


def _kinds_help() -> str:
    lines = ["报表："] + [f"  {k:<11}{v}" for k, v in REPORT_KINDS.items()]
    lines += ["记录（导入模板格式，可重新导入）："]
    lines += [f"  {k:<11}{v}" for k, v in RECORD_KINDS.items()]
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to ``dabiao``'s parser."""
    parser = sub.add_parser(
        "export",
        help="把列表或报表导出为 Excel（.xlsx）",
        description="把列表或报表导出为 Excel（.xlsx），数字与桌面页面显示的一致。",
        epilog="--what 可选：\n" + _kinds_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    parser.add_argument("--what", required=True, metavar="KIND", help="导出什么（见下面的列表）")
    parser.add_argument("--to", type=_path, required=True, metavar="FILE.xlsx", help="导出文件")
    parser.add_argument("--campus", metavar="NAME", help="校区名称或代码（只有一个校区时可省略）")
    parser.add_argument("--month", metavar="YYYY-MM", help="月份（默认本月）")
    parser.add_argument(
        "--week",
        metavar="YYYY-MM-DD",
        help="按周：含这一天的那一周（任务按月内周，课表按周一至周日）",
    )
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="看板的“今天”（默认今天）")
    parser.set_defaults(handler=cmd_export, needs_db=True)
