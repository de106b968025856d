"""Display formatting shared by every page: money, percentages, dates, status colours.

Figures come from ``shared`` as integer fen and exact fractions; only here do they become text,
so every page shows the same number the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from shared.figures import STATUS_NAMES, Status
from shared.money import fen_to_yuan_text
from shared.periods import SHANGHAI

# Status colours (看板 convention): ahead green, on pace blue, behind orange, at risk red; grey
# for targets not started or not set.
STATUS_COLORS: dict[Status, str] = {
    Status.AHEAD: "#2e7d32",
    Status.ON_PACE: "#1565c0",
    Status.BEHIND: "#ef6c00",
    Status.AT_RISK: "#c62828",
    Status.NOT_STARTED: "#757575",
    Status.NO_TARGET: "#9e9e9e",
}


def yuan(fen: int) -> str:
    """Fen as yuan for display: ``¥12,345.00`` (negative: ``-¥12.00``)."""
    text = fen_to_yuan_text(fen)
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"


def percent(value: Fraction | Decimal | None, digits: int = 1) -> str:
    """An exact ratio as a percentage with ``digits`` decimals; ``—`` when there is none."""
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        exact = value * 100
        value = Decimal(exact.numerator) / Decimal(exact.denominator)
    else:
        value = value * 100
    return f"{value:.{digits}f}%"


def status_name(status: Status) -> str:
    """The Chinese name of a status (超前, 正常, 落后 …)."""
    return STATUS_NAMES[status]


def status_color(status: Status) -> str:
    """The colour of a status (hex)."""
    return STATUS_COLORS[status]


def day_text(day: date | None) -> str:
    """A date as ``2025-06-18``; ``—`` for none."""
    return day.isoformat() if day is not None else "—"


def local_time_text(instant: datetime | None) -> str:
    """A stored UTC instant as Shanghai local ``2025-06-18 14:03``; ``—`` for none."""
    if instant is None:
        return "—"
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def hours_text(hours: Decimal) -> str:
    """Lesson hours without trailing zeros: ``2`` / ``1.5`` 课时."""
    normal = hours.normalize()
    return f"{normal:f}"
