"""The monthly performance report (:class:`shared.monthly_report.MonthlyReport`) as an A4 PDF.

Qt's own PDF writer draws the pages with QPainter: the CJK font is embedded as a subset with
its Unicode map, so the text can be searched and copied (and ``pdftotext`` reads it back).
Figures are formatted with :mod:`desktop.widgets.format`, as on the screen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from shared.diagnosis import FunnelStep, StudentLessons, TrialCounts
from shared.enums import SIGN_TYPE_NAMES
from shared.errors import StorageUnavailable
from shared.monthly_report import (
    LIST_LIMIT,
    AllCampusesReport,
    CampusReport,
    MetricSection,
    MonthlyReport,
    YearToDate,
)
from shared.progress import Progress, RankRow, Status

from ..widgets.format import (
    STATUS_COLORS,
    day_text,
    hours_text,
    local_time_text,
    percent,
    status_name,
    yuan,
)
from .files import write_atomically
from .fonts import font
from .layout import (
    ACTUAL_COLOR,
    MUTED,
    RULE,
    SECOND_COLOR,
    TARGET_COLOR,
    Bars,
    Column,
    Flow,
)

DPI = 300
MARGIN_MM = 14
FOOTER_PT = 18


ProgressCallback = Callable[[int, str], None]


def _status_color(status: Status) -> QColor:
    return QColor(STATUS_COLORS[status])


def _wan(fen: float) -> str:
    """Fen as 万元 for chart labels: ``12.3万``."""
    return f"{fen / 1_000_000:.1f}万" if fen else "0"


def _days(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value):.1f} 天"


def _points(change: Fraction | None) -> str:
    """A change of rates in 百分点."""
    if change is None:
        return "—"
    return f"{float(change * 100):+.1f} 个百分点"


def short_names(names: list[str]) -> list[str]:
    """Campus names without what they all begin with (``达标艺术中心·滨江校区`` → ``滨江校区``),
    cut after a separator so that no name loses part of its own word."""
    if len(names) < 2:
        return names
    prefix = os.path.commonprefix(names)
    cut = max(prefix.rfind(sep) for sep in "·-－ ")
    return [name[cut + 1 :] or name for name in names] if cut >= 0 else names


# --------------------------------------------------------------------------- sections


def _title(flow: Flow, report: MonthlyReport) -> None:
    flow.text(report.title, 20, bold=True)
    flow.text(
        f"统计截至 {day_text(report.as_of)}　·　生成于 {local_time_text(report.generated_at)}"
        "　·　金额单位：元",
        9,
        color=MUTED,
    )
    flow.space(4)


_PROGRESS_COLUMNS = (
    Column("指标", 1.1),
    Column("周期", 0.9),
    Column("目标", 1.5, True),
    Column("实际", 1.5, True),
    Column("达成率", 0.9, True),
    Column("进度应达", 1.5, True),
    Column("预测", 1.5, True),
    Column("状态", 1.0),
)


def _progress_cells(name: str, label: str, p: Progress | YearToDate) -> list[str]:
    return [
        name,
        label,
        yuan(p.target_fen),
        yuan(p.actual_fen),
        percent(p.attainment),
        yuan(p.expected_so_far_fen),
        yuan(p.forecast_fen),
        status_name(p.status),
    ]


def _attainment_section(flow: Flow, campus: CampusReport) -> None:
    flow.heading("一、营业额与划课收入达成")
    boxes = []
    for section in (campus.revenue, campus.consumption):
        m = section.month
        boxes.append(
            (
                f"本月{section.name}",
                yuan(m.actual_fen),
                f"目标 {yuan(m.target_fen)}",
                None,
            )
        )
        boxes.append(
            (
                f"{section.name}达成率",
                percent(m.attainment),
                f"状态：{status_name(m.status)}",
                _status_color(m.status),
            )
        )
    flow.figures(boxes)
    rows, colors = [], {}
    for section in (campus.revenue, campus.consumption):
        for label, p in (("本月", section.month), ("年累计", section.year_to_date)):
            colors[(len(rows), 7)] = _status_color(p.status)
            rows.append(_progress_cells(section.name, label, p))
    flow.table(_PROGRESS_COLUMNS, rows, colors=colors)
    for section in (campus.revenue, campus.consumption):
        ytd = section.year_to_date
        flow.text(
            f"{section.name}：全年目标 {yuan(ytd.year_target_fen)}，年累计已完成 "
            f"{percent(ytd.year_share)}；本月差距（实际 − 进度应达）"
            f"{yuan(section.month.gap_to_pace_fen)}。",
            9,
        )
    flow.space(6)
    _month_charts(flow, campus.revenue, campus.consumption)


def _month_charts(flow: Flow, *sections: MetricSection) -> None:
    gap = flow.pt(12)
    width = (flow.width - gap) / 2
    for i, section in enumerate(sections):
        flow.bar_chart(
            f"{section.name}：各月目标与实际",
            [f"{p.period.month}月" for p in section.months],
            [
                Bars("目标", TARGET_COLOR, [p.target_fen for p in section.months]),
                Bars("实际", ACTUAL_COLOR, [p.actual_fen for p in section.months]),
            ],
            value_text=_wan,
            x=i * (width + gap),
            width=width,
            advance=i == len(sections) - 1,
        )


def _ranking_table(flow: Flow, title: str, rows: tuple[RankRow, ...], *, campus: bool) -> None:
    flow.subheading(title)
    columns = [Column("名次", 0.6), Column("姓名", 1.4)]
    if campus:
        columns.append(Column("校区", 2.2))
    columns += [Column("金额", 1.6, True), Column("个人目标", 1.6, True), Column("达成率", 1, True)]
    cells = []
    for r in rows:
        line = [str(r.rank), r.staff_name]
        if campus:
            line.append(r.campus_name)
        line += [
            yuan(r.amount_fen),
            yuan(r.target_fen) if r.target_fen is not None else "未设",
            percent(r.attainment),
        ]
        cells.append(line)
    flow.table(columns, cells, empty="本月没有可排名的员工")


def _ranking_section(flow: Flow, campus: CampusReport) -> None:
    flow.heading("二、员工排行")
    _ranking_table(flow, "课程顾问 · 营业额", campus.revenue_ranking, campus=False)
    _ranking_table(flow, "教师 · 划课收入", campus.consumption_ranking, campus=False)


def _step_name(step: FunnelStep) -> str:
    return f"{step.from_name}→{step.to_name}"


def _funnel_section(flow: Flow, campus: CampusReport) -> None:
    flow.heading("三、环节完成与薄弱环节")
    weak = campus.weak_stage.weak
    judged = [s for s in campus.weak_stage.steps if s.relative_change is not None]
    if weak is None and not judged:
        flow.text("薄弱环节：本月或近期的环节数据不足，无法判断。", 10, bold=True)
    elif weak is None:
        flow.text("薄弱环节：本月没有转化率低于近期水平的环节。", 10, bold=True)
    else:
        flow.text(
            f"薄弱环节：{_step_name(weak)}，本月转化率 {percent(weak.current_rate)}，"
            f"近 {len(campus.weak_stage.history)} 个月 {percent(weak.historical_rate)}，"
            f"相对下降 {percent(-(weak.relative_change or 0))}。",
            10,
            bold=True,
            color=QColor("#c62828"),
        )
    weak_codes = {weak.to_code} if weak is not None else set()
    rows, marked = [], []
    for i, r in enumerate(campus.funnel):
        done = Fraction(r.actual_count, r.target_count) if r.target_count else None
        if r.code in weak_codes:
            marked.append(i)
        rows.append(
            [
                r.name + ("（薄弱）" if r.code in weak_codes else ""),
                str(r.target_count) if r.target_count is not None else "未设",
                str(r.actual_count),
                percent(done),
            ]
        )
    flow.table(
        [
            Column("环节", 2),
            Column("目标", 1, True),
            Column("实际", 1, True),
            Column("完成率", 1, True),
        ],
        rows,
        marked=marked,
    )
    flow.hbar_chart(
        "各环节完成率（实际 ÷ 目标）",
        [
            (
                r.name,
                float(Fraction(r.actual_count, r.target_count) * 100) if r.target_count else 0.0,
                percent(Fraction(r.actual_count, r.target_count)) if r.target_count else "未设目标",
                r.code in weak_codes,
            )
            for r in campus.funnel
        ],
        maximum=max(
            [150.0]
            + [
                float(Fraction(r.actual_count, r.target_count) * 100)
                for r in campus.funnel
                if r.target_count
            ]
        ),
    )
    flow.space(4)
    flow.subheading("转化率与近期对比")
    steps = campus.weak_stage.steps
    flow.table(
        [
            Column("转化环节", 1.6),
            Column("本月", 1.4, True),
            Column("本月转化率", 1, True),
            Column("近期", 1.4, True),
            Column("近期转化率", 1, True),
            Column("变化", 1.4, True),
        ],
        [
            [
                _step_name(s) + ("（薄弱）" if s is weak else ""),
                f"{s.current_to}/{s.current_from}",
                percent(s.current_rate),
                f"{s.history_to}/{s.history_from}",
                percent(s.historical_rate),
                _points(s.change),
            ]
            for s in steps
        ],
        marked=[i for i, s in enumerate(steps) if s is weak],
    )


def _count_cells(label: str, c: TrialCounts, mean_days: Fraction | None) -> list[str]:
    return [
        label,
        str(c.trials),
        str(c.held),
        str(c.no_show),
        str(c.pending),
        str(c.signed),
        percent(c.conversion),
        _days(mean_days),
    ]


_TRIAL_COLUMNS = (
    Column("", 1.6),
    Column("试听", 0.8, True),
    Column("到课", 0.8, True),
    Column("未到", 0.8, True),
    Column("待定", 0.8, True),
    Column("签单", 0.8, True),
    Column("转化率", 1, True),
    Column("平均签单天数", 1.3, True),
)


def _trial_section(flow: Flow, campus: CampusReport) -> None:
    t = campus.trials
    flow.heading("四、试听分析")
    flow.text(
        f"按试听日期归入月份；签单统计到 {day_text(t.as_of)}。转化率 = 签单 ÷ 到课。",
        8.5,
        color=MUTED,
    )
    flow.table(
        _TRIAL_COLUMNS,
        [
            _count_cells(
                f"本月（{t.period.label}）", t.current.counts, t.current.days_to_order.mean
            ),
            _count_cells(
                f"上月（{t.previous.period.label}）",
                t.previous.counts,
                t.previous.days_to_order.mean,
            ),
        ],
    )
    flow.text(
        f"与上月相比：试听 {t.change.trials:+d}，签单 {t.change.signed:+d}，"
        f"转化率 {_points(t.change.conversion)}。",
        9,
    )
    flow.subheading("按课程顾问")
    flow.table(
        (Column("课程顾问", 1.6), *_TRIAL_COLUMNS[1:]),
        [_count_cells(r.staff_name, r.counts, r.days_to_order.mean) for r in t.by_consultant],
    )
    flow.subheading("按意向教师")
    flow.table(
        (Column("意向教师", 1.6), *_TRIAL_COLUMNS[1:]),
        [_count_cells(r.staff_name, r.counts, r.days_to_order.mean) for r in t.by_intent_teacher],
    )
    flow.subheading("签单类型")
    flow.table(
        [Column("签单类型", 2), Column("签单数", 1, True)],
        [
            [SIGN_TYPE_NAMES.get(r.sign_type, "未记录") if r.sign_type else "未记录", str(r.signed)]
            for r in t.by_sign_type
        ],
    )


def _student_list(flow: Flow, title: str, rows: tuple[StudentLessons, ...]) -> None:
    shown = rows[:LIST_LIMIT]
    more = (
        f"（共 {len(rows)} 人，列出前 {LIST_LIMIT} 人）"
        if len(rows) > LIST_LIMIT
        else f"（共 {len(rows)} 人）"
    )
    flow.subheading(title + more)
    flow.table(
        [
            Column("学员", 1.4),
            Column("课程顾问", 1.4),
            Column("本月课次", 1, True),
            Column("最近上课", 1.4, True),
            Column("剩余课时", 1, True),
        ],
        [
            [
                r.student_name,
                r.consultant_name,
                str(r.lessons),
                day_text(r.last_lesson_on),
                hours_text(r.remaining_hours),
            ]
            for r in shown
        ],
        empty="无",
    )


def _student_section(flow: Flow, campus: CampusReport) -> None:
    s = campus.students
    flow.heading("五、学员分析")
    flow.figures(
        [
            ("本月课消课时", hours_text(s.consumed_hours), "不含试听", None),
            ("本月划课收入", yuan(s.consumed_fen), "按上课日期", None),
            ("在读或本月上课学员", str(len(s.students)), "人", None),
            (
                "待续费（课时少）",
                str(len(s.few_hours)),
                f"剩余 ≤ {hours_text(s.few_hours_threshold)} 课时",
                None,
            ),
        ]
    )
    flow.subheading("按课程")
    flow.table(
        [Column("课程", 2.4), Column("课时", 1, True), Column("划课收入", 1.4, True)],
        [[c.course_name, hours_text(c.hours), yuan(c.amount_fen)] for c in s.by_course],
    )
    flow.subheading("按教师")
    flow.table(
        [Column("教师", 2.4), Column("课时", 1, True), Column("划课收入", 1.4, True)],
        [[c.teacher_name, hours_text(c.hours), yuan(c.amount_fen)] for c in s.by_teacher],
    )
    flow.subheading("按消耗类型")
    flow.table(
        [Column("消耗类型", 2.4), Column("课时", 1, True), Column("金额", 1.4, True)],
        [[k.kind_name, hours_text(k.hours), yuan(k.amount_fen)] for k in s.by_kind],
    )
    flow.bar_chart(
        "本月课次分布（学员人数）",
        [b.label for b in s.lesson_buckets],
        [Bars("学员", SECOND_COLOR, [b.students for b in s.lesson_buckets])],
        value_text=lambda v: str(int(v)),
        height=120,
    )
    _student_list(flow, "待续费学员", s.few_hours)
    _student_list(flow, f"流失风险（{s.idle_weeks} 周以上没上课）", s.idle)


def _campus_report(flow: Flow, campus: CampusReport) -> None:
    _attainment_section(flow, campus)
    _ranking_section(flow, campus)
    _funnel_section(flow, campus)
    _trial_section(flow, campus)
    _student_section(flow, campus)


def _all_campuses(flow: Flow, report: AllCampusesReport) -> None:
    flow.heading("一、各校区对比")
    campuses = [c for c in report.campuses if c.row.campus_id is not None]
    for metric_name, pick in (
        ("营业额", lambda c: c.row.revenue),
        ("划课收入", lambda c: c.row.consumption),
    ):
        flow.subheading(metric_name)
        rows, colors, marked = [], {}, []
        for i, c in enumerate(report.campuses):
            p: Progress = pick(c)
            if c.row.campus_id is None:
                marked.append(i)
            colors[(i, 6)] = _status_color(p.status)
            rows.append(
                [
                    c.row.campus_name,
                    yuan(p.target_fen),
                    yuan(p.actual_fen),
                    percent(p.attainment),
                    yuan(p.expected_so_far_fen),
                    yuan(p.forecast_fen),
                    status_name(p.status),
                ]
            )
        flow.table(
            [
                Column("校区", 2.2),
                Column("目标", 1.5, True),
                Column("实际", 1.5, True),
                Column("达成率", 0.9, True),
                Column("进度应达", 1.5, True),
                Column("预测", 1.5, True),
                Column("状态", 1.0),
            ],
            rows,
            marked=marked,
            colors=colors,
        )
    flow.bar_chart(
        "各校区本月达成率（%）",
        short_names([c.row.campus_name for c in campuses]),
        [
            Bars(
                "营业额",
                ACTUAL_COLOR,
                [float((c.row.revenue.attainment or 0) * 100) for c in campuses],
            ),
            Bars(
                "划课收入",
                SECOND_COLOR,
                [float((c.row.consumption.attainment or 0) * 100) for c in campuses],
            ),
        ],
        value_text=lambda v: f"{v:.0f}%",
        height=190,
        reference=100.0,
    )
    flow.subheading("试听与薄弱环节")
    flow.table(
        [
            Column("校区", 2.4),
            Column("试听到课", 1, True),
            Column("签单", 1, True),
            Column("转化率", 1, True),
            Column("薄弱环节", 2),
        ],
        [
            [
                c.row.campus_name,
                str(c.trials_held),
                str(c.trials_signed),
                percent(c.trial_conversion),
                (_step_name(c.weak_stage) if c.weak_stage else "无")
                if c.row.campus_id is not None
                else "",
            ]
            for c in report.campuses
        ],
        marked=[len(report.campuses) - 1],
    )
    flow.heading("二、全部校区年累计")
    flow.table(
        _PROGRESS_COLUMNS,
        [
            _progress_cells("营业额", "年累计", report.revenue_ytd),
            _progress_cells("划课收入", "年累计", report.consumption_ytd),
        ],
        colors={
            (0, 7): _status_color(report.revenue_ytd.status),
            (1, 7): _status_color(report.consumption_ytd.status),
        },
    )
    for name, ytd in (("营业额", report.revenue_ytd), ("划课收入", report.consumption_ytd)):
        flow.text(
            f"{name}：全年目标 {yuan(ytd.year_target_fen)}，"
            f"年累计已完成 {percent(ytd.year_share)}。",
            9,
        )
    flow.heading("三、跨校区员工排行")
    limit = LIST_LIMIT * 2
    for title, rows in (
        ("课程顾问 · 营业额", report.revenue_ranking),
        ("教师 · 划课收入", report.consumption_ranking),
    ):
        suffix = f"（前 {limit} 名，共 {len(rows)} 人）" if len(rows) > limit else ""
        _ranking_table(flow, title + suffix, rows[:limit], campus=True)


# --------------------------------------------------------------------------- output


def _footer(painter: QPainter, flow: Flow, top: float, title: str, page: int, pages: int) -> None:
    f = font(8)
    painter.setFont(f)
    painter.setPen(QPen(RULE, flow.pt(0.5)))
    painter.drawLine(0, int(top), int(flow.width), int(top))
    painter.setPen(MUTED)
    height = flow.pt(FOOTER_PT)
    painter.drawText(
        QRectF(0, top, flow.width, height),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        f"达标 · {title}",
    )
    painter.drawText(
        QRectF(0, top, flow.width, height),
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        f"第 {page} 页 / 共 {pages} 页",
    )


def report_pdf_bytes(report: MonthlyReport, progress: ProgressCallback | None = None) -> bytes:
    """The report as PDF bytes (A4, page numbers, charts, CJK font embedded)."""
    return _report_pdf_bytes(report, progress)


def _report_pdf_bytes(report: MonthlyReport, progress: ProgressCallback | None) -> bytes:
    say = progress or (lambda _percent, _text: None)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(DPI)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter
    )
    writer.setTitle(report.title)
    writer.setCreator("达标 Dabiao")
    width, height = float(writer.width()), float(writer.height())
    footer = FOOTER_PT * DPI / 72
    flow = Flow(writer, width, height - footer, DPI)
    say(90, "排版")
    _title(flow, report)
    if report.campus is not None:
        _campus_report(flow, report.campus)
    if report.all_campuses is not None:
        _all_campuses(flow, report.all_campuses)
    pages = flow.pages
    painter = QPainter()
    if not painter.begin(writer):  # pragma: no cover - a buffer always opens
        raise StorageUnavailable("无法生成 PDF")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        for number, steps in enumerate(pages, start=1):
            say(90 + 9 * number // len(pages), f"绘制第 {number} 页")
            if number > 1:
                writer.newPage()
            for step in steps:
                painter.save()
                step(painter)
                painter.restore()
            _footer(painter, flow, height - footer + flow.pt(4), report.title, number, len(pages))
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def write_report_pdf(
    report: MonthlyReport, path: Path, progress: ProgressCallback | None = None
) -> Path:
    """Render the report and write it to ``path`` (atomically)."""
    data = report_pdf_bytes(report, progress)
    path = write_atomically(path, data)
    if progress is not None:
        progress(100, "完成")
    return path
