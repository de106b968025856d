"""Scope: who sees which rows, checked row by row on a hand-made two-campus world.

Campus A has a manager (mA), a front desk (fA), two consultants (c1, c2), two teachers (t1,
t2) and an inactive teacher (t3); campus B a manager, a consultant and a teacher. Every row the
world holds carries a label, and each principal's expected labels are written out below, per
table, from the rules in ``shared.permissions``:

    s1  c1's student, parent p1, order o1, in t1's lesson l1 (attended: att1, ce1, growth g1)
    s2  c2's student, parent p2, order o2, in t2's lesson l2 (attended: att2, ce2, growth g2)
        also enrolled (ls1x) in t1's lesson l1x, which was deleted
    s3  a lead without consultant, parent p3, trial tr3 (consultant c1, intent teacher t2)
    s5  c1's student, deleted (a tombstone)
    p4  a parent without student that c2 phoned (cr4)
    cr1 c1→p1, cr2 c2→p2, cr2x c2→p2 (deleted), cr3 t2→p3, cr4 c2→p4
    sa1 c1's stage activity, sa2 t1's; targets tA (campus), tc1 (c1), tt2 (t2);
    stage targets stA (campus), stc1 (c1)
    B: sB (cB's), pB, spB, crB, oB, lB (tB), lsB, attB, ceB, gB, trB, saB, tB0, stB
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import Database
from shared.errors import Forbidden, Invalid, NotFound
from shared.models import (
    SYNCED_MODELS,
    Attendance,
    Campus,
    CommunicationRecord,
    ConsumptionEntry,
    Course,
    GrowthRecord,
    Lesson,
    LessonStudent,
    Order,
    Parent,
    Staff,
    Stage,
    StageActivity,
    StageTarget,
    Student,
    StudentParent,
    Target,
    TrialLesson,
)
from shared.permissions import (
    PUBLIC_EXCLUDED_FIELDS,
    ROW_PARAM,
    check_communication,
    check_lesson,
    check_parent,
    check_student,
    check_trial,
    excluded_fields,
    is_visible,
    scope_clause,
    scope_columns,
    scope_kind,
    scope_params,
    scope_template,
    staff_who_see,
    visible_student_ids,
)
from shared.services.campus import create_campus
from shared.services.lessons import AttendanceMark, mark_attendance, schedule_lesson
from shared.services.orders import record_order
from tests.shared.factories import at
from tests.shared.test_actuals import new_staff

DAY = date(2026, 3, 10)


@dataclass
class World:
    """Row ids by label, the label of every row id, and principals by name."""

    ids: dict[str, str]
    labels: dict[str, str]
    people: dict[str, Principal]


def _label_all(s: Session, ids: dict[str, str]) -> dict[str, str]:
    """Labels for every row: those named while building, plus stages and consumption."""
    labels = {row_id: label for label, row_id in ids.items()}
    for stage in s.scalars(select(Stage)):
        campus = "A" if stage.campus_id == ids["campus:A"] else "B"
        labels[stage.id] = f"stage:{campus}:{stage.code}"
    for entry in s.scalars(select(ConsumptionEntry)):
        labels[entry.id] = "ce" + labels[entry.attendance_id].removeprefix("att")
    return labels


def _build(s: Session) -> World:
    ids: dict[str, str] = {}

    def add(label: str, row: object) -> str:
        s.add(row)
        s.flush()
        ids[label] = row.id  # type: ignore[attr-defined]
        return row.id  # type: ignore[attr-defined]

    for code in ("A", "B"):
        campus = create_campus(s, name=f"校区{code}", code=code)
        ids[f"campus:{code}"] = campus.id
        ids[f"course:{code}"] = add(
            f"course:{code}", Course(campus_id=campus.id, name="钢琴", price_per_hour_fen=15000)
        )
    a, b = ids["campus:A"], ids["campus:B"]
    for label, campus, roles in [
        ("mA", a, ["manager"]),
        ("fA", a, ["front_desk"]),
        ("c1", a, ["consultant"]),
        ("c2", a, ["consultant"]),
        ("t1", a, ["teacher"]),
        ("t2", a, ["teacher"]),
        ("t3", a, ["teacher"]),
        ("mB", b, ["manager"]),
        ("cB", b, ["consultant"]),
        ("tB", b, ["teacher"]),
    ]:
        ids[label] = new_staff(s, campus, label, *roles, active=label != "t3")

    def student(label: str, campus: str, consultant: str | None, deleted: bool = False) -> str:
        row = Student(
            campus_id=campus,
            name=label,
            consultant_id=ids[consultant] if consultant else None,
            is_deleted=deleted,
        )
        return add(label, row)

    def parent(label: str, campus: str, *students: str) -> str:
        parent_id = add(label, Parent(campus_id=campus, name=label, phone="138"))
        for sl in students:
            add("sp" + sl.removeprefix("s"), StudentParent(student_id=ids[sl], parent_id=parent_id))
        return parent_id

    def order(label: str, sl: str, consultant: str, course: str) -> None:
        ids[label] = record_order(
            s,
            student_id=ids[sl],
            course_id=ids[course],
            sign_type="new",
            signed_on=DAY,
            hours=10,
            amount_fen=150000,
            consultant_id=ids[consultant],
        ).id

    def lesson(label: str, teacher: str, course: str, *students: str) -> None:
        row = schedule_lesson(
            s,
            course_id=ids[course],
            teacher_id=ids[teacher],
            starts_at=at(DAY),
            student_ids=[ids[x] for x in students],
        )
        ids[label] = row.id
        for link in s.scalars(select(LessonStudent).where(LessonStudent.lesson_id == row.id)):
            ids["ls" + label.removeprefix("l")] = link.id  # one student per lesson here

    def attend(suffix: str, sl: str) -> None:
        (mark,) = mark_attendance(
            s, lesson_id=ids["l" + suffix], marks=[AttendanceMark(ids[sl], "present")]
        )
        ids["att" + suffix] = mark.id

    def contact(label: str, campus: str, staff: str, pl: str, deleted: bool = False) -> None:
        add(
            label,
            CommunicationRecord(
                campus_id=campus,
                staff_id=ids[staff],
                parent_id=ids[pl],
                occurred_on=DAY,
                is_deleted=deleted,
            ),
        )

    def growth(label: str, campus: str, sl: str, teacher: str, ll: str) -> None:
        ratings = dict(progress=3, focus=3, performance=3, learning_ability=3, mastery=3)
        add(
            label,
            GrowthRecord(
                campus_id=campus,
                student_id=ids[sl],
                teacher_id=ids[teacher],
                lesson_id=ids[ll],
                recorded_on=DAY,
                **ratings,
            ),
        )

    def stage(campus: str, code: str) -> str:
        return s.scalars(
            select(Stage.id).where(Stage.campus_id == campus, Stage.code == code)
        ).one()

    def activity(label: str, campus: str, staff: str, code: str) -> None:
        add(
            label,
            StageActivity(
                campus_id=campus, stage_id=stage(campus, code), staff_id=ids[staff], occurred_on=DAY
            ),
        )

    def target(label: str, campus: str, staff: str | None, role: str | None, metric: str) -> None:
        add(
            label,
            Target(
                campus_id=campus,
                metric=metric,
                period_kind="month",
                year=2026,
                month=3,
                staff_id=ids[staff] if staff else None,
                staff_role=role,
                amount_fen=100000,
            ),
        )

    def stage_target(label: str, campus: str, staff: str | None) -> None:
        add(
            label,
            StageTarget(
                campus_id=campus,
                stage_id=stage(campus, "invitation"),
                staff_id=ids[staff] if staff else None,
                year=2026,
                month=3,
                week=2,
                target_count=5,
            ),
        )

    # ---- campus A
    student("s1", a, "c1")
    student("s2", a, "c2")
    student("s3", a, None)
    student("s5", a, "c1", deleted=True)
    parent("p1", a, "s1")
    parent("p2", a, "s2")
    parent("p3", a, "s3")
    parent("p4", a)
    order("o1", "s1", "c1", "course:A")
    order("o2", "s2", "c2", "course:A")
    add(
        "tr3",
        TrialLesson(
            campus_id=a,
            student_id=ids["s3"],
            course_id=ids["course:A"],
            consultant_id=ids["c1"],
            intent_teacher_id=ids["t2"],
            trial_on=DAY,
        ),
    )
    lesson("l1", "t1", "course:A", "s1")
    lesson("l2", "t2", "course:A", "s2")
    lesson("l1x", "t1", "course:A", "s2")
    s.get(Lesson, ids["l1x"]).is_deleted = True  # type: ignore[union-attr]
    attend("1", "s1")
    attend("2", "s2")
    growth("g1", a, "s1", "t1", "l1")
    growth("g2", a, "s2", "t2", "l2")
    contact("cr1", a, "c1", "p1")
    contact("cr2", a, "c2", "p2")
    contact("cr2x", a, "c2", "p2", deleted=True)
    contact("cr3", a, "t2", "p3")
    contact("cr4", a, "c2", "p4")
    activity("sa1", a, "c1", "invitation")
    activity("sa2", a, "t1", "parent_contact")
    target("tA", a, None, None, "revenue")
    target("tc1", a, "c1", "consultant", "revenue")
    target("tt2", a, "t2", "teacher", "consumption")
    stage_target("stA", a, None)
    stage_target("stc1", a, "c1")

    # ---- campus B
    student("sB", b, "cB")
    parent("pB", b, "sB")
    order("oB", "sB", "cB", "course:B")
    add(
        "trB",
        TrialLesson(
            campus_id=b,
            student_id=ids["sB"],
            course_id=ids["course:B"],
            consultant_id=ids["cB"],
            intent_teacher_id=ids["tB"],
            trial_on=DAY,
        ),
    )
    lesson("lB", "tB", "course:B", "sB")
    attend("B", "sB")
    growth("gB", b, "sB", "tB", "lB")
    contact("crB", b, "cB", "pB")
    activity("saB", b, "cB", "invitation")
    target("tB0", b, None, None, "revenue")
    stage_target("stB", b, None)
    s.flush()

    people = {
        label: Principal.of_staff(s.get(Staff, ids[label]))  # type: ignore[arg-type]
        for label in ("mA", "fA", "c1", "c2", "t1", "t2", "mB", "cB", "tB")
    }
    return World(ids, _label_all(s, ids), people)


@pytest.fixture
def world(db: Database) -> World:
    """The two-campus world, committed."""
    with db.unit_of_work() as s:
        return _build(s)


# --------------------------------------------------------------------------- expectations

STAGE_CODES = ("invitation", "visit", "trial", "sign", "renewal", "referral", "parent_contact")
STAFF_A = {"mA", "fA", "c1", "c2", "t1", "t2", "t3"}
STAFF_B = {"mB", "cB", "tB"}


def _everyone(campus: str) -> dict[str, set[str]]:
    """What every staff member of a campus sees."""
    return {
        "campuses": {f"campus:{campus}"},
        "staff": STAFF_A if campus == "A" else STAFF_B,
        "courses": {f"course:{campus}"},
        "stages": {f"stage:{campus}:{code}" for code in STAGE_CODES},
    }


ALL_A: dict[str, set[str]] = {
    **_everyone("A"),
    "students": {"s1", "s2", "s3", "s5"},
    "parents": {"p1", "p2", "p3", "p4"},
    "student_parents": {"sp1", "sp2", "sp3"},
    "communication_records": {"cr1", "cr2", "cr2x", "cr3", "cr4"},
    "trial_lessons": {"tr3"},
    "orders": {"o1", "o2"},
    "lessons": {"l1", "l2", "l1x"},
    "lesson_students": {"ls1", "ls2", "ls1x"},
    "attendance": {"att1", "att2"},
    "consumption_entries": {"ce1", "ce2"},
    "growth_records": {"g1", "g2"},
    "stage_activities": {"sa1", "sa2"},
    "targets": {"tA", "tc1", "tt2"},
    "stage_targets": {"stA", "stc1"},
}

ALL_B: dict[str, set[str]] = {
    **_everyone("B"),
    "students": {"sB"},
    "parents": {"pB"},
    "student_parents": {"spB"},
    "communication_records": {"crB"},
    "trial_lessons": {"trB"},
    "orders": {"oB"},
    "lessons": {"lB"},
    "lesson_students": {"lsB"},
    "attendance": {"attB"},
    "consumption_entries": {"ceB"},
    "growth_records": {"gB"},
    "stage_activities": {"saB"},
    "targets": {"tB0"},
    "stage_targets": {"stB"},
}

EXPECTED: dict[str, dict[str, set[str]]] = {
    "mA": ALL_A,
    "fA": ALL_A,
    "mB": ALL_B,
    "c1": {
        **_everyone("A"),
        "students": {"s1", "s3", "s5"},  # own, trial, own tombstone
        "parents": {"p1", "p3"},
        "student_parents": {"sp1", "sp3"},
        "communication_records": {"cr1", "cr3"},  # cr3 is t2's, about c1's trial family
        "trial_lessons": {"tr3"},
        "orders": {"o1"},
        "lessons": {"l1"},
        "lesson_students": {"ls1"},
        "attendance": {"att1"},
        "consumption_entries": {"ce1"},
        "growth_records": {"g1"},
        "stage_activities": {"sa1"},
        "targets": {"tA", "tc1"},
        "stage_targets": {"stA", "stc1"},
    },
    "c2": {
        **_everyone("A"),
        "students": {"s2"},
        "parents": {"p2", "p4"},  # p4 through c2's own record
        "student_parents": {"sp2"},
        "communication_records": {"cr2", "cr2x", "cr4"},
        "trial_lessons": set(),
        "orders": {"o2"},
        "lessons": {"l2", "l1x"},  # l1x: deleted, s2's enrolment still live
        "lesson_students": {"ls2", "ls1x"},
        "attendance": {"att2"},
        "consumption_entries": {"ce2"},
        "growth_records": {"g2"},
        "stage_activities": set(),
        "targets": {"tA"},
        "stage_targets": {"stA"},
    },
    "t1": {
        **_everyone("A"),
        "students": {"s1"},  # not s2: l1x is deleted
        "parents": {"p1"},
        "student_parents": {"sp1"},
        "communication_records": {"cr1"},
        "trial_lessons": set(),
        "orders": set(),
        "lessons": {"l1", "l1x"},
        "lesson_students": {"ls1", "ls1x"},
        "attendance": {"att1"},
        "consumption_entries": {"ce1"},
        "growth_records": {"g1"},
        "stage_activities": {"sa2"},
        "targets": {"tA"},
        "stage_targets": {"stA"},
    },
    "t2": {
        **_everyone("A"),
        "students": {"s2", "s3"},  # lesson, intent-teacher trial
        "parents": {"p2", "p3"},
        "student_parents": {"sp2", "sp3"},
        "communication_records": {"cr2", "cr2x", "cr3"},
        "trial_lessons": {"tr3"},
        "orders": set(),
        "lessons": {"l2"},
        "lesson_students": {"ls2"},
        "attendance": {"att2"},
        "consumption_entries": {"ce2"},
        "growth_records": {"g2"},
        "stage_activities": set(),
        "targets": {"tA", "tt2"},
        "stage_targets": {"stA"},
    },
    "cB": ALL_B,  # every B row is about cB's one student
    "tB": {
        **ALL_B,
        "orders": set(),
        "stage_activities": set(),
    },
}


def test_the_expectations_cover_every_synced_table() -> None:
    tables = {m.__tablename__ for m in SYNCED_MODELS}
    for who, tables_seen in EXPECTED.items():
        assert set(tables_seen) == tables, who


def test_the_world_labels_every_row(db: Database, world: World) -> None:
    with db.reader() as s:
        for model in SYNCED_MODELS:
            ids = set(s.scalars(select(model.id)))
            assert ids <= set(world.labels), model.__tablename__
    union_a_b = {label for tables in (ALL_A, ALL_B) for group in tables.values() for label in group}
    assert union_a_b == set(world.labels.values())


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_scope_clause_returns_exactly_the_rows_in_scope(
    db: Database, world: World, who: str
) -> None:
    p = world.people[who]
    with db.reader() as s:
        for model in SYNCED_MODELS:
            rows = s.scalars(select(model.id).where(scope_clause(s, p, model))).all()
            got = {world.labels[row_id] for row_id in rows}
            assert got == EXPECTED[who][model.__tablename__], model.__tablename__


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_the_per_row_shape_keeps_exactly_the_same_rows(
    db: Database, world: World, who: str
) -> None:
    p = world.people[who]
    with db.reader() as s:
        for model in SYNCED_MODELS:
            clause = scope_clause(s, p, model, per_row=True)
            got = {world.labels[row_id] for row_id in s.scalars(select(model.id).where(clause))}
            assert got == EXPECTED[who][model.__tablename__], model.__tablename__


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_is_visible_answers_each_row_as_the_expectations_say(
    db: Database, world: World, who: str
) -> None:
    p = world.people[who]
    with db.reader() as s:
        for model in SYNCED_MODELS:
            for row_id in s.scalars(select(model.id)):
                expected = world.labels[row_id] in EXPECTED[who][model.__tablename__]
                assert is_visible(s, p, model, row_id) is expected, world.labels[row_id]


def test_both_shapes_agree_for_a_consultant_who_teaches_and_for_no_role(
    db: Database, world: World
) -> None:
    with db.unit_of_work() as s:
        both = s.get(Staff, world.ids["t1"])
        assert both is not None
        both.roles = ["consultant", "teacher"]
        s.get(Student, world.ids["s2"]).consultant_id = both.id  # type: ignore[union-attr]
        nobody = s.get(Staff, world.ids["t2"])
        assert nobody is not None
        nobody.roles = []
    with db.reader() as s:
        for label in ("t1", "t2"):
            p = Principal.of_staff(s.get(Staff, world.ids[label]))  # type: ignore[arg-type]
            for model in SYNCED_MODELS:
                shapes = [
                    set(s.scalars(select(model.id).where(scope_clause(s, p, model, per_row=r))))
                    for r in (False, True)
                ]
                assert shapes[0] == shapes[1], (label, model.__tablename__)
                for row_id in s.scalars(select(model.id)):
                    assert is_visible(s, p, model, row_id) is (row_id in shapes[0])


def _plan(s: Session, statement: object, params: dict[str, object]) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN lines for a statement with its parameters bound."""
    connection = s.connection()
    compiled = statement.compile(dialect=connection.dialect)  # type: ignore[attr-defined]
    values = compiled.construct_params(params)
    processors = compiled._bind_processors
    args = tuple(
        processors[name](values[name]) if name in processors else values[name]
        for name in compiled.positiontup
    )
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), args).all()
    return [detail for _, _, _, detail in rows]


