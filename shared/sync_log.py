"""Push and pull: how phones and the authority (the desktop's database) stay in step.

DESIGN.md, "Sync: one authority, many light clients".

Push (Replicache's scheme)
    A phone pushes its outbox in order: ``{client_id, schema_version, mutations: [{mutation_id,
    name, args, base_version}]}``. The client id (a :class:`~shared.sync_models.SyncClient`
    row) belongs to the staff member who first pushed with it. Each new mutation is applied in
    its own write transaction (``BEGIN IMMEDIATE``) that also records the client's
    ``last_mutation_id``, so what was acknowledged survives a crash and a replay finds it
    already counted (``duplicate``, nothing written). A mutation that can never apply
    (unknown, invalid, out of scope, missing) is answered ``rejected`` and still counted, in a
    transaction that changes nothing else, so one bad entry cannot jam the queue. Before
    anything is applied, the ids are checked to continue the client's sequence without a gap;
    a gap means the phone lost track and the whole push is refused.

    Same-field edits and edits of deleted rows are stored as
    :class:`~shared.sync_models.ConflictRecord` rows in the mutation's transaction and
    answered ``conflict`` (see :mod:`shared.mutations` for the merge rule). When one push
    edits the same field twice, the second edit does not count the first as somebody else's
    change.

Pull
    ``since=<version>`` returns every row of every synced table with a newer version that the
    caller may see (:func:`shared.permissions.scope_clause`), tombstones included, secret
    columns left out (:func:`shared.permissions.excluded_fields`). A big catch-up comes in
    batches cut on a version boundary, so that the next ``since`` never skips half of one
    version's rows. One bounded count per table first says what changed: tables with nothing
    new are not asked, a table with a few changed rows is asked from those rows (the scope's
    per-row shape), a long catch-up from the caller's sets (its set shape); the rows are the
    same either way. Rows whose visibility moved through another row (a student handed to
    another consultant) come too: those that left the scope as ``gone`` ids, those that came
    into it as rows, whatever their own version (:mod:`shared.scope_changes`); after a change
    of the caller's roles the answer is their whole scope, marked ``reset``.

After a push, whom to poke is worked out from the rows its transactions wrote, one question
per colleague and table, asked of one row per group of rows the scope rules cannot tell apart
(:func:`shared.permissions.scope_columns`).

Both carry ``schema_version``; a client speaking another one gets StaleClient ("reload").
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Select, TextClause, bindparam, select, text, update
from sqlalchemy.orm import Session

from . import mutations, permissions, scope_changes
from .auth import Principal
from .db import Database
from .errors import Conflict, DabiaoError, Forbidden, Invalid, NotFound, StaleClient
from .models import SYNCED_MODELS, Campus, Staff, Synced
from .sync_models import ConflictRecord, SyncClient
from .versioning import current_version

API_SCHEMA_VERSION: int = 1
"""The version of the push/pull wire format (and of what a row looks like in a pull)."""

MAX_MUTATIONS_PER_PUSH = 100
DEFAULT_PULL_LIMIT = 5000
# Mutation ids and versions are plain JavaScript numbers on the phone.
MAX_WIRE_INT = 2**53 - 1

ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]

# --------------------------------------------------------------------------- wire models


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class MutationIn(_Wire):
    """One outbox entry as the phone pushes it."""

    mutation_id: int = Field(ge=1, le=MAX_WIRE_INT)
    name: str = Field(min_length=1, max_length=64)
    args: dict[str, Any]
    base_version: int | None = Field(default=None, ge=0, le=MAX_WIRE_INT)


class PushRequest(_Wire):
    """A phone's push: its client id, the wire version it speaks, mutations in order."""

    client_id: ClientId
    schema_version: int
    mutations: list[MutationIn] = Field(min_length=1, max_length=MAX_MUTATIONS_PER_PUSH)


class ErrorOut(BaseModel):
    """Why a mutation was rejected: the field (a path inside ``args``) and a sentence."""

    field: str
    message: str


class ConflictOut(BaseModel):
    """A collision an applied edit caused; the desktop can revert it."""

    field: str
    overwritten_value: Any
    applied_value: Any


