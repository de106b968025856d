"""Benchmark: the LAN server on loopback — push throughput, a read route, poke latency.

Run it by hand (it is not collected by pytest)::

    .venv/bin/python tests/perf/bench_sync.py [--mutations 300] [--requests 400] [--clients 200]

It builds the small demo campus (seed 1) in a temporary folder, starts a real
:class:`~sync.server.SyncServer` on 127.0.0.1 (port 0, no mDNS) and prints:

1. **Push throughput**: ``--mutations`` ``add_communication`` appends pushed over HTTP in
   batches of 50 (each mutation its own ``BEGIN IMMEDIATE`` transaction with ``synchronous=FULL``,
   as the sync log does), against plain ``sqlite3`` writing the same rows the same durable way
   (per row: take a version, insert the record, advance the client's ``last_mutation_id``,
   commit). Goal: push >= 25 % of the raw rate. ``shared.sync_log.push`` called in-process on
   the same rows is printed too, to tell the edge's share of the cost from the sync log's.
2. **A read route**: ``GET /api/me/tasks`` requests/s (a teacher's token, 8 at a time) against
   a bare aiohttp handler answering a JSON body of the same size, run the same way (its own
   thread and loop, same client) in the same run. Goal: >= 30 %. Repeated reads are answered
   from :mod:`sync.cache` until the next commit; the figure with that cache off (every answer
   computed by ``shared.phone_views.my_tasks``) is printed beside it.
3. **Poke latency** with ``--clients`` WebSockets connected from another process (as phones
   are): 20 rounds of the live hub poking every connection; latency is from the poke being
   handed to the server's loop to a client reading it. Goal: p99 <= 50 ms.
4. **Pull** (``shared.sync_log.pull`` in-process, no goal): for the teacher and a consultant,
   everything from version 0 in as many batches as it takes (a phone's first sync), and
   since 50 versions ago (the pull after a poke).
5. **Pull after a handover** (no goal): the desktop hands 5 of a consultant's students to
   another; the pull since just before, for both, beside the same pull without the scope
   check (:mod:`shared.scope_changes`: the ids that left, the rows that came into view).

Every request goes to 127.0.0.1; every loop is bounded by a count.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared.auth import Principal, create_pairing_token, redeem_pairing_token  # noqa: E402
from shared.db import Database, open_database  # noqa: E402
from shared.demo import build_demo  # noqa: E402
from shared.models import Parent, Staff  # noqa: E402
from shared.permissions import scope_clause  # noqa: E402
from shared.sync_log import API_SCHEMA_VERSION, PushRequest, pull, push  # noqa: E402
from shared.versioning import current_version  # noqa: E402
from sync.context import CONTEXT  # noqa: E402
from sync.server import SyncServer  # noqa: E402

TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
BATCH = 50
CONCURRENCY = 8


def clock() -> datetime:
    return NOW


def token_for(db: Database, staff_id: str) -> str:
    with db.unit_of_work() as s:
        ticket = create_pairing_token(s, staff_id=staff_id, now=NOW)
        return redeem_pairing_token(s, token=ticket.token, device_name="bench", now=NOW).token


def pick_teacher_and_parent(db: Database) -> tuple[Principal, str]:
    from sqlalchemy import select

    with db.reader() as s:
        for staff in s.scalars(select(Staff).where(Staff.roles == ["teacher"])):
            p = Principal.of_staff(staff)
            parent = s.scalars(select(Parent.id).where(scope_clause(s, p, Parent))).first()
            if parent is not None:
                return p, parent
    raise SystemExit("the demo has no teacher with a parent in scope")


def communication(parent_id: str) -> dict[str, object]:
    return {
        "name": "add_communication",
        "args": {
            "id": str(uuid.uuid4()),
            "parent_id": parent_id,
            "occurred_on": TODAY.isoformat(),
            "channel": "电话",
            "content": "提醒明天上课，带好练习册",
        },
    }


# --------------------------------------------------------------------------- 1. push


async def bench_push(base: str, token: str, parent_id: str, count: int) -> float:
    """Mutations per second through POST /api/push."""
    client = uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {token}"}
    bodies = []
    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        bodies.append(
            {
                "client_id": client,
                "schema_version": API_SCHEMA_VERSION,
                "mutations": [
                    {"mutation_id": start + i + 1, **communication(parent_id)} for i in range(n)
                ],
            }
        )
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        for body in bodies:
            async with http.post(f"{base}/api/push", json=body, headers=headers) as response:
                result = await response.json()
                assert response.status == 200, result
                assert all(r["status"] == "applied" for r in result["results"]), result
        elapsed = time.perf_counter() - started
    return count / elapsed


def bench_direct_push(db: Database, teacher: Principal, parent_id: str, count: int) -> float:
    """Mutations per second through shared.sync_log.push called in-process (no HTTP)."""
    client = uuid.uuid4().hex
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        request = PushRequest.model_validate(
            {
                "client_id": client,
                "schema_version": API_SCHEMA_VERSION,
                "mutations": [
                    {"mutation_id": start + i + 1, **communication(parent_id)} for i in range(n)
                ],
            }
        )
        result = push(db, teacher, request, now=NOW)
        assert all(r.status == "applied" for r in result.results)
    return count / (time.perf_counter() - started)


def bench_raw_inserts(path: Path, staff_id: str, campus_id: str, parent_id: str, n: int) -> float:
    """Rows per second written by plain sqlite3, one durable transaction per row."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    client = uuid.uuid4().hex
    now = NOW.replace(tzinfo=None).isoformat(sep=" ")
    staff, campus, parent = (uuid.UUID(x).bytes for x in (staff_id, campus_id, parent_id))
    conn.execute(
        "INSERT INTO sync_clients (client_id, staff_id, last_mutation_id, created_at, "
        "last_seen_at) VALUES (?, ?, 0, ?, ?)",
        (client, staff, now, now),
    )
    started = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        version = conn.execute(
            "UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO communication_records (id, version, is_deleted, created_at, updated_at,"
            " campus_id, parent_id, student_id, staff_id, occurred_on, channel, content,"
            " next_follow_up_on, follow_up_done) VALUES (?, ?, 0, ?, ?, ?, ?, NULL, ?, ?, ?, ?,"
            " NULL, 0)",
            (
                uuid.uuid4().bytes,
                version,
                now,
                now,
                campus,
                parent,
                staff,
                TODAY.isoformat(),
                "电话",
                "提醒明天上课，带好练习册",
            ),
        )
        conn.execute(
            "UPDATE sync_clients SET last_mutation_id = ?, last_seen_at = ? WHERE client_id = ?",
            (i + 1, now, client),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


# --------------------------------------------------------------------------- 2. a read route


async def requests_per_second(url: str, headers: dict[str, str], count: int) -> float:
    """GET ``url`` ``count`` times, :data:`CONCURRENCY` at once; requests per second."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as warm:  # connection and caches warm
            assert warm.status == 200, await warm.text()
        queue = iter(range(count))

        async def worker() -> None:
            for _ in queue:
                async with http.get(url, headers=headers) as response:
                    await response.read()
                    assert response.status == 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return count / (time.perf_counter() - started)


class BareServer:
    """A bare aiohttp JSON handler on its own thread and loop, like SyncServer."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handler(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body, content_type="application/json")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/bare", self._handler)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


