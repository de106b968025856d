"""Helpers of the LAN server tests: the clock, the demo's people and an HTTP client."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from shared.auth import Principal, create_pairing_token, redeem_pairing_token
from shared.db import Database
from shared.models import (
    Attendance,
    CommunicationRecord,
    Lesson,
    LessonStudent,
    Order,
    Parent,
    Staff,
    Stage,
    Student,
    TrialLesson,
)
from shared.permissions import scope_clause
from shared.sync_log import API_SCHEMA_VERSION
from shared.versioning import current_version

# The demo's "today" (a Wednesday) and 10:00 that morning in Shanghai.
TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves; the server reads it on every request."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self.now += delta


@dataclass
class People:
    """The demo's people the tests act as, and rows that lie inside or outside their scopes."""

    campus_id: str
    manager: Principal
    teacher: Principal
    consultant: Principal
    other_teacher: Principal
    teacher_lesson: str  # an unmarked lesson of the teacher this week, with enrolled students
    teacher_lesson_students: list[str]
    teacher_trial: str  # a trial where the teacher is the intent teacher
    teacher_parent: str  # a parent the teacher, the consultant and the manager all see
    consultant_only_parent: str  # a consultant's parent the teacher does not see
    consultant_only_student: str
    teacher_communication: str  # a communication record the teacher sees
    stage_id: str
    extra: dict[str, Any] = field(default_factory=dict)


def _principal(db: Database, name: str) -> Principal:
    with db.reader() as s:
        staff = s.scalars(select(Staff).where(Staff.name == name)).one()
        return Principal.of_staff(staff)


def _visible(db: Database, p: Principal, model: type, *where: Any) -> list[str]:
    with db.reader() as s:
        return list(
            s.scalars(
                select(model.id)
                .where(scope_clause(s, p, model), model.is_deleted.is_(False), *where)
                .order_by(model.id)
            )
        )


def find_people(db: Database) -> People:
    """Pick the demo's people and rows for the tests (seed 1, today :data:`TODAY`)."""
    with db.reader() as s:
        staff = list(s.scalars(select(Staff).where(Staff.is_deleted.is_(False))))
        manager = next(x for x in staff if x.has_role("manager"))
        consultant = next(x for x in staff if x.roles == ["consultant"])
        # A lesson of this week not yet marked (the demo marks lessons once they are over),
        # with students enrolled; its teacher is "the teacher".
        unmarked = (
            select(Lesson)
            .join(Staff, Staff.id == Lesson.teacher_id)
            .where(Lesson.lesson_on.between(TODAY - timedelta(days=6), TODAY))
            .where(Staff.roles == ["teacher"])
            .where(~select(Attendance.id).where(Attendance.lesson_id == Lesson.id).exists())
            .where(select(LessonStudent.id).where(LessonStudent.lesson_id == Lesson.id).exists())
            .order_by(Lesson.lesson_on.desc(), Lesson.starts_at, Lesson.id)
        )
        lesson = s.scalars(unmarked).first()
        teacher_id = lesson.teacher_id
        teacher = next(x for x in staff if x.id == teacher_id)
        other = next(x for x in staff if x.roles == ["teacher"] and x.id != teacher_id)
        lesson_students = list(
            s.scalars(select(LessonStudent.student_id).where(LessonStudent.lesson_id == lesson.id))
        )
        campus_id = manager.campus_id
        stage_id = s.scalars(select(Stage.id).where(Stage.campus_id == campus_id)).first()
    p_manager, p_teacher, p_consultant, p_other = (
        Principal.of_staff(x) for x in (manager, teacher, consultant, other)
    )
    teacher_parents = set(_visible(db, p_teacher, Parent))
    consultant_parents = set(_visible(db, p_consultant, Parent))
    shared_parents = sorted(teacher_parents & consultant_parents) or sorted(teacher_parents)
    consultant_only = sorted(consultant_parents - teacher_parents)
    teacher_students = set(_visible(db, p_teacher, Student))
    consultant_students = sorted(set(_visible(db, p_consultant, Student)) - teacher_students)
    # A trial no order came from: its outcome is still the teacher's to record.
    trials = _visible(
        db,
        p_teacher,
        TrialLesson,
        TrialLesson.intent_teacher_id == teacher.id,
        ~select(Order.id).where(Order.trial_id == TrialLesson.id).exists(),
    )
    communications = _visible(db, p_teacher, CommunicationRecord)
    return People(
        campus_id=campus_id,
        manager=p_manager,
        teacher=p_teacher,
        consultant=p_consultant,
        other_teacher=p_other,
        teacher_lesson=lesson.id,
        teacher_lesson_students=lesson_students,
        teacher_trial=trials[0],
        teacher_parent=shared_parents[0],
        consultant_only_parent=consultant_only[0],
        consultant_only_student=consultant_students[0],
        teacher_communication=communications[0],
        stage_id=stage_id,
    )


def token_for(db: Database, staff_id: str, now: datetime = NOW, device: str = "测试手机") -> str:
    """A device token for a staff member, made the way the desktop's QR code pairing does."""
    with db.unit_of_work() as s:
        ticket = create_pairing_token(s, staff_id=staff_id, now=now)
        return redeem_pairing_token(s, token=ticket.token, device_name=device, now=now).token


def sync_version(db: Database) -> int:
    """The database's current sync version (what changed, if it moved)."""
    with db.reader() as s:
        return current_version(s)


def new_id() -> str:
    """A fresh row id, as a phone makes one."""
    return str(uuid.uuid4())


def client_id() -> str:
    """A fresh outbox client id."""
    return uuid.uuid4().hex


def push_body(client: str, *mutations: dict[str, Any], first_id: int = 1) -> dict[str, Any]:
    """A push of these mutations (``name``, ``args``, optional ``base_version``), numbered."""
    return {
        "client_id": client,
        "schema_version": API_SCHEMA_VERSION,
        "mutations": [{"mutation_id": first_id + i, **m} for i, m in enumerate(mutations)],
    }


@dataclass
class Reply:
    """An HTTP answer: status, headers and the decoded JSON body (None when not JSON)."""

    status: int
    headers: dict[str, str]
    body: Any
    text: str

    @property
    def error(self) -> dict[str, Any]:
        """The ``error`` object of a JSON error body."""
        assert isinstance(self.body, dict) and "error" in self.body, self.text
        return self.body["error"]


class Api:
    """A small HTTP client of one server, optionally logged in."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str | None = None) -> None:
        self.http = http
        self.base = base
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The request headers: the bearer token (if any) and ``extra``."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request and read the whole answer."""
        kwargs: dict[str, Any] = {"headers": self.headers(headers), "params": params}
        if json_body is not None:
            kwargs["json"] = json_body
        if data is not None:
            kwargs["data"] = data
        async with self.http.request(method, self.base + path, **kwargs) as response:
            text = await response.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            return Reply(response.status, dict(response.headers), body, text)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        """GET ``path``."""
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        """POST ``path`` with a JSON body."""
        return await self.request("POST", path, json_body=body, **kwargs)
