"""课表 page: schedule a lesson and take attendance through the real dialogs.

Two leads of the demo get hand-made packages first, so the 划课 of each mark is worked out by
hand: 创意美术 is 1.5 hours per lesson; a package of 10 hours for 1,200.00 元 is worth 120 元 an
hour, so one lesson draws 1.5 hours worth 180.00 元.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from desktop.context import AppContext
from desktop.dialogs.course_dialogs import CoursesDialog
from desktop.dialogs.lesson_dialogs import RollCallDialog, ScheduleDialog
from desktop.pages.timetable_page import TimetablePage, monday_of
from shared.consumption import remaining_hours
from shared.models import Attendance, ConsumptionEntry, Course, Lesson, Staff, Student
from shared.services.orders import record_order
from tests.desktop.conftest import DEMO_TODAY, settle


@pytest.fixture
def page(qtbot, ctx: AppContext) -> Iterator[TimetablePage]:
    """The page on its own, refreshed on data_changed the way the main window does it."""
    widget = TimetablePage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1400, 850)
    widget.show()
    ctx.data_changed.connect(widget.refresh)
    widget.refresh()
    settle(ctx)
    yield widget
    settle(ctx)


@pytest.fixture
def family(ctx: AppContext) -> dict[str, str]:
    """Three leads: two with a 10-hour 创意美术 package for 1,200.00 元, one without."""
    with ctx.db.unit_of_work() as s:
        course = s.scalar(select(Course).where(Course.name == "创意美术"))
        leads = s.scalars(
            select(Student)
            .where(Student.status == "lead", Student.is_deleted.is_(False))
            .order_by(Student.name)
            .limit(3)
        ).all()
        for student in leads[:2]:
            record_order(
                s, student_id=student.id, course_id=course.id, sign_type="new",
                signed_on=DEMO_TODAY, hours=10, amount_fen=120000,
            )  # fmt: skip
        teacher = s.scalar(select(Staff).where(Staff.name == "王磊"))
        return {
            "course_id": course.id,
            "teacher_id": teacher.id,
            "paid": leads[0].id,
            "paid_name": leads[0].name,
            "makeup": leads[1].id,
            "makeup_name": leads[1].name,
            "unpaid": leads[2].id,
            "unpaid_name": leads[2].name,
        }


def _schedule(qtbot, ctx: AppContext, page: TimetablePage, family: dict[str, str]) -> str:
    qtbot.mouseClick(page.schedule_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    dialog = page.dialog
    assert isinstance(dialog, ScheduleDialog)
    assert dialog.day.day() == DEMO_TODAY
    dialog.course.set_current_id(family["course_id"])
    dialog.teacher.set_current_id(family["teacher_id"])
    dialog.start.setTime(dialog.start.time().fromString("10:00", "HH:mm"))
    assert dialog.hours.hours() == Decimal("1.5")
    assert dialog.end.time().toString("HH:mm") == "11:30"
    dialog.room.setCurrentText("A102")
    for key in ("paid", "unpaid"):
        dialog.student_search.setText(family[f"{key}_name"])
        dialog.choose_student(family[key])
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.result() == ScheduleDialog.DialogCode.Accepted
    lesson = page.selected_lesson()
    assert lesson is not None
    return lesson.id


def _roll_call(qtbot, ctx: AppContext, page: TimetablePage) -> RollCallDialog:
    qtbot.mouseClick(page.roll_call_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    dialog = page.dialog
    assert isinstance(dialog, RollCallDialog)
    return dialog


def _entries(ctx: AppContext, lesson_id: str, student_id: str) -> list[ConsumptionEntry]:
    with ctx.db.reader() as s:
        return list(
            s.scalars(
                select(ConsumptionEntry)
                .join(Attendance, Attendance.id == ConsumptionEntry.attendance_id)
                .where(
                    Attendance.lesson_id == lesson_id,
                    Attendance.student_id == student_id,
                    ConsumptionEntry.is_deleted.is_(False),
                )
            )
        )


def test_the_week_shows_the_demo_lessons_by_day(page: TimetablePage) -> None:
    assert page.monday == monday_of(DEMO_TODAY)
    assert sum(day.count() for day in page.day_lists) == len(page.data.lessons) > 0
    assert page.day_labels[DEMO_TODAY.weekday()].text().endswith("06-18")
    assert page.count_label.text().startswith(f"本周 {len(page.data.lessons)} 节课")


def test_moving_between_weeks(ctx, page: TimetablePage) -> None:
    qtbot_week = page.monday
    page.previous_button.click()
    settle(ctx)
    assert page.monday == qtbot_week - timedelta(days=7)
    assert page.week_label.text().startswith((qtbot_week - timedelta(days=7)).isoformat())
    page.this_week_button.click()
    settle(ctx)
    assert page.monday == qtbot_week


def test_the_teacher_filter_and_search_narrow_the_week(page: TimetablePage) -> None:
    teacher = page.data.lessons[0].teacher_id
    page.teacher_filter.set_current_id(teacher)
    assert {c.teacher_id for c in page.visible_lessons()} == {teacher}
    page.teacher_filter.set_current_id(None)
    page.search.setText("gqzs")  # nobody is called that
    assert sum(day.count() for day in page.day_lists) == 0


def test_schedule_a_lesson_through_the_dialog(qtbot, ctx, page, family) -> None:
    lesson_id = _schedule(qtbot, ctx, page, family)
    card = page.selected_lesson()
    assert (card.course_name, card.teacher_name, card.room, card.enrolled) == (
        "创意美术", "王磊", "A102", 2,
    )  # fmt: skip
    assert (card.lesson_on, card.starts, card.ends) == (DEMO_TODAY, "10:00", "11:30")
    with ctx.db.reader() as s:
        lesson = s.get(Lesson, lesson_id)
        assert (lesson.hours, lesson.teacher_id) == (Decimal("1.5"), family["teacher_id"])
    page.search.setText(family["paid_name"])  # a student on it finds the lesson
    assert [c.id for c in page.visible_lessons()] == [lesson_id]


def test_roll_call_shows_the_consumption_it_caused(qtbot, ctx, page, family) -> None:
    lesson_id = _schedule(qtbot, ctx, page, family)
    dialog = _roll_call(qtbot, ctx, page)
    paid, unpaid = dialog.row_for(family["paid_name"]), dialog.row_for(family["unpaid_name"])
    assert dialog.cell(paid, 5) == "10"  # remaining before the lesson
    dialog.status_combo(paid).setCurrentText("出勤")
    dialog.status_combo(unpaid).setCurrentText("旷课")  # the demo campus charges absence
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert dialog.isVisible() and dialog.summary.text().startswith("点名已保存")
    paid, unpaid = dialog.row_for(family["paid_name"]), dialog.row_for(family["unpaid_name"])

    entries = _entries(ctx, lesson_id, family["paid"])
    assert sum(e.hours for e in entries) == Decimal("1.5")
    assert sum(e.amount_fen for e in entries) == 18000
    assert (dialog.cell(paid, 3), dialog.cell(paid, 4)) == ("1.5", "180.00")
    assert dialog.cell(paid, 6) == "正常"
    assert dialog.cell(paid, 5) == "8.5"

    arrears = _entries(ctx, lesson_id, family["unpaid"])  # no package: 欠课时 worth 0
    assert [(e.kind.value, e.hours, e.amount_fen) for e in arrears] == [
        ("arrears", Decimal("1.5"), 0)
    ]
    assert (dialog.cell(unpaid, 3), dialog.cell(unpaid, 4), dialog.cell(unpaid, 6)) == (
        "1.5", "0.00", "欠课时",
    )  # fmt: skip
    assert dialog.cell(unpaid, 5) == "-1.5"
    with ctx.db.reader() as s:
        assert remaining_hours(s, family["paid"], family["course_id"]) == Decimal("8.5")
    dialog.reject()
    settle(ctx)
    assert page.selected_lesson().marked == 2


def test_add_a_make_up_student_then_withdraw_a_mark(qtbot, ctx, page, family) -> None:
    lesson_id = _schedule(qtbot, ctx, page, family)
    dialog = _roll_call(qtbot, ctx, page)
    dialog.mark_all_present()
    dialog.makeup_search.setText(family["makeup_name"])  # keyClicks cannot type Chinese
    assert dialog.makeup_list.count() >= 1
    qtbot.mouseClick(dialog.makeup_button, Qt.MouseButton.LeftButton)
    makeup = dialog.row_for(family["makeup_name"])
    assert dialog.status_combo(makeup).currentText() == "补课"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    makeup = dialog.row_for(family["makeup_name"])
    assert (dialog.cell(makeup, 4), dialog.cell(makeup, 6), dialog.cell(makeup, 5)) == (
        "180.00", "补课", "8.5",
    )  # fmt: skip
    assert sum(e.amount_fen for e in _entries(ctx, lesson_id, family["makeup"])) == 18000

    paid = dialog.row_for(family["paid_name"])
    dialog.status_combo(paid).setCurrentText("未点名")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    paid = dialog.row_for(family["paid_name"])
    assert (dialog.cell(paid, 3), dialog.cell(paid, 5)) == ("", "10")
    assert _entries(ctx, lesson_id, family["paid"]) == []
    assert dialog.summary.text().startswith("点名已保存。共 3 人，已点名 2 人")


def test_saving_without_changes_says_so(qtbot, ctx, page, family) -> None:
    _schedule(qtbot, ctx, page, family)
    dialog = _roll_call(qtbot, ctx, page)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "没有需要保存的点名变化"
    dialog.reject()


def test_add_edit_and_stop_a_course(qtbot, ctx, page: TimetablePage) -> None:
    qtbot.mouseClick(page.courses_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    courses = page.dialog
    assert isinstance(courses, CoursesDialog) and courses.model.rowCount() > 0
    qtbot.mouseClick(courses.new_button, Qt.MouseButton.LeftButton)
    dialog = courses.dialog
    dialog.name.setText("街舞")
    dialog.price.setText("135.5")
    dialog.hours.setValue(1.5)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    row = courses.selected_course()
    assert (row.name, row.price_per_hour_fen, row.hours_per_lesson, row.active) == (
        "街舞", 13550, Decimal("1.5"), True,
    )  # fmt: skip
    qtbot.mouseClick(courses.edit_button, Qt.MouseButton.LeftButton)
    dialog = courses.dialog
    assert dialog.price.text() == "135.50"
    dialog.price.setText("12.345")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "两位小数" in dialog.error_label.text()
    dialog.price.setText("140")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert courses.selected_course().price_per_hour_fen == 14000
    qtbot.mouseClick(courses.active_button, Qt.MouseButton.LeftButton)
    settle(ctx)
    assert not courses.selected_course().active and courses.active_button.text() == "启用"
    with ctx.db.reader() as s:
        stored = s.scalar(select(Course).where(Course.name == "街舞"))
        assert (stored.price_per_hour_fen, stored.active) == (14000, False)
    courses.accept()
