"""Helpers for the storage and CLI tests: real database files, damaged copies, subprocesses."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.db import open_database
from shared.models import Campus, new_id

REPO_ROOT = Path(__file__).resolve().parents[1]
SIDECARS = ("-wal", "-shm", "-journal")

# Capabilities that let root ignore file modes; without them chmod binds root too.
_ROOT_OVERRIDES = "-dac_override,-dac_read_search"


def make_campus_db(path: Path, rows: int = 300) -> list[str]:
    """Create a real, cleanly closed database holding ``rows`` campuses; return their ids."""
    ids = [new_id() for _ in range(rows)]
    db = open_database(path)
    try:
        with db.unit_of_work() as session:
            for n, campus_id in enumerate(ids):
                session.add(
                    Campus(
                        id=campus_id,
                        name=f"测试校区{n}",
                        code=f"C{n}",
                        address=f"幸福路 {n} 号，" + "教学楼" * 20,
                    )
                )
    finally:
        db.close()
    return ids


def campus_ids(path: Path) -> set[str]:
    """The campus ids stored in a database file, read with plain sqlite3."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {str(uuid.UUID(bytes=row[0])) for row in conn.execute("SELECT id FROM campuses")}
    finally:
        conn.close()


def integrity(path: Path) -> list[str]:
    """SQLite's full integrity check of a file (``["ok"]`` when sound)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def sidecars(path: Path) -> list[str]:
    """The names of the journal/WAL files that exist next to ``path``."""
    return [path.name + s for s in SIDECARS if path.with_name(path.name + s).exists()]


@dataclass(frozen=True)
class Fingerprint:
    """Everything about a file that must not change when it is refused."""

    sha256: str
    size: int
    mtime_ns: int
    sidecars: tuple[str, ...]


def fingerprint(path: Path) -> Fingerprint:
    """Hash, size, mtime and sidecar files of ``path``."""
    data = path.read_bytes()
    stat = path.stat()
    return Fingerprint(
        hashlib.sha256(data).hexdigest(), len(data), stat.st_mtime_ns, tuple(sidecars(path))
    )


def set_old_mtime(path: Path) -> None:
    """Backdate a file so that any write would visibly move its mtime."""
    past = time.time() - 3600
    os.utime(path, (past, past))


# --------------------------------------------------------------------------- damaged files


def write_text_file(path: Path, good: Path) -> None:
    """A plain text file named like a database."""
    path.write_text("校区名单\n一校区, 二校区\n" * 200, encoding="utf-8")


def write_png_file(path: Path, good: Path) -> None:
    """A picture (PNG signature and chunks) renamed to ``.dabiao``."""
    rng = random.Random(7)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(6000))


def write_exe_file(path: Path, good: Path) -> None:
    """A Windows program (MZ header) renamed to ``.dabiao``."""
    rng = random.Random(8)
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + rng.randbytes(6000))


def write_truncated_file(path: Path, good: Path) -> None:
    """A real database cut off at half its length."""
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def write_corrupt_file(path: Path, good: Path) -> None:
    """A real database whose middle fifth is overwritten with random bytes."""
    data = bytearray(good.read_bytes())
    start, end = len(data) * 2 // 5, len(data) * 3 // 5
    data[start:end] = random.Random(9).randbytes(end - start)
    path.write_bytes(bytes(data))


def write_corrupt_page_file(path: Path, good: Path) -> None:
    """A real database with one data page in the middle overwritten: the schema still reads."""
    data = bytearray(good.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    start = len(data) // 2 // page_size * page_size
    data[start : start + page_size] = random.Random(10).randbytes(page_size)
    path.write_bytes(bytes(data))


def write_newer_file(path: Path, good: Path) -> None:
    """A real database stamped with a schema revision from a future Dabiao."""
    shutil.copyfile(good, path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
        conn.commit()
    finally:
        conn.close()


def write_foreign_sqlite_file(path: Path, good: Path) -> None:
    """Some other program's SQLite database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE bookmarks (url TEXT)")
        conn.execute("INSERT INTO bookmarks VALUES ('about:blank')")
        conn.commit()
    finally:
        conn.close()


BAD_FILES: dict[str, Callable[[Path, Path], None]] = {
    "text": write_text_file,
    "png": write_png_file,
    "exe": write_exe_file,
    "truncated": write_truncated_file,
    "corrupt": write_corrupt_file,
    "corrupt_page": write_corrupt_page_file,
    "newer": write_newer_file,
    "foreign_sqlite": write_foreign_sqlite_file,
}


