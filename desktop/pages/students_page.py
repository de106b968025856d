"""学员/家长: the campus's students and parents, searchable, with a student's whole file.

Two tabs. 学员: the list (search by name, phone or pinyin initials of the student or a parent;
status filter) beside the selected student's detail — 资料, 家长, 课时包 (remaining hours per
package from :func:`shared.consumption.package_balances`), 考勤, 成长记录, 沟通记录 — with the
actions on each. 家长: every parent with the children linked to them.

Every read and write goes through ``ctx.ops``; the rules are in
:mod:`shared.services.students`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.dialogs.student_dialogs import (
    CommunicationDialog,
    LinkParentDialog,
    ParentDialog,
    StudentDialog,
)
from desktop.dialogs.widgets import (
    MUTED,
    Column,
    RowsModel,
    SearchBox,
    confirm,
    date_text,
    hours_text,
    make_table,
    select_where,
    selected_row,
    write_from,
    yuan,
)
from shared.consumption import ZERO
from shared.enums import ATTENDANCE_NAMES, SIGN_TYPE_NAMES
from shared.errors import NotFound
from shared.search import filter_rows
from shared.services.staff import StaffRow, list_staff
from shared.services.students import (
    STATUS_NAMES,
    AttendanceView,
    CommunicationView,
    GrowthView,
    LinkedParent,
    PackageView,
    ParentRow,
    StudentDetail,
    StudentRow,
    delete_parent,
    delete_student,
    list_parents,
    list_students,
    student_detail,
    unlink_parent,
)

from .base import Page

ALL_STATUSES = "全部状态"


@dataclass(frozen=True, slots=True)
class StudentsData:
    """What one refresh of the page reads."""

    students: list[StudentRow]
    parents: list[ParentRow]
    staff: list[StaffRow]


def load_students_page(session: Session, campus_id: str) -> StudentsData:
    """Students, parents and staff of the campus, as the page lists them."""
    return StudentsData(
        list_students(session, campus_id),
        list_parents(session, campus_id),
        list_staff(session, campus_id),
    )


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    return button


class StudentDetailPanel(QWidget):
    """The selected student's file: 资料, 家长, 课时包, 考勤, 成长记录, 沟通记录."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: StudentDetail | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        self.header = QLabel("请在左侧选择一名学员")
        self.header.setObjectName("studentHeader")
        self.header.setStyleSheet("font-size: 18px; font-weight: bold; padding: 4px 0;")
        layout.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("studentDetailTabs")
        layout.addWidget(self.tabs, 1)

        # 资料
        info = QWidget()
        self.info_form = QFormLayout(info)
        self.info_labels: dict[str, QLabel] = {}
        for key, label in (
            ("name", "姓名"),
            ("gender", "性别"),
            ("birth_on", "出生日期"),
            ("school", "学校"),
            ("grade", "年级"),
            ("status", "状态"),
            ("consultant", "课程顾问"),
            ("source", "来源"),
            ("first_contact_on", "首次接触"),
            ("remaining", "剩余课时"),
            ("notes", "备注"),
        ):
            value = QLabel("")
            value.setObjectName(f"info_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.info_form.addRow(f"{label}：", value)
            self.info_labels[key] = value
        self.tabs.addTab(info, "资料")

        # 家长
        self.parents_model: RowsModel[LinkedParent] = RowsModel(
            [
                Column("姓名", lambda p: p.name, width=90),
                Column("关系", lambda p: p.relation, width=60),
                Column("电话", lambda p: p.phone, width=130),
                Column("备用电话", lambda p: p.phone2, width=120),
                Column("微信", lambda p: p.wechat, width=100),
                Column("主要联系人", lambda p: "是" if p.is_primary else ""),
            ]
        )
        self.parents_table = make_table(self.parents_model, "studentParentsTable")
        self.add_parent_button = _button("新增家长", "addParentButton")
        self.link_parent_button = _button("关联已有家长", "linkParentButton")
        self.edit_parent_button = _button("编辑家长", "editLinkedParentButton")
        self.unlink_parent_button = _button("取消关联", "unlinkParentButton")
        self.tabs.addTab(
            self._with_buttons(
                self.parents_table,
                self.add_parent_button,
                self.link_parent_button,
                self.edit_parent_button,
                self.unlink_parent_button,
            ),
            "家长",
        )

        # 课时包
        def used_up(p: PackageView) -> QColor | None:
            return MUTED if p.remaining <= ZERO else None

        self.packages_model: RowsModel[PackageView] = RowsModel(
            [
                Column("签单日期", lambda p: date_text(p.signed_on), color=used_up, width=90),
                Column("课程", lambda p: p.course_name, color=used_up, width=130),
                Column("类型", lambda p: SIGN_TYPE_NAMES[p.sign_type], color=used_up, width=48),
                Column("购买", lambda p: hours_text(p.hours), True, used_up, 48),
                Column("赠送", lambda p: hours_text(p.gift_hours), True, used_up, 48),
                Column("金额（元）", lambda p: yuan(p.amount_fen), True, used_up, 90),
                Column("剩余付费", lambda p: hours_text(p.paid_remaining), True, used_up, 66),
                Column("剩余赠送", lambda p: hours_text(p.gift_remaining), True, used_up, 66),
                Column("剩余合计", lambda p: hours_text(p.remaining), True, used_up),
            ]
        )
        self.packages_table = make_table(self.packages_model, "packagesTable")
        self.tabs.addTab(self.packages_table, "课时包")

        # 考勤
        self.attendance_model: RowsModel[AttendanceView] = RowsModel(
            [
                Column("日期", lambda a: date_text(a.lesson_on), width=96),
                Column("时间", lambda a: a.starts_at.strftime("%H:%M"), width=56),
                Column("课程", lambda a: a.course_name, width=150),
                Column("教师", lambda a: a.teacher_name, width=70),
                Column("考勤", lambda a: ATTENDANCE_NAMES[a.status], width=56),
                Column("扣课时", lambda a: hours_text(a.charged_hours), right=True, width=64),
                Column("划课金额（元）", lambda a: yuan(a.amount_fen), right=True),
            ]
        )
        self.tabs.addTab(make_table(self.attendance_model, "attendanceTable"), "考勤")

        # 成长记录
        self.growth_model: RowsModel[GrowthView] = RowsModel(
            [
                Column("日期", lambda g: date_text(g.recorded_on), width=96),
                Column("教师", lambda g: g.teacher_name, width=70),
                Column("教程进度", lambda g: g.progress_note, width=130),
                Column("进度", lambda g: str(g.progress), right=True, width=44),
                Column("专注", lambda g: str(g.focus), right=True, width=44),
                Column("表现", lambda g: str(g.performance), right=True, width=44),
                Column("能力", lambda g: str(g.learning_ability), right=True, width=44),
                Column("掌握", lambda g: str(g.mastery), right=True, width=44),
                Column("评语", lambda g: g.comment),
            ]
        )
        self.tabs.addTab(make_table(self.growth_model, "growthTable"), "成长记录")

        # 沟通记录
        self.communications_model: RowsModel[CommunicationView] = RowsModel(
            [
                Column("日期", lambda c: date_text(c.occurred_on), width=96),
                Column("家长", lambda c: c.parent_name, width=70),
                Column("记录人", lambda c: c.staff_name, width=70),
                Column("方式", lambda c: c.channel, width=50),
                Column("下次跟进", lambda c: _follow_up_text(c), width=110),
                Column("内容", lambda c: c.content),
            ]
        )
        self.communications_table = make_table(self.communications_model, "communicationsTable")
        self.communications_table.setWordWrap(True)
        self.add_communication_button = _button("添加沟通记录", "addCommunicationButton")
        self.tabs.addTab(
            self._with_buttons(self.communications_table, self.add_communication_button),
            "沟通记录",
        )
        self.show_detail(None)

    @staticmethod
    def _with_buttons(table: QWidget, *buttons: QPushButton) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(table, 1)
        return box

    def selected_parent(self) -> LinkedParent | None:
        """The parent selected in the 家长 tab."""
        return selected_row(self.parents_table, self.parents_model)

    def show_detail(self, detail: StudentDetail | None) -> None:
        """Fill every tab from ``detail`` (None: empty, actions disabled)."""
        self.detail = detail
        for button in (
            self.add_parent_button,
            self.link_parent_button,
            self.edit_parent_button,
            self.unlink_parent_button,
            self.add_communication_button,
        ):
            button.setEnabled(detail is not None)
        if detail is None:
            self.header.setText("请在左侧选择一名学员")
            for label in self.info_labels.values():
                label.setText("")
            for model in (
                self.parents_model,
                self.packages_model,
                self.attendance_model,
                self.growth_model,
                self.communications_model,
            ):
                model.set_rows([])
            return
        self.header.setText(
            f"{detail.name}　{detail.status_name}　剩余课时 {hours_text(detail.remaining_hours)}"
        )
        values = {
            "name": detail.name,
            "gender": detail.gender or "未填",
            "birth_on": date_text(detail.birth_on) or "未填",
            "school": detail.school,
            "grade": detail.grade,
            "status": detail.status_name,
            "consultant": detail.consultant_name or "未分配",
            "source": detail.source,
            "first_contact_on": date_text(detail.first_contact_on),
            "remaining": hours_text(detail.remaining_hours),
            "notes": detail.notes,
        }
        for key, text in values.items():
            self.info_labels[key].setText(text)
        self.parents_model.set_rows(detail.parents)
        self.packages_model.set_rows(detail.packages)
        self.attendance_model.set_rows(detail.attendance)
        self.growth_model.set_rows(detail.growth)
        self.communications_model.set_rows(detail.communications)
        self.communications_table.resizeRowsToContents()


def _follow_up_text(c: CommunicationView) -> str:
    if c.next_follow_up_on is None:
        return ""
    return date_text(c.next_follow_up_on) + ("（已完成）" if c.follow_up_done else "")


class StudentsPage(Page):
    """学员/家长: the student list with a student's file, and the parent list."""

    key = "students"
    title = "学员/家长"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data = StudentsData([], [], [])
        self.dialog: QWidget | None = None  # the dialog or question opened last (tests use it)
        self._select_student_id: str | None = None
        self._detail_request = 0

        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("studentsTabs")
        layout.addWidget(self.tabs)
        self.tabs.addTab(self._build_students_tab(), "学员")
        self.tabs.addTab(self._build_parents_tab(), "家长")
        self.tabs.setCornerWidget(self.make_export_button())  # one button for both lists

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """The student and parent lists as filtered now."""
        return [("学员", self.students_table), ("家长", self.parents_table)]

    # ------------------------------------------------------------------ building

    def _build_students_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.search = SearchBox()
        self.search.setObjectName("studentSearch")
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.addItem(ALL_STATUSES, "")
        for status, label in STATUS_NAMES.items():
            self.status_filter.addItem(label, status.value)
        self.count_label = QLabel("")
        self.count_label.setObjectName("studentCount")
        self.new_student_button = _button("新建学员", "newStudentButton")
        self.edit_student_button = _button("编辑学员", "editStudentButton")
        self.delete_student_button = _button("删除学员", "deleteStudentButton")
        self.growth_card_button = _button("成长卡片", "growthCardButton")
        bar.addWidget(self.search)
        bar.addWidget(self.status_filter)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        for button in (
            self.new_student_button,
            self.edit_student_button,
            self.delete_student_button,
            self.growth_card_button,
        ):
            bar.addWidget(button)
        layout.addLayout(bar)

        self.students_model: RowsModel[StudentRow] = RowsModel(
            [
                Column("姓名", lambda r: r.name, width=72),
                Column("状态", lambda r: r.status_name, width=44),
                Column("年级", lambda r: r.grade, width=84),
                Column("家长", lambda r: _parent_text(r), width=110),
                Column("电话", lambda r: r.primary_parent.phone if r.primary_parent else ""),
                Column("课程顾问", lambda r: r.consultant_name, width=70),
            ]
        )
        self.students_table = make_table(self.students_model, "studentTable")
        self.students_table.setColumnWidth(4, 112)
        self.detail_panel = StudentDetailPanel()
        splitter = QSplitter()
        splitter.addWidget(self.students_table)
        splitter.addWidget(self.detail_panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 740])
        layout.addWidget(splitter, 1)

        self.search.textChanged.connect(self._apply_student_filter)
        self.status_filter.currentIndexChanged.connect(self._apply_student_filter)
        self.students_table.selectionModel().selectionChanged.connect(self._student_selected)
        self.students_table.doubleClicked.connect(self.edit_student)
        self.new_student_button.clicked.connect(self.new_student)
        self.edit_student_button.clicked.connect(self.edit_student)
        self.delete_student_button.clicked.connect(self.delete_student)
        self.growth_card_button.clicked.connect(self.open_growth_card)
        panel = self.detail_panel
        panel.add_parent_button.clicked.connect(self.add_parent_to_student)
        panel.link_parent_button.clicked.connect(self.link_parent)
        panel.edit_parent_button.clicked.connect(self.edit_linked_parent)
        panel.unlink_parent_button.clicked.connect(self.unlink_parent)
        panel.add_communication_button.clicked.connect(self.add_communication)
        return tab

    def _build_parents_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.parent_search = SearchBox()
        self.parent_search.setObjectName("parentSearch")
        self.parent_count_label = QLabel("")
        self.new_parent_button = _button("新增家长", "newParentButton")
        self.edit_parent_button = _button("编辑家长", "editParentButton")
        self.delete_parent_button = _button("删除家长", "deleteParentButton")
        bar.addWidget(self.parent_search)
        bar.addWidget(self.parent_count_label)
        bar.addStretch(1)
        for button in (self.new_parent_button, self.edit_parent_button, self.delete_parent_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.parents_model: RowsModel[ParentRow] = RowsModel(
            [
                Column("姓名", lambda p: p.name, width=90),
                Column("电话", lambda p: p.phone, width=130),
                Column("备用电话", lambda p: p.phone2, width=120),
                Column("微信", lambda p: p.wechat, width=160),
                Column("关联学员", lambda p: "、".join(p.children), width=160),
                Column("备注", lambda p: p.notes),
            ]
        )
        self.parents_table = make_table(self.parents_model, "parentTable")
        layout.addWidget(self.parents_table, 1)
        self.parent_search.textChanged.connect(self._apply_parent_filter)
        self.parents_table.doubleClicked.connect(self.edit_parent)
        self.new_parent_button.clicked.connect(self.new_parent)
        self.edit_parent_button.clicked.connect(self.edit_parent)
        self.delete_parent_button.clicked.connect(self.delete_parent)
        return tab

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Reload the lists (and the selected student's file)."""
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        self.ctx.ops.read(lambda s: load_students_page(s, campus_id), self._loaded)

    def _loaded(self, data: StudentsData) -> None:
        current = self.selected_student()
        keep = self._select_student_id or (current.id if current else None)
        self._select_student_id = None
        self.data = data
        self._apply_student_filter(keep=keep)
        self._apply_parent_filter()

    def _apply_student_filter(self, *_args: Any, keep: str | None = None) -> None:
        if keep is None:
            current = self.selected_student()
            keep = current.id if current else None
        status = self.status_filter.currentData()
        rows = [r for r in self.data.students if not status or r.status.value == status]
        rows = filter_rows(self.search.text(), rows, lambda r: r.key)
        self.students_model.set_rows(rows)
        self.count_label.setText(f"共 {len(rows)} 人")
        if keep is not None and select_where(
            self.students_table, self.students_model, lambda r: r.id == keep
        ):
            return
        if rows:
            self.students_table.selectRow(0)
        else:
            self._student_selected()

    def _apply_parent_filter(self, *_args: Any) -> None:
        rows = filter_rows(self.parent_search.text(), self.data.parents, lambda r: r.key)
        self.parents_model.set_rows(rows)
        self.parent_count_label.setText(f"共 {len(rows)} 人")

    def selected_student(self) -> StudentRow | None:
        """The student selected in the list."""
        return selected_row(self.students_table, self.students_model)

    def selected_parent(self) -> ParentRow | None:
        """The parent selected in the 家长 tab."""
        return selected_row(self.parents_table, self.parents_model)

    def _student_selected(self, *_args: Any) -> None:
        row = self.selected_student()
        self.edit_student_button.setEnabled(row is not None)
        self.delete_student_button.setEnabled(row is not None)
        self._detail_request += 1
        if row is None:
            self.detail_panel.show_detail(None)
            return
        request, student_id = self._detail_request, row.id

        def shown(detail: StudentDetail) -> None:
            if request == self._detail_request:
                self.detail_panel.show_detail(detail)

        def gone(exc: BaseException) -> None:
            if request == self._detail_request and isinstance(exc, NotFound):
                self.detail_panel.show_detail(None)

        self.ctx.ops.read(
            lambda s: student_detail(s, student_id), shown, on_error=gone, label="读取学员资料"
        )

    # ------------------------------------------------------------------ student actions

    def _open(self, dialog: QWidget) -> None:
        self.dialog = dialog
        dialog.open()  # type: ignore[attr-defined]

    def new_student(self) -> StudentDialog:
        """Open 新建学员."""
        dialog = StudentDialog(self.ctx, self.data.staff, parent=self)
        dialog.saved.connect(self._student_saved)
        self._open(dialog)
        return dialog

    def open_growth_card(self) -> QWidget | None:
        """Open 成长卡片 for the selected student."""
        row = self.selected_student()
        if row is None:
            return None
        from desktop.dialogs.growth_card_dialog import GrowthCardDialog

        dialog = GrowthCardDialog(self.ctx, row.id, row.name, parent=self)
        self._open(dialog)
        return dialog

    def edit_student(self) -> StudentDialog | None:
        """Open 编辑学员 for the selected student."""
        detail = self.detail_panel.detail
        row = self.selected_student()
        if detail is None or row is None or detail.id != row.id:
            return None
        dialog = StudentDialog(self.ctx, self.data.staff, detail, parent=self)
        self._open(dialog)
        return dialog

    def _student_saved(self, student_id: object) -> None:
        self._select_student_id = str(student_id)
        self.search.clear()
        self.status_filter.setCurrentIndex(0)

    def delete_student(self) -> None:
        """Ask, then delete the selected student (refused once they have history)."""
        row = self.selected_student()
        if row is None:
            return
        student_id = row.id
        self.dialog = confirm(
            self,
            "删除学员",
            f"确定删除学员“{row.name}”吗？已有订单、考勤或试听的学员不能删除。",
            lambda: write_from(self, self.ctx, lambda s: delete_student(s, student_id), "删除学员"),
            yes="删除",
        )

    # ------------------------------------------------------------------ parent actions

    def add_parent_to_student(self) -> ParentDialog | None:
        """Open 新增家长 for the shown student."""
        detail = self.detail_panel.detail
        if detail is None:
            return None
        dialog = ParentDialog(self.ctx, student_id=detail.id, parent=self)
        if dialog.primary is not None:
            dialog.primary.setChecked(not detail.parents)
        self._open(dialog)
        return dialog

    def edit_linked_parent(self) -> ParentDialog | None:
        """Open 编辑家长 for the parent selected in the student's 家长 tab."""
        detail = self.detail_panel.detail
        linked = self.detail_panel.selected_parent()
        if detail is None or linked is None:
            return None
        dialog = ParentDialog(self.ctx, parent_row=linked, student_id=detail.id, parent=self)
        self._open(dialog)
        return dialog

    def link_parent(self) -> LinkParentDialog | None:
        """Open 关联已有家长 for the shown student."""
        detail = self.detail_panel.detail
        if detail is None:
            return None
        linked = {p.parent_id for p in detail.parents}
        choices = [p for p in self.data.parents if p.id not in linked]
        dialog = LinkParentDialog(self.ctx, detail.id, choices, parent=self)
        dialog.primary.setChecked(not detail.parents)
        self._open(dialog)
        return dialog

    def unlink_parent(self) -> None:
        """Ask, then remove the link between the student and the selected parent."""
        detail = self.detail_panel.detail
        linked = self.detail_panel.selected_parent()
        if detail is None or linked is None:
            return
        student_id, parent_id = detail.id, linked.parent_id
        self.dialog = confirm(
            self,
            "取消关联",
            f"确定取消“{linked.name}”与学员“{detail.name}”的关联吗？家长资料会保留。",
            lambda: write_from(
                self,
                self.ctx,
                lambda s: unlink_parent(s, student_id=student_id, parent_id=parent_id),
                "取消关联",
            ),
        )

    def add_communication(self) -> CommunicationDialog | None:
        """Open 添加沟通记录 for the shown student."""
        detail = self.detail_panel.detail
        if detail is None:
            return None
        dialog = CommunicationDialog(self.ctx, detail, self.data.staff, parent=self)
        self._open(dialog)
        return dialog

    def new_parent(self) -> ParentDialog:
        """Open 新增家长 (not linked to a student yet)."""
        dialog = ParentDialog(self.ctx, parent=self)
        self._open(dialog)
        return dialog

    def edit_parent(self) -> ParentDialog | None:
        """Open 编辑家长 for the parent selected in the 家长 tab."""
        row = self.selected_parent()
        if row is None:
            return None
        dialog = ParentDialog(self.ctx, parent_row=row, parent=self)
        self._open(dialog)
        return dialog

    def delete_parent(self) -> None:
        """Ask, then delete the selected parent and their links."""
        row = self.selected_parent()
        if row is None:
            return
        parent_id = row.id
        self.dialog = confirm(
            self,
            "删除家长",
            f"确定删除家长“{row.name}”吗？与学员的关联会一并取消，沟通记录会保留。",
            lambda: write_from(self, self.ctx, lambda s: delete_parent(s, parent_id), "删除家长"),
            yes="删除",
        )


def _parent_text(row: StudentRow) -> str:
    parent = row.primary_parent
    if parent is None:
        return ""
    return f"{parent.name}（{parent.relation}）" if parent.relation else parent.name
