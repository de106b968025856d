"""目标 Targets: set a year's 营业额 and 划课收入 targets and decompose them in one flow.

Three steps, each showing that its parts add up to the whole, to the fen:

① 年度分解 — year, the two amounts (元), the spread method; the months and, for the chosen
  month, its weeks are previewed as you type with :func:`shared.targets.preview_year` (run off
  the GUI thread: the day-weight calendar makes it take tens of milliseconds). A month or
  week typed in by hand is an override: the other parts re-spread at once and the hand-set
  cells are marked. 保存 writes both plans with :func:`shared.targets.save_year_plan` and the
  page lists the :class:`~shared.targets.ChangeReport`.
② 倒推漏斗 — the campus's historical funnel rates (:func:`shared.funnel.historical_rates`),
  editable; each saved week's 营业额 target becomes stage counts
  (:func:`shared.funnel.plan_stage_targets`); 保存 writes them per consultant
  (:func:`shared.funnel.save_stage_targets`), shared by the consultants' order targets.
③ 员工分配 — consultants' and intent teachers' order targets by the manager's weights
  (:func:`shared.targets.split_staff_order_targets`), teachers' 划课收入 targets by their
  scheduled lessons (:func:`shared.targets.split_teacher_consumption_targets`).

Reads and writes go through ``ctx.ops``; the page keeps only what the manager typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from PySide6.QtCore import QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.models.table_model import (
    DASH,
    TOTAL_COLOR,
    Cell,
    CellTableModel,
    table_view,
    yuan,
)
from desktop.models.targets_model import PlanCell, PlanTableModel, edit_text
from desktop.widgets.format import percent
from shared.day_weights import DayWeightProfile
from shared.errors import DabiaoError, Invalid
from shared.funnel import (
    FUNNEL_STAGES,
    FunnelRates,
    StageTargetChange,
    StageTargetReport,
    historical_rates,
    load_stage_targets,
    plan_stage_targets,
    save_stage_targets,
)
from shared.models import DEFAULT_STAGE_NAMES, Campus, Metric, Role, TargetRole
from shared.money import round_half_up, split_by_weights, yuan_to_fen
from shared.periods import weeks_of_month
from shared.services.staff import StaffRow, list_staff
from shared.targets import (
    ChangeReport,
    SpreadMethod,
    StaffPlan,
    YearPlan,
    last_year_actuals,
    load_staff_targets,
    load_year_plan,
    preview_year,
    save_year_plan,
    scheduled_lesson_values,
    split_staff_order_targets,
    split_teacher_consumption_targets,
)
from shared.targets.staff import MAX_WEIGHT

from .base import Page

METRICS: tuple[Metric, Metric] = (Metric.REVENUE, Metric.CONSUMPTION)
METRIC_NAMES: dict[Metric, str] = {Metric.REVENUE: "营业额", Metric.CONSUMPTION: "划课收入"}
METHOD_NAMES: dict[SpreadMethod, str] = {
    SpreadMethod.EVEN: "平均分配",
    SpreadMethod.DAY_WEIGHTS: "按日权重",
    SpreadMethod.SEASONALITY: "按去年季节性",
}
ROLE_TITLES: dict[TargetRole, str] = {
    TargetRole.CONSULTANT: "课程顾问任务额",
    TargetRole.INTENT_TEACHER: "意向教师任务额",
    TargetRole.TEACHER: "教师划课目标",
}
RATE_LABELS: dict[str, str] = {
    "avg_order_fen": "平均客单价",
    "invite_to_visit": "邀约→到访转化率",
    "visit_to_trial": "到访→试听转化率",
    "trial_to_sign": "试听→签单转化率",
}
RATE_FIELDS: tuple[str, ...] = ("invite_to_visit", "visit_to_trial", "trial_to_sign")
OK_MARK = "✓"
BAD_MARK = "✗"
PREVIEW_DELAY_MS = 120  # typing pauses this long before the preview is recomputed


# =========================================================================== data


@dataclass(frozen=True, slots=True)
class YearData:
    """What the page reads for a campus and year: profile, history, saved plans, rates, staff."""

    campus_id: str
    year: int
    profile: DayWeightProfile
    history: dict[Metric, dict[int, int]]  # last year's actual months (seasonality)
    saved: dict[Metric, YearPlan | None]
    rates: FunnelRates
    staff: tuple[StaffRow, ...]  # active staff, by pinyin

    def staff_name(self, staff_id: str | None) -> str:
        """A staff member's name (people no longer active are named as such)."""
        return next((s.name for s in self.staff if s.id == staff_id), "（已停用员工）")


@dataclass(frozen=True, slots=True)
class MonthData:
    """What the page reads for one month: people's targets, lesson values, stage targets."""

    campus_id: str
    year: int
    month: int
    staff_targets: dict[TargetRole, tuple[StaffPlan, ...]]
    lesson_values: dict[str, Decimal]  # teacher id → scheduled lesson value in fen
    campus_stages: dict[tuple[str, int], int]  # (stage code, week) → count
    consultant_stages: dict[str, dict[tuple[str, int], int]]


def load_year_data(session: Session, campus_id: str, year: int, today: date) -> YearData:
    """Read everything the year step needs (one snapshot)."""
    campus = session.get(Campus, campus_id)
    profile = DayWeightProfile.from_settings(campus.settings if campus else None)
    return YearData(
        campus_id=campus_id,
        year=year,
        profile=profile,
        history={m: last_year_actuals(session, campus_id, year, m) for m in METRICS},
        saved={m: load_year_plan(session, campus_id, year, m) for m in METRICS},
        rates=historical_rates(session, campus_id, today),
        staff=tuple(list_staff(session, campus_id, active_only=True)),
    )


def load_month_data(session: Session, campus_id: str, year: int, month: int) -> MonthData:
    """Read the people's targets, lesson values and stage targets of one month."""
    consultants = [
        s.id
        for s in list_staff(session, campus_id, active_only=True)
        if s.has_role(Role.CONSULTANT)
    ]
    return MonthData(
        campus_id=campus_id,
        year=year,
        month=month,
        staff_targets={
            role: load_staff_targets(session, campus_id, year, month, role) for role in TargetRole
        },
        lesson_values=scheduled_lesson_values(session, campus_id, year, month),
        campus_stages=load_stage_targets(session, campus_id, year, month),
        consultant_stages={
            sid: load_stage_targets(session, campus_id, year, month, sid) for sid in consultants
        },
    )


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What the manager typed: the year's amounts, the method and the hand-set parts."""

    year: int
    method: SpreadMethod
    amounts: dict[Metric, int | None]
    overrides: dict[Metric, dict[int, int]]
    week_overrides: dict[Metric, dict[int, dict[int, int]]]


@dataclass(frozen=True, slots=True)
class PlanPreview:
    """The previewed plan of each metric, or why it cannot be planned (in Chinese)."""

    inputs: PlanInputs
    plans: dict[Metric, YearPlan | None]
    errors: dict[Metric, str]


def field_label(metric: Metric, field: str) -> str:
    """Name the input behind an engine ``Invalid.field`` in the manager's words."""
    name = METRIC_NAMES[metric]
    if field.startswith("week_overrides["):
        month = field.removeprefix("week_overrides[").split("]")[0]
        return f"{name}{month}月的手工周目标"
    if field.startswith("overrides"):
        return f"{name}的手工月目标"
    return f"{name}年目标"