@pytest.mark.parametrize("who", ["c1", "t1", "mA"])
def test_a_row_check_starts_from_the_row_and_never_scans(
    db: Database, world: World, who: str
) -> None:
    p = world.people[who]
    with db.reader() as s:
        for model in SYNCED_MODELS:
            c = model.__table__.c
            template = scope_template(scope_kind(p), model, per_row=True)
            statement = select(c.id).where(c.id == bindparam(ROW_PARAM), template)
            plan = _plan(s, statement, {**scope_params(p), ROW_PARAM: world.ids["s1"]})
            assert plan[0].startswith(f"SEARCH {model.__tablename__} USING "), plan
            assert "(id=?)" in plan[0], plan
            assert not [line for line in plan if line.startswith("SCAN")], plan


@pytest.mark.parametrize("who", ["c1", "t1"])
def test_a_recent_pull_starts_from_the_version_index_and_never_scans(
    db: Database, world: World, who: str
) -> None:
    p = world.people[who]
    with db.reader() as s:
        for model in SYNCED_MODELS:
            version = model.__table__.c.version
            template = scope_template(scope_kind(p), model, per_row=True)
            statement = select(version).where(version > bindparam("since"), template)
            plan = _plan(s, statement, {**scope_params(p), "since": 1})
            if model is not Campus:  # one row: its primary key is as good a start
                assert plan[0].startswith(f"SEARCH {model.__tablename__} USING "), plan
                assert "(version>?)" in plan[0], plan
            assert not [line for line in plan if line.startswith("SCAN")], plan


