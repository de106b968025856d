"""Helpers of the abuse trials: a real ``dabiao serve`` process on 127.0.0.1, a well-behaved
phone that keeps measuring its own requests, raw sockets for slow and oversized requests, and
the figures each trial prints and writes to ``artifacts/reliability/``.

Nothing here talks to any address but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from shared import auth
from shared.db import HEAD_REVISION, open_database
from shared.models import Parent, Staff
from shared.periods import local_date_of
from shared.services.staff import reset_pin
from shared.sync_log import API_SCHEMA_VERSION

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "schemas" / f"{HEAD_REVISION}.dabiao"
ARTIFACTS = REPO_ROOT / "artifacts" / "reliability"
KNOWN_PIN = "246813"


@dataclass
class Campus:
    """The served campus: the file, the server's URL and the people the trials act as."""

    path: Path
    base: str = ""
    host: str = ""
    port: int = 0
    process: subprocess.Popen[str] | None = None
    tokens: dict[str, str] = field(default_factory=dict)  # role -> device token
    staff: dict[str, str] = field(default_factory=dict)  # role -> staff id
    people: list[str] = field(default_factory=list)  # others whose PIN is KNOWN_PIN
    parent_id: str = ""

    def rss_kib(self) -> int:
        """The server process's resident memory."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def open_fds(self) -> int:
        """How many file descriptors the server process holds (its sockets among them)."""
        assert self.process is not None
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


def prepare_campus(folder: Path) -> Campus:
    """A copy of the newest fixture with device tokens and a known PIN for the trials."""
    path = folder / "campus.dabiao"
    shutil.copyfile(FIXTURE, path)
    campus = Campus(path)
    now = datetime.now(UTC)
    db = open_database(path, create=False)
    try:
        with db.reader() as s:
            staff = list(s.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)))
            campus.parent_id = s.scalars(select(Parent.id).order_by(Parent.id)).first()
        manager = next(x for x in staff if x.has_role("manager"))
        others = [x for x in staff if x.id != manager.id]
        campus.staff = {"manager": manager.id, "bystander": others[0].id}
        campus.people = [x.id for x in others[1:]]
        with db.unit_of_work() as s:
            for staff_id in [campus.staff["bystander"], *campus.people]:
                reset_pin(s, staff_id, KNOWN_PIN)
            for role in ("manager",):
                ticket = auth.create_pairing_token(s, staff_id=campus.staff[role], now=now)
                campus.tokens[role] = auth.redeem_pairing_token(
                    s, token=ticket.token, device_name="试验手机", now=now
                ).token
    finally:
        db.close()
    return campus


@contextlib.contextmanager
def served(campus: Campus, log_path: Path) -> Iterator[Campus]:
    """``dabiao serve`` on 127.0.0.1 (a free port) for the duration; stopped with SIGTERM."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "w") as log:  # access lines go to a file: a full pipe would stall it
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "desktop.cli",
                "serve",
                "--db",
                str(campus.path),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-mdns",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                if line.strip().startswith("http://"):
                    campus.base = line.strip()
                    break
            assert campus.base, f"the server did not start: {log_path.read_text()[-2000:]}"
            campus.host, port = campus.base.removeprefix("http://").split(":")
            campus.port = int(port)
            campus.process = process
            yield campus
        finally:
            process.terminate()
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
            campus.process = None


# --------------------------------------------------------------------------- the probe


