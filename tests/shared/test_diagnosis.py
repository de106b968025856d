"""业绩诊断 on hand-made campuses whose right answers are worked out by hand in the comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.diagnosis import (
    DaysToOrder,
    SignTypeRow,
    TrialChange,
    TrialCounts,
    student_analysis,
    trial_analysis,
    weak_stage,
    weak_stages_by_staff,
)
from shared.errors import Invalid, NotFound
from shared.models import (
    Campus,
    ConsumptionKind,
    Course,
    SignType,
    Staff,
    Stage,
    StageActivity,
    Student,
    StudentStatus,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)
from shared.periods import Period
from shared.services.campus import add_staff
from shared.services.lessons import (
    AttendanceMark,
    enroll,
    mark_attendance,
    schedule_lesson,
    unmark_attendance,
)
from shared.services.orders import record_order, refund_order
from tests.shared.factories import TEST_PIN, TEST_PIN_HASH, Campus1, at, make_campus

D = Decimal
F = Fraction
MAY = Period.of_month(2026, 5)
JUNE = Period.of_month(2026, 6)
HELD, NO_SHOW = TrialStatus.HELD, TrialStatus.NO_SHOW
SCHEDULED, CANCELLED = TrialStatus.SCHEDULED, TrialStatus.CANCELLED


def _staff(s: Session, campus_id: str, name: str, role: str) -> str:
    return add_staff(
        s, campus_id=campus_id, name=name, roles=[role], pin=TEST_PIN, pin_hash=TEST_PIN_HASH
    ).id


def _student(s: Session, campus_id: str, name: str) -> str:
    student = Student(campus_id=campus_id, name=name)
    s.add(student)
    s.flush()
    return student.id


# =========================================================================== 试听分析


@dataclass
class TrialCampus:
    """Ids of the trial campus: consultants 李顾问 (c1) and 周顾问 (c2), teachers 赵/钱老师."""

    c: Campus1
    c2: str
    t2: str


def _trial(
    s: Session,
    c: Campus1,
    consultant: str | None,
    teacher: str | None,
    day: date,
    status: TrialStatus,
    *,
    outcome: TrialOutcome = TrialOutcome.PENDING,
    sign_type: SignType | None = None,
    is_deleted: bool = False,
) -> TrialLesson:
    trial = TrialLesson(
        campus_id=c.campus_id,
        student_id=_student(s, c.campus_id, f"试听{day.isoformat()}"),
        course_id=c.course_id,
        consultant_id=consultant,
        intent_teacher_id=teacher,
        trial_on=day,
        status=status,
        outcome=outcome,
        sign_type=sign_type,
        is_deleted=is_deleted,
    )
    s.add(trial)
    s.flush()
    return trial


def _sign(
    s: Session, c: Campus1, trial: TrialLesson, kind: str, day: date, consultant: str | None
) -> str:
    return record_order(
        s,
        student_id=trial.student_id,
        course_id=c.course_id,
        sign_type=kind,
        signed_on=day,
        hours=10,
        amount_fen=150000,
        consultant_id=consultant,
        intent_teacher_id=trial.intent_teacher_id,
        trial_id=trial.id,
    ).id


def _trial_campus(db: Database) -> TrialCampus:
    """May 2026 (the period) and April 2026 (the previous one); analysed as of 30 June.

    May trials, numbered as the comments of the tests refer to them:
      #1  李/赵 held, 新签 signed 5 May (2 days), later fully refunded
      #2  李/赵 held, 转介绍 signed 16 May (10 days)
      #3  李/钱 still 已约 but an order names it: 新签 12 May (2 days) → counts as held
      #4  李/钱 held, not signed
      #5  李/钱 no-show
      #6  周/赵 held, 扩科 signed 10 June (21 days: after the period, before as_of)
      #7  周/赵 held, pending
      #8  周/赵 cancelled
      #9  周/— held, outcome 已签单 新签 on the phone, no order (signed, undated)
      #10 周/钱 held, order signed 5 July (after as_of: not signed yet)
      #14 李/赵 still 已约 (pending)
    Outside May: #11 李/赵 30 April held, 新签 same day (0 days); #15 李/赵 10 April held, not
    signed; #16 周/钱 15 April no-show; #12 李/赵 1 June held; #13 李/赵 May, deleted.
    """
    with db.unit_of_work() as s:
        c = make_campus(s)
        c1, t1 = c.consultant_id, c.teacher_id
        c2 = _staff(s, c.campus_id, "周顾问", "consultant")
        t2 = _staff(s, c.campus_id, "钱老师", "teacher")
        t = _trial(s, c, c1, t1, date(2026, 5, 3), HELD)  # 1
        first = _sign(s, c, t, "new", date(2026, 5, 5), c1)
        refund_order(s, order_id=first, signed_on=date(2026, 5, 20), hours=10, refund_fen=150000)
        t = _trial(s, c, c1, t1, date(2026, 5, 6), HELD)  # 2
        _sign(s, c, t, "referral", date(2026, 5, 16), c1)
        t = _trial(s, c, c1, t2, date(2026, 5, 10), SCHEDULED)  # 3
        _sign(s, c, t, "new", date(2026, 5, 12), c1)
        _trial(s, c, c1, t2, date(2026, 5, 11), HELD, outcome=TrialOutcome.NOT_SIGNED)  # 4
        _trial(s, c, c1, t2, date(2026, 5, 12), NO_SHOW)  # 5
        t = _trial(s, c, c2, t1, date(2026, 5, 20), HELD)  # 6
        _sign(s, c, t, "cross_sell", date(2026, 6, 10), c2)
        _trial(s, c, c2, t1, date(2026, 5, 21), HELD)  # 7
        _trial(s, c, c2, t1, date(2026, 5, 22), CANCELLED)  # 8
        _trial(
            s,
            c,
            c2,
            None,
            date(2026, 5, 23),
            HELD,
            outcome=TrialOutcome.SIGNED,
            sign_type=SignType.NEW,
        )  # 9
        t = _trial(s, c, c2, t2, date(2026, 5, 25), HELD)  # 10
        _sign(s, c, t, "new", date(2026, 7, 5), c2)
        _trial(s, c, c1, t1, date(2026, 5, 28), SCHEDULED)  # 14
        t = _trial(s, c, c1, t1, date(2026, 4, 30), HELD)  # 11
        _sign(s, c, t, "new", date(2026, 4, 30), c1)
        _trial(s, c, c1, t1, date(2026, 6, 1), HELD)  # 12
        _trial(s, c, c1, t1, date(2026, 5, 15), HELD, is_deleted=True)  # 13
        _trial(s, c, c1, t1, date(2026, 4, 10), HELD, outcome=TrialOutcome.NOT_SIGNED)  # 15
        _trial(s, c, c2, t2, date(2026, 4, 15), NO_SHOW)  # 16
    return TrialCampus(c, c2, t2)


def test_trial_headline_counts_signed_as_held_and_orders_signed_after_the_period(
    db: Database,
) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        result = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30))
    # held: #1 #2 #3(order) #4 #6 #7 #9 #10 = 8; no-show #5; pending #14; cancelled #8;
    # trials = 8 + 1 + 1 = 10. Signed: #1 #2 #3 #6 #9 = 5 (#10 signs after as_of) → 5/8.
    assert result.current.counts == TrialCounts(
        trials=10, held=8, no_show=1, pending=1, signed=5, cancelled=1, conversion=F(5, 8)
    )
    assert result.as_of == date(2026, 6, 30)


def test_trials_by_consultant(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        rows = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30)).by_consultant
    assert [(r.staff_id, r.staff_name, r.counts) for r in rows] == [
        # 周顾问 #6 #7 #8 #9 #10: held #6 #7 #9 #10, cancelled #8; signed #6 #9 → 2/4
        (tc.c2, "周顾问", TrialCounts(4, 4, 0, 0, 2, 1, F(1, 2))),
        # 李顾问 #1 #2 #3 #4 #5 #14: held #1–#4, no-show #5, pending #14; signed #1–#3 → 3/4
        (tc.c.consultant_id, "李顾问", TrialCounts(6, 4, 1, 1, 3, 0, F(3, 4))),
    ]


def test_trials_by_intent_teacher(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        rows = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30)).by_intent_teacher
    assert [(r.staff_id, r.staff_name, r.counts) for r in rows] == [
        # 赵老师 #1 #2 #6 #7 #8 #14: held #1 #2 #6 #7, pending #14, cancelled #8; signed 3 → 3/4
        (tc.c.teacher_id, "赵老师", TrialCounts(5, 4, 0, 1, 3, 1, F(3, 4))),
        # 钱老师 #3 #4 #5 #10: held #3 #4 #10, no-show #5; signed #3 → 1/3
        (tc.t2, "钱老师", TrialCounts(4, 3, 1, 0, 1, 0, F(1, 3))),
        # nobody named: #9, held and signed → 1/1, listed last
        (None, "未指定", TrialCounts(1, 1, 0, 0, 1, 0, F(1))),
    ]


def test_trials_by_consultant_and_intent_teacher_pair(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        rows = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30)).by_pair
    assert [(r.consultant_name, r.intent_teacher_name, r.counts) for r in rows] == [
        ("周顾问", "赵老师", TrialCounts(2, 2, 0, 0, 1, 1, F(1, 2))),  # #6 #7 (+#8 cancelled)
        ("周顾问", "钱老师", TrialCounts(1, 1, 0, 0, 0, 0, F(0))),  # #10, not signed by as_of
        ("周顾问", "未指定", TrialCounts(1, 1, 0, 0, 1, 0, F(1))),  # #9
        ("李顾问", "赵老师", TrialCounts(3, 2, 0, 1, 2, 0, F(1))),  # #1 #2 signed, #14 pending
        ("李顾问", "钱老师", TrialCounts(3, 2, 1, 0, 1, 0, F(1, 2))),  # #3 signed, #4, #5 no-show
    ]
    assert rows[0].consultant_id == tc.c2 and rows[0].intent_teacher_id == tc.c.teacher_id
    assert rows[2].intent_teacher_id is None


def test_signed_trials_by_sign_type(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        rows = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30)).by_sign_type
    # 新签 #1 #3 #9 (the phone's type) = 3; 转介绍 #2; 扩科 #6; 续费 none; the refund of #1
    # does not unsign it.
    assert rows == (
        SignTypeRow(SignType.NEW, 3),
        SignTypeRow(SignType.RENEWAL, 0),
        SignTypeRow(SignType.REFERRAL, 1),
        SignTypeRow(SignType.CROSS_SELL, 1),
    )


def test_signed_trial_without_a_recorded_type_is_listed_as_unknown(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        _trial(s, c, c.consultant_id, None, date(2026, 5, 4), HELD, outcome=TrialOutcome.SIGNED)
    with db.reader() as s:
        rows = trial_analysis(s, c.campus_id, MAY, as_of=date(2026, 6, 30)).by_sign_type
    assert rows[-1] == SignTypeRow(None, 1)
    assert sum(r.signed for r in rows) == 1


def test_days_from_trial_to_order_mean_and_median(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        result = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30))
    # dated orders: #1 2, #2 10, #3 2, #6 21 days (#9 has no order) → sorted 2 2 10 21:
    # mean 35/4, median (2 + 10) / 2 = 6
    assert result.current.days_to_order == DaysToOrder(orders=4, mean=F(35, 4), median=F(6))
    by_name = {r.staff_name: r.days_to_order for r in result.by_consultant}
    # 李顾问 2 2 10 → mean 14/3, median 2; 周顾问 21 → 21, 21
    assert by_name == {
        "李顾问": DaysToOrder(3, F(14, 3), F(2)),
        "周顾问": DaysToOrder(1, F(21), F(21)),
    }


def test_previous_period_and_change(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        result = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30))
    # April: #11 held+signed (0 days), #15 held, #16 no-show → 3 trials, 2 held, 1 signed: 1/2
    assert result.previous.period == Period.of_month(2026, 4)
    assert result.previous.counts == TrialCounts(3, 2, 1, 0, 1, 0, F(1, 2))
    assert result.previous.days_to_order == DaysToOrder(1, F(0), F(0))
    # trials 10−3, held 8−2, no-show 1−1, signed 5−1, conversion 5/8 − 1/2 = 1/8 (12.5 百分点),
    # mean days 35/4 − 0
    assert result.change == TrialChange(7, 6, 0, 4, F(1, 8), F(35, 4))


def test_sign_window_leaves_out_orders_signed_too_late(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        result = trial_analysis(
            s, tc.c.campus_id, MAY, as_of=date(2026, 6, 30), sign_window_days=14
        )
    # #6 signed 21 days after its trial: still held, no longer signed → 4/8; days 2 2 10
    assert result.current.counts == TrialCounts(10, 8, 1, 1, 4, 1, F(1, 2))
    assert result.current.days_to_order == DaysToOrder(3, F(14, 3), F(2))


def test_a_later_as_of_counts_the_orders_signed_since(db: Database) -> None:
    tc = _trial_campus(db)
    with db.reader() as s:
        result = trial_analysis(s, tc.c.campus_id, MAY, as_of=date(2026, 7, 31))
    # #10 (25 May) signed 5 July, 41 days → 6/8 = 3/4; days 2 2 10 21 41: mean 76/5, median 10
    assert result.current.counts == TrialCounts(10, 8, 1, 1, 6, 1, F(3, 4))
    assert result.current.days_to_order == DaysToOrder(5, F(76, 5), F(10))


def test_a_campus_without_trials_has_no_conversion(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with db.reader() as s:
        result = trial_analysis(s, c.campus_id, MAY, as_of=date(2026, 6, 30))
    assert result.current.counts == TrialCounts(0, 0, 0, 0, 0, 0, None)
    assert result.current.days_to_order == DaysToOrder(0, None, None)
    assert result.change == TrialChange(0, 0, 0, 0, None, None)
    assert result.by_consultant == () and result.by_pair == ()
    assert [r.signed for r in result.by_sign_type] == [0, 0, 0, 0]


# =========================================================================== 学员分析


@dataclass
class StudentCampus:
    """Ids of the student campus (see :func:`_student_campus`)."""

    c: Campus1
    c2: str
    t2: str
    art_id: str
    students: dict[str, str]  # name → id


def _lesson(
    s: Session, course_id: str, teacher_id: str, day: date, marks: list[AttendanceMark]
) -> str:
    lesson = schedule_lesson(
        s,
        course_id=course_id,
        teacher_id=teacher_id,
        starts_at=at(day),
        student_ids=[m.student_id for m in marks],
    )
    mark_attendance(s, lesson_id=lesson.id, marks=marks)
    return lesson.id


def _student_campus(db: Database) -> StudentCampus:
    """May 2026; today 31 May. 钢琴 ¥150/h, 美术 ¥100/h, one hour per lesson.

    张小明 (李顾问) 钢琴 10 h + 2 gift, ¥1500: 4 May present, 11 May present, 18 May leave
        charged 1 h, 25 May absent (charged), 26 May present then withdrawn — all 赵老师.
    王小红 (李顾问) 美术 3 h + 1 gift, ¥300: 20 Apr present, 2 May present, 9 May make-up,
        16 May present (the gift hour), 23 May present (arrears) — all 钱老师.
    孙小刚 (李顾问) 钢琴 20 h, ¥3000: present 2..10 May, nine lessons, taught by 钱老师.
    周小美 (周顾问) 钢琴 5 h, ¥750: present 30 April only.
    吴小军 (no consultant) 美术 10 h, ¥1000 signed 20 May: no lessons.
    郑小丽 a lead: a 钢琴 trial lesson 12 May with 赵老师.
    陈小东 (周顾问) 美术 2 h, ¥200: present 3 May (钱老师), then paused.
    """
    with db.unit_of_work() as s:
        c = make_campus(s)
        c2 = _staff(s, c.campus_id, "周顾问", "consultant")
        t1, t2 = c.teacher_id, _staff(s, c.campus_id, "钱老师", "teacher")
        art = Course(campus_id=c.campus_id, name="美术", price_per_hour_fen=10000)
        s.add(art)
        s.flush()
        piano = c.course_id
        ids = {"张小明": c.student_id}
        for name in ("王小红", "孙小刚", "周小美", "吴小军", "郑小丽", "陈小东"):
            ids[name] = _student(s, c.campus_id, name)

        def order(name: str, course: str, day: date, hours: int, fen: int, **kw: object) -> None:
            record_order(
                s,
                student_id=ids[name],
                course_id=course,
                sign_type="new",
                signed_on=day,
                hours=hours,
                amount_fen=fen,
                **kw,  # type: ignore[arg-type]
            )

        def present(name: str) -> AttendanceMark:
            return AttendanceMark(ids[name], "present")

        order(
            "张小明",
            piano,
            date(2026, 4, 1),
            10,
            150000,
            gift_hours=2,
            consultant_id=c.consultant_id,
        )
        _lesson(s, piano, t1, date(2026, 5, 4), [present("张小明")])
        _lesson(s, piano, t1, date(2026, 5, 11), [present("张小明")])
        _lesson(s, piano, t1, date(2026, 5, 18), [AttendanceMark(ids["张小明"], "leave", 1)])
        _lesson(s, piano, t1, date(2026, 5, 25), [AttendanceMark(ids["张小明"], "absent")])
        withdrawn = schedule_lesson(
            s,
            course_id=piano,
            teacher_id=t1,
            starts_at=at(date(2026, 5, 26)),
            student_ids=[ids["张小明"]],
        )
        (mark,) = mark_attendance(s, lesson_id=withdrawn.id, marks=[present("张小明")])
        unmark_attendance(s, attendance_id=mark.id)

        order(
            "王小红",
            art.id,
            date(2026, 4, 1),
            3,
            30000,
            gift_hours=1,
            consultant_id=c.consultant_id,
        )
        _lesson(s, art.id, t2, date(2026, 4, 20), [present("王小红")])
        _lesson(s, art.id, t2, date(2026, 5, 2), [present("王小红")])
        _lesson(s, art.id, t2, date(2026, 5, 9), [AttendanceMark(ids["王小红"], "makeup")])
        _lesson(s, art.id, t2, date(2026, 5, 16), [present("王小红")])
        _lesson(s, art.id, t2, date(2026, 5, 23), [present("王小红")])

        order("孙小刚", piano, date(2026, 3, 1), 20, 300000, consultant_id=c.consultant_id)
        for day in range(2, 11):
            _lesson(s, piano, t2, date(2026, 5, day), [present("孙小刚")])

        order("周小美", piano, date(2026, 3, 1), 5, 75000, consultant_id=c2)
        _lesson(s, piano, t1, date(2026, 4, 30), [present("周小美")])

        order("吴小军", art.id, date(2026, 5, 20), 10, 100000)

        trial = schedule_lesson(s, course_id=piano, teacher_id=t1, starts_at=at(date(2026, 5, 12)))
        enroll(s, lesson_id=trial.id, student_id=ids["郑小丽"], is_trial=True)
        mark_attendance(s, lesson_id=trial.id, marks=[present("郑小丽")])

        order("陈小东", art.id, date(2026, 4, 1), 2, 20000, consultant_id=c2)
        _lesson(s, art.id, t2, date(2026, 5, 3), [present("陈小东")])
        s.get(Student, ids["陈小东"]).status = StudentStatus.PAUSED
    return StudentCampus(c, c2, t2, art.id, ids)


def _analyse(db: Database, sc: StudentCampus, **kw: object):  # noqa: ANN202 - test helper
    with db.reader() as s:
        return student_analysis(s, sc.c.campus_id, MAY, today=date(2026, 5, 31), **kw)


def test_consumption_by_kind_lists_every_kind(db: Database) -> None:
    result = _analyse(db, _student_campus(db))
    assert [(r.kind, r.kind_name, r.hours, r.amount_fen) for r in result.by_kind] == [
        # 张小明 4+11 May 2 h ¥300, 王小红 2 May ¥100, 孙小刚 9 h ¥1350, 陈小东 ¥100
        #   → 13 h, 30000 + 10000 + 135000 + 10000 = 185000 fen (April lessons not counted)
        (ConsumptionKind.NORMAL, "正常", D("13.00"), 185000),
        (ConsumptionKind.LEAVE_CHARGED, "请假扣课", D("1.00"), 15000),  # 张小明 18 May
        (ConsumptionKind.ABSENCE_CHARGED, "旷课扣课", D("1.00"), 15000),  # 张小明 25 May
        (ConsumptionKind.MAKEUP, "补课", D("1.00"), 10000),  # 王小红 9 May
        (ConsumptionKind.GIFTED, "赠课", D("1.00"), 0),  # 王小红 16 May
        (ConsumptionKind.TRIAL, "试听", D("1.00"), 0),  # 郑小丽 12 May
        (ConsumptionKind.ARREARS, "欠课时", D("1.00"), 0),  # 王小红 23 May
    ]


def test_consumption_by_course_and_teacher_leaves_trial_hours_out(db: Database) -> None:
    sc = _student_campus(db)
    result = _analyse(db, sc)
    # 美术: 王小红 4 h (¥100 + ¥100 + gift 0 + arrears 0) + 陈小东 1 h ¥100 = 5 h, 30000 fen
    # 钢琴: 张小明 4 h ¥600 + 孙小刚 9 h ¥1350 = 13 h, 195000 fen (郑小丽's trial left out)
    assert [(r.course_id, r.course_name, r.hours, r.amount_fen) for r in result.by_course] == [
        (sc.art_id, "美术", D("5.00"), 30000),
        (sc.c.course_id, "钢琴", D("13.00"), 195000),
    ]
    # 赵老师: 张小明 4 h ¥600; 钱老师: 孙小刚 9 h ¥1350 + 美术 5 h ¥300 = 14 h, 165000 fen
    assert [(r.teacher_id, r.teacher_name, r.hours, r.amount_fen) for r in result.by_teacher] == [
        (sc.c.teacher_id, "赵老师", D("4.00"), 60000),
        (sc.t2, "钱老师", D("14.00"), 165000),
    ]
    # 5 + 13 = 18 h; 30000 + 195000 = 225000 fen
    assert (result.consumed_hours, result.consumed_fen) == (D("18.00"), 225000)


def test_lesson_count_buckets_of_enrolled_and_attending_students(db: Database) -> None:
    result = _analyse(db, _student_campus(db))
    # attended (present/make-up) in May: 张小明 4, 11 May = 2 (leave, absence and the withdrawn
    # mark are not lessons attended); 王小红 2, 9, 16, 23 = 4; 孙小刚 9; 周小美 0; 吴小军 0;
    # 陈小东 1 (paused now, but attended in May); 郑小丽 only had a trial: not counted.
    assert {r.student_name: r.lessons for r in result.students} == {
        "张小明": 2,
        "王小红": 4,
        "孙小刚": 9,
        "周小美": 0,
        "吴小军": 0,
        "陈小东": 1,
    }
    assert [(b.label, b.students) for b in result.lesson_buckets] == [
        ("0", 2),  # 周小美, 吴小军
        ("1–2", 2),  # 张小明, 陈小东
        ("3–4", 1),  # 王小红
        ("5–8", 0),
        ("9+", 1),  # 孙小刚
    ]


def test_remaining_hours_per_student(db: Database) -> None:
    result = _analyse(db, _student_campus(db))
    assert {r.student_name: r.remaining_hours for r in result.students} == {
        "张小明": D("8.00"),  # 10 + 2 gift − 4 charged
        "王小红": D("-1.00"),  # 3 + 1 gift − 5: one hour owed
        "孙小刚": D("11.00"),  # 20 − 9
        "周小美": D("4.00"),  # 5 − 1
        "吴小军": D("10.00"),
        "陈小东": D("1.00"),  # 2 − 1
    }


def test_few_remaining_hours_lists_enrolled_students_fewest_first(db: Database) -> None:
    result = _analyse(db, _student_campus(db))
    # <= 4 h: 王小红 −1, 周小美 4; 陈小东 has 1 h but is paused, so not a renewal lead.
    assert [(r.student_name, r.consultant_name, r.remaining_hours) for r in result.few_hours] == [
        ("王小红", "李顾问", D("-1.00")),
        ("周小美", "周顾问", D("4.00")),
    ]


def test_idle_lists_enrolled_students_with_no_lesson_for_three_weeks(db: Database) -> None:
    result = _analyse(db, _student_campus(db))
    # today 31 May − 3 weeks = 10 May: idle if the last lesson is before it. 孙小刚 (10 May,
    # exactly three weeks) and 张小明 (11 May; his later marks were leave/absence) are not idle.
    assert [(r.student_name, r.last_lesson_on, r.consultant_name) for r in result.idle] == [
        ("吴小军", None, "未指定"),  # never attended: first
        ("周小美", date(2026, 4, 30), "周顾问"),
    ]


def test_threshold_and_idle_weeks_are_the_callers(db: Database) -> None:
    result = _analyse(db, _student_campus(db), few_hours_threshold=0, idle_weeks=1)
    assert [r.student_name for r in result.few_hours] == ["王小红"]  # only −1 <= 0
    # 31 May − 1 week = 24 May: everyone enrolled last attended before it, longest idle first
    assert [(r.student_name, r.last_lesson_on) for r in result.idle] == [
        ("吴小军", None),
        ("周小美", date(2026, 4, 30)),
        ("孙小刚", date(2026, 5, 10)),
        ("张小明", date(2026, 5, 11)),
        ("王小红", date(2026, 5, 23)),
    ]


# =========================================================================== 薄弱环节


def _log(s: Session, campus_id: str, staff_id: str, code: str, day: date, n: int) -> None:
    stage_id = s.scalars(
        select(Stage.id).where(Stage.campus_id == campus_id, Stage.code == code)
    ).one()
    s.add_all(
        StageActivity(campus_id=campus_id, stage_id=stage_id, staff_id=staff_id, occurred_on=day)
        for _ in range(n)
    )
    s.flush()


HISTORY = [date(2025, 12, 10)] + [date(2026, m, 10) for m in range(1, 6)]  # Dec 2025 – May


def _li_funnel(s: Session, c: Campus1, *, history: bool = True) -> None:
    """李顾问: each history month 邀约 4, 到访 2, 试听 2, 签单 1 (logged by hand); June 邀约 10,
    到访 5 logged, 5 held trials and 1 order from them (counted from the records themselves)."""
    li = c.consultant_id
    for day in HISTORY if history else []:
        for code, n in (("invitation", 4), ("visit", 2), ("trial", 2), ("sign", 1)):
            _log(s, c.campus_id, li, code, day, n)
    _log(s, c.campus_id, li, "invitation", date(2026, 6, 3), 10)
    _log(s, c.campus_id, li, "visit", date(2026, 6, 4), 5)
    trials = [_trial(s, c, li, c.teacher_id, date(2026, 6, 5), HELD) for _ in range(5)]
    _sign(s, c, trials[0], "new", date(2026, 6, 8), li)


def test_weak_stage_is_trial_to_sign_when_it_fell_from_half_to_a_fifth(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        _li_funnel(s, c)
    with db.reader() as s:
        report = weak_stage(s, c.campus_id, JUNE)
    assert report.history[0] == Period.of_month(2026, 5)
    assert report.history[-1] == Period.of_month(2025, 12)
    rows = [
        (
            st.from_name,
            st.to_name,
            st.current_from,
            st.current_to,
            st.current_rate,
            st.history_from,
            st.history_to,
            st.historical_rate,
            st.change,
            st.relative_change,
        )
        for st in report.steps
    ]
    assert rows == [
        # June 5/10 = 1/2; six months 12/24 = 1/2: held
        ("邀约", "到访", 10, 5, F(1, 2), 24, 12, F(1, 2), F(0), F(0)),
        # June 5/5 = 1; history 12/12 = 1: held
        ("到访", "试听", 5, 5, F(1), 12, 12, F(1), F(0), F(0)),
        # June 1/5 = 20%; history 6/12 = 50%: −3/10, relative −(3/10)/(1/2) = −3/5
        ("试听", "签单", 5, 1, F(1, 5), 12, 6, F(1, 2), F(-3, 10), F(-3, 5)),
    ]
    assert report.weak is report.steps[2]
    assert (report.weak.from_code, report.weak.to_code) == ("trial", "sign")
    assert report.staff_id is None and report.staff_name is None


def test_no_history_means_no_weak_stage(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        _li_funnel(s, c, history=False)
    with db.reader() as s:
        report = weak_stage(s, c.campus_id, JUNE)
    assert [st.current_rate for st in report.steps] == [F(1, 2), F(1), F(1, 5)]
    assert [st.historical_rate for st in report.steps] == [None, None, None]
    assert [st.change for st in report.steps] == [None, None, None]
    assert report.weak is None


def _two_consultants(db: Database) -> tuple[Campus1, str]:
    """李顾问 as above; 周顾问 every month, June too: 邀约 2, 到访 1, 试听 1, 签单 1 (all logged).
    Also an inactive consultant, who is not listed."""
    with db.unit_of_work() as s:
        c = make_campus(s)
        _li_funnel(s, c)
        zhou = _staff(s, c.campus_id, "周顾问", "consultant")
        for day in [*HISTORY, date(2026, 6, 10)]:
            for code, n in (("invitation", 2), ("visit", 1), ("trial", 1), ("sign", 1)):
                _log(s, c.campus_id, zhou, code, day, n)
        gone = _staff(s, c.campus_id, "吴顾问", "consultant")
        s.get(Staff, gone).active = False
    return c, zhou


def test_weak_stages_by_staff_judges_each_consultant_against_their_own_history(
    db: Database,
) -> None:
    c, zhou = _two_consultants(db)
    with db.reader() as s:
        reports = weak_stages_by_staff(s, c.campus_id, JUNE)
    # consultants only (not the manager or teachers, not the inactive one), by name
    assert [(r.staff_id, r.staff_name) for r in reports] == [
        (zhou, "周顾问"),
        (c.consultant_id, "李顾问"),
    ]
    zhou_report, li_report = reports
    # 周顾问: June 1/2, 1, 1 against 6/12, 6/6, 6/6: nothing fell
    assert [st.current_rate for st in zhou_report.steps] == [F(1, 2), F(1), F(1)]
    assert [st.historical_rate for st in zhou_report.steps] == [F(1, 2), F(1), F(1)]
    assert zhou_report.weak is None
    # 李顾问: trial→sign fell from 1/2 to 1/5
    assert li_report.weak is not None and li_report.weak.to_code == "sign"
    assert li_report.weak.relative_change == F(-3, 5)


def test_weak_stage_of_one_staff_member_uses_only_their_counts(db: Database) -> None:
    c, _ = _two_consultants(db)
    with db.reader() as s:
        report = weak_stage(s, c.campus_id, JUNE, staff_id=c.consultant_id)
        campus = weak_stage(s, c.campus_id, JUNE)
    assert report.staff_name == "李顾问"
    assert [(st.current_rate, st.historical_rate) for st in report.steps] == [
        (F(1, 2), F(1, 2)),
        (F(1), F(1)),
        (F(1, 5), F(1, 2)),
    ]
    # The campus pools both: June 邀约 12, 到访 6, 试听 6, 签单 2; history 36, 18, 18, 12.
    # trial→sign 2/6 = 1/3 against 12/18 = 2/3: relative −1/2, still the weak stage.
    assert [(st.current_rate, st.historical_rate) for st in campus.steps] == [
        (F(1, 2), F(1, 2)),
        (F(1), F(1)),
        (F(1, 3), F(2, 3)),
    ]
    assert campus.weak is not None and campus.weak.relative_change == F(-1, 2)


# =========================================================================== bad input


def _all_three(s: Session, campus_id: str) -> list[object]:
    return [
        lambda: trial_analysis(s, campus_id, MAY, as_of=date(2026, 6, 30)),
        lambda: student_analysis(s, campus_id, MAY, today=date(2026, 5, 31)),
        lambda: weak_stage(s, campus_id, MAY),
        lambda: weak_stages_by_staff(s, campus_id, MAY),
    ]


def test_unknown_or_deleted_campus_is_not_found(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        s.get(Campus, c.campus_id).is_deleted = True
    unknown = "00000000-0000-4000-8000-000000000000"
    with db.reader() as s:
        for campus_id in (c.campus_id, unknown):
            for call in _all_three(s, campus_id):
                with pytest.raises(NotFound) as err:
                    call()  # type: ignore[operator]
                assert err.value.message.startswith("campus_id:")


def test_malformed_campus_id_is_invalid(db: Database) -> None:
    with db.reader() as s:
        for call in _all_three(s, "not-a-uuid"):
            with pytest.raises(Invalid) as err:
                call()  # type: ignore[operator]
            assert err.value.field == "campus_id"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"few_hours_threshold": -1}, "few_hours_threshold"),
        ({"few_hours_threshold": D("-0.5")}, "few_hours_threshold"),
        ({"few_hours_threshold": 2.5}, "few_hours_threshold"),
        ({"idle_weeks": 0}, "idle_weeks"),
        ({"today": "2026-05-31"}, "today"),
    ],
)
def test_bad_student_analysis_input_names_the_field(
    db: Database, kwargs: dict[str, object], field: str
) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    args: dict[str, object] = {"today": date(2026, 5, 31), **kwargs}
    with db.reader() as s, pytest.raises(Invalid) as err:
        student_analysis(s, c.campus_id, MAY, **args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_bad_trial_and_weak_stage_input_names_the_field(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with db.reader() as s:
        cases = [
            (lambda: trial_analysis(s, c.campus_id, MAY, sign_window_days=-1), "sign_window_days"),
            (lambda: trial_analysis(s, c.campus_id, "2026-05"), "period"),  # type: ignore[arg-type]
            (lambda: weak_stage(s, c.campus_id, MAY, history_periods=0), "history_periods"),
            (lambda: weak_stage(s, c.campus_id, MAY, staff_id="x"), "staff_id"),
        ]
        for call, field in cases:
            with pytest.raises(Invalid) as err:
                call()
            assert err.value.field == field


def test_staff_of_another_campus_or_deleted_is_refused(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        other = make_campus(s, code="T2")
        s.get(Staff, other.teacher_id).is_deleted = True
    with db.reader() as s:
        with pytest.raises(Invalid) as invalid:
            weak_stage(s, c.campus_id, JUNE, staff_id=other.consultant_id)
        assert invalid.value.field == "staff_id"
        with pytest.raises(NotFound) as missing:
            weak_stage(s, other.campus_id, JUNE, staff_id=other.teacher_id)
        assert missing.value.message.startswith("staff_id:")


def test_student_analysis_reads_attendance_through_the_campus_lesson_index(db: Database) -> None:
    """Attendance has no campus index: a query that filters marks by campus alone walks every
    mark of every campus (≈ 10 s for one campus of the large demo). Every statement the
    analysis runs must reach attendance through an index, never by a full scan."""
    from sqlalchemy import event

    with db.unit_of_work() as s:
        c = make_campus(s)
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.reader() as s:
            student_analysis(s, c.campus_id, JUNE, today=date(2026, 6, 20))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    touching = [(sql, p) for sql, p in statements if "attendance" in sql]
    assert touching
    with db.reader() as s:
        raw = s.connection().connection.driver_connection
        for sql, params in touching:
            plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
            assert not [line for line in plan if line.startswith("SCAN attendance")], (sql, plan)
