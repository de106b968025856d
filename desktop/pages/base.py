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

A page that shows lists or reports offers 导出 Excel…: it puts :meth:`Page.make_export_button`
in its bar and names its tables in :meth:`Page.export_views` (or builds sheets itself in
:meth:`Page.export_sheets`); see :mod:`desktop.widgets.export`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractItemView, QPushButton, QWidget

from desktop.context import AppContext
from desktop.errors import show_info
from desktop.widgets.export import ask_target, export_button, export_sheets, views_sheets

if TYPE_CHECKING:
    from shared.exports import Sheet  # loads SQLAlchemy: names only here


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

    # ------------------------------------------------------------------ 导出 Excel

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """The tables the page shows now, each with its sheet title."""
        return []

    def export_sheets(self) -> list[Sheet]:
        """The sheets 导出 Excel writes: the displayed cells of :meth:`export_views`."""
        return views_sheets(self.export_views())

    def export_name(self) -> str:
        """The file name offered (without .xlsx), e.g. ``看板-2026-11``."""
        return f"{self.title}-{self.ctx.today():%Y-%m}"

    def make_export_button(self) -> QPushButton:
        """The page's 导出 Excel… button (the page places it in its bar)."""
        self.export_button = export_button()
        self.export_button.clicked.connect(lambda: self.export_to_excel())
        return self.export_button

    def export_to_excel(self, path: Path | None = None) -> None:
        """Write what the page shows to ``path`` (asked for when None) on a worker."""
        if path is None:
            path = ask_target(self, self.export_name())
            if path is None:
                return
        sheets = self.export_sheets()  # after the dialog: what is shown when the file is chosen
        if not sheets:
            show_info(self.window(), "导出 Excel", "这一页现在没有可导出的表格。")
            return
        export_sheets(self, self.ctx.ops, sheets, path, button=getattr(self, "export_button", None))
