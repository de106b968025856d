"""A 达成 card: one target against its actual, pace and forecast, coloured by status."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QProgressBar, QWidget

from shared.figures import Progress, Status

from .format import percent, status_color, status_name, yuan


class ProgressCard(QFrame):
    """Shows one :class:`~shared.progress.Progress`: actual, target, 达成率, pace, forecast."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#progressCard { background: palette(base); border: 1px solid #d0d4da;"
            " border-radius: 6px; }"
        )
        self.progress: Progress | None = None
        self.title_label = QLabel(title)
        self.title_label.setStyleSheet("font-weight: bold; color: #37474f;")
        self.status_label = QLabel()
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.actual_label = QLabel("—")
        self.actual_label.setObjectName("actual")
        self.actual_label.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.target_label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.attainment_label = QLabel()
        self.attainment_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.pace_label = QLabel()
        self.forecast_label = QLabel()
        for label in (self.target_label, self.pace_label, self.forecast_label):
            label.setStyleSheet("color: #546e7a;")

        grid = QGridLayout(self)
        grid.setContentsMargins(12, 10, 12, 10)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.title_label, 0, 0)
        grid.addWidget(self.status_label, 0, 1)
        grid.addWidget(self.actual_label, 1, 0, 1, 2)
        grid.addWidget(self.target_label, 2, 0)
        grid.addWidget(self.attainment_label, 2, 1)
        grid.addWidget(self.bar, 3, 0, 1, 2)
        grid.addWidget(self.pace_label, 4, 0, 1, 2)
        grid.addWidget(self.forecast_label, 5, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        self.setMinimumWidth(240)

    def set_progress(self, progress: Progress) -> None:
        """Fill the card from a Progress (every figure as ``shared.progress`` computed it)."""
        self.progress = progress
        color = status_color(progress.status)
        self.status_label.setText(status_name(progress.status))
        self.status_label.setStyleSheet(
            f"color: white; background: {color}; border-radius: 8px; padding: 1px 8px;"
        )
        self.actual_label.setText(yuan(progress.actual_fen))
        self.actual_label.setStyleSheet(f"font-size: 20px; font-weight: bold; color: {color};")
        if progress.has_target:
            self.target_label.setText(f"目标 {yuan(progress.target_fen)}")
        else:
            self.target_label.setText("目标 未设定")
        self.attainment_label.setText(f"达成率 {percent(progress.attainment)}")
        ratio = progress.attainment or 0
        self.bar.setValue(max(0, min(1000, int(ratio * 1000))))
        self.bar.setStyleSheet(
            "QProgressBar { background: #eceff1; border: none; border-radius: 4px; }"
            f"QProgressBar::chunk {{ background: {color}; border-radius: 4px; }}"
        )
        if progress.status is Status.NO_TARGET:
            self.pace_label.setText("未设目标，无进度要求")
            self.forecast_label.setText("")
            return
        gap = progress.gap_to_pace_fen
        gap_text = f"超出进度 {yuan(gap)}" if gap >= 0 else f"落后进度 {yuan(-gap)}"
        self.pace_label.setText(f"应完成 {yuan(progress.expected_so_far_fen)} · {gap_text}")
        self.forecast_label.setText(
            f"预计全期 {yuan(progress.forecast_fen)}"
            + (f" · 还差 {yuan(progress.remaining_fen)}" if progress.remaining_fen else " · 已达标")
        )
