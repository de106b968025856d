"""First load stays small: everything the page loads, compressed, is at most 60 KB.

The server sends files as they are (no compression), so the figure checked is the gzip size
of each response body as a compressing server would send it; the bytes actually transferred
are reported beside it.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import Page, Response

from shared.db import Database

from .support import ARTIFACTS, Campus, Phone, RunningClock, pairing_token

BUDGET = 60 * 1024


@dataclass
class Loaded:
    """What a page load fetched: per URL, bytes on the wire and gzip-compressed bytes."""

    wire: dict[str, int] = field(default_factory=dict)
    gzipped: dict[str, int] = field(default_factory=dict)

    def watch(self, page: Page) -> None:
        page.on("response", self._add)

    def _add(self, response: Response) -> None:
        if response.request.resource_type == "websocket":
            return
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request carries no body
            body = b""
        sizes = response.request.sizes()
        path = "/" + response.url.split("/", 3)[-1]
        self.wire[path] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        self.gzipped[path] = len(gzip.compress(body, 9)) + sizes["responseHeadersSize"]

    def report(self, title: str) -> str:
        lines = [f"{title}: {len(self.wire)} responses"]
        for path in sorted(self.wire):
            lines.append(f"  {path:60.60} {self.wire[path]:>8} B  gzip {self.gzipped[path]:>7} B")
        lines.append(
            f"  total on the wire {sum(self.wire.values()) / 1024:.1f} KB, "
            f"gzip {sum(self.gzipped.values()) / 1024:.1f} KB (budget {BUDGET // 1024} KB)"
        )
        return "\n".join(lines)


def _save(text: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_text(text + "\n", encoding="utf-8")
    print(text)


def test_login_screen_first_load_is_under_60_kb_compressed(
    new_phone: Callable[[], Phone],
) -> None:
    phone = new_phone()
    loaded = Loaded()
    loaded.watch(phone.page)
    phone.page.goto(phone.base + "/")
    phone.page.wait_for_selector("button.person")
    phone.page.wait_for_load_state("networkidle")
    _save(loaded.report("login screen"), "load-login.txt")
    assert "/js/app.js" in loaded.wire and "/css/app.css" in loaded.wire
    assert "/api/login/candidates" in loaded.wire
    assert sum(loaded.gzipped.values()) <= BUDGET


def test_first_load_through_to_my_tasks_is_under_60_kb_compressed(
    new_phone: Callable[[], Phone], campus: Campus, campus_db: Database, clock: RunningClock
) -> None:
    phone = new_phone()
    loaded = Loaded()
    loaded.watch(phone.page)
    token = pairing_token(campus_db, campus.consultant.staff_id, clock())
    phone.page.goto(f"{phone.base}/#pair={token}")
    phone.ready("tasks")
    phone.page.wait_for_load_state("networkidle")
    _save(loaded.report("pairing link to 我的任务"), "load-tasks.txt")
    assert "/api/me/tasks" in loaded.wire
    assert sum(loaded.gzipped.values()) <= BUDGET
