"""员工 management: hiring, editing, deactivating and PIN resets.

Rules decided here:

* Roles go through :func:`shared.services.campus.check_roles`; a phone number, when given, is
  a mainland mobile or landline (:func:`shared.services.students.check_phone`) and no two
  active colleagues of a campus share one.
* A campus always keeps at least one active manager (校长): removing the manager role from,
  or deactivating, the last one is refused with :class:`~shared.errors.Invalid`.
* Staff are deactivated, never deleted: their orders, lessons and targets stay theirs, and an
  inactive person can neither log in nor be picked for new work (see :mod:`shared.auth`).
* A PIN reset stores the new PIN hashed and lifts any wrong-PIN lockout; the new PIN is
  returned once (typed by the manager, or six random digits) and never stored in clear.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, Invalid
from ..models import Campus, Role, Staff
from ..pins import check_pin_format, hash_pin
from ..search import SearchKey, search_key, sort_key
from ..sync_models import PinLockout
from .campus import add_staff, check_roles
from .common import check_text, get_live
from .students import check_phone

ROLE_NAMES: dict[Role, str] = {
    Role.MANAGER: "校长",
    Role.FRONT_DESK: "前台",
    Role.CONSULTANT: "课程顾问",
    Role.TEACHER: "教师",
}

NEW_PIN_DIGITS = 6


def role_names(roles: Iterable[str]) -> str:
    """Roles as staff say them, in the canonical order: ``校长、教师``."""
    held = set(roles)
    return "、".join(name for role, name in ROLE_NAMES.items() if role.value in held)


def generate_pin() -> str:
    """Six random digits from the system's secure generator."""
    return "".join(secrets.choice("0123456789") for _ in range(NEW_PIN_DIGITS))


def _active_managers(session: Session, campus_id: str) -> list[Staff]:
    rows = session.scalars(
        select(Staff).where(
            Staff.campus_id == campus_id,
            Staff.is_deleted.is_(False),
            Staff.active.is_(True),
        )
    ).all()
    return [s for s in rows if s.has_role(Role.MANAGER)]


def _refuse_losing_last_manager(session: Session, staff: Staff, field: str) -> None:
    others = [m for m in _active_managers(session, staff.campus_id) if m.id != staff.id]
    if not others:
        raise Invalid(field, f"{staff.name} 是校区唯一在职的校长；校区至少要保留一位在职校长")


def _refuse_shared_phone(
    session: Session, campus_id: str, phone: str, staff_id: str | None
) -> None:
    if not phone:
        return
    query = select(Staff.name).where(
        Staff.campus_id == campus_id,
        Staff.phone == phone,
        Staff.is_deleted.is_(False),
        Staff.active.is_(True),
    )
    if staff_id is not None:
        query = query.where(Staff.id != staff_id)
    holder = session.scalar(query.limit(1))
    if holder is not None:
        raise Conflict(f"电话 {phone} 已是员工 {holder} 的电话")


def create_staff(
    session: Session,
    *,
    campus_id: str,
    name: str,
    roles: Iterable[str],
    phone: str = "",
    pin: str | None = None,
    hired_on: date | None = None,
) -> tuple[Staff, str]:
    """Hire a staff member; returns the row and the PIN to hand over (random if not given)."""
    get_live(session, Campus, campus_id, "campus_id")
    roles = check_roles(roles)
    phone = check_phone(phone, "phone")
    pin = check_pin_format(pin) if pin else generate_pin()
    _refuse_shared_phone(session, campus_id, phone, None)
    staff = add_staff(
        session,
        campus_id=campus_id,
        name=name,
        roles=roles,
        pin=pin,
        phone=phone,
        hired_on=hired_on,
    )
    return staff, pin


def update_staff(
    session: Session,
    staff_id: str,
    *,
    name: str | None = None,
    phone: str | None = None,
    roles: Iterable[str] | None = None,
    hired_on: date | None = None,
) -> Staff:
    """Change a staff member's name, phone, roles or hiring date (None leaves a field alone)."""
    staff = get_live(session, Staff, staff_id, "staff_id")
    if name is not None:
        staff.name = check_text(name, "name", max_len=60, required=True)
    if phone is not None:
        cleaned = check_phone(phone, "phone")
        _refuse_shared_phone(session, staff.campus_id, cleaned, staff.id)
        staff.phone = cleaned
    if roles is not None:
        new_roles = check_roles(roles)
        if staff.active and staff.has_role(Role.MANAGER) and Role.MANAGER.value not in new_roles:
            _refuse_losing_last_manager(session, staff, "roles")
        staff.roles = new_roles
    if hired_on is not None:
        staff.hired_on = hired_on
    session.flush()
    return staff


def deactivate_staff(session: Session, staff_id: str) -> Staff:
    """Mark a staff member as left (离职); the last active manager cannot leave."""
    staff = get_live(session, Staff, staff_id, "staff_id")
    if not staff.active:
        return staff
    if staff.has_role(Role.MANAGER):
        _refuse_losing_last_manager(session, staff, "active")
    staff.active = False
    session.flush()
    return staff


def reactivate_staff(session: Session, staff_id: str) -> Staff:
    """Bring a former staff member back (复职)."""
    staff = get_live(session, Staff, staff_id, "staff_id")
    if not staff.active:
        _refuse_shared_phone(session, staff.campus_id, staff.phone, staff.id)
        staff.active = True
        session.flush()
    return staff


def reset_pin(session: Session, staff_id: str, pin: str | None = None) -> str:
    """Give a staff member a new PIN (typed, or six random digits); returns it once."""
    staff = get_live(session, Staff, staff_id, "staff_id")
    new_pin = check_pin_format(pin) if pin else generate_pin()
    staff.pin_hash = hash_pin(new_pin)
    lockout = session.get(PinLockout, staff.id)
    if lockout is not None:
        lockout.failed_count = 0
        lockout.last_failed_at = None
        lockout.locked_until = None
    session.flush()
    return new_pin


@dataclass(frozen=True, slots=True)
class StaffRow:
    """One line of the staff list."""

    id: str
    name: str
    phone: str
    roles: tuple[str, ...]
    active: bool
    hired_on: date | None
    key: SearchKey

    @property
    def role_names(self) -> str:
        """The roles as staff say them."""
        return role_names(self.roles)

    def has_role(self, role: Role | str) -> bool:
        """Whether this person holds ``role``."""
        return str(role) in self.roles


def list_staff(session: Session, campus_id: str, *, active_only: bool = False) -> list[StaffRow]:
    """The campus's staff, active first, then by pinyin of the name."""
    query = select(Staff).where(Staff.campus_id == campus_id, Staff.is_deleted.is_(False))
    if active_only:
        query = query.where(Staff.active.is_(True))
    rows = [
        StaffRow(
            id=s.id,
            name=s.name,
            phone=s.phone,
            roles=tuple(s.roles),
            active=s.active,
            hired_on=s.hired_on,
            key=search_key(s.name, s.phone),
        )
        for s in session.scalars(query)
    ]
    rows.sort(key=lambda row: (not row.active, sort_key(row.name)))
    return rows
