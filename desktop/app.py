"""Starting and stopping the desktop program: ``dabiao`` / ``dabiao --db PATH`` / ``--demo``.

:func:`run_desktop` creates the QApplication (name 达标, a CJK-capable default font), finds a
file to open — the one given, else the one opened last time (remembered in
``user_config_dir("Dabiao")/desktop.json``), else the first-run dialog — and opens it. A file
that cannot be opened is explained in Chinese in the first-run dialog, never as a traceback.

:class:`DesktopSession` is one open file with its window: the AppContext, the embedded LAN
server (port 8765, another free port when that one is taken, mDNS on) started once the window
shows, automatic backups, and an orderly close: the window goes, running jobs finish, the
closing backup runs, the server stops, and ``Database.close()`` leaves one self-contained file.

The everyday start (the file was closed cleanly, today or up to three days ago): when
:func:`desktop.snapshot.load_snapshot` finds an exact snapshot of today's dashboard, the
session is created *opening*: the window shows at once with the dashboard drawn from the
snapshot, while the file opens on a worker (SQLAlchemy and the models load there too); then
every page loads from the file and the server starts as usual. Should the file fail to open
after all, the window says so and offers the first-run dialog. At a clean close the session
stamps a new snapshot when the dashboard's figures are current, with the figures of the next
few business dates read before the file closes. Without a snapshot the start is the normal
one.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog

from shared.errors import DabiaoError, Invalid
from shared.periods import local_date_of, utc_now

from .config import DesktopConfig
from .context import AppContext, CampusInfo, load_campuses
from .main_window import MainWindow
from .server_bridge import DEFAULT_PORT, ServerBridge
from .snapshot import DashboardSnapshot, discard_snapshot, load_snapshot, save_snapshot

if TYPE_CHECKING:
    # Names only: shared.db (SQLAlchemy) and the first-run dialog (the services) load when a
    # file is opened, so the everyday start shows its window first.
    from shared.db import Database

    from .first_run import FirstRunDialog

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
OPEN_FAILED = "无法打开数据库："
OPENING_LABEL = "打开数据库"
SERVER_START_FALLBACK_MS = 3000
# The everyday start opens its file once the window has painted (importing SQLAlchemy on a
# worker meanwhile would only slow the first paint down under the GIL), or after this long
# should no paint come (a minimised window).
OPEN_AFTER_PAINT_FALLBACK_MS = 500


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
    """One open database file with its window, server and automatic backups.

    Given ``db``, the file is open already. Given ``db=None``, a ``path`` and its valid
    dashboard ``snapshot`` instead, the session starts *opening* (the everyday start): the
    window shows the snapshot's figures and :meth:`show` opens the file on a worker.
    """

    def __init__(
        self,
        db: Database | None,
        *,
        config: DesktopConfig,
        host: str = "0.0.0.0",
        port: int = DEFAULT_PORT,
        mdns: bool = True,
        serve: bool = True,
        now: Callable[[], datetime] = utc_now,
        path: Path | None = None,
        snapshot: DashboardSnapshot | None = None,
    ) -> None:
        super().__init__()
        if db is None and (path is None or snapshot is None):
            raise ValueError("a session without an open file needs its path and snapshot")
        campuses = None
        if db is None:
            assert snapshot is not None
            campuses = [CampusInfo(*c) for c in snapshot.campuses]
        self.config = config
        self.bridge = ServerBridge(db, host=host, port=port, mdns=mdns, clock=now, parent=self)
        self.ctx = AppContext(
            db,
            bridge=self.bridge,
            config=config,
            now=now,
            path=path,
            campuses=campuses,
            parent=self,
        )
        if snapshot is not None and db is None:
            today = self.ctx.today()
            figures = snapshot.figures_on(today)
            # None only when midnight passed since load_snapshot: then the dashboard simply
            # waits for the file. Figures for a later day than the close show the time the
            # data is from instead of the time of their read.
            if figures is not None:
                closed_at = None if today == snapshot.closing_day else snapshot.closed_at
                self.ctx.start_figures = (snapshot.campus_id, figures, closed_at)
        self.window = MainWindow(self.ctx)
        self.window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.window.close_requested.connect(self.close)
        self._serve = serve
        self._server_requested = False
        self._closed = False
        self._opening = False
        self.open_problem: str | None = None  # why the file did not open (everyday start)
        self.first_run: FirstRunDialog | None = None
        config.remember_database(self.ctx.path)

    def show(self) -> None:
        """Show the window; start the server once the first page has loaded.

        Starting it (and importing aiohttp) in parallel with the dashboard's first read would
        only make both slower under the GIL; phones can wait the fraction of a second. An
        opening session starts opening its file once the window has shown.
        """
        if not self.ctx.is_open:
            self.window.installEventFilter(self)
            QTimer.singleShot(OPEN_AFTER_PAINT_FALLBACK_MS, self._open_file)
            self.window.show()
        else:
            self.window.show()
            self._serve_when_idle()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """The window's first paint (an opening session): open the file right after it."""
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._open_file)
        return False

    def _serve_when_idle(self) -> None:
        if self._serve:
            self.ctx.ops.idle.connect(self._first_idle)
            # Should the first page load nothing at all, start anyway.
            QTimer.singleShot(SERVER_START_FALLBACK_MS, self._first_idle)

    def _first_idle(self) -> None:
        if self._server_requested or self._closed:
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

    # ------------------------------------------------------------------ the everyday start

    def _open_file(self) -> None:
        if self._closed or self.ctx.is_open or self._opening:
            return
        self._opening = True
        self.window.removeEventFilter(self)
        path = self.ctx.path
        self.ctx.ops.run(
            lambda: _open_with_campuses(path),
            self._file_opened,
            on_error=self._open_failed,
            label=OPENING_LABEL,
        )

    def _file_opened(self, opened: tuple[Database, list[CampusInfo]]) -> None:
        db, campuses = opened
        if self._closed:  # the window closed while the file was opening
            db.close()
            return
        self.ctx.attach_database(db, campuses)
        self.config.remember_database(db.path)
        self._serve_when_idle()

    def _open_failed(self, exc: BaseException) -> None:
        # A DabiaoError (Operations reports anything else as a bug): the file went bad, or
        # became unreadable, between the snapshot check and the open. Explain, then offer
        # the first-run dialog as a start without a snapshot would.
        discard_snapshot(self.ctx.path)
        if self._closed:
            return
        problem = exc.reason if isinstance(exc, Invalid) else getattr(exc, "message", str(exc))
        self.open_problem = problem
        self.ctx.start_figures = None
        self.window.show_open_problem(OPEN_FAILED + problem)
        from .first_run import FirstRunDialog

        dialog = FirstRunDialog(problem=problem, parent=self.window)
        self.first_run = dialog
        dialog.accepted.connect(lambda: self._chosen(dialog))
        dialog.rejected.connect(self.window.close)
        dialog.open()

    def _chosen(self, dialog: FirstRunDialog) -> None:
        db = dialog.database
        if db is None or self._closed:  # pragma: no cover - accepted always carries a file
            return
        with db.reader() as session:  # a few rows
            campuses = load_campuses(session)
        self._file_opened((db, campuses))

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Finish running jobs, back up if due, stop the server, close the file whole.

        Then, when the dashboard shows figures read after the file's last commit, stamp them
        as the snapshot of the next start (:mod:`desktop.snapshot`); else drop the old one.
        """
        if self._closed:
            return
        self._closed = True
        ctx = self.ctx
        ctx.ops.wait_idle(30_000)
        ctx.ops.shutdown()
        if ctx.db is None:  # it never opened (failed, or the window closed while opening)
            self.bridge.stop()
            return
        assert ctx.auto_backup is not None
        ctx.auto_backup.run_at_close()
        self.bridge.stop()
        # Deliver the phones' last commits (queued from the server's thread) to the counter.
        QCoreApplication.processEvents()
        current = self._snapshot_figures()
        db = ctx.db
        db.close()
        log.info("closed %s", db.path)
        if current is None:
            discard_snapshot(db.path)
            return
        campus_id, days = current
        saved = save_snapshot(
            db.path,
            closed_at=ctx.now(),
            campuses=[(c.id, c.code, c.name) for c in ctx.campuses],
            campus_id=campus_id,
            days=days,
        )
        log.info(
            "dashboard snapshot %s",
            f"kept for {', '.join(str(day) for day, _ in days)}" if saved else "not kept",
        )

    def _snapshot_figures(self) -> tuple[str, list[tuple[date, tuple[object, ...]]]] | None:
        """The dashboard's figures when they are exactly the file's (checked while it is open),
        with those of the following business dates read in the same snapshot of the file.

        ``(campus id, [(business date, figures), …])``, the shown day first; None when the
        shown figures are not current. Reading the following days may fail or run out of its
        time budget: then the list is shorter, the close goes on.
        """
        from .pages.dashboard_page import DashboardPage, file_version, load_following_days

        page = self.window.pages.get("dashboard")
        if not isinstance(page, DashboardPage) or page.figures is None:
            return None
        if page.figures_read_at is None or page.figures_read_at[0] != self.ctx.generation:
            return None  # drawn from the last snapshot, or a commit came after the read
        db = self.ctx.db
        assert db is not None
        board = page.figures.dashboard
        try:
            with db.reader() as session:
                if file_version(session) != page.figures_read_at[1]:
                    return None  # another program (dabiao serve, a script) changed the file
                started = time.perf_counter()
                following = load_following_days(session, board.campus_id, board.today)
                log.info(
                    "read the dashboard of %d following days in %.2f s",
                    len(following),
                    time.perf_counter() - started,
                )
        except DabiaoError:
            return None
        return board.campus_id, [(board.today, page.snapshot_figures()), *following]


def _open_with_campuses(path: Path) -> tuple[Database, list[CampusInfo]]:
    """Open ``path`` and read its campus list (on a worker)."""
    from shared.db import open_database

    db = open_database(path, create=False)
    try:
        with db.reader() as session:
            campuses = load_campuses(session)
    except BaseException:
        db.close()
        raise
    return db, campuses


def _open_candidate(path: Path) -> Database:
    from shared.db import open_database

    return open_database(path, create=False)


def choose_database(db_path: Path | None, *, demo: bool, config: DesktopConfig) -> Database | None:
    """Open the given, remembered or chosen file; None when the person quit the dialog."""
    from .first_run import FirstRunDialog, demo_file

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


def everyday_session(
    db_path: Path | None,
    *,
    demo: bool,
    config: DesktopConfig,
    now: Callable[[], datetime] = utc_now,
    **server: object,
) -> DesktopSession | None:
    """An opening session on the given or remembered file when it has a valid snapshot.

    None (start the normal way) for ``--demo``, when there is no such file, or when its
    dashboard snapshot is missing or not exact (:func:`desktop.snapshot.load_snapshot`).
    ``server`` passes ``host``, ``port`` and ``mdns`` on.
    """
    if demo:
        return None
    path = db_path
    if path is None and config.last_database:
        path = Path(config.last_database)
    if path is None or not path.is_file():
        return None
    snapshot = load_snapshot(path, local_date_of(now()))
    if snapshot is None:
        return None
    log.info("drawing the dashboard from its snapshot while %s opens", path)
    return DesktopSession(
        None,
        config=config,
        now=now,
        path=path,
        snapshot=snapshot,
        **server,  # type: ignore[arg-type]
    )


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
    session = everyday_session(db_path, demo=demo, config=config, host=host, port=port, mdns=mdns)
    if session is None:
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
