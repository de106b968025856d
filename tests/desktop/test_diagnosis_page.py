"""The 诊断 page shows shared.diagnosis's figures, and its drill-downs list the right students."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.models.table_model import WEAK_COLOR, yuan
from desktop.pages.diagnosis_page import HISTORY_PERIODS, DiagnosisPage, hours, whole_yuan
from desktop.widgets.format import percent
from shared.diagnosis import student_analysis, trial_analysis, weak_stage, weak_stages_by_staff
from shared.periods import Period

from .conftest import settle

MONTH = Period.of_month(2025, 5)  # a finished month with trials, lessons and history


def open_diagnosis(main_window: MainWindow) -> DiagnosisPage:
    page = main_window.show_page("diagnosis")
    assert isinstance(page, DiagnosisPage)
    settle(page.ctx)
    page.set_period(MONTH)
    settle(page.ctx)
    assert page.data is not None and page.data.period == MONTH
    return page


def click_row(qtbot, view, row: int) -> None:
    """A real mouse click on a table row."""
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_trial_figures_equal_trial_analysis(main_window: MainWindow, qtbot) -> None:
    page = open_diagnosis(main_window)
    with page.ctx.db.reader() as session:
        expected = trial_analysis(session, page.ctx.campus_id, MONTH, as_of=page.ctx.today())
    tab = page.trials_tab
    headline = tab.headline_model
    assert headline.headers[1:3] == ["2025年5月", "2025年4月"]
    now, then = expected.current.counts, expected.previous.counts
    assert headline.column_texts(1)[:5] == [
        str(now.trials),
        str(now.held),
        str(now.no_show),
        str(now.pending),
        str(now.signed),
    ]
    assert headline.column_texts(2)[4] == str(then.signed)
    assert headline.text(5, 1) == percent(now.conversion)
    assert headline.text(5, 2) == percent(then.conversion)

    consultants = tab.consultant_model
    assert consultants.column_texts(0) == [r.staff_name for r in expected.by_consultant]
    for row, r in enumerate(expected.by_consultant):
        assert consultants.text(row, 1) == str(r.counts.trials)
        assert consultants.text(row, 2) == str(r.counts.held)
        assert consultants.text(row, 5) == str(r.counts.signed)
        assert consultants.text(row, 6) == percent(r.counts.conversion)
    teachers = tab.teacher_model
    assert teachers.column_texts(0) == [r.staff_name for r in expected.by_intent_teacher]
    assert teachers.column_texts(5) == [str(r.counts.signed) for r in expected.by_intent_teacher]

    # Consultant × teacher: each pair's cell is signed/held of that pair.
    matrix = tab.pair_model
    for pair in expected.by_pair:
        row = matrix.row_of(pair.consultant_id)
        column = matrix.headers.index(pair.intent_teacher_name)
        assert matrix.text(row, column).startswith(f"{pair.counts.signed}/{pair.counts.held}")
    assert tab.sign_chart.values() == [float(r.signed) for r in expected.by_sign_type]


def test_student_figures_equal_student_analysis(main_window: MainWindow, qtbot) -> None:
    page = open_diagnosis(main_window)
    with page.ctx.db.reader() as session:
        expected = student_analysis(session, page.ctx.campus_id, MONTH, today=page.ctx.today())
    tab = page.students_tab
    assert f"课消 {hours(expected.consumed_hours)} 课时" in tab.headline.text()
    assert f"划课收入 {yuan(expected.consumed_fen)} 元" in tab.headline.text()
    courses = tab.course_model
    assert courses.column_texts(0) == [c.course_name for c in expected.by_course]
    assert courses.column_texts(1) == [hours(c.hours) for c in expected.by_course]
    assert courses.column_texts(2) == [yuan(c.amount_fen) for c in expected.by_course]
    assert tab.course_chart.values() == [whole_yuan(c.amount_fen) for c in expected.by_course]
    assert tab.teacher_model.column_texts(2) == [yuan(t.amount_fen) for t in expected.by_teacher]
    kinds = tab.kind_model
    assert kinds.column_texts(0) == [k.kind_name for k in expected.by_kind]
    assert kinds.column_texts(1) == [hours(k.hours) for k in expected.by_kind]
    assert tab.bucket_chart.values() == [float(b.students) for b in expected.lesson_buckets]
    assert tab.bucket_model.column_texts(1) == [str(b.students) for b in expected.lesson_buckets]
    assert tab.few_button.text().endswith(f"{len(expected.few_hours)} 人（续费机会）")
    assert tab.idle_button.text().endswith(f"{len(expected.idle)} 人（流失风险）")


def test_clicking_a_lesson_count_bar_lists_its_students(main_window: MainWindow, qtbot) -> None:
    page = open_diagnosis(main_window)
    page.tabs.setCurrentWidget(page.students_tab)
    tab = page.students_tab
    tab.inner.setCurrentIndex(0)
    qtbot.waitExposed(tab.bucket_chart)
    with page.ctx.db.reader() as session:
        expected = student_analysis(session, page.ctx.campus_id, MONTH, today=page.ctx.today())
    index, bucket = next((i, b) for i, b in enumerate(expected.lesson_buckets) if b.label == "1–2")
    assert bucket.students > 0

    chart = tab.bucket_chart
    with qtbot.waitSignal(chart.bar_clicked, timeout=2_000) as clicked:
        qtbot.mouseClick(
            chart.viewport(), Qt.MouseButton.LeftButton, pos=chart.bar_center(index).toPoint()
        )
    assert clicked.args == [index]
    behind = [s for s in expected.students if 1 <= s.lessons <= 2]
    assert len(behind) == bucket.students
    drill = tab.drill_model
    assert [drill.key(r) for r in range(drill.rowCount())] == [s.student_id for s in behind]
    assert drill.column_texts(2) == [s.consultant_name for s in behind]
    assert drill.column_texts(5) == [hours(s.remaining_hours) for s in behind]
    assert tab.drill_title.text().endswith(f"{bucket.students} 人")


def test_few_hours_and_idle_lists_are_the_engines(main_window: MainWindow, qtbot) -> None:
    page = open_diagnosis(main_window)
    page.tabs.setCurrentWidget(page.students_tab)
    tab = page.students_tab
    with page.ctx.db.reader() as session:
        expected = student_analysis(session, page.ctx.campus_id, MONTH, today=page.ctx.today())
    assert expected.few_hours
    qtbot.mouseClick(tab.few_button, Qt.MouseButton.LeftButton)
    drill = tab.drill_model
    assert [drill.key(r) for r in range(drill.rowCount())] == [
        s.student_id for s in expected.few_hours
    ]
    assert drill.column_texts(0) == [s.student_name for s in expected.few_hours]
    assert drill.column_texts(2) == [s.consultant_name for s in expected.few_hours]
    assert drill.column_texts(5) == [hours(s.remaining_hours) for s in expected.few_hours]

    qtbot.mouseClick(tab.idle_button, Qt.MouseButton.LeftButton)
    assert [drill.key(r) for r in range(drill.rowCount())] == [s.student_id for s in expected.idle]


def test_weak_stage_is_highlighted_campus_and_per_consultant(
    main_window: MainWindow, qtbot
) -> None:
    page = open_diagnosis(main_window)
    page.tabs.setCurrentWidget(page.weak_tab)
    tab = page.weak_tab
    with page.ctx.db.reader() as session:
        campus = weak_stage(session, page.ctx.campus_id, MONTH, history_periods=HISTORY_PERIODS)
        people = weak_stages_by_staff(
            session, page.ctx.campus_id, MONTH, history_periods=HISTORY_PERIODS
        )
    assert campus.weak is not None
    weak_name = f"{campus.weak.from_name}→{campus.weak.to_name}"
    assert f"全校区的薄弱环节：{weak_name}" in tab.verdict.text()
    steps = tab.steps_model
    for row, step in enumerate(campus.steps):
        assert steps.text(row, 1).endswith(percent(step.current_rate))
        assert steps.text(row, 2).endswith(percent(step.historical_rate))
    weak_row = steps.row_of(campus.weak.from_code)
    assert steps.cell(weak_row, 0).background == WEAK_COLOR
    assert all(steps.cell(r, 0).background is None for r in range(3) if r != weak_row)

    staff = tab.staff_model
    assert staff.column_texts(0) == [r.staff_name for r in people]
    chosen = next(r for r in people if r.weak is not None)
    row = staff.row_of(chosen.staff_id)
    click_row(qtbot, tab.staff_view, row)
    assert tab.steps_title.text().startswith(f"{chosen.staff_name}：")
    for i, step in enumerate(chosen.steps):
        assert steps.text(i, 1).endswith(percent(step.current_rate))
    assert f"{chosen.staff_name}的薄弱环节" in tab.verdict.text()
