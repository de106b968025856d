"""A small flowing layout for printed pages: headings, text, figure boxes, tables and bar charts.

Elements are laid out top to bottom into pages first (each page a list of paint steps), and
painted afterwards, so that every page's footer can say 第 n 页 / 共 N 页. Sizes are given in
points (1/72 inch) and converted to the device's pixels; fonts are sized in points, so a
QPdfWriter of any resolution prints the same page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPaintDevice, QPainter, QPen

from .fonts import font

Paint = Callable[[QPainter], None]

INK = QColor("#212121")
MUTED = QColor("#616161")
RULE = QColor("#bdbdbd")
ACCENT = QColor("#1565c0")
HEADER_FILL = QColor("#e3f2fd")
STRIPE_FILL = QColor("#fafafa")
MARK_FILL = QColor("#ffebee")
TARGET_COLOR = QColor("#b0bec5")
ACTUAL_COLOR = QColor("#1565c0")
SECOND_COLOR = QColor("#ef6c00")

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


@dataclass(frozen=True)
class Column:
    """A table column: header, share of the table's width, alignment."""

    header: str
    weight: float = 1.0
    right: bool = False


@dataclass(frozen=True)
class Bars:
    """A series of a bar chart: its legend name, colour and one value per category."""

    name: str
    color: QColor
    values: Sequence[float]