@pytest.mark.parametrize("who", ["c1", "t1"])
def test_listing_a_scope_never_scans_a_table(db: Database, world: World, who: str) -> None:
    p = world.people[who]
    with db.reader() as s:
        for model in SYNCED_MODELS:
            template = scope_template(scope_kind(p), model)
            if str(template) == "false":
                continue  # nothing to find (a teacher's orders): SQLite never reads the table
            plan = _plan(s, select(model.__table__.c.id).where(template), scope_params(p))
            assert not [line for line in plan if line.startswith("SCAN")], plan


def test_scope_columns_are_what_the_rules_read_of_a_row() -> None:
    assert scope_columns(CommunicationRecord) == ("campus_id", "parent_id", "staff_id")
    assert scope_columns(LessonStudent) == ("lesson_id", "student_id")
    assert scope_columns(Course) == ("campus_id",)


def test_scope_clause_composes_with_a_version_filter(db: Database, world: World) -> None:
    p = world.people["c1"]
    with db.reader() as s:
        version = s.get(CommunicationRecord, world.ids["cr1"]).version  # type: ignore[union-attr]
        rows = s.scalars(
            select(CommunicationRecord.id).where(
                scope_clause(s, p, CommunicationRecord), CommunicationRecord.version >= version
            )
        ).all()
    assert {world.labels[r] for r in rows} == {"cr1", "cr3"}


