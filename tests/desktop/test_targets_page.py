"""The 目标 page through its widgets: type, pick, override, save; then read the rows back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from desktop.main_window import MainWindow
from desktop.models.table_model import yuan
from desktop.pages.targets_page import METRICS, TargetsPage, describe_stage_changes
from shared.day_weights import DayWeightProfile
from shared.funnel import StageTargetChange, load_stage_targets
from shared.models import DEFAULT_STAGE_NAMES, Campus, Metric, TargetRole
from shared.periods import Period, weeks_of_month
from shared.targets import (
    SpreadMethod,
    last_year_actuals,
    load_staff_targets,
    load_year_plan,
    preview_year,
)

from .conftest import settle

YEAR = 2026  # the demo has targets for its own year only


def open_targets(main_window: MainWindow, qtbot) -> TargetsPage:
    page = main_window.show_page("targets")
    assert isinstance(page, TargetsPage)
    settle(page.ctx)
    return page


def choose_year(page: TargetsPage, qtbot, year: int) -> None:
    page.year_spin.setValue(year)
    settle(page.ctx)
    qtbot.waitUntil(lambda: page.year_data is not None and page.year_data.year == year)


def wait_preview(page: TargetsPage, qtbot, check) -> None:
    """Wait until the (debounced, off-thread) preview satisfies ``check``."""

    def ready() -> bool:
        return page.preview is not None and check(page.preview)

    qtbot.waitUntil(ready, timeout=10_000)
    settle(page.ctx)


def type_into_cell(page: TargetsPage, qtbot, row: int, column: int, text: str) -> None:
    """Double-click-style edit of a month cell: open the editor, type, press Enter."""
    view = page.year_panel.month_view
    index = view.model().index(row, column)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.viewport().findChild(QLineEdit)
    assert editor is not None, "the cell did not open an editor"
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def test_set_and_decompose_a_year_end_to_end(main_window: MainWindow, qtbot) -> None:
    page = open_targets(main_window, qtbot)
    choose_year(page, qtbot, YEAR)
    assert page.amount_edits[Metric.REVENUE].text() == ""  # nothing saved for that year yet

    qtbot.keyClicks(page.amount_edits[Metric.REVENUE], "1200000")
    qtbot.keyClicks(page.amount_edits[Metric.CONSUMPTION], "960000.50")
    page.method_combo.setCurrentIndex(page.method_combo.findData(SpreadMethod.SEASONALITY.value))
    wait_preview(
        page,
        qtbot,
        lambda p: (
            p.inputs.method is SpreadMethod.SEASONALITY
            and p.plans[Metric.CONSUMPTION] is not None
            and p.plans[Metric.CONSUMPTION].amount_fen == 96_000_050
        ),
    )

    # March's 营业额 by hand: the other months re-spread at once, March is marked as manual.
    month_model = page.year_panel.month_model
    revenue_column = month_model.column_of(Metric.REVENUE)
    type_into_cell(page, qtbot, 2, revenue_column, "150000")
    wait_preview(page, qtbot, lambda p: p.inputs.overrides[Metric.REVENUE] == {3: 15_000_000})
    plan = page.preview.plans[Metric.REVENUE]
    assert month_model.cell(2, revenue_column).manual
    assert not month_model.cell(3, revenue_column).manual
    assert month_model.text(2, revenue_column) == "✎ 150,000.00"
    assert sum(m.amount_fen for m in plan.months) == 120_000_000

    # What the screen shows is exactly the engine's preview for these inputs.
    with page.ctx.db.reader() as session:
        campus = session.get(Campus, page.ctx.campus_id)
        profile = DayWeightProfile.from_settings(campus.settings)
        history = last_year_actuals(session, campus.id, YEAR, Metric.REVENUE)
    expected = preview_year(
        YEAR, 120_000_000, SpreadMethod.SEASONALITY, profile, {3: 15_000_000}, history
    )
    shown = [month_model.text(r, revenue_column).removeprefix("✎ ") for r in range(12)]
    assert shown == [yuan(m.amount_fen) for m in expected.months]
    footer = page.year_panel.footers[Metric.REVENUE].text()
    assert "合计 1,200,000.00 元 = 年目标 1,200,000.00 元 ✓" in footer
    assert "每月各周之和 = 月目标 ✓" in footer
    consumption_footer = page.year_panel.footers[Metric.CONSUMPTION].text()
    assert "合计 960,000.50 元 = 年目标 960,000.50 元 ✓" in consumption_footer

    # The chosen month's weeks add up to it on screen.
    page.choose_month(3)
    week_model = page.year_panel.week_model
    weeks = weeks_of_month(YEAR, 3)
    assert week_model.rowCount() == len(weeks)
    assert [week_model.text(r, 0) for r in range(len(weeks))] == [w.label for w in weeks]
    assert "营业额各周合计 150,000.00 = 月目标 150,000.00 ✓" in page.year_panel.week_footer.text()
    column = week_model.column_of(Metric.REVENUE)
    week_texts = [week_model.text(r, column) for r in range(len(weeks))]

    assert page.save_button.isEnabled()
    assert page.report_box.isHidden()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    assert page.report_box.isVisible()
    assert page.report_summary.text().startswith("已保存。营业额目标：新增")
    assert page.report_model.rowCount() > 12 + 12
    qtbot.waitUntil(lambda: "已保存，与屏幕上一致" in page.save_state.text())

    with page.ctx.db.reader() as session:
        saved = {m: load_year_plan(session, page.ctx.campus_id, YEAR, m) for m in METRICS}
    for metric in METRICS:
        column = month_model.column_of(metric)
        plan = saved[metric]
        assert plan is not None and plan.method is SpreadMethod.SEASONALITY
        assert [month_model.text(r, column) for r in range(12)] == [
            ("✎ " if m.is_manual else "") + yuan(m.amount_fen) for m in plan.months
        ]
        assert [month_model.cell(r, column).manual for r in range(12)] == [
            m.is_manual for m in plan.months
        ]
    assert [yuan(w.amount_fen) for w in saved[Metric.REVENUE].month(3).weeks] == week_texts
    assert saved[Metric.REVENUE].month(3).is_manual
    assert saved[Metric.CONSUMPTION].amount_fen == 96_000_050


def test_bad_amount_names_the_field_and_blocks_saving(main_window: MainWindow, qtbot) -> None:
    page = open_targets(main_window, qtbot)
    choose_year(page, qtbot, YEAR)
    qtbot.keyClicks(page.amount_edits[Metric.REVENUE], "12w")
    qtbot.waitUntil(lambda: page.input_error.text() != "")
    assert page.input_error.text().startswith("营业额年目标：不是有效的金额")
    assert not page.save_button.isEnabled()

    page.amount_edits[Metric.REVENUE].clear()
    qtbot.keyClicks(page.amount_edits[Metric.REVENUE], "1000.005")
    qtbot.waitUntil(lambda: "精确到分" in page.input_error.text())
    assert page.input_error.text().startswith("营业额年目标：")
    assert not page.save_button.isEnabled()


def test_month_set_above_the_year_is_refused_and_undone(main_window: MainWindow, qtbot) -> None:
    page = open_targets(main_window, qtbot)
    choose_year(page, qtbot, YEAR)
    qtbot.keyClicks(page.amount_edits[Metric.REVENUE], "100000")
    wait_preview(page, qtbot, lambda p: p.plans[Metric.REVENUE] is not None)
    column = page.year_panel.month_model.column_of(Metric.REVENUE)
    before = page.year_panel.month_model.text(0, column)

    type_into_cell(page, qtbot, 0, column, "200000")
    qtbot.waitUntil(lambda: "超过了" in page.input_error.text())
    settle(page.ctx)
    assert page.input_error.text().startswith("营业额的手工月目标：")
    assert page.year_panel.month_model.text(0, column) == before
    assert not page.year_panel.month_model.cell(0, column).manual
    assert page.preview.inputs.overrides[Metric.REVENUE] == {}
    assert page.save_button.isEnabled()  # the plan on screen still stands


def test_consultant_weights_split_the_month_and_add_up(main_window: MainWindow, qtbot) -> None:
    page = open_targets(main_window, qtbot)  # the demo year, saved targets already there
    page.tabs.setCurrentWidget(page.staff_panel)
    qtbot.waitUntil(lambda: page.month_data is not None)
    panel = page.staff_panel
    spins = panel.spins[TargetRole.CONSULTANT]
    assert spins
    for i, spin in enumerate(spins.values()):
        spin.setValue(i + 1)
    button = panel.save_buttons[TargetRole.CONSULTANT]
    assert button.isEnabled()
    table = panel.tables[TargetRole.CONSULTANT]
    previewed = {
        table.item(r, 0).data(Qt.ItemDataRole.UserRole): table.item(r, 2).text()
        for r in range(table.rowCount())
    }
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    qtbot.waitUntil(lambda: "已保存合计" in panel.checks[TargetRole.CONSULTANT].text())

    today = page.ctx.today()
    with page.ctx.db.reader() as session:
        plans = load_staff_targets(
            session, page.ctx.campus_id, today.year, today.month, TargetRole.CONSULTANT
        )
        campus = load_year_plan(session, page.ctx.campus_id, today.year, Metric.REVENUE)
    month_target = campus.month(today.month).amount_fen
    assert sum(p.amount_fen for p in plans) == month_target
    assert {p.staff_id: yuan(p.amount_fen) for p in plans} == previewed
    check = panel.checks[TargetRole.CONSULTANT].text()
    assert f"已保存合计 {yuan(month_target)} 元 = 校区{today.month}月营业额目标" in check
    assert check.count("✓") == 2
    assert "课程顾问任务额：" in page.report_summary.text()


def test_unpublished_holidays_and_missing_history_are_warned(
    main_window: MainWindow, qtbot
) -> None:
    page = open_targets(main_window, qtbot)
    choose_year(page, qtbot, 2030)  # no holiday calendar yet, and nothing recorded in 2029
    qtbot.keyClicks(page.amount_edits[Metric.REVENUE], "500000")
    page.method_combo.setCurrentIndex(page.method_combo.findData(SpreadMethod.SEASONALITY.value))
    wait_preview(page, qtbot, lambda p: p.inputs.method is SpreadMethod.SEASONALITY)
    plan = page.preview.plans[Metric.REVENUE]
    assert plan.method_used is SpreadMethod.DAY_WEIGHTS and plan.fallback_reason
    warnings = page.year_panel.warnings.text()
    assert "2030年的法定节假日安排尚未发布" in warnings
    assert f"营业额：{plan.fallback_reason}" in warnings


def test_funnel_saves_weekly_stage_targets_shared_by_consultants(
    main_window: MainWindow, qtbot
) -> None:
    page = open_targets(main_window, qtbot)  # the demo year: campus and consultant targets saved
    page.tabs.setCurrentWidget(page.funnel_panel)
    panel = page.funnel_panel
    qtbot.waitUntil(lambda: panel.week_model.rowCount() > 0)
    rate = panel.rate_edits["trial_to_sign"]
    rate.clear()
    qtbot.keyClicks(rate, "abc")
    assert panel.error.text().startswith("试听→签单转化率：不是有效的百分比")
    assert not panel.save_button.isEnabled()
    rate.clear()
    qtbot.keyClicks(rate, "25")
    assert panel.error.text() == ""
    shown = {
        panel.week_model.text(r, 0): [panel.week_model.text(r, c) for c in range(2, 6)]
        for r in range(panel.week_model.rowCount() - 1)  # the last row is the month's total
    }

    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    qtbot.waitUntil(lambda: "各顾问之和 = 校区目标 ✓" in panel.consultant_check.text())
    assert "周环节目标：" in page.report_summary.text()

    today = page.ctx.today()
    with page.ctx.db.reader() as session:
        saved = load_stage_targets(session, page.ctx.campus_id, today.year, today.month)
    for week in weeks_of_month(today.year, today.month):
        assert shown[week.label] == [
            str(saved[(code, week.index)]) for code in ("invitation", "visit", "trial", "sign")
        ]


def test_teachers_split_by_scheduled_lessons_adds_up(main_window: MainWindow, qtbot) -> None:
    page = open_targets(main_window, qtbot)
    page.tabs.setCurrentWidget(page.staff_panel)
    panel = page.staff_panel
    qtbot.waitUntil(lambda: page.month_data is not None)
    qtbot.mouseClick(panel.teacher_button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    today = page.ctx.today()
    with page.ctx.db.reader() as session:
        plans = load_staff_targets(
            session, page.ctx.campus_id, today.year, today.month, TargetRole.TEACHER
        )
        campus = load_year_plan(session, page.ctx.campus_id, today.year, Metric.CONSUMPTION)
    assert sum(p.amount_fen for p in plans) == campus.month(today.month).amount_fen
    saved_column = panel.teacher_model.column_texts(2)
    assert sorted(saved_column) == sorted(yuan(p.amount_fen) for p in plans)
    assert panel.checks[TargetRole.TEACHER].text().count("✓") == 2
    assert "教师划课目标：" in page.report_summary.text()


def test_a_revenue_change_reports_the_stage_targets_that_followed(
    main_window: MainWindow, qtbot
) -> None:
    page = open_targets(main_window, qtbot)  # the demo year and month: June 2025
    today = page.ctx.today()
    campus_id = page.ctx.campus_id
    # ② Plan this month's 周环节目标 from the funnel: from now on they follow its revenue.
    page.tabs.setCurrentWidget(page.funnel_panel)
    panel = page.funnel_panel
    qtbot.waitUntil(lambda: panel.week_model.rowCount() > 0)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    qtbot.waitUntil(lambda: "周环节目标：" in page.report_summary.text())
    with page.ctx.db.reader() as session:
        before = load_stage_targets(session, campus_id, today.year, today.month)

    # ① This month's 营业额 raised by hand to 500,000 元, saved with the year plan.
    page.tabs.setCurrentWidget(page.year_panel)
    column = page.year_panel.month_model.column_of(Metric.REVENUE)
    type_into_cell(page, qtbot, today.month - 1, column, "500000")
    wait_preview(
        page, qtbot, lambda p: p.inputs.overrides[Metric.REVENUE] == {today.month: 50_000_000}
    )
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(page.ctx)
    qtbot.waitUntil(lambda: page.report_summary.text().startswith("已保存。营业额目标："))

    with page.ctx.db.reader() as session:
        after = load_stage_targets(session, campus_id, today.year, today.month)
    order = list(DEFAULT_STAGE_NAMES)
    moved = sorted(
        (key for key in after.keys() | before.keys() if after.get(key) != before.get(key)),
        key=lambda key: (key[1], order.index(key[0])),
    )
    assert len(moved) > 6  # every week needs more of every stage
    named = "，".join(
        f"第{week}周 {DEFAULT_STAGE_NAMES[code]} {before[(code, week)]}→{after[(code, week)]}"
        for code, week in moved[:6]
    )
    summary = page.report_summary.text()
    assert f"周环节目标随之调整：{named} 等共 {len(moved)} 项，另有课程顾问的 " in summary
    # Every change is in the table too: the campus's and the consultants' counts.
    table = page.report_model
    stage_rows = [
        [table.text(r, c) for c in range(5)]
        for r in range(table.rowCount())
        if table.text(r, 0).endswith("（次）")
    ]
    code, week = moved[0]
    label = Period.of_week(today.year, today.month, week).label
    assert [
        f"{DEFAULT_STAGE_NAMES[code]}（次）",
        label,
        "校区",
        str(before[(code, week)]),
        str(after[(code, week)]),
    ] in stage_rows
    assert len(stage_rows) > len(moved)


def test_the_stage_summary_names_months_removals_and_only_the_first_few() -> None:
    def change(month: int, week: int, code: str, old, new, staff=None) -> StageTargetChange:
        return StageTargetChange(
            "", code, Period.of_week(2026, month, week), staff, old, new, False
        )

    # Several months: each week names its month; a count that went away reads 无; the
    # consultants' counts are only counted.
    text = describe_stage_changes(
        [
            change(7, 1, "sign", 2, 3),
            change(6, 2, "visit", 8, None),
            change(6, 2, "invitation", None, 12),
            change(6, 2, "invitation", 4, 6, staff="someone"),
        ]
    )
    assert text == (
        "周环节目标随之调整：6月第2周 邀约 无→12，6月第2周 到访 8→无，7月第1周 签单 2→3，"
        "另有课程顾问的 1 项"
    )
    # One month: the week alone; beyond six the rest is counted.
    many = [
        change(6, w, code, 1, 2)
        for w in (1, 2)
        for code in ("invitation", "visit", "sign", "trial")
    ]
    assert describe_stage_changes(many) == (
        "周环节目标随之调整：第1周 邀约 1→2，第1周 到访 1→2，第1周 试听 1→2，第1周 签单 1→2，"
        "第2周 邀约 1→2，第2周 到访 1→2 等共 8 项"
    )
    only_people = describe_stage_changes([change(6, 1, "sign", 1, 2, staff="a")])
    assert only_people == "周环节目标随之调整：课程顾问的 1 项"
