"""Translate every failure into an HTTP status and one JSON body; nothing else leaves the server.

The body is always ``{"error": {"code": ..., "field": ..., "message": ...}}`` (``field`` is
``null`` when no single input is to blame); a stale client additionally gets ``"reload": true``
and the server's ``schema_version`` beside ``error``, so the phone knows to reload its page.

============================  ======  ==============================================
failure                       status  code
============================  ======  ==============================================
malformed JSON body           400     ``bad_json``
input breaks a rule           422     ``invalid`` (``field`` named; pydantic ``loc`` joined by dots)
no or bad token, wrong PIN    401     ``unauthorized`` (+ ``WWW-Authenticate: Bearer``)
forbidden                     403     ``forbidden``
too many wrong PINs           429     ``too_many_attempts`` (+ ``Retry-After``)
row not found / no route      404     ``not_found``
wrong method                  405     ``method_not_allowed`` (+ ``Allow``)
stale client                  409     ``stale_client`` (+ ``reload``)
conflict                      409     ``conflict``
body over the size cap        413     ``too_large``
body still arriving too long  408     ``timeout``
foreign Host / Origin         421/403 ``bad_host`` / ``bad_origin``
database unavailable          503     ``storage_unavailable``
anything else (a bug)         500     ``internal`` (logged with its traceback)
============================  ======  ==============================================

Validation errors are translated only where the handlers parse input (:class:`BadInput`); a
pydantic error escaping a service is a bug, and is answered as one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from shared.errors import (
    Conflict,
    DabiaoError,
    Forbidden,
    Invalid,
    NotFound,
    StaleClient,
    StorageUnavailable,
    TooManyAttempts,
    Unauthorized,
)

log = logging.getLogger(__name__)


class BadJson(Exception):
    """The request body is not JSON at all (as opposed to JSON that breaks a rule)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(Exception):
    """A request input failed validation while it was being parsed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class HostRejected(Exception):
    """The Host or Origin header names somebody else (a DNS rebinding attempt)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# pydantic error types people meet most often, said in their language; others keep pydantic's
# English text behind a Chinese lead-in.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的字段",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "float_type": "必须是数字",
    "float_parsing": "必须是数字",
    "string_type": "必须是文本",
    "bool_type": "必须是 true 或 false",
    "bool_parsing": "必须是 true 或 false",
    "list_type": "必须是列表",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "model_attributes_type": "必须是对象",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than": "数值太大",
    "less_than_equal": "数值太大",
    "string_too_long": "文本太长",
    "string_too_short": "文本太短",
    "too_long": "项目太多",
    "too_short": "项目太少",
    "string_pattern_mismatch": "格式不正确",
    "uuid_parsing": "不是有效的编号",
    "uuid_type": "不是有效的编号",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式不正确",
    "datetime_type": "时间格式不正确",
}


def validation_to_bad_input(exc: ValidationError, *, where: str) -> BadInput:
    """The first problem of a pydantic error, as a :class:`BadInput` naming its field.

    ``where`` names the whole input (``body`` or ``query``) for errors about the input itself.
    """
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first.get("loc", ())) or where
    kind = first.get("type", "")
    # A ValueError raised by our own validators carries a message already written in Chinese.
    if kind == "value_error":
        message = str(first.get("ctx", {}).get("error", first.get("msg", "")))
    else:
        message = _PYDANTIC_MESSAGES.get(kind) or f"格式不正确（{first.get('msg', kind)}）"
    return BadInput(field, message)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    """The one JSON error shape every failure is answered with."""
    body: dict[str, Any] = {"error": {"code": code, "field": field, "message": message}}
    if extra:
        body.update(extra)
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        headers=headers,
    )


def translate(exc: BaseException) -> web.Response | None:
    """The response for a failure that is somebody's expected mistake; ``None`` for a bug."""
    if isinstance(exc, BadJson):
        return error_response(400, "bad_json", exc.message, field="body")
    if isinstance(exc, BadInput):
        return error_response(422, "invalid", exc.message, field=exc.field)
    if isinstance(exc, HostRejected):
        return error_response(exc.status, exc.code, exc.message)
    if isinstance(exc, DabiaoError):
        return _translate_domain(exc)
    if isinstance(exc, web.HTTPException):
        return _translate_http(exc)
    return None


def _field_and_sentence(exc: DabiaoError) -> tuple[str, str | None]:
    """A domain message written ``field: sentence`` as (sentence, field); else (message, None)."""
    field, sep, rest = exc.message.partition(": ")
    if sep and field and rest and " " not in field and all(ord(ch) < 128 for ch in field):
        return rest, field
    return exc.message, None


def _translate_domain(exc: DabiaoError) -> web.Response | None:
    if isinstance(exc, Invalid):
        return error_response(422, "invalid", exc.reason, field=exc.field)
    if isinstance(exc, TooManyAttempts):  # before Forbidden: it is one
        seconds = max(1, int(exc.retry_after_seconds))
        return error_response(
            429,
            "too_many_attempts",
            exc.message,
            headers={"Retry-After": str(seconds)},
            extra={"retry_after_seconds": seconds},
        )
    if isinstance(exc, Unauthorized):
        return error_response(
            401, "unauthorized", exc.message, headers={"WWW-Authenticate": "Bearer"}
        )
    if isinstance(exc, Forbidden):
        message, field = _field_and_sentence(exc)
        return error_response(403, "forbidden", message, field=field)
    if isinstance(exc, NotFound):
        message, field = _field_and_sentence(exc)
        return error_response(404, "not_found", message, field=field)
    if isinstance(exc, StaleClient):
        return error_response(
            409,
            "stale_client",
            exc.message,
            extra={"reload": True, "schema_version": exc.server_schema_version},
        )
    if isinstance(exc, Conflict):
        return error_response(409, "conflict", exc.message)
    if isinstance(exc, StorageUnavailable):
        return error_response(503, "storage_unavailable", exc.message)
    return None  # a new DabiaoError kind nobody mapped yet: a bug, answered as one


_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式不正确"),
    404: ("not_found", "没有这个地址"),
    405: ("method_not_allowed", "此地址不支持该请求方法"),
    408: ("timeout", "请求内容发送太慢，已超时；请重试"),
    413: ("too_large", "请求内容太大"),
}


def _translate_http(exc: web.HTTPException) -> web.Response | None:
    if exc.status < 400:
        return None  # redirects and the like pass through untouched
    code, message = _HTTP_CODES.get(exc.status, ("http_error", exc.reason))
    headers = {}
    if "Allow" in exc.headers:
        headers["Allow"] = exc.headers["Allow"]
    if exc.status == 413:
        message = "请求内容太大，请分批发送"
    return error_response(exc.status, code, message, headers=headers or None)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: every failure becomes a JSON error; bugs are logged as bugs."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        translated = _translate_http(exc)
        if translated is None:
            raise
        return translated
    except Exception as exc:
        translated = translate(exc)
        if translated is not None:
            return translated
        log.exception("bug while answering %s %s", request.method, request.path)
        return error_response(500, "internal", "服务器内部错误，已记录；请稍后再试")
    return response
