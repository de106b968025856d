"""The live hub: WebSocket pokes to phones, and the in-process ``on_commit`` callback.

A poke ``{"type": "poke", "version": N}`` tells a phone that version N exists and it should
pull; it carries no data, so a poke to somebody who sees nothing new costs one pull, never a
leak. Two sources of change:

Pushes
    After a committed push, exactly the connections whose staff member is in
    ``PushResult.touched_staff_ids`` are poked (the shared side includes the campus's managers),
    and ``on_commit`` is called.

Other writers
    The desktop edits the same file through its own connections, and other programs may too.
    A dedicated connection polls ``PRAGMA data_version`` every :data:`WATCH_INTERVAL`; when it
    changes and the change was not (only) the server's own, the rows whose version is newer
    than the last one announced this way tell which campuses changed, and every connection of
    those campuses is poked (all of them when a changed row belongs to no campus).

    Whose change was it? Every commit through this process's engine is counted *before* it
    lands (SQLAlchemy's ``commit`` event), as the server's own when it runs on the server's
    database threads (:func:`sync.context.is_server_thread`) and as another writer's otherwise.
    When ``data_version`` moves, a new count of other writers' commits, or no new commit at
    all (the writer is another process), means an outside change. Should another *process*
    commit in the same 200 ms as a push, its change is announced with the next outside one;
    in-process writers (the desktop) are never missed.

Each connection has its own sender task and a bounded outbox: pokes coalesce into one pending
version, control messages are capped, a send that stalls past :data:`SEND_TIMEOUT` drops the
connection, so a slow phone never holds up the others. aiohttp's heartbeat pings every
connection and drops the dead ones.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSCloseCode, WSMsgType, web
from sqlalchemy import event

from shared.auth import Principal
from shared.db import BUSY_TIMEOUT_MS, Database
from shared.models import SYNCED_MODELS
from shared.versioning import current_version

from .auth import BEARER_PROTOCOL_PREFIX
from .context import context, is_server_thread, principal, run_read
from .errors import BadInput

log = logging.getLogger(__name__)

WATCH_INTERVAL = 0.2  # seconds between two looks at PRAGMA data_version
HEARTBEAT = 25.0  # seconds between pings; a connection missing its pong is dropped
SEND_TIMEOUT = 10.0  # seconds one message may take to leave before the connection is dropped
MAX_CONTROL_MESSAGES = 8  # queued non-poke messages per connection before it counts as stuck
CLOSE_REVOKED = 4401  # the device's token was revoked: log in again


@dataclass(frozen=True)
class CommitInfo:
    """A committed change, as the desktop's ``on_commit`` callback receives it.

    ``source`` is ``push`` (a phone's push, through this server) or ``external`` (another
    writer: the desktop itself, another program). ``campus_ids`` is ``None`` when the change
    may concern every campus.
    """

    source: Literal["push", "external"]
    version: int
    staff_ids: frozenset[str] = frozenset()
    campus_ids: frozenset[str] | None = None


def _message(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, **fields}, ensure_ascii=False)


class LiveConnection:
    """One phone's WebSocket: who it is and what is waiting to be sent to it."""

    def __init__(self, ws: web.WebSocketResponse, principal: Principal) -> None:
        self.ws = ws
        self.principal = principal
        self._poke: int | None = None  # pokes coalesce: only the newest version matters
        self._control: collections.deque[str] = collections.deque()
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None  # held, so it is not collected mid-way

    def start(self) -> None:
        """Start the sender task (on the loop that owns the socket)."""
        self._sender = asyncio.get_running_loop().create_task(self._send_loop())

    def poke(self, version: int) -> None:
        """Queue a poke; an unsent one is replaced by the newer version."""
        self._poke = version if self._poke is None else max(self._poke, version)
        self._wake.set()

    def send(self, text: str) -> None:
        """Queue a control message; a connection that stopped reading is dropped."""
        if len(self._control) >= MAX_CONTROL_MESSAGES:
            log.info("dropping a live connection of %s: not reading", self.principal.name)
            self.close(WSCloseCode.TRY_AGAIN_LATER)
            return
        self._control.append(text)
        self._wake.set()

    def close(self, code: int = WSCloseCode.GOING_AWAY, message: str = "") -> None:
        """Close the socket soon (never waits on the caller's behalf)."""
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close(code, message))

    async def _close(self, code: int, message: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, message=message.encode()), SEND_TIMEOUT)

    async def _send_loop(self) -> None:
        try:
            while not self.ws.closed:
                await self._wake.wait()
                self._wake.clear()
                while self._control or self._poke is not None:
                    if self._control:
                        text = self._control.popleft()
                    else:
                        assert self._poke is not None
                        text, self._poke = _message("poke", version=self._poke), None
                    await asyncio.wait_for(self.ws.send_str(text), SEND_TIMEOUT)
        except (TimeoutError, ConnectionError, RuntimeError):
            # A stalled or vanished client: drop it; the phone reconnects and pulls.
            await self._close(WSCloseCode.GOING_AWAY, "")

    async def stop(self) -> None:
        """Stop the sender task."""
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender


