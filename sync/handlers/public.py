"""The routes a phone reaches before it has a token: health, login and pairing."""

from __future__ import annotations

import importlib.metadata

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth import (
    IssuedToken,
    login_candidates,
    pin_login,
    redeem_pairing_token,
)
from shared.models import Campus
from shared.sync_log import API_SCHEMA_VERSION

from ..context import context, run_in_db_thread, run_read, run_write
from ..parsing import body_of, json_response
from ..schemas import HealthOut, LoginIn, PairIn, SessionOut, StaffOut


def program_version() -> str:
    """The installed Dabiao version (``0+unknown`` when run from an uninstalled tree)."""
    try:
        return importlib.metadata.version("dabiao")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def campus_names(session: Session) -> list[str]:
    """The names of the live campuses in this file, by campus code."""
    return list(
        session.scalars(
            select(Campus.name).where(Campus.is_deleted.is_(False)).order_by(Campus.code)
        )
    )


def _session_out(issued: IssuedToken) -> SessionOut:
    p = issued.principal
    staff = StaffOut(
        staff_id=p.staff_id,
        campus_id=p.campus_id,
        name=p.name,
        roles=list(p.roles),
        device_id=p.device_id,
    )
    return SessionOut(token=issued.token, staff=staff)


def _device_name(request: web.Request, given: str) -> str:
    # A PIN login from a browser has no name for itself; its user agent tells the desktop's
    # device list which phone it was.
    return given.strip() or request.headers.get("User-Agent", "")


async def health(request: web.Request) -> web.Response:
    """``GET /api/health``: up, which version, which campuses, the server's clock."""
    names = await run_read(request, campus_names)
    return json_response(
        HealthOut(
            status="ok",
            version=program_version(),
            schema_version=API_SCHEMA_VERSION,
            campuses=names,
            server_time=context(request).clock(),
        )
    )


async def candidates(request: web.Request) -> web.Response:
    """``GET /api/login/candidates``: who can log in here (the phone's pick-yourself list)."""
    return json_response(await run_read(request, login_candidates))


async def login(request: web.Request) -> web.Response:
    """``POST /api/login``: staff id and PIN → a new device token."""
    body = body_of(request, LoginIn)
    ctx = context(request)
    now, name = ctx.clock(), _device_name(request, body.device_name)
    async with ctx.pin_checks:
        issued = await run_in_db_thread(
            request,
            lambda: pin_login(
                ctx.db, staff_id=body.staff_id, pin=body.pin, device_name=name, now=now
            ),
        )
    return json_response(_session_out(issued))


async def pair(request: web.Request) -> web.Response:
    """``POST /api/pair``: the QR code's one-time token → a device token."""
    body = body_of(request, PairIn)
    now, name = context(request).clock(), _device_name(request, body.device_name)
    issued = await run_write(
        request,
        lambda s: redeem_pairing_token(s, token=body.token, device_name=name, now=now),
    )
    return json_response(_session_out(issued))
