"""课程 service: price per hour in fen, hours per lesson, unique names, deactivation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.db import Database
from shared.errors import Conflict, Invalid
from shared.models import Course
from shared.services.courses import (
    create_course,
    deactivate_course,
    list_courses,
    set_course_active,
    update_course,
)
from tests.shared.factories import make_campus


def test_create_course_stores_price_and_hours(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        course = create_course(
            s,
            campus_id=c.campus_id,
            name="美术",
            subject="艺术",
            price_per_hour_fen=12000,
            hours_per_lesson="1.5",
        )
    with db.reader() as s:
        row = s.get(Course, course.id)
        assert (row.name, row.price_per_hour_fen, row.hours_per_lesson, row.active) == (
            "美术",
            12000,
            Decimal("1.50"),
            True,
        )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"name": " "}, "name"),
        ({"price_per_hour_fen": -1}, "price_per_hour_fen"),
        ({"price_per_hour_fen": 99.5}, "price_per_hour_fen"),
        ({"hours_per_lesson": 0}, "hours_per_lesson"),
        ({"hours_per_lesson": "1.555"}, "hours_per_lesson"),
        ({"hours_per_lesson": 13}, "hours_per_lesson"),
    ],
)
def test_bad_courses_name_the_field(db: Database, override: dict[str, object], field: str) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    args: dict[str, object] = {"campus_id": c.campus_id, "name": "美术", "price_per_hour_fen": 100}
    args.update(override)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        create_course(s, **args)
    assert err.value.field == field


def test_course_names_are_unique_in_a_campus(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Conflict, match="钢琴"), db.unit_of_work() as s:
        create_course(s, campus_id=c.campus_id, name="钢琴", price_per_hour_fen=100)
    with db.unit_of_work() as s:
        other = create_course(s, campus_id=c.campus_id, name="美术", price_per_hour_fen=100)
    with pytest.raises(Conflict), db.unit_of_work() as s:
        update_course(s, other.id, name="钢琴")


def test_update_and_deactivate(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with db.unit_of_work() as s:
        update_course(s, c.course_id, price_per_hour_fen=16000, hours_per_lesson=2)
        art = create_course(s, campus_id=c.campus_id, name="美术", price_per_hour_fen=100)
        deactivate_course(s, c.course_id)
    with db.reader() as s:
        row = s.get(Course, c.course_id)
        assert (row.price_per_hour_fen, row.hours_per_lesson, row.active) == (
            16000,
            Decimal("2.00"),
            False,
        )
        assert [r.name for r in list_courses(s, c.campus_id)] == ["美术"]
        assert [r.name for r in list_courses(s, c.campus_id, active_only=False)] == ["美术", "钢琴"]
    with db.unit_of_work() as s:
        set_course_active(s, c.course_id, True)
    with db.reader() as s:
        assert {r.id for r in list_courses(s, c.campus_id)} == {art.id, c.course_id}
