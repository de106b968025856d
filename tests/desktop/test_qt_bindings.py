"""The Qt bindings we install keep Python's reference counts straight.

PySide6 6.12.0 releases one reference to ``None`` on every call of a method returning void; on
Python 3.11, where ``None`` is not immortal, a desktop session (or a few PDF reports) then
aborts the interpreter with "Fatal Python error: deallocating None". pyproject.toml excludes
that release; this test catches any release with the same fault before it reaches a campus.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_void_qt_calls_do_not_drop_references_to_none(qapp: object) -> None:
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    label = QLabel()
    try:
        before = sys.getrefcount(None)
        for _ in range(2_000):
            painter.setPen(QColor("red"))
            painter.drawLine(0, 0, 10, 10)
            label.setText("达标")
        lost = before - sys.getrefcount(None)
    finally:
        painter.end()
    # 6,000 void calls: the faulty release loses about 6,000; a sound one loses none.
    assert lost < 100, f"{lost} references to None lost in 6,000 void calls"
