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

Because rare readings make more rows match (方 may be read wang, so ``wang`` also finds 方博),
:func:`filter_rows` ranks what it keeps: part of a name first, then phone digits, then pinyin
of the usual readings (phrase-aware, family names read as such), then pinyin of rare ones —
each group in the list's own order; within each, the row's own name (a student) before its
related names (the student's parents).

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

T = TypeVar("T")

# What people put between digits of a phone number, and between syllables of pinyin.
_PHONE_NOISE = re.compile(r"[\s\-+()（）]")
_SPACES = re.compile(r"\s+")
_LETTERS = re.compile(r"[a-z]+")
# Name characters that carry no reading: separators in transliterated names, spaces.
_SILENT = frozenset(" ·•.-_'\u3000")

Readings = tuple[frozenset[str], ...]

# Polyphonic characters read differently as a family name (曾 is zēng, not céng): the usual
# reading of a name's first character, and how names sort.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou",
    "查": "zha", "乐": "yue", "盖": "ge", "覃": "qin", "缪": "miao", "翟": "zhai",
    "秘": "bi", "召": "shao", "种": "chong", "繁": "po", "员": "yun", "隗": "wei",
    "尉": "yu", "长": "chang", "重": "chong", "折": "she", "过": "guo", "宿": "su",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SearchKey:
    """What a query is matched against for one row: its names, phone digits and readings."""

    names: tuple[str, ...]  # lowercased, spaces removed
    phones: tuple[str, ...]  # digits only
    readings: tuple[Readings, ...]  # per name: every reading of each character
    usual: tuple[Readings, ...]  # per name: the usual reading(s) of each character


# How well a query matches (lower is better); see the module docstring. A match on one of the
# row's related names (a student's parents) ranks one step after the same match on its own.
NAME_MATCH, PHONE_MATCH, USUAL_PINYIN_MATCH, RARE_PINYIN_MATCH = 0, 2, 3, 5
RELATED = 1


def normalize_query(query: str) -> str:
    """A query as it is matched: stripped, lowercased, inner spaces removed."""
    return _SPACES.sub("", query).lower()


def phone_digits(phone: str) -> str:
    """Only the digits of a phone number."""
    return "".join(ch for ch in phone if ch.isdigit())


def _spellings(reading: str) -> set[str]:
    text = reading.lower()
    return {text, text.replace("v", "u")} if "v" in text else {text}


def _voiced(name: str) -> list[str]:
    """The characters of ``name`` that carry a sound."""
    return [ch for ch in name if ch not in _SILENT and not ch.isspace()]


@lru_cache(maxsize=32768)
def name_readings(name: str) -> Readings:
    """For each character of ``name`` that has a sound, every way to type it.

    Chinese characters get every pypinyin reading (tone-less, ü as both ``v`` and ``u``);
    other characters stand for themselves, lowercased; separators and spaces are skipped.
    """
    from pypinyin import Style, pinyin  # imported here: ~0.5 s that start-up need not pay

    result: list[frozenset[str]] = []
    for ch in _voiced(name):
        options = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda text: [text])[0]
        readings: set[str] = set()
        for option in options:
            readings |= _spellings(option)
        result.append(frozenset(r for r in readings if r))
    return tuple(r for r in result if r)


@lru_cache(maxsize=32768)
def usual_readings(name: str) -> Readings:
    """For each character with a sound, its usual reading in this name.

    pypinyin reads the name as a phrase (so 长 in 长江 is chang); a polyphonic family name
    is read as a surname instead (:data:`SURNAME_READINGS`).
    """
    from pypinyin import Style, pinyin  # imported here: ~0.5 s that start-up need not pay

    voiced = _voiced(name)
    words = pinyin("".join(voiced), style=Style.NORMAL, errors=lambda text: list(text))
    result: list[frozenset[str]] = []
    for i, (ch, options) in enumerate(zip(voiced, words, strict=False)):
        if i == 0 and ch in SURNAME_READINGS:
            readings = {SURNAME_READINGS[ch]}
        else:
            readings = _spellings(options[0]) if options else {ch.lower()}
        result.append(frozenset(r for r in readings if r))
    return tuple(r for r in result if r)


def search_key(names: str | Iterable[str], phones: str | Iterable[str] = ()) -> SearchKey:
    """Build the key of a row from its name(s) and phone number(s); empty ones are skipped."""
    name_list = [n.strip() for n in ([names] if isinstance(names, str) else names) if n]
    name_list = [n for n in name_list if n]
    phone_list = [phones] if isinstance(phones, str) else list(phones)
    return SearchKey(
        names=tuple(_SPACES.sub("", n).lower() for n in name_list),
        phones=tuple(d for d in (phone_digits(p) for p in phone_list if p) if d),
        readings=tuple(name_readings(n) for n in name_list),
        usual=tuple(usual_readings(n) for n in name_list),
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


def _first_hit(found: Sequence[bool]) -> int | None:
    """0 when the row's own name matched, RELATED when only a related one did, else None."""
    if found and found[0]:
        return 0
    return RELATED if any(found[1:]) else None


def match_rank(query: str, key: SearchKey) -> int | None:
    """How well a (raw) query finds the row (:data:`NAME_MATCH` … :data:`RARE_PINYIN_MATCH`,
    plus :data:`RELATED` when only a related name matched), or None when it does not; an
    empty query finds every row as a name match. The first name of the key is the row's own."""
    q = normalize_query(query)
    if not q:
        return NAME_MATCH
    hit = _first_hit([q in name for name in key.names])
    if hit is not None:
        return NAME_MATCH + hit
    compact = _PHONE_NOISE.sub("", q)
    if compact.isdigit():
        return PHONE_MATCH if any(compact in phone for phone in key.phones) else None
    if not _LETTERS.fullmatch(q):
        return None
    hit = _first_hit([_pinyin_matches(q, readings) for readings in key.usual])
    if hit is not None:
        return USUAL_PINYIN_MATCH + hit
    hit = _first_hit([_pinyin_matches(q, readings) for readings in key.readings])
    if hit is not None:
        return RARE_PINYIN_MATCH + hit
    return None


def key_matches(query: str, key: SearchKey) -> bool:
    """Whether a (raw) query finds the row described by ``key``; an empty query finds all."""
    return match_rank(query, key) is not None


def matches(query: str, name: str, phone: str = "") -> bool:
    """Whether ``query`` finds a person called ``name`` with phone number ``phone``."""
    return key_matches(query, search_key(name, phone))


def filter_rows(query: str, rows: Sequence[T], key: Callable[[T], SearchKey]) -> list[T]:
    """The rows the query finds, best matches first, in their original order within a rank."""
    if not normalize_query(query):
        return list(rows)
    ranked = [
        (rank, i) for i, row in enumerate(rows) if (rank := match_rank(query, key(row))) is not None
    ]
    ranked.sort()
    return [rows[i] for _, i in ranked]


@lru_cache(maxsize=32768)
def sort_key(name: str) -> tuple[str, str]:
    """Order names the way a Chinese reader expects: by pinyin (family names read as such),
    then by the characters."""
    from pypinyin import lazy_pinyin  # imported here: ~0.5 s that start-up need not pay

    syllables = lazy_pinyin(name)
    if name and name[0] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    return (" ".join(syllables).lower(), name)
