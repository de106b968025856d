"""Setting up a campus: the campus row, its default stages, its staff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, Invalid
from ..models import DEFAULT_STAGE_NAMES, Campus, Role, Staff, Stage
from ..pins import hash_pin
from .common import check_text, get_live

DEFAULT_SETTINGS: dict[str, object] = {
    # 请假是否扣课 / 旷课是否扣课: the campus's policy for charging leave and absence.
    "charge_leave": False,
    "charge_absence": True,
}


def create_campus(
    session: Session, *, name: str, code: str, address: str = "", phone: str = ""
) -> Campus:
    """Create a campus with the default settings and the seven default stages."""
    name = check_text(name, "name", max_len=100, required=True)
    code = check_text(code, "code", max_len=20, required=True)
    if session.scalar(select(Campus.id).where(Campus.code == code)) is not None:
        raise Conflict(f"code: 校区编号 {code} 已存在")
    campus = Campus(
        name=name,
        code=code,
        address=check_text(address, "address", max_len=200),
        phone=check_text(phone, "phone", max_len=40),
        settings=dict(DEFAULT_SETTINGS),
    )
    session.add(campus)
    session.flush()
    for order, (stage_code, stage_name) in enumerate(DEFAULT_STAGE_NAMES.items()):
        session.add(
            Stage(campus_id=campus.id, code=str(stage_code), name=stage_name, sort_order=order)
        )
    session.flush()
    return campus


def check_roles(roles: Iterable[str]) -> list[str]:
    """Accept a non-empty list of known roles, de-duplicated, in the canonical order."""
    wanted = set()
    for role in roles:
        try:
            wanted.add(Role(role))
        except ValueError:
            raise Invalid("roles", f"未知角色：{role!r}") from None
    if not wanted:
        raise Invalid("roles", "至少需要一个角色")
    return [r.value for r in Role if r in wanted]


def add_staff(
    session: Session,
    *,
    campus_id: str,
    name: str,
    roles: Iterable[str],
    pin: str,
    phone: str = "",
    hired_on: date | None = None,
    pin_hash: str | None = None,
) -> Staff:
    """Add a staff member with roles and a PIN (stored hashed).

    ``pin_hash`` lets a bulk loader pass a precomputed hash of ``pin``.
    """
    get_live(session, Campus, campus_id, "campus_id")
    staff = Staff(
        campus_id=campus_id,
        name=check_text(name, "name", max_len=60, required=True),
        roles=check_roles(roles),
        phone=check_text(phone, "phone", max_len=40),
        pin_hash=pin_hash or hash_pin(pin),
        hired_on=hired_on,
    )
    session.add(staff)
    session.flush()
    return staff