def make_bad_file(kind: str, folder: Path, good: Path) -> Path:
    """Write one kind of bad database file into ``folder`` and backdate it."""
    path = folder / f"{kind}.dabiao"
    BAD_FILES[kind](path, good)
    set_old_mtime(path)
    return path


# --------------------------------------------------------------------------- processes


def unprivileged(cmd: list[str]) -> list[str]:
    """Wrap ``cmd`` so that file modes bind it even when the tests run as root.

    Root ignores chmod through CAP_DAC_OVERRIDE; ``setpriv`` drops it (and
    CAP_DAC_READ_SEARCH) from the bounding set, so the child stays root but obeys modes.
    """
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is required to test read-only files as root"
    return [
        setpriv,
        f"--bounding-set={_ROOT_OVERRIDES}",
        f"--inh-caps={_ROOT_OVERRIDES}",
        "--",
        *cmd,
    ]


def run_cli(
    *args: str, drop_root: bool = False, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m desktop.cli`` as a real process."""
    cmd = [sys.executable, "-m", "desktop.cli", *args]
    return subprocess.run(
        unprivileged(cmd) if drop_root else cmd,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def run_python(
    code: str, *args: str, drop_root: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a fresh process (``sys.argv[1:]`` = ``args``)."""
    cmd = [sys.executable, "-c", code, *args]
    return subprocess.run(
        unprivileged(cmd) if drop_root else cmd,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders read-only (0o555 / 0o444) for the duration."""
    saved = [(p, p.stat().st_mode) for p in paths]
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield
    finally:
        for p, mode in saved:
            p.chmod(mode)


_LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def locked_by_other_process(path: Path) -> Iterator[None]:
    """Another process holds an exclusive lock on ``path`` for the duration."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        yield
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


_HOLDER = """
import sys
from shared.db import open_database
from shared.models import Campus
db = open_database(sys.argv[1], create=False)
with db.unit_of_work() as session:
    session.add(Campus(name="占用中的校区", code="HELD"))
print("open", flush=True)
sys.stdin.read()
db.close()
"""


@contextlib.contextmanager
def held_open_by_other_process(path: Path) -> Iterator[None]:
    """Another process has ``path`` open the way Dabiao does (WAL) and idle, for the duration."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "open"
        yield
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)


def make_crashed_wal_db(path: Path, rows: int = 20) -> set[str]:
    """A database left in WAL mode with its newest rows only in ``-wal``, as after a crash."""
    scratch = path.with_name(path.name + ".scratch")
    ids = set(make_campus_db(scratch, rows=rows))
    conn = sqlite3.connect(scratch, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("UPDATE campuses SET name = name || '（已改名）'")
        # Copied while the connection is open: nothing is checkpointed into the main file.
        shutil.copyfile(scratch, path)
        shutil.copyfile(
            scratch.with_name(scratch.name + "-wal"), path.with_name(path.name + "-wal")
        )
    finally:
        conn.close()
    for leftover in (scratch, *(scratch.with_name(scratch.name + s) for s in SIDECARS)):
        leftover.unlink(missing_ok=True)
    return ids


class ConcurrentWriter:
    """A second process inserting campuses and logging each id once it is committed."""

    def __init__(self, db: Path, folder: Path, max_seconds: float = 30) -> None:
        self.log = folder / "committed.log"
        self.stop_file = folder / "stop"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.concurrent_writer",
                str(db),
                str(self.log),
                str(self.stop_file),
                str(max_seconds),
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def committed_ids(self) -> set[str]:
        """Ids the writer has reported as committed (complete lines only)."""
        if not self.log.exists():
            return set()
        text = self.log.read_text()
        return set(text[: text.rfind("\n") + 1].split())

    def wait_for(self, count: int, timeout: float = 20) -> None:
        """Block until at least ``count`` rows are committed."""
        deadline = time.monotonic() + timeout
        while len(self.committed_ids()) < count:
            if self.proc.poll() is not None:
                raise AssertionError(f"writer exited early: {self.proc.communicate()}")
            if time.monotonic() > deadline:
                raise AssertionError("writer committed too slowly")
            time.sleep(0.02)

    def stop(self) -> int:
        """Ask the writer to finish, wait for it and return its exit code."""
        self.stop_file.touch()
        out, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        return self.proc.returncode


@contextlib.contextmanager
def concurrent_writer(db: Path, folder: Path) -> Iterator[ConcurrentWriter]:
    """Run a :class:`ConcurrentWriter` for the duration; it is always stopped."""
    writer = ConcurrentWriter(db, folder)
    try:
        yield writer
    finally:
        if writer.proc.poll() is None:
            writer.stop()
