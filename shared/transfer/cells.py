"""Reading one cell as people type it: text, yuan, dates, times, hours, yes/no.

Each reader takes the raw cell value (what openpyxl or the CSV reader gave: ``str``, ``int``,
``float``, ``datetime``, ``date``, ``time`` or ``None``) and returns the clean value, or raises
:class:`CellError` with a Chinese message; the caller adds the sheet, row and column.
Money and hours never pass through float arithmetic: a numeric Excel cell arrives as a float,
whose shortest ``repr`` is the decimal the person typed, and that text is what is parsed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from ..errors import Invalid
from ..money import yuan_to_fen
from ..services.common import check_hours


class CellError(ValueError):
    """A cell's value cannot be read; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_blank(value: object) -> bool:
    """Whether a cell is empty (None or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: float | int | Decimal) -> str:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("不是有效的数字")
        text = repr(value)
        # Excel stores integers as floats: 13812345678.0 is the number typed, not a decimal.
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def text(value: object) -> str:
    """A text cell: numbers as typed (phone numbers are often numeric cells), stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES_TEXT if value else NO_TEXT
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes") if value.time() != time() else str(value.date())
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


YES_TEXT, NO_TEXT = "是", "否"
_YES = {"是", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "n", "no", "false", "0", ""}


def yes_no(value: object) -> bool:
    """是 / 否 (also yes/no, 1/0, √); blank is 否."""
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellError(f"应填“是”或“否”，而不是“{word}”")


_MONEY_JUNK = re.compile(r"[\s¥￥,，]|元$|^RMB", re.IGNORECASE)


def money_fen(value: object, *, allow_negative: bool = False) -> int:
    """Yuan as typed (``1280``, ``1,280.50``, ``¥1280``, a numeric cell) → integer fen."""
    if isinstance(value, bool) or is_blank(value):
        raise CellError("金额不能为空")
    if isinstance(value, (int, float, Decimal)):
        raw = _number_text(value)
    elif isinstance(value, str):
        raw = _MONEY_JUNK.sub("", value.strip())
    else:
        raise CellError(f"不是金额：{text(value)}")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", raw):
        raise CellError(f"不是有效的金额：“{text(value)}”（请填写数字，如 1280 或 1,280.50）")
    try:
        fen = yuan_to_fen(raw)
    except Invalid as exc:
        raise CellError(f"{exc.reason}：“{text(value)}”") from None
    if fen < 0 and not allow_negative:
        raise CellError("金额不能为负数")
    if abs(fen) > 10**12:
        raise CellError("金额过大")
    return fen


def hours(value: object, *, allow_zero: bool = True) -> Decimal:
    """Lesson hours with at most two decimals (``1.5``, a numeric cell)."""
    if isinstance(value, bool):
        raise CellError("不是有效的课时")
    raw = _number_text(value) if isinstance(value, (int, float, Decimal)) else text(value)
    try:
        Decimal(raw)
    except InvalidOperation:
        raise CellError(f"不是有效的课时：“{raw}”（请填写数字，如 1 或 1.5）") from None
    try:
        return check_hours(raw, "hours", allow_zero=allow_zero)
    except Invalid as exc:
        raise CellError(exc.reason) from None


_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
# A date cell's text may carry a midnight time ("2026-03-01 00:00:00").
_MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")


def day(value: object) -> date:
    """A date: an Excel date cell, or 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _MIDNIGHT.sub("", text(value))
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(raw)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                raise CellError(f"日期不存在：“{raw}”") from None
    raise CellError(f"不是有效的日期：“{raw}”（可写 2026-03-01、2026/3/1 或 2026年3月1日）")


_TIME = re.compile(r"(\d{1,2})[:：](\d{2})([:：]\d{2})?")


def clock(value: object) -> time:
    """A time of day: an Excel time cell, or 16:00 / 16:00:00."""
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    raw = text(value)
    match = _TIME.fullmatch(raw)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise CellError(f"不是有效的时间：“{raw}”（如 16:00）")


def choice(value: object, names: dict[str, object], what: str) -> object:
    """One of a fixed set of Chinese words (also the code value, e.g. ``enrolled``)."""
    word = text(value)
    if word in names:
        return names[word]
    raise CellError(
        f"未知的{what}“{word}”，应为：{'、'.join(k for k in names if k.isascii() is False)}"
    )
