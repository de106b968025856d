"""看板: the figures are shared.progress's, a local order moves them, the rollup, alerts."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import select

from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.pages.dashboard_page import (
    CampusFigures,
    DashboardPage,
    build_alerts,
    load_campus_figures,
    outlook_text,
)
from desktop.widgets.format import percent, yuan
from shared import progress
from shared.db import open_database
from shared.models import Course, Metric, Role, Staff, Student, StudentStatus
from shared.progress import Status
from shared.services.campus import create_campus
from shared.services.orders import record_order

from .conftest import DEMO_TODAY, settle


def _dashboard(ctx: AppContext) -> progress.Dashboard:
    assert ctx.campus_id is not None
    with ctx.db.reader() as session:
        return progress.dashboard(session, ctx.campus_id, DEMO_TODAY)


def _page(window: MainWindow) -> DashboardPage:
    page = window.page("dashboard")
    assert isinstance(page, DashboardPage)
    return page


def test_cards_show_the_figures_of_shared_progress(main_window: MainWindow, ctx) -> None:
    page = _page(main_window)
    board = _dashboard(ctx)
    for metric, sets in ((Metric.REVENUE, board.revenue), (Metric.CONSUMPTION, board.consumption)):
        for kind in ("year", "month", "week"):
            expected = getattr(sets, kind)
            card = page.cards[(metric, kind)]
            assert card.actual_label.text() == yuan(expected.actual_fen)
            assert card.attainment_label.text() == f"达成率 {percent(expected.attainment)}"
            assert card.progress == expected
    assert page.revenue_table.rowCount() == len(board.revenue_ranking)
    first = board.revenue_ranking[0]
    assert page.revenue_table.row_texts(0)[:3] == ["1", first.staff_name, yuan(first.amount_fen)]
    first = board.funnel[0]
    assert (
        page.funnel_chart.categories[0]
        == f"{first.name}  {first.actual_count}/{first.target_count}"
    )


def test_the_weak_stage_is_marked_on_the_funnel(main_window: MainWindow) -> None:
    page = _page(main_window)
    figures = page.figures
    assert figures is not None
    weak = figures.weak.weak
    if weak is None:
        assert "没有下降" in page.weak_label.text()
        return
    assert page.funnel_chart.weak_code == weak.to_code
    assert f"{weak.from_name} → {weak.to_name}" in page.weak_label.text()


def test_recording_an_order_moves_the_month_revenue_card(
    main_window: MainWindow, ctx: AppContext, qtbot
) -> None:
    page = _page(main_window)
    card = page.cards[(Metric.REVENUE, "month")]
    before = _dashboard(ctx).revenue.month.actual_fen
    assert card.actual_label.text() == yuan(before)
    campus_id = ctx.campus_id

    def sign(session):
        student = session.scalars(
            select(Student).where(
                Student.campus_id == campus_id, Student.status == StudentStatus.ENROLLED
            )
        ).first()
        course = session.scalars(select(Course).where(Course.campus_id == campus_id)).first()
        consultant = next(
            s
            for s in session.scalars(select(Staff).where(Staff.campus_id == campus_id))
            if s.has_role(Role.CONSULTANT) and s.active
        )
        order = record_order(
            session,
            student_id=student.id,
            course_id=course.id,
            sign_type="renewal",
            signed_on=DEMO_TODAY,
            hours="20",
            amount_fen=1_234_500,
            consultant_id=consultant.id,
        )
        return order.id

    done: list[str] = []
    ctx.ops.write(sign, done.append, label="登记订单")
    qtbot.waitUntil(lambda: card.actual_label.text() == yuan(before + 1_234_500), timeout=3000)
    assert done
    assert _dashboard(ctx).revenue.month.actual_fen == before + 1_234_500


def test_alerts_name_behind_pace_targets_and_students_short_of_hours(main_window) -> None:
    page = _page(main_window)
    figures = page.figures
    assert isinstance(figures, CampusFigures)
    alerts = build_alerts(figures)
    texts = [page.alerts_list.item(i).text() for i in range(page.alerts_list.count())]
    assert texts == ["● " + a.text for a in alerts]
    board = figures.dashboard
    late = [
        p
        for sets in (board.revenue, board.consumption)
        for p in (sets.year, sets.month, sets.week)
        if p.status in (Status.BEHIND, Status.AT_RISK)
    ]
    assert sum("落后于进度" in a.text or "有风险" in a.text for a in alerts) == len(late)
    for student in figures.few_hours[:3]:
        assert any(a.text.startswith(student.student_name + " ") for a in alerts)
    if board.outlook.will_miss:
        assert "将完不成目标" in page.outlook_label.text()


def test_the_outlook_shows_this_week_beside_this_month(main_window: MainWindow, ctx) -> None:
    page = _page(main_window)
    board = _dashboard(ctx)
    week, month = board.week_outlook, board.outlook
    assert (week.period.kind, month.period.kind) == ("week", "month")
    shown = page.week_outlook_label.text()
    assert shown == outlook_text(week)
    assert page.outlook_label.text() == outlook_text(month)
    # Small demo, Wed 18 June 2025 (week 4: 16–22 June): 1,999.60 done, 43 lessons to come
    # worth 17,579.59, 19,579.19 expected against 17,698.63; four students run out of hours.
    assert shown.startswith("<b>本周</b>（6月16日–22日）")
    for part in (
        f"已划课 {yuan(week.actual_fen)}",
        f"剩余排课 {week.scheduled_lessons} 节，价值 {yuan(week.scheduled_fen)}",
        f"预计共 <b>{yuan(week.expected_total_fen)}</b>",
        f"目标 {yuan(week.target_fen)}",
        "可以完成目标",
        "4 名学员剩余课时不够上完已排的课",
    ):
        assert part in shown
    assert (week.actual_fen, week.scheduled_fen, week.target_fen) == (199960, 1757959, 1769863)
    assert page.outlook_label.text().startswith("<b>本月</b>（6月）")
    # Beside each other, both fully visible in the box.
    assert page.week_outlook_label.isVisible() and page.outlook_label.isVisible()
    assert page.week_outlook_label.geometry().right() < page.outlook_label.geometry().left()
    assert page.week_outlook_label.geometry().top() == page.outlook_label.geometry().top()


def test_a_week_the_timetable_cannot_fill_is_flagged_and_alerted(main_window: MainWindow) -> None:
    page = _page(main_window)
    figures = page.figures
    assert figures is not None
    week = figures.dashboard.week_outlook
    short = replace(week, target_fen=week.expected_total_fen + 50_000)
    text = outlook_text(short)
    assert f"将完不成目标，缺口 {yuan(50_000)}" in text
    assert "可以完成目标" not in text
    missing = replace(figures, dashboard=replace(figures.dashboard, week_outlook=short))
    alerts = [a for a in build_alerts(missing) if a.text.startswith("按现有排课，本周")]
    assert [(a.level, a.text) for a in alerts] == [
        (
            Status.AT_RISK,
            f"按现有排课，本周划课收入预计 {yuan(short.expected_total_fen)}，"
            f"比目标少 {yuan(50_000)}",
        )
    ]
    assert not any(a.text.startswith("按现有排课，本周") for a in build_alerts(figures))
    no_target = outlook_text(replace(week, target_fen=0, has_target=False))
    assert "未设目标" in no_target and "完成目标" not in no_target


def test_load_campus_figures_matches_the_dashboard_service(ctx: AppContext) -> None:
    with ctx.db.reader() as session:
        figures = load_campus_figures(session, ctx.campus_id, DEMO_TODAY)
    assert figures.dashboard == _dashboard(ctx)


def test_all_campuses_shows_the_rollup(qtbot, demo_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "chain.dabiao"
    shutil.copyfile(demo_path, path)
    db = open_database(path, create=False)
    with db.unit_of_work() as session:
        create_campus(session, name="达标艺术中心·江南校区", code="ZZ02")
    ctx = AppContext(db, today=lambda: DEMO_TODAY)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.campus_box.isVisibleTo(window)
        assert window.campus_box.itemText(0) == "全部校区"
        settle(ctx)
        window.campus_box.setCurrentIndex(0)
        settle(ctx)
        page = _page(window)
        assert ctx.campus_id is None
        assert window.windowTitle().startswith("达标 — 全部校区 — ")
        with db.reader() as session:
            rows = progress.rollup(
                session,
                progress.Period.of_month(DEMO_TODAY.year, DEMO_TODAY.month),
                today=DEMO_TODAY,
            )
        table = page.rollup_table
        assert table.rowCount() == len(rows) == 3
        assert [table.row_texts(i)[0] for i in range(3)] == [r.campus_name for r in rows]
        assert table.row_texts(2)[1] == yuan(rows[2].revenue.actual_fen)
        # Pages that need one campus show a note instead while 全部校区 is selected.
        if "settings" in window.page_keys:
            window.show_page("settings")
            slot = window.stack.currentWidget()
            assert slot.currentWidget() is slot.note
    finally:
        ctx.settle()
        ctx.ops.shutdown()
        db.close()


def test_a_campus_without_targets_shows_no_target(qtbot, tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.dabiao")
    with db.unit_of_work() as session:
        create_campus(session, name="新校区", code="001")
    ctx = AppContext(db, today=lambda: date(2025, 3, 5))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    try:
        settle(ctx)
        card = _page(window).cards[(Metric.REVENUE, "month")]
        assert card.actual_label.text() == "¥0.00"
        assert card.target_label.text() == "目标 未设定"
        assert card.status_label.text() == "未设目标"
    finally:
        ctx.settle()
        ctx.ops.shutdown()
        db.close()
