"""Phone views against a hand-made campus; every figure is worked out in the comments.

The calendar is March 2026 under the default day weights (school day 2, weekend 5; no holiday
in March). ``TODAY`` is Wednesday 11 March, in week 3 (09–15 March): the week weighs
2·5 + 5·2 = 20, of which Monday to Wednesday have used 6.

The campus (``make_campus`` plus a few rows):

    李顾问 (consultant)  张小明's consultant; order 03-10, 10 h for 1500.00 (intent teacher 赵老师)
    陈顾问 (consultant)  李小红's consultant; order 03-02, 20 h for 2800.00
    赵老师 (teacher)     lessons 03-09 and 03-10 16:00–17:00 with 张小明 (present, 150.00 each)
                         and 03-12 with 张小明 and 李小红 (scheduled); 12 growth records of 张小明
    王小虎               a lead with a trial on 03-12 (李顾问, intent teacher 赵老师)
    张妈妈 (母亲 of 张小明), 李妈妈 (of 李小红): communication records below
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from shared.auth import Principal, pin_login, revoke_device
from shared.db import Database
from shared.errors import Forbidden, Invalid
from shared.models import (
    GrowthRecord,
    Parent,
    Staff,
    StageTarget,
    Student,
    StudentParent,
    TrialLesson,
)
from shared.periods import Period
from shared.phone_views import (
    LessonView,
    follow_ups,
    me,
    my_students,
    my_tasks,
    parents,
    ranking_view,
    student_detail,
    timetable,
    trials,
)
from shared.services.lessons import enroll
from tests.shared.factories import TEST_PIN, Campus1, at, make_campus
from tests.shared.test_actuals import (
    activity,
    attend,
    contact,
    lesson,
    new_staff,
    new_student,
    sign,
    stage_id,
    target,
)

TODAY = date(2026, 3, 11)
WEEK3 = Period.of_week(2026, 3, 3)


@dataclass
class Scene:
    """Ids of the hand-made campus and principals of its people."""

    c: Campus1
    xiaoming: str
    xiaohong: str
    xiaohu: str
    zhang_mama: str
    li_mama: str
    lessons: list[str]
    follow_up: dict[str, str]
    consultant: Principal
    consultant2: Principal
    teacher: Principal
    manager: Principal


def _people(s: Session, *ids: str) -> list[Principal]:
    return [Principal.of_staff(s.get(Staff, i)) for i in ids]  # type: ignore[arg-type]


def _build(s: Session) -> Scene:
    c = make_campus(s)
    s.get(Staff, c.consultant_id).phone = "13900000002"  # type: ignore[union-attr]
    chen = new_staff(s, c.campus_id, "陈顾问", "consultant")
    xiaoming = c.student_id
    xiaohong = new_student(s, c.campus_id, "李小红")
    s.get(Student, xiaohong).consultant_id = chen  # type: ignore[union-attr]
    xiaohu = new_student(s, c.campus_id, "王小虎")
    sign(s, c, xiaoming, "new", date(2026, 3, 10), 10, 150000, c.consultant_id, c.teacher_id)
    sign(s, c, xiaohong, "new", date(2026, 3, 2), 20, 280000, chen)
    s.add(
        TrialLesson(
            campus_id=c.campus_id,
            student_id=xiaohu,
            course_id=c.course_id,
            consultant_id=c.consultant_id,
            intent_teacher_id=c.teacher_id,
            trial_on=date(2026, 3, 12),
        )
    )
    # Lessons: two attended by 张小明, one to come with both children.
    first = lesson(s, c, c.teacher_id, date(2026, 3, 9), xiaoming)
    second = lesson(s, c, c.teacher_id, date(2026, 3, 10), xiaoming)
    third = lesson(s, c, c.teacher_id, date(2026, 3, 12), xiaoming)
    enroll(s, lesson_id=third, student_id=xiaohong)
    attend(s, first, xiaoming)
    attend(s, second, xiaoming)
    for i in range(12):  # 02-01 .. 02-12, ratings cycling 1..5
        s.add(
            GrowthRecord(
                campus_id=c.campus_id,
                student_id=xiaoming,
                teacher_id=c.teacher_id,
                recorded_on=date(2026, 2, 1 + i),
                progress=1 + i % 5,
                focus=3,
                performance=3,
                learning_ability=3,
                mastery=3,
                comment=f"第{i + 1}次",
            )
        )
    s.add(
        GrowthRecord(
            campus_id=c.campus_id,
            student_id=xiaoming,
            teacher_id=c.teacher_id,
            recorded_on=date(2026, 2, 28),
            progress=5,
            focus=5,
            performance=5,
            learning_ability=5,
            mastery=5,
            is_deleted=True,
        )
    )
    # Parents.
    zhang_mama = Parent(
        campus_id=c.campus_id, name="张妈妈", phone="13800000001", wechat="zhangmama"
    )
    li_mama = Parent(campus_id=c.campus_id, name="李妈妈", phone="13800000002")
    s.add_all([zhang_mama, li_mama])
    s.flush()
    s.add_all(
        [
            StudentParent(
                student_id=xiaoming, parent_id=zhang_mama.id, relation="母亲", is_primary=True
            ),
            StudentParent(student_id=xiaohong, parent_id=li_mama.id, relation="母亲"),
        ]
    )
    # Communication records of 李顾问 with 张妈妈: 18 in February (02-01 .. 02-18, no
    # follow-up), then four with follow-up dates, and a deleted one.
    for day in range(1, 19):
        contact(s, c.campus_id, c.consultant_id, zhang_mama.id, date(2026, 2, day))
    follow_up = {
        "overdue": contact(
            s, c.campus_id, c.consultant_id, zhang_mama.id, date(2026, 3, 2),
            due=date(2026, 3, 9), student_id=xiaoming, content="约试听",
        ),
        "done": contact(
            s, c.campus_id, c.consultant_id, zhang_mama.id, date(2026, 3, 5),
            due=date(2026, 3, 6), done=True,
        ),
        "soon": contact(
            s, c.campus_id, c.consultant_id, zhang_mama.id, date(2026, 3, 10),
            due=date(2026, 3, 15),
        ),
        "later": contact(
            s, c.campus_id, c.consultant_id, zhang_mama.id, date(2026, 3, 11),
            due=date(2026, 3, 20),
        ),
        "deleted": contact(
            s, c.campus_id, c.consultant_id, zhang_mama.id, date(2026, 3, 8),
            due=date(2026, 3, 10), deleted=True,
        ),
        "teacher": contact(
            s, c.campus_id, c.teacher_id, li_mama.id, date(2026, 3, 11), due=date(2026, 3, 12),
        ),
    }  # fmt: skip
    # Targets and stage work.
    target(s, c.campus_id, "revenue", WEEK3, 500000, staff_id=c.consultant_id, role="consultant")
    target(s, c.campus_id, "consumption", WEEK3, 60000, staff_id=c.teacher_id, role="teacher")
    march = Period.of_month(2026, 3)
    target(s, c.campus_id, "revenue", march, 600000, staff_id=c.consultant_id, role="consultant")
    s.add(
        StageTarget(
            campus_id=c.campus_id,
            stage_id=stage_id(s, c.campus_id, "invitation"),
            staff_id=c.consultant_id,
            year=2026,
            month=3,
            week=3,
            target_count=5,
        )
    )
    activity(s, c.campus_id, "invitation", c.consultant_id, date(2026, 3, 9))
    activity(s, c.campus_id, "invitation", c.consultant_id, date(2026, 3, 10))
    s.flush()
    consultant, consultant2, teacher, manager = _people(
        s, c.consultant_id, chen, c.teacher_id, c.manager_id
    )
    return Scene(
        c, xiaoming, xiaohong, xiaohu, zhang_mama.id, li_mama.id, [first, second, third],
        follow_up, consultant, consultant2, teacher, manager,
    )  # fmt: skip


@pytest.fixture
def scene(db: Database) -> Scene:
    """The hand-made campus, committed."""
    with db.unit_of_work() as s:
        return _build(s)


# --------------------------------------------------------------------------- me


def test_me_shows_the_profile_and_the_devices_still_signed_in(db: Database, scene: Scene) -> None:
    now = at(TODAY, 9)
    kept = pin_login(
        db, staff_id=scene.c.consultant_id, pin=TEST_PIN, device_name="Chrome", now=now
    )
    gone = pin_login(
        db, staff_id=scene.c.consultant_id, pin=TEST_PIN, device_name="Safari", now=now
    )
    with db.unit_of_work() as s:
        revoke_device(s, device_id=gone.device_id, now=now)
    with db.reader() as s:
        view = me(s, kept.principal)
    assert (view.name, view.roles, view.campus_name, view.phone) == (
        "李顾问",
        ["consultant"],
        "测试校区T1",
        "13900000002",
    )
    assert [(d.device_id, d.name, d.is_current) for d in view.devices] == [
        (kept.device_id, "Chrome", True)
    ]
    assert view.version > 0


# --------------------------------------------------------------------------- tasks


def test_a_consultants_week_tasks(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = my_tasks(s, scene.consultant, WEEK3, today=TODAY)
    assert view.period.label == "2026年3月第3周"
    assert (view.period.start, view.period.end) == (date(2026, 3, 9), date(2026, 3, 15))
    (money,) = view.money
    # 营业额: 1500.00 signed 03-10 against 5000.00; pace 5000.00 × 6/20 = 1500.00, so on pace;
    # forecast 1500.00 × 20/6 = 5000.00.
    assert (money.metric, money.metric_name, money.role, money.role_name) == (
        "revenue",
        "营业额",
        "consultant",
        "课程顾问",
    )
    assert (money.target_fen, money.actual_fen, money.remaining_fen) == (500000, 150000, 350000)
    assert (money.expected_so_far_fen, money.gap_to_pace_fen, money.forecast_fen) == (
        150000,
        0,
        500000,
    )
    assert money.attainment_percent == Decimal("30.0")
    assert (money.status, money.status_name) == ("on_pace", "正常")
    assert (money.days_elapsed, money.days_total) == (3, 7)
    # Every active stage, in order; 邀约 2 logged of 5, 签单 1 (the order), 家长沟通 2 (03-10
    # and 03-11 records; the deleted 03-08 one does not count).
    assert [(t.code, t.name, t.target_count, t.actual_count) for t in view.stages] == [
        ("invitation", "邀约", 5, 2),
        ("visit", "到访", None, 0),
        ("trial", "试听", None, 0),
        ("sign", "签单", None, 1),
        ("renewal", "续费", None, 0),
        ("referral", "转介绍", None, 0),
        ("parent_contact", "家长沟通", None, 2),
    ]
    # Due by today: only the one due 03-09, two days overdue.
    (due,) = view.follow_ups
    assert due.record_id == scene.follow_up["overdue"]
    assert (due.due_on, due.overdue, due.days_overdue) == (date(2026, 3, 9), True, 2)
    assert (due.parent_name, due.student_name, due.staff_name, due.content) == (
        "张妈妈",
        "张小明",
        "李顾问",
        "约试听",
    )


def test_a_teachers_week_tasks(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = my_tasks(s, scene.teacher, WEEK3, today=TODAY)
    consumption, intent = view.money
    # 划课收入: 150.00 on 03-09 and on 03-10 = 300.00 against 600.00; pace 600.00 × 6/20 =
    # 180.00, so ahead by 120.00; forecast 300.00 × 20/6 = 1000.00.
    assert (consumption.metric, consumption.role) == ("consumption", "teacher")
    assert (consumption.target_fen, consumption.actual_fen) == (60000, 30000)
    assert (consumption.expected_so_far_fen, consumption.gap_to_pace_fen) == (18000, 12000)
    assert consumption.forecast_fen == 100000
    assert consumption.attainment_percent == Decimal("50.0")
    assert consumption.status == "ahead"
    # As intent teacher of 张小明's order: 1500.00 with no target.
    assert (intent.metric, intent.role, intent.role_name) == (
        "revenue",
        "intent_teacher",
        "意向教师",
    )
    assert (intent.has_target, intent.target_fen, intent.actual_fen) == (False, 0, 150000)
    assert (intent.attainment_percent, intent.status) == (None, "no_target")
    counts = {t.code: t.actual_count for t in view.stages}
    assert counts["parent_contact"] == 1  # the 03-11 record with 李妈妈
    assert counts["trial"] == 0  # the trial is only scheduled
    assert view.follow_ups == []  # due 03-12, not yet


# --------------------------------------------------------------------------- ranking


def test_the_ranking_marks_me(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = ranking_view(s, scene.consultant, 2026, 3, "revenue")
        teachers = ranking_view(s, scene.manager, 2026, 3, "consumption")
    # 陈顾问 2800.00, 李顾问 1500.00 of a 6000.00 month target (25.0 %).
    assert [(r.rank, r.staff_name, r.amount_fen, r.is_me) for r in view.rows] == [
        (1, "陈顾问", 280000, False),
        (2, "李顾问", 150000, True),
    ]
    assert (view.rows[1].target_fen, view.rows[1].attainment_percent) == (600000, Decimal("25.0"))
    assert (view.rows[0].target_fen, view.rows[0].attainment_percent) == (None, None)
    assert (view.metric_name, view.my_rank) == ("营业额", 2)
    assert [(r.rank, r.staff_name, r.amount_fen) for r in teachers.rows] == [(1, "赵老师", 30000)]
    assert teachers.my_rank is None


def test_the_ranking_refuses_an_unknown_metric(db: Database, scene: Scene) -> None:
    with db.reader() as s, pytest.raises(Invalid, match="^metric: "):
        ranking_view(s, scene.consultant, 2026, 3, "profit")


# --------------------------------------------------------------------------- timetable


def _lessons(view: list[LessonView]) -> list[tuple[object, ...]]:
    return [
        (
            lv.lesson_on.isoformat(),
            lv.starts_local,
            lv.ends_local,
            lv.status,
            lv.can_mark_attendance,
            [
                (st.student_name, st.attendance.status if st.attendance else None)
                for st in lv.students
            ],
        )
        for lv in view
    ]


def test_the_teachers_timetable_has_the_whole_class(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = timetable(s, scene.teacher, date(2026, 3, 9), date(2026, 3, 15))
    assert _lessons(view) == [
        ("2026-03-09", "16:00", "17:00", "done", True, [("张小明", "present")]),
        ("2026-03-10", "16:00", "17:00", "done", True, [("张小明", "present")]),
        ("2026-03-12", "16:00", "17:00", "scheduled", True, [("张小明", None), ("李小红", None)]),
    ]
    first = view[0]
    assert (first.course_name, first.teacher_name, first.hours) == ("钢琴", "赵老师", Decimal(1))
    assert first.students[0].attendance is not None
    assert first.students[0].attendance.charged_hours == Decimal("1.00")
    dumped = first.model_dump(mode="json")
    assert dumped["starts_at"] == "2026-03-09T08:00:00Z"
    assert dumped["lesson_id"] == scene.lessons[0]
    assert isinstance(dumped["version"], int)


def test_a_consultant_sees_only_their_students_lessons(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        mine = timetable(s, scene.consultant, date(2026, 3, 1), date(2026, 3, 31))
        other = timetable(s, scene.consultant2, date(2026, 3, 1), date(2026, 3, 31))
    assert _lessons(mine) == [
        ("2026-03-09", "16:00", "17:00", "done", False, [("张小明", "present")]),
        ("2026-03-10", "16:00", "17:00", "done", False, [("张小明", "present")]),
        ("2026-03-12", "16:00", "17:00", "scheduled", False, [("张小明", None)]),
    ]
    assert _lessons(other) == [
        ("2026-03-12", "16:00", "17:00", "scheduled", False, [("李小红", None)]),
    ]


def test_the_timetable_range_is_at_most_62_days(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        assert len(timetable(s, scene.manager, date(2026, 2, 1), date(2026, 4, 3))) == 3
        with pytest.raises(Invalid, match="^end: "):
            timetable(s, scene.manager, date(2026, 2, 1), date(2026, 4, 4))
        with pytest.raises(Invalid, match="^end: "):
            timetable(s, scene.manager, date(2026, 3, 2), date(2026, 3, 1))


# --------------------------------------------------------------------------- students


def test_my_students_with_remaining_hours_and_recent_growth(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        teacher = my_students(s, scene.teacher)
        consultant = my_students(s, scene.consultant)
    # 赵老师: 张小明 and 李小红 from the lessons, 王小虎 from the trial.
    assert [(v.name, v.remaining_hours, v.consultant_name) for v in teacher] == [
        ("张小明", Decimal("8.00"), "李顾问"),  # 10 bought, 2 attended
        ("李小红", Decimal("20.00"), "陈顾问"),
        ("王小虎", Decimal("0.00"), ""),
    ]
    growth = teacher[0].recent_growth
    # The last 10 of 12, newest first: 02-12 .. 02-03 (the deleted 02-28 one is not there).
    assert [g.recorded_on.day for g in growth] == [12, 11, 10, 9, 8, 7, 6, 5, 4, 3]
    assert (growth[0].comment, growth[0].progress, growth[0].teacher_name) == (
        "第12次",
        2,
        "赵老师",
    )
    assert teacher[1].recent_growth == []
    assert [(v.name, v.status) for v in consultant] == [("张小明", "enrolled"), ("王小虎", "lead")]


def test_student_detail_has_every_growth_record_and_the_parents(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        detail = student_detail(s, scene.consultant, scene.xiaoming)
    assert (detail.name, detail.remaining_hours, detail.status) == (
        "张小明",
        Decimal("8.00"),
        "enrolled",
    )
    assert [g.recorded_on.day for g in detail.growth_records] == list(range(12, 0, -1))
    (mother,) = detail.parents
    assert (mother.parent_name, mother.relation, mother.is_primary) == ("张妈妈", "母亲", True)
    assert (mother.phone, mother.wechat) == ("13800000001", "zhangmama")


def test_student_detail_outside_the_scope_is_forbidden(db: Database, scene: Scene) -> None:
    with db.reader() as s, pytest.raises(Forbidden, match="^id: 无权访问该学员$"):
        student_detail(s, scene.consultant, scene.xiaohong)


# --------------------------------------------------------------------------- parents


def test_the_consultants_parents_with_recent_communication(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        (mama,) = parents(s, scene.consultant)
    assert (mama.name, mama.phone, mama.wechat) == ("张妈妈", "13800000001", "zhangmama")
    assert [(k.student_name, k.relation, k.is_primary) for k in mama.students] == [
        ("张小明", "母亲", True)
    ]
    # 22 live records: the newest 20 are 03-11, 03-10, 03-05, 03-02, then 02-18 .. 02-03.
    days = [r.occurred_on.isoformat()[5:] for r in mama.communications]
    assert days == ["03-11", "03-10", "03-05", "03-02"] + [f"02-{d:02d}" for d in range(18, 2, -1)]
    # The earliest open follow-up: 03-09 (the 03-06 one is done, the 03-10 one deleted).
    assert mama.next_follow_up_on == date(2026, 3, 9)


def test_the_teachers_parents_include_every_student_of_theirs(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = parents(s, scene.teacher)
    assert [(v.name, [k.student_name for k in v.students]) for v in view] == [
        ("张妈妈", ["张小明"]),
        ("李妈妈", ["李小红"]),
    ]
    li = view[1]
    assert [(r.staff_name, r.occurred_on, r.next_follow_up_on) for r in li.communications] == [
        ("赵老师", date(2026, 3, 11), date(2026, 3, 12))
    ]
    assert li.next_follow_up_on == date(2026, 3, 12)


# --------------------------------------------------------------------------- trials


def test_trials_in_scope_and_dates(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        (mine,) = trials(s, scene.consultant)
        (taught,) = trials(s, scene.teacher, start=date(2026, 3, 12), end=date(2026, 3, 12))
        assert trials(s, scene.consultant2) == []
        assert trials(s, scene.consultant, start=date(2026, 3, 13)) == []
        assert trials(s, scene.consultant, end=date(2026, 3, 11)) == []
        with pytest.raises(Invalid, match="^end: "):
            trials(s, scene.consultant, start=date(2026, 3, 13), end=date(2026, 3, 12))
    assert mine == taught
    assert (mine.student_name, mine.course_name, mine.trial_on) == (
        "王小虎",
        "钢琴",
        date(2026, 3, 12),
    )
    assert (mine.consultant_name, mine.intent_teacher_name) == ("李顾问", "赵老师")
    assert (mine.status, mine.outcome, mine.sign_type) == ("scheduled", "pending", None)


# --------------------------------------------------------------------------- follow-ups


def test_my_follow_ups_for_the_coming_week(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = follow_ups(s, scene.consultant, today=TODAY)
    # Due by 03-18: 03-09 (overdue 2 days) and 03-15; not 03-20, not done, not deleted.
    assert [(f.record_id, f.due_on.day, f.overdue, f.days_overdue) for f in view] == [
        (scene.follow_up["overdue"], 9, True, 2),
        (scene.follow_up["soon"], 15, False, 0),
    ]


def test_the_manager_sees_every_follow_up_of_the_campus(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        view = follow_ups(s, scene.manager, today=TODAY)
        teacher = follow_ups(s, scene.teacher, today=TODAY + timedelta(days=1))
    assert [(f.due_on.day, f.staff_name, f.parent_name) for f in view] == [
        (9, "李顾问", "张妈妈"),
        (12, "赵老师", "李妈妈"),
        (15, "李顾问", "张妈妈"),
    ]
    assert [(f.due_on.day, f.overdue) for f in teacher] == [(12, False)]


# --------------------------------------------------------------------------- JSON


def test_views_are_json_ready_with_fen_integers_and_string_ids(db: Database, scene: Scene) -> None:
    with db.reader() as s:
        tasks = my_tasks(s, scene.consultant, WEEK3, today=TODAY).model_dump(mode="json")
        students = TypeAdapter(list).dump_python(my_students(s, scene.teacher), mode="json")
    money = tasks["money"][0]
    assert money["actual_fen"] == 150000 and isinstance(money["actual_fen"], int)
    assert money["attainment_percent"] == "30.0"
    assert tasks["follow_ups"][0]["due_on"] == "2026-03-09"
    assert students[0]["remaining_hours"] == "8.00"
    assert students[0]["student_id"] == scene.xiaoming
    assert isinstance(students[0]["version"], int)
    assert isinstance(tasks["stages"][0]["version"], int)
