"""Whatever people type is shown as text: markup in every free-text field stays inert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared.db import Database
from shared.models import (
    CommunicationRecord,
    Course,
    GrowthRecord,
    Lesson,
    Parent,
    Staff,
    StageActivity,
    Student,
    StudentParent,
    TrialLesson,
)

from .support import Campus, Person, Phone, eventually

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def payload(tag: str) -> str:
    """Text with both payloads, tagged so each field's value can be found again."""
    return f"{tag}{SCRIPT}{IMG}"


def _inert(page: Page, *texts: str) -> None:
    """Each text is on screen as typed; no element was made from it."""
    main = page.locator("main")
    for text in texts:
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    assert main.locator("img").count() == 0
    assert main.locator("script").count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0


def test_markup_typed_into_every_field_is_shown_as_text(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.manager)
    page = phone.page
    name, wechat, notes = payload("名"), payload("微"), payload("注")
    talk, progress, comment = payload("谈"), payload("进"), payload("评")
    stage_note, feedback = payload("环"), payload("试")

    # 家长: name, WeChat id and notes.
    phone.open(f"parent/{campus.parent_id}", "parent")
    page.get_by_role("link", name="编辑").click()
    phone.ready("parent-edit")
    page.get_by_label("姓名").fill(name)
    page.get_by_label("微信").fill(wechat)
    page.get_by_label("备注").fill(notes)
    page.get_by_role("button", name="保存").click()
    phone.ready("parent")
    _inert(page, name, wechat, notes)

    # 沟通记录 with a follow-up.
    page.get_by_role("link", name="添加沟通记录").click()
    phone.ready("talk")
    page.get_by_label("沟通内容").fill(talk)
    page.get_by_role("button", name="明天").click()
    page.get_by_role("button", name="保存沟通记录").click()
    phone.ready("parent")
    _inert(page, talk)

    # 成长记录: progress note and comment.
    phone.open(f"student/{campus.student_id}", "student")
    page.get_by_role("link", name="添加成长记录").click()
    phone.ready("growth")
    for group in ("教程进度", "专注持久", "课堂表现", "学习能力", "掌握情况"):
        page.get_by_role("group", name=group).get_by_text("5★").click()
    page.get_by_label("教程进度说明").fill(progress)
    page.get_by_label("评语").fill(comment)
    page.get_by_role("button", name="保存成长记录").click()
    phone.ready("student")
    _inert(page, progress, comment)

    # 环节 note.
    phone.tab("tasks")
    page.locator('li.stage[data-stage="invitation"]').get_by_role("link", name="备注").click()
    phone.ready("stage")
    page.get_by_label("备注（可不填）").fill(stage_note)
    page.get_by_role("button", name="+1 并保存").click()
    phone.ready("tasks")

    # 试听 feedback.
    phone.tab("trials")
    page.locator(f'a[href="#/trial/{campus.trial_id}"]').click()
    phone.ready("trial")
    page.get_by_label("反馈").fill(feedback)
    page.get_by_role("button", name="保存试听结果").click()
    phone.ready("trials")
    page.get_by_text("全部", exact=True).click()
    _inert(page, feedback)

    # Search boxes echo what was typed.
    phone.tab("parents")
    page.get_by_role("searchbox").fill(SCRIPT + "无此人" + IMG)
    _inert(page, f"没有找到“{SCRIPT}无此人{IMG}”")
    phone.tab("students")
    page.get_by_role("searchbox").fill(IMG)
    _inert(page, IMG)

    # Everything reached the server verbatim...
    def stored() -> bool:
        with campus_db.reader() as s:
            parent = s.get(Parent, campus.parent_id)
            trial = s.get(TrialLesson, campus.trial_id)
            return (
                parent is not None
                and (parent.name, parent.wechat, parent.notes) == (name, wechat, notes)
                and s.scalar(
                    select(CommunicationRecord.id).where(CommunicationRecord.content == talk)
                )
                is not None
                and s.scalar(
                    select(GrowthRecord.id).where(
                        GrowthRecord.progress_note == progress, GrowthRecord.comment == comment
                    )
                )
                is not None
                and s.scalar(select(StageActivity.id).where(StageActivity.note == stage_note))
                is not None
                and trial is not None
                and trial.feedback == feedback
            )

    eventually(stored)
    phone.wait_synced()
    # ...and comes back from it as text, in lists and details alike.
    page.reload()
    phone.ready("students")
    phone.tab("parents")
    page.get_by_role("searchbox").fill("名")
    _inert(page, name)
    phone.open(f"parent/{campus.parent_id}", "parent")
    _inert(page, name, wechat, notes, talk)
    phone.shot("xss-parent-as-text")
    phone.open(f"student/{campus.student_id}", "student")
    _inert(page, progress, comment)
    phone.tab("tasks")
    _inert(page, name, talk)  # the follow-up due tomorrow, on 我的任务


