"""Pure spreading: a year's target to its months, a month's to its weeks, exact to the fen.

Nothing here touches the database; the services in :mod:`shared.targets.campus` build on it,
and a screen can call :func:`preview_year` / :func:`preview_month` on every keystroke.

How a total is spread over its parts (months of a year, weeks of a month):

1. Parts set by hand (overrides, ``is_manual``) keep their figure exactly.
2. The remainder (total − manual parts) is split over the other parts by weights, with
   :func:`shared.money.split_by_weights` (largest remainder), so the parts add up to the fen.
   A remainder below zero is refused (``Invalid``); so is a remainder that has no automatic part
   left to go to.
3. The weights depend on the :class:`SpreadMethod`; when the free parts' weights sum to zero (a
   profile that weighs some day types 0, a month with no history) the next weights in line take
   over, ending with the number of days, which is never zero.

Months get weights by the method: ``even`` → days in the month; ``day_weights`` → the sum of the
campus profile's day weights; ``seasonality`` → last year's actual monthly totals (negative
months count 0; when the year's total is not positive, ``day_weights`` is used and the plan says
why). Weeks are always spread by day weights: ``even`` uses :data:`shared.day_weights.EVEN`
(days), the two others the campus profile, because last year's weeks do not line up with this
year's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from ..day_weights import EVEN, DayWeightProfile, holiday_data_available
from ..errors import Invalid
from ..money import fen_to_yuan_text, split_by_weights
from ..periods import Period, check_month, check_year, month_days, weeks_of_month
from ..services.common import check_fen


class SpreadMethod(StrEnum):
    """How the automatic parts of a target share its remainder."""

    EVEN = "even"  # by number of days
    DAY_WEIGHTS = "day_weights"  # by the campus's day-weight profile (the default)
    SEASONALITY = "seasonality"  # months by last year's actuals, weeks by day weights


DEFAULT_METHOD = SpreadMethod.DAY_WEIGHTS


@dataclass(frozen=True, slots=True)
class PlannedWeek:
    """One week-of-month's share of its month."""

    period: Period
    amount_fen: int
    is_manual: bool = False


@dataclass(frozen=True, slots=True)
class MonthPlan:
    """One month's target and its weeks (which add up to it exactly)."""

    period: Period
    amount_fen: int
    is_manual: bool
    weeks: tuple[PlannedWeek, ...]
    holiday_data_available: bool

    @property
    def month(self) -> int:
        """The month number, 1..12."""
        return self.period.month


@dataclass(frozen=True, slots=True)
class YearPlan:
    """A year's target spread to months and weeks; every level adds up exactly.

    ``method`` is what was asked; ``method_used`` what shaped the months (``seasonality`` falls
    back to ``day_weights`` without usable history, and ``fallback_reason`` says so in Chinese).
    ``months_without_history`` lists months that seasonality gave no share because last year
    had nothing there, so a screen can point them out. ``holiday_data_available`` is False when
    the public-holiday calendar of the year is not published yet (weekday rule only).
    """

    period: Period
    amount_fen: int
    method: SpreadMethod
    method_used: SpreadMethod
    months: tuple[MonthPlan, ...]
    holiday_data_available: bool
    fallback_reason: str | None = None
    months_without_history: tuple[int, ...] = ()

    @property
    def year(self) -> int:
        """The calendar year."""
        return self.period.year

    def month(self, month: int) -> MonthPlan:
        """The plan of one month, 1..12."""
        check_month(month)
        for planned in self.months:
            if planned.month == month:
                return planned
        raise Invalid("month", f"{self.year}年{month}月没有目标")


# --------------------------------------------------------------------------- checks


def check_method(method: SpreadMethod | str, field: str = "method") -> SpreadMethod:
    """Accept a spread method by value."""
    try:
        return SpreadMethod(method)
    except ValueError:
        raise Invalid(field, f"未知的分解方式：{method!r}") from None


def _check_key(key: object, valid: Sequence[int], field: str) -> int:
    # JSON objects only have string keys; accept "3" as well as 3 so the edges stay thin.
    if isinstance(key, str) and key.isdigit():
        key = int(key)
    if not isinstance(key, int) or isinstance(key, bool) or key not in valid:
        raise Invalid(field, f"必须是 {valid[0]} 到 {valid[-1]} 之间的整数：{key!r}")
    return key


def check_month_overrides(
    overrides: Mapping[object, object] | None, field: str = "overrides"
) -> dict[int, int]:
    """Accept ``{month: fen}`` hand-set month figures (months 1..12, amounts >= 0)."""
    checked: dict[int, int] = {}
    for key, value in (overrides or {}).items():
        month = _check_key(key, range(1, 13), f"{field}[{key}]")
        if month in checked:
            raise Invalid(f"{field}[{key}]", "同一个月份出现了两次")
        checked[month] = check_fen(value, f"{field}[{key}]")
    return checked


