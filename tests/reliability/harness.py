"""The crash and network trials' parts: a campus, a ``dabiao serve`` process, phones, a verifier.

* :func:`prepare_campus` builds the small demo campus (today: Shanghai's today, so the phones'
  dates pass the server's real clock) and gives four staff members a paired device each,
  with the rows each of them may write about.
* :class:`ServerProcess` runs ``python -m desktop.cli serve`` on 127.0.0.1 (a new port each
  start), reads its URL from stdout, kills it with SIGKILL and starts it again on the file.
* :class:`Phone` is a phone's outbox as the phone client keeps it: mutations numbered
  1, 2, 3… pushed in order, retried with backoff on every network error, timeout or 5xx, and
  dropped from the outbox only when the server has answered for them. It survives the
  server: it lives in the test process.
* :func:`verify` opens the file read-only (the server being dead or alive) and proves that
  every mutation the server acknowledged is there exactly once, that the sync log's
  ``last_mutation_id`` of every phone agrees with the rows (a mutation is on disk iff it is
  counted), and that ``PRAGMA integrity_check`` says ``ok``.

Every mutation is an append with a marker of its own (``可靠性 <client>#<id>``) in its text, so
the verifier can count rows by marker and find a row written twice under two ids too.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from shared.auth import Principal, create_pairing_token, redeem_pairing_token
from shared.db import check_database, open_database
from shared.demo import build_demo
from shared.models import (
    Attendance,
    Lesson,
    LessonStatus,
    LessonStudent,
    Parent,
    Staff,
    Stage,
    Student,
)
from shared.periods import today_local
from shared.permissions import scope_clause
from shared.sync_log import API_SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "reliability"
MARKER = "可靠性"

# --------------------------------------------------------------------------- the campus


@dataclass
class PhonePlan:
    """One staff member's paired phone and the rows its mutations may name."""

    staff_name: str
    staff_id: str
    token: str
    parents: list[str]
    students: list[str]
    stages: list[str]
    # Unmarked (lesson, student) pairs of this person's lessons, disjoint between phones.
    marks: list[tuple[str, str]]


def _visible(session: Any, p: Principal, model: type, *where: Any) -> list[str]:
    return list(
        session.scalars(
            select(model.id)
            .where(scope_clause(session, p, model), model.is_deleted.is_(False), *where)
            .order_by(model.id)
        )
    )


def build_campus(path: Path) -> Path:
    """The small demo campus at ``path``, its last day of history today in Shanghai."""
    build_demo(path, scale="small", seed=1, today=today_local())
    return path


def prepare_campus(path: Path) -> list[PhonePlan]:
    """Build the small demo at ``path`` and pair the phones (:func:`prepare_campus_plans`)."""
    return prepare_campus_plans(build_campus(path))


def prepare_campus_plans(path: Path) -> list[PhonePlan]:
    """Pair a phone for a manager, two teachers and a consultant of the demo at ``path`` (the
    desktop's QR code pairing, done directly on the file), with the rows each may name."""
    now = datetime.now(UTC)
    db = open_database(path, create=False)
    plans: list[PhonePlan] = []
    try:
        with db.unit_of_work() as s:
            staff = list(
                s.scalars(select(Staff).where(Staff.is_deleted.is_(False)).order_by(Staff.name))
            )
            manager = next(x for x in staff if x.has_role("manager"))
            teachers = [x for x in staff if x.roles == ["teacher"]][:2]
            consultant = next(x for x in staff if x.roles == ["consultant"])
            taken: set[tuple[str, str]] = set()
            for person in (manager, *teachers, consultant):
                p = Principal.of_staff(person)
                ticket = create_pairing_token(s, staff_id=person.id, now=now)
                token = redeem_pairing_token(
                    s, token=ticket.token, device_name="可靠性测试手机", now=now
                ).token
                marks: list[tuple[str, str]] = []
                if person.has_role("teacher"):
                    # Their own lessons not yet marked, not cancelled, each enrolled student.
                    rows = s.execute(
                        select(LessonStudent.lesson_id, LessonStudent.student_id)
                        .join(Lesson, Lesson.id == LessonStudent.lesson_id)
                        .where(
                            Lesson.teacher_id == person.id,
                            Lesson.is_deleted.is_(False),
                            Lesson.status != LessonStatus.CANCELLED,
                            LessonStudent.is_deleted.is_(False),
                            ~select(Attendance.id)
                            .where(
                                Attendance.lesson_id == LessonStudent.lesson_id,
                                Attendance.student_id == LessonStudent.student_id,
                            )
                            .exists(),
                        )
                        .order_by(Lesson.lesson_on, LessonStudent.id)
                    ).all()
                    marks = [(lesson, student) for lesson, student in rows]
                    marks = [m for m in marks if m not in taken]
                    taken.update(marks)
                plans.append(
                    PhonePlan(
                        staff_name=person.name,
                        staff_id=person.id,
                        token=token,
                        parents=_visible(s, p, Parent),
                        students=_visible(s, p, Student),
                        stages=list(
                            s.scalars(
                                select(Stage.id).where(
                                    Stage.campus_id == person.campus_id,
                                    Stage.active.is_(True),
                                    Stage.is_deleted.is_(False),
                                )
                            )
                        ),
                        marks=marks,
                    )
                )
    finally:
        db.close()
    return plans


