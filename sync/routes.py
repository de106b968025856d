"""The route table: the one place that says what the server answers.

Each :class:`Route` names its method, path, handler, whether it is public (no token), and the
models of its query string, body and answer. :func:`sync.app.make_app` registers exactly these
routes, the auth middleware asks this table which routes are public, and
:mod:`sync.openapi` describes exactly these routes — so a new route cannot skip any of them.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiohttp.typedefs import Handler
from pydantic import BaseModel

from shared import auth, phone_views, sync_log

from . import live, openapi
from .handlers import account, cards, public, static, sync, views
from .schemas import (
    HealthOut,
    LiveQuery,
    LoginIn,
    NoQuery,
    PairIn,
    PullQuery,
    RankingQuery,
    RevokedOut,
    SessionOut,
    TasksQuery,
    TimetableQuery,
    TrialsQuery,
)

# Anything under /api/ that matches no route is a JSON 404, never the static client.
STATIC_PATH = r"/{path:(?!api(?:/|$)).+}"


def returns(fn: Callable[..., Any]) -> Any:
    """The annotated return type of a service: the answer of the route that renders it."""
    return typing.get_type_hints(fn)["return"]


@dataclass(frozen=True)
class Route:
    """One route: how to reach it, who may, and what goes in and out."""

    method: str
    path: str
    handler: Handler
    name: str  # the aiohttp route name and the OpenAPI operationId
    summary: str
    tag: str
    public: bool = False
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: Any = None  # any type pydantic can describe; None for a non-JSON answer
    media_type: str = "application/json"
    websocket: bool = False
    cacheable: bool = False  # a read whose answer holds until the next commit (sync.cache)
    # A cacheable read that also reads unsynced tables (devices): its answer does not outlive a
    # commit that changes only those (a last-seen stamp), as answers about synced rows do.
    reads_unsynced: bool = False


@cache
def routes() -> tuple[Route, ...]:
    """Every route of the server, in registration order (the static catch-all last)."""
    return (
        Route(
            "GET",
            "/api/health",
            public.health,
            "health",
            "服务器状态、版本、校区与时间",
            "public",
            public=True,
            query=NoQuery,
            response=HealthOut,
        ),
        Route(
            "GET",
            "/api/login/candidates",
            public.candidates,
            "login_candidates",
            "可以登录的员工",
            "public",
            public=True,
            query=NoQuery,
            response=returns(auth.login_candidates),
            cacheable=True,
        ),
        Route(
            "POST",
            "/api/login",
            public.login,
            "login",
            "用员工 PIN 登录，得到设备令牌",
            "public",
            public=True,
            query=NoQuery,
            body=LoginIn,
            response=SessionOut,
        ),
        Route(
            "POST",
            "/api/pair",
            public.pair,
            "pair",
            "用配对二维码的一次性令牌换取设备令牌",
            "public",
            public=True,
            query=NoQuery,
            body=PairIn,
            response=SessionOut,
        ),
        Route(
            "GET",
            "/api/openapi.json",
            openapi.serve_document,
            "openapi",
            "本接口的 OpenAPI 文档",
            "public",
            public=True,
            query=NoQuery,
            response=dict[str, Any],
        ),
        Route(
            "GET",
            "/api/me",
            account.me,
            "me",
            "当前员工",
            "account",
            query=NoQuery,
            response=returns(phone_views.me),
            cacheable=True,
            reads_unsynced=True,
        ),
        Route(
            "GET",
            "/api/me/devices",
            account.devices,
            "my_devices",
            "我的设备",
            "account",
            query=NoQuery,
            response=returns(auth.list_devices),
            cacheable=True,
            reads_unsynced=True,
        ),
        Route(
            "DELETE",
            "/api/me/devices/{id}",
            account.revoke,
            "revoke_my_device",
            "注销我的一台设备",
            "account",
            query=NoQuery,
            response=RevokedOut,
        ),
        Route(
            "POST",
            "/api/logout",
            account.logout,
            "logout",
            "退出登录（注销本设备）",
            "account",
            query=NoQuery,
            response=RevokedOut,
        ),
        Route(
            "GET",
            "/api/me/tasks",
            views.tasks,
            "my_tasks",
            "我的本周任务与进度",
            "views",
            query=TasksQuery,
            response=returns(phone_views.my_tasks),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/ranking",
            views.ranking,
            "ranking",
            "月度员工排行",
            "views",
            query=RankingQuery,
            response=returns(phone_views.ranking_view),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/timetable",
            views.timetable,
            "timetable",
            "课程表",
            "views",
            query=TimetableQuery,
            response=returns(phone_views.timetable),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/students",
            views.students,
            "students",
            "我的学员",
            "views",
            query=NoQuery,
            response=returns(phone_views.my_students),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/students/{id}",
            views.student,
            "student",
            "学员详情",
            "views",
            query=NoQuery,
            response=returns(phone_views.student_detail),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/students/{id}/growth-card.png",
            cards.growth_card_png,
            "student_growth_card",
            "学员成长卡片（手机尺寸 PNG 图片，可发给家长）",
            "views",
            query=NoQuery,
            response=None,
            media_type="image/png",
        ),
        Route(
            "GET",
            "/api/parents",
            views.parents,
            "parents",
            "我的家长",
            "views",
            query=NoQuery,
            response=returns(phone_views.parents),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/parents/{id}",
            views.parent,
            "parent",
            "家长详情（含沟通记录）",
            "views",
            query=NoQuery,
            response=returns(phone_views.parent_detail),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/trials",
            views.trials,
            "trials",
            "试听课",
            "views",
            query=TrialsQuery,
            response=returns(phone_views.trials),
            cacheable=True,
        ),
        Route(
            "GET",
            "/api/follow-ups",
            views.follow_ups,
            "follow_ups",
            "待跟进的家长沟通",
            "views",
            query=NoQuery,
            response=returns(phone_views.follow_ups),
            cacheable=True,
        ),
        Route(
            "POST",
            "/api/push",
            sync.push,
            "push",
            "上传手机离线修改（按顺序应用）",
            "sync",
            query=NoQuery,
            body=sync_log.PushRequest,
            response=returns(sync_log.push),
        ),
        Route(
            "GET",
            "/api/pull",
            sync.pull,
            "pull",
            "下载某版本之后的变化",
            "sync",
            query=PullQuery,
            response=returns(sync_log.pull),
        ),
        Route(
            "GET",
            "/api/live",
            live.live_socket,
            "live",
            "WebSocket：有新版本时推送 poke（令牌可放在 token 参数或 bearer.<令牌> 子协议中）",
            "sync",
            query=LiveQuery,
            response=None,
            websocket=True,
        ),
        Route(
            "GET",
            "/",
            static.client_index,
            "client_index",
            "手机客户端首页",
            "client",
            public=True,
            response=None,
            media_type="text/html",
        ),
        Route(
            "GET",
            STATIC_PATH,
            static.client_file,
            "client_file",
            "手机客户端的静态文件",
            "client",
            public=True,
            response=None,
            media_type="application/octet-stream",
        ),
    )


@cache
def public_names() -> frozenset[str]:
    """Names of the routes that answer without a token."""
    return frozenset(r.name for r in routes() if r.public)


@cache
def websocket_names() -> frozenset[str]:
    """Names of the WebSocket routes (which also take the token outside the header)."""
    return frozenset(r.name for r in routes() if r.websocket)
