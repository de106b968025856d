"""Each mutation a phone may push: its effect through the services, and what it refuses.

The campus is :func:`tests.shared.test_sync_log.make_world`. Mutations are applied with
:func:`shared.mutations.apply_mutation` inside a unit of work (errors surface as exceptions);
the push machinery around them is tested in ``test_sync_log``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from shared.actuals import stage_counts
from shared.auth import Principal
from shared.consumption import package_balances
from shared.db import Database
from shared.errors import Forbidden, Invalid, NotFound
from shared.models import (
    Attendance,
    CommunicationRecord,
    ConsumptionEntry,
    GrowthRecord,
    Order,
    Parent,
    Stage,
    StageActivity,
    TrialLesson,
)
from shared.mutations import MUTATIONS, Applied, apply_mutation
from shared.services.parents import edit_parent
from shared.versioning import current_version
from tests.shared.test_sync_log import (
    DAY,
    NOW,
    World,
    communication_args,
    growth_args,
    make_world,
    new_id,
)


def run(
    db: Database, who: Principal, name: str, args: dict[str, Any], base_version: int | None = None
) -> Applied:
    """Apply one mutation in its own unit of work."""
    with db.unit_of_work() as s:
        return apply_mutation(s, who, name, args, base_version=base_version, now=NOW)


def refused(
    db: Database, who: Principal, name: str, args: dict[str, Any], base_version: int | None = None
) -> Invalid:
    """The Invalid a mutation is refused with."""
    with pytest.raises(Invalid) as caught:
        run(db, who, name, args, base_version)
    return caught.value


def version(db: Database) -> int:
    """The database's current version."""
    with db.reader() as s:
        return current_version(s)


def test_every_mutation_of_the_brief_is_registered() -> None:
    assert set(MUTATIONS) == {
        "mark_attendance",
        "add_growth_record",
        "add_communication",
        "log_stage_activity",
        "record_trial_outcome",
        "edit_parent",
        "set_follow_up",
    }


# --------------------------------------------------------------------------- mark_attendance


def mark(w: World, status: str = "present", attendance_id: str | None = None) -> dict[str, Any]:
    """A one-student 点名 of s1 in l1."""
    return {
        "lesson_id": w.l1,
        "marks": [
            {"student_id": w.s1, "status": status, "attendance_id": attendance_id or new_id()}
        ],
    }


def test_mark_attendance_consumes_hours_through_the_service(db: Database) -> None:
    w = make_world(db)
    args = mark(w)
    applied = run(db, w.teacher, "mark_attendance", args)

    attendance_id = args["marks"][0]["attendance_id"]
    assert [row.id for row in applied.rows] == [attendance_id]
    with db.reader() as s:
        attendance = s.get(Attendance, attendance_id)
        assert (attendance.status, attendance.charged_hours) == ("present", Decimal("1.00"))
        assert attendance.marked_by_id == w.teacher.staff_id
        (entry,) = s.scalars(
            select(ConsumptionEntry).where(ConsumptionEntry.attendance_id == attendance_id)
        )
        # 10 hours for 1500.00 元: one hour is worth 150.00 元, credited to the teacher.
        assert (entry.order_id, entry.hours, entry.amount_fen) == (w.order1, Decimal("1.00"), 15000)
        assert entry.teacher_id == w.teacher.staff_id
        (balance,) = package_balances(s, w.s1)
        assert balance.paid_remaining == Decimal("9.00")


def test_mark_attendance_resent_is_a_no_op_and_a_new_status_corrects_it(db: Database) -> None:
    w = make_world(db)
    attendance_id = new_id()
    run(db, w.teacher, "mark_attendance", mark(w, attendance_id=attendance_id))
    top = version(db)

    assert run(db, w.teacher, "mark_attendance", mark(w, attendance_id=attendance_id)) == Applied()
    assert version(db) == top

    run(db, w.manager, "mark_attendance", mark(w, "leave", attendance_id=attendance_id))
    with db.reader() as s:
        attendance = s.get(Attendance, attendance_id)
        # The campus does not charge leave: the hour goes back to the package.
        assert (attendance.status, attendance.charged_hours) == ("leave", Decimal("0.00"))
        assert package_balances(s, w.s1)[0].paid_remaining == Decimal("10.00")