# --------------------------------------------------------------------------- 3. pokes


def _poke_clients(url: str, tokens: list[str], rounds: int, pipe: Connection) -> None:
    """In a process of their own, like phones: connect every socket, then per round report
    when each one read its poke (``time.perf_counter`` is CLOCK_MONOTONIC, one clock for
    every process)."""

    async def main() -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            sockets = []
            for token in tokens:
                ws = await http.ws_connect(f"{url}/api/live?token={token}")
                await ws.receive_json(timeout=10)  # hello
                sockets.append(ws)

            async def receive(ws: aiohttp.ClientWebSocketResponse) -> float:
                message = await ws.receive_json(timeout=10)
                assert message["type"] == "poke"
                return time.perf_counter()

            # 200 phones are 200 devices: this one process standing in for them must not add
            # its own full garbage collections (one took ~90 ms with the sockets' objects and
            # read as a server delay) to the latency measured.
            gc.collect()
            gc.freeze()
            for _ in range(rounds):
                waiting = [asyncio.ensure_future(receive(ws)) for ws in sockets]
                await asyncio.sleep(0.05)  # every reader waits before the poke leaves
                pipe.send("ready")
                pipe.send(await asyncio.gather(*waiting))
            for ws in sockets:
                await ws.close()

    asyncio.run(main())


