"""学员 and 家长 services: records, phone rules, duplicates, links, communication, lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound
from shared.models import (
    CommunicationRecord,
    LessonStudent,
    Parent,
    Student,
    StudentParent,
    StudentStatus,
)
from shared.search import filter_rows
from shared.services.lessons import AttendanceMark, mark_attendance, schedule_lesson
from shared.services.orders import record_order
from shared.services.students import (
    add_communication,
    check_phone,
    create_parent,
    create_student,
    delete_parent,
    delete_student,
    link_parent,
    list_parents,
    list_students,
    register_student,
    student_detail,
    unlink_parent,
    update_parent,
    update_student,
)
from tests.shared.factories import Campus1, at, make_campus

TODAY = date(2026, 3, 10)


def _family(db: Database) -> tuple[Campus1, str, str]:
    """The hand-made campus plus 张小明's mother 王芳 (13812345678), linked as primary."""
    with db.unit_of_work() as s:
        c = make_campus(s)
        mother = create_parent(s, campus_id=c.campus_id, name="王芳", phone="138 1234 5678")
        link_parent(s, student_id=c.student_id, parent_id=mother.id, relation="母亲")
    return c, c.student_id, mother.id


# --------------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0571-88886666", "0571-88886666"),
        ("057188886666", "0571-88886666"),
        ("(0571) 8888 6666", "0571-88886666"),
        ("010-62345678", "010-62345678"),
        ("021 6234 5678", "021-62345678"),
        ("0571-88886666-801", "0571-88886666-801"),
        ("0571-88886666转801", "0571-88886666-801"),
        ("", ""),
    ],
)
def test_mainland_phones_are_stored_in_one_form(typed: str, stored: str) -> None:
    assert check_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    ["1381234567", "138123456789", "12812345678", "abc", "88886666", "0571-1234", "5551234"],
)
def test_other_phone_numbers_are_refused_in_chinese(typed: str) -> None:
    with pytest.raises(Invalid) as err:
        check_phone(typed, "phone")
    assert err.value.field == "phone"
    assert "手机号" in err.value.reason


def test_a_parent_with_a_bad_phone_is_not_saved(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        create_parent(s, campus_id=c.campus_id, name="王芳", phone="1381234")
    assert err.value.field == "phone"
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Parent)) == 0


def test_a_parent_needs_a_phone(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        create_parent(s, campus_id=c.campus_id, name="王芳", phone="  ")
    assert (err.value.field, err.value.reason) == ("phone", "不能为空")


# --------------------------------------------------------------------------- students


def test_create_student_stores_every_field(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        student = create_student(
            s,
            campus_id=c.campus_id,
            name=" 李小红 ",
            gender="女",
            birth_on="2018-05-02",
            school="育才小学",
            grade="二年级",
            status="trial",
            consultant_id=c.consultant_id,
            source="抖音",
            notes="只能周末上课",
            today=TODAY,
        )
    with db.reader() as s:
        row = s.get(Student, student.id)
        assert (row.name, row.gender, row.birth_on, row.school, row.grade) == (
            "李小红",
            "女",
            date(2018, 5, 2),
            "育才小学",
            "二年级",
        )
        assert (row.status, row.consultant_id, row.source, row.notes) == (
            StudentStatus.TRIAL,
            c.consultant_id,
            "抖音",
            "只能周末上课",
        )
        assert row.first_contact_on == TODAY


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"name": "  "}, "name"),
        ({"gender": "M"}, "gender"),
        ({"birth_on": "2030-01-01"}, "birth_on"),
        ({"birth_on": "2018-02-30"}, "birth_on"),
        ({"status": "graduated"}, "status"),
        ({"grade": "x" * 21}, "grade"),
    ],
)
def test_bad_student_fields_name_the_field_and_save_nothing(
    db: Database, override: dict[str, object], field: str
) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    args: dict[str, object] = {"campus_id": c.campus_id, "name": "李小红", "today": TODAY}
    args.update(override)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        create_student(s, **args)
    assert err.value.field == field
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 1  # 张小明 only


