"""The mobile client (``mobile_web/``): static files at ``/``, no directory listing.

``/`` is ``index.html``; when the client is not installed (no folder, or no ``index.html``) a
short Chinese page says so instead. Paths are resolved inside the folder and anything that
escapes it, is hidden (a dot-file) or is not a regular file is 404. Files are sent with
``Cache-Control: no-cache`` so phones pick up a new client at once (there is no build step to
version file names).
"""

from __future__ import annotations

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


async def client_index(request: web.Request) -> web.StreamResponse:
    """``GET /``: the mobile client's page, or a page saying it is not installed."""
    index = _resolve(context(request).static_dir, "index.html")
    if index is None:
        return web.Response(text=NOT_INSTALLED, content_type="text/html", charset="utf-8")
    return web.FileResponse(index, headers={"Cache-Control": "no-cache"})


async def client_file(request: web.Request) -> web.StreamResponse:
    """``GET /{path}``: one file of the mobile client."""
    found = _resolve(context(request).static_dir, request.match_info["path"])
    if found is None:
        raise web.HTTPNotFound()
    return web.FileResponse(found, headers={"Cache-Control": "no-cache"})
