"""The dashboard snapshot: what the campus dashboard shows, stamped when the file was closed.

The everyday start opens the file that was closed cleanly the evening before. Drawing its
dashboard the normal way needs SQLAlchemy, the models and a cold read (most of a second);
the figures, though, are a function of the file's data and the business date only. So:

* whenever the campus dashboard draws fresh figures, the session keeps them in memory together
  with the commit generation they were read at (:attr:`desktop.context.AppContext.generation`);
* at a clean close, while the file is still open, after the running jobs finished and only
  when those figures are current (no commit since they were read), the session also computes
  the figures of the next business dates — the closing day + 1, + 2, + 3 (the next morning, a
  weekend, a short break), within a time budget (:func:`desktop.pages.dashboard_page.
  load_following_days`) — in the same read, checked against the file's change counter;
* *after* ``Database.close()`` folded the file into one piece, all of them are written to
  ``user_cache_dir("Dabiao")/dashboard-<hash of the path>.snapshot``, keyed by business date
  and stamped with the file's identity (device, inode, size, modification time in ns) and the
  instant of the close — only when no ``-wal``/``-journal`` file lies beside the database;
* at the next start :func:`load_snapshot` returns them only when every condition holds again:
  same format and program version, same resolved path, identical file identity, no ``-wal`` or
  ``-journal`` beside it, figures stored for today's business date and the campus shown first
  is the one the figures are for. Then :meth:`DashboardSnapshot.figures_on` today are exactly
  what a fresh read would return (the stamp proves the data unchanged, the figures were
  computed for that date): a correct cache, not stale data. On any doubt the normal start
  runs; an unreadable file is deleted.

Only the figures' ``loaded_at`` (the wall time of the read) is not a function of the data; a
day after the closing one shows "数据截至 <the close>" instead of a read time.

The snapshot file is a pickle. It lives in the user's own cache folder (whoever can write
there can already run code as that user), and it is read with an unpickler that only resolves
the plain figure types below — dataclasses of :mod:`shared.figures`, the enums, dates,
decimals, fractions — so a damaged or foreign file fails to load instead of running anything,
and loading it never imports SQLAlchemy. Its content is only ever drawn, never written back.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import platformdirs

from shared import __version__ as APP_VERSION  # noqa: N812 - a constant

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: figures for several business dates; 3: the week's outlook
SUFFIX = ".snapshot"

# Modules whose classes a snapshot may name (anything else makes the file unreadable).
_ALLOWED_MODULES = {
    "shared.figures",
    "shared.enums",
    "shared.periods",
    "desktop.snapshot",
    "datetime",
    "decimal",
    "fractions",
}
_ALLOWED_BUILTINS = {"tuple", "list", "dict", "set", "frozenset"}


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What must be unchanged for the file to be the one the figures were read from."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        """The identity of a closed, self-contained file; None when it is missing or in use."""
        for suffix in ("-wal", "-journal"):
            if path.with_name(path.name + suffix).exists():
                return None
        try:
            st = path.stat()
        except OSError:
            return None
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class DashboardSnapshot:
    """The stamped dashboard figures of one database file (see the module docstring).

    ``campuses`` is the toolbar's campus list as ``(id, code, name)`` triples in code order;
    ``days`` holds, per business date (the closing day first, then the following ones), the
    campus dashboard's figures of ``campus_id`` (a ``CampusFigures``-shaped tuple: dashboard,
    weak stage report, few-hours students, follow-ups, loaded at); ``closed_at`` is the UTC
    instant the session closed the file.
    """

    format_version: int
    app_version: str
    path: str
    identity: FileIdentity
    closed_at: datetime
    campuses: tuple[tuple[str, str, str], ...]
    campus_id: str
    days: tuple[tuple[date, tuple[Any, ...]], ...]

    @property
    def closing_day(self) -> date:
        """The business date the session was closed on (its figures were read then)."""
        return self.days[0][0]

    def figures_on(self, today: date) -> tuple[Any, ...] | None:
        """The figures stored for the business date ``today``, or None."""
        return next((figures for day, figures in self.days if day == today), None)


def snapshot_dir() -> Path:
    """The folder of the snapshots (platformdirs' user cache folder of Dabiao)."""
    return Path(platformdirs.user_cache_dir("Dabiao", appauthor=False))


def snapshot_path(db_path: Path) -> Path:
    """The snapshot file of the database at ``db_path`` (one per resolved path).

    A CRC of the path names it (hashlib would cost an OpenSSL import at start-up); two paths
    sharing a CRC merely take turns, since a snapshot also records its path and is checked.
    """
    resolved = str(Path(db_path).resolve())
    key = f"{zlib.crc32(resolved.encode('utf-8')):08x}"
    return snapshot_dir() / f"dashboard-{Path(resolved).stem[:40]}-{key}{SUFFIX}"


class _FiguresUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _ALLOWED_BUILTINS:
            return super().find_class(module, name)
        if module in _ALLOWED_MODULES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a snapshot may not name {module}.{name}")


def load_snapshot(db_path: Path, today: date) -> DashboardSnapshot | None:
    """The valid snapshot of ``db_path`` for ``today``, or None (then start the normal way)."""
    db_path = Path(db_path).resolve()
    file = snapshot_path(db_path)
    try:
        data = file.read_bytes()
    except OSError:
        return None
    try:
        snapshot = _FiguresUnpickler(io.BytesIO(data)).load()
        if not isinstance(snapshot, DashboardSnapshot):
            raise pickle.UnpicklingError("not a dashboard snapshot")
    except Exception as exc:  # any damage at all: ignore it and remove the file
        log.info("ignoring an unreadable dashboard snapshot %s: %s", file, exc)
        discard_snapshot(db_path)
        return None
    if (
        snapshot.format_version != FORMAT_VERSION
        or snapshot.app_version != APP_VERSION
        or snapshot.path != str(db_path)
        or not snapshot.days
        or snapshot.figures_on(today) is None
        or not snapshot.campuses
        or snapshot.campuses[0][0] != snapshot.campus_id
        or FileIdentity.of(db_path) != snapshot.identity
    ):
        return None
    return snapshot


def save_snapshot(
    db_path: Path,
    *,
    closed_at: datetime,
    campuses: list[tuple[str, str, str]],
    campus_id: str,
    days: list[tuple[date, tuple[Any, ...]]],
) -> bool:
    """Stamp and write the figures of the closed file ``db_path``; False when not possible.

    ``days`` pairs business dates (the closing day first) with the figures read for them.
    Call it only after the database was closed (checkpointed whole) and only with figures read
    after the file's last commit.
    """
    db_path = Path(db_path).resolve()
    identity = FileIdentity.of(db_path)
    if identity is None:
        discard_snapshot(db_path)
        return False
    snapshot = DashboardSnapshot(
        FORMAT_VERSION,
        APP_VERSION,
        str(db_path),
        identity,
        closed_at,
        tuple(tuple(c) for c in campuses),
        campus_id,
        tuple((day, tuple(figures)) for day, figures in days),
    )
    file = snapshot_path(db_path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        partial = file.with_name(file.name + ".partial")
        partial.write_bytes(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, file)
    except OSError as exc:
        log.warning("could not write the dashboard snapshot %s: %s", file, exc)
        return False
    return True


def discard_snapshot(db_path: Path) -> None:
    """Remove the snapshot of ``db_path`` (the file is about to change, or it was damaged)."""
    try:
        snapshot_path(Path(db_path).resolve()).unlink(missing_ok=True)
    except OSError as exc:  # pragma: no cover - a read-only cache folder
        log.warning("could not remove the dashboard snapshot of %s: %s", db_path, exc)
