"""The storage layer on real SQLite files: migrations, refusals, clean close, online backup."""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Float, Integer, MetaData, Numeric, String, func, select
from sqlalchemy.types import TypeDecorator, TypeEngine

from shared.db import backup_database, head_revision, open_database
from shared.errors import Invalid, NewerSchema, StorageUnavailable
from shared.models import NAMING_CONVENTION, Base, Campus
from shared.money import yuan_to_fen
from tests.storage_support import (
    BAD_FILES,
    campus_ids,
    concurrent_writer,
    fingerprint,
    integrity,
    locked_by_other_process,
    make_bad_file,
    make_campus_db,
    read_only,
    run_python,
    set_old_mtime,
    sidecars,
)


@pytest.fixture
def good_db(tmp_path: Path) -> Path:
    """A cleanly closed database with 300 campuses."""
    path = tmp_path / "good.dabiao"
    make_campus_db(path, rows=300)
    return path


# --------------------------------------------------------------------------- migrations


def test_new_file_gets_every_model_table(tmp_path: Path) -> None:
    path = tmp_path / "new.dabiao"
    with open_database(path):
        pass
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    assert set(Base.metadata.tables) <= tables
    assert revision == head_revision()


def _schema_differences(path: Path, metadata: MetaData) -> list[object]:
    db = open_database(path)
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        db.close()


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    assert _schema_differences(tmp_path / "new.dabiao", Base.metadata) == []


def test_schema_comparison_detects_a_model_change_without_a_migration(tmp_path: Path) -> None:
    changed = MetaData(naming_convention=NAMING_CONVENTION)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["campuses"].append_column(Column("motto", String(50), nullable=True))
    diffs = _schema_differences(tmp_path / "new.dabiao", changed)
    assert [d[0] for d in diffs if isinstance(d, tuple)] == ["add_column"]


# --------------------------------------------------------------------------- refusals


def test_newer_schema_file_is_refused_and_left_untouched(tmp_path: Path, good_db: Path) -> None:
    newer = make_bad_file("newer", tmp_path, good_db)
    before = fingerprint(newer)
    with pytest.raises(NewerSchema) as caught:
        open_database(newer)
    message = caught.value.message
    assert "9999_future" in message and "升级" in message and "\n" not in message
    assert fingerprint(newer) == before
    assert sidecars(newer) == []


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_refused_with_one_sentence_and_left_untouched(
    tmp_path: Path, good_db: Path, kind: str
) -> None:
    bad = make_bad_file(kind, tmp_path, good_db)
    before = fingerprint(bad)
    for create in (True, False):
        with pytest.raises(StorageUnavailable) as caught:
            open_database(bad, create=create)
        assert str(bad) in caught.value.message
        assert "\n" not in caught.value.message
    assert fingerprint(bad) == before


def test_corrupt_page_is_refused_before_it_is_migrated(tmp_path: Path, good_db: Path) -> None:
    # One damaged data page leaves the schema readable, so only an integrity check catches it.
    corrupt = make_bad_file("corrupt_page", tmp_path, good_db)
    before = fingerprint(corrupt)
    with pytest.raises(StorageUnavailable, match="已损坏"):
        open_database(corrupt)
    assert fingerprint(corrupt) == before


def test_locked_file_is_refused_and_left_untouched(good_db: Path) -> None:
    set_old_mtime(good_db)
    before = fingerprint(good_db)
    with locked_by_other_process(good_db), pytest.raises(StorageUnavailable, match="锁定"):
        open_database(good_db)
    assert fingerprint(good_db) == before


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable, match="文件夹"):
        open_database(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_file_is_refused_when_creation_is_not_allowed(tmp_path: Path) -> None:
    missing = tmp_path / "missing.dabiao"
    with pytest.raises(StorageUnavailable, match="不存在"):
        open_database(missing, create=False)
    assert not missing.exists()


def test_file_in_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable, match="不存在"):
        open_database(tmp_path / "no" / "such" / "campus.dabiao")
    assert list(tmp_path.iterdir()) == []


# Read-only cases run in a child process: as root (CI) the child drops the capability that lets
# root ignore file modes, so chmod binds it exactly as it binds a normal user.
_OPEN = """
import sys
from shared.db import open_database
from shared.errors import DabiaoError
try:
    open_database(sys.argv[1]).close()
except DabiaoError as exc:
    print(exc.message, file=sys.stderr)
    raise SystemExit(1)
"""


