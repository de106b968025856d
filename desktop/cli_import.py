"""``dabiao import``: Excel/CSV import of a school's records, and its template.

::

    dabiao import --template FILE.xlsx          # write the empty template (说明 included)
    dabiao import --db PATH FILE [--merge] [--check-only] [--campus CODE]

The file is read and every row checked first; any problem is listed by 表/行/列 on stderr and
nothing is imported (exit code 1). Duplicate students (same name and parent phone) are skipped
unless ``--merge`` is given. Progress goes to stderr, the result to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from shared.errors import Invalid
from shared.transfer.reader import FileRefused

MAX_LISTED_PROBLEMS = 200


def _note(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _print(line: str = "") -> None:
    print(line, flush=True)


class _Progress:
    """Progress lines on stderr, at most one per step of ten percent."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth != self.last:
            self.last = tenth
            _note(f"{self.label}：{done * 100 // max(total, 1)}%（{done:,}/{total:,}）")


def _campus_id(db: object, code: str | None) -> str | None:
    if code is None:
        return None
    from sqlalchemy import select

    from shared.models import Campus

    with db.reader() as session:  # type: ignore[attr-defined]
        found = session.scalar(
            select(Campus.id).where(Campus.code == code, Campus.is_deleted.is_(False))
        )
    if found is None:
        raise Invalid("campus", f"没有编号为 {code} 的校区")
    return found


def cmd_import(args: argparse.Namespace) -> int:
    """Write the template, or check and import a file."""
    if args.template is not None:
        from shared.transfer import write_template

        written = write_template(args.template)
        _print(f"已写出导入模板：{written}")
        return 0
    if args.file is None:
        _note("用法：dabiao import --db PATH FILE，或 dabiao import --template FILE")
        return 2
    if args.db is None:
        _note("错误：导入需要 --db PATH（要导入到哪个数据库文件）")
        return 2

    from shared.db import open_database
    from shared.transfer import commit_import, describe_key, plan_import

    started = time.perf_counter()
    db = open_database(args.db, create=False)
    try:
        campus_id = _campus_id(db, args.campus)
        plan = plan_import(db, args.file, campus_id=campus_id, progress=_note)
        counts = "，".join(f"{plan.sheet_title(k)} {n:,} 行" for k, n in plan.row_counts().items())
        _note(f"已读取：{counts or '没有数据行'}（校区：{plan.campus_name}）")
        if plan.problems:
            for problem in plan.problems[:MAX_LISTED_PROBLEMS]:
                _note(f"  {problem}")
            if len(plan.problems) > MAX_LISTED_PROBLEMS:
                _note(f"  …另有 {len(plan.problems) - MAX_LISTED_PROBLEMS} 个问题未列出")
            raise FileRefused(
                f"文件有 {len(plan.problems)} 个问题（见上），未导入任何数据；请修改后重新导入。",
            )
        for staff in plan.new_staff:
            _note(f"将新建员工：{staff.name}（{staff.role_names}，无 PIN）")
        for dup in plan.duplicates:
            action = "合并" if args.merge else "跳过"
            _note(
                f"重复学员：{dup.sheet} 第 {dup.row} 行 {describe_key(dup.key)}"
                f" 与{dup.existing}重复 → {action}"
            )
        if args.check_only:
            _print(f"检查通过：可以导入（{counts}）。未写入任何数据。")
            return 0
        result = commit_import(
            db, plan, plan.default_decisions(merge=args.merge), progress=_Progress("写入")
        )
    finally:
        db.close()
    for line in result.summary()[:-1]:
        _print(line)
    _print(f"导入完成，用时 {time.perf_counter() - started:.1f} 秒。")
    return 0


def _path(text: str) -> Path:
    return Path(text).expanduser()


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to ``dabiao``'s parser."""
    parser = sub.add_parser(
        "import",
        help="从 Excel（.xlsx）或 .csv 导入学员、家长、课程、订单和上课记录",
        description="导入前逐行检查，有任何问题时列出问题（表、行、列）且不导入任何数据。",
    )
    parser.add_argument(
        "file", nargs="?", type=_path, metavar="FILE", help="要导入的 .xlsx 或 .csv 文件"
    )
    parser.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    parser.add_argument(
        "--template", type=_path, metavar="FILE", help="写出空白导入模板（.xlsx）后退出"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="重复学员（同名且家长电话相同）合并到已有学员（默认跳过）",
    )
    parser.add_argument("--check-only", action="store_true", help="只检查文件，不导入")
    parser.add_argument(
        "--campus", metavar="CODE", help="文件中有多个校区时，导入到哪个校区（校区编号）"
    )
    parser.set_defaults(handler=cmd_import, needs_db=False)


__all__ = ["cmd_import", "register"]
