"""Small helpers the services share: fetching live rows and checking plain inputs."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from sqlalchemy.orm import Session

from ..errors import Invalid, NotFound
from ..models import Synced

M = TypeVar("M", bound=Synced)

# What people call a row of each synced table, for messages ("学员不存在…", "无权访问该家长").
TABLE_LABELS: dict[str, str] = {
    "campuses": "校区",
    "staff": "员工",
    "students": "学员",
    "parents": "家长",
    "student_parents": "家长关系",
    "communication_records": "沟通记录",
    "courses": "课程",
    "trial_lessons": "试听",
    "orders": "订单",
    "lessons": "课程安排",
    "lesson_students": "上课名单",
    "attendance": "考勤记录",
    "consumption_entries": "划课记录",
    "growth_records": "成长记录",
    "stages": "环节",
    "stage_activities": "环节记录",
    "targets": "目标",
    "stage_targets": "环节目标",
}


def label_of(model: type[Synced]) -> str:
    """The Chinese name of a row of ``model`` (:data:`TABLE_LABELS`)."""
    return TABLE_LABELS.get(model.__tablename__, model.__name__)


def check_uuid(value: object, field: str) -> str:
    """Accept a UUID string (any case); return it canonical."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise Invalid(field, f"不是有效的编号：{value!r}") from None


def get_live(session: Session, model: type[M], row_id: object, field: str) -> M:
    """Fetch a row that exists and is not deleted, or raise NotFound naming ``field``."""
    key = check_uuid(row_id, field)
    row = session.get(model, key)
    if row is None or row.is_deleted:
        raise NotFound(f"{field}: {label_of(model)}不存在（{key}）")
    return row


def check_text(value: object, field: str, *, max_len: int, required: bool = False) -> str:
    """Accept a string, stripped; refuse over-long or (when required) empty text."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(field, "必须是文本")
    value = value.strip()
    if required and not value:
        raise Invalid(field, "不能为空")
    if len(value) > max_len:
        raise Invalid(field, f"不能超过 {max_len} 个字")
    return value


def check_hours(value: object, field: str, *, allow_zero: bool = True) -> Decimal:
    """Accept lesson hours: non-negative, at most two decimals, never float."""
    if isinstance(value, (float, bool)):
        raise Invalid(field, "课时必须是整数或两位小数的十进制数")
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        raise Invalid(field, f"不是有效的课时：{value!r}") from None
    if not hours.is_finite() or hours < 0 or (hours == 0 and not allow_zero):
        raise Invalid(field, "课时必须大于零" if not allow_zero else "课时不能为负数")
    if hours * 100 != (hours * 100).to_integral_value():
        raise Invalid(field, "课时最多两位小数")
    if hours > 10000:
        raise Invalid(field, "课时过大")
    return hours.quantize(Decimal("0.01"))


def check_fen(value: object, field: str, *, allow_negative: bool = False) -> int:
    """Accept an integer amount in fen."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(field, "金额必须是以分为单位的整数")
    if value < 0 and not allow_negative:
        raise Invalid(field, "金额不能为负数")
    if abs(value) > 10**12:
        raise Invalid(field, "金额过大")
    return value


def check_date(value: object, field: str) -> date:
    """Accept a date or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(field, f"不是有效的日期（YYYY-MM-DD）：{value!r}") from None


# --------------------------------------------------------------------------- phones

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Area codes: 010 and 02x have three digits, the others four; local numbers 7-8 digits that do
# not start with 0 or 1; an optional extension after "-" or "转".
_LANDLINE = re.compile(r"(010|02\d|0[3-9]\d{2})-?([2-9]\d{6,7})(?:(?:-|转|ext\.?)(\d{1,6}))?")
_STRIP_ALL = re.compile(r"[\s\-()（）]")
_STRIP_KEEP_DASH = re.compile(r"[\s()（）]")
PHONE_HINT = "请输入 11 位手机号（如 13812345678）或带区号的固定电话（如 0571-88886666）"


def check_phone(value: object, field: str = "phone", *, required: bool = False) -> str:
    """Accept a mainland mobile or landline number; return it in canonical form ("" if empty)."""
    text = check_text(value, field, max_len=40, required=required)
    if not text:
        return ""
    compact = _STRIP_ALL.sub("", text)
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
            break
    else:
        if compact.startswith("86") and len(compact) == 13:
            compact = compact[2:]
    if _MOBILE.fullmatch(compact):
        return compact
    landline = _LANDLINE.fullmatch(_STRIP_KEEP_DASH.sub("", text).lower())
    if landline:
        area, number, extension = landline.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise Invalid(field, f"电话号码格式不正确：{PHONE_HINT}")
