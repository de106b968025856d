"""A loopback TCP proxy that does to connections what campus Wi-Fi does to them.

Each accepted connection gets one fate, drawn from a random generator seeded with the
proxy's seed and the connection's number (so a failing run names a seed to rerun with; the
first five connections meet each fate once, in a seeded order):

``pass``          bytes go through untouched
``delay``         every chunk in either direction waits 0..``max_delay`` seconds first
``drop``          the connection is closed before anything is forwarded
``cut_request``   the first k bytes towards the server go through, then both ends are cut
``cut_response``  the request goes through; the first k bytes of the answer reach the phone,
                  then both ends are cut (the server may well have committed by then)

k is drawn between 1 and ``max_cut`` bytes, so on a kept-alive connection the cut may fall
in a later request. Besides, every connection but a calm one lives at most ``max_life``
seconds (a phone walking out of the Wi-Fi's reach): a kept-alive connection that passed its
first requests is still cut some time later, wherever its bytes are then. Cuts are aborts
(RST), not polite closes. :meth:`ChaosProxy.calm` makes
every new connection ``pass``, for the convergence phase of a trial.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Callable

FATES = ("pass", "delay", "drop", "cut_request", "cut_response")


class _Cut(Exception):
    """The byte budget of a cut direction is spent."""


class ChaosProxy:
    """An asyncio TCP proxy on 127.0.0.1, port 0, in front of ``upstream()`` (host, port)."""

    def __init__(
        self,
        upstream: Callable[[], tuple[str, int] | None],
        seed: int,
        *,
        weights: dict[str, float] | None = None,
        max_delay: float = 0.4,
        max_cut: int = 1500,
        max_life: float = 3.0,
    ) -> None:
        self.upstream = upstream
        self.seed = seed
        self.weights = weights or {
            "pass": 0.4,
            "delay": 0.15,
            "drop": 0.1,
            "cut_request": 0.15,
            "cut_response": 0.2,
        }
        self.max_delay = max_delay
        self.max_cut = max_cut
        self.max_life = max_life
        self.lifetimes_ended = 0
        self.fates: Counter[str] = Counter()
        self.history: list[str] = []  # the fate of each connection, by number
        self.connections = 0
        self.calm_now = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        """Listen on 127.0.0.1 (any free port); return the port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calm(self) -> None:
        """From now on every new connection passes untouched."""
        self.calm_now = True

    def rage(self) -> None:
        """From now on new connections meet their random fates again."""
        self.calm_now = False

    async def close(self) -> None:
        """Stop listening and cut every connection still open."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            _abort(writer)
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    def _fate(self, number: int, rng: random.Random) -> str:
        if self.calm_now:
            return "pass"
        if number < len(FATES):
            # The first connections meet every fate once, in an order the seed shuffles, so
            # even a short trial sees each of them.
            order = list(FATES)
            random.Random(self.seed).shuffle(order)
            return order[number]
        names = list(self.weights)
        return rng.choices(names, [self.weights[n] for n in names])[0]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        rng = random.Random(f"{self.seed}:{number}")
        fate = self._fate(number, rng)
        self.fates[fate] += 1
        self.history.append(fate)
        target = self.upstream()
        if fate == "drop" or target is None:
            _abort(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            _abort(writer)
            return
        self._writers.add(up_writer)
        k = rng.randint(1, self.max_cut)
        life = None if fate == "pass" and self.calm_now else rng.uniform(0.1, self.max_life)
        to_server = asyncio.create_task(
            self._pipe(reader, up_writer, rng, fate, k if fate == "cut_request" else None)
        )
        to_phone = asyncio.create_task(
            self._pipe(up_reader, writer, rng, fate, k if fate == "cut_response" else None)
        )
        try:
            done, _ = await asyncio.wait(
                {to_server, to_phone}, timeout=life, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                self.lifetimes_ended += 1
        finally:
            self._writers.discard(up_writer)
            for task in (to_server, to_phone):
                task.cancel()
            for task in (to_server, to_phone):
                with contextlib.suppress(BaseException):
                    await task
            _abort(writer)
            _abort(up_writer)

    async def _pipe(
        self,
        src: asyncio.StreamReader,
        dst: asyncio.StreamWriter,
        rng: random.Random,
        fate: str,
        budget: int | None,
    ) -> None:
        sent = 0
        try:
            while True:
                data = await src.read(65536)
                if not data:
                    return
                if fate == "delay":
                    await asyncio.sleep(rng.uniform(0, self.max_delay))
                if budget is not None and sent + len(data) >= budget:
                    dst.write(data[: budget - sent])
                    await dst.drain()
                    raise _Cut
                dst.write(data)
                await dst.drain()
                sent += len(data)
        except (_Cut, ConnectionError, OSError):
            return


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close a connection at once, with a reset rather than a polite FIN."""
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()
