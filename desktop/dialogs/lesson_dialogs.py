"""Dialogs of the 课表 page: 排课 (schedule a lesson) and 点名 (take attendance).

点名 shows, for each student, the 划课 the mark caused — hours and 元 summed from the
student's :class:`~shared.models.ConsumptionEntry` rows for that attendance — and the hours
left in the course (:func:`shared.consumption.remaining_hours`), read again in the same
transaction that saved the marks, so what the dialog shows is what was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.errors import user_message
from shared.consumption import remaining_hours
from shared.errors import DabiaoError, Invalid
from shared.models import (
    Attendance,
    AttendanceStatus,
    ConsumptionEntry,
    ConsumptionKind,
    Course,
    Lesson,
    LessonStatus,
    LessonStudent,
    Staff,
    Student,
)
from shared.periods import SHANGHAI
from shared.search import filter_rows
from shared.services.common import get_live
from shared.services.courses import CourseRow, list_courses
from shared.services.lessons import (
    AttendanceMark,
    mark_attendance,
    schedule_lesson,
    unmark_attendance,
)
from shared.services.staff import StaffRow
from shared.services.students import StudentRow, list_students

from .widgets import (
    ERROR_STYLE,
    DateEdit,
    FormDialog,
    HoursSpin,
    IdCombo,
    SearchBox,
    hours_text,
    yuan,
)

ATTENDANCE_CHOICES: tuple[tuple[str, AttendanceStatus | None], ...] = (
    ("未点名", None),
    ("出勤", AttendanceStatus.PRESENT),
    ("请假", AttendanceStatus.LEAVE),
    ("旷课", AttendanceStatus.ABSENT),
    ("补课", AttendanceStatus.MAKEUP),
)
KIND_NAMES: dict[ConsumptionKind, str] = {
    ConsumptionKind.NORMAL: "正常",
    ConsumptionKind.LEAVE_CHARGED: "请假扣课",
    ConsumptionKind.ABSENCE_CHARGED: "旷课扣课",
    ConsumptionKind.MAKEUP: "补课",
    ConsumptionKind.GIFTED: "赠课",
    ConsumptionKind.TRIAL: "试听",
    ConsumptionKind.ARREARS: "欠课时",
}
MAX_MATCHES = 100


def local_instant(day: date, clock: time) -> datetime:
    """A Shanghai wall-clock time on ``day`` as a UTC instant (how lessons are stored)."""
    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


# --------------------------------------------------------------------------- 排课


@dataclass(frozen=True, slots=True)
class ScheduleChoices:
    """What 排课 offers: active courses, teachers, the rooms in use, the students."""

    courses: list[CourseRow]
    teachers: list[StaffRow]
    rooms: list[str]
    students: list[StudentRow]


def load_schedule_choices(
    session: Session, campus_id: str, staff: Sequence[StaffRow]
) -> ScheduleChoices:
    """Courses, rooms and students of the campus for the 排课 dialog."""
    rooms = session.scalars(
        select(Lesson.room)
        .where(Lesson.campus_id == campus_id, Lesson.is_deleted.is_(False), Lesson.room != "")
        .distinct()
        .order_by(Lesson.room)
    ).all()
    return ScheduleChoices(
        courses=list_courses(session, campus_id),
        teachers=[s for s in staff if s.active and s.has_role("teacher")],
        rooms=list(rooms),
        students=[
            s for s in list_students(session, campus_id) if s.status.value not in ("churned",)
        ],
    )


class ScheduleDialog(FormDialog):
    """排课: course, teacher, date and time, hours, room and the students enrolled."""

    def __init__(
        self,
        ctx: AppContext,
        staff: Sequence[StaffRow],
        day: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "排课", parent)
        self.setObjectName("scheduleDialog")
        self.save_label = "保存排课"
        self.choices = ScheduleChoices([], [], [], [])
        self.chosen: dict[str, StudentRow] = {}
        self._end_edited = False
        self.course = self.add_field("课程", "course_id", IdCombo())
        self.teacher = self.add_field("教师", "teacher_id", IdCombo())
        self.day = self.add_field("日期", "starts_at", DateEdit(day))
        self.start = self.add_field("开始时间", "start_time", QTimeEdit(QTime(16, 0)))
        self.start.setDisplayFormat("HH:mm")
        self.end = self.add_field("结束时间", "ends_at", QTimeEdit(QTime(17, 0)))
        self.end.setDisplayFormat("HH:mm")
        self.hours = self.add_field("课时", "hours", HoursSpin(12))
        self.room = self.add_field("教室", "room", QComboBox())
        self.room.setEditable(True)
        self.student_search = SearchBox()
        self.student_search.setObjectName("studentSearch")
        self.form.addRow("查找学员", self.student_search)
        self.student_list = self.add_field("学员（勾选）", "student_ids", QListWidget())
        self.student_list.setFixedHeight(170)
        self.chosen_label = QLabel("已选 0 人")
        self.chosen_label.setObjectName("chosenStudents")
        self.chosen_label.setWordWrap(True)
        self.form.addRow("", self.chosen_label)
        self.finish_layout()
        self.resize(480, self.sizeHint().height())

        self.course.currentIndexChanged.connect(self._course_changed)
        self.hours.valueChanged.connect(self._update_end)
        self.start.timeChanged.connect(self._update_end)
        self.end.timeChanged.connect(self._end_changed)
        self.student_search.textChanged.connect(self._filter_students)
        self.student_list.itemChanged.connect(self._student_toggled)
        self.save_button.setEnabled(False)
        campus_id = ctx.campus_id
        staff_rows = list(staff)
        ctx.ops.read(
            lambda s: load_schedule_choices(s, campus_id, staff_rows),
            self._loaded,
            label="读取排课选项",
        )

    def _loaded(self, choices: ScheduleChoices) -> None:
        self.choices = choices
        self.course.set_choices([(c.name, c.id) for c in choices.courses])
        self.teacher.set_choices([(t.name, t.id) for t in choices.teachers])
        self.room.addItems(choices.rooms)
        self._course_changed()
        self._filter_students("")
        self.save_button.setEnabled(True)

    def _course_changed(self, *_args: Any) -> None:
        course = next((c for c in self.choices.courses if c.id == self.course.current_id()), None)
        if course is not None:
            self.hours.set_hours(course.hours_per_lesson)
        self._update_end()

    def _update_end(self, *_args: Any) -> None:
        if self._end_edited:
            return
        minutes = int(self.hours.hours() * 60) or 60
        self.end.blockSignals(True)
        self.end.setTime(self.start.time().addSecs(minutes * 60))
        self.end.blockSignals(False)

    def _end_changed(self, *_args: Any) -> None:
        self._end_edited = True

    def _filter_students(self, query: str) -> None:
        self.student_list.blockSignals(True)
        self.student_list.clear()
        for row in filter_rows(query, self.choices.students, lambda r: r.key)[:MAX_MATCHES]:
            item = QListWidgetItem(f"{row.name}　{row.status_name}　{row.grade}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = row.id in self.chosen
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.student_list.addItem(item)
        self.student_list.blockSignals(False)

    def _student_toggled(self, item: QListWidgetItem) -> None:
        student_id = item.data(Qt.ItemDataRole.UserRole)
        row = next((s for s in self.choices.students if s.id == student_id), None)
        if row is None:
            return
        if item.checkState() == Qt.CheckState.Checked:
            self.chosen[row.id] = row
        else:
            self.chosen.pop(row.id, None)
        names = "、".join(r.name for r in self.chosen.values())
        self.chosen_label.setText(f"已选 {len(self.chosen)} 人" + (f"：{names}" if names else ""))

    def choose_student(self, student_id: str) -> None:
        """Tick a student (as a click on their check box would)."""
        for i in range(self.student_list.count()):
            item = self.student_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == student_id:
                item.setCheckState(Qt.CheckState.Checked)
                return
        raise LookupError(student_id)

    def prepare(self) -> Callable[[Session], Any]:
        """Schedule the lesson through the lesson service."""
        course_id = self.course.current_id()
        if course_id is None:
            raise Invalid("course_id", "请选择课程")
        teacher_id = self.teacher.current_id()
        if teacher_id is None:
            raise Invalid("teacher_id", "请选择教师")
        day = self.day.day()
        start = self.start.time()
        end = self.end.time()
        starts_at = local_instant(day, time(start.hour(), start.minute()))
        ends_at = local_instant(day, time(end.hour(), end.minute()))
        if ends_at <= starts_at:
            raise Invalid("ends_at", "结束时间必须晚于开始时间")
        args = {
            "course_id": course_id,
            "teacher_id": teacher_id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "hours": self.hours.hours(),
            "room": self.room.currentText(),
            "student_ids": list(self.chosen),
        }
        return lambda s: schedule_lesson(s, **args).id


# --------------------------------------------------------------------------- 点名


@dataclass(frozen=True, slots=True)
class RollRow:
    """One student of a lesson's 点名 with the 划课 their mark caused."""

    student_id: str
    name: str
    is_trial: bool
    status: AttendanceStatus | None  # None: not marked
    attendance_id: str | None
    charged_hours: Decimal
    consumed_hours: Decimal  # the sum of the attendance's consumption entries
    consumed_fen: int
    kinds: tuple[ConsumptionKind, ...]
    remaining_hours: Decimal  # in this course, arrears subtracted


