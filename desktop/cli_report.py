"""``dabiao report``: the monthly PDF report; ``dabiao card``: a student's growth card (PNG).

Both read the database (never write it), render with QtGui on an offscreen QGuiApplication
when there is no display, and write their file through ``FILE.partial`` and a rename. Progress
goes to stderr; a bad month, an unknown campus or student, or a target that cannot be written
is one line ``错误：…`` and exit code 1 (raised as :class:`~shared.errors.DabiaoError`).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from shared.errors import Invalid, StorageUnavailable


def _note(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None


def check_target(path: Path, suffix: str) -> Path:
    """Refuse a target that is a folder, has the wrong extension, or sits in no writable folder."""
    if path.suffix.lower() != suffix:
        raise Invalid("to", f"输出文件应以 {suffix} 结尾：{path}")
    if path.is_dir():
        raise StorageUnavailable(f"“{path}”是一个文件夹，请给出文件名")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise StorageUnavailable(f"文件夹“{folder}”不存在")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StorageUnavailable(f"没有权限写入“{path}”")
    return path


def cmd_report(args: argparse.Namespace) -> int:
    """Write the monthly performance report of a campus or of all campuses as a PDF."""
    from shared.db import open_database
    from shared.monthly_report import (
        find_campus,
        last_complete_month,
        monthly_report,
        parse_month,
    )
    from shared.periods import today_local

    today = args.today or today_local()
    period = parse_month(args.month) if args.month else last_complete_month(today)
    target = check_target(args.to, ".pdf")

    from desktop.render.fonts import ensure_gui_application

    ensure_gui_application()
    from desktop.render.report_pdf import write_report_pdf

    def progress(percent: int, text: str) -> None:
        _note(f"[{percent:3d}%] {text}")

    db = open_database(args.db, create=False)
    try:
        with db.reader() as session:
            campus_id = None
            if not args.all_campuses:
                if args.campus is not None:
                    campus_id = find_campus(session, args.campus).id
                else:
                    from sqlalchemy import select

                    from shared.models import Campus

                    campuses = session.scalars(
                        select(Campus).where(Campus.is_deleted.is_(False))
                    ).all()
                    if len(campuses) != 1:
                        names = "、".join(c.name for c in campuses) or "无"
                        raise Invalid(
                            "campus",
                            f"数据库里有 {len(campuses)} 个校区（{names}），"
                            "请用 --campus 指定一个，或用 --all-campuses",
                        )
                    campus_id = campuses[0].id
            report = monthly_report(
                session, period, campus_id=campus_id, today=today, progress=progress
            )
    finally:
        db.close()
    written = write_report_pdf(report, target, progress)
    print(f"已生成 {report.title}：{written}", flush=True)
    return 0


def cmd_card(args: argparse.Namespace) -> int:
    """Write a student's growth card as a PNG."""
    from shared.db import open_database
    from shared.growth_card import find_student, growth_card
    from shared.periods import today_local

    today = args.today or today_local()
    target = check_target(args.to, ".png")

    from desktop.render.fonts import ensure_gui_application

    ensure_gui_application()
    from desktop.render.card import growth_card_png
    from desktop.render.files import write_atomically

    db = open_database(args.db, create=False)
    try:
        with db.reader() as session:
            student = find_student(session, args.student)
            data = growth_card(session, student.id, today=today)
    finally:
        db.close()
    written = write_atomically(target, growth_card_png(data))
    print(f"已生成 {data.student_name} 的成长卡片：{written}", flush=True)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to ``dabiao``'s parser."""
    report = sub.add_parser("report", help="生成月度业绩报告（A4 PDF）")
    report.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    report.add_argument("--month", metavar="YYYY-MM", help="报告月份（默认上一个完整的月）")
    report.add_argument("--to", type=_path, metavar="FILE.pdf", required=True, help="输出文件")
    scope = report.add_mutually_exclusive_group()
    scope.add_argument("--campus", metavar="NAME", help="校区名称或编号（只有一个校区时可省略）")
    scope.add_argument("--all-campuses", action="store_true", help="全部校区并列对比")
    report.add_argument(
        "--today", type=_iso_date, metavar="YYYY-MM-DD", help="以这一天为“今天”（默认今天）"
    )
    report.set_defaults(handler=cmd_report, needs_db=True)

    card = sub.add_parser("card", help="生成学员成长卡片（手机尺寸 PNG）")
    card.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    card.add_argument("--student", required=True, metavar="NAME", help="学员姓名或编号")
    card.add_argument("--to", type=_path, metavar="FILE.png", required=True, help="输出文件")
    card.add_argument(
        "--today", type=_iso_date, metavar="YYYY-MM-DD", help="以这一天为“今天”（默认今天）"
    )
    card.set_defaults(handler=cmd_card, needs_db=True)