@dataclass
class Latencies:
    """The well-behaved phone's requests in one phase: latency in ms, and what failed."""

    ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Count, median, p95 and worst, in ms."""
        ms = sorted(self.ms)
        if not ms:
            return {"requests": 0, "failures": len(self.failures)}
        p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
        return {
            "requests": len(ms),
            "failures": len(self.failures),
            "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(ms[-1], 1),
        }


class Probe:
    """A well-behaved phone: push one 沟通记录, read its tasks, pull; again and again."""

    def __init__(self, campus: Campus, http: aiohttp.ClientSession) -> None:
        self.campus = campus
        self.http = http
        self.headers = {"Authorization": f"Bearer {campus.tokens['manager']}"}
        self.client_id = uuid.uuid4().hex
        self.mutation_id = 0
        self.version = 0
        self.pushed_ids: list[str] = []

    async def _timed(self, phase: Latencies, method: str, path: str, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            async with self.http.request(
                method,
                self.campus.base + path,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=30),
                **kw,
            ) as response:
                body = await response.read()
                if response.status != 200:
                    phase.failures.append(f"{method} {path}: {response.status} {body[:200]!r}")
                    return None
                phase.ms.append((time.perf_counter() - started) * 1000)
                return json.loads(body)
        except (aiohttp.ClientError, TimeoutError) as exc:
            phase.failures.append(f"{method} {path}: {type(exc).__name__} {exc}")
            return None

    async def one_round(self, phase: Latencies) -> None:
        """One push, one cached-or-not read, one pull."""
        self.mutation_id += 1
        row_id = str(uuid.uuid4())
        today = local_date_of(datetime.now(UTC)).isoformat()
        body = {
            "client_id": self.client_id,
            "schema_version": API_SCHEMA_VERSION,
            "mutations": [
                {
                    "mutation_id": self.mutation_id,
                    "name": "add_communication",
                    "args": {
                        "id": row_id,
                        "parent_id": self.campus.parent_id,
                        "occurred_on": today,
                        "channel": "微信",
                        "content": "试验期间的正常记录",
                    },
                }
            ],
        }
        answer = await self._timed(phase, "POST", "/api/push", json=body)
        if answer is not None and answer["results"][0]["status"] == "applied":
            self.pushed_ids.append(row_id)
        else:
            self.mutation_id -= 1  # resend the same number next round (the outbox rule)
        await self._timed(phase, "GET", "/api/me/tasks")
        pulled = await self._timed(
            phase, "GET", f"/api/pull?since={self.version}&schema_version={API_SCHEMA_VERSION}"
        )
        if pulled is not None:
            self.version = pulled.get("version", self.version)

    async def run(self, phase: Latencies, seconds: float, pause: float = 0.05) -> None:
        """Keep going for ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self.one_round(phase)
            await asyncio.sleep(pause)


@contextlib.asynccontextmanager
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client with room for many connections."""
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as http:
        yield http


async def measured(
    campus: Campus, attack: Any, *, quiet_seconds: float, name: str
) -> tuple[dict[str, Any], Any]:
    """Measure the probe quietly, then while ``attack`` (a coroutine) runs; return figures."""
    async with client() as http:
        probe = Probe(campus, http)
        quiet = Latencies()
        await probe.run(quiet, quiet_seconds)
        loud = Latencies()
        rss_before = campus.rss_kib()
        task = asyncio.ensure_future(attack)
        while not task.done():
            await probe.one_round(loud)
            await asyncio.sleep(0.05)
        attack_result = task.result()
        after = Latencies()
        await probe.run(after, 1.0)
    figures = {
        "trial": name,
        "quiet": quiet.summary(),
        "under_attack": loud.summary(),
        "after": after.summary(),
        "probe_failures": (quiet.failures + loud.failures + after.failures)[:20],
        "server_rss_kib_before": rss_before,
        "server_rss_kib_after": campus.rss_kib(),
        "pushed": len(probe.pushed_ids),
    }
    return figures, attack_result


def record(name: str, figures: dict[str, Any]) -> None:
    """Print the figures and write ``artifacts/reliability/<name>.json``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    (ARTIFACTS / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"\n{name}: {json.dumps(figures, ensure_ascii=False)}")


def assert_kept_answering(figures: dict[str, Any], bound_s: float = 10.0) -> None:
    """Every probe request succeeded, each within a generous bound."""
    assert not figures["probe_failures"], figures["probe_failures"]
    for phase in ("quiet", "under_attack", "after"):
        summary = figures[phase]
        assert summary["requests"] > 0, f"the probe made no request {phase}"
        assert summary["max_ms"] < bound_s * 1000, (phase, summary)


# --------------------------------------------------------------------------- raw sockets


async def raw_request(
    campus: Campus, head: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a socket and send ``head`` (request line and headers, CRLF-joined)."""
    reader, writer = await asyncio.open_connection(campus.host, campus.port)
    writer.write(head.encode())
    await writer.drain()
    return reader, writer


def request_head(campus: Campus, method: str, path: str, headers: dict[str, str]) -> str:
    """An HTTP/1.1 request head for 127.0.0.1."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {campus.host}:{campus.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


async def read_response(reader: asyncio.StreamReader, timeout: float) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response (Content-Length bodies)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await asyncio.wait_for(reader.readexactly(length), timeout) if length else b""
    return status, body
