"""The caller's own account: who am I, my devices, revoking one, logging out."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy.orm import Session

from shared import phone_views
from shared.auth import list_devices, revoke_device
from shared.errors import NotFound
from shared.services.common import check_uuid

from ..context import context, principal, run_read, run_write
from ..parsing import json_response
from ..schemas import RevokedOut


async def me(request: web.Request) -> web.Response:
    """``GET /api/me``: the caller's profile, roles and campus."""
    caller = principal(request)
    return json_response(await run_read(request, lambda s: phone_views.me(s, caller)))


async def devices(request: web.Request) -> web.Response:
    """``GET /api/me/devices``: the caller's devices, revoked ones included."""
    caller = principal(request)
    return json_response(
        await run_read(request, lambda s: list_devices(s, staff_id=caller.staff_id))
    )


def _revoke_own(session: Session, staff_id: str, device_id: str, now: datetime) -> None:
    # Only one's own devices: somebody else's id answers exactly like an unknown one.
    own = {d.device_id for d in list_devices(session, staff_id=staff_id)}
    if device_id not in own:
        raise NotFound(f"device_id: 设备不存在（{device_id}）")
    revoke_device(session, device_id=device_id, now=now)


async def revoke(request: web.Request) -> web.Response:
    """``DELETE /api/me/devices/{id}``: revoke one of the caller's own devices."""
    caller = principal(request)
    device_id = check_uuid(request.match_info["id"], "id")
    ctx = context(request)
    now = ctx.clock()
    await run_write(request, lambda s: _revoke_own(s, caller.staff_id, device_id, now))
    ctx.hub.drop_device(device_id)
    return json_response(RevokedOut(device_id=device_id, revoked=True))


async def logout(request: web.Request) -> web.Response:
    """``POST /api/logout``: revoke the device this token belongs to."""
    caller = principal(request)
    ctx = context(request)
    now = ctx.clock()
    if caller.device_id is None:  # pragma: no cover - every token belongs to a device
        raise NotFound("device_id: 此登录没有对应的设备")
    device_id = caller.device_id
    await run_write(request, lambda s: revoke_device(s, device_id=device_id, now=now))
    ctx.hub.drop_device(device_id)
    return json_response(RevokedOut(device_id=device_id, revoked=True))
