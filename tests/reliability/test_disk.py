"""Disk trials: a disk that fills up and a file made read-only while Dabiao writes to it.

Each trial runs in a child process (:mod:`tests.reliability.disk_worker`) that plays the
desktop (its real write path and error box, offscreen) and a phone pushing to the real LAN
server on 127.0.0.1, on a copy of the newest upgrade fixture. The full disk is real: a tmpfs of
a few MB that the child mounts in its own user and mount namespace (``unshare``), so nothing
outside the test sees it and no root is needed. The read-only file is a chmod while the file is
open; as root the child runs under ``setpriv`` without the override that ignores file modes.

What must hold, for both: the person gets one clear Chinese sentence (a warning box on the
desktop, a 503 JSON error for the phone), the refused write left nothing behind and the phone
keeps it in its outbox, everything acknowledged before is there exactly once, and once space
is freed (or the mode restored) the same session's next writes succeed and the file passes
SQLite's integrity check and opens.

Both trials take a few seconds and run in the default suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.db import HEAD_REVISION, check_database, open_database, write_failure
from shared.errors import StorageUnavailable
from shared.models import Campus, Student
from tests.storage_support import REPO_ROOT, unprivileged

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "schemas" / f"{HEAD_REVISION}.dabiao"
ARTIFACTS = REPO_ROOT / "artifacts" / "reliability"
UNSHARE = ["unshare", "--user", "--map-root-user", "--mount"]


def _mount_works(prefix: list[str], where: Path) -> tuple[bool, str]:
    probe = [*prefix, "sh", "-c", f"mount -t tmpfs -o size=1m probe '{where}'"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return done.returncode == 0, done.stderr.strip()


@pytest.fixture(scope="module")
def namespace(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command prefix that gives the child a mount namespace where it may mount a tmpfs."""
    where = tmp_path_factory.mktemp("probe")
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: no small disk to fill")
    ok, why = _mount_works(UNSHARE, where)
    if ok:
        return UNSHARE
    if os.geteuid() == 0:
        ok, why_root = _mount_works(["unshare", "--mount"], where)
        if ok:
            return ["unshare", "--mount"]
        why = f"{why}; as root: {why_root}"
    pytest.skip(
        "cannot mount a small tmpfs: unprivileged user namespaces are disabled here and the "
        f"tests do not run as root ({why})"
    )