def bench_pokes(server: SyncServer, tokens: list[str], rounds: int) -> list[float]:
    """Latencies (ms) from handing a poke to the server's loop to each client reading it."""
    hub = server.app[CONTEXT].hub
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    clients = context.Process(
        target=_poke_clients, args=(server.urls[0], tokens, rounds, theirs), daemon=True
    )
    clients.start()
    latencies: list[float] = []
    try:
        for version in range(1, rounds + 1):
            if not ours.poll(60):
                raise RuntimeError("the WebSocket clients did not get ready")
            assert ours.recv() == "ready"
            if version == 1:
                assert len(hub.connections) == len(tokens), len(hub.connections)
            staff_ids = {c.principal.staff_id for c in hub.connections}
            sent = time.perf_counter()
            server.loop.call_soon_threadsafe(hub.poke_staff, staff_ids, 10**9 + version)
            latencies += [(t - sent) * 1000 for t in ours.recv()]
    finally:
        clients.join(30)
        if clients.is_alive():
            clients.kill()
    return latencies


# --------------------------------------------------------------------------- 4. pull


def pick_consultant(db: Database) -> Principal:
    """The first pure consultant of the demo by name."""
    from sqlalchemy import select

    with db.reader() as s:
        for staff in s.scalars(select(Staff).order_by(Staff.name)):
            if staff.roles == ["consultant"]:
                return Principal.of_staff(staff)
    raise SystemExit("the demo has no consultant")


def bench_pull(db: Database, who: Principal) -> tuple[float, int, float]:
    """Milliseconds of a whole pull from version 0 (every batch), the rows it sent, and
    milliseconds of a pull since 50 versions ago; each the best of three."""
    whole, recent, rows = float("inf"), float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        since, rows = 0, 0
        while True:
            with db.reader() as s:
                batch = pull(s, who, since, API_SCHEMA_VERSION)
            rows += sum(len(changes) for changes in batch.changes.values())
            since = batch.version
            if not batch.has_more:
                break
        whole = min(whole, (time.perf_counter() - started) * 1000)
        with db.reader() as s:
            started = time.perf_counter()
            pull(s, who, max(0, current_version(s) - 50), API_SCHEMA_VERSION)
            recent = min(recent, (time.perf_counter() - started) * 1000)
    return whole, rows, recent


def bench_handover(
    db: Database, giver: Principal, count: int
) -> list[tuple[str, float, float, int, int]]:
    """Up to ``count`` of the giver's students handed to another consultant on the desktop; the
    pull since just before, for the giver and the receiver: (who, ms, ms without the scope
    check of :mod:`shared.scope_changes`, ids gone, rows sent), each the best of three."""
    from sqlalchemy import select

    from shared import scope_changes
    from shared.models import Order, Student, TrialLesson
    from shared.services.students import update_student

    with db.reader() as s:
        receiver = next(
            Principal.of_staff(staff)
            for staff in s.scalars(select(Staff).order_by(Staff.name))
            if staff.roles == ["consultant"] and staff.id != giver.staff_id
        )
        since = current_version(s)
        # Students who are the giver's only through consultant_id (no order or trial of
        # theirs), so that handing them over takes them out of the giver's scope.
        students = list(
            s.scalars(
                select(Student.id)
                .where(
                    Student.consultant_id == giver.staff_id,
                    Student.is_deleted.is_(False),
                    ~select(Order.id)
                    .where(Order.student_id == Student.id, Order.consultant_id == giver.staff_id)
                    .exists(),
                    ~select(TrialLesson.id)
                    .where(
                        TrialLesson.student_id == Student.id,
                        TrialLesson.consultant_id == giver.staff_id,
                    )
                    .exists(),
                )
                .order_by(Student.id)
                .limit(count)
            )
        )
    with db.unit_of_work() as s:
        for student_id in students:
            update_student(s, student_id, {"consultant_id": receiver.staff_id})
    figures = []
    real = scope_changes.scope_shift
    for name, who in (("giver", giver), ("receiver", receiver)):
        best = {True: float("inf"), False: float("inf")}
        for checked in (True, False, True, False, True, False):
            scope_changes.scope_shift = real if checked else lambda *a: scope_changes.ScopeShift()
            try:
                with db.reader() as s:
                    started = time.perf_counter()
                    result = pull(s, who, since, API_SCHEMA_VERSION)
                    best[checked] = min(best[checked], (time.perf_counter() - started) * 1000)
            finally:
                scope_changes.scope_shift = real
            if checked:
                gone = sum(len(ids) for ids in result.gone.values())
                rows = sum(len(changes) for changes in result.changes.values())
        figures.append((name, best[True], best[False], gone, rows))
    return figures


