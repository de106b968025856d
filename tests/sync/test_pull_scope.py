"""A pull tells a phone about rows that left (or came into) its scope without changing.

The oracle: each person's whole scope (every synced table, tombstones included) read before
and after some desktop-side edits that move rows between people — a student handed to another
consultant, a lesson given to another teacher, an enrolment withdrawn, a parent unlinked. A
pull since the version before the edits must name every row that left as ``gone`` (and none
still in scope), and deliver every row that came into view, whatever its own version.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select

from shared import sync_log
from shared.auth import Principal
from shared.db import Database
from shared.models import (
    SYNCED_MODELS,
    Lesson,
    LessonStudent,
    Order,
    Staff,
    Student,
    StudentParent,
    TrialLesson,
)
from shared.permissions import scope_clause
from shared.services.students import unlink_parent, update_student
from shared.sync_log import API_SCHEMA_VERSION, MAX_WIRE_INT
from sync.server import SyncServer

from .support import Api, People, sync_version, token_for

Snapshot = dict[str, set[str]]


def scope_of(db: Database, p: Principal) -> Snapshot:
    """Every row (tombstones too) of every synced table in ``p``'s scope now."""
    with db.reader() as s:
        return {
            model.__tablename__: set(s.scalars(select(model.id).where(scope_clause(s, p, model))))
            for model in SYNCED_MODELS
        }


def pull_all(db: Database, p: Principal, since: int) -> dict[str, Any]:
    """Every batch of a pull since ``since``, merged: changed ids, gone ids, flags."""
    changed: Snapshot = {}
    older: Snapshot = {}  # rows sent whose own version is not above ``since``
    gone: Snapshot = {}
    resets = []
    first = since
    while True:
        with db.reader() as s:
            result = sync_log.pull(s, p, since, API_SCHEMA_VERSION, limit=2000)
        for table, rows in result.changes.items():
            changed.setdefault(table, set()).update(row["id"] for row in rows)
            older.setdefault(table, set()).update(
                row["id"] for row in rows if row["version"] <= first
            )
        for table, ids in result.gone.items():
            gone.setdefault(table, set()).update(ids)
        resets.append(result.reset)
        since = result.version
        if not result.has_more:
            return {
                "changed": changed,
                "older": {t: ids for t, ids in older.items() if ids},
                "gone": gone,
                "resets": resets,
                "version": since,
            }


def minus(a: Snapshot, b: Snapshot) -> Snapshot:
    return {t: a.get(t, set()) - b.get(t, set()) for t in a if a.get(t, set()) - b.get(t, set())}


def within(a: Snapshot, b: Snapshot) -> bool:
    return all(ids <= b.get(t, set()) for t, ids in a.items())


def disjoint(a: Snapshot, b: Snapshot) -> bool:
    return all(not (ids & b.get(t, set())) for t, ids in a.items())


def own_student(db: Database, consultant_id: str) -> str:
    """A live student whose consultant is ``consultant_id`` and who reaches them no other way
    (no live trial or order of theirs): handing it over takes it out of their scope."""
    with db.reader() as s:
        return s.scalars(
            select(Student.id)
            .where(Student.consultant_id == consultant_id, Student.is_deleted.is_(False))
            .where(
                ~select(TrialLesson.id)
                .where(
                    TrialLesson.student_id == Student.id,
                    TrialLesson.consultant_id == consultant_id,
                )
                .exists(),
                ~select(Order.id)
                .where(Order.student_id == Student.id, Order.consultant_id == consultant_id)
                .exists(),
                select(StudentParent.id).where(StudentParent.student_id == Student.id).exists(),
            )
            .order_by(Student.id)
        ).first()


def other_consultant(db: Database, p: People) -> Principal:
    with db.reader() as s:
        staff = s.scalars(
            select(Staff)
            .where(Staff.roles == ["consultant"], Staff.id != p.consultant.staff_id)
            .order_by(Staff.id)
        ).first()
        return Principal.of_staff(staff)


def move_rows_between_people(db: Database, p: People, consultant_b: Principal) -> str:
    """The desktop's edits: a student to consultant B, the teacher's lesson to the other
    teacher, an enrolment of another of the teacher's lessons withdrawn, a link removed.
    Returns the student handed over."""
    student = own_student(db, p.consultant.staff_id)
    with db.unit_of_work() as s:
        update_student(s, student, {"consultant_id": consultant_b.staff_id})
        s.get(Lesson, p.teacher_lesson).teacher_id = p.other_teacher.staff_id
        enrolment = s.scalars(
            select(LessonStudent)
            .join(Lesson, Lesson.id == LessonStudent.lesson_id)
            .where(
                Lesson.teacher_id == p.teacher.staff_id,
                Lesson.id != p.teacher_lesson,
                LessonStudent.is_deleted.is_(False),
            )
            .order_by(Lesson.lesson_on.desc(), LessonStudent.id)
        ).first()
        enrolment.is_deleted = True
        link = s.scalars(
            select(StudentParent)
            .where(
                StudentParent.student_id.in_(p.teacher_lesson_students),
                StudentParent.is_deleted.is_(False),
            )
            .order_by(StudentParent.id)
        ).first()
        unlink_parent(s, student_id=link.student_id, parent_id=link.parent_id)
    return student


