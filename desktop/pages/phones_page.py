"""手机 Phones: the embedded server, pairing a phone by QR code, devices, and edit conflicts.

* The server: on/off, and the address(es) staff type or scan — always by IP, since many
  Android browsers do not resolve ``.local`` names (DESIGN.md, The LAN).
* Pairing: pick a staff member, get a one-time token (:func:`shared.auth.create_pairing_token`,
  valid :data:`shared.auth.PAIRING_TTL`) and show ``http://IP:port/#pair=<token>`` as a QR code
  with a countdown; the phone client reads the fragment (never sent to the server in a URL)
  and redeems it at ``/api/pair``.
* Devices (:func:`shared.auth.list_devices`): who, which device, paired when, last seen, and
  a 撤销 button (:func:`shared.auth.revoke_device`).
* Conflicts (:mod:`shared.conflicts`): both values, one-click 恢复原值 or 保留.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.errors import show_error
from desktop.widgets.format import local_time_text
from desktop.widgets.qr import qr_pixmap
from desktop.widgets.tables import ReadOnlyTable
from shared.models import Staff

from .base import Page

if TYPE_CHECKING:
    from shared.auth import DeviceInfo, PairingTicket
    from shared.conflicts import ConflictView

# shared.auth and shared.conflicts (pydantic models, the mutation table) are imported where
# used: this module loads with the window, the page itself only when first shown.

ROLE_NAMES = {"manager": "校长", "front_desk": "前台", "consultant": "课程顾问", "teacher": "教师"}
DEVICE_POLL_MS = 5000  # while the page is visible: a phone that just paired shows up
QR_SIZE = 260


@dataclass(frozen=True)
class StaffChoice:
    """A staff member who can be paired."""

    id: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class PhonesData:
    """What the 手机 page lists."""

    staff: list[StaffChoice]
    devices: list[DeviceInfo]
    conflicts: list[ConflictView]


def load_phones_data(session: Session, campus_id: str) -> PhonesData:
    """Read the pairable staff, the devices and the open conflicts of a campus (worker)."""
    from shared import auth, conflicts

    rows = session.scalars(
        select(Staff)
        .where(Staff.campus_id == campus_id, Staff.is_deleted.is_(False), Staff.active.is_(True))
        .order_by(Staff.name, Staff.id)
    )
    staff = [StaffChoice(s.id, s.name, tuple(s.roles)) for s in rows]
    return PhonesData(
        staff=staff,
        devices=auth.list_devices(session, campus_id=campus_id),
        conflicts=conflicts.list_conflicts(session, campus_id),
    )


def pairing_url(base_url: str, token: str) -> str:
    """The address a phone opens to pair: the token rides in the fragment, not the path."""
    return f"{base_url.rstrip('/')}/#pair={token}"


def value_text(value: object) -> str:
    """A conflict value (JSON form) as the front desk reads it."""
    if value is None or value == "":
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, dict):
        from shared.conflicts import FIELD_LABELS

        return "；".join(f"{FIELD_LABELS.get(k, k)}：{value_text(v)}" for k, v in value.items())
    return str(value)


class PhonesPage(Page):
    """手机: server switch and address, QR pairing, devices with revoke, conflicts."""

    key = "phones"
    title = "手机"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: PhonesData | None = None
        self.ticket: PairingTicket | None = None
        self.pair_url: str | None = None
        self._generation = 0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self._server_box())
        top_row = QHBoxLayout()
        top_row.addWidget(self._pairing_box(), 2)
        top_row.addWidget(self._devices_box(), 3)
        layout.addLayout(top_row, 3)
        layout.addWidget(self._conflicts_box(), 2)

        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._poll = QTimer(self)
        self._poll.setInterval(DEVICE_POLL_MS)
        self._poll.timeout.connect(self._poll_devices)
        if ctx.bridge is not None:
            ctx.bridge.state_changed.connect(self._server_changed)
        self._server_changed()

    # ------------------------------------------------------------------ building

    def _server_box(self) -> QGroupBox:
        box = QGroupBox("手机服务")
        row = QHBoxLayout(box)
        self.server_state = QLabel()
        self.server_state.setObjectName("serverState")
        self.server_state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_state.setWordWrap(True)
        self.server_button = QPushButton()
        self.server_button.setObjectName("serverToggle")
        self.server_button.clicked.connect(self.toggle_server)
        row.addWidget(self.server_state, 1)
        row.addWidget(self.server_button)
        return box

    def _pairing_box(self) -> QGroupBox:
        box = QGroupBox("配对手机")
        column = QVBoxLayout(box)
        hint = QLabel("选择员工，生成二维码，让他用手机扫码（手机需连接同一 Wi-Fi）。")
        hint.setWordWrap(True)
        column.addWidget(hint)
        body = QHBoxLayout()
        self.staff_list = QListWidget()
        self.staff_list.setObjectName("pairStaff")
        self.staff_list.setMinimumWidth(170)
        self.staff_list.currentRowChanged.connect(lambda _row: self._staff_chosen())
        body.addWidget(self.staff_list, 1)
        qr_column = QVBoxLayout()
        self.qr_label = QLabel("尚未生成二维码")
        self.qr_label.setObjectName("pairQr")
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.setFixedSize(QR_SIZE, QR_SIZE)
        self.qr_label.setStyleSheet("QLabel { border: 1px dashed #b0bec5; color: #78909c; }")
        self.countdown_label = QLabel()
        self.countdown_label.setObjectName("pairCountdown")
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A read-only line: the token has no break points, and it can be copied from here.
        self.pair_url_label = QLineEdit()
        self.pair_url_label.setObjectName("pairUrl")
        self.pair_url_label.setReadOnly(True)
        self.pair_url_label.setFixedWidth(QR_SIZE)
        self.pair_url_label.setPlaceholderText("二维码里的网址")
        self.pair_url_label.setStyleSheet("color: #546e7a;")
        self.pair_button = QPushButton("生成配对二维码")
        self.pair_button.setObjectName("pairButton")
        self.pair_button.clicked.connect(self.create_pairing)
        qr_column.addWidget(self.qr_label, 0, Qt.AlignmentFlag.AlignHCenter)
        qr_column.addWidget(self.countdown_label)
        qr_column.addWidget(self.pair_url_label)
        qr_column.addWidget(self.pair_button)
        qr_column.addStretch(1)
        body.addLayout(qr_column)
        column.addLayout(body, 1)
        return box

    def _devices_box(self) -> QGroupBox:
        box = QGroupBox("已配对的设备")
        column = QVBoxLayout(box)
        self.devices_table = ReadOnlyTable(
            ["员工", "设备", "配对时间", "最近在线", "状态", ""], stretch=1
        )
        self.devices_table.setObjectName("devicesTable")
        self.devices_empty = QLabel(
            "还没有配对的手机。在左边选择员工并生成二维码，用手机扫码即可。"
        )
        self.devices_empty.setWordWrap(True)
        self.devices_empty.setStyleSheet("color: #78909c;")
        self.devices_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        column.addWidget(self.devices_empty)
        column.addWidget(self.devices_table, 1)
        return box

    def _conflicts_box(self) -> QGroupBox:
        box = QGroupBox("修改冲突（手机的修改覆盖了别人刚改过的内容）")
        self.conflicts_box = box
        column = QVBoxLayout(box)
        self.conflicts_empty = QLabel("没有待处理的冲突。")
        self.conflicts_empty.setStyleSheet("color: #78909c;")
        self.conflicts_empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.conflicts_table = ReadOnlyTable(
            ["时间", "记录", "项目", "原来的值", "手机改成", "修改人", "", ""], stretch=1
        )
        self.conflicts_table.setObjectName("conflictsTable")
        column.addWidget(self.conflicts_empty)
        column.addWidget(self.conflicts_table, 1)
        column.addStretch(0)
        return box

    # ------------------------------------------------------------------ refresh

    def refresh(self) -> None:
        """Read staff, devices and conflicts of the selected campus."""
        campus_id = self.ctx.campus_id
        assert campus_id is not None  # the window shows a note instead under 全部校区
        self._generation += 1
        generation = self._generation
        self.ctx.ops.read(
            lambda s: load_phones_data(s, campus_id),
            lambda data: self._show(generation, data),
            label="读取数据",
        )

    def _show(self, generation: int, data: PhonesData) -> None:
        if generation != self._generation:
            return
        self.data = data
        self._fill_staff(data.staff)
        self._fill_devices(data.devices)
        self._fill_conflicts(data.conflicts)
        self._server_changed()

    def _fill_staff(self, staff: list[StaffChoice]) -> None:
        chosen = self.chosen_staff_id()
        self.staff_list.blockSignals(True)
        self.staff_list.clear()
        for person in staff:
            roles = "、".join(ROLE_NAMES.get(r, r) for r in person.roles)
            item = QListWidgetItem(f"{person.name}（{roles}）")
            item.setData(Qt.ItemDataRole.UserRole, person.id)
            self.staff_list.addItem(item)
            if person.id == chosen:
                self.staff_list.setCurrentItem(item)
        self.staff_list.blockSignals(False)
        self._update_pair_button()

    def _fill_devices(self, devices: list[DeviceInfo]) -> None:
        table = self.devices_table
        self.devices_empty.setVisible(not devices)
        rows, colors = [], []
        for d in devices:
            state = f"已撤销 {local_time_text(d.revoked_at)}" if d.revoked_at else "有效"
            rows.append(
                [
                    d.staff_name,
                    d.name,
                    local_time_text(d.created_at),
                    local_time_text(d.last_seen_at),
                    state,
                    "",
                ]
            )
            colors.append("#9e9e9e" if d.revoked_at else None)
        table.set_rows(rows, colors=colors, data=[d.device_id for d in devices])
        for r, d in enumerate(devices):
            if d.revoked_at is None:
                button = QPushButton("撤销")
                button.setObjectName(f"revoke_{d.device_id}")
                button.clicked.connect(lambda _c=False, d=d: self.revoke(d))
                table.setCellWidget(r, 5, button)

    def _fill_conflicts(self, items: list[ConflictView]) -> None:
        table = self.conflicts_table
        self.conflicts_empty.setVisible(not items)
        table.setVisible(bool(items))
        # Empty, the section is one line; the pairing area above gets the room.
        self.conflicts_box.setMaximumHeight(16_777_215 if items else 80)
        rows = [
            [
                local_time_text(c.created_at),
                f"{c.table_label} {c.row_label}".strip(),
                c.field_label if c.kind == "same_field" else "（记录已被删除）",
                value_text(c.overwritten_value) if c.kind == "same_field" else "—",
                value_text(c.applied_value),
                c.staff_name or "—",
                "",
                "",
            ]
            for c in items
        ]
        table.set_rows(rows, data=[c.id for c in items])
        for r, c in enumerate(items):
            if c.kind == "same_field":
                revert = QPushButton("恢复原值")
                revert.setObjectName(f"revert_{c.id}")
                revert.setToolTip(f"把“{c.field_label}”改回“{value_text(c.overwritten_value)}”")
                revert.clicked.connect(lambda _c=False, c=c: self.revert(c))
                table.setCellWidget(r, 6, revert)
            keep = QPushButton("保留")
            keep.setObjectName(f"dismiss_{c.id}")
            keep.setToolTip("保留现在的值，不再提示")
            keep.clicked.connect(lambda _c=False, c=c: self.dismiss(c))
            table.setCellWidget(r, 7, keep)

    # ------------------------------------------------------------------ server

    def _server_changed(self, _running: bool | None = None) -> None:
        bridge = self.ctx.bridge
        if bridge is None:
            self.server_state.setText("这个窗口没有内置手机服务。")
            self.server_button.setText("启动服务")
            self.server_button.setEnabled(False)
        elif bridge.running:
            urls = bridge.urls
            self.server_state.setText(
                "<b>运行中</b>。员工手机（同一 Wi-Fi）用浏览器打开："
                + "　".join(f"<b>{u}</b>" for u in urls)
            )
            self.server_button.setText("停止服务")
            self.server_button.setEnabled(True)
        else:
            self.server_state.setText("<b>已停止</b>：手机暂时无法访问，也无法配对。")
            self.server_button.setText("启动服务")
            self.server_button.setEnabled(True)
        if bridge is None or not bridge.running:
            self._clear_ticket("手机服务已停止，二维码不可用" if self.ticket else None)
        self._update_pair_button()

    def toggle_server(self) -> None:
        """Start or stop the embedded server (on a worker: stopping joins its thread)."""
        bridge = self.ctx.bridge
        if bridge is None:
            return
        self.server_button.setEnabled(False)
        if bridge.running:
            self.ctx.ops.run(bridge.stop, lambda _r: self._server_changed(), label="停止手机服务")
        else:
            self.ctx.ops.run(
                bridge.start,
                lambda _r: self._server_changed(),
                on_error=self._server_failed,
                label="启动手机服务",
            )

    def _server_failed(self, exc: BaseException) -> None:
        self._server_changed()
        show_error(self, exc, action="启动手机服务")

    # ------------------------------------------------------------------ pairing

    def chosen_staff_id(self) -> str | None:
        """The staff member selected for pairing."""
        item = self.staff_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def choose_staff(self, staff_id: str) -> None:
        """Select a staff member in the pairing list (as a click would)."""
        for row in range(self.staff_list.count()):
            if self.staff_list.item(row).data(Qt.ItemDataRole.UserRole) == staff_id:
                self.staff_list.setCurrentRow(row)
                return
        raise KeyError(staff_id)

    def _staff_chosen(self) -> None:
        if self.ticket is not None and self.ticket.staff_id != self.chosen_staff_id():
            self._clear_ticket(None)
        self._update_pair_button()

    def _update_pair_button(self) -> None:
        serving = self.ctx.bridge is not None and self.ctx.bridge.running
        self.pair_button.setEnabled(serving and self.chosen_staff_id() is not None)
        if not serving:
            self.pair_button.setToolTip("请先启动手机服务")
        elif self.chosen_staff_id() is None:
            self.pair_button.setToolTip("请先在左边选择员工")
        else:
            self.pair_button.setToolTip("")

    def create_pairing(self) -> None:
        """Create a one-time pairing token for the chosen staff member and show its QR code."""
        staff_id = self.chosen_staff_id()
        bridge = self.ctx.bridge
        if staff_id is None or bridge is None or not bridge.running:
            return
        from shared import auth

        now = self.ctx.now()
        self.ctx.ops.write(
            lambda s: auth.create_pairing_token(s, staff_id=staff_id, now=now),
            self._show_ticket,
            label="生成配对二维码",
        )

    def _show_ticket(self, ticket: PairingTicket) -> None:
        bridge = self.ctx.bridge
        if bridge is None or not bridge.running or not bridge.urls:
            return
        self.ticket = ticket
        self.pair_url = pairing_url(bridge.urls[0], ticket.token)
        self.qr_label.setPixmap(
            qr_pixmap(self.pair_url).scaled(
                QR_SIZE - 4, QR_SIZE - 4, Qt.AspectRatioMode.KeepAspectRatio
            )
        )
        self.qr_label.setStyleSheet("QLabel { background: white; }")
        self.pair_url_label.setText(self.pair_url)
        self.pair_url_label.setCursorPosition(0)
        self._tick()
        self._countdown.start()

    def _tick(self) -> None:
        if self.ticket is None:
            return
        left = int((self.ticket.expires_at - self.ctx.now()).total_seconds())
        if left <= 0:
            self._clear_ticket("二维码已过期，请重新生成")
            return
        name = next(
            (
                p.name
                for p in (self.data.staff if self.data else [])
                if p.id == self.ticket.staff_id
            ),
            "",
        )
        self.countdown_label.setText(f"{name} 的配对二维码，{left // 60}:{left % 60:02d} 后失效")

    def _clear_ticket(self, note: str | None) -> None:
        self.ticket = None
        self.pair_url = None
        self._countdown.stop()
        self.qr_label.clear()
        self.qr_label.setText(note or "尚未生成二维码")
        self.qr_label.setStyleSheet("QLabel { border: 1px dashed #b0bec5; color: #78909c; }")
        self.pair_url_label.setText("")
        self.countdown_label.setText("")

    # ------------------------------------------------------------------ devices, conflicts

    def revoke(self, device: DeviceInfo) -> None:
        """Revoke a device: its token stops working at once (it must pair or log in again)."""
        from shared import auth

        now = self.ctx.now()
        self.ctx.ops.write(
            lambda s: auth.revoke_device(s, device_id=device.device_id, now=now),
            lambda _r: None,
            label="撤销设备",
        )

    def revert(self, conflict: ConflictView) -> None:
        """Write the overwritten value back (a normal edit that phones pull)."""
        from shared import conflicts

        now = self.ctx.now()
        self.ctx.ops.write(
            lambda s: conflicts.revert_conflict(s, conflict.id, now=now),
            lambda _r: None,
            label="恢复原值",
        )

    def dismiss(self, conflict: ConflictView) -> None:
        """Keep the current value and close the conflict."""
        from shared import conflicts

        now = self.ctx.now()
        self.ctx.ops.write(
            lambda s: conflicts.dismiss_conflict(s, conflict.id, now=now),
            lambda _r: None,
            label="保留",
        )

    def _poll_devices(self) -> None:
        if self.isVisible() and self.ctx.campus_id is not None and not self.ctx.ops.pending:
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        """Poll the device list while visible, so a phone that just paired shows up."""
        self._poll.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name
        """Stop polling while hidden."""
        self._poll.stop()
        super().hideEvent(event)
