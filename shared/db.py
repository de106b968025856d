"""The campus database: one SQLite file, opened safely, migrated, backed up, closed whole.

* :func:`open_database` inspects the file read-only first (missing, foreign, truncated, corrupt,
  locked, read-only, written by a newer Dabiao) and refuses with one clear sentence, leaving the
  file untouched; only then does it open it read-write and apply the packaged migrations.
* Connections run in WAL mode with ``synchronous=FULL``, foreign keys on and a busy timeout.
  Write units of work start with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout
  instead of failing on a lock upgrade; reads use plain deferred transactions.
* :meth:`Database.close` checkpoints and leaves the file in rollback-journal mode, so the
  ``.dabiao`` file alone is the complete database ("backup = copy one file").
* A write the disk refuses (full, read-only, I/O error, a lock held too long) is rolled back
  and raised as :class:`StorageUnavailable` with one sentence saying nothing was saved
  (:func:`write_failure`); any other database error stays a bug. A connection opened while the
  file was read-only is replaced once it is writable again, so the same session recovers.
* :func:`backup_database` writes a consistent single-file copy through SQLite's online backup
  API while others keep writing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from . import versioning
from .errors import NewerSchema, StorageUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

# The newest migration's revision. A file already at it opens without importing Alembic at all
# (half a second of the desktop's start-up); a test holds this equal to the migrations' head.
HEAD_REVISION = "0004"

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DB_SUFFIX = ".dabiao"


# --------------------------------------------------------------------------- inspection


@dataclass(frozen=True, slots=True)
class FileState:
    """What a read-only look at a database file found."""

    path: Path
    exists: bool
    is_empty: bool  # a new file, or a SQLite file with no tables yet
    revision: str | None  # the Alembic revision stored in the file


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations packaged inside ``shared``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest schema revision among the packaged migrations (Alembic's view)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every schema revision this program can open."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _describe(path: Path) -> str:
    return f"“{path}”"


def _check_header(path: Path) -> bool:
    """Validate the file's SQLite header; return True when the file is empty (0 bytes)."""
    size = path.stat().st_size
    if size == 0:
        return True
    with path.open("rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_HEADER):
        raise StorageUnavailable(f"{_describe(path)} 不是达标数据库文件（不是 SQLite 格式）。")
    if len(header) < 100:
        raise StorageUnavailable(f"{_describe(path)} 不完整（文件被截断），无法打开。")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter = struct.unpack(">I", header[24:28])[0]
    page_count = struct.unpack(">I", header[28:32])[0]
    valid_for = struct.unpack(">I", header[92:96])[0]
    wal = path.with_name(path.name + "-wal")
    wal_has_frames = wal.exists() and wal.stat().st_size > 0
    # The in-header page count is trustworthy only when it was written with the latest change
    # (SQLite >= 3.7.0) and no WAL holds newer pages.
    if valid_for == change_counter and not wal_has_frames and size < page_size * page_count:
        raise StorageUnavailable(f"{_describe(path)} 不完整（文件被截断），无法打开。")
    return False


def inspect_file(path: Path, *, must_exist: bool) -> FileState:
    """Look at a database file without changing it; raise StorageUnavailable on any problem."""
    path = Path(path)
    if path.is_dir():
        raise StorageUnavailable(f"{_describe(path)} 是一个文件夹，不是数据库文件。")
    if not path.exists():
        if must_exist:
            raise StorageUnavailable(f"数据库文件 {_describe(path)} 不存在。")
        folder = path.parent
        if not folder.is_dir():
            raise StorageUnavailable(f"文件夹 {_describe(folder)} 不存在，无法创建数据库文件。")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"文件夹 {_describe(folder)} 只读，无法创建数据库文件。")
        return FileState(path, exists=False, is_empty=True, revision=None)
    if not os.access(path, os.R_OK):
        raise StorageUnavailable(f"没有读取 {_describe(path)} 的权限。")
    if _check_header(path):
        return FileState(path, exists=True, is_empty=True, revision=None)
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 5000
        )
    except sqlite3.Error as exc:
        raise _storage_error(path, exc) from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision: str | None = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        elif tables:
            raise StorageUnavailable(
                f"{_describe(path)} 是其他程序的 SQLite 数据库，不是达标数据库文件。"
            )
        # quick_check is cheap enough up to 64 MiB to catch damage before anything writes;
        # it reports damage as a result row, not as an exception.
        small = path.stat().st_size < 64 << 20
        if small and conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
            raise StorageUnavailable(f"{_describe(path)} 已损坏，无法打开；请从备份恢复。")
    except sqlite3.Error as exc:
        raise _storage_error(path, exc) from None
    finally:
        conn.close()
    if revision not in (None, HEAD_REVISION) and revision not in known_revisions():
        raise NewerSchema(
            f"{_describe(path)} 由更新版本的达标写入（数据库版本 {revision}），"
            "本程序无法打开，请先升级达标；文件未做任何改动。"
        )
    return FileState(path, exists=True, is_empty=not tables, revision=revision)


