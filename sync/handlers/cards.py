"""Growth cards as pictures: ``GET /api/students/{id}/growth-card.png``.

The server draws nothing itself (``sync`` never imports Qt): whoever starts it passes a
``card_renderer`` that turns :class:`~shared.growth_card.GrowthCardData` into PNG bytes (the
desktop and ``dabiao serve`` pass ``desktop.render.card.growth_card_png``). Drawing takes a
tenth of a second, so it runs on a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from shared.errors import StorageUnavailable
from shared.growth_card import GrowthCardData, growth_card
from shared.periods import local_date_of
from shared.services.common import check_uuid

from ..context import context, principal, run_read

CardRenderer = Callable[[GrowthCardData], bytes]

CARD_RENDERER = web.AppKey("card_renderer", object)

NO_RENDERER = "这台服务器不能生成成长卡片图片（没有图形组件）；请在前台电脑的达标程序里生成"


def card_renderer(app: web.Application) -> CardRenderer | None:
    """The renderer the app was made with, if any."""
    renderer = app.get(CARD_RENDERER)
    return renderer if callable(renderer) else None  # type: ignore[return-value]


async def growth_card_png(request: web.Request) -> web.Response:
    """``GET /api/students/{id}/growth-card.png``: the student's growth card (403 outside the
    caller's scope, 404 unknown, 503 when this server cannot draw)."""
    caller = principal(request)
    student_id = check_uuid(request.match_info["id"], "id")
    today = local_date_of(context(request).clock())
    data = await run_read(
        request, lambda s: growth_card(s, student_id, today=today, principal=caller)
    )
    renderer = card_renderer(request.app)
    if renderer is None:
        raise StorageUnavailable(NO_RENDERER)
    png = await asyncio.get_running_loop().run_in_executor(None, renderer, data)
    return web.Response(
        body=png,
        content_type="image/png",
        headers={"Cache-Control": "no-store"},
    )
