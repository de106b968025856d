"""The demo generator: complete, consistent with the services, deterministic, quick."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Select, func, select

from shared.consumption import package_balances, rebuild_student_course, remaining_hours
from shared.db import Database, check_database, open_database
from shared.demo import DemoResult, build_demo
from shared.errors import Invalid
from shared.funnel import FUNNEL_STAGES
from shared.models import (
    SYNCED_MODELS,
    AttendanceStatus,
    Base,
    ConsumptionEntry,
    ConsumptionKind,
    Lesson,
    LessonStatus,
    Metric,
    Order,
    Role,
    SignType,
    Staff,
    StudentStatus,
    Target,
    TargetRole,
    TrialOutcome,
    TrialStatus,
)
from shared.periods import SHANGHAI, local_date_of, weeks_of_month
from shared.pins import verify_pin
from shared.services.lessons import AttendanceMark, mark_attendance, schedule_lesson
from shared.services.orders import record_order
from tests.shared.factories import at, make_campus

# A fixed business date keeps the expected figures independent of the day the tests run.
TODAY = date(2026, 11, 27)  # a Friday
ALL_TABLES = sorted(t.name for t in Base.metadata.sorted_tables)
# The business data: every synced table, and the change counter. (The LAN edge's tables —
# paired devices, sync clients, conflicts — start empty in any new installation.)
DATA_TABLES = sorted(m.__tablename__ for m in SYNCED_MODELS) + ["sync_counter"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """One small demo shared by the read-only tests of this module."""
    messages: list[str] = []
    result = build_demo(
        tmp_path_factory.mktemp("demo") / "small.dabiao",
        seed=1,
        today=TODAY,
        progress=messages.append,
    )
    assert messages, "the build reports progress"
    return result


@pytest.fixture
def conn(demo: DemoResult) -> Iterator[sqlite3.Connection]:
    """A read-only raw connection to the demo file."""
    connection = sqlite3.connect(f"{demo.path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def demo_db(demo: DemoResult) -> Iterator[Database]:
    """The demo file opened the way the program opens it."""
    database = open_database(demo.path, create=False)
    try:
        yield database
    finally:
        database.close()


def values(conn: sqlite3.Connection, sql: str) -> set[object]:
    return {row[0] for row in conn.execute(sql)}


def table_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted, for comparing two files by content."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"'), key=repr)
            for table in ALL_TABLES
        }
    finally:
        connection.close()


# --------------------------------------------------------------------------- completeness


def test_every_data_table_has_rows(demo: DemoResult, conn: sqlite3.Connection) -> None:
    for table in DATA_TABLES:
        count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        assert count > 0, table
        if table != "sync_counter":
            assert demo.counts[table] == count, table


def test_small_demo_has_the_promised_size(demo: DemoResult, conn: sqlite3.Connection) -> None:
    assert demo.counts["campuses"] == 1
    assert 12 <= demo.counts["staff"] <= 18
    assert 300 <= demo.counts["students"] <= 550
    assert values(conn, "SELECT min(lesson_on) FROM lessons") == {"2025-01-01"}
    # A campus of this size signs roughly 60–120 万元 a year.
    revenue = conn.execute(
        "SELECT sum(amount_fen) FROM orders WHERE signed_on LIKE '2025-%'"
    ).fetchone()[0]
    assert 50_000_000 <= revenue <= 150_000_000


def test_the_funnel_and_every_kind_appear(conn: sqlite3.Connection) -> None:
    assert values(conn, "SELECT status FROM students") == {s.value for s in StudentStatus}
    assert values(conn, "SELECT sign_type FROM orders") == {s.value for s in SignType}
    assert values(conn, "SELECT status FROM attendance") == {s.value for s in AttendanceStatus}
    assert values(conn, "SELECT status FROM trial_lessons") == {s.value for s in TrialStatus}
    assert values(conn, "SELECT outcome FROM trial_lessons") == {o.value for o in TrialOutcome}
    assert values(conn, "SELECT status FROM lessons") == {s.value for s in LessonStatus}
    kinds = values(conn, "SELECT kind FROM consumption_entries")
    for kind in (
        ConsumptionKind.NORMAL,
        ConsumptionKind.LEAVE_CHARGED,
        ConsumptionKind.ABSENCE_CHARGED,
        ConsumptionKind.MAKEUP,
        ConsumptionKind.GIFTED,
        ConsumptionKind.TRIAL,
    ):
        assert kind.value in kinds
    assert values(conn, "SELECT source FROM students") >= {
        "地推",
        "转介绍",
        "大众点评",
        "抖音",
        "老带新",
        "自然到访",
    }
    assert values(conn, "SELECT channel FROM communication_records") == {"电话", "微信", "面谈"}
    assert values(conn, "SELECT relation FROM student_parents") >= {"母亲", "父亲"}


def test_every_role_is_staffed_and_some_people_hold_two(demo: DemoResult) -> None:
    roles = [tuple(login.roles) for login in demo.logins]
    for role in Role:
        assert any(role.value in r for r in roles), role
    assert any(len(r) == 2 for r in roles)
    assert sum("consultant" in r for r in roles) >= 3
    assert sum("teacher" in r for r in roles) >= 5


def test_people_have_chinese_names(conn: sqlite3.Connection) -> None:
    for table in ("staff", "students", "parents"):
        names = [r[0] for r in conn.execute(f'SELECT name FROM "{table}"')]
        assert names, table
        foreign = [n for n in names if not re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n)]
        assert foreign == [], (table, foreign[:5])
        assert len(set(names)) > len(names) * 0.7, table  # varied, not one name repeated
    [campus] = [r[0] for r in conn.execute("SELECT name FROM campuses")]
    assert re.search(r"[\u4e00-\u9fff]{2}", campus)


def test_siblings_share_parents(conn: sqlite3.Connection) -> None:
    shared_parents = conn.execute(
        "SELECT count(*) FROM (SELECT parent_id FROM student_parents "
        "GROUP BY parent_id HAVING count(*) > 1)"
    ).fetchone()[0]
    assert shared_parents > 0


def test_phone_numbers_are_realistic_and_unique(conn: sqlite3.Connection) -> None:
    phones = [
        r[0] for r in conn.execute("SELECT phone FROM parents UNION ALL SELECT phone FROM staff")
    ]
    phones += [r[0] for r in conn.execute("SELECT phone2 FROM parents WHERE phone2 != ''")]
    assert len(phones) == len(set(phones))
    assert all(len(p) == 11 and p.startswith("1") and p.isdigit() for p in phones)


def test_follow_ups_are_overdue_due_today_and_upcoming(conn: sqlite3.Connection) -> None:
    open_dates = [
        date.fromisoformat(r[0])
        for r in conn.execute(
            "SELECT next_follow_up_on FROM communication_records "
            "WHERE next_follow_up_on IS NOT NULL AND follow_up_done = 0"
        )
    ]
    assert any(d < TODAY for d in open_dates)
    assert any(d == TODAY for d in open_dates)
    assert any(d > TODAY for d in open_dates)


def test_history_before_today_timetable_after(conn: sqlite3.Connection) -> None:
    today, next_sunday = TODAY.isoformat(), (TODAY + timedelta(days=9)).isoformat()
    assert values(conn, f"SELECT status FROM lessons WHERE lesson_on >= '{today}'") == {"scheduled"}
    assert values(conn, f"SELECT status FROM lessons WHERE lesson_on < '{today}'") == {
        "done",
        "cancelled",
    }
    assert values(conn, "SELECT max(lesson_on) FROM lessons") == {next_sunday}
    assert values(
        conn,
        "SELECT count(*) FROM attendance a JOIN lessons l ON l.id = a.lesson_id "
        "WHERE l.status != 'done'",
    ) == {0}
    for table, column in (
        ("orders", "signed_on"),
        ("attendance a JOIN lessons l ON l.id = a.lesson_id", "l.lesson_on"),
        ("communication_records", "occurred_on"),
        ("stage_activities", "occurred_on"),
    ):
        assert conn.execute(f"SELECT max({column}) FROM {table}").fetchone()[0] < today


def test_refunds_reference_earlier_packages(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT r.amount_fen, r.hours, r.signed_on, o.signed_on, o.amount_fen, o.hours "
        "FROM orders r JOIN orders o ON o.id = r.refund_of_id WHERE r.sign_type = 'refund'"
    ).fetchall()
    assert rows
    for amount, hours, signed, original_signed, original_amount, original_hours in rows:
        assert -original_amount <= amount < 0
        assert 0 < hours <= original_hours
        assert signed > original_signed


# --------------------------------------------------------------------------- soundness


def test_file_is_sound_and_closed_whole(demo: DemoResult, conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not demo.path.with_name(demo.path.name + "-wal").exists()
    report = check_database(demo.path)
    assert report.ok, report


def test_every_row_has_its_own_version_up_to_the_counter(conn: sqlite3.Connection) -> None:
    versions: list[int] = []
    for table in DATA_TABLES:
        if table != "sync_counter":
            versions += [r[0] for r in conn.execute(f'SELECT version FROM "{table}"')]
    assert len(versions) == len(set(versions))
    assert conn.execute("SELECT value FROM sync_counter").fetchone()[0] == max(versions)


def test_encodings_match_what_the_orm_writes(conn: sqlite3.Connection, db: Database) -> None:
    """Column by column, the demo stores the same SQLite types and shapes as the ORM."""
    with db.unit_of_work() as session:
        c = make_campus(session)
        session.get(Staff, c.manager_id).roles = ["manager", "teacher"]  # type: ignore[union-attr]
        order = record_order(
            session,
            student_id=c.student_id,
            course_id=c.course_id,
            sign_type="new",
            signed_on=date(2026, 1, 5),
            hours=Decimal("1.5"),
            amount_fen=150_00,
            gift_hours=1,
            consultant_id=c.consultant_id,
            intent_teacher_id=c.teacher_id,
        )
        lesson = schedule_lesson(
            session,
            course_id=c.course_id,
            teacher_id=c.teacher_id,
            starts_at=at(date(2026, 1, 6)),
            student_ids=[c.student_id],
        )
        mark_attendance(
            session, lesson_id=lesson.id, marks=[AttendanceMark(c.student_id, "present")]
        )
        assert order.id
    orm = sqlite3.connect(db.path)

    def shapes(connection: sqlite3.Connection, table: str) -> dict[str, set[tuple[str, int]]]:
        cursor = connection.execute(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        found: dict[str, set[tuple[str, int]]] = {n: set() for n in names}
        for row in cursor:
            for name, value in zip(names, row, strict=True):
                if value is None:
                    continue
                # Text is compared by shape (dates, instants), blobs by length, numbers by type.
                size = len(value) if isinstance(value, bytes) else 0
                if isinstance(value, str) and value[:2] == "20" and value[4:5] == "-":
                    size = len(value)
                found[name].add((type(value).__name__, size))
        return found

    try:
        for table in (
            "campuses",
            "staff",
            "stages",
            "courses",
            "students",
            "orders",
            "lessons",
            "lesson_students",
            "attendance",
            "consumption_entries",
        ):
            ours, theirs = shapes(conn, table), shapes(orm, table)
            for column, shape in theirs.items():
                if shape:
                    assert ours[column] == shape, (table, column)
        for table, column in (("staff", "roles"), ("campuses", "settings")):
            sample = orm.execute(f"SELECT {column} FROM {table} LIMIT 1").fetchone()[0]
            demo_value = conn.execute(f"SELECT {column} FROM {table} LIMIT 1").fetchone()[0]
            assert (sample[:2], ", " in sample) == (demo_value[:2], ", " in demo_value)
    finally:
        orm.close()


def test_rows_read_back_through_the_orm(demo_db: Database) -> None:
    with demo_db.reader() as session:
        for model in SYNCED_MODELS:
            # Every row of every table decodes (ids, dates, instants, hours, enums, JSON).
            assert session.scalars(select(model)).all(), model.__name__
        staff = session.scalars(select(Staff)).all()
        assert all(isinstance(s.roles, list) and s.roles for s in staff)
        hours = session.scalars(select(Order.hours)).all()
        assert all(isinstance(h, Decimal) and h >= 0 for h in hours)
        # Instants are UTC: each lesson starts on its Shanghai business date, in the afternoon
        # or evening on school days.
        for lesson in session.scalars(select(Lesson)):
            assert local_date_of(lesson.starts_at) == lesson.lesson_on
            assert lesson.ends_at > lesson.starts_at
            local = lesson.starts_at.astimezone(SHANGHAI)
            assert 8 <= local.hour <= 20
            if lesson.lesson_on.weekday() < 5 and "试听" not in lesson.title:
                assert local.hour >= 16


def test_rebuilding_consumption_changes_nothing(demo_db: Database) -> None:
    """The bulk 划课 is exactly what the services' rule derives, entry for entry."""
    with demo_db.reader() as session:

        def pairs_of(query: Select[tuple[str, str]]) -> set[tuple[str, str]]:
            return {(student, course) for student, course in session.execute(query)}

        pairs = sorted(
            pairs_of(select(Order.student_id, Order.course_id))
            | pairs_of(select(ConsumptionEntry.student_id, ConsumptionEntry.course_id))
        )
        # Refunded and in-arrears students are the tricky ones: always include them.
        tricky = pairs_of(
            select(Order.student_id, Order.course_id).where(Order.sign_type == SignType.REFUND)
        ) | pairs_of(
            select(ConsumptionEntry.student_id, ConsumptionEntry.course_id).where(
                ConsumptionEntry.kind == ConsumptionKind.ARREARS
            )
        )
        sample = sorted(tricky) + random.Random(7).sample(pairs, 80)
        for student_id, course_id in sample:
            result = rebuild_student_course(session, student_id, course_id)
            assert not result.changed, (student_id, course_id, result)
        for student_id in sorted({s for s, _ in sample}):
            balances = package_balances(session, student_id)
            assert all(b.paid_remaining >= 0 and b.gift_remaining >= 0 for b in balances)
            arrears = session.scalar(
                select(func.count()).where(
                    ConsumptionEntry.student_id == student_id,
                    ConsumptionEntry.kind == ConsumptionKind.ARREARS,
                )
            )
            if not arrears:
                assert remaining_hours(session, student_id) >= 0
        # The check can fail: a tampered entry is put right (and rolled back with the session).
        entry = session.scalars(
            select(ConsumptionEntry).where(ConsumptionEntry.amount_fen > 0).limit(1)
        ).one()
        entry.amount_fen += 1
        assert rebuild_student_course(session, entry.student_id, entry.course_id).changed


