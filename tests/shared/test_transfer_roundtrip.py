"""An export of the small demo imported into an empty campus file gives back every row.

The demo is built, exported and imported once for the module; each test compares one kind,
field by field, between the demo and the new file, matching rows by their natural keys (ids
differ): students by name and parent phone, parents by phone, courses by name, orders by
student, course, date and sign type, attendance by lesson (date, time, course, teacher, room)
and student, with the 划课 each mark caused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import Database, open_database
from shared.demo import build_demo
from shared.models import (
    Attendance,
    ConsumptionEntry,
    Course,
    Lesson,
    Order,
    Parent,
    Staff,
    Student,
    StudentParent,
)
from shared.periods import SHANGHAI
from shared.transfer import commit_import, export_entities, plan_import
from tests.shared.transfer_support import empty_campus

TODAY = date(2025, 6, 18)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Database, Path]]:
    folder = tmp_path_factory.mktemp("roundtrip")
    build_demo(folder / "demo.dabiao", scale="small", seed=1, today=TODAY)
    source = open_database(folder / "demo.dabiao")
    target = open_database(folder / "new.dabiao")
    try:
        exported = export_entities(source, folder / "records.xlsx")
        empty_campus(target)
        plan = plan_import(target, exported.path, today=TODAY)
        assert plan.problems == []
        assert plan.duplicates == []
        commit_import(target, plan)
        yield source, target, exported.path
    finally:
        source.close()
        target.close()


def _names(s: Session, model: type) -> dict[str, str]:
    return dict(s.execute(select(model.id, model.name)).all())


def _key_phone(s: Session) -> dict[str, str]:
    phones: dict[str, str] = {}
    for student_id, phone in s.execute(
        select(StudentParent.student_id, Parent.phone)
        .join(Parent, Parent.id == StudentParent.parent_id)
        .where(StudentParent.is_deleted.is_(False))
        .order_by(StudentParent.is_primary.desc(), StudentParent.created_at)
    ):
        phones.setdefault(student_id, phone)
    return phones


def students(db: Database) -> Counter:
    with db.reader() as s:
        staff, phone = _names(s, Staff), _key_phone(s)
        return Counter(
            (
                x.name,
                phone.get(x.id, ""),
                x.gender,
                x.birth_on,
                x.school,
                x.grade,
                x.status,
                staff.get(x.consultant_id),
                x.source,
                x.first_contact_on,
                x.notes,
            )
            for x in s.scalars(select(Student).where(Student.is_deleted.is_(False)))
        )


def parent_links(db: Database) -> Counter:
    with db.reader() as s:
        phone = _key_phone(s)
        return Counter(
            (
                p.name,
                p.phone,
                p.phone2,
                p.wechat,
                p.notes,
                st.name,
                phone.get(st.id, ""),
                link.relation,
                link.is_primary,
            )
            for link, p, st in s.execute(
                select(StudentParent, Parent, Student)
                .join(Parent, Parent.id == StudentParent.parent_id)
                .join(Student, Student.id == StudentParent.student_id)
                .where(StudentParent.is_deleted.is_(False))
            )
        )


def courses(db: Database) -> Counter:
    with db.reader() as s:
        return Counter(
            (c.name, c.subject, c.price_per_hour_fen, c.hours_per_lesson, c.active)
            for c in s.scalars(select(Course))
        )


def orders(db: Database) -> Counter:
    with db.reader() as s:
        staff, course, phone = _names(s, Staff), _names(s, Course), _key_phone(s)
        kids = _names(s, Student)
        by_id = {o.id: o for o in s.scalars(select(Order).where(Order.is_deleted.is_(False)))}

        def key(o: Order) -> tuple:
            return (
                kids[o.student_id],
                phone.get(o.student_id, ""),
                course[o.course_id],
                o.sign_type,
                o.signed_on,
                o.hours,
                o.gift_hours,
                o.amount_fen,
            )

        return Counter(
            (
                *key(o),
                staff.get(o.consultant_id),
                staff.get(o.intent_teacher_id),
                o.notes,
                key(by_id[o.refund_of_id]) if o.refund_of_id else None,
            )
            for o in by_id.values()
        )


def attendance(db: Database) -> Counter:
    with db.reader() as s:
        staff, course, phone, kids = (
            _names(s, Staff),
            _names(s, Course),
            _key_phone(s),
            _names(s, Student),
        )
        fen = dict(
            s.execute(
                select(ConsumptionEntry.attendance_id, func.sum(ConsumptionEntry.amount_fen))
                .where(ConsumptionEntry.is_deleted.is_(False))
                .group_by(ConsumptionEntry.attendance_id)
            ).all()
        )
        return Counter(
            (
                lesson.lesson_on,
                lesson.starts_at.astimezone(SHANGHAI).time(),
                lesson.ends_at.astimezone(SHANGHAI).time(),
                course[lesson.course_id],
                staff[lesson.teacher_id],
                lesson.hours,
                lesson.room,
                kids[a.student_id],
                phone.get(a.student_id, ""),
                a.status,
                a.is_trial,
                a.charged_hours,
                a.note,
                fen.get(a.id, 0),
            )
            for a, lesson in s.execute(
                select(Attendance, Lesson)
                .join(Lesson, Lesson.id == Attendance.lesson_id)
                .where(Attendance.is_deleted.is_(False))
            )
        )


def consumption(db: Database) -> Counter:
    """Every 划课 entry: kind, hours, fen, date, teacher and the package's sign date."""
    with db.reader() as s:
        staff, kids = _names(s, Staff), _names(s, Student)
        signed = dict(s.execute(select(Order.id, Order.signed_on)).all())
        return Counter(
            (
                kids[e.student_id],
                e.kind,
                e.hours,
                e.amount_fen,
                e.lesson_on,
                staff[e.teacher_id],
                signed.get(e.order_id),
            )
            for e in s.scalars(
                select(ConsumptionEntry).where(ConsumptionEntry.is_deleted.is_(False))
            )
        )


@pytest.mark.parametrize(
    "kind",
    [students, parent_links, courses, orders, attendance, consumption],
    ids=lambda f: f.__name__,
)
def test_every_row_comes_back(files: tuple[Database, Database, Path], kind) -> None:
    source, target, _ = files
    before, after = kind(source), kind(target)
    assert sum(before.values()) > 0
    assert before - after == Counter(), "rows lost or changed"
    assert after - before == Counter(), "rows added or changed"


def test_a_single_kind_exports_to_csv_and_imports_back(
    files: tuple[Database, Database, Path], tmp_path: Path
) -> None:
    source, _, _ = files
    result = export_entities(source, tmp_path / "课程.csv", kinds=["courses"])
    assert result.counts == {"courses": 9}
    fresh = open_database(tmp_path / "fresh.dabiao")
    try:
        empty_campus(fresh)
        commit_import(fresh, plan_import(fresh, result.path))
        assert courses(fresh) == courses(source)
    finally:
        fresh.close()
