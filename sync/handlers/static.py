"""The mobile client (``mobile_web/``): static files at ``/``, no directory listing.

``/`` is ``index.html``; when the client is not installed (no folder, or no ``index.html``) a
short Chinese page says so instead. Paths are resolved inside the folder and anything that
escapes it, is hidden (a dot-file) or is not a regular file is 404. Files are sent with
``Cache-Control: no-cache`` and an ``ETag`` so phones pick up a new client at once (there is no
build step to version file names) yet revalidate with a cheap 304. They are sent as ordinary
responses rather than ``FileResponse`` so that the app's gzip step (:mod:`sync.app`) compresses
them: the whole first load stays far below the phone budget.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from aiohttp import web

from ..context import context

NOT_INSTALLED = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>达标</title></head>
<body><h1>达标</h1><p>手机客户端尚未安装。服务器正在运行，请联系管理员安装手机页面。</p></body></html>
"""


def _resolve(static_dir: Path | None, tail: str) -> Path | None:
    """The file under ``static_dir`` that ``tail`` names, or None."""
    if static_dir is None:
        return None
    root = static_dir.resolve()
    if any(part.startswith(".") for part in Path(tail).parts):
        return None
    try:
        candidate = (root / tail).resolve()
        if not candidate.is_relative_to(root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
    except (OSError, ValueError):  # a name too long, a NUL byte: no such file
        return None


_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}


@lru_cache(maxsize=256)
def _load(path: Path, mtime_ns: int, size: int) -> tuple[bytes, str]:
    """A file's bytes and ETag, cached until the file changes (keyed by mtime and size)."""
    body = path.read_bytes()
    return body, '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'


def _file_response(request: web.Request, path: Path) -> web.StreamResponse:
    stat = path.stat()
    body, etag = _load(path, stat.st_mtime_ns, stat.st_size)
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    content_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return web.Response(
        body=body, headers=headers, content_type=content_type or "application/octet-stream"
    )


async def client_index(request: web.Request) -> web.StreamResponse:
    """``GET /``: the mobile client's page, or a page saying it is not installed."""
    index = _resolve(context(request).static_dir, "index.html")
    if index is None:
        return web.Response(text=NOT_INSTALLED, content_type="text/html", charset="utf-8")
    return _file_response(request, index)


async def client_file(request: web.Request) -> web.StreamResponse:
    """``GET /{path}``: one file of the mobile client."""
    found = _resolve(context(request).static_dir, request.match_info["path"])
    if found is None:
        raise web.HTTPNotFound()
    return _file_response(request, found)
