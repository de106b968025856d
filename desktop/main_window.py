"""The main window: navigation on the left, one page at a time, campus selector, status bar.

Refresh rule (one place, so pages do not each invent one): the visible page is refreshed when
it is shown, when the campus changes and on ``ctx.data_changed``; every hidden page is only
marked stale then and refreshes when it is next shown. While 全部校区 is selected, a page with
``campus_required`` shows a note asking for a campus instead of being refreshed.

While the file is still opening (the everyday start draws the dashboard from its snapshot
first), every page but the dashboard shows "正在打开数据库…" and is built only once the file
is open; then every page is marked stale and the visible one refreshes (the dashboard too, from
the file). A click on another page meanwhile is kept: that page appears once the file is open.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from .context import AppContext
from .pages import PAGES, PageEntry
from .pages.base import Page

ALL_CAMPUSES = "全部校区"
NEED_CAMPUS = "这一页针对单个校区，请在上方工具栏选择一个校区。"
SERVER_STOPPED = "手机服务：已停止"
OPENING = "正在打开数据库…"


class _PageSlot(QStackedWidget):
    """Where a page lives in the window: the page (built on first use) or the campus note."""

    def __init__(self, page_class: PageEntry, ctx: AppContext) -> None:
        super().__init__()
        self.page_class = page_class
        self.ctx = ctx
        self.page: Page | None = None
        self.note = QLabel(NEED_CAMPUS)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setObjectName("needCampusNote")
        self.addWidget(self.note)
        self.opening = QLabel(OPENING)
        self.opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.opening.setObjectName("openingNote")
        self.addWidget(self.opening)

    def ensure(self) -> Page:
        """The page, built now if it was not yet."""
        if self.page is None:
            self.page = self.page_class(self.ctx)
            self.insertWidget(0, self.page)
        return self.page

    def show_note(self, on: bool) -> None:
        self.setCurrentWidget(self.note if on else self.ensure())

    def show_opening(self) -> None:
        self.setCurrentWidget(self.opening)


class MainWindow(QMainWindow):
    """达标's main window over one open database (see the module docstring for refreshes)."""

    page_shown = Signal(str)  # the key of the page that became visible
    close_requested = Signal()  # the window is closing: the app stops the server, closes the file

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("mainWindow")
        ctx.ops.dialog_parent = self
        # Pages are built the first time they are shown (start-up builds only the first one);
        # ``page_keys`` lists every registered page, ``pages`` the ones built so far.
        self.page_keys: list[str] = [page_class.key for page_class in PAGES]
        self.pages: dict[str, Page] = {}
        self._slots: dict[str, _PageSlot] = {}
        self._stale: set[str] = set()

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setUniformItemSizes(True)
        nav_font = self.nav.font()
        nav_font.setPointSizeF(nav_font.pointSizeF() * 1.15)
        self.nav.setFont(nav_font)
        self.nav.setStyleSheet(
            "#navigation { background: #263238; color: #eceff1; border: none; outline: 0; }"
            "#navigation::item { padding-left: 18px; }"
            "#navigation::item:hover { background: #37474f; }"
            "#navigation::item:selected { background: #1565c0; color: white; }"
        )
        self.stack = QStackedWidget()
        for page_class in PAGES:
            slot = _PageSlot(page_class, ctx)
            self._slots[page_class.key] = slot
            self.stack.addWidget(slot)
            item = QListWidgetItem(page_class.title)
            item.setData(Qt.ItemDataRole.UserRole, page_class.key)
            item.setSizeHint(QSize(0, 44))
            self.nav.addItem(item)
        self._fit_navigation()
        self.nav.currentRowChanged.connect(self._row_changed)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_toolbar()
        self._build_status_bar()

        ctx.campus_changed.connect(self._campus_changed)
        ctx.campuses_loaded.connect(self._fill_campus_selector)
        ctx.data_changed.connect(self._data_changed)
        ctx.database_replaced.connect(self._database_replaced)
        ctx.database_opened.connect(self._database_opened)
        ctx.ops.pending_changed.connect(self._pending_changed)
        if ctx.bridge is not None:
            ctx.bridge.state_changed.connect(self._server_state_changed)
        self._server_state_changed(ctx.bridge is not None and ctx.bridge.running)
        self._update_title()
        self.resize(1360, 860)
        if self.page_keys:
            self.nav.setCurrentRow(0)

    # ------------------------------------------------------------------ building

    def _fit_navigation(self) -> None:
        width = max(
            (self.nav.fontMetrics().horizontalAdvance(p.title) for p in PAGES),
            default=60,
        )
        self.nav.setFixedWidth(width + 64)

    def _build_toolbar(self) -> None:
        bar = QToolBar("校区")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.campus_label = QLabel("  校区：")
        self.campus_box = QComboBox()
        self.campus_box.setObjectName("campusSelector")
        self.campus_box.setMinimumContentsLength(10)
        self._campus_label_action = bar.addWidget(self.campus_label)
        self._campus_box_action = bar.addWidget(self.campus_box)
        self.refresh_action = QAction("刷新", self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.refresh_current)
        bar.addAction(self.refresh_action)
        bar.addSeparator()
        self.import_action = QAction("导入 Excel…", self)
        self.import_action.setObjectName("importAction")
        self.import_action.setToolTip("从 Excel/CSV 导入学员、家长、课程、订单和上课记录")
        self.import_action.triggered.connect(self.open_import)
        bar.addAction(self.import_action)
        self.report_action = QAction("月度报告…", self)
        self.report_action.setObjectName("reportAction")
        self.report_action.setToolTip("生成某个月的业绩报告（A4 PDF）")
        self.report_action.triggered.connect(self.open_report)
        bar.addAction(self.report_action)
        # Both dialogs work on the file itself: offered once it is open (the everyday start).
        for action in (self.import_action, self.report_action):
            action.setEnabled(self.ctx.is_open)
        self._fill_campus_selector()
        self.campus_box.currentIndexChanged.connect(self._campus_picked)

    def open_import(self) -> QDialog:
        """Open the import dialog (template, check, preview, all-or-nothing import)."""
        from .dialogs.import_dialog import ImportDialog  # imported on first use, not at start-up

        dialog = ImportDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_report(self) -> QDialog:
        """Open the monthly report dialog (this campus or all campuses, as an A4 PDF)."""
        from .dialogs.report_dialog import ReportDialog  # imported on first use

        dialog = ReportDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.server_label = QLabel(SERVER_STOPPED)
        self.server_label.setObjectName("serverStatus")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pending_label = QLabel("")
        self.pending_label.setObjectName("pendingStatus")
        status.addWidget(self.server_label, 1)
        status.addPermanentWidget(self.pending_label)

    # ------------------------------------------------------------------ pages

    def page(self, key: str) -> Page:
        """The page registered under ``key`` (built now if it was not yet)."""
        return self._build(key)

    def _build(self, key: str) -> Page:
        if key not in self.pages:
            self.pages[key] = self._slots[key].ensure()
            self._stale.add(key)  # a new page has not loaded anything yet
        return self.pages[key]

    def current_page(self) -> Page | None:
        """The visible page."""
        slot = self.stack.currentWidget()
        return slot.page if isinstance(slot, _PageSlot) else None

    def show_page(self, key: str) -> Page:
        """Make the page ``key`` visible (refreshing it if stale) and return it."""
        self.nav.setCurrentRow(self.page_keys.index(key))
        return self._build(key)

    @Slot()
    def refresh_current(self) -> None:
        """Reload the visible page now (the 刷新 button, F5)."""
        page = self.current_page()
        if page is not None:
            self._stale.add(page.key)
            self._refresh_if_visible(page.key)

    def _row_changed(self, row: int) -> None:
        if row < 0:
            return
        key = self.nav.item(row).data(Qt.ItemDataRole.UserRole)
        slot = self._slots[key]
        self.stack.setCurrentWidget(slot)
        if self._waits_for_file(key):
            slot.show_opening()
        else:
            self._build(key)
            self._refresh_if_visible(key)
        self.page_shown.emit(key)

    def _waits_for_file(self, key: str) -> bool:
        """Whether page ``key`` must wait for the file (still opening) before it is built."""
        return not self.ctx.is_open and not self._slots[key].page_class.draws_before_open

    def _current_key(self) -> str | None:
        slot = self.stack.currentWidget()
        return slot.page_class.key if isinstance(slot, _PageSlot) else None

    def _refresh_if_visible(self, key: str) -> None:
        if self._current_key() != key or self._waits_for_file(key):
            return
        page, slot = self._build(key), self._slots[key]
        blocked = page.campus_required and self.ctx.campus_id is None
        slot.show_note(blocked)
        if blocked or key not in self._stale:
            return
        self._stale.discard(key)
        page.refresh()

    def _mark_all_stale(self) -> None:
        self._stale = set(self.pages)
        key = self._current_key()
        if key is not None and not self._waits_for_file(key):
            self._build(key)  # built now if it was clicked while the file was opening
            self._refresh_if_visible(key)

    @Slot()
    def _data_changed(self) -> None:
        self._mark_all_stale()

    @Slot(str)
    def _campus_changed(self, _campus_id: str) -> None:
        self._sync_campus_box()
        self._update_title()
        self._mark_all_stale()

    @Slot()
    def _database_replaced(self) -> None:
        self._update_title()
        self._mark_all_stale()

    def show_open_problem(self, text: str) -> None:
        """The file did not open after all: say so on every page, in place of the figures."""
        for slot in self._slots.values():
            slot.opening.setText(text)
            slot.opening.setStyleSheet("color: #b3261e;")
            slot.opening.setWordWrap(True)
            slot.show_opening()

    @Slot()
    def _database_opened(self) -> None:
        for action in (self.import_action, self.report_action):
            action.setEnabled(True)
        self._update_title()
        self._mark_all_stale()

    # ------------------------------------------------------------------ campus selector

    @Slot()
    def _fill_campus_selector(self) -> None:
        several = self.ctx.several_campuses
        self.campus_box.blockSignals(True)
        self.campus_box.clear()
        if several:
            self.campus_box.addItem(ALL_CAMPUSES, "")
        for campus in self.ctx.campuses:
            self.campus_box.addItem(campus.name, campus.id)
        self.campus_box.blockSignals(False)
        self._sync_campus_box()
        # One campus: nothing to choose; the name is in the title.
        self._campus_label_action.setVisible(several)
        self._campus_box_action.setVisible(several)
        self._update_title()

    def _sync_campus_box(self) -> None:
        index = self.campus_box.findData(self.ctx.campus_id or "")
        if index >= 0 and index != self.campus_box.currentIndex():
            self.campus_box.blockSignals(True)
            self.campus_box.setCurrentIndex(index)
            self.campus_box.blockSignals(False)

    @Slot(int)
    def _campus_picked(self, index: int) -> None:
        if index >= 0:
            self.ctx.set_campus(self.campus_box.itemData(index) or None)

    def _update_title(self) -> None:
        campus = self.ctx.campus
        name = campus.name if campus is not None else ALL_CAMPUSES
        self.setWindowTitle(f"达标 — {name} — {self.ctx.path.name}")

    # ------------------------------------------------------------------ status bar

    @Slot(bool)
    def _server_state_changed(self, running: bool) -> None:
        bridge = self.ctx.bridge
        if running and bridge is not None and bridge.urls:
            self.server_label.setText("手机服务：" + "  ".join(bridge.urls))
        else:
            self.server_label.setText(SERVER_STOPPED)

    @Slot(int, list)
    def _pending_changed(self, count: int, labels: list[str]) -> None:
        if count == 0:
            self.pending_label.setText("")
            return
        # Refresh reads come and go constantly; name the long-running ones.
        named = [label for label in dict.fromkeys(labels) if label != "读取数据"]
        text = f"正在处理 {count} 项"
        if named:
            text += "：" + "、".join(named[:3])
        self.pending_label.setText(text)

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Tell the application to stop the server and close the file once the window goes."""
        self.close_requested.emit()
        super().closeEvent(event)
