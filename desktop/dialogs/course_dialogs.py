"""课程设置: the campus's courses with their price per hour, added, edited and 停用/启用.

Opened from the 课表 page. Prices are typed in 元 per 课时 and stored in fen
(:func:`shared.money.yuan_to_fen`); the rules are in :mod:`shared.services.courses`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from shared.errors import Invalid
from shared.money import yuan_to_fen
from shared.services.courses import (
    CourseRow,
    create_course,
    list_courses,
    set_course_active,
    update_course,
)

from .widgets import (
    MUTED,
    Column,
    FormDialog,
    HoursSpin,
    RowsModel,
    hours_text,
    make_table,
    select_where,
    selected_row,
    write_from,
    yuan,
)


class CourseDialog(FormDialog):
    """新增课程 / 编辑课程: name, subject, price per hour in 元, hours per lesson."""

    def __init__(
        self, ctx: AppContext, row: CourseRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "编辑课程" if row else "新增课程", parent)
        self.setObjectName("courseDialog")
        self.save_label = "保存课程"
        self.row = row
        self.name = self.add_field("课程名称", "name", QLineEdit())
        self.subject = self.add_field("科目", "subject", QLineEdit())
        self.price = self.add_field("单价（元/课时）", "price_per_hour_fen", QLineEdit())
        self.hours = self.add_field("每节课时", "hours_per_lesson", HoursSpin(12))
        self.hours.set_hours(row.hours_per_lesson if row else 1)  # type: ignore[arg-type]
        if row is not None:
            self.name.setText(row.name)
            self.subject.setText(row.subject)
            self.price.setText(yuan(row.price_per_hour_fen).replace(",", ""))
        self.finish_layout()
        self.resize(400, self.sizeHint().height())

    def prepare(self) -> Callable[[Session], Any]:
        """Create or update the course."""
        if not self.price.text().strip():
            raise Invalid("price_per_hour_fen", "请填写单价（元/课时）")
        args = {
            "name": self.name.text(),
            "subject": self.subject.text(),
            "price_per_hour_fen": yuan_to_fen(self.price.text(), "price_per_hour_fen"),
            "hours_per_lesson": self.hours.hours(),
        }
        if self.row is not None:
            course_id = self.row.id
            return lambda s: update_course(s, course_id, **args).id
        campus_id = self.ctx.campus_id
        return lambda s: create_course(s, campus_id=campus_id, **args).id


class CoursesDialog(QDialog):
    """The course list with 新增 / 编辑 / 停用 / 启用."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coursesDialog")
        self.setWindowTitle("课程设置")
        self.ctx = ctx
        self.dialog: QWidget | None = None
        self._select_id: str | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.new_button = QPushButton("新增课程")
        self.new_button.setObjectName("newCourseButton")
        self.edit_button = QPushButton("编辑")
        self.edit_button.setObjectName("editCourseButton")
        self.active_button = QPushButton("停用")
        self.active_button.setObjectName("toggleCourseButton")
        for button in (self.new_button, self.edit_button, self.active_button):
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)

        def muted(row: CourseRow) -> Any:
            return None if row.active else MUTED

        self.model: RowsModel[CourseRow] = RowsModel(
            [
                Column("课程", lambda r: r.name, color=muted, width=170),
                Column("科目", lambda r: r.subject, color=muted, width=80),
                Column("单价（元/课时）", lambda r: yuan(r.price_per_hour_fen), True, muted, 110),
                Column("每节课时", lambda r: hours_text(r.hours_per_lesson), True, muted, 70),
                Column("状态", lambda r: "在售" if r.active else "已停用", color=muted),
            ]
        )
        self.table = make_table(self.model, "courseTable")
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)

        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.edit_course)
        self.new_button.clicked.connect(self.new_course)
        self.edit_button.clicked.connect(self.edit_course)
        self.active_button.clicked.connect(self.toggle_active)
        self.resize(620, 420)
        self._update_buttons()
        self.reload()

    def reload(self, *_args: Any) -> None:
        """Read the courses again (all of them, the stopped ones greyed)."""
        campus_id = self.ctx.campus_id
        self.ctx.ops.read(lambda s: list_courses(s, campus_id, active_only=False), self._loaded)

    def _loaded(self, rows: list[CourseRow]) -> None:
        current = self.selected_course()
        keep = self._select_id or (current.id if current else None)
        self._select_id = None
        self.model.set_rows(rows)
        if keep is not None:
            select_where(self.table, self.model, lambda r: r.id == keep)
        self._update_buttons()

    def selected_course(self) -> CourseRow | None:
        """The course selected in the list."""
        return selected_row(self.table, self.model)

    def _update_buttons(self, *_args: Any) -> None:
        row = self.selected_course()
        self.edit_button.setEnabled(row is not None)
        self.active_button.setEnabled(row is not None)
        self.active_button.setText("启用" if row is not None and not row.active else "停用")

    def _saved(self, course_id: object) -> None:
        self._select_id = str(course_id)
        self.reload()

    def new_course(self) -> CourseDialog:
        """Open 新增课程."""
        dialog = CourseDialog(self.ctx, parent=self)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def edit_course(self, *_args: Any) -> CourseDialog | None:
        """Open 编辑课程 for the selected course."""
        row = self.selected_course()
        if row is None:
            return None
        dialog = CourseDialog(self.ctx, row, parent=self)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def toggle_active(self) -> None:
        """Stop offering the selected course, or offer it again."""
        row = self.selected_course()
        if row is None:
            return
        course_id, active = row.id, not row.active
        write_from(
            self,
            self.ctx,
            lambda s: set_course_active(s, course_id, active).id,
            "启用课程" if active else "停用课程",
            on_done=self._saved,
        )
