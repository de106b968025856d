"""Helpers of the phone client's browser tests: the demo's people and rows, and a phone.

The demo campus (seed 1, today :data:`TODAY`) is real data; :func:`find_campus` picks people
and rows for the tests by querying it, never by hard-coding ids.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import BrowserContext, Page
from sqlalchemy import func, select

from shared.auth import Principal, create_pairing_token
from shared.db import Database
from shared.models import (
    Attendance,
    CommunicationRecord,
    Lesson,
    LessonStatus,
    LessonStudent,
    Order,
    Parent,
    Staff,
    StudentParent,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)
from shared.permissions import scope_clause

T = TypeVar("T")

# The demo's "today" (a Wednesday) and 10:00 that morning in Shanghai.
TODAY = date(2026, 11, 18)
NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "phone"

# Exactly the flags of DESIGN.md's testing notes: nothing leaves the machine.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": PHONE_UA,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


class RunningClock:
    """The server's clock: the demo's 10:00 on :data:`TODAY`, then running in real time."""

    def __init__(self, start: datetime = NOW) -> None:
        self.start = start
        self.started = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.start + (datetime.now(UTC) - self.started)


@dataclass(frozen=True)
class Person:
    """A demo staff member and the PIN the demo gave them."""

    staff_id: str
    name: str
    roles: tuple[str, ...]
    pin: str

    def principal(self, campus_id: str) -> Principal:
        return Principal(self.staff_id, campus_id, self.name, self.roles, None)


@dataclass
class Campus:
    """The people and rows the tests act on."""

    campus_id: str
    manager: Person
    teacher: Person  # teaches `lesson` today
    consultant: Person  # has follow-ups due
    lesson_id: str  # an unmarked lesson of the teacher today, with students
    lesson_students: list[str]  # student ids on it, by name
    student_id: str  # the first of them
    parent_id: str  # a parent of that student (the teacher and the manager see them)
    trial_id: str  # a held trial of `trial_person` still waiting for its outcome, no order
    trial_person: Person


def find_campus(db: Database, pins: dict[str, str]) -> Campus:
    """Pick the people and rows of the demo that the tests use."""
    with db.reader() as s:
        staff = {x.id: x for x in s.scalars(select(Staff).where(Staff.is_deleted.is_(False)))}

        def person(row: Staff) -> Person:
            return Person(row.id, row.name, tuple(row.roles), pins[row.name])

        manager = next(x for x in staff.values() if x.has_role("manager"))
        marked = select(Attendance.id).where(Attendance.lesson_id == Lesson.id).exists()
        students_on = (
            select(func.count(LessonStudent.id))
            .where(LessonStudent.lesson_id == Lesson.id, LessonStudent.is_deleted.is_(False))
            .scalar_subquery()
        )
        lesson = s.scalars(
            select(Lesson)
            .join(Staff, Staff.id == Lesson.teacher_id)
            .where(
                Lesson.lesson_on == TODAY,
                Lesson.status != LessonStatus.CANCELLED,
                Staff.roles == ["teacher"],
                ~marked,
                students_on >= 2,
            )
            .order_by(Staff.name, Lesson.starts_at)
        ).first()
        assert lesson is not None, "the demo has no unmarked lesson today"
        teacher = staff[lesson.teacher_id]
        lesson_students = [
            link.student_id
            for link in s.scalars(
                select(LessonStudent)
                .where(LessonStudent.lesson_id == lesson.id, LessonStudent.is_deleted.is_(False))
                .order_by(LessonStudent.student_id)
            )
        ]
        p_teacher = Principal.of_staff(teacher)
        parent_id = s.scalars(
            select(Parent.id)
            .join(StudentParent, StudentParent.parent_id == Parent.id)
            .where(
                StudentParent.student_id.in_(lesson_students),
                StudentParent.is_deleted.is_(False),
                Parent.is_deleted.is_(False),
                scope_clause(s, p_teacher, Parent),
            )
            .order_by(Parent.name)
        ).first()
        assert parent_id is not None
        parent_student = s.scalar(
            select(StudentParent.student_id).where(
                StudentParent.parent_id == parent_id, StudentParent.student_id.in_(lesson_students)
            )
        )
        consultant_id = s.scalar(
            select(CommunicationRecord.staff_id)
            .join(Staff, Staff.id == CommunicationRecord.staff_id)
            .where(
                Staff.roles == ["consultant"],
                CommunicationRecord.is_deleted.is_(False),
                CommunicationRecord.follow_up_done.is_(False),
                CommunicationRecord.next_follow_up_on <= TODAY,
                CommunicationRecord.next_follow_up_on >= date(2026, 10, 1),
            )
            .order_by(Staff.name)
        )
        trial = s.scalars(
            select(TrialLesson)
            .where(
                TrialLesson.status == TrialStatus.HELD,
                TrialLesson.outcome == TrialOutcome.PENDING,
                TrialLesson.is_deleted.is_(False),
                TrialLesson.intent_teacher_id.is_not(None),
                TrialLesson.trial_on >= date(2026, 10, 1),
                ~select(Order.id).where(Order.trial_id == TrialLesson.id).exists(),
            )
            .order_by(TrialLesson.trial_on)
        ).first()
        assert trial is not None and trial.intent_teacher_id is not None
        return Campus(
            campus_id=manager.campus_id,
            manager=person(manager),
            teacher=person(teacher),
            consultant=person(staff[consultant_id]),
            lesson_id=lesson.id,
            lesson_students=lesson_students,
            student_id=parent_student,
            parent_id=parent_id,
            trial_id=trial.id,
            trial_person=person(staff[trial.intent_teacher_id]),
        )


def pairing_token(db: Database, staff_id: str, now: datetime) -> str:
    """A one-time pairing token, as the desktop puts it in its QR code."""
    with db.unit_of_work() as s:
        return create_pairing_token(s, staff_id=staff_id, now=now).token


class Phone:
    """One staff member's phone: a browser context and its page on the server."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.base = base
        context.set_default_timeout(10_000)
        self.page: Page = context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        with contextlib.suppress(Exception):
            dialog.dismiss()

    def pair(self, db: Database, person: Person, now: datetime) -> Phone:
        """Open the desktop's pairing link for ``person`` and wait for 我的任务."""
        token = pairing_token(db, person.staff_id, now)
        self.page.goto(f"{self.base}/#pair={token}")
        self.ready("tasks")
        return self

    def ready(self, screen: str, timeout: float = 10_000) -> None:
        """Wait until ``screen`` has been drawn with data."""
        self.page.wait_for_selector(f'body[data-ready="{screen}"]', timeout=timeout)

    def open(self, route: str, screen: str | None = None) -> None:
        """Go to ``#/route`` inside the app and wait for the screen."""
        self.page.evaluate("r => { location.hash = r; }", f"#/{route}")
        self.ready(screen or route.split("/")[0])

    def tab(self, name: str) -> None:
        """Tap a tab of the bottom bar."""
        self.page.click(f'.tabs a[data-tab="{name}"]')
        self.ready(name)

    def badge(self) -> str:
        """The outbox badge's text, or "" while it is hidden."""
        badge = self.page.locator("#outbox-badge")
        return badge.inner_text() if badge.is_visible() else ""

    def wait_synced(self, timeout: float = 10_000) -> None:
        """Wait until the badge hides (call it once the screen shows the write was queued)."""
        self.page.wait_for_selector("#outbox-badge", state="hidden", timeout=timeout)

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        """A screenshot at phone size under artifacts/phone/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.wait_for_timeout(150)  # let the last frame paint
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy (the database catching up)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(interval)
