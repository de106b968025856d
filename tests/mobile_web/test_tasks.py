"""我的任务: money targets with pace, "+1" on a stage, follow-ups due."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import expect
from sqlalchemy import select

from shared import progress
from shared.actuals import stage_counts
from shared.db import Database
from shared.models import CommunicationRecord, Staff, StageActivity
from shared.periods import Period
from shared.phone_views import METRIC_NAMES

from .support import TODAY, Campus, Person, Phone, RunningClock, eventually


def _week_counts(db: Database, campus: Campus, person: Person) -> dict[str, int]:
    with db.reader() as s:
        # The week-of-month holding TODAY (Mon 16 – Sun 22 November 2026).
        return stage_counts(
            s,
            campus.campus_id,
            TODAY.replace(day=16),
            TODAY.replace(day=22),
            staff_id=person.staff_id,
        )


def test_plus_one_logs_a_stage_activity_that_reaches_the_database(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.consultant)
    page = phone.page
    before = _week_counts(campus_db, campus, campus.consultant)
    row = page.locator('li.stage[data-stage="invitation"]')
    shown = int(row.locator(".count").inner_text().split("/")[0])
    row.get_by_role("button", name="邀约 +1").click()
    # At once, whether or not the server has answered: the count moves.
    expect(row.locator(".count")).to_have_text(re.compile(rf"^{shown + 1}\b"))
    phone.wait_synced()
    eventually(
        lambda: (
            _week_counts(campus_db, campus, campus.consultant)["invitation"]
            == before["invitation"] + 1
        )
    )
    after = _week_counts(campus_db, campus, campus.consultant)
    assert {k: v for k, v in after.items() if k != "invitation"} == {
        k: v for k, v in before.items() if k != "invitation"
    }
    # After the refresh the server's own figure shows the same count.
    page.wait_for_function(
        "n => document.querySelector('li.stage[data-stage=invitation] .count')"
        ".textContent.startsWith(String(n))",
        arg=after["invitation"],
    )
    assert row.locator(".chip.pending").count() == 0
    phone.shot("tasks")


def test_plus_one_with_a_note(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = phone_of(campus.consultant)
    page = phone.page
    page.locator('li.stage[data-stage="visit"]').get_by_role("link", name="备注").click()
    phone.ready("stage")
    page.get_by_label("备注（可不填）").fill("刘晨妈妈周六上午带孩子来参观")
    phone.shot("stage-note")
    page.get_by_role("button", name="+1 并保存").click()
    phone.ready("tasks")

    def notes() -> list[str]:
        with campus_db.reader() as s:
            return list(
                s.scalars(
                    select(StageActivity.note).where(
                        StageActivity.staff_id == campus.consultant.staff_id,
                        StageActivity.occurred_on == TODAY,
                    )
                )
            )

    assert eventually(notes) == ["刘晨妈妈周六上午带孩子来参观"]
    phone.wait_synced()


def _money(fen: int) -> str:
    """Fen as the phone writes it: ¥1,234.50, ¥0, -¥3."""
    whole, cents = divmod(abs(fen), 100)
    return ("-" if fen < 0 else "") + f"¥{whole:,}" + (f".{cents:02d}" if cents else "")


def test_money_targets_show_actual_target_and_pace(
    new_phone: Callable[[], Phone],
    campus: Campus,
    campus_db: Database,
    demo_build: tuple[object, dict[str, str]],
    clock: RunningClock,
) -> None:
    """Both 营业额 and 划课收入 of the week, with the figures the desktop computes for the
    same person and week (shared.progress.task_view): actual, target, the pace marker."""
    week = Period.containing("week", TODAY)
    with campus_db.reader() as s:
        teachers = s.scalars(
            select(Staff).where(Staff.campus_id == campus.campus_id, Staff.is_deleted.is_(False))
        ).all()
        views = {t.id: progress.task_view(s, t.id, week, today=TODAY) for t in teachers}
    # Someone with both metrics and 划课收入 already earned this week.
    staff_id, task = max(
        (
            (i, v)
            for i, v in views.items()
            if {m.metric.value for m in v.money} >= {"revenue", "consumption"}
        ),
        key=lambda iv: next(m.actual_fen for m in iv[1].money if m.metric.value == "consumption"),
    )
    assert any(m.actual_fen > 0 for m in task.money)
    person = Person(staff_id, task.staff_name, (), demo_build[1][task.staff_name])
    phone = new_phone().pair(campus_db, person, clock())
    page = phone.page
    expect(page.locator(".period")).to_contain_text(week.label)
    cards = page.locator("article.money")
    expect(cards).to_have_count(len(task.money))
    for i, m in enumerate(task.money):
        card = cards.nth(i)
        expect(card.locator("h3")).to_contain_text(METRIC_NAMES[m.metric.value])
        expect(card.locator(".figure")).to_have_text(
            f"{_money(m.actual_fen)} / {_money(m.target_fen)}"
        )
        expect(card.locator(".facts")).to_contain_text(
            f"按进度应完成{_money(m.expected_so_far_fen)}"
        )
        expect(card.locator(".facts")).to_contain_text(f"预计本周{_money(m.forecast_fen)}")
        expect(card).to_contain_text(progress.STATUS_NAMES[m.status])
        expect(card).to_contain_text(f"第 {m.days_elapsed} 天 / 共 {m.days_total} 天")
        pace = card.locator(".bar i").get_attribute("style")
        assert pace == f"left:{m.expected_so_far_fen / m.target_fen * 100:.1f}%"
        bar = card.get_by_role("progressbar")
        done = min(100.0, m.actual_fen / m.target_fen * 100)
        assert abs(float(bar.get_attribute("aria-valuenow") or "nan") - done) < 0.1
    phone.shot("tasks-money")


def _open_follow_ups(db: Database, person: Person) -> set[str]:
    with db.reader() as s:
        return set(
            s.scalars(
                select(CommunicationRecord.id).where(
                    CommunicationRecord.staff_id == person.staff_id,
                    CommunicationRecord.is_deleted.is_(False),
                    CommunicationRecord.follow_up_done.is_(False),
                    CommunicationRecord.next_follow_up_on.is_not(None),
                )
            )
        )


def test_follow_up_done_from_the_task_list(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    before = _open_follow_ups(campus_db, campus.consultant)
    phone = phone_of(campus.consultant)
    page = phone.page
    rows = page.locator("section.card", has_text="待跟进").locator("li.row")
    assert rows.count() >= 1
    parent_name = rows.first.locator("strong").first.inner_text().split(" · ")[0]
    count = rows.count()
    rows.first.get_by_role("button", name=f"跟进 {parent_name} 完成").click()
    expect(rows).to_have_count(count - 1)  # gone at once
    eventually(lambda: _open_follow_ups(campus_db, campus.consultant) != before)
    after = _open_follow_ups(campus_db, campus.consultant)
    assert after < before and len(before - after) == 1
    phone.wait_synced()
    with campus_db.reader() as s:
        (record,) = (s.get(CommunicationRecord, i) for i in before - after)
        assert record.follow_up_done is True
