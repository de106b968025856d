"""The page registry: every page of the main window, in navigation order.

The order is the front desk's working day, decided once (the handbook's list):
看板 dashboard, 目标 targets, 任务 tasks, 诊断 diagnosis, 学员/家长 students, 订单 orders,
课表 timetable, 员工 staff, 手机 phones, 设置 settings. Add one entry at your page's place in
that order (between the pages that come before and after it), nothing else; the main window
builds the navigation from this list.

An entry names its page's key, title and class; the page module itself is imported only when
the page is first built (start-up shows the dashboard alone, and importing every page would
load the whole domain layer before the window appears). A test checks that each entry's key
and title are its class's.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Page

if TYPE_CHECKING:
    from desktop.context import AppContext


@dataclass(frozen=True)
class PageEntry:
    """A page of the navigation, its module imported on first use.

    Called like the page class (``entry(ctx)`` builds the page); ``draws_before_open`` marks
    the one page (the dashboard) that can show something while the file is still opening.
    """

    key: str
    title: str
    module: str  # the module inside desktop.pages
    class_name: str
    draws_before_open: bool = False

    def load(self) -> type[Page]:
        """The page class (importing its module now if it was not yet)."""
        module = importlib.import_module(f"{__name__}.{self.module}")
        page_class: type[Page] = getattr(module, self.class_name)
        return page_class

    def __call__(self, ctx: AppContext) -> Page:
        return self.load()(ctx)


PAGES: list[PageEntry] = [
    # 看板 dashboard, 目标 targets, 任务 tasks, 诊断 diagnosis, 学员/家长 students,
    # 订单 orders, 课表 timetable, 员工 staff, 手机 phones, 设置 settings — in that order.
    PageEntry("dashboard", "看板", "dashboard_page", "DashboardPage", draws_before_open=True),
    PageEntry("targets", "目标", "targets_page", "TargetsPage"),
    PageEntry("tasks", "任务", "tasks_page", "TasksPage"),
    PageEntry("diagnosis", "诊断", "diagnosis_page", "DiagnosisPage"),
    PageEntry("students", "学员/家长", "students_page", "StudentsPage"),
    PageEntry("orders", "订单", "orders_page", "OrdersPage"),
    PageEntry("timetable", "课表", "timetable_page", "TimetablePage"),
    PageEntry("staff", "员工", "staff_page", "StaffPage"),
    PageEntry("phones", "手机", "phones_page", "PhonesPage"),
    PageEntry("settings", "设置", "settings_page", "SettingsPage"),
]

__all__ = ["PAGES", "Page", "PageEntry"]
