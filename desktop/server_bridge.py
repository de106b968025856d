"""The embedded LAN server as a Qt object: start/stop, and phones' commits as a GUI signal.

:class:`~sync.server.SyncServer` runs aiohttp on a thread of its own (DESIGN.md, Threads) and
calls ``on_commit`` on that thread's loop. Widgets must only be touched from the GUI thread, so
the callback merely emits a private signal whose queued connection re-emits
:attr:`ServerBridge.changes_applied` on the GUI thread. ``sync`` is imported only when the
server first starts, so the window appears without waiting for aiohttp.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot

from shared.errors import StorageUnavailable
from shared.periods import utc_now

if TYPE_CHECKING:
    from shared.db import Database
    from sync.live import CommitInfo
    from sync.server import SyncServer

log = logging.getLogger(__name__)

# sync.server.DEFAULT_PORT, repeated so that importing this module does not load aiohttp,
# pydantic and the route table before the window shows (a test keeps the two equal).
DEFAULT_PORT = 8765


class ServerBridge(QObject):
    """Owns the :class:`SyncServer` of the open database and reports its state to the GUI.

    ``port`` is tried first; when another program holds it the server falls back to a free
    port chosen by the system (the URL and QR code on the 手机 page always show the real one).
    """

    changes_applied = Signal()  # a phone's push (or another writer) committed; GUI thread
    state_changed = Signal(bool)  # running or not

    # Emitted on the server's thread; connected queued to _relay on the GUI thread.
    _commit_seen = Signal()

    def __init__(
        self,
        db: Database | None,
        *,
        host: str = "0.0.0.0",
        port: int = DEFAULT_PORT,
        mdns: bool = True,
        clock: Callable[[], datetime] = utc_now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.clock = clock
        self.host = host
        self.port = port
        self.mdns = mdns
        self._server: SyncServer | None = None
        self._commit_seen.connect(self._relay, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        """Whether the server listens now."""
        return self._server is not None

    @property
    def server(self) -> SyncServer | None:
        """The running server (None when stopped)."""
        return self._server

    @property
    def urls(self) -> list[str]:
        """``http://IP:port`` per LAN address, the default route's first; empty when stopped."""
        return self._server.urls if self._server is not None else []

    @property
    def actual_port(self) -> int | None:
        """The port the server listens on, or None when stopped."""
        return self._server.port if self._server is not None else None

    def start(self) -> None:
        """Start listening (falls back to a free port); raise StorageUnavailable if impossible.

        Blocks until the socket listens (well under a second); the 手机 page calls it through
        ``ops.run`` so the window keeps painting meanwhile.
        """
        if self._server is not None:
            return
        if self.db is None:
            raise RuntimeError("the server starts only once the database is open")
        try:
            server = self._started(self.port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or self.port == 0:
                raise StorageUnavailable(
                    f"无法启动手机服务：{exc.strerror or exc}（端口 {self.port}）"
                ) from None
            log.info("port %s is taken; falling back to a free port", self.port)
            try:
                server = self._started(0)
            except OSError as exc2:
                raise StorageUnavailable(f"无法启动手机服务：{exc2.strerror or exc2}") from None
        self._server = server
        self.state_changed.emit(True)

    def stop(self) -> None:
        """Stop the server cleanly (sockets closed, mDNS withdrawn, thread joined)."""
        server, self._server = self._server, None
        if server is None:
            return
        try:
            server.stop()
        finally:
            self.state_changed.emit(False)

    def set_database(self, db: Database) -> None:
        """Serve another database from the next :meth:`start` on (after a restore)."""
        if self._server is not None:
            raise RuntimeError("stop the server before switching its database")
        self.db = db

    def _started(self, port: int) -> SyncServer:
        # Imported on first start (on a worker, after the dashboard drew): aiohttp and the
        # route table cost more to import than the whole window takes to appear.
        from sync.server import SyncServer

        from .render.card import growth_card_png

        server = SyncServer(
            self.db,
            host=self.host,
            port=port,
            mdns=self.mdns,
            on_commit=self._on_commit,
            clock=self.clock,
            card_renderer=growth_card_png,  # phones fetch growth cards drawn by Qt here
        )
        server.start()
        return server

    def _on_commit(self, _info: CommitInfo) -> None:
        # Server thread: no widget work here, only the queued hop to the GUI thread.
        self._commit_seen.emit()

    @Slot()
    def _relay(self) -> None:
        self.changes_applied.emit()
