"""员工 service: hiring with roles, edits, the last-manager rule, PIN resets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.db import Database
from shared.errors import Conflict, Invalid
from shared.models import Role, Staff
from shared.pins import verify_pin
from shared.services.staff import (
    create_staff,
    deactivate_staff,
    list_staff,
    reactivate_staff,
    reset_pin,
    role_names,
    update_staff,
)
from shared.sync_models import PinLockout
from tests.shared.factories import TEST_PIN, make_campus


def test_create_staff_with_roles_phone_and_a_typed_pin(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        staff, pin = create_staff(
            s,
            campus_id=c.campus_id,
            name="孙老师",
            roles=["teacher", "consultant"],
            phone="139 0000 1111",
            pin="8642",
        )
    assert pin == "8642"
    with db.reader() as s:
        row = s.get(Staff, staff.id)
        assert (row.name, row.phone, row.roles, row.active) == (
            "孙老师",
            "13900001111",
            ["consultant", "teacher"],
            True,
        )
        assert verify_pin("8642", row.pin_hash)


def test_create_staff_without_a_pin_hands_out_six_random_digits(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        staff, pin = create_staff(s, campus_id=c.campus_id, name="周前台", roles=["front_desk"])
    assert len(pin) == 6 and pin.isdigit()
    with db.reader() as s:
        assert verify_pin(pin, s.get(Staff, staff.id).pin_hash)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"roles": []}, "roles"),
        ({"roles": ["boss"]}, "roles"),
        ({"name": ""}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"pin": "12"}, "pin"),
    ],
)
def test_bad_staff_input_names_the_field_and_saves_nothing(
    db: Database, override: dict[str, object], field: str
) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    args: dict[str, object] = {"campus_id": c.campus_id, "name": "孙老师", "roles": ["teacher"]}
    args.update(override)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        create_staff(s, **args)
    assert err.value.field == field
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Staff)) == 3


def test_two_active_colleagues_cannot_share_a_phone(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        create_staff(
            s, campus_id=c.campus_id, name="孙老师", roles=["teacher"], phone="13900001111"
        )
    with pytest.raises(Conflict, match="孙老师"), db.unit_of_work() as s:
        create_staff(
            s, campus_id=c.campus_id, name="钱老师", roles=["teacher"], phone="13900001111"
        )


def test_update_staff_changes_name_phone_and_roles(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with db.unit_of_work() as s:
        update_staff(
            s, c.teacher_id, name="赵老师", phone="0571-88886666", roles=["teacher", "front_desk"]
        )
    with db.reader() as s:
        row = s.get(Staff, c.teacher_id)
        assert (row.phone, row.roles) == ("0571-88886666", ["front_desk", "teacher"])


def test_the_last_manager_cannot_lose_the_role(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        update_staff(s, c.manager_id, roles=["teacher"])
    assert err.value.field == "roles" and "校长" in err.value.reason
    with db.reader() as s:
        assert s.get(Staff, c.manager_id).roles == ["manager"]


def test_the_last_manager_cannot_be_deactivated(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        deactivate_staff(s, c.manager_id)
    assert err.value.field == "active"
    with db.reader() as s:
        assert s.get(Staff, c.manager_id).active


def test_a_manager_may_leave_when_another_remains(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        deputy, _ = create_staff(s, campus_id=c.campus_id, name="钱校长", roles=["manager"])
    with db.unit_of_work() as s:
        deactivate_staff(s, c.manager_id)
    with db.reader() as s:
        assert s.get(Staff, c.manager_id).active is False
    # Now the deputy is the last one.
    with pytest.raises(Invalid), db.unit_of_work() as s:
        deactivate_staff(s, deputy.id)
    with db.unit_of_work() as s:
        reactivate_staff(s, c.manager_id)
        deactivate_staff(s, deputy.id)


def test_the_rule_is_per_campus(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        make_campus(s, code="T2")  # a manager elsewhere does not count
    with pytest.raises(Invalid), db.unit_of_work() as s:
        deactivate_staff(s, c.manager_id)


def test_reset_pin_with_a_typed_pin_replaces_the_old_one(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with db.unit_of_work() as s:
        assert reset_pin(s, c.teacher_id, "97531") == "97531"
    with db.reader() as s:
        stored = s.get(Staff, c.teacher_id).pin_hash
    assert verify_pin("97531", stored)
    assert not verify_pin(TEST_PIN, stored)


def test_reset_pin_generates_one_and_lifts_a_lockout(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        now = datetime(2026, 3, 10, tzinfo=UTC)
        s.add(
            PinLockout(
                staff_id=c.teacher_id,
                failed_count=5,
                last_failed_at=now,
                locked_until=now + timedelta(minutes=15),
            )
        )
    with db.unit_of_work() as s:
        pin = reset_pin(s, c.teacher_id)
    with db.reader() as s:
        assert verify_pin(pin, s.get(Staff, c.teacher_id).pin_hash)
        lockout = s.get(PinLockout, c.teacher_id)
        assert (lockout.failed_count, lockout.locked_until) == (0, None)


def test_reset_pin_refuses_a_bad_pin(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        reset_pin(s, c.teacher_id, "12a4")
    assert err.value.field == "pin"


def test_the_list_puts_active_staff_first_and_searches(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        create_staff(
            s, campus_id=c.campus_id, name="安老师", roles=["teacher"], phone="13900001111"
        )
        deactivate_staff(s, c.consultant_id)
    with db.reader() as s:
        rows = list_staff(s, c.campus_id)
        active = list_staff(s, c.campus_id, active_only=True)
    assert [r.name for r in rows] == ["安老师", "王校长", "赵老师", "李顾问"]
    assert [r.name for r in active] == ["安老师", "王校长", "赵老师"]
    assert rows[0].role_names == "教师" and rows[0].has_role(Role.TEACHER)


def test_role_names_follow_the_canonical_order() -> None:
    assert role_names(["teacher", "manager"]) == "校长、教师"