def test_several_roles_see_the_union(db: Database, world: World) -> None:
    with db.unit_of_work() as s:
        both = s.get(Staff, world.ids["t1"])
        assert both is not None
        both.roles = ["consultant", "teacher"]
        s.get(Student, world.ids["s2"]).consultant_id = both.id  # type: ignore[union-attr]
    with db.reader() as s:
        p = Principal.of_staff(s.get(Staff, world.ids["t1"]))  # type: ignore[arg-type]
        students = {world.labels[i] for i in visible_student_ids(s, p)}
        orders = s.scalars(select(Order.id).where(scope_clause(s, p, Order))).all()
    assert students == {"s1", "s2"}  # s1 taught, s2 as consultant
    assert {world.labels[i] for i in orders} == {"o2"}


# --------------------------------------------------------------------------- checks


def test_visible_student_ids_leaves_out_tombstones(db: Database, world: World) -> None:
    with db.reader() as s:
        got = visible_student_ids(s, world.people["c1"])
    assert {world.labels[i] for i in got} == {"s1", "s3"}


def test_a_teacher_cannot_see_a_consultants_parent(db: Database, world: World) -> None:
    with db.reader() as s:
        with pytest.raises(Forbidden) as err:
            check_parent(s, world.people["t1"], world.ids["p2"])
        assert err.value.message == "parent_id: 无权访问该家长"
        assert check_parent(s, world.people["c2"], world.ids["p2"]).name == "p2"


