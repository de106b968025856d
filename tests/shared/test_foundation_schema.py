"""The campus schema against GLOSSARY.md, read from a migrated file (issue 2).

Each entity of the glossary has its table and the columns the glossary names; every synced table
carries the sync columns (a 16-byte UUID key, the global ``version``, the ``is_deleted``
tombstone); the program's connections run in WAL with ``synchronous=FULL``.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.db import BUSY_TIMEOUT_MS, open_database
from shared.enums import (
    AttendanceStatus,
    ConsumptionKind,
    DefaultStage,
    Metric,
    PeriodKind,
    Role,
    SignType,
    StudentStatus,
    TargetRole,
    TrialOutcome,
)
from shared.models import SYNCED_MODELS, Campus

# GLOSSARY.md entity → its table and the columns the glossary (and issue 2) asks for.
GLOSSARY_TABLES: dict[str, tuple[str, set[str]]] = {
    "校区 Campus": ("campuses", {"name"}),
    "员工 Staff, roles and a hashed PIN": ("staff", {"campus_id", "name", "roles", "pin_hash"}),
    "学员 Student, funnel status and consultant": (
        "students",
        {"campus_id", "name", "status", "consultant_id"},
    ),
    "家长 Parent": ("parents", {"name", "phone", "phone2", "wechat", "notes"}),
    "parents ↔ students, many to many": (
        "student_parents",
        {"student_id", "parent_id", "relation"},
    ),
    "沟通记录 with the next follow-up date": (
        "communication_records",
        {"parent_id", "staff_id", "occurred_on", "content", "next_follow_up_on"},
    ),
    "课程 Course with a standard price per hour": ("courses", {"name", "price_per_hour_fen"}),
    "订单 Order and refunds": (
        "orders",
        {
            "student_id",
            "course_id",
            "sign_type",
            "signed_on",
            "hours",
            "gift_hours",
            "amount_fen",
            "consultant_id",
            "intent_teacher_id",
            "refund_of_id",
        },
    ),
    "排课 Lesson with teacher and room": (
        "lessons",
        {"course_id", "teacher_id", "room", "lesson_on", "starts_at", "ends_at", "hours"},
    ),
    "enrolled students of a lesson": ("lesson_students", {"lesson_id", "student_id"}),
    "点名 Attendance": ("attendance", {"lesson_id", "student_id", "status", "charged_hours"}),
    "划课 consumption entry, from a package at its price": (
        "consumption_entries",
        {"attendance_id", "order_id", "kind", "hours", "amount_fen", "lesson_on", "teacher_id"},
    ),
    "试听 TrialLesson with outcome": (
        "trial_lessons",
        {
            "student_id",
            "course_id",
            "consultant_id",
            "intent_teacher_id",
            "trial_on",
            "outcome",
            "sign_type",
        },
    ),
    "成长记录 GrowthRecord, five dimensions": (
        "growth_records",
        {
            "student_id",
            "teacher_id",
            "progress",
            "focus",
            "performance",
            "learning_ability",
            "mastery",
            "comment",
        },
    ),
    "环节 Stage, configurable per campus": ("stages", {"campus_id", "code", "name"}),
    "stage activities": ("stage_activities", {"stage_id", "staff_id", "occurred_on"}),
    "年度/月度/周目标 and staff order targets": (
        "targets",
        {"metric", "period_kind", "year", "month", "week", "staff_id", "staff_role", "amount_fen"},
    ),
    "周环节目标 weekly stage targets per staff member": (
        "stage_targets",
        {"stage_id", "staff_id", "year", "month", "week", "target_count"},
    ),
}


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """A new file migrated from empty by the program, read with plain sqlite3."""
    path = tmp_path_factory.mktemp("schema") / "new.dabiao"
    open_database(path).close()
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple[str, bool, int]]:
    """name → (declared type, not null, primary key position) of a table in the file."""
    return {
        row[1]: (row[2].upper(), bool(row[3]), row[5])
        for row in conn.execute(f'PRAGMA table_info("{table}")')
    }


@pytest.mark.parametrize("entity", sorted(GLOSSARY_TABLES))
def test_every_glossary_entity_has_its_table_and_columns(
    migrated: sqlite3.Connection, entity: str
) -> None:
    table, wanted = GLOSSARY_TABLES[entity]
    found = columns(migrated, table)
    assert found, f"{entity}: no table {table}"
    assert wanted <= set(found), f"{entity}: missing {sorted(wanted - set(found))}"
    assert table in {m.__tablename__ for m in SYNCED_MODELS}, f"{table} is not synced"


def test_every_synced_table_has_a_uuid_key_a_version_and_a_tombstone(
    migrated: sqlite3.Connection,
) -> None:
    tables = sorted(m.__tablename__ for m in SYNCED_MODELS)
    assert len(tables) >= len(GLOSSARY_TABLES)
    for table in tables:
        found = columns(migrated, table)
        assert [n for n, (_, _, pk) in found.items() if pk] == ["id"], table
        assert found["id"][0].startswith(("BLOB", "VARBINARY")), (table, found["id"])
        assert found["version"][:2] == ("INTEGER", True), table
        assert found["is_deleted"][1], table
        indexed = {
            name
            for (index,) in migrated.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            )
            for name in [r[2] for r in migrated.execute(f'PRAGMA index_info("{index}")')]
        }
        assert "version" in indexed, f"{table}: pulls 'since version N' need an index"
    # One global counter hands out the versions.
    assert migrated.execute("SELECT id, value FROM sync_counter").fetchall() == [(1, 0)]


def test_rows_get_a_uuid_key_a_global_version_and_are_deleted_softly(tmp_path: Path) -> None:
    with open_database(tmp_path / "c.dabiao") as db:
        with db.unit_of_work() as session:
            first, second = Campus(name="东城", code="E"), Campus(name="西城", code="W")
            session.add_all([first, second])
        with db.unit_of_work() as session:
            session.get(Campus, second.id).is_deleted = True  # type: ignore[union-attr]
        with db.reader() as session:
            rows = {c.code: (c.id, c.version, c.is_deleted) for c in session.query(Campus)}
    assert {uuid.UUID(rows[code][0]).version for code in rows} == {4}
    assert rows["W"][2] is True and rows["E"][2] is False  # the tombstone stays a row
    assert rows["W"][1] > rows["E"][1] > 0  # the later change has the higher version


def test_the_glossary_values_are_the_enums() -> None:
    assert {s.value for s in StudentStatus} == {"lead", "trial", "enrolled", "paused", "churned"}
    assert {r.value for r in Role} == {"manager", "front_desk", "consultant", "teacher"}
    assert {s.value for s in SignType} == {"new", "renewal", "referral", "cross_sell", "refund"}
    assert {a.value for a in AttendanceStatus} == {"present", "leave", "absent", "makeup"}
    assert {k.value for k in ConsumptionKind} >= {
        "normal",
        "leave_charged",
        "absence_charged",
        "makeup",
        "gifted",
        "trial",
    }
    assert {o.value for o in TrialOutcome} >= {"signed", "not_signed"}
    assert {m.value for m in Metric} == {"revenue", "consumption"}
    assert {p.value for p in PeriodKind} == {"year", "month", "week"}
    assert {r.value for r in TargetRole} == {"consultant", "intent_teacher", "teacher"}
    assert {s.value for s in DefaultStage} == {
        "invitation",
        "visit",
        "trial",
        "sign",
        "renewal",
        "referral",
        "parent_contact",
    }


def test_the_programs_connections_run_in_wal_with_full_sync(tmp_path: Path) -> None:
    pragmas = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    expected = ("wal", 2, 1, BUSY_TIMEOUT_MS)  # synchronous 2 = FULL
    with open_database(tmp_path / "c.dabiao") as db:
        with db.reader() as session:
            read = tuple(
                session.connection().exec_driver_sql(f"PRAGMA {p}").scalar() for p in pragmas
            )
        with db.unit_of_work() as session:
            written = tuple(
                session.connection().exec_driver_sql(f"PRAGMA {p}").scalar() for p in pragmas
            )
        raw = db.raw_connection()
        try:
            bulk = tuple(raw.execute(f"PRAGMA {p}").fetchone()[0] for p in pragmas[:3])
        finally:
            raw.close()
    assert read == written == expected
    assert bulk == expected[:3]