def test_mark_attendance_is_for_the_lessons_teacher_or_the_campus_staff(db: Database) -> None:
    w = make_world(db)
    # c1 sees the lesson (their student is in it) but may not mark it.
    with pytest.raises(Forbidden):
        run(db, w.c1, "mark_attendance", mark(w))
    with pytest.raises(Forbidden):
        run(db, w.c2, "mark_attendance", mark(w))


def test_mark_attendance_refuses_an_attendance_id_of_another_student(db: Database) -> None:
    w = make_world(db)
    attendance_id = new_id()
    run(db, w.teacher, "mark_attendance", mark(w, attendance_id=attendance_id))
    args = {
        "lesson_id": w.l1,
        "marks": [{"student_id": w.s2, "status": "makeup", "attendance_id": attendance_id}],
    }
    assert refused(db, w.teacher, "mark_attendance", args).field == "marks[0].attendance_id"


@pytest.mark.parametrize(
    ("marks", "field"),
    [
        ([], "marks"),
        ([{"student_id": "s1", "status": "present", "attendance_id": "A"}], "marks[0].student_id"),
        ([{"student_id": "S1", "status": "late", "attendance_id": "A"}], "marks[0].status"),
        ([{"student_id": "S1", "status": "present"}], "marks[0].attendance_id"),
        (
            [{"student_id": "S1", "status": "present", "attendance_id": "A", "hours": 2}],
            "marks[0].hours",
        ),
        (
            [
                {"student_id": "S1", "status": "present", "attendance_id": "A"},
                {"student_id": "S1", "status": "absent", "attendance_id": "B"},
            ],
            "marks[1].student_id",
        ),
    ],
)
def test_mark_attendance_names_the_bad_field(
    db: Database, marks: list[dict[str, Any]], field: str
) -> None:
    w = make_world(db)
    ids = {"S1": w.s1, "A": new_id(), "B": new_id()}
    for m in marks:
        for key in ("student_id", "attendance_id"):
            if key in m:
                m[key] = ids.get(m[key], m[key])
    assert refused(db, w.teacher, "mark_attendance", {"lesson_id": w.l1, "marks": marks}).field == (
        field
    )


# --------------------------------------------------------------------------- growth records


def test_add_growth_record_writes_the_teachers_record(db: Database) -> None:
    w = make_world(db)
    args = growth_args(w, comment="  很专心  ")
    run(db, w.teacher, "add_growth_record", args)
    with db.reader() as s:
        record = s.get(GrowthRecord, args["id"])
        assert (record.student_id, record.lesson_id, record.teacher_id) == (
            w.s1,
            w.l1,
            w.teacher.staff_id,
        )
        ratings = (
            record.progress,
            record.focus,
            record.performance,
            record.learning_ability,
            record.mastery,
        )
        assert ratings == (4, 3, 5, 4, 3)
        assert (record.recorded_on, record.progress_note, record.comment) == (
            DAY,
            "第三课",
            "很专心",
        )
        assert record.campus_id == w.campus_id


def test_a_growth_record_typed_by_the_manager_is_the_lessons_teachers(db: Database) -> None:
    w = make_world(db)
    args = growth_args(w)
    run(db, w.manager, "add_growth_record", args)
    with db.reader() as s:
        assert s.get(GrowthRecord, args["id"]).teacher_id == w.teacher.staff_id


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"progress": 6}, "progress"),
        ({"focus": 0}, "focus"),
        ({"mastery": "3"}, "mastery"),
        ({"performance": True}, "performance"),
        ({"recorded_on": (DAY + timedelta(days=2)).isoformat()}, "recorded_on"),
        ({"recorded_on": "2026-3-10"}, "recorded_on"),
        ({"recorded_on": "2016-03-10"}, "recorded_on"),
        ({"comment": "好" * 2001}, "comment"),
        ({"id": "not-a-uuid"}, "id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_add_growth_record_names_the_bad_field(
    db: Database, over: dict[str, Any], field: str
) -> None:
    w = make_world(db)
    assert refused(db, w.teacher, "add_growth_record", growth_args(w, **over)).field == field


