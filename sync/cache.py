"""Answers that stay true until the file changes: read views and tokens, kept per generation.

Phones ask the same questions over and over (the task page on every focus, the student list
after every poke); the answers change only when something commits to the file. So the server
keeps the JSON of each read route's answer, and the principal of each token, under a
*generation* that moves on every commit it can see:

* every commit through this process's engine, before it lands (SQLAlchemy's ``commit``) and
  again after it landed (the session's ``after_commit``), so that a read racing the commit
  cannot be kept past it;
* every commit by another connection to the file — another program such as ``dabiao serve``
  or ``dabiao import``, or a raw connection — seen by SQLite's ``PRAGMA data_version`` on a
  connection of the cache's own, asked before every answer or token is served from memory
  (about 20 µs; the live hub's 200 ms file watch bumps too, for pokes);
* every push, once it returns.

There are two generations (:class:`Generations`): the file's, which every commit moves, and
the synced rows', which only commits that change synced rows move — a transaction that took a
version (:data:`shared.versioning.SYNCED_WRITE`), another connection's commit that moved the
sync counter. Tokens, and the routes that read unsynced tables too (``/api/me`` lists the
devices; ``Route.reads_unsynced``), follow the file's; every other view follows the synced
rows', so a phone's last-seen stamp, a login or a pairing does not make every phone's next
read compute its answer afresh.

An answer is stored under the generation read *before* it was computed and served only while
the generation is unchanged, so nothing committed after a commit is seen is ever answered
from memory. Keys include the caller (staff and device), the route, its path and query, and
today's business date (views depend on "today"). Tokens are re-checked at least every
:data:`TOKEN_TTL` so a device's last-seen stamp keeps moving. Memory is bounded by
:data:`MAX_BYTES` (least recently used answers go first).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event

from shared.db import Database
from shared.versioning import SYNCED_WRITE, VersionedSession

log = logging.getLogger(__name__)

MAX_BYTES = 32 << 20
TOKEN_TTL = 60.0  # seconds; shared.auth stamps last_seen_at at most once a minute


class Generations:
    """Two counters: one moves whenever the database file may have changed at all, the other
    whenever synced rows may have changed (a transaction that took a version: see
    :data:`shared.versioning.SYNCED_WRITE`; another program's commit that moved the sync
    counter). Answers that read synced rows only are kept across commits that change nothing
    synced — a phone's last-seen stamp, a login, a pairing, a rejected mutation counted."""

    def __init__(self) -> None:
        self._value = 0
        self._synced = 0
        self._counter: int | None = None  # the sync counter as check_file last read it
        self._lock = threading.Lock()
        self._file: sqlite3.Connection | None = None  # asks data_version; on the loop's thread
        self._data_version: int | None = None
        self._blind = False  # the file could not be watched: nothing kept is ever trusted

    @property
    def value(self) -> int:
        """The current generation of the whole file."""
        return self._value

    @property
    def synced(self) -> int:
        """The current generation of the synced rows."""
        return self._synced

    def current(self, *, synced_only: bool) -> int:
        """The generation an answer reading only synced rows (or anything) is kept under."""
        return self._synced if synced_only else self._value

    def bump(self, *_args: Any) -> None:
        """Something committed (or is about to): every answer kept so far may be stale."""
        with self._lock:
            self._value += 1

    def bump_synced(self) -> None:
        """Synced rows changed (or are about to): also answers about them are stale."""
        with self._lock:
            self._value += 1
            self._synced += 1

    def _commit(self, connection: Any) -> None:
        if connection.info.pop(SYNCED_WRITE, False):
            self.bump_synced()
        else:
            self.bump()

    @staticmethod
    def _begin(connection: Any) -> None:
        connection.info.pop(SYNCED_WRITE, None)

    def watch(self, db: Database) -> None:
        """Bump on every commit through ``db``'s engine, before and after it lands; and open
        the connection :meth:`check_file` asks (call both on the thread that serves answers).
        """
        event.listen(db.engine, "begin", self._begin)
        event.listen(db.engine, "commit", self._commit)
        event.listen(VersionedSession, "after_commit", self._after_commit)
        self._db = db
        try:
            self._file = sqlite3.connect(
                f"{db.path.resolve().as_uri()}?mode=ro",
                uri=True,
                timeout=0,  # never wait on the loop's thread: a busy file counts as changed
                isolation_level=None,
            )
            self._data_version = self._read_data_version()
            self._counter = self._read_counter()
        except sqlite3.Error:
            log.exception("cannot watch %s for other writers; answers are not kept", db.path)
            self._close_file()
            self._blind = True

    def unwatch(self) -> None:
        """Stop listening (the server stops)."""
        self._close_file()
        db = getattr(self, "_db", None)
        if db is None:
            return
        event.remove(db.engine, "begin", self._begin)
        event.remove(db.engine, "commit", self._commit)
        event.remove(VersionedSession, "after_commit", self._after_commit)
        self._db = None

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()

    def _read_data_version(self) -> int:
        assert self._file is not None
        return int(self._file.execute("PRAGMA data_version").fetchone()[0])

    def _read_counter(self) -> int:
        assert self._file is not None
        return int(self._file.execute("SELECT value FROM sync_counter").fetchone()[0])

    def check_file(self) -> None:
        """Bump if any other connection (another program above all) committed to the file
        since the last look. Call it on the thread that called :meth:`watch`."""
        if self._file is None:
            if self._blind:
                self.bump_synced()
            return
        try:
            now = self._read_data_version()
            if now == self._data_version:
                return
            self._data_version = now
            # Read after data_version: a commit landing in between is seen as moved (and
            # moves data_version again, which only bumps once more).
            counter = self._read_counter()
        except sqlite3.Error:
            self.bump_synced()  # locked for a moment (a checkpoint): assume a change
            return
        if counter != self._counter:
            self._counter = counter
            self.bump_synced()
        else:
            self.bump()

    def _after_commit(self, session: Any) -> None:
        # One listener for the session class serves every database in the process; only
        # sessions on this file matter (an extra bump would be harmless anyway).
        bind = session.get_bind()
        if self._db is not None and bind.url == self._db.engine.url:
            if session.info.pop(SYNCED_WRITE, False):
                self.bump_synced()
            else:
                self.bump()


