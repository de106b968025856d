"""Finding people the way front-desk staff type: part of a name, phone digits, or pinyin.

A query matches a row when any of these holds:

* it is part of one of the row's names (``小明`` finds 张小明; Latin letters ignore case);
* it is made of digits (spaces, ``-``, ``+``, brackets ignored) that occur in one of the row's
  phone numbers (``5678`` finds 138 1234 5678);
* it is pinyin for consecutive characters of a name: each character may be typed as any
  non-empty prefix of one of its readings, so the initials ``zs``, the full ``zhangsan``, the
  mixed ``zhangs`` and the shengmu ``zhs`` all find 张三, and ``xm`` finds 张小明. Every
  reading pypinyin knows counts (``heteronym=True``), so 曾 answers to both ``z`` and ``c``
  and 单 to ``d``, ``s`` and ``c``; ü may be typed ``v`` or ``u``.

Lists hold hundreds to a few thousand rows, so a page loads its rows once, builds each row's
:class:`SearchKey` with :func:`search_key` (readings are cached per name) and filters in Python
on every keystroke with :func:`filter_rows`; nothing about pinyin is stored in the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin, pinyin

T = TypeVar("T")

# What people put between digits of a phone number, and between syllables of pinyin.
_PHONE_NOISE = re.compile(r"[\s\-+()（）]")
_SPACES = re.compile(r"\s+")
_LETTERS = re.compile(r"[a-z]+")
# Name characters that carry no reading: separators in transliterated names, spaces.
_SILENT = frozenset(" ·•.-_'\u3000")

Readings = tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class SearchKey:
    """What a query is matched against for one row: its names, phone digits and readings."""

    names: tuple[str, ...]  # lowercased, spaces removed
    phones: tuple[str, ...]  # digits only
    readings: tuple[Readings, ...]  # per name: the set of readings of each character


def normalize_query(query: str) -> str:
    """A query as it is matched: stripped, lowercased, inner spaces removed."""
    return _SPACES.sub("", query).lower()


def phone_digits(phone: str) -> str:
    """Only the digits of a phone number."""
    return "".join(ch for ch in phone if ch.isdigit())


@lru_cache(maxsize=32768)
def name_readings(name: str) -> Readings:
    """For each character of ``name`` that has a sound, the set of ways to type it.

    Chinese characters get every pypinyin reading (tone-less, ü as both ``v`` and ``u``);
    other characters stand for themselves, lowercased; separators and spaces are skipped.
    """
    result: list[frozenset[str]] = []
    for ch in name:
        if ch in _SILENT or ch.isspace():
            continue
        options = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda text: [text])[0]
        readings: set[str] = set()
        for option in options:
            text = option.lower()
            readings.add(text)
            if "v" in text:
                readings.add(text.replace("v", "u"))
        result.append(frozenset(r for r in readings if r))
    return tuple(r for r in result if r)


def search_key(names: str | Iterable[str], phones: str | Iterable[str] = ()) -> SearchKey:
    """Build the key of a row from its name(s) and phone number(s); empty ones are skipped."""
    name_list = [names] if isinstance(names, str) else list(names)
    phone_list = [phones] if isinstance(phones, str) else list(phones)
    cleaned = tuple(_SPACES.sub("", n).lower() for n in name_list if n and n.strip())
    return SearchKey(
        names=cleaned,
        phones=tuple(d for d in (phone_digits(p) for p in phone_list if p) if d),
        readings=tuple(name_readings(n.strip()) for n in name_list if n and n.strip()),
    )


def _pinyin_matches(query: str, readings: Readings) -> bool:
    """Whether ``query`` is typed as prefixes of the readings of consecutive characters."""
    n = len(query)
    # Positions in the query reachable after consuming characters start..i-1 of the name.
    for start in range(len(readings)):
        positions = {0}
        for options in readings[start:]:
            nxt: set[int] = set()
            for pos in positions:
                rest = query[pos:]
                for reading in options:
                    # Longest common prefix of the rest of the query and this reading.
                    k = 0
                    limit = min(len(rest), len(reading))
                    while k < limit and rest[k] == reading[k]:
                        k += 1
                    nxt.update(pos + j for j in range(1, k + 1))
            if n in nxt:
                return True
            positions = nxt
            if not positions:
                break
    return False


def key_matches(query: str, key: SearchKey) -> bool:
    """Whether a (raw) query finds the row described by ``key``; an empty query finds all."""
    q = normalize_query(query)
    if not q:
        return True
    if any(q in name for name in key.names):
        return True
    compact = _PHONE_NOISE.sub("", q)
    if compact.isdigit():
        return any(compact in phone for phone in key.phones)
    if _LETTERS.fullmatch(q):
        return any(_pinyin_matches(q, readings) for readings in key.readings)
    return False


def matches(query: str, name: str, phone: str = "") -> bool:
    """Whether ``query`` finds a person called ``name`` with phone number ``phone``."""
    return key_matches(query, search_key(name, phone))


def filter_rows(query: str, rows: Sequence[T], key: Callable[[T], SearchKey]) -> list[T]:
    """The rows the query finds, in their original order."""
    if not normalize_query(query):
        return list(rows)
    return [row for row in rows if key_matches(query, key(row))]


# Polyphonic characters read differently as a family name (曾 is zēng, not céng); used only
# for ordering, since a search accepts every reading anyway.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou",
    "查": "zha", "乐": "yue", "盖": "ge", "覃": "qin", "缪": "miao", "翟": "zhai",
    "秘": "bi", "召": "shao", "种": "chong", "繁": "po", "员": "yun", "隗": "wei",
    "尉": "yu", "长": "chang", "重": "chong", "折": "she", "过": "guo", "宿": "su",
}  # fmt: skip


@lru_cache(maxsize=32768)
def sort_key(name: str) -> tuple[str, str]:
    """Order names the way a Chinese reader expects: by pinyin (family names read as such),
    then by the characters."""
    syllables = lazy_pinyin(name)
    if name and name[0] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    return (" ".join(syllables).lower(), name)
