"""Charts (QtCharts; no web view): the month's stage funnel against its targets.

Stage counts differ by orders of magnitude (dozens of invitations, a hundred parent contacts,
a handful of orders), so bars of raw counts hide the small stages. Each stage's bar is its
完成率 instead (count ÷ target, in percent) and the count itself is in the label beside it
(``试听 6/24``); horizontal bars keep those labels whole. The weak stage's bar is red.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from shared.figures import FunnelRow

BAR_COLOR = "#1565c0"
WEAK_COLOR = "#c62828"
LABEL_COLOR = "#263238"


def stage_label(row: FunnelRow) -> str:
    """The axis label of a stage: its name and count against target."""
    target = str(row.target_count) if row.target_count else "未设目标"
    return f"{row.name}  {row.actual_count}/{target}"


def stage_percent(row: FunnelRow) -> float:
    """完成率 of a stage in percent (0 when it has no target)."""
    if not row.target_count:
        return 0.0
    return round(100 * row.actual_count / row.target_count, 1)


def _axis_top(largest: float) -> tuple[int, int]:
    """A round axis end above ``largest`` (room for the value label) and its tick step."""
    step = 25 if largest <= 150 else 50 if largest <= 400 else 100 if largest <= 1000 else 250
    top = math.ceil(largest * 1.12 / step) * step
    while top / step > 10:
        step *= 2
        top = math.ceil(top / step) * step
    return top, step


class FunnelChart(QChartView):
    """One horizontal bar per stage (完成率), stages top to bottom, the weak stage in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setVisible(False)
        chart.setMargins(QMargins(4, 4, 12, 4))
        chart.setBackgroundRoundness(0)
        super().__init__(chart, parent)
        self.setObjectName("funnelChart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(260)
        self.categories: list[str] = []  # top to bottom, as shown
        self.percents: list[float] = []
        self.weak_code: str | None = None

    def set_funnel(self, rows: Sequence[FunnelRow], weak_code: str | None) -> None:
        """Draw the stages in order; ``weak_code`` names the stage to mark (or None)."""
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.weak_code = weak_code
        self.categories = [stage_label(r) for r in rows]
        self.percents = [stage_percent(r) for r in rows]
        bars = QBarSet("完成率")
        bars.setColor(QColor(BAR_COLOR))
        bars.setSelectedColor(QColor(WEAK_COLOR))
        bars.setLabelColor(QColor(LABEL_COLOR))
        # Horizontal categories run bottom-up: feed them reversed so the funnel reads downwards.
        ordered = list(reversed(list(zip(rows, self.percents, strict=True))))
        for i, (row, percent) in enumerate(ordered):
            bars.append(percent)
            if row.code == weak_code:
                bars.selectBar(i)
        series = QHorizontalBarSeries()
        series.append(bars)
        series.setBarWidth(0.6)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value%")
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        chart.addSeries(series)
        y_axis = QBarCategoryAxis()
        y_axis.append([stage_label(r) for r, _p in ordered])
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y_axis)
        x_axis = QValueAxis()
        top, step = _axis_top(max([100.0, *self.percents]))
        x_axis.setRange(0, top)
        x_axis.setLabelFormat("%d%%")
        x_axis.setTickCount(int(top / step) + 1)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x_axis)
