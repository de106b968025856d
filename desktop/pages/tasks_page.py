"""任务 Tasks: every staff member's targets against actuals for a week or a month.

One row per person: 营业额 and 划课收入 target, actual and 达成率 (coloured by pace status), and
each work stage's actual against its target. Selecting a person shows their task view — the
same :func:`shared.progress.task_view` the phone shows them: money tasks with pace and
forecast, stage tasks and the parent follow-ups that are due.

Every figure is the engine's; the page reads all views in one snapshot through ``ctx.ops``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.models.table_model import (
    DASH,
    STATUS_COLORS,
    Cell,
    CellTableModel,
    table_view,
    yuan,
)
from desktop.widgets.format import percent, status_name
from shared.figures import TASK_HEADERS
from shared.models import Metric, Stage
from shared.periods import Period, week_of, weeks_of_month
from shared.progress import Progress, StageTask, Status, TaskView, task_view
from shared.services.staff import list_staff, role_names

from .base import Page

CREDIT_NAMES: dict[str, str] = {
    "consultant": "课程顾问",
    "intent_teacher": "意向教师",
    "teacher": "教师",
}
METRIC_NAMES: dict[Metric, str] = {Metric.REVENUE: "营业额", Metric.CONSUMPTION: "划课收入"}
DONE_COLOR = "#c8e6c9"  # a stage whose target is reached
SHORT_COLOR = "#ffe0b2"  # a stage still short of its target


@dataclass(frozen=True, slots=True)
class StageColumn:
    """An active stage of the campus, in the campus's order."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class StaffTasks:
    """One person's task view and the roles they hold."""

    roles: tuple[str, ...]
    view: TaskView

    def money(self, metric: Metric) -> Progress | None:
        """The person's progress on ``metric``: as consultant first, else as intent teacher."""
        found = [p for p in self.view.money if p.metric is metric]
        found.sort(key=lambda p: p.role != "consultant")
        return found[0] if found else None

    def stage(self, code: str) -> StageTask | None:
        """The person's task on one stage (None when it has neither target nor count)."""
        return next((s for s in self.view.stages if s.code == code), None)


@dataclass(frozen=True, slots=True)
class TasksData:
    """Everyone's tasks for one period."""

    period: Period
    today: date
    stages: tuple[StageColumn, ...]
    people: tuple[StaffTasks, ...]


def load_tasks(session: Session, campus_id: str, period: Period, today: date) -> TasksData:
    """Every active staff member's task view for ``period``, by pinyin (no task: left out)."""
    stages = tuple(
        StageColumn(code, name)
        for code, name in session.execute(
            select(Stage.code, Stage.name)
            .where(
                Stage.campus_id == campus_id,
                Stage.active.is_(True),
                Stage.is_deleted.is_(False),
            )
            .order_by(Stage.sort_order, Stage.code)
        )
    )
    staff = list_staff(session, campus_id, active_only=True)
    people = []
    for person in staff:
        view = task_view(session, person.id, period, today=today)
        if view.money or view.stages or view.follow_ups:
            people.append(StaffTasks(tuple(person.roles), view))
    return TasksData(period, today, stages, tuple(people))


def stage_text(task: StageTask | None) -> str:
    """A stage cell: ``actual/target`` (``—`` for a missing target)."""
    if task is None:  # neither a target nor anything done: nothing to show
        return ""
    target = DASH if task.target_count is None else str(task.target_count)
    return f"{task.actual_count}/{target}"


def money_cells(progress: Progress | None) -> list[Cell]:
    """Target, actual and 达成率 of one money task; the 达成率 cell carries the status colour."""
    if progress is None:
        return [Cell.money(None), Cell.money(None), Cell(DASH, numeric=True)]
    credit = f"按{CREDIT_NAMES.get(progress.role or '', '校区')}计"
    tooltip = (
        f"{credit}，{status_name(progress.status)}：应完成 {yuan(progress.expected_so_far_fen)}，"
        f"预计全期 {yuan(progress.forecast_fen)}"
    )
    return [
        Cell.money(progress.target_fen if progress.has_target else None, tooltip=credit),
        Cell.money(progress.actual_fen, tooltip=credit),
        Cell(
            percent(progress.attainment),
            numeric=True,
            background=STATUS_COLORS[progress.status],
            tooltip=tooltip,
        ),
    ]


