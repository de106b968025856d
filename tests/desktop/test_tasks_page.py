"""The 任务 page shows, for a chosen person and week, exactly what the engine computes."""

from __future__ import annotations

from desktop.main_window import MainWindow
from desktop.models.table_model import yuan
from desktop.pages.tasks_page import TasksPage, stage_text
from desktop.widgets.format import percent, status_name
from shared.models import Metric, Role, Staff
from shared.periods import Period
from shared.progress import progress, task_view

from .conftest import settle

WEEK = Period.of_week(2025, 6, 3)  # a finished week of the demo (today is 2025-06-18)


def open_tasks(main_window: MainWindow, period: Period) -> TasksPage:
    page = main_window.show_page("tasks")
    assert isinstance(page, TasksPage)
    settle(page.ctx)
    page.set_period(period)
    settle(page.ctx)
    assert page.data is not None and page.data.period == period
    return page


def a_consultant(page: TasksPage) -> str:
    assert page.data is not None
    return next(p.view.staff_id for p in page.data.people if "consultant" in p.roles)


def row_texts(page: TasksPage, staff_id: str) -> dict[str, str]:
    row = page.model.row_of(staff_id)
    assert row >= 0
    return {h: page.model.text(row, c) for c, h in enumerate(page.model.headers)}


def test_week_row_equals_task_view_and_progress(main_window: MainWindow, qtbot) -> None:
    page = open_tasks(main_window, WEEK)
    staff_id = a_consultant(page)
    today = page.ctx.today()
    with page.ctx.db.reader() as session:
        view = task_view(session, staff_id, WEEK, today=today)
        revenue = progress(
            session,
            page.ctx.campus_id,
            WEEK,
            Metric.REVENUE,
            staff_id=staff_id,
            role="consultant",
            today=today,
        )
    shown = row_texts(page, staff_id)
    assert shown["姓名"] == view.staff_name
    assert shown["营业额目标"] == yuan(revenue.target_fen)
    assert shown["营业额实际"] == yuan(revenue.actual_fen)
    assert shown["营业额达成率"] == percent(revenue.attainment)
    assert revenue in view.money
    assert view.stages
    for stage in view.stages:
        assert shown[stage.name] == stage_text(stage)
        if stage.target_count is not None:
            assert shown[stage.name] == f"{stage.actual_count}/{stage.target_count}"


def test_teacher_row_shows_consumption_as_computed(main_window: MainWindow, qtbot) -> None:
    page = open_tasks(main_window, WEEK)
    with page.ctx.db.reader() as session:
        teacher = next(
            s
            for s in session.query(Staff).filter(Staff.campus_id == page.ctx.campus_id)
            if s.has_role(Role.TEACHER) and not s.has_role(Role.CONSULTANT) and s.active
        )
        consumption = progress(
            session,
            page.ctx.campus_id,
            WEEK,
            Metric.CONSUMPTION,
            staff_id=teacher.id,
            today=page.ctx.today(),
        )
    shown = row_texts(page, teacher.id)
    assert shown["划课收入目标"] == yuan(consumption.target_fen)
    assert shown["划课收入实际"] == yuan(consumption.actual_fen)
    assert shown["划课收入达成率"] == percent(consumption.attainment)


def test_selecting_a_person_shows_their_task_view(main_window: MainWindow, qtbot) -> None:
    month = Period.of_month(2025, 6)
    page = open_tasks(main_window, month)
    staff_id = a_consultant(page)
    page.select_person(staff_id)
    with page.ctx.db.reader() as session:
        view = task_view(session, staff_id, month, today=page.ctx.today())
    assert page.detail_title.text() == f"{view.staff_name} 的任务 · 2025年6月"
    money = page.money_model
    assert money.rowCount() == len(view.money)
    for row, p in enumerate(view.money):
        assert money.text(row, 2) == yuan(p.target_fen)
        assert money.text(row, 3) == yuan(p.actual_fen)
        assert money.text(row, 4) == percent(p.attainment)
        assert money.text(row, 5) == yuan(p.expected_so_far_fen)
        assert money.text(row, 8) == status_name(p.status)
    assert page.stage_model.column_texts(0) == [s.name for s in view.stages]
    assert page.stage_model.column_texts(2) == [str(s.actual_count) for s in view.stages]
    assert page.follow_model.rowCount() == len(view.follow_ups)
    assert [page.follow_model.key(r) for r in range(len(view.follow_ups))] == [
        f.record_id for f in view.follow_ups
    ]
    assert f"{len(view.follow_ups)} 条" in page.follow_title.text()


def test_week_picker_lists_weeks_of_month(main_window: MainWindow, qtbot) -> None:
    page = open_tasks(main_window, WEEK)
    labels = [page.picker.week_combo.itemText(i) for i in range(page.picker.week_combo.count())]
    assert labels[0] == "6月第1周 (6.01–6.01)"
    assert labels[2] == "6月第3周 (6.09–6.15)"
    assert page.picker.week_combo.currentText() == labels[2]
