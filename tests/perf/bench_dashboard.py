"""Benchmark: the campus dashboard on the large demo, against plain SQL, and with history.

Run it by hand (it is not collected by pytest)::

    .venv/bin/python tests/perf/bench_dashboard.py --db PATH [--campus CODE] [--today YYYY-MM-DD]

When ``PATH`` does not exist it is built first with ``shared.demo.build_demo(scale="large",
seed=1)``. What it prints:

1. ``dashboard()`` for one campus and the month of ``today``: the median of ``--runs`` runs,
   each in a fresh read session as the desktop and the phone API use it (goal: <= 50 ms).
2. The same figures computed straight from the raw tables with plain ``sqlite3`` (campus sums,
   grouped rankings, the stage-count rule as one SQL statement, the outlook's draw in a small
   loop): its median, the ratio, and whether every figure agrees with ``dashboard()``.
   Both run in turns with the short copy below (``--runs`` each), so that load from elsewhere
   on the machine falls on every figure alike.
3. Growth with history: a copy of the file keeps only the last third of its history (orders,
   lessons, trials, contacts and stage work dated before the cut are removed; packages that
   still hold hours, with their consumption, are kept, as a school that started using Dabiao
   at the cut would have imported them). The dashboard shows the same figures on both files
   (checked), so the timing difference is the cost of the longer history alone
   (goal: <= 20 % growth when the history triples).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from shared.db import Database, backup_database, open_database
from shared.periods import Period, today_local
from shared.progress import Dashboard, dashboard

Figures = dict[str, Any]


# --------------------------------------------------------------------------- the figures


def board_figures(board: Dashboard) -> Figures:
    """The data-derived figures of a dashboard, in a form the reference can reproduce."""
    progress = {}
    for metric in ("revenue", "consumption"):
        sets = getattr(board, metric)
        for kind in ("year", "month", "week"):
            p = getattr(sets, kind)
            progress[f"{metric}.{kind}"] = (p.target_fen if p.has_target else None, p.actual_fen)
    o = board.outlook
    return {
        "progress": progress,
        "revenue_ranking": [
            (r.rank, r.staff_id, r.amount_fen, r.target_fen) for r in board.revenue_ranking
        ],
        "consumption_ranking": [
            (r.rank, r.staff_id, r.amount_fen, r.target_fen) for r in board.consumption_ranking
        ],
        "funnel": [(f.code, f.actual_count, f.target_count) for f in board.funnel],
        "outlook": (
            o.actual_fen,
            o.scheduled_fen,
            o.scheduled_lessons,
            sorted(
                (x.student_id, x.course_id, x.lessons, int(x.uncovered_hours * 100))
                for x in o.out_of_hours
            ),
        ),
    }


# --------------------------------------------------------------------------- plain SQL


def _uid(blob: bytes) -> str:
    return str(uuid.UUID(bytes=blob))


STAGE_COUNTS_SQL = """
WITH st AS (
    SELECT id, code, sort_order FROM stages
    WHERE campus_id = :c AND active = 1 AND is_deleted = 0
),
ev AS (
    SELECT 'trial' AS code, consultant_id AS s1, intent_teacher_id AS s2,
           student_id AS subj, trial_on AS day
    FROM trial_lessons
    WHERE campus_id = :c AND trial_on BETWEEN :a AND :b AND status = 'held' AND is_deleted = 0
    UNION ALL
    SELECT CASE sign_type WHEN 'renewal' THEN 'renewal' ELSE 'sign' END,
           consultant_id, NULL, student_id, signed_on
    FROM orders
    WHERE campus_id = :c AND signed_on BETWEEN :a AND :b AND is_deleted = 0
      AND sign_type IN ('new', 'referral', 'cross_sell', 'renewal')
    UNION ALL
    SELECT 'referral', consultant_id, NULL, student_id, signed_on
    FROM orders
    WHERE campus_id = :c AND signed_on BETWEEN :a AND :b AND is_deleted = 0
      AND sign_type = 'referral'
    UNION ALL
    SELECT 'parent_contact', staff_id, NULL, parent_id, occurred_on
    FROM communication_records
    WHERE campus_id = :c AND occurred_on BETWEEN :a AND :b AND is_deleted = 0
),
credit AS (
    SELECT code, s1 AS staff, subj, day FROM ev WHERE s1 IS NOT NULL
    UNION ALL
    SELECT code, s2, subj, day FROM ev
    WHERE s2 IS NOT NULL AND (s1 IS NULL OR s2 != s1)
),
logged AS (
    SELECT st.code, a.staff_id AS staff,
           CASE WHEN st.code = 'parent_contact' THEN a.parent_id ELSE a.student_id END AS subj,
           a.occurred_on AS day
    FROM stage_activities a JOIN st ON st.id = a.stage_id
    WHERE a.campus_id = :c AND a.occurred_on BETWEEN :a AND :b AND a.is_deleted = 0
),
keyed AS (
    SELECT code, SUM(i) AS i, SUM(m) AS m FROM (
        SELECT code, staff, subj, day, 1 AS i, 0 AS m FROM credit
        UNION ALL
        SELECT code, staff, subj, day, 0, 1 FROM logged
    ) GROUP BY code, staff, subj, day
),
implied AS (SELECT code, COUNT(*) AS n FROM ev GROUP BY code),
extra AS (SELECT code, SUM(MAX(0, m - i)) AS n FROM keyed GROUP BY code),
targets AS (
    SELECT stage_id, SUM(target_count) AS n FROM stage_targets
    WHERE campus_id = :c AND staff_id IS NULL AND year = :y AND month = :m AND is_deleted = 0
    GROUP BY stage_id
)
SELECT st.code, COALESCE(implied.n, 0) + COALESCE(extra.n, 0), targets.n
FROM st
LEFT JOIN implied ON implied.code = st.code
LEFT JOIN extra ON extra.code = st.code
LEFT JOIN targets ON targets.stage_id = st.id
ORDER BY st.sort_order, st.code
"""

RANKING_SQL = {
    "revenue": """
        SELECT s.id, s.name, s.roles, s.active, COALESCE(x.amount, 0), t.amount_fen
        FROM staff s
        LEFT JOIN (
            SELECT consultant_id AS sid, SUM(amount_fen) AS amount FROM orders
            WHERE campus_id = :c AND signed_on BETWEEN :a AND :b AND is_deleted = 0
            GROUP BY consultant_id
        ) x ON x.sid = s.id
        LEFT JOIN targets t ON t.staff_id = s.id AND t.staff_role = 'consultant'
            AND t.metric = 'revenue' AND t.period_kind = 'month' AND t.year = :y
            AND t.month = :m AND t.week = 0 AND t.is_deleted = 0
        WHERE s.campus_id = :c AND s.is_deleted = 0
    """,
    "consumption": """
        SELECT s.id, s.name, s.roles, s.active, COALESCE(x.amount, 0), t.amount_fen
        FROM staff s
        LEFT JOIN (
            SELECT teacher_id AS sid, SUM(amount_fen) AS amount FROM consumption_entries
            WHERE campus_id = :c AND lesson_on BETWEEN :a AND :b AND is_deleted = 0
            GROUP BY teacher_id
        ) x ON x.sid = s.id
        LEFT JOIN targets t ON t.staff_id = s.id AND t.staff_role = 'teacher'
            AND t.metric = 'consumption' AND t.period_kind = 'month' AND t.year = :y
            AND t.month = :m AND t.week = 0 AND t.is_deleted = 0
        WHERE s.campus_id = :c AND s.is_deleted = 0
    """,
}

SUM_SQL = {
    "revenue": "SELECT COALESCE(SUM(amount_fen), 0) FROM orders WHERE campus_id = ? "
    "AND signed_on BETWEEN ? AND ? AND is_deleted = 0",
    "consumption": "SELECT COALESCE(SUM(amount_fen), 0) FROM consumption_entries "
    "WHERE campus_id = ? AND lesson_on BETWEEN ? AND ? AND is_deleted = 0",
}

TARGET_SQL = (
    "SELECT amount_fen FROM targets WHERE campus_id = ? AND staff_id IS NULL AND metric = ? "
    "AND period_kind = ? AND year = ? AND month = ? AND week = ? AND is_deleted = 0"
)

UPCOMING_SQL = """
    SELECT l.id, l.lesson_on, l.course_id, l.hours, ls.student_id
    FROM lessons l
    JOIN lesson_students ls ON ls.lesson_id = l.id
    JOIN students s ON s.id = ls.student_id
    WHERE l.campus_id = ? AND l.status = 'scheduled' AND l.lesson_on BETWEEN ? AND ?
      AND l.is_deleted = 0 AND ls.is_deleted = 0 AND ls.is_trial = 0 AND s.is_deleted = 0
    ORDER BY l.lesson_on, l.starts_at, l.created_at, l.id
