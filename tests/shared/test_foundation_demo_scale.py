"""The large demo's promised size, proven cheaply from its plan (issue 2).

``dabiao demo --scale large`` promises 20 campuses, >= 600 staff, >= 40,000 students, three years
of history and >= 1,500,000 attendance rows. Building it takes minutes, so the default run checks
the plan instead: the chain's campuses and staff, the length of the history on every day of the
year, and one campus of the chain's average size simulated in memory (nothing written), whose
students and attendance, twenty times over, must clear the promise with a margin.
``tests/perf/bench_demo.py`` builds the real chain and asserts the real totals; its figures are
in the README (the average campus overestimates the real chain by about 3 %).
"""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from datetime import date, timedelta

from faker import Faker

from shared.demo import SCALES, campus_plans, history_start
from shared.demo.rows import IdMaker, RowSink
from shared.demo.simulate import BuildContext, CampusSimulation, holidays

SEED = 1  # the CLI's default seed and the benchmark's


def whole_years(start: date, today: date) -> int:
    """Whole years from ``start`` up to ``today``."""
    years = today.year - start.year
    return years - 1 if (today.month, today.day) < (start.month, start.day) else years


def every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def test_small_history_is_at_least_one_full_year_and_starts_on_1_january() -> None:
    small = SCALES["small"]
    for today in every_day(2027) + every_day(2028):
        start = history_start(small, today)
        assert start == date(today.year - 1, 1, 1), today
        assert whole_years(start, today) >= 1, today


def test_large_history_is_at_least_three_years_on_every_day_of_the_year() -> None:
    large = SCALES["large"]
    for today in every_day(2027) + every_day(2028):  # 2028 is a leap year
        start = history_start(large, today)
        assert whole_years(start, today) >= 3, (today, start)
        assert start <= date(today.year - 1, 1, 1)  # last year is whole (the targets' seasons)
        assert start.day == 1 and (today - start).days < 3 * 366 + 31, (today, start)


def test_large_chain_has_twenty_campuses_and_over_600_staff() -> None:
    large = SCALES["large"]
    plans = campus_plans(large, random.Random(SEED))
    assert len(plans) == large.campuses == 20
    assert len({p.name for p in plans}) == len({p.code for p in plans}) == 20
    # A campus has its manager, front desks, consultants and teachers (the simulation below
    # shows it creates exactly these people).
    assert sum(1 + p.front_desks + p.consultants + p.teachers for p in plans) >= 600


def test_an_average_large_campus_times_twenty_clears_the_promised_size() -> None:
    large = SCALES["large"]
    plans = campus_plans(large, random.Random(SEED))
    average = dataclasses.replace(
        plans[0],
        initial_students=round(sum(p.initial_students for p in plans) / len(plans)),
        leads_per_week=sum(p.leads_per_week for p in plans) / len(plans),
    )
    # The first of a month: the shortest history the rule gives (exactly three years).
    today = date(2027, 1, 1)
    start = history_start(large, today)
    assert whole_years(start, today) == 3
    horizon = today + timedelta(days=6 - today.weekday() + 7)
    rng = random.Random(SEED)
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    scratch = sqlite3.connect(":memory:")  # the sink only queues rows: nothing is written
    try:
        ctx = BuildContext(
            rng=rng,
            fake=fake,
            sink=RowSink(scratch),
            ids=IdMaker(rng),
            start=start,
            today=today,
            horizon=horizon,
            pin_for=lambda: "2580",
            pin_hashes={"2580": "-"},
            holidays=holidays(start.year, horizon.year),
        )
        campus = CampusSimulation(ctx, average)
        campus.run()
        queued = {table: ctx.sink.pending(table) for table in ("staff", "students", "attendance")}
    finally:
        scratch.close()
    assert queued["staff"] == 1 + average.front_desks + average.consultants + average.teachers
    # Twenty such campuses, with a 5 % margin for the estimate.
    assert queued["students"] * 20 >= 40_000 * 1.05, queued
    assert queued["attendance"] * 20 >= 1_500_000 * 1.05, queued
