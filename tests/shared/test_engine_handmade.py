"""Every figure of the dashboard set, the task views, the week outlook and the rollup, checked
on one small hand-made campus whose right answers are written here as literals.

The campus (测试校区T1) edits its day weights to 1 for every day type except public holidays
(0) and keeps no school vacation, so the pace is a count of working and weekend days that a
person can check with a calendar. 2026 has 33 statutory holiday days (元旦 1–3 Jan, 春节 15–23
Feb, 清明 4–6 Apr, 劳动节 1–5 May, 端午 19–21 Jun, 中秋 25–27 Sep, 国庆 1–7 Oct), so:

    year   365 days, weight 365 − 33 = 332; by TODAY (Wed 11 March) 70 days, weight 70 − 12 = 58
    March  31 days, no holiday: weight 31, elapsed 11
    week 3 09–15 March: weight 7, elapsed 3 (Mon, Tue, Wed)

What happened (营业额 by sign date, 划课收入 by lesson date at the package's unit price):

    10 Jan  李小红 新签 100 h for 2,000,000 (李顾问)                    → 200.00 元 an hour
    20 Jan  李小红 attends 赵老师 (1 h)                                 划课 20,000
    02 Mar  张小明 新签 10 h for 150,000 (李顾问, intent 赵老师)         → 150.00 元 an hour
    03 Mar  王小刚's trial held (李顾问 / 赵老师)
    04 Mar  张小明 attends 赵老师                                       划课 15,000
    05 Mar  张小明 扩科 1 h for 90,000 (周顾问)
    06 Mar  李顾问 calls 张妈妈, follow-up due 10 Mar
    09 Mar  张小明 attends 赵老师                                       划课 15,000
    10 Mar  张小明 续费 1 h for 90,000 (陈顾问); 2 h of the 2 Mar package refunded, −30,000
    10 Mar  李小红 attends 孙老师                                       划课 20,000
    12 Mar  scheduled: 张小明 with 赵老师; 13 Mar 李小红 with 孙老师; 19 Mar 张小明 with 赵老师

A second campus (T2, the default day weights: March weighs 89, 31 of it by TODAY) sits beside
it in the rollup and the all-campus ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from shared.db import Database
from shared.figures import (
    CampusRow,
    ConsumptionOutlook,
    Dashboard,
    FollowUp,
    FunnelRow,
    OutOfHours,
    Progress,
    ProgressSet,
    RankRow,
    StageTask,
    Status,
)
from shared.funnel import set_stage_target
from shared.models import Metric
from shared.periods import Period
from shared.progress import (
    consumption_outlook,
    dashboard,
    progress,
    ranking,
    rollup,
    task_view,
)
from shared.services.orders import refund_order
from shared.services.settings import save_day_weights
from shared.targets import set_month_target, set_part_manually, set_year_target
from tests.shared.factories import Campus1, make_campus
from tests.shared.test_actuals import (
    activity,
    attend,
    contact,
    lesson,
    new_parent,
    new_staff,
    new_student,
    sign,
    stage_id,
    target,
    trial,
)

TODAY = date(2026, 3, 11)
YEAR = Period.of_year(2026)
MARCH = Period.of_month(2026, 3)
WEEK3 = Period.of_week(2026, 3, 3)  # 09–15 March
R, C = Metric.REVENUE, Metric.CONSUMPTION


@dataclass
class Hand:
    """Ids of the hand-made campuses."""

    campus: str
    li: str  # 李顾问
    zhou: str  # 周顾问
    chen: str  # 陈顾问
    zhao: str  # 赵老师
    sun: str  # 孙老师
    ming: str  # 张小明
    mum: str  # 张妈妈
    contact_id: str
    two: str  # campus T2
    two_li: str  # T2's 李顾问
    two_zhao: str  # T2's 赵老师
    c: Campus1  # the factory's ids of T1 (course 钢琴 at 150.00 元 an hour)


@pytest.fixture
def hand(db: Database) -> Hand:
    with db.unit_of_work() as s:
        c = make_campus(s)
        cid, li, zhao, ming = c.campus_id, c.consultant_id, c.teacher_id, c.student_id
        save_day_weights(
            s, cid, {"school_day": 1, "weekend": 1, "holiday": 0, "vacation": 1}, vacations=[]
        )
        zhou = new_staff(s, cid, "周顾问", "consultant")
        chen = new_staff(s, cid, "陈顾问", "consultant")
        sun = new_staff(s, cid, "孙老师", "teacher")
        hong = new_student(s, cid, "李小红")
        gang = new_student(s, cid, "王小刚")
        mum = new_parent(s, cid, "张妈妈")

        sign(s, c, hong, "new", date(2026, 1, 10), 100, 2_000_000, li)
        attend(s, lesson(s, c, zhao, date(2026, 1, 20), hong), hong)
        first = sign(s, c, ming, "new", date(2026, 3, 2), 10, 150_000, li, zhao)
        trial(s, c, gang, date(2026, 3, 3), li, zhao)
        attend(s, lesson(s, c, zhao, date(2026, 3, 4), ming), ming)
        sign(s, c, ming, "cross_sell", date(2026, 3, 5), 1, 90_000, zhou)
        attend(s, lesson(s, c, zhao, date(2026, 3, 9), ming), ming)
        sign(s, c, ming, "renewal", date(2026, 3, 10), 1, 90_000, chen)
        refund_order(s, order_id=first, signed_on=date(2026, 3, 10), hours=2, refund_fen=30_000)
        attend(s, lesson(s, c, sun, date(2026, 3, 10), hong), hong)
        lesson(s, c, zhao, date(2026, 3, 12), ming)
        lesson(s, c, sun, date(2026, 3, 13), hong)
        lesson(s, c, zhao, date(2026, 3, 19), ming)

        # Logged work: an invitation and a visit of 王小刚, and a 签单 typed in beside the
        # order it describes (the order already counts it: not counted twice).
        activity(s, cid, "invitation", li, date(2026, 3, 2), student_id=gang)
        activity(s, cid, "visit", li, date(2026, 3, 3), student_id=gang)
        activity(s, cid, "sign", li, date(2026, 3, 2), student_id=ming)
        call = contact(
            s, cid, li, mum, date(2026, 3, 6), due=date(2026, 3, 10), student_id=ming,
            content="约下次课",
        )  # fmt: skip

        # Targets through the services: year, March by hand, week 3 by hand.
        set_year_target(s, cid, 2026, R, 33_200_000)
        set_month_target(s, cid, 2026, 3, R, 900_000)
        set_part_manually(s, cid, WEEK3, R, 140_000)
        set_year_target(s, cid, 2026, C, 3_320_000)
        set_month_target(s, cid, 2026, 3, C, 120_000)
        set_part_manually(s, cid, WEEK3, C, 75_000)
        target(s, cid, "revenue", MARCH, 100_000, staff_id=li, role="consultant")
        target(s, cid, "consumption", MARCH, 40_000, staff_id=zhao, role="teacher")
        target(s, cid, "revenue", WEEK3, 30_000, staff_id=li, role="consultant")
        sign_stage, invitation = stage_id(s, cid, "sign"), stage_id(s, cid, "invitation")
        set_stage_target(s, cid, sign_stage, 2026, 3, 2, 3)
        set_stage_target(s, cid, sign_stage, 2026, 3, 3, 2)
        set_stage_target(s, cid, invitation, 2026, 3, 3, 4)
        set_stage_target(s, cid, invitation, 2026, 3, 3, 2, staff_id=li)

        two = make_campus(s, "T2")
        sign(s, two, two.student_id, "new", date(2026, 3, 3), 10, 50_000, two.consultant_id)
        attend(s, lesson(s, two, two.teacher_id, date(2026, 3, 4), two.student_id), two.student_id)
        target(s, two.campus_id, "revenue", MARCH, 100_000)
        target(s, two.campus_id, "consumption", MARCH, 10_000)
    return Hand(
        cid, li, zhou, chen, zhao, sun, ming, mum, call, two.campus_id, two.consultant_id,
        two.teacher_id, c,
    )  # fmt: skip


def campus_progress(
    hand: Hand, metric: Metric, period: Period, *, days: tuple[int, int], **figures: object
) -> Progress:
    """A campus Progress as of TODAY with the figures written out by the test."""
    return Progress(
        metric=metric,
        period=period,
        today=TODAY,
        campus_id=hand.campus,
        staff_id=None,
        role=None,
        days_elapsed=days[0],
        days_total=days[1],
        **figures,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- the dashboard


def test_every_dashboard_figure_of_the_hand_made_campus(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        board = dashboard(s, hand.campus, TODAY)
    revenue = ProgressSet(
        # 2,000,000 + 150,000 + 90,000 + 90,000 − 30,000 = 2,300,000 against 33,200,000:
        # pace 33,200,000 × 58/332 = 5,800,000; forecast 2,300,000 × 332/58 = 13,165,517.24;
        # 13,165,517 < 80 % of the target → at risk
        year=campus_progress(
            hand,
            R,
            YEAR,
            days=(70, 365),
            target_fen=33_200_000,
            has_target=True,
            actual_fen=2_300_000,
            attainment=Fraction(23, 332),
            expected_so_far_fen=5_800_000,
            gap_to_pace_fen=-3_500_000,
            forecast_fen=13_165_517,
            status=Status.AT_RISK,
        ),  # fmt: skip
        # March 150,000 + 90,000 + 90,000 − 30,000 = 300,000 against 900,000: pace
        # 900,000 × 11/31 = 319,354.84; forecast 300,000 × 31/11 = 845,454.55 (≥ 720,000);
        # 300,000 < 95 % × 319,355 = 303,387.25 → behind
        month=campus_progress(
            hand,
            R,
            MARCH,
            days=(11, 31),
            target_fen=900_000,
            has_target=True,
            actual_fen=300_000,
            attainment=Fraction(1, 3),
            expected_so_far_fen=319_355,
            gap_to_pace_fen=-19_355,
            forecast_fen=845_455,
            status=Status.BEHIND,
        ),  # fmt: skip
        # week 3: 90,000 − 30,000 = 60,000 against 140,000; pace 140,000 × 3/7 = 60,000
        # exactly; forecast 60,000 × 7/3 = 140,000 → on pace
        week=campus_progress(
            hand,
            R,
            WEEK3,
            days=(3, 7),
            target_fen=140_000,
            has_target=True,
            actual_fen=60_000,
            attainment=Fraction(3, 7),
            expected_so_far_fen=60_000,
            gap_to_pace_fen=0,
            forecast_fen=140_000,
            status=Status.ON_PACE,
        ),  # fmt: skip
    )
    consumption = ProgressSet(
        # 20,000 (Jan) + 15,000 + 15,000 + 20,000 = 70,000 against 3,320,000: pace 580,000;
        # forecast 70,000 × 332/58 = 400,689.66 → at risk
        year=campus_progress(
            hand,
            C,
            YEAR,
            days=(70, 365),
            target_fen=3_320_000,
            has_target=True,
            actual_fen=70_000,
            attainment=Fraction(7, 332),
            expected_so_far_fen=580_000,
            gap_to_pace_fen=-510_000,
            forecast_fen=400_690,
            status=Status.AT_RISK,
        ),  # fmt: skip
        # March 50,000 against 120,000: pace 120,000 × 11/31 = 42,580.65; forecast
        # 50,000 × 31/11 = 140,909.09; 50,000 ≥ 105 % × 42,581 = 44,710.05 → ahead
        month=campus_progress(
            hand,
            C,
            MARCH,
            days=(11, 31),
            target_fen=120_000,
            has_target=True,
            actual_fen=50_000,
            attainment=Fraction(5, 12),
            expected_so_far_fen=42_581,
            gap_to_pace_fen=7_419,
            forecast_fen=140_909,
            status=Status.AHEAD,
        ),  # fmt: skip
        # week 3: 15,000 + 20,000 = 35,000 against 75,000: pace 75,000 × 3/7 = 32,142.86;
        # forecast 35,000 × 7/3 = 81,666.67; 35,000 ≥ 105 % × 32,143 = 33,750.15 → ahead
        week=campus_progress(
            hand,
            C,
            WEEK3,
            days=(3, 7),
            target_fen=75_000,
            has_target=True,
            actual_fen=35_000,
            attainment=Fraction(7, 15),
            expected_so_far_fen=32_143,
            gap_to_pace_fen=2_857,
            forecast_fen=81_667,
            status=Status.AHEAD,
        ),  # fmt: skip
    )
    t1 = "测试校区T1"
    expected = Dashboard(
        campus_id=hand.campus,
        campus_name=t1,
        today=TODAY,
        revenue=revenue,
        consumption=consumption,
        # March consultant credit: 李 150,000 − 30,000 (the refund keeps his name) = 120,000,
        # target 100,000 → 6/5; 周 and 陈 tie at 90,000 and share rank 2, 周 (U+5468) first
        revenue_ranking=[
            RankRow(1, hand.li, "李顾问", hand.campus, t1, 120_000, 100_000, Fraction(6, 5)),
            RankRow(2, hand.zhou, "周顾问", hand.campus, t1, 90_000, None, None),
            RankRow(2, hand.chen, "陈顾问", hand.campus, t1, 90_000, None, None),
        ],
        # March 划课: 赵 15,000 + 15,000 = 30,000 (target 40,000 → 3/4); 孙 20,000
        consumption_ranking=[
            RankRow(1, hand.zhao, "赵老师", hand.campus, t1, 30_000, 40_000, Fraction(3, 4)),
            RankRow(2, hand.sun, "孙老师", hand.campus, t1, 20_000, None, None),
        ],
        # invitation 1 (logged) of 4; visit 1 (logged); trial 1 (the held trial); sign 2 (the
        # 2 and 5 March orders; the typed-in 签单 matches the first) of 3 + 2; renewal 1 (the
        # 10 March order; a refund is no 签单); parent contact 1 (the call)
        funnel=[
            FunnelRow("invitation", "邀约", 1, 4),
            FunnelRow("visit", "到访", 1, None),
            FunnelRow("trial", "试听", 1, None),
            FunnelRow("sign", "签单", 2, 5),
            FunnelRow("renewal", "续费", 1, None),
            FunnelRow("referral", "转介绍", 0, None),
            FunnelRow("parent_contact", "家长沟通", 1, None),
        ],
        # Still to come in March: 12th 张小明 (6 h left at 150.00) 15,000; 13th 李小红 (98 h
        # left at 200.00) 20,000; 19th 张小明 15,000 → 50,000 in 3 lessons; 50,000 done;
        # 100,000 expected against 120,000: 20,000 short
        outlook=ConsumptionOutlook(
            campus_id=hand.campus,
            teacher_id=None,
            period=MARCH,
            today=TODAY,
            actual_fen=50_000,
            scheduled_fen=50_000,
            scheduled_lessons=3,
            expected_total_fen=100_000,
            target_fen=120_000,
            has_target=True,
            out_of_hours=[],
        ),
        # This week (09–15 March): as test_consumption_outlook_of_this_week works it out
        week_outlook=ConsumptionOutlook(
            campus_id=hand.campus,
            teacher_id=None,
            period=WEEK3,
            today=TODAY,
            actual_fen=35_000,
            scheduled_fen=35_000,
            scheduled_lessons=2,
            expected_total_fen=70_000,
            target_fen=75_000,
            has_target=True,
            out_of_hours=[],
        ),
    )
    assert board == expected
    assert (board.outlook.shortfall_fen, board.outlook.will_miss) == (20_000, True)
    assert board.revenue.month.remaining_fen == 600_000  # 900,000 − 300,000
    assert board.revenue.year.attainment_percent is not None
    assert str(board.revenue.year.attainment_percent) == "6.9"  # 23/332 = 6.93 %


def test_the_single_calls_give_the_same_literals(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        year = progress(s, hand.campus, YEAR, "revenue", today=TODAY)
        week = progress(s, hand.campus, WEEK3, "consumption", today=TODAY)
    assert (year.expected_so_far_fen, year.forecast_fen, year.status) == (
        5_800_000,
        13_165_517,
        Status.AT_RISK,
    )
    assert (week.actual_fen, week.expected_so_far_fen, week.forecast_fen) == (
        35_000,
        32_143,
        81_667,
    )


# --------------------------------------------------------------------------- the week outlook


def test_consumption_outlook_of_this_week(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        week = consumption_outlook(s, hand.campus, WEEK3, today=TODAY)
        of_sun = consumption_outlook(s, hand.campus, WEEK3, today=TODAY, teacher_id=hand.sun)
    # Week 3 (09–15 March): 35,000 done; still to come the 12th (15,000) and the 13th
    # (20,000); the 19th is next week. 70,000 expected against 75,000: 5,000 short.
    assert week == ConsumptionOutlook(
        campus_id=hand.campus,
        teacher_id=None,
        period=WEEK3,
        today=TODAY,
        actual_fen=35_000,
        scheduled_fen=35_000,
        scheduled_lessons=2,
        expected_total_fen=70_000,
        target_fen=75_000,
        has_target=True,
        out_of_hours=[],
    )
    assert (week.shortfall_fen, week.will_miss) == (5_000, True)
    # 孙老师: 20,000 done (the 10th), 20,000 to come (the 13th); no week target of his own
    assert (of_sun.actual_fen, of_sun.scheduled_fen, of_sun.scheduled_lessons) == (
        20_000,
        20_000,
        1,
    )
    assert (of_sun.expected_total_fen, of_sun.has_target, of_sun.will_miss) == (
        40_000,
        False,
        False,
    )


def test_next_weeks_outlook_lets_this_weeks_lessons_draw_first(db: Database, hand: Hand) -> None:
    with db.unit_of_work() as s:
        # 刘小雨 buys one hour today; 孙老师 has her on the 13th (week 3) and the 20th (week 4)
        rain = new_student(s, hand.campus, "刘小雨")
        sign(s, hand.c, rain, "new", TODAY, 1, 12_000)
        lesson(s, hand.c, hand.sun, date(2026, 3, 13), rain)
        lesson(s, hand.c, hand.sun, date(2026, 3, 20), rain)
    week4 = Period.of_week(2026, 3, 4)  # 16–22 March, not started
    with db.reader() as s:
        outlook = consumption_outlook(s, hand.campus, week4, today=TODAY)
    # Week 4's consumption target is an automatic week of March: 120,000 − 75,000 (week 3 by
    # hand) = 45,000 over weeks of 1, 7, 7, 7 and 2 days → 1,875 a day, week 4 13,125.
    # Still to come in week 4: 张小明 on the 19th (15,000); 刘小雨 on the 20th finds her only
    # hour taken by the 13th (in week 3, not counted here): 0, and she is listed.
    assert outlook == ConsumptionOutlook(
        campus_id=hand.campus,
        teacher_id=None,
        period=week4,
        today=TODAY,
        actual_fen=0,
        scheduled_fen=15_000,
        scheduled_lessons=2,
        expected_total_fen=15_000,
        target_fen=13_125,
        has_target=True,
        out_of_hours=[OutOfHours(rain, "刘小雨", hand.c.course_id, "钢琴", 1, Decimal("1.00"))],
    )
    assert (outlook.shortfall_fen, outlook.will_miss) == (0, False)


# --------------------------------------------------------------------------- task views


def test_task_view_of_the_consultant(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        view = task_view(s, hand.li, MARCH, today=TODAY)
        codes = ("invitation", "visit", "trial", "sign", "parent_contact")
        ids = {code: stage_id(s, hand.campus, code) for code in codes}
    assert (view.staff_id, view.staff_name, view.campus_id, view.period, view.today) == (
        hand.li,
        "李顾问",
        hand.campus,
        MARCH,
        TODAY,
    )
    # 李顾问's March credit 120,000 against 100,000: pace 100,000 × 11/31 = 35,483.87;
    # forecast 120,000 × 31/11 = 338,181.82 → ahead
    assert view.money == [
        Progress(
            metric=R, period=MARCH, today=TODAY, campus_id=hand.campus, staff_id=hand.li,
            role="consultant", target_fen=100_000, has_target=True, actual_fen=120_000,
            attainment=Fraction(6, 5), expected_so_far_fen=35_484, gap_to_pace_fen=84_516,
            forecast_fen=338_182, status=Status.AHEAD, days_elapsed=11, days_total=31,
        )
    ]  # fmt: skip
    # his invitation target 2 (week 3), done 1; visit 1; the trial he booked; one 签单 (his
    # order; his typed-in 签单 is the same event); his call. 续费 is 陈's: not listed.
    assert view.stages == [
        StageTask(ids["invitation"], "invitation", "邀约", 2, 1),
        StageTask(ids["visit"], "visit", "到访", None, 1),
        StageTask(ids["trial"], "trial", "试听", None, 1),
        StageTask(ids["sign"], "sign", "签单", None, 1),
        StageTask(ids["parent_contact"], "parent_contact", "家长沟通", None, 1),
    ]
    assert view.follow_ups == [
        FollowUp(
            record_id=hand.contact_id,
            parent_id=hand.mum,
            parent_name="张妈妈",
            student_id=hand.ming,
            student_name="张小明",
            due_on=date(2026, 3, 10),
            days_overdue=1,
            last_contact_on=date(2026, 3, 6),
            channel="电话",
            content="约下次课",
        )
    ]


def test_week_task_view_of_the_consultant(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        view = task_view(s, hand.li, WEEK3, today=TODAY)
        invitation = stage_id(s, hand.campus, "invitation")
    # Week 3 holds only the refund of his 2 March order: −30,000 against 30,000. Pace
    # 30,000 × 3/7 = 12,857.14; forecast −30,000 × 7/3 = −70,000 → at risk.
    assert view.money == [
        Progress(
            metric=R, period=WEEK3, today=TODAY, campus_id=hand.campus, staff_id=hand.li,
            role="consultant", target_fen=30_000, has_target=True, actual_fen=-30_000,
            attainment=Fraction(-1), expected_so_far_fen=12_857, gap_to_pace_fen=-42_857,
            forecast_fen=-70_000, status=Status.AT_RISK, days_elapsed=3, days_total=7,
        )
    ]  # fmt: skip
    assert view.money[0].remaining_fen == 60_000
    # invitation target 2 this week, none done yet (his invitation was on 2 March)
    assert view.stages == [StageTask(invitation, "invitation", "邀约", 2, 0)]
    assert [f.record_id for f in view.follow_ups] == [hand.contact_id]  # due whatever the week


def test_task_view_of_the_teacher(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        view = task_view(s, hand.zhao, MARCH, today=TODAY)
        week = task_view(s, hand.zhao, WEEK3, today=TODAY)
        trial_stage = stage_id(s, hand.campus, "trial")
    # 划课 30,000 against 40,000: pace 40,000 × 11/31 = 14,193.55; forecast 84,545.45 → ahead.
    # As intent teacher of the 2 March order: 150,000 − 30,000 (the refund is charged back to
    # him) = 120,000, no target: forecast 120,000 × 31/11 = 338,181.82
    assert view.money == [
        Progress(
            metric=C, period=MARCH, today=TODAY, campus_id=hand.campus, staff_id=hand.zhao,
            role="teacher", target_fen=40_000, has_target=True, actual_fen=30_000,
            attainment=Fraction(3, 4), expected_so_far_fen=14_194, gap_to_pace_fen=15_806,
            forecast_fen=84_545, status=Status.AHEAD, days_elapsed=11, days_total=31,
        ),
        Progress(
            metric=R, period=MARCH, today=TODAY, campus_id=hand.campus, staff_id=hand.zhao,
            role="intent_teacher", target_fen=0, has_target=False, actual_fen=120_000,
            attainment=None, expected_so_far_fen=0, gap_to_pace_fen=120_000,
            forecast_fen=338_182, status=Status.NO_TARGET, days_elapsed=11, days_total=31,
        ),
    ]  # fmt: skip
    assert view.stages == [StageTask(trial_stage, "trial", "试听", None, 1)]  # the held trial
    assert view.follow_ups == []
    # week 3: 赵's 划课 is the 9th (15,000); no weekly target of his: forecast 15,000 × 7/3;
    # the refund of the 10th charges −30,000 to his intent credit; the trial was in week 2
    assert [(p.metric, p.actual_fen, p.forecast_fen, p.status) for p in week.money] == [
        (C, 15_000, 35_000, Status.NO_TARGET),
        (R, -30_000, -70_000, Status.NO_TARGET),
    ]
    assert week.stages == []


# --------------------------------------------------------------------------- rollup, ranking


def test_rollup_of_the_two_campuses(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        rows = rollup(s, MARCH, today=TODAY)

    def figures(p: Progress) -> tuple[object, ...]:
        return (
            p.target_fen, p.actual_fen, p.attainment, p.expected_so_far_fen, p.gap_to_pace_fen,
            p.forecast_fen, p.status,
        )  # fmt: skip

    assert [(r.campus_id, r.campus_name) for r in rows] == [
        (hand.campus, "测试校区T1"),
        (hand.two, "测试校区T2"),
        (None, "合计"),
    ]
    assert all(isinstance(r, CampusRow) for r in rows)
    one, two, total = rows
    # T1 as on its dashboard
    assert figures(one.revenue) == (
        900_000, 300_000, Fraction(1, 3), 319_355, -19_355, 845_455, Status.BEHIND
    )  # fmt: skip
    assert figures(one.consumption) == (
        120_000, 50_000, Fraction(5, 12), 42_581, 7_419, 140_909, Status.AHEAD
    )  # fmt: skip
    # T2, default weights (March 89, 31 by today): 50,000 of 100,000, pace 34,831.46,
    # forecast 50,000 × 89/31 = 143,548.39; 50,000 ≥ 105 % × 34,831 → ahead
    assert figures(two.revenue) == (
        100_000, 50_000, Fraction(1, 2), 34_831, 15_169, 143_548, Status.AHEAD
    )  # fmt: skip
    # 划课 one hour of T2's 10 h / 500.00 package: 5,000 of 10,000; pace 3,483.15; forecast
    # 14,354.84
    assert figures(two.consumption) == (
        10_000, 5_000, Fraction(1, 2), 3_483, 1_517, 14_355, Status.AHEAD
    )  # fmt: skip
    # 合计: sums; 350,000 against pace 354,186 is 98.8 % and the forecast 989,003 ≥ 800,000
    assert figures(total.revenue) == (
        1_000_000, 350_000, Fraction(7, 20), 354_186, -4_186, 989_003, Status.ON_PACE
    )  # fmt: skip
    # 55,000 ≥ 105 % × 46,064 = 48,367.2 → ahead
    assert figures(total.consumption) == (
        130_000, 55_000, Fraction(11, 26), 46_064, 8_936, 155_264, Status.AHEAD
    )  # fmt: skip
    assert (total.revenue.campus_id, total.revenue.days_elapsed, total.revenue.days_total) == (
        None,
        11,
        31,
    )


def test_ranking_across_the_two_campuses(db: Database, hand: Hand) -> None:
    with db.reader() as s:
        revenue = ranking(s, None, 2026, 3, "revenue")
        consumption = ranking(s, None, 2026, 3, "consumption")
    t1, t2 = "测试校区T1", "测试校区T2"
    assert revenue == [
        RankRow(1, hand.li, "李顾问", hand.campus, t1, 120_000, 100_000, Fraction(6, 5)),
        RankRow(2, hand.zhou, "周顾问", hand.campus, t1, 90_000, None, None),
        RankRow(2, hand.chen, "陈顾问", hand.campus, t1, 90_000, None, None),
        RankRow(4, hand.two_li, "李顾问", hand.two, t2, 50_000, None, None),
    ]
    assert consumption == [
        RankRow(1, hand.zhao, "赵老师", hand.campus, t1, 30_000, 40_000, Fraction(3, 4)),
        RankRow(2, hand.sun, "孙老师", hand.campus, t1, 20_000, None, None),
        RankRow(3, hand.two_zhao, "赵老师", hand.two, t2, 5_000, None, None),
    ]