"""


def reference_figures(conn: sqlite3.Connection, campus: bytes, today: date) -> Figures:
    """The dashboard's figures from the raw tables: SQL, plus the 划课 draw as a small loop."""
    periods = {
        "year": Period.of_year(today.year),
        "month": Period.of_month(today.year, today.month),
        "week": Period.containing("week", today),
    }
    progress = {}
    for metric in ("revenue", "consumption"):
        for kind, p in periods.items():
            start, end = p.start.isoformat(), p.end.isoformat()
            actual = conn.execute(SUM_SQL[metric], (campus, start, end)).fetchone()[0]
            row = conn.execute(
                TARGET_SQL, (campus, metric, p.kind, p.year, p.month, p.week)
            ).fetchone()
            progress[f"{metric}.{kind}"] = (row[0] if row else None, actual)
    month = periods["month"]
    bounds = {
        "c": campus,
        "a": month.start.isoformat(),
        "b": month.end.isoformat(),
        "y": month.year,
        "m": month.month,
    }
    rankings = {}
    for metric, role in (("revenue", "consultant"), ("consumption", "teacher")):
        people = [
            (-amount, name, _uid(sid), amount, target)
            for sid, name, roles, active, amount, target in conn.execute(
                RANKING_SQL[metric], bounds
            )
            if (active and role in json.loads(roles)) or amount
        ]
        people.sort()
        rows: list[tuple[int, str, int, int | None]] = []
        for i, (_, _, sid, amount, target) in enumerate(people):
            rank = rows[-1][0] if rows and rows[-1][2] == amount else i + 1
            rows.append((rank, sid, amount, target))
        rankings[metric] = rows
    funnel = [tuple(r) for r in conn.execute(STAGE_COUNTS_SQL, bounds)]
    return {
        "progress": progress,
        "revenue_ranking": rankings["revenue"],
        "consumption_ranking": rankings["consumption"],
        "funnel": funnel,
        "outlook": (
            progress["consumption.month"][1],
            *_reference_outlook(conn, campus, today, month),
        ),
    }


