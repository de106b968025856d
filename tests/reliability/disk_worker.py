"""The child process of the disk trials (``tests/reliability/test_disk.py``).

Run as ``python -m tests.reliability.disk_worker SCENARIO WORKDIR FIXTURE``; it prints one JSON
report as its last line of output and the test checks it. It plays Dabiao's two writers on one
campus file at once, the way the desktop runs them: the desktop's own write path
(:class:`desktop.operations.Operations` on a worker thread, with its error box, offscreen) and
a phone pushing its outbox to the real LAN server on 127.0.0.1.

``full``: the test started this process inside its own user and mount namespace
(``unshare --user --map-root-user --mount``), so it mounts a small tmpfs of its own as "the
disk", fills it with a file, writes until the disk refuses, frees the space and writes again;
at the end it fills the disk once more and closes the file, which must not fail either.

``readonly``: the file is made read-only (chmod 0444; the test drops root's override with
``setpriv``) while Dabiao has it open. A connection opened before the change keeps its write
access (the OS checks modes at open), so the writes that must fail are the ones on a
connection opened after it: the pool opens one when its open connection is busy, here with a
read snapshot the desktop holds. Then the mode is restored and the next writes succeed in the
same session, without a restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from desktop.operations import Operations  # noqa: E402
from shared import auth  # noqa: E402
from shared.db import Database, check_database, open_database  # noqa: E402
from shared.models import Campus, CommunicationRecord, Parent, Staff, Student  # noqa: E402
from shared.services.students import create_student  # noqa: E402
from shared.sync_log import API_SCHEMA_VERSION  # noqa: E402
from sync.server import SyncServer  # noqa: E402

# The fixture's demo "today" (scripts/make_schema_fixture.py) and noon there.
TODAY = date(2026, 3, 18)
NOW = datetime(2026, 3, 18, 4, 0, tzinfo=UTC)
STUDENTS_PER_WRITE = 5  # one desktop write adds this many students: all or none must land
DISK_BYTES = 6 << 20


# --------------------------------------------------------------------------- the phone


class Phone:
    """A phone with an outbox: numbered mutations, sent in order until acknowledged."""

    def __init__(self, base: str, token: str, parent_id: str) -> None:
        self.base = base
        self.token = token
        self.parent_id = parent_id
        self.client_id = uuid.uuid4().hex
        self.outbox: list[dict[str, Any]] = []
        self.acked: dict[int, str] = {}  # mutation id -> the communication's row id
        self.next_id = 1

    def add(self) -> None:
        """Queue one 沟通记录 (a new row with the phone's own id)."""
        row_id = str(uuid.uuid4())
        self.outbox.append(
            {
                "mutation_id": self.next_id,
                "name": "add_communication",
                "args": {
                    "id": row_id,
                    "parent_id": self.parent_id,
                    "occurred_on": TODAY.isoformat(),
                    "channel": "电话",
                    "content": f"满盘试验第 {self.next_id} 条：" + "家长反馈孩子练习认真。" * 40,
                },
            }
        )
        self.next_id += 1

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One HTTP request to the server; (status, decoded JSON or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None

    def push(self) -> dict[str, Any]:
        """Send the outbox; drop what the server acknowledged; report what happened."""
        status, body = self.request(
            "POST",
            "/api/push",
            {
                "client_id": self.client_id,
                "schema_version": API_SCHEMA_VERSION,
                "mutations": self.outbox,
            },
        )
        outcome: dict[str, Any] = {
            "status": status,
            "sent": [m["mutation_id"] for m in self.outbox],
        }
        if status == 200:
            outcome["results"] = [r["status"] for r in body["results"]]
            for mutation, result in zip(self.outbox, body["results"], strict=True):
                assert result["status"] in ("applied", "duplicate"), result
                self.acked[mutation["mutation_id"]] = mutation["args"]["id"]
            self.outbox = []
        else:
            outcome["error"] = body.get("error") if isinstance(body, dict) else None
            outcome["raw"] = None if isinstance(body, dict) else str(body)[:300]
        return outcome


# --------------------------------------------------------------------------- the desktop


class Desktop:
    """The desktop's write path: Operations on a worker thread, errors in a message box."""

    def __init__(self, db: Database, campus_id: str) -> None:
        self.app = QApplication.instance() or QApplication([])
        self.ops = Operations(db)
        self.campus_id = campus_id
        self.saved: list[str] = []  # name prefixes of writes that committed
        self.write_no = 0

    def write(self, again: str | None = None) -> dict[str, Any]:
        """Add a family of students in one write (``again``: the same as a refused one);
        report the result or the error box shown."""
        self.write_no += 1
        prefix = again or f"满盘学员{self.write_no:03d}-"
        campus_id = self.campus_id

        def add(session: Session) -> int:
            for k in range(STUDENTS_PER_WRITE):
                create_student(
                    session,
                    campus_id=campus_id,
                    name=f"{prefix}{k}",
                    notes="试听后家长很满意，准备报名钢琴一对一。" * 30,
                    today=TODAY,
                )
            return STUDENTS_PER_WRITE

        done: list[int] = []
        self.ops.write(add, done.append, label="保存学员")
        assert self.ops.wait_idle(60_000), "the desktop write did not finish"
        self.app.processEvents()
        outcome: dict[str, Any] = {"prefix": prefix, "saved": bool(done)}
        if done:
            self.saved.append(prefix)
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ]
        if boxes:
            box = boxes[-1]
            outcome["box"] = {
                "name": box.objectName(),
                "title": box.windowTitle(),
                "text": box.text(),
                "warning": box.icon() == QMessageBox.Icon.Warning,
                "details": box.detailedText(),
            }
            for b in boxes:
                b.close()
            self.app.processEvents()
        return outcome


# --------------------------------------------------------------------------- helpers


def _count_students(db: Database, prefix: str) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).where(Student.name.startswith(prefix))) or 0