@dataclass(frozen=True, slots=True)
class RollCall:
    """A lesson and its students as 点名 shows them."""

    lesson_id: str
    campus_id: str
    course_id: str
    title: str
    course_name: str
    teacher_name: str
    lesson_on: date
    starts: str  # local HH:MM
    ends: str
    room: str
    hours: Decimal
    status: LessonStatus
    rows: tuple[RollRow, ...]

    @property
    def consumed_fen(self) -> int:
        """划课收入 of the whole lesson."""
        return sum(r.consumed_fen for r in self.rows)

    @property
    def consumed_hours(self) -> Decimal:
        """Hours deducted for the whole lesson."""
        return sum((r.consumed_hours for r in self.rows), Decimal(0))


def load_roll_call(session: Session, lesson_id: str) -> RollCall:
    """A lesson with its enrolled and marked students, their 划课 and remaining hours."""
    lesson = get_live(session, Lesson, lesson_id, "lesson_id")
    course = session.get(Course, lesson.course_id)
    teacher = session.get(Staff, lesson.teacher_id)
    enrolled = {
        link.student_id: link
        for link in session.scalars(
            select(LessonStudent).where(
                LessonStudent.lesson_id == lesson.id, LessonStudent.is_deleted.is_(False)
            )
        )
    }
    marks = {
        a.student_id: a
        for a in session.scalars(
            select(Attendance).where(
                Attendance.lesson_id == lesson.id, Attendance.is_deleted.is_(False)
            )
        )
    }
    entries: dict[str, list[ConsumptionEntry]] = {}
    if marks:
        for entry in session.scalars(
            select(ConsumptionEntry).where(
                ConsumptionEntry.attendance_id.in_([a.id for a in marks.values()]),
                ConsumptionEntry.is_deleted.is_(False),
            )
        ):
            entries.setdefault(entry.attendance_id, []).append(entry)
    student_ids = set(enrolled) | set(marks)
    names = dict(
        session.execute(select(Student.id, Student.name).where(Student.id.in_(student_ids))).all()
    )
    rows = []
    for student_id in student_ids:
        mark = marks.get(student_id)
        own = entries.get(mark.id, []) if mark is not None else []
        link = enrolled.get(student_id)
        rows.append(
            RollRow(
                student_id=student_id,
                name=names.get(student_id, ""),
                is_trial=(link.is_trial if link is not None else bool(mark and mark.is_trial)),
                status=mark.status if mark is not None else None,
                attendance_id=mark.id if mark is not None else None,
                charged_hours=mark.charged_hours if mark is not None else Decimal(0),
                consumed_hours=sum((e.hours for e in own), Decimal(0)),
                consumed_fen=sum(e.amount_fen for e in own),
                kinds=tuple(dict.fromkeys(e.kind for e in own)),
                remaining_hours=remaining_hours(session, student_id, lesson.course_id),
            )
        )
    rows.sort(key=lambda r: (r.is_trial, r.name))
    return RollCall(
        lesson_id=lesson.id,
        campus_id=lesson.campus_id,
        course_id=lesson.course_id,
        title=lesson.title,
        course_name=course.name if course else "",
        teacher_name=teacher.name if teacher else "",
        lesson_on=lesson.lesson_on,
        starts=lesson.starts_at.astimezone(SHANGHAI).strftime("%H:%M"),
        ends=lesson.ends_at.astimezone(SHANGHAI).strftime("%H:%M"),
        room=lesson.room,
        hours=lesson.hours,
        status=lesson.status,
        rows=tuple(rows),
    )