class AnswerCache:
    """JSON answers of read routes and principals of tokens, valid for one generation."""

    def __init__(self, generations: Generations, *, max_bytes: int = MAX_BYTES) -> None:
        self.generations = generations
        self.max_bytes = max_bytes
        self._answers: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._bytes = 0
        self._tokens: dict[str, tuple[int, float, Any]] = {}
        self.enabled = True  # off: every answer is computed afresh (benchmarks, diagnosis)
        self.hits = 0
        self.misses = 0

    # ------------------------------------------------------------------ answers

    def answer(self, key: Hashable, *, synced_only: bool = False) -> bytes | None:
        """The kept answer for ``key`` if it is still of the current generation (of the synced
        rows when the answer reads nothing else)."""
        if not self.enabled:
            self.misses += 1
            return None
        self.generations.check_file()
        entry = self._answers.get(key)
        if entry is None or entry[0] != self.generations.current(synced_only=synced_only):
            self.misses += 1
            return None
        self._answers.move_to_end(key)
        self.hits += 1
        return entry[1]

    def keep_answer(
        self, key: Hashable, generation: int, body: bytes, *, synced_only: bool = False
    ) -> None:
        """Keep an answer computed at ``generation`` (dropped if that is already over)."""
        if not self.enabled or generation != self.generations.current(synced_only=synced_only):
            return
        if len(body) > self.max_bytes // 8:  # one huge answer must not evict all the others
            return
        old = self._answers.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1])
        self._answers[key] = (generation, body)
        self._bytes += len(body)
        while self._bytes > self.max_bytes and self._answers:
            _key, (_gen, dropped) = self._answers.popitem(last=False)
            self._bytes -= len(dropped)

    # ------------------------------------------------------------------ tokens

    def principal(self, token: str) -> Any | None:
        """The principal kept for ``token``, if still of this generation and fresh."""
        entry = self._tokens.get(token)
        if entry is None:
            return None
        self.generations.check_file()
        generation, stored_at, principal = entry
        if generation != self.generations.value or time.monotonic() - stored_at > TOKEN_TTL:
            del self._tokens[token]
            return None
        return principal

    def keep_principal(self, token: str, generation: int, principal: Any) -> None:
        """Keep a token's principal checked at ``generation``."""
        if generation != self.generations.value:
            return
        if len(self._tokens) > 4096:  # far more devices than a campus has: start over
            self._tokens.clear()
        self._tokens[token] = (generation, time.monotonic(), principal)