def test_a_manager_cannot_reach_another_campus(db: Database, world: World) -> None:
    with db.reader() as s:
        with pytest.raises(Forbidden, match="^parent_id: 无权访问该家长$"):
            check_parent(s, world.people["mA"], world.ids["pB"])
        with pytest.raises(Forbidden, match="^student_id: 无权访问该学员$"):
            check_student(s, world.people["mA"], world.ids["sB"])
        with pytest.raises(Forbidden, match="^lesson_id: "):
            check_lesson(s, world.people["mA"], world.ids["lB"], write=True)


def test_checks_name_the_field(db: Database, world: World) -> None:
    with db.reader() as s, pytest.raises(Forbidden, match="^marks\\[0\\]\\.student_id: "):
        check_student(s, world.people["t1"], world.ids["s2"], "marks[0].student_id")


def test_missing_or_deleted_rows_are_not_found(db: Database, world: World) -> None:
    with db.reader() as s:
        with pytest.raises(NotFound, match="^student_id: "):
            check_student(s, world.people["c1"], world.ids["s5"])
        with pytest.raises(NotFound, match="^student_id: "):
            check_student(s, world.people["mA"], "9b2d8e0e-0000-4000-8000-000000000000")
        with pytest.raises(Invalid, match="^student_id: "):
            check_student(s, world.people["mA"], "not-an-id")


