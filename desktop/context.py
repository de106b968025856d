"""The application context every page receives: the open file, operations, server, campus.

One :class:`AppContext` exists per open database. Pages hold it and use:

* ``ctx.ops`` to read and write (never the database directly on the GUI thread);
* ``ctx.campus_id`` — the campus the toolbar selects, or ``None`` for 全部校区 (only offered
  when the file holds several campuses; the main window shows pages that need one campus a
  "请选择一个校区" note instead of calling their ``refresh()`` then);
* ``ctx.data_changed`` — emitted after every write done through ``ops.write`` and whenever the
  embedded server reports a commit (a phone's push), debounced so a burst of commits causes one
  refresh;
* ``ctx.today()`` — the business date in Asia/Shanghai, and ``ctx.now()`` the UTC instant
  (tests pin them with ``today=`` or ``now=``; the server of a test gets the same clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEventLoop,
    QObject,
    QThread,
    QTimer,
    Signal,
    Slot,
)

from shared.errors import DabiaoError
from shared.periods import local_date_of, today_local, utc_now

from .config import DesktopConfig
from .errors import show_error
from .operations import Operations

if TYPE_CHECKING:
    # Names only: the window must be able to appear before SQLAlchemy is imported (the
    # everyday start draws the dashboard from its snapshot while the file opens).
    from sqlalchemy.orm import Session

    from shared.db import Database

    from .auto_backup import AutoBackupScheduler
    from .server_bridge import ServerBridge

# Long enough to fold a phone's burst of pushes (and the server's 200 ms data_version echo of
# the desktop's own write) into one refresh, short enough to feel immediate.
DATA_CHANGED_DEBOUNCE_MS = 150


@dataclass(frozen=True, slots=True)
class CampusInfo:
    """A campus as the toolbar lists it."""

    id: str
    code: str
    name: str


def load_campuses(session: Session) -> list[CampusInfo]:
    """The file's live campuses in code order (the order of the selector and the rollup)."""
    from sqlalchemy import select

    from shared.models import Campus

    rows = session.execute(
        select(Campus.id, Campus.code, Campus.name)
        .where(Campus.is_deleted.is_(False))
        .order_by(Campus.code, Campus.id)
    )
    return [CampusInfo(r.id, r.code, r.name) for r in rows]


