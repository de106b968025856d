"""诊断 Diagnosis: why the campus is behind — trials, students, and the weak funnel step.

Three tabs over one period (a week or a month), every figure from :mod:`shared.diagnosis`:

* 试听分析 (:func:`~shared.diagnosis.trial_analysis`): this period against the previous one,
  by consultant, by intent teacher, consultant × teacher, by sign type, days to order.
* 学员分析 (:func:`~shared.diagnosis.student_analysis`): consumed hours and 划课收入 by
  course, teacher and consumption type, the 课次 distribution, remaining hours. A click on a
  課次 bar (or its row), on 剩余课时少 or on 久未上课 lists the students behind it with their
  consultant, lessons and remaining hours.
* 薄弱环节 (:func:`~shared.diagnosis.weak_stage`, :func:`~shared.diagnosis.weak_stages_by_staff`):
  each funnel step now against its history, the weak step in red, campus-wide and per
  consultant; a click on a consultant shows their own steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from PySide6.QtCore import QModelIndex, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop.context import AppContext
from desktop.models.table_model import (
    DASH,
    WEAK_COLOR,
    Cell,
    CellTableModel,
    days_text,
    points,
    table_view,
    yuan,
)
from desktop.widgets.charts_diag import BarChart, BarSeriesData
from desktop.widgets.format import percent
from shared.diagnosis import (
    CONSUMPTION_KIND_NAMES,
    UNASSIGNED,
    FunnelStep,
    LessonCountBucket,
    StudentAnalysis,
    StudentLessons,
    TrialAnalysis,
    TrialCounts,
    TrialRow,
    WeakStageReport,
    student_analysis,
    trial_analysis,
    weak_stage,
    weak_stages_by_staff,
)
from shared.enums import SIGN_TYPE_NAMES as _SIGN_TYPES
from shared.enums import STUDENT_STATUS_NAMES
from shared.models import SignType, StudentStatus
from shared.money import round_half_up
from shared.periods import Period

from .base import Page
from .tasks_page import PeriodPicker

SIGN_TYPE_NAMES: dict[SignType | None, str] = {**_SIGN_TYPES, None: "未记录类型"}

HISTORY_PERIODS = 6  # the weak step compares with this many earlier periods
TRIAL_HEADERS = ["姓名", "试听", "到课", "未到", "待定", "签单", "转化率", "成交天数(均)"]


@dataclass(frozen=True, slots=True)
class DiagnosisData:
    """One refresh: the three analyses of a period, as the engine computed them."""

    period: Period
    today: date
    trials: TrialAnalysis
    students: StudentAnalysis
    weak: WeakStageReport
    weak_by_staff: tuple[WeakStageReport, ...]


def load_diagnosis(
    session: Session,
    campus_id: str,
    period: Period,
    today: date,
    few_hours: int,
    idle_weeks: int,
) -> DiagnosisData:
    """Read the trial, student and weak-stage analyses of a period in one snapshot."""
    return DiagnosisData(
        period=period,
        today=today,
        trials=trial_analysis(session, campus_id, period, as_of=today),
        students=student_analysis(
            session,
            campus_id,
            period,
            today=today,
            few_hours_threshold=few_hours,
            idle_weeks=idle_weeks,
        ),
        weak=weak_stage(session, campus_id, period, history_periods=HISTORY_PERIODS),
        weak_by_staff=tuple(
            weak_stages_by_staff(session, campus_id, period, history_periods=HISTORY_PERIODS)
        ),
    )


# =========================================================================== formatting


def hours(value: Decimal) -> str:
    """Lesson hours as stored (two decimals)."""
    return f"{value:.2f}"


def signed(value: int) -> str:
    """A count change with its sign."""
    return f"{value:+d}"


def whole_yuan(fen: int) -> int:
    """Fen rounded to whole yuan, for bar lengths and labels (the tables keep the fen)."""
    return round_half_up(Fraction(fen, 100))


def signed_fraction(value: Fraction | None, shown: Callable[[Fraction], str]) -> str:
    """A change with its sign, the size shown by ``shown`` (``+4.5 天``, ``-11.3%``)."""
    if value is None:
        return DASH
    return ("+" if value >= 0 else "-") + shown(abs(value))


def trial_row_cells(name: str, counts: TrialCounts, days: str) -> list[Cell]:
    """A row of the by-consultant / by-teacher tables."""
    return [
        Cell(name),
        Cell.count(counts.trials),
        Cell.count(counts.held),
        Cell.count(counts.no_show),
        Cell.count(counts.pending),
        Cell.count(counts.signed),
        Cell(percent(counts.conversion), numeric=True),
        Cell(days, numeric=True),
    ]


def step_name(step: FunnelStep) -> str:
    """``邀约→到访``."""
    return f"{step.from_name}→{step.to_name}"


def step_rate(rate_to: int, rate_from: int, rate: Fraction | None) -> str:
    """``8/13 = 61.5%`` (a dash when nothing was counted)."""
    if rate is None:
        return f"{rate_to}/{rate_from}" if rate_from or rate_to else DASH
    return f"{rate_to}/{rate_from} = {percent(rate)}"


def bucket_students(
    students: Sequence[StudentLessons], bucket: LessonCountBucket
) -> list[StudentLessons]:
    """The students a 课次 bucket counts (its own low/high bounds)."""
    return [
        s
        for s in students
        if bucket.low <= s.lessons and (bucket.high is None or s.lessons <= bucket.high)
    ]


def _boxed(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


# =========================================================================== tabs


class TrialsTab(QWidget):
    """试听分析: headline against the previous period, per person, pairs, sign types."""

    def __init__(self) -> None:
        super().__init__()
        self.headline_model = CellTableModel(["", "本期", "上期", "变化"])
        self.headline_view = table_view(self.headline_model, "trialHeadline")
        self.consultant_model = CellTableModel(TRIAL_HEADERS)
        self.consultant_view = table_view(self.consultant_model, "trialByConsultant")
        self.teacher_model = CellTableModel(TRIAL_HEADERS)
        self.teacher_view = table_view(self.teacher_model, "trialByTeacher")
        self.pair_model = CellTableModel()
        self.pair_view = table_view(self.pair_model, "trialMatrix")
        self.sign_chart = BarChart("签单类型（本期试听签单）")
        self.sign_chart.setObjectName("signTypeChart")
        self.note = QLabel()
        self.note.setObjectName("trialNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #666;")
        matrix_note = QLabel("每格：签单/到课 与转化率；行是课程顾问，列是意向教师")
        matrix_note.setStyleSheet("color: #666;")

        grid = QGridLayout(self)
        grid.addWidget(_boxed("本期与上期", self.headline_view, self.note), 0, 0)
        grid.addWidget(self.sign_chart, 0, 1)
        grid.addWidget(_boxed("按课程顾问", self.consultant_view), 1, 0)
        grid.addWidget(_boxed("按意向教师", self.teacher_view), 1, 1)
        grid.addWidget(_boxed("顾问 × 意向教师", matrix_note, self.pair_view), 2, 0, 1, 2)
        grid.setRowStretch(0, 4)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(2, 3)

    def show_data(self, data: TrialAnalysis) -> None:
        """Fill every table and the chart from one trial analysis."""
        now, then, change = data.current, data.previous, data.change
        rows: list[tuple[str, str, str, str]] = [
            (
                "试听（已约）",
                str(now.counts.trials),
                str(then.counts.trials),
                signed(change.trials),
            ),
            ("到课", str(now.counts.held), str(then.counts.held), signed(change.held)),
            ("未到", str(now.counts.no_show), str(then.counts.no_show), signed(change.no_show)),
            ("待定", str(now.counts.pending), str(then.counts.pending), ""),
            ("签单", str(now.counts.signed), str(then.counts.signed), signed(change.signed)),
            (
                "转化率（签单÷到课）",
                percent(now.counts.conversion),
                percent(then.counts.conversion),
                points(change.conversion),
            ),
            (
                "平均成交天数",
                days_text(now.days_to_order.mean),
                days_text(then.days_to_order.mean),
                signed_fraction(change.mean_days_to_order, days_text),
            ),
            (
                "成交天数中位数",
                days_text(now.days_to_order.median),
                days_text(then.days_to_order.median),
                "",
            ),
        ]
        self.headline_model.set_rows(
            [
                [Cell(a, bold=True)] + [Cell(x, numeric=True) for x in (b, c, d)]
                for a, b, c, d in rows
            ],
            headers=["", now.period.label, then.period.label, "变化"],
        )
        self.note.setText(
            f"试听按上课日期归入周期；截至 {data.as_of} 已签单的试听都算签单"
            "（含周期结束后才签的）。"
            f"取消的试听（本期 {now.counts.cancelled} 次）不计入。"
        )
        self.consultant_model.set_rows(
            [self._row(r) for r in data.by_consultant], [r.staff_id for r in data.by_consultant]
        )
        self.teacher_model.set_rows(
            [self._row(r) for r in data.by_intent_teacher],
            [r.staff_id for r in data.by_intent_teacher],
        )
        consultants = list(
            dict.fromkeys((p.consultant_id, p.consultant_name) for p in data.by_pair)
        )
        teachers = list(
            dict.fromkeys((p.intent_teacher_id, p.intent_teacher_name) for p in data.by_pair)
        )
        cells = {(p.consultant_id, p.intent_teacher_id): p.counts for p in data.by_pair}
        matrix = []
        for cid, cname in consultants:
            row = [Cell(cname, bold=True)]
            for tid, _ in teachers:
                counts = cells.get((cid, tid))
                if counts is None or counts.trials + counts.cancelled == 0:
                    row.append(Cell(""))
                    continue
                text = f"{counts.signed}/{counts.held}"
                if counts.conversion is not None:
                    text += f"  {percent(counts.conversion)}"
                row.append(Cell(text, numeric=True))
            matrix.append(row)
        self.pair_model.set_rows(
            matrix, [c for c, _ in consultants], headers=["顾问 \\ 教师", *(n for _, n in teachers)]
        )
        self.sign_chart.set_bars(
            [SIGN_TYPE_NAMES[r.sign_type] for r in data.by_sign_type],
            [BarSeriesData("签单数", [r.signed for r in data.by_sign_type])],
        )

    @staticmethod
    def _row(row: TrialRow) -> list[Cell]:
        return trial_row_cells(row.staff_name, row.counts, days_text(row.days_to_order.mean))


class StudentsTab(QWidget):
    """学员分析: consumption by course, teacher and kind, 课次, remaining hours; drill-downs."""

    STUDENT_HEADERS = ["学员", "状态", "课程顾问", "本期课次", "最近上课", "剩余课时"]

    def __init__(self, page: DiagnosisPage) -> None:
        super().__init__()
        self.page = page
        self.data: StudentAnalysis | None = None
        self.headline = QLabel()
        self.headline.setObjectName("studentHeadline")
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-weight: bold;")

        self.course_chart = BarChart("按课程：划课收入（元，取整）", horizontal=True)
        self.course_model = CellTableModel(["课程", "课时", "划课收入（元）"])
        self.teacher_chart = BarChart("按教师：划课收入（元，取整）", horizontal=True)
        self.teacher_model = CellTableModel(["教师", "课时", "划课收入（元）"])
        self.kind_chart = BarChart("按消耗类型：课时", horizontal=True)
        self.kind_model = CellTableModel(["消耗类型", "课时", "金额（元）"])
        self.bucket_chart = BarChart("课次分布：本期上课次数 → 学员数（点柱子看名单）")
        self.bucket_chart.setObjectName("lessonBucketChart")
        self.bucket_model = CellTableModel(["本期课次", "学员数"])
        self.course_view = table_view(self.course_model, "consumptionByCourse")
        self.teacher_view = table_view(self.teacher_model, "consumptionByTeacher")
        self.kind_view = table_view(self.kind_model, "consumptionByKind")
        self.bucket_view = table_view(self.bucket_model, "lessonBuckets")

        inner = QTabWidget()
        inner.setObjectName("studentTabs")
        for title, chart, view in (
            ("课次分布", self.bucket_chart, self.bucket_view),
            ("按课程", self.course_chart, self.course_view),
            ("按教师", self.teacher_chart, self.teacher_view),
            ("按消耗类型", self.kind_chart, self.kind_view),
        ):
            tab = QWidget()
            tab_layout = QVBoxLayout(tab)
            tab_layout.addWidget(chart, 3)
            tab_layout.addWidget(view, 2)
            inner.addTab(tab, title)
        self.inner = inner

        self.few_button = QPushButton()
        self.few_button.setObjectName("fewHoursButton")
        self.idle_button = QPushButton()
        self.idle_button.setObjectName("idleButton")
        self.few_spin = QSpinBox()
        self.few_spin.setRange(0, 200)
        self.few_spin.setValue(4)
        self.few_spin.setSuffix(" 课时")
        self.idle_spin = QSpinBox()
        self.idle_spin.setRange(1, 52)
        self.idle_spin.setValue(3)
        self.idle_spin.setSuffix(" 周")
        for spin in (self.few_spin, self.idle_spin):
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(page.refresh)
        thresholds = QHBoxLayout()
        thresholds.addWidget(QLabel("剩余课时 ≤"))
        thresholds.addWidget(self.few_spin)
        thresholds.addSpacing(12)
        thresholds.addWidget(QLabel("未上课超过"))
        thresholds.addWidget(self.idle_spin)
        thresholds.addStretch(1)
        shortcuts = QHBoxLayout()
        shortcuts.addWidget(self.few_button)
        shortcuts.addWidget(self.idle_button)
        self.drill_title = QLabel("点左侧的柱子或行，或上面的按钮，查看学员名单")
        self.drill_title.setObjectName("drillTitle")
        self.drill_title.setStyleSheet("font-weight: bold;")
        self.drill_model = CellTableModel(self.STUDENT_HEADERS)
        self.drill_view = table_view(self.drill_model, "drillStudents")
        drill = QWidget()
        drill_layout = QVBoxLayout(drill)
        drill_layout.setContentsMargins(0, 0, 0, 0)
        drill_layout.addLayout(thresholds)
        drill_layout.addLayout(shortcuts)
        drill_layout.addWidget(self.drill_title)
        drill_layout.addWidget(self.drill_view, 1)

        splitter = QSplitter()
        splitter.addWidget(inner)
        splitter.addWidget(_boxed("学员名单", drill))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(splitter, 1)

        self.bucket_chart.bar_clicked.connect(self.show_bucket)
        self.bucket_view.clicked.connect(lambda index: self.show_bucket(index.row()))
        self.few_button.clicked.connect(self.show_few_hours)
        self.idle_button.clicked.connect(self.show_idle)

    @property
    def few_hours(self) -> int:
        """The remaining-hours threshold of the renewal list."""
        return self.few_spin.value()

    @property
    def idle_weeks(self) -> int:
        """How many weeks without a lesson make a student idle."""
        return self.idle_spin.value()

    def show_data(self, data: StudentAnalysis) -> None:
        """Fill charts, tables and buttons from one student analysis."""
        self.data = data
        enrolled = sum(1 for s in data.students if s.status is StudentStatus.ENROLLED)
        self.headline.setText(
            f"{data.period.label}：课消 {hours(data.consumed_hours)} 课时，"
            f"划课收入 {yuan(data.consumed_fen)} 元（不含试听）；在读学员 {enrolled} 人，"
            f"本期上过课或在读共 {len(data.students)} 人。剩余课时为 {data.today} 的数。"
        )
        self.course_model.set_rows(
            [
                [Cell(c.course_name), Cell(hours(c.hours), numeric=True), Cell.money(c.amount_fen)]
                for c in data.by_course
            ],
            [c.course_id for c in data.by_course],
        )
        self.course_chart.set_bars(
            [c.course_name for c in data.by_course],
            [BarSeriesData("划课收入（元）", [whole_yuan(c.amount_fen) for c in data.by_course])],
        )
        self.teacher_model.set_rows(
            [
                [
                    Cell(t.teacher_name or UNASSIGNED),
                    Cell(hours(t.hours), numeric=True),
                    Cell.money(t.amount_fen),
                ]
                for t in data.by_teacher
            ],
            [t.teacher_id for t in data.by_teacher],
        )
        self.teacher_chart.set_bars(
            [t.teacher_name or UNASSIGNED for t in data.by_teacher],
            [BarSeriesData("划课收入（元）", [whole_yuan(t.amount_fen) for t in data.by_teacher])],
        )
        self.kind_model.set_rows(
            [
                [Cell(k.kind_name), Cell(hours(k.hours), numeric=True), Cell.money(k.amount_fen)]
                for k in data.by_kind
            ],
            [k.kind.value for k in data.by_kind],
        )
        self.kind_chart.set_bars(
            [CONSUMPTION_KIND_NAMES[k.kind] for k in data.by_kind],
            [BarSeriesData("课时", [float(k.hours) for k in data.by_kind])],
        )
        self.bucket_model.set_rows(
            [[Cell(f"{b.label} 次"), Cell.count(b.students)] for b in data.lesson_buckets],
            [b.label for b in data.lesson_buckets],
        )
        self.bucket_chart.set_bars(
            [f"{b.label} 次" for b in data.lesson_buckets],
            [BarSeriesData("学员数", [b.students for b in data.lesson_buckets])],
        )
        self.few_button.setText(
            f"剩余课时 ≤ {hours(data.few_hours_threshold)}：{len(data.few_hours)} 人（续费机会）"
        )
        self.idle_button.setText(
            f"超过 {data.idle_weeks} 周未上课：{len(data.idle)} 人（流失风险）"
        )
        self.show_students("", [])
        self.drill_title.setText("点左侧的柱子或行，或上面的按钮，查看学员名单")

    # ------------------------------------------------------------------ drill-downs

    @Slot(int)
    def show_bucket(self, index: int) -> None:
        """The students behind one 课次 bar."""
        if self.data is None or not 0 <= index < len(self.data.lesson_buckets):
            return
        bucket = self.data.lesson_buckets[index]
        students = bucket_students(self.data.students, bucket)
        self.show_students(f"{self.data.period.label}上课 {bucket.label} 次的学员", students)

    @Slot()
    def show_few_hours(self) -> None:
        """Enrolled students with few hours left (renewal opportunities), fewest first."""
        if self.data is not None:
            self.show_students(
                f"剩余课时 ≤ {hours(self.data.few_hours_threshold)} 的在读学员（续费机会）",
                self.data.few_hours,
            )

    @Slot()
    def show_idle(self) -> None:
        """Enrolled students without a lesson for ``idle_weeks`` weeks (churn risk)."""
        if self.data is not None:
            self.show_students(
                f"超过 {self.data.idle_weeks} 周没有上课的在读学员（流失风险）", self.data.idle
            )

    def show_students(self, title: str, students: Sequence[StudentLessons]) -> None:
        """List students with their consultant, lessons in the period and remaining hours."""
        if title:
            self.drill_title.setText(f"{title}：{len(students)} 人")
        self.drill_model.set_rows(
            [
                [
                    Cell(s.student_name),
                    Cell(STUDENT_STATUS_NAMES[s.status]),
                    Cell(s.consultant_name),
                    Cell.count(s.lessons),
                    Cell(s.last_lesson_on.isoformat() if s.last_lesson_on else "从未上课"),
                    Cell(
                        hours(s.remaining_hours),
                        numeric=True,
                        background="#ffcdd2" if s.remaining_hours < 0 else None,
                        tooltip="欠课时" if s.remaining_hours < 0 else None,
                    ),
                ]
                for s in students
            ],
            [s.student_id for s in students],
        )


class WeakTab(QWidget):
    """薄弱环节: funnel steps now against history, the weak one in red; per consultant."""

    def __init__(self) -> None:
        super().__init__()
        self.data: DiagnosisData | None = None
        self.verdict = QLabel()
        self.verdict.setObjectName("weakVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.steps_title = QLabel()
        self.steps_title.setObjectName("weakStepsTitle")
        self.steps_model = CellTableModel(
            ["环节", "本期", "历史", "变化", "相对历史"],
        )
        self.steps_view = table_view(self.steps_model, "weakSteps")
        self.chart = BarChart("各环节转化率（%）：本期 与 历史", value_label="%")
        self.chart.setObjectName("weakChart")
        self.staff_model = CellTableModel()
        self.staff_view = table_view(self.staff_model, "weakByStaff")
        self.staff_view.clicked.connect(self._staff_clicked)
        self.campus_button = QPushButton("看全校区")
        self.campus_button.clicked.connect(lambda: self.show_report(None))
        hint = QLabel("红色为该顾问的薄弱环节；点一行查看他的各环节")
        hint.setStyleSheet("color: #666;")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        title_line = QHBoxLayout()
        title_line.addWidget(self.steps_title, 1)
        title_line.addWidget(self.campus_button)
        left_layout.addWidget(self.verdict)
        left_layout.addLayout(title_line)
        self.steps_view.setFixedHeight(3 * 26 + 30)  # three steps and the header
        left_layout.addWidget(self.steps_view)
        rule = QLabel(
            f"怎么找：每一步的转化率 = 后一环节数 ÷ 前一环节数；历史 = 前 {HISTORY_PERIODS} 期合计"
            "（按量加权）。比自己历史下降最多（相对幅度）的一步就是薄弱环节，相同时取更靠前的一步。"
            "试听、签单也计入系统记下的事件（到课的试听、签的订单）。"
        )
        rule.setWordWrap(True)
        rule.setStyleSheet("color: #666;")
        left_layout.addWidget(rule)
        left_layout.addStretch(1)
        self.chart.setMinimumWidth(420)
        upper = QSplitter()
        upper.addWidget(left)
        upper.addWidget(self.chart)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(upper, 3)
        layout.addWidget(_boxed("按课程顾问", hint, self.staff_view), 2)

    def show_data(self, data: DiagnosisData) -> None:
        """Fill the campus report and the per-consultant table."""
        self.data = data
        steps = data.weak.steps
        headers = ["课程顾问"] + [step_name(s) for s in steps] + ["薄弱环节"]
        rows = []
        for report in data.weak_by_staff:
            row = [Cell(report.staff_name or DASH, bold=True)]
            for step in report.steps:
                weak = report.weak is not None and report.weak.from_code == step.from_code
                row.append(
                    Cell(
                        f"{percent(step.current_rate)}（历史 {percent(step.historical_rate)}）",
                        numeric=True,
                        background=WEAK_COLOR if weak else None,
                    )
                )
            row.append(Cell(step_name(report.weak) if report.weak else "无"))
            rows.append(row)
        self.staff_model.set_rows(rows, [r.staff_id for r in data.weak_by_staff], headers=headers)
        self.show_report(None)

    def _staff_clicked(self, index: QModelIndex) -> None:
        key = self.staff_model.key(index.row())
        self.show_report(str(key) if key is not None else None)

    def show_report(self, staff_id: str | None) -> None:
        """Show the campus's steps (``None``) or one consultant's."""
        if self.data is None:
            return
        report = self.data.weak
        if staff_id is not None:
            report = next((r for r in self.data.weak_by_staff if r.staff_id == staff_id), report)
        history = report.history
        span = f"{history[-1].label}–{history[0].label}" if history else DASH
        who = report.staff_name or "全校区"
        self.steps_title.setText(
            f"{who}：{report.period.label} 对比前 {len(history)} 期（{span}）合计的转化率"
        )
        rows = []
        weak_index = None
        for i, step in enumerate(report.steps):
            weak = report.weak is not None and report.weak.from_code == step.from_code
            if weak:
                weak_index = i
            background = WEAK_COLOR if weak else None
            relative = signed_fraction(step.relative_change, percent)
            rows.append(
                [
                    Cell(step_name(step), bold=weak, background=background),
                    Cell(
                        step_rate(step.current_to, step.current_from, step.current_rate),
                        numeric=True,
                        background=background,
                    ),
                    Cell(
                        step_rate(step.history_to, step.history_from, step.historical_rate),
                        numeric=True,
                        background=background,
                    ),
                    Cell(points(step.change), numeric=True, background=background),
                    Cell(relative, numeric=True, background=background),
                ]
            )
        self.steps_model.set_rows(rows, [s.from_code for s in report.steps])
        self.chart.set_bars(
            [step_name(s) for s in report.steps],
            [
                BarSeriesData("本期", [_rate_value(s.current_rate) for s in report.steps]),
                BarSeriesData("历史", [_rate_value(s.historical_rate) for s in report.steps]),
            ],
            highlight=weak_index,
        )
        if report.weak is None:
            self.verdict.setText(f"{who}：没有哪个环节的转化率比历史下降（或历史数据不足）。")
            self.verdict.setStyleSheet("font-size: 15px; font-weight: bold; color: #2e7d32;")
        else:
            weak = report.weak
            drop = percent(abs(weak.relative_change or 0))
            self.verdict.setText(
                f"{who}的薄弱环节：{step_name(weak)} —— 本期 {percent(weak.current_rate)}，"
                f"历史 {percent(weak.historical_rate)}，比历史低 {drop}。"
            )
            self.verdict.setStyleSheet("font-size: 15px; font-weight: bold; color: #c62828;")


def _rate_value(rate: Fraction | None) -> float:
    """A rate as a percentage with one decimal, as the tables show it (0 when there is none)."""
    return float(percent(rate).removesuffix("%")) if rate is not None else 0.0


# =========================================================================== the page


class DiagnosisPage(Page):
    """诊断: 试听分析, 学员分析 and 薄弱环节 of a week or a month."""

    key = "diagnosis"
    title = "诊断"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: DiagnosisData | None = None
        self._ticket = 0
        self.picker = PeriodPicker(ctx.today(), week_first=False)
        self.picker.setObjectName("diagnosisPeriodPicker")
        self.period_label = QLabel()
        self.period_label.setObjectName("diagnosisPeriod")
        self.period_label.setStyleSheet("color: #555;")
        bar = QHBoxLayout()
        bar.addWidget(self.picker)
        bar.addSpacing(12)
        bar.addWidget(self.period_label)
        bar.addStretch(1)
        bar.addWidget(self.make_export_button())

        self.trials_tab = TrialsTab()
        self.students_tab = StudentsTab(self)
        self.weak_tab = WeakTab()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("diagnosisTabs")
        self.tabs.addTab(self.trials_tab, "试听分析")
        self.tabs.addTab(self.students_tab, "学员分析")
        self.tabs.addTab(self.weak_tab, "薄弱环节")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        self.picker.period_changed.connect(self.refresh)

    @property
    def period(self) -> Period:
        """The week or month analysed."""
        return self.picker.period

    def set_period(self, period: Period) -> None:
        """Analyse another week or month."""
        self.picker.set_period(period)

    def export_name(self) -> str:
        """``诊断-2025年6月``."""
        return f"诊断-{self.period.label}"

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """Every table of the three tabs (the student list as it is drilled down now)."""
        trials, students, weak = self.trials_tab, self.students_tab, self.weak_tab
        return [
            ("试听-本期与上期", trials.headline_view),
            ("试听-按课程顾问", trials.consultant_view),
            ("试听-按意向教师", trials.teacher_view),
            ("试听-顾问×意向教师", trials.pair_view),
            ("学员-课次分布", students.bucket_view),
            ("学员-按课程", students.course_view),
            ("学员-按教师", students.teacher_view),
            ("学员-按消耗类型", students.kind_view),
            ("学员名单", students.drill_view),
            ("薄弱环节", weak.steps_view),
            ("薄弱环节-按课程顾问", weak.staff_view),
        ]

    def refresh(self) -> None:
        """Read the three analyses for the chosen period."""
        campus_id = self.ctx.campus_id
        if campus_id is None:
            return
        period, today = self.period, self.ctx.today()
        few, idle = self.students_tab.few_hours, self.students_tab.idle_weeks
        start, end = period.bounds
        self.period_label.setText(f"{period.label}（{start:%m.%d}–{end:%m.%d}），截至 {today}")
        self._ticket += 1
        ticket = self._ticket
        self.ctx.ops.read(
            lambda s: load_diagnosis(s, campus_id, period, today, few, idle),
            lambda data: self._loaded(ticket, data),
            label="业绩诊断",
        )

    def _loaded(self, ticket: int, data: DiagnosisData) -> None:
        if ticket != self._ticket:
            return
        self.data = data
        self.trials_tab.show_data(data.trials)
        self.students_tab.show_data(data.students)
        self.weak_tab.show_data(data)
