"""QR codes as pixmaps (segno), for pairing a phone by scanning the screen."""

from __future__ import annotations

import io

import segno
from PySide6.QtGui import QImage, QPixmap


def qr_pixmap(text: str, *, scale: int = 6, border: int = 2) -> QPixmap:
    """A QR code of ``text`` (error correction M, enough for a screen) as a pixmap."""
    code = segno.make(text, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=border)
    image = QImage.fromData(buffer.getvalue(), "PNG")
    return QPixmap.fromImage(image)
