"""我的: profile, my devices (revoke one), log out."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from shared.auth import redeem_pairing_token
from shared.db import Database
from shared.sync_models import Device

from .support import PHONE, Campus, Person, Phone, RunningClock, eventually, pairing_token


def _devices(db: Database, staff_id: str) -> dict[str, Device]:
    with db.reader() as s:
        return {d.name: d for d in s.scalars(select(Device).where(Device.staff_id == staff_id))}


def test_my_devices_revoke_one_then_log_out(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database, clock: RunningClock
) -> None:
    person = campus.teacher
    # An older phone of the same person, paired from the desktop earlier.
    ticket = pairing_token(campus_db, person.staff_id, clock())
    with campus_db.unit_of_work() as s:
        redeem_pairing_token(s, token=ticket, device_name="旧手机 iPhone", now=clock())
    phone = phone_of(person)
    page = phone.page
    phone.tab("me")
    expect(page.locator("main")).to_contain_text(person.name)
    expect(page.locator("main")).to_contain_text("全部已同步")
    current = page.locator("li.row", has=page.locator(".chip.me"))
    expect(current).to_contain_text("Android 手机 · Chrome")
    phone.shot("me")
    page.get_by_role("button", name="注销设备 旧手机 iPhone").click()
    expect(page.get_by_role("button", name="注销设备 旧手机 iPhone")).to_have_count(0)
    assert _devices(campus_db, person.staff_id)["旧手机 iPhone"].revoked_at is not None
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_selector("button.person")
    assert page.evaluate("localStorage.getItem('dabiao.session')") is None
    eventually(
        lambda: _devices(campus_db, person.staff_id)["Android 手机 · Chrome"].revoked_at is not None
    )
    # The last person to log in on this phone comes first in the list.
    expect(page.locator("button.person").first).to_contain_text(person.name)


def test_a_device_revoked_on_the_desktop_returns_to_the_login(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database, clock: RunningClock
) -> None:
    from shared.auth import revoke_device

    phone = phone_of(campus.consultant)
    device = _devices(campus_db, campus.consultant.staff_id)["Android 手机 · Chrome"]
    with campus_db.unit_of_work() as s:
        revoke_device(s, device_id=device.id, now=clock())
    # The next request is refused (here: the page shown again refreshes; the live socket may
    # be closed as revoked first); the phone says so and shows the login, and forgets what it
    # had cached for that person. (A reload here would race that: the session may already be
    # gone, and a fresh login screen has nothing to say.)
    phone.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(phone.page.get_by_role("alert")).to_contain_text("请重新登录")
    phone.page.wait_for_selector("button.person")
    assert phone.page.evaluate("localStorage.getItem('dabiao.session')") is None


IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)


def test_revoking_my_other_phone_logs_it_out_at_once(
    browser: Browser,
    base_url: str,
    phone_of: Callable[[Person], Phone],
    campus: Campus,
    campus_db: Database,
    clock: RunningClock,
) -> None:
    """Two phones of one person, both paired through the desktop's link. From the first,
    我的 → 我的设备 lists both and revokes the second; the second, left open on 家长, goes
    to the login screen by itself (its live socket is closed as revoked), without a tap."""
    person = campus.teacher
    iphone = Phone(browser.new_context(**{**PHONE, "user_agent": IPHONE_UA}), base_url)
    try:
        iphone.pair(campus_db, person, clock())
        iphone.tab("parents")
        android = phone_of(person)
        android.tab("me")
        page = android.page
        rows = page.locator("li.row")
        expect(rows).to_have_count(2)
        expect(rows.filter(has=page.locator(".chip.me"))).to_contain_text("Android 手机 · Chrome")
        page.get_by_role("button", name="注销设备 iPhone · Safari").click()
        expect(rows).to_have_count(1)
        expect(page.get_by_role("button", name="注销设备 iPhone · Safari")).to_have_count(0)
        assert _devices(campus_db, person.staff_id)["iPhone · Safari"].revoked_at is not None
        expect(iphone.page.get_by_role("alert")).to_contain_text("这台设备已被注销")
        iphone.page.wait_for_selector("button.person")
        assert iphone.page.evaluate("localStorage.getItem('dabiao.session')") is None
        # The phone that revoked it is still logged in and working.
        android.tab("tasks")
        assert iphone.errors == [] and iphone.dialogs == []
    finally:
        iphone.context.close()