def test_the_consultant_must_be_a_consultant_of_the_campus(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        other = make_campus(s, code="T2")
    for staff_id in (c.teacher_id, other.consultant_id):
        with pytest.raises(Invalid) as err, db.unit_of_work() as s:
            create_student(s, campus_id=c.campus_id, name="李小红", consultant_id=staff_id)
        assert err.value.field == "consultant_id"


def test_update_student_changes_only_the_given_fields(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with db.unit_of_work() as s:
        update_student(s, c.student_id, {"grade": "三年级", "status": "paused"})
    with db.reader() as s:
        row = s.get(Student, c.student_id)
        assert (row.name, row.grade, row.status) == ("张小明", "三年级", StudentStatus.PAUSED)
        assert row.consultant_id == c.consultant_id


def test_update_student_refuses_unknown_fields(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        update_student(s, c.student_id, {"campus_id": c.campus_id})
    assert err.value.field == "campus_id"


def test_delete_student_without_history_leaves_a_tombstone_and_drops_links(db: Database) -> None:
    c, student_id, mother_id = _family(db)
    with db.unit_of_work() as s:
        lesson = schedule_lesson(
            s,
            course_id=c.course_id,
            teacher_id=c.teacher_id,
            starts_at=at(date(2026, 3, 20)),
            student_ids=[student_id],
        )
    with db.unit_of_work() as s:
        delete_student(s, student_id)
    with db.reader() as s:
        assert s.get(Student, student_id).is_deleted
        assert s.get(Parent, mother_id).is_deleted is False
        link = s.scalar(select(StudentParent).where(StudentParent.student_id == student_id))
        assert link.is_deleted
        enrolment = s.scalar(select(LessonStudent).where(LessonStudent.lesson_id == lesson.id))
        assert enrolment.is_deleted
        assert list_students(s, c.campus_id) == []
    with pytest.raises(NotFound), db.unit_of_work() as s:
        update_student(s, student_id, {"grade": "一年级"})


def test_a_student_with_orders_cannot_be_deleted(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        record_order(
            s,
            student_id=c.student_id,
            course_id=c.course_id,
            sign_type="new",
            signed_on=date(2026, 3, 1),
            hours=10,
            amount_fen=150000,
        )
    with pytest.raises(Conflict, match="订单"), db.unit_of_work() as s:
        delete_student(s, c.student_id)
    with db.reader() as s:
        assert s.get(Student, c.student_id).is_deleted is False


# --------------------------------------------------------------------------- duplicates


def test_same_name_and_parent_phone_is_a_duplicate_naming_the_record(db: Database) -> None:
    c, _, _ = _family(db)
    with pytest.raises(Conflict) as err, db.unit_of_work() as s:
        twin = create_student(s, campus_id=c.campus_id, name="张小明")
        dad = create_parent(s, campus_id=c.campus_id, name="张伟", phone="13812345678")
        link_parent(s, student_id=twin.id, parent_id=dad.id, relation="父亲")
    assert "张小明" in err.value.message and "13812345678" in err.value.message
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 1
        assert s.scalar(select(func.count()).select_from(Parent)) == 1


def test_a_sibling_may_share_the_parent(db: Database) -> None:
    c, _, mother_id = _family(db)
    with db.unit_of_work() as s:
        sister = create_student(s, campus_id=c.campus_id, name="张小红")
        link_parent(s, student_id=sister.id, parent_id=mother_id, relation="母亲")
    with db.reader() as s:
        [mother] = list_parents(s, c.campus_id)
        assert sorted(mother.children) == ["张小明", "张小红"]


def test_the_same_name_with_another_phone_is_another_child(db: Database) -> None:
    c, _, _ = _family(db)
    with db.unit_of_work() as s:
        other = create_student(s, campus_id=c.campus_id, name="张小明")
        mum = create_parent(s, campus_id=c.campus_id, name="李娜", phone="13900001111")
        link_parent(s, student_id=other.id, parent_id=mum.id)
    with db.reader() as s:
        assert [r.name for r in list_students(s, c.campus_id)] == ["张小明", "张小明"]


def test_renaming_into_a_duplicate_is_refused(db: Database) -> None:
    c, _, mother_id = _family(db)
    with db.unit_of_work() as s:
        sister = create_student(s, campus_id=c.campus_id, name="张小红")
        link_parent(s, student_id=sister.id, parent_id=mother_id)
    with pytest.raises(Conflict, match="张小明"), db.unit_of_work() as s:
        update_student(s, sister.id, {"name": "张小明"})


def test_changing_a_parent_phone_into_a_duplicate_is_refused(db: Database) -> None:
    c, _, _ = _family(db)
    with db.unit_of_work() as s:
        other = create_student(s, campus_id=c.campus_id, name="张小明")
        mum = create_parent(s, campus_id=c.campus_id, name="李娜", phone="13900001111")
        link_parent(s, student_id=other.id, parent_id=mum.id)
    with pytest.raises(Conflict), db.unit_of_work() as s:
        update_parent(s, mum.id, {"phone2": "138-1234-5678"})
    with db.reader() as s:
        assert s.get(Parent, mum.id).phone2 == ""


# --------------------------------------------------------------------------- parents


def test_update_parent_stores_the_canonical_phone(db: Database) -> None:
    _, _, mother_id = _family(db)
    with db.unit_of_work() as s:
        update_parent(s, mother_id, {"phone": "+86 139 0000 1111", "wechat": "wf_123"})
    with db.reader() as s:
        row = s.get(Parent, mother_id)
        assert (row.name, row.phone, row.wechat) == ("王芳", "13900001111", "wf_123")


def test_update_parent_with_a_bad_phone_changes_nothing(db: Database) -> None:
    _, _, mother_id = _family(db)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        update_parent(s, mother_id, {"name": "王芳芳", "phone": "12345"})
    assert err.value.field == "phone"
    with db.reader() as s:
        assert (s.get(Parent, mother_id).name, s.get(Parent, mother_id).phone) == (
            "王芳",
            "13812345678",
        )


def test_the_first_parent_is_primary_and_a_new_primary_replaces_it(db: Database) -> None:
    c, student_id, mother_id = _family(db)
    with db.unit_of_work() as s:
        dad = create_parent(s, campus_id=c.campus_id, name="张伟", phone="13900001111")
        link_parent(s, student_id=student_id, parent_id=dad.id, relation="父亲")
    with db.reader() as s:
        detail = student_detail(s, student_id)
        assert [(p.name, p.relation, p.is_primary) for p in detail.parents] == [
            ("王芳", "母亲", True),
            ("张伟", "父亲", False),
        ]
    with db.unit_of_work() as s:
        link_parent(s, student_id=student_id, parent_id=dad.id, relation="父亲", is_primary=True)
    with db.reader() as s:
        assert [(p.name, p.is_primary) for p in student_detail(s, student_id).parents] == [
            ("张伟", True),
            ("王芳", False),
        ]
    with db.unit_of_work() as s:
        unlink_parent(s, student_id=student_id, parent_id=dad.id)
    with db.reader() as s:
        assert [(p.name, p.is_primary) for p in student_detail(s, student_id).parents] == [
            ("王芳", True),
        ]


def test_deleting_a_parent_removes_the_links_and_promotes_the_other(db: Database) -> None:
    c, student_id, mother_id = _family(db)
    with db.unit_of_work() as s:
        dad = create_parent(s, campus_id=c.campus_id, name="张伟", phone="13900001111")
        link_parent(s, student_id=student_id, parent_id=dad.id, relation="父亲")
    with db.unit_of_work() as s:
        delete_parent(s, mother_id)
    with db.reader() as s:
        assert s.get(Parent, mother_id).is_deleted
        assert [(p.name, p.is_primary) for p in student_detail(s, student_id).parents] == [
            ("张伟", True),
        ]
        assert [p.name for p in list_parents(s, c.campus_id)] == ["张伟"]


def test_unlinking_a_parent_that_is_not_linked_is_refused(db: Database) -> None:
    c, student_id, _ = _family(db)
    with db.unit_of_work() as s:
        stranger = create_parent(s, campus_id=c.campus_id, name="陌生人", phone="13900001111")
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        unlink_parent(s, student_id=student_id, parent_id=stranger.id)
    assert err.value.field == "parent_id"


def test_a_parent_of_another_campus_cannot_be_linked(db: Database) -> None:
    c, student_id, _ = _family(db)
    with db.unit_of_work() as s:
        other = make_campus(s, code="T2")
        far = create_parent(s, campus_id=other.campus_id, name="远方", phone="13900001111")
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        link_parent(s, student_id=student_id, parent_id=far.id)
    assert err.value.field == "parent_id"


# --------------------------------------------------------------------------- communication


def test_a_communication_record_with_a_follow_up(db: Database) -> None:
    c, student_id, mother_id = _family(db)
    with db.unit_of_work() as s:
        record = add_communication(
            s,
            parent_id=mother_id,
            staff_id=c.consultant_id,
            occurred_on=TODAY,
            channel="电话",
            content="邀约周六试听",
            student_id=student_id,
            next_follow_up_on=date(2026, 3, 14),
            today=TODAY,
        )
    with db.reader() as s:
        row = s.get(CommunicationRecord, record.id)
        assert (row.campus_id, row.staff_id, row.channel, row.next_follow_up_on) == (
            c.campus_id,
            c.consultant_id,
            "电话",
            date(2026, 3, 14),
        )
        [view] = student_detail(s, student_id).communications
        assert (view.parent_name, view.staff_name, view.content) == (
            "王芳",
            "李顾问",
            "邀约周六试听",
        )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"channel": "短信"}, "channel"),
        ({"content": " "}, "content"),
        ({"occurred_on": date(2026, 3, 12)}, "occurred_on"),
        ({"next_follow_up_on": date(2026, 3, 9)}, "next_follow_up_on"),
    ],
)
def test_bad_communication_records_are_refused(
    db: Database, override: dict[str, object], field: str
) -> None:
    c, student_id, mother_id = _family(db)
    args: dict[str, object] = dict(
        parent_id=mother_id,
        staff_id=c.consultant_id,
        occurred_on=TODAY,
        channel="微信",
        content="发了课表",
        student_id=student_id,
        today=TODAY,
    )
    args.update(override)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        add_communication(s, **args)
    assert err.value.field == field


