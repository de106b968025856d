"""Money is integer fen (分), never float; and the one exact splitter every breakdown uses."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from .errors import Invalid

Fen = int


def yuan_to_fen(text: str | int | Decimal, field: str = "amount") -> Fen:
    """Parse a yuan amount such as ``"1280.50"`` into fen; refuse floats and sub-fen digits."""
    if isinstance(text, (bool, float)):
        raise Invalid(field, "金额不能是浮点数")
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise Invalid(field, f"不是有效的金额：{text!r}") from None
    if not value.is_finite():
        raise Invalid(field, f"不是有效的金额：{text!r}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise Invalid(field, "金额最多两位小数（精确到分）")
    return int(fen)


def fen_to_yuan_text(fen: Fen) -> str:
    """Format fen as yuan with two decimals and thousands separators: ``-1,234.50``."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"fen must be int, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def split_by_weights(
    total: int, weights: Sequence[int | Fraction | Decimal], field: str = "weights"
) -> list[int]:
    """Split integer ``total`` in proportion to ``weights`` so the parts add up exactly.

    Largest-remainder (Hamilton) rounding: each part gets the floor of its exact share, and the
    units left over go to the largest fractional remainders, earlier index first on ties, so
    the result is deterministic. Negative totals split symmetrically.
    """
    if not weights:
        raise Invalid(field, "至少需要一个权重")
    exact_weights = [
        Fraction(w) if not isinstance(w, Decimal) else Fraction(str(w)) for w in weights
    ]
    if any(w < 0 for w in exact_weights):
        raise Invalid(field, "权重不能为负数")
    weight_sum = sum(exact_weights)
    if weight_sum == 0:
        raise Invalid(field, "权重之和不能为零")
    if total < 0:
        return [-part for part in split_by_weights(-total, weights, field)]
    shares = [Fraction(total) * w / weight_sum for w in exact_weights]
    parts = [int(s) for s in shares]  # floor, shares are >= 0
    leftover = total - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def round_half_up(value: Fraction | Decimal) -> int:
    """Round to the nearest integer, halves away from zero."""
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else value
    )
    return int(exact.quantize(Decimal(1), ROUND_HALF_UP))
