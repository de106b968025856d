"""The 业绩诊断 figures that tests/shared/test_diagnosis.py leaves implicit, written out whole.

Same hand-made campuses (see their docstrings there): each result here is compared with a
complete literal object, so no field of a row goes unchecked.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from shared.db import Database
from shared.diagnosis import (
    DaysToOrder,
    FunnelStep,
    LessonCountBucket,
    StudentLessons,
    trial_analysis,
    weak_stage,
)
from shared.models import StudentStatus
from shared.periods import Period
from tests.shared.factories import make_campus
from tests.shared.test_diagnosis import (
    JUNE,
    MAY,
    _analyse,
    _li_funnel,
    _student_campus,
    _trial_campus,
)

D, F = Decimal, Fraction
ENROLLED = StudentStatus.ENROLLED


def test_every_student_row_with_its_status_consultant_and_last_lesson(db: Database) -> None:
    sc = _student_campus(db)
    result = _analyse(db, sc)
    ids, li, zhou = sc.students, sc.c.consultant_id, sc.c2
    assert (result.campus_id, result.period, result.today) == (
        sc.c.campus_id,
        MAY,
        date(2026, 5, 31),
    )
    assert (result.few_hours_threshold, result.idle_weeks) == (D(4), 3)  # the defaults
    # by name (code points): 吴 周 孙 张 王 陈; 郑小丽 (a lead with only a trial) is not listed
    assert result.students == (
        StudentLessons(ids["吴小军"], "吴小军", ENROLLED, None, "未指定", 0, None, D("10.00")),
        StudentLessons(
            ids["周小美"], "周小美", ENROLLED, zhou, "周顾问", 0, date(2026, 4, 30), D("4.00")
        ),
        StudentLessons(
            ids["孙小刚"], "孙小刚", ENROLLED, li, "李顾问", 9, date(2026, 5, 10), D("11.00")
        ),
        StudentLessons(
            ids["张小明"], "张小明", ENROLLED, li, "李顾问", 2, date(2026, 5, 11), D("8.00")
        ),
        StudentLessons(
            ids["王小红"], "王小红", ENROLLED, li, "李顾问", 4, date(2026, 5, 23), D("-1.00")
        ),
        StudentLessons(
            ids["陈小东"],
            "陈小东",
            StudentStatus.PAUSED,
            zhou,
            "周顾问",
            1,
            date(2026, 5, 3),
            D("1.00"),
        ),
    )
    assert result.lesson_buckets == (
        LessonCountBucket("0", 0, 0, 2),
        LessonCountBucket("1–2", 1, 2, 2),
        LessonCountBucket("3–4", 3, 4, 1),
        LessonCountBucket("5–8", 5, 8, 0),
        LessonCountBucket("9+", 9, None, 1),
    )


def test_intent_teachers_days_to_order_and_the_echoed_arguments(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        result = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30))
    assert (result.campus_id, result.period, result.as_of, result.sign_window_days) == (
        tc.c.campus_id,
        MAY,
        date(2026, 6, 30),
        None,
    )
    assert result.current.period == MAY
    # 赵老师: #1 2 days, #2 10, #6 21 → mean 11, median 10; 钱老师: #3 2 days; nobody named:
    # #9 signed on the phone without an order, so no dated order
    assert [(r.staff_name, r.days_to_order) for r in result.by_intent_teacher] == [
        ("赵老师", DaysToOrder(3, F(11), F(10))),
        ("钱老师", DaysToOrder(1, F(2), F(2))),
        ("未指定", DaysToOrder(0, None, None)),
    ]


def test_the_whole_weak_stage_report_of_the_campus(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        _li_funnel(s, c)
    with db.reader() as s:
        report = weak_stage(s, c.campus_id, JUNE)
    trial_to_sign = FunnelStep(
        "trial", "sign", "试听", "签单", 5, 1, F(1, 5), 12, 6, F(1, 2), F(-3, 10), F(-3, 5)
    )
    assert report.campus_id == c.campus_id and report.period == JUNE
    # the six months before June, newest first
    assert report.history == (
        Period.of_month(2026, 5),
        Period.of_month(2026, 4),
        Period.of_month(2026, 3),
        Period.of_month(2026, 2),
        Period.of_month(2026, 1),
        Period.of_month(2025, 12),
    )
    assert report.steps == (
        FunnelStep(
            "invitation", "visit", "邀约", "到访", 10, 5, F(1, 2), 24, 12, F(1, 2), F(0), F(0)
        ),
        FunnelStep("visit", "trial", "到访", "试听", 5, 5, F(1), 12, 12, F(1), F(0), F(0)),
        trial_to_sign,
    )
    assert report.weak == trial_to_sign
