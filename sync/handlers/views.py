"""What a phone shows: tasks, ranking, timetable, students, parents, trials, follow-ups.

Each view is one call into :mod:`shared.phone_views`, which scopes every read by the caller's
role; the handler only parses the query and renders the result.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from shared import phone_views
from shared.periods import Period, local_date_of
from shared.services.common import check_uuid

from ..context import context, principal, run_read
from ..parsing import json_response, query_of
from ..schemas import RankingQuery, TasksQuery, TimetableQuery, TrialsQuery, month_of


def _today(request: web.Request) -> date:
    """Today's business date by the server's clock."""
    return local_date_of(context(request).clock())


async def tasks(request: web.Request) -> web.Response:
    """``GET /api/me/tasks?week=YYYY-MM-DD``: the caller's tasks in that week-of-month."""
    query = query_of(request, TasksQuery)
    caller, today = principal(request), _today(request)
    week = Period.containing("week", query.week or today)
    return json_response(
        await run_read(request, lambda s: phone_views.my_tasks(s, caller, week, today=today))
    )


async def ranking(request: web.Request) -> web.Response:
    """``GET /api/ranking?month=YYYY-MM&metric=revenue|consumption``: the month's ranking."""
    query = query_of(request, RankingQuery)
    caller = principal(request)
    year, month = month_of(query.month, _today(request))
    return json_response(
        await run_read(
            request, lambda s: phone_views.ranking_view(s, caller, year, month, query.metric)
        )
    )


async def timetable(request: web.Request) -> web.Response:
    """``GET /api/timetable?start=&end=``: the caller's lessons in a date range."""
    query = query_of(request, TimetableQuery)
    caller = principal(request)
    return json_response(
        await run_read(request, lambda s: phone_views.timetable(s, caller, query.start, query.end))
    )


async def students(request: web.Request) -> web.Response:
    """``GET /api/students``: the students the caller looks after."""
    caller = principal(request)
    return json_response(await run_read(request, lambda s: phone_views.my_students(s, caller)))


async def student(request: web.Request) -> web.Response:
    """``GET /api/students/{id}``: one student in detail (403 outside the caller's scope)."""
    caller = principal(request)
    student_id = check_uuid(request.match_info["id"], "id")
    return json_response(
        await run_read(request, lambda s: phone_views.student_detail(s, caller, student_id))
    )


async def parents(request: web.Request) -> web.Response:
    """``GET /api/parents``: the parents of the caller's students."""
    caller = principal(request)
    return json_response(await run_read(request, lambda s: phone_views.parents(s, caller)))


async def parent(request: web.Request) -> web.Response:
    """``GET /api/parents/{id}``: one parent with their communication records (403 outside
    the caller's scope)."""
    caller = principal(request)
    parent_id = check_uuid(request.match_info["id"], "id")
    return json_response(
        await run_read(request, lambda s: phone_views.parent_detail(s, caller, parent_id))
    )


async def trials(request: web.Request) -> web.Response:
    """``GET /api/trials?start=&end=``: the caller's trial lessons."""
    query = query_of(request, TrialsQuery)
    caller = principal(request)
    return json_response(
        await run_read(
            request,
            lambda s: phone_views.trials(s, caller, start=query.start, end=query.end),
        )
    )


async def follow_ups(request: web.Request) -> web.Response:
    """``GET /api/follow-ups``: the caller's parent follow-ups that are due."""
    caller, today = principal(request), _today(request)
    return json_response(
        await run_read(request, lambda s: phone_views.follow_ups(s, caller, today=today))
    )