class MutationResult(BaseModel):
    """The answer for one pushed mutation."""

    mutation_id: int
    status: Literal["applied", "duplicate", "rejected", "conflict"]
    error: ErrorOut | None = None
    conflicts: list[ConflictOut] = Field(default_factory=list)


class PushResult(BaseModel):
    """The answer for a push, and (not sent) whom the live hub should poke."""

    results: list[MutationResult]
    version: int
    touched_staff_ids: set[str] = Field(default_factory=set, exclude=True)
    touched_campus_ids: set[str] = Field(default_factory=set, exclude=True)


class PullResult(BaseModel):
    """Rows changed since the caller's version: table name → JSON-ready rows.

    ``gone``: table name → ids of rows that left the caller's scope since the version
    without being deleted (a student handed to another consultant, a lesson moved to another
    teacher, and what they brought into view); the phone drops them if it holds them, as it
    would a tombstone. ``reset``: the caller's roles changed, so this answer is their whole
    scope as of now (a pull since 0, in one batch): the phone replaces everything it holds.
    """

    version: int
    changes: dict[str, list[dict[str, Any]]]
    has_more: bool = False
    gone: dict[str, list[str]] = Field(default_factory=dict)
    reset: bool = False


def parse_push(body: object) -> PushRequest:
    """Validate a push body (decoded JSON); Invalid names the offending field path."""
    try:
        return PushRequest.model_validate(body)
    except ValidationError as exc:
        raise mutations.invalid_from(exc) from None


def check_schema_version(schema_version: object) -> None:
    """Refuse a client that speaks another wire version: it must reload the page."""
    if schema_version != API_SCHEMA_VERSION:
        raise StaleClient("手机页面版本已过期，请重新加载页面", API_SCHEMA_VERSION)


def error_body(exc: DabiaoError) -> ErrorOut:
    """An error as ``{field, message}``; messages written ``field: sentence`` are split."""
    if isinstance(exc, Invalid):
        return ErrorOut(field=exc.field, message=exc.reason)
    field, sep, rest = exc.message.partition(": ")
    if sep and field and " " not in field and all(ord(ch) < 128 for ch in field):
        return ErrorOut(field=field, message=rest)
    return ErrorOut(field="", message=exc.message)


# --------------------------------------------------------------------------- push


def push(db: Database, principal: Principal, request: PushRequest, *, now: datetime) -> PushResult:
    """Apply a phone's mutations in order, each in its own transaction (module notes)."""
    check_schema_version(request.schema_version)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = PushResult(results=[], version=0)
    own_writes: dict[tuple[str, str, str], int] = {}
    with db.unit_of_work() as session:
        client = _client(session, principal, request.client_id, now)
        _check_sequence(request.mutations, client.last_mutation_id)
        before = current_version(session)
        session.commit()
        # One session, one transaction per mutation: what is answered applied has committed.
        for index, mutation in enumerate(request.mutations):
            answer = _push_one(
                session, principal, request.client_id, index, mutation, now, result, own_writes
            )
            session.commit()
            # Nothing loaded for one mutation may be read, possibly stale, by the next.
            session.expunge_all()
            result.results.append(answer)
    with db.reader() as session:
        result.version = current_version(session)
        if any(r.status in ("applied", "conflict") for r in result.results):
            # Who to poke is worked out once for the whole push, not per mutation: it is the
            # costliest step of a push. Rows another writer committed meanwhile are included,
            # which only pokes their audience too (a poke is a hint to pull, never data).
            staff, campuses = _audience(session, principal, _rows_since(session, before))
            result.touched_staff_ids |= staff
            result.touched_campus_ids |= campuses
            if staff or result.touched_campus_ids:
                result.touched_campus_ids.add(principal.campus_id)
    return result


