"""Upgrades: a file written by every earlier schema revision opens with today's code, is
migrated to the newest revision and keeps every row and every value.

The fixtures in ``tests/fixtures/schemas/<revision>.dabiao`` were written by the code of the
commit where that revision was the newest (``scripts/make_schema_fixture.py``, whose docstring
says how to add the next one). Each test works on a copy: the fixture files never change.

What "no row lost" means here, read with plain ``sqlite3`` before and after the upgrade: every
table keeps its row count, and the rows of every table hash the same over the columns the old
revision had (ordered by primary key), so ids, money in fen, dates and texts are all unchanged.
A future migration that rewrites values on purpose must say so here, table and column.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from shared import auth, progress
from shared.db import HEAD_REVISION, check_database, head_revision, known_revisions, open_database
from shared.models import Campus, Staff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
FIXTURE_REVISIONS = sorted(p.stem for p in FIXTURES.glob("*.dabiao"))
# The "today" the fixtures' demo was built with (scripts/make_schema_fixture.py).
FIXTURE_TODAY = date(2026, 3, 18)
NOON = datetime(2026, 3, 18, 4, 0, tzinfo=UTC)


@dataclass(frozen=True)
class TableFacts:
    """What must survive an upgrade of one table."""

    columns: tuple[str, ...]
    rows: int
    digest: str


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'alembic_version' ORDER BY name"
        )
    ]


def _digest(conn: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> tuple[int, str]:
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5] > 0] or list(columns)
    cols = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{c}"' for c in keys)
    sha = hashlib.sha256()
    count = 0
    for row in conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY {order}'):
        sha.update(repr(row).encode())
        count += 1
    return count, sha.hexdigest()


def facts_of(path: Path) -> dict[str, TableFacts]:
    """Row count and content hash of every table, read with plain sqlite3."""
    conn = _ro(path)
    try:
        facts = {}
        for table in _tables(conn):
            columns = tuple(r[1] for r in conn.execute(f'PRAGMA table_info("{table}")'))
            rows, digest = _digest(conn, table, columns)
            facts[table] = TableFacts(columns, rows, digest)
        return facts
    finally:
        conn.close()


def money_sums(path: Path) -> dict[str, int]:
    """The sum of every ``*_fen`` column, ``table.column``."""
    conn = _ro(path)
    try:
        sums = {}
        for table in _tables(conn):
            for row in conn.execute(f'PRAGMA table_info("{table}")'):
                if row[1].endswith("_fen"):
                    total = conn.execute(f'SELECT total("{row[1]}") FROM "{table}"').fetchone()[0]
                    sums[f"{table}.{row[1]}"] = int(total)
        return sums
    finally:
        conn.close()


def revision_of(path: Path) -> str:
    """The schema revision stored in a file."""
    conn = _ro(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture(params=FIXTURE_REVISIONS)
def old_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """A copy of one revision's fixture, in the test's own folder."""
    revision = request.param
    path = tmp_path / f"from-{revision}.dabiao"
    shutil.copyfile(FIXTURES / f"{revision}.dabiao", path)
    return revision, path


def test_every_schema_revision_has_a_fixture() -> None:
    """A new migration without its fixture fails here: run scripts/make_schema_fixture.py."""
    missing = sorted(known_revisions() - set(FIXTURE_REVISIONS))
    assert not missing, (
        f"no upgrade fixture for schema revision(s) {missing}: run "
        f"`.venv/bin/python scripts/make_schema_fixture.py {missing[0]}` and `git add -f` the file"
    )


def test_head_revision_has_a_fixture() -> None:
    assert head_revision() == HEAD_REVISION
    assert HEAD_REVISION in FIXTURE_REVISIONS, (
        f"tests/fixtures/schemas/{HEAD_REVISION}.dabiao is missing: "
        f"run `.venv/bin/python scripts/make_schema_fixture.py {HEAD_REVISION}`"
    )


def test_each_fixture_is_a_real_file_of_its_revision() -> None:
    """The fixtures hold what they claim: their revision, sound, with data in every main table."""
    for revision in FIXTURE_REVISIONS:
        path = FIXTURES / f"{revision}.dabiao"
        assert revision_of(path) == revision
        assert path.stat().st_size < 4 << 20, "keep fixtures small"
        facts = facts_of(path)
        for table in ("campuses", "staff", "students", "orders", "attendance", "lessons"):
            assert facts[table].rows > 0, (revision, table)


def test_old_file_upgrades_without_losing_a_row(old_file: tuple[str, Path]) -> None:
    revision, path = old_file
    before = facts_of(path)
    money_before = money_sums(path)
    assert sum(money_before.values()) != 0

    db = open_database(path, create=False)  # migrates
    db.close()

    assert revision_of(path) == HEAD_REVISION
    after_conn = _ro(path)
    try:
        for table, old in before.items():
            assert table in _tables(after_conn), f"{revision}: table {table} vanished"
            rows, digest = _digest(after_conn, table, old.columns)
            assert rows == old.rows, f"{revision}: {table} had {old.rows} rows, now {rows}"
            assert digest == old.digest, f"{revision}: values of {table} changed"
    finally:
        after_conn.close()
    after_money = money_sums(path)
    assert {k: after_money[k] for k in money_before} == money_before
    report = check_database(path)
    assert report.ok, (report.integrity, report.foreign_key_errors, report.revision)


def test_upgraded_file_reads_and_writes_through_the_services(old_file: tuple[str, Path]) -> None:
    """After the upgrade the program works on the old data: a dashboard, a PIN login."""
    revision, path = old_file
    db = open_database(path, create=False)
    try:
        with db.reader() as s:
            campus_id = s.scalars(select(Campus.id)).one()
            board = progress.dashboard(s, campus_id, FIXTURE_TODAY)
            manager = next(x for x in s.scalars(select(Staff)) if x.has_role("manager"))
        assert board is not None
        with db.unit_of_work() as s:
            ticket = auth.create_pairing_token(s, staff_id=manager.id, now=NOON)
            issued = auth.redeem_pairing_token(
                s, token=ticket.token, device_name="升级后", now=NOON
            )
        principal = auth.authenticate_request(db, issued.token, now=NOON)
        assert principal.staff_id == manager.id, revision
    finally:
        db.close()
    assert check_database(path).ok
