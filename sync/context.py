"""What every handler reaches: the app's typed state, the caller, and database calls off the loop.

SQLite calls are short but synchronous, so they never run on the event loop: each goes to a
small thread pool owned by the app (:func:`run_read` / :func:`run_write`), one session per
call, the caller owning the unit of work as the house style asks. The pool's threads are marked
as the server's own (:func:`is_server_thread`) so the live hub can tell a phone's push from an
edit made elsewhere (see :mod:`sync.live`).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from shared.db import Database

if TYPE_CHECKING:
    from shared.auth import Principal

    from .cache import AnswerCache
    from .live import CommitInfo, LiveHub

T = TypeVar("T")

# Enough for a campus's phones: SQLite serialises writers anyway, and readers are quick.
DB_THREADS = 4
# PIN checks (scrypt, slow on purpose) allowed at once: a flood of guesses queues here, on the
# loop, and leaves the other database threads to everybody else's requests.
PIN_CHECKS_AT_ONCE = 2

_marks = threading.local()


def _mark_server_thread() -> None:
    _marks.server = True


def is_server_thread() -> bool:
    """Whether the current thread is one of the server's database threads."""
    return getattr(_marks, "server", False)


def make_db_executor(name: str = "dabiao-db") -> ThreadPoolExecutor:
    """The server's database thread pool; its threads are marked as the server's own."""
    return ThreadPoolExecutor(
        max_workers=DB_THREADS, thread_name_prefix=name, initializer=_mark_server_thread
    )


@dataclass
class ServerContext:
    """The state of one running app: the database, the clock, the live hub, the answer cache
    and the hooks."""

    db: Database
    allowed_hosts: set[str]
    static_dir: Path | None
    clock: Callable[[], datetime]
    on_commit: Callable[[CommitInfo], None] | None
    hub: LiveHub
    cache: AnswerCache
    executor: ThreadPoolExecutor | None = field(default=None)
    pin_checks: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(PIN_CHECKS_AT_ONCE)
    )


CONTEXT = web.AppKey("context", ServerContext)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")  # type: ignore[type-arg]


def context(request: web.Request) -> ServerContext:
    """The app state behind a request."""
    return request.app[CONTEXT]


def principal(request: web.Request) -> Principal:
    """The authenticated caller (the auth middleware put it there)."""
    return request[PRINCIPAL]


async def run_in_db_thread(request: web.Request, fn: Callable[[], T]) -> T:
    """Run ``fn`` on the server's database threads and await its result."""
    ctx = context(request)
    return await asyncio.get_running_loop().run_in_executor(ctx.executor, fn)


def _read(db: Database, fn: Callable[[Session], T]) -> T:
    with db.reader() as session:
        return fn(session)


def _write(db: Database, fn: Callable[[Session], T]) -> T:
    with db.unit_of_work() as session:
        return fn(session)


async def run_read(request: web.Request, fn: Callable[[Session], T]) -> T:
    """Run ``fn(session)`` in one read-only snapshot, off the event loop."""
    return await run_in_db_thread(request, functools.partial(_read, context(request).db, fn))


async def run_write(request: web.Request, fn: Callable[[Session], T]) -> T:
    """Run ``fn(session)`` in one write transaction (committed on success), off the loop."""
    return await run_in_db_thread(request, functools.partial(_write, context(request).db, fn))