def test_targets_add_up_exactly(conn: sqlite3.Connection) -> None:
    year = TODAY.year
    for metric in Metric:
        rows = conn.execute(
            "SELECT period_kind, month, week, amount_fen FROM targets "
            "WHERE staff_id IS NULL AND metric = ? AND year = ?",
            (metric.value, year),
        ).fetchall()
        total = [a for kind, _, _, a in rows if kind == "year"]
        months = {m: a for kind, m, _, a in rows if kind == "month"}
        assert len(total) == 1 and total[0] > 0
        assert sorted(months) == list(range(1, 13))
        assert sum(months.values()) == total[0]
        for month, amount in months.items():
            weeks = {w: a for kind, m, w, a in rows if kind == "week" and m == month}
            assert sorted(weeks) == [w.index for w in weeks_of_month(year, month)]
            assert sum(weeks.values()) == amount


def test_staff_tasks_share_out_the_campus_month_and_weeks(demo_db: Database) -> None:
    with demo_db.reader() as session:
        targets = session.scalars(select(Target).where(Target.year == TODAY.year)).all()
    campus = {(t.metric, t.month, t.week): t.amount_fen for t in targets if t.staff_id is None}
    for role, metric in (
        (TargetRole.CONSULTANT, Metric.REVENUE),
        (TargetRole.INTENT_TEACHER, Metric.REVENUE),
        (TargetRole.TEACHER, Metric.CONSUMPTION),
    ):
        mine = [t for t in targets if t.staff_role is role]
        # Teachers are weighted by their timetable, which reaches into next month only.
        months = range(1, 13) if role is not TargetRole.TEACHER else range(1, TODAY.month + 2)
        assert sorted({t.month for t in mine}) == list(months), role
        for month in months:
            people = [t for t in mine if t.month == month and t.period_kind == "month"]
            assert sum(t.amount_fen for t in people) == campus[(metric, month, 0)]
            for person in people:
                weeks = [
                    t.amount_fen
                    for t in mine
                    if t.month == month and t.staff_id == person.staff_id and t.week
                ]
                assert sum(weeks) == person.amount_fen
            for week in weeks_of_month(TODAY.year, month):
                in_week = [t.amount_fen for t in mine if t.month == month and t.week == week.index]
                assert sum(in_week) == campus[(metric, month, week.index)]


