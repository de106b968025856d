"""Offline first: writes wait in the outbox with a badge and arrive exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shared.db import Database
from shared.models import CommunicationRecord, GrowthRecord, StageActivity

from .support import TODAY, Campus, Person, Phone, eventually


def _counts(db: Database, campus: Campus) -> tuple[int, int, int]:
    with db.reader() as s:
        stages = s.scalar(
            select(func.count(StageActivity.id)).where(
                StageActivity.staff_id == campus.teacher.staff_id,
                StageActivity.occurred_on == TODAY,
            )
        )
        growth = s.scalar(
            select(func.count(GrowthRecord.id)).where(GrowthRecord.comment == "离线写的评语")
        )
        talks = s.scalar(
            select(func.count(CommunicationRecord.id)).where(
                CommunicationRecord.content == "离线时打的电话"
            )
        )
        return stages, growth, talks


def test_three_records_made_offline_arrive_once_each(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    # Visit the screens once online: their data stays readable offline.
    phone.open(f"student/{campus.student_id}", "student")
    phone.open(f"parent/{campus.parent_id}", "parent")
    phone.tab("tasks")
    before = _counts(campus_db, campus)

    phone.context.set_offline(True)
    expect(page.locator("#conn")).to_be_visible()
    page.locator('li.stage[data-stage="parent_contact"]').get_by_role("button").last.click()
    expect(phone.page.locator("#outbox-badge")).to_have_text("待同步 1")

    phone.open(f"student/{campus.student_id}", "student")
    page.get_by_role("link", name="添加成长记录").click()
    phone.ready("growth")
    for group in ("教程进度", "专注持久", "课堂表现", "学习能力", "掌握情况"):
        page.get_by_role("group", name=group).get_by_text("3★").click()
    page.get_by_label("评语").fill("离线写的评语")
    page.get_by_role("button", name="保存成长记录").click()
    phone.ready("student")
    expect(page.locator("li.growth").first.locator(".chip.pending")).to_be_visible()
    expect(phone.page.locator("#outbox-badge")).to_have_text("待同步 2")

    phone.open(f"parent/{campus.parent_id}", "parent")
    page.get_by_role("link", name="添加沟通记录").click()
    phone.ready("talk")
    page.get_by_label("沟通内容").fill("离线时打的电话")
    page.get_by_role("button", name="保存沟通记录").click()
    phone.ready("parent")
    expect(page.locator("li.talk").first).to_contain_text("待同步")
    expect(phone.page.locator("#outbox-badge")).to_have_text("待同步 3")
    phone.shot("offline-pending")
    page.wait_for_timeout(1500)  # a retry or two fail meanwhile; nothing may be lost or doubled
    assert _counts(campus_db, campus) == before

    phone.context.set_offline(False)
    phone.wait_synced()
    expected = (before[0] + 1, before[1] + 1, before[2] + 1)
    eventually(lambda: _counts(campus_db, campus) == expected)
    page.wait_for_timeout(1000)  # later pokes and retries change nothing
    assert _counts(campus_db, campus) == expected
    expect(page.locator("#conn")).to_be_hidden()


def test_cached_screens_read_offline_after_a_reload(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.tab("timetable")
    phone.context.set_offline(True)
    # A reload without the network cannot fetch the page itself; the data is what matters:
    # tabs visited before still show their last data, marked as such.
    phone.tab("tasks")
    phone.tab("timetable")
    expect(page.locator(".stale")).to_contain_text("取到的数据")
    expect(page.locator("a.lesson").first).to_be_visible()
    page.click('.tabs a[data-tab="ranking"]')  # never visited: says it cannot reach the PC
    expect(page.get_by_role("alert")).to_contain_text("连不上前台电脑")
    phone.shot("offline-no-data")
    phone.context.set_offline(False)
    page.get_by_role("button", name="重试").click()
    phone.ready("ranking")
    expect(page.locator("ol.ranking li").first).to_be_visible()


def test_after_a_reload_with_the_pc_unreachable_the_last_data_comes_from_indexeddb(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    """Memory is gone after a reload: what the screens show then was kept in IndexedDB. The
    page files still load (the browser keeps them); every call to the PC fails."""
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.tab("timetable")
    lessons = page.locator("a.lesson").count()
    assert lessons >= 1
    phone.open(f"student/{campus.student_id}", "student")
    student = page.locator("main h2").first.inner_text()
    phone.tab("tasks")
    before = _counts(campus_db, campus)
    page.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    page.locator('li.stage[data-stage="parent_contact"]').get_by_role("button").last.click()
    expect(page.locator("#outbox-badge")).to_have_text("待同步 1")

    page.reload()
    phone.ready("tasks")
    expect(page.locator(".stale")).to_contain_text("连不上前台电脑，显示的是")
    expect(page.locator("#outbox-badge")).to_have_text("待同步 1")  # the outbox, too
    expect(page.locator('li.stage[data-stage="parent_contact"] .chip.pending')).to_be_visible()
    phone.tab("timetable")
    expect(page.locator(".stale")).to_be_visible()
    expect(page.locator("a.lesson")).to_have_count(lessons)
    phone.open(f"student/{campus.student_id}", "student")
    expect(page.locator("main h2").first).to_have_text(student)
    phone.shot("offline-after-reload")
    assert _counts(campus_db, campus) == before

    page.unroute("**/api/**")
    page.locator("#outbox-badge").click()  # to 我的, where 立即同步 is
    phone.ready("me")
    page.get_by_role("button", name="立即同步").click()
    phone.wait_synced()
    expected = (before[0] + 1, before[1], before[2])
    eventually(lambda: _counts(campus_db, campus) == expected)


def _until(page: Page, check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``check`` while Playwright delivers its events (route handlers run then)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def test_a_refresh_that_overtakes_a_first_load_still_says_the_pc_is_unreachable(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    """A screen never fetched before is loading when a refresh starts (a poke, the page
    shown again, the live socket opening); both fail: the screen must say so and offer 重试,
    not stay on 正在加载… for ever."""
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.wait_synced()
    page.wait_for_timeout(400)  # the refresh of the live socket's opening is over
    held: list = []
    page.route("**/api/ranking*", lambda route: held.append(route))
    page.click('.tabs a[data-tab="ranking"]')
    _until(page, lambda: len(held) >= 2)  # the screen's own load: 营业额 and 划课收入
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # a refresh
    _until(page, lambda: len(held) >= 4)
    for route in held:
        route.abort("internetdisconnected")
    expect(page.get_by_role("alert")).to_contain_text("连不上前台电脑")
    page.unroute("**/api/ranking*")
    page.get_by_role("button", name="重试").click()
    phone.ready("ranking")
