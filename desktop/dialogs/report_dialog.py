"""月度业绩报告: choose a month, this campus or all campuses side by side, and a PDF file.

The figures are read and the pages drawn off the GUI thread (one ``ops.run`` job that reports
its progress to the bar and can be cancelled between steps); afterwards the dialog offers to
open the folder the PDF is in.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.operations import Job, current_job
from shared.errors import DabiaoError, Invalid
from shared.monthly_report import ALL_CAMPUSES_NAME, last_complete_month, monthly_report
from shared.periods import Period

# How many months back the month list reaches.
MONTHS_LISTED = 36


def report_file_name(scope: str, period: Period) -> str:
    """The default file name: ``校区 2025年5月 业绩报告.pdf``."""
    safe = "".join(ch for ch in scope if ch not in '\\/:*?"<>|').strip() or "校区"
    return f"{safe} {period.label} 业绩报告.pdf"


def listed_months(today: date) -> list[Period]:
    """The months offered, newest first: this month back :data:`MONTHS_LISTED` months."""
    months = [Period.of_month(today.year, today.month)]
    while len(months) < MONTHS_LISTED and months[-1].year > 2000:
        months.append(months[-1].previous())
    return months


class ReportDialog(QDialog):
    """Generate the monthly performance report as an A4 PDF."""

    generated = Signal(str)  # the PDF's path

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.job: Job | None = None
        self.written: Path | None = None
        self.setObjectName("reportDialog")
        self.setWindowTitle("月度业绩报告")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        today = ctx.today()
        self.month = QComboBox()
        self.month.setObjectName("reportMonth")
        months = listed_months(today)
        for period in months:
            suffix = "（进行中）" if period.end >= today else ""
            self.month.addItem(period.label + suffix, period)
        self.month.setCurrentIndex(months.index(last_complete_month(today)))
        form.addRow("月份", self.month)

        campus = ctx.campus or (ctx.campuses[0] if ctx.campuses else None)
        self.campus_id = campus.id if campus else None
        self.this_campus = QRadioButton(f"本校区（{campus.name}）" if campus else "本校区")
        self.this_campus.setObjectName("reportThisCampus")
        self.all_campuses = QRadioButton("全部校区并列对比")
        self.all_campuses.setObjectName("reportAllCampuses")
        scope = QWidget()
        scope_row = QHBoxLayout(scope)
        scope_row.setContentsMargins(0, 0, 0, 0)
        scope_row.addWidget(self.this_campus)
        scope_row.addWidget(self.all_campuses)
        scope_row.addStretch(1)
        if ctx.campus is None and ctx.several_campuses:
            self.all_campuses.setChecked(True)  # the window shows 全部校区 now
        else:
            self.this_campus.setChecked(True)
        self.this_campus.setEnabled(campus is not None)
        form.addRow("范围", scope)

        self.path = QLineEdit()
        self.path.setObjectName("reportPath")
        browse = QPushButton("浏览…")
        browse.setObjectName("reportBrowse")
        path_row = QWidget()
        path_layout = QHBoxLayout(path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.addWidget(self.path, 1)
        path_layout.addWidget(browse)
        form.addRow("保存到", path_row)
        layout.addLayout(form)

        self.progress = QProgressBar()
        self.progress.setObjectName("reportProgress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.message = QLabel("")
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        buttons = QHBoxLayout()
        self.generate_button = QPushButton("生成报告")
        self.generate_button.setObjectName("generateReportButton")
        self.generate_button.setDefault(True)
        self.open_folder_button = QPushButton("打开所在文件夹")
        self.open_folder_button.setObjectName("openReportFolderButton")
        self.open_folder_button.setEnabled(False)
        self.close_button = QPushButton("关闭")
        self.close_button.setObjectName("closeReportButton")
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

        self._folder = ctx.path.parent if ctx.db is not None else Path.home()
        self._suggested = ""
        self._suggest_path()
        self.month.currentIndexChanged.connect(self._suggest_path)
        self.this_campus.toggled.connect(self._suggest_path)
        browse.clicked.connect(self.browse)
        self.generate_button.clicked.connect(self.generate)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.close_or_cancel)

    # ------------------------------------------------------------------ choices

    @property
    def period(self) -> Period:
        """The chosen month."""
        period = self.month.currentData()
        assert isinstance(period, Period)
        return period

    @property
    def chosen_campus_id(self) -> str | None:
        """The campus reported on, or None for all campuses side by side."""
        return None if self.all_campuses.isChecked() else self.campus_id

    def _scope_name(self) -> str:
        if self.chosen_campus_id is None:
            return ALL_CAMPUSES_NAME
        campus = next((c for c in self.ctx.campuses if c.id == self.chosen_campus_id), None)
        return campus.name if campus else "校区"

    def _suggest_path(self, *_args: object) -> None:
        # Follow the month and scope until the person typed or chose a path of their own.
        current = self.path.text().strip()
        if current and current != self._suggested:
            return
        self._suggested = str(self._folder / report_file_name(self._scope_name(), self.period))
        self.path.setText(self._suggested)

    def browse(self) -> None:
        """Choose the PDF file."""
        path, _filter = QFileDialog.getSaveFileName(
            self, "保存业绩报告", self.path.text() or str(self._folder), "PDF 文件 (*.pdf)"
        )
        if path:
            self.path.setText(path)

    # ------------------------------------------------------------------ generating

    def generate(self) -> Job | None:
        """Read the figures and draw the PDF on a worker, with progress; None if refused."""
        if self.job is not None:
            return None
        text = self.path.text().strip()
        if not text:
            self._show_error(Invalid("to", "请选择保存报告的文件"))
            return None
        target = Path(text).expanduser()
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
            self.path.setText(str(target))
        ctx, period, campus_id = self.ctx, self.period, self.chosen_campus_id
        today = ctx.today()

        def build() -> Path:
            from desktop.render.report_pdf import write_report_pdf

            job = current_job()

            def say(percent: int, step: str) -> None:
                job.check_cancelled()
                job.report(percent, step)

            assert ctx.db is not None
            with ctx.db.reader() as session:
                report = monthly_report(
                    session, period, campus_id=campus_id, today=today, progress=say
                )
            return write_report_pdf(report, target, say)

        self.written = None
        self.progress.setValue(0)
        self.message.setStyleSheet("")
        self.message.setText("正在生成…")
        self.generate_button.setEnabled(False)
        self.open_folder_button.setEnabled(False)
        self.close_button.setText("取消")
        self.job = ctx.ops.run(
            build,
            self._done,
            on_error=self._show_error,
            progress=self._progressed,
            on_cancelled=self._cancelled,
            label="生成业绩报告",
        )
        return self.job

    def _progressed(self, percent: int, step: str) -> None:
        self.progress.setValue(percent)
        self.message.setText(step)

    def _finished(self) -> None:
        self.job = None
        self.generate_button.setEnabled(True)
        self.close_button.setText("关闭")

    def _done(self, path: Path) -> None:
        self._finished()
        self.written = path
        self.progress.setValue(100)
        self.message.setText(f"已生成：{path}")
        self.open_folder_button.setEnabled(True)
        self.generated.emit(str(path))

    def _show_error(self, exc: BaseException) -> None:
        self._finished()
        message = exc.message if isinstance(exc, DabiaoError) else str(exc)
        if isinstance(exc, Invalid):
            message = exc.reason
        self.message.setStyleSheet("color: #c62828;")
        self.message.setText(f"无法生成报告：{message}")

    def _cancelled(self) -> None:
        self._finished()
        self.progress.setValue(0)
        self.message.setText("已取消，没有写入文件。")

    def close_or_cancel(self) -> None:
        """取消 while generating, 关闭 otherwise."""
        if self.job is not None:
            self.job.cancel()
            return
        self.accept()

    def open_folder(self) -> None:
        """Open the folder the PDF was written to."""
        if self.written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written.parent)))
