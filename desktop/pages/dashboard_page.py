"""看板 Dashboard: the campus's attainment at a glance, and the rollup of 全部校区.

Every figure comes from ``shared``: :func:`shared.progress.dashboard` (year, month and week
attainment of 营业额 and 划课收入, rankings, funnel, this week's and this month's consumption
outlook),
:func:`shared.diagnosis.weak_stage` (the weak stage of the month),
:func:`shared.diagnosis.student_analysis` (students with few remaining hours),
:func:`shared.progress.follow_ups_due` (follow-ups due today) and, with 全部校区 selected,
:func:`shared.progress.rollup` and :func:`shared.progress.ranking` across campuses. This page
only lays them out; the rules for the alerts list are in :func:`build_alerts`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.widgets.charts import FunnelChart
from desktop.widgets.format import hours_text, percent, status_color, status_name, yuan
from desktop.widgets.progress_card import ProgressCard
from desktop.widgets.tables import ReadOnlyTable
from shared.enums import Metric
from shared.figures import (
    CampusRow,
    ConsumptionOutlook,
    Dashboard,
    FollowUp,
    Progress,
    RankRow,
    Status,
    StudentLessons,
    WeakStageReport,
)
from shared.periods import SHANGHAI, Period

from .base import Page

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from shared.exports import Sheet

# The engines (shared.progress, shared.diagnosis, SQLAlchemy) are imported inside the loaders,
# on the worker: drawing the figures needs only the SQLAlchemy-free shared.figures, so the
# everyday start can draw the dashboard from its snapshot before the file is even open.

log = logging.getLogger(__name__)

FEW_HOURS = Decimal(4)  # 剩余课时 at or below this is a renewal opportunity (diagnosis default)
ALERT_LIST_LIMIT = 8  # per kind; the rest is counted in one line
WEEKDAYS = "一二三四五六日"
METRIC_NAMES = {Metric.REVENUE: "营业额", Metric.CONSUMPTION: "划课收入"}
PERIOD_WORDS = {"year": "本年", "month": "本月", "week": "本周"}
ROLLUP_PERIODS = (("month", "本月"), ("week", "本周"), ("year", "本年"))
# At a clean close the start snapshot also holds the figures of this many following business
# dates (the next morning, a weekend, a short break), as long as computing them has taken no
# more than the budget so far (about 0.1 s a day on the small demo, 0.3 s for one campus of
# the large one).
FOLLOWING_DAYS = 3
FOLLOWING_DAYS_BUDGET_S = 1.5
DAY_WORDS = {1: "昨天", 2: "前天"}
AS_OF_TIP = "这是上次关闭达标时的数据，之后没有改动；数据文件打开后会自动更新。"


# --------------------------------------------------------------------------- loading (worker)


@dataclass(frozen=True)
class CampusFigures:
    """Everything the campus dashboard shows, read in one snapshot."""

    dashboard: Dashboard
    weak: WeakStageReport
    few_hours: tuple[StudentLessons, ...]
    follow_ups: tuple[tuple[str, FollowUp], ...]  # (staff name, follow-up), oldest due first
    loaded_at: datetime


@dataclass(frozen=True)
class GroupFigures:
    """The 全部校区 view: every campus side by side for a period, and the group rankings."""

    period: Period
    rows: list[CampusRow]
    revenue_ranking: list[RankRow]
    consumption_ranking: list[RankRow]
    loaded_at: datetime


def load_campus_figures(session: Session, campus_id: str, today: date) -> CampusFigures:
    """Read the campus dashboard's figures (runs on a worker thread)."""
    from sqlalchemy import select

    from shared import diagnosis, progress
    from shared.models import Staff

    month = Period.of_month(today.year, today.month)
    board = progress.dashboard(session, campus_id, today)
    weak = diagnosis.weak_stage(session, campus_id, month)
    students = diagnosis.student_analysis(
        session, campus_id, month, today=today, few_hours_threshold=FEW_HOURS
    )
    staff = session.execute(
        select(Staff.id, Staff.name)
        .where(Staff.campus_id == campus_id, Staff.is_deleted.is_(False))
        .order_by(Staff.name, Staff.id)
    ).all()
    due = [
        (name, f)
        for staff_id, name in staff
        for f in progress.follow_ups_due(session, staff_id, today)
    ]
    due.sort(key=lambda pair: (pair[1].due_on, pair[0]))
    return CampusFigures(board, weak, students.few_hours, tuple(due), datetime.now())


