"""A tap survives fresh data: a finger pressing "+1" as a change arrives still logs its +1.

The change is real: the desktop (here: a write to the campus file from another thread, as
the desktop's own code does) logs a 环节 activity for the same person; the server notices
the file change, pokes the phone, the phone fetches the changed 我的任务. All of that lands
between the finger's touchstart and its touchend, so the button under the finger would be
replaced by a new one if the screen were redrawn at once.

With a mouse-like pointer (Playwright's clicks, a stylus, a desktop browser) the click goes to
the nearest element that both the press and the release were on: with the button replaced in
between that is ``<main>``, and the +1 was lost. Chromium's touch taps hit-test again when the
finger lifts; the touch case proves the held redraw is painted after the tap all the same.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared.db import Database
from shared.models import Stage, StageActivity

from .support import TODAY, Campus, Person, Phone, eventually

FETCHED = "() => performance.getEntriesByName('dabiao:fetched:tasks').length"


def _count(page: Page, stage: str) -> int:
    text = page.locator(f'li.stage[data-stage="{stage}"] .count').inner_text()
    return int(re.match(r"\d+", text).group())  # type: ignore[union-attr]


def _logged(db: Database, person: Person, code: str) -> int:
    with db.reader() as s:
        stage_id = s.scalar(select(Stage.id).where(Stage.code == code))
        rows = s.scalars(
            select(StageActivity.id).where(
                StageActivity.staff_id == person.staff_id,
                StageActivity.stage_id == stage_id,
                StageActivity.occurred_on == TODAY,
            )
        )
        return len(list(rows))


def _desktop_logs_a_visit(db: Database, campus: Campus, person: Person) -> None:
    with db.unit_of_work() as s:
        stage = s.scalars(
            select(Stage).where(Stage.campus_id == campus.campus_id, Stage.code == "visit")
        ).one()
        s.add(
            StageActivity(
                id=str(uuid.uuid4()),
                campus_id=campus.campus_id,
                stage_id=stage.id,
                staff_id=person.staff_id,
                occurred_on=TODAY,
                note="前台登记的到访",
            )
        )


@pytest.mark.parametrize("pointer", ["mouse", "touch"])
def test_a_tap_under_way_when_changed_data_arrives_is_not_lost(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database, pointer: str
) -> None:
    person = campus.consultant
    phone = phone_of(person)
    page = phone.page
    phone.wait_synced()
    invitations, visits = _count(page, "invitation"), _count(page, "visit")
    before = _logged(campus_db, person, "invitation")
    button = page.locator('li.stage[data-stage="invitation"]').get_by_role("button", name="+1")
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = phone.context.new_cdp_session(page)

    def down() -> None:
        if pointer == "mouse":
            page.mouse.move(x, y)
            page.mouse.down()
        else:
            touch = {"type": "touchStart", "touchPoints": [{"x": x, "y": y, "id": 1}]}
            cdp.send("Input.dispatchTouchEvent", touch)

    def up() -> None:
        if pointer == "mouse":
            page.mouse.up()
        else:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    fetched = page.evaluate(FETCHED)
    # The finger goes down on "+1"...
    down()
    # ...the desktop logs a visit; the poke and the changed 我的任务 arrive meanwhile.
    _desktop_logs_a_visit(campus_db, campus, person)
    page.wait_for_function(f"n => ({FETCHED})() > n", arg=fetched, timeout=10_000)
    page.wait_for_timeout(100)  # whatever the answer causes has happened
    assert _count(page, "visit") == visits  # held: the finger is still down
    # ...and lifts: the tap is a +1 of the invitation stage, and then the visit shows.
    up()

    invitation = page.locator('li.stage[data-stage="invitation"] .count')
    expect(invitation).to_have_text(re.compile(rf"^{invitations + 1}\b"))
    expect(page.locator('li.stage[data-stage="visit"] .count')).to_have_text(
        re.compile(rf"^{visits + 1}\b")
    )
    eventually(lambda: _logged(campus_db, person, "invitation") == before + 1)
    phone.wait_synced()
    assert _logged(campus_db, person, "invitation") == before + 1


def test_a_press_the_page_loses_does_not_hold_the_screen(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    """A press whose release never reaches the page (another app took the screen) lets the
    held redraw through as the window loses focus."""
    person = campus.consultant
    phone = phone_of(person)
    page = phone.page
    phone.wait_synced()
    visits, invitations = _count(page, "visit"), _count(page, "invitation")
    box = page.locator('li.stage[data-stage="invitation"]').get_by_role("button").last
    bounds = box.bounding_box()
    assert bounds is not None
    page.mouse.move(bounds["x"] + 10, bounds["y"] + 10)
    page.mouse.down()
    _desktop_logs_a_visit(campus_db, campus, person)
    page.wait_for_function(
        "() => performance.getEntriesByName('dabiao:held:tasks').length > 0", timeout=10_000
    )
    assert _count(page, "visit") == visits
    page.evaluate("window.dispatchEvent(new Event('blur'))")
    expect(page.locator('li.stage[data-stage="visit"] .count')).to_have_text(
        re.compile(rf"^{visits + 1}\b")
    )
    page.mouse.move(0, 0)
    page.mouse.up()  # released elsewhere: no +1
    page.wait_for_timeout(300)
    assert _count(page, "invitation") == invitations