def test_only_the_lessons_teacher_or_the_front_desk_marks_attendance(
    db: Database, world: World
) -> None:
    l1 = world.ids["l1"]
    with db.reader() as s:
        assert check_lesson(s, world.people["t1"], l1, write=True).id == l1
        assert check_lesson(s, world.people["fA"], l1, write=True).id == l1
        assert check_lesson(s, world.people["mA"], l1, write=True).id == l1
        assert check_lesson(s, world.people["c1"], l1).id == l1  # s1's lesson, read-only
        with pytest.raises(Forbidden, match="^lesson_id: 只有任课教师或校区管理人员可以点名$"):
            check_lesson(s, world.people["c1"], l1, write=True)
        with pytest.raises(Forbidden, match="^lesson_id: 无权访问该课程安排$"):
            check_lesson(s, world.people["t2"], l1)


def test_trials_and_records_follow_the_scope(db: Database, world: World) -> None:
    with db.reader() as s:
        assert check_trial(s, world.people["t2"], world.ids["tr3"]).id == world.ids["tr3"]
        with pytest.raises(Forbidden, match="^trial_id: 无权访问该试听$"):
            check_trial(s, world.people["t1"], world.ids["tr3"])
        record = check_communication(s, world.people["c1"], world.ids["cr3"])
        assert record.id == world.ids["cr3"]
        with pytest.raises(Forbidden, match="^record_id: 无权访问该沟通记录$"):
            check_communication(s, world.people["c2"], world.ids["cr3"])