def test_a_growth_record_tomorrow_is_accepted(db: Database) -> None:
    # A phone whose clock is a little ahead around midnight is not refused.
    w = make_world(db)
    args = growth_args(w, recorded_on=(DAY + timedelta(days=1)).isoformat())
    assert len(run(db, w.teacher, "add_growth_record", args).rows) == 1


def test_a_growth_record_for_a_student_out_of_scope_is_forbidden(db: Database) -> None:
    w = make_world(db)
    with pytest.raises(Forbidden):
        run(db, w.teacher, "add_growth_record", growth_args(w, student_id=w.s2, lesson_id=None))


def test_a_growth_record_names_a_lesson_the_student_was_on(db: Database) -> None:
    w = make_world(db)
    args = growth_args(w, student_id=w.s2)
    assert refused(db, w.manager, "add_growth_record", args).field == "lesson_id"


# --------------------------------------------------------------------------- communication


def test_add_communication_records_the_contact_and_its_follow_up(db: Database) -> None:
    w = make_world(db)
    args = communication_args(w)
    run(db, w.c1, "add_communication", args)
    with db.reader() as s:
        record = s.get(CommunicationRecord, args["id"])
        assert (record.parent_id, record.student_id, record.staff_id) == (
            w.p1,
            w.s1,
            w.c1.staff_id,
        )
        assert (record.occurred_on, record.channel, record.content) == (DAY, "微信", "聊了续费")
        assert record.next_follow_up_on == date(2026, 3, 17) and not record.follow_up_done
        # Counted as 家长沟通 for c1 (implied by the record, see shared.actuals).
        assert stage_counts(s, w.campus_id, DAY, DAY, staff_id=w.c1.staff_id)["parent_contact"] == 1


def test_add_communication_resent_is_a_no_op_and_a_reused_id_is_refused(db: Database) -> None:
    w = make_world(db)
    args = communication_args(w)
    run(db, w.c1, "add_communication", args)
    top = version(db)
    assert run(db, w.c1, "add_communication", dict(args)) == Applied()
    assert version(db) == top
    assert refused(db, w.c1, "add_communication", {**args, "content": "别的内容"}).field == "id"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"channel": "短信"}, "channel"),
        ({"content": "   "}, "content"),
        ({"occurred_on": (DAY + timedelta(days=2)).isoformat()}, "occurred_on"),
        ({"next_follow_up_on": (DAY - timedelta(days=1)).isoformat()}, "next_follow_up_on"),
        ({"next_follow_up_on": (DAY + timedelta(days=400)).isoformat()}, "next_follow_up_on"),
        ({"student_id": "S2"}, "student_id"),  # not a child of this parent
    ],
)
def test_add_communication_names_the_bad_field(
    db: Database, over: dict[str, Any], field: str
) -> None:
    w = make_world(db)
    if over.get("student_id") == "S2":
        over = {"student_id": w.s2}
    assert refused(db, w.manager, "add_communication", communication_args(w, **over)).field == field


def test_add_communication_with_a_parent_out_of_scope_is_forbidden(db: Database) -> None:
    w = make_world(db)
    with pytest.raises(Forbidden):
        run(db, w.c2, "add_communication", communication_args(w))


def test_add_communication_with_a_missing_parent_is_not_found(db: Database) -> None:
    w = make_world(db)
    with pytest.raises(NotFound):
        run(db, w.c1, "add_communication", communication_args(w, parent_id=new_id()))


# --------------------------------------------------------------------------- stage activity


def stage_id(db: Database, w: World, code: str) -> str:
    """The id of one of the campus's stages."""
    with db.reader() as s:
        return s.scalar(select(Stage.id).where(Stage.campus_id == w.campus_id, Stage.code == code))