# --------------------------------------------------------------------------- the server


class ServerProcess:
    """``dabiao serve`` as a separate process on one database file."""

    def __init__(self, db_path: Path, log_path: Path) -> None:
        self.db_path = db_path
        self.log_path = log_path
        self.url: str | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0

    def _spawn_args(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "desktop.cli",
            "serve",
            "--db",
            str(self.db_path),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-mdns",
        ]

    async def _spawn(self) -> asyncio.subprocess.Process:
        assert self.process is None, "the server is already running"
        with self.log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *self._spawn_args(),
                cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        self.process = process
        self.starts += 1
        return process

    async def start(self, timeout: float = 60) -> str:
        """Start the server and wait for the URL it prints; fail if it exits or stays silent."""
        process = await self._spawn()
        assert process.stdout is not None
        lines: list[str] = []

        async def read_url() -> str:
            while True:
                raw = await process.stdout.readline()
                if not raw:
                    code = await process.wait()
                    raise AssertionError(
                        f"dabiao serve exited ({code}) without a URL: {lines!r}; "
                        f"stderr: {self.stderr_tail()}"
                    )
                line = raw.decode("utf-8", "replace").strip()
                lines.append(line)
                if line.startswith("http://"):
                    return line

        try:
            self.url = await asyncio.wait_for(read_url(), timeout)
        except TimeoutError:
            await self._reap(process)
            raise AssertionError(f"dabiao serve printed no URL in {timeout} s: {lines!r}") from None
        except BaseException:
            await self._reap(process)
            raise
        return self.url

    async def _reap(self, process: asyncio.subprocess.Process) -> None:
        """Forget a process that failed to start, killing it if it still runs."""
        self.process = None
        if process.returncode is None:
            process.kill()
        await process.wait()

    async def kill(self) -> None:
        """SIGKILL the process (no chance to close anything) and reap it."""
        process, self.process, self.url = self.process, None, None
        assert process is not None
        process.send_signal(signal.SIGKILL)
        code = await process.wait()
        assert code == -signal.SIGKILL, f"the server had already exited ({code})"
        self.kills += 1

    async def kill_while_starting(self, after: float) -> None:
        """Start the process and SIGKILL it ``after`` seconds later, ready or not."""
        process = await self._spawn()
        await asyncio.sleep(after)
        self.process = None
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        code = await process.wait()
        assert code in (-signal.SIGKILL, 0), f"dabiao serve failed to start ({code})"
        self.kills += 1

    async def stop(self, timeout: float = 60) -> None:
        """SIGTERM, as Ctrl-C would: the server closes the file whole and exits 0."""
        process, self.process, self.url = self.process, None, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout)
        assert code == 0, f"dabiao serve exited {code} on SIGTERM: {self.stderr_tail()}"

    def stderr_tail(self, chars: int = 3000) -> str:
        """The end of everything the server processes wrote to stderr."""
        try:
            return self.log_path.read_text("utf-8", "replace")[-chars:]
        except FileNotFoundError:
            return ""


# --------------------------------------------------------------------------- phones


@dataclass
class Mutation:
    """One outbox entry and what the verifier looks for."""

    mutation_id: int
    name: str
    args: dict[str, Any]
    marker: str
    table: str
    row_id: str
    pair: tuple[str, str] | None = None  # attendance: (lesson, student)

    def wire(self) -> dict[str, Any]:
        return {"mutation_id": self.mutation_id, "name": self.name, "args": self.args}


@dataclass
class PhoneStats:
    """What one phone saw."""

    pushes: int = 0
    network_errors: int = 0
    server_errors: int = 0  # 5xx answers
    answers: Counter[str] = field(default_factory=Counter)  # per mutation status