def _count_communications(db: Database, ids: list[str]) -> dict[str, int]:
    with db.reader() as s:
        rows = s.execute(
            select(CommunicationRecord.id, func.count())
            .where(CommunicationRecord.id.in_(ids))
            .group_by(CommunicationRecord.id)
        ).all()
    counts = {row_id: 0 for row_id in ids}
    counts.update({row_id: n for row_id, n in rows})
    return counts


def _setup(path: Path) -> tuple[Database, SyncServer, Phone, Desktop]:
    db = open_database(path, create=False)
    with db.reader() as s:
        campus_id = s.scalars(select(Campus.id)).one()
        manager = next(x for x in s.scalars(select(Staff)) if x.has_role("manager"))
        parent_id = s.scalars(select(Parent.id).order_by(Parent.id)).first()
    with db.unit_of_work() as s:
        ticket = auth.create_pairing_token(s, staff_id=manager.id, now=NOW)
        token = auth.redeem_pairing_token(s, token=ticket.token, device_name="试验手机", now=NOW)
    server = SyncServer(
        db,
        host="127.0.0.1",
        port=0,
        mdns=False,
        static_dir=None,
        clock=lambda: NOW,
        freeze_gc=False,
    )
    server.start()
    return db, server, Phone(server.urls[0], token.token, parent_id), Desktop(db, campus_id)


def _fill(folder: Path) -> int:
    """Write a filler file until the disk refuses; return how many bytes it took."""
    written = 0
    with open(folder / "filler.bin", "ab", buffering=0) as fh:
        # Big chunks, then ever smaller ones: leave truly nothing free.
        for size in (1 << 16, 4096, 512, 1):
            chunk = b"\0" * size
            with contextlib.suppress(OSError):
                while True:
                    written += fh.write(chunk) or 0
    return written


def _until_refused(
    step: Callable[[], dict[str, Any]], refused: Callable[[dict[str, Any]], bool], limit: int = 60
) -> list[dict[str, Any]]:
    """Repeat ``step`` until its outcome is a refusal (or ``limit`` tries)."""
    outcomes = []
    for _ in range(limit):
        outcome = step()
        outcomes.append(outcome)
        if refused(outcome):
            break
    return outcomes


def _final_report(db: Database, phone: Phone, desktop: Desktop, report: dict[str, Any]) -> None:
    report["students"] = {p: _count_students(db, p) for p in desktop.saved}
    report["communications"] = _count_communications(db, list(phone.acked.values()))
    report["acked_mutations"] = len(phone.acked)
    report["saved_writes"] = len(desktop.saved)