def _client(session: Session, principal: Principal, client_id: str, now: datetime) -> SyncClient:
    client = session.get(SyncClient, client_id)
    if client is None:
        client = SyncClient(
            client_id=client_id,
            staff_id=principal.staff_id,
            device_id=principal.device_id,
            last_mutation_id=0,
            created_at=now,
            last_seen_at=now,
        )
        session.add(client)
        session.flush()
    elif client.staff_id != principal.staff_id:
        raise Forbidden("client_id: 这个客户端编号属于另一位员工，请重新登录")
    return client


def _check_sequence(items: list[MutationIn], last: int) -> None:
    """Ids must rise, and the first new one must follow the last one applied, without a gap."""
    expected = last + 1
    previous = 0
    for i, item in enumerate(items):
        field = f"mutations[{i}].mutation_id"
        if item.mutation_id <= previous:
            raise Invalid(field, "操作编号必须递增")
        previous = item.mutation_id
        if item.mutation_id <= last:
            continue
        if item.mutation_id != expected:
            raise Invalid(field, f"操作编号不连续：应为 {expected}，收到 {item.mutation_id}")
        expected += 1


def _push_one(
    session: Session,
    principal: Principal,
    client_id: str,
    index: int,
    item: MutationIn,
    now: datetime,
    result: PushResult,
    own_writes: dict[tuple[str, str, str], int],
) -> MutationResult:
    """Apply one mutation in the session's current transaction, and count it there."""
    # Read and counted with plain statements: the ORM's bookkeeping for this one integer
    # cost more than the rest of an append.
    # Counted first, in the same transaction, only if it follows the last one counted: it
    # commits with the mutation's writes (or, refused, on its own), or not at all.
    counted = session.execute(
        _COUNT_MUTATION,
        {"client": client_id, "mutation": item.mutation_id, "now": now},
    ).rowcount
    if counted != 1:
        last = session.execute(_LAST_MUTATION, {"client_id": client_id}).scalar_one()
        if item.mutation_id <= last:
            # Applied meanwhile by a concurrent push of the same phone (a retry in flight).
            return MutationResult(mutation_id=item.mutation_id, status="duplicate")
        raise Invalid(
            f"mutations[{index}].mutation_id",
            f"操作编号不连续：应为 {last + 1}，收到 {item.mutation_id}",
        )
    try:
        if item.name in mutations.SINGLE_ROW_APPENDS:
            # Everything is checked before the one INSERT: a refused append has written
            # nothing, so no savepoint is needed; the row goes in as one plain statement.
            session.info[mutations.CORE_APPENDS] = True
            try:
                applied = mutations.apply_mutation(
                    session,
                    principal,
                    item.name,
                    item.args,
                    base_version=item.base_version,
                    now=now,
                )
            finally:
                session.info.pop(mutations.CORE_APPENDS, None)
        else:
            # A savepoint, so that a refused mutation's partial writes vanish while its
            # counting below still commits.
            with session.begin_nested():
                applied = mutations.apply_mutation(
                    session,
                    principal,
                    item.name,
                    item.args,
                    base_version=item.base_version,
                    now=now,
                )
    except (Invalid, NotFound, Forbidden, Conflict) as exc:
        answer = MutationResult(
            mutation_id=item.mutation_id, status="rejected", error=error_body(exc)
        )
    else:
        conflicts = [
            c
            for c in applied.conflicts
            if own_writes.get((c.table, c.row_id, c.field)) != c.changed_at_version
        ]
        for conflict in conflicts:
            session.add(_conflict_record(conflict, principal, client_id, item, now))
        if applied.rows and applied.written_fields:
            row = applied.rows[0]
            for name in applied.written_fields:
                own_writes[(row.__tablename__, row.id, name)] = row.version
        result.touched_campus_ids |= {c.campus_id for c in conflicts if c.campus_id}
        answer = MutationResult(
            mutation_id=item.mutation_id,
            status="conflict" if conflicts else "applied",
            conflicts=[
                ConflictOut(
                    field=c.field,
                    overwritten_value=c.overwritten_value,
                    applied_value=c.applied_value,
                )
                for c in conflicts
            ],
        )
    return answer


