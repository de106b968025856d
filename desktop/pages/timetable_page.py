"""课表: a week of lessons, one column per day, with 排课 and 点名.

Each lesson shows its time, course, teacher, room and how many students are enrolled (and
marked); done lessons are tinted. The week moves with 上一周 / 本周 / 下一周; a teacher
filter and the search (teacher, course, room or an enrolled student, by name or pinyin
initials) narrow what is shown. 点名 opens :class:`~desktop.dialogs.lesson_dialogs.
RollCallDialog` for the selected lesson; 课程设置 manages the courses on offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.dialogs.course_dialogs import CoursesDialog
from desktop.dialogs.lesson_dialogs import (
    RollCall,
    RollCallDialog,
    ScheduleDialog,
    load_roll_call,
)
from desktop.dialogs.widgets import IdCombo, SearchBox, hours_text
from desktop.errors import show_error
from shared.exports import Sheet, Styled
from shared.models import Attendance, Course, Lesson, LessonStatus, LessonStudent, Staff, Student
from shared.periods import SHANGHAI
from shared.search import SearchKey, filter_rows, search_key
from shared.services.staff import StaffRow, list_staff
from shared.services.students import StudentRow, list_students

from .base import Page

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DONE_TINT = QColor("#e8f5e9")
CANCELLED_TINT = QColor("#eeeeee")
TODAY_STYLE = "font-weight: bold; color: #1565c0;"
# The column is grey and each lesson a white (or tinted) card on it.
DAY_STYLE = "QListWidget { background: #eceff1; }"
SCHEDULED_TINT = QColor("#ffffff")


@dataclass(frozen=True, slots=True)
class LessonCard:
    """One lesson as the week view shows it."""

    id: str
    lesson_on: date
    starts: str  # local HH:MM
    ends: str
    course_name: str
    teacher_id: str
    teacher_name: str
    room: str
    hours: Decimal
    status: LessonStatus
    enrolled: int
    marked: int
    key: SearchKey

    def text(self) -> str:
        """The card's three lines: time and state, course, teacher · room · students."""
        if self.status is LessonStatus.CANCELLED:
            state = "　已取消"
        elif self.status is LessonStatus.DONE or self.marked:
            state = f"　已点名 {self.marked}/{self.enrolled}"
        else:
            state = ""
        return (
            f"{self.starts}–{self.ends}{state}\n{self.course_name}\n"
            f"{self.teacher_name} · {self.room or '未定教室'} · {self.enrolled} 人"
        )


@dataclass(frozen=True, slots=True)
class WeekData:
    """What one refresh of the page reads."""

    monday: date
    lessons: list[LessonCard]
    staff: list[StaffRow]


def monday_of(day: date) -> date:
    """The Monday of the week of ``day``."""
    return day - timedelta(days=day.weekday())


def load_week(session: Session, campus_id: str, monday: date) -> WeekData:
    """The campus's lessons from ``monday`` to Sunday in time order, with enrolled counts."""
    sunday = monday + timedelta(days=6)
    rows = session.execute(
        select(Lesson, Course.name, Staff.name)
        .join(Course, Course.id == Lesson.course_id)
        .join(Staff, Staff.id == Lesson.teacher_id)
        .where(
            Lesson.campus_id == campus_id,
            Lesson.is_deleted.is_(False),
            Lesson.lesson_on >= monday,
            Lesson.lesson_on <= sunday,
        )
        .order_by(Lesson.starts_at, Lesson.id)
    ).all()
    lesson_ids = [lesson.id for lesson, _, _ in rows]
    students: dict[str, list[str]] = {}
    marked: dict[str, int] = {}
    if lesson_ids:
        for lesson_id, name in session.execute(
            select(LessonStudent.lesson_id, Student.name)
            .join(Student, Student.id == LessonStudent.student_id)
            .where(LessonStudent.lesson_id.in_(lesson_ids), LessonStudent.is_deleted.is_(False))
        ):
            students.setdefault(lesson_id, []).append(name)
        marked = dict(
            session.execute(
                select(Attendance.lesson_id, func.count())
                .where(Attendance.lesson_id.in_(lesson_ids), Attendance.is_deleted.is_(False))
                .group_by(Attendance.lesson_id)
            ).all()
        )
    cards = [
        LessonCard(
            id=lesson.id,
            lesson_on=lesson.lesson_on,
            starts=lesson.starts_at.astimezone(SHANGHAI).strftime("%H:%M"),
            ends=lesson.ends_at.astimezone(SHANGHAI).strftime("%H:%M"),
            course_name=course_name,
            teacher_id=lesson.teacher_id,
            teacher_name=teacher_name,
            room=lesson.room,
            hours=lesson.hours,
            status=lesson.status,
            enrolled=len(students.get(lesson.id, [])),
            marked=marked.get(lesson.id, 0),
            key=search_key([teacher_name, course_name, lesson.room, *students.get(lesson.id, [])]),
        )
        for lesson, course_name, teacher_name in rows
    ]
    return WeekData(monday, cards, list_staff(session, campus_id))


