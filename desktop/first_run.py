"""The first-run dialog: create a campus file, open an existing one, or open the demo campus.

Shown when no database was given and none was remembered, and again whenever a file could not
be opened (the reason shown in Chinese above the choices). Opening, creating and building the
demo run on a worker through :class:`~desktop.operations.Operations`, so the dialog keeps
painting; the demo build reports progress and can be cancelled between its steps (a cancelled
build leaves no file behind). On success the dialog holds the open :class:`Database` in
:attr:`FirstRunDialog.database` and is accepted.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from shared.db import DB_SUFFIX, Database, inspect_file, open_database
from shared.errors import DabiaoError, Invalid, StorageUnavailable
from shared.services.campus import create_campus
from shared.services.common import check_text

from .config import data_dir
from .errors import show_error
from .operations import Cancelled, Operations, current_job

FILE_FILTER = f"达标数据库 (*{DB_SUFFIX});;所有文件 (*)"
DEMO_STEPS = re.compile(r"\[(\d+)/(\d+)\]")


def demo_file() -> Path:
    """The demo campus file, the same one ``dabiao demo`` writes."""
    from .cli import default_demo_path

    return default_demo_path()


def create_campus_file(path: Path, *, name: str, code: str) -> Database:
    """Create a new database file holding one campus; a failure leaves no file behind."""
    name = check_text(name, "name", max_len=100, required=True)
    code = check_text(code, "code", max_len=20, required=True)
    path = Path(path).expanduser()
    if path.suffix != DB_SUFFIX:
        path = path.with_name(path.name + DB_SUFFIX)
    if path.parent == data_dir():
        # The suggested default folder may not exist yet on a fresh PC.
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"无法创建文件夹“{path.parent}”：{exc.strerror}") from None
    state = inspect_file(path, must_exist=False)
    if state.exists:
        raise StorageUnavailable(f"“{path}”已存在；新建校区文件请换一个文件名。")
    db = open_database(path, create=True)
    try:
        with db.unit_of_work() as session:
            create_campus(session, name=name, code=code)
    except BaseException:
        db.close()
        path.unlink(missing_ok=True)
        raise
    return db


def open_or_build_demo(path: Path) -> Database:
    """Open the demo file, building the small demo first when it does not exist yet.

    Runs inside an :class:`Operations` job: build progress goes to ``current_job().report``
    and a cancel request stops the build at its next step.
    """
    from shared.demo import build_demo

    job = current_job()
    if not path.exists() or path.stat().st_size == 0:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailable(f"无法创建文件夹“{path.parent}”：{exc.strerror}") from None

        def progress(line: str) -> None:
            job.check_cancelled()  # raising here makes build_demo remove its partial file
            job.report(_demo_percent(line), line)

        job.report(1, "正在生成演示校区…")
        build_demo(path, scale="small", progress=progress)
        job.check_cancelled()
    return open_database(path, create=False)


def _demo_percent(line: str) -> int:
    """A rough percentage of a small demo build from its progress line."""
    if line.startswith("计算"):
        return 5
    step = DEMO_STEPS.search(line)
    if step:
        done, total = int(step.group(1)), int(step.group(2))
        finished = "已写入" in line
        return (
            10 + int(80 * (done - (0 if finished else 1)) / max(total, 1)) + (0 if finished else 5)
        )
    if line.startswith("重建"):
        return 92
    return 99


class FirstRunDialog(QDialog):
    """Choose a campus file: 新建校区文件 / 打开已有文件 / 打开演示校区."""

    database_opened = Signal(object)  # the open Database, just before the dialog is accepted

    def __init__(
        self,
        *,
        problem: str | None = None,
        demo_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("达标 — 选择校区文件")
        self.database: Database | None = None
        self.demo_path = demo_path or demo_file()
        self.ops = Operations(None, self)
        self.ops.dialog_parent = self
        self._job = None

        self.problem = QLabel()
        self.problem.setObjectName("problemLabel")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(
            "QLabel { color: #b3261e; background: #fdecea; padding: 8px; border-radius: 4px; }"
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self._choices_page())
        self.stack.addWidget(self._new_campus_page())
        self.stack.addWidget(self._progress_page())

        layout = QVBoxLayout(self)
        title = QLabel("欢迎使用达标")
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        layout.addWidget(title)
        subtitle = QLabel("全部数据保存在这台电脑上的一个校区文件里。请选择：")
        subtitle.setWordWrap(True)
        layout.addWidget(subtitle)
        layout.addWidget(self.problem)
        layout.addWidget(self.stack)
        self.set_problem(problem)
        self.setMinimumWidth(560)

    # ------------------------------------------------------------------ pages

    def _choices_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.new_button = QCommandLinkButton(
            "新建校区文件", "第一次使用：填写校区名称和编号，选择保存位置"
        )
        self.open_button = QCommandLinkButton(
            "打开已有文件", "打开以前保存的 .dabiao 校区文件或备份"
        )
        self.demo_button = QCommandLinkButton(
            "打开演示校区", f"先看看：一个有两年经营数据的演示校区（{self.demo_path.name}）"
        )
        self.new_button.clicked.connect(lambda: self.stack.setCurrentIndex(1))
        self.open_button.clicked.connect(self._browse_open)
        self.demo_button.clicked.connect(self.open_demo)
        for button in (self.new_button, self.open_button, self.demo_button):
            layout.addWidget(button)
        quit_row = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        quit_row.button(QDialogButtonBox.StandardButton.Close).setText("退出")
        quit_row.rejected.connect(self.reject)
        layout.addStretch(1)
        layout.addWidget(quit_row)
        return page

    def _new_campus_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("例如：达标艺术中心·滨江校区")
        self.code_edit = QLineEdit("001")
        self.code_edit.setPlaceholderText("校区编号，例如 001")
        self.location_edit = QLineEdit(str(data_dir() / f"校区{DB_SUFFIX}"))
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse_save)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location_edit, 1)
        location_row.addWidget(browse)
        form.addRow("校区名称", self.name_edit)
        form.addRow("校区编号", self.code_edit)
        form.addRow("保存位置", location_row)
        self.name_edit.textEdited.connect(self._suggest_location)
        buttons = QDialogButtonBox()
        self.create_button = buttons.addButton("创建", QDialogButtonBox.ButtonRole.AcceptRole)
        back = buttons.addButton("返回", QDialogButtonBox.ButtonRole.RejectRole)
        self.create_button.clicked.connect(self.create_campus_file)
        back.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        form.addRow(buttons)
        return page

    def _progress_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.progress_text = QLabel("正在打开…")
        self.progress_text.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addStretch(1)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addStretch(1)
        return page

    # ------------------------------------------------------------------ actions

    def set_problem(self, text: str | None) -> None:
        """Show why the previous file could not be opened (or hide the note)."""
        self.problem.setText(text or "")
        self.problem.setVisible(bool(text))

    def open_file(self, path: Path) -> None:
        """Open an existing campus file (on a worker); a bad file is explained, not raised."""
        path = Path(path)
        self._start(f"正在打开 {path.name}…", lambda: open_database(path, create=False), False)

    def open_demo(self) -> None:
        """Open the demo campus, building the small demo first if it does not exist."""
        path = self.demo_path
        building = not path.exists()
        text = "正在生成演示校区（约需十秒）…" if building else "正在打开演示校区…"
        self._start(text, lambda: open_or_build_demo(path), building)

    def create_campus_file(self) -> None:
        """Create the campus file described on the 新建校区文件 form."""
        name, code = self.name_edit.text(), self.code_edit.text()
        location = self.location_edit.text().strip()
        if not location:
            show_error(self, Invalid("path", "请选择保存位置"))
            return
        path = Path(location)
        self._start(
            f"正在创建 {path.name}…",
            lambda: create_campus_file(path, name=name, code=code),
            False,
            back_to=1,
        )

    def cancel(self) -> None:
        """Cancel the running demo build (it stops at its next step)."""
        if self._job is not None:
            self._job.cancel()
            self.progress_text.setText("正在取消…")
            self.cancel_button.setEnabled(False)

    def _start(self, text: str, fn, cancellable: bool, back_to: int = 0) -> None:  # noqa: ANN001
        self.set_problem(None)
        self.progress_text.setText(text)
        self.progress_bar.setValue(0)
        self.progress_bar.setRange(0, 100 if cancellable else 0)  # busy indicator when unknown
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.setEnabled(True)
        self.stack.setCurrentIndex(2)

        def failed(exc: BaseException) -> None:
            self._job = None
            self.stack.setCurrentIndex(back_to)
            assert isinstance(exc, DabiaoError)
            self.set_problem(exc.message if not isinstance(exc, Invalid) else exc.reason)
            show_error(self, exc)

        def cancelled() -> None:
            self._job = None
            self.stack.setCurrentIndex(0)
            self.set_problem("已取消生成演示校区。")

        self._job = self.ops.run(
            fn,
            self._opened,
            on_error=failed,
            label=text.rstrip("…"),
            progress=self._progress,
            on_cancelled=cancelled,
        )

    def _progress(self, percent: int, text: str) -> None:
        self.progress_bar.setValue(percent)
        if text:
            self.progress_text.setText(text)

    def _opened(self, db: Database) -> None:
        self._job = None
        self.database = db
        self.database_opened.emit(db)
        self.accept()

    def _browse_open(self) -> None:
        start = str(data_dir()) if data_dir().is_dir() else str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self, "打开校区文件", start, FILE_FILTER)
        if chosen:
            self.open_file(Path(chosen))

    def _browse_save(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "新建校区文件", self.location_edit.text(), FILE_FILTER
        )
        if chosen:
            self.location_edit.setText(chosen)

    def _suggest_location(self, name: str) -> None:
        # Follow the campus name until the person picks a location themselves.
        current = Path(self.location_edit.text())
        if current.parent == data_dir():
            safe = re.sub(r'[\\/:*?"<>|]', "", name.strip()) or "校区"
            self.location_edit.setText(str(data_dir() / f"{safe}{DB_SUFFIX}"))

    def reject(self) -> None:
        """Close the dialog; a running demo build is cancelled first."""
        if self._job is not None:
            self.cancel()
            self.ops.wait_idle(60_000)
        super().reject()


__all__ = ["Cancelled", "FirstRunDialog", "create_campus_file", "demo_file", "open_or_build_demo"]