def _reference_outlook(
    conn: sqlite3.Connection, campus: bytes, today: date, month: Period
) -> tuple[int, int, list[tuple[str, str, int, int]]]:
    """Scheduled value by the 划课 rule, in integer hundredths of an hour, straight from rows."""
    if today > month.end:
        return 0, 0, []
    rows = conn.execute(UPCOMING_SQL, (campus, today.isoformat(), month.end.isoformat())).fetchall()
    students = sorted({r[4] for r in rows})
    packages: dict[tuple[bytes, bytes], list[list[Any]]] = {}
    if students:
        marks = ",".join("?" * len(students))
        orders = conn.execute(
            f"SELECT id, student_id, course_id, sign_type, hours, gift_hours, amount_fen, "
            f"refund_of_id FROM orders WHERE student_id IN ({marks}) AND is_deleted = 0 "
            f"ORDER BY signed_on, created_at, id",
            students,
        ).fetchall()
        refunded: dict[bytes, list[int]] = {}
        for _, _, _, kind, hours, gift, _, refund_of in orders:
            if kind == "refund":
                r = refunded.setdefault(refund_of, [0, 0])
                r[0] += hours
                r[1] += gift
        used: dict[bytes, list[int]] = {}
        order_ids = [o[0] for o in orders if o[3] != "refund"]
        for start in range(0, len(order_ids), 5000):
            chunk = order_ids[start : start + 5000]
            for oid, gifted, hours in conn.execute(
                f"SELECT order_id, kind = 'gifted', SUM(hours) FROM consumption_entries "
                f"WHERE order_id IN ({','.join('?' * len(chunk))}) AND is_deleted = 0 "
                f"GROUP BY order_id, kind = 'gifted'",
                chunk,
            ):
                used.setdefault(oid, [0, 0])[1 if gifted else 0] += hours
        for oid, student, course, kind, hours, gift, amount, _ in orders:
            if kind == "refund":
                continue
            r_hours, r_gift = refunded.get(oid, (0, 0))
            paid_used, gift_used = used.get(oid, (0, 0))
            # [sold hours, amount, usable paid, usable gift, paid used, gift used]
            packages.setdefault((student, course), []).append(
                [hours, amount, hours - r_hours, gift - r_gift, paid_used, gift_used]
            )
    scheduled = 0
    lessons: set[bytes] = set()
    short: dict[tuple[bytes, bytes], list[int]] = {}
    month_start = month.start.isoformat()
    for lesson_id, lesson_on, course, hours, student in rows:
        need, value = hours, 0
        for pkg in packages.get((student, course), ()):
            sold, amount, usable_paid, usable_gift, paid_used, gift_used = pkg
            take = min(need, usable_paid - paid_used)
            if take > 0:
                # value of hours c .. c+h of a package of H hours and A fen (shared.consumption)
                value += amount * (paid_used + take) // sold - amount * paid_used // sold
                pkg[4] += take
                need -= take
            take = min(need, usable_gift - gift_used)
            if take > 0:
                pkg[5] += take
                need -= take
            if need <= 0:
                break
        if lesson_on < month_start:
            continue
        lessons.add(lesson_id)
        scheduled += value
        if need > 0:
            s = short.setdefault((student, course), [0, 0])
            s[0] += 1
            s[1] += need
    out = sorted((_uid(s), _uid(c), n, h) for (s, c), (n, h) in short.items())
    return scheduled, len(lessons), out