def save_roll_call(
    session: Session,
    lesson_id: str,
    marks: Sequence[AttendanceMark],
    withdrawn: Sequence[str],
) -> RollCall:
    """Record the marks, withdraw the cleared ones, and read the lesson back."""
    for attendance_id in withdrawn:
        unmark_attendance(session, attendance_id=attendance_id)
    if marks:
        mark_attendance(session, lesson_id=lesson_id, marks=list(marks))
    return load_roll_call(session, lesson_id)


class RollCallDialog(QDialog):
    """点名: one status per student, saved together; shows the 划课 each mark caused."""

    saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        roll: RollCall,
        students: Sequence[StudentRow] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("rollCallDialog")
        self.setWindowTitle(f"点名 — {roll.course_name} {roll.lesson_on.isoformat()}")
        self.setModal(True)
        self.ctx = ctx
        self.roll = roll
        self.students = list(students)
        self.pending: list[RollRow] = []  # make-up students added, not saved yet
        layout = QVBoxLayout(self)
        self.header = QLabel("")
        self.header.setObjectName("rollHeader")
        self.header.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.header)

        self.table = QTableWidget(0, 7)
        self.table.setObjectName("rollTable")
        self.table.setHorizontalHeaderLabels(
            ["学员", "试听", "考勤", "划课课时", "划课金额（元）", "剩余课时", "消耗类型"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)

        makeup = QHBoxLayout()
        self.makeup_search = SearchBox("添加补课学员：姓名 / 电话 / 拼音首字母")
        self.makeup_search.setObjectName("makeupSearch")
        self.makeup_list = QListWidget()
        self.makeup_list.setObjectName("makeupList")
        self.makeup_list.setFixedHeight(72)
        self.makeup_list.hide()
        self.makeup_button = QPushButton("添加补课")
        self.makeup_button.setObjectName("addMakeupButton")
        column = QVBoxLayout()
        column.addWidget(self.makeup_search)
        column.addWidget(self.makeup_list)
        makeup.addLayout(column, 1)
        makeup.addWidget(self.makeup_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(makeup)

        self.summary = QLabel("")
        self.summary.setObjectName("rollSummary")
        layout.addWidget(self.summary)
        self.error_label = QLabel("")
        self.error_label.setObjectName("formError")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox()
        self.all_present_button = buttons.addButton(
            "全部出勤", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.all_present_button.setObjectName("allPresentButton")
        self.save_button = buttons.addButton("保存点名", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("saveButton")
        self.close_button = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        layout.addWidget(buttons)

        self.all_present_button.clicked.connect(self.mark_all_present)
        self.save_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.reject)
        self.makeup_search.textChanged.connect(self._filter_makeup)
        self.makeup_button.clicked.connect(self.add_makeup)
        self.show_roll(roll)
        self._filter_makeup("")
        self.resize(760, 520)

    # ------------------------------------------------------------------ showing

    def show_roll(self, roll: RollCall) -> None:
        """Show the lesson's students with their marks and 划课."""
        self.roll = roll
        self.pending = []
        self.header.setText(
            f"{roll.lesson_on.isoformat()} {roll.starts}–{roll.ends}　{roll.course_name}"
            f"　教师 {roll.teacher_name}　{roll.room}　每节 {hours_text(roll.hours)} 课时"
        )
        self.table.setRowCount(0)
        for row in roll.rows:
            self._add_row(row)
        self._update_summary()

    def _add_row(self, row: RollRow) -> None:
        i = self.table.rowCount()
        self.table.insertRow(i)
        name = QTableWidgetItem(row.name)
        name.setData(Qt.ItemDataRole.UserRole, row.student_id)
        self.table.setItem(i, 0, name)
        self.table.setItem(i, 1, QTableWidgetItem("试听" if row.is_trial else ""))
        combo = QComboBox()
        combo.setObjectName(f"status_{i}")
        for label, status in ATTENDANCE_CHOICES:
            combo.addItem(label, status.value if status else "")
        combo.setCurrentIndex(combo.findData(row.status.value if row.status else ""))
        self.table.setCellWidget(i, 2, combo)
        marked = row.attendance_id is not None
        cells = [
            hours_text(row.consumed_hours) if marked else "",
            yuan(row.consumed_fen) if marked else "",
            hours_text(row.remaining_hours) if row in self.roll.rows else "",
            "、".join(KIND_NAMES[k] for k in row.kinds),
        ]
        for j, text in enumerate(cells, start=3):
            item = QTableWidgetItem(text)
            if j != 6:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, j, item)

    def _update_summary(self) -> None:
        roll = self.roll
        marked = sum(1 for r in roll.rows if r.attendance_id is not None)
        self.summary.setText(
            f"共 {len(roll.rows)} 人，已点名 {marked} 人；"
            f"本节划课 {hours_text(roll.consumed_hours)} 课时，{yuan(roll.consumed_fen)} 元"
        )

    def row_for(self, name: str) -> int:
        """The table row of the student called ``name``."""
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).text() == name:
                return i
        raise LookupError(name)

    def status_combo(self, row: int) -> QComboBox:
        """The 考勤 choice of a table row."""
        widget = self.table.cellWidget(row, 2)
        assert isinstance(widget, QComboBox)
        return widget

    def cell(self, row: int, column: int) -> str:
        """The text of a cell (划课课时 is column 3, 金额 4, 剩余课时 5, 消耗类型 6)."""
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    # ------------------------------------------------------------------ editing

    def mark_all_present(self) -> None:
        """Set every unmarked enrolled student to 出勤."""
        for i in range(self.table.rowCount()):
            combo = self.status_combo(i)
            if not combo.currentData():
                combo.setCurrentIndex(combo.findData(AttendanceStatus.PRESENT.value))

    def _filter_makeup(self, query: str) -> None:
        present = {
            self.table.item(i, 0).data(Qt.ItemDataRole.UserRole)
            for i in range(self.table.rowCount())
        }
        self.makeup_list.clear()
        self.makeup_list.setVisible(bool(query.strip()))
        if not query.strip():
            return
        for row in filter_rows(query, self.students, lambda r: r.key)[:MAX_MATCHES]:
            if row.id in present:
                continue
            item = QListWidgetItem(f"{row.name}　{row.status_name}　{row.grade}")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.makeup_list.addItem(item)
        if self.makeup_list.count():
            self.makeup_list.setCurrentRow(0)

    def add_makeup(self) -> None:
        """Add the student picked below the table as 补课 (saved with the others)."""
        item = self.makeup_list.currentItem()
        if item is None:
            self._show_error(Invalid("makeup", "请先搜索并选择补课学员"))
            return
        student_id = item.data(Qt.ItemDataRole.UserRole)
        student = next(s for s in self.students if s.id == student_id)
        row = RollRow(
            student_id=student.id,
            name=student.name,
            is_trial=False,
            status=AttendanceStatus.MAKEUP,
            attendance_id=None,
            charged_hours=Decimal(0),
            consumed_hours=Decimal(0),
            consumed_fen=0,
            kinds=(),
            remaining_hours=Decimal(0),
        )
        self.pending.append(row)
        self._add_row(row)
        self.makeup_search.clear()

    def marks(self) -> tuple[list[AttendanceMark], list[str]]:
        """The marks to record and the attendance ids to withdraw, from the table."""
        known = {r.student_id: r for r in self.roll.rows}
        marks: list[AttendanceMark] = []
        withdrawn: list[str] = []
        for i in range(self.table.rowCount()):
            student_id = str(self.table.item(i, 0).data(Qt.ItemDataRole.UserRole))
            status = self.status_combo(i).currentData()
            before = known.get(student_id)
            if status:
                unchanged = (
                    before is not None
                    and before.status is not None
                    and (before.status.value == status)
                )
                if not unchanged:
                    marks.append(AttendanceMark(student_id, AttendanceStatus(status)))
            elif before is not None and before.attendance_id is not None:
                withdrawn.append(before.attendance_id)
        return marks, withdrawn

    def submit(self) -> None:
        """Save the changed marks in one write and show what they caused."""
        marks, withdrawn = self.marks()
        if not marks and not withdrawn:
            self._show_error(Invalid("marks", "没有需要保存的点名变化"))
            return
        self.error_label.hide()
        self.save_button.setEnabled(False)
        lesson_id = self.roll.lesson_id
        self.ctx.ops.write(
            lambda s: save_roll_call(s, lesson_id, marks, withdrawn),
            self._saved,
            on_error=self._refused,
            label="保存点名",
        )

    def _saved(self, roll: RollCall) -> None:
        self.save_button.setEnabled(True)
        self.show_roll(roll)
        self.summary.setText("点名已保存。" + self.summary.text())
        self.saved.emit(roll)

    def _refused(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        assert isinstance(exc, DabiaoError)
        self._show_error(exc)

    def _show_error(self, exc: DabiaoError) -> None:
        self.error_label.setText(user_message(exc))
        self.error_label.show()