def test_stage_targets_cover_every_week_for_campus_and_consultants(
    conn: sqlite3.Connection, demo: DemoResult
) -> None:
    consultants = sum("consultant" in login.roles for login in demo.logins)
    weeks = sum(len(weeks_of_month(TODAY.year, m)) for m in range(1, 13))
    stages = conn.execute("SELECT count(*) FROM stages").fetchone()[0]
    assert demo.counts["stage_targets"] == weeks * stages * (1 + consultants)
    # The funnel stages follow each week's revenue target, the others were set by hand.
    assert values(
        conn,
        "SELECT s.code FROM stage_targets t JOIN stages s ON s.id = t.stage_id "
        "WHERE t.is_manual = 0",
    ) == set(FUNNEL_STAGES)
    # Each week, the consultants' counts add up to the campus's.
    mismatched = conn.execute(
        "SELECT count(*) FROM stage_targets c WHERE c.staff_id IS NULL AND c.target_count != "
        "(SELECT sum(p.target_count) FROM stage_targets p WHERE p.staff_id IS NOT NULL "
        " AND p.stage_id = c.stage_id AND p.year = c.year AND p.month = c.month "
        " AND p.week = c.week)"
    ).fetchone()[0]
    assert mismatched == 0


def test_this_year_is_ahead_in_some_months_and_behind_in_others(
    conn: sqlite3.Connection,
) -> None:
    rows = conn.execute(
        "SELECT t.month, t.amount_fen, (SELECT coalesce(sum(amount_fen), 0) FROM orders "
        "  WHERE strftime('%m', signed_on) + 0 = t.month AND signed_on LIKE ?) "
        "FROM targets t WHERE t.staff_id IS NULL AND t.metric = 'revenue' "
        "AND t.period_kind = 'month' AND t.year = ? AND t.month < ?",
        (f"{TODAY.year}-%", TODAY.year, TODAY.month),
    ).fetchall()
    attainment = [actual / target for _, target, actual in rows]
    assert any(a >= 1 for a in attainment) and any(a < 1 for a in attainment)


