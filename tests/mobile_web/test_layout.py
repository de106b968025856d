"""Every screen at phone size: a screenshot, 44 px tap targets, no sideways scrolling from
360 to 430 px wide, and text that follows the phone's text-size setting."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page

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
        for width in (360, 430):
            page.set_viewport_size({"width": width, "height": 800})
            if (extra := _overflow(page)) > 0:
                problems.append(f"{route} at {width} px: {extra} px too wide")
            problems += [f"{route} at {width} px: {t}" for t in page.evaluate(TARGETS)]
        # The phone's largest text setting on the narrowest phone still fits.
        page.evaluate("document.documentElement.style.fontSize = '125%'")
        page.set_viewport_size({"width": 360, "height": 800})
        if (extra := _overflow(page)) > 0:
            problems.append(f"{route} with large text: {extra} px too wide")
        page.evaluate("document.documentElement.style.fontSize = ''")
        page.set_viewport_size({"width": 390, "height": 844})
    assert problems == []


def test_text_follows_the_phones_text_size(
    phone_of: Callable[[Person], Phone], campus: Campus
) -> None:
    phone = phone_of(campus.teacher)
    page = phone.page
    size = "parseFloat(getComputedStyle(document.querySelector('main .card h2')).fontSize)"
    normal = page.evaluate(size)
    page.evaluate("document.documentElement.style.fontSize = '125%'")
    assert page.evaluate(size) == normal * 1.25
    phone.shot("tasks-large-text")


def test_the_stylesheet_sizes_text_in_rem_only() -> None:
    css = (ROOT / "mobile_web" / "css" / "app.css").read_text(encoding="utf-8")
    assert "-webkit-text-size-adjust: 100%" in css
    px_fonts = re.findall(r"font(?:-size)?:[^;]*\d+px", css)
    assert px_fonts == []