def figures_tuple(figures: CampusFigures) -> tuple[object, ...]:
    """The campus figures as a plain tuple (what the start snapshot stores)."""
    f = figures
    return (f.dashboard, f.weak, f.few_hours, f.follow_ups, f.loaded_at)


def load_following_days(
    session: Session,
    campus_id: str,
    today: date,
    *,
    days: int = FOLLOWING_DAYS,
    budget_s: float = FOLLOWING_DAYS_BUDGET_S,
    clock: Callable[[], float] = time.perf_counter,
) -> list[tuple[date, tuple[object, ...]]]:
    """The campus figures of the business dates after ``today``, for the start snapshot.

    ``today + 1`` … ``today + days`` in order, each read exactly as the dashboard reads it
    (:func:`load_campus_figures`), until ``budget_s`` seconds have gone into them. An error
    ends the list (it is logged): the close that asks for it must go on.
    """
    following: list[tuple[date, tuple[object, ...]]] = []
    started = clock()
    for n in range(1, days + 1):
        if clock() - started > budget_s:
            break
        day = today + timedelta(days=n)
        try:
            figures = load_campus_figures(session, campus_id, day)
        except Exception:
            log.exception("could not read the dashboard of %s for the start snapshot", day)
            break
        following.append((day, figures_tuple(figures)))
    return following


def as_of_text(closed_at: datetime, today: date) -> str:
    """The label "数据截至 昨天 21:03": the Shanghai time the file was closed, seen from ``today``
    (a naive ``closed_at`` is taken as UTC)."""
    if closed_at.tzinfo is None:
        closed_at = closed_at.replace(tzinfo=UTC)
    local = closed_at.astimezone(SHANGHAI)
    ago = (today - local.date()).days
    if ago == 0:
        day = "今天"
    elif ago in DAY_WORDS:
        day = DAY_WORDS[ago]
    elif local.year == today.year:
        day = f"{local.month}月{local.day}日"
    else:
        day = f"{local.year}年{local.month}月{local.day}日"
    return f"数据截至 {day} {local:%H:%M}"


def file_version(session: Session) -> int:
    """The file's change counter in this read snapshot (any commit elsewhere moves it)."""
    from shared.versioning import current_version

    return current_version(session)


def load_group_figures(session: Session, kind: str, today: date) -> GroupFigures:
    """Read the rollup of every campus for the period of ``kind`` containing ``today``."""
    from shared import progress

    period = Period.containing(kind, today)
    return GroupFigures(
        period=period,
        rows=progress.rollup(session, period, today=today),
        revenue_ranking=progress.ranking(session, None, today.year, today.month, Metric.REVENUE),
        consumption_ranking=progress.ranking(
            session, None, today.year, today.month, Metric.CONSUMPTION
        ),
        loaded_at=datetime.now(),
    )


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    """One line of the alerts list; ``level`` picks the colour (a Status)."""

    level: Status
    text: str


