"""登录: pick yourself and enter the PIN, or arrive through the desktop's pairing link."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect
from sqlalchemy import select

from shared.auth import BAD_PAIRING
from shared.db import Database
from shared.sync_models import Device

from .support import Campus, Phone, RunningClock, pairing_token


def _pick(phone: Phone, name: str) -> None:
    phone.page.goto(phone.base + "/")
    phone.page.wait_for_selector("button.person")
    phone.page.get_by_role("button", name=name).click()


def test_login_by_pin_after_a_wrong_one(
    new_phone: Callable[[], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = new_phone()
    phone.page.goto(phone.base + "/")
    phone.page.wait_for_selector("button.person")
    phone.shot("login")
    _pick(phone, campus.teacher.name)
    phone.shot("login-pin")
    phone.page.fill("#pin", "0000" if campus.teacher.pin != "0000" else "1111")
    phone.page.get_by_role("button", name="登录", exact=True).click()
    alert = phone.page.get_by_role("alert")
    alert.filter(has_text="员工或 PIN 不正确").wait_for()
    phone.page.fill("#pin", campus.teacher.pin)
    phone.page.get_by_role("button", name="登录", exact=True).click()
    phone.ready("tasks")
    assert phone.page.locator("#title").inner_text() == "我的任务"
    with campus_db.reader() as s:
        names = s.scalars(select(Device.name).where(Device.staff_id == campus.teacher.staff_id))
        assert "Android 手机 · Chrome" in list(names)
    # The login survives a reload: the token is kept on the phone.
    phone.page.reload()
    phone.ready("tasks")


def test_five_wrong_pins_lock_the_login_with_a_countdown(
    new_phone: Callable[[], Phone], campus: Campus
) -> None:
    phone = new_phone()
    _pick(phone, campus.consultant.name)
    wrong = "0000" if campus.consultant.pin != "0000" else "1111"
    submit = phone.page.locator("form button[type=submit]")
    for _ in range(4):
        phone.page.fill("#pin", wrong)
        submit.click()
        expect(submit).to_have_text("登录")  # answered: the form is back, not busy
        expect(phone.page.get_by_role("alert")).to_have_text("员工或 PIN 不正确")
    phone.page.fill("#pin", wrong)
    submit.click()
    expect(phone.page.get_by_role("alert")).to_contain_text("PIN 错误次数过多")
    expect(submit).to_be_disabled()
    expect(submit).to_contain_text("后再试")
    # Even the right PIN cannot be tried while the lock lasts.
    assert phone.page.locator("#pin").is_visible()
    phone.shot("login-locked")


def test_pairing_link_logs_in_and_cannot_be_used_twice(
    new_phone: Callable[[], Phone], campus: Campus, campus_db: Database, clock: RunningClock
) -> None:
    from desktop.pages.phones_page import pairing_url  # the address the desktop's QR holds

    token = pairing_token(campus_db, campus.teacher.staff_id, clock())
    phone = new_phone()
    phone.page.goto(pairing_url(phone.base + "/", token))
    phone.ready("tasks")
    assert token not in phone.page.url  # a one-time secret leaves the address bar
    assert phone.page.evaluate("JSON.parse(localStorage.getItem('dabiao.session')).staff.name") == (
        campus.teacher.name
    )
    other = new_phone()
    other.page.goto(f"{other.base}/#pair={token}")
    other.page.get_by_role("alert").filter(has_text=BAD_PAIRING).wait_for()
    other.page.wait_for_selector("button.person")
