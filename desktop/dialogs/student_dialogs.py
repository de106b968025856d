"""Dialogs of the 学员/家长 page: a student, a parent, linking a parent, a communication record.

Each dialog reads its inputs, hands one write to ``ctx.ops.write`` calling the students
service (:mod:`shared.services.students`), and shows a refusal inline; the page refreshes
itself from ``ctx.data_changed`` once the write committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from shared.errors import Invalid
from shared.models import StudentStatus
from shared.search import filter_rows
from shared.services.staff import StaffRow
from shared.services.students import (
    CHANNELS,
    GENDERS,
    RELATIONS,
    STATUS_NAMES,
    LinkedParent,
    ParentRow,
    StudentDetail,
    add_communication,
    create_parent,
    link_parent,
    register_student,
    update_parent,
    update_student,
)

from .widgets import DateEdit, FormDialog, IdCombo, OptionalDateEdit, SearchBox

SOURCES: tuple[str, ...] = ("地推", "转介绍", "老带新", "大众点评", "抖音", "自然到访", "其他")
GRADES: tuple[str, ...] = (
    "幼儿园小班", "幼儿园中班", "幼儿园大班", "一年级", "二年级", "三年级", "四年级", "五年级",
    "六年级", "初一", "初二", "初三", "高一", "高二", "高三", "成人",
)  # fmt: skip


def _editable_combo(choices: Sequence[str], current: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItems(list(choices))
    combo.setCurrentText(current)
    return combo


def _staff_choices(staff: Sequence[StaffRow], role: str | None = None) -> list[tuple[str, str]]:
    return [(s.name, s.id) for s in staff if s.active and (role is None or s.has_role(role))]


class StudentDialog(FormDialog):
    """新建学员 (with the parent to call) or 编辑学员."""

    def __init__(
        self,
        ctx: AppContext,
        staff: Sequence[StaffRow],
        student: StudentDetail | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "编辑学员" if student else "新建学员", parent)
        self.setObjectName("studentDialog")
        self.student = student
        self.save_label = "保存学员"
        self.name = self.add_field("姓名", "name", QLineEdit())
        self.gender = self.add_field("性别", "gender", QComboBox())
        self.gender.addItems(["未填" if g == "" else g for g in GENDERS])
        today = ctx.today()
        self.birth = self.add_field(
            "出生日期", "birth_on", OptionalDateEdit(around=today.replace(year=today.year - 8))
        )
        self.school = self.add_field("学校", "school", QLineEdit())
        self.grade = self.add_field("年级", "grade", _editable_combo(GRADES))
        self.status = self.add_field("状态", "status", QComboBox())
        for status, label in STATUS_NAMES.items():
            self.status.addItem(label, status.value)
        self.consultant = self.add_field("课程顾问", "consultant_id", IdCombo(allow_none=True))
        self.consultant.set_choices(_staff_choices(staff, "consultant"))
        self.source = self.add_field("来源", "source", _editable_combo(SOURCES))
        self.notes = self.add_field("备注", "notes", QPlainTextEdit())
        self.notes.setFixedHeight(64)
        self.parent_box: QGroupBox | None = None
        if student is None:
            self._build_parent_section()
            self.source.setCurrentText("")
        else:
            self._fill(student)
        self.finish_layout()
        self.resize(460, self.sizeHint().height())

    def _build_parent_section(self) -> None:
        box = QGroupBox("家长（主要联系人，可稍后添加）")
        form = QFormLayout(box)
        self.parent_name = QLineEdit()
        self.parent_name.setObjectName("parent_name")
        self.parent_phone = QLineEdit()
        self.parent_phone.setObjectName("parent_phone")
        self.parent_phone.setPlaceholderText("手机号或带区号的固话")
        self.relation = _editable_combo(RELATIONS, "母亲")
        self.relation.setObjectName("relation")
        form.addRow("家长姓名", self.parent_name)
        form.addRow("家长电话", self.parent_phone)
        form.addRow("关系", self.relation)
        self.fields.update(
            parent_name=self.parent_name, parent_phone=self.parent_phone, relation=self.relation
        )
        self.body.addWidget(box)
        self.parent_box = box

    def _fill(self, s: StudentDetail) -> None:
        self.name.setText(s.name)
        self.gender.setCurrentIndex(GENDERS.index(s.gender) if s.gender in GENDERS else 0)
        self.birth.set_optional(s.birth_on)
        self.school.setText(s.school)
        self.grade.setCurrentText(s.grade)
        self.status.setCurrentIndex(self.status.findData(s.status.value))
        if s.consultant_id and self.consultant.findData(s.consultant_id) < 0:
            # A consultant who left stays shown on their students.
            self.consultant.addItem(f"{s.consultant_name}（离职）", s.consultant_id)
        self.consultant.set_current_id(s.consultant_id)
        self.source.setCurrentText(s.source)
        self.notes.setPlainText(s.notes)

    def values(self) -> dict[str, object]:
        """The student fields as the service takes them."""
        return {
            "name": self.name.text(),
            "gender": GENDERS[self.gender.currentIndex()],
            "birth_on": self.birth.optional_day(),
            "school": self.school.text(),
            "grade": self.grade.currentText(),
            "status": StudentStatus(self.status.currentData()),
            "consultant_id": self.consultant.current_id(),
            "source": self.source.currentText(),
            "notes": self.notes.toPlainText(),
        }

    def prepare(self) -> Callable[[Session], Any]:
        """Register a new student (and parent) or update the edited one."""
        values = self.values()
        today = self.ctx.today()
        if self.student is not None:
            # Only what changed: untouched fields keep their values (and their versions, so a
            # phone's concurrent edit of another field merges cleanly).
            student = self.student
            changed = {k: v for k, v in values.items() if v != _student_value(student, k)}
            if not changed:
                return lambda _s: student.id
            return lambda s: update_student(s, student.id, changed, today=today).id
        campus_id = self.ctx.campus_id
        parent_name, parent_phone = self.parent_name.text(), self.parent_phone.text()
        relation = self.relation.currentText()
        return lambda s: (
            register_student(
                s,
                campus_id=campus_id,
                parent_name=parent_name,
                parent_phone=parent_phone,
                relation=relation,
                today=today,
                **values,
            ).id
        )


def _student_value(student: StudentDetail, field: str) -> object:
    """A student field as the dialog's values() would give it back unchanged."""
    value = getattr(student, field)
    return StudentStatus(value) if field == "status" else value


