"""Rows that leave a person's scope leave the phone: also the screens kept for offline reading.

The desktop hands a student to another consultant. The first consultant's phone, looking at
another screen, hears the poke, asks the server's pull which rows are gone (the "gone" list of
/tmp/contract-pull-gone.md), and forgets them in every kept screen: the student's page goes,
the student leaves the kept students list, and their parents (linked to nobody else of hers)
leave the kept parents list. After a reload with the PC unreachable, none of it can be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared import sync_log
from shared.db import Database
from shared.models import Order, Staff, Student, StudentParent, TrialLesson
from shared.services.students import update_student
from shared.sync_log import API_SCHEMA_VERSION

from .support import Campus, Person, Phone, eventually

READ = """([key]) => new Promise((ok, bad) => {
  const open = indexedDB.open("dabiao");
  open.onerror = () => bad(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction("kv").objectStore("kv").get(key);
    get.onsuccess = () => ok(get.result === undefined ? null : get.result);
  };
})"""


def _kept(page: Page, staff_id: str, path: str) -> Any:
    """The screen ``path`` as kept in the phone's IndexedDB (None when not kept)."""
    return page.evaluate(READ, [f"cache:{staff_id}:{path}"])


def _pick(db: Database, consultant: Person) -> tuple[str, str]:
    """A student who is the consultant's only through ``consultant_id`` (no order she signed,
    no trial of hers), with parents; and another consultant to hand the student to."""
    me = consultant.staff_id
    with db.reader() as s:
        student_id = s.scalar(
            select(Student.id)
            .where(
                Student.consultant_id == me,
                Student.is_deleted.is_(False),
                ~select(Order.id)
                .where(Order.student_id == Student.id, Order.consultant_id == me)
                .exists(),
                ~select(TrialLesson.id)
                .where(TrialLesson.student_id == Student.id, TrialLesson.consultant_id == me)
                .exists(),
                select(StudentParent.id)
                .where(StudentParent.student_id == Student.id, StudentParent.is_deleted.is_(False))
                .exists(),
            )
            .order_by(Student.name)
        )
        assert student_id is not None, "no student of the consultant through consultant_id only"
        other = s.scalars(
            select(Staff.id).where(
                Staff.campus_id == consultant_campus(s, me),
                Staff.id != me,
                Staff.is_deleted.is_(False),
                Staff.roles == ["consultant"],
            )
        ).first()
        assert other is not None
        return student_id, other


def consultant_campus(s: Any, staff_id: str) -> str:
    staff = s.get(Staff, staff_id)
    assert staff is not None
    return staff.campus_id


def _gone(db: Database, campus: Campus, person: Person, since: int) -> dict[str, set[str]]:
    """What the server's pull names gone for ``person`` since ``since``."""
    with db.reader() as s:
        answer = sync_log.pull(s, person.principal(campus.campus_id), since, API_SCHEMA_VERSION)
        assert not answer.has_more and not answer.reset
        return {table: set(ids) for table, ids in answer.gone.items()}


def test_a_student_handed_to_another_consultant_leaves_the_phone(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    person = campus.consultant
    student_id, other = _pick(campus_db, person)
    phone = phone_of(person)
    page = phone.page
    staff = person.staff_id
    pulls: list[str] = []
    page.on("request", lambda r: pulls.append(r.url) if "/api/pull" in r.url else None)
    # Visit the screens: they are kept for reading offline.
    phone.tab("students")
    phone.open(f"student/{student_id}", "student")
    phone.tab("parents")
    phone.tab("ranking")  # a screen the change does not touch
    assert _kept(page, staff, f"/api/students/{student_id}") is not None
    assert student_id in {s["student_id"] for s in _kept(page, staff, "/api/students")["data"]}
    kept_parents = {p["parent_id"] for p in _kept(page, staff, "/api/parents")["data"]}
    phone.wait_synced()
    page.wait_for_timeout(300)  # the hello has been answered: the phone has its version
    since = page.evaluate(READ, [f"pull:{staff}"])["since"]

    # The desktop hands the student to a colleague.
    with campus_db.unit_of_work() as s:
        update_student(s, student_id, {"consultant_id": other})
    gone = _gone(campus_db, campus, person, since)
    assert student_id in gone["students"]
    gone_parents = gone.get("parents", set()) & kept_parents
    assert gone_parents, "the student's parents should leave with her"

    eventually(lambda: _kept(page, staff, f"/api/students/{student_id}") is None)
    students = _kept(page, staff, "/api/students")["data"]
    assert students and student_id not in {x["student_id"] for x in students}
    parents = {p["parent_id"] for p in _kept(page, staff, "/api/parents")["data"]}
    assert parents and not gone_parents & parents
    assert kept_parents - gone.get("parents", set()) <= parents  # the others stay
    eventually(lambda: page.evaluate(READ, [f"pull:{staff}"])["since"] > since)
    # The phone asks only for the ids (only=gone): no rows travel on a poke.
    assert pulls and all("only=gone" in url for url in pulls), pulls

    # Read offline after a reload: the student and their parents are nowhere to be seen.
    page.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    page.reload()
    phone.ready("ranking")
    phone.tab("students")
    expect(page.locator(".stale")).to_be_visible()
    expect(page.locator(f'a[href="#/student/{student_id}"]')).to_have_count(0)
    page.evaluate("h => { location.hash = h; }", f"#/student/{student_id}")
    expect(page.get_by_role("alert")).to_contain_text("连不上前台电脑")
    phone.tab("parents")
    for parent_id in gone_parents:
        expect(page.locator(f'a[href="#/parent/{parent_id}"]')).to_have_count(0)
    page.unroute("**/api/**")


def test_new_roles_start_the_kept_screens_over(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    """A change of the person's own roles changes what they may see as a whole: the pull
    answers "reset", and every screen kept from before is forgotten (the one in view is
    fetched again)."""
    person = campus.consultant
    phone = phone_of(person)
    page = phone.page
    staff = person.staff_id
    phone.tab("students")
    first = _kept(page, staff, "/api/students")["data"][0]["student_id"]
    phone.open(f"student/{first}", "student")
    phone.tab("ranking")
    phone.wait_synced()
    eventually(lambda: page.evaluate(READ, [f"pull:{staff}"]) is not None)
    with campus_db.unit_of_work() as s:
        me = s.get(Staff, staff)
        assert me is not None
        me.roles = ["consultant", "teacher"]
    eventually(lambda: _kept(page, staff, "/api/students") is None)
    assert _kept(page, staff, f"/api/students/{first}") is None
    eventually(lambda: _kept(page, staff, "/api/ranking?metric=revenue") is not None)
    expect(page.locator("ol.ranking li").first).to_be_visible()
