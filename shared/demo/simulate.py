"""One campus's history, simulated day by day and written as raw rows.

The simulation walks every day from the start of the history to the end of next week:

* leads arrive (seasonal, growing a little every year), are contacted, invited, visit and book
  trial lessons; trials are held, missed or cancelled, and some sign;
* signed students join a weekly class of their course (one-to-one courses get their own slot),
  attend, take leave, miss lessons and make them up; they renew when their hours run low,
  add a second subject, pause, quit (sometimes with a refund) or simply stop;
* teachers write growth records and talk to parents; consultants and teachers log stage work.

Days before ``today`` are history (lessons done, attendance marked); from ``today`` to the end of
next week only the timetable exists (lessons scheduled, trials booked).

划课 is not simulated: after the walk, every student's charges for a course are allocated with
:func:`shared.consumption.allocate`, the very rule the live services use, so the entries are
exactly what marking that attendance through the services would have produced.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import accumulate
from typing import Any

from faker import Faker

from ..consumption import Allocation, Charge, Package, allocate, charge_kind
from ..funnel import FunnelRates
from ..models import (
    DEFAULT_STAGE_NAMES,
    AttendanceStatus,
    ConsumptionKind,
    LessonStatus,
    SignType,
    StudentStatus,
    TrialOutcome,
    TrialStatus,
)
from ..money import round_half_up, split_by_weights
from ..services.campus import DEFAULT_SETTINGS
from . import content as C
from .rows import IdMaker, RowSink, utc_text
from .targets import CampusActuals

ONE_DAY = timedelta(days=1)

# What the 划课 step needs of one charged attendance: the sort key load_charges uses
# (lesson_on, starts_at, attendance created_at, attendance id), then hundredths, kind, teacher
# and the lesson's date.
ChargeRow = tuple[str, str, str, bytes, int, ConsumptionKind, bytes, date]
# One package as load_packages sorts it (signed_on, created_at, id), then paid hundredths,
# amount in fen and gifted hundredths.
OrderRow = tuple[str, str, bytes, int, int, int]

# Lead volume by month: busy before the spring term, in the summer holidays and in September.
SEASON = (0.8, 0.75, 1.2, 1.0, 0.9, 1.05, 1.35, 1.25, 1.3, 0.9, 0.9, 0.8)

# Start times (minutes after midnight) of weekly slots; one-to-one lessons are an hour long.
ONE_TO_ONE_WEEKDAY = (960, 1020, 1080, 1140, 1200)
ONE_TO_ONE_WEEKEND = (540, 600, 660, 780, 840, 900, 960, 1020, 1080, 1140)
GROUP_WEEKDAY = (990, 1110)
GROUP_WEEKEND = (510, 630, 810, 930, 1050, 1140)
MAX_SLOTS_PER_TEACHER = 30

# Fixed weighted choices, with their cumulative weights computed once.
_FAMILY_SHAPES = [shape for shape, _ in C.FAMILY_SHAPES]
_FAMILY_SHAPE_CUM = list(accumulate(w for _, w in C.FAMILY_SHAPES))
_SOURCES = [source for source, _ in C.SOURCES]
_SOURCE_CUM = list(accumulate(w for _, w in C.SOURCES))
_AGES = range(4, 15)  # at first contact
_AGE_CUM = list(accumulate((6, 9, 10, 10, 9, 8, 7, 5, 4, 3, 2)))
_PACKAGE_CUM = list(accumulate(p[1] for p in C.PACKAGES))

# Chinese New Year's day; lessons stop from the day before to six days after.
SPRING_FESTIVAL = {
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
    2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26),
    2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
    2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


def holidays(first_year: int, last_year: int) -> set[date]:
    """Days without lessons: the Spring Festival week and the first three days of October."""
    days: set[date] = set()
    for year in range(first_year, last_year + 1):
        new_year = SPRING_FESTIVAL.get(year, date(year, 2, 1))
        days.update(new_year + timedelta(days=i) for i in range(-1, 7))
        days.update(date(year, 10, d) for d in (1, 2, 3))
    return days


@dataclass(frozen=True, slots=True)
class CampusPlan:
    """What one campus looks like before its history is simulated."""

    name: str
    code: str
    district: str
    course_keys: tuple[str, ...]
    consultants: int
    teachers: int
    front_desks: int
    initial_students: int
    leads_per_week: float
    piano_rooms: int
    general_rooms: int
    dance_rooms: int


@dataclass
class BuildContext:
    """What every campus of one build shares: randomness, the sink and the calendar."""

    rng: random.Random
    fake: Faker  # seeded, zh_CN
    sink: RowSink
    ids: IdMaker
    start: date
    today: date
    horizon: date  # last day with timetable rows (Sunday of next week)
    pin_for: Callable[[], str]
    pin_hashes: dict[str, str]
    used_phones: set[str] = field(default_factory=set)
    holidays: set[date] = field(default_factory=set)
    date_text: dict[date, str] = field(default_factory=dict)

    def d(self, day: date) -> str:
        """The stored text of a date (cached: a few thousand dates recur millions of times)."""
        text = self.date_text.get(day)
        if text is None:
            text = self.date_text[day] = day.isoformat()
        return text

    def mobile(self) -> str:
        """A realistic, unique mainland mobile number."""
        rng = self.rng
        while True:
            number = rng.choice(C.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number


# --------------------------------------------------------------------------- simulation state


class _Staff:
    __slots__ = ("id", "name", "roles", "pin", "subject", "skill", "busy")

    def __init__(self, staff_id: bytes, name: str, roles: list[str], pin: str) -> None:
        self.id = staff_id
        self.name = name
        self.roles = roles
        self.pin = pin
        self.subject = ""
        self.skill = 1.0
        self.busy: list[tuple[int, int, int]] = []  # (weekday, start, end) of weekly slots

    @property
    def title(self) -> str:
        """How parents address a teacher: 王老师."""
        return self.name[0] + "老师"


class _Course:
    __slots__ = ("id", "spec", "price", "hours", "minutes", "hours_text", "grid")

    def __init__(self, course_id: bytes, spec: C.CourseSpec, price: int) -> None:
        self.id = course_id
        self.spec = spec
        self.price = price  # fen per hour
        self.hours = int(Decimal(spec.hours_per_lesson) * 100)  # hundredths per lesson
        self.minutes = self.hours * 60 // 100
        self.hours_text = spec.hours_per_lesson
        self.grid = (
            (ONE_TO_ONE_WEEKDAY, ONE_TO_ONE_WEEKEND)
            if spec.capacity == 1
            else (GROUP_WEEKDAY, GROUP_WEEKEND)
        )


class _Slot:
    """A weekly class: one course, teacher, room and time; its roster changes over time."""

    __slots__ = ("course", "teacher", "room", "weekday", "start", "roster", "extras")

    def __init__(self, course: _Course, teacher: _Staff, room: str, weekday: int, start: int):
        self.course = course
        self.teacher = teacher
        self.room = room
        self.weekday = weekday
        self.start = start
        self.roster: list[_Enrollment] = []
        # Guests of one lesson: trial students (with the trial's fate) and make-up students.
        self.extras: dict[date, list[_Trial | _Enrollment]] = {}


class _Parent:
    __slots__ = ("id", "name", "relation", "call")

    def __init__(self, parent_id: bytes, name: str, relation: str, call: str) -> None:
        self.id = parent_id
        self.name = name
        self.relation = relation
        self.call = call  # "妈妈", "外婆", …


class _Family:
    __slots__ = ("surname", "parents", "children")

    def __init__(self, surname: str, parents: list[_Parent]) -> None:
        self.surname = surname
        self.parents = parents
        self.children: list[_Student] = []


class _Comm:
    """A contact with the family, kept until the end decides whether its follow-up is done."""

    __slots__ = ("day", "minute", "staff", "channel", "content", "follow_up")

    def __init__(
        self, day: date, minute: int, staff: _Staff, channel: str, content: str,
        follow_up: date | None,
    ) -> None:
        self.day = day
        self.minute = minute
        self.staff = staff
        self.channel = channel
        self.content = content
        self.follow_up = follow_up


class _Student:
    __slots__ = (
        "id", "name", "given", "gender", "birth", "family", "consultant", "source",
        "first_contact", "created", "notes", "comms", "enrollments", "trials", "courses",
        "ability", "last_touch", "changed",
    )

    def __init__(self) -> None:
        self.comms: list[_Comm] = []
        self.enrollments: list[_Enrollment] = []
        self.trials: list[_Trial] = []
        self.courses: list[bytes] = []  # courses ever taken or tried, no repeats
        self.changed: tuple[date, int] = (date.min, 0)

    def parent_called(self) -> str:
        """How staff write about the primary guardian: 子涵妈妈."""
        return self.given + self.family.parents[0].call


class _Enrollment:
    """A student taking one course: balance, class, and what happens next."""

    __slots__ = (
        "student", "course", "slot", "balance", "start", "state", "renew_pending",
        "decided", "renewals", "lessons", "last_order_hours",
    )

    def __init__(self, student: _Student, course: _Course) -> None:
        self.student = student
        self.course = course
        self.slot: _Slot | None = None
        self.balance = 0  # hundredths left (paid + gifted), negative in arrears
        self.start = date.min
        self.state = "active"  # active / paused / ended
        self.renew_pending = False
        self.decided = False  # renewal decided for the current package
        self.renewals = 0
        self.lessons = 0
        self.last_order_hours = 0


class _Trial:
    __slots__ = (
        "id", "student", "course", "slot", "teacher", "consultant", "day", "sign_type",
        "booked_on", "fate",
    )

    def __init__(self, trial_id: bytes) -> None:
        self.id = trial_id


# --------------------------------------------------------------------------- the campus


class CampusSimulation:
    """Simulate one campus from the build's start to the end of next week."""

    def __init__(self, ctx: BuildContext, plan: CampusPlan) -> None:
        self.ctx = ctx
        self.plan = plan
        self.rng = ctx.rng
        self.sink = ctx.sink
        self.ids = ctx.ids
        self.today = ctx.today
        self.id = ctx.ids()
        self.opened = ctx.start  # set by _campus_row: the day the campus opened
        self.staff: list[_Staff] = []
        self.consultants: list[_Staff] = []
        self.teachers: list[_Staff] = []
        self.front_desks: list[_Staff] = []
        self.stage_ids: dict[str, bytes] = {}
        self.courses: list[_Course] = []
        self.course_weights: list[float] = []
        self.rooms: dict[str, list[str]] = {}
        self.room_busy: dict[str, list[tuple[int, int, int]]] = {}
        self.slots_by_course: dict[bytes, list[_Slot]] = {}
        self.slots_by_weekday: list[list[_Slot]] = [[] for _ in range(7)]
        self.events: dict[date, list[tuple[Callable[..., None], tuple[Any, ...]]]] = {}
        self.students: list[_Student] = []
        self.families: list[_Family] = []
        self.enrolled_families: list[_Family] = []
        # 划课 inputs per (student, course): charges and packages, allocated at the end.
        self.charges: dict[tuple[bytes, bytes], list[ChargeRow]] = {}
        self.packages: dict[tuple[bytes, bytes], list[OrderRow]] = {}
        self.refunded: dict[bytes, tuple[int, int]] = {}
        # Facts the targets are derived from.
        self.order_facts: list[tuple[date, int, bytes | None, bytes | None, SignType]] = []
        self.trial_facts: list[tuple[date, bool]] = []  # held trials: day, signed
        self.lesson_values: dict[int, dict[bytes, int]] = {}  # this year: month → teacher
        self.consumption_facts: list[tuple[date, int, bytes]] = []
        self.stage_facts: list[tuple[str, bytes, date]] = []

    # ----------------------------------------------------------------------- entry point

    def run(self) -> None:
        """Simulate the campus and queue all its rows in the sink."""
        ctx = self.ctx
        self._campus_row()
        self._staff_rows()
        self._stage_rows()
        self._course_rows()
        self._rooms()
        self._initial_roster()
        day = ctx.start
        while day <= ctx.horizon:
            if (day.weekday() == 0 or day == ctx.start) and day < self.today:
                self._leads_for_week(day)
            while events := self.events.pop(day, None):
                for handler, args in events:
                    handler(*args, day)
            for slot in self.slots_by_weekday[day.weekday()]:
                if slot.roster or slot.extras:
                    self._slot_lesson(slot, day)
            day += ONE_DAY
        self._student_rows()
        self._consumption_rows()

    # ----------------------------------------------------------------------- setup

    def _campus_row(self) -> None:
        ctx, rng, plan = self.ctx, self.rng, self.plan
        address = (
            f"浙江省杭州市{plan.district}{rng.choice(C.ROADS)}{rng.randrange(8, 900)}号"
            f"{rng.choice(C.BUILDINGS)}"
        )
        phone = f"0571-8{rng.randrange(10**6, 10**7)}"
        opened = ctx.start - timedelta(days=rng.randrange(400, 1500))
        stamp = utc_text(opened, 600)
        self.sink.add(
            "campuses", self.id, stamp, stamp,
            (plan.name, plan.code, address, phone, json.dumps(dict(DEFAULT_SETTINGS))),
        )
        self.opened = opened

    def _staff_rows(self) -> None:
        ctx, rng, plan = self.ctx, self.rng, self.plan
        fake = ctx.fake
        names: list[str] = []

        def person(roles: list[str]) -> _Staff:
            while True:
                name = fake.name()
                if name not in names:
                    names.append(name)
                    break
            member = _Staff(self.ids(), name, roles, ctx.pin_for())
            self.staff.append(member)
            return member

        # Role lists are kept in Role's canonical order, as check_roles stores them.
        manager = person(["manager", "teacher"])
        self.front_desks.append(person(["front_desk"]))
        desk_consultant = person(["front_desk", "consultant"])
        self.front_desks.append(desk_consultant)
        for _ in range(plan.front_desks - 2):
            self.front_desks.append(person(["front_desk"]))
        self.consultants.append(desk_consultant)
        for _ in range(plan.consultants):
            self.consultants.append(person(["consultant"]))
        self.teachers.append(manager)
        for _ in range(plan.teachers):
            self.teachers.append(person(["teacher"]))
        for member in self.consultants + self.teachers:
            member.skill = rng.uniform(0.8, 1.2)
        desk_consultant.skill *= 0.7  # also runs the front desk: fewer leads, fewer signings
        for member in self.staff:
            hired = self.opened + timedelta(days=rng.randrange(0, (ctx.start - self.opened).days))
            stamp = utc_text(hired, 570)
            self.sink.add(
                "staff", member.id, stamp, stamp,
                (
                    self.id, member.name, ctx.mobile(), json.dumps(member.roles),
                    ctx.pin_hashes[member.pin], 1, ctx.d(hired),
                ),
            )

    def _stage_rows(self) -> None:
        # The same rows shared.services.campus.create_campus makes: default codes and order.
        stamp = utc_text(self.opened, 600, 1)
        for order, (code, name) in enumerate(DEFAULT_STAGE_NAMES.items()):
            stage_id = self.ids()
            self.stage_ids[str(code)] = stage_id
            self.sink.add("stages", stage_id, stamp, stamp, (self.id, str(code), name, order, 1))

    def _course_rows(self) -> None:
        rng = self.rng
        stamp = utc_text(self.opened, 610)
        specs = {spec.key: spec for spec in C.COURSES}
        for key in self.plan.course_keys:
            spec = specs[key]
            low, high = spec.price_yuan
            price = rng.randrange(low, high + 1, 10) * 100
            course = _Course(self.ids(), spec, price)
            self.courses.append(course)
            self.course_weights.append(spec.demand)
            self.slots_by_course[course.id] = []
            self.sink.add(
                "courses", course.id, stamp, stamp,
                (self.id, spec.name, spec.subject, price, course.hours, 1),
            )
        # One subject per teacher; every subject taught, the rest where classes are fullest.
        subjects: list[str] = []
        need: dict[str, float] = {}
        for course in self.courses:
            if course.spec.subject not in need:
                subjects.append(course.spec.subject)
                need[course.spec.subject] = 0.0
            need[course.spec.subject] += course.spec.demand / max(1.0, course.spec.capacity * 0.6)
        teachers = self.teachers
        for teacher, subject in zip(teachers, subjects, strict=False):
            teacher.subject = subject
        extra = teachers[len(subjects):]
        if extra:
            weights = [max(1, round(need[s] * 1000)) for s in subjects]
            shares = split_by_weights(len(extra), weights)
            position = 0
            for subject, share in zip(subjects, shares, strict=True):
                for teacher in extra[position:position + share]:
                    teacher.subject = subject
                position += share
        if len(subjects) > len(teachers):
            raise ValueError("a campus needs at least one teacher per subject")

    def _rooms(self) -> None:
        plan = self.plan
        self.rooms = {
            "piano": [f"琴房{i}" for i in range(1, plan.piano_rooms + 1)],
            "dance": [f"舞蹈室{i}" for i in range(1, plan.dance_rooms + 1)],
            # A101, B201, A102, B202, …: classrooms on two floors.
            "general": [
                f"{'AB'[i % 2]}{101 + i // 2 + (i % 2) * 100}" for i in range(plan.general_rooms)
            ],
        }
        for names in self.rooms.values():
            for name in names:
                self.room_busy[name] = []

    # ----------------------------------------------------------------------- people

    def _new_family(self, day: date) -> _Family:
        ctx, rng = self.ctx, self.rng
        fake = ctx.fake
        surname = fake.last_name()
        shape = rng.choices(_FAMILY_SHAPES, cum_weights=_FAMILY_SHAPE_CUM)[0]
        parents = []
        stamp = utc_text(day, rng.randrange(540, 1260), rng.randrange(60))
        for key in shape:
            relation, call = C.RELATIONS[key]
            if key in ("father", "grandpa_p"):
                name = surname + fake.first_name_male()
            elif key == "grandpa_m":
                name = fake.last_name() + fake.first_name_male()
            else:
                name = fake.last_name() + fake.first_name_female()
            phone = ctx.mobile()
            phone2 = ctx.mobile() if rng.random() < 0.15 else ""
            r = rng.random()
            if r < 0.45:
                wechat = phone
            elif r < 0.75:
                wechat = "wxid_" + "".join(
                    rng.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(12)
                )
            elif r < 0.92:
                wechat = f"{rng.choice(C.WECHAT_HANDLES)}{rng.randrange(1980, 2020)}"
            else:
                wechat = ""
            notes = rng.choice(C.PARENT_NOTES) if rng.random() < 0.12 else ""
            parent = _Parent(self.ids(), name, relation, call)
            parents.append(parent)
            self.sink.add(
                "parents", parent.id, stamp, stamp, (self.id, name, phone, phone2, wechat, notes)
            )
        family = _Family(surname, parents)
        self.families.append(family)
        return family

    def _pick_course(self, age: int, exclude: list[bytes] | None = None) -> _Course | None:
        options = [
            (course, weight)
            for course, weight in zip(self.courses, self.course_weights, strict=True)
            if course.spec.min_age <= age and not (exclude and course.id in exclude)
        ]
        if not options:
            return None
        return self.rng.choices([c for c, _ in options], weights=[w for _, w in options])[0]

    def _pick_consultant(self) -> _Staff:
        return self.rng.choices(
            self.consultants, weights=[c.skill for c in self.consultants]
        )[0]

    def _new_student(
        self, day: date, family: _Family | None = None, source: str | None = None
    ) -> _Student:
        rng = self.rng
        if family is None:
            family = self._new_family(day)
        student = _Student()
        student.id = self.ids()
        student.gender = "男" if rng.random() < 0.5 else "女"
        pool = C.BOY_NAMES if student.gender == "男" else C.GIRL_NAMES
        student.given = rng.choice(pool)
        if family.children and rng.random() < 0.5:
            # Siblings rarely share a given name.
            while student.given == family.children[0].given:
                student.given = rng.choice(pool)
        student.name = family.surname + student.given
        if len(student.given) == 1:
            student.given *= 2  # 晨 is called 晨晨 at home and at school
        age = rng.choices(_AGES, cum_weights=_AGE_CUM)[0]
        student.birth = day - timedelta(days=age * 365 + rng.randrange(365))
        student.family = family
        student.consultant = self._pick_consultant()
        if source is None:
            source = rng.choices(_SOURCES, cum_weights=_SOURCE_CUM)[0]
        student.source = source
        student.first_contact = day
        student.created = (day, rng.randrange(540, 1260))
        student.notes = ""
        student.ability = rng.choices((2, 3, 4, 5), cum_weights=(1, 5, 10, 12))[0]
        student.last_touch = day
        family.children.append(student)
        self.students.append(student)
        return student

    def _age_on(self, student: _Student, day: date) -> int:
        return (day - student.birth).days // 365

    # ----------------------------------------------------------------------- record helpers

    def _comm(
        self,
        student: _Student,
        day: date,
        staff: _Staff,
        channel: str,
        content: str,
        follow_up: date | None = None,
    ) -> None:
        if day >= self.today:
            return
        student.comms.append(
            _Comm(day, self.rng.randrange(540, 1290), staff, channel, content, follow_up)
        )
        student.last_touch = max(student.last_touch, day)

    def _activity(
        self, code: str, staff: _Staff, day: date, student: _Student | None, note: str = ""
    ) -> None:
        if day >= self.today or day < self.ctx.start:
            return
        rng = self.rng
        stamp = utc_text(day, rng.randrange(540, 1290), rng.randrange(60))
        parent_id = student.family.parents[0].id if student is not None else None
        if not note:
            note = rng.choice(C.STAGE_NOTES[code])
        self.sink.add(
            "stage_activities", self.ids(), stamp, stamp,
            (
                self.id, self.stage_ids[code], staff.id,
                student.id if student is not None else None, parent_id, self.ctx.d(day), note,
            ),
        )
        self.stage_facts.append((code, staff.id, day))

    def _at(self, day: date, handler: Callable[..., None], *args: Any) -> None:
        """Call ``handler(*args, day)`` when the walk reaches ``day``."""
        self.events.setdefault(day, []).append((handler, args))

    def _fill(self, template: str, student: _Student, **extra: object) -> str:
        return template.format(
            parent=student.parent_called(),
            child=student.given,
            praise=self.rng.choice(C.PRAISES),
            homework=self.rng.choice(C.HOMEWORK),
            focus=self.rng.choice(C.FOCUS_POINTS),
            **extra,
        )

    # ----------------------------------------------------------------------- orders

    def _order(
        self,
        student: _Student,
        course: _Course,
        day: date,
        sign_type: SignType,
        consultant: _Staff | None,
        intent_teacher: _Staff | None,
        trial: _Trial | None = None,
        renewal: bool = False,
        carried_lessons: int = 0,
    ) -> tuple[int, int]:
        """Record a package; return its (paid, gifted) hundredths.

        ``carried_lessons`` makes the opening balance of a student who was already studying
        before the history starts: what was left of their package then, at the list price.
        """
        rng = self.rng
        lessons, _, discount, gifts = rng.choices(C.PACKAGES, cum_weights=_PACKAGE_CUM)[0]
        if renewal and lessons == 16 and rng.random() < 0.5:
            lessons = 32  # families who stay tend to buy bigger packages
        gift_lessons = rng.choice(gifts)
        note = self._order_note(sign_type, day)
        if carried_lessons:
            lessons, discount, gift_lessons = carried_lessons, 1000, 0
            note = C.CARRIED_OVER_NOTE
        paid = lessons * course.hours
        gift = gift_lessons * course.hours
        amount = course.price * paid // 100 * discount // 1000 // 100 * 100  # whole yuan
        order_id = self.ids()
        minute = rng.randrange(600, 1230)
        created = utc_text(day, minute, rng.randrange(60), rng.randrange(10**6))
        if gift and note == "":
            note = f"赠送{gift // 100}课时" if gift % 100 == 0 else f"赠送{gift / 100:g}课时"
        self.sink.add(
            "orders", order_id, created, created,
            (
                self.id, student.id, course.id, sign_type.value, self.ctx.d(day), paid, gift,
                amount, consultant.id if consultant else None,
                intent_teacher.id if intent_teacher else None,
                trial.id if trial else None, None, note,
            ),
        )
        self.packages.setdefault((student.id, course.id), []).append(
            (self.ctx.d(day), created, order_id, paid, amount, gift)
        )
        self.order_facts.append(
            (day, amount, consultant.id if consultant else None,
             intent_teacher.id if intent_teacher else None, sign_type)
        )
        student.changed = max(student.changed, (day, minute))
        return paid, gift

    def _order_note(self, sign_type: SignType, day: date) -> str:
        """Most orders carry no note; some name the offer of the season or of their type."""
        rng = self.rng
        if rng.random() < 0.6:
            return ""
        fitting = [
            note
            for months, sign_types, note in C.ORDER_NOTES
            if (not months or day.month in months)
            and (not sign_types or sign_type.value in sign_types)
        ]
        return rng.choice(fitting) if fitting else ""

    def _enroll(self, student: _Student, course: _Course, day: date, hours: int) -> _Enrollment:
        enrollment = _Enrollment(student, course)
        enrollment.balance = hours
        enrollment.last_order_hours = hours
        student.enrollments.append(enrollment)
        if course.id not in student.courses:
            student.courses.append(course.id)
        if student.family not in self.enrolled_families:
            self.enrolled_families.append(student.family)
        self._place(enrollment, day + ONE_DAY)
        return enrollment

    def _place(self, enrollment: _Enrollment, start: date) -> None:
        """Put an enrollment into a class of its course (a new one when all are full)."""
        rng = self.rng
        course = enrollment.course
        slots = self.slots_by_course[course.id]
        capacity = course.spec.capacity
        if capacity > 1:
            open_classes = [s for s in slots if 0 < len(s.roster) < capacity]
            if open_classes and rng.random() < 0.9:
                slot = rng.choice(open_classes)
            else:
                empty = [s for s in slots if not s.roster]
                slot = rng.choice(empty) if empty else self._new_slot(course)
        else:
            empty = [s for s in slots if not s.roster]
            slot = rng.choice(empty) if empty and rng.random() < 0.7 else self._new_slot(course)
        enrollment.slot = slot
        enrollment.start = start
        enrollment.state = "active"
        slot.roster.append(enrollment)

    def _new_slot(self, course: _Course) -> _Slot:
        rng = self.rng
        weekday_times, weekend_times = course.grid
        weekend = [(wd, t) for wd in (5, 6) for t in weekend_times]
        weekdays = [(wd, t) for wd in range(5) for t in weekday_times]
        rng.shuffle(weekend)
        rng.shuffle(weekdays)
        options = weekend + weekdays if rng.random() < 0.6 else weekdays + weekend
        teachers = [t for t in self.teachers if t.subject == course.spec.subject]
        teachers.sort(key=lambda t: len(t.busy) + rng.random())
        minutes = course.minutes
        kind = course.spec.room_kind
        for teacher in teachers:
            if len(teacher.busy) >= MAX_SLOTS_PER_TEACHER:
                continue
            for weekday, start in options:
                if _overlaps(teacher.busy, weekday, start, start + minutes):
                    continue
                room = self._free_room(kind, weekday, start, start + minutes)
                return self._make_slot(course, teacher, room, weekday, start)
        # Every teacher of the subject is fully booked: the least busy one takes another class.
        teacher = teachers[0]
        weekday, start = options[0]
        return self._make_slot(
            course, teacher, self._free_room(kind, weekday, start, start + minutes),
            weekday, start,
        )

    def _free_room(self, kind: str, weekday: int, start: int, end: int) -> str:
        rooms = self.rooms[kind]
        for room in rooms:
            if not _overlaps(self.room_busy[room], weekday, start, end):
                return room
        prefix = {"piano": "琴房", "dance": "舞蹈室", "general": "C"}[kind]
        room = f"{prefix}{len(rooms) + (300 if kind == 'general' else 1)}"
        rooms.append(room)
        self.room_busy[room] = []
        return room

    def _make_slot(
        self, course: _Course, teacher: _Staff, room: str, weekday: int, start: int
    ) -> _Slot:
        slot = _Slot(course, teacher, room, weekday, start)
        teacher.busy.append((weekday, start, start + course.minutes))
        self.room_busy[room].append((weekday, start, start + course.minutes))
        self.slots_by_course[course.id].append(slot)
        self.slots_by_weekday[weekday].append(slot)
        return slot

    # ----------------------------------------------------------------------- the roster at start

    def _initial_roster(self) -> None:
        """Students already studying when the history starts, with their opening balances.

        Their earlier packages are not part of the history; each starts with one order dated
        the day before, holding what was left (2 to 40 lessons), so that their renewals spread
        over the first months instead of arriving all at once.
        """
        rng, start = self.rng, self.ctx.start
        opening = start - ONE_DAY
        for _ in range(self.plan.initial_students):
            contact = start - timedelta(days=rng.randrange(60, 720))
            family = None
            if self.families and rng.random() < 0.05:
                family = rng.choice(self.families)
            student = self._new_student(contact, family)
            courses = [self._pick_course(self._age_on(student, start))]
            if rng.random() < 0.2:
                courses.append(
                    self._pick_course(self._age_on(student, start), [c.id for c in courses if c])
                )
            for course in courses:
                if course is None:
                    continue
                sign_type = SignType.NEW if contact > start - timedelta(days=200) else (
                    SignType.RENEWAL
                )
                paid, gift = self._order(
                    student, course, opening, sign_type, student.consultant, None,
                    carried_lessons=rng.randrange(2, 41),
                )
                enrollment = self._enroll(student, course, opening, paid + gift)
                enrollment.renewals = rng.randrange(0, 3)

    # ----------------------------------------------------------------------- leads

    def _leads_for_week(self, monday: date) -> None:
        rng, ctx = self.rng, self.ctx
        years = (monday - ctx.start).days / 365.25
        rate = self.plan.leads_per_week * SEASON[monday.month - 1] * (1.12 ** years)
        days = [
            monday + timedelta(days=i)
            for i in range(7)
            if ctx.start <= monday + timedelta(days=i) < self.today
        ]
        if not days:
            return
        rate *= len(days) / 7
        weights = [1.6 if d.weekday() >= 5 else 1.0 for d in days]
        for _ in range(_poisson(rng, rate)):
            self._at(rng.choices(days, weights=weights)[0], self._new_lead)

    def _new_lead(self, day: date) -> None:
        rng = self.rng
        if day >= self.today:
            return
        family = None
        source = None
        if self.enrolled_families and rng.random() < 0.06:
            family = rng.choice(self.enrolled_families)
            source = "老带新"
        student = self._new_student(day, family, source)
        if family is not None:
            student.consultant = family.children[0].consultant
        consultant = student.consultant
        course = self._pick_course(self._age_on(student, day))
        assert course is not None  # the youngest leads are 4, every campus has 4+ courses
        if rng.random() < 0.12:
            student.notes = rng.choice(C.STUDENT_NOTES).format(course=course.spec.name)
        channel = {"地推": "电话", "自然到访": "面谈"}.get(student.source, "微信")
        grade = _grade(student.birth, day)
        self._comm(
            student, day, consultant, channel,
            self._fill(rng.choice(C.COMM_LEAD_FIRST), student, source=student.source,
                       course=course.spec.name, grade=grade or "学龄前"),
            day + timedelta(days=rng.randrange(1, 4)),
        )
        if student.source in C.REFERRAL_SOURCES:
            self._activity("referral", consultant, day, student)
        r = rng.random()
        if r < 0.7:
            invite = day + timedelta(days=rng.randrange(0, 3))
            sign_type = (
                SignType.REFERRAL if student.source in C.REFERRAL_SOURCES else SignType.NEW
            )
            self._book_trial(student, course, invite, sign_type)
        elif r < 0.84:
            visit = day + timedelta(days=rng.randrange(1, 8))
            self._activity("invitation", consultant, day, student)
            self._activity("visit", consultant, visit, student)
            self._comm(
                student, visit, consultant, "面谈",
                f"{student.parent_called()}带孩子到校区参观，介绍了{course.spec.name}的课程安排，"
                "家长说回去考虑。",
                visit + timedelta(days=rng.randrange(2, 8)),
            )
        else:
            when = day
            for _ in range(rng.randrange(1, 4)):
                when += timedelta(days=rng.randrange(2, 12))
                self._activity("invitation", consultant, when, student)
                self._comm(
                    student, when, consultant, rng.choice(("电话", "微信")),
                    self._fill(rng.choice(C.COMM_NO_TRIAL), student),
                    when + timedelta(days=rng.randrange(3, 15)),
                )

    # ----------------------------------------------------------------------- trials

    def _book_trial(
        self, student: _Student, course: _Course, invite: date, sign_type: SignType
    ) -> None:
        rng = self.rng
        consultant = student.consultant
        wanted = invite + timedelta(days=rng.randrange(2, 10))
        slot = None
        if course.spec.capacity > 1:
            running = [s for s in self.slots_by_course[course.id] if s.roster]
            if running:
                slot = rng.choice(running)
        if slot is not None:
            day = wanted + timedelta(days=(slot.weekday - wanted.weekday()) % 7)
            teacher = slot.teacher
        else:
            day = wanted
            teacher = rng.choice([t for t in self.teachers if t.subject == course.spec.subject])
        if day > self.ctx.horizon:
            return
        trial = _Trial(self.ids())
        trial.student, trial.course, trial.slot = student, course, slot
        trial.teacher, trial.consultant, trial.day = teacher, consultant, day
        trial.sign_type, trial.booked_on = sign_type, invite
        student.trials.append(trial)
        if course.id not in student.courses:
            student.courses.append(course.id)
        self._activity("invitation", consultant, invite, student)
        self._comm(
            student, invite, consultant, rng.choice(("电话", "微信")),
            self._fill(rng.choice(C.COMM_INVITE), student, course=course.spec.name,
                       weekday=C.WEEKDAY_NAMES[day.weekday()]),
        )
        self._at(day, self._run_trial, trial)

    def _run_trial(self, trial: _Trial, day: date) -> None:
        rng = self.rng
        student = trial.student
        if day >= self.today:
            self._attach_trial(trial, day, TrialStatus.SCHEDULED, None)
            return
        r = rng.random()
        consultant = trial.consultant
        if r < 0.13:
            self._trial_row(trial, None, TrialStatus.CANCELLED, TrialOutcome.NOT_SIGNED, "")
            self._comm(student, day - ONE_DAY, consultant, "电话",
                       self._fill(rng.choice(C.COMM_TRIAL_CANCELLED), student))
            if rng.random() < 0.3:
                self._book_trial(student, trial.course, day + timedelta(days=rng.randrange(5, 15)),
                                 trial.sign_type)
            return
        if r < 0.24:
            self._attach_trial(trial, day, TrialStatus.NO_SHOW, TrialOutcome.NOT_SIGNED)
            self._comm(student, day, consultant, "电话",
                       self._fill(rng.choice(C.COMM_TRIAL_NO_SHOW), student))
            if rng.random() < 0.4:
                self._book_trial(student, trial.course, day + timedelta(days=rng.randrange(3, 10)),
                                 trial.sign_type)
            return
        # Held: the family visited, the child sat in the class.
        self._activity("visit", consultant, day, student)
        self._activity("trial", consultant, day, student)
        course = trial.course
        self._comm(
            student, day, consultant, "面谈",
            self._fill(rng.choice(C.COMM_TRIAL_HELD), student, course=course.spec.name,
                       teacher=trial.teacher.title),
        )
        p_sign = 0.58 * consultant.skill * (0.6 + 0.4 * trial.teacher.skill)
        if trial.sign_type is SignType.CROSS_SELL:
            p_sign = min(0.85, p_sign + 0.2)
        if rng.random() < p_sign:
            sign_day = day + timedelta(days=0 if rng.random() < 0.4 else rng.randrange(1, 11))
            if sign_day < self.today:
                self.trial_facts.append((day, True))
                self._attach_trial(trial, day, TrialStatus.HELD, TrialOutcome.SIGNED)
                self._at(sign_day, self._sign, trial)
                return
            outcome = TrialOutcome.PENDING
            follow_up = sign_day
        elif day >= self.today - timedelta(days=14):
            outcome = TrialOutcome.PENDING
            follow_up = day + timedelta(days=rng.randrange(2, 9))
        else:
            outcome = TrialOutcome.NOT_SIGNED
            follow_up = None
        self.trial_facts.append((day, False))
        self._attach_trial(trial, day, TrialStatus.HELD, outcome)
        later = min(day + timedelta(days=rng.randrange(1, 4)), self.today - ONE_DAY)
        template = C.COMM_AFTER_TRIAL_PENDING if follow_up else C.COMM_AFTER_TRIAL_NO
        self._comm(
            student, max(later, day), consultant, rng.choice(("电话", "微信")),
            self._fill(rng.choice(template), student, course=course.spec.name), follow_up,
        )

    def _attach_trial(
        self, trial: _Trial, day: date, status: TrialStatus, outcome: TrialOutcome | None
    ) -> None:
        """Seat the trial student in a lesson: the class's own, or a lesson just for the trial."""
        if trial.slot is not None and (trial.slot.roster or trial.slot.extras):
            trial.fate = (status, outcome)
            trial.slot.extras.setdefault(day, []).append(trial)
            return
        course = trial.course
        start = 600 if day.weekday() >= 5 else 1110
        lesson = self._lesson_row(
            course, trial.teacher, "试听室", f"{course.spec.name}·试听课", day, start,
            cancelled=False,
        )
        self._seat_trial(lesson, trial, status, outcome)

    def _seat_trial(
        self,
        lesson: _Lesson,
        trial: _Trial,
        status: TrialStatus,
        outcome: TrialOutcome | None,
    ) -> None:
        student = trial.student
        self._lesson_student(lesson, student.id, True)
        if status is TrialStatus.HELD:
            self._attendance(lesson, student, trial.course, AttendanceStatus.PRESENT, True,
                             lesson.hours, "试听")
        elif status is TrialStatus.NO_SHOW:
            self._attendance(lesson, student, trial.course, AttendanceStatus.ABSENT, True, 0,
                             "试听未到")
        feedback = ""
        if status is TrialStatus.HELD:
            feedback = self.rng.choice(C.TRIAL_FEEDBACK).format(praise=self.rng.choice(C.PRAISES))
        self._trial_row(trial, lesson.id, status, outcome or TrialOutcome.PENDING, feedback)

    def _trial_row(
        self,
        trial: _Trial,
        lesson_id: bytes | None,
        status: TrialStatus,
        outcome: TrialOutcome,
        feedback: str,
    ) -> None:
        rng = self.rng
        created = utc_text(trial.booked_on, rng.randrange(540, 1260), rng.randrange(60))
        updated = created
        if status is not TrialStatus.SCHEDULED:
            updated = utc_text(trial.day, 1290, rng.randrange(60))
        sign_type = trial.sign_type.value if outcome is TrialOutcome.SIGNED else None
        self.sink.add(
            "trial_lessons", trial.id, created, updated,
            (
                self.id, trial.student.id, trial.course.id, trial.consultant.id,
                trial.teacher.id, lesson_id, self.ctx.d(trial.day), status.value, outcome.value,
                sign_type, feedback,
            ),
        )

    def _sign(self, trial: _Trial, day: date) -> None:
        if day >= self.today:
            return
        rng = self.rng
        student = trial.student
        course = trial.course
        if any(e.course is course and e.state != "ended" for e in student.enrollments):
            return
        paid, gift = self._order(
            student, course, day, trial.sign_type, trial.consultant, trial.teacher, trial
        )
        self._activity("sign", trial.consultant, day, student)
        enrollment = self._enroll(student, course, day, paid + gift)
        assert enrollment.slot is not None
        self._comm(
            student, day, trial.consultant, "面谈",
            self._fill(rng.choice(C.COMM_SIGNED), student, course=course.spec.name,
                       hours=_hours_text(paid),
                       weekday=C.WEEKDAY_NAMES[enrollment.slot.weekday]),
        )

    # ----------------------------------------------------------------------- events

    def _renew(self, enrollment: _Enrollment, day: date) -> None:
        if day >= self.today:
            return  # still to come: the arrears stay open until the family pays
        enrollment.renew_pending = False
        if enrollment.state != "active":
            return
        rng = self.rng
        student, course = enrollment.student, enrollment.course
        teacher = enrollment.slot.teacher if enrollment.slot and rng.random() < 0.7 else None
        paid, gift = self._order(
            student, course, day, SignType.RENEWAL, student.consultant, teacher, renewal=True
        )
        enrollment.balance += paid + gift
        enrollment.last_order_hours = paid + gift
        enrollment.decided = False
        enrollment.renewals += 1
        self._activity("renewal", student.consultant, day, student)
        self._comm(
            student, day, student.consultant, rng.choice(("面谈", "微信")),
            self._fill(rng.choice(C.COMM_RENEWED), student, course=course.spec.name,
                       hours=_hours_text(paid)),
        )

    def _cross_order(self, student: _Student, course: _Course, day: date) -> None:
        if day >= self.today or not any(e.state == "active" for e in student.enrollments):
            return
        rng = self.rng
        paid, gift = self._order(
            student, course, day, SignType.CROSS_SELL, student.consultant, None
        )
        self._activity("sign", student.consultant, day, student)
        enrollment = self._enroll(student, course, day, paid + gift)
        assert enrollment.slot is not None
        self._comm(
            student, day, student.consultant, "面谈",
            self._fill(rng.choice(C.COMM_SIGNED), student, course=course.spec.name,
                       hours=_hours_text(paid),
                       weekday=C.WEEKDAY_NAMES[enrollment.slot.weekday]),
        )

    def _resume(self, enrollment: _Enrollment, day: date) -> None:
        if day >= self.today or enrollment.state != "paused" or enrollment.balance <= 0:
            return
        self._place(enrollment, day + ONE_DAY)
        student = enrollment.student
        student.changed = max(student.changed, (day, 600))
        self._comm(
            student, day, student.consultant, "电话",
            f"{student.parent_called()}来电，{student.given}下周恢复上{enrollment.course.spec.name}。",
        )

    def _stop(self, enrollment: _Enrollment, day: date, state: str) -> None:
        if enrollment.slot is not None and enrollment in enrollment.slot.roster:
            enrollment.slot.roster.remove(enrollment)
        enrollment.state = state
        student = enrollment.student
        student.changed = max(student.changed, (day, 1200))

    def _refund(self, enrollment: _Enrollment, day: date) -> None:
        """Refund what remains of the student's packages of the course, at their unit price."""
        if day >= self.today or enrollment.state != "paused":
            return
        rng = self.rng
        student, course = enrollment.student, enrollment.course
        key = (student.id, course.id)
        packages = self._packages(key)
        used_paid: dict[str, int] = {}
        used_gift: dict[str, int] = {}
        for alloc in allocate(packages, self._charges(key)):
            if alloc.order_id is None:
                continue
            bucket = used_gift if alloc.kind is ConsumptionKind.GIFTED else used_paid
            bucket[alloc.order_id] = bucket.get(alloc.order_id, 0) + _h(alloc.hours)
        reason = rng.choice(C.REFUND_REASONS)
        refunded_any = False
        for pkg, row in zip(packages, self._sorted_orders(key), strict=True):
            paid_h = _h(pkg.usable_paid_hours)
            left_paid = paid_h - used_paid.get(pkg.order_id, 0)
            left_gift = _h(pkg.usable_gift_hours) - used_gift.get(pkg.order_id, 0)
            if left_paid <= 0:
                continue
            total_h, amount = row[3], row[4]
            # The refunded hours are the package's last ones: worth A − floor(A·(H−r)/H).
            value = amount - amount * (total_h - left_paid) // total_h
            fee = value * rng.choice((0, 0, 0, 5, 10)) // 100 // 100 * 100
            refund_fen = value - fee
            refund_id = self.ids()
            created = utc_text(day, rng.randrange(600, 1200), rng.randrange(60))
            note = C.REFUND_NOTE.format(reason=reason)
            if fee:
                note += f"，扣手续费{fee // 100}元"
            self.sink.add(
                "orders", refund_id, created, created,
                (
                    self.id, student.id, course.id, SignType.REFUND.value, self.ctx.d(day),
                    left_paid, max(left_gift, 0), -refund_fen, student.consultant.id, None, None,
                    row[2], note,
                ),
            )
            self.refunded[row[2]] = (left_paid, max(left_gift, 0))
            self.order_facts.append(
                (day, -refund_fen, student.consultant.id, None, SignType.REFUND)
            )
            refunded_any = True
        if refunded_any:
            enrollment.state = "ended"
            student.changed = max(student.changed, (day, 1200))
            self._comm(
                student, day, student.consultant, "面谈",
                self._fill(rng.choice(C.COMM_REFUND), student, reason=reason),
            )

    # ----------------------------------------------------------------------- lessons

    def _lesson_row(
        self,
        course: _Course,
        teacher: _Staff,
        room: str,
        title: str,
        day: date,
        start: int,
        cancelled: bool,
    ) -> _Lesson:
        ctx, rng = self.ctx, self.rng
        lesson = _Lesson()
        lesson.id = self.ids()
        lesson.course = course
        lesson.teacher = teacher
        lesson.day = day
        lesson.on = ctx.d(day)
        lesson.starts = utc_text(day, start)
        lesson.hours = course.hours
        lesson.past = day < self.today
        lesson.cancelled = cancelled
        end = start + course.minutes
        lesson.marked = utc_text(day, end, rng.randrange(60, 1200), rng.randrange(10**6))
        created = utc_text(day - timedelta(days=7 + day.weekday()), 600)
        if cancelled:
            status = LessonStatus.CANCELLED.value
            updated = utc_text(day - ONE_DAY, 1200)
        elif lesson.past:
            status = LessonStatus.DONE.value
            updated = lesson.marked
        else:
            status = LessonStatus.SCHEDULED.value
            updated = created
        lesson.created = created
        self.sink.add(
            "lessons", lesson.id, created, updated,
            (
                self.id, course.id, teacher.id, room, title, lesson.on, lesson.starts,
                utc_text(day, end), course.hours, status,
            ),
        )
        lesson.marker = teacher if rng.random() < 0.75 else rng.choice(self.front_desks)
        return lesson

    def _lesson_student(self, lesson: _Lesson, student_id: bytes, is_trial: bool) -> None:
        if not is_trial and not lesson.cancelled and lesson.day.year == self.today.year:
            # What teachers' consumption targets are weighted by: scheduled lesson value.
            values = self.lesson_values.setdefault(lesson.day.month, {})
            teacher = lesson.teacher.id
            values[teacher] = values.get(teacher, 0) + lesson.hours * lesson.course.price
        self.sink.add(
            "lesson_students", self.ids(), lesson.created, lesson.created,
            (lesson.id, student_id, int(is_trial)),
        )

    def _attendance(
        self,
        lesson: _Lesson,
        student: _Student,
        course: _Course,
        status: AttendanceStatus,
        is_trial: bool,
        charged: int,
        note: str,
    ) -> None:
        attendance_id = self.ids()
        self.sink.add(
            "attendance", attendance_id, lesson.marked, lesson.marked,
            (
                self.id, lesson.id, student.id, status.value, int(is_trial), charged,
                lesson.marker.id, note,
            ),
        )
        if charged > 0:
            self.charges.setdefault((student.id, course.id), []).append(
                (
                    lesson.on, lesson.starts, lesson.marked, attendance_id, charged,
                    charge_kind(status, is_trial), lesson.teacher.id, lesson.day,
                )
            )

    def _slot_lesson(self, slot: _Slot, day: date) -> None:
        rng = self.rng
        roster = [e for e in slot.roster if e.start <= day]
        extras = slot.extras.pop(day, None)
        if not roster and not extras:
            return
        course = slot.course
        # Guests were booked around the holidays, so only a lesson without guests is called off.
        cancelled = (
            day < self.today
            and not extras
            and (day in self.ctx.holidays or rng.random() < 0.006)
        )
        lesson = self._lesson_row(
            course, slot.teacher, slot.room, course.spec.name, day, slot.start, cancelled
        )
        for enrollment in roster:
            self._lesson_student(lesson, enrollment.student.id, False)
            if lesson.past and not cancelled:
                self._attend(enrollment, lesson)
        for guest in extras or ():
            if isinstance(guest, _Trial):
                self._seat_trial(lesson, guest, *guest.fate)
            else:
                self._seat_makeup(lesson, guest)

    def _attend(self, enrollment: _Enrollment, lesson: _Lesson) -> None:
        """Mark one enrolled student and let the consequences follow (renewal, churn, ...)."""
        rng = self.rng
        student, course = enrollment.student, enrollment.course
        day = lesson.day
        r = rng.random()
        hours = lesson.hours
        if r < 0.905:
            status, charged, note = AttendanceStatus.PRESENT, hours, ""
        elif r < 0.967:
            status = AttendanceStatus.LEAVE
            reason = rng.choice(C.LEAVE_REASONS)
            if rng.random() < 0.15:
                # Campus policy does not charge leave, but a same-day leave is charged by hand.
                charged, note = hours, f"当天请假（{reason}），按规定扣课时"
            else:
                charged, note = 0, f"请假：{reason}"
                if rng.random() < 0.5:
                    self._plan_makeup(enrollment, day)
            if rng.random() < 0.3:
                self._comm(
                    student, day - ONE_DAY, lesson.marker, "微信",
                    self._fill(rng.choice(C.COMM_LEAVE), student, reason=reason,
                               course=course.spec.name, weekday=C.WEEKDAY_NAMES[day.weekday()]),
                )
        else:
            status, charged, note = AttendanceStatus.ABSENT, hours, "未请假，未到"
        self._attendance(lesson, student, course, status, False, charged, note)
        enrollment.balance -= charged
        if status is AttendanceStatus.PRESENT:
            enrollment.lessons += 1
            self._after_lesson(enrollment, lesson)
        self._consequences(enrollment, day)

    def _after_lesson(self, enrollment: _Enrollment, lesson: _Lesson) -> None:
        rng = self.rng
        student, course = enrollment.student, enrollment.course
        teacher = lesson.teacher
        r = rng.random()
        if r < 0.1:
            self._growth(enrollment, lesson)
        elif r < 0.16:
            self._comm(
                student, lesson.day, teacher, "微信",
                self._fill(rng.choice(C.COMM_TEACHER), student, course=course.spec.name),
            )
            self._activity("parent_contact", teacher, lesson.day, student)

    def _growth(self, enrollment: _Enrollment, lesson: _Lesson) -> None:
        rng = self.rng
        student, course = enrollment.student, enrollment.course
        key = course.spec.key
        n = enrollment.lessons
        note = rng.choice(C.PROGRESS_TOPICS[key]).format(
            n=min(6, 1 + n // 24), m=1 + n % 20, piece=rng.choice(C.DANCE_PIECES)
        )
        base = student.ability + min(1, n // 40)

        def rating() -> int:
            return max(1, min(5, base + rng.choice((-1, 0, 0, 0, 1))))

        comment = (
            f"{student.given}今天{rng.choice(C.GROWTH_DETAILS[key])}，"
            f"{rng.choice(C.PRAISES)}。{rng.choice(C.GROWTH_SUGGESTIONS)}"
        )
        stamp = utc_text(lesson.day, 1290, rng.randrange(60), rng.randrange(10**6))
        self.sink.add(
            "growth_records", self.ids(), stamp, stamp,
            (
                self.id, student.id, lesson.id, lesson.teacher.id, lesson.on, note,
                rating(), rating(), rating(), rating(), rating(), comment,
            ),
        )

    def _consequences(self, enrollment: _Enrollment, day: date) -> None:
        """After a charge: renew, stop, pause, quit or take up a second subject."""
        rng = self.rng
        student, course = enrollment.student, enrollment.course
        threshold = 2 * course.hours
        if enrollment.balance <= threshold and not enrollment.decided:
            enrollment.decided = True
            teacher_skill = enrollment.slot.teacher.skill if enrollment.slot else 1.0
            p_renew = 0.62 + 0.1 * min(enrollment.renewals, 2) + 0.2 * (teacher_skill - 1)
            self._comm(
                student, day + ONE_DAY, student.consultant, rng.choice(("电话", "微信")),
                self._fill(rng.choice(C.COMM_RENEW_REMIND), student, course=course.spec.name,
                           remaining=_hours_text(max(enrollment.balance, 0))),
            )
            self._activity("parent_contact", student.consultant, day + ONE_DAY, student)
            if rng.random() < p_renew:
                enrollment.renew_pending = True
                # Most pay before the hours run out; some only weeks later (欠课时 meanwhile).
                lag = rng.randrange(1, 24) if rng.random() < 0.75 else rng.randrange(28, 60)
                self._at(day + timedelta(days=lag), self._renew, enrollment)
            else:
                self._comm(
                    student, day + timedelta(days=2), student.consultant, "电话",
                    self._fill(rng.choice(C.COMM_CHURN), student, course=course.spec.name,
                               reason=rng.choice(C.CHURN_REASONS)),
                )
        if enrollment.balance <= 0 and not enrollment.renew_pending:
            self._stop(enrollment, day, "ended")
            return
        if enrollment.balance <= threshold:
            return
        r = rng.random()
        if r < 0.0028:
            # Pause; most come back after a few weeks, the rest drift away or ask for a refund.
            self._stop(enrollment, day, "paused")
            reason = rng.choice(C.PAUSE_REASONS)
            self._comm(
                student, day + ONE_DAY, student.consultant, "电话",
                self._fill(rng.choice(C.COMM_PAUSE), student, course=course.spec.name,
                           reason=reason),
            )
            s = rng.random()
            if s < 0.55:
                self._at(day + timedelta(weeks=rng.randrange(3, 13)), self._resume, enrollment)
            elif s < 0.85:
                self._at(day + timedelta(days=rng.randrange(3, 20)), self._refund, enrollment)
        elif r < 0.0068 and enrollment.lessons > 8 and len(student.courses) < 3:
            second = self._pick_course(self._age_on(student, day), student.courses)
            if second is None:
                return
            self._comm(
                student, day, student.consultant, "微信",
                self._fill(rng.choice(C.COMM_CROSS_SELL), student, course=second.spec.name),
            )
            if rng.random() < 0.55:
                self._book_trial(student, second, day, SignType.CROSS_SELL)
            else:
                student.courses.append(second.id)
                self._at(
                    day + timedelta(days=rng.randrange(1, 8)), self._cross_order, student, second
                )

    def _plan_makeup(self, enrollment: _Enrollment, day: date) -> None:
        rng = self.rng
        course = enrollment.course
        others = [
            s for s in self.slots_by_course[course.id] if s is not enrollment.slot and s.roster
        ]
        if others:
            slot = rng.choice(others)
            first = day + timedelta(days=3)
            when = first + timedelta(days=(slot.weekday - first.weekday()) % 7)
            slot.extras.setdefault(when, []).append(enrollment)
        elif course.spec.capacity == 1:
            self._at(day + timedelta(days=rng.randrange(2, 7)), self._makeup_lesson, enrollment)

    def _seat_makeup(self, lesson: _Lesson, enrollment: _Enrollment) -> None:
        if enrollment.state != "active" or not lesson.past:
            return
        student = enrollment.student
        self._lesson_student(lesson, student.id, False)
        self._attendance(lesson, student, enrollment.course, AttendanceStatus.MAKEUP, False,
                         lesson.hours, "补课")
        enrollment.balance -= lesson.hours
        enrollment.lessons += 1
        self._consequences(enrollment, lesson.day)

    def _makeup_lesson(self, enrollment: _Enrollment, day: date) -> None:
        if day >= self.today or enrollment.state != "active" or enrollment.slot is None:
            return
        slot = enrollment.slot
        course = slot.course
        start = 570 if day.weekday() >= 5 else 1230 - course.minutes
        lesson = self._lesson_row(
            course, slot.teacher, slot.room, f"{course.spec.name}·补课", day, start,
            cancelled=False,
        )
        self._seat_makeup(lesson, enrollment)

    # ----------------------------------------------------------------------- finishing

    def _student_rows(self) -> None:
        """Write students, guardian links and contact logs, now that their fate is known."""
        ctx, today = self.ctx, self.today
        written_links: set[tuple[bytes, bytes]] = set()
        for student in self.students:
            status = self._final_status(student)
            created = utc_text(student.created[0], student.created[1])
            changed_day, changed_minute = student.changed
            updated = (
                utc_text(changed_day, changed_minute)
                if (changed_day, changed_minute) > student.created
                else created
            )
            grade = _grade(student.birth, today)
            self.sink.add(
                "students", student.id, created, updated,
                (
                    self.id, student.name, student.gender, ctx.d(student.birth),
                    self._school(student, grade), grade, status.value, student.consultant.id,
                    student.source, ctx.d(student.first_contact), student.notes,
                ),
            )
            for position, parent in enumerate(student.family.parents):
                if (student.id, parent.id) in written_links:
                    continue
                written_links.add((student.id, parent.id))
                self.sink.add(
                    "student_parents", self.ids(), created, created,
                    (student.id, parent.id, parent.relation, int(position == 0)),
                )
            self._comm_rows(student, status)

    def _final_status(self, student: _Student) -> StudentStatus:
        states = [e.state for e in student.enrollments]
        if "active" in states:
            return StudentStatus.ENROLLED
        if "paused" in states:
            return StudentStatus.PAUSED
        if states:
            return StudentStatus.CHURNED
        recent = student.last_touch >= self.today - timedelta(days=90)
        if student.trials:
            return StudentStatus.TRIAL if recent else StudentStatus.CHURNED
        return StudentStatus.LEAD if recent else StudentStatus.CHURNED

    def _school(self, student: _Student, grade: str) -> str:
        rng = self.rng
        if not grade:
            return ""
        if "幼儿园" in grade:
            patterns = C.KINDERGARTEN_PATTERNS
        elif grade.startswith("初"):
            patterns = C.MIDDLE_PATTERNS
        elif grade.startswith("高"):
            patterns = C.HIGH_PATTERNS
        else:
            patterns = C.PRIMARY_PATTERNS
        district = self.plan.district.removesuffix("区")
        return rng.choice(patterns).format(district=district, place=rng.choice(C.SCHOOL_PLACES))

    def _comm_rows(self, student: _Student, status: StudentStatus) -> None:
        ctx, rng, today = self.ctx, self.rng, self.today
        comms = sorted(student.comms, key=lambda c: (c.day, c.minute))
        if not comms:
            return
        parent_id = student.family.parents[0].id
        open_ended = status in (StudentStatus.LEAD, StudentStatus.TRIAL)
        last = comms[-1]
        if open_ended and last.day >= today - timedelta(days=30):
            # The consultant keeps chasing a live lead: some follow-ups are due today, some are
            # overdue, the rest come up in the next days.
            r = rng.random()
            offset = 0 if r < 0.3 else (rng.randrange(-6, 0) if r < 0.6 else rng.randrange(1, 8))
            last.follow_up = max(today + timedelta(days=offset), last.day + ONE_DAY)
        for comm in comms:
            follow_up = comm.follow_up
            done = 0
            if follow_up is not None:
                # Done when something happened afterwards, or when the lead went cold.
                resolved = comm is not last or not open_ended
                done = int(resolved or follow_up < today - timedelta(days=21))
            stamp = utc_text(comm.day, comm.minute, rng.randrange(60))
            self.sink.add(
                "communication_records", self.ids(), stamp, stamp,
                (
                    self.id, parent_id, student.id, comm.staff.id, ctx.d(comm.day),
                    comm.channel, comm.content,
                    ctx.d(follow_up) if follow_up is not None else None, done,
                ),
            )

    # ----------------------------------------------------------------------- 划课

    def _sorted_orders(self, key: tuple[bytes, bytes]) -> list[OrderRow]:
        # load_packages orders by signed_on, created_at, id: the same keys, the same encodings.
        return sorted(self.packages.get(key, ()), key=lambda o: (o[0], o[1], o[2]))

    def _packages(self, key: tuple[bytes, bytes]) -> list[Package]:
        packages = []
        for _, _, order_id, paid, amount, gift in self._sorted_orders(key):
            refunded_paid, refunded_gift = self.refunded.get(order_id, (0, 0))
            packages.append(
                Package(
                    order_id.hex(), _d(paid), amount, _d(gift), _d(refunded_paid),
                    _d(refunded_gift),
                )
            )
        return packages

    def _charges(self, key: tuple[bytes, bytes]) -> list[Charge]:
        # load_charges orders by lesson_on, starts_at, attendance created_at, id.
        rows = sorted(self.charges.get(key, ()), key=lambda c: c[:4])
        return [Charge(row[3].hex(), _d(row[4]), row[5]) for row in rows]

    def _consumption_rows(self) -> None:
        """Allocate every student's charges to their packages with the services' own rule."""
        order_created = {
            order[2]: order[1] for orders in self.packages.values() for order in orders
        }
        for key, rows in self.charges.items():
            facts = {row[3]: row for row in rows}
            allocations: list[Allocation] = allocate(self._packages(key), self._charges(key))
            student_id, course_id = key
            for alloc in allocations:
                attendance_id = bytes.fromhex(alloc.attendance_id)
                on, _, marked, _, _, _, teacher_id, day = facts[attendance_id]
                order_id = bytes.fromhex(alloc.order_id) if alloc.order_id else None
                created = marked
                if order_id is not None and order_created[order_id] > created:
                    created = order_created[order_id]  # arrears settled by a later package
                self.sink.add(
                    "consumption_entries", self.ids(), created, created,
                    (
                        self.id, attendance_id, student_id, course_id, teacher_id, order_id, on,
                        alloc.kind.value, _h(alloc.hours), alloc.amount_fen,
                    ),
                )
                if alloc.amount_fen:
                    self.consumption_facts.append((day, alloc.amount_fen, teacher_id))


    # ----------------------------------------------------------------------- targets' inputs

    def actuals(self, year: int) -> CampusActuals:
        """What the campus achieved, for setting ``year``'s targets a little above last year."""
        last = year - 1
        revenue: dict[tuple[int, int], int] = {}
        consultant_revenue: dict[bytes, int] = {}
        intent_revenue: dict[bytes, int] = {}
        for day, amount, consultant, teacher, _ in self.order_facts:
            key = (day.year, day.month)
            revenue[key] = revenue.get(key, 0) + amount
            if day.year == last:
                if consultant is not None:
                    consultant_revenue[consultant] = consultant_revenue.get(consultant, 0) + amount
                if teacher is not None:
                    intent_revenue[teacher] = intent_revenue.get(teacher, 0) + amount
        consumption: dict[tuple[int, int], int] = {}
        for day, amount, _ in self.consumption_facts:
            key = (day.year, day.month)
            consumption[key] = consumption.get(key, 0) + amount
        return CampusActuals(
            campus_id=self.id,
            settings=dict(DEFAULT_SETTINGS),
            consultants=[c.id for c in self.consultants],
            teachers=[t.id for t in self.teachers],
            stage_ids=dict(self.stage_ids),
            revenue=revenue,
            consumption=consumption,
            consultant_revenue=consultant_revenue,
            intent_revenue=intent_revenue,
            lesson_values=self.lesson_values,
            stage_counts=self._stage_counts(last),
            funnel_rates=self._funnel_rates(),
        )

    def _stage_counts(self, year: int) -> dict[str, int]:
        """A year's stage counts as :func:`shared.actuals.stage_counts` counts them.

        Recorded events imply stages (orders → 签单 / 续费 / 转介绍, contacts → 家长沟通, held
        trials → 试听), and the logged activities the demo writes beside such events match
        them one to one, so only logged work without an event adds to the count: 邀约, 到访,
        and the 转介绍 logged when a referred family first gets in touch.
        """
        counts = {code: 0 for code in self.stage_ids}
        for code, _, day in self.stage_facts:
            if day.year == year and code in ("invitation", "visit", "referral"):
                counts[code] += 1
        implied = {
            SignType.NEW: ("sign",),
            SignType.CROSS_SELL: ("sign",),
            SignType.REFERRAL: ("sign", "referral"),
            SignType.RENEWAL: ("renewal",),
        }
        for day, _, _, _, sign_type in self.order_facts:
            if day.year == year:
                for code in implied.get(sign_type, ()):
                    counts[code] += 1
        counts["trial"] += sum(1 for day, _ in self.trial_facts if day.year == year)
        counts["parent_contact"] += sum(
            1 for student in self.students for comm in student.comms if comm.day.year == year
        )
        return counts

    def _funnel_rates(self) -> FunnelRates:
        """The campus's own funnel over the twelve calendar months up to yesterday.

        As :func:`shared.funnel.historical_rates` measures it: the average new-business order
        (新签, 转介绍, 扩科), held trials that signed, and the logged stage counts.
        """
        end = self.today - ONE_DAY
        first = end.year * 12 + end.month - 12  # the month eleven months before end's month
        start = date(first // 12, first % 12 + 1, 1)
        new_business = (SignType.NEW, SignType.REFERRAL, SignType.CROSS_SELL)
        amounts = [
            amount
            for day, amount, _, _, sign_type in self.order_facts
            if start <= day <= end and sign_type in new_business
        ]
        held = [signed for day, signed in self.trial_facts if start <= day <= end]
        stages: dict[str, int] = {}
        for code, _, day in self.stage_facts:
            if start <= day <= end:
                stages[code] = stages.get(code, 0) + 1
        defaults = FunnelRates.default()

        def rate(numerator: int, denominator: int, default: Fraction) -> Fraction:
            if numerator <= 0 or denominator <= 0:
                return default
            return min(Fraction(numerator, denominator), Fraction(1))

        return FunnelRates(
            round_half_up(Fraction(sum(amounts), len(amounts))) if amounts
            else defaults.avg_order_fen,
            rate(stages.get("visit", 0), stages.get("invitation", 0), defaults.invite_to_visit),
            rate(stages.get("trial", 0), stages.get("visit", 0), defaults.visit_to_trial),
            rate(sum(held), len(held), defaults.trial_to_sign),
        )


class _Lesson:
    __slots__ = (
        "id", "course", "teacher", "day", "on", "starts", "hours", "past", "cancelled",
        "marked", "created", "marker",
    )


# --------------------------------------------------------------------------- small helpers


def _overlaps(busy: list[tuple[int, int, int]], weekday: int, start: int, end: int) -> bool:
    return any(w == weekday and s < end and start < e for w, s, e in busy)


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; the rates here are small)."""
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _grade(birth: date, on: date) -> str:
    """The school grade of a child born on ``birth`` in the school year containing ``on``."""
    school_year = on.year if on.month >= 9 else on.year - 1
    cutoff = date(school_year, 8, 31)
    age = cutoff.year - birth.year - ((cutoff.month, cutoff.day) < (birth.month, birth.day))
    return C.GRADES.get(age, "")


_DECIMALS: dict[int, Decimal] = {}


def _d(hundredths: int) -> Decimal:
    """Hours as the Decimal the Hours column type reads back (two places)."""
    value = _DECIMALS.get(hundredths)
    if value is None:
        value = _DECIMALS[hundredths] = (Decimal(hundredths) / 100).quantize(Decimal("0.01"))
    return value


def _h(hours: Decimal) -> int:
    return int(hours * 100)


def _hours_text(hundredths: int) -> str:
    return f"{hundredths / 100:g}"
