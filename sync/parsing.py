"""Input parsing and JSON rendering for the handlers.

Bodies and query strings are validated by pydantic v2 models that forbid unknown fields
(:class:`Input`), named per route in the route table; the app parses them before the handler
runs, and the handler takes them with :func:`query_of` / :func:`body_of`. A body that is not
JSON is :class:`~sync.errors.BadJson` (400); JSON that breaks the model is
:class:`~sync.errors.BadInput` naming the first bad field (422). Query strings are flat: a
repeated key is refused rather than silently picking one.

Dates on the wire are ``YYYY-MM-DD`` and nothing else (pydantic's lax mode would take ``0``
as 1970-01-01), within the years the business calendar knows (2000–2100).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, TypeVar

import pydantic_core
from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, WithJsonSchema

from .errors import BadInput, BadJson, validation_to_bad_input

M = TypeVar("M", bound=BaseModel)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class Input(BaseModel):
    """Base of every request model: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("日期格式应为 YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("不是有效的日期") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"日期必须在 {FIRST_YEAR} 到 {LAST_YEAR} 年之间")
    return day


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]


def _year_month(value: Any) -> str:
    if not isinstance(value, str) or not (match := _YEAR_MONTH.fullmatch(value)):
        raise ValueError("月份格式应为 YYYY-MM")
    year, month = int(match[1]), int(match[2])
    if not FIRST_YEAR <= year <= LAST_YEAR or not 1 <= month <= 12:
        raise ValueError("不是有效的月份")
    return value


YearMonth = Annotated[
    str,
    BeforeValidator(_year_month),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "examples": ["2026-11"]}),
]


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as ``model``; 400 when it is not JSON, 422 when it is wrong."""
    try:
        raw = await request.read()  # raises 413 beyond the app's client_max_size
    except ConnectionResetError:
        # The phone's connection dropped halfway through the body (Wi-Fi lost): nothing
        # was applied, nobody is left to answer, and it is no bug of the server's.
        raise BadJson("请求内容不完整：发送途中连接中断") from None
    if not raw.strip():
        raise BadJson("请求内容为空，应为 JSON 对象")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if exc.errors(include_url=False)[0].get("type") == "json_invalid":
            raise BadJson("请求内容不是有效的 JSON") from None
        raise validation_to_bad_input(exc, where="body") from None


def parse_query(request: web.Request, model: type[M]) -> M:
    """The query string as ``model``; a repeated or unknown key is a 422 naming it."""
    seen: set[str] = set()
    for key, _value in request.query.items():  # items(), unlike keys, repeats a repeated key
        if key in seen:
            raise BadInput(key, "参数重复")
        seen.add(key)
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise validation_to_bad_input(exc, where="query") from None


QUERY: web.RequestKey[BaseModel] = web.RequestKey("query", BaseModel)
BODY: web.RequestKey[BaseModel] = web.RequestKey("body", BaseModel)


def query_of(request: web.Request, model: type[M]) -> M:
    """The request's query, already parsed by the route table's query model."""
    value = request[QUERY]
    if not isinstance(value, model):  # the route table and the handler disagree: a bug
        raise TypeError(f"route parses its query as {type(value).__name__}, not {model.__name__}")
    return value


def body_of(request: web.Request, model: type[M]) -> M:
    """The request's body, already parsed by the route table's body model."""
    value = request[BODY]
    if not isinstance(value, model):  # the route table and the handler disagree: a bug
        raise TypeError(f"route parses its body as {type(value).__name__}, not {model.__name__}")
    return value


def json_response(result: Any, *, status: int = 200) -> web.Response:
    """Render a service result (pydantic models, dataclasses, lists of them) as JSON.

    Fields a model excludes from serialisation (e.g. a push result's touched ids) stay out.
    """
    return web.Response(
        status=status,
        body=pydantic_core.to_json(result),
        content_type="application/json",
    )