def test_markup_typed_on_the_desktop_is_shown_as_text(
    new_phone: Callable[[], Phone],
    phone_of: Callable[[Person], Phone],
    campus: Campus,
    campus_db: Database,
) -> None:
    """Names and places typed on the desktop reach the phone as data: a student's name and
    school, a relation, a course name, a lesson's title and room, a staff member's name."""
    student, school, relation = payload("学"), payload("校"), payload("亲")
    course, title, room, staff = payload("课"), payload("题"), payload("室"), payload("师")
    with campus_db.unit_of_work() as s:
        kid = s.get(Student, campus.student_id)
        lesson = s.get(Lesson, campus.lesson_id)
        teacher = s.get(Staff, campus.teacher.staff_id)
        assert kid is not None and lesson is not None and teacher is not None
        kid.name, kid.school = student, school
        link = s.scalars(
            select(StudentParent).where(
                StudentParent.student_id == campus.student_id,
                StudentParent.parent_id == campus.parent_id,
            )
        ).one()
        link.relation = relation
        lesson.title, lesson.room = title, room
        teacher.name = staff
        other = s.scalars(
            select(Lesson).where(
                Lesson.teacher_id == campus.teacher.staff_id,
                Lesson.id != campus.lesson_id,
                Lesson.lesson_on.between(date(2026, 11, 16), date(2026, 11, 22)),
                Lesson.is_deleted.is_(False),
            )
        ).first()
        assert other is not None
        other.title = ""  # shows its course's name
        owner = s.get(Course, other.course_id)
        assert owner is not None
        owner.name = course

    login = new_phone()
    login.page.goto(login.base + "/")
    login.page.wait_for_selector("button.person")
    _inert(login.page, staff)

    phone = phone_of(campus.teacher)
    page = phone.page
    phone.tab("ranking")
    page.get_by_text("划课收入", exact=True).click()
    _inert(page, staff)
    phone.tab("timetable")
    page.get_by_text("本周", exact=True).click()
    _inert(page, title, room, course)
    phone.open(f"lesson/2026-11-16/{campus.lesson_id}", "lesson")
    _inert(page, title, room, student, staff)
    phone.tab("students")
    _inert(page, student, school)
    phone.open(f"student/{campus.student_id}", "student")
    _inert(page, student, school, relation)
    phone.open(f"parent/{campus.parent_id}", "parent")
    _inert(page, student, relation)
    phone.tab("me")
    _inert(page, staff)
    phone.shot("xss-desktop-names")


def test_markup_in_the_name_search_pin_and_phone_fields_is_refused_or_shown_as_text(
    new_phone: Callable[[], Phone],
    phone_of: Callable[[Person], Phone],
    campus: Campus,
    campus_db: Database,
) -> None:
    """The remaining fields a person types into: the name search of the login (shown with
    more than 12 staff), the PIN, and a parent's two phone numbers (refused with the rule)."""
    phone = new_phone()
    page = phone.page
    page.goto(phone.base + "/")
    search = page.get_by_role("searchbox", name="搜索姓名")
    search.fill(SCRIPT + IMG)
    _inert(page, f"没有找到“{SCRIPT}{IMG}”")
    search.fill(campus.teacher.name)
    page.get_by_role("button", name=campus.teacher.name).click()
    page.fill("#pin", SCRIPT + IMG)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    _inert(page)
    assert page.evaluate("localStorage.getItem('dabiao.session')") is None

    with campus_db.reader() as s:
        parent = s.get(Parent, campus.parent_id)
        assert parent is not None
        numbers = (parent.phone, parent.phone2)
    manager = phone_of(campus.manager)
    mpage = manager.page
    manager.open(f"parent-edit/{campus.parent_id}", "parent-edit")
    for label in ("电话", "备用电话"):
        field = mpage.get_by_label(label, exact=True)
        before = field.input_value()
        field.fill(payload("电"))
        mpage.get_by_role("button", name="保存").click()
        expect(mpage.get_by_role("alert")).to_contain_text("电话号码格式不正确")
        _inert(mpage)
        field.fill(before)
    assert mpage.locator("#outbox-badge").is_hidden()
    with campus_db.reader() as s:
        parent = s.get(Parent, campus.parent_id)
        assert parent is not None and (parent.phone, parent.phone2) == numbers
