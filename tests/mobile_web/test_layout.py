"""Every screen at phone size: a screenshot, 44 px tap targets, no sideways scrolling from
360 to 430 px wide, and text that follows the phone's text-size setting."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page
from sqlalchemy import select

from shared.db import Database
from shared.models import CommunicationRecord, Stage

from .support import ROOT, Campus, Person, Phone

# Interactive things a finger must hit. Radios are drawn as their labels (the input itself
# is visually hidden), so the label's box is what counts.
TARGETS = """
() => {
  const out = [];
  const seen = new Set();
  const boxes = [...document.querySelectorAll(
    "main a, main button, main input:not([type=radio]), main select, main textarea, " +
    "main .seg label, .tabs a, header button"
  )];
  for (const el of boxes) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not shown
    if (getComputedStyle(el).visibility === "hidden") continue;
    const label = (el.getAttribute("aria-label") || el.textContent || el.tagName).trim();
    if (seen.has(el)) continue;
    seen.add(el);
    const size = `${r.width.toFixed(0)}x${r.height.toFixed(0)}`;
    if (r.height < 43.5 || r.width < 43.5) out.push(`${label.slice(0, 30)} ${size}`);
  }
  return out;
}
"""


def _screens(campus: Campus) -> list[tuple[str, str]]:
    """(route, screen) of every screen a teacher reaches."""
    week = "2026-11-16"
    return [
        ("tasks", "tasks"),
        ("ranking", "ranking"),
        ("timetable", "timetable"),
        (f"timetable/{week}", "timetable"),
        (f"lesson/{week}/{campus.lesson_id}", "lesson"),
        ("students", "students"),
        (f"student/{campus.student_id}", "student"),
        (f"growth/{campus.student_id}", "growth"),
        ("parents", "parents"),
        (f"parent/{campus.parent_id}", "parent"),
        (f"talk/{campus.parent_id}", "talk"),
        (f"parent-edit/{campus.parent_id}", "parent-edit"),
        ("trials", "trials"),
        ("me", "me"),
        ("problems", "problems"),
    ]


def _overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _check(page: Page, label: str) -> list[str]:
    """What is wrong with the screen in view: sideways scrolling from 360 to 430 px wide,
    targets under 44 px, and sideways scrolling at twice the text size on 360 px (Android's
    largest font scale; the page opts into following it)."""
    problems: list[str] = []
    for width in (360, 430):
        page.set_viewport_size({"width": width, "height": 800})
        if (extra := _overflow(page)) > 0:
            problems.append(f"{label} at {width} px: {extra} px too wide")
        problems += [f"{label} at {width} px: {t}" for t in page.evaluate(TARGETS)]
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.set_viewport_size({"width": 360, "height": 800})
    if (extra := _overflow(page)) > 0:
        problems.append(f"{label} with large text: {extra} px too wide")
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.set_viewport_size({"width": 390, "height": 844})
    return problems


def test_every_screen_fits_360_to_430_px_with_44_px_targets(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    problems: list[str] = []
    for route, screen in _screens(campus):
        phone.open(route, screen)
        name = route.split("/")[0]
        if route.startswith("timetable/"):
            page.get_by_text("本周", exact=True).click()
            name += "-week"
        phone.shot(f"screen-{name}")
        problems += _check(page, route)
    assert problems == []


def test_login_and_the_other_forms_fit_with_44_px_targets(
    new_phone: Callable[[], Phone],
    phone_of: Callable[[Person], Phone],
    campus: Campus,
    campus_db: Database,
) -> None:
    """登录 (the list and the PIN), and the forms the first test does not reach: 环节备注,
    跟进, 试听结果, and 成长卡片 (here without the desktop's renderer: its error state)."""
    problems: list[str] = []
    phone = new_phone()
    page = phone.page
    page.goto(phone.base + "/")
    page.wait_for_selector("button.person")
    phone.shot("screen-login")
    problems += _check(page, "login")
    page.locator("button.person").first.click()
    page.wait_for_selector("#pin")
    phone.shot("screen-login-pin")
    problems += _check(page, "login-pin")

    with campus_db.reader() as s:
        stage_id = s.scalar(
            select(Stage.id).where(Stage.campus_id == campus.campus_id, Stage.active.is_(True))
        )
        record = s.scalars(
            select(CommunicationRecord).where(
                CommunicationRecord.is_deleted.is_(False),
                CommunicationRecord.follow_up_done.is_(False),
                CommunicationRecord.next_follow_up_on.is_not(None),
            )
        ).first()
        assert stage_id is not None and record is not None
        follow = f"follow/{record.parent_id}/{record.id}"
    manager = phone_of(campus.manager)
    for route in (
        f"stage/{stage_id}",
        follow,
        f"trial/{campus.trial_id}",
        f"card/{campus.student_id}",
    ):
        name = route.split("/")[0]
        manager.open(route, name)
        if name == "card":
            manager.page.get_by_role("button", name="重试").wait_for()
        manager.shot(f"screen-{name}")
        problems += _check(manager.page, route)
    assert problems == []


def test_text_follows_the_phones_text_size(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    """The browser's own text-size setting (DevTools' Page.setFontSizes: what Chrome's font
    size preference, and on Android the system font scale through <meta name="text-scale">,
    change) scales every text of the page, not only the parts sized in rem by chance."""
    phone = phone_of(campus.teacher)
    page = phone.page
    sizes = """() => ({
      root: parseFloat(getComputedStyle(document.documentElement).fontSize),
      h2: parseFloat(getComputedStyle(document.querySelector('main .card h2')).fontSize),
      tab: parseFloat(getComputedStyle(document.querySelector('.tabs a')).fontSize),
      button: parseFloat(getComputedStyle(document.querySelector('main .btn')).fontSize),
      title: parseFloat(getComputedStyle(document.getElementById('title')).fontSize),
    })"""
    normal = page.evaluate(sizes)
    assert normal["root"] == 16
    cdp = phone.context.new_cdp_session(page)
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 24}})
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.documentElement).fontSize) === 24"
    )
    large = page.evaluate(sizes)
    assert large == {k: v * 1.5 for k, v in normal.items()}
    assert _overflow(page) <= 0
    phone.shot("tasks-large-text")


def test_the_stylesheet_sizes_text_in_rem_only() -> None:
    css = (ROOT / "mobile_web" / "css" / "app.css").read_text(encoding="utf-8")
    assert "-webkit-text-size-adjust: 100%" in css
    # Opted into the phone's font scale: Chrome on Android (146 on) scales 1rem by it.
    html = (ROOT / "mobile_web" / "index.html").read_text(encoding="utf-8")
    assert '<meta name="text-scale" content="scale">' in html
    assert not re.search(r"(?s)(?:html|:root)\s*\{[^}]*font-size", css)  # 1rem is the phone's
    px_fonts = re.findall(r"font(?:-size)?:[^;]*\d+px", css)
    assert px_fonts == []
