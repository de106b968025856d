"""演示数据: a realistic, deterministic training-school database for demos, tests and benchmarks.

``build_demo(path)`` creates a new campus database file and fills it with years of history of
one campus (``scale="small"``, about 400 students, history since 1 January of last year, a few
seconds) or of a 20-campus chain (``scale="large"``, 620 staff, over 40,000 students and 1.5
million attendance marks over at least three whole years, a few minutes):
staff with PINs, courses, the whole student funnel with families and contact logs, trials,
orders of every sign type including refunds, the weekly timetable with attendance and the 划课
it causes, growth records, stage work, and this year's targets.

The same ``seed`` and ``today`` give the same rows, byte for byte: every random choice, UUID,
timestamp and version comes from one seeded :class:`random.Random` (and one seeded Faker),
never from the clock. Rows are written in bulk through the raw SQLite connection; their
encodings are those of the ORM's column types (see :mod:`shared.demo.rows`), so the services
read them as if they had written them — the tests check that re-deriving 划课 with
:func:`shared.consumption.rebuild_student_course` changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

from ..db import open_database
from ..errors import Invalid
from ..periods import today_local
from ..pins import hash_pin
from . import content as C
from .rows import COLUMNS, IdMaker, RowSink, check_columns_match_schema
from .simulate import BuildContext, CampusPlan, CampusSimulation, holidays
from .targets import write_targets

__all__ = [
    "SCALES",
    "DemoLogin",
    "DemoResult",
    "DemoScale",
    "build_demo",
    "campus_plans",
    "history_start",
]


@dataclass(frozen=True)
class DemoLogin:
    """A staff member of the demo and the PIN to log in with."""

    campus: str
    name: str
    roles: list[str]
    pin: str


@dataclass(frozen=True)
class DemoResult:
    """What ``build_demo`` made: the file, who can log in, rows per table, seconds taken."""

    path: Path
    logins: list[DemoLogin]
    counts: dict[str, int]
    seconds: float


@dataclass(frozen=True)
class DemoScale:
    """The size of a demo; per-campus figures vary ±20 % between campuses of a chain."""

    campuses: int
    history_years: int  # history starts on 1 January this many years before today's year
    consultants: int  # besides the front-desk clerk who also sells
    teachers: int  # besides the manager, who teaches too
    front_desks: int
    initial_students: int  # already studying when the history starts
    leads_per_week: float
    piano_rooms: int
    general_rooms: int
    dance_rooms: int
    pin_pool: int  # distinct PINs to hand out (each is hashed once; scrypt is slow on purpose)
    # At least this many whole years of history, whatever the day: when 1 January of
    # ``history_years`` back is later, the history starts on the first of today's month this
    # many years back instead (see :func:`history_start`).
    min_history_years: int = 0


SCALES: dict[str, DemoScale] = {
    "small": DemoScale(
        campuses=1,
        history_years=1,
        consultants=4,
        teachers=8,
        front_desks=2,
        initial_students=60,
        leads_per_week=3.0,
        piano_rooms=3,
        general_rooms=6,
        dance_rooms=1,
        pin_pool=15,
    ),
    "large": DemoScale(
        campuses=20,
        history_years=2,
        consultants=7,
        teachers=21,
        front_desks=2,
        initial_students=430,
        leads_per_week=11.0,
        piano_rooms=8,
        general_rooms=14,
        dance_rooms=2,
        pin_pool=60,
        min_history_years=3,
    ),
}

# Big page cache for the build only: the indexes of a million-row table stay in memory.
_BUILD_CACHE_KIB = 512 * 1024


def build_demo(
    path: Path,
    *,
    scale: str = "small",
    seed: int = 1,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Create a demo database at ``path`` (which must not exist yet, or be an empty file).

    ``scale`` is ``"small"`` or ``"large"`` (see :data:`SCALES`); ``today`` (default: today in
    Shanghai) is the last day of history, the timetable runs to the end of the next week.
    ``progress`` receives a line in Chinese at each step. Raises ``Invalid`` for an unknown
    scale or an existing non-empty file, ``StorageUnavailable`` when the file cannot be
    written; a build that fails leaves no file behind.
    """
    started = time.perf_counter()
    spec = SCALES.get(scale)
    if spec is None:
        raise Invalid("scale", f"未知的演示数据规模：{scale!r}（可选：{'、'.join(SCALES)}）")
    path = Path(path)
    if path.is_dir() or (path.exists() and path.stat().st_size > 0):
        raise Invalid("path", f"“{path}”已存在且不是空文件，演示数据只能写入新文件")
    today = today or today_local()
    say = progress or (lambda _message: None)
    check_columns_match_schema()

    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    plans = campus_plans(spec, rng)
    staff_total = sum(1 + p.front_desks + p.consultants + p.teachers for p in plans)
    pool = _draw_pins(rng, min(spec.pin_pool, staff_total))
    say(f"计算 {len(pool)} 个演示 PIN 的哈希…")
    pin_hashes = _hash_pins(pool, seed)
    handed_out = iter(pool)

    def pin_for() -> str:
        # Everyone has their own PIN while the pool lasts; a big chain reuses the pool.
        return next(handed_out, None) or rng.choice(pool)

    start = history_start(spec, today)
    horizon = today + timedelta(days=6 - today.weekday() + 7)  # Sunday of next week
    logins: list[DemoLogin] = []
    db = open_database(path)
    try:
        # A fresh file nobody else uses: durability is pointless until the build is done (a
        # failed build deletes the file), so write it without journal and without syncing.
        # Leaving WAL mode needs the only connection: drop the one the migrations left pooled.
        db.engine.dispose()
        conn = db.raw_connection()
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute(f"PRAGMA cache_size = -{_BUILD_CACHE_KIB}")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")  # index sorts
            deferred = _drop_indexes(conn)
            sink = RowSink(conn)
            ctx = BuildContext(
                rng=rng,
                fake=fake,
                sink=sink,
                ids=IdMaker(rng),
                start=start,
                today=today,
                horizon=horizon,
                pin_for=pin_for,
                pin_hashes=pin_hashes,
                holidays=holidays(start.year, horizon.year),
            )
            for number, plan in enumerate(plans, start=1):
                say(f"[{number}/{len(plans)}] {plan.name}：模拟 {start} 至 {today} 的经营…")
                campus = CampusSimulation(ctx, plan)
                campus.run()
                write_targets(sink, ctx.ids, rng, today.year, campus.actuals(today.year))
                attendance = sink.pending("attendance")
                conn.execute("BEGIN")
                sink.flush()
                conn.execute("COMMIT")
                say(f"[{number}/{len(plans)}] {plan.name}：已写入（考勤 {attendance:,} 条）")
                logins.extend(
                    DemoLogin(plan.name, s.name, list(s.roles), s.pin) for s in campus.staff
                )
            say(f"重建 {len(deferred)} 个索引…")
            conn.execute("BEGIN")
            for sql in deferred:
                conn.execute(sql)
            conn.execute("UPDATE sync_counter SET value = ? WHERE id = 1", (sink.version,))
            conn.execute("COMMIT")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA journal_mode = WAL")  # as the program runs it
            counts = dict(sink.counts)
        finally:
            conn.close()
    except BaseException:
        # The half-built file goes away; closing it must not hide what went wrong.
        with contextlib.suppress(sqlite3.Error):
            db.close()
        _remove_database(path)
        raise
    db.close()
    seconds = time.perf_counter() - started
    say(f"演示数据已生成：{path}（{seconds:.1f} 秒）")
    return DemoResult(path=path, logins=logins, counts=counts, seconds=seconds)


