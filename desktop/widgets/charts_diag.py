"""Bar charts of the 诊断 page (QtCharts, no web view), clickable for drill-downs.

:class:`BarChart` shows one or more value series over categories — vertical bars for a few
short categories, horizontal bars for many or long ones (courses, teachers). A click on a bar
emits :attr:`BarChart.bar_clicked` with the category's index, so the page can list what is
behind it; indexes are always in the order the page gave the categories, although horizontal
charts draw the first category at the top. One bar may be highlighted (the weak funnel step).
The values shown are what the page passes, converted to float only for drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QWidget

PALETTE = ("#1565c0", "#90a4ae", "#2e7d32", "#ef6c00")
HIGHLIGHT = "#c62828"


@dataclass(frozen=True, slots=True)
class BarSeriesData:
    """One named series: a value per category (same order as the categories)."""

    name: str
    values: Sequence[float]
    color: str | None = None


class BarChart(QChartView):
    """A titled bar chart whose bars can be clicked; ``bar_clicked(index)`` names the category."""

    bar_clicked = Signal(int)

    def __init__(
        self,
        title: str,
        *,
        horizontal: bool = False,
        value_label: str = "",
        parent: QWidget | None = None,
    ) -> None:
        chart = QChart()
        chart.setTitle(title)
        title_font = QFont(chart.titleFont())
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self.horizontal = horizontal
        self.value_label = value_label
        self.categories: list[str] = []
        self.series: QAbstractBarSeries | None = None
        self.bar_sets: list[QBarSet] = []

    def set_bars(
        self,
        categories: Sequence[str],
        series: Sequence[BarSeriesData],
        *,
        highlight: int | None = None,
    ) -> None:
        """Replace the bars; ``highlight`` draws one category of the first series in red."""
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.categories = list(categories)
        bars: QAbstractBarSeries = QHorizontalBarSeries() if self.horizontal else QBarSeries()
        self.bar_sets = []
        top = 0.0
        for i, data in enumerate(series):
            bar_set = QBarSet(data.name)
            bar_set.setColor(QColor(data.color or PALETTE[i % len(PALETTE)]))
            bar_set.setLabelColor(QColor("#263238"))
            bar_set.append([float(data.values[self._drawn(j)]) for j in range(len(data.values))])
            top = max([top, *(float(v) for v in data.values)])
            bars.append(bar_set)
            self.bar_sets.append(bar_set)
        if highlight is not None and self.bar_sets:
            first = self.bar_sets[0]
            first.setSelectedColor(QColor(HIGHLIGHT))
            first.selectBar(self._drawn(highlight))
        bars.setLabelsVisible(True)
        bars.setLabelsFormat("@value")
        bars.setLabelsPrecision(8)  # whole yuan amounts must not turn into 1.2e+05
        bars.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        bars.clicked.connect(self._clicked)
        chart.addSeries(bars)
        self.series = bars
        category_axis = QBarCategoryAxis()
        drawn = [self.categories[self._drawn(j)] for j in range(len(self.categories))]
        category_axis.append(drawn or [""])
        value_axis = QValueAxis()
        counts = all(float(v).is_integer() for data in series for v in data.values)
        if counts and top <= 8:
            # Small counts: one tick per whole number, never 0, 0.5, 1 shown as 0, 0, 1.
            whole = max(1, math.ceil(top * 1.15))
            value_axis.setRange(0, whole)
            value_axis.setTickCount(whole + 1)
        else:
            value_axis.setRange(0, top * 1.15 if top > 0 else 1)
            value_axis.applyNiceNumbers()  # round ticks: 0, 20, 40 … rather than 0, 33, 66
        value_axis.setLabelFormat("%.0f")
        if self.value_label:
            value_axis.setTitleText(self.value_label)
        if self.horizontal:
            chart.addAxis(category_axis, Qt.AlignmentFlag.AlignLeft)
            chart.addAxis(value_axis, Qt.AlignmentFlag.AlignBottom)
        else:
            chart.addAxis(category_axis, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(value_axis, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(category_axis)
        bars.attachAxis(value_axis)
        chart.legend().setVisible(len(series) > 1)

    def _drawn(self, index: int) -> int:
        """Category ``index`` ↔ its position on the axis (horizontal charts list top-down)."""
        return len(self.categories) - 1 - index if self.horizontal else index

    def values(self, series_index: int = 0) -> list[float]:
        """The values drawn for one series, in category order (for tests and tooltips)."""
        bar_set = self.bar_sets[series_index]
        return [bar_set.at(self._drawn(i)) for i in range(bar_set.count())]

    def bar_center(self, category: int, series_index: int = 0) -> QPointF:
        """Where the middle of a category's bar is drawn, in viewport coordinates."""
        assert self.series is not None
        index = self._drawn(category)
        value = self.bar_sets[series_index].at(index) / 2
        # With several series the bars of a category sit side by side around its centre.
        count = len(self.bar_sets)
        offset = (series_index - (count - 1) / 2) * (self.series.barWidth() / max(count, 1))
        position = index + offset
        point = QPointF(value, position) if self.horizontal else QPointF(position, value)
        scene = self.chart().mapToPosition(point, self.series)
        return QPointF(self.mapFromScene(self.chart().mapToScene(scene)))

    def _clicked(self, index: int, _bar_set: QBarSet) -> None:
        self.bar_clicked.emit(self._drawn(index))