def _storage_error(path: Path, exc: BaseException) -> StorageUnavailable:
    """Translate a sqlite3 failure into one clear sentence about the file."""
    msg = str(exc).lower()
    if "locked" in msg or "busy" in msg:
        return StorageUnavailable(f"{_describe(path)} 正被其他程序锁定，请关闭占用它的程序后重试。")
    if "malformed" in msg or "corrupt" in msg or "not a database" in msg:
        return StorageUnavailable(f"{_describe(path)} 已损坏，无法打开；请从备份恢复。")
    if "readonly" in msg or "read-only" in msg or "read only" in msg:
        return StorageUnavailable(f"{_describe(path)} 或其所在文件夹只读，无法写入。")
    if "unable to open" in msg or "disk i/o" in msg:
        return StorageUnavailable(
            f"无法打开 {_describe(path)}：文件或其所在文件夹不可访问（只读或权限不足）。"
        )
    if "full" in msg:
        return StorageUnavailable(f"磁盘已满，无法写入 {_describe(path)}。")
    return StorageUnavailable(f"无法使用 {_describe(path)}：{exc}")


# SQLite's primary result codes of the environment's faults (sqlite3.h); the extended code's
# low byte is the primary one.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


def _sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind ``exc`` (SQLAlchemy wraps it as ``.orig``), if any."""
    if isinstance(exc, sqlite3.Error):
        return exc
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, sqlite3.Error) else None


def write_failure(
    path: Path, exc: BaseException, *, writing: bool = True
) -> StorageUnavailable | None:
    """The person's sentence for a write (or read) the disk or the file refused, else None.

    A full disk, a file or disk that turned read-only, an I/O error, a lock held too long or
    damage found while working are the environment's fault: the transaction was rolled back and
    the person is told what happened and that nothing was saved. Any other database error (a
    constraint, SQL the schema does not know) is our bug and is left to propagate as one.
    """
    cause = _sqlite_cause(exc)
    if cause is None:
        return None
    code = getattr(cause, "sqlite_errorcode", None)
    text = str(cause).lower()
    primary = code & 0xFF if isinstance(code, int) else None
    lost = "刚才的修改没有保存" if writing else "数据没有读出"
    where = _describe(path)
    if primary == _SQLITE_FULL or "disk is full" in text:
        return StorageUnavailable(
            f"磁盘已满，{lost}。请在 {where} 所在的磁盘上腾出空间（删除不需要的文件）后重试。"
        )
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return StorageUnavailable(
            f"{where} 现在是只读的，{lost}。请检查这个文件和它所在的文件夹（或 U 盘、网络盘）"
            "是否允许写入，然后重试。"
        )
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN) or "disk i/o" in text:
        return StorageUnavailable(
            f"读写 {where} 时磁盘出错，{lost}。请检查磁盘（或 U 盘、网络盘）是否仍然连接、"
            "是否有空间，然后重试。"
        )
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StorageUnavailable(f"{where} 正被其他程序占用，{lost}。请稍后重试。")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageUnavailable(f"{where} 已损坏，{lost}；请从备份恢复。")
    return None


def _rollback(session: Session) -> None:
    """Roll back after a failure; a rollback that fails too must not hide the first error."""
    try:
        session.rollback()
    except Exception:  # the connection is invalidated; closing the session discards it
        log.warning("rollback failed after a database error", exc_info=True)


# --------------------------------------------------------------------------- engine


def _install_pragmas(engine: Engine, path: Path) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, record: Any) -> None:
        # SQLite opens a file it may not write read-only, and the connection stays so.
        record.info["read_only"] = not os.access(path, os.W_OK)
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's own is unreliable).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # Once the person has made the file writable again, a connection opened read-only
        # meanwhile (a read while it was not) is replaced, so the next write goes through.
        if record.info.get("read_only") and os.access(path, os.W_OK):
            raise DisconnectionError("the database file is writable again")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # A connection opened while the file was read-only stays read-only, and one that met an
        # I/O error may be stale: treat both as lost, so the pool drops its connections and the
        # next write, once the person has fixed the file or the disk, opens a fresh one.
        cause = _sqlite_cause(context.original_exception)
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in (_SQLITE_READONLY, _SQLITE_IOERR):
            context.is_disconnect = True


@dataclass
class Database:
    """An open campus database file; the caller owns sessions through units of work."""

    path: Path
    engine: Engine
    _writer_engine: Engine
    _readers: sessionmaker[Session] = field(init=False)
    _writers: sessionmaker[Session] = field(init=False)
    _closed: bool = field(default=False, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._readers = sessionmaker(
            self.engine, class_=versioning.VersionedSession, expire_on_commit=False
        )
        self._writers = sessionmaker(
            self._writer_engine, class_=versioning.VersionedSession, expire_on_commit=False
        )

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE): commits on success, rolls back on error."""
        session = self._writers()
        try:
            yield session
            session.commit()
        except Exception as exc:
            _rollback(session)
            storage = write_failure(self.path, exc)
            if storage is not None:
                raise storage from exc
            raise
        except BaseException:
            _rollback(session)
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        """One read-only snapshot (a deferred transaction that is always rolled back)."""
        session = self._readers()
        try:
            yield session
        except Exception as exc:
            storage = write_failure(self.path, exc, writing=False)
            if storage is not None:
                raise storage from exc
            raise
        finally:
            # close() ends the transaction without expiring what was loaded, so results stay
            # usable (detached) after the block.
            session.close()

    def raw_connection(self) -> sqlite3.Connection:
        """A plain sqlite3 connection with the same pragmas, for bulk loads and backups."""
        return _raw_connect(self.path)

    def backup_to(self, dest: Path, progress: Callable[[int, int], None] | None = None) -> Path:
        """Write a consistent single-file copy of the live database to ``dest``."""
        return backup_database(self.path, dest, progress=progress)

    def checkpoint(self) -> None:
        """Fold the WAL into the main file now (the program keeps running)."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close every connection and leave the file complete on its own (no -wal, no -shm)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.engine.dispose()
        self._writer_engine.dispose()
        finalize_file(self.path)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _raw_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def finalize_file(path: Path) -> None:
    """Checkpoint the WAL and switch to rollback journal so the file stands alone.

    When another process still has the file open, switching is impossible; the checkpoint alone
    still folds every committed page into the main file.
    """
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error:  # pragma: no cover - the file vanished under us
        log.exception("could not reopen %s to finalize it", path)
        return
    try:
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            # A full or read-only disk: every committed page is safe in the WAL, which the next
            # open folds in; closing must not fail over it.
            log.warning("%s could not be checkpointed; its WAL is kept", path, exc_info=True)
            return
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.OperationalError:
            log.warning("%s is still open elsewhere; left in WAL mode after checkpoint", path)
    finally:
        conn.close()


def ensure_replaceable(path: Path) -> None:
    """Refuse to delete a database file that a newer Dabiao wrote or that another program has open.

    ``dabiao demo --replace`` deletes an old demo file; a damaged one may go (that is often why
    it is rebuilt), but a newer program's file and a file in use never do: deleting a file that
    the desktop or ``dabiao serve`` has open would lose what they write next. Raises
    :class:`NewerSchema` or :class:`StorageUnavailable` and leaves the file as it was; returns
    when the file may be deleted.
    """
    in_use = StorageUnavailable(
        f"{_describe(path)} 正被其他程序使用（例如正在运行的达标），不会删除它；请先关闭它。"
    )
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0, isolation_level=None
        )
    except sqlite3.Error:
        return  # not openable as a database at all: damaged, it may be replaced
    try:
        try:
            row = conn.execute(
                "SELECT version_num FROM alembic_version WHERE EXISTS (SELECT 1 FROM "
                "sqlite_master WHERE type = 'table' AND name = 'alembic_version')"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise in_use from None
            row = None  # damaged or foreign: may be replaced
        except sqlite3.DatabaseError:
            row = None
        revision = row[0] if row else None
        if revision not in (None, HEAD_REVISION) and revision not in known_revisions():
            raise NewerSchema(
                f"{_describe(path)} 由更新版本的达标写入（数据库版本 {revision}），"
                "本程序不会删除它；文件未做任何改动。"
            )
    finally:
        conn.close()
    # Leaving WAL mode needs the only connection, and an exclusive transaction conflicts with any
    # other connection's lock: either fails at once while another program has the file open.
    # When neither fails, the file is free (and is about to be deleted anyway).
    try:
        conn = sqlite3.connect(str(path), timeout=0, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise in_use from None
    except sqlite3.DatabaseError:
        pass  # damaged: may be replaced
    finally:
        conn.close()


def open_database(path: Path | str, *, create: bool = True) -> Database:
    """Open (or create) a campus database file, refusing bad files before touching them."""
    path = Path(path).expanduser()
    state = inspect_file(path, must_exist=not create)
    if state.exists and not os.access(path, os.W_OK):
        raise StorageUnavailable(f"{_describe(path)} 是只读文件，无法写入。")
    if state.exists and not os.access(path.parent, os.W_OK | os.X_OK):
        raise StorageUnavailable(f"{_describe(path)} 所在的文件夹只读，无法写入。")
    url = f"sqlite:///{path}"
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    _install_pragmas(engine, path)
    writer_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    try:
        if state.revision != HEAD_REVISION:
            migrate(engine)
    except sqlite3.Error as exc:
        engine.dispose()
        raise _storage_error(path, exc) from exc
    except Exception as exc:
        engine.dispose()
        cause = exc.__cause__ or exc.__context__ or exc
        if isinstance(cause, sqlite3.Error) or "sqlite3" in type(exc).__module__ + str(exc):
            raise _storage_error(path, cause) from exc
        raise
    return Database(path=path, engine=engine, _writer_engine=writer_engine)


def migrate(engine: Engine) -> str:
    """Apply every packaged migration up to head; return the resulting revision."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.util.exc import CommandError

    cfg = alembic_config()
    with engine.begin() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and current not in known_revisions():
            raise NewerSchema(f"数据库版本 {current} 比本程序新，请先升级达标。")
        cfg.attributes["connection"] = conn
        try:
            command.upgrade(cfg, "head")
        except CommandError as exc:  # pragma: no cover - guarded above
            raise NewerSchema(str(exc)) from exc
    return head_revision()


