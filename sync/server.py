"""``SyncServer``: the LAN server in its own thread, with its own asyncio loop.

The desktop (Qt main thread) and ``dabiao serve`` both run the server this way: :meth:`start`
starts a thread that owns an asyncio loop, sets up aiohttp's ``AppRunner`` and ``TCPSite``
(never ``run_app``, which wants the main thread and its signals) and returns once the socket
listens; :meth:`stop` closes the WebSockets, withdraws the mDNS advertisement, cleans up the
runner and joins the thread. Code on other threads reaches the loop with
``asyncio.run_coroutine_threadsafe(coro, server.loop)``; the server reports commits through
``on_commit``, called on the server's loop (the desktop connects it to a queued Qt signal).

The database is closed by whoever opened it: pass an open :class:`~shared.db.Database` and
keep closing it yourself, or pass a path and the server opens and closes it.

Unless told otherwise (``freeze_gc=False``), :meth:`start` moves every object alive at that
point out of the cyclic garbage collector's reach (``gc.freeze()``, process-wide): its full
passes over the imported modules took ~60 ms, a stall every poke would otherwise wait out.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ipaddress
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import ifaddr
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from shared.db import Database, open_database
from shared.periods import utc_now

from .app import make_app
from .discovery import Advertiser, default_route_address, host_label
from .handlers.cards import CardRenderer
from .handlers.public import campus_names, program_version
from .live import CommitInfo

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
# The phone client ships inside the package, beside ``sync``.
DEFAULT_STATIC_DIR = Path(__file__).resolve().parent.parent / "mobile_web"


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that phones can reach: the default route's first,
    then the others; loopback and link-local addresses are left out."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue  # IPv6: phones on campus Wi-Fi are reached over IPv4
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            if ip.ip not in found:
                found.append(ip.ip)
    preferred = default_route_address()
    if preferred in found:
        found.remove(preferred)
        found.insert(0, preferred)
    return found


def _is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


class SyncServer:
    """The LAN server of one campus database, running on a thread of its own."""

    def __init__(
        self,
        db: Database | Path | str,
        *,
        host: str = "0.0.0.0",
        port: int = DEFAULT_PORT,
        mdns: bool = True,
        on_commit: Callable[[CommitInfo], None] | None = None,
        mdns_interfaces: Sequence[str] | None = None,
        static_dir: Path | None = DEFAULT_STATIC_DIR,
        clock: Callable[[], datetime] = utc_now,
        freeze_gc: bool = True,
        card_renderer: CardRenderer | None = None,
    ) -> None:
        self._db_arg = db
        self._card_renderer = card_renderer
        self.host = host
        self._requested_port = port
        self._mdns = mdns
        self._on_commit = on_commit
        self._mdns_interfaces = list(mdns_interfaces) if mdns_interfaces else None
        self._static_dir = static_dir
        self._clock = clock
        self._freeze_gc = freeze_gc
        self._db: Database | None = None
        self._owns_db = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._advertiser: Advertiser | None = None
        self._port: int | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # ------------------------------------------------------------------ public

    @property
    def port(self) -> int:
        """The port the server listens on (known once started)."""
        if self._port is None:
            raise RuntimeError("the server is not running")
        return self._port

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop (for ``run_coroutine_threadsafe``)."""
        if self._loop is None:
            raise RuntimeError("the server is not running")
        return self._loop

    @property
    def app(self) -> web.Application:
        """The running aiohttp application (its router lists every route)."""
        if self._runner is None:
            raise RuntimeError("the server is not running")
        return self._runner.app

    @property
    def database(self) -> Database:
        """The database the server serves."""
        if self._db is None:
            raise RuntimeError("the server is not running")
        return self._db

    @property
    def urls(self) -> list[str]:
        """``http://IP:port`` for each address phones can use (the default route's first)."""
        wildcard = _is_wildcard(self.host)
        addresses = (lan_addresses() or ["127.0.0.1"]) if wildcard else [self.host]
        return [f"http://{_url_host(a)}:{self.port}" for a in addresses]

    @property
    def advertiser(self) -> Advertiser | None:
        """The mDNS advertisement (None with ``mdns=False``)."""
        return self._advertiser

    def start(self) -> None:
        """Start the server thread; return once the socket listens (or raise why not)."""
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        if isinstance(self._db_arg, Database):
            self._db = self._db_arg
        else:
            self._db, self._owns_db = open_database(self._db_arg, create=False), True
        self._thread = threading.Thread(target=self._run, name="dabiao-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):  # pragma: no cover - a wedged machine
            raise TimeoutError("the LAN server did not start in time")
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            self._close_owned_db()
            raise self._startup_error
        if self._freeze_gc:
            # A full pass of the cyclic collector walks every object alive, ~60 ms here for
            # the modules alone, and stalls the loop (and every poke) while it runs. What is
            # alive now lives as long as the program, so it moves out of the collector's way.
            gc.collect()
            gc.freeze()

    def stop(self) -> None:
        """Stop cleanly: sockets closed, mDNS withdrawn, runner cleaned up, thread joined."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            future.result(STOP_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STOP_TIMEOUT)
            self._thread = None
            self._close_owned_db()

    def __enter__(self) -> SyncServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the thread

    def _allowed_hosts(self) -> set[str]:
        label = host_label()
        hosts = {"localhost", "127.0.0.1", "::1", label, f"{label}.local"}
        hosts.update(lan_addresses())
        if not _is_wildcard(self.host):
            hosts.add(self.host)
        return hosts

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # reported to start()'s caller
            self._startup_error = exc
            with contextlib.suppress(Exception):
                loop.run_until_complete(self._shutdown())
            loop.close()
            self._loop = None
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    async def _startup(self) -> None:
        assert self._db is not None
        app = make_app(
            self._db,
            allowed_hosts=self._allowed_hosts(),
            static_dir=self._static_dir,
            clock=self._clock,
            on_commit=self._on_commit,
            card_renderer=self._card_renderer,
        )
        self._runner = web.AppRunner(app, handle_signals=False, access_log_class=AccessLogger)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        if self._mdns:
            db = self._db
            names = await asyncio.get_running_loop().run_in_executor(
                None, lambda: _read_campus_names(db)
            )
            self._advertiser = Advertiser(
                port=self._port,
                campus="、".join(names),
                version=program_version(),
                interfaces=self._mdns_interfaces,
                bound_host=None if _is_wildcard(self.host) else self.host,
            )
            self._advertiser.start()
        log.info("LAN server listening on %s", ", ".join(self.urls))

    async def _shutdown(self) -> None:
        if self._advertiser is not None:
            await self._advertiser.stop()
            self._advertiser = None
        if self._runner is not None:
            # Runs on_shutdown (closes the WebSockets), then cleanup_ctx (threads, watcher).
            await self._runner.cleanup()
            self._runner = None

    def _close_owned_db(self) -> None:
        if self._owns_db and self._db is not None:
            self._db.close()
        if self._owns_db:
            self._db = None


def _read_campus_names(db: Database) -> list[str]:
    with db.reader() as session:
        return campus_names(session)


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


class AccessLogger(AbstractAccessLogger):
    """One line per request without the query string, which may carry a live token."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %.1f ms',
            request.remote,
            request.method,
            request.rel_url.path,
            response.status,
            time * 1000,
        )