# --------------------------------------------------------------------------- the API


def test_logins_work(demo: DemoResult, demo_db: Database) -> None:
    with demo_db.reader() as session:
        staff = {s.name: s for s in session.scalars(select(Staff))}
    assert len(demo.logins) == len(staff)
    for login in demo.logins:
        member = staff[login.name]
        assert login.roles == member.roles
        assert login.campus == "达标艺术中心·滨江校区"
        assert verify_pin(login.pin, member.pin_hash)
        assert member.pin_hash.startswith("scrypt$")  # stored hashed (salted scrypt), never plain


def test_same_seed_and_day_give_the_same_rows(demo: DemoResult, tmp_path: Path) -> None:
    again = build_demo(tmp_path / "again.dabiao", seed=1, today=TODAY)
    assert table_rows(again.path) == table_rows(demo.path)
    assert again.logins == demo.logins


def test_another_seed_gives_other_data_and_an_empty_file_is_filled(
    demo: DemoResult, tmp_path: Path
) -> None:
    path = tmp_path / "other.dabiao"
    path.touch()  # an empty file counts as new
    other = build_demo(path, seed=2, today=TODAY)
    assert other.seconds < 20
    ours, theirs = table_rows(demo.path), table_rows(other.path)
    for table in ("students", "parents", "orders", "attendance", "staff"):
        assert ours[table] != theirs[table], table


def test_any_day_of_the_year_works(tmp_path: Path) -> None:
    """Early January: this year has no history yet, its targets come from last year alone."""
    result = build_demo(tmp_path / "january.dabiao", seed=3, today=date(2027, 1, 4))
    assert check_database(result.path).ok
    assert result.counts["targets"] > 0 and result.counts["attendance"] > 0


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid) as caught:
        build_demo(tmp_path / "x.dabiao", scale="huge")
    assert caught.value.field == "scale"
    assert not (tmp_path / "x.dabiao").exists()


def test_an_existing_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "campus.dabiao"
    path.write_bytes(b"precious")
    with pytest.raises(Invalid) as caught:
        build_demo(path, today=TODAY)
    assert caught.value.field == "path"
    assert path.read_bytes() == b"precious"
