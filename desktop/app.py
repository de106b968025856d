"""Starting and stopping the desktop program: ``dabiao`` / ``dabiao --db PATH`` / ``--demo``.

:func:`run_desktop` creates the QApplication (name 达标, a CJK-capable default font), finds a
file to open — the one given, else the one opened last time (remembered in
``user_config_dir("Dabiao")/desktop.json``), else the first-run dialog — and opens it. A file
that cannot be opened is explained in Chinese in the first-run dialog, never as a traceback.

:class:`DesktopSession` is one open file with its window: the AppContext, the embedded LAN
server (port 8765, another free port when that one is taken, mDNS on) started once the window
shows, automatic backups, and an orderly close: the window goes, running jobs finish, the
closing backup runs, the server stops, and ``Database.close()`` leaves one self-contained file.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog

from shared.db import Database, open_database
from shared.errors import DabiaoError, Invalid
from shared.periods import utc_now

from .config import DesktopConfig
from .context import AppContext
from .first_run import FirstRunDialog, demo_file
from .main_window import MainWindow
from .server_bridge import DEFAULT_PORT, ServerBridge

log = logging.getLogger(__name__)

APP_NAME = "达标"
# First match wins: the fonts Chinese Windows, macOS and Linux desktops ship with.
CJK_FONTS = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)
SERVER_FAILED = "手机服务未能启动："
SERVER_START_FALLBACK_MS = 3000


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists), named 达标, with a CJK-capable font."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Dabiao")
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("Dabiao")
    family = cjk_font_family()
    if family is not None:
        font = QFont(family)
        font.setPointSizeF(max(app.font().pointSizeF(), 10.0))
        app.setFont(font)
    return app


def cjk_font_family() -> str | None:
    """The first installed font of :data:`CJK_FONTS` (Qt falls back per glyph otherwise)."""
    installed = set(QFontDatabase.families())
    return next((f for f in CJK_FONTS if f in installed), None)


class DesktopSession(QObject):
    """One open database file with its window, server and automatic backups."""

    def __init__(
        self,
        db: Database,
        *,
        config: DesktopConfig,
        host: str = "0.0.0.0",
        port: int = DEFAULT_PORT,
        mdns: bool = True,
        serve: bool = True,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.bridge = ServerBridge(db, host=host, port=port, mdns=mdns, clock=now, parent=self)
        self.ctx = AppContext(db, bridge=self.bridge, config=config, now=now, parent=self)
        self.window = MainWindow(self.ctx)
        self.window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.window.close_requested.connect(self.close)
        self._serve = serve
        self._server_requested = False
        self._closed = False
        config.remember_database(db.path)

    def show(self) -> None:
        """Show the window; start the server once the first page has loaded.

        Starting it (and importing aiohttp) in parallel with the dashboard's first read would
        only make both slower under the GIL; phones can wait the fraction of a second.
        """
        self.window.show()
        if self._serve:
            self.ctx.ops.idle.connect(self._first_idle)
            # Should the first page load nothing at all, start anyway.
            QTimer.singleShot(SERVER_START_FALLBACK_MS, self._first_idle)

    def _first_idle(self) -> None:
        if self._server_requested:
            return
        self._server_requested = True
        self.ctx.ops.idle.disconnect(self._first_idle)
        self.start_server()

    def start_server(self) -> None:
        """Start the embedded server on a worker; a failure shows in the status bar."""
        self.ctx.ops.run(
            self.bridge.start,
            lambda _none: None,
            on_error=self._server_failed,
            label="启动手机服务",
        )

    def _server_failed(self, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, DabiaoError) else str(exc)
        self.window.server_label.setText(SERVER_FAILED + message)

    def close(self) -> None:
        """Finish running jobs, back up if due, stop the server, close the file whole."""
        if self._closed:
            return
        self._closed = True
        ctx = self.ctx
        ctx.ops.wait_idle(30_000)
        ctx.ops.shutdown()
        ctx.auto_backup.run_at_close()
        self.bridge.stop()
        ctx.db.close()
        log.info("closed %s", ctx.db.path)


def _open_candidate(path: Path) -> Database:
    return open_database(path, create=False)


def choose_database(db_path: Path | None, *, demo: bool, config: DesktopConfig) -> Database | None:
    """Open the given, remembered or chosen file; None when the person quit the dialog."""
    problem: str | None = None
    candidate: Path | None = db_path
    if candidate is None and not demo and config.last_database:
        remembered = Path(config.last_database)
        candidate = remembered if remembered.exists() else None
    if demo:
        candidate = demo_file() if demo_file().exists() else None
    while True:
        if candidate is not None:
            try:
                return _open_candidate(candidate)
            except DabiaoError as exc:
                problem = exc.reason if isinstance(exc, Invalid) else exc.message
                candidate = None
                continue
        dialog = FirstRunDialog(problem=problem)
        if demo:
            demo = False  # only the first time: build it with progress, then let them choose
            QTimer.singleShot(0, dialog.open_demo)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.database is None:
            return None
        return dialog.database


def run_desktop(
    db_path: Path | None,
    *,
    demo: bool = False,
    host: str = "0.0.0.0",
    port: int = DEFAULT_PORT,
    mdns: bool = True,
) -> int:
    """Run the desktop program on ``db_path`` (or the remembered / chosen file); exit code.

    ``host``, ``port`` and ``mdns`` configure the embedded server (a taken port falls back to
    a free one).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    app = make_application()
    app.setQuitOnLastWindowClosed(True)
    config = DesktopConfig.load()
    db = choose_database(db_path, demo=demo, config=config)
    if db is None:
        return 0
    session = DesktopSession(db, config=config, host=host, port=port, mdns=mdns)
    session.show()
    _close_on_signals(session)
    try:
        return app.exec()
    finally:
        session.close()


def _close_on_signals(session: DesktopSession) -> None:
    """Ctrl-C or SIGTERM (``dev.sh start`` in a terminal) closes the window the normal way.

    Python runs signal handlers only between bytecodes, so a timer hands control back to the
    interpreter a few times a second while Qt waits for events.
    """

    def close(_signum: int, _frame: object) -> None:
        log.info("signal received; closing the window")
        session.window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, close)
    wake = QTimer(session)
    wake.timeout.connect(lambda: None)
    wake.start(250)
