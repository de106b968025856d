"""The monthly report's and the growth card's figures against the engine, on the small demo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared import actuals, diagnosis, progress
from shared.db import Database, open_database
from shared.demo import build_demo
from shared.errors import Invalid, NotFound
from shared.growth_card import WINDOW_DAYS, find_student, growth_card
from shared.models import Campus, GrowthRecord, Metric, Student
from shared.monthly_report import (
    find_campus,
    last_complete_month,
    monthly_report,
    parse_month,
    report_as_of,
)
from shared.periods import Period

TODAY = date(2025, 6, 18)
MAY = Period.of_month(2025, 5)
JUNE = Period.of_month(2025, 6)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("report-demo") / "demo.dabiao"
    build_demo(path, scale="small", seed=1, today=TODAY)
    db = open_database(path, create=False)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def session(demo_db: Database) -> Iterator[Session]:
    with demo_db.reader() as s:
        yield s


@pytest.fixture
def campus_id(session: Session) -> str:
    return session.scalars(select(Campus.id)).one()


# --------------------------------------------------------------------------- input


def test_parse_month_reads_yyyy_mm() -> None:
    assert parse_month("2025-05") == MAY
    assert parse_month(" 2025-5 ") == MAY


@pytest.mark.parametrize("text", ["2025-13", "2025/05", "05-2025", "", "1999-01", None, 202505])
def test_parse_month_refuses_anything_else_naming_the_field(text: object) -> None:
    with pytest.raises(Invalid) as caught:
        parse_month(text)
    assert caught.value.field == "month"


def test_default_month_is_the_last_complete_one() -> None:
    assert last_complete_month(TODAY) == MAY
    assert last_complete_month(date(2025, 1, 3)) == Period.of_month(2024, 12)


def test_a_month_not_started_has_no_report() -> None:
    with pytest.raises(Invalid, match="还没有开始"):
        report_as_of(Period.of_month(2025, 7), TODAY)
    assert report_as_of(JUNE, TODAY) == TODAY
    assert report_as_of(MAY, TODAY) == date(2025, 5, 31)


def test_find_campus_by_name_code_or_id_and_refuses_unknown(
    session: Session, campus_id: str
) -> None:
    campus = session.get(Campus, campus_id)
    assert campus is not None
    assert find_campus(session, campus.name).id == campus_id
    assert find_campus(session, campus.code).id == campus_id
    assert find_campus(session, campus_id.upper()).id == campus_id
    with pytest.raises(NotFound, match="没有叫“火星校区”的校区"):
        find_campus(session, "火星校区")


# --------------------------------------------------------------------------- one campus


def test_campus_report_figures_are_the_engines(session: Session, campus_id: str) -> None:
    report = monthly_report(session, MAY, campus_id=campus_id, today=TODAY)
    c = report.campus
    assert c is not None and report.all_campuses is None
    assert report.as_of == date(2025, 5, 31)
    assert c.campus_name in report.title and "2025年5月" in report.title
    for section, metric in ((c.revenue, Metric.REVENUE), (c.consumption, Metric.CONSUMPTION)):
        expected = progress.progress(session, campus_id, MAY, metric, today=date(2025, 5, 31))
        assert section.month == expected
    assert c.revenue.month.actual_fen == actuals.revenue(
        session, campus_id, date(2025, 5, 1), date(2025, 5, 31)
    )
    assert c.revenue_ranking == tuple(progress.ranking(session, campus_id, 2025, 5, "revenue"))
    assert c.consumption_ranking == tuple(
        progress.ranking(session, campus_id, 2025, 5, "consumption")
    )
    assert c.funnel == tuple(progress.funnel(session, campus_id, MAY))
    assert c.weak_stage == diagnosis.weak_stage(session, campus_id, MAY)
    assert c.trials == diagnosis.trial_analysis(session, campus_id, MAY, as_of=date(2025, 5, 31))
    assert c.students == diagnosis.student_analysis(
        session, campus_id, MAY, today=date(2025, 5, 31)
    )


def test_year_to_date_sums_january_to_the_month_and_ignores_later_orders(
    session: Session, campus_id: str
) -> None:
    report = monthly_report(session, MAY, campus_id=campus_id, today=TODAY)
    assert report.campus is not None
    ytd = report.campus.revenue.year_to_date
    assert ytd.actual_fen == actuals.revenue(
        session, campus_id, date(2025, 1, 1), date(2025, 5, 31)
    )
    # June's orders (the demo runs to 18 June) are not in May's year to date.
    assert ytd.actual_fen < actuals.revenue(session, campus_id, date(2025, 1, 1), date(2025, 6, 18))
    months = report.campus.revenue.months
    assert [p.period.month for p in months] == [1, 2, 3, 4, 5]
    assert ytd.target_fen == sum(p.target_fen for p in months)
    year = progress.progress(session, campus_id, Period.of_year(2025), "revenue", today=TODAY)
    assert ytd.year_target_fen == year.target_fen > 0


def test_the_month_under_way_is_reported_as_of_today(session: Session, campus_id: str) -> None:
    report = monthly_report(session, JUNE, campus_id=campus_id, today=TODAY)
    assert report.as_of == TODAY
    assert report.campus is not None
    assert report.campus.revenue.month == progress.progress(
        session, campus_id, JUNE, "revenue", today=TODAY
    )


def test_progress_is_reported_in_order(session: Session, campus_id: str) -> None:
    heard: list[int] = []
    monthly_report(
        session, MAY, campus_id=campus_id, today=TODAY, progress=lambda p, _t: heard.append(p)
    )
    assert heard and heard == sorted(heard) and heard[-1] <= 90


# --------------------------------------------------------------------------- all campuses


def test_all_campuses_side_by_side_is_the_rollup(session: Session, campus_id: str) -> None:
    report = monthly_report(session, MAY, campus_id=None, today=TODAY)
    everything = report.all_campuses
    assert everything is not None and report.campus is None
    rows = progress.rollup(session, MAY, today=date(2025, 5, 31))
    assert [c.row for c in everything.campuses] == rows
    assert everything.campuses[-1].row.campus_id is None  # the total last
    assert everything.revenue_ranking == tuple(progress.ranking(session, None, 2025, 5, "revenue"))
    single = monthly_report(session, MAY, campus_id=campus_id, today=TODAY).campus
    assert single is not None
    assert everything.revenue_ytd == single.revenue.year_to_date
    assert everything.campuses[0].weak_stage == single.weak_stage.weak


# --------------------------------------------------------------------------- growth card


def _busiest_student(session: Session) -> str:
    """A student with records both in the card's window and in the window before it."""
    start = TODAY - timedelta(days=WINDOW_DAYS - 1)
    earlier = (
        select(GrowthRecord.student_id)
        .where(
            GrowthRecord.recorded_on < start,
            GrowthRecord.recorded_on >= start - timedelta(days=WINDOW_DAYS),
        )
        .scalar_subquery()
    )
    return session.scalar(
        select(GrowthRecord.student_id)
        .where(GrowthRecord.recorded_on >= start, GrowthRecord.student_id.in_(earlier))
        .group_by(GrowthRecord.student_id)
        .order_by(func.count().desc(), GrowthRecord.student_id)
        .limit(1)
    )