class ParentDialog(FormDialog):
    """新增家长 / 编辑家长, optionally as a parent of one student (relation, primary contact)."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        parent_row: LinkedParent | ParentRow | None = None,
        student_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "编辑家长" if parent_row else "新增家长", parent)
        self.setObjectName("parentDialog")
        self.save_label = "保存家长"
        self.parent_row = parent_row
        self.student_id = student_id
        self.name = self.add_field("姓名", "name", QLineEdit())
        self.phone = self.add_field("电话", "phone", QLineEdit())
        self.phone.setPlaceholderText("手机号或带区号的固话")
        self.phone2 = self.add_field("备用电话", "phone2", QLineEdit())
        self.wechat = self.add_field("微信", "wechat", QLineEdit())
        self.notes = self.add_field("备注", "notes", QPlainTextEdit())
        self.notes.setFixedHeight(56)
        self.relation: QComboBox | None = None
        self.primary: QCheckBox | None = None
        if student_id is not None:
            self.relation = self.add_field("关系", "relation", _editable_combo(RELATIONS, "母亲"))
            self.primary = self.add_field("", "is_primary", QCheckBox("主要联系人"))
        if parent_row is not None:
            self.name.setText(parent_row.name)
            self.phone.setText(parent_row.phone)
            self.phone2.setText(parent_row.phone2)
            self.wechat.setText(parent_row.wechat)
            self.notes.setPlainText(parent_row.notes)
            if isinstance(parent_row, LinkedParent) and self.relation and self.primary:
                self.relation.setCurrentText(parent_row.relation)
                self.primary.setChecked(parent_row.is_primary)
        self.finish_layout()
        self.resize(420, self.sizeHint().height())

    def prepare(self) -> Callable[[Session], Any]:
        """Create or update the parent, then (for a student) link with relation and flag."""
        fields = {
            "name": self.name.text(),
            "phone": self.phone.text(),
            "phone2": self.phone2.text(),
            "wechat": self.wechat.text(),
            "notes": self.notes.toPlainText(),
        }
        campus_id = self.ctx.campus_id
        parent_id = (
            self.parent_row.parent_id
            if isinstance(self.parent_row, LinkedParent)
            else (self.parent_row.id if self.parent_row is not None else None)
        )
        student_id = self.student_id
        relation = self.relation.currentText() if self.relation else ""
        is_primary = bool(self.primary and self.primary.isChecked())

        original = self.parent_row
        if original is not None:
            # Only what changed, so an old phone number nobody touched is not re-judged.
            fields = {k: v for k, v in fields.items() if v != getattr(original, k)}

        def write(session: Session) -> str:
            if parent_id is None:
                row_id = create_parent(session, campus_id=campus_id, **fields).id
            elif fields:
                row_id = update_parent(session, parent_id, fields).id
            else:
                row_id = parent_id
            if student_id is not None:
                link_parent(
                    session,
                    student_id=student_id,
                    parent_id=row_id,
                    relation=relation,
                    is_primary=is_primary,
                )
            return row_id

        return write


class LinkParentDialog(FormDialog):
    """关联已有家长: pick a parent of the campus (search by name, phone, pinyin) for a student."""

    def __init__(
        self,
        ctx: AppContext,
        student_id: str,
        parents: Sequence[ParentRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, "关联已有家长", parent)
        self.setObjectName("linkParentDialog")
        self.save_label = "关联家长"
        self.save_button.setText("关联")
        self.student_id = student_id
        self.parents = list(parents)
        self.search = SearchBox()
        self.search.setObjectName("parentSearch")
        self.form.addRow("搜索", self.search)
        self.list = self.add_field("家长", "parent_id", QListWidget())
        self.list.setMinimumHeight(220)
        self.relation = self.add_field("关系", "relation", _editable_combo(RELATIONS, "母亲"))
        self.primary = self.add_field("", "is_primary", QCheckBox("设为主要联系人"))
        self.search.textChanged.connect(self._filter)
        self._filter("")
        self.finish_layout()
        self.resize(440, 460)

    def _filter(self, query: str) -> None:
        self.list.clear()
        for row in filter_rows(query, self.parents, lambda r: r.key)[:200]:
            children = "、".join(row.children) or "暂无关联学员"
            item = QListWidgetItem(f"{row.name}  {row.phone}  （{children}）")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def prepare(self) -> Callable[[Session], Any]:
        """Link the chosen parent."""
        item = self.list.currentItem()
        if item is None:
            raise Invalid("parent_id", "请先选择一位家长")
        parent_id = str(item.data(Qt.ItemDataRole.UserRole))
        student_id = self.student_id
        relation = self.relation.currentText()
        is_primary = self.primary.isChecked()
        return lambda s: (
            link_parent(
                s,
                student_id=student_id,
                parent_id=parent_id,
                relation=relation,
                is_primary=is_primary,
            ).id
        )


class CommunicationDialog(FormDialog):
    """添加沟通记录 with one of the student's parents, with an optional next follow-up."""

    def __init__(
        self,
        ctx: AppContext,
        student: StudentDetail,
        staff: Sequence[StaffRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, f"添加沟通记录 — {student.name}", parent)
        self.setObjectName("communicationDialog")
        self.save_label = "保存沟通记录"
        self.student = student
        today = ctx.today()
        self.parent_combo = self.add_field("家长", "parent_id", IdCombo())
        self.parent_combo.set_choices(
            [(f"{p.name}（{p.relation or '家长'}）{p.phone}", p.parent_id) for p in student.parents]
        )
        self.staff = self.add_field("记录人", "staff_id", IdCombo())
        self.staff.set_choices(_staff_choices(staff), current=student.consultant_id)
        self.day = self.add_field("沟通日期", "occurred_on", DateEdit(today))
        self.channel = self.add_field("方式", "channel", QComboBox())
        self.channel.addItems(list(CHANNELS))
        self.content = self.add_field("内容", "content", QPlainTextEdit())
        self.content.setFixedHeight(90)
        self.follow_up = self.add_field(
            "下次跟进", "next_follow_up_on", OptionalDateEdit(around=today)
        )
        self.finish_layout()
        self.resize(460, self.sizeHint().height())

    def prepare(self) -> Callable[[Session], Any]:
        """Add the record through the students service."""
        parent_id = self.parent_combo.current_id()
        if parent_id is None:
            raise Invalid("parent_id", "这名学员还没有家长，请先添加家长")
        staff_id = self.staff.current_id()
        if staff_id is None:
            raise Invalid("staff_id", "请选择记录人")
        args = {
            "parent_id": parent_id,
            "staff_id": staff_id,
            "occurred_on": self.day.day(),
            "channel": self.channel.currentText(),
            "content": self.content.toPlainText(),
            "next_follow_up_on": self.follow_up.optional_day(),
            "student_id": self.student.id,
            "today": self.ctx.today(),
        }
        return lambda s: add_communication(s, **args).id
