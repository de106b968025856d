"""手机: pairing over real HTTP, live refresh from a phone's push, devices, conflicts, server."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.pages.dashboard_page import DashboardPage
from desktop.pages.phones_page import PhonesPage
from shared.models import Parent, Role, Staff, Stage
from shared.services.parents import edit_parent
from shared.sync_models import ConflictRecord

from .conftest import DEMO_TODAY, Phone, settle


def _staff_with(ctx: AppContext, role: Role) -> Staff:
    with ctx.db.reader() as session:
        return next(
            s
            for s in session.scalars(
                select(Staff).where(Staff.campus_id == ctx.campus_id).order_by(Staff.name)
            )
            if s.has_role(role) and s.active
        )


def _pair(window: MainWindow, ctx: AppContext, qtbot, staff_id: str) -> Phone:
    """Pair a phone for ``staff_id`` through the 手机 page; return the phone, logged in."""
    page = window.show_page("phones")
    assert isinstance(page, PhonesPage)
    settle(ctx)
    page.choose_staff(staff_id)
    assert page.pair_button.isEnabled()
    page.pair_button.click()
    qtbot.waitUntil(lambda: bool(page.pair_url_label.text()), timeout=3000)
    url = page.pair_url_label.text()
    base, _, fragment = url.partition("/#")
    assert base == ctx.bridge.urls[0]
    assert fragment.startswith("pair=")
    assert page.qr_label.pixmap() is not None and not page.qr_label.pixmap().isNull()
    assert "后失效" in page.countdown_label.text()
    phone = Phone(base)
    status, session = phone.post(
        "/api/pair", {"token": fragment.removeprefix("pair="), "device_name": "测试手机"}
    )
    assert status == 200, session
    phone.token = session["token"]
    return phone


def test_pairing_a_phone_from_the_qr_page_logs_in_that_staff_member(
    served_window: MainWindow, served_ctx: AppContext, qtbot
) -> None:
    teacher = _staff_with(served_ctx, Role.TEACHER)
    phone = _pair(served_window, served_ctx, qtbot, teacher.id)
    status, me = phone.get("/api/me")
    assert status == 200, me
    assert me["staff_id"] == teacher.id
    assert me["name"] == teacher.name
    # The new device shows up in the list (the page polls while visible; refresh is enough).
    page = served_window.page("phones")
    served_window.refresh_current()
    settle(served_ctx)
    rows = [page.devices_table.row_texts(r) for r in range(page.devices_table.rowCount())]
    assert [teacher.name, "测试手机"] in [row[:2] for row in rows]


def test_revoking_a_device_locks_the_phone_out(
    served_window: MainWindow, served_ctx: AppContext, qtbot
) -> None:
    manager = _staff_with(served_ctx, Role.MANAGER)
    phone = _pair(served_window, served_ctx, qtbot, manager.id)
    page = served_window.page("phones")
    served_window.refresh_current()
    settle(served_ctx)
    row = next(
        r
        for r in range(page.devices_table.rowCount())
        if page.devices_table.row_texts(r)[1] == "测试手机"
    )
    button = page.devices_table.cellWidget(row, 5)
    assert button.text() == "撤销"
    button.click()
    settle(served_ctx)
    status, _body = phone.get("/api/me")
    assert status == 401
    row = next(
        r
        for r in range(page.devices_table.rowCount())
        if page.devices_table.row_texts(r)[1] == "测试手机"
    )
    assert page.devices_table.row_texts(row)[4].startswith("已撤销")


def test_a_phone_push_refreshes_the_open_dashboard_within_a_second(
    served_window: MainWindow, served_ctx: AppContext, qtbot
) -> None:
    manager = _staff_with(served_ctx, Role.MANAGER)
    phone = _pair(served_window, served_ctx, qtbot, manager.id)
    dashboard = served_window.show_page("dashboard")
    assert isinstance(dashboard, DashboardPage)
    settle(served_ctx)
    funnel = {row.code: row.actual_count for row in dashboard.figures.dashboard.funnel}
    with served_ctx.db.reader() as session:
        invitation = session.scalar(
            select(Stage.id).where(
                Stage.campus_id == served_ctx.campus_id, Stage.code == "invitation"
            )
        )
    answer = phone.push(
        {
            "name": "log_stage_activity",
            "args": {
                "id": str(uuid.uuid4()),
                "stage_id": invitation,
                "occurred_on": DEMO_TODAY.isoformat(),
                "note": "电话邀约",
            },
        }
    )
    assert answer["results"][0]["status"] == "applied", answer
    # No manual refresh: the server's commit reaches the window through the bridge.
    qtbot.waitUntil(
        lambda: (
            {r.code: r.actual_count for r in dashboard.figures.dashboard.funnel}["invitation"]
            == funnel["invitation"] + 1
        ),
        timeout=1000,
    )


def test_a_conflict_is_listed_with_both_values_and_reverted(
    served_window: MainWindow, served_ctx: AppContext, qtbot
) -> None:
    manager = _staff_with(served_ctx, Role.MANAGER)
    phone = _pair(served_window, served_ctx, qtbot, manager.id)
    with served_ctx.db.reader() as session:
        parent = session.scalars(
            select(Parent).where(Parent.campus_id == served_ctx.campus_id).order_by(Parent.name)
        ).first()
        parent_id, base = parent.id, parent.version
    # The desktop changes the phone number (through the operations, as a page would) …
    served_ctx.ops.write(
        lambda s: edit_parent(s, parent_id, {"phone": "13900000001"}), lambda _p: None
    )
    settle(served_ctx)

    def edit(fields: dict[str, str]) -> dict:
        return phone.push(
            {
                "name": "edit_parent",
                "base_version": base,
                "args": {"parent_id": parent_id, "fields": fields},
            }
        )["results"][0]

    # … a phone from the old base sets the WeChat id (another field: merged) …
    assert edit({"wechat": "wx_1"})["status"] == "applied"
    # … and another push from the old base sets the phone number too: a conflict.
    assert edit({"phone": "13900000002"})["status"] == "conflict"

    page = served_window.show_page("phones")
    assert isinstance(page, PhonesPage)
    qtbot.waitUntil(lambda: page.conflicts_table.rowCount() == 1, timeout=2000)
    row = page.conflicts_table.row_texts(0)
    assert row[1] == f"家长 {parent.name}"
    assert row[2:6] == ["电话", "13900000001", "13900000002", manager.name]
    page.conflicts_table.cellWidget(0, 6).click()  # 恢复原值
    qtbot.waitUntil(lambda: page.conflicts_table.rowCount() == 0, timeout=2000)
    assert page.conflicts_empty.isVisible()
    with served_ctx.db.reader() as session:
        restored = session.get(Parent, parent_id)
        assert (restored.phone, restored.wechat) == ("13900000001", "wx_1")
        record = session.scalars(
            select(ConflictRecord).where(ConflictRecord.row_id == parent_id)
        ).one()
        assert record.resolution == "reverted"


def test_stopping_the_server_disables_pairing_and_starting_it_again_works(
    served_window: MainWindow, served_ctx: AppContext, qtbot
) -> None:
    page = served_window.show_page("phones")
    assert isinstance(page, PhonesPage)
    settle(served_ctx)
    assert page.server_button.text() == "停止服务"
    assert served_ctx.bridge.urls[0] in page.server_state.text()
    assert served_ctx.bridge.urls[0] in served_window.server_label.text()
    page.server_button.click()
    qtbot.waitUntil(lambda: not served_ctx.bridge.running, timeout=5000)
    settle(served_ctx)
    assert page.server_button.text() == "启动服务"
    assert not page.pair_button.isEnabled()
    assert served_window.server_label.text() == "手机服务：已停止"
    page.server_button.click()
    qtbot.waitUntil(lambda: served_ctx.bridge.running, timeout=5000)
    settle(served_ctx)
    status, health = Phone(served_ctx.bridge.urls[0]).get("/api/health")
    assert status == 200, health
