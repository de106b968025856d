"""The ``dabiao`` command line: build a demo campus, check a database file, back it up, serve.

Every command turns a :class:`~shared.errors.DabiaoError` (the environment's fault: a missing,
locked, read-only, corrupt or newer file) into one line ``错误：…`` on stderr and exit code 1.
Any other exception is a bug and propagates with its traceback.

Without a subcommand, ``dabiao`` opens the desktop window (:func:`desktop.app.run_desktop`):
on ``--db PATH``, on the demo campus with ``--demo``, else on the file opened last time or
through the first-run dialog.

Heavy modules (SQLAlchemy, Alembic, Qt) are imported inside the commands, so that
``dabiao --help`` answers at once and this module never pulls Qt in at import time.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable, Collection, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from shared.errors import DabiaoError, StorageUnavailable

if TYPE_CHECKING:
    from shared.demo import DemoResult

SQLITE_HEADER = b"SQLite format 3\x00"
SIDECAR_SUFFIXES = ("-wal", "-shm")

# The Chinese names of shared.models.Role values, as staff know them (GLOSSARY.md).
ROLE_NAMES: dict[str, str] = {
    "manager": "校长",
    "front_desk": "前台",
    "consultant": "课程顾问",
    "teacher": "教师",
}


def default_demo_path() -> Path:
    """Where ``dabiao demo`` writes when no ``--db`` is given."""
    import platformdirs

    return Path(platformdirs.user_data_dir("Dabiao", appauthor=False)) / "demo.dabiao"


# --------------------------------------------------------------------------- formatting


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: CJK (wide and fullwidth) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> list[str]:
    """Lay out rows in aligned columns (by display width); columns in ``right`` align right."""
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = []
    for row in [list(headers), *rows]:
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - display_width(cell))
            cells.append(pad + cell if i in right else cell + pad)
        lines.append("  ".join(cells).rstrip())
    return lines


def format_size(size: int) -> str:
    """A byte count as people read it: ``812 KB``, ``12.3 MB``."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    if size < 1024**3:
        return f"{size / 1024**2:.1f} MB"
    return f"{size / 1024**3:.2f} GB"


def one_line(message: str) -> str:
    """Fold a possibly multi-line message into one line."""
    return " ".join(part.strip() for part in message.splitlines() if part.strip())


def _print(line: str = "") -> None:
    print(line, flush=True)


def _note(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- file helpers


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise StorageUnavailable(f"无法读取“{path}”：{exc.strerror}") from None


def _remove_database_file(path: Path) -> None:
    """Delete a database file and its WAL sidecars.

    Refused, leaving everything as it was: anything that is not SQLite, a file written by a
    newer Dabiao, and a file another program (the desktop, ``dabiao serve``) has open.
    """
    from shared.db import ensure_replaceable

    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            # --replace is meant for an old demo, never for somebody's document.
            raise StorageUnavailable(
                f"“{path}”不是达标数据库文件，不会删除它；请换一个 --db 路径。"
            )
        ensure_replaceable(path)
        for suffix in SIDECAR_SUFFIXES:
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        path.unlink()
    except OSError as exc:
        raise StorageUnavailable(f"无法删除“{path}”：{exc.strerror}") from None


def _clear_demo_target(path: Path, *, replace: bool) -> None:
    """Refuse an existing non-empty target unless ``replace``; then delete it."""
    try:
        if path.is_dir():
            raise StorageUnavailable(f"“{path}”是一个文件夹，不是数据库文件。")
        if not path.exists() or path.stat().st_size == 0:
            return
    except OSError as exc:
        raise StorageUnavailable(f"无法访问“{path}”：{exc.strerror}") from None
    if not replace:
        raise StorageUnavailable(
            f"“{path}”已存在，未做任何改动；如要重建演示数据，请加 --replace。"
        )
    _remove_database_file(path)


# --------------------------------------------------------------------------- commands


def cmd_demo(args: argparse.Namespace) -> int:
    """Build a demo campus database and print who can log in with which PIN."""
    if args.db is not None:
        path = args.db
    else:
        path = default_demo_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"无法创建文件夹“{path.parent}”：{exc.strerror}") from None
    _clear_demo_target(path, replace=args.replace)

    from shared.db import inspect_file
    from shared.demo import build_demo

    # Fail before minutes of work when the file could not be written anyway (read-only folder).
    inspect_file(path, must_exist=False)

    result = build_demo(path, scale=args.scale, seed=args.seed, today=args.today, progress=_note)
    # A large demo has dozens of campuses: list one, count the rest.
    print_demo_result(path, result, first_campus_only=args.scale == "large")
    return 0


