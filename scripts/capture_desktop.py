"""Screenshot every page of the desktop window on the small demo (for reviewing the UI).

Run under a real X server so fonts and styles are the ones people see::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/capture_desktop.py \\
        --out artifacts/screens

Builds the small demo in a temporary folder (or uses ``--db``), opens the main window at
1440×900 with the embedded server on 127.0.0.1 (no mDNS), visits every registered page in
navigation order and saves ``NN-<key>.png`` for each (``NN-<key>-2.png`` … for the further
tabs of a page), plus ``00-first-run.png`` of the first-run dialog. On the 手机 page a pairing
QR code is generated first. Prints the files written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _settle(ctx, app, extra_ms: int = 300) -> None:  # noqa: ANN001 - script helper
    ctx.settle(30_000)
    deadline = time.monotonic() + extra_ms / 1000
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def _capture_dialogs(window, ctx, app, out: Path, work: Path) -> list[Path]:  # noqa: ANN001
    from PySide6.QtWidgets import QTableView

    """The data-in-and-out dialogs: import (with a checked file), monthly report, growth card."""
    from shared.transfer import export_entities

    written: list[Path] = []

    def grab(widget, name: str) -> None:  # noqa: ANN001
        target = out / f"{name}.png"
        widget.grab().save(str(target))
        written.append(target)

    # 导入: this campus's own records, exported and checked again (every student a duplicate).
    exported = work / "records.xlsx"
    export_entities(ctx.db, exported, campus_id=ctx.campus_id)
    dialog = window.open_import()
    dialog.resize(1000, 680)
    dialog.check_file(exported)
    _settle(ctx, app, 800)
    grab(dialog, "90-import")
    dialog.reject()
    # 月度报告.
    dialog = window.open_report()
    _settle(ctx, app, 300)
    grab(dialog, "91-report")
    dialog.reject()
    # 成长卡片 of the first student on the students page.
    page = window.show_page("students")
    _settle(ctx, app, 500)
    if page.selected_student() is None and page.findChildren(QTableView):
        table = next(t for t in page.findChildren(QTableView) if t.isVisible())
        table.selectRow(0)
    card = page.open_growth_card()
    if card is not None:
        _settle(ctx, app, 800)
        grab(card, "92-growth-card")
        card.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Capture the screenshots; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "screens")
    parser.add_argument("--db", type=Path, help="a campus file to show (default: a fresh demo)")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="dabiao-capture-"))
    # Keep the real user's preferences and remembered file out of it.
    import os

    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    os.environ["XDG_DATA_HOME"] = str(work / "data")

    from PySide6.QtWidgets import QTabWidget

    from desktop.app import DesktopSession, make_application
    from desktop.config import DesktopConfig
    from desktop.first_run import FirstRunDialog
    from shared.db import open_database
    from shared.demo import build_demo

    app = make_application()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        if args.db is not None:
            path = work / args.db.name
            shutil.copyfile(args.db, path)
        else:
            path = work / "demo.dabiao"
            build_demo(path, scale="small", seed=1)

        dialog = FirstRunDialog(demo_path=work / "demo.dabiao")
        dialog.show()
        for _ in range(20):
            app.processEvents()
            time.sleep(0.01)
        target = out / "00-first-run.png"
        dialog.grab().save(str(target))
        written.append(target)
        dialog.close()

        session = DesktopSession(
            open_database(path, create=False),
            config=DesktopConfig.load(),
            host="127.0.0.1",
            port=0,
            mdns=False,
        )
        window = session.window
        window.resize(args.width, args.height)
        session.show()
        ctx = session.ctx
        deadline = time.monotonic() + 10
        while not session.bridge.running and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        _settle(ctx, app)
        for index, key in enumerate(window.page_keys, start=1):
            page = window.show_page(key)
            _settle(ctx, app, 500)
            if key == "phones" and page.staff_list.count():
                # Show what pairing looks like: a QR code for the first staff member.
                page.staff_list.setCurrentRow(0)
                page.create_pairing()
                _settle(ctx, app, 300)
            target = out / f"{index:02d}-{key}.png"
            window.grab().save(str(target))
            written.append(target)
            # Pages with tabs: one more picture per further tab, numbered in order.
            shot = 1
            for tabs in page.findChildren(QTabWidget):
                if not tabs.isVisible():
                    continue
                for tab in range(1, tabs.count()):
                    tabs.setCurrentIndex(tab)
                    _settle(ctx, app, 300)
                    shot += 1
                    target = out / f"{index:02d}-{key}-{shot}.png"
                    window.grab().save(str(target))
                    written.append(target)
                tabs.setCurrentIndex(0)
        written += _capture_dialogs(window, ctx, app, out, work)
        window.close()
        session.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for target in written:
        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
