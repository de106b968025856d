"""The global change counter: every committed change to a synced row gets a new ``version``.

Each edit of an existing row also records, per changed field, the version at which that field
last changed (``field_versions``), so an edit made against an older version can be merged field
by field (see :mod:`shared.sync_log`).

One counter for the whole file (Anki's usn idea). Each flush that touches synced rows takes the
next value with one ``UPDATE … RETURNING`` on ``sync_counter`` and stamps it on every row it
writes. SQLite serialises writers, so versions grow in commit order and a pull can safely ask
for "every row with version > N". Rows are never hard-deleted: ``is_deleted`` makes a tombstone
that carries a version like any other change.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from .models import Synced

#: Marks, in ``Session.info`` and in the DBAPI connection's ``info``, a transaction that took a
#: version — that changes synced rows — until it ends (the LAN server's answer cache keeps
#: answers about synced rows across commits that change nothing synced, such as a phone's
#: last-seen stamp). Cleared when a transaction begins.
SYNCED_WRITE = "dabiao_synced_write"


def next_version(session: Session) -> int:
    """Take the next value of the global counter inside the session's transaction."""
    connection = session.connection()
    row = connection.execute(
        text("UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value")
    ).one()
    session.info[SYNCED_WRITE] = True
    connection.info[SYNCED_WRITE] = True
    return int(row[0])


def current_version(session: Session) -> int:
    """The highest version handed out so far."""
    return int(session.connection().execute(text("SELECT value FROM sync_counter")).scalar_one())


_UNTRACKED_FIELDS = frozenset({"version", "updated_at", "created_at"})


def _changed_fields(obj: Synced) -> list[str]:
    """Column attributes of a dirty row whose value really changed in this flush."""
    state = inspect(obj)
    return [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in _UNTRACKED_FIELDS and state.attrs[attr.key].history.has_changes()
    ]


def _stamp_versions(session: Session, flush_context: Any, instances: Any) -> None:
    deleted = [obj for obj in session.deleted if isinstance(obj, Synced)]
    if deleted:
        names = ", ".join(sorted({type(obj).__name__ for obj in deleted}))
        raise RuntimeError(
            f"synced rows are soft-deleted (is_deleted=True), never removed: {names}"
        )
    inserted = [obj for obj in session.new if isinstance(obj, Synced)]
    updated = [
        (obj, fields)
        for obj in session.dirty
        if isinstance(obj, Synced) and (fields := _changed_fields(obj))
    ]
    if not inserted and not updated:
        return
    version = next_version(session)
    for obj in inserted:
        obj.version = version
    field_rows = []
    for obj, fields in updated:
        obj.version = version
        table = obj.__tablename__
        field_rows += [
            {"t": table, "r": uuid.UUID(obj.id).bytes, "f": name, "v": version} for name in fields
        ]
    if field_rows:
        session.connection().execute(
            text(
                "INSERT INTO field_versions (table_name, row_id, field, version) "
                "VALUES (:t, :r, :f, :v) "
                "ON CONFLICT (table_name, row_id, field) DO UPDATE SET version = excluded.version"
            ),
            field_rows,
        )


def field_versions(session: Session, table_name: str, row_id: str) -> dict[str, int]:
    """The version at which each field of a row last changed (fields never edited are absent)."""
    rows = session.connection().execute(
        text("SELECT field, version FROM field_versions WHERE table_name = :t AND row_id = :r"),
        {"t": table_name, "r": uuid.UUID(row_id).bytes},
    )
    return {field: int(version) for field, version in rows}


class VersionedSession(Session):
    """The session class every campus database uses: flushes stamp versions.

    The listener sits on this one class, installed once at import, rather than on each
    sessionmaker: SQLAlchemy keys per-target listeners by ``id()``, and a collected
    sessionmaker's id can be reused by a new one, which made per-instance installs flaky.
    """


def _transaction_begun(session: Session, _transaction: Any, connection: Any) -> None:
    session.info.pop(SYNCED_WRITE, None)
    connection.info.pop(SYNCED_WRITE, None)


event.listen(VersionedSession, "before_flush", _stamp_versions)
event.listen(VersionedSession, "after_begin", _transaction_begun)
