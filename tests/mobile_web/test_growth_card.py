"""成长卡片 on the phone: a student's card fetched with the token, shown full width, saved."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

import mobile_web
from desktop.render.card import growth_card_png
from shared.db import Database
from sync.server import SyncServer

from .support import Campus, Person, Phone, RunningClock


@pytest.fixture
def server(qapp: object, campus_db: Database, clock: RunningClock) -> Iterator[SyncServer]:
    """The LAN server with the phone client and the desktop's real card renderer."""
    srv = SyncServer(
        campus_db,
        host="127.0.0.1",
        port=0,
        mdns=False,
        static_dir=mobile_web.STATIC_DIR,
        clock=clock,
        card_renderer=growth_card_png,
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _student_name(phone: Phone) -> str:
    return phone.page.locator("main h2").first.inner_text().split(" ")[0].strip()


def test_the_card_opens_from_the_student_page_full_width_with_a_download(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.open(f"student/{campus.student_id}", "student")
    name = _student_name(phone)
    page.get_by_role("link", name="成长卡片").click()
    phone.ready("card")
    picture = page.get_by_role("img", name=f"{name}的成长卡片")
    expect(picture).to_be_visible(timeout=15_000)
    page.wait_for_function("() => document.querySelector('img.growth-card').complete")
    natural = picture.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural == [1080, 1920]
    shown = picture.bounding_box()
    main = page.locator("main").bounding_box()
    assert shown is not None and main is not None
    assert shown["width"] > 0.8 * main["width"]  # full width of the screen's card
    expect(page.get_by_text("长按图片保存或发送给家长")).to_be_visible()
    download_link = page.get_by_role("link", name="下载图片")
    assert download_link.get_attribute("download") == f"成长卡片-{name}.png"
    with page.expect_download() as info:
        download_link.click()
    assert info.value.suggested_filename == f"成长卡片-{name}.png"
    assert info.value.path().read_bytes().startswith(b"\x89PNG")
    phone.shot("growth-card")


def test_offline_the_card_says_it_needs_the_connection(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    phone.open(f"student/{campus.student_id}", "student")  # readable offline afterwards
    phone.context.set_offline(True)
    page.get_by_role("link", name="成长卡片").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("需要连接前台电脑", timeout=15_000)
    phone.context.set_offline(False)
    page.get_by_role("button", name="重试").click()
    expect(page.locator("img.growth-card")).to_be_visible(timeout=15_000)