@dataclass(frozen=True, slots=True)
class RollCallData:
    """What 点名 needs: the lesson and the students one may add for 补课."""

    roll: RollCall
    students: list[StudentRow]


def load_roll_call_data(session: Session, lesson_id: str) -> RollCallData:
    """The lesson's 点名 and the campus's students (for 补课)."""
    roll = load_roll_call(session, lesson_id)
    return RollCallData(roll, list_students(session, roll.campus_id))


class TimetablePage(Page):
    """课表: the week's lessons per day; 排课 and 点名."""

    key = "timetable"
    title = "课表"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.monday = monday_of(ctx.today())
        self.data = WeekData(self.monday, [], [])
        self.dialog: QWidget | None = None  # the dialog opened last (tests use it)
        self._select_id: str | None = None

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.previous_button = QPushButton("◀ 上一周")
        self.previous_button.setObjectName("previousWeekButton")
        self.this_week_button = QPushButton("本周")
        self.this_week_button.setObjectName("thisWeekButton")
        self.next_button = QPushButton("下一周 ▶")
        self.next_button.setObjectName("nextWeekButton")
        self.week_label = QLabel("")
        self.week_label.setObjectName("weekLabel")
        self.week_label.setStyleSheet("font-size: 15px; font-weight: bold; padding: 0 8px;")
        self.teacher_filter = IdCombo(allow_none=True, none_label="全部教师")
        self.teacher_filter.setObjectName("teacherFilter")
        self.search = SearchBox("搜索：教师 / 课程 / 教室 / 学员（姓名或拼音首字母）")
        self.search.setObjectName("lessonSearch")
        self.schedule_button = QPushButton("排课")
        self.schedule_button.setObjectName("scheduleButton")
        self.roll_call_button = QPushButton("点名")
        self.roll_call_button.setObjectName("rollCallButton")
        self.courses_button = QPushButton("课程设置")
        self.courses_button.setObjectName("coursesButton")
        for widget in (
            self.previous_button,
            self.this_week_button,
            self.next_button,
            self.week_label,
            self.teacher_filter,
            self.search,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.schedule_button)
        bar.addWidget(self.roll_call_button)
        bar.addWidget(self.courses_button)
        bar.addWidget(self.make_export_button())
        layout.addLayout(bar)

        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        self.day_labels: list[QLabel] = []
        self.day_lists: list[QListWidget] = []
        for i in range(7):
            label = QLabel("")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            day_list = QListWidget()
            day_list.setObjectName(f"day_{i}")
            day_list.setWordWrap(True)
            day_list.setSpacing(3)
            day_list.setStyleSheet(DAY_STYLE)
            day_list.setMinimumWidth(140)
            day_list.itemSelectionChanged.connect(lambda i=i: self._day_selected(i))
            day_list.itemDoubleClicked.connect(self.roll_call)
            grid.addWidget(label, 0, i)
            grid.addWidget(day_list, 1, i)
            grid.setColumnStretch(i, 1)
            self.day_labels.append(label)
            self.day_lists.append(day_list)
        layout.addLayout(grid, 1)
        self.count_label = QLabel("")
        self.count_label.setObjectName("lessonCount")
        layout.addWidget(self.count_label)

        self.previous_button.clicked.connect(lambda: self.show_week(self.monday - timedelta(7)))
        self.next_button.clicked.connect(lambda: self.show_week(self.monday + timedelta(7)))
        self.this_week_button.clicked.connect(lambda: self.show_week(monday_of(self.ctx.today())))
        self.teacher_filter.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self.schedule_button.clicked.connect(self.schedule)
        self.roll_call_button.clicked.connect(self.roll_call)
        self.courses_button.clicked.connect(self.courses)
        self._update_buttons()

    # ------------------------------------------------------------------ 导出 Excel

    def export_name(self) -> str:
        """``课表-2025-06-16至06-22``."""
        sunday = self.monday + timedelta(days=6)
        return f"课表-{self.monday.isoformat()}至{sunday:%m-%d}"

    def export_sheets(self) -> list[Sheet]:
        """The week's lessons the filters leave (the cards shown), one row per lesson."""
        rows: list[list[Any]] = []
        for card in self.visible_lessons():
            if card.status is LessonStatus.CANCELLED:
                state = "已取消"
            elif card.status is LessonStatus.DONE or card.marked:
                state = "已点名"
            else:
                state = "已排课"
            rows.append(
                [
                    card.lesson_on,
                    WEEKDAYS[card.lesson_on.weekday()],
                    card.starts,
                    card.ends,
                    card.course_name,
                    card.teacher_name,
                    card.room or "未定教室",
                    Styled(card.hours, "General"),
                    state,
                    card.enrolled,
                    card.marked,
                ]
            )
        headers = ["日期", "星期", "开始", "结束", "课程", "教师", "教室", "课时", "状态"]
        return [Sheet("课表", [*headers, "学员数", "已点名"], rows)]

    # ------------------------------------------------------------------ loading

    def show_week(self, monday: date) -> None:
        """Show the week starting ``monday``."""
        self.monday = monday_of(monday)
        self.refresh()

    def refresh(self) -> None:
        """Reload the shown week."""
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        monday = self.monday
        self.ctx.ops.read(lambda s: load_week(s, campus_id, monday), self._loaded)

    def _loaded(self, data: WeekData) -> None:
        if data.monday != self.monday:
            return  # an older week's answer arriving after the user moved on
        self.data = data
        self.teacher_filter.set_choices(
            [(s.name, s.id) for s in data.staff if s.has_role("teacher")]
        )
        today = self.ctx.today()
        sunday = data.monday + timedelta(days=6)
        self.week_label.setText(f"{data.monday.isoformat()} – {sunday.month:02d}-{sunday.day:02d}")
        for i, label in enumerate(self.day_labels):
            day = data.monday + timedelta(days=i)
            label.setText(f"{WEEKDAYS[i]}　{day.month:02d}-{day.day:02d}")
            label.setStyleSheet(TODAY_STYLE if day == today else "")
        self._apply_filter()

    def visible_lessons(self) -> list[LessonCard]:
        """The lessons the filters leave, in time order."""
        teacher = self.teacher_filter.current_id()
        lessons = [c for c in self.data.lessons if teacher is None or c.teacher_id == teacher]
        return filter_rows(self.search.text(), lessons, lambda c: c.key)

    def _apply_filter(self, *_args: Any) -> None:
        current = self.selected_lesson()
        keep = self._select_id or (current.id if current else None)
        self._select_id = None
        lessons = self.visible_lessons()
        for day_list in self.day_lists:
            day_list.blockSignals(True)
            day_list.clear()
        for card in lessons:
            index = (card.lesson_on - self.data.monday).days
            item = QListWidgetItem(card.text())
            item.setData(Qt.ItemDataRole.UserRole, card.id)
            item.setToolTip(card.text())
            if card.status is LessonStatus.DONE:
                item.setBackground(QBrush(DONE_TINT))
            elif card.status is LessonStatus.CANCELLED:
                item.setBackground(QBrush(CANCELLED_TINT))
            else:
                item.setBackground(QBrush(SCHEDULED_TINT))
            self.day_lists[index].addItem(item)
            if card.id == keep:
                self.day_lists[index].setCurrentItem(item)
        for day_list in self.day_lists:
            day_list.blockSignals(False)
        total_hours = sum((c.hours for c in lessons), Decimal(0))
        self.count_label.setText(
            f"本周 {len(lessons)} 节课，共 {hours_text(total_hours)} 课时，"
            f"{sum(c.enrolled for c in lessons)} 人次"
        )
        self._update_buttons()

    def _day_selected(self, index: int) -> None:
        if self.day_lists[index].selectedItems():
            for i, other in enumerate(self.day_lists):
                if i != index:
                    other.blockSignals(True)
                    other.clearSelection()
                    other.setCurrentItem(None)
                    other.blockSignals(False)
        self._update_buttons()

    def selected_lesson(self) -> LessonCard | None:
        """The lesson selected in any day column."""
        for day_list in self.day_lists:
            items = day_list.selectedItems()
            if items:
                lesson_id = items[0].data(Qt.ItemDataRole.UserRole)
                return next((c for c in self.data.lessons if c.id == lesson_id), None)
        return None

    def select_lesson(self, lesson_id: str) -> bool:
        """Select a lesson of the shown week; False when it is not shown."""
        for day_list in self.day_lists:
            for i in range(day_list.count()):
                if day_list.item(i).data(Qt.ItemDataRole.UserRole) == lesson_id:
                    day_list.setCurrentRow(i)
                    return True
        return False

    def _update_buttons(self) -> None:
        lesson = self.selected_lesson()
        self.roll_call_button.setEnabled(
            lesson is not None and lesson.status is not LessonStatus.CANCELLED
        )

    # ------------------------------------------------------------------ actions

    def _selected_day(self) -> date:
        for i, day_list in enumerate(self.day_lists):
            if day_list.selectedItems():
                return self.data.monday + timedelta(days=i)
        today = self.ctx.today()
        return today if self.monday <= today < self.monday + timedelta(7) else self.monday

    def schedule(self) -> ScheduleDialog:
        """Open 排课 on the selected day (or today)."""
        dialog = ScheduleDialog(self.ctx, self.data.staff, self._selected_day(), parent=self)
        dialog.saved.connect(self._scheduled)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _scheduled(self, lesson_id: object) -> None:
        self._select_id = str(lesson_id)
        dialog = self.dialog
        if isinstance(dialog, ScheduleDialog):
            day = dialog.day.day()
            if not self.monday <= day < self.monday + timedelta(7):
                self.monday = monday_of(day)  # the refresh after the write shows that week
        self.search.clear()
        self.teacher_filter.set_current_id(None)

    def roll_call(self, *_args: Any) -> None:
        """Read the selected lesson's students, then open 点名."""
        lesson = self.selected_lesson()
        if lesson is None or lesson.status is LessonStatus.CANCELLED:
            return
        lesson_id = lesson.id
        self.ctx.ops.read(
            lambda s: load_roll_call_data(s, lesson_id),
            self._open_roll_call,
            on_error=lambda exc: show_error(self.window(), exc, action="点名"),
            label="读取点名",
        )

    def courses(self) -> CoursesDialog:
        """Open 课程设置 (the courses 排课 and 新建订单 offer)."""
        dialog = CoursesDialog(self.ctx, parent=self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _open_roll_call(self, data: RollCallData) -> None:
        dialog = RollCallDialog(self.ctx, data.roll, data.students, parent=self)
        self.dialog = dialog
        dialog.open()
