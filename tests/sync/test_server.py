"""SyncServer's lifecycle: its own thread and loop, the port and URLs, a clean stop."""

from __future__ import annotations

import asyncio
import socket
import threading

import aiohttp
import pytest

from shared.db import Database
from sync.server import SyncServer, lan_addresses

from .support import Api


def test_start_returns_listening_and_stop_joins_the_thread(campus_db: Database) -> None:
    before = {t.name for t in threading.enumerate()}
    server = SyncServer(campus_db, host="127.0.0.1", port=0, mdns=False)
    server.start()
    assert server.port > 0
    assert server.urls == [f"http://127.0.0.1:{server.port}"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass
    assert server.loop.is_running()
    server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)
    left = {t.name for t in threading.enumerate()} - before
    assert not {name for name in left if name.startswith("dabiao")}, left
    server.stop()  # a second stop is harmless


def test_a_port_in_use_is_an_oserror_from_start(campus_db: Database) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = SyncServer(campus_db, host="127.0.0.1", port=taken.getsockname()[1], mdns=False)
        with pytest.raises(OSError):
            server.start()
    assert not [t for t in threading.enumerate() if t.name == "dabiao-server"]


def test_other_threads_reach_the_loop(campus_db: Database) -> None:
    with SyncServer(campus_db, host="127.0.0.1", port=0, mdns=False) as server:

        async def on_the_loop() -> int:
            async with aiohttp.ClientSession() as http:
                return (await Api(http, server.urls[0]).get("/api/health")).status

        assert asyncio.run_coroutine_threadsafe(on_the_loop(), server.loop).result(5) == 200


def test_a_server_given_a_path_opens_and_closes_the_file(campus_path) -> None:  # noqa: ANN001
    with SyncServer(campus_path, host="127.0.0.1", port=0, mdns=False) as server:
        assert server.database.path == campus_path
    assert not campus_path.with_name(campus_path.name + "-wal").exists()


def test_lan_addresses_leave_out_loopback() -> None:
    assert all(not a.startswith("127.") for a in lan_addresses())
