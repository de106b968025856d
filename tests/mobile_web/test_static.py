"""The phone client is plain files: HTML, CSS and ES modules of its own, nothing fetched from
elsewhere, no web fonts, no build step; and it runs where plain http://IP:port puts it (not a
secure context: no service worker, no crypto.randomUUID, no crypto.subtle, no clipboard)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

import mobile_web
from shared.db import Database
from shared.models import StageActivity

from .support import Campus, Phone, eventually

ROOT = Path(mobile_web.STATIC_DIR)
SOURCES = sorted(p for p in ROOT.rglob("*") if p.suffix in {".html", ".css", ".js"})
IMPORT = re.compile(r"""(?:^|;)\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']""", re.M)
DYNAMIC_IMPORT = re.compile(r"""\bimport\s*\(\s*["']([^"']+)["']""")
BARE_IMPORT = re.compile(r"""^\s*import\s*["']([^"']+)["']""", re.M)


def _code(path: Path) -> str:
    """The file without its comments (they may name what the code avoids)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        return re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|(?<=[;,{}()\s])//(?![^\n]*[\"'`]).*$", "", text)


def test_the_client_is_plain_files_with_no_build_step() -> None:
    kinds = {p.suffix for p in ROOT.rglob("*") if p.is_file() and p.name != "__init__.py"}
    assert kinds <= {".html", ".css", ".js", ".json"}, kinds
    # The one JSON file marks js/ as ES modules for node's test runner; no package manager.
    assert [p.name for p in ROOT.rglob("*.json")] == ["package.json"]
    assert '"dependencies"' not in (ROOT / "js" / "package.json").read_text(encoding="utf-8")
    for stray in ("node_modules", "dist", "build"):
        assert not (ROOT / stray).exists()
    html = (ROOT / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    assert '<script type="module" src="js/app.js"></script>' in html


def test_every_module_imports_only_modules_of_its_own_folder() -> None:
    found = 0
    for path in SOURCES:
        if path.suffix != ".js":
            continue
        code = _code(path)
        specifiers = IMPORT.findall(code) + DYNAMIC_IMPORT.findall(code) + BARE_IMPORT.findall(code)
        found += len(specifiers)
        for spec in specifiers:
            assert re.fullmatch(r"\./[a-z]+\.js", spec), f"{path.name} imports {spec!r}"
            assert (path.parent / spec).is_file(), f"{path.name} imports a missing {spec}"
    assert found >= 11  # the patterns do see the client's imports (11 today)


def test_nothing_comes_from_another_site_no_web_fonts_no_service_worker() -> None:
    for path in SOURCES:
        code = _code(path)
        assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", code), path.name
        assert "@font-face" not in code and "@import" not in code, path.name
        assert not re.search(r"(?i)\.(?:woff2?|ttf|otf|eot)\b", code), path.name
        assert "serviceWorker" not in code, path.name
        assert "randomUUID" not in code, path.name
        assert "crypto.subtle" not in code and "navigator.clipboard" not in code, path.name


def test_a_whole_visit_requests_nothing_but_its_own_server(
    new_phone: Callable[[], Phone], campus: Campus
) -> None:
    phone = new_phone()
    requests: list[str] = []
    phone.page.on("request", lambda r: requests.append(r.url))
    phone.page.goto(phone.base + "/")
    phone.page.get_by_role("button", name=campus.teacher.name).click()
    phone.page.fill("#pin", campus.teacher.pin)
    phone.page.get_by_role("button", name="登录", exact=True).click()
    phone.ready("tasks")
    for tab in ("ranking", "timetable", "students", "parents", "trials", "me"):
        phone.tab(tab)
    phone.page.wait_for_load_state("networkidle")
    origin = urlsplit(phone.base).netloc
    assert requests and {urlsplit(u).netloc for u in requests if not u.startswith("data:")} == {
        origin
    }
    fonts = phone.page.evaluate(
        "performance.getEntriesByType('resource').filter(e => /font/.test(e.initiatorType) "
        "|| /\\.(woff2?|ttf|otf)$/.test(e.name)).length"
    )
    assert fonts == 0
    assert phone.page.evaluate("document.fonts.size") == 0  # no FontFace of its own


# What plain http://192.168.x.x lacks. Chromium treats 127.0.0.1 as a secure context, so the
# tests take away what a LAN address would not have, before any script of the page runs.
INSECURE = """
delete Crypto.prototype.randomUUID;
Object.defineProperty(Crypto.prototype, "subtle", { get: () => undefined });
delete Navigator.prototype.serviceWorker;
delete Navigator.prototype.clipboard;
Object.defineProperty(window, "isSecureContext", { get: () => false });
"""


def test_the_phone_works_without_what_only_secure_contexts_have(
    new_phone: Callable[[], Phone], campus: Campus, campus_db: Database
) -> None:
    phone = new_phone()
    phone.context.add_init_script(INSECURE)
    page = phone.page
    page.goto(phone.base + "/")
    assert page.evaluate(
        "[typeof crypto.randomUUID, 'serviceWorker' in navigator, isSecureContext]"
    ) == ["undefined", False, False]
    page.get_by_role("button", name=campus.consultant.name).click()
    page.fill("#pin", campus.consultant.pin)
    page.get_by_role("button", name="登录", exact=True).click()
    phone.ready("tasks")

    def logged() -> int:
        with campus_db.reader() as s:
            return s.scalar(
                select(func.count(StageActivity.id)).where(
                    StageActivity.staff_id == campus.consultant.staff_id
                )
            )

    before = logged()
    page.locator('li.stage[data-stage="invitation"]').get_by_role("button", name="+1").click()
    eventually(lambda: logged() == before + 1)
    phone.wait_synced()
    # The outbox made its ids without crypto.randomUUID: a client id and a v4 UUID per write.
    state = page.evaluate(
        """() => new Promise((ok, bad) => {
          const open = indexedDB.open("dabiao");
          open.onerror = () => bad(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction("kv").objectStore("kv").get(arguments[0]);
            get.onsuccess = () => ok(get.result);
          };
        })""".replace("arguments[0]", f"'outbox:{campus.consultant.staff_id}'")
    )
    assert re.fullmatch(r"[0-9a-f]{32}", state["clientId"])
    (entry,) = state["settled"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", entry["args"]["id"]
    )