_CLIENTS = SyncClient.__table__
_LAST_MUTATION = select(_CLIENTS.c.last_mutation_id).where(
    _CLIENTS.c.client_id == bindparam("client_id")
)
_COUNT_MUTATION = (
    update(_CLIENTS)
    .where(
        _CLIENTS.c.client_id == bindparam("client"),
        _CLIENTS.c.last_mutation_id == bindparam("mutation") - 1,
    )
    .values(last_mutation_id=bindparam("mutation"), last_seen_at=bindparam("now"))
)


def _conflict_record(
    conflict: mutations.EditConflict,
    principal: Principal,
    client_id: str,
    item: MutationIn,
    now: datetime,
) -> ConflictRecord:
    return ConflictRecord(
        kind=conflict.kind,
        table_name=conflict.table,
        row_id=conflict.row_id,
        field=conflict.field,
        overwritten_value=conflict.overwritten_value,
        applied_value=conflict.applied_value,
        staff_id=principal.staff_id,
        client_id=client_id,
        mutation_id=item.mutation_id,
        campus_id=conflict.campus_id,
        created_at=now,
    )


@dataclass(frozen=True, slots=True)
class _Written:
    """Rows a push's transactions wrote that the same people see: one of them stands in."""

    model: type[Synced]
    id: str
    campus_id: str | None  # None for link rows (enrolments, parent links): no campus column


def _rows_since_statement() -> TextClause:
    # One statement over every synced table, each part a search of its version index. Rows
    # alike in what the scope rules read of them have one audience, so one id stands for
    # them all: fifty records about one parent are asked about once. (The unary + keeps
    # SQLite from walking a whole table along an index to save sorting a handful of rows.)
    parts = []
    for number, model in enumerate(SYNCED_MODELS):
        columns = permissions.scope_columns(model)
        campus = "id" if model is Campus else "campus_id" if "campus_id" in columns else "NULL"
        parts.append(
            f"SELECT {number} AS model, min(id) AS id, {campus} AS campus_id"
            f" FROM {model.__tablename__} WHERE version > :v"
            f" GROUP BY {', '.join('+' + column for column in columns)}"
        )
    return text(" UNION ALL ".join(parts))


_ROWS_SINCE = _rows_since_statement()


def _rows_since(session: Session, version: int) -> list[_Written]:
    """The synced rows written after ``version``, one per group the same people see: in a
    write transaction, exactly its rows (the services' derived ones too, such as 划课)."""
    session.flush()
    return [
        _Written(SYNCED_MODELS[number], str(uuid.UUID(bytes=row_id)), _guid(campus_id))
        for number, row_id, campus_id in session.execute(_ROWS_SINCE, {"v": version})
    ]


def _guid(value: bytes | None) -> str | None:
    return None if value is None else str(uuid.UUID(bytes=value))


@functools.cache
def _seen_statement(kind: permissions.ScopeKind, model: type[Synced]) -> Select[Any]:
    """Whether any of some rows of ``model`` (by id) is in the scope of a principal of ``kind``."""
    c = model.__table__.c
    return (
        select(c.id)
        .where(
            c.id.in_(bindparam("ids", expanding=True)),
            permissions.scope_template(kind, model, per_row=True),
        )
        .limit(1)
    )


def _audience(
    session: Session, principal: Principal, rows: Iterable[_Written]
) -> tuple[set[str], set[str]]:
    """Staff whose scope includes any of the rows, and the campuses the rows belong to.

    The same set as the union of :func:`shared.permissions.staff_who_see` over the rows (a
    test holds them equal), asked per person and table rather than per row: one 点名 touches
    dozens of attendance and 划课 rows, and asking each row of each colleague took most of a
    push's time. Each question starts from the rows' ids (the per-row scope shape).
    """
    ids_by_model: dict[type[Synced], list[str]] = {}
    campuses: set[str] = set()
    for row in rows:
        ids_by_model.setdefault(row.model, []).append(row.id)
        # Link rows (enrolments, parent links) carry no campus; a mutation only ever writes
        # rows of the caller's campus.
        campuses.add(row.campus_id or principal.campus_id)
    if not ids_by_model:
        return set(), campuses
    people = session.execute(
        select(Staff.id, Staff.campus_id, Staff.name, Staff.roles).where(
            Staff.campus_id.in_(campuses), Staff.is_deleted.is_(False), Staff.active.is_(True)
        )
    ).all()
    staff: set[str] = set()
    for staff_id, campus_id, name, roles in people:
        person = Principal(staff_id, campus_id, name, tuple(roles), None)
        kind = permissions.scope_kind(person)
        params = permissions.scope_params(person)
        if kind.campus_wide or any(
            session.execute(_seen_statement(kind, model), {**params, "ids": ids}).first()
            is not None
            for model, ids in ids_by_model.items()
        ):
            staff.add(staff_id)
    return staff, campuses


