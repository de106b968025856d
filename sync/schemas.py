"""The request and response models the edge defines itself (the rest come from ``shared``).

Request models forbid unknown fields; lengths are capped so that nothing unbounded reaches a
service. Query models describe query strings, whose values arrive as text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared.phone_views import MAX_TIMETABLE_DAYS

from .parsing import Input, IsoDate, YearMonth

MAX_VERSION = 2**62  # SQLite integers are 64-bit; nothing larger can be a version


class Output(BaseModel):
    """Base of the edge's own response models."""

    model_config = ConfigDict(frozen=True)


# --------------------------------------------------------------------------- errors


class ApiErrorDetail(Output):
    """What went wrong: a stable code, the input to blame (if any), a message for people."""

    code: str
    field: str | None
    message: str


class ApiError(Output):
    """Every 4xx/5xx answer. A stale client also gets ``reload`` and ``schema_version``."""

    error: ApiErrorDetail
    reload: bool | None = None
    schema_version: int | None = None
    retry_after_seconds: int | None = None


# --------------------------------------------------------------------------- public


class HealthOut(Output):
    """``GET /api/health``: the server is up, which program, which campuses, what time."""

    status: Literal["ok"]
    version: str
    schema_version: int
    campuses: list[str]
    server_time: datetime


class LoginIn(Input):
    """``POST /api/login``: a staff member picked on the login screen and their PIN."""

    staff_id: str = Field(max_length=64)
    pin: str = Field(max_length=32)
    device_name: str = Field(default="", max_length=200)


class PairIn(Input):
    """``POST /api/pair``: the one-time token from the desktop's QR code."""

    token: str = Field(max_length=200)
    device_name: str = Field(default="", max_length=200)


class StaffOut(Output):
    """The logged-in staff member (and the device the token belongs to)."""

    staff_id: str
    campus_id: str
    name: str
    roles: list[str]
    device_id: str | None


class SessionOut(Output):
    """A new bearer token (shown once: the phone keeps it) and who it stands for."""

    token: str
    staff: StaffOut


class RevokedOut(Output):
    """A device whose token no longer works."""

    device_id: str
    revoked: bool


# --------------------------------------------------------------------------- queries


class NoQuery(Input):
    """A route that takes no query parameters (any given is an error)."""


class TasksQuery(Input):
    """``week``: any date of the wanted week-of-month (default: today)."""

    week: IsoDate | None = None


class RankingQuery(Input):
    """``month`` as ``YYYY-MM`` (default: this month); ``metric`` 营业额 or 划课收入."""

    month: YearMonth | None = None
    metric: Literal["revenue", "consumption"] = "revenue"


class TimetableQuery(Input):
    """An inclusive date range of at most ``shared.phone_views.MAX_TIMETABLE_DAYS`` days."""

    start: IsoDate
    end: IsoDate

    @field_validator("end")
    @classmethod
    def _range(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError("结束日期不能早于开始日期")
        if start is not None and (end - start).days >= MAX_TIMETABLE_DAYS:
            raise ValueError(f"一次最多查询 {MAX_TIMETABLE_DAYS} 天")
        return end


class TrialsQuery(Input):
    """An optional date range of trial lessons."""

    start: IsoDate | None = None
    end: IsoDate | None = None

    @field_validator("end")
    @classmethod
    def _range(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start")
        if start is not None and end is not None and end < start:
            raise ValueError("结束日期不能早于开始日期")
        return end


class PullQuery(Input):
    """``since``: the last version the phone has; ``schema_version``: the client's API;
    ``only=gone``: no rows, only what left the caller's scope (``gone``, ``reset``) up to now."""

    since: int = Field(ge=0, le=MAX_VERSION)
    schema_version: int = Field(ge=0, le=MAX_VERSION)
    only: Literal["gone"] | None = None


class LiveQuery(Input):
    """The live socket may carry its token in the query (browsers cannot set headers)."""

    token: str | None = Field(default=None, max_length=200)


def month_of(text: str | None, today: date) -> tuple[int, int]:
    """(year, month) of a ``YYYY-MM`` query value, or of today."""
    if text is None:
        return today.year, today.month
    year, month = text.split("-")
    return int(year), int(month)