def test_log_stage_activity_is_counted_by_the_stage_counts(db: Database) -> None:
    w = make_world(db)
    args = {
        "id": new_id(),
        "stage_id": stage_id(db, w, "invitation"),
        "student_id": w.s1,
        "parent_id": w.p1,
        "occurred_on": DAY.isoformat(),
        "note": "邀约周六到访",
    }
    run(db, w.c1, "log_stage_activity", args)
    with db.reader() as s:
        activity = s.get(StageActivity, args["id"])
        assert (activity.staff_id, activity.note) == (w.c1.staff_id, "邀约周六到访")
        assert stage_counts(s, w.campus_id, DAY, DAY, staff_id=w.c1.staff_id)["invitation"] == 1
        assert stage_counts(s, w.campus_id, DAY, DAY)["invitation"] == 1


def test_log_stage_activity_refuses_a_switched_off_stage(db: Database) -> None:
    w = make_world(db)
    visit = stage_id(db, w, "visit")
    with db.unit_of_work() as s:
        s.get(Stage, visit).active = False
    args = {"id": new_id(), "stage_id": visit, "occurred_on": DAY.isoformat()}
    assert refused(db, w.c1, "log_stage_activity", args).field == "stage_id"


def test_log_stage_activity_refuses_a_parent_of_another_child(db: Database) -> None:
    w = make_world(db)
    args = {
        "id": new_id(),
        "stage_id": stage_id(db, w, "visit"),
        "student_id": w.s1,
        "parent_id": w.p2,
        "occurred_on": DAY.isoformat(),
    }
    assert refused(db, w.manager, "log_stage_activity", args).field == "parent_id"


# --------------------------------------------------------------------------- trial outcome


def row_version(db: Database, model: type, row_id: str) -> int:
    """A row's version now."""
    with db.reader() as s:
        return s.get(model, row_id).version


def test_record_trial_outcome_sets_status_outcome_and_feedback(db: Database) -> None:
    w = make_world(db)
    seen = row_version(db, TrialLesson, w.trial1)
    args = {"trial_id": w.trial1, "status": "held", "outcome": "not_signed", "feedback": "嫌远"}
    applied = run(db, w.teacher, "record_trial_outcome", args, seen)
    assert set(applied.written_fields) == {"status", "outcome", "feedback"}
    with db.reader() as s:
        trial = s.get(TrialLesson, w.trial1)
        assert (trial.status, trial.outcome, trial.feedback) == ("held", "not_signed", "嫌远")
        # A held trial counts as 试听 for its consultant and its intent teacher.
        held_on = trial.trial_on
        assert (
            stage_counts(s, w.campus_id, held_on, held_on, staff_id=w.teacher.staff_id)["trial"]
            == 1
        )


def test_a_trial_that_did_not_happen_has_no_signing_outcome(db: Database) -> None:
    w = make_world(db)
    args = {"trial_id": w.trial1, "status": "no_show", "outcome": "signed"}
    assert refused(db, w.c1, "record_trial_outcome", args, 0).field == "outcome"


def test_a_trial_signed_by_an_order_stays_signed(db: Database) -> None:
    w = make_world(db)
    with db.unit_of_work() as s:
        s.get(Order, w.order1).trial_id = w.trial1
        trial = s.get(TrialLesson, w.trial1)
        trial.status, trial.outcome = "held", "signed"
    seen = row_version(db, TrialLesson, w.trial1)
    args = {"trial_id": w.trial1, "status": "held", "outcome": "not_signed"}
    assert refused(db, w.c1, "record_trial_outcome", args, seen).field == "outcome"


def test_an_edit_without_base_version_is_refused(db: Database) -> None:
    w = make_world(db)
    args = {"trial_id": w.trial1, "status": "held", "outcome": "pending"}
    assert refused(db, w.c1, "record_trial_outcome", args).field == "base_version"
    assert refused(db, w.c1, "record_trial_outcome", args, version(db) + 1).field == (
        "base_version"
    )


def test_a_trial_outside_the_scope_is_forbidden(db: Database) -> None:
    w = make_world(db)
    args = {"trial_id": w.trial1, "status": "held", "outcome": "pending"}
    with pytest.raises(Forbidden):
        run(db, w.c2, "record_trial_outcome", args, 0)


# --------------------------------------------------------------------------- parents


