"""The exact splitter and the fen formatter."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import Invalid
from shared.money import fen_to_yuan_text, split_by_weights


@given(
    total=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_parts_add_up_exactly_and_stay_within_one_of_the_exact_share(
    total: int, weights: list[int]
) -> None:
    parts = split_by_weights(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0


def test_largest_remainder_goes_to_the_largest_fraction_then_the_first() -> None:
    assert split_by_weights(10, [1, 1, 1]) == [4, 3, 3]
    assert split_by_weights(100, [1, 2]) == [33, 67]
    assert split_by_weights(-10, [1, 1, 1]) == [-4, -3, -3]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_bad_weights_name_the_field(weights: list[int]) -> None:
    with pytest.raises(Invalid) as err:
        split_by_weights(100, weights, field="day_weights")
    assert err.value.field == "day_weights"


def test_fen_formats_as_yuan() -> None:
    assert fen_to_yuan_text(123456789) == "1,234,567.89"
    assert fen_to_yuan_text(-5) == "-0.05"
    with pytest.raises(TypeError):
        fen_to_yuan_text(1.5)  # type: ignore[arg-type]
