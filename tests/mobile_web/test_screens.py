"""排行, 课表 and 点名, 成长记录, 家长, 试听: each screen's main flow reaches the database."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared.db import Database
from shared.models import (
    Attendance,
    AttendanceStatus,
    CommunicationRecord,
    ConsumptionEntry,
    ConsumptionKind,
    GrowthRecord,
    Lesson,
    Parent,
    Student,
    TrialLesson,
    TrialOutcome,
    TrialStatus,
)

from .support import TODAY, Campus, Person, Phone, eventually


def test_ranking_highlights_me(phone_of: Callable[[Person], Phone], campus: Campus) -> None:
    phone = phone_of(campus.teacher)
    phone.tab("ranking")
    page = phone.page
    page.get_by_text("划课收入", exact=True).click()
    me = page.locator("ol.ranking li.me")
    expect(me).to_have_count(1)
    expect(me).to_have_attribute("aria-current", "true")
    expect(me).to_contain_text(campus.teacher.name)
    rank = me.locator(".rank").inner_text()
    expect(page.locator(".period")).to_contain_text(f"我排第 {rank} 名")
    phone.shot("ranking-consumption")
    page.get_by_text("营业额", exact=True).click()
    expect(page.locator(".period")).to_contain_text("营业额")
    phone.shot("ranking-revenue")


def _student_name(db: Database, student_id: str) -> str:
    with db.reader() as s:
        student = s.get(Student, student_id)
        assert student is not None
        return student.name


def test_roll_call_marks_attendance_and_consumes_hours(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.teacher)
    phone.tab("timetable")
    page = phone.page
    phone.shot("timetable-today")
    page.locator(f'a.lesson[href$="/{campus.lesson_id}"]').click()
    phone.ready("lesson")
    first, second, *rest = campus.lesson_students
    # Nothing marked yet: nothing to save, and the button does not claim otherwise.
    expect(page.get_by_role("button", name="选好考勤后保存")).to_be_disabled()
    page.get_by_role("button", name="全部出勤").click()
    page.locator(f'li.mark[data-student="{second}"]').get_by_text("请假").click()
    phone.shot("lesson-roll-call")
    page.get_by_role("button", name="保存点名").click()
    expect(page.get_by_role("button", name="点名已保存")).to_be_disabled()

    def marks() -> dict[str, str]:
        with campus_db.reader() as s:
            rows = s.scalars(select(Attendance).where(Attendance.lesson_id == campus.lesson_id))
            return {a.student_id: a.status.value for a in rows}

    eventually(lambda: len(marks()) == len(campus.lesson_students))
    assert marks() == {
        sid: ("leave" if sid == second else "present") for sid in campus.lesson_students
    }
    with campus_db.reader() as s:
        entries = s.scalars(
            select(ConsumptionEntry)
            .join(Attendance, Attendance.id == ConsumptionEntry.attendance_id)
            .where(Attendance.lesson_id == campus.lesson_id)
        ).all()
        present = {e.student_id for e in entries if e.hours > 0}
    assert first in present and set(rest) <= present
    phone.wait_synced()
    # The refreshed lesson shows the hours the server charged.
    expect(page.locator(f'li.mark[data-student="{first}"]')).to_contain_text("扣")
    _check_consumption(campus_db, campus.lesson_id, page)  # 出勤 and 请假
    # A correction: the student on leave came after all.
    page.locator(f'li.mark[data-student="{second}"]').get_by_text("出勤").click()
    page.get_by_role("button", name="保存点名").click()
    eventually(lambda: marks()[second] == AttendanceStatus.PRESENT.value)
    with campus_db.reader() as s:
        count = s.scalar(
            select(Attendance.id)
            .where(Attendance.lesson_id == campus.lesson_id, Attendance.student_id == second)
            .add_columns()
        )
        assert count is not None
        rows = s.scalars(
            select(Attendance).where(
                Attendance.lesson_id == campus.lesson_id, Attendance.student_id == second
            )
        ).all()
        assert len(rows) == 1  # corrected in place, not a second mark
    phone.wait_synced()
    # The other two marks: 旷课 and 补课. Each consumes hours of its own kind.
    page.locator(f'li.mark[data-student="{first}"]').get_by_text("旷课").click()
    page.locator(f'li.mark[data-student="{second}"]').get_by_text("补课").click()
    phone.shot("lesson-roll-call-corrected")
    page.get_by_role("button", name="保存点名").click()
    eventually(lambda: (marks()[first], marks()[second]) == ("absent", "makeup"))
    phone.wait_synced()
    _check_consumption(campus_db, campus.lesson_id, page)


KIND_OF = {
    "present": ConsumptionKind.NORMAL,
    "leave": ConsumptionKind.LEAVE_CHARGED,
    "absent": ConsumptionKind.ABSENCE_CHARGED,
    "makeup": ConsumptionKind.MAKEUP,
}


def _check_consumption(db: Database, lesson_id: str, page: Page) -> None:
    """Every mark of the lesson drew its charged hours as entries of its status's kind (赠课
    for gifted hours, 欠课时 when the packages ran out), and the phone shows the hours the
    server charged."""
    with db.reader() as s:
        for att in s.scalars(select(Attendance).where(Attendance.lesson_id == lesson_id)):
            entries = s.scalars(
                select(ConsumptionEntry).where(
                    ConsumptionEntry.attendance_id == att.id, ConsumptionEntry.is_deleted.is_(False)
                )
            ).all()
            kinds = {e.kind for e in entries}
            allowed = {KIND_OF[att.status.value], ConsumptionKind.GIFTED, ConsumptionKind.ARREARS}
            assert kinds <= allowed, (att.status, kinds)
            assert bool(kinds) == (att.charged_hours > 0), (att.status, kinds)
            assert sum((e.hours for e in entries), Decimal(0)) == att.charged_hours
            row = page.locator(f'li.mark[data-student="{att.student_id}"]')
            if att.charged_hours > 0:
                hours = f"{att.charged_hours.normalize():f}"
                expect(row).to_contain_text(f"扣 {hours} 课时")
            else:
                expect(row).not_to_contain_text("扣")


def test_growth_record_after_a_lesson(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.tab("timetable")
    page.locator(f'a.lesson[href$="/{campus.lesson_id}"]').click()
    phone.ready("lesson")
    page.get_by_role("button", name="全部出勤").click()
    page.get_by_role("button", name="保存点名").click()
    student = campus.lesson_students[0]
    row = page.locator(f'li.mark[data-student="{student}"]')
    row.get_by_role("link", name="成长记录").click()
    phone.ready("growth")
    for label, value in (("教程进度", 4), ("专注持久", 5), ("课堂表现", 3), ("学习能力", 4)):
        page.get_by_role("group", name=label).get_by_text(f"{value}★").click()
    page.get_by_label("教程进度说明").fill("第 12 课 · 光影练习")
    page.get_by_label("评语").fill("今天构图进步明显，回家请多练习排线。")
    page.get_by_role("button", name="保存成长记录").click()
    expect(page.get_by_role("alert")).to_have_text("请给「掌握情况」打分")
    page.get_by_role("group", name="掌握情况").get_by_text("2★").click()
    phone.shot("growth-form")
    page.get_by_role("button", name="保存成长记录").click()
    phone.ready("lesson")  # back to the roll call, for the next student
    phone.open(f"student/{student}", "student")
    expect(page.locator("li.growth").first).to_contain_text("今天构图进步明显")

    def record() -> GrowthRecord | None:
        with campus_db.reader() as s:
            return s.scalars(
                select(GrowthRecord).where(
                    GrowthRecord.student_id == student,
                    GrowthRecord.comment == "今天构图进步明显，回家请多练习排线。",
                )
            ).one_or_none()

    saved = eventually(record)
    assert (saved.progress, saved.focus, saved.performance) == (4, 5, 3)
    assert (saved.learning_ability, saved.mastery) == (4, 2)
    assert saved.lesson_id == campus.lesson_id
    assert saved.recorded_on == TODAY
    assert saved.progress_note == "第 12 课 · 光影练习"
    phone.wait_synced()
    phone.shot("student-detail")


def test_students_list_and_search(phone_of: Callable[[Person], Phone], campus: Campus) -> None:
    phone = phone_of(campus.teacher)
    phone.tab("students")
    page = phone.page
    phone.shot("students")
    name = page.locator(".list-body li strong").first.inner_text().split(" ")[0]
    page.get_by_role("searchbox", name="搜索学员姓名或学校").fill(name[:2])
    expect(page.locator(".list-body li").first).to_contain_text(name[:2])
    page.get_by_role("searchbox").fill("没有这个人")
    expect(page.locator(".list-body")).to_contain_text("没有找到")


def test_parent_communication_and_follow_up(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.tab("parents")
    phone.shot("parents")
    with campus_db.reader() as s:
        parent = s.get(Parent, campus.parent_id)
        assert parent is not None
        name, phone_number = parent.name, parent.phone
    phone.open(f"parent/{campus.parent_id}", "parent")
    call = page.get_by_role("link", name=f"拨打 {name} 电话")
    expect(call).to_have_attribute("href", "tel:" + re.sub(r"[^\d+]", "", phone_number))
    phone.shot("parent-detail")
    page.get_by_role("link", name="添加沟通记录").click()
    phone.ready("talk")
    page.get_by_role("group", name="方式").get_by_text("微信").click()
    page.get_by_label("沟通内容").fill("和家长约好周六上午补一节课。")
    page.get_by_role("button", name="3 天后").click()
    phone.shot("talk-form")
    page.get_by_role("button", name="保存沟通记录").click()
    phone.ready("parent")
    expect(page.locator("li.talk").first).to_contain_text("和家长约好周六上午补一节课。")

    def saved() -> CommunicationRecord | None:
        with campus_db.reader() as s:
            return s.scalars(
                select(CommunicationRecord).where(
                    CommunicationRecord.parent_id == campus.parent_id,
                    CommunicationRecord.content == "和家长约好周六上午补一节课。",
                )
            ).one_or_none()

    record = eventually(saved)
    assert (record.channel, record.occurred_on) == ("微信", TODAY)
    assert record.next_follow_up_on == TODAY + timedelta(days=3)
    assert record.staff_id == campus.teacher.staff_id
    phone.wait_synced()
    # Move the follow-up, then mark it done.
    page.locator("li.talk").first.get_by_role("link", name="改期/完成").click()
    phone.ready("follow")
    page.get_by_role("button", name="一周后").click()
    phone.shot("follow-form")
    page.get_by_role("button", name="改期", exact=True).click()
    phone.ready("parent")
    eventually(lambda: saved().next_follow_up_on == TODAY + timedelta(days=7))
    phone.wait_synced()
    page.locator("li.talk").first.get_by_role("link", name="改期/完成").click()
    phone.ready("follow")
    page.get_by_role("button", name="已跟进，标记完成").click()
    phone.ready("parent")
    eventually(lambda: saved().follow_up_done)
    phone.wait_synced()


def test_parent_contact_edit(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.open(f"parent/{campus.parent_id}", "parent")
    page.get_by_role("link", name="编辑").click()
    phone.ready("parent-edit")
    # A number the desktop would not accept is refused on the phone, with the rule.
    page.get_by_label("备用电话").fill("12345")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("电话号码格式不正确")
    assert page.evaluate("document.body.dataset.ready") == "parent-edit"
    page.get_by_label("备用电话").fill("0571-8888 6666")
    page.get_by_label("微信").fill("wx_parent_2026")
    phone.shot("parent-edit")
    page.get_by_role("button", name="保存").click()
    phone.ready("parent")
    expect(page.locator("dl.contact")).to_contain_text("wx_parent_2026")

    def stored() -> tuple[str, str]:
        with campus_db.reader() as s:
            parent = s.get(Parent, campus.parent_id)
            assert parent is not None
            return parent.phone2, parent.wechat

    # Stored in the canonical form the desktop uses; the screen shows it once synced.
    eventually(lambda: stored() == ("0571-88886666", "wx_parent_2026"))
    phone.wait_synced()
    expect(page.locator("dl.contact")).to_contain_text("0571-88886666")


def test_trial_outcome(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.trial_person)
    page = phone.page
    phone.tab("trials")
    phone.shot("trials")
    page.locator(f'a[href="#/trial/{campus.trial_id}"]').click()
    phone.ready("trial")
    page.get_by_role("group", name="结果").get_by_text("已签单").click()
    page.get_by_label("反馈").fill("家长当场报了 48 课时，下周开始上课。")
    phone.shot("trial-form")
    page.get_by_role("button", name="保存试听结果").click()
    phone.ready("trials")

    def trial() -> tuple[TrialStatus, TrialOutcome, str]:
        with campus_db.reader() as s:
            t = s.get(TrialLesson, campus.trial_id)
            assert t is not None
            return t.status, t.outcome, t.feedback

    eventually(lambda: trial()[1] is TrialOutcome.SIGNED)
    assert trial() == (
        TrialStatus.HELD,
        TrialOutcome.SIGNED,
        "家长当场报了 48 课时，下周开始上课。",
    )
    phone.wait_synced()


def _lessons_of(db: Database, teacher_id: str, monday: date) -> dict[str, list[str]]:
    """The teacher's lessons of the week starting ``monday``: lesson ids by date."""
    with db.reader() as s:
        rows = s.scalars(
            select(Lesson)
            .where(
                Lesson.teacher_id == teacher_id,
                Lesson.is_deleted.is_(False),
                Lesson.lesson_on >= monday,
                Lesson.lesson_on <= monday + timedelta(days=6),
            )
            .order_by(Lesson.lesson_on, Lesson.starts_at)
        )
        days: dict[str, list[str]] = {}
        for lesson in rows:
            days.setdefault(lesson.lesson_on.isoformat(), []).append(lesson.id)
        return days