def compute_preview(inputs: PlanInputs, data: YearData) -> PlanPreview:
    """Preview both metrics' plans with the campus profile and last year's months."""
    plans: dict[Metric, YearPlan | None] = {}
    errors: dict[Metric, str] = {}
    for metric in METRICS:
        amount = inputs.amounts[metric]
        if amount is None:
            plans[metric] = None
            continue
        try:
            plans[metric] = preview_year(
                inputs.year,
                amount,
                inputs.method,
                data.profile,
                overrides=inputs.overrides[metric],
                seasonality=data.history[metric],
                week_overrides=inputs.week_overrides[metric],
            )
        except Invalid as exc:
            plans[metric] = None
            errors[metric] = f"{field_label(metric, exc.field)}：{exc.reason}"
    return PlanPreview(inputs, plans, errors)


def plan_signature(plan: YearPlan | None) -> tuple[object, ...] | None:
    """The figures and flags that a save would write (to tell saved from unsaved)."""
    if plan is None:
        return None
    return (
        plan.amount_fen,
        plan.method,
        tuple(
            (m.amount_fen, m.is_manual, tuple((w.amount_fen, w.is_manual) for w in m.weeks))
            for m in plan.months
        ),
    )


def parse_percent(text: str, label: str) -> Fraction:
    """A percentage typed as ``66.5`` (or ``66.5%``) as an exact rate; Invalid names ``label``."""
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise Invalid(label, f"不是有效的百分比：{text!r}") from None
    if not value.is_finite():
        raise Invalid(label, f"不是有效的百分比：{text!r}")
    return Fraction(value) / 100


def percent_input(rate: Fraction) -> str:
    """A rate as the percentage text its input shows (``66.5``)."""
    return percent(rate).removesuffix("%")


def describe_change_report(
    reports: Mapping[str, ChangeReport | StageTargetReport],
) -> str:
    """One sentence per saved part: how many targets were added, changed or removed."""
    parts = []
    for title, report in reports.items():
        if isinstance(report, StageTargetReport):
            olds = [c.old_count for c in report.changes]
            news = [c.new_count for c in report.changes]
        else:
            olds = [c.old_fen for c in report.changes]
            news = [c.new_fen for c in report.changes]
        added = sum(1 for o in olds if o is None)
        removed = sum(1 for n in news if n is None)
        changed = len(olds) - added - removed
        if not olds:
            parts.append(f"{title}：没有变化")
        else:
            parts.append(f"{title}：新增 {added} 项，修改 {changed} 项，删除 {removed} 项")
        if isinstance(report, ChangeReport) and report.stage_changes:
            parts.append(describe_stage_changes(report.stage_changes))
    return "；".join(parts)


STAGE_CHANGES_SHOWN = 6  # campus stage changes named in the summary; the table lists them all


def _count_text(count: int | None) -> str:
    return "无" if count is None else str(count)


def describe_stage_changes(changes: Sequence[StageTargetChange]) -> str:
    """The 周环节目标 that followed a revenue change, in one clause: the campus counts first
    (week, stage, old→new; the first few, then how many more), then how many consultants'
    counts moved with them."""
    stage_order = {code: i for i, code in enumerate(DEFAULT_STAGE_NAMES)}
    campus = sorted(
        (c for c in changes if c.staff_id is None),
        key=lambda c: (
            c.period.year,
            c.period.month,
            c.period.week,
            stage_order.get(c.stage_code, 99),
        ),
    )
    months = {(c.period.year, c.period.month) for c in changes}
    named = []
    for c in campus[:STAGE_CHANGES_SHOWN]:
        week = (
            f"第{c.period.week}周" if len(months) == 1 else f"{c.period.month}月第{c.period.week}周"
        )
        stage = DEFAULT_STAGE_NAMES.get(c.stage_code, c.stage_code)
        named.append(f"{week} {stage} {_count_text(c.old_count)}→{_count_text(c.new_count)}")
    text = "周环节目标随之调整：" + "，".join(named)
    if len(campus) > STAGE_CHANGES_SHOWN:
        text += f" 等共 {len(campus)} 项"
    people = len(changes) - len(campus)
    if people:
        text += f"，另有课程顾问的 {people} 项" if named else f"课程顾问的 {people} 项"
    return text


# =========================================================================== widgets


def _note(name: str, color: str | None = None) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if color:
        label.setStyleSheet(f"color: {color};")
    return label


