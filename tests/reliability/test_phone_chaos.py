"""The real phone client (Chromium, ``mobile_web``) through the chaos proxy.

Chromium is told to use the proxy for everything, loopback included, so every page load,
fetch, push and WebSocket of the phone crosses it. A teacher writes communication records
and growth records, some with the phone offline and some online while the proxy drops, delays
and cuts connections; when the proxy calms down the outbox badge clears and every record is
on the server exactly once. Long-ish (a minute or two): ``bash scripts/dev.sh reliability``.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import func, select

import mobile_web
from shared.db import Database, check_database, open_database
from shared.models import CommunicationRecord, GrowthRecord
from sync.server import SyncServer

from ..mobile_web.support import CHROMIUM, CHROMIUM_ARGS, PHONE, Phone, pairing_token
from .chaos_proxy import ChaosProxy
from .harness import Clock, PhonePlan, Summary, prepare_campus_plans

RECORDS = 8  # half written offline, half online through the chaos


@pytest.fixture
def proxy_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop in a thread of its own, for the proxy (Playwright's API is sync)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _count(db: Database, model: type, column: str, text: str) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count(model.id)).where(getattr(model, column) == text))


def _write_talk(phone: Phone, plan: PhonePlan, text: str) -> None:
    page = phone.page
    phone.open(f"parent/{plan.parents[0]}", "parent")
    page.get_by_role("link", name="添加沟通记录").click()
    phone.ready("talk")
    page.get_by_label("沟通内容").fill(text)
    page.get_by_role("button", name="保存沟通记录").click()
    phone.ready("parent")


def _write_growth(phone: Phone, plan: PhonePlan, text: str) -> None:
    page: Page = phone.page
    phone.open(f"student/{plan.students[0]}", "student")
    page.get_by_role("link", name="添加成长记录").click()
    phone.ready("growth")
    for group in ("教程进度", "专注持久", "课堂表现", "学习能力", "掌握情况"):
        page.get_by_role("group", name=group).get_by_text("4★").click()
    page.get_by_label("评语").fill(text)
    page.get_by_role("button", name="保存成长记录").click()
    phone.ready("student")


@pytest.mark.reliability
@pytest.mark.timeout(600)
def test_the_phone_client_converges_exactly_once_through_the_chaos(
    tmp_path: Path, campus_template: Path, proxy_loop: asyncio.AbstractEventLoop
) -> None:
    clock = Clock()
    seed = int(os.environ.get("DABIAO_RELIABILITY_SEED", random.SystemRandom().randrange(2**31)))
    print(f"\nphone-chaos: seed {seed}", flush=True)
    path = tmp_path / "campus.dabiao"
    shutil.copyfile(campus_template, path)
    plan = next(p for p in prepare_campus_plans(path) if p.marks)  # a teacher
    db = open_database(path, create=False)
    server = SyncServer(db, host="127.0.0.1", port=0, mdns=False, static_dir=mobile_web.STATIC_DIR)
    server.start()
    host, port = server.urls[0].removeprefix("http://").rsplit(":", 1)
    proxy = ChaosProxy(lambda: (host, int(port)), seed, max_life=5.0)
    proxy.calm()
    proxy_port = asyncio.run_coroutine_threadsafe(proxy.start(), proxy_loop).result(10)
    texts = [f"可靠性 浏览器 {seed} 第{i + 1}条" for i in range(RECORDS)]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    f"--proxy-server=http://127.0.0.1:{proxy_port}",
                    "--proxy-bypass-list=<-loopback>",  # loopback too goes through the proxy
                ],
            )
            try:
                phone = Phone(browser.new_context(**PHONE), server.urls[0])
                token = pairing_token(db, plan.staff_id, datetime.now(UTC))
                phone.page.goto(f"{server.urls[0]}/#pair={token}")
                phone.ready("tasks")
                # Visit the screens once while calm: their data stays readable offline.
                phone.open(f"parent/{plan.parents[0]}", "parent")
                phone.open(f"student/{plan.students[0]}", "student")
                proxy.rage()
                for i, text in enumerate(texts):
                    offline = i % 2 == 0
                    phone.context.set_offline(offline)
                    (_write_talk if i % 4 < 2 else _write_growth)(phone, plan, text)
                    phone.page.wait_for_timeout(random.Random(seed + i).randint(100, 1500))
                phone.context.set_offline(False)
                phone.page.wait_for_timeout(5000)  # pushes meet the chaos for a while
                proxy.calm()
                # The client's backoff reaches 30–60 s after many failures.
                expect(phone.page.locator("#outbox-badge")).to_be_hidden(timeout=120_000)
                assert not phone.errors, phone.errors
            finally:
                browser.close()
        counts = [
            _count(db, CommunicationRecord, "content", t)
            if i % 4 < 2
            else _count(db, GrowthRecord, "comment", t)
            for i, t in enumerate(texts)
        ]
        print(
            f"phone-chaos: connections {proxy.connections} {dict(proxy.fates)}, records {counts}",
            flush=True,
        )
        integrity = check_database(path).integrity
        Summary(
            name="phone-chaos",
            seed=seed,
            trials=proxy.connections,
            mutations_made=RECORDS,
            mutations_acknowledged=RECORDS,  # the badge cleared: the server answered for all
            lost=counts.count(0),
            duplicated=sum(c - 1 for c in counts if c > 1),
            integrity_checks=1,
            integrity_checks_passed=int(integrity == ["ok"]),
            extra={"fates": dict(proxy.fates)},
            seconds=clock(),
        ).write()
        assert counts == [1] * RECORDS, counts
        assert integrity == ["ok"], integrity
        assert proxy.fates["cut_response"] + proxy.fates["cut_request"] > 0, dict(proxy.fates)
    finally:
        asyncio.run_coroutine_threadsafe(proxy.close(), proxy_loop).result(10)
        server.stop()
        db.close()