# --------------------------------------------------------------------------- public fields


def test_pin_hash_is_never_a_public_field(world: World) -> None:
    assert {"staff": frozenset({"pin_hash"})} == PUBLIC_EXCLUDED_FIELDS
    for p in world.people.values():
        assert "pin_hash" in excluded_fields(p, "staff")
    assert excluded_fields(world.people["c1"], "staff") == {"pin_hash", "phone", "hired_on"}
    assert excluded_fields(world.people["mA"], "staff") == {"pin_hash"}
    assert excluded_fields(world.people["c1"], "students") == frozenset()


# --------------------------------------------------------------------------- live hub


def _who(db: Database, world: World, model: type, label: str) -> set[str]:
    reverse = {v: k for k, v in world.ids.items()}
    with db.reader() as s:
        row = s.get(model, world.ids[label])
        return {reverse[i] for i in staff_who_see(s, model.__tablename__, row)}


def test_staff_who_see_a_row(db: Database, world: World) -> None:
    assert _who(db, world, CommunicationRecord, "cr3") == {"mA", "fA", "c1", "t2"}
    assert _who(db, world, LessonStudent, "ls1") == {"mA", "fA", "t1", "c1"}
    assert _who(db, world, StudentParent, "sp3") == {"mA", "fA", "c1", "t2"}
    assert _who(db, world, Order, "o1") == {"mA", "fA", "c1"}
    assert _who(db, world, Attendance, "attB") == {"mB", "cB", "tB"}
    assert _who(db, world, Target, "tt2") == {"mA", "fA", "t2"}
    # Tombstones reach whoever saw the row; t3 is inactive and never listed.
    assert _who(db, world, CommunicationRecord, "cr2x") == {"mA", "fA", "c2", "t2"}
    assert _who(db, world, Course, "course:A") == {"mA", "fA", "c1", "c2", "t1", "t2"}


def test_staff_who_see_refuses_a_table_that_does_not_match(db: Database, world: World) -> None:
    with db.reader() as s:
        row = s.get(Parent, world.ids["p1"])
        assert row is not None
        with pytest.raises(Invalid, match="^table: "):
            staff_who_see(s, "devices", row)
        with pytest.raises(Invalid, match="^table: "):
            staff_who_see(s, "students", row)