class GcPauses:
    """The cyclic collector's passes in this process while the block runs (a loop stall)."""

    def __enter__(self) -> GcPauses:
        self.pauses: list[float] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((time.perf_counter() - self._started) * 1000)

    def summary(self) -> str:
        longest = max(self.pauses, default=0.0)
        return f"{len(self.pauses)} GC passes, longest {longest:.1f} ms"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    path = folder / "campus.dabiao"
    print(f"building the small demo in {path} …", flush=True)
    build_demo(path, scale="small", seed=1, today=TODAY)
    db = open_database(path, create=False)
    teacher, parent_id = pick_teacher_and_parent(db)
    token = token_for(db, teacher.staff_id)
    server = SyncServer(db, host="127.0.0.1", port=0, mdns=False, clock=clock)
    server.start()
    base = server.urls[0]
    results: list[tuple[str, str, bool]] = []

    def report(name: str, text: str, ok: bool) -> None:
        results.append((name, text, ok))
        print(f"{name}: {text}  [{'ok' if ok else 'BELOW GOAL'}]", flush=True)

    try:
        # 1. push against raw sqlite3 on a copy of the same file (same size, same indexes)
        push_rate = asyncio.run(bench_push(base, token, parent_id, args.mutations))
        raw_path = folder / "raw.dabiao"
        db.backup_to(raw_path)
        raw_rate = bench_raw_inserts(
            raw_path, teacher.staff_id, teacher.campus_id, parent_id, args.mutations
        )
        direct_rate = bench_direct_push(db, teacher, parent_id, args.mutations)
        share = push_rate / raw_rate
        report(
            "push",
            f"{push_rate:.1f} mutations/s via HTTP vs {raw_rate:.0f} rows/s raw sqlite3 "
            f"= {share:.1%} (goal >= 25 %); sync_log.push called in-process: "
            f"{direct_rate:.1f}/s, so HTTP and the edge cost {1 - push_rate / direct_rate:.0%}",
            share >= 0.25,
        )

        # 2. /api/me/tasks against a bare handler with a body of the same size, once the
        # file watch has seen the last pushes (no commit happens during the measurement)
        time.sleep(1.0)
        headers = {"Authorization": f"Bearer {token}"}
        tasks_url = f"{base}/api/me/tasks?week={TODAY.isoformat()}"

        async def body_of_tasks() -> bytes:
            async with (
                aiohttp.ClientSession() as http,
                http.get(tasks_url, headers=headers) as response,
            ):
                return await response.read()

        bare = BareServer(asyncio.run(body_of_tasks()))
        bare.start()
        try:
            measure: Callable[[str], Awaitable[float]] = lambda url: requests_per_second(  # noqa: E731
                url, headers, args.requests
            )
            tasks_rps = asyncio.run(measure(tasks_url))
            bare_rps = asyncio.run(measure(f"http://127.0.0.1:{bare.port}/bare"))
            # The same with every answer computed afresh (as right after each commit).
            cache = server.app[CONTEXT].cache
            cache.enabled = False
            uncached_rps = asyncio.run(measure(tasks_url))
            cache.enabled = True
        finally:
            bare.stop()
        share = tasks_rps / bare_rps
        report(
            "GET /api/me/tasks",
            f"{tasks_rps:.0f} req/s vs bare aiohttp JSON {bare_rps:.0f} req/s = {share:.0%} "
            f"(goal >= 30 %); computed afresh every time: {uncached_rps:.0f} req/s "
            f"= {uncached_rps / bare_rps:.1%}",
            share >= 0.30,
        )

        # 3. poke latency with many sockets
        tokens = [token_for(db, teacher.staff_id) for _ in range(args.clients)]
        with GcPauses() as pauses:
            latencies = bench_pokes(server, tokens, args.rounds)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        report(
            f"poke latency, {args.clients} sockets",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms over "
            f"{len(latencies)} deliveries (goal p99 <= 50 ms); meanwhile {pauses.summary()}",
            p99 <= 50,
        )

        # 4. pull, in-process (no goal: a first sync and the pull after a poke)
        for name, who in (("teacher", teacher), ("consultant", pick_consultant(db))):
            whole, rows, recent = bench_pull(db, who)
            report(
                f"pull, {name}",
                f"everything {whole:.0f} ms ({rows} rows); since 50 versions ago {recent:.1f} ms",
                True,
            )
        # 5. pull after the desktop hands 5 students to another consultant (no goal): what
        # the scope check (gone ids, rows that came into view) adds to the pull after a poke
        for name, ms, unchecked, gone, rows in bench_handover(db, pick_consultant(db), 5):
            report(
                f"pull after a handover of 5 students, {name}",
                f"{ms:.1f} ms ({gone} ids gone, {rows} rows sent); "
                f"without the scope check {unchecked:.1f} ms",
                True,
            )
    finally:
        server.stop()
        db.close()
    return 0 if all(ok for _, _, ok in results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
