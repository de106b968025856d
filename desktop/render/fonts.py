"""The CJK font every rendered page and card uses, and the QGuiApplication painting needs."""

from __future__ import annotations

import os
import sys
import threading
from functools import cache

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

# First installed wins: what Chinese Windows, macOS and Linux desktops ship with.
CJK_FAMILIES = (
    "Microsoft YaHei",
    "Microsoft YaHei UI",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Droid Sans Fallback",
)

_app_lock = threading.Lock()


def ensure_gui_application() -> QCoreApplication:
    """The running Qt application, or a new QGuiApplication (offscreen without a display).

    Call it on the main thread before painting elsewhere; the desktop already has its
    QApplication and gets it back unchanged.
    """
    with _app_lock:
        app = QCoreApplication.instance()
        if app is not None:
            return app
        if (
            sys.platform.startswith("linux")
            and "QT_QPA_PLATFORM" not in os.environ
            and not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY")
        ):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return QGuiApplication(sys.argv[:1])


@cache
def cjk_family() -> str:
    """The family drawn with: the first of :data:`CJK_FAMILIES` installed, else any family
    that writes Simplified Chinese, else the default family (Qt then falls back per glyph)."""
    installed = QFontDatabase.families()
    present = set(installed)
    for family in CJK_FAMILIES:
        if family in present:
            return family
    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    if chinese:
        return chinese[0]
    return QFont().family()  # pragma: no cover - every supported system has a CJK font


def font(point_size: float, *, bold: bool = False) -> QFont:
    """The CJK font at a size in points."""
    f = QFont(cjk_family())
    f.setPointSizeF(point_size)
    f.setBold(bold)
    f.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    return f