class PhoneFailure(AssertionError):
    """The server answered something a correct server never answers to a correct phone."""


class Phone:
    """A phone's outbox: made offline or online, pushed in order, retried until answered."""

    def __init__(
        self,
        plan: PhonePlan,
        base: Callable[[], str | None],
        rng: random.Random,
        *,
        host: Callable[[], str | None] | None = None,
        timeout: float = 3.0,
        max_batch: int = 6,
    ) -> None:
        self.plan = plan
        self.base = base
        self.host = host
        self.rng = rng
        self.timeout = timeout
        self.max_batch = max_batch
        self.client_id = uuid.UUID(int=rng.getrandbits(128)).hex
        self.made: dict[int, Mutation] = {}
        self.outbox: list[Mutation] = []
        self.acked: dict[int, str] = {}  # mutation id → the server's answer
        self.stats = PhoneStats()
        self.failure: str | None = None
        self._marks = list(plan.marks)

    # ----------------------------------------------------------------- making mutations

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def make(self) -> Mutation:
        """Put one new append in the outbox (as a person typing on the phone does)."""
        mid = len(self.made) + 1
        marker = f"{MARKER} {self.client_id[:12]}#{mid}"
        day = today_local().isoformat()
        kinds = ["communication", "growth", "stage"]
        if self._marks:
            kinds.append("attendance")
        if not self.plan.students:
            kinds.remove("growth")
        if not self.plan.parents:
            kinds.remove("communication")
        kind = self.rng.choice(kinds)
        row_id = self._new_id()
        if kind == "communication":
            m = Mutation(
                mid,
                "add_communication",
                {
                    "id": row_id,
                    "parent_id": self.rng.choice(self.plan.parents),
                    "occurred_on": day,
                    "channel": self.rng.choice(["电话", "微信", "面谈"]),
                    "content": marker,
                },
                marker,
                "communication_records",
                row_id,
            )
        elif kind == "growth":
            m = Mutation(
                mid,
                "add_growth_record",
                {
                    "id": row_id,
                    "student_id": self.rng.choice(self.plan.students),
                    "recorded_on": day,
                    "progress": self.rng.randint(1, 5),
                    "focus": self.rng.randint(1, 5),
                    "performance": self.rng.randint(1, 5),
                    "learning_ability": self.rng.randint(1, 5),
                    "mastery": self.rng.randint(1, 5),
                    "comment": marker,
                },
                marker,
                "growth_records",
                row_id,
            )
        elif kind == "stage":
            m = Mutation(
                mid,
                "log_stage_activity",
                {
                    "id": row_id,
                    "stage_id": self.rng.choice(self.plan.stages),
                    "occurred_on": day,
                    "note": marker,
                },
                marker,
                "stage_activities",
                row_id,
            )
        else:
            lesson, student = self._marks.pop(0)
            m = Mutation(
                mid,
                "mark_attendance",
                {
                    "lesson_id": lesson,
                    "marks": [
                        {
                            "student_id": student,
                            "status": self.rng.choice(["present", "leave", "absent"]),
                            "attendance_id": row_id,
                            "note": marker,
                        }
                    ],
                },
                marker,
                "attendance",
                row_id,
                (lesson, student),
            )
        self.made[mid] = m
        self.outbox.append(m)
        return m

    # ----------------------------------------------------------------- pushing

    async def push_once(self, http: aiohttp.ClientSession) -> bool:
        """Push the head of the outbox; True when the server answered for it."""
        base = self.base()
        if base is None:
            self.stats.network_errors += 1
            return False
        batch = self.outbox[: self.rng.randint(1, self.max_batch)]
        body = {
            "client_id": self.client_id,
            "schema_version": API_SCHEMA_VERSION,
            "mutations": [m.wire() for m in batch],
        }
        headers = {"Authorization": f"Bearer {self.plan.token}"}
        host = self.host() if self.host else None
        if host:
            headers["Host"] = host
        self.stats.pushes += 1
        try:
            async with http.post(
                base + "/api/push",
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            self.stats.network_errors += 1
            return False
        if status >= 500:
            self.stats.server_errors += 1
            return False
        try:
            answer = json.loads(text)
        except ValueError:
            # A body cut short that still looked complete to HTTP: never from this server.
            self.failure = f"undecodable {status} answer: {text[:200]!r}"
            raise PhoneFailure(self.failure) from None
        if status != 200:
            self.failure = f"push answered {status}: {text[:500]}"
            raise PhoneFailure(self.failure)
        results = answer["results"]
        if [r["mutation_id"] for r in results] != [m.mutation_id for m in batch]:
            self.failure = f"answers for other mutations than pushed: {text[:500]}"
            raise PhoneFailure(self.failure)
        for result in results:
            self.stats.answers[result["status"]] += 1
            if result["status"] == "rejected":
                self.failure = f"mutation {result['mutation_id']} rejected: {result['error']}"
                raise PhoneFailure(self.failure)
            self.acked[result["mutation_id"]] = result["status"]
        del self.outbox[: len(batch)]
        return True

    async def run(
        self,
        http: aiohttp.ClientSession,
        making: asyncio.Event,
        stop: asyncio.Event,
        *,
        make_chance: float = 0.5,
    ) -> None:
        """Make mutations while ``making`` is set; push until ``stop`` is set and the outbox
        is empty. Backoff after a failure: 50 ms doubling to 1 s, with jitter."""
        backoff = 0.05
        while True:
            if making.is_set() and self.rng.random() < make_chance:
                for _ in range(self.rng.randint(1, 3)):
                    self.make()
            if not self.outbox:
                if stop.is_set():
                    return
                await asyncio.sleep(self.rng.uniform(0.01, 0.08))
                continue
            if await self.push_once(http):
                backoff = 0.05
                await asyncio.sleep(self.rng.uniform(0, 0.03))
            else:
                await asyncio.sleep(backoff * self.rng.uniform(0.5, 1.5))
                backoff = min(backoff * 2, 1.0)


# --------------------------------------------------------------------------- the verifier


@dataclass
class Verdict:
    """What one look at the file found."""

    integrity: list[str]
    acknowledged: int  # mutations the server answered for, over all phones
    counted: int  # mutations the sync log counts (sum of last_mutation_id)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    uncounted: list[str] = field(default_factory=list)  # on disk but not counted

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not (self.lost or self.duplicated or self.uncounted)

    def describe(self) -> str:
        return (
            f"integrity={self.integrity} lost={self.lost[:10]} duplicated={self.duplicated[:10]}"
            f" uncounted={self.uncounted[:10]}"
        )


def _guid(value: str) -> bytes:
    return uuid.UUID(value).bytes


_MARKED = {
    "communication_records": "content",
    "growth_records": "comment",
    "stage_activities": "note",
    "attendance": "note",
}


def verify(path: Path, phones: list[Phone], *, final: bool = False) -> Verdict:
    """Look at the file read-only: integrity, and every phone's mutations against the rows.

    The server may be dead (after a kill) or running (the rows and counts are read in one
    transaction, so they agree with each other).

    For each phone, the sync log's ``last_mutation_id`` L must be at least every id the
    server acknowledged, each mutation 1..L must have exactly one row (by marker, with the
    phone's id, an attendance mark as the one row of its lesson and student), and no
    mutation above L may have a row. ``final``: every mutation made must be counted.
    """
    report = check_database(path)
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30, isolation_level=None
    )
    try:
        # One read transaction: a server still running commits between statements, and the
        # rows and the counts must come from the same moment.
        conn.execute("BEGIN")
        rows_by_marker: dict[str, list[tuple[str, bytes]]] = {}
        for table, column in _MARKED.items():
            for row_id, text in conn.execute(
                f"SELECT id, {column} FROM {table} WHERE {column} LIKE ?", (f"{MARKER} %",)
            ):
                rows_by_marker.setdefault(text, []).append((table, row_id))
        last = dict(conn.execute("SELECT client_id, last_mutation_id FROM sync_clients"))
        pair_counts: dict[tuple[bytes, bytes], int] = {}
        for phone in phones:
            for m in phone.made.values():
                if m.pair is not None:
                    key = (_guid(m.pair[0]), _guid(m.pair[1]))
                    pair_counts[key] = conn.execute(
                        "SELECT count(*) FROM attendance WHERE lesson_id = ? AND student_id = ?",
                        key,
                    ).fetchone()[0]
        conn.execute("COMMIT")
    finally:
        conn.close()
    verdict = Verdict(
        integrity=report.integrity if report.foreign_key_errors == 0 else ["foreign keys"],
        acknowledged=sum(len(p.acked) for p in phones),
        counted=0,
    )
    for phone in phones:
        counted = last.get(phone.client_id, 0)
        verdict.counted += counted
        for mid, m in phone.made.items():
            rows = rows_by_marker.get(m.marker, [])
            label = f"{phone.plan.staff_name}#{mid}({m.name})"
            if mid in phone.acked and mid > counted:
                verdict.lost.append(f"{label}: acknowledged, sync log counts only {counted}")
            if mid <= counted or mid in phone.acked:
                if not rows:
                    verdict.lost.append(f"{label}: no row")
                elif len(rows) > 1:
                    verdict.duplicated.append(f"{label}: {len(rows)} rows")
                elif rows[0] != (m.table, _guid(m.row_id)):
                    verdict.duplicated.append(f"{label}: a row under another id")
                elif m.pair is not None and pair_counts[_pair_key(m)] != 1:
                    verdict.duplicated.append(f"{label}: {pair_counts[_pair_key(m)]} marks")
            elif rows:
                verdict.uncounted.append(f"{label}: a row, but the sync log counts {counted}")
            if final and mid > counted:
                verdict.lost.append(f"{label}: never counted")
    return verdict