# --------------------------------------------------------------------------- timing


class Subject:
    """One database file under test: the live path (``dashboard()``) and the raw connection."""

    def __init__(self, path: Path, campus_id: str, today: date) -> None:
        self.path = path
        self.campus_id = campus_id
        self.today = today
        self.db: Database = open_database(path, create=False)
        self.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        self.blob = uuid.UUID(campus_id).bytes
        self.board_ms: list[float] = []
        self.reference_ms: list[float] = []
        self.board: Dashboard | None = None
        self.reference: Figures = {}

    def run_board(self) -> None:
        """One dashboard, in a fresh read session as the desktop and the phone API open it."""
        t0 = time.perf_counter()
        with self.db.reader() as s:
            self.board = dashboard(s, self.campus_id, self.today)
        self.board_ms.append((time.perf_counter() - t0) * 1000)

    def run_reference(self) -> None:
        """The same figures by plain SQL on the raw connection."""
        t0 = time.perf_counter()
        self.reference = reference_figures(self.conn, self.blob, self.today)
        self.reference_ms.append((time.perf_counter() - t0) * 1000)

    @property
    def figures(self) -> Figures:
        """The dashboard's figures in the reference's shape."""
        assert self.board is not None
        return board_figures(self.board)

    def agree(self) -> bool:
        """Whether the dashboard and the reference give the same figures (differences printed)."""
        mine, ref = self.figures, self.reference
        for key in mine:
            if mine[key] != ref[key]:
                print(f"  ! {key} differs:\n    dashboard {mine[key]}\n    reference {ref[key]}")
        return mine == ref

    def close(self) -> None:
        """Release both connections."""
        self.conn.close()
        self.db.close()


def run_interleaved(subjects: list[Subject], runs: int) -> None:
    """Time every subject ``runs`` times, taking turns, so that load from elsewhere on the
    machine falls on all of them alike; one untimed warm-up each first."""
    for subject in subjects:
        subject.run_board()
        subject.run_reference()
        subject.board_ms.clear()
        subject.reference_ms.clear()
    for _ in range(runs):
        for subject in subjects:
            subject.run_board()
            subject.run_reference()