# --------------------------------------------------------------------------- pull


def row_to_json(row: Synced, excluded: Iterable[str] = ()) -> dict[str, Any]:
    """A synced row as JSON: ids as strings, dates ISO, hours as strings, fen as int."""
    skip = set(excluded)
    return {
        attr.key: mutations.to_json(getattr(row, attr.key))
        for attr in row.__mapper__.column_attrs
        if attr.key not in skip
    }


def pull(
    session: Session,
    principal: Principal,
    since: int,
    schema_version: int,
    *,
    limit: int = DEFAULT_PULL_LIMIT,
    rows: bool = True,
) -> PullResult:
    """Rows the caller may see with a version above ``since``, tombstones included.

    With more than ``limit`` rows, the first batch (oldest versions) comes back with
    ``has_more`` and ``version`` set to its last included version; the batch ends on a
    version boundary, and only a single version larger than ``limit`` is sent whole.
    Without ``rows`` only what left the scope is answered (``gone``, ``reset``), up to the
    current version in one answer: for a client that reads views and only needs to forget.
    Run it in one read transaction (``db.reader()``) so every table is read at one instant.
    """
    check_schema_version(schema_version)
    if not isinstance(since, int) or isinstance(since, bool) or since < 0:
        raise Invalid("since", "必须是不小于 0 的整数")
    if not isinstance(limit, int) or limit < 1:
        raise Invalid("limit", "必须是正整数")
    top = current_version(session)
    if since > top:
        # The phone saw versions this file never had: the database was replaced or restored
        # from a backup. Its cached rows are not this database's; it must start over.
        raise StaleClient("服务器数据已更换（可能从备份恢复），请重新加载页面", API_SCHEMA_VERSION)
    if since > 0 and scope_changes.roles_changed_since(session, principal, since):
        # Another set of roles is another kind of scope: the phone's rows were chosen by the
        # old one. Its whole new scope, in one batch, so that the next `since` is past the
        # change (batches would ask again from below it, and start over again).
        if not rows:
            return PullResult(version=top, changes={}, reset=True)
        everything = pull(session, principal, 0, schema_version, limit=MAX_WIRE_INT)
        everything.reset = True
        return everything
    kind = permissions.scope_kind(principal)
    params = permissions.scope_params(principal)
    # Which tables changed since `since`, and how much: a table with nothing new is not asked
    # at all, and one with a few rows is asked from those rows (the per-row scope shape);
    # a large catch-up drives from the caller's sets instead.
    changed = session.execute(_CHANGED, {"since": since, "cap": PER_ROW_PULL_ROWS + 1}).one()
    shapes = {
        model: count <= PER_ROW_PULL_ROWS
        for model, count in zip(SYNCED_MODELS, changed, strict=True)
        if count
    }
    if not rows:
        shift = scope_changes.scope_shift(session, principal, since, shapes) if since > 0 else None
        return PullResult(version=top, changes={}, gone=_gone_json(shift))
    # First only the versions, to find where the batch ends; then the rows of the batch. Each
    # table gives its oldest limit+1 versions, so the oldest limit+1 overall are exact.
    versions: list[int] = []
    for model, per_row in shapes.items():
        versions += session.scalars(
            _pull_statements(kind, model, per_row).versions,
            {**params, "since": since, "limit": limit + 1},
        )
    versions.sort()
    has_more = len(versions) > limit
    upper = top
    if has_more:
        cut = versions[limit]  # the oldest version left out
        below = [v for v in versions[:limit] if v < cut]
        if below:
            upper = below[-1]
        else:
            # One version holds more than `limit` rows (a bulk import): it goes whole, or the
            # phone could never move past it.
            upper = cut
            has_more = any(
                session.execute(
                    _pull_statements(kind, model, per_row).any_after, {**params, "cut": cut}
                ).first()
                is not None
                for model, per_row in shapes.items()
            )
    found: list[tuple[int, int, Synced]] = []
    for order, (model, per_row) in enumerate(shapes.items()):
        query = _pull_statements(kind, model, per_row).rows
        found += [
            (row.version, order, row)
            for row in session.scalars(query, {**params, "since": since, "upper": upper})
        ]
    # Rows whose visibility moved through another row (module notes of shared.scope_changes):
    # those that left go as ids, those that came into view go as rows with the changes.
    shift = (
        scope_changes.scope_shift(session, principal, since, shapes)
        if since > 0
        else scope_changes.ScopeShift()
    )
    for model, ids in shift.entered.items():
        order = len(shapes) + SYNCED_MODELS.index(model)
        for chunk in scope_changes.chunks(ids):
            found += [
                (row.version, order, row)
                for row in session.scalars(select(model).where(model.id.in_(chunk)))
            ]
    found.sort(key=lambda entry: (entry[0], entry[1]))
    result = _pull_result(
        principal, upper if has_more else top, [row for _, _, row in found], has_more=has_more
    )
    result.gone = _gone_json(shift)
    return result