def _pair_key(m: Mutation) -> tuple[bytes, bytes]:
    assert m.pair is not None
    return (_guid(m.pair[0]), _guid(m.pair[1]))


# --------------------------------------------------------------------------- summaries


@dataclass
class Summary:
    """A trial's figures, printed and written to artifacts/reliability/<name>.json."""

    name: str
    seed: int
    trials: int = 0  # kills (crash) or proxied connections (network)
    kills: int = 0
    restarts: int = 0
    mutations_made: int = 0
    mutations_acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    integrity_checks_passed: int = 0
    integrity_checks: int = 0
    pushes: int = 0
    network_errors: int = 0
    server_errors: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def add_phones(self, phones: list[Phone]) -> None:
        answers: Counter[str] = Counter()
        for phone in phones:
            self.mutations_made += len(phone.made)
            self.mutations_acknowledged += len(phone.acked)
            self.pushes += phone.stats.pushes
            self.network_errors += phone.stats.network_errors
            self.server_errors += phone.stats.server_errors
            answers.update(phone.stats.answers)
        self.answers = dict(answers)

    def write(self) -> Path:
        """Print the figures and write them as JSON; return the file."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / f"{self.name}.json"
        data = asdict(self)
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"\n{self.name}: " + json.dumps(data, ensure_ascii=False), flush=True)
        return out


class Clock:
    """Seconds since the trial began."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self) -> float:
        return round(time.monotonic() - self.started, 1)