def check_week_overrides(
    year: int, month: int, overrides: Mapping[object, object] | None, field: str = "overrides"
) -> dict[int, int]:
    """Accept ``{week_index: fen}`` hand-set week figures for the weeks of one month."""
    indexes = range(1, len(weeks_of_month(year, month)) + 1)
    checked: dict[int, int] = {}
    for key, value in (overrides or {}).items():
        week = _check_key(key, indexes, f"{field}[{key}]")
        if week in checked:
            raise Invalid(f"{field}[{key}]", "同一周出现了两次")
        checked[week] = check_fen(value, f"{field}[{key}]")
    return checked


# --------------------------------------------------------------------------- the splitter


def spread(
    total: int,
    size: int,
    fixed: Mapping[int, int],
    weight_options: Sequence[Sequence[int | Fraction]],
    field: str,
    what: str,
) -> list[int]:
    """Split ``total`` over ``size`` parts: ``fixed`` parts (by 0-based index) keep their figure.

    The remainder goes to the other parts by the first of ``weight_options`` whose free parts
    weigh more than zero; the last option must be positive everywhere (days). ``field`` and
    ``what`` name the input and the total in the error when the fixed parts do not fit.
    """
    fixed_sum = sum(fixed.values())
    remainder = total - fixed_sum
    if remainder < 0:
        raise Invalid(
            field,
            f"手工设定的部分合计 {fen_to_yuan_text(fixed_sum)} 元，"
            f"超过了{what} {fen_to_yuan_text(total)} 元",
        )
    parts = [fixed.get(i, 0) for i in range(size)]
    free = [i for i in range(size) if i not in fixed]
    if not free:
        if remainder:
            raise Invalid(
                field,
                f"所有部分都已手工设定，合计 {fen_to_yuan_text(fixed_sum)} 元必须等于"
                f"{what} {fen_to_yuan_text(total)} 元",
            )
        return parts
    if remainder == 0:
        return parts
    for weights in weight_options:
        free_weights = [weights[i] for i in free]
        if sum(free_weights) > 0:
            break
    else:  # pragma: no cover - the last option is the day count, never all zero
        raise AssertionError("the last weight option must be positive")
    for i, share in zip(free, split_by_weights(remainder, free_weights), strict=True):
        parts[i] = share
    return parts


def split_grid(row_totals: Sequence[int], column_totals: Sequence[int]) -> list[list[int]]:
    """An integer table with exactly these row and column totals, shaped like their product.

    Used for people × weeks: each person's month (row) and the campus's weeks (columns) are
    given. Column by column, the column total is split over the rows in proportion to what
    each row still has to receive (largest remainder). A share never exceeds what its row still
    needs (the remaining total is at least the column's), so nothing goes negative, and the last
    column receives exactly what is left: every row and column adds up to the fen.
    """
    if sum(row_totals) != sum(column_totals):
        raise ValueError("row and column totals must have the same sum")
    if any(t < 0 for t in (*row_totals, *column_totals)):
        raise ValueError("totals must not be negative")
    remaining = list(row_totals)
    grid = [[0] * len(column_totals) for _ in row_totals]
    for j, column_total in enumerate(column_totals):
        if column_total == 0:
            continue
        shares = split_by_weights(column_total, remaining)
        for i, share in enumerate(shares):
            grid[i][j] = share
            remaining[i] -= share
    return grid


# --------------------------------------------------------------------------- weights


def _month_day_counts(year: int) -> list[int]:
    return [len(month_days(year, m)) for m in range(1, 13)]


def _week_weight_options(year: int, month: int, profile: DayWeightProfile) -> list[list[int]]:
    weeks = weeks_of_month(year, month)
    return [
        [sum(profile.weights_of(w.days)) for w in weeks],
        [len(w.days) for w in weeks],
    ]


def _usable_history(
    history: Mapping[int, int] | None,
) -> tuple[list[int] | None, str | None, tuple[int, ...]]:
    """Month weights from last year's actuals, or why they cannot be used."""
    if history is None:
        return None, "没有提供去年的实际数据，已改按日权重分解", ()
    by_month = [int(history.get(m, 0)) for m in range(1, 13)]
    if sum(by_month) <= 0:
        return None, "去年没有（或没有正的）实际数据，已改按日权重分解", ()
    # A month whose refunds outweighed its sales gets no share rather than a negative one.
    weights = [max(v, 0) for v in by_month]
    empty = tuple(m for m, w in enumerate(weights, start=1) if w == 0)
    return weights, None, empty


def week_profile_for(method: SpreadMethod, profile: DayWeightProfile) -> DayWeightProfile:
    """The profile that spreads weeks under ``method`` (``even`` → days; else the campus's)."""
    return EVEN if method is SpreadMethod.EVEN else profile


