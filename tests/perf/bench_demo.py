"""Benchmark: building the demo database, against SQLite's raw insert speed.

Run it by hand::

    .venv/bin/python tests/perf/bench_demo.py [--scale large|small] [--seed N]
                                              [--today YYYY-MM-DD] [--keep PATH]

or through pytest, which collects this file only when it is named explicitly (its name does not
match ``test_*.py``)::

    .venv/bin/pytest tests/perf/bench_demo.py

What it does and prints:

1. ``shared.demo.build_demo`` into a temporary folder (default: the large chain), with the
   progress lines and the elapsed time (goal for large: < 10 minutes on two cores);
2. the file size, the span of the history (first lesson to today) and the row counts of the
   big tables;
3. ``dabiao check``-style soundness: ``PRAGMA quick_check``, ``PRAGMA foreign_key_check`` and
   the schema revision, each timed;
4. the reference, measured in the same run on the same disk: inserting as many rows as the
   demo has attendance marks, as plain tuples of the same shape, with one ``executemany``
   into a bare table (no keys, no indexes, no constraints), and the ratio of the two times.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from shared.db import head_revision
from shared.demo import build_demo
from shared.periods import today_local

BIG_TABLES = (
    "attendance",
    "lesson_students",
    "consumption_entries",
    "lessons",
    "communication_records",
    "stage_activities",
    "growth_records",
    "parents",
    "students",
    "orders",
    "stage_targets",
    "targets",
)


@dataclass(frozen=True)
class DemoBenchmark:
    """The figures of one run."""

    scale: str
    seconds: float
    file_bytes: int
    first_lesson: date
    today: date
    counts: dict[str, int]
    quick_check: str
    quick_check_seconds: float
    foreign_key_errors: int
    foreign_key_seconds: float
    revision_ok: bool
    reference_rows: int
    reference_seconds: float

    @property
    def history_years(self) -> float:
        """Years from the first lesson of the history to the build's today."""
        return (self.today - self.first_lesson).days / 365.25

    @property
    def ratio(self) -> float:
        """How many times longer the whole demo build takes than the bare attendance insert."""
        return self.seconds / self.reference_seconds


def reference_insert(folder: Path, rows: int) -> float:
    """Seconds to insert ``rows`` attendance-shaped tuples into a bare table, one executemany.

    The tuples are built before the clock starts; the table has the attendance columns and
    nothing else. Pragmas are those of the demo build (WAL, synchronous off).
    """
    path = folder / "reference.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(
            "CREATE TABLE attendance_plain (id BLOB, version INTEGER, is_deleted INTEGER, "
            "created_at TEXT, updated_at TEXT, campus_id BLOB, lesson_id BLOB, student_id BLOB, "
            "status TEXT, is_trial INTEGER, charged_hours INTEGER, marked_by_id BLOB, note TEXT)"
        )
        campus = os.urandom(16)
        staff = [os.urandom(16) for _ in range(32)]
        stamp = "2025-03-08 09:41:07.123456"
        data = [
            (
                os.urandom(16),
                i + 1,
                0,
                stamp,
                stamp,
                campus,
                os.urandom(16),
                os.urandom(16),
                "present",
                0,
                150,
                staff[i % 32],
                "",
            )
            for i in range(rows)
        ]
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO attendance_plain VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", data)
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _say(line: str) -> None:
    print(line, flush=True)  # progress must show up at once, also when piped into a log