def _shown_lessons(page: Page) -> list[str]:
    return [
        href.rsplit("/", 1)[-1]
        for href in page.locator("a.lesson").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    ]


def test_timetable_today_and_this_week(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.tab("timetable")
    monday = TODAY - timedelta(days=TODAY.weekday())
    week = _lessons_of(campus_db, campus.teacher.staff_id, monday)
    assert len(week) >= 2, "the demo teacher should teach on more than one day this week"
    # 今天: only today's lessons.
    expect(page.locator("a.lesson")).to_have_count(len(week[TODAY.isoformat()]))
    assert _shown_lessons(page) == week[TODAY.isoformat()]
    # 本周: every lesson of the week, under its day, in order.
    page.get_by_text("本周", exact=True).click()
    expect(page.locator("section.day")).to_have_count(len(week))
    assert _shown_lessons(page) == [i for ids in week.values() for i in ids]
    expect(page.locator(".weeknav")).to_contain_text("（本周）")
    phone.shot("timetable-week")
    # 下周 and back.
    page.get_by_role("button", name="下一周").click()
    phone.ready("timetable")
    following = _lessons_of(campus_db, campus.teacher.staff_id, monday + timedelta(days=7))
    expect(page.locator("a.lesson")).to_have_count(sum(len(v) for v in following.values()))
    assert _shown_lessons(page) == [i for ids in following.values() for i in ids]
    page.get_by_role("button", name="上一周").click()
    expect(page.locator(".weeknav")).to_contain_text("（本周）")
    assert _shown_lessons(page) == [i for ids in week.values() for i in ids]
