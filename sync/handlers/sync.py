"""Push and pull: the phone's outbox in, the rows it may see out."""

from __future__ import annotations

from aiohttp import web

from shared import sync_log

from ..context import context, principal, run_in_db_thread, run_read
from ..parsing import body_of, json_response, query_of
from ..schemas import PullQuery


async def push(request: web.Request) -> web.Response:
    """``POST /api/push``: apply the phone's mutations in order, each in its own transaction.

    After the commit the people whose data changed are poked and the desktop is told.
    """
    body = body_of(request, sync_log.PushRequest)
    caller, ctx = principal(request), context(request)
    now = ctx.clock()
    result = await run_in_db_thread(request, lambda: sync_log.push(ctx.db, caller, body, now=now))
    if result.touched_staff_ids or result.touched_campus_ids:
        ctx.hub.pushed(result.version, result.touched_staff_ids, result.touched_campus_ids)
    return json_response(result)


async def pull(request: web.Request) -> web.Response:
    """``GET /api/pull?since=N&schema_version=K[&only=gone]``: rows changed after version N
    (with ``only=gone``: only the ids that left the caller's scope)."""
    query = query_of(request, PullQuery)
    caller = principal(request)
    return json_response(
        await run_read(
            request,
            lambda s: sync_log.pull(
                s, caller, query.since, query.schema_version, rows=query.only is None
            ),
        )
    )
