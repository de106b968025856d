"""成长卡片: a student's growth card shown on the desktop, to save as a picture or copy.

The card's figures are read and the picture drawn off the GUI thread (one ``ops.run`` job);
保存图片… writes the PNG through ``FILE.partial`` and a rename, 复制到剪贴板 puts the picture
on the clipboard so it can be pasted straight into WeChat.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from shared.errors import DabiaoError
from shared.growth_card import GrowthCardData, growth_card

# The card is 1080 × 1920; shown at a third, like a phone screen.
PREVIEW_WIDTH = 360


def card_file_name(student_name: str) -> str:
    """The file name a saved card gets by default: ``成长卡片-姓名.png``."""
    safe = "".join(ch for ch in student_name if ch not in '\\/:*?"<>|').strip() or "学员"
    return f"成长卡片-{safe}.png"


class GrowthCardDialog(QDialog):
    """Shows one student's growth card with 保存图片… and 复制到剪贴板."""

    card_ready = Signal()  # the picture is drawn and shown
    saved = Signal(str)  # the path the picture was saved to

    def __init__(
        self, ctx: AppContext, student_id: str, student_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.student_id = student_id
        self.student_name = student_name
        self.data: GrowthCardData | None = None
        self.png: bytes | None = None
        self.setObjectName("growthCardDialog")
        self.setWindowTitle(f"成长卡片 — {student_name}")
        layout = QVBoxLayout(self)
        self.picture = QLabel("正在生成成长卡片…")
        self.picture.setObjectName("growthCardPicture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(PREVIEW_WIDTH, PREVIEW_WIDTH * 16 // 9)
        layout.addWidget(self.picture, 1)
        self.message = QLabel("")
        self.message.setObjectName("growthCardMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("保存图片…")
        self.save_button.setObjectName("saveCardButton")
        self.copy_button = QPushButton("复制到剪贴板")
        self.copy_button.setObjectName("copyCardButton")
        close = QPushButton("关闭")
        close.setObjectName("closeCardButton")
        for button in (self.save_button, self.copy_button):
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.choose_and_save)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        close.clicked.connect(self.reject)
        self._load()

    def _load(self) -> None:
        ctx, student_id, today = self.ctx, self.student_id, self.ctx.today()

        def draw() -> tuple[GrowthCardData, bytes]:
            from desktop.render.card import growth_card_png

            assert ctx.db is not None
            with ctx.db.reader() as session:
                data = growth_card(session, student_id, today=today)
            return data, growth_card_png(data)

        ctx.ops.run(draw, self._drawn, on_error=self._failed, label="生成成长卡片")

    def _drawn(self, outcome: tuple[GrowthCardData, bytes]) -> None:
        self.data, self.png = outcome
        image = QImage.fromData(self.png, "PNG")
        pixmap = QPixmap.fromImage(image).scaledToWidth(
            PREVIEW_WIDTH, Qt.TransformationMode.SmoothTransformation
        )
        self.picture.setPixmap(pixmap)
        self.save_button.setEnabled(True)
        self.copy_button.setEnabled(True)
        self.message.setText("保存图片后可以通过微信发送给家长，也可以直接复制后粘贴。")
        self.card_ready.emit()

    def _failed(self, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, DabiaoError) else str(exc)
        self.picture.setText("无法生成成长卡片")
        self.message.setText(f"无法生成成长卡片：{message}")

    # ------------------------------------------------------------------ actions

    def choose_and_save(self) -> None:
        """Ask where to save the picture (default 成长卡片-姓名.png), then save it."""
        folder = self.ctx.path.parent if self.ctx.db is not None else Path.home()
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "保存成长卡片",
            str(folder / card_file_name(self.student_name)),
            "PNG 图片 (*.png)",
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the picture to ``path`` (``.png`` added when missing), off the GUI thread."""
        if self.png is None:
            return
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        png = self.png

        def write() -> str:
            from desktop.render.files import write_atomically

            return str(write_atomically(path, png))

        def done(written: str) -> None:
            self.message.setText(f"已保存：{written}")
            self.saved.emit(written)

        def failed(exc: BaseException) -> None:
            message = exc.message if isinstance(exc, DabiaoError) else str(exc)
            self.message.setText(f"保存失败：{message}")

        self.ctx.ops.run(write, done, on_error=failed, label="保存成长卡片")

    def copy_to_clipboard(self) -> None:
        """Put the picture on the clipboard."""
        if self.png is None:
            return
        QGuiApplication.clipboard().setImage(QImage.fromData(self.png, "PNG"))
        self.message.setText("已复制到剪贴板，可以直接粘贴到微信。")