def test_a_pull_names_every_row_that_left_the_scope_and_brings_every_row_that_entered(
    campus_db: Database, people: People
) -> None:
    consultant_b = other_consultant(campus_db, people)
    everyone = {
        "consultant": people.consultant,
        "consultant_b": consultant_b,
        "teacher": people.teacher,
        "other_teacher": people.other_teacher,
        "manager": people.manager,
    }
    before = {name: scope_of(campus_db, p) for name, p in everyone.items()}
    since = sync_version(campus_db)
    student = move_rows_between_people(campus_db, people, consultant_b)
    for name, p in everyone.items():
        after = scope_of(campus_db, p)
        pulled = pull_all(campus_db, p, since)
        lost, gained = minus(before[name], after), minus(after, before[name])
        assert within(lost, pulled["gone"]), (name, minus(lost, pulled["gone"]))
        assert disjoint(pulled["gone"], after), name
        assert within(gained, pulled["changed"]), (name, minus(gained, pulled["changed"]))
        if name in ("consultant", "teacher", "manager"):
            # Those who only lost rows are sent nothing they already had: an owner change away
            # from somebody, a withdrawn enrolment, a removed link grant them nothing. (Who
            # receives a student or a lesson gets its rows again, also those they had.)
            assert within(pulled["older"], gained), (name, minus(pulled["older"], gained))
        assert not any(pulled["resets"]), name
        with campus_db.reader() as s:
            only_gone = sync_log.pull(s, p, since, API_SCHEMA_VERSION, rows=False)
        assert only_gone.changes == {} and not only_gone.has_more and not only_gone.reset
        assert {t: set(ids) for t, ids in only_gone.gone.items()} == pulled["gone"], name
        assert only_gone.version == pulled["version"]
        if name in ("consultant", "teacher"):
            assert lost, f"the edits must take rows out of the {name}'s scope"
        if name in ("consultant_b", "other_teacher"):
            assert gained, f"the edits must bring rows into the {name}'s scope"
        if name == "manager":
            assert pulled["gone"] == {}
    consultant_lost = minus(before["consultant"], scope_of(campus_db, people.consultant))
    assert student in consultant_lost["students"]
    assert {"students", "student_parents", "parents"} <= set(consultant_lost)
    teacher_lost = minus(before["teacher"], scope_of(campus_db, people.teacher))
    assert {"lessons", "lesson_students", "parents"} <= set(teacher_lost)


def test_a_pull_after_the_callers_roles_changed_starts_the_phone_over(
    campus_db: Database, people: People
) -> None:
    since = sync_version(campus_db)
    with campus_db.unit_of_work() as s:
        s.get(Staff, people.teacher.staff_id).roles = ["consultant"]
    with campus_db.reader() as s:
        now_consultant = Principal.of_staff(s.get(Staff, people.teacher.staff_id))
        reset = sync_log.pull(s, now_consultant, since, API_SCHEMA_VERSION, limit=50)
        whole = sync_log.pull(s, now_consultant, 0, API_SCHEMA_VERSION, limit=MAX_WIRE_INT)
    assert reset.reset and not reset.has_more
    assert reset.changes == whole.changes and reset.version == whole.version
    assert reset.gone == {}
    with campus_db.reader() as s:
        only_gone = sync_log.pull(s, now_consultant, since, API_SCHEMA_VERSION, rows=False)
    assert (only_gone.reset, only_gone.changes, only_gone.version) == (True, {}, reset.version)
    later = pull_all(campus_db, now_consultant, reset.version)
    assert later["resets"] == [False]


async def test_pull_over_http_names_a_handed_over_student_as_gone(
    server: SyncServer, campus_db: Database, people: People
) -> None:
    consultant_b = other_consultant(campus_db, people)
    token = token_for(campus_db, people.consultant.staff_id)
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.urls[0], token)
        first = await api.get(
            "/api/pull", params={"since": "0", "schema_version": str(API_SCHEMA_VERSION)}
        )
        assert first.status == 200, first.text[:300]
        assert first.body["gone"] == {} and first.body["reset"] is False
        since = sync_version(campus_db)
        student = move_rows_between_people(campus_db, people, consultant_b)
        reply = await api.get(
            "/api/pull", params={"since": str(since), "schema_version": str(API_SCHEMA_VERSION)}
        )
        only = await api.get(
            "/api/pull",
            params={
                "since": str(since),
                "schema_version": str(API_SCHEMA_VERSION),
                "only": "gone",
            },
        )
        bad = await api.get(
            "/api/pull",
            params={"since": "0", "schema_version": str(API_SCHEMA_VERSION), "only": "rows"},
        )
    assert reply.status == 200, reply.text[:300]
    assert student in reply.body["gone"]["students"]
    assert student not in {row["id"] for row in reply.body["changes"].get("students", [])}
    assert only.status == 200, only.text[:300]
    assert only.body["gone"] == reply.body["gone"]
    assert (only.body["changes"], only.body["has_more"]) == ({}, False)
    assert (bad.status, bad.error["field"]) == (422, "only")