# --------------------------------------------------------------------------- previews


def plan_month(
    year: int,
    month: int,
    amount_fen: int,
    *,
    is_manual: bool,
    week_profile: DayWeightProfile,
    week_overrides: Mapping[int, int],
    field: str,
) -> MonthPlan:
    """Spread one month over its weeks (checked inputs; ``field`` names the overflow)."""
    period = Period("month", year, month)
    weeks = weeks_of_month(year, month)
    fixed = {w - 1: fen for w, fen in week_overrides.items()}
    amounts = spread(
        amount_fen,
        len(weeks),
        fixed,
        _week_weight_options(year, month, week_profile),
        field,
        f"{period.label}的目标",
    )
    planned = tuple(
        PlannedWeek(Period("week", year, month, w.index), fen, (w.index - 1) in fixed)
        for w, fen in zip(weeks, amounts, strict=True)
    )
    return MonthPlan(period, amount_fen, is_manual, planned, holiday_data_available(year))


def build_year_plan(
    year: int,
    amount_fen: int,
    method: SpreadMethod,
    profile: DayWeightProfile,
    *,
    overrides: Mapping[int, int],
    seasonality: Mapping[int, int] | None,
    week_overrides: Mapping[int, Mapping[int, int]],
    field: str,
    week_field: str | None,
) -> YearPlan:
    """Spread a year over months and weeks from checked inputs.

    ``field`` names the input blamed when the manual months do not fit the year; ``week_field``
    (``None``: ``week_overrides[<month>]``) the one blamed when a month's manual weeks do not
    fit the month it ends up with.
    """
    day_counts = _month_day_counts(year)
    method_used, reason, empty = method, None, ()
    options: list[Sequence[int]]
    if method is SpreadMethod.EVEN:
        options = [day_counts]
    else:
        profile_sums = [sum(profile.weights_of(month_days(year, m))) for m in range(1, 13)]
        options = [profile_sums, day_counts]
        if method is SpreadMethod.SEASONALITY:
            history, reason, empty = _usable_history(seasonality)
            if history is None:
                method_used = SpreadMethod.DAY_WEIGHTS
            else:
                options.insert(0, history)
    fixed = {m - 1: fen for m, fen in overrides.items()}
    amounts = spread(amount_fen, 12, fixed, options, field, f"{year}年的年度目标")
    week_profile = week_profile_for(method, profile)
    months = tuple(
        plan_month(
            year,
            m,
            amounts[m - 1],
            is_manual=(m - 1) in fixed,
            week_profile=week_profile,
            week_overrides=week_overrides.get(m, {}),
            field=week_field or f"week_overrides[{m}]",
        )
        for m in range(1, 13)
    )
    return YearPlan(
        Period("year", year),
        amount_fen,
        method,
        method_used,
        months,
        holiday_data_available(year),
        reason,
        empty if method_used is SpreadMethod.SEASONALITY else (),
    )


def preview_year(
    year: int,
    amount_fen: int,
    method: SpreadMethod | str,
    profile: DayWeightProfile,
    overrides: Mapping[object, object] | None = None,
    seasonality: Mapping[int, int] | None = None,
    week_overrides: Mapping[object, Mapping[object, object]] | None = None,
) -> YearPlan:
    """Spread a year's target to months and weeks without saving anything.

    ``overrides`` are hand-set months ``{month: fen}``; ``week_overrides`` hand-set weeks
    ``{month: {week_index: fen}}``; ``seasonality`` last year's actual ``{month: fen}`` (used by
    the ``seasonality`` method only).
    """
    check_year(year)
    amount = check_fen(amount_fen, "amount_fen")
    chosen = check_method(method)
    months = check_month_overrides(overrides)
    weeks: dict[int, dict[int, int]] = {}
    for key, inner in (week_overrides or {}).items():
        month = _check_key(key, range(1, 13), f"week_overrides[{key}]")
        weeks[month] = check_week_overrides(year, month, inner, f"week_overrides[{month}]")
    return build_year_plan(
        year,
        amount,
        chosen,
        profile,
        overrides=months,
        seasonality=seasonality,
        week_overrides=weeks,
        field="overrides",
        week_field=None,
    )


def preview_month(
    year: int,
    month: int,
    amount_fen: int,
    method: SpreadMethod | str,
    profile: DayWeightProfile,
    overrides: Mapping[object, object] | None = None,
) -> MonthPlan:
    """Spread one month's target over its weeks (``overrides``: ``{week_index: fen}``)."""
    check_year(year)
    check_month(month)
    amount = check_fen(amount_fen, "amount_fen")
    chosen = check_method(method)
    weeks = check_week_overrides(year, month, overrides)
    return plan_month(
        year,
        month,
        amount,
        is_manual=False,
        week_profile=week_profile_for(chosen, profile),
        week_overrides=weeks,
        field="overrides",
    )
