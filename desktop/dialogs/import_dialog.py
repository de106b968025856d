"""导入数据: the dialog that imports a school's records from .xlsx or .csv.

Steps, each off the GUI thread through ``ctx.ops``:

1. 保存导入模板 writes the template (:func:`shared.transfer.write_template`);
2. 选择文件 reads and checks the file (:func:`shared.transfer.plan_import`, nothing written);
   the dialog shows rows per sheet, the first rows of each sheet, the staff that will be
   created, every problem by 表/行/列, and the duplicate students, each with 合并/跳过 (and
   全部合并 / 全部跳过);
3. 导入 (enabled only when the file has no problem) writes everything in one transaction
   (:func:`shared.transfer.commit_import`) with progress and 取消; the result is summarised.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.errors import show_error, user_message
from desktop.operations import current_job
from shared.errors import DabiaoError
from shared.transfer import (
    ENTITY_KINDS,
    MERGE,
    SKIP,
    ImportPlan,
    ImportResult,
    commit_import,
    describe_key,
    plan_import,
    write_template,
)

FILE_FILTER = "表格文件 (*.xlsx *.csv);;Excel 工作簿 (*.xlsx);;CSV 文件 (*.csv)"
PREVIEW_ROWS = 20
DECISION_NAMES = {SKIP: "跳过", MERGE: "合并"}


def _table(object_name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(object_name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


class ImportDialog(QDialog):
    """Import students, parents, courses, orders and attendance from a spreadsheet."""

    checked = Signal()  # a file was read and checked (or refused)
    imported = Signal(object)  # the ImportResult of a finished import
    import_failed = Signal(str)  # the message of an import that wrote nothing

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.plan: ImportPlan | None = None
        self.result: ImportResult | None = None
        self._job = None
        self.setWindowTitle("导入数据")
        self.resize(900, 640)

        layout = QVBoxLayout(self)
        intro = QLabel(
            "从 Excel（.xlsx）或 .csv 导入学员、家长、课程、订单和上课记录。请先保存导入模板，"
            "按模板填写后选择文件；导入前会逐行检查，有任何问题时不会导入任何数据。"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        row = QHBoxLayout()
        self.template_button = QPushButton("保存导入模板…")
        self.template_button.setObjectName("templateButton")
        self.template_button.clicked.connect(self._choose_template_path)
        self.choose_button = QPushButton("选择文件…")
        self.choose_button.setObjectName("chooseButton")
        self.choose_button.clicked.connect(self._choose_file)
        self.file_label = QLabel("尚未选择文件")
        self.file_label.setObjectName("fileLabel")
        row.addWidget(self.template_button)
        row.addWidget(self.choose_button)
        row.addWidget(self.file_label, 1)
        layout.addLayout(row)

        self.status = QLabel()
        self.status.setObjectName("statusLabel")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("progressBar")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("importTabs")
        layout.addWidget(self.tabs, 1)

        # 预览: rows per sheet, new staff, the first rows of each sheet.
        preview = QWidget()
        preview_layout = QVBoxLayout(preview)
        self.summary = QLabel()
        self.summary.setObjectName("summaryLabel")
        self.summary.setWordWrap(True)
        preview_layout.addWidget(self.summary)
        self.sheet_tabs = QTabWidget()
        self.sheet_tabs.setObjectName("sheetTabs")
        preview_layout.addWidget(self.sheet_tabs, 1)
        self.tabs.addTab(preview, "预览")

        self.problems_table = _table("problemsTable", ["表", "行", "列", "问题"])
        self.tabs.addTab(self.problems_table, "问题")

        duplicates = QWidget()
        dup_layout = QVBoxLayout(duplicates)
        dup_buttons = QHBoxLayout()
        self.merge_all_button = QPushButton("全部合并")
        self.merge_all_button.setObjectName("mergeAllButton")
        self.merge_all_button.clicked.connect(lambda: self.set_all_decisions(MERGE))
        self.skip_all_button = QPushButton("全部跳过")
        self.skip_all_button.setObjectName("skipAllButton")
        self.skip_all_button.clicked.connect(lambda: self.set_all_decisions(SKIP))
        dup_note = QLabel(
            "合并：沿用已有学员，补全空白资料，并导入其家长关系、订单和上课记录；"
            "跳过：该学员及其相关记录都不导入。同一文件中重复出现的学员："
            "合并即用后一行补全前一行的空白资料，跳过即忽略后一行。"
        )
        dup_note.setWordWrap(True)
        dup_buttons.addWidget(dup_note, 1)
        dup_buttons.addWidget(self.merge_all_button)
        dup_buttons.addWidget(self.skip_all_button)
        dup_layout.addLayout(dup_buttons)
        self.duplicates_table = _table("duplicatesTable", ["表", "行", "学员", "重复于", "处理"])
        dup_layout.addWidget(self.duplicates_table, 1)
        self.tabs.addTab(duplicates, "重复学员")

        self.result_label = QLabel()
        self.result_label.setObjectName("resultLabel")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton("导入")
        self.import_button.setObjectName("importButton")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("关闭")
        self.close_button.setObjectName("closeButton")
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    # ------------------------------------------------------------------ template

    def _choose_template_path(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "保存导入模板", str(Path.home() / "达标导入模板.xlsx"), "Excel 工作簿 (*.xlsx)"
        )
        if chosen:
            self.save_template(Path(chosen))

    def save_template(self, path: Path) -> None:
        """Write the template to ``path`` on a worker."""
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        self.ctx.ops.run(
            lambda: write_template(path),
            lambda written: self.status.setText(f"导入模板已保存：{written}"),
            on_error=lambda exc: self._say_error(exc),
            label="保存导入模板",
        )

    # ------------------------------------------------------------------ checking

    def _choose_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "选择要导入的文件", str(Path.home()), FILE_FILTER
        )
        if chosen:
            self.check_file(Path(chosen))

    def check_file(self, path: Path) -> None:
        """Read and check ``path`` on a worker; the preview fills when it is done."""
        db = self.ctx.db
        campus_id = self.ctx.campus_id
        today = self.ctx.today()

        def work() -> ImportPlan:
            job = current_job()
            job.report(0, "正在读取并检查…")
            return plan_import(
                db,
                path,
                campus_id=campus_id,
                today=today,
                check=job.check_cancelled,
                progress=lambda text: job.report(0, text),
            )

        self.plan = None
        self.result = None
        self._clear()
        self.file_label.setText(str(path))
        self.status.setText("正在读取并检查文件…")
        self._busy(indeterminate=True)
        self._job = self.ctx.ops.run(
            work,
            self._checked,
            on_error=self._check_refused,
            label="检查导入文件",
            progress=lambda _percent, text: self.status.setText(text),
            on_cancelled=self._cancelled,
        )

    def _checked(self, plan: ImportPlan) -> None:
        self._idle()
        self.plan = plan
        counts = plan.row_counts()
        lines = [
            f"校区：{plan.campus_name}。读取到："
            + "，".join(f"{plan.sheet_title(k)} {n:,} 行" for k, n in counts.items())
        ]
        if plan.new_staff:
            lines.append(
                "将新建员工（无 PIN）："
                + "、".join(f"{s.name}（{s.role_names}）" for s in plan.new_staff)
            )
        if plan.duplicates:
            lines.append(f"重复学员 {len(plan.duplicates)} 名，请在“重复学员”中选择合并或跳过。")
        self.summary.setText("\n".join(lines))
        for kind in ENTITY_KINDS:
            if kind not in counts:
                continue
            headers, rows = plan.preview(kind, PREVIEW_ROWS)
            table = _table(f"preview_{kind}", headers)
            _fill(table, rows)
            self.sheet_tabs.addTab(table, f"{plan.sheet_title(kind)}（{counts[kind]:,}）")
        _fill(
            self.problems_table,
            [[p.sheet, str(p.row) if p.row else "", p.column, p.message] for p in plan.problems],
        )
        self._fill_duplicates(plan)
        self.tabs.setTabText(1, f"问题（{len(plan.problems)}）")
        self.tabs.setTabText(2, f"重复学员（{len(plan.duplicates)}）")
        if plan.problems:
            self.status.setText(
                f"发现 {len(plan.problems)} 个问题，不能导入；"
                "请按“问题”中所列的表、行、列修改文件后重新选择。"
            )
            self.tabs.setCurrentIndex(1)
        else:
            self.status.setText("检查通过，可以导入。")
            self.tabs.setCurrentIndex(2 if plan.duplicates else 0)
        self.import_button.setEnabled(plan.ok)
        self.checked.emit()

    def _fill_duplicates(self, plan: ImportPlan) -> None:
        table = self.duplicates_table
        table.setRowCount(len(plan.duplicates))
        for r, dup in enumerate(plan.duplicates):
            for c, text in enumerate(
                [dup.sheet, str(dup.row), describe_key(dup.key), dup.existing]
            ):
                table.setItem(r, c, QTableWidgetItem(text))
            choice = QComboBox()
            choice.setObjectName(f"decision_{dup.row}")
            for code, name in DECISION_NAMES.items():
                choice.addItem(name, code)
            table.setCellWidget(r, 4, choice)
        table.resizeColumnsToContents()
        enabled = bool(plan.duplicates)
        self.merge_all_button.setEnabled(enabled)
        self.skip_all_button.setEnabled(enabled)

    def _check_refused(self, exc: BaseException) -> None:
        self._idle()
        message = user_message(exc) if isinstance(exc, DabiaoError) else str(exc)
        self.status.setText(f"无法导入：{message}")
        _fill(self.problems_table, [[self.file_label.text(), "", "", message]])
        self.tabs.setTabText(1, "问题（1）")
        self.tabs.setCurrentIndex(1)
        self.checked.emit()

    # ------------------------------------------------------------------ decisions

    def set_all_decisions(self, decision: str) -> None:
        """Merge (or skip) every duplicate."""
        for r in range(self.duplicates_table.rowCount()):
            choice = self.duplicates_table.cellWidget(r, 4)
            assert isinstance(choice, QComboBox)
            choice.setCurrentIndex(choice.findData(decision))

    def set_decision(self, row: int, decision: str) -> None:
        """Merge or skip the duplicate of file row ``row``."""
        choice = self.findChild(QComboBox, f"decision_{row}")
        assert choice is not None, f"no duplicate at row {row}"
        choice.setCurrentIndex(choice.findData(decision))

    def decisions(self) -> dict[int, str]:
        """The chosen action for each duplicate, by its row in the file."""
        assert self.plan is not None
        result = {}
        for r, dup in enumerate(self.plan.duplicates):
            choice = self.duplicates_table.cellWidget(r, 4)
            assert isinstance(choice, QComboBox)
            result[dup.row] = str(choice.currentData())
        return result

    # ------------------------------------------------------------------ importing

    def start_import(self) -> None:
        """Write the checked file in one transaction, with progress."""
        plan = self.plan
        if plan is None or not plan.ok:
            return
        db = self.ctx.db
        decisions = self.decisions()

        def work() -> ImportResult:
            job = current_job()
            return commit_import(
                db,
                plan,
                decisions,
                progress=lambda done, total: job.report(
                    int(100 * done / max(total, 1)), f"正在导入 {done:,}/{total:,}"
                ),
                check=job.check_cancelled,
            )

        self.import_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self.status.setText("正在导入…")
        self._busy(indeterminate=False)
        self._job = self.ctx.ops.run(
            work,
            self._imported,
            on_error=self._import_error,
            label="导入数据",
            progress=self._progressed,
            on_cancelled=self._cancelled,
        )

    def _progressed(self, percent: int, text: str) -> None:
        self.progress.setValue(percent)
        if text:
            self.status.setText(text)

    def _imported(self, result: ImportResult) -> None:
        self._idle()
        self.result = result
        self.plan = None  # imported: the same plan is never written twice
        self.choose_button.setEnabled(True)
        self.status.setText("导入完成。")
        self.result_label.setText("\n".join(result.summary()))
        self.ctx.notify_changed()  # every open page reloads what changed
        self.imported.emit(result)

    def _import_error(self, exc: BaseException) -> None:
        self._idle()
        self.choose_button.setEnabled(True)
        self.import_button.setEnabled(self.plan is not None and self.plan.ok)
        message = user_message(exc) if isinstance(exc, DabiaoError) else str(exc)
        self.status.setText(f"导入没有完成，未写入任何数据：{message}")
        self.import_failed.emit(message)

    # ------------------------------------------------------------------ state

    def cancel(self) -> None:
        """Stop the running check or import at its next safe point (nothing is written)."""
        if self._job is not None:
            self._job.cancel()
            self.status.setText("正在取消…")

    def _cancelled(self) -> None:
        self._idle()
        self.choose_button.setEnabled(True)
        self.import_button.setEnabled(self.plan is not None and self.plan.ok)
        self.status.setText("已取消，未导入任何数据。")
        self.import_failed.emit("已取消")

    def _busy(self, *, indeterminate: bool) -> None:
        self.progress.setRange(0, 0 if indeterminate else 100)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.choose_button.setEnabled(False)

    def _idle(self) -> None:
        self._job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.choose_button.setEnabled(True)

    def _clear(self) -> None:
        self.summary.clear()
        self.result_label.clear()
        while self.sheet_tabs.count():
            widget = self.sheet_tabs.widget(0)
            self.sheet_tabs.removeTab(0)
            widget.deleteLater()
        self.problems_table.setRowCount(0)
        self.duplicates_table.setRowCount(0)
        self.tabs.setTabText(1, "问题")
        self.tabs.setTabText(2, "重复学员")
        self.import_button.setEnabled(False)

    def _say_error(self, exc: BaseException) -> None:
        self.status.setText(user_message(exc) if isinstance(exc, DabiaoError) else str(exc))
        show_error(self, exc, action="保存导入模板")

    def reject(self) -> None:  # noqa: D102 - closing while a job runs asks it to stop first
        if self._job is not None:
            self.cancel()
            self.ctx.ops.wait_idle(30_000)
        super().reject()
