"""Who may talk to the server: the Host/Origin check, then the bearer token.

Host and Origin (DNS rebinding)
    Plain HTTP on a LAN is open to DNS rebinding: a web page from anywhere makes its own name
    resolve to the front-desk PC and then reads the API as "same origin". So every request's
    ``Host`` must name this server — one of ``allowed_hosts`` (its addresses and names,
    ``<host>.local`` included, kept current by the server) or the very address the request
    arrived on — with the port it arrived on; otherwise 421. An ``Origin`` header, which
    browsers send on cross-origin requests and on every WebSocket, must name this server the
    same way (``http`` scheme); otherwise 403.

Bearer token
    Every route that is not public in the route table needs ``Authorization: Bearer <token>``,
    checked with :func:`shared.auth.authenticate_request` (its answer kept until the next
    commit, see :mod:`sync.cache`); the :class:`~shared.auth.Principal` is stored on the
    request. Browsers cannot set headers on a WebSocket, so the live route
    also takes the token as the ``token`` query parameter or as the subprotocol
    ``bearer.<token>`` (which the live handler then echoes, as browsers require).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from shared.auth import BAD_TOKEN, authenticate_request
from shared.errors import Unauthorized

from .context import PRINCIPAL, context, run_in_db_thread
from .errors import HostRejected

BEARER_PROTOCOL_PREFIX = "bearer."
DEFAULT_HTTP_PORT = 80


def normal_host(host: str) -> str:
    """A host name or address in one canonical spelling (IPv4-mapped IPv6 as IPv4)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _local_address(request: web.Request) -> tuple[str, int] | None:
    """The (address, port) of this server's socket that the request arrived on."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not sockname:
        return None
    return normal_host(str(sockname[0])), int(sockname[1])


def _names_this_server(request: web.Request, host: str | None, port: int | None) -> bool:
    local = _local_address(request)
    if host is None or local is None:
        return False
    host = normal_host(host)
    if port is None:
        port = DEFAULT_HTTP_PORT
    if port != local[1]:
        return False
    allowed = context(request).allowed_hosts
    return host == local[0] or host in allowed


def check_host(request: web.Request) -> None:
    """Refuse a request whose Host or Origin names somebody else (421 / 403)."""
    host_header = request.headers.get("Host")
    if host_header is not None:
        try:
            url = URL(f"http://{host_header}")
            host, port = url.host, url.explicit_port
        except ValueError:
            host, port = None, None
        if not _names_this_server(request, host, port):
            raise HostRejected(421, "bad_host", "请求的主机名不是本服务器，已拒绝")
    origin = request.headers.get("Origin")
    if origin is not None:
        try:
            url = URL(origin)
            ok = url.scheme == "http" and _names_this_server(request, url.host, url.explicit_port)
        except ValueError:
            ok = False
        if not ok:
            raise HostRejected(403, "bad_origin", "请求来自其他网站，已拒绝")


def bearer_token(request: web.Request, *, websocket: bool) -> str | None:
    """The token the request carries: the Authorization header, or (WebSocket only) the
    ``token`` query parameter or a ``bearer.<token>`` subprotocol."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if websocket:
        if request.query.get("token"):
            return request.query["token"]
        for protocol in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
            protocol = protocol.strip()
            if protocol.startswith(BEARER_PROTOCOL_PREFIX) and protocol != BEARER_PROTOCOL_PREFIX:
                return protocol[len(BEARER_PROTOCOL_PREFIX) :]
    return None


def make_auth_middleware(
    is_public: Callable[[str], bool], is_websocket: Callable[[str], bool]
) -> web.Middleware:
    """The middleware checking Host/Origin on every request and the token on private routes.

    ``is_public`` and ``is_websocket`` answer for a route name (the route table decides).
    Requests that match no route pass on unauthenticated, to be answered 404/405.
    """

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        check_host(request)
        name = request.match_info.route.name
        if name is None or is_public(name):
            return await handler(request)
        token = bearer_token(request, websocket=is_websocket(name))
        if token is None:
            raise Unauthorized("请先登录")
        if not (token.isascii() and token.isprintable()):
            raise Unauthorized(BAD_TOKEN)
        ctx = context(request)
        caller = ctx.cache.principal(token)
        if caller is None:
            generation, now = ctx.cache.generations.value, ctx.clock()
            caller = await run_in_db_thread(
                request, lambda: authenticate_request(ctx.db, token, now=now)
            )
            ctx.cache.keep_principal(token, generation, caller)
        request[PRINCIPAL] = caller
        return await handler(request)

    return auth_middleware
