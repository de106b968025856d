"""The growth card (:class:`shared.growth_card.GrowthCardData`) as a phone-sized PNG.

1080 × 1920 pixels (a phone screen at 3×), drawn with QPainter on a QImage: works on any thread
once a QGuiApplication exists. The student's name, the window, three figures, a radar of the
five ratings with their averages and trends, and the latest teacher comments.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)

from shared.growth_card import GrowthCardData

from ..widgets.format import day_text, hours_text
from .fonts import font

WIDTH = 1080
HEIGHT = 1920
MARGIN = 64

BACKGROUND = QColor("#f5f7fb")
TOP = QColor("#1565c0")
TOP_END = QColor("#42a5f5")
INK = QColor("#212121")
MUTED = QColor("#707070")
CARD = QColor("#ffffff")
ACCENT = QColor("#1565c0")
UP = QColor("#2e7d32")
DOWN = QColor("#c62828")
GRID = QColor("#cfd8dc")


def _font(pixels: float, *, bold: bool = False) -> QFont:
    f = font(10, bold=bold)
    f.setPixelSize(max(1, round(pixels)))
    return f


def _text(
    p: QPainter, rect: QRectF, text: str, f: QFont, color: QColor, flags: int | None = None
) -> None:
    p.setFont(f)
    p.setPen(color)
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    p.drawText(rect, int(align) if flags is None else flags, text)


def _card(p: QPainter, rect: QRectF) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0, 0, 0, 18))
    p.drawRoundedRect(rect.translated(0, 6), 28, 28)
    p.setBrush(CARD)
    p.drawRoundedRect(rect, 28, 28)
    p.setBrush(Qt.BrushStyle.NoBrush)


def _header(p: QPainter, data: GrowthCardData) -> float:
    gradient = QLinearGradient(0, 0, WIDTH, 420)
    gradient.setColorAt(0, TOP)
    gradient.setColorAt(1, TOP_END)
    path = QPainterPath()
    path.addRect(QRectF(0, 0, WIDTH, 420))
    p.fillPath(path, QBrush(gradient))
    white = QColor("#ffffff")
    _text(p, QRectF(MARGIN, 56, WIDTH - 2 * MARGIN, 48), data.campus_name, _font(34), white)
    _text(
        p,
        QRectF(MARGIN, 120, WIDTH - 2 * MARGIN, 110),
        data.student_name,
        _font(96, bold=True),
        white,
    )
    grade = f"{data.grade}　" if data.grade else ""
    _text(
        p,
        QRectF(MARGIN, 240, WIDTH - 2 * MARGIN, 56),
        f"{grade}成长卡片",
        _font(44, bold=True),
        white,
    )
    _text(
        p,
        QRectF(MARGIN, 310, WIDTH - 2 * MARGIN, 44),
        f"{day_text(data.window_start)} 至 {day_text(data.window_end)}（近三个月）",
        _font(32),
        QColor(255, 255, 255, 225),
    )
    return 380.0


def _figures(p: QPainter, data: GrowthCardData, top: float) -> float:
    rect = QRectF(MARGIN, top, WIDTH - 2 * MARGIN, 190)
    _card(p, rect)
    items = (
        ("上课次数", str(data.lessons_attended), "次"),
        ("成长记录", str(data.records), "条"),
        ("剩余课时", hours_text(data.remaining_hours), "课时"),
    )
    cell = rect.width() / len(items)
    for i, (label, value, unit) in enumerate(items):
        x = rect.left() + i * cell
        center = int(Qt.AlignmentFlag.AlignCenter)
        _text(p, QRectF(x, top + 26, cell, 80), value, _font(68, bold=True), ACCENT, center)
        _text(p, QRectF(x, top + 112, cell, 50), f"{label}（{unit}）", _font(32), MUTED, center)
        if i:
            p.setPen(QPen(GRID, 2))
            p.drawLine(QPointF(x, top + 40), QPointF(x, top + 150))
    return rect.bottom() + 36


def _radar(p: QPainter, data: GrowthCardData, top: float) -> float:
    rect = QRectF(MARGIN, top, WIDTH - 2 * MARGIN, 640)
    _card(p, rect)
    _text(p, QRectF(rect.left() + 40, top + 24, 600, 60), "课堂表现评分", _font(42, bold=True), INK)
    _text(
        p,
        QRectF(rect.left() + 40, top + 24, rect.width() - 80, 60),
        "满分 5 分",
        _font(30),
        MUTED,
        int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
    )
    ratings = data.ratings
    cx, cy, radius = rect.left() + 270, top + 350, 180
    n = len(ratings)

    def point(i: int, r: float) -> QPointF:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return QPointF(cx + r * math.cos(angle), cy + r * math.sin(angle))

    p.setPen(QPen(GRID, 2))
    for level in range(1, 6):
        p.drawPolygon(QPolygonF([point(i, radius * level / 5) for i in range(n)]))
    for i in range(n):
        p.drawLine(QPointF(cx, cy), point(i, radius))
    if any(r.average is not None for r in ratings):
        shape = QPolygonF(
            [point(i, radius * float(r.average or 0) / 5) for i, r in enumerate(ratings)]
        )
        p.setPen(QPen(ACCENT, 5))
        p.setBrush(QColor(21, 101, 192, 70))
        p.drawPolygon(shape)
        p.setBrush(Qt.BrushStyle.NoBrush)
    label_font = _font(28)
    metrics = QFontMetricsF(label_font)
    for i, r in enumerate(ratings):
        at = point(i, radius + 44)
        w = metrics.horizontalAdvance(r.name) + 8
        _text(
            p,
            QRectF(at.x() - w / 2, at.y() - 20, w, 40),
            r.name,
            label_font,
            MUTED,
            int(Qt.AlignmentFlag.AlignCenter),
        )
    # The list beside the radar: name, average, trend.
    x = rect.left() + 540
    row_h = 96
    y = top + 120
    for r in ratings:
        _text(p, QRectF(x, y, 260, 50), r.name, _font(34), INK)
        value = f"{r.average}" if r.average is not None else "—"
        _text(
            p,
            QRectF(x + 180, y, 170, 50),
            value,
            _font(44, bold=True),
            ACCENT,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
        )
        if r.trend:
            color = UP if r.trend > 0 else DOWN
            mid = QPointF(x + 385, y + 25)
            sign = -1 if r.trend > 0 else 1
            arrow = QPolygonF(
                [
                    QPointF(mid.x(), mid.y() + sign * 16),
                    QPointF(mid.x() - 14, mid.y() - sign * 10),
                    QPointF(mid.x() + 14, mid.y() - sign * 10),
                ]
            )
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawPolygon(arrow)
            p.setBrush(Qt.BrushStyle.NoBrush)
        bar = QRectF(x, y + 56, 360, 12)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e3f2fd"))
        p.drawRoundedRect(bar, 6, 6)
        if r.average is not None:
            p.setBrush(ACCENT)
            p.drawRoundedRect(QRectF(x, y + 56, 360 * float(r.average) / 5, 12), 6, 6)
        p.setBrush(Qt.BrushStyle.NoBrush)
        y += row_h
    return rect.bottom() + 36


def _comments(p: QPainter, data: GrowthCardData, top: float) -> None:
    rect = QRectF(MARGIN, top, WIDTH - 2 * MARGIN, HEIGHT - top - 130)
    _card(p, rect)
    _text(p, QRectF(rect.left() + 40, top + 24, 600, 60), "老师寄语", _font(42, bold=True), INK)
    y = top + 100
    inner = rect.width() - 80
    bottom = rect.bottom() - 24
    if not data.recent:
        _text(p, QRectF(rect.left() + 40, y, inner, 60), "近三个月暂无成长记录", _font(34), MUTED)
        return
    wrap = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
    body_font = _font(34)
    body_metrics = QFontMetricsF(body_font)
    for entry in data.recent:
        head = f"{day_text(entry.recorded_on)}　{entry.teacher_name}老师"
        if entry.course_name:
            head += f"　{entry.course_name}"
        if y + 50 > bottom:
            break
        _text(p, QRectF(rect.left() + 40, y, inner, 46), head, _font(30, bold=True), ACCENT)
        y += 52
        for line in (entry.progress_note and f"学习进度：{entry.progress_note}", entry.comment):
            if not line:
                continue
            needed = body_metrics.boundingRect(QRectF(0, 0, inner, 1e6), wrap, line).height()
            room = bottom - y
            if room < body_metrics.height():
                break
            height = min(needed, room - room % body_metrics.lineSpacing())
            if needed > height:  # what does not fit ends in an ellipsis, never mid-glyph
                while (
                    line
                    and body_metrics.boundingRect(
                        QRectF(0, 0, inner, 1e6), wrap, line + "…"
                    ).height()
                    > height
                ):
                    line = line[:-1]
                line += "…"
            _text(p, QRectF(rect.left() + 40, y, inner, height), line, body_font, INK, wrap)
            y += height + 8
        y += 28


def _footer(p: QPainter, data: GrowthCardData) -> None:
    _text(
        p,
        QRectF(MARGIN, HEIGHT - 100, WIDTH - 2 * MARGIN, 60),
        f"{data.campus_name} · 达标 · {day_text(data.window_end)}",
        _font(28),
        MUTED,
        int(Qt.AlignmentFlag.AlignCenter),
    )


def growth_card_image(data: GrowthCardData) -> QImage:
    """The card as a 1080 × 1920 image."""
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB32)
    image.fill(BACKGROUND)
    p = QPainter(image)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        top = _header(p, data)
        top = _figures(p, data, top)
        top = _radar(p, data, top)
        _comments(p, data, top)
        _footer(p, data)
    finally:
        p.end()
    return image


def growth_card_png(data: GrowthCardData) -> bytes:
    """The card as PNG bytes (what the phone route answers and the desktop saves)."""
    image = growth_card_image(data)
    data_bytes = QByteArray()
    buffer = QBuffer(data_bytes)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data_bytes.data())