def test_a_communication_about_an_unlinked_student_is_refused(db: Database) -> None:
    c, _, mother_id = _family(db)
    with db.unit_of_work() as s:
        other = create_student(s, campus_id=c.campus_id, name="李小红")
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        add_communication(
            s,
            parent_id=mother_id,
            staff_id=c.consultant_id,
            occurred_on=TODAY,
            channel="电话",
            content="x",
            student_id=other.id,
            today=TODAY,
        )
    assert err.value.field == "student_id"


# --------------------------------------------------------------------------- lists, detail


def test_the_list_filters_by_status_and_searches_names_phones_and_initials(
    db: Database,
) -> None:
    c, _, _ = _family(db)
    with db.unit_of_work() as s:
        lead = create_student(s, campus_id=c.campus_id, name="李小红")
        mum = create_parent(s, campus_id=c.campus_id, name="赵敏", phone="13900001111")
        link_parent(s, student_id=lead.id, parent_id=mum.id)
        update_student(s, c.student_id, {"status": "enrolled"})
    with db.reader() as s:
        rows = list_students(s, c.campus_id)
        enrolled = list_students(s, c.campus_id, status="enrolled")
    assert [r.name for r in rows] == ["张小明", "李小红"]  # 在读 before 线索
    assert [r.name for r in enrolled] == ["张小明"]
    assert rows[0].primary_parent.name == "王芳"
    assert rows[0].consultant_name == "李顾问" and rows[0].status_name == "在读"

    def find(query: str) -> list[str]:
        return [r.name for r in filter_rows(query, rows, lambda r: r.key)]

    assert find("zxm") == ["张小明"]
    assert find("xh") == ["李小红"]
    assert find("5678") == ["张小明"]  # the mother's phone
    assert find("wf") == ["张小明"]  # the mother's name
    assert find("zm") == ["李小红"]  # 赵敏's initials