def test_edit_parent_changes_only_the_fields_sent(db: Database) -> None:
    w = make_world(db)
    seen = row_version(db, Parent, w.p1)
    args = {"parent_id": w.p1, "fields": {"phone": " 139-1111-2222 ", "wechat": "zhang"}}
    applied = run(db, w.c1, "edit_parent", args, seen)
    assert set(applied.written_fields) == {"phone", "wechat"}
    with db.reader() as s:
        parent = s.get(Parent, w.p1)
        assert (parent.name, parent.phone, parent.wechat) == ("张妈妈", "13911112222", "zhang")
        assert parent.version > seen


def test_edit_parent_to_the_values_stored_writes_nothing(db: Database) -> None:
    w = make_world(db)
    top = version(db)
    args = {"parent_id": w.p1, "fields": {"phone": "13800000001"}}
    assert run(db, w.c1, "edit_parent", args, 0) == Applied()
    assert version(db) == top


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "fields"),
        ({"name": "  "}, "fields.name"),
        ({"phone": "call me"}, "fields.phone"),
        ({"phone2": "1" * 41}, "fields.phone2"),
        # The registration rule (a mainland mobile or landline) holds for edits too.
        ({"phone": "12345"}, "fields.phone"),
        ({"phone2": "+1 (415) 555-0100"}, "fields.phone2"),
        ({"phone": ""}, "fields.phone"),
        ({"pin_hash": "x"}, "fields.pin_hash"),
        ({"notes": 5}, "fields.notes"),
    ],
)
def test_edit_parent_names_the_bad_field(db: Database, fields: dict[str, Any], field: str) -> None:
    w = make_world(db)
    args = {"parent_id": w.p1, "fields": fields}
    assert refused(db, w.c1, "edit_parent", args, 0).field == field


def test_the_desktop_edit_follows_the_same_rule(db: Database) -> None:
    w = make_world(db)
    with db.unit_of_work() as s, pytest.raises(Invalid) as caught:
        edit_parent(s, w.p1, {"phone": "call me"})
    assert caught.value.field == "phone"
    with db.unit_of_work() as s:
        edit_parent(s, w.p1, {"name": " 张 妈妈 ", "notes": "只在晚上"})
    with db.reader() as s:
        parent = s.get(Parent, w.p1)
        assert (parent.name, parent.notes) == ("张 妈妈", "只在晚上")


# --------------------------------------------------------------------------- follow-up


def test_set_follow_up_moves_and_completes_a_follow_up(db: Database) -> None:
    w = make_world(db)
    seen = row_version(db, CommunicationRecord, w.cr1)
    args = {"communication_id": w.cr1, "next_follow_up_on": "2026-03-20"}
    run(db, w.c1, "set_follow_up", args, seen)
    with db.reader() as s:
        record = s.get(CommunicationRecord, w.cr1)
        assert (record.next_follow_up_on, record.follow_up_done) == (date(2026, 3, 20), False)
        seen = record.version

    run(db, w.c1, "set_follow_up", {**args, "next_follow_up_on": None, "done": True}, seen)
    with db.reader() as s:
        record = s.get(CommunicationRecord, w.cr1)
        assert (record.next_follow_up_on, record.follow_up_done) == (None, True)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"next_follow_up_on": "2026-03-01"}, "next_follow_up_on"),  # before the contact
        ({"done": "yes"}, "done"),
        ({"communication_id": None}, "communication_id"),
    ],
)
def test_set_follow_up_names_the_bad_field(db: Database, over: dict[str, Any], field: str) -> None:
    w = make_world(db)
    args = {"communication_id": w.cr1, "next_follow_up_on": "2026-03-20", **over}
    assert refused(db, w.c1, "set_follow_up", args, 0).field == field


def test_set_follow_up_needs_the_date_key_even_to_clear_it(db: Database) -> None:
    w = make_world(db)
    error = refused(db, w.c1, "set_follow_up", {"communication_id": w.cr1, "done": True}, 0)
    assert (error.field, error.reason) == ("next_follow_up_on", "缺少此项")


def test_an_unknown_mutation_is_invalid_naming_the_name(db: Database) -> None:
    w = make_world(db)
    assert refused(db, w.c1, "drop_table", {}).field == "name"