def print_demo_result(path: Path, result: DemoResult, *, first_campus_only: bool = False) -> None:
    """Print the demo logins (optionally only the first campus's) and what the build cost."""
    logins = list(result.logins)
    shown, hidden = logins, []
    if first_campus_only and logins:
        first = logins[0].campus
        shown = [login for login in logins if login.campus == first]
        hidden = [login for login in logins if login.campus != first]
    rows = [
        [login.campus, login.name, "、".join(ROLE_NAMES.get(r, r) for r in login.roles), login.pin]
        for login in shown
    ]
    _print("演示登录账号：")
    for line in format_table(["校区", "姓名", "角色", "PIN"], rows):
        _print("  " + line)
    if hidden:
        campuses = len({login.campus for login in hidden})
        _print(f"  （另有 {campuses} 个校区的 {len(hidden)} 个登录账号未列出）")
    _print(f"用时 {result.seconds:.1f} 秒，文件大小 {format_size(_file_size(path))}：{path}")


def cmd_check(args: argparse.Namespace) -> int:
    """Report a database file's schema version, integrity, foreign keys and row counts."""
    from shared.db import check_database

    report = check_database(args.db)
    _print(f"数据库：{report.path}")
    if report.revision is None:
        version = f"无（空文件）；本程序版本 {report.head}"
    elif report.revision == report.head:
        version = f"{report.revision}（与本程序一致）"
    else:
        version = f"{report.revision}；本程序版本 {report.head}（打开时会自动升级）"
    _print(f"结构版本：{version}")
    if report.integrity == ["ok"]:
        _print("完整性：正常")
    else:
        _print("完整性：发现问题")
        for problem in report.integrity:
            _print("  " + one_line(problem))
    _print(f"外键问题：{report.foreign_key_errors} 处")
    _print("各表行数：")
    rows = [[table, str(count)] for table, count in report.row_counts.items()]
    for line in format_table(["表", "行数"], rows, right={1}):
        _print("  " + line)
    _print("结论：正常" if report.ok else "结论：有问题，请查看上面的说明。")
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a consistent single-file copy of a database, even while it is in use."""
    from shared.db import backup_database

    dest: Path = args.to
    if dest.exists() and not dest.is_dir() and not args.overwrite:
        raise StorageUnavailable(
            f"备份目标“{dest}”已存在，未覆盖；请换一个文件名或加 --overwrite。"
        )
    written = backup_database(args.db, dest)
    _print(f"已备份到 {written}（{format_size(_file_size(written))}）")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the LAN server headless until Ctrl-C or SIGTERM, then close the file whole."""
    import signal
    import threading

    from shared.db import open_database
    from sync.server import SyncServer

    stop = threading.Event()

    def _request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    # Growth cards are drawn with QtGui on the server's threads: the application object must
    # exist first, made here on the main thread (offscreen when there is no display). Without
    # Qt the server still runs; the card route then says it cannot draw.
    card_renderer = None
    try:
        from desktop.render.card import growth_card_png
        from desktop.render.fonts import ensure_gui_application
    except ImportError as exc:
        _note(f"提示：无法加载图形组件（{exc}），手机上的成长卡片不可用。")
    else:
        ensure_gui_application()
        card_renderer = growth_card_png
    db = open_database(args.db, create=False)
    try:
        server = SyncServer(
            db,
            host=args.host,
            port=args.port,
            mdns=not args.no_mdns,
            card_renderer=card_renderer,
        )
        try:
            server.start()
        except OSError as exc:
            raise StorageUnavailable(
                f"无法在 {args.host}:{args.port} 上启动服务：{exc.strerror or exc}"
            ) from None
        previous = {
            sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            _print("达标局域网服务已启动，员工手机（同一 Wi-Fi）请用浏览器打开：")
            for url in server.urls:
                _print(f"  {url}")
            _print("按 Ctrl-C 停止。")
            # A timed wait, so the signal handlers run promptly on every platform.
            while not stop.wait(0.5):
                pass
            _print("正在停止…")
        finally:
            server.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        db.close()  # checkpoints: the file alone is the whole database again
    _print("已停止。")
    return 0


# --------------------------------------------------------------------------- parsing


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 0 到 65535 之间的整数：{text!r}")
    return port


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dabiao`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="dabiao", description="达标：培训机构目标分解、自动业绩与诊断。"
    )
    # A separate dest: argparse lets a subparser's default overwrite the top-level value.
    parser.add_argument(
        "--db", dest="top_db", type=_path, metavar="PATH", help="在桌面窗口中打开这个数据库文件"
    )
    parser.add_argument(
        "--demo", action="store_true", help="打开演示校区（第一次使用时先生成小规模演示数据）"
    )
    # The desktop window's embedded server; dests differ from serve's (see top_db above).
    parser.add_argument(
        "--host", dest="top_host", default="0.0.0.0", help="手机服务的监听地址（默认所有网卡）"
    )
    parser.add_argument(
        "--port", dest="top_port", type=_port, default=8765, help="手机服务的端口（默认 8765）"
    )
    parser.add_argument(
        "--no-mdns", dest="top_no_mdns", action="store_true", help="不在局域网中广播（mDNS）"
    )
    sub = parser.add_subparsers(dest="command", metavar="命令")

    demo = sub.add_parser("demo", help="生成演示校区数据库")
    demo.add_argument(
        "--db", type=_path, metavar="PATH", help=f"输出文件（默认 {default_demo_path()}）"
    )
    demo.add_argument("--scale", choices=["small", "large"], default="small", help="数据规模")
    demo.add_argument("--seed", type=int, default=1, help="随机种子（相同种子生成相同数据）")
    demo.add_argument("--today", type=_iso_date, metavar="YYYY-MM-DD", help="演示数据的“今天”")
    demo.add_argument("--replace", action="store_true", help="目标文件已存在时删除后重建")
    demo.set_defaults(handler=cmd_demo, needs_db=False)

    check = sub.add_parser("check", help="检查数据库文件（只读）")
    check.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    check.set_defaults(handler=cmd_check, needs_db=True)

    backup = sub.add_parser("backup", help="备份数据库到一个文件（程序运行时也可以）")
    backup.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    backup.add_argument("--to", type=_path, metavar="FILE", required=True, help="备份文件")
    backup.add_argument("--overwrite", action="store_true", help="备份文件已存在时覆盖它")
    backup.set_defaults(handler=cmd_backup, needs_db=True)

    serve = sub.add_parser("serve", help="只运行局域网服务（不打开桌面窗口）")
    serve.add_argument("--db", type=_path, metavar="PATH", help="数据库文件")
    serve.add_argument("--host", default="0.0.0.0", help="监听地址（默认 0.0.0.0：所有网卡）")
    serve.add_argument("--port", type=_port, default=8765, help="端口（默认 8765；0 表示任选）")
    serve.add_argument("--no-mdns", action="store_true", help="不在局域网中广播（mDNS）")
    serve.set_defaults(handler=cmd_serve, needs_db=True)

    # Data in and out live in their own modules (each adds its subcommands; imports stay light).
    from desktop import cli_export, cli_import, cli_report

    for module in (cli_import, cli_export, cli_report):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dabiao`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if args.demo and args.top_db is not None:
            parser.error("--demo 与 --db 只能选一个")
        # Qt is imported only here, so the subcommands start fast and never need a display.
        from desktop.app import run_desktop

        return run_desktop(
            args.top_db,
            demo=args.demo,
            host=args.top_host,
            port=args.top_port,
            mdns=not args.top_no_mdns,
        )
    if args.db is None:
        args.db = args.top_db
    if args.needs_db and args.db is None:
        parser.error(f"{args.command} 需要 --db PATH")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except DabiaoError as exc:
        _note(f"错误：{one_line(exc.message)}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