def _gone_json(shift: scope_changes.ScopeShift | None) -> dict[str, list[str]]:
    if shift is None:
        return {}
    return {
        model.__tablename__: sorted(ids)
        for model, ids in sorted(shift.gone.items(), key=lambda item: item[0].__tablename__)
    }


#: Up to this many rows changed in a table since the caller's version, a pull starts from
#: those rows and checks each (cost grows with the rows); beyond it, from the caller's sets
#: (cost grows with the caller's scope, whatever the version). Measured on the demos: a
#: per-row check costs about as much as materialising a scope's sets once per ~3000 rows.
PER_ROW_PULL_ROWS = 200


def _changed_statement() -> TextClause:
    # How many rows of each table changed since a version, counted no further than :cap:
    # one statement of 18 bounded searches of the version indexes.
    counts = ", ".join(
        f"(SELECT count(*) FROM (SELECT 1 FROM {m.__tablename__} WHERE version > :since"
        " LIMIT :cap))"
        for m in SYNCED_MODELS
    )
    return text(f"SELECT {counts}")


_CHANGED = _changed_statement()


@dataclass(frozen=True, slots=True)
class _PullStatements:
    """A pull's three questions to one table, built once per scope kind and shape."""

    versions: Select[Any]  # :since, :limit → the oldest versions in scope
    any_after: Select[Any]  # :cut → whether any row in scope is newer than cut
    rows: Select[Any]  # :since, :upper → the rows in scope, oldest first


@functools.cache
def _pull_statements(
    kind: permissions.ScopeKind, model: type[Synced], per_row: bool
) -> _PullStatements:
    scope = permissions.scope_template(kind, model, per_row=per_row)
    version = model.__table__.c.version
    return _PullStatements(
        versions=select(version)
        .where(version > bindparam("since"), scope)
        .order_by(version)
        .limit(bindparam("limit")),
        any_after=select(model.__table__.c.id).where(version > bindparam("cut"), scope).limit(1),
        rows=select(model)
        .where(model.version > bindparam("since"), model.version <= bindparam("upper"), scope)
        .order_by(model.version, model.id),
    )


def _pull_result(
    principal: Principal, version: int, rows: list[Synced], *, has_more: bool
) -> PullResult:
    changes: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        table = row.__tablename__
        # Never pin_hash; for callers who are not campus-wide also colleagues' phone numbers.
        excluded = permissions.excluded_fields(principal, table)
        changes.setdefault(table, []).append(row_to_json(row, excluded))
    return PullResult(version=version, changes=changes, has_more=has_more)