def test_the_detail_shows_packages_attendance_and_remaining_hours(db: Database) -> None:
    c, student_id, _ = _family(db)
    with db.unit_of_work() as s:
        order = record_order(
            s,
            student_id=student_id,
            course_id=c.course_id,
            sign_type="new",
            signed_on=date(2026, 3, 1),
            hours=10,
            gift_hours=2,
            amount_fen=150000,
        )
        lesson = schedule_lesson(
            s,
            course_id=c.course_id,
            teacher_id=c.teacher_id,
            starts_at=at(date(2026, 3, 5)),
            student_ids=[student_id],
        )
        mark_attendance(s, lesson_id=lesson.id, marks=[AttendanceMark(student_id, "present")])
    with db.reader() as s:
        detail = student_detail(s, student_id)
    [package] = detail.packages
    assert (package.order_id, package.course_name, package.paid_remaining) == (
        order.id,
        "钢琴",
        Decimal("9.00"),
    )
    assert package.gift_remaining == Decimal("2.00")
    assert detail.remaining_hours == Decimal("11.00")
    [att] = detail.attendance
    assert (att.course_name, att.teacher_name, att.charged_hours, att.amount_fen) == (
        "钢琴",
        "赵老师",
        Decimal("1.00"),
        15000,
    )
    assert detail.status_name == "在读"


