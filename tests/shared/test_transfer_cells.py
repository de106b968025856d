"""Reading cells as people type them: yuan to exact fen, dates, times, hours, yes/no."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from shared.transfer import cells


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("1280", 128_000),
        ("1,280.50", 128_050),
        ("¥1280", 128_000),
        ("￥1,280.5元", 128_050),
        (" 0.01 ", 1),
        (1280, 128_000),
        (1280.5, 128_050),  # a numeric Excel cell arrives as a float
        (0.1, 10),
        (19.99, 1999),
        (Decimal("7.70"), 770),
    ],
)
def test_money_as_typed_becomes_exact_fen(typed: object, fen: int) -> None:
    assert cells.money_fen(typed) == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "两位小数"),
        (12.345, "两位小数"),
        ("三千", "不是有效的金额"),
        ("12元5角", "不是有效的金额"),
        ("-5", "负数"),
        ("", "不能为空"),
        ("1e20", "过大"),
    ],
)
def test_money_that_is_not_yuan_to_the_fen_is_refused(typed: object, message: str) -> None:
    with pytest.raises(cells.CellError, match=message):
        cells.money_fen(typed)


def test_negative_money_only_where_allowed() -> None:
    assert cells.money_fen("-300", allow_negative=True) == -30_000


@pytest.mark.parametrize(
    "typed",
    [
        "2026-03-01",
        "2026/3/1",
        "2026年3月1日",
        "2026.3.1",
        "2026-03-01 00:00:00",
        datetime(2026, 3, 1),
        date(2026, 3, 1),
    ],
)
def test_dates_in_every_usual_form(typed: object) -> None:
    assert cells.day(typed) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("2026-02-30", "不存在"), ("3月1日", "不是有效的日期"), (46082, "不是有效的日期")],
)
def test_bad_dates_are_refused(typed: object, message: str) -> None:
    with pytest.raises(cells.CellError, match=message):
        cells.day(typed)


def test_times_and_hours() -> None:
    assert cells.clock("16:00") == time(16, 0)
    assert cells.clock("9:05") == time(9, 5)
    assert cells.clock(time(16, 30, 15)) == time(16, 30)
    with pytest.raises(cells.CellError):
        cells.clock("25:00")
    assert cells.hours("1.5") == Decimal("1.50")
    assert cells.hours(1.25) == Decimal("1.25")
    with pytest.raises(cells.CellError, match="两位小数"):
        cells.hours("1.255")
    with pytest.raises(cells.CellError, match="不是有效的课时"):
        cells.hours("一")


def test_text_keeps_numbers_as_typed_and_yes_no_reads_words() -> None:
    assert cells.text(13812345678) == "13812345678"
    assert cells.text(13812345678.0) == "13812345678"
    assert cells.text("  王芳 ") == "王芳"
    assert (
        cells.yes_no("是") is True and cells.yes_no(None) is False and cells.yes_no("否") is False
    )
    with pytest.raises(cells.CellError):
        cells.yes_no("也许")