class Flow:
    """Lays elements out on pages of ``width`` × ``height`` device pixels of ``device``."""

    def __init__(self, device: QPaintDevice, width: float, height: float, dpi: float) -> None:
        self.device = device
        self.width = width
        self.height = height
        self.dpi = dpi
        self.pages: list[list[Paint]] = [[]]
        self.y = 0.0

    # ------------------------------------------------------------------ units and text

    def pt(self, points: float) -> float:
        """Points as device pixels."""
        return points * self.dpi / 72.0

    def metrics(self, f: QFont) -> QFontMetricsF:
        """Font metrics on the output device."""
        return QFontMetricsF(f, self.device)

    def text_height(self, text: str, f: QFont, width: float) -> float:
        """The height of ``text`` wrapped to ``width``."""
        flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
        rect = self.metrics(f).boundingRect(QRectF(0, 0, width, 1e6), flags, text)
        return rect.height()

    # ------------------------------------------------------------------ pages

    @property
    def remaining(self) -> float:
        """Height left on the current page."""
        return self.height - self.y

    def new_page(self) -> None:
        """Continue on a fresh page."""
        self.pages.append([])
        self.y = 0.0

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` still fits on this one."""
        if self.y > 0 and height > self.remaining:
            self.new_page()

    def add(self, paint: Paint) -> None:
        """A paint step on the current page."""
        self.pages[-1].append(paint)

    def space(self, points: float) -> None:
        """Vertical space (dropped at the top of a page)."""
        if self.y > 0:
            self.y = min(self.height, self.y + self.pt(points))

    # ------------------------------------------------------------------ elements

    def text(
        self,
        text: str,
        size: float = 9.5,
        *,
        bold: bool = False,
        color: QColor = INK,
        indent: float = 0,
    ) -> None:
        """A paragraph, wrapped to the page width."""
        f = font(size, bold=bold)
        x = self.pt(indent)
        width = self.width - x
        height = self.text_height(text, f, width) + self.pt(2)
        self.need(height)
        rect = QRectF(x, self.y, width, height)

        def paint(p: QPainter) -> None:
            p.setFont(f)
            p.setPen(color)
            p.drawText(rect, int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap), text)

        self.add(paint)
        self.y += height

    def heading(self, text: str) -> None:
        """A section heading with a rule under it; kept with at least some room after it."""
        f = font(14, bold=True)
        height = self.metrics(f).height() + self.pt(6)
        self.space(10)
        self.need(height + self.pt(90))
        top = self.y
        width = self.width

        def paint(p: QPainter) -> None:
            p.setFont(f)
            p.setPen(ACCENT)
            p.drawText(QRectF(0, top, width, height - self.pt(4)), LEFT, text)
            p.setPen(QPen(ACCENT, self.pt(1.2)))
            p.drawLine(
                QPointF(0, top + height - self.pt(2)), QPointF(width, top + height - self.pt(2))
            )

        self.add(paint)
        self.y += height + self.pt(4)

    def subheading(self, text: str) -> None:
        """A smaller heading inside a section."""
        f = font(11, bold=True)
        height = self.metrics(f).height() + self.pt(4)
        self.space(4)
        self.need(height + self.pt(50))
        top = self.y
        width = self.width

        def paint(p: QPainter) -> None:
            p.setFont(f)
            p.setPen(INK)
            p.drawText(QRectF(0, top, width, height), LEFT, text)

        self.add(paint)
        self.y += height

    def figures(self, boxes: Sequence[tuple[str, str, str, QColor | None]]) -> None:
        """A row of figure boxes: (label, value, note, colour of the note or None)."""
        label_font, value_font, note_font = font(8.5), font(14, bold=True), font(8)
        gap = self.pt(6)
        box_w = (self.width - gap * (len(boxes) - 1)) / len(boxes)
        height = (
            self.metrics(label_font).height()
            + self.metrics(value_font).height()
            + self.metrics(note_font).height()
            + self.pt(14)
        )
        self.need(height)
        top = self.y
        pad = self.pt(5)

        def paint(p: QPainter) -> None:
            for i, (label, value, note, color) in enumerate(boxes):
                x = i * (box_w + gap)
                p.setPen(QPen(RULE, self.pt(0.6)))
                p.setBrush(STRIPE_FILL)
                p.drawRoundedRect(QRectF(x, top, box_w, height), self.pt(3), self.pt(3))
                y = top + pad
                for text, f, pen in (
                    (label, label_font, MUTED),
                    (value, value_font, INK),
                    (note, note_font, color or MUTED),
                ):
                    line = self.metrics(f).height()
                    p.setFont(f)
                    p.setPen(pen)
                    shown = self.metrics(f).elidedText(
                        text, Qt.TextElideMode.ElideRight, box_w - 2 * pad
                    )
                    p.drawText(QRectF(x + pad, y, box_w - 2 * pad, line), LEFT, shown)
                    y += line + self.pt(2)
            p.setBrush(Qt.BrushStyle.NoBrush)

        self.add(paint)
        self.y += height + self.pt(6)

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        *,
        marked: Sequence[int] = (),
        colors: dict[tuple[int, int], QColor] | None = None,
        empty: str = "（无数据）",
    ) -> None:
        """A table whose header repeats on every page it runs over; ``marked`` rows are tinted."""
        f, head_font = font(8.5), font(8.5, bold=True)
        row_h = self.metrics(f).height() + self.pt(5)
        total = sum(c.weight for c in columns)
        widths = [self.width * c.weight / total for c in columns]
        pad = self.pt(3)
        colors = colors or {}
        marked_rows = set(marked)

        def header_at(top: float) -> Paint:
            def paint(p: QPainter) -> None:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(HEADER_FILL)
                p.drawRect(QRectF(0, top, self.width, row_h))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setFont(head_font)
                p.setPen(INK)
                x = 0.0
                for col, w in zip(columns, widths, strict=True):
                    p.drawText(
                        QRectF(x + pad, top, w - 2 * pad, row_h),
                        RIGHT if col.right else LEFT,
                        col.header,
                    )
                    x += w

            return paint

        def row_at(top: float, index: int, cells: Sequence[str]) -> Paint:
            def paint(p: QPainter) -> None:
                fill = MARK_FILL if index in marked_rows else STRIPE_FILL if index % 2 else None
                if fill is not None:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(fill)
                    p.drawRect(QRectF(0, top, self.width, row_h))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                p.setFont(f)
                x = 0.0
                metrics = self.metrics(f)
                for c, (col, w, cell) in enumerate(zip(columns, widths, cells, strict=True)):
                    p.setPen(colors.get((index, c), INK))
                    shown = metrics.elidedText(cell, Qt.TextElideMode.ElideRight, w - 2 * pad)
                    p.drawText(
                        QRectF(x + pad, top, w - 2 * pad, row_h),
                        RIGHT if col.right else LEFT,
                        shown,
                    )
                    x += w
                p.setPen(QPen(RULE, self.pt(0.4)))
                p.drawLine(QPointF(0, top + row_h), QPointF(self.width, top + row_h))

            return paint

        self.need(row_h * (2 if rows else 1))
        self.add(header_at(self.y))
        self.y += row_h
        if not rows:
            self.text(empty, 8.5, color=MUTED)
            return
        for index, cells in enumerate(rows):
            if row_h > self.remaining:
                self.new_page()
                self.add(header_at(self.y))
                self.y += row_h
            self.add(row_at(self.y, index, cells))
            self.y += row_h
        self.y += self.pt(6)

    def bar_chart(
        self,
        title: str,
        categories: Sequence[str],
        series: Sequence[Bars],
        *,
        value_text: Callable[[float], str],
        height: float = 150,
        x: float = 0,
        width: float | None = None,
        advance: bool = True,
        marked: Sequence[int] = (),
        reference: float | None = None,
    ) -> None:
        """Vertical grouped bars with a legend; several charts may share a row (``advance``);
        ``reference`` draws a dashed line at that value (e.g. 100 %)."""
        chart_w = self.width - x if width is None else width
        chart_h = self.pt(height)
        if advance or x == 0:
            self.need(chart_h)
        top = self.y
        title_font, label_font = font(9.5, bold=True), font(7.5)
        marked_set = set(marked)

        def paint(p: QPainter) -> None:
            m = self.metrics(label_font)
            line = m.height()
            p.setFont(title_font)
            p.setPen(INK)
            title_h = self.metrics(title_font).height()
            p.drawText(QRectF(x, top, chart_w, title_h), LEFT, title)
            # Legend on the title's line, right-aligned.
            p.setFont(label_font)
            lx = x + chart_w
            for s in reversed(series):
                text_w = m.horizontalAdvance(s.name)
                lx -= text_w
                p.setPen(INK)
                p.drawText(QRectF(lx, top, text_w, title_h), LEFT, s.name)
                lx -= self.pt(10)
                p.fillRect(
                    QRectF(lx, top + title_h / 2 - self.pt(3), self.pt(7), self.pt(6)), s.color
                )
                lx -= self.pt(8)
            # Category names that do not fit under their group are written slanted.
            groups = max(1, len(categories))
            group_w = (chart_w - self.pt(4)) / groups
            widest = max([m.horizontalAdvance(c) for c in categories] + [0.0])
            slanted = widest > group_w
            names_h = widest * 0.72 + line if slanted else line
            plot = QRectF(
                x + self.pt(2),
                top + title_h + line + self.pt(4),
                chart_w - self.pt(4),
                chart_h - title_h - line - names_h - self.pt(10),
            )
            values = [v for s in series for v in s.values]
            largest = max([*values, reference or 0.0, 0.0])
            p.setPen(QPen(RULE, self.pt(0.6)))
            p.drawLine(plot.bottomLeft(), plot.bottomRight())
            if not categories:
                return
            bar_w = group_w * 0.8 / max(1, len(series))
            # Values are written over the bars only where they fit beside each other.
            widest_value = max(m.horizontalAdvance(value_text(v)) for v in values)
            label_values = widest_value <= bar_w * 1.15 or len(series) * groups <= 12
            for i, category in enumerate(categories):
                gx = plot.left() + i * group_w + group_w * 0.1
                for j, s in enumerate(series):
                    value = s.values[i]
                    h = plot.height() * (value / largest) if largest > 0 else 0
                    h = max(h, 0)
                    bar = QRectF(gx + j * bar_w, plot.bottom() - h, bar_w * 0.92, h)
                    p.fillRect(bar, s.color)
                    if not label_values:
                        continue
                    p.setPen(INK)
                    p.drawText(
                        QRectF(
                            bar.left() - self.pt(8),
                            bar.top() - line,
                            bar.width() + self.pt(16),
                            line,
                        ),
                        CENTER,
                        value_text(value),
                    )
                p.setPen(ACCENT if i in marked_set else MUTED)
                center_x = plot.left() + (i + 0.5) * group_w
                if slanted:
                    p.save()
                    p.translate(center_x, plot.bottom() + self.pt(3))
                    p.rotate(-45)
                    w = m.horizontalAdvance(category)
                    p.drawText(QRectF(-w, 0, w, line), RIGHT, category)
                    p.restore()
                else:
                    p.drawText(
                        QRectF(
                            plot.left() + i * group_w, plot.bottom() + self.pt(2), group_w, line
                        ),
                        CENTER,
                        category,
                    )
            if reference:
                y = plot.bottom() - plot.height() * reference / largest
                p.setPen(QPen(QColor("#c62828"), self.pt(0.8), Qt.PenStyle.DashLine))
                p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
                p.drawText(
                    QRectF(plot.right() - self.pt(60), y - line, self.pt(60), line),
                    RIGHT,
                    value_text(reference),
                )

        self.add(paint)
        if advance:
            self.y += chart_h + self.pt(8)

    def hbar_chart(
        self,
        title: str,
        rows: Sequence[tuple[str, float, str, bool]],
        *,
        maximum: float | None = None,
    ) -> None:
        """Horizontal bars: (label, value, value text, marked); marked bars are red."""
        title_font, label_font = font(9.5, bold=True), font(8)
        m = self.metrics(label_font)
        row_h = m.height() + self.pt(6)
        title_h = self.metrics(title_font).height() + self.pt(4)
        height = title_h + row_h * len(rows) + self.pt(6)
        self.need(height)
        top = self.y
        label_w = max([m.horizontalAdvance(r[0]) for r in rows] + [0.0]) + self.pt(8)
        value_w = max([m.horizontalAdvance(r[2]) for r in rows] + [0.0]) + self.pt(8)
        largest = maximum or max([r[1] for r in rows] + [1.0])

        def paint(p: QPainter) -> None:
            p.setFont(title_font)
            p.setPen(INK)
            p.drawText(QRectF(0, top, self.width, title_h), LEFT, title)
            p.setFont(label_font)
            bar_space = self.width - label_w - value_w
            for i, (label, value, text, is_marked) in enumerate(rows):
                y = top + title_h + i * row_h
                p.setPen(INK)
                p.drawText(QRectF(0, y, label_w - self.pt(6), row_h), RIGHT, label)
                w = bar_space * min(1.0, max(0.0, value / largest)) if largest > 0 else 0
                color = QColor("#c62828") if is_marked else ACTUAL_COLOR
                p.fillRect(QRectF(label_w, y + self.pt(2), w, row_h - self.pt(4)), color)
                p.drawText(QRectF(label_w + w + self.pt(4), y, value_w, row_h), LEFT, text)

        self.add(paint)
        self.y += height
