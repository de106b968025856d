"""Finding people by part of the name, phone digits and pinyin (initials, full, mixed)."""

from __future__ import annotations

import pytest

from shared.search import (
    NAME_MATCH,
    PHONE_MATCH,
    RARE_PINYIN_MATCH,
    USUAL_PINYIN_MATCH,
    filter_rows,
    key_matches,
    match_rank,
    matches,
    search_key,
    sort_key,
)


@pytest.mark.parametrize(
    "query",
    ["zs", "ZS", "zhangsan", "zhang san", "zhangs", "zsan", "zhs", "张三", "三", "z", "s"],
)
def test_every_way_of_typing_zhang_san_finds_him(query: str) -> None:
    assert matches(query, "张三")


@pytest.mark.parametrize("query", ["sz", "zx", "zhangsi", "zsx", "li", "x"])
def test_pinyin_that_is_not_the_name_finds_nothing(query: str) -> None:
    assert not matches(query, "张三")


def test_initials_of_consecutive_characters_match_inside_the_name() -> None:
    assert matches("xm", "张小明")
    assert matches("xiaoming", "张小明")
    assert not matches("zm", "张小明")  # not consecutive


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("zq", "曾琴"),  # 曾 zeng
        ("cq", "曾琴"),  # 曾 ceng
        ("shanli", "单丽"),  # 单 as a surname
        ("dl", "单丽"),
        ("zb", "长白"),
        ("cb", "长白"),
        ("yl", "乐林"),
    ],
)
def test_every_reading_of_a_polyphonic_character_counts(query: str, name: str) -> None:
    assert matches(query, name)


def test_u_umlaut_may_be_typed_v_or_u() -> None:
    assert matches("lv", "吕布")
    assert matches("lu", "吕布")
    assert matches("lb", "吕布")


@pytest.mark.parametrize("query", ["5678", "138", "1381234", "138 1234", "138-1234-5678"])
def test_phone_digits_match_whatever_the_separators(query: str) -> None:
    assert matches(query, "张三", "138 1234 5678")


def test_digits_that_are_not_in_the_phone_find_nothing() -> None:
    assert not matches("999", "张三", "13812345678")
    assert not matches("138", "张三")


def test_latin_names_match_by_substring_ignoring_case() -> None:
    assert matches("tom", "Tom 李")
    assert matches("li", "Tom 李")


def test_an_empty_query_finds_everyone() -> None:
    assert matches("", "张三")
    assert matches("   ", "张三")


def test_mixed_letters_and_digits_only_match_a_name() -> None:
    assert not matches("zs138", "张三", "13812345678")


def test_a_key_with_several_names_and_phones_matches_any() -> None:
    key = search_key(["张小明", "王芳"], ["13812345678", "0571-88886666"])
    assert key_matches("wf", key)
    assert key_matches("zxm", key)
    assert key_matches("8888", key)
    assert not key_matches("lf", key)


def test_filter_rows_keeps_the_original_order_within_a_rank() -> None:
    rows = ["张三", "李四", "赵思", "王五", "张珊"]
    keys = {name: search_key(name) for name in rows}
    assert filter_rows("zs", rows, keys.__getitem__) == ["张三", "赵思", "张珊"]
    assert filter_rows("zhangs", rows, keys.__getitem__) == ["张三", "张珊"]
    assert filter_rows("s", rows, keys.__getitem__) == ["张三", "李四", "赵思", "张珊"]
    assert filter_rows("", rows, keys.__getitem__) == rows


def test_names_sort_by_pinyin() -> None:
    names = ["赵六", "张三", "李四", "王五", "安琪"]
    assert sorted(names, key=sort_key) == ["安琪", "李四", "王五", "张三", "赵六"]


def test_polyphonic_family_names_sort_by_their_surname_reading() -> None:
    names = ["曾佳琪", "蔡瑶", "常念安", "张三", "单丽", "陈亮"]
    assert sorted(names, key=sort_key) == ["蔡瑶", "常念安", "陈亮", "单丽", "曾佳琪", "张三"]


def test_rare_readings_still_match_but_rank_last() -> None:
    # 方 may be read wang (方良), so ``wang`` finds 方博 too, after the 王s.
    rows = ["方博", "王芳", "汪洋"]
    keys = {name: search_key(name) for name in rows}
    assert match_rank("wang", keys["方博"]) == RARE_PINYIN_MATCH
    assert match_rank("wang", keys["王芳"]) == USUAL_PINYIN_MATCH
    assert filter_rows("wang", rows, keys.__getitem__) == ["王芳", "汪洋", "方博"]


def test_names_and_phones_rank_before_pinyin() -> None:
    rows = ["张三", "李三", "三毛"]
    keys = {name: search_key(name, "13800000003") for name in rows}
    assert filter_rows("san", rows, keys.__getitem__) == ["张三", "李三", "三毛"]
    assert filter_rows("三毛", rows, keys.__getitem__) == ["三毛"]
    assert match_rank("三", keys["张三"]) == NAME_MATCH
    assert match_rank("0003", keys["张三"]) == PHONE_MATCH


def test_a_polyphonic_family_name_reads_as_a_surname_first() -> None:
    assert match_rank("zjq", search_key("曾佳琪")) == USUAL_PINYIN_MATCH
    assert match_rank("cjq", search_key("曾佳琪")) == RARE_PINYIN_MATCH


def test_the_rows_own_name_ranks_before_related_names() -> None:
    # 王芳 is a parent called 王; 李娜's child is called 王小明.
    rows = ["李娜", "王芳"]
    keys = {"李娜": search_key(["李娜", "王小明"]), "王芳": search_key(["王芳", "陈亮"])}
    assert filter_rows("wang", rows, keys.__getitem__) == ["王芳", "李娜"]
    assert filter_rows("王", rows, keys.__getitem__) == ["王芳", "李娜"]
