"""How the desktop tells people about errors (qutebrowser's split).

* A :class:`~shared.errors.DabiaoError` is the environment's fault (a locked or damaged file,
  a full disk) or a rule the input broke (``Invalid``): a warning in Chinese with the domain's
  own sentence, nothing more.
* Anything else is our bug: logged with its traceback and shown as 程序错误 with the details,
  so it is reported rather than swallowed.

Message boxes are opened window-modal but non-blocking (``QMessageBox.open``), so a worker's
callback never spins a nested event loop and tests can find and close the box.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from shared.errors import DabiaoError, Invalid

log = logging.getLogger(__name__)

BUG_TITLE = "程序错误"
BUG_TEXT = "达标遇到了一个程序错误，刚才的操作没有完成。请把下面的详细信息发给技术支持。"


def user_message(exc: DabiaoError) -> str:
    """The sentence to show for a domain error (``Invalid`` shows its reason, not the field)."""
    if isinstance(exc, Invalid):
        return exc.reason
    return exc.message


def show_error(
    parent: QWidget | None, exc: BaseException, *, action: str | None = None
) -> QMessageBox:
    """Show ``exc`` the way its kind deserves and return the (already open) message box."""
    if isinstance(exc, DabiaoError):
        title = f"{action}未完成" if action else "提示"
        return _open_box(parent, QMessageBox.Icon.Warning, title, user_message(exc), None)
    return report_bug(parent, exc, action=action)


def report_bug(
    parent: QWidget | None, exc: BaseException, *, action: str | None = None
) -> QMessageBox:
    """Log a bug with its traceback and show it loudly as 程序错误."""
    details = "".join(traceback.format_exception(exc))
    log.error("bug during %s:\n%s", action or "an operation", details)
    text = BUG_TEXT if not action else f"“{action}”时{BUG_TEXT}"
    return _open_box(parent, QMessageBox.Icon.Critical, BUG_TITLE, text, details)


def show_info(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A plain, non-blocking information box (an action finished: where the backup went)."""
    return _open_box(parent, QMessageBox.Icon.Information, title, text, None)


def _open_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    details: str | None,
) -> QMessageBox:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox" if icon != QMessageBox.Icon.Information else "infoBox")
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    if parent is None:
        # Nothing owns a parentless box: keep it alive until it is answered.
        _unowned.add(box)
        box.finished.connect(lambda _result: _unowned.discard(box))
    box.open()
    return box


_unowned: set[QMessageBox] = set()
