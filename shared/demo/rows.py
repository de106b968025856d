"""Raw rows for the bulk loader, encoded exactly as the SQLAlchemy column types store them.

The demo writes millions of rows, so it bypasses the ORM and hands tuples to ``executemany``.
The encodings below are the ones :mod:`shared.models` produces (checked by the tests, which read
every table back through the ORM):

* ``GUID``: the 16 raw bytes of the UUID;
* ``Hours``: integer hundredths of an hour;
* ``UTCDateTime``: naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite format);
* ``Date``: ``YYYY-MM-DD``; ``Boolean``: 0/1; ``JSON``: ``json.dumps`` with its defaults;
* enums: their string values.
"""

from __future__ import annotations

import functools
import random
import sqlite3
from datetime import date, datetime, timedelta

from ..models import SYNCED_MODELS

# Columns every synced table starts with, in this order in every row tuple.
COMMON: tuple[str, ...] = ("id", "version", "is_deleted", "created_at", "updated_at")

# The table-specific columns, in row order. Tables are listed parents first, so flushing them in
# this order satisfies every foreign key (``orders.refund_of_id`` points to an earlier order row).
COLUMNS: dict[str, tuple[str, ...]] = {
    "campuses": ("name", "code", "address", "phone", "settings"),
    "staff": ("campus_id", "name", "phone", "roles", "pin_hash", "active", "hired_on"),
    "stages": ("campus_id", "code", "name", "sort_order", "active"),
    "courses": (
        "campus_id", "name", "subject", "price_per_hour_fen", "hours_per_lesson", "active",
    ),
    "students": (
        "campus_id", "name", "gender", "birth_on", "school", "grade", "status",
        "consultant_id", "source", "first_contact_on", "notes",
    ),
    "parents": ("campus_id", "name", "phone", "phone2", "wechat", "notes"),
    "student_parents": ("student_id", "parent_id", "relation", "is_primary"),
    "communication_records": (
        "campus_id", "parent_id", "student_id", "staff_id", "occurred_on", "channel", "content",
        "next_follow_up_on", "follow_up_done",
    ),
    "lessons": (
        "campus_id", "course_id", "teacher_id", "room", "title", "lesson_on", "starts_at",
        "ends_at", "hours", "status",
    ),
    "lesson_students": ("lesson_id", "student_id", "is_trial"),
    "trial_lessons": (
        "campus_id", "student_id", "course_id", "consultant_id", "intent_teacher_id",
        "lesson_id", "trial_on", "status", "outcome", "sign_type", "feedback",
    ),
    "orders": (
        "campus_id", "student_id", "course_id", "sign_type", "signed_on", "hours", "gift_hours",
        "amount_fen", "consultant_id", "intent_teacher_id", "trial_id", "refund_of_id", "notes",
    ),
    "attendance": (
        "campus_id", "lesson_id", "student_id", "status", "is_trial", "charged_hours",
        "marked_by_id", "note",
    ),
    "consumption_entries": (
        "campus_id", "attendance_id", "student_id", "course_id", "teacher_id", "order_id",
        "lesson_on", "kind", "hours", "amount_fen",
    ),
    "growth_records": (
        "campus_id", "student_id", "lesson_id", "teacher_id", "recorded_on", "progress_note",
        "progress", "focus", "performance", "learning_ability", "mastery", "comment",
    ),
    "stage_activities": (
        "campus_id", "stage_id", "staff_id", "student_id", "parent_id", "occurred_on", "note",
    ),
    "targets": (
        "campus_id", "metric", "period_kind", "year", "month", "week", "staff_id", "staff_role",
        "amount_fen", "is_manual",
    ),
    "stage_targets": (
        "campus_id", "stage_id", "staff_id", "year", "month", "week", "target_count",
        "is_manual",
    ),
}

def check_columns_match_schema() -> None:
    """Fail loudly when the synced schema gained or lost a table or column the demo ignores.

    The demo fills every synced table (the business data). The LAN edge's own tables (paired
    devices, sync clients, field versions, conflicts) stay empty, as in any new installation.
    """
    schema_tables = {m.__table__.name: m.__table__ for m in SYNCED_MODELS}
    if set(schema_tables) != set(COLUMNS):
        raise RuntimeError(
            "demo tables differ from the synced schema: "
            f"missing {sorted(set(schema_tables) - set(COLUMNS))}, "
            f"unknown {sorted(set(COLUMNS) - set(schema_tables))}"
        )
    for name, columns in COLUMNS.items():
        expected = set(schema_tables[name].columns.keys())
        ours = set(COMMON + columns)
        if ours != expected:
            raise RuntimeError(
                f"demo columns of {name} differ from the schema: "
                f"missing {sorted(expected - ours)}, unknown {sorted(ours - expected)}"
            )


# Version 4 / RFC 4122 variant bits of a UUID, as masks over its 128-bit integer.
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID_SET = (0x4 << 76) | (0x2 << 62)


class IdMaker:
    """Random version-4 UUIDs drawn from the build's seeded RNG, as 16 raw bytes.

    Equivalent to ``uuid.UUID(int=rng.getrandbits(128), version=4).bytes``, without building
    a UUID object for each of millions of rows.
    """

    def __init__(self, rng: random.Random) -> None:
        self._bits = rng.getrandbits

    def __call__(self) -> bytes:
        return ((self._bits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16, "big")


_SHANGHAI_OFFSET_MIN = 8 * 60  # Asia/Shanghai has had no daylight saving time since 1991


def utc_text(day: date, local_minute: int, second: int = 0, micro: int = 0) -> str:
    """The stored text of the instant ``day`` at ``local_minute`` past midnight, Shanghai time."""
    if not second and not micro:
        return _whole_minute(day, local_minute)  # lesson times recur: cached
    return _format(day, local_minute, second, micro)


def _format(day: date, local_minute: int, second: int, micro: int) -> str:
    instant = datetime(day.year, day.month, day.day) + timedelta(
        minutes=local_minute - _SHANGHAI_OFFSET_MIN, seconds=second, microseconds=micro
    )
    return instant.isoformat(" ", "microseconds")


@functools.lru_cache(maxsize=1 << 16)
def _whole_minute(day: date, local_minute: int) -> str:
    return _format(day, local_minute, 0, 0)


class RowSink:
    """Collects rows per table, stamps ids' versions, and writes them with ``executemany``.

    Versions come from one counter in the order rows are added, as the live program would hand
    them out; the caller writes the final value into ``sync_counter``.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in COLUMNS}
        self._sql = {
            t: f'INSERT INTO "{t}" ({", ".join(COMMON + cols)}) '
            f"VALUES ({', '.join('?' * (len(COMMON) + len(cols)))})"
            for t, cols in COLUMNS.items()
        }
        self.version = 0
        self.counts: dict[str, int] = {t: 0 for t in COLUMNS}

    def add(
        self, table: str, row_id: bytes, created: str, updated: str, values: tuple[object, ...]
    ) -> None:
        """Queue one row of ``table``; ``values`` follow ``COLUMNS[table]``."""
        self.version += 1
        self._rows[table].append((row_id, self.version, 0, created, updated, *values))

    def pending(self, table: str) -> int:
        """Rows of ``table`` queued but not yet written."""
        return len(self._rows[table])

    def flush(self) -> None:
        """Write every queued row, parents before children, inside the caller's transaction."""
        for table, rows in self._rows.items():
            if rows:
                self._conn.executemany(self._sql[table], rows)
                self.counts[table] += len(rows)
                rows.clear()
