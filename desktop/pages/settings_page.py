"""设置 Settings: backup and restore, campus details, the stage list, day weights.

* 立即备份: a consistent copy of the live file (SQLite's online backup, even while phones
  write) to a chosen file, default name ``达标备份-YYYYMMDD-HHMMSS.dabiao``.
* 自动备份: on or off, folder, how many daily / weekly / monthly backups to keep; the rule and
  the thinning are :mod:`shared.backups`, the timer is :mod:`desktop.auto_backup`. These
  settings belong to this PC (a folder path), so they live in the desktop's preferences.
* 从备份恢复: the chosen file is checked first (:func:`shared.backups.check_backup`), the
  person confirms, then :meth:`desktop.context.AppContext.restore` swaps the file (server
  stopped, safety copy kept beside it, server restarted).
* 校区信息, 环节设置 and 日期权重 are saved through :mod:`shared.services.settings`, whose
  validation messages show as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.config import AutoBackup, data_dir
from desktop.context import AppContext
from desktop.errors import show_error, show_info
from desktop.first_run import FILE_FILTER
from desktop.operations import current_job
from shared.backups import (
    backup_file_name,
    backup_now,
    check_backup,
    list_backups,
    local_now,
)
from shared.day_weights import DAY_TYPE_NAMES, DayType, DayWeightProfile, holiday_data_available
from shared.db import CheckReport
from shared.errors import Invalid
from shared.services import settings as settings_service
from shared.services.settings import CampusDetails, StageEdit, StageRow

from .base import Page


@dataclass(frozen=True)
class SettingsData:
    """What the 设置 page shows of the campus."""

    campus: CampusDetails
    stages: list[StageRow]
    profile: DayWeightProfile


def load_settings(session: Session, campus_id: str) -> SettingsData:
    """Read the campus's details, stages and day weights (worker)."""
    return SettingsData(
        campus=settings_service.campus_details(session, campus_id),
        stages=settings_service.list_stages(session, campus_id),
        profile=settings_service.day_weight_profile(session, campus_id),
    )


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #607d8b;")
    return label


