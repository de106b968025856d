"""Charts (QtCharts; no web view): the stage funnel of the month against its targets."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from shared.progress import FunnelRow

ACTUAL_COLOR = "#1565c0"
TARGET_COLOR = "#b0bec5"
WEAK_COLOR = "#c62828"


class FunnelChart(QChartView):
    """Stage counts (实际) beside stage targets (目标), the weak stage's bar in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        super().__init__(chart, parent)
        self.setObjectName("funnelChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        self.categories: list[str] = []
        self.weak_code: str | None = None

    def set_funnel(self, rows: Sequence[FunnelRow], weak_code: str | None) -> None:
        """Draw the stages in order; ``weak_code`` names the stage to mark (or None)."""
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.weak_code = weak_code
        self.categories = [
            f"{row.name}（薄弱）" if row.code == weak_code else row.name for row in rows
        ]
        actual = QBarSet("实际")
        actual.setColor(QColor(ACTUAL_COLOR))
        actual.setSelectedColor(QColor(WEAK_COLOR))
        target = QBarSet("目标")
        target.setColor(QColor(TARGET_COLOR))
        top = 1
        for i, row in enumerate(rows):
            actual.append(row.actual_count)
            target.append(row.target_count or 0)
            top = max(top, row.actual_count, row.target_count or 0)
            if row.code == weak_code:
                actual.selectBar(i)
        series = QBarSeries()
        series.append(actual)
        series.append(target)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        x_axis = QBarCategoryAxis()
        x_axis.append(self.categories)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x_axis)
        y_axis = QValueAxis()
        y_axis.setRange(0, top * 1.15)
        y_axis.setLabelFormat("%d")
        y_axis.applyNiceNumbers()
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y_axis)