def build_alerts(figures: CampusFigures) -> list[Alert]:
    """The alerts, most urgent first: targets at risk or behind pace, the consumption outlook,
    students short of hours, follow-ups due today."""
    board = figures.dashboard
    alerts: list[Alert] = []
    for metric, sets in ((Metric.REVENUE, board.revenue), (Metric.CONSUMPTION, board.consumption)):
        for p in (sets.week, sets.month, sets.year):
            if p.status not in (Status.AT_RISK, Status.BEHIND):
                continue
            what = f"{PERIOD_WORDS[p.period.kind]}{METRIC_NAMES[metric]}"
            if p.status is Status.AT_RISK:
                text = (
                    f"{what}有风险：按目前速度预计 {yuan(p.forecast_fen)}，"
                    f"不到目标 {yuan(p.target_fen)} 的八成"
                )
            else:
                text = (
                    f"{what}落后于进度：已完成 {yuan(p.actual_fen)}，"
                    f"应完成 {yuan(p.expected_so_far_fen)}（差 {yuan(-p.gap_to_pace_fen)}）"
                )
            alerts.append(Alert(p.status, text))
    alerts.sort(key=lambda a: a.level is not Status.AT_RISK)
    for outlook in (board.week_outlook, board.outlook):
        if outlook.will_miss:
            alerts.append(
                Alert(
                    Status.AT_RISK,
                    f"按现有排课，{PERIOD_WORDS[outlook.period.kind]}划课收入预计 "
                    f"{yuan(outlook.expected_total_fen)}，比目标少 {yuan(outlook.shortfall_fen)}",
                )
            )
    outlook = board.outlook  # the week's students short of hours are among the month's
    for short in outlook.out_of_hours[:ALERT_LIST_LIMIT]:
        alerts.append(
            Alert(
                Status.BEHIND,
                f"{short.student_name}（{short.course_name}）本月还有 {short.lessons} 节课"
                f"没有剩余课时支付，差 {hours_text(short.uncovered_hours)} 课时",
            )
        )
    _more(alerts, len(outlook.out_of_hours), "名学员的本月排课缺课时")
    for student in figures.few_hours[:ALERT_LIST_LIMIT]:
        who = f"（顾问 {student.consultant_name}）" if student.consultant_name else ""
        hours = student.remaining_hours
        if hours < 0:
            state = f"已欠 {hours_text(-hours)} 课时，请尽快续费"
        elif hours == 0:
            state = "课时已用完，可以跟进续费"
        else:
            state = f"剩余 {hours_text(hours)} 课时，可以跟进续费"
        alerts.append(Alert(Status.NOT_STARTED, f"{student.student_name} {state}{who}"))
    _more(alerts, len(figures.few_hours), "名学员剩余课时不多")
    for staff_name, follow in figures.follow_ups[:ALERT_LIST_LIMIT]:
        late = f"，已逾期 {follow.days_overdue} 天" if follow.days_overdue > 0 else ""
        student = f"（{follow.student_name}）" if follow.student_name else ""
        alerts.append(
            Alert(
                Status.ON_PACE,
                f"今日待跟进：家长 {follow.parent_name}{student}，负责人 {staff_name}{late}",
            )
        )
    _more(alerts, len(figures.follow_ups), "条跟进今日到期")
    return alerts


def _more(alerts: list[Alert], total: int, what: str) -> None:
    if total > ALERT_LIST_LIMIT:
        alerts.append(Alert(Status.NO_TARGET, f"……另有 {total - ALERT_LIST_LIMIT} {what}"))


# --------------------------------------------------------------------------- the page


def outlook_text(o: ConsumptionOutlook) -> str:
    """One period's 课消预测 as the dashboard shows it (rich text): done, still scheduled,
    expected against target, the gap, and how many students run out of hours."""
    start, end = o.period.bounds
    if o.period.kind == "week":
        head = f"<b>本周</b>（{start.month}月{start.day}日–{end.day}日）"
    else:
        head = f"<b>本月</b>（{o.period.month}月）"
    lines = [
        head,
        f"已划课 {yuan(o.actual_fen)}",
        f"剩余排课 {o.scheduled_lessons} 节，价值 {yuan(o.scheduled_fen)}",
        f"预计共 <b>{yuan(o.expected_total_fen)}</b>",
        f"目标 {yuan(o.target_fen)}" if o.has_target else "未设目标",
    ]
    if o.will_miss:
        color = status_color(Status.AT_RISK)
        lines.append(
            f"<span style='color:{color}'><b>将完不成目标，缺口 {yuan(o.shortfall_fen)}</b>"
            "：请加排课程或跟进续费。</span>"
        )
    elif o.has_target:
        color = status_color(Status.AHEAD)
        lines.append(f"<span style='color:{color}'><b>可以完成目标。</b></span>")
    if o.out_of_hours:
        lines.append(f"{len(o.out_of_hours)} 名学员剩余课时不够上完已排的课。")
    return "<br>".join(lines)


def _section(title: str) -> QGroupBox:
    box = QGroupBox(title)
    box.setStyleSheet("QGroupBox { font-weight: bold; }")
    return box


def _rank_rows(rows: list[RankRow], with_campus: bool) -> list[list[str]]:
    out = []
    for r in rows:
        cells = [str(r.rank), r.staff_name]
        if with_campus:
            cells.append(r.campus_name)
        cells += [
            yuan(r.amount_fen),
            yuan(r.target_fen) if r.target_fen is not None else "—",
            percent(r.attainment),
        ]
        out.append(cells)
    return out