class PeriodPicker(QWidget):
    """按周 / 按月, year, month and the month's weeks (week-of-month labels, never straddling)."""

    period_changed = Signal()

    def __init__(self, today: date, *, week_first: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.week_radio = QRadioButton("按周")
        self.month_radio = QRadioButton("按月")
        (self.week_radio if week_first else self.month_radio).setChecked(True)
        kinds = QButtonGroup(self)
        kinds.addButton(self.week_radio)
        kinds.addButton(self.month_radio)
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(today.year)
        self.year_spin.setKeyboardTracking(False)
        self.month_combo = QComboBox()
        for m in range(1, 13):
            self.month_combo.addItem(f"{m}月", m)
        self.month_combo.setCurrentIndex(today.month - 1)
        self.week_combo = QComboBox()
        self.week_combo.setMinimumContentsLength(18)
        self._fill_weeks(week_of(today).index)
        self.week_combo.setEnabled(week_first)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (
            self.week_radio,
            self.month_radio,
            self.year_spin,
            self.month_combo,
            self.week_combo,
        ):
            layout.addWidget(widget)
        self.week_radio.toggled.connect(self._changed)
        self.year_spin.valueChanged.connect(self._month_changed)
        self.month_combo.currentIndexChanged.connect(self._month_changed)
        self.week_combo.currentIndexChanged.connect(self._changed)

    def _fill_weeks(self, select_index: int = 1) -> None:
        self.week_combo.blockSignals(True)
        self.week_combo.clear()
        for week in weeks_of_month(self.year_spin.value(), int(self.month_combo.currentData())):
            self.week_combo.addItem(week.label, week.index)
        self.week_combo.setCurrentIndex(max(0, min(select_index, self.week_combo.count()) - 1))
        self.week_combo.blockSignals(False)

    @property
    def period(self) -> Period:
        """The week or month chosen."""
        year, month = self.year_spin.value(), int(self.month_combo.currentData())
        if self.month_radio.isChecked():
            return Period.of_month(year, month)
        return Period.of_week(year, month, int(self.week_combo.currentData()))

    def set_period(self, period: Period) -> None:
        """Choose a week or a month; ``period_changed`` follows once."""
        widgets = (self.year_spin, self.month_combo, self.week_combo, self.week_radio)
        for widget in widgets:
            widget.blockSignals(True)
        self.year_spin.setValue(period.year)
        self.month_combo.setCurrentIndex(period.month - 1)
        self._fill_weeks(period.week or 1)
        (self.month_radio if period.kind == "month" else self.week_radio).setChecked(True)
        for widget in widgets:
            widget.blockSignals(False)
        self._changed()

    @Slot()
    def _month_changed(self) -> None:
        self._fill_weeks(self.week_combo.currentIndex() + 1)
        self._changed()

    @Slot()
    def _changed(self) -> None:
        self.week_combo.setEnabled(self.week_radio.isChecked())
        self.period_changed.emit()


class TasksPage(Page):
    """任务: people × (money targets, stage targets) for a week or month, and one person's view."""

    key = "tasks"
    title = "任务"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        today = ctx.today()
        self.data: TasksData | None = None
        self._ticket = 0

        self.picker = PeriodPicker(today, week_first=True)
        self.picker.setObjectName("taskPeriodPicker")
        self.period_label = QLabel()
        self.period_label.setObjectName("taskPeriod")
        self.period_label.setStyleSheet("color: #555;")

        bar = QHBoxLayout()
        bar.addWidget(self.picker)
        bar.addSpacing(12)
        bar.addWidget(self.period_label)
        bar.addStretch(1)
        bar.addWidget(self.make_export_button())
        legend = QHBoxLayout()
        legend.addWidget(QLabel("达成率颜色（按进度）："))
        for status in (Status.AHEAD, Status.ON_PACE, Status.BEHIND, Status.AT_RISK):
            chip = QLabel(f" {status_name(status)} ")
            chip.setStyleSheet(f"background: {STATUS_COLORS[status]}; border-radius: 3px;")
            legend.addWidget(chip)
        legend.addWidget(QLabel("　环节格：实际/目标　教师的营业额按意向教师计"))
        legend.addStretch(1)

        self.model = CellTableModel()
        self.table = table_view(self.model, "taskTable", stretch=False)
        self.table.horizontalHeader().setMinimumSectionSize(64)  # stage columns not too tight
        self.table.selectionModel().currentRowChanged.connect(self._person_changed)

        self.detail_title = QLabel("选择一名员工查看他的任务")
        self.detail_title.setObjectName("taskDetailTitle")
        self.detail_title.setStyleSheet("font-weight: bold; font-size: 15px;")
        self.money_model = CellTableModel(
            ["指标", "身份", "目标", "实际", "达成率", "应完成", "差距", "预计全期", "状态"]
        )
        self.money_view = table_view(self.money_model, "taskMoney")
        self.stage_model = CellTableModel(["环节", "目标", "实际", "完成率"])
        self.stage_view = table_view(self.stage_model, "taskStages")
        self.follow_model = CellTableModel(
            ["应跟进日", "逾期", "家长", "学员", "上次沟通", "方式", "内容"]
        )
        self.follow_view = table_view(self.follow_model, "taskFollowUps", stretch=False)
        self.follow_title = QLabel("到期的家长跟进")

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_title)
        money_box = QGroupBox("金额任务")
        QVBoxLayout(money_box).addWidget(self.money_view)
        stage_box = QGroupBox("环节任务")
        QVBoxLayout(stage_box).addWidget(self.stage_view)
        follow_box = QGroupBox()
        follow_layout = QVBoxLayout(follow_box)
        follow_layout.addWidget(self.follow_title)
        follow_layout.addWidget(self.follow_view)
        lower = QSplitter()
        lower.addWidget(stage_box)
        lower.addWidget(follow_box)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 2)
        self.money_view.setMaximumHeight(3 * 26 + 32)  # one to three money tasks per person
        detail_layout.addWidget(money_box)
        detail_layout.addWidget(lower, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(legend)
        layout.addWidget(splitter, 1)

        self.picker.period_changed.connect(self.refresh)

    @property
    def period(self) -> Period:
        """The week or month chosen."""
        return self.picker.period

    def set_period(self, period: Period) -> None:
        """Choose a week or a month (as the pickers would) and reload."""
        self.picker.set_period(period)

    # ------------------------------------------------------------------ 导出 Excel

    def export_name(self) -> str:
        """``任务-2025年6月第4周``."""
        return f"任务-{self.period.label}"

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """Everyone's tasks, then the selected person's money, stage and follow-up tables."""
        who = self.detail_title.text().split(" 的任务")[0]
        views: list[tuple[str, QAbstractItemView]] = [(f"任务-{self.period.label}", self.table)]
        if self.selected_staff_id() is not None:
            views += [
                (f"{who}-金额任务", self.money_view),
                (f"{who}-环节任务", self.stage_view),
                (f"{who}-家长跟进", self.follow_view),
            ]
        return views

    # ------------------------------------------------------------------ reading

    def refresh(self) -> None:
        """Read everyone's task view for the chosen period."""
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        period, today = self.period, self.ctx.today()
        start, end = period.bounds
        self.period_label.setText(f"{period.label}（{start:%m.%d}–{end:%m.%d}），截至 {today}")
        self._ticket += 1
        ticket = self._ticket
        self.ctx.ops.read(
            lambda s: load_tasks(s, campus_id, period, today),
            lambda data: self._loaded(ticket, data),
            label="读取任务",
        )

    def _loaded(self, ticket: int, data: TasksData) -> None:
        if ticket != self._ticket:
            return
        selected = self.selected_staff_id()
        self.data = data
        headers = [*TASK_HEADERS, *(s.name for s in data.stages)]
        rows = []
        for person in data.people:
            row = [
                Cell(person.view.staff_name, bold=True),
                Cell(role_names(person.roles) or DASH, tooltip=role_names(person.roles)),
            ]
            row += money_cells(person.money(Metric.REVENUE))
            row += money_cells(person.money(Metric.CONSUMPTION))
            for column in data.stages:
                task = person.stage(column.code)
                color = None
                if task is not None and task.target_count:
                    color = DONE_COLOR if task.actual_count >= task.target_count else SHORT_COLOR
                row.append(Cell(stage_text(task), numeric=True, background=color))
            rows.append(row)
        self.model.set_rows(rows, [p.view.staff_id for p in data.people], headers=headers)
        row = self.model.row_of(selected) if selected else -1
        if row < 0 and data.people:
            row = 0  # someone's task view is always shown; the first person to start with
        if row >= 0:
            self.table.selectRow(row)
            self._person_changed()  # the same row again emits nothing, but the data is new
        else:
            self.show_person(None)

    # ------------------------------------------------------------------ one person

    def selected_staff_id(self) -> str | None:
        """The person whose task view is shown."""
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        key = self.model.key(index.row())
        return str(key) if key is not None else None

    def select_person(self, staff_id: str) -> None:
        """Select a person's row (as a click would)."""
        row = self.model.row_of(staff_id)
        if row >= 0:
            self.table.selectRow(row)

    @Slot()
    def _person_changed(self) -> None:
        staff_id = self.selected_staff_id()
        person = None
        if staff_id and self.data is not None:
            person = next((p for p in self.data.people if p.view.staff_id == staff_id), None)
        self.show_person(person)

    def show_person(self, person: StaffTasks | None) -> None:
        """Fill the task view of one person (or empty it)."""
        if person is None:
            self.detail_title.setText("选择一名员工查看他的任务")
            self.money_model.set_rows([])
            self.stage_model.set_rows([])
            self.follow_model.set_rows([])
            self.follow_title.setText("到期的家长跟进")
            return
        view = person.view
        self.detail_title.setText(f"{view.staff_name} 的任务 · {view.period.label}")
        money_rows = []
        for p in view.money:
            gap = p.gap_to_pace_fen
            money_rows.append(
                [
                    Cell(METRIC_NAMES[p.metric]),
                    Cell(CREDIT_NAMES.get(p.role or "", DASH)),
                    Cell.money(p.target_fen if p.has_target else None),
                    Cell.money(p.actual_fen),
                    Cell(percent(p.attainment), numeric=True),
                    Cell.money(p.expected_so_far_fen),
                    Cell(("+" if gap >= 0 else "") + yuan(gap), numeric=True),
                    Cell.money(p.forecast_fen),
                    Cell(status_name(p.status), background=STATUS_COLORS[p.status]),
                ]
            )
        self.money_model.set_rows(money_rows)
        stage_rows = []
        for s in view.stages:
            rate = None
            if s.target_count:
                rate = percent_of(s.actual_count, s.target_count)
            stage_rows.append(
                [
                    Cell(s.name),
                    Cell.count(s.target_count),
                    Cell.count(s.actual_count),
                    Cell(rate or DASH, numeric=True),
                ]
            )
        self.stage_model.set_rows(stage_rows)
        follow_rows = [
            [
                Cell(f.due_on.isoformat()),
                Cell(f"{f.days_overdue} 天" if f.days_overdue else "今天", numeric=True),
                Cell(f.parent_name),
                Cell(f.student_name or DASH),
                Cell(f.last_contact_on.isoformat()),
                Cell(f.channel),
                Cell(f.content, tooltip=f.content),
            ]
            for f in view.follow_ups
        ]
        self.follow_model.set_rows(follow_rows, [f.record_id for f in view.follow_ups])
        self.follow_title.setText(f"到期的家长跟进（截至 {view.today}）：{len(view.follow_ups)} 条")


def percent_of(done: int, target: int) -> str:
    """A stage's completion as a percentage of its target."""
    return percent(Fraction(done, target))
