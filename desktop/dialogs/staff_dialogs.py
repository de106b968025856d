"""Dialogs of the 员工 page: 新建/编辑员工 (name, phone, roles) and 重置 PIN.

A PIN is shown exactly once, in the dialog that set it: the database keeps only its hash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from shared.errors import Invalid
from shared.models import Role
from shared.services.staff import ROLE_NAMES, StaffRow, create_staff, reset_pin, update_staff

from .widgets import FormDialog

PIN_STYLE = "font-size: 28px; font-weight: bold; letter-spacing: 6px; padding: 8px;"


class StaffDialog(FormDialog):
    """新建员工 (with a PIN, typed or random) or 编辑员工."""

    def __init__(
        self, ctx: AppContext, row: StaffRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "编辑员工" if row else "新建员工", parent)
        self.setObjectName("staffDialog")
        self.save_label = "保存员工"
        self.row = row
        self.name = self.add_field("姓名", "name", QLineEdit())
        self.phone = self.add_field("电话", "phone", QLineEdit())
        self.phone.setPlaceholderText("手机号（可不填）")
        roles_box = QWidget()
        roles_layout = QHBoxLayout(roles_box)
        roles_layout.setContentsMargins(0, 0, 0, 0)
        self.role_boxes: dict[Role, QCheckBox] = {}
        for role, label in ROLE_NAMES.items():
            box = QCheckBox(label)
            box.setObjectName(f"role_{role.value}")
            roles_layout.addWidget(box)
            self.role_boxes[role] = box
        roles_layout.addStretch(1)
        self.add_field("角色", "roles", roles_box)
        self.pin: QLineEdit | None = None
        if row is None:
            self.pin = self.add_field("PIN", "pin", QLineEdit())
            self.pin.setPlaceholderText("4–8 位数字；留空则随机生成 6 位")
            self.pin.setMaxLength(8)
        else:
            self.name.setText(row.name)
            self.phone.setText(row.phone)
            for role, box in self.role_boxes.items():
                box.setChecked(row.has_role(role))
        self.finish_layout()
        self.resize(440, self.sizeHint().height())

    def roles(self) -> list[str]:
        """The ticked roles."""
        return [role.value for role, box in self.role_boxes.items() if box.isChecked()]

    def prepare(self) -> Callable[[Session], Any]:
        """Hire (returning the id and the PIN to hand over) or update the staff member."""
        name, phone, roles = self.name.text(), self.phone.text(), self.roles()
        if self.row is not None:
            # Only what changed (None leaves a field alone), so an untouched old phone number
            # is not re-judged.
            row = self.row
            changes = {
                "name": name if name != row.name else None,
                "phone": phone if phone != row.phone else None,
                "roles": roles if tuple(roles) != row.roles else None,
            }
            return lambda s: (update_staff(s, row.id, **changes).id, None)
        campus_id = self.ctx.campus_id
        pin = self.pin.text().strip() if self.pin is not None else ""

        def write(session: Session) -> tuple[str, str]:
            staff, new_pin = create_staff(
                session, campus_id=campus_id, name=name, roles=roles, phone=phone, pin=pin or None
            )
            return staff.id, new_pin

        return write


class PinDialog(FormDialog):
    """重置 PIN: a random six-digit PIN or one the manager types; shown once, then gone."""

    def __init__(self, ctx: AppContext, row: StaffRow, parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"重置 PIN — {row.name}", parent)
        self.setObjectName("pinDialog")
        self.save_label = "重置 PIN"
        self.save_button.setText("重置")
        self.row = row
        self.random = QRadioButton("随机生成 6 位数字")
        self.random.setObjectName("randomPin")
        self.random.setChecked(True)
        self.typed = QRadioButton("手动输入：")
        self.typed.setObjectName("typedPin")
        self.form.addRow(self.random)
        self.pin = QLineEdit()
        self.pin.setMaxLength(8)
        self.pin.setPlaceholderText("4–8 位数字")
        self.pin.setEnabled(False)
        self.form.addRow(self.typed, self.pin)
        self.fields["pin"] = self.pin
        self.typed.toggled.connect(self.pin.setEnabled)
        self.result_label = QLabel("")
        self.result_label.setObjectName("newPin")
        self.result_label.setStyleSheet(PIN_STYLE)
        self.result_label.hide()
        self.note = QLabel("")
        self.note.setObjectName("pinNote")
        self.note.setWordWrap(True)
        self.note.hide()
        self.body.addWidget(self.result_label)
        self.body.addWidget(self.note)
        self.new_pin: str | None = None
        self.finish_layout()
        self.resize(400, self.sizeHint().height())

    def prepare(self) -> Callable[[Session], Any]:
        """Reset the PIN (typed or random) through the staff service."""
        typed = self.pin.text().strip() if self.typed.isChecked() else None
        if self.typed.isChecked() and not typed:
            raise Invalid("pin", "请输入新的 PIN，或选择随机生成")
        staff_id = self.row.id
        return lambda s: reset_pin(s, staff_id, typed)

    def _done(self, result: object) -> None:
        # Stay open: the new PIN is shown here once and never again.
        self.new_pin = str(result)
        self.saved.emit(result)
        for widget in (self.random, self.typed, self.pin, self.save_button):
            widget.setEnabled(False)
        self.save_button.hide()
        self.cancel_button.setText("关闭")
        self.result_label.setText(self.new_pin)
        self.result_label.show()
        self.note.setText(
            f"这是 {self.row.name} 的新 PIN，请当面告知本人。关闭后不会再显示，"
            "旧 PIN 已失效，错误次数锁定也已解除。"
        )
        self.note.show()