def test_database_in_read_only_folder_is_refused_and_left_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "campus.dabiao"
    make_campus_db(path, rows=20)
    set_old_mtime(path)
    before = fingerprint(path)
    with read_only(folder):
        result = run_python(_OPEN, str(path), drop_root=True)
    assert result.returncode == 1, result
    assert "只读" in result.stderr and "Traceback" not in result.stderr
    assert fingerprint(path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["campus.dabiao"]


def test_read_only_database_file_is_refused_and_left_untouched(good_db: Path) -> None:
    set_old_mtime(good_db)
    before = fingerprint(good_db)
    with read_only(good_db):
        result = run_python(_OPEN, str(good_db), drop_root=True)
    assert result.returncode == 1, result
    assert "只读" in result.stderr and "Traceback" not in result.stderr
    assert fingerprint(good_db) == before


def test_new_database_in_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder):
        result = run_python(_OPEN, str(folder / "new.dabiao"), drop_root=True)
    assert result.returncode == 1, result
    assert "只读" in result.stderr and "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []


# --------------------------------------------------------------------------- close, backup


def test_clean_close_leaves_one_self_contained_file(tmp_path: Path) -> None:
    path = tmp_path / "campus.dabiao"
    db = open_database(path)
    with db.unit_of_work() as session:
        campuses = [Campus(name=f"校区{n}", code=f"K{n}") for n in range(50)]
        session.add_all(campuses)
    ids = {c.id for c in campuses}
    assert path.with_name("campus.dabiao-wal").exists()  # the WAL is really in use while open
    db.close()
    assert sidecars(path) == []

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "copy.dabiao"
    shutil.copyfile(path, copy)
    assert campus_ids(copy) == ids
    with open_database(copy, create=False) as reopened, reopened.reader() as session:
        assert session.scalar(select(func.count()).select_from(Campus)) == 50


@pytest.mark.timeout(60)  # the writer itself gives up after 30 s
def test_backup_while_another_process_writes_keeps_every_committed_row(
    tmp_path: Path, good_db: Path
) -> None:
    counts = []
    with concurrent_writer(good_db, tmp_path) as writer:
        writer.wait_for(20)
        for n in range(4):
            committed = writer.committed_ids()
            dest = backup_database(good_db, tmp_path / f"backup-{n}.dabiao")
            assert integrity(dest) == ["ok"]
            assert sidecars(dest) == []
            in_backup = campus_ids(dest)
            assert committed <= in_backup
            counts.append(len(in_backup))
            writer.wait_for(len(committed) + 5)
        writer.stop()
    assert counts == sorted(counts) and counts[-1] > counts[0]  # the writer ran throughout
    assert writer.committed_ids() <= campus_ids(good_db)


def test_backup_never_leaves_a_partial_file_on_failure(tmp_path: Path, good_db: Path) -> None:
    corrupt = make_bad_file("corrupt", tmp_path, good_db)
    dest = tmp_path / "out" / "backup.dabiao"
    dest.parent.mkdir()
    with pytest.raises(StorageUnavailable):
        backup_database(corrupt, dest)
    assert list(dest.parent.iterdir()) == []


# --------------------------------------------------------------------------- money


def _storage_type(column: Column[object]) -> TypeEngine[object]:
    kind = column.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind  # type: ignore[return-value]


def test_every_fen_column_is_integer() -> None:
    fen_columns = [
        column
        for table in Base.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_fen")
    ]
    assert len(fen_columns) >= 4  # the scan really sees the money columns
    for column in fen_columns:
        assert isinstance(column.type, Integer), f"{column.table.name}.{column.name}"


def test_no_column_is_float_in_models_or_migrated_file(tmp_path: Path) -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            assert not isinstance(_storage_type(column), Float | Numeric), (
                f"{table.name}.{column.name}"
            )
    path = tmp_path / "new.dabiao"
    with open_database(path):
        pass
    conn = sqlite3.connect(path)
    declared = [
        (table, row[1], row[2].upper())
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        for row in conn.execute(f'PRAGMA table_info("{table}")')
    ]
    conn.close()
    floaty = ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")
    assert [d for d in declared if any(word in d[2] for word in floaty)] == []


@pytest.mark.parametrize("amount", [12.5, 0.1, float("nan")])
def test_yuan_to_fen_refuses_floats(amount: float) -> None:
    with pytest.raises(Invalid):
        yuan_to_fen(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["12.345", "0.001", Decimal("99.999")])
def test_yuan_to_fen_refuses_sub_fen_digits(amount: str | Decimal) -> None:
    with pytest.raises(Invalid):
        yuan_to_fen(amount)


def test_yuan_to_fen_converts_exactly() -> None:
    assert yuan_to_fen("1,280.50") == 128050
    assert yuan_to_fen(Decimal("0.01")) == 1
    assert yuan_to_fen(3) == 300