@dataclass
class _CommitCounts:
    """Commits through this process's engine, counted before they land."""

    server: int = 0
    other: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, _conn: Any) -> None:
        with self.lock:
            if is_server_thread():
                self.server += 1
            else:
                self.other += 1

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return self.server, self.other


class LiveHub:
    """Every connected phone, pokes after commits, and the watch for other writers."""

    def __init__(
        self,
        on_commit: Callable[[CommitInfo], None] | None = None,
        *,
        on_file_change: Callable[[], None] | None = None,
        on_push: Callable[[], None] | None = None,
    ) -> None:
        self._connections: set[LiveConnection] = set()
        self._on_commit = on_commit
        # Told whenever the file changed at all, whoever wrote it (the answer cache).
        self._on_file_change = on_file_change or (lambda: None)
        # Told when a push that changed synced rows returns, before anybody is poked (the
        # answer cache: nothing computed before the push is answered after it).
        self._on_push = on_push or self._on_file_change
        self._counts = _CommitCounts()

    # ------------------------------------------------------------------ connections

    @property
    def connections(self) -> frozenset[LiveConnection]:
        """The connections open now."""
        return frozenset(self._connections)

    def add(self, ws: web.WebSocketResponse, principal: Principal) -> LiveConnection:
        """Register a prepared WebSocket of ``principal`` and start sending to it."""
        connection = LiveConnection(ws, principal)
        self._connections.add(connection)
        connection.start()
        return connection

    async def remove(self, connection: LiveConnection) -> None:
        """Forget a connection (its socket is closed or closing)."""
        self._connections.discard(connection)
        await connection.stop()

    def drop_device(self, device_id: str | None) -> None:
        """Close the connections of a revoked device: its token is no longer good."""
        for connection in list(self._connections):
            if device_id is not None and connection.principal.device_id == device_id:
                connection.close(CLOSE_REVOKED, "revoked")

    async def close_all(self) -> None:
        """Close every connection (server shutdown): phones see "going away" and retry."""
        connections = list(self._connections)
        await asyncio.gather(
            *(c._close(WSCloseCode.GOING_AWAY, "server shutdown") for c in connections),
            return_exceptions=True,
        )
        for connection in connections:
            await self.remove(connection)

    # ------------------------------------------------------------------ pokes

    def poke_staff(self, staff_ids: Iterable[str], version: int) -> int:
        """Poke the connections of these staff members; return how many were poked."""
        wanted = set(staff_ids)
        poked = 0
        for connection in self._connections:
            if connection.principal.staff_id in wanted:
                connection.poke(version)
                poked += 1
        return poked

    def poke_campuses(self, campus_ids: frozenset[str] | None, version: int) -> int:
        """Poke every connection of these campuses (all when ``None``)."""
        poked = 0
        for connection in self._connections:
            if campus_ids is None or connection.principal.campus_id in campus_ids:
                connection.poke(version)
                poked += 1
        return poked

    def committed(self, info: CommitInfo) -> None:
        """Tell the in-process listener (the desktop) about a commit; its failure is logged."""
        if self._on_commit is None:
            return
        try:
            self._on_commit(info)
        except Exception:
            log.exception("the on_commit callback failed")

    def pushed(self, version: int, staff_ids: Iterable[str], campus_ids: Iterable[str]) -> None:
        """A push committed changes: poke the people it touched and tell the desktop."""
        self._on_push()
        staff = frozenset(staff_ids)
        self.poke_staff(staff, version)
        self.committed(CommitInfo("push", version, staff, frozenset(campus_ids)))

    # ------------------------------------------------------------------ other writers

    @contextlib.asynccontextmanager
    async def watching(self, db: Database) -> AsyncIterator[None]:
        """Watch the file for other writers' commits while the block runs."""
        event.listen(db.engine, "commit", self._counts.count)
        watcher = _Watcher(db.path)
        task = asyncio.get_running_loop().create_task(self._watch(watcher))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            event.remove(db.engine, "commit", self._counts.count)
            await watcher.close()

    async def _watch(self, watcher: _Watcher) -> None:
        try:
            data_version, announced = await watcher.start()
        except Exception:
            log.exception(
                "cannot watch %s for other writers; pokes come from pushes only", watcher.path
            )
            return
        counts = self._counts.snapshot()
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                now_version = await watcher.data_version()
                if now_version == data_version:
                    continue
                data_version = now_version
                self._on_file_change()
                server, other = self._counts.snapshot()
                outside = other != counts[1] or server == counts[0]
                counts = (server, other)
                if not outside:
                    continue
                latest, campuses = await watcher.changes_since(announced)
            except Exception:
                # A locked or busy file is a passing state; the next look tries again.
                log.exception("looking for other writers' changes failed")
                continue
            if latest <= announced:
                continue  # only unsynced tables changed (a login, a backup mark)
            announced = latest
            self.poke_campuses(campuses, latest)
            self.committed(CommitInfo("external", latest, frozenset(), campuses))