# --------------------------------------------------------------------------- backup, check


def backup_database(
    source: Path | str,
    dest: Path | str,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Copy a live database to one consistent, self-contained file, atomically.

    SQLite's online backup copies a single read snapshot (other processes keep writing; WAL
    readers do not block them), into ``dest`` + ``.partial`` that is renamed into place only
    when complete and checked, so a failed backup never leaves a half file under ``dest``.
    """
    source, dest = Path(source), Path(dest)
    inspect_file(source, must_exist=True)
    if dest.is_dir():
        raise StorageUnavailable(f"备份目标 {_describe(dest)} 是一个文件夹，请给出文件名。")
    if not dest.parent.is_dir():
        raise StorageUnavailable(f"备份目标文件夹 {_describe(dest.parent)} 不存在。")
    if dest.resolve() == source.resolve():
        raise StorageUnavailable("备份目标不能是数据库文件本身。")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(
            f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            dst = sqlite3.connect(str(partial), isolation_level=None)
            try:
                # pages=-1: one step, one snapshot; a stepped backup restarts on every foreign
                # write and may never finish under steady phone traffic.
                src.backup(
                    dst,
                    pages=-1,
                    progress=(lambda s, r, t: progress(t - r, t)) if progress else None,
                )
                dst.execute("PRAGMA journal_mode = DELETE")
                result = dst.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise StorageUnavailable(f"备份文件校验失败：{result}")
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        if "unable to open" in str(exc).lower() and not os.access(dest.parent, os.W_OK):
            raise StorageUnavailable(f"备份目标文件夹 {_describe(dest.parent)} 只读。") from None
        raise _storage_error(source, exc) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return dest


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The result of ``dabiao check``."""

    path: Path
    integrity: list[str]  # ["ok"] when sound
    foreign_key_errors: int
    revision: str | None
    head: str
    row_counts: dict[str, int]

    @property
    def ok(self) -> bool:
        """True when the file is sound and at this program's schema."""
        return (
            self.integrity == ["ok"] and self.foreign_key_errors == 0 and self.revision == self.head
        )


def check_database(path: Path | str) -> CheckReport:
    """Run SQLite's integrity and foreign-key checks and count rows, read-only."""
    path = Path(path)
    state = inspect_file(path, must_exist=True)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        fk_errors = len(conn.execute("PRAGMA foreign_key_check").fetchall())
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    except sqlite3.Error as exc:
        raise _storage_error(path, exc) from None
    finally:
        conn.close()
    return CheckReport(path, integrity, fk_errors, state.revision, HEAD_REVISION, counts)
