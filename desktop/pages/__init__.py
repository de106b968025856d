"""The page registry: every page of the main window, in navigation order.

The order is the front desk's working day, decided once (the handbook's list):
看板 dashboard, 目标 targets, 任务 tasks, 诊断 diagnosis, 学员/家长 students, 订单 orders,
课表 timetable, 员工 staff, 手机 phones, 设置 settings. Add one import and one entry at your
page's place in that order (between the pages that come before and after it), nothing else;
the main window builds the navigation from this list.
"""

from __future__ import annotations

from .base import Page
from .dashboard_page import DashboardPage
from .diagnosis_page import DiagnosisPage
from .orders_page import OrdersPage
from .phones_page import PhonesPage
from .settings_page import SettingsPage
from .staff_page import StaffPage
from .students_page import StudentsPage
from .targets_page import TargetsPage
from .tasks_page import TasksPage
from .timetable_page import TimetablePage

PAGES: list[type[Page]] = [
    # 看板 dashboard, 目标 targets, 任务 tasks, 诊断 diagnosis, 学员/家长 students,
    # 订单 orders, 课表 timetable, 员工 staff, 手机 phones, 设置 settings — in that order.
    DashboardPage,  # 看板
    TargetsPage,  # 目标
    TasksPage,  # 任务
    DiagnosisPage,  # 诊断
    StudentsPage,  # 学员/家长
    OrdersPage,  # 订单
    TimetablePage,  # 课表
    StaffPage,  # 员工
    PhonesPage,  # 手机
    SettingsPage,  # 设置
]

__all__ = ["PAGES", "Page"]
