"""The aiohttp application of the LAN server: :func:`make_app`.

The app is built from the route table (:mod:`sync.routes`); every request passes through the
error middleware (every failure becomes one JSON shape, :mod:`sync.errors`) and then the auth
middleware (Host/Origin, then the bearer token on private routes, :mod:`sync.auth`). Before a
handler runs, the route's query and body models parse the input, so a handler starts with
valid input and does one thing: call a service and render the answer.

Read routes marked ``cacheable`` in the table answer from :mod:`sync.cache` while nothing has
committed since their answer was computed.

Lifecycles use ``cleanup_ctx``: the database threads, then the live hub's watch for other
writers (and the cache's commit listeners); ``on_shutdown`` closes the WebSockets so that
cleanup never waits on a phone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from shared.db import Database
from shared.periods import local_date_of, utc_now

from . import openapi
from .auth import make_auth_middleware, normal_host
from .cache import AnswerCache, Generations
from .context import CONTEXT, PRINCIPAL, ServerContext, context, make_db_executor
from .errors import error_middleware
from .handlers.cards import CARD_RENDERER, CardRenderer
from .handlers.public import program_version
from .live import CommitInfo, LiveHub
from .parsing import BODY, QUERY, parse_body, parse_query
from .routes import Route, public_names, routes, websocket_names

# Pushes come in batches from a phone's outbox; a batch beyond this is split by the client.
MAX_BODY_BYTES = 256 * 1024


def _with_inputs(route: Route) -> Handler:
    """The route's handler, preceded by parsing its query and body with the table's models."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if route.query is not None:
            request[QUERY] = parse_query(request, route.query)
        if route.body is not None:
            request[BODY] = await parse_body(request, route.body)
        if not route.cacheable:
            return await route.handler(request)
        return await _cached(route, request)

    handler.__doc__ = route.handler.__doc__
    return handler


async def _cached(route: Route, request: web.Request) -> web.StreamResponse:
    """A read route's answer from the cache, or computed and kept (see :mod:`sync.cache`)."""
    ctx = context(request)
    caller = request.get(PRINCIPAL)
    key = (
        route.name,
        caller.staff_id if caller else None,
        caller.device_id if caller else None,
        request.rel_url.path_qs,
        local_date_of(ctx.clock()),
    )
    synced_only = not route.reads_unsynced
    body = ctx.cache.answer(key, synced_only=synced_only)
    if body is not None:
        return web.Response(body=body, content_type="application/json")
    generation = ctx.cache.generations.current(synced_only=synced_only)
    response = await route.handler(request)
    if (
        response.status == 200
        and isinstance(response, web.Response)
        and isinstance(response.body, bytes)
    ):
        ctx.cache.keep_answer(key, generation, response.body, synced_only=synced_only)
    return response


def make_app(
    db: Database,
    *,
    allowed_hosts: set[str],
    static_dir: Path | None,
    clock: Callable[[], datetime] = utc_now,
    on_commit: Callable[[CommitInfo], None] | None = None,
    card_renderer: CardRenderer | None = None,
) -> web.Application:
    """The LAN server's application over an open campus database.

    ``allowed_hosts`` are the names and addresses this server answers to (see
    :mod:`sync.auth`); the set the app keeps can be updated later through
    :func:`allow_hosts`. ``static_dir`` holds the mobile client (``None``: not installed).
    ``clock`` gives the current instant (tests pass their own). ``on_commit`` is called on the
    server's loop after every committed change, from a push or from another writer.
    ``card_renderer`` draws growth cards as PNG (``None``: the card route answers 503).
    """
    generations = Generations()
    hub = LiveHub(on_commit, on_file_change=generations.bump, on_push=generations.bump_synced)
    ctx = ServerContext(
        db=db,
        allowed_hosts={normal_host(h) for h in allowed_hosts},
        static_dir=static_dir,
        clock=clock,
        on_commit=on_commit,
        hub=hub,
        cache=AnswerCache(generations),
    )
    app = web.Application(
        middlewares=[
            gzip_middleware,
            error_middleware,
            make_auth_middleware(public_names().__contains__, websocket_names().__contains__),
        ],
        client_max_size=MAX_BODY_BYTES,
    )
    app[CONTEXT] = ctx
    app[CARD_RENDERER] = card_renderer
    for route in routes():
        app.router.add_route(route.method, route.path, _with_inputs(route), name=route.name)
    app[openapi.OPENAPI_DOCUMENT] = openapi.document_bytes(routes(), version=program_version())
    app.cleanup_ctx.append(_database_threads)
    app.cleanup_ctx.append(_watch_other_writers)
    app.on_shutdown.append(_close_sockets)
    return app


# Answers below this size gain nothing from compression.
GZIP_MIN_BYTES = 1024


@web.middleware
async def gzip_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Compress sizeable bodies for clients that accept gzip: phones on campus Wi-Fi load the
    client and JSON views several times smaller (a manager's parent list is over 1 MB raw).

    The outermost middleware, so error answers pass through it too; it must act before the
    response is prepared (aiohttp fixes the headers before ``on_response_prepare`` runs).
    """
    response = await handler(request)
    _gzip(request, response)
    return response


def _gzip(request: web.Request, response: web.StreamResponse) -> None:
    if type(response) is not web.Response or response.status < 200 or response.status in (204, 304):
        return
    if response.content_type.startswith("image/"):
        return  # PNG is compressed already: gzip would spend the time for nothing
    body = response.body
    if not isinstance(body, bytes) or len(body) < GZIP_MIN_BYTES:
        return
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        response.enable_compression(web.ContentCoding.gzip)


def allow_hosts(app: web.Application, hosts: set[str]) -> None:
    """Add names or addresses the running app answers to (e.g. a new DHCP address)."""
    app[CONTEXT].allowed_hosts.update(normal_host(h) for h in hosts)


async def _database_threads(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CONTEXT]
    ctx.executor = make_db_executor()
    yield
    executor, ctx.executor = ctx.executor, None
    # Let calls in flight finish (they are short) without blocking the loop meanwhile.
    await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)


async def _watch_other_writers(app: web.Application) -> AsyncIterator[None]:
    ctx = app[CONTEXT]
    ctx.cache.generations.watch(ctx.db)
    try:
        async with ctx.hub.watching(ctx.db):
            yield
    finally:
        ctx.cache.generations.unwatch()


async def _close_sockets(app: web.Application) -> None:
    await app[CONTEXT].hub.close_all()