def run_worker(prefix: list[str], scenario: str, workdir: Path) -> dict[str, Any]:
    """Run one scenario in its child process and return its report."""
    cmd = [
        *prefix,
        sys.executable,
        "-m",
        "tests.reliability.disk_worker",
        scenario,
        str(workdir),
        str(FIXTURE),
    ]
    done = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    report = json.loads(lines[-1])
    assert "crashed" not in report, report.get("crashed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"disk_{scenario}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return report


def assert_desktop_told(outcome: dict[str, Any], words: str) -> None:
    """The desktop write was refused with a warning box (not a 程序错误 bug box) in Chinese."""
    assert not outcome["saved"], outcome
    box = outcome["box"]
    assert box["warning"] and box["name"] == "errorBox", box
    assert box["title"] == "保存学员未完成"
    assert words in box["text"] and "刚才的修改没有保存" in box["text"], box["text"]
    assert not box["details"], "shown as a bug, with a traceback"
    assert "sqlite" not in box["text"].lower() and "error" not in box["text"].lower()


def assert_phone_told(outcome: dict[str, Any], words: str) -> None:
    """The push was refused with a 503 JSON error naming the problem in Chinese."""
    assert outcome["status"] == 503, outcome
    error = outcome["error"]
    assert error["code"] == "storage_unavailable", error
    assert words in error["message"] and "刚才的修改没有保存" in error["message"], error


def assert_nothing_lost(report: dict[str, Any]) -> None:
    """Refused writes left no row; every acknowledged one is there once; retries applied."""
    assert report["failed_write_rows"] == 0, "a refused desktop write left rows behind"
    assert report["unacked_rows"] == 0, "a refused push left rows behind"
    assert report["outbox_kept"], "the refused mutation left the phone's outbox"
    assert report["write_after"] == {"prefix": report["write_after"]["prefix"], "saved": True}
    after = report["push_after"]
    assert after["status"] == 200 and after["sent"] == report["outbox_kept"], after
    # "applied", not "duplicate": the refused mutation had not half-happened.
    assert set(after["results"]) == {"applied"}, after
    assert all(n == 5 for n in report["students"].values()), report["students"]
    assert all(n == 1 for n in report["communications"].values()), report["communications"]
    assert report["check_in_place"]


def assert_file_good(workdir: Path, report: dict[str, Any]) -> None:
    """The file (copied out of the child's disk) is sound, opens and takes the next write."""
    path = workdir / "after.dabiao"
    check = check_database(path)
    assert check.integrity == ["ok"] and check.foreign_key_errors == 0
    db = open_database(path, create=False)
    try:
        with db.reader() as s:
            for prefix in report["students"]:
                count = s.scalar(select(func.count()).where(Student.name.startswith(prefix)))
                assert count == 5, prefix
        with db.unit_of_work() as s:
            campus = s.scalars(select(Campus)).one()
            campus.address = "磁盘试验后仍可写入"
    finally:
        db.close()
    assert check_database(path).ok


def test_full_disk_refuses_writes_clearly_and_loses_nothing(
    namespace: list[str], tmp_path: Path
) -> None:
    report = run_worker(namespace, "full", tmp_path)
    print(
        f"\nfull disk: filler {report['filler_bytes'] / 1024:.0f} KiB; desktop writes before "
        f"refusal {len(report['writes_full'])}; pushes before refusal "
        f"{len(report['pushes_full'])}; acknowledged {report['acked_mutations']}, "
        f"saved {report['saved_writes']}"
    )
    assert report["push_before"]["results"] == ["applied", "applied"]
    assert report["write_before"]["saved"]
    writes = report["writes_full"]
    assert all(w["saved"] for w in writes[:-1])
    assert_desktop_told(writes[-1], "磁盘已满")
    pushes = report["pushes_full"]
    assert all(p["status"] == 200 for p in pushes[:-1])
    assert_phone_told(pushes[-1], "磁盘已满")
    assert report["read_while_full"] == 200, "reads stopped while the disk was full"
    assert_nothing_lost(report)
    assert report["close_when_full"] == "ok", report["close_when_full"]
    assert_file_good(tmp_path, report)


def test_file_made_read_only_while_open_refuses_writes_clearly(tmp_path: Path) -> None:
    report = run_worker(unprivileged([]), "readonly", tmp_path)
    assert not report["writable_now"], "the file stayed writable: the trial proves nothing"
    assert report["push_before"]["results"] == ["applied"]
    assert_phone_told(report["push_ro"], "只读")
    assert_desktop_told(report["write_ro"], "只读")
    assert_nothing_lost(report)
    assert_file_good(tmp_path, report)


def test_a_bug_in_a_write_is_not_dressed_up_as_a_storage_problem(tmp_path: Path) -> None:
    """Only the environment's faults become StorageUnavailable; a broken rule stays a bug."""
    from sqlalchemy.exc import IntegrityError

    db = open_database(tmp_path / "c.dabiao")
    try:
        with db.unit_of_work() as s:
            s.add(Campus(name="一校区", code="A1", address=""))
        with pytest.raises(IntegrityError), db.unit_of_work() as s:
            s.add(Campus(name="一校区", code="A1", address=""))
    finally:
        db.close()


def test_sqlite_faults_map_to_sentences_naming_the_problem(tmp_path: Path) -> None:
    import sqlite3

    def fault(code: int, text: str) -> sqlite3.OperationalError:
        exc = sqlite3.OperationalError(text)
        exc.sqlite_errorcode = code  # type: ignore[attr-defined]
        return exc

    path = tmp_path / "c.dabiao"
    cases = {
        13: "磁盘已满",
        8: "只读",
        8 | (1 << 8): "只读",  # SQLITE_READONLY_RECOVERY: an extended code
        10 | (3 << 8): "磁盘出错",  # SQLITE_IOERR_WRITE
        5: "占用",
        11: "损坏",
    }
    for code, words in cases.items():
        error = write_failure(path, fault(code, "x"))
        assert isinstance(error, StorageUnavailable) and words in error.message, code
        assert str(path) in error.message
    assert write_failure(path, fault(1, "no such table: campuses")) is None
    assert write_failure(path, ValueError("not sqlite")) is None