class YearPlanPanel(QWidget):
    """① The year's two targets, the method, the month and week tables and the footer."""

    def __init__(self, page: TargetsPage) -> None:
        super().__init__()
        self.page = page
        self.month_model = PlanTableModel(
            ["月份", "营业额目标（元）", "去年营业额", "划课收入目标（元）", "去年划课收入"],
            {1: Metric.REVENUE, 3: Metric.CONSUMPTION},
        )
        self.week_model = PlanTableModel(
            ["周（周一至周日，不跨月）", "天数", "营业额（元）", "划课收入（元）"],
            {2: Metric.REVENUE, 3: Metric.CONSUMPTION},
        )
        self.month_view = table_view(self.month_model, "monthTable", first_fits=True)
        self.week_view = table_view(self.week_model, "weekTable", first_fits=True)
        for view in (self.month_view, self.week_view):
            view.setEditTriggers(
                QAbstractItemView.EditTrigger.DoubleClicked
                | QAbstractItemView.EditTrigger.EditKeyPressed
                | QAbstractItemView.EditTrigger.AnyKeyPressed
            )
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.month_view.customContextMenuRequested.connect(self._month_menu)
        self.week_view.customContextMenuRequested.connect(self._week_menu)
        self.week_title = QLabel()
        self.week_title.setObjectName("weekTitle")
        self.week_footer = _note("weekFooter")
        self.footers = {m: _note(f"{m.value}Footer") for m in METRICS}
        self.warnings = _note("planWarnings", "#8a5a00")
        legend = QLabel(
            "✎ 黄底粗体 = 手工设定（双击金额输入；清空或右键恢复自动）。其余部分自动分摊剩余金额。"
        )
        legend.setStyleSheet("color: #666;")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.month_view)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.week_title)
        right_layout.addWidget(self.week_view)
        right_layout.addWidget(self.week_footer)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(legend)
        layout.addWidget(splitter, 1)
        for footer in self.footers.values():
            footer.setStyleSheet("font-weight: bold;")
            layout.addWidget(footer)
        layout.addWidget(self.warnings)

        self.month_view.selectionModel().currentRowChanged.connect(self._month_row_changed)

    # ------------------------------------------------------------------ showing

    def show_plans(
        self,
        year: int,
        month: int,
        plans: Mapping[Metric, YearPlan | None],
        history: Mapping[Metric, Mapping[int, int]] | None,
        errors: Mapping[Metric, str],
    ) -> None:
        """Fill the month table, the chosen month's weeks and the footers."""
        rows: list[list[str | PlanCell]] = []
        for m in range(1, 13):
            row: list[str | PlanCell] = [f"{m}月"]
            for metric in METRICS:
                plan = plans.get(metric)
                part = plan.month(m) if plan is not None else None
                row.append(PlanCell(part.amount_fen, part.is_manual) if part else PlanCell(None))
                reference = history.get(metric, {}).get(m) if history else None
                row.append(PlanCell(reference))
            rows.append(row)
        self.month_model.set_rows(rows)
        self.month_view.selectRow(month - 1)
        self.show_weeks(year, month, plans)
        for metric in METRICS:
            self.footers[metric].setText(self._footer(metric, plans.get(metric), errors))
        self.warnings.setText("\n".join(self._warnings(year, plans)))

    def show_weeks(self, year: int, month: int, plans: Mapping[Metric, YearPlan | None]) -> None:
        """The weeks of ``month`` under both plans, with their check line."""
        self.week_title.setText(f"{year}年{month}月的各周")
        rows: list[list[str | PlanCell]] = []
        parts = {
            metric: plan.month(month) if plan is not None else None
            for metric, plan in plans.items()
        }
        for i, week in enumerate(weeks_of_month(year, month)):
            row: list[str | PlanCell] = [week.label, f"{len(week.days)}天"]
            for metric in METRICS:
                part = parts.get(metric)
                planned = part.weeks[i] if part is not None else None
                row.append(
                    PlanCell(planned.amount_fen, planned.is_manual) if planned else PlanCell(None)
                )
            rows.append(row)
        self.week_model.set_rows(rows)
        checks = []
        for metric in METRICS:
            part = parts.get(metric)
            if part is None:
                continue
            total = sum(w.amount_fen for w in part.weeks)
            mark = OK_MARK if total == part.amount_fen else BAD_MARK
            name = METRIC_NAMES[metric]
            checks.append(f"{name}各周合计 {yuan(total)} = 月目标 {yuan(part.amount_fen)} {mark}")
        self.week_footer.setText("；".join(checks))

    def _footer(self, metric: Metric, plan: YearPlan | None, errors: Mapping[Metric, str]) -> str:
        name = METRIC_NAMES[metric]
        if metric in errors:
            return f"{name}：无法分解 — {errors[metric]}"
        if plan is None:
            return f"{name}：未填写年目标（不保存）"
        total = sum(m.amount_fen for m in plan.months)
        weeks_ok = all(sum(w.amount_fen for w in m.weeks) == m.amount_fen for m in plan.months)
        mark = OK_MARK if total == plan.amount_fen else BAD_MARK
        weeks_mark = OK_MARK if weeks_ok else BAD_MARK
        return (
            f"{name}：合计 {yuan(total)} 元 = 年目标 {yuan(plan.amount_fen)} 元 {mark}"
            f"　每月各周之和 = 月目标 {weeks_mark}"
        )

    @staticmethod
    def _warnings(year: int, plans: Mapping[Metric, YearPlan | None]) -> list[str]:
        lines: list[str] = []
        shown = [p for p in plans.values() if p is not None]
        if any(not p.holiday_data_available for p in shown):
            lines.append(
                f"⚠ {year}年的法定节假日安排尚未发布：日权重暂按普通周末和寒暑假计算，"
                "发布后重新保存即可更新。"
            )
        for metric, plan in plans.items():
            if plan is None:
                continue
            name = METRIC_NAMES[metric]
            if plan.fallback_reason:
                lines.append(f"⚠ {name}：{plan.fallback_reason}")
            if plan.months_without_history:
                months = "、".join(f"{m}月" for m in plan.months_without_history)
                lines.append(f"⚠ {name}：去年{months}没有实际数据，按季节性这些月份分不到目标。")
        return lines

    # ------------------------------------------------------------------ interaction

    @Slot()
    def _month_row_changed(self) -> None:
        row = self.month_view.currentIndex().row()
        if row >= 0:
            self.page.choose_month(row + 1)

    def _month_menu(self, pos: QPoint) -> None:
        index = self.month_view.indexAt(pos)
        metric = self._metric_at(self.month_model, index.column())
        self._menu(
            self.month_view, pos, metric, lambda m: self.page.clear_month(m, index.row() + 1)
        )

    def _week_menu(self, pos: QPoint) -> None:
        index = self.week_view.indexAt(pos)
        metric = self._metric_at(self.week_model, index.column())
        self._menu(self.week_view, pos, metric, lambda m: self.page.clear_week(m, index.row() + 1))

    @staticmethod
    def _metric_at(model: PlanTableModel, column: int) -> Metric | None:
        return next((m for m in METRICS if model.column_of(m) == column), None)

    def _menu(
        self,
        view: QTableView,
        pos: QPoint,
        metric: Metric | None,
        clear_one: Callable[[Metric], None],
    ) -> None:
        menu = QMenu(view)
        if metric is not None:
            one = QAction("恢复自动分配", menu)
            one.triggered.connect(lambda: clear_one(metric))
            menu.addAction(one)
        every = QAction("全部恢复自动分配", menu)
        every.triggered.connect(self.page.clear_all_manual)
        menu.addAction(every)
        menu.popup(view.viewport().mapToGlobal(pos))