# --------------------------------------------------------------------------- 登记


def test_register_a_student_with_a_new_parent(db: Database) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
        student = register_student(
            s,
            campus_id=c.campus_id,
            name="李小红",
            grade="一年级",
            parent_name="李娜",
            parent_phone="139-0000-1111",
            relation="母亲",
            today=TODAY,
        )
    with db.reader() as s:
        [parent] = student_detail(s, student.id).parents
    assert (parent.name, parent.phone, parent.relation, parent.is_primary) == (
        "李娜",
        "13900001111",
        "母亲",
        True,
    )


def test_register_links_the_parent_who_already_has_the_phone(db: Database) -> None:
    c, _, mother_id = _family(db)
    with db.unit_of_work() as s:
        sister = register_student(
            s,
            campus_id=c.campus_id,
            name="张小红",
            parent_phone="13812345678",
            relation="母亲",
        )
    with db.reader() as s:
        assert [p.parent_id for p in student_detail(s, sister.id).parents] == [mother_id]
        assert s.scalar(select(func.count()).select_from(Parent)) == 1


def test_register_the_same_child_twice_is_refused(db: Database) -> None:
    c, _, _ = _family(db)
    with pytest.raises(Conflict, match="张小明"), db.unit_of_work() as s:
        register_student(s, campus_id=c.campus_id, name="张小明", parent_phone="13812345678")
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 1


@pytest.mark.parametrize(
    ("parent", "field"),
    [
        ({"parent_name": "李娜"}, "parent_phone"),
        ({"parent_phone": "13900001111"}, "parent_name"),
        ({"parent_name": "李娜", "parent_phone": "139"}, "parent_phone"),
    ],
)
def test_register_names_the_parent_input_at_fault(
    db: Database, parent: dict[str, str], field: str
) -> None:
    with db.unit_of_work() as s:
        c = make_campus(s)
    with pytest.raises(Invalid) as err, db.unit_of_work() as s:
        register_student(s, campus_id=c.campus_id, name="李小红", **parent)
    assert err.value.field == field
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Student)) == 1