class SettingsPage(Page):
    """设置: 备份与恢复, 校区信息, 环节设置, 日期权重."""

    key = "settings"
    title = "设置"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: SettingsData | None = None
        self.last_backup: Path | None = None
        self.last_safety_copy: Path | None = None
        self.confirm_box: QMessageBox | None = None
        self._generation = 0
        # Sections with unsaved edits: a background refresh (a phone's push) must not wipe
        # what the person is typing; saving clears the mark.
        self.dirty: set[str] = set()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._backup_tab(), "备份与恢复")
        self.tabs.addTab(self._campus_tab(), "校区信息")
        self.tabs.addTab(self._stages_tab(), "环节设置")
        self.tabs.addTab(self._weights_tab(), "日期权重")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.tabs)
        ctx.auto_backup.outcome_changed.connect(self._show_auto_outcome)
        self._load_auto_settings()

    # ================================================================== backup and restore

    def _backup_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)

        now_box = QGroupBox("立即备份")
        now_layout = QVBoxLayout(now_box)
        now_layout.addWidget(
            _hint(
                "把当前数据完整复制成一个文件（手机正在使用时也可以）。"
                "建议保存到 U 盘或另一块硬盘。"
            )
        )
        row = QHBoxLayout()
        self.backup_button = QPushButton("立即备份…")
        self.backup_button.setObjectName("backupNow")
        self.backup_button.clicked.connect(self._choose_backup_file)
        self.backup_progress = QProgressBar()
        self.backup_progress.setRange(0, 100)
        self.backup_progress.setVisible(False)
        self.backup_status = QLabel()
        self.backup_status.setObjectName("backupStatus")
        self.backup_status.setWordWrap(True)
        self.backup_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_progress.setMaximumWidth(360)
        row.addWidget(self.backup_button)
        row.addWidget(self.backup_progress)
        row.addStretch(1)
        now_layout.addLayout(row)
        now_layout.addWidget(self.backup_status)
        column.addWidget(now_box)

        auto_box = QGroupBox("自动备份")
        form = QFormLayout(auto_box)
        self.auto_enabled = QCheckBox("每天自动备份一次（程序打开时，以及关闭程序时）")
        self.auto_folder = QLineEdit()
        self.auto_folder.setPlaceholderText("选择一个文件夹，最好在另一块硬盘或 U 盘上")
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._choose_auto_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.auto_folder, 1)
        folder_row.addWidget(browse)
        self.keep_daily = QSpinBox()
        self.keep_weekly = QSpinBox()
        self.keep_monthly = QSpinBox()
        keep_row = QHBoxLayout()
        for label, box, most in (
            ("最近", self.keep_daily, 366),
            ("天各一份，最近", self.keep_weekly, 520),
            ("周各一份，最近", self.keep_monthly, 1200),
        ):
            box.setRange(0, most)
            keep_row.addWidget(QLabel(label))
            keep_row.addWidget(box)
        keep_row.addWidget(QLabel("个月各一份"))
        keep_row.addStretch(1)
        self.auto_save = QPushButton("保存自动备份设置")
        self.auto_save.setObjectName("saveAutoBackup")
        self.auto_save.clicked.connect(self.save_auto_backup)
        self.auto_status = QLabel()
        self.auto_status.setObjectName("autoBackupStatus")
        self.auto_status.setWordWrap(True)
        form.addRow(self.auto_enabled)
        form.addRow("备份文件夹", folder_row)
        form.addRow("保留", keep_row)
        save_row = QHBoxLayout()
        save_row.addWidget(self.auto_save)
        save_row.addStretch(1)
        form.addRow(save_row)
        form.addRow(self.auto_status)
        column.addWidget(auto_box)

        restore_box = QGroupBox("从备份恢复")
        restore_layout = QVBoxLayout(restore_box)
        restore_layout.addWidget(
            _hint(
                "用一个备份文件替换当前数据。恢复前会先检查备份文件，并把当前数据另存一份"
                "（文件名含“恢复前”），放在同一文件夹里。恢复期间手机服务会暂停。"
            )
        )
        self.restore_button = QPushButton("选择备份文件并恢复…")
        self.restore_button.setObjectName("restoreBackup")
        self.restore_button.clicked.connect(self._choose_restore_file)
        self.restore_status = QLabel()
        self.restore_status.setObjectName("restoreStatus")
        self.restore_status.setWordWrap(True)
        self.restore_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        restore_layout.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignLeft)
        restore_layout.addWidget(self.restore_status)
        column.addWidget(restore_box)
        column.addStretch(1)
        return tab

    def _choose_backup_file(self) -> None:
        folder = self.last_backup.parent if self.last_backup else data_dir()
        suggested = folder / backup_file_name(local_now())
        chosen, _ = QFileDialog.getSaveFileName(self, "备份到", str(suggested), FILE_FILTER)
        if chosen:
            self.backup_to(Path(chosen))

    def backup_to(self, dest: Path) -> None:
        """Back the live file up to ``dest`` on a worker, with progress."""
        path = self.ctx.path

        def work() -> Path:
            job = current_job()
            job.report(5, "正在备份…")
            return backup_now(
                path, dest, progress=lambda done, total: job.report(int(100 * done / max(total, 1)))
            )

        self.backup_button.setEnabled(False)
        self.backup_progress.setVisible(True)
        self.backup_progress.setValue(0)
        self.backup_status.setText("正在备份…")
        self.ctx.ops.run(
            work,
            self._backed_up,
            on_error=self._backup_failed,
            label="立即备份",
            progress=lambda percent, _text: self.backup_progress.setValue(percent),
        )

    def _backed_up(self, written: Path) -> None:
        self.last_backup = written
        self.backup_button.setEnabled(True)
        self.backup_progress.setVisible(False)
        size = written.stat().st_size
        self.backup_status.setText(f"已备份到 {written}（{size / 1024 / 1024:.1f} MB）")

    def _backup_failed(self, exc: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self.backup_progress.setVisible(False)
        self.backup_status.setText("备份没有完成。")
        show_error(self, exc, action="立即备份")

    # ------------------------------------------------------------------ automatic backups

    def _load_auto_settings(self) -> None:
        settings = self.ctx.auto_backup.settings
        self.auto_enabled.setChecked(settings.enabled)
        self.auto_folder.setText(settings.folder)
        self.keep_daily.setValue(settings.keep_daily)
        self.keep_weekly.setValue(settings.keep_weekly)
        self.keep_monthly.setValue(settings.keep_monthly)
        self._show_auto_outcome()

    def _choose_auto_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "自动备份文件夹", self.auto_folder.text())
        if chosen:
            self.auto_folder.setText(chosen)

    def save_auto_backup(self) -> None:
        """Validate and remember the automatic backup settings; back up now if due."""
        settings = AutoBackup(
            enabled=self.auto_enabled.isChecked(),
            folder=self.auto_folder.text().strip(),
            keep_daily=self.keep_daily.value(),
            keep_weekly=self.keep_weekly.value(),
            keep_monthly=self.keep_monthly.value(),
        )
        try:
            if settings.enabled and not settings.folder:
                raise Invalid("folder", "请先选择自动备份的文件夹")
            if settings.enabled and not Path(settings.folder).is_dir():
                raise Invalid("folder", f"文件夹“{settings.folder}”不存在")
            self.ctx.auto_backup.save_settings(settings)
        except Invalid as exc:
            show_error(self, exc, action="保存自动备份设置")
            return
        self._show_auto_outcome()

    def _show_auto_outcome(self) -> None:
        settings = self.ctx.auto_backup.settings
        if not settings.enabled:
            self.auto_status.setText("自动备份未开启。")
            return
        parts = []
        last = self.ctx.auto_backup.last
        if last is not None and last.error:
            parts.append(f"<span style='color:#c62828'>{last.at} 自动备份失败：{last.error}</span>")
        elif last is not None and last.result is not None:
            result = last.result
            wrote = f"写入 {result.written.name}" if result.written else "今天已有备份"
            removed = f"，清理旧备份 {len(result.removed)} 个" if result.removed else ""
            parts.append(f"{last.at} 自动备份：{wrote}{removed}")
        try:
            backups = list_backups(Path(settings.folder))
        except Exception:  # noqa: BLE001 - an unreadable folder is reported by the run itself
            backups = []
        if backups:
            parts.append(
                f"文件夹中有 {len(backups)} 个备份，最新一个是 "
                f"{backups[0].taken_at:%Y-%m-%d %H:%M}。"
            )
        self.auto_status.setText("<br>".join(parts) or "已开启，稍后进行第一次备份。")

    # ------------------------------------------------------------------ restore

    def _choose_restore_file(self) -> None:
        start = self.auto_folder.text() or str(data_dir())
        chosen, _ = QFileDialog.getOpenFileName(self, "选择备份文件", start, FILE_FILTER)
        if chosen:
            self.restore_from(Path(chosen))

    def restore_from(self, backup: Path) -> None:
        """Check ``backup`` on a worker, then ask for confirmation (see :attr:`confirm_box`)."""
        self.restore_status.setText(f"正在检查 {backup.name}…")
        self.restore_button.setEnabled(False)
        self.ctx.ops.run(
            lambda: check_backup(backup),
            lambda report: self._confirm_restore(backup, report),
            on_error=self._restore_failed,
            label="检查备份文件",
        )

    def _confirm_restore(self, backup: Path, report: CheckReport) -> None:
        rows = report.row_counts
        summary = (
            f"学员 {rows.get('students', 0)} 人，订单 {rows.get('orders', 0)} 个，"
            f"排课 {rows.get('lessons', 0)} 节"
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "确认恢复",
            f"用备份“{backup.name}”替换当前数据吗？\n\n备份内容：{summary}。\n\n"
            "当前数据会先另存一份（文件名含“恢复前”）。恢复期间手机服务暂停。",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("confirmRestore")
        box.button(QMessageBox.StandardButton.Yes).setText("恢复")
        box.button(QMessageBox.StandardButton.Cancel).setText("取消")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(button: object) -> None:
            self.confirm_box = None
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self._restore(backup)
            else:
                self.restore_button.setEnabled(True)
                self.restore_status.setText("已取消恢复。")

        box.buttonClicked.connect(answered)
        self.confirm_box = box
        box.open()

    def _restore(self, backup: Path) -> None:
        self.restore_status.setText("正在恢复…")
        self.ctx.restore(backup, self._restored, on_error=self._restore_failed)

    def _restored(self, safety: Path) -> None:
        self.last_safety_copy = safety
        self.restore_button.setEnabled(True)
        self.restore_status.setText(f"已恢复。恢复前的数据另存为：{safety}")
        show_info(self, "恢复完成", f"已从备份恢复。\n恢复前的数据另存为：\n{safety}")

    def _restore_failed(self, exc: BaseException) -> None:
        self.restore_button.setEnabled(True)
        self.restore_status.setText("没有恢复，当前数据未改动。")
        show_error(self, exc, action="从备份恢复")

    # ================================================================== campus details

    def _campus_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.campus_name = QLineEdit()
        self.campus_code = QLineEdit()
        self.campus_address = QLineEdit()
        self.campus_phone = QLineEdit()
        for edit in (self.campus_name, self.campus_address):
            edit.setMinimumWidth(420)
        for edit in (self.campus_name, self.campus_code, self.campus_address, self.campus_phone):
            edit.textEdited.connect(lambda _t: self.dirty.add("campus"))
        form.addRow("校区名称", self.campus_name)
        form.addRow("校区编号", self.campus_code)
        form.addRow("地址", self.campus_address)
        form.addRow("电话", self.campus_phone)
        self.campus_save = QPushButton("保存校区信息")
        self.campus_save.setObjectName("saveCampus")
        self.campus_save.clicked.connect(self.save_campus)
        save_row = QHBoxLayout()
        save_row.addWidget(self.campus_save)
        save_row.addStretch(1)
        form.addRow(save_row)
        form.addRow(_hint("校区名称显示在窗口标题、手机登录页和局域网广播里。"))
        return tab

    def save_campus(self) -> None:
        """Save the campus details (validated by the service)."""
        campus_id = self.ctx.campus_id
        assert campus_id is not None
        name, code = self.campus_name.text(), self.campus_code.text()
        address, phone = self.campus_address.text(), self.campus_phone.text()
        self.ctx.ops.write(
            lambda s: settings_service.edit_campus(
                s, campus_id, name=name, code=code, address=address, phone=phone
            ),
            self._campus_saved,
            label="保存校区信息",
        )

    def _campus_saved(self, details: CampusDetails) -> None:
        self.dirty.discard("campus")
        self.ctx.reload_campuses()  # the title and the selector show the new name

    # ================================================================== stages

    def _stages_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(
            _hint(
                "环节是可以计数的工作步骤。可以改名、调整顺序、停用或添加自定义环节；"
                "用过的环节不能删除，不再使用请取消“启用”。邀约、到访、试听、签单用于漏斗和诊断。"
            )
        )
        self.stages_table = QTableWidget(0, 3)
        self.stages_table.setObjectName("stagesTable")
        self.stages_table.setHorizontalHeaderLabels(["名称", "启用", "类型"])
        self.stages_table.setMaximumWidth(640)
        self.stages_table.verticalHeader().setVisible(False)
        self.stages_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.stages_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.stages_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.stages_table.itemChanged.connect(lambda _item: self.dirty.add("stages"))
        column.addWidget(self.stages_table, 1)
        buttons = QHBoxLayout()
        up = QPushButton("上移")
        down = QPushButton("下移")
        add = QPushButton("添加环节")
        self.stages_save = QPushButton("保存环节设置")
        self.stages_save.setObjectName("saveStages")
        up.clicked.connect(lambda: self.move_stage(-1))
        down.clicked.connect(lambda: self.move_stage(1))
        add.clicked.connect(lambda: self.add_stage_row("新环节"))
        self.stages_save.clicked.connect(self.save_stages)
        for button in (up, down, add):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.stages_save)
        column.addLayout(buttons)
        return tab

    def _set_stage_row(self, row: int, stage_id: str | None, name: str, active: bool, kind: str):
        name_item = QTableWidgetItem(name)
        name_item.setData(Qt.ItemDataRole.UserRole, stage_id)
        active_item = QTableWidgetItem()
        active_item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        active_item.setCheckState(Qt.CheckState.Checked if active else Qt.CheckState.Unchecked)
        kind_item = QTableWidgetItem(kind)
        kind_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.stages_table.setItem(row, 0, name_item)
        self.stages_table.setItem(row, 1, active_item)
        self.stages_table.setItem(row, 2, kind_item)

    def _fill_stages(self, stages: list[StageRow]) -> None:
        self.stages_table.blockSignals(True)
        self.stages_table.setRowCount(len(stages))
        for row, stage in enumerate(stages):
            kind = "内置" if stage.is_default else "自定义"
            self._set_stage_row(row, stage.id, stage.name, stage.active, kind)
        self.stages_table.blockSignals(False)
        self.dirty.discard("stages")

    def stage_edits(self) -> list[StageEdit]:
        """The stage list as currently edited in the table, in table order."""
        edits = []
        for row in range(self.stages_table.rowCount()):
            name_item = self.stages_table.item(row, 0)
            active_item = self.stages_table.item(row, 1)
            edits.append(
                StageEdit(
                    id=name_item.data(Qt.ItemDataRole.UserRole),
                    name=name_item.text(),
                    active=active_item.checkState() == Qt.CheckState.Checked,
                )
            )
        return edits

    def move_stage(self, step: int) -> None:
        """Move the selected stage up (-1) or down (+1) in the table."""
        row = self.stages_table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.stages_table.rowCount():
            return
        edits = self.stage_edits()
        kinds = [self.stages_table.item(r, 2).text() for r in range(len(edits))]
        edits[row], edits[target] = edits[target], edits[row]
        kinds[row], kinds[target] = kinds[target], kinds[row]
        for r in (row, target):
            self._set_stage_row(r, edits[r].id, edits[r].name, edits[r].active, kinds[r])
        self.stages_table.selectRow(target)
        self.dirty.add("stages")

    def add_stage_row(self, name: str) -> None:
        """Append a new (unsaved) stage and start editing its name."""
        row = self.stages_table.rowCount()
        self.stages_table.setRowCount(row + 1)
        self._set_stage_row(row, None, name, True, "自定义")
        self.dirty.add("stages")
        self.stages_table.setCurrentCell(row, 0)
        self.stages_table.editItem(self.stages_table.item(row, 0))

    def save_stages(self) -> None:
        """Save the whole stage list (validated by the service)."""
        campus_id = self.ctx.campus_id
        assert campus_id is not None
        edits = self.stage_edits()
        self.ctx.ops.write(
            lambda s: settings_service.save_stage_list(s, campus_id, edits),
            self._fill_stages,
            label="保存环节设置",
        )

    # ================================================================== day weights

    def _weights_tab(self) -> QWidget:
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addWidget(
            _hint(
                "培训机构周末和寒暑假最忙。每种日子的权重决定目标按天分摊的比例，"
                "也决定看板上“应完成”的进度。修改后，已分解的目标金额不变，进度立即按新权重计算。"
            )
        )
        weights_box = QGroupBox("每种日子的权重（0–100）")
        form = QFormLayout(weights_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.weight_boxes: dict[DayType, QSpinBox] = {}
        for day_type in DayType:
            box = QSpinBox()
            box.setRange(0, 100)
            box.setMinimumWidth(90)
            box.valueChanged.connect(lambda _v: self.dirty.add("weights"))
            self.weight_boxes[day_type] = box
            form.addRow(DAY_TYPE_NAMES[day_type], box)
        column.addWidget(weights_box)
        vacations_box = QGroupBox("寒暑假（每年重复，月-日，例如 07-08 至 08-31）")
        vacations_layout = QVBoxLayout(vacations_box)
        self.vacations_table = QTableWidget(0, 2)
        self.vacations_table.setObjectName("vacationsTable")
        self.vacations_table.setHorizontalHeaderLabels(["开始（月-日）", "结束（月-日）"])
        self.vacations_table.verticalHeader().setVisible(False)
        self.vacations_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.vacations_table.setMaximumHeight(180)
        self.vacations_table.setMaximumWidth(480)
        self.vacations_table.itemChanged.connect(lambda _item: self.dirty.add("weights"))
        vacations_layout.addWidget(self.vacations_table)
        row = QHBoxLayout()
        add = QPushButton("添加假期")
        remove = QPushButton("删除选中假期")
        add.clicked.connect(lambda: self.add_vacation_row("07-01", "08-31"))
        remove.clicked.connect(self._remove_vacation_row)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        vacations_layout.addLayout(row)
        column.addWidget(vacations_box)
        self.calendar_note = _hint("")
        column.addWidget(self.calendar_note)
        self.weights_save = QPushButton("保存日期权重")
        self.weights_save.setObjectName("saveWeights")
        self.weights_save.clicked.connect(self.save_weights)
        column.addWidget(self.weights_save, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        return tab

    def add_vacation_row(self, start: str, end: str) -> None:
        """Append a vacation range to the table (saved with 保存日期权重)."""
        self.dirty.add("weights")
        row = self.vacations_table.rowCount()
        self.vacations_table.setRowCount(row + 1)
        self.vacations_table.setItem(row, 0, QTableWidgetItem(start))
        self.vacations_table.setItem(row, 1, QTableWidgetItem(end))

    def _remove_vacation_row(self) -> None:
        row = self.vacations_table.currentRow()
        if row >= 0:
            self.vacations_table.removeRow(row)
            self.dirty.add("weights")

    def _fill_weights(self, profile: DayWeightProfile) -> None:
        for day_type, box in self.weight_boxes.items():
            box.blockSignals(True)
            box.setValue(profile.weights[day_type])
            box.blockSignals(False)
        self.vacations_table.blockSignals(True)
        self.vacations_table.setRowCount(0)
        for start, end in profile.vacations:
            self.add_vacation_row(start, end)
        self.vacations_table.blockSignals(False)
        self.dirty.discard("weights")
        year = self.ctx.today().year
        missing = [y for y in (year, year + 1) if not holiday_data_available(y)]
        self.calendar_note.setText(
            f"{'、'.join(map(str, missing))} 年的法定节假日安排尚未公布，这些年份只按周末计算。"
            if missing
            else ""
        )

    def save_weights(self) -> None:
        """Save the day weights and vacation ranges (validated by the service)."""
        campus_id = self.ctx.campus_id
        assert campus_id is not None
        weights = {t.value: box.value() for t, box in self.weight_boxes.items()}
        vacations = []
        for row in range(self.vacations_table.rowCount()):
            cells = [self.vacations_table.item(row, c) for c in (0, 1)]
            vacations.append(tuple(c.text() if c is not None else "" for c in cells))
        self.ctx.ops.write(
            lambda s: settings_service.save_day_weights(s, campus_id, weights, vacations),
            self._fill_weights,
            label="保存日期权重",
        )

    # ================================================================== refresh

    def refresh(self) -> None:
        """Read the campus's details, stages and day weights."""
        campus_id = self.ctx.campus_id
        assert campus_id is not None  # the window shows a note instead under 全部校区
        self._generation += 1
        generation = self._generation
        self.ctx.ops.read(
            lambda s: load_settings(s, campus_id),
            lambda data: self._show(generation, data),
            label="读取数据",
        )
        self._load_auto_settings()

    def _show(self, generation: int, data: SettingsData) -> None:
        if generation != self._generation:
            return
        self.data = data
        if "campus" not in self.dirty:
            self.campus_name.setText(data.campus.name)
            self.campus_code.setText(data.campus.code)
            self.campus_address.setText(data.campus.address)
            self.campus_phone.setText(data.campus.phone)
        if "stages" not in self.dirty:
            self._fill_stages(data.stages)
        if "weights" not in self.dirty:
            self._fill_weights(data.profile)