def _campus_queries() -> list[str]:
    """For each synced table, SQL giving the campus of each row in a version range.

    A table without ``campus_id`` reaches it through its first foreign key to one that has it
    (a student–parent link through the student); the campus table is its own campus.
    """
    queries = []
    for model in SYNCED_MODELS:
        table = model.__table__
        if table.name == "campuses":
            queries.append("SELECT id FROM campuses WHERE version > ? AND version <= ?")
            continue
        if "campus_id" in table.c:
            queries.append(
                f"SELECT DISTINCT campus_id FROM {table.name} WHERE version > ? AND version <= ?"
            )
            continue
        for fk in table.foreign_keys:
            target = fk.column.table
            if "campus_id" in target.c:
                queries.append(
                    f"SELECT DISTINCT p.campus_id FROM {table.name} c "
                    f"JOIN {target.name} p ON p.{fk.column.name} = c.{fk.parent.name} "
                    "WHERE c.version > ? AND c.version <= ?"
                )
                break
        else:
            # No way to a campus: a change here concerns everybody.
            queries.append(f"SELECT NULL FROM {table.name} WHERE version > ? AND version <= ?")
    return queries


class _Watcher:
    """The dedicated read-only connection that notices other writers, on its own thread."""

    def __init__(self, path: Any) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dabiao-watch")
        self._conn: sqlite3.Connection | None = None
        self._queries = _campus_queries()

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def start(self) -> tuple[int, int]:
        """Open the connection; return the data version and the current sync version."""

        def open_() -> tuple[int, int]:
            conn = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self._conn = conn
            return self._data_version(), self._sync_version()

        return await self._run(open_)

    def _data_version(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _sync_version(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("SELECT value FROM sync_counter").fetchone()[0])

    async def data_version(self) -> int:
        """SQLite's counter that moves when another connection commits."""
        return await self._run(self._data_version)

    async def changes_since(self, version: int) -> tuple[int, frozenset[str] | None]:
        """The newest sync version, and the campuses of rows changed after ``version``
        (``None``: some change belongs to no campus)."""

        def read() -> tuple[int, frozenset[str] | None]:
            assert self._conn is not None
            # One snapshot for the counter and the rows, so they agree.
            self._conn.execute("BEGIN")
            try:
                latest = self._sync_version()
                campuses: set[str] = set()
                if latest > version:
                    for sql in self._queries:
                        for (campus,) in self._conn.execute(sql, (version, latest)):
                            if campus is None:
                                return latest, None
                            campuses.add(str(uuid.UUID(bytes=bytes(campus))))
                return latest, frozenset(campuses)
            finally:
                self._conn.execute("ROLLBACK")

        return await self._run(read)

    async def close(self) -> None:
        """Close the connection and the thread."""

        def close_() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        with contextlib.suppress(Exception):
            await self._run(close_)
        self._executor.shutdown(wait=True)


async def live_socket(request: web.Request) -> web.StreamResponse:
    """``GET /api/live``: the WebSocket a phone keeps open to hear about new versions."""
    caller = principal(request)
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    # Browsers fail the handshake unless the server echoes the subprotocol the token came in.
    protocols = [p for p in offered if p.startswith(BEARER_PROTOCOL_PREFIX)][:1]
    # No per-message deflate: pokes are a few dozen bytes, and a zlib stream per socket would
    # cost more than it saves when hundreds of phones are poked at once.
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT, protocols=protocols, max_msg_size=4096, compress=False
    )
    if not ws.can_prepare(request).ok:
        raise BadInput("Upgrade", "此地址只接受 WebSocket 连接")
    version = await run_read(request, current_version)
    await ws.prepare(request)
    hub = context(request).hub
    connection = hub.add(ws, caller)
    connection.send(_message("hello", version=version, staff_id=caller.staff_id))
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and _is_ping(msg.data):
                connection.send(_message("pong"))
    finally:
        await hub.remove(connection)
    return ws


def _is_ping(text: str) -> bool:
    """Browsers cannot send WebSocket pings, so a phone may send ``{"type": "ping"}``."""
    try:
        return json.loads(text).get("type") == "ping"
    except (ValueError, AttributeError):
        return False
