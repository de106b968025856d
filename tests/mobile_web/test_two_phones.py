"""Two phones, two people, one parent: other fields merge, the same field is a conflict."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect
from sqlalchemy import select

from shared.db import Database
from shared.models import Parent
from shared.sync_models import ConflictRecord

from .support import Campus, Person, Phone, eventually


def _parent(db: Database, parent_id: str) -> Parent:
    with db.reader() as s:
        parent = s.get(Parent, parent_id)
        assert parent is not None
        return parent


def _conflicts(db: Database, parent_id: str) -> list[ConflictRecord]:
    with db.reader() as s:
        return list(s.scalars(select(ConflictRecord).where(ConflictRecord.row_id == parent_id)))


def _open_edit(phone: Phone, parent_id: str) -> None:
    phone.open(f"parent/{parent_id}", "parent")
    phone.page.get_by_role("link", name="编辑").click()
    phone.ready("parent-edit")


def _save(phone: Phone) -> None:
    phone.page.get_by_role("button", name="保存").click()
    phone.ready("parent")


def test_edits_of_different_fields_merge(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    teacher, manager = phone_of(campus.teacher), phone_of(campus.manager)
    _open_edit(teacher, campus.parent_id)
    _open_edit(manager, campus.parent_id)  # both looked at the same version
    teacher.page.get_by_label("备用电话").fill("139 0000 1111")
    _save(teacher)
    eventually(lambda: _parent(campus_db, campus.parent_id).phone2 == "13900001111")
    teacher.wait_synced()
    manager.page.get_by_label("微信").fill("manager_wx")
    _save(manager)
    eventually(lambda: _parent(campus_db, campus.parent_id).wechat == "manager_wx")
    manager.wait_synced()
    parent = _parent(campus_db, campus.parent_id)
    assert (parent.phone2, parent.wechat) == ("13900001111", "manager_wx")
    assert _conflicts(campus_db, campus.parent_id) == []
    for phone in (teacher, manager):
        expect(phone.page.locator("#problems-badge")).to_be_hidden()
    # Each phone ends up showing both changes.
    teacher.open(f"parent/{campus.parent_id}", "parent")
    expect(teacher.page.locator("dl.contact")).to_contain_text("manager_wx")
    expect(manager.page.locator("dl.contact")).to_contain_text("13900001111")


def test_the_same_field_from_both_phones_is_a_conflict_the_later_one_sees(
    phone_of: Callable[[Person], Phone], campus: Campus, campus_db: Database
) -> None:
    teacher, manager = phone_of(campus.teacher), phone_of(campus.manager)
    _open_edit(teacher, campus.parent_id)
    _open_edit(manager, campus.parent_id)
    teacher.page.get_by_label("备注").fill("甲：周末上午方便接电话")
    _save(teacher)
    eventually(lambda: _parent(campus_db, campus.parent_id).notes == "甲：周末上午方便接电话")
    teacher.wait_synced()
    manager.page.get_by_label("备注").fill("乙：只在工作日晚上联系")
    _save(manager)
    badge = manager.page.locator("#problems-badge")
    expect(badge).to_have_text("需处理 1")
    (record,) = eventually(lambda: _conflicts(campus_db, campus.parent_id))
    assert (record.kind, record.table_name, record.field) == ("same_field", "parents", "notes")
    assert record.overwritten_value == "甲：周末上午方便接电话"
    assert record.applied_value == "乙：只在工作日晚上联系"
    assert record.staff_id == campus.manager.staff_id
    # The later-arriving write won; the teacher's phone saw no conflict of its own.
    assert _parent(campus_db, campus.parent_id).notes == "乙：只在工作日晚上联系"
    expect(teacher.page.locator("#problems-badge")).to_be_hidden()
    badge.click()
    manager.ready("problems")
    item = manager.page.locator("li.problem")
    expect(item).to_contain_text("修改冲突")
    expect(item).to_contain_text("「备注」别人也改过")
    expect(item).to_contain_text("甲：周末上午方便接电话")
    manager.shot("problems")
    item.get_by_role("button", name="知道了：修改家长").click()
    expect(badge).to_be_hidden()
    expect(manager.page.locator("main")).to_contain_text("没有需要处理的记录")