class FunnelPanel(QWidget):
    """② The reverse funnel: editable rates, the weeks' stage counts, consultants' shares."""

    def __init__(self, page: TargetsPage) -> None:
        super().__init__()
        self.page = page
        self.rate_edits: dict[str, QLineEdit] = {}
        self.rate_notes: dict[str, QLabel] = {}
        rates_box = QGroupBox("转化参数（来自本校区最近 12 个月，可修改）")
        form = QGridLayout(rates_box)
        for row, name in enumerate(("avg_order_fen", *RATE_FIELDS)):
            edit = QLineEdit()
            edit.setObjectName(f"rate_{name}")
            edit.setMaximumWidth(140)
            edit.textEdited.connect(self.update_plan)
            note = QLabel()
            note.setStyleSheet("color: #666;")
            unit = "元" if name == "avg_order_fen" else "%"
            form.addWidget(QLabel(RATE_LABELS[name]), row, 0)
            form.addWidget(edit, row, 1)
            form.addWidget(QLabel(unit), row, 2)
            form.addWidget(note, row, 3)
            self.rate_edits[name] = edit
            self.rate_notes[name] = note
        self.reset_button = QPushButton("恢复历史值")
        self.reset_button.clicked.connect(self.reset_rates)
        form.addWidget(self.reset_button, 0, 4)
        form.setColumnStretch(3, 1)

        self.error = _note("funnelError", "#b00020")
        formula = QLabel(
            "签单 = ⌈周营业额目标 ÷ 平均客单价⌉，试听 = ⌈签单 ÷ 试听→签单⌉，"
            "到访 = ⌈试听 ÷ 到访→试听⌉，邀约 = ⌈到访 ÷ 邀约→到访⌉（逐级向上取整）"
        )
        formula.setWordWrap(True)
        formula.setStyleSheet("color: #666;")
        self.week_model = CellTableModel()
        self.week_view = table_view(self.week_model, "funnelWeekTable", first_fits=True)
        self.save_button = QPushButton("保存本月周环节目标")
        self.save_button.setObjectName("saveStageTargets")
        self.save_button.clicked.connect(self._save)

        self.consultant_week = QComboBox()
        self.consultant_week.setObjectName("funnelWeekPicker")
        self.consultant_week.currentIndexChanged.connect(self.show_consultants)
        self.consultant_model = CellTableModel()
        self.consultant_view = table_view(
            self.consultant_model, "consultantStageTable", first_fits=True
        )
        self.consultant_check = _note("consultantStageCheck")

        saved_box = QGroupBox("已保存的周环节目标（按课程顾问，按③中的顾问任务额分配）")
        saved_layout = QVBoxLayout(saved_box)
        picker = QHBoxLayout()
        picker.addWidget(QLabel("周："))
        picker.addWidget(self.consultant_week)
        picker.addStretch(1)
        saved_layout.addLayout(picker)
        saved_layout.addWidget(self.consultant_view)
        saved_layout.addWidget(self.consultant_check)

        plan_box = QGroupBox("本月各周需要完成的环节（校区）")
        plan_layout = QVBoxLayout(plan_box)
        plan_layout.addWidget(formula)
        plan_layout.addWidget(self.week_view)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        plan_layout.addLayout(buttons)

        lower = QSplitter()
        lower.addWidget(plan_box)
        lower.addWidget(saved_box)
        layout = QVBoxLayout(self)
        layout.addWidget(rates_box)
        layout.addWidget(self.error)
        layout.addWidget(lower, 1)
        self._history: FunnelRates | None = None
        self._rates: FunnelRates | None = None

    # ------------------------------------------------------------------ rates

    def set_history(self, rates: FunnelRates) -> None:
        """Show the campus's historical rates (unless the manager has edited them)."""
        edited = self._history is not None and self._edited_fields()
        self._history = rates
        for name in ("avg_order_fen", *RATE_FIELDS):
            value = getattr(rates, name)
            shown = edit_text(value) if name == "avg_order_fen" else percent_input(value)
            source = "默认值（历史数据不足）" if name in rates.defaults else "本校区历史"
            self.rate_notes[name].setText(f"{source}：{shown}")
            if not edited:
                self.rate_edits[name].setText(shown)
        self.update_plan()

    @Slot()
    def reset_rates(self) -> None:
        """Put the historical rates back into the inputs."""
        if self._history is not None:
            history, self._history = self._history, None
            self.set_history(history)

    def _history_text(self, name: str) -> str:
        assert self._history is not None
        value = getattr(self._history, name)
        return edit_text(value) if name == "avg_order_fen" else percent_input(value)

    def _edited_fields(self) -> list[str]:
        return [
            name
            for name, edit in self.rate_edits.items()
            if edit.text().strip() != self._history_text(name)
        ]

    def rates(self) -> FunnelRates:
        """The rates to plan with: history, with the figures the manager changed (Invalid)."""
        if self._history is None:
            raise Invalid("rates", "还没有读取到转化参数")
        changes: dict[str, object] = {}
        for name in self._edited_fields():
            label = RATE_LABELS[name]
            text = self.rate_edits[name].text()
            try:
                if name == "avg_order_fen":
                    changes[name] = yuan_to_fen(text, label)
                else:
                    changes[name] = parse_percent(text, label)
            except Invalid as exc:
                raise Invalid(name, f"{label}：{exc.reason}") from None
        try:
            return self._history.edited(**changes)
        except Invalid as exc:
            label = RATE_LABELS.get(exc.field, exc.field)
            raise Invalid(exc.field, f"{label}：{exc.reason}") from None

    # ------------------------------------------------------------------ plan

    @Slot()
    def update_plan(self) -> None:
        """Recompute the weeks' stage counts from the saved week targets and the rates."""
        page = self.page
        plan = page.saved_plan(Metric.REVENUE)
        headers = ["周", "周营业额目标", *(DEFAULT_STAGE_NAMES[c] for c in FUNNEL_STAGES)]
        self._rates = None
        try:
            rates = self.rates()
        except Invalid as exc:
            self.error.setText(exc.reason)
            self.week_model.set_rows([], headers=headers)
            self.save_button.setEnabled(False)
            return
        self.error.setText("")
        if plan is None:
            self.week_model.set_rows([], headers=headers)
            self.error.setText(f"{page.year}年还没有保存营业额目标：请先在①中保存。")
            self.save_button.setEnabled(False)
            return
        self._rates = rates
        month = plan.month(page.month)
        rows = []
        totals = dict.fromkeys(FUNNEL_STAGES, 0)
        for week, planned in zip(weeks_of_month(page.year, page.month), month.weeks, strict=True):
            counts = plan_stage_targets(planned.amount_fen, rates)
            for code in FUNNEL_STAGES:
                totals[code] += counts[code]
            rows.append(
                [Cell(week.label), Cell.money(planned.amount_fen)]
                + [Cell.count(counts[c]) for c in FUNNEL_STAGES]
            )
        rows.append(
            [Cell("本月合计", bold=True, background=TOTAL_COLOR)]
            + [Cell.money(month.amount_fen, bold=True, background=TOTAL_COLOR)]
            + [Cell.count(totals[c], bold=True, background=TOTAL_COLOR) for c in FUNNEL_STAGES]
        )
        self.week_model.set_rows(rows, headers=headers)
        self.save_button.setEnabled(True)

    def _save(self) -> None:
        if self._rates is None:
            return
        self.page.save_stage_targets(self._rates)

    # ------------------------------------------------------------------ saved

    def show_month(self, data: MonthData | None) -> None:
        """Fill the week picker and the consultants' saved stage targets."""
        page = self.page
        self.consultant_week.blockSignals(True)
        previous = self.consultant_week.currentIndex()
        self.consultant_week.clear()
        for week in weeks_of_month(page.year, page.month):
            self.consultant_week.addItem(week.label, week.index)
        self.consultant_week.setCurrentIndex(
            max(0, min(previous, self.consultant_week.count() - 1))
        )
        self.consultant_week.blockSignals(False)
        self.show_consultants()
        self.update_plan()

    @Slot()
    def show_consultants(self) -> None:
        """The chosen week's stage targets per consultant, their sum and the campus figure."""
        data = self.page.month_data
        headers = ["课程顾问", *(DEFAULT_STAGE_NAMES[c] for c in FUNNEL_STAGES)]
        week = self.consultant_week.currentData()
        if data is None or week is None:
            self.consultant_model.set_rows([], headers=headers)
            self.consultant_check.setText("")
            return
        people = {sid: rows for sid, rows in data.consultant_stages.items() if rows}
        year_data = self.page.year_data
        rows = []
        keys: list[str | None] = []
        for sid, counts in sorted(
            people.items(), key=lambda p: year_data.staff_name(p[0]) if year_data else p[0]
        ):
            name = year_data.staff_name(sid) if year_data else sid
            rows.append(
                [Cell(name)] + [Cell.count(counts.get((c, week), 0)) for c in FUNNEL_STAGES]
            )
            keys.append(sid)
        sums = {c: sum(p.get((c, week), 0) for p in people.values()) for c in FUNNEL_STAGES}
        campus = {c: data.campus_stages.get((c, week)) for c in FUNNEL_STAGES}
        rows.append(
            [Cell("顾问合计", bold=True, background=TOTAL_COLOR)]
            + [Cell.count(sums[c], bold=True, background=TOTAL_COLOR) for c in FUNNEL_STAGES]
        )
        rows.append(
            [Cell("校区目标", bold=True)]
            + [Cell.count(campus[c], bold=True) for c in FUNNEL_STAGES]
        )
        keys += [None, None]
        self.consultant_model.set_rows(rows, keys, headers=headers)
        if not data.campus_stages:
            self.consultant_check.setText("本月还没有保存周环节目标。")
        elif not people:
            self.consultant_check.setText(
                "本月的环节目标只设在校区一级（还没有顾问任务额可供分配）。"
            )
        else:
            every = all(
                sum(p.get((c, w.index), 0) for p in people.values())
                == data.campus_stages.get((c, w.index), 0)
                for w in weeks_of_month(self.page.year, self.page.month)
                for c in FUNNEL_STAGES
                if (c, w.index) in data.campus_stages
            )
            mark = OK_MARK if every else BAD_MARK
            self.consultant_check.setText(f"本月每一周、每个环节：各顾问之和 = 校区目标 {mark}")