def median(values: list[float]) -> float:
    """The median of timings in ms."""
    return statistics.median(values)


# --------------------------------------------------------------------------- short history


def history_span(path: Path, today: date) -> tuple[date, int]:
    """The first business date in the file and the history's length in days up to today."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        first = conn.execute(
            "SELECT MIN(d) FROM (SELECT MIN(signed_on) AS d FROM orders "
            "UNION ALL SELECT MIN(lesson_on) FROM lessons)"
        ).fetchone()[0]
    finally:
        conn.close()
    start = date.fromisoformat(first)
    return start, (today - start).days


SHORTEN = """
CREATE TEMP TABLE keep_orders AS
    SELECT id FROM orders WHERE signed_on >= :cut
    UNION SELECT order_id FROM consumption_entries WHERE lesson_on >= :cut AND order_id IS NOT NULL;
INSERT INTO keep_orders SELECT refund_of_id FROM orders
    WHERE id IN (SELECT id FROM keep_orders) AND refund_of_id IS NOT NULL;
INSERT INTO keep_orders SELECT id FROM orders WHERE refund_of_id IN (SELECT id FROM keep_orders);
DELETE FROM orders WHERE id NOT IN (SELECT id FROM keep_orders);
DELETE FROM consumption_entries WHERE lesson_on < :cut
    AND (order_id IS NULL OR order_id NOT IN (SELECT id FROM keep_orders));
DELETE FROM attendance WHERE lesson_id IN (SELECT id FROM lessons WHERE lesson_on < :cut)
    AND id NOT IN (SELECT attendance_id FROM consumption_entries);
DELETE FROM growth_records WHERE recorded_on < :cut;
DELETE FROM lessons WHERE lesson_on < :cut AND id NOT IN (SELECT lesson_id FROM attendance)
    AND id NOT IN (SELECT lesson_id FROM growth_records WHERE lesson_id IS NOT NULL);
DELETE FROM lesson_students WHERE lesson_id NOT IN (SELECT id FROM lessons);
UPDATE orders SET trial_id = NULL WHERE trial_id IN
    (SELECT id FROM trial_lessons WHERE trial_on < :cut);
DELETE FROM trial_lessons WHERE trial_on < :cut;
UPDATE trial_lessons SET lesson_id = NULL
    WHERE lesson_id IS NOT NULL AND lesson_id NOT IN (SELECT id FROM lessons);
DELETE FROM communication_records WHERE occurred_on < :cut;
DELETE FROM stage_activities WHERE occurred_on < :cut;
DELETE FROM targets WHERE year < :cut_year;
DELETE FROM stage_targets WHERE year < :cut_year;
DELETE FROM students WHERE id NOT IN (SELECT student_id FROM orders)
    AND id NOT IN (SELECT student_id FROM lesson_students)
    AND id NOT IN (SELECT student_id FROM attendance)
    AND id NOT IN (SELECT student_id FROM consumption_entries)
    AND id NOT IN (SELECT student_id FROM trial_lessons)
    AND id NOT IN (SELECT student_id FROM growth_records)
    AND id NOT IN (SELECT student_id FROM communication_records WHERE student_id IS NOT NULL)
    AND id NOT IN (SELECT student_id FROM stage_activities WHERE student_id IS NOT NULL)
    AND (first_contact_on IS NULL OR first_contact_on < :cut);
DELETE FROM student_parents WHERE student_id NOT IN (SELECT id FROM students);
DELETE FROM parents WHERE id NOT IN (SELECT parent_id FROM student_parents)
    AND id NOT IN (SELECT parent_id FROM communication_records)
    AND id NOT IN (SELECT parent_id FROM stage_activities WHERE parent_id IS NOT NULL);
"""

COUNTED = ("orders", "consumption_entries", "lessons", "attendance", "stage_activities")


def row_counts(path: Path) -> dict[str, int]:
    """Rows of the tables that grow with history."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        conn.close()