class AppContext(QObject):
    """The open database, its operations runner, the LAN server bridge and the chosen campus.

    Normally created over an open :class:`~shared.db.Database`. The everyday start creates it
    *opening*: ``db`` None, the file's ``path`` and the campus list (from the dashboard
    snapshot) given; database jobs are held until :meth:`attach_database` hands over the file
    opened on a worker, and ``database_opened`` fires. ``is_open`` tells which state it is in.
    """

    campus_changed = Signal(str)  # the new campus id; "" means 全部校区
    campuses_loaded = Signal()  # the campus list (names, count) was read again
    data_changed = Signal()  # debounced: local writes and phones' commits
    database_replaced = Signal()  # a restore swapped the file: everything reloads
    database_opened = Signal()  # an opening context received its file: everything loads

    def __init__(
        self,
        db: Database | None,
        *,
        bridge: ServerBridge | None = None,
        today: Callable[[], date] | None = None,
        now: Callable[[], datetime] | None = None,
        config: DesktopConfig | None = None,
        path: Path | None = None,
        campuses: list[CampusInfo] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if db is None and (path is None or campuses is None):
            raise ValueError("an opening context needs the file's path and campus list")
        self.db = db
        self._path = db.path if db is not None else Path(path).resolve()  # type: ignore[arg-type]
        self.ops = Operations(db, self)
        self.bridge = bridge
        self.config = config or DesktopConfig.load()
        self._now = now or utc_now
        if today is not None:
            self._today = today
        elif now is not None:
            self._today = lambda: local_date_of(self._now())
        else:
            self._today = today_local
        # Commits seen so far (local writes, phones' pushes, restores): figures read at one
        # generation are current as long as it has not moved (the dashboard snapshot).
        self.generation = 0
        # The everyday start's dashboard figures, (campus id, CampusFigures fields, the UTC
        # instant of the close when they are for a later day than it), drawn while the file
        # opens (see desktop.snapshot); None otherwise.
        self.start_figures: tuple[str, tuple[object, ...], datetime | None] | None = None
        if db is not None:
            # Read once, synchronously, before any window exists: a few rows, and every page
            # needs to know the campus before its first refresh.
            with db.reader() as session:
                self.campuses: list[CampusInfo] = load_campuses(session)
        else:
            self.campuses = list(campuses or [])
            self.ops.hold()  # database jobs wait for attach_database()
        self.campus_id: str | None = self.campuses[0].id if self.campuses else None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DATA_CHANGED_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.data_changed)
        self.ops.committed.connect(self.notify_changed)
        if bridge is not None:
            bridge.changes_applied.connect(self.notify_changed)
        self.auto_backup: AutoBackupScheduler | None = None
        if db is not None:
            self._start_auto_backup()

    def _start_auto_backup(self) -> None:
        # Imported here: the scheduler module needs AppContext for its own annotations (and
        # shared.backups loads SQLAlchemy, which the everyday start defers).
        from .auto_backup import AutoBackupScheduler

        self.auto_backup = AutoBackupScheduler(self, self.config, self)

    @property
    def is_open(self) -> bool:
        """Whether the database is open (False while an everyday start is still opening it)."""
        return self.db is not None

    def attach_database(self, db: Database, campuses: list[CampusInfo]) -> None:
        """Hand an opening context its file (opened on a worker): held jobs start, pages load.

        ``campuses`` were read from ``db`` on the worker; the selection is kept when the file
        still holds the campus, else the first one is selected.
        """
        if self.db is not None:
            raise RuntimeError("the database is already open")
        self.db = db
        self._path = db.path
        self.ops.db = db
        if self.bridge is not None:
            self.bridge.set_database(db)
        self._take_campuses(campuses)
        self._start_auto_backup()
        self.ops.release()
        self.database_opened.emit()

    def _take_campuses(self, campuses: list[CampusInfo]) -> None:
        changed = [(c.id, c.code, c.name) for c in campuses] != [
            (c.id, c.code, c.name) for c in self.campuses
        ]
        self.campuses = campuses
        if self.campus_id is not None and all(c.id != self.campus_id for c in campuses):
            self.campus_id = campuses[0].id if campuses else None
            self.campus_changed.emit(self.campus_id or "")
        if changed:
            self.campuses_loaded.emit()

    # ------------------------------------------------------------------ campus

    @property
    def path(self) -> Path:
        """The database file (open, or being opened)."""
        return self._path

    @property
    def campus(self) -> CampusInfo | None:
        """The selected campus, or None for 全部校区."""
        return next((c for c in self.campuses if c.id == self.campus_id), None)

    @property
    def several_campuses(self) -> bool:
        """Whether the file holds more than one campus (the toolbar then shows a selector)."""
        return len(self.campuses) > 1

    def set_campus(self, campus_id: str | None) -> None:
        """Select a campus (``None`` or ``""``: 全部校区); emits ``campus_changed`` on change."""
        campus_id = campus_id or None
        if campus_id is not None and all(c.id != campus_id for c in self.campuses):
            raise ValueError(f"unknown campus {campus_id!r}")
        if campus_id == self.campus_id:
            return
        self.campus_id = campus_id
        self.campus_changed.emit(campus_id or "")

    def reload_campuses(self) -> None:
        """Read the campus list again (after a campus was renamed or added)."""
        self.ops.read(load_campuses, self._campuses_read, label="读取校区")

    def _campuses_read(self, campuses: list[CampusInfo]) -> None:
        self.campuses = campuses
        if self.campus_id is not None and all(c.id != self.campus_id for c in campuses):
            self.campus_id = campuses[0].id if campuses else None
            self.campus_changed.emit(self.campus_id or "")
        self.campuses_loaded.emit()

    # ------------------------------------------------------------------ time and changes

    def today(self) -> date:
        """Today's business date (Asia/Shanghai), or the date a test pinned."""
        return self._today()

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC (pairing expiry, revocation times)."""
        return self._now()

    @Slot()
    def notify_changed(self) -> None:
        """Count a commit and schedule one ``data_changed`` (restarting the debounce window)."""
        self.generation += 1
        self._debounce.start()

    @property
    def change_pending(self) -> bool:
        """Whether a debounced ``data_changed`` is still to come."""
        return self._debounce.isActive()

    def settle(self, timeout_ms: int = 10_000) -> bool:
        """Process events until no job is pending and no ``data_changed`` is scheduled.

        For tests and shutdown; returns False on timeout. Pages never call it.
        """
        clock = QElapsedTimer()
        clock.start()
        while clock.elapsed() < timeout_ms:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if not self.ops.pending and not self._debounce.isActive():
                return True
            QThread.msleep(5)
        return False

    # ------------------------------------------------------------------ restore

    def restore(
        self,
        backup: Path,
        on_done: Callable[[Path], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Replace the open file by ``backup`` (already checked and confirmed by the user).

        Steps: hold new database jobs and wait for running ones; stop the server; close the
        file (checkpointed whole); on a worker, copy it aside as a safety copy and put the
        backup in its place (:func:`shared.backups.restore_backup`) and open it again; then
        switch every page to it, release the held jobs and restart the server. ``on_done``
        receives the safety copy's path. Should the swap fail, the old file is reopened.
        """
        from shared.backups import restore_backup
        from shared.db import open_database

        self.ops.hold()
        self.ops.wait_idle(60_000)
        was_serving = self.bridge is not None and self.bridge.running
        if self.bridge is not None:
            self.bridge.stop()
        path = self.db.path
        self.db.close()

        def swap() -> tuple[Path | None, Database, BaseException | None]:
            try:
                safety = restore_backup(path, backup)
            except Exception as exc:
                # The old file is still in place (or only its copy failed): keep working on it.
                return None, open_database(path, create=False), exc
            return safety, open_database(path, create=False), None

        def swapped(outcome: tuple[Path | None, Database, BaseException | None]) -> None:
            safety, db, problem = outcome
            self.replace_database(db)
            self.ops.release()
            if was_serving and self.bridge is not None:
                self._restart_server()
            if problem is not None:
                if on_error is not None and isinstance(problem, DabiaoError):
                    on_error(problem)
                else:
                    show_error(self.ops.dialog_parent, problem, action="恢复备份")
                return
            assert safety is not None
            on_done(safety)

        def reopen_failed(exc: BaseException) -> None:
            # Neither the backup nor the old file opens: nothing to serve, say why.
            self.ops.release()
            show_error(self.ops.dialog_parent, exc, action="恢复备份")

        self.ops.run(swap, swapped, on_error=reopen_failed, label="恢复备份")

    def _restart_server(self) -> None:
        bridge = self.bridge
        assert bridge is not None
        self.ops.run(bridge.start, lambda _none: None, label="启动手机服务")

    def replace_database(self, db: Database) -> None:
        """Switch to another open database (after a restore) and have every page reload.

        The caller has stopped the server and waited for pending jobs before closing the old
        file; the campus selection is kept when the restored file still holds that campus.
        """
        self.generation += 1
        self.db = db
        self._path = db.path
        self.ops.db = db
        if self.bridge is not None:
            self.bridge.set_database(db)
        with db.reader() as session:
            self.campuses = load_campuses(session)
        if self.campus_id is not None and all(c.id != self.campus_id for c in self.campuses):
            self.campus_id = self.campuses[0].id if self.campuses else None
        self.campuses_loaded.emit()
        self.database_replaced.emit()