# --------------------------------------------------------------------------- the trials


async def _drain(phones: list[Phone], tasks: list[asyncio.Task[None]], timeout: float) -> None:
    """Wait for every phone's outbox to empty (the phones stop once it has)."""
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        task.result()  # a PhoneFailure surfaces here
    if pending:
        for task in pending:
            task.cancel()
        left = {p.plan.staff_name: len(p.outbox) for p in phones}
        raise AssertionError(f"outboxes did not converge in {timeout} s: {left}")


def _check(verdict: Verdict, summary: Summary, when: str) -> None:
    summary.integrity_checks += 1
    if verdict.integrity == ["ok"]:
        summary.integrity_checks_passed += 1
    summary.lost += len(verdict.lost)
    summary.duplicated += len(verdict.duplicated) + len(verdict.uncounted)
    assert verdict.ok, f"{when}: {verdict.describe()}"


def _trial_campus(workdir: Path, campus: Path | None) -> tuple[Path, list[PhonePlan]]:
    """The trial's own campus file in ``workdir`` (a copy of ``campus``, else built) and the
    phones' plans on it."""
    path = workdir / "campus.dabiao"
    if campus is None:
        return path, prepare_campus(path)
    path.write_bytes(campus.read_bytes())
    return path, prepare_campus_plans(path)