def history_start(spec: DemoScale, today: date) -> date:
    """The first day of a demo's history for a build whose last day of history is ``today``.

    1 January ``spec.history_years`` before today's year (so last year is always whole: the
    targets take its seasonality), or, when that leaves fewer than ``spec.min_history_years``
    whole years before ``today``, the first of today's month that many years back. The large
    chain thus has three years and a few weeks of history on any day of the year, and its
    size does not depend on the month it is built in.
    """
    start = date(today.year - spec.history_years, 1, 1)
    if spec.min_history_years:
        start = min(start, date(today.year - spec.min_history_years, today.month, 1))
    return start


def campus_plans(spec: DemoScale, rng: random.Random) -> list[CampusPlan]:
    """The campuses of a build: the first draws of the build's ``rng`` (so a seed fixes them)."""
    plans = []
    all_keys = [c.key for c in C.COURSES]
    for index in range(spec.campuses):
        site, district, code = C.CAMPUS_SITES[index]  # 20 sites: as many as "large" has
        if spec.campuses == 1:
            keys = C.SMALL_COURSE_KEYS
            factor = 1.0
        else:
            extra = [k for k in all_keys if k not in C.SMALL_COURSE_KEYS]
            keys = C.SMALL_COURSE_KEYS + tuple(k for k in extra if rng.random() < 0.5)
            factor = rng.uniform(0.8, 1.2)
        plans.append(
            CampusPlan(
                name=C.CAMPUS_NAME.format(short=site),
                code=f"DB-{code}",
                district=district,
                course_keys=keys,
                consultants=spec.consultants,
                teachers=spec.teachers,
                front_desks=spec.front_desks,
                initial_students=round(spec.initial_students * factor),
                leads_per_week=spec.leads_per_week * factor,
                piano_rooms=spec.piano_rooms,
                general_rooms=spec.general_rooms,
                dance_rooms=spec.dance_rooms,
            )
        )
    return plans


def _draw_pins(rng: random.Random, count: int) -> list[str]:
    pins: list[str] = []
    while len(pins) < count:
        pin = f"{rng.randrange(1000, 10000)}"
        if pin not in pins and len(set(pin)) > 1:
            pins.append(pin)
    return pins


def _hash_pins(pins: list[str], seed: int) -> dict[str, str]:
    """Hash each PIN once with a salt derived from the seed (deterministic, still salted)."""

    def one(pin: str) -> str:
        salt = hashlib.sha256(f"dabiao-demo:{seed}:{pin}".encode()).digest()[:16]
        return hash_pin(pin, salt=salt)

    # hashlib.scrypt releases the GIL, so threads use both cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(pins, pool.map(one, pins), strict=True))


def _drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the schema's secondary indexes for the load; return the SQL that recreates them.

    Building an index once over sorted keys is far cheaper than keeping it up to date through
    millions of random-key inserts. Only explicit ``CREATE INDEX`` indexes are dropped; those
    behind primary keys and UNIQUE constraints stay, so every constraint is enforced during
    the load, and the partial unique indexes are checked when they are recreated.
    """
    placeholders = ", ".join("?" * len(COLUMNS))
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({placeholders}) ORDER BY name",
        tuple(COLUMNS),
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("COMMIT")
    return [sql for _, sql in rows]


def _remove_database(path: Path) -> None:
    """Remove a half-built demo file (and its WAL companions) after a failed build."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