def test_growth_card_averages_the_window_records(session: Session) -> None:
    student_id = _busiest_student(session)
    card = growth_card(session, student_id, today=TODAY)
    start = TODAY - timedelta(days=WINDOW_DAYS - 1)
    records = session.scalars(
        select(GrowthRecord).where(
            GrowthRecord.student_id == student_id,
            GrowthRecord.is_deleted.is_(False),
            GrowthRecord.recorded_on >= start,
            GrowthRecord.recorded_on <= TODAY,
        )
    ).all()
    assert card.records == len(records) > 0
    before = session.scalars(
        select(GrowthRecord).where(
            GrowthRecord.student_id == student_id,
            GrowthRecord.is_deleted.is_(False),
            GrowthRecord.recorded_on >= start - timedelta(days=WINDOW_DAYS),
            GrowthRecord.recorded_on < start,
        )
    ).all()
    assert before, "the chosen student has records in the window before"

    def average(rows: list[GrowthRecord], code: str) -> Decimal:
        exact = Decimal(sum(getattr(r, code) for r in rows)) / len(rows)
        return exact.quantize(Decimal("0.1"), ROUND_HALF_UP)

    assert card.ratings[1].name == "专注持久"
    for rating in card.ratings:
        assert rating.average == average(list(records), rating.code)
        assert rating.previous_average == average(list(before), rating.code)
    assert [r.name for r in card.ratings] == [
        "教程进度",
        "专注持久",
        "课堂表现",
        "学习能力",
        "掌握情况",
    ]
    newest = max(records, key=lambda r: r.recorded_on)
    assert card.recent[0].recorded_on == newest.recorded_on
    assert card.window_start == start and card.window_end == TODAY


def test_growth_card_of_a_student_without_records_is_empty_not_an_error(session: Session) -> None:
    lead = session.scalar(
        select(Student.id)
        .where(~Student.id.in_(select(GrowthRecord.student_id)))
        .order_by(Student.id)
        .limit(1)
    )
    card = growth_card(session, lead, today=TODAY)
    assert card.records == 0 and card.recent == ()
    assert all(r.average is None for r in card.ratings)


def test_find_student_by_name_or_id(session: Session) -> None:
    student = session.scalars(select(Student).order_by(Student.id)).first()
    assert student is not None
    assert find_student(session, student.id).id == student.id
    with pytest.raises(NotFound, match="没有叫“不存在的人”的学员"):
        find_student(session, "不存在的人")
    with pytest.raises(Invalid):
        find_student(session, "  ")


def test_card_refuses_an_unknown_id(session: Session) -> None:
    with pytest.raises(NotFound):
        growth_card(session, "00000000-0000-0000-0000-000000000000", today=TODAY)


def test_a_campus_without_targets_or_data_reports_no_attainment(db: Database) -> None:
    from tests.shared.factories import make_campus

    with db.unit_of_work() as s:
        campus = make_campus(s, "T9")
    with db.reader() as s:
        report = monthly_report(s, MAY, campus_id=campus.campus_id, today=TODAY)
        everything = monthly_report(s, MAY, campus_id=None, today=TODAY).all_campuses
    assert report.campus is not None
    month = report.campus.revenue.month
    assert (month.target_fen, month.actual_fen, month.attainment) == (0, 0, None)
    assert report.campus.revenue.year_to_date.year_share is None
    assert report.campus.weak_stage.weak is None
    assert everything is not None
    assert [c.row.campus_name for c in everything.campuses] == ["测试校区T9", "合计"]
    assert everything.campuses[-1].trial_conversion is None