class DashboardPage(Page):
    """看板: attainment cards, rankings, funnel, consumption outlook, alerts; or the rollup."""

    key = "dashboard"
    title = "看板"
    campus_required = False  # 全部校区 shows the rollup

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.figures: CampusFigures | None = None
        # (ctx.generation, the file's change counter) the figures were read at; None when they
        # were drawn from the start snapshot. The session keeps current figures at close.
        self.figures_read_at: tuple[int, int] | None = None
        self.group: GroupFigures | None = None
        self._generation = 0  # results of a superseded refresh are dropped

        self.header = QLabel()
        self.header.setObjectName("dashboardHeader")
        self.header.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.updated = QLabel()
        self.updated.setStyleSheet("color: #78909c;")
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addStretch(1)
        top.addWidget(self.updated)
        top.addWidget(self.make_export_button())

        self.views = QStackedWidget()
        self.views.addWidget(self._campus_view())
        self.views.addWidget(self._group_view())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.views, 1)

    # ------------------------------------------------------------------ building

    def _campus_view(self) -> QWidget:
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 8, 0)

        cards_box = _section("目标达成")
        grid = QGridLayout(cards_box)
        self.cards: dict[tuple[Metric, str], ProgressCard] = {}
        for row, metric in enumerate((Metric.REVENUE, Metric.CONSUMPTION)):
            name = QLabel(METRIC_NAMES[metric])
            name.setStyleSheet("font-size: 15px; font-weight: bold; color: #37474f;")
            name.setAlignment(Qt.AlignmentFlag.AlignCenter)
            name.setMinimumWidth(72)
            grid.addWidget(name, row, 0)
            for col, kind in enumerate(("year", "month", "week"), start=1):
                card = ProgressCard(f"{PERIOD_WORDS[kind]}{METRIC_NAMES[metric]}")
                card.setObjectName(f"card_{metric.value}_{kind}")
                self.cards[(metric, kind)] = card
                grid.addWidget(card, row, col)
                grid.setColumnStretch(col, 1)
        column.addWidget(cards_box)

        middle = QHBoxLayout()
        funnel_box = _section("本月环节完成率（实际 / 目标）")
        funnel_layout = QVBoxLayout(funnel_box)
        self.funnel_chart = FunnelChart()
        self.weak_label = QLabel()
        self.weak_label.setObjectName("weakStage")
        self.weak_label.setWordWrap(True)
        funnel_layout.addWidget(self.funnel_chart, 1)
        funnel_layout.addWidget(self.weak_label)
        middle.addWidget(funnel_box, 3)

        right = QVBoxLayout()
        outlook_box = _section("课消预测（按现有排课）")
        outlook_layout = QHBoxLayout(outlook_box)
        # This week's beside this month's, in the same words.
        self.week_outlook_label = QLabel()
        self.week_outlook_label.setObjectName("weekOutlook")
        self.outlook_label = QLabel()
        self.outlook_label.setObjectName("outlook")
        for i, label in enumerate((self.week_outlook_label, self.outlook_label)):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            if i:
                rule = QFrame()
                rule.setFrameShape(QFrame.Shape.VLine)
                rule.setStyleSheet("color: #cfd8dc;")
                outlook_layout.addWidget(rule)
            outlook_layout.addWidget(label, 1)
        right.addWidget(outlook_box)
        alerts_box = _section("提醒")
        alerts_layout = QVBoxLayout(alerts_box)
        self.alerts_list = QListWidget()
        self.alerts_list.setObjectName("alerts")
        self.alerts_list.setWordWrap(True)
        self.alerts_list.setMinimumHeight(200)
        alerts_layout.addWidget(self.alerts_list)
        right.addWidget(alerts_box, 1)
        middle.addLayout(right, 2)
        column.addLayout(middle)

        rankings = QHBoxLayout()
        self.revenue_table = ReadOnlyTable(
            ["排名", "课程顾问", "营业额", "目标", "达成率"], right={0, 2, 3, 4}, stretch=1
        )
        self.consumption_table = ReadOnlyTable(
            ["排名", "教师", "划课收入", "目标", "达成率"], right={0, 2, 3, 4}, stretch=1
        )
        for title, table in (
            ("本月营业额排行", self.revenue_table),
            ("本月划课收入排行", self.consumption_table),
        ):
            box = _section(title)
            QVBoxLayout(box).addWidget(table)
            table.setMinimumHeight(220)
            rankings.addWidget(box)
        column.addLayout(rankings)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        return scroll

    def _group_view(self) -> QWidget:
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("周期："))
        self.period_box = QComboBox()
        self.period_box.setObjectName("rollupPeriod")
        for kind, word in ROLLUP_PERIODS:
            self.period_box.addItem(word, kind)
        self.period_box.currentIndexChanged.connect(lambda _i: self.refresh())
        bar.addWidget(self.period_box)
        bar.addStretch(1)
        layout.addLayout(bar)
        box = _section("各校区目标达成")
        self.rollup_table = ReadOnlyTable(
            [
                "校区",
                "营业额",
                "营业额目标",
                "达成率",
                "状态",
                "划课收入",
                "划课收入目标",
                "达成率",
                "状态",
            ],
            right={1, 2, 3, 5, 6, 7},
            stretch=0,
        )
        self.rollup_table.setObjectName("rollupTable")
        QVBoxLayout(box).addWidget(self.rollup_table)
        layout.addWidget(box, 2)
        rankings = QHBoxLayout()
        self.group_revenue_table = ReadOnlyTable(
            ["排名", "课程顾问", "校区", "营业额", "目标", "达成率"], right={0, 3, 4, 5}, stretch=2
        )
        self.group_consumption_table = ReadOnlyTable(
            ["排名", "教师", "校区", "划课收入", "目标", "达成率"], right={0, 3, 4, 5}, stretch=2
        )
        for title, table in (
            ("本月营业额排行（全部校区）", self.group_revenue_table),
            ("本月划课收入排行（全部校区）", self.group_consumption_table),
        ):
            section = _section(title)
            QVBoxLayout(section).addWidget(table)
            rankings.addWidget(section)
        layout.addLayout(rankings, 3)
        return view

    # ------------------------------------------------------------------ 导出 Excel

    def export_views(self) -> list[tuple[str, QAbstractItemView]]:
        """The rankings of the campus, or the rollup and group rankings of 全部校区."""
        if self.views.currentIndex() == 1:
            return [
                ("各校区目标达成", self.rollup_table),
                ("营业额排行（全部校区）", self.group_revenue_table),
                ("划课收入排行（全部校区）", self.group_consumption_table),
            ]
        return [
            ("本月营业额排行", self.revenue_table),
            ("本月划课收入排行", self.consumption_table),
        ]

    def export_sheets(self) -> list[Sheet]:
        """The cards' figures (the same dashboard the cards show) before the tables; the funnel
        and the alerts after them."""
        from shared import exports  # the engine loads on use, not at start-up

        sheets = super().export_sheets()
        if self.views.currentIndex() == 0 and self.figures is not None:
            board = self.figures.dashboard
            alerts = exports.Sheet("提醒", ["提醒"], [[a.text] for a in build_alerts(self.figures)])
            sheets = [exports.attainment_sheet(board), *sheets, exports.funnel_sheet(board), alerts]
        return sheets

    # ------------------------------------------------------------------ refresh

    def refresh(self) -> None:
        """Read the figures of the selected campus (or of every campus) on a worker."""
        self._generation += 1
        generation = self._generation
        today = self.ctx.today()
        campus_id = self.ctx.campus_id
        snapshot = self.ctx.start_figures
        if not self.ctx.is_open and snapshot is not None and snapshot[0] == campus_id:
            # The everyday start: the file is still opening; its snapshot is exact (see
            # desktop.snapshot). The window refreshes this page once the file is open.
            figures = CampusFigures(*snapshot[1])
            self._show_campus(generation, figures, read_at=None, closed_at=snapshot[2])
            return
        self.updated.setText("正在更新…")
        seen = self.ctx.generation
        if campus_id is None:
            kind = self.period_box.currentData() or "month"
            self.ctx.ops.read(
                lambda s: load_group_figures(s, kind, today),
                lambda figures: self._show_group(generation, figures),
                label="读取数据",
            )
        else:
            self.ctx.ops.read(
                lambda s: (load_campus_figures(s, campus_id, today), file_version(s)),
                lambda read: self._show_campus(generation, read[0], read_at=(seen, read[1])),
                label="读取数据",
            )

    def _header_text(self, today: date, name: str) -> str:
        return f"{name}　{today.year}年{today.month}月{today.day}日 星期{WEEKDAYS[today.weekday()]}"

    def snapshot_figures(self) -> tuple[object, ...]:
        """The shown campus figures as a plain tuple (what the start snapshot stores)."""
        assert self.figures is not None
        return figures_tuple(self.figures)

    def _show_campus(
        self,
        generation: int,
        figures: CampusFigures,
        *,
        read_at: tuple[int, int] | None,
        closed_at: datetime | None = None,
    ) -> None:
        """Draw ``figures``; ``closed_at`` (figures the snapshot holds for a day after the
        close) replaces the time of the read by the time the data is from."""
        if generation != self._generation:
            return
        self.figures = figures
        self.figures_read_at = read_at
        board = figures.dashboard
        self.views.setCurrentIndex(0)
        self.header.setText(self._header_text(board.today, board.campus_name))
        if closed_at is None:
            self.updated.setText(f"更新于 {figures.loaded_at:%H:%M:%S}")
            self.updated.setToolTip("")
        else:
            self.updated.setText(as_of_text(closed_at, board.today))
            self.updated.setToolTip(AS_OF_TIP)
        for metric, sets in (
            (Metric.REVENUE, board.revenue),
            (Metric.CONSUMPTION, board.consumption),
        ):
            for kind, p in (("year", sets.year), ("month", sets.month), ("week", sets.week)):
                card = self.cards[(metric, kind)]
                card.title_label.setText(
                    f"{PERIOD_WORDS[kind]}{METRIC_NAMES[metric]} · {p.period.label}"
                )
                card.set_progress(p)
        self.revenue_table.set_rows(_rank_rows(board.revenue_ranking, False))
        self.consumption_table.set_rows(_rank_rows(board.consumption_ranking, False))
        weak = figures.weak.weak
        self.funnel_chart.set_funnel(board.funnel, weak.to_code if weak else None)
        self.weak_label.setText(self._weak_text(figures.weak))
        self.week_outlook_label.setText(outlook_text(board.week_outlook))
        self.outlook_label.setText(outlook_text(board.outlook))
        self.alerts_list.clear()
        alerts = build_alerts(figures)
        for alert in alerts:
            item = QListWidgetItem("● " + alert.text)
            item.setForeground(QColor(status_color(alert.level)))
            self.alerts_list.addItem(item)
        if not alerts:
            self.alerts_list.addItem("目前没有需要处理的提醒。")

    def _weak_text(self, report: WeakStageReport) -> str:
        weak = report.weak
        if weak is None:
            return "薄弱环节：与近 6 个月相比，各环节的转化率都没有下降。"
        return (
            f"薄弱环节：{weak.from_name} → {weak.to_name}，本月转化率 {percent(weak.current_rate)}"
            f"（{weak.current_to}/{weak.current_from}），近 {len(report.history)} 个月为 "
            f"{percent(weak.historical_rate)}，下降最多（图中红色）。"
        )

    def _show_group(self, generation: int, figures: GroupFigures) -> None:
        if generation != self._generation:
            return
        self.group = figures
        self.views.setCurrentIndex(1)
        today = self.ctx.today()
        self.header.setText(self._header_text(today, f"全部校区 · {figures.period.label}"))
        self.updated.setText(f"更新于 {figures.loaded_at:%H:%M:%S}")
        rows, colors = [], []
        for row in figures.rows:
            rows.append(
                [
                    row.campus_name,
                    *self._rollup_cells(row.revenue),
                    *self._rollup_cells(row.consumption),
                ]
            )
            worst = max(row.revenue.status, row.consumption.status, key=_severity)
            colors.append(status_color(worst) if _severity(worst) >= 2 else None)
        totals = [i for i, row in enumerate(figures.rows) if row.campus_id is None]
        self.rollup_table.set_rows(rows, colors=colors, bold=totals)
        self.group_revenue_table.set_rows(_rank_rows(figures.revenue_ranking, True))
        self.group_consumption_table.set_rows(_rank_rows(figures.consumption_ranking, True))

    @staticmethod
    def _rollup_cells(p: Progress) -> list[str]:
        target = yuan(p.target_fen) if p.has_target else "未设定"
        return [yuan(p.actual_fen), target, percent(p.attainment), status_name(p.status)]


def _severity(status: Status) -> int:
    return {Status.AT_RISK: 3, Status.BEHIND: 2}.get(status, 0)
