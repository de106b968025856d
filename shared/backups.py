"""Backups of a campus file: dated names, automatic daily backups thinned, and restore.

Names
    ``达标备份-YYYYMMDD-HHMMSS.dabiao`` in local (Asia/Shanghai) time: sortable, readable in a
    file manager, and the time of the snapshot is known without opening the file.

Automatic backups (:func:`run_auto_backup`)
    At most one per day: when the folder holds no backup of today, write one (SQLite's online
    backup, :func:`shared.db.backup_database`), then thin the folder.

Thinning (:func:`backups_to_keep`), the rule of ``borg prune``/``restic forget``
    Walk the backups newest first. Keep the newest backup of each of the last ``daily``
    distinct days that have one, of each of the last ``weekly`` distinct ISO weeks and of each
    of the last ``monthly`` distinct months; a backup kept by any rule stays. With the defaults
    (7 / 4 / 12) a year of daily backups thins to at most 7 + 4 + 12 files. Only files whose name
    has the dated form are ever considered; anything else in the folder is left alone.

Restore (:func:`check_backup`, :func:`restore_backup`)
    The chosen file is checked read-only first (a Dabiao file, sound, not from a newer Dabiao).
    The caller closes the live database; the current file is copied aside as a safety copy
    ``<name>.恢复前-YYYYMMDD-HHMMSS.dabiao`` beside it, then the backup is copied to a temporary
    name in the same folder and renamed over the current file (atomic on one file system).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .db import DB_SUFFIX, CheckReport, backup_database, check_database
from .errors import Invalid, StorageUnavailable
from .periods import SHANGHAI

BACKUP_PREFIX = "达标备份-"
_NAME = re.compile(rf"^{BACKUP_PREFIX}(\d{{8}}-\d{{6}}){re.escape(DB_SUFFIX)}$")
_STAMP = "%Y%m%d-%H%M%S"
SAFETY_MARK = "恢复前"


@dataclass(frozen=True, slots=True)
class KeepPolicy:
    """How many daily, weekly and monthly backups to keep."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    def __post_init__(self) -> None:
        for field, value, most in (
            ("keep_daily", self.daily, 366),
            ("keep_weekly", self.weekly, 520),
            ("keep_monthly", self.monthly, 1200),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
                raise Invalid(field, f"保留份数必须是 0 到 {most} 的整数")
        if self.daily + self.weekly + self.monthly == 0:
            raise Invalid("keep_daily", "至少要保留一份备份")


@dataclass(frozen=True, slots=True)
class DatedBackup:
    """A backup file in a backup folder and the local time its name records."""

    path: Path
    taken_at: datetime  # naive, Asia/Shanghai local time


@dataclass(frozen=True, slots=True)
class AutoBackupResult:
    """What one automatic backup run did."""

    written: Path | None  # None when today's backup already existed
    removed: list[Path]


def local_now() -> datetime:
    """Now in Asia/Shanghai, naive (the time backup names record)."""
    return datetime.now(SHANGHAI).replace(tzinfo=None)


def backup_file_name(moment: datetime) -> str:
    """The dated file name of a backup taken at local time ``moment``."""
    return f"{BACKUP_PREFIX}{moment.strftime(_STAMP)}{DB_SUFFIX}"


def list_backups(folder: Path) -> list[DatedBackup]:
    """The dated backups in ``folder``, newest first (other files are ignored)."""
    found: list[DatedBackup] = []
    try:
        entries = list(Path(folder).iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StorageUnavailable(f"无法读取备份文件夹“{folder}”：{exc.strerror}") from None
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        try:
            taken = datetime.strptime(match.group(1), _STAMP)
        except ValueError:
            continue  # a name of the right shape but an impossible date: not ours
        found.append(DatedBackup(entry, taken))
    found.sort(key=lambda b: (b.taken_at, b.path.name), reverse=True)
    return found


def backups_to_keep(stamps: Iterable[datetime], policy: KeepPolicy) -> set[datetime]:
    """The backup times the thinning rule keeps (see the module docstring)."""
    ordered = sorted(set(stamps), reverse=True)
    kept: set[datetime] = set()
    rules: Sequence[tuple[int, Callable[[datetime], object]]] = (
        (policy.daily, lambda t: t.date()),
        (policy.weekly, lambda t: t.isocalendar()[:2]),
        (policy.monthly, lambda t: (t.year, t.month)),
    )
    for count, bucket_of in rules:
        seen: set[object] = set()
        for stamp in ordered:
            if len(seen) >= count:
                break
            bucket = bucket_of(stamp)
            if bucket not in seen:
                seen.add(bucket)
                kept.add(stamp)
    return kept


def thin_backups(folder: Path, policy: KeepPolicy) -> list[Path]:
    """Delete the dated backups the rule does not keep; return what was deleted."""
    backups = list_backups(folder)
    keep = backups_to_keep((b.taken_at for b in backups), policy)
    removed: list[Path] = []
    for backup in backups:
        if backup.taken_at in keep:
            continue
        try:
            backup.path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StorageUnavailable(f"无法删除旧备份“{backup.path}”：{exc.strerror}") from None
        removed.append(backup.path)
    return removed


def _check_folder(folder: Path) -> Path:
    folder = Path(folder).expanduser()
    if not str(folder).strip() or folder == Path():
        raise Invalid("folder", "请选择自动备份的文件夹")
    if not folder.is_dir():
        raise StorageUnavailable(f"备份文件夹“{folder}”不存在。")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageUnavailable(f"备份文件夹“{folder}”只读，无法写入备份。")
    return folder


def backup_now(
    db_path: Path,
    dest: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a consistent backup of the live file to ``dest`` (never over an existing file)."""
    dest = Path(dest).expanduser()
    if dest.exists():
        raise StorageUnavailable(f"“{dest}”已存在，未覆盖；请换一个文件名。")
    return backup_database(db_path, dest, progress=progress)


def run_auto_backup(
    db_path: Path, folder: Path, policy: KeepPolicy, *, now: datetime | None = None
) -> AutoBackupResult:
    """Write today's backup into ``folder`` unless one exists, then thin the folder."""
    folder = _check_folder(folder)
    now = now or local_now()
    written: Path | None = None
    if not any(b.taken_at.date() == now.date() for b in list_backups(folder)):
        written = backup_database(db_path, folder / backup_file_name(now))
    return AutoBackupResult(written, thin_backups(folder, policy))


def last_backup_on(folder: Path) -> date | None:
    """The date of the newest dated backup in ``folder`` (None when there is none)."""
    backups = list_backups(folder) if Path(folder).is_dir() else []
    return backups[0].taken_at.date() if backups else None


def check_backup(path: Path) -> CheckReport:
    """Check a file chosen for restore, read-only; raise StorageUnavailable when unusable.

    An older schema is fine (it is migrated when opened); a newer one, a foreign or damaged
    file is refused with one sentence.
    """
    report = check_database(Path(path))
    if report.revision is None:
        raise StorageUnavailable(f"“{path}”是空的数据库文件，不是达标备份。")
    if report.integrity != ["ok"] or report.foreign_key_errors:
        raise StorageUnavailable(f"“{path}”已损坏（完整性检查未通过），不能用来恢复。")
    return report


def safety_copy_name(current: Path, moment: datetime) -> Path:
    """Where the current file is copied before a restore replaces it."""
    stem = current.name.removesuffix(DB_SUFFIX)
    return current.with_name(f"{stem}.{SAFETY_MARK}-{moment.strftime(_STAMP)}{DB_SUFFIX}")


def restore_backup(current: Path, backup: Path, *, now: datetime | None = None) -> Path:
    """Replace the (closed) file ``current`` by ``backup``; return the safety copy's path.

    The caller has closed every connection to ``current`` (so it is one self-contained file).
    On failure the current file is untouched or, at worst, still available as the safety copy.
    """
    current, backup = Path(current), Path(backup)
    if backup.resolve() == current.resolve():
        raise Invalid("backup", "不能用正在使用的文件恢复它自己")
    check_backup(backup)
    now = now or local_now()
    safety = safety_copy_name(current, now)
    incoming = current.with_name(current.name + ".restoring")
    try:
        shutil.copy2(current, safety)
        shutil.copyfile(backup, incoming)
        with open(incoming, "rb+") as fh:
            os.fsync(fh.fileno())
        for suffix in ("-wal", "-shm"):
            current.with_name(current.name + suffix).unlink(missing_ok=True)
        os.replace(incoming, current)
    except OSError as exc:
        incoming.unlink(missing_ok=True)
        raise StorageUnavailable(f"恢复失败：{exc.strerror or exc}；原文件未被替换。") from None
    return safety
