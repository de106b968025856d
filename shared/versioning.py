"""The global change counter: every committed change to a synced row gets a new ``version``.

One counter for the whole file (Anki's usn idea). Each flush that touches synced rows takes the
next value with one ``UPDATE … RETURNING`` on ``sync_counter`` and stamps it on every row it
writes. SQLite serialises writers, so versions grow in commit order and a pull can safely ask
for "every row with version > N". Rows are never hard-deleted: ``is_deleted`` makes a tombstone
that carries a version like any other change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from .models import Synced


def next_version(session: Session) -> int:
    """Take the next value of the global counter inside the session's transaction."""
    row = (
        session.connection()
        .execute(text("UPDATE sync_counter SET value = value + 1 WHERE id = 1 RETURNING value"))
        .one()
    )
    return int(row[0])


def current_version(session: Session) -> int:
    """The highest version handed out so far."""
    return int(session.connection().execute(text("SELECT value FROM sync_counter")).scalar_one())


def _stamp_versions(session: Session, flush_context: Any, instances: Any) -> None:
    deleted = [obj for obj in session.deleted if isinstance(obj, Synced)]
    if deleted:
        names = ", ".join(sorted({type(obj).__name__ for obj in deleted}))
        raise RuntimeError(
            f"synced rows are soft-deleted (is_deleted=True), never removed: {names}"
        )
    changed = [obj for obj in session.new if isinstance(obj, Synced)]
    changed += [
        obj
        for obj in session.dirty
        if isinstance(obj, Synced) and session.is_modified(obj, include_collections=False)
    ]
    if not changed:
        return
    version = next_version(session)
    for obj in changed:
        obj.version = version


def install(session_class: type[Session] | Any) -> None:
    """Attach the version stamping to a session class or sessionmaker (idempotent)."""
    if not event.contains(session_class, "before_flush", _stamp_versions):
        event.listen(session_class, "before_flush", _stamp_versions)
