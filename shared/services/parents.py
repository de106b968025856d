"""家长: editing a parent's contact details, the one rule for the desktop and for phones.

The desktop calls :func:`edit_parent` directly (it edits the live row); a phone's
``edit_parent`` mutation (:mod:`shared.mutations`) first merges its change against what
happened since the phone last looked, then writes through the same function, so both edges
accept and refuse exactly the same values.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from ..errors import Invalid
from ..models import Parent
from .common import check_phone, check_text, get_live

# Longest accepted value per editable field (the column widths; notes is free text).
PARENT_FIELD_LIMITS: dict[str, int] = {
    "name": 60,
    "phone": 40,
    "phone2": 40,
    "wechat": 60,
    "notes": 2000,
}

_PHONE_FIELDS = frozenset({"phone", "phone2"})


def clean_parent_fields(fields: Mapping[str, object]) -> dict[str, str]:
    """Check the given subset of a parent's editable fields; return them cleaned (stripped).

    Raises Invalid naming the field for an unknown field, a non-text value, an over-long
    value, an empty name or phone, or a phone number that is not a mainland mobile or landline
    (the rule of :func:`shared.services.common.check_phone`, as when the parent was registered;
    phones are stored in its canonical form).
    """
    if not fields:
        raise Invalid("fields", "至少需要修改一项")
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        limit = PARENT_FIELD_LIMITS.get(name)
        if limit is None:
            raise Invalid(name, "家长资料中没有这一项，不能修改")
        if name in _PHONE_FIELDS:
            cleaned[name] = check_phone(value, name, required=name == "phone")
        else:
            cleaned[name] = check_text(value, name, max_len=limit, required=name == "name")
    return cleaned


def edit_parent(session: Session, parent_id: str, fields: Mapping[str, object]) -> Parent:
    """Change some of a live parent's contact details (name, phones, WeChat id, notes)."""
    cleaned = clean_parent_fields(fields)
    parent = get_live(session, Parent, parent_id, "parent_id")
    for name, value in cleaned.items():
        setattr(parent, name, value)
    session.flush()
    return parent