async def crash_trial(
    workdir: Path,
    *,
    name: str,
    kills: int,
    seed: int,
    up_for: tuple[float, float] = (0.3, 2.0),
    startup_kill_chance: float = 0.15,
    campus: Path | None = None,
) -> Summary:
    """Phones push while ``dabiao serve`` is SIGKILLed ``kills`` times at random moments.

    After every kill the file is verified read-only before the server is started again on it
    (a new port; the phones follow the URL, as the desktop's QR code would tell them). Some
    kills land while the process is still starting. At the end the phones stop making
    mutations, their outboxes drain, the server stops with SIGTERM and the file is verified
    once more: everything made is there exactly once.
    """
    clock = Clock()
    print(f"\n{name}: seed {seed}", flush=True)
    rng = random.Random(seed)
    path, plans = _trial_campus(workdir, campus)
    server = ServerProcess(path, workdir / "server.log")
    summary = Summary(name=name, seed=seed)
    phones = [Phone(plan, lambda: server.url, random.Random(rng.random())) for plan in plans]
    making, stop = asyncio.Event(), asyncio.Event()
    making.set()
    async with aiohttp.ClientSession() as http:
        await server.start()
        tasks = [asyncio.create_task(p.run(http, making, stop)) for p in phones]
        try:
            for trial in range(kills):
                await asyncio.sleep(rng.uniform(*up_for))
                _raise_failures(tasks)
                if rng.random() < startup_kill_chance:
                    await server.kill()
                    await server.kill_while_starting(rng.uniform(0.0, 1.0))
                else:
                    await server.kill()
                verdict = verify(path, phones)
                _check(verdict, summary, f"after kill {trial + 1}")
                print(
                    f"  [{clock()} s] kill {trial + 1}/{kills}: acknowledged"
                    f" {verdict.acknowledged}, counted {verdict.counted}, integrity ok",
                    flush=True,
                )
                await server.start()
            making.clear()
            stop.set()
            await _drain(phones, tasks, timeout=120)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.stop()
    verdict = verify(path, phones, final=True)
    _check(verdict, summary, "at the end")
    _check_server_log(server)
    summary.trials = kills
    summary.kills = server.kills
    summary.restarts = server.starts - 1
    summary.add_phones(phones)
    assert summary.server_errors == 0, server.stderr_tail()
    summary.seconds = clock()
    return summary


async def network_trial(
    workdir: Path,
    *,
    name: str,
    seconds: float,
    seed: int,
    campus: Path | None = None,
) -> Summary:
    """Phones push through :class:`~tests.reliability.chaos_proxy.ChaosProxy` for
    ``seconds``; then the proxy calms down and every outbox must converge: each mutation
    made is on the server exactly once."""
    from .chaos_proxy import ChaosProxy

    clock = Clock()
    print(f"\n{name}: seed {seed}", flush=True)
    rng = random.Random(seed)
    path, plans = _trial_campus(workdir, campus)
    server = ServerProcess(path, workdir / "server.log")
    summary = Summary(name=name, seed=seed)
    await server.start()
    proxy = ChaosProxy(lambda: _host_port(server.url), seed)
    await proxy.start()
    phones = [
        Phone(
            plan,
            lambda: proxy.url,
            random.Random(rng.random()),
            host=lambda: server.url and server.url.removeprefix("http://"),
            timeout=1.5,
        )
        for plan in plans
    ]
    making, stop = asyncio.Event(), asyncio.Event()
    making.set()
    try:
        # Kept-alive connections would let one lucky connection carry most pushes.
        connector = aiohttp.TCPConnector(limit=8, keepalive_timeout=2)
        async with aiohttp.ClientSession(connector=connector) as http:
            tasks = [asyncio.create_task(p.run(http, making, stop)) for p in phones]
            try:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    await asyncio.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
                    _raise_failures(tasks)
                    # While the server writes: what it acknowledged so far is there.
                    _check(verify(path, phones), summary, f"at {clock()} s")
                    print(
                        f"  [{clock()} s] connections {proxy.connections}"
                        f" {dict(proxy.fates)}, acknowledged"
                        f" {sum(len(p.acked) for p in phones)}",
                        flush=True,
                    )
                making.clear()
                proxy.calm()
                stop.set()
                await _drain(phones, tasks, timeout=120)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await proxy.close()
        await server.stop()
    verdict = verify(path, phones, final=True)
    _check(verdict, summary, "at the end")
    _check_server_log(server)
    summary.trials = proxy.connections
    summary.extra = {"fates": dict(proxy.fates)}
    summary.add_phones(phones)
    assert summary.server_errors == 0, server.stderr_tail()
    summary.seconds = clock()
    return summary


def _host_port(url: str | None) -> tuple[str, int] | None:
    if url is None:
        return None
    host, _, port = url.removeprefix("http://").rpartition(":")
    return host, int(port)


def _raise_failures(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        if task.done():
            task.result()
            raise AssertionError("a phone stopped while it should still be pushing")


def _check_server_log(server: ServerProcess) -> None:
    log = server.stderr_tail(100_000)
    assert "Traceback" not in log and "sync.errors" not in log, log[-3000:]
