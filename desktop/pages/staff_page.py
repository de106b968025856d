"""员工: the campus's staff with roles, hiring and editing, 停用/复职 and PIN resets.

The rules — roles, phone format, a campus always keeping an active manager, PINs stored only
hashed — are in :mod:`shared.services.staff`; a refusal is shown in Chinese.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.dialogs.staff_dialogs import PinDialog, StaffDialog
from desktop.dialogs.widgets import (
    MUTED,
    Column,
    RowsModel,
    SearchBox,
    confirm,
    date_text,
    make_table,
    select_where,
    selected_row,
    write_from,
)
from desktop.errors import show_info
from shared.search import filter_rows
from shared.services.staff import StaffRow, deactivate_staff, list_staff, reactivate_staff

from .base import Page


def _muted(row: StaffRow) -> Any:
    return None if row.active else MUTED


class StaffPage(Page):
    """员工: list, 新建员工, 编辑, 停用/复职, 重置 PIN."""

    key = "staff"
    title = "员工"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rows: list[StaffRow] = []
        self.dialog: QWidget | None = None  # the dialog or question opened last (tests use it)
        self._select_id: str | None = None

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = SearchBox()
        self.search.setObjectName("staffSearch")
        self.show_inactive = QCheckBox("显示离职员工")
        self.show_inactive.setObjectName("showInactive")
        self.count_label = QLabel("")
        self.count_label.setObjectName("staffCount")
        self.new_button = QPushButton("新建员工")
        self.new_button.setObjectName("newStaffButton")
        self.edit_button = QPushButton("编辑")
        self.edit_button.setObjectName("editStaffButton")
        self.active_button = QPushButton("停用")
        self.active_button.setObjectName("toggleActiveButton")
        self.pin_button = QPushButton("重置 PIN")
        self.pin_button.setObjectName("resetPinButton")
        bar.addWidget(self.search)
        bar.addWidget(self.show_inactive)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        for button in (self.new_button, self.edit_button, self.active_button, self.pin_button):
            bar.addWidget(button)
        bar.addWidget(self.make_export_button())
        layout.addLayout(bar)

        self.model: RowsModel[StaffRow] = RowsModel(
            [
                Column("姓名", lambda r: r.name, color=_muted, width=100),
                Column("电话", lambda r: r.phone, color=_muted, width=140),
                Column("角色", lambda r: r.role_names, color=_muted, width=220),
                Column("状态", lambda r: "在职" if r.active else "离职", color=_muted, width=70),
                Column("入职日期", lambda r: date_text(r.hired_on), color=_muted),
            ]
        )
        self.table = make_table(self.model, "staffTable")
        layout.addWidget(self.table, 1)
        hint = QLabel("员工用手机登录时选择自己的名字并输入 PIN；忘记 PIN 时由校长在这里重置。")
        hint.setStyleSheet("color: #666;")
        layout.addWidget(hint)

        self.search.textChanged.connect(self._apply_filter)
        self.show_inactive.toggled.connect(self._apply_filter)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.edit_staff)
        self.new_button.clicked.connect(self.new_staff)
        self.edit_button.clicked.connect(self.edit_staff)
        self.active_button.clicked.connect(self.toggle_active)
        self.pin_button.clicked.connect(self.reset_pin)
        self._update_buttons()

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """The staff list as filtered now."""
        return [("员工", self.table)]

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Reload the staff list."""
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        self.ctx.ops.read(lambda s: list_staff(s, campus_id), self._loaded)

    def _loaded(self, rows: list[StaffRow]) -> None:
        self.rows = rows
        self._apply_filter()

    def _apply_filter(self, *_args: Any) -> None:
        current = self.selected_staff()
        keep = self._select_id or (current.id if current else None)
        self._select_id = None
        rows = [r for r in self.rows if r.active or self.show_inactive.isChecked()]
        rows = filter_rows(self.search.text(), rows, lambda r: r.key)
        self.model.set_rows(rows)
        active = sum(1 for r in rows if r.active)
        left = len(rows) - active
        self.count_label.setText(f"在职 {active} 人" + (f"，离职 {left} 人" if left else ""))
        if keep is not None:
            select_where(self.table, self.model, lambda r: r.id == keep)
        self._update_buttons()

    def selected_staff(self) -> StaffRow | None:
        """The staff member selected in the list."""
        return selected_row(self.table, self.model)

    def _update_buttons(self, *_args: Any) -> None:
        row = self.selected_staff()
        for button in (self.edit_button, self.active_button, self.pin_button):
            button.setEnabled(row is not None)
        self.active_button.setText("复职" if row is not None and not row.active else "停用")
        self.pin_button.setEnabled(row is not None and row.active)

    # ------------------------------------------------------------------ actions

    def new_staff(self) -> StaffDialog:
        """Open 新建员工."""
        dialog = StaffDialog(self.ctx, parent=self)
        dialog.saved.connect(self._hired)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _hired(self, result: object) -> None:
        staff_id, pin = result  # type: ignore[misc]
        self._select_id = str(staff_id)
        self.search.clear()
        dialog = self.dialog
        name = dialog.name.text().strip() if isinstance(dialog, StaffDialog) else ""
        self.dialog = show_info(
            self.window(),
            "员工已保存",
            f"{name} 的手机登录 PIN：{pin}\n请当面告知本人；关闭后不会再显示。",
        )

    def edit_staff(self, *_args: Any) -> StaffDialog | None:
        """Open 编辑员工 for the selected person."""
        row = self.selected_staff()
        if row is None:
            return None
        dialog = StaffDialog(self.ctx, row, parent=self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def toggle_active(self) -> None:
        """Ask, then deactivate (停用) or bring back (复职) the selected person."""
        row = self.selected_staff()
        if row is None:
            return
        staff_id = row.id
        if row.active:
            self.dialog = confirm(
                self,
                "停用员工",
                f"确定停用“{row.name}”吗？停用后不能再登录，也不能再被安排新的课程和订单；"
                "已有的记录保持不变。",
                lambda: write_from(
                    self, self.ctx, lambda s: deactivate_staff(s, staff_id), "停用员工"
                ),
                yes="停用",
            )
        else:
            write_from(self, self.ctx, lambda s: reactivate_staff(s, staff_id), "复职")

    def reset_pin(self) -> PinDialog | None:
        """Open 重置 PIN for the selected person."""
        row = self.selected_staff()
        if row is None or not row.active:
            return None
        dialog = PinDialog(self.ctx, row, parent=self)
        self.dialog = dialog
        dialog.open()
        return dialog