class StaffPanel(QWidget):
    """③ People's targets for the month: weights, the split they give, what is saved."""

    ROLES_BY_WEIGHT: tuple[tuple[TargetRole, Role], ...] = (
        (TargetRole.CONSULTANT, Role.CONSULTANT),
        (TargetRole.INTENT_TEACHER, Role.TEACHER),
    )

    def __init__(self, page: TargetsPage) -> None:
        super().__init__()
        self.page = page
        self.tables: dict[TargetRole, QTableWidget] = {}
        self.checks: dict[TargetRole, QLabel] = {}
        self.save_buttons: dict[TargetRole, QPushButton] = {}
        self.spins: dict[TargetRole, dict[str, QSpinBox]] = {}
        layout = QGridLayout(self)
        for column, (role, _) in enumerate(self.ROLES_BY_WEIGHT):
            box = QGroupBox(f"{ROLE_TITLES[role]}（营业额，按权重分配）")
            inner = QVBoxLayout(box)
            table = QTableWidget(0, 4)
            table.setObjectName(f"weights_{role.value}")
            table.setHorizontalHeaderLabels(["姓名", "权重", "按权重分得（元）", "已保存（元）"])
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            hint = QLabel(
                "按权重比例分配校区本月目标。权重起始值 = 已保存的任务额"
                "（整元；未保存过则人人为 1）；改动后，“按权重分得”一列就是保存后的金额，"
                "权重为 0 的人不分配。"
            )
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #666;")
            inner.addWidget(hint)
            check = _note(f"check_{role.value}")
            button = QPushButton(f"保存{ROLE_TITLES[role]}")
            button.setObjectName(f"save_{role.value}")
            button.clicked.connect(lambda _=False, r=role: self._save_weights(r))
            inner.addWidget(table)
            inner.addWidget(check)
            inner.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
            layout.addWidget(box, 0, column)
            self.tables[role] = table
            self.checks[role] = check
            self.save_buttons[role] = button
            self.spins[role] = {}

        box = QGroupBox("教师划课目标（划课收入，按本月排课价值分配）")
        inner = QVBoxLayout(box)
        self.teacher_model = CellTableModel()
        self.teacher_view = table_view(self.teacher_model, "teacherTargetTable", first_fits=True)
        self.checks[TargetRole.TEACHER] = _note("check_teacher")
        self.teacher_button = QPushButton("按排课价值分解教师划课目标")
        self.teacher_button.setObjectName("save_teacher")
        self.teacher_button.clicked.connect(self.page.split_teachers)
        inner.addWidget(self.teacher_view)
        inner.addWidget(self.checks[TargetRole.TEACHER])
        inner.addWidget(self.teacher_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(box, 1, 0, 1, 2)
        self.error = _note("staffError", "#b00020")
        layout.addWidget(self.error, 2, 0, 1, 2)
        layout.setRowStretch(0, 3)
        layout.setRowStretch(1, 2)
        self._initial: dict[TargetRole, dict[str, int]] = {}

    # ------------------------------------------------------------------ filling

    def show_month(self, data: MonthData | None) -> None:
        """Fill the three tables for the page's month."""
        page = self.page
        year_data = page.year_data
        self.error.setText("")
        for role, staff_role in self.ROLES_BY_WEIGHT:
            people = [s for s in year_data.staff if s.has_role(staff_role)] if year_data else []
            saved = {p.staff_id: p for p in data.staff_targets[role]} if data else {}
            total = sum(p.amount_fen for p in saved.values())
            table = self.tables[role]
            for spin in self.spins[role].values():
                # Replaced cell widgets are only deleted later; hide them now so none lingers.
                spin.hide()
            table.setRowCount(0)
            table.setRowCount(len(people))
            self.spins[role] = {}
            self._initial[role] = {}
            for row, person in enumerate(people):
                spin = QSpinBox()
                spin.setRange(0, MAX_WEIGHT)
                spin.setObjectName(f"weight_{role.value}_{person.id}")
                plan = saved.get(person.id)
                weight = starting_weight(plan.amount_fen if plan else None, total, bool(saved))
                spin.setValue(weight)
                spin.valueChanged.connect(lambda _=0, r=role: self.update_split(r))
                self._initial.setdefault(role, {})[person.id] = weight
                self.spins[role][person.id] = spin
                name = QTableWidgetItem(person.name)
                name.setData(Qt.ItemDataRole.UserRole, person.id)
                table.setItem(row, 0, name)
                table.setCellWidget(row, 1, spin)
                table.setItem(row, 3, _money_item(plan.amount_fen if plan else None))
            self.update_split(role)
        self._show_teachers(data)

    def _campus_month(self, metric: Metric) -> int | None:
        plan = self.page.saved_plan(metric)
        return plan.month(self.page.month).amount_fen if plan is not None else None

    def weights(self, role: TargetRole) -> dict[str, int]:
        """The weights typed for a role (people at 0 are left out)."""
        return {sid: spin.value() for sid, spin in self.spins[role].items() if spin.value() > 0}

    def update_split(self, role: TargetRole) -> None:
        """Preview what each person gets with the weights as typed (the service's splitter)."""
        table = self.tables[role]
        campus = self._campus_month(Metric.REVENUE)
        weights = self.weights(role)
        shares: dict[str, int] = {}
        if campus is not None and weights:
            ordered = sorted(weights.items())  # the service splits in staff-id order
            shares = dict(
                zip(
                    (sid for sid, _ in ordered),
                    split_by_weights(campus, [w for _, w in ordered]),
                    strict=True,
                )
            )
        for row in range(table.rowCount()):
            sid = table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            table.setItem(row, 2, _money_item(shares.get(sid)))
        data = self.page.month_data
        already = data is not None and bool(data.staff_targets[role])
        changed = {sid: s.value() for sid, s in self.spins[role].items()} != self._initial.get(role)
        # A saved split follows the campus month by itself; saving again is for new weights.
        self.save_buttons[role].setEnabled(
            campus is not None and bool(weights) and (changed or not already)
        )
        self.checks[role].setText(self._check_text(role, campus))

    def _check_text(self, role: TargetRole, campus: int | None) -> str:
        page = self.page
        metric = Metric.CONSUMPTION if role is TargetRole.TEACHER else Metric.REVENUE
        label = f"校区{page.month}月{METRIC_NAMES[metric]}目标"
        if campus is None:
            return f"{page.year}年还没有保存{METRIC_NAMES[metric]}目标：请先在①中保存。"
        data = page.month_data
        plans = data.staff_targets[role] if data else ()
        if not plans:
            return f"{label} {yuan(campus)} 元；还没有保存{ROLE_TITLES[role]}。"
        total = sum(p.amount_fen for p in plans)
        saved = page.saved_plan(metric)
        assert saved is not None
        weeks = saved.month(page.month).weeks
        weeks_ok = all(
            sum(p.weeks[i].amount_fen for p in plans if i < len(p.weeks)) == w.amount_fen
            for i, w in enumerate(weeks)
        )
        mark = OK_MARK if total == campus else BAD_MARK
        return (
            f"已保存合计 {yuan(total)} 元 = {label} {yuan(campus)} 元 {mark}"
            f"　每周之和 = 校区周目标 {OK_MARK if weeks_ok else BAD_MARK}"
        )

    def _show_teachers(self, data: MonthData | None) -> None:
        year_data = self.page.year_data
        headers = ["教师", "本月排课价值（元）", "已保存划课目标（元）"]
        campus = self._campus_month(Metric.CONSUMPTION)
        rows = []
        keys: list[str] = []
        if data is not None and year_data is not None:
            saved = {p.staff_id: p for p in data.staff_targets[TargetRole.TEACHER]}
            ids = set(saved) | {t for t, v in data.lesson_values.items() if v > 0}
            for sid in sorted(ids, key=year_data.staff_name):
                value = data.lesson_values.get(sid)
                plan = saved.get(sid)
                rows.append(
                    [
                        Cell(year_data.staff_name(sid)),
                        Cell.money(round_half_up(value) if value is not None else None),
                        Cell.money(plan.amount_fen if plan else None),
                    ]
                )
                keys.append(sid)
        self.teacher_model.set_rows(rows, keys, headers=headers)
        self.teacher_button.setEnabled(campus is not None)
        self.checks[TargetRole.TEACHER].setText(self._check_text(TargetRole.TEACHER, campus))

    def _save_weights(self, role: TargetRole) -> None:
        self.page.split_orders(role, self.weights(role))


def starting_weight(amount_fen: int | None, total_fen: int, any_saved: bool) -> int:
    """A person's starting weight: their saved month target in whole yuan, as a proportion.

    Nobody saved yet: everyone 1 (an even split). Amounts too large for a weight fall back to
    shares of a thousand. Either way the manager adjusts them; the preview shows the result.
    """
    if not any_saved:
        return 1
    if amount_fen is None or total_fen <= 0:
        return 0
    if total_fen // 100 <= MAX_WEIGHT:
        return max(1, round_half_up(Fraction(amount_fen, 100)))
    return max(1, round_half_up(Fraction(1000 * amount_fen, total_fen)))


def _money_item(fen: int | None) -> QTableWidgetItem:
    item = QTableWidgetItem(yuan(fen) if fen is not None else DASH)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


# =========================================================================== the page


class TargetsPage(Page):
    """目标: the annual targets, their decomposition and the people's share of each month."""

    key = "targets"
    title = "目标"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        today = ctx.today()
        self.year_data: YearData | None = None
        self.month_data: MonthData | None = None
        self.preview: PlanPreview | None = None
        self._overrides: dict[Metric, dict[int, int]] = {m: {} for m in METRICS}
        self._week_overrides: dict[Metric, dict[int, dict[int, int]]] = {m: {} for m in METRICS}
        self._edited = False  # the manager changed something since the inputs were filled
        self._generation = 0  # the newest preview request; older answers are dropped
        self._year_read = 0
        self._month_read = 0

        self.year_spin = QSpinBox()
        self.year_spin.setObjectName("yearSpin")
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(today.year)
        self.year_spin.setKeyboardTracking(False)
        self.month_combo = QComboBox()
        self.month_combo.setObjectName("monthCombo")
        for m in range(1, 13):
            self.month_combo.addItem(f"{m}月", m)
        self.month_combo.setCurrentIndex(today.month - 1)
        self.amount_edits = {m: QLineEdit() for m in METRICS}
        for metric, edit in self.amount_edits.items():
            edit.setObjectName(f"amount_{metric.value}")
            edit.setPlaceholderText("例如 1200000")
            edit.setMinimumWidth(140)
            edit.textEdited.connect(self._inputs_edited)
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("methodCombo")
        for method, name in METHOD_NAMES.items():
            self.method_combo.addItem(name, method.value)
        self.method_combo.setCurrentIndex(
            self.method_combo.findData(SpreadMethod.DAY_WEIGHTS.value)
        )
        self.method_combo.currentIndexChanged.connect(self._inputs_edited)
        self.save_button = QPushButton("保存年度目标")
        self.save_button.setObjectName("saveYearPlan")
        self.save_button.clicked.connect(self.save_year_plans)
        self.input_error = _note("inputError", "#b00020")
        self.save_state = _note("saveState")

        top = QFormLayout()
        line = QHBoxLayout()
        line.addWidget(QLabel("年份"))
        line.addWidget(self.year_spin)
        line.addSpacing(12)
        line.addWidget(QLabel("营业额年目标"))
        line.addWidget(self.amount_edits[Metric.REVENUE])
        line.addWidget(QLabel("元"))
        line.addSpacing(12)
        line.addWidget(QLabel("划课收入年目标"))
        line.addWidget(self.amount_edits[Metric.CONSUMPTION])
        line.addWidget(QLabel("元"))
        line.addSpacing(12)
        line.addWidget(QLabel("分解方式"))
        line.addWidget(self.method_combo)
        line.addSpacing(12)
        line.addWidget(QLabel("月份"))
        line.addWidget(self.month_combo)
        line.addStretch(1)
        line.addWidget(self.save_button)
        line.addWidget(self.make_export_button())
        top.addRow(line)
        top.addRow(self.input_error)
        top.addRow(self.save_state)

        self.year_panel = YearPlanPanel(self)
        self.funnel_panel = FunnelPanel(self)
        self.staff_panel = StaffPanel(self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("targetTabs")
        self.tabs.addTab(self.year_panel, "① 年度分解（月、周）")
        self.tabs.addTab(self.funnel_panel, "② 倒推漏斗（周环节目标）")
        self.tabs.addTab(self.staff_panel, "③ 员工任务分配")

        self.report_summary = _note("reportSummary")
        self.report_model = CellTableModel(["目标", "周期", "员工", "原目标", "新目标", "手工"])
        self.report_view = table_view(self.report_model, "reportTable", first_fits=True)
        self.report_view.setMaximumHeight(170)
        # Shown once something was saved: until then the tables get the room.
        self.report_box = QGroupBox("最近一次保存的变化（每一项目标，含员工任务，原值 → 新值）")
        self.report_box.setObjectName("reportBox")
        report_layout = QVBoxLayout(self.report_box)
        report_layout.addWidget(self.report_summary)
        report_layout.addWidget(self.report_view)
        self.report_box.hide()

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tabs)
        splitter.addWidget(self.report_box)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.request_preview)
        self.year_spin.valueChanged.connect(self._year_changed)
        self.month_combo.currentIndexChanged.connect(self._month_changed)
        self.year_panel.month_model.part_edited.connect(
            self._month_edited, Qt.ConnectionType.QueuedConnection
        )
        self.year_panel.week_model.part_edited.connect(
            self._week_edited, Qt.ConnectionType.QueuedConnection
        )
        self.save_button.setEnabled(False)

    # ------------------------------------------------------------------ state

    @property
    def year(self) -> int:
        """The year being planned."""
        return self.year_spin.value()

    @property
    def month(self) -> int:
        """The month whose weeks, funnel and people are shown."""
        return int(self.month_combo.currentData())

    def export_name(self) -> str:
        """``目标-2025年6月``."""
        return f"目标-{self.year_spin.value()}年{self.month}月"

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """The decomposition tables of the three tabs (and the last save's changes)."""
        month = f"{self.month}月"
        funnel, staff = self.funnel_panel, self.staff_panel
        views: list[tuple[str, QAbstractItemView]] = [
            (f"{self.year_spin.value()}年-各月目标", self.year_panel.month_view),
            (f"{month}-各周目标", self.year_panel.week_view),
            (f"{month}-周环节目标", funnel.week_view),
            (f"{month}-顾问环节目标", funnel.consultant_view),
        ]
        views += [(f"{month}-{ROLE_TITLES[role]}", table) for role, table in staff.tables.items()]
        views.append((f"{month}-{ROLE_TITLES[TargetRole.TEACHER]}", staff.teacher_view))
        if not self.report_box.isHidden():
            views.append(("最近一次保存的变化", self.report_view))
        return views

    @property
    def method(self) -> SpreadMethod:
        """The spread method chosen."""
        return SpreadMethod(self.method_combo.currentData())

    def saved_plan(self, metric: Metric) -> YearPlan | None:
        """The year's saved plan of a metric (None when not saved or not read yet)."""
        if self.year_data is None or self.year_data.year != self.year:
            return None
        return self.year_data.saved[metric]

    # ------------------------------------------------------------------ reading

    def refresh(self) -> None:
        """Read the year's data and the month's, keeping whatever the manager is typing."""
        self._read_year()

    def _read_year(self) -> None:
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        year, today = self.year, self.ctx.today()
        self._year_read += 1
        ticket = self._year_read
        self.ctx.ops.read(
            lambda s: load_year_data(s, campus_id, year, today),
            lambda data: self._year_loaded(ticket, data),
            label="读取目标",
        )

    def _year_loaded(self, ticket: int, data: YearData) -> None:
        if ticket != self._year_read or data.year != self.year:
            return
        same_year = self.year_data is not None and self.year_data.year == data.year
        self.year_data = data
        if not (same_year and self._edited):
            self._fill_inputs(data)
        self.funnel_panel.set_history(data.rates)
        self.request_preview()
        self._read_month()

    def _read_month(self) -> None:
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        year, month = self.year, self.month
        self._month_read += 1
        ticket = self._month_read
        self.ctx.ops.read(
            lambda s: load_month_data(s, campus_id, year, month),
            lambda data: self._month_loaded(ticket, data),
            label="读取员工目标",
        )

    def _month_loaded(self, ticket: int, data: MonthData) -> None:
        if ticket != self._month_read:
            return
        self.month_data = data
        self.funnel_panel.show_month(data)
        self.staff_panel.show_month(data)

    def _fill_inputs(self, data: YearData) -> None:
        """Put the saved plan (if any) into the inputs: amounts, method, hand-set parts."""
        self._edited = False
        method: SpreadMethod | None = None
        for metric in METRICS:
            plan = data.saved[metric]
            self.amount_edits[metric].setText(edit_text(plan.amount_fen) if plan else "")
            self._overrides[metric] = {}
            self._week_overrides[metric] = {}
            if plan is None:
                continue
            method = method or plan.method
            for month in plan.months:
                if month.is_manual:
                    self._overrides[metric][month.month] = month.amount_fen
                for week in month.weeks:
                    if week.is_manual:
                        self._week_overrides[metric].setdefault(month.month, {})[
                            week.period.week
                        ] = week.amount_fen
        chosen = method or SpreadMethod.DAY_WEIGHTS
        self.method_combo.blockSignals(True)  # filled from the file, not typed
        self.method_combo.setCurrentIndex(self.method_combo.findData(chosen.value))
        self.method_combo.blockSignals(False)

    # ------------------------------------------------------------------ inputs

    def _year_changed(self) -> None:
        self._edited = False
        self.year_data = None
        self.month_data = None
        self.preview = None
        self._read_year()

    def _month_changed(self) -> None:
        if self.preview is not None:
            self.year_panel.show_plans(
                self.year,
                self.month,
                self.preview.plans,
                self.year_data.history if self.year_data else None,
                self.preview.errors,
            )
        self.month_data = None
        self.funnel_panel.show_month(None)
        self.staff_panel.show_month(None)
        self._read_month()

    def choose_month(self, month: int) -> None:
        """Show ``month``'s weeks, funnel and people (a click on a month row)."""
        if month != self.month:
            self.month_combo.setCurrentIndex(month - 1)

    def _inputs_edited(self) -> None:
        self._edited = True
        self.save_button.setEnabled(False)  # until the preview of what was typed is back
        self._preview_timer.start()

    def parse_inputs(self) -> PlanInputs:
        """The typed amounts as fen; ``Invalid`` names the amount in Chinese."""
        amounts: dict[Metric, int | None] = {}
        for metric, edit in self.amount_edits.items():
            text = edit.text().strip()
            label = f"{METRIC_NAMES[metric]}年目标"
            if not text:
                amounts[metric] = None
                continue
            try:
                fen = yuan_to_fen(text, label)
            except Invalid as exc:
                raise Invalid(exc.field, f"{label}：{exc.reason}") from None
            if fen < 0:
                raise Invalid(label, f"{label}：金额不能为负数")
            amounts[metric] = fen
        return PlanInputs(
            year=self.year,
            method=self.method,
            amounts=amounts,
            overrides={m: dict(v) for m, v in self._overrides.items()},
            week_overrides={
                m: {month: dict(w) for month, w in v.items()}
                for m, v in self._week_overrides.items()
            },
        )

    @Slot()
    def request_preview(self, refused: Callable[[PlanPreview], bool] | None = None) -> None:
        """Re-plan both metrics off the GUI thread; the newest request wins.

        ``refused`` (an edit by hand) may undo its edit when the new plan cannot be made, and
        returns True when it did: the previous preview then stays on screen.
        """
        self._preview_timer.stop()
        data = self.year_data
        if data is None or data.year != self.year:
            return
        try:
            inputs = self.parse_inputs()
        except Invalid as exc:
            self.input_error.setText(exc.reason)
            self.save_button.setEnabled(False)
            return
        self.input_error.setText("")
        self.save_button.setEnabled(False)
        self._generation += 1
        generation = self._generation
        self.ctx.ops.run(
            lambda: compute_preview(inputs, data),
            lambda preview: self._preview_ready(generation, preview, refused),
            label="计算目标分解",
        )

    def _preview_ready(
        self,
        generation: int,
        preview: PlanPreview,
        refused: Callable[[PlanPreview], bool] | None,
    ) -> None:
        if generation != self._generation or self.year_data is None:
            return
        if preview.errors and refused is not None and refused(preview):
            # The edit is undone; the plan on screen (the previous one) still stands.
            self.input_error.setText("；".join(preview.errors.values()))
            self._update_save_state()
            return
        self.preview = preview
        self.input_error.setText("；".join(preview.errors.values()))
        self.year_panel.show_plans(
            self.year, self.month, preview.plans, self.year_data.history, preview.errors
        )
        self._update_save_state()

    def _update_save_state(self) -> None:
        preview = self.preview
        ready = (
            preview is not None
            and not preview.errors
            and any(p is not None for p in preview.plans.values())
        )
        self.save_button.setEnabled(ready)
        if preview is None or self.year_data is None:
            self.save_state.setText("")
            return
        unsaved = [
            METRIC_NAMES[m]
            for m in METRICS
            if preview.plans[m] is not None
            and plan_signature(preview.plans[m]) != plan_signature(self.year_data.saved[m])
        ]
        if unsaved:
            self.save_state.setText(f"有未保存的更改：{'、'.join(unsaved)}。点“保存年度目标”写入。")
            self.save_state.setStyleSheet("color: #8a5a00;")
        elif any(self.year_data.saved[m] is not None for m in METRICS):
            self.save_state.setText(f"{self.year}年的目标已保存，与屏幕上一致。")
            self.save_state.setStyleSheet("color: #2e7d32;")
        else:
            self.save_state.setText(f"{self.year}年还没有目标：填写年目标即可预览分解。")
            self.save_state.setStyleSheet("color: #666;")

    # ------------------------------------------------------------------ hand-set parts

    def _parse_part(self, text: str, label: str) -> int | None:
        """A typed cell: None to clear it, else fen; Invalid names ``label``."""
        if not text:
            return None
        try:
            fen = yuan_to_fen(text, label)
        except Invalid as exc:
            raise Invalid(label, f"{label}：{exc.reason}") from None
        if fen < 0:
            raise Invalid(label, f"{label}：金额不能为负数")
        return fen

    @Slot(int, str, str)
    def _month_edited(self, row: int, metric_value: str, text: str) -> None:
        metric = Metric(metric_value)
        month = row + 1
        try:
            fen = self._parse_part(text, f"{month}月{METRIC_NAMES[metric]}")
        except Invalid as exc:
            self.input_error.setText(exc.reason)
            return
        self._set_part(metric, self._overrides[metric], month, fen)

    @Slot(int, str, str)
    def _week_edited(self, row: int, metric_value: str, text: str) -> None:
        metric = Metric(metric_value)
        week = row + 1
        label = f"{self.month}月第{week}周{METRIC_NAMES[metric]}"
        try:
            fen = self._parse_part(text, label)
        except Invalid as exc:
            self.input_error.setText(exc.reason)
            return
        weeks = self._week_overrides[metric].setdefault(self.month, {})
        self._set_part(metric, weeks, week, fen)

    def _set_part(self, metric: Metric, parts: dict[int, int], key: int, fen: int | None) -> None:
        """Set (or clear, with None) one hand-set part and re-plan; undo it if it cannot fit."""
        before = parts.get(key)
        if fen is None:
            parts.pop(key, None)
        else:
            parts[key] = fen
        self._edited = True

        def refused(preview: PlanPreview) -> bool:
            if metric not in preview.errors:
                return False
            if before is None:
                parts.pop(key, None)
            else:
                parts[key] = before
            return True

        self.request_preview(refused)

    def clear_month(self, metric: Metric, month: int) -> None:
        """Return one month to automatic."""
        if month in self._overrides[metric]:
            self._set_part(metric, self._overrides[metric], month, None)

    def clear_week(self, metric: Metric, week: int) -> None:
        """Return one week of the chosen month to automatic."""
        weeks = self._week_overrides[metric].get(self.month, {})
        if week in weeks:
            self._set_part(metric, weeks, week, None)

    def clear_all_manual(self) -> None:
        """Return every hand-set month and week to automatic."""
        for metric in METRICS:
            self._overrides[metric].clear()
            self._week_overrides[metric].clear()
        self._edited = True
        self.request_preview()

    # ------------------------------------------------------------------ saving

    @Slot()
    def save_year_plans(self) -> None:
        """Save the previewed plans of both metrics (one unit of work) and show what changed."""
        preview, campus_id = self.preview, self.ctx.campus_id
        if preview is None or preview.errors or campus_id is None:
            return
        plans = {m: p for m, p in preview.plans.items() if p is not None}
        if not plans:
            return

        def save(session: Session) -> dict[str, ChangeReport]:
            return {
                f"{METRIC_NAMES[m]}目标": save_year_plan(session, campus_id, m, plan)
                for m, plan in plans.items()
            }

        self.save_button.setEnabled(False)
        self.ctx.ops.write(save, self._saved, on_error=self._save_failed, label="保存年度目标")

    def _saved(self, reports: dict[str, ChangeReport]) -> None:
        self._edited = False
        self.show_reports(reports)
        # The window refreshes the page on data_changed; the inputs then follow the saved rows.

    def _save_failed(self, exc: BaseException) -> None:
        message = exc.reason if isinstance(exc, Invalid) else str(exc)
        self.input_error.setText(f"保存未完成：{message}")
        self._update_save_state()

    def save_stage_targets(self, rates: FunnelRates) -> None:
        """② Save the month's weekly stage targets, shared by the consultants' order targets."""
        campus_id, year, month = self.ctx.campus_id, self.year, self.month
        if campus_id is None:
            return
        self.ctx.ops.write(
            lambda s: {
                f"{month}月周环节目标": save_stage_targets(s, campus_id, year, month, rates)
            },
            self.show_reports,
            on_error=self._staff_failed,
            label="保存周环节目标",
        )

    def split_orders(self, role: TargetRole, weights: dict[str, int]) -> None:
        """③ Split the month's 营业额 target over consultants or intent teachers by weight."""
        campus_id, year, month = self.ctx.campus_id, self.year, self.month
        if campus_id is None:
            return
        self.ctx.ops.write(
            lambda s: {
                f"{month}月{ROLE_TITLES[role]}": split_staff_order_targets(
                    s, campus_id, year, month, role, weights
                )
            },
            self.show_reports,
            on_error=self._staff_failed,
            label=f"保存{ROLE_TITLES[role]}",
        )

    @Slot()
    def split_teachers(self) -> None:
        """③ Split the month's 划课收入 target over teachers by their scheduled lessons."""
        campus_id, year, month = self.ctx.campus_id, self.year, self.month
        if campus_id is None:
            return
        self.ctx.ops.write(
            lambda s: {
                f"{month}月教师划课目标": split_teacher_consumption_targets(
                    s, campus_id, year, month
                )
            },
            self.show_reports,
            on_error=self._staff_failed,
            label="分解教师划课目标",
        )

    def _staff_failed(self, exc: BaseException) -> None:
        message = exc.reason if isinstance(exc, Invalid) else str(exc)
        if isinstance(exc, DabiaoError):
            self.staff_panel.error.setText(f"保存未完成：{message}")
            self.funnel_panel.error.setText(f"保存未完成：{message}")

    # ------------------------------------------------------------------ change report

    def show_reports(self, reports: Mapping[str, ChangeReport | StageTargetReport]) -> None:
        """List what a save changed: every target (or stage count) before and after."""
        self.report_summary.setText("已保存。" + describe_change_report(reports))
        self.report_box.show()
        rows: list[list[Cell]] = []
        for title, report in reports.items():
            rows += self._report_rows(title, report)
        self.report_model.set_rows(rows)

    def _report_rows(
        self, title: str, report: ChangeReport | StageTargetReport
    ) -> list[list[Cell]]:
        names = self.year_data
        rows: list[list[Cell]] = []
        if isinstance(report, StageTargetReport):
            return self._stage_rows(report.changes)
        for change in report.changes:
            person = "校区"
            if change.staff_id is not None:
                role = ROLE_TITLES.get(change.staff_role) if change.staff_role else None
                name = names.staff_name(change.staff_id) if names else change.staff_id
                person = f"{name}（{role}）" if role else name
            rows.append(
                [
                    Cell(METRIC_NAMES[change.metric]),
                    Cell(change.period.label),
                    Cell(person),
                    Cell.money(change.old_fen),
                    Cell.money(change.new_fen),
                    Cell("是" if change.is_manual else ""),
                ]
            )
        # then the 周环节目标 that followed the changed revenue weeks
        return rows + self._stage_rows(report.stage_changes)

    def _stage_rows(self, changes: Sequence[StageTargetChange]) -> list[list[Cell]]:
        names = self.year_data
        rows: list[list[Cell]] = []
        for c in changes:
            person = names.staff_name(c.staff_id) if names and c.staff_id else "校区"
            rows.append(
                [
                    Cell(f"{DEFAULT_STAGE_NAMES.get(c.stage_code, c.stage_code)}（次）"),
                    Cell(c.period.label),
                    Cell(person),
                    Cell.count(c.old_count),
                    Cell.count(c.new_count),
                    Cell("是" if c.is_manual else ""),
                ]
            )
        return rows
