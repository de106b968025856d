"""The base class of every page of the main window (看板, 目标, 任务 … 设置).

A page is a plain widget that shows one part of the campus. It never touches the database on
the GUI thread: :meth:`Page.refresh` submits a read through ``ctx.ops.read`` and fills the
widgets in the callback; user actions become ``ctx.ops.write`` calls (which emit
``ctx.data_changed`` once committed).

The main window calls :meth:`refresh` when the page becomes visible, when the campus changes
and on ``data_changed`` while the page is visible; hidden pages are marked stale and refreshed
when shown. A page that can work across campuses (the dashboard's rollup) sets
``campus_required = False`` and handles ``ctx.campus_id is None`` itself; for the others the
window shows a "请选择一个校区" note instead while 全部校区 is selected.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from desktop.context import AppContext


class Page(QWidget):
    """One page of the main window; subclasses set ``key`` and ``title`` and load in refresh()."""

    key: str = ""  # stable identifier (object names, screenshots, tests)
    title: str = ""  # the navigation label, in Chinese
    campus_required: bool = True  # False: also meaningful with 全部校区 selected

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"page_{self.key}")

    def refresh(self) -> None:
        """Reload what the page shows (through ``ctx.ops.read``); must not block."""
        raise NotImplementedError(f"{type(self).__name__} must implement refresh()")