def shorten(source: Path, dest: Path, cut: date) -> None:
    """Copy ``source`` to ``dest`` keeping only the history from ``cut`` (see the docstring)."""
    backup_database(source, dest)
    conn = sqlite3.connect(str(dest), isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN")
        for statement in SHORTEN.split(";"):
            if statement.strip():
                conn.execute(statement, {"cut": cut.isoformat(), "cut_year": cut.year})
        conn.execute("COMMIT")
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise SystemExit(f"the shortened copy breaks {len(problems)} foreign keys")
        conn.execute("VACUUM")  # a compact file, like a freshly built one (no ANALYZE in either)
    finally:
        conn.close()


# --------------------------------------------------------------------------- main


def pick_campus(path: Path, code: str | None) -> tuple[str, str]:
    """(id, name) of the campus with ``code``, or of the first campus by code."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        sql = "SELECT id, name, code FROM campuses WHERE is_deleted = 0"
        rows = conn.execute(sql + " ORDER BY code").fetchall()
    finally:
        conn.close()
    for blob, name, campus_code in rows:
        if code is None or campus_code == code:
            return _uid(blob), name
    raise SystemExit(f"no campus with code {code!r} in {path}")


def main(argv: list[str] | None = None) -> int:
    """Build the demo if needed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="large demo file (built if absent)")
    parser.add_argument("--campus", help="campus code (default: the first)")
    parser.add_argument("--today", type=date.fromisoformat, help="default: today in Shanghai")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--short-db", type=Path, help="where to keep the short-history copy (reused if present)"
    )
    args = parser.parse_args(argv)

    if not args.db.exists():
        from shared.demo import build_demo

        print(f"building the large demo in {args.db} …", flush=True)
        t0 = time.perf_counter()
        build_demo(args.db, scale="large", seed=args.seed, today=args.today)
        print(f"  built in {time.perf_counter() - t0:.0f} s")
    today = args.today or today_local()
    campus_id, campus_name = pick_campus(args.db, args.campus)
    first, span = history_span(args.db, today)
    print(f"database  {args.db}  ({args.db.stat().st_size / 1e6:.0f} MB)")
    print(f"campus    {campus_name}  today {today}  history from {first} ({span} days)")
    print(f"rows      {row_counts(args.db)}")

    cut = today - timedelta(days=span // 3)
    with tempfile.TemporaryDirectory() as tmp:
        short_path = args.short_db or Path(tmp) / "short.dabiao"
        if short_path.exists():
            first_short, _ = history_span(short_path, today)
            print(f"short copy {short_path} (kept from an earlier run), history from {first_short}")
        else:
            print(f"making the short copy (history from {cut}, {span // 3} days, a third) …")
            shorten(args.db, short_path, cut)
        print(f"rows      {row_counts(short_path)}")
        full = Subject(args.db, campus_id, today)
        short = Subject(short_path, campus_id, today)
        try:
            run_interleaved([full, short], args.runs)
            agree = full.agree() and short.agree()
            same = full.figures == short.figures
        finally:
            full.close()
            short.close()
    board, ref = median(full.board_ms), median(full.reference_ms)
    short_board, short_ref = median(short.board_ms), median(short.reference_ms)
    growth = board / short_board - 1
    ref_growth = ref / short_ref - 1
    print(f"\n{args.runs} runs each, interleaved; medians:")
    print(f"dashboard()        {board:7.1f} ms  (goal <= 50 ms)")
    print(f"plain SQL          {ref:7.1f} ms")
    print(f"ratio              {board / ref:7.2f} x")
    print(f"figures agree      {'yes' if agree else 'NO'}")
    print(f"\ndashboard() short  {short_board:7.1f} ms")
    print(f"plain SQL short    {short_ref:7.1f} ms")
    print(f"same figures on both files: {'yes' if same else 'NO'}")
    print(f"growth when history triples: dashboard {growth:+.0%} (goal <= +20 %),")
    print(f"                             plain SQL {ref_growth:+.0%}")
    ok = agree and same and board <= 50 and growth <= 0.20
    print("\nRESULT", "ok" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
