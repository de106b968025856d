"""Dated backups: names, the daily/weekly/monthly thinning rule, automatic runs and restore."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from shared.backups import (
    KeepPolicy,
    backup_file_name,
    backups_to_keep,
    check_backup,
    list_backups,
    restore_backup,
    run_auto_backup,
    thin_backups,
)
from shared.db import Database, open_database
from shared.errors import Invalid, StorageUnavailable
from shared.services.campus import create_campus


def _campus_names(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM campuses ORDER BY name")]
    finally:
        conn.close()


def test_backup_names_sort_by_time_and_parse_back(tmp_path: Path) -> None:
    moments = [datetime(2025, 6, 18, 9, 5, 7), datetime(2025, 6, 18, 21, 0, 0)]
    for moment in moments:
        (tmp_path / backup_file_name(moment)).write_bytes(b"x")
    (tmp_path / "达标备份-notes.txt").write_bytes(b"x")
    (tmp_path / "达标备份-20251399-000000.dabiao").write_bytes(b"x")  # impossible date
    assert backup_file_name(moments[0]) == "达标备份-20250618-090507.dabiao"
    assert [b.taken_at for b in list_backups(tmp_path)] == sorted(moments, reverse=True)


def test_a_year_of_daily_backups_thins_to_7_days_4_weeks_12_months() -> None:
    start = datetime(2024, 6, 19, 22, 0)
    stamps = [start + timedelta(days=i) for i in range(365)]  # up to 2025-06-18
    kept = backups_to_keep(stamps, KeepPolicy(7, 4, 12))
    days = sorted({k.date() for k in kept}, reverse=True)
    # 2025-06-18 is a Wednesday. Days: 06-12 … 06-18. Weeks: the newest of the ISO weeks ending
    # 06-18, 06-15 (both among the days), 06-08 and 06-01. Months: 06-18 (kept) and the last
    # day of each month from July 2024 to May 2025.
    assert days[:7] == [stamps[-1].date() - timedelta(days=i) for i in range(7)]
    weeks = {k.isocalendar()[:2] for k in kept}
    assert len(weeks) >= 4
    months = {(k.year, k.month) for k in kept}
    assert len(months) == 12
    assert len(kept) == 7 + 2 + 11
    # Every kept stamp is the newest of its month or week or one of the last 7 days.
    for stamp in kept:
        newest_of_month = max(s for s in stamps if (s.year, s.month) == (stamp.year, stamp.month))
        newest_of_week = max(s for s in stamps if s.isocalendar()[:2] == stamp.isocalendar()[:2])
        assert stamp in (newest_of_month, newest_of_week) or stamp.date() in days[:7]


def test_several_backups_a_day_keep_only_the_newest_of_the_day() -> None:
    day = datetime(2025, 6, 18)
    stamps = [day.replace(hour=h) for h in (8, 12, 20)]
    assert backups_to_keep(stamps, KeepPolicy(7, 0, 0)) == {day.replace(hour=20)}


def test_a_policy_of_nothing_or_negative_counts_is_refused() -> None:
    with pytest.raises(Invalid):
        KeepPolicy(0, 0, 0)
    with pytest.raises(Invalid):
        KeepPolicy(-1, 4, 12)


def test_thinning_deletes_only_dated_backups_the_rule_drops(tmp_path: Path) -> None:
    start = datetime(2025, 1, 1, 20, 0)
    for i in range(40):
        (tmp_path / backup_file_name(start + timedelta(days=i))).write_bytes(b"x")
    other = tmp_path / "我的文件.dabiao"
    other.write_bytes(b"keep me")
    removed = thin_backups(tmp_path, KeepPolicy(3, 2, 2))
    left = list_backups(tmp_path)
    assert len(left) + len(removed) == 40
    assert {b.taken_at for b in left} == backups_to_keep(
        [start + timedelta(days=i) for i in range(40)], KeepPolicy(3, 2, 2)
    )
    assert other.read_bytes() == b"keep me"


def test_auto_backup_writes_once_a_day_and_thins(tmp_path: Path, db: Database) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime(2025, 6, 18, 10, 0, 0)
    first = run_auto_backup(db.path, folder, KeepPolicy(), now=now)
    assert first.written == folder / backup_file_name(now)
    assert first.written.exists()
    again = run_auto_backup(db.path, folder, KeepPolicy(), now=now + timedelta(hours=5))
    assert again.written is None
    tomorrow = run_auto_backup(db.path, folder, KeepPolicy(1, 0, 0), now=now + timedelta(days=1))
    assert tomorrow.written is not None
    assert tomorrow.removed == [first.written]


def test_auto_backup_needs_an_existing_folder(tmp_path: Path, db: Database) -> None:
    with pytest.raises(StorageUnavailable, match="不存在"):
        run_auto_backup(db.path, tmp_path / "missing", KeepPolicy())


def test_restore_replaces_the_file_and_keeps_a_safety_copy(tmp_path: Path) -> None:
    live = tmp_path / "campus.dabiao"
    db = open_database(live)
    with db.unit_of_work() as session:
        create_campus(session, name="旧校区", code="001")
    backup = tmp_path / "backup.dabiao"
    db.backup_to(backup)
    with db.unit_of_work() as session:
        create_campus(session, name="新校区", code="002")
    db.close()
    safety = restore_backup(live, backup, now=datetime(2025, 6, 18, 12, 0, 0))
    assert safety.name == "campus.恢复前-20250618-120000.dabiao"
    assert _campus_names(live) == ["旧校区"]
    assert _campus_names(safety) == ["新校区", "旧校区"]
    open_database(live, create=False).close()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, db: Database) -> None:
    junk = tmp_path / "junk.dabiao"
    junk.write_bytes(b"not a database at all, just text" * 10)
    with pytest.raises(StorageUnavailable, match="不是达标数据库文件"):
        check_backup(junk)
    db.close()
    before = db.path.read_bytes()
    with pytest.raises(StorageUnavailable):
        restore_backup(db.path, junk)
    assert db.path.read_bytes() == before