# --------------------------------------------------------------------------- scenarios


def full(workdir: Path, fixture: Path) -> dict[str, Any]:
    """A disk that fills up while the desktop and a phone write (module docstring)."""
    disk = workdir / "disk"
    disk.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "dabiao-test-disk", str(disk)],
        check=True,
    )
    path = disk / "campus.dabiao"
    shutil.copyfile(fixture, path)
    report: dict[str, Any] = {"scenario": "full"}
    db, server, phone, desktop = _setup(path)
    try:
        # Before: both writers work.
        phone.add()
        phone.add()
        report["push_before"] = phone.push()
        report["write_before"] = desktop.write()

        report["filler_bytes"] = _fill(disk)
        report["writes_full"] = _until_refused(desktop.write, lambda o: not o["saved"])
        failed_prefix = report["writes_full"][-1]["prefix"]
        report["failed_write_rows"] = _count_students(db, failed_prefix)

        def push_one() -> dict[str, Any]:
            phone.add()
            return phone.push()

        report["pushes_full"] = _until_refused(push_one, lambda o: o["status"] != 200)
        report["outbox_kept"] = [m["mutation_id"] for m in phone.outbox]
        unacked_ids = [m["args"]["id"] for m in phone.outbox]
        report["unacked_rows"] = sum(_count_communications(db, unacked_ids).values())
        status, _ = phone.request("GET", "/api/me")
        report["read_while_full"] = status

        # Space freed: the same session writes again, and the outbox drains.
        (disk / "filler.bin").unlink()
        report["write_after"] = desktop.write(again=failed_prefix)
        report["push_after"] = phone.push()
        _final_report(db, phone, desktop, report)

        # Full again at closing time: closing must not fail, and nothing is lost.
        _fill(disk)
    finally:
        server.stop()
        try:
            db.close()
            report["close_when_full"] = "ok"
        except Exception as exc:  # reported, and the test fails on it
            report["close_when_full"] = f"{type(exc).__name__}: {exc}"
    (disk / "filler.bin").unlink()
    shutil.copyfile(path, workdir / "after.dabiao")
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            shutil.copyfile(side, workdir / f"after.dabiao{suffix}")
    report["check_in_place"] = check_database(path).ok
    return report


def readonly(workdir: Path, fixture: Path) -> dict[str, Any]:
    """A file made read-only while open (module docstring)."""
    path = workdir / "campus.dabiao"
    shutil.copyfile(fixture, path)
    report: dict[str, Any] = {"scenario": "readonly", "euid": os.geteuid()}
    db, server, phone, desktop = _setup(path)
    try:
        phone.add()
        report["push_before"] = phone.push()
        report["write_before"] = desktop.write()

        path.chmod(0o444)
        report["writable_now"] = os.access(path, os.W_OK)
        # The desktop's dashboard holds a read snapshot meanwhile: writers need a new connection.
        with db.reader() as snapshot:
            snapshot.execute(select(func.count()).select_from(Campus)).scalar()
            phone.add()
            report["push_ro"] = phone.push()
            report["write_ro"] = desktop.write()
        report["outbox_kept"] = [m["mutation_id"] for m in phone.outbox]
        unacked_ids = [m["args"]["id"] for m in phone.outbox]
        report["unacked_rows"] = sum(_count_communications(db, unacked_ids).values())
        report["failed_write_rows"] = _count_students(db, report["write_ro"]["prefix"])

        path.chmod(0o644)
        report["write_after"] = desktop.write(again=report["write_ro"]["prefix"])
        report["push_after"] = phone.push()
        _final_report(db, phone, desktop, report)
    finally:
        path.chmod(0o644)
        server.stop()
        db.close()
    report["check_in_place"] = check_database(path).ok
    shutil.copyfile(path, workdir / "after.dabiao")
    return report


SCENARIOS = {"full": full, "readonly": readonly}


def main() -> int:
    scenario, workdir, fixture = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    try:
        report = SCENARIOS[scenario](workdir, fixture)
    except BaseException:
        report = {"crashed": traceback.format_exc()}
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