def run_benchmark(
    folder: Path,
    *,
    scale: str = "large",
    seed: int = 1,
    today: date | None = None,
    say: Callable[[str], None] = _say,
) -> DemoBenchmark:
    """Build the demo in ``folder``, check it, measure the reference; report as it goes."""
    path = folder / f"demo-{scale}.dabiao"
    today = today or today_local()
    started = time.perf_counter()

    def progress(message: str) -> None:
        say(f"  {time.perf_counter() - started:7.1f} s  {message}")

    say(f"构建演示数据（scale={scale}, seed={seed}）…")
    result = build_demo(path, scale=scale, seed=seed, today=today, progress=progress)
    size = path.stat().st_size

    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        t = time.perf_counter()
        quick = ", ".join(r[0] for r in conn.execute("PRAGMA quick_check(5)"))
        quick_seconds = time.perf_counter() - t
        t = time.perf_counter()
        fk_errors = len(conn.execute("PRAGMA foreign_key_check").fetchall())
        fk_seconds = time.perf_counter() - t
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        first_lesson = date.fromisoformat(
            conn.execute("SELECT min(lesson_on) FROM lessons").fetchone()[0]
        )
    finally:
        conn.close()

    rows = result.counts["attendance"]
    say(f"参照：{rows:,} 条考勤形状的元组 executemany 写入无索引的空表…")
    reference = reference_insert(folder, rows)
    bench = DemoBenchmark(
        scale=scale,
        seconds=result.seconds,
        file_bytes=size,
        first_lesson=first_lesson,
        today=today,
        counts=result.counts,
        quick_check=quick,
        quick_check_seconds=quick_seconds,
        foreign_key_errors=fk_errors,
        foreign_key_seconds=fk_seconds,
        revision_ok=revision == head_revision(),
        reference_rows=rows,
        reference_seconds=reference,
    )
    report(bench, say)
    return bench


def report(bench: DemoBenchmark, say: Callable[[str], None] = _say) -> None:
    """Print the figures of one run."""
    total_rows = sum(bench.counts.values())
    say("")
    say(f"scale               {bench.scale}")
    say(
        f"build time          {bench.seconds:8.1f} s  ({total_rows:,} rows, "
        f"{bench.seconds / total_rows * 1e6:.1f} µs per row)"
    )
    say(f"file size           {bench.file_bytes / 2**20:8.1f} MiB")
    say(
        f"history             {bench.first_lesson} … {bench.today} "
        f"({bench.history_years:.2f} years)"
    )
    for table in BIG_TABLES:
        say(f"  {table:<22} {bench.counts.get(table, 0):>12,}")
    say(f"quick_check         {bench.quick_check} ({bench.quick_check_seconds:.1f} s)")
    say(
        f"foreign_key_check   {bench.foreign_key_errors} errors ({bench.foreign_key_seconds:.1f} s)"
    )
    say(f"schema revision     {'head' if bench.revision_ok else 'NOT head'}")
    say(
        f"reference           {bench.reference_rows:,} plain attendance tuples in "
        f"{bench.reference_seconds:.2f} s"
    )
    say(f"ratio               {bench.ratio:.0f}× the bare insert of the attendance rows alone")


@pytest.mark.perf
@pytest.mark.timeout(1800)
def test_large_demo_builds_within_ten_minutes(tmp_path: Path) -> None:
    """The large chain builds in time, at its promised size, and is sound."""
    bench = run_benchmark(tmp_path, scale="large")
    assert bench.seconds < 600
    assert bench.counts["campuses"] == 20
    assert bench.counts["staff"] >= 600
    assert (bench.today - bench.first_lesson).days >= 3 * 365  # three years of history
    assert bench.counts["students"] >= 40_000
    assert bench.counts["attendance"] >= 1_500_000
    assert bench.quick_check == "ok"
    assert bench.foreign_key_errors == 0
    assert bench.revision_ok


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: run the benchmark once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "large"], default="large")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="build into this folder and keep the file (default: a temp folder)",
    )
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / f"demo-{args.scale}.dabiao").unlink(missing_ok=True)
        bench = run_benchmark(args.keep, scale=args.scale, seed=args.seed, today=args.today)
    else:
        with tempfile.TemporaryDirectory(prefix="dabiao-bench-") as folder:
            bench = run_benchmark(Path(folder), scale=args.scale, seed=args.seed, today=args.today)
    sound = bench.quick_check == "ok" and bench.foreign_key_errors == 0 and bench.revision_ok
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main())
