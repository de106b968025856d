"""学员 and 家长 at the front desk: records, links, duplicates, communication, lists.

Rules decided here (both edges call these functions):

* A phone number is a mainland mobile (11 digits, ``1[3-9]…``, an optional ``+86``) or a
  landline with its area code (``0571-88886666``, an optional extension ``-801`` or
  ``转801``). It is stored in one canonical form (``13812345678``, ``0571-88886666-801``) so
  that search and duplicate detection compare like with like.
* A student is a duplicate when another live student of the campus has the same name and a
  parent with one of the same phone numbers: that is the same child entered twice, refused
  with :class:`~shared.errors.Conflict` naming the existing record. It is checked whenever the
  pair can arise: linking a parent, renaming a student, changing a parent's phone.
* Each student has at most one primary parent (主要联系人); the first parent linked becomes it,
  and when it is unlinked or deleted the longest-linked remaining parent takes over.
* Deleting is a tombstone. A student with orders, attendance or trials is history that the
  figures depend on and cannot be deleted (set the status to 流失 instead); deleting a student
  or a parent removes their links, and a student's enrolments in lessons not yet held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import get_args

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..consumption import package_balances, remaining_hours
from ..enums import STUDENT_STATUS_NAMES as STATUS_NAMES
from ..errors import Conflict, Invalid
from ..models import (
    Attendance,
    AttendanceStatus,
    Campus,
    CommunicationRecord,
    ConsumptionEntry,
    Course,
    GrowthRecord,
    Lesson,
    LessonStatus,
    LessonStudent,
    Order,
    Parent,
    Role,
    SignType,
    Staff,
    Student,
    StudentParent,
    StudentStatus,
    TrialLesson,
)
from ..mutations import Channel, check_business_day, check_follow_up_day
from ..periods import SHANGHAI
from ..search import SearchKey, search_key, sort_key
from .common import check_date, check_phone, check_text, get_live
from .parents import edit_parent

# --------------------------------------------------------------------------- labels

# The order lists show students in: the ones the front desk works with first.
STATUS_ORDER: dict[StudentStatus, int] = {
    StudentStatus.ENROLLED: 0,
    StudentStatus.TRIAL: 1,
    StudentStatus.LEAD: 2,
    StudentStatus.PAUSED: 3,
    StudentStatus.CHURNED: 4,
}
GENDERS: tuple[str, ...] = ("", "男", "女")
CHANNELS: tuple[str, ...] = get_args(Channel)  # the phone's list: 电话 微信 面谈 其他
RELATIONS: tuple[str, ...] = ("母亲", "父亲", "奶奶", "爷爷", "外婆", "外公", "其他")

# Column widths of the editable student fields.
STUDENT_TEXT_LIMITS: dict[str, int] = {
    "name": 60,
    "school": 100,
    "grade": 20,
    "source": 40,
    "notes": 2000,
}
STUDENT_FIELDS = frozenset(
    {*STUDENT_TEXT_LIMITS, "gender", "birth_on", "status", "consultant_id", "first_contact_on"}
)

# --------------------------------------------------------------------------- students


def _check_status(value: object) -> StudentStatus:
    try:
        return StudentStatus(value)
    except ValueError:
        raise Invalid("status", f"未知的学员状态：{value!r}") from None


def _check_gender(value: object) -> str:
    if value is None:
        return ""
    if value not in GENDERS:
        raise Invalid("gender", "性别只能是“男”“女”或不填")
    return str(value)


def _check_optional_date(value: object, field: str) -> date | None:
    if value is None or value == "":
        return None
    return check_date(value, field)


def _check_birth(value: object, today: date | None) -> date | None:
    birth = _check_optional_date(value, "birth_on")
    if birth is not None:
        if birth.year < 1900:
            raise Invalid("birth_on", "出生日期过早")
        if today is not None and birth > today:
            raise Invalid("birth_on", "出生日期不能晚于今天")
    return birth


def _check_consultant(session: Session, value: object, campus_id: str) -> str | None:
    if value is None or value == "":
        return None
    staff = get_live(session, Staff, value, "consultant_id")
    if staff.campus_id != campus_id:
        raise Invalid("consultant_id", "课程顾问不属于该校区")
    if not staff.has_role(Role.CONSULTANT):
        raise Invalid("consultant_id", f"{staff.name} 不是课程顾问")
    return staff.id


def clean_student_fields(
    session: Session, campus_id: str, fields: Mapping[str, object], today: date | None
) -> dict[str, object]:
    """Check a subset of a student's fields (the rule of the desktop's form, the import and
    :func:`update_student`); return them cleaned, or raise Invalid naming the field."""
    cleaned: dict[str, object] = {}
    for name, value in fields.items():
        if name not in STUDENT_FIELDS:
            raise Invalid(name, "学员资料中没有这一项，不能修改")
        if name in STUDENT_TEXT_LIMITS:
            cleaned[name] = check_text(
                value, name, max_len=STUDENT_TEXT_LIMITS[name], required=name == "name"
            )
        elif name == "gender":
            cleaned[name] = _check_gender(value)
        elif name == "birth_on":
            cleaned[name] = _check_birth(value, today)
        elif name == "first_contact_on":
            cleaned[name] = _check_optional_date(value, name)
        elif name == "status":
            cleaned[name] = _check_status(value)
        else:  # consultant_id
            cleaned[name] = _check_consultant(session, value, campus_id)
    return cleaned


def create_student(
    session: Session,
    *,
    campus_id: str,
    name: str,
    gender: str = "",
    birth_on: date | str | None = None,
    school: str = "",
    grade: str = "",
    status: StudentStatus | str = StudentStatus.LEAD,
    consultant_id: str | None = None,
    source: str = "",
    first_contact_on: date | str | None = None,
    notes: str = "",
    today: date | None = None,
) -> Student:
    """Register a student (a new lead by default). ``today`` bounds the birth date."""
    get_live(session, Campus, campus_id, "campus_id")
    values = clean_student_fields(
        session,
        campus_id,
        {
            "name": name,
            "gender": gender,
            "birth_on": birth_on,
            "school": school,
            "grade": grade,
            "status": status,
            "consultant_id": consultant_id,
            "source": source,
            "first_contact_on": first_contact_on,
            "notes": notes,
        },
        today,
    )
    student = Student(campus_id=campus_id, **values)
    if student.first_contact_on is None and today is not None:
        student.first_contact_on = today
    session.add(student)
    session.flush()
    return student


def update_student(
    session: Session, student_id: str, fields: Mapping[str, object], *, today: date | None = None
) -> Student:
    """Change some of a live student's fields (the keys of ``fields``)."""
    if not fields:
        raise Invalid("fields", "至少需要修改一项")
    student = get_live(session, Student, student_id, "student_id")
    cleaned = clean_student_fields(session, student.campus_id, fields, today)
    renamed = "name" in cleaned and cleaned["name"] != student.name
    for name, value in cleaned.items():
        setattr(student, name, value)
    if renamed:
        _refuse_duplicate(
            session,
            student.campus_id,
            student.name,
            _linked_phones(session, student.id),
            student.id,
        )
    session.flush()
    return student


def delete_student(session: Session, student_id: str) -> None:
    """Delete a student who has no history yet (no order, attendance or trial)."""
    student = get_live(session, Student, student_id, "student_id")
    history = [
        (Order, Order.student_id, "订单"),
        (Attendance, Attendance.student_id, "考勤"),
        (TrialLesson, TrialLesson.student_id, "试听"),
    ]
    for model, column, label in history:
        count = session.scalar(
            select(func.count())
            .select_from(model)
            .where(column == student.id, model.is_deleted.is_(False))
        )
        if count:
            raise Conflict(
                f"学员“{student.name}”已有{label}记录，不能删除；如不再跟进，请把状态改为“流失”"
            )
    student.is_deleted = True
    for link in _live_links(session, student_id=student.id):
        link.is_deleted = True
    pending = session.scalars(
        select(LessonStudent)
        .join(Lesson, Lesson.id == LessonStudent.lesson_id)
        .where(
            LessonStudent.student_id == student.id,
            LessonStudent.is_deleted.is_(False),
            Lesson.status == LessonStatus.SCHEDULED,
        )
    ).all()
    for enrolment in pending:
        enrolment.is_deleted = True
    session.flush()


# --------------------------------------------------------------------------- parents


def _clean_parent_phones(fields: Mapping[str, object]) -> dict[str, object]:
    cleaned = dict(fields)
    for name in ("phone", "phone2"):
        if name in cleaned:
            cleaned[name] = check_phone(cleaned[name], name, required=name == "phone")
    return cleaned


def create_parent(
    session: Session,
    *,
    campus_id: str,
    name: str,
    phone: str,
    phone2: str = "",
    wechat: str = "",
    notes: str = "",
) -> Parent:
    """Register a parent; the phone number is required and checked."""
    get_live(session, Campus, campus_id, "campus_id")
    parent = Parent(
        campus_id=campus_id,
        name=check_text(name, "name", max_len=60, required=True),
        phone=check_phone(phone, "phone", required=True),
        phone2=check_phone(phone2, "phone2"),
        wechat=check_text(wechat, "wechat", max_len=60),
        notes=check_text(notes, "notes", max_len=2000),
    )
    session.add(parent)
    session.flush()
    return parent


def update_parent(session: Session, parent_id: str, fields: Mapping[str, object]) -> Parent:
    """Change some of a parent's details; phones are checked and duplicates refused."""
    if not fields:
        raise Invalid("fields", "至少需要修改一项")
    cleaned = _clean_parent_phones(fields)
    parent = edit_parent(session, parent_id, cleaned)
    if "phone" in cleaned or "phone2" in cleaned:
        phones = [p for p in (parent.phone, parent.phone2) if p]
        for link in _live_links(session, parent_id=parent.id):
            student = session.get(Student, link.student_id)
            if student is not None and not student.is_deleted:
                _refuse_duplicate(session, student.campus_id, student.name, phones, student.id)
    return parent


def delete_parent(session: Session, parent_id: str) -> None:
    """Delete a parent and their links; communication records stay as history."""
    parent = get_live(session, Parent, parent_id, "parent_id")
    parent.is_deleted = True
    students = set()
    for link in _live_links(session, parent_id=parent.id):
        link.is_deleted = True
        students.add(link.student_id)
    session.flush()
    for student_id in students:
        _ensure_primary(session, student_id)
    session.flush()


def link_parent(
    session: Session,
    *,
    student_id: str,
    parent_id: str,
    relation: str = "",
    is_primary: bool = False,
) -> StudentParent:
    """Link a parent to a student (or update an existing link's relation and primary flag)."""
    student = get_live(session, Student, student_id, "student_id")
    parent = get_live(session, Parent, parent_id, "parent_id")
    if parent.campus_id != student.campus_id:
        raise Invalid("parent_id", "家长与学员不属于同一校区")
    relation = check_text(relation, "relation", max_len=20)
    _refuse_duplicate(
        session,
        student.campus_id,
        student.name,
        [p for p in (parent.phone, parent.phone2) if p],
        student.id,
    )
    link = session.scalar(
        select(StudentParent).where(
            StudentParent.student_id == student.id, StudentParent.parent_id == parent.id
        )
    )
    if link is None:
        link = StudentParent(student_id=student.id, parent_id=parent.id)
        session.add(link)
    link.is_deleted = False
    link.relation = relation
    link.is_primary = bool(is_primary)
    if is_primary:
        for other in _live_links(session, student_id=student.id):
            if other.parent_id != parent.id and other.is_primary:
                other.is_primary = False
    session.flush()
    _ensure_primary(session, student.id)
    session.flush()
    return link


def unlink_parent(session: Session, *, student_id: str, parent_id: str) -> None:
    """Remove the link between a student and a parent (both records stay)."""
    student = get_live(session, Student, student_id, "student_id")
    link = session.scalar(
        select(StudentParent).where(
            StudentParent.student_id == student.id,
            StudentParent.parent_id == parent_id,
            StudentParent.is_deleted.is_(False),
        )
    )
    if link is None:
        raise Invalid("parent_id", "该家长与这名学员没有关联")
    link.is_deleted = True
    link.is_primary = False
    session.flush()
    _ensure_primary(session, student.id)
    session.flush()


def find_parent_by_phone(session: Session, campus_id: str, phone: str) -> Parent | None:
    """The campus's live parent reachable at ``phone`` (canonical form), if any."""
    if not phone:
        return None
    return session.scalar(
        select(Parent)
        .where(
            Parent.campus_id == campus_id,
            Parent.is_deleted.is_(False),
            or_(Parent.phone == phone, Parent.phone2 == phone),
        )
        .order_by(Parent.created_at)
        .limit(1)
    )


def register_student(
    session: Session,
    *,
    campus_id: str,
    name: str,
    parent_name: str = "",
    parent_phone: str = "",
    relation: str = "",
    today: date | None = None,
    **student_fields: object,
) -> Student:
    """The front desk's 登记: a new student and, optionally, the parent to call (primary).

    When a parent of the campus already has that phone number (a sibling's mother), that
    parent is linked instead of a second record being made; otherwise a parent is created,
    which needs a name. Duplicates (same child name and parent phone) are refused as in
    :func:`link_parent`. Parent inputs are named ``parent_name`` and ``parent_phone`` in
    errors.
    """
    phone = check_phone(parent_phone, "parent_phone")
    parent_name = check_text(parent_name, "parent_name", max_len=60)
    if parent_name and not phone:
        raise Invalid("parent_phone", "填写了家长姓名时，家长电话不能为空")
    student = create_student(
        session,
        campus_id=campus_id,
        name=name,
        today=today,
        **student_fields,  # type: ignore[arg-type]
    )
    if phone:
        parent = find_parent_by_phone(session, campus_id, phone)
        if parent is None:
            if not parent_name:
                raise Invalid("parent_name", "新家长需要填写姓名")
            parent = create_parent(session, campus_id=campus_id, name=parent_name, phone=phone)
        link_parent(
            session, student_id=student.id, parent_id=parent.id, relation=relation, is_primary=True
        )
    return student


def _live_links(
    session: Session, *, student_id: str | None = None, parent_id: str | None = None
) -> list[StudentParent]:
    query = select(StudentParent).where(StudentParent.is_deleted.is_(False))
    if student_id is not None:
        query = query.where(StudentParent.student_id == student_id)
    if parent_id is not None:
        query = query.where(StudentParent.parent_id == parent_id)
    return list(session.scalars(query.order_by(StudentParent.created_at, StudentParent.id)))


def _ensure_primary(session: Session, student_id: str) -> None:
    """Make the longest-linked live parent primary when a student has parents but no primary."""
    links = [
        link
        for link in _live_links(session, student_id=student_id)
        if not _parent_deleted(session, link.parent_id)
    ]
    if links and not any(link.is_primary for link in links):
        links[0].is_primary = True


def _parent_deleted(session: Session, parent_id: str) -> bool:
    parent = session.get(Parent, parent_id)
    return parent is None or parent.is_deleted


def _linked_phones(session: Session, student_id: str) -> list[str]:
    rows = session.execute(
        select(Parent.phone, Parent.phone2)
        .join(StudentParent, StudentParent.parent_id == Parent.id)
        .where(
            StudentParent.student_id == student_id,
            StudentParent.is_deleted.is_(False),
            Parent.is_deleted.is_(False),
        )
    ).all()
    return [p for row in rows for p in row if p]


def find_duplicate(
    session: Session,
    campus_id: str,
    student_name: str,
    phones: Iterable[str],
    exclude_student_id: str | None = None,
) -> tuple[str, str, str] | None:
    """Another live student of the campus with this name and a parent with one of these phones.

    Returns ``(student_id, parent_name, phone)`` of the first such record, or None.
    """
    wanted = [p for p in phones if p]
    if not wanted or not student_name:
        return None
    query = (
        select(Student.id, Parent.name, Parent.phone, Parent.phone2)
        .join(StudentParent, StudentParent.student_id == Student.id)
        .join(Parent, Parent.id == StudentParent.parent_id)
        .where(
            Student.campus_id == campus_id,
            Student.name == student_name,
            Student.is_deleted.is_(False),
            StudentParent.is_deleted.is_(False),
            Parent.is_deleted.is_(False),
            or_(Parent.phone.in_(wanted), Parent.phone2.in_(wanted)),
        )
        .order_by(Student.created_at)
    )
    if exclude_student_id is not None:
        query = query.where(Student.id != exclude_student_id)
    row = session.execute(query.limit(1)).first()
    if row is None:
        return None
    phone = row.phone if row.phone in wanted else row.phone2
    return (row.id, row.name, phone)


def _refuse_duplicate(
    session: Session,
    campus_id: str,
    student_name: str,
    phones: Iterable[str],
    student_id: str | None,
) -> None:
    found = find_duplicate(session, campus_id, student_name, phones, student_id)
    if found is not None:
        _, parent_name, phone = found
        raise Conflict(
            f"学员“{student_name}”已登记过（家长 {parent_name}，电话 {phone}），请勿重复录入；"
            "请在列表中搜索该学员"
        )


# --------------------------------------------------------------------------- communication


def add_communication(
    session: Session,
    *,
    parent_id: str,
    staff_id: str,
    occurred_on: date | str,
    channel: str,
    content: str,
    today: date,
    student_id: str | None = None,
    next_follow_up_on: date | str | None = None,
) -> CommunicationRecord:
    """Record a 沟通记录 with a parent (about one of their children), with a next follow-up.

    Dates follow the phone's rules (:func:`shared.mutations.check_business_day`): the contact
    happened at most a year ago and not after tomorrow; the follow-up lies on or after it.
    """
    parent = get_live(session, Parent, parent_id, "parent_id")
    staff = get_live(session, Staff, staff_id, "staff_id")
    if staff.campus_id != parent.campus_id or not staff.active:
        raise Invalid("staff_id", "记录人必须是该校区在职员工")
    if channel not in CHANNELS:
        raise Invalid("channel", f"沟通方式只能是：{'、'.join(CHANNELS)}")
    day = check_business_day(check_date(occurred_on, "occurred_on"), "occurred_on", today)
    follow_up = _check_optional_date(next_follow_up_on, "next_follow_up_on")
    if follow_up is not None:
        check_follow_up_day(follow_up, day, today, "next_follow_up_on")
    if student_id:
        student = get_live(session, Student, student_id, "student_id")
        if not any(
            link.student_id == student.id for link in _live_links(session, parent_id=parent.id)
        ):
            raise Invalid("student_id", "该学员与这位家长没有关联")
        student_id = student.id
    record = CommunicationRecord(
        campus_id=parent.campus_id,
        parent_id=parent.id,
        student_id=student_id or None,
        staff_id=staff.id,
        occurred_on=day,
        channel=channel,
        content=check_text(content, "content", max_len=2000, required=True),
        next_follow_up_on=follow_up,
        follow_up_done=False,
    )
    session.add(record)
    session.flush()
    return record


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True, slots=True)
class ParentBrief:
    """A parent as shown beside a student in a list."""

    parent_id: str
    name: str
    phone: str
    relation: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class StudentRow:
    """One line of the student list, with what the search looks at."""

    id: str
    name: str
    gender: str
    status: StudentStatus
    grade: str
    school: str
    source: str
    consultant_id: str | None
    consultant_name: str
    parents: tuple[ParentBrief, ...]
    key: SearchKey

    @property
    def status_name(self) -> str:
        """The status as staff say it (在读, 线索, ...)."""
        return STATUS_NAMES[self.status]

    @property
    def primary_parent(self) -> ParentBrief | None:
        """The primary contact, else the first parent, else None."""
        for parent in self.parents:
            if parent.is_primary:
                return parent
        return self.parents[0] if self.parents else None


def _parents_by_student(
    session: Session, campus_id: str
) -> dict[str, list[tuple[ParentBrief, str]]]:
    rows = session.execute(
        select(
            StudentParent.student_id,
            Parent.id,
            Parent.name,
            Parent.phone,
            Parent.phone2,
            StudentParent.relation,
            StudentParent.is_primary,
        )
        .join(Parent, Parent.id == StudentParent.parent_id)
        .where(
            Parent.campus_id == campus_id,
            Parent.is_deleted.is_(False),
            StudentParent.is_deleted.is_(False),
        )
        .order_by(StudentParent.is_primary.desc(), StudentParent.created_at)
    ).all()
    result: dict[str, list[tuple[ParentBrief, str]]] = {}
    for r in rows:
        brief = ParentBrief(r[1], r.name, r.phone, r.relation, r.is_primary)
        result.setdefault(r.student_id, []).append((brief, r.phone2))
    return result


def list_students(
    session: Session, campus_id: str, *, status: StudentStatus | str | None = None
) -> list[StudentRow]:
    """The campus's live students (optionally of one status): 在读, 试听, 线索, 停课, 流失, each
    by pinyin of the name.

    Each row carries a search key over the student's and parents' names and the parents'
    phones; filter with :func:`shared.search.filter_rows`.
    """
    staff_names = dict(
        session.execute(select(Staff.id, Staff.name).where(Staff.campus_id == campus_id)).all()
    )
    query = select(Student).where(Student.campus_id == campus_id, Student.is_deleted.is_(False))
    if status is not None:
        query = query.where(Student.status == _check_status(status))
    parents = _parents_by_student(session, campus_id)
    rows = []
    for s in session.scalars(query):
        linked = parents.get(s.id, [])
        rows.append(
            StudentRow(
                id=s.id,
                name=s.name,
                gender=s.gender,
                status=s.status,
                grade=s.grade,
                school=s.school,
                source=s.source,
                consultant_id=s.consultant_id,
                consultant_name=staff_names.get(s.consultant_id, "") if s.consultant_id else "",
                parents=tuple(brief for brief, _ in linked),
                key=search_key(
                    [s.name, *(b.name for b, _ in linked)],
                    [p for b, phone2 in linked for p in (b.phone, phone2)],
                ),
            )
        )
    rows.sort(key=lambda row: (STATUS_ORDER[row.status], sort_key(row.name)))
    return rows


@dataclass(frozen=True, slots=True)
class ParentRow:
    """One line of the parent list."""

    id: str
    name: str
    phone: str
    phone2: str
    wechat: str
    notes: str
    children: tuple[str, ...]  # the names of linked students
    key: SearchKey


def list_parents(session: Session, campus_id: str) -> list[ParentRow]:
    """The campus's live parents with their children's names, ordered by pinyin of the name."""
    children: dict[str, list[str]] = {}
    for parent_id, name in session.execute(
        select(StudentParent.parent_id, Student.name)
        .join(Student, Student.id == StudentParent.student_id)
        .where(
            Student.campus_id == campus_id,
            Student.is_deleted.is_(False),
            StudentParent.is_deleted.is_(False),
        )
    ):
        children.setdefault(parent_id, []).append(name)
    rows = [
        ParentRow(
            id=p.id,
            name=p.name,
            phone=p.phone,
            phone2=p.phone2,
            wechat=p.wechat,
            notes=p.notes,
            children=tuple(children.get(p.id, [])),
            key=search_key([p.name, *children.get(p.id, [])], [p.phone, p.phone2]),
        )
        for p in session.scalars(
            select(Parent).where(Parent.campus_id == campus_id, Parent.is_deleted.is_(False))
        )
    ]
    rows.sort(key=lambda row: sort_key(row.name))
    return rows


# --------------------------------------------------------------------------- detail


@dataclass(frozen=True, slots=True)
class LinkedParent:
    """A parent of the student shown in the detail panel."""

    parent_id: str
    name: str
    phone: str
    phone2: str
    wechat: str
    notes: str
    relation: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class PackageView:
    """One package (non-refund order) of the student with its 剩余课时."""

    order_id: str
    course_id: str
    course_name: str
    sign_type: SignType
    signed_on: date
    hours: Decimal
    gift_hours: Decimal
    amount_fen: int
    paid_remaining: Decimal
    gift_remaining: Decimal

    @property
    def remaining(self) -> Decimal:
        """Paid and gifted hours still usable."""
        return self.paid_remaining + self.gift_remaining


@dataclass(frozen=True, slots=True)
class AttendanceView:
    """One recent 点名 of the student, with the 划课 it caused."""

    lesson_id: str
    lesson_on: date
    starts_at: datetime  # local (Asia/Shanghai)
    course_name: str
    teacher_name: str
    status: AttendanceStatus
    charged_hours: Decimal
    amount_fen: int


@dataclass(frozen=True, slots=True)
class GrowthView:
    """One 成长记录 of the student."""

    recorded_on: date
    teacher_name: str
    progress_note: str
    progress: int
    focus: int
    performance: int
    learning_ability: int
    mastery: int
    comment: str


@dataclass(frozen=True, slots=True)
class CommunicationView:
    """One 沟通记录 with a parent of the student."""

    id: str
    occurred_on: date
    parent_name: str
    staff_name: str
    channel: str
    content: str
    next_follow_up_on: date | None
    follow_up_done: bool


@dataclass(frozen=True, slots=True)
class StudentDetail:
    """Everything the detail panel and the edit dialog show about one student."""

    id: str
    campus_id: str
    name: str
    gender: str
    birth_on: date | None
    school: str
    grade: str
    status: StudentStatus
    consultant_id: str | None
    consultant_name: str
    source: str
    first_contact_on: date | None
    notes: str
    parents: tuple[LinkedParent, ...]
    packages: tuple[PackageView, ...]
    remaining_hours: Decimal  # all courses, arrears subtracted
    attendance: tuple[AttendanceView, ...]
    growth: tuple[GrowthView, ...]
    communications: tuple[CommunicationView, ...]

    @property
    def status_name(self) -> str:
        """The status as staff say it."""
        return STATUS_NAMES[self.status]


def student_detail(session: Session, student_id: str, *, recent: int = 20) -> StudentDetail:
    """A student with parents, packages and balances, and the ``recent`` latest records."""
    s = get_live(session, Student, student_id, "student_id")
    staff_names = dict(
        session.execute(select(Staff.id, Staff.name).where(Staff.campus_id == s.campus_id)).all()
    )
    course_names = dict(
        session.execute(select(Course.id, Course.name).where(Course.campus_id == s.campus_id)).all()
    )
    parents = tuple(
        LinkedParent(
            p.id, p.name, p.phone, p.phone2, p.wechat, p.notes, link.relation, link.is_primary
        )
        for link, p in session.execute(
            select(StudentParent, Parent)
            .join(Parent, Parent.id == StudentParent.parent_id)
            .where(
                StudentParent.student_id == s.id,
                StudentParent.is_deleted.is_(False),
                Parent.is_deleted.is_(False),
            )
            .order_by(StudentParent.is_primary.desc(), StudentParent.created_at)
        )
    )
    orders = {
        o.id: o
        for o in session.scalars(
            select(Order).where(Order.student_id == s.id, Order.is_deleted.is_(False))
        )
    }
    packages = tuple(
        PackageView(
            order_id=b.order_id,
            course_id=b.course_id,
            course_name=course_names.get(b.course_id, ""),
            sign_type=orders[b.order_id].sign_type,
            signed_on=b.signed_on,
            hours=orders[b.order_id].hours,
            gift_hours=orders[b.order_id].gift_hours,
            amount_fen=orders[b.order_id].amount_fen,
            paid_remaining=b.paid_remaining,
            gift_remaining=b.gift_remaining,
        )
        for b in package_balances(session, s.id)
    )
    amounts = (
        select(
            ConsumptionEntry.attendance_id,
            func.sum(ConsumptionEntry.amount_fen).label("amount"),
        )
        .where(ConsumptionEntry.student_id == s.id, ConsumptionEntry.is_deleted.is_(False))
        .group_by(ConsumptionEntry.attendance_id)
        .subquery()
    )
    attendance = tuple(
        AttendanceView(
            lesson_id=lesson.id,
            lesson_on=lesson.lesson_on,
            starts_at=lesson.starts_at.astimezone(SHANGHAI),
            course_name=course_names.get(lesson.course_id, ""),
            teacher_name=staff_names.get(lesson.teacher_id, ""),
            status=att.status,
            charged_hours=att.charged_hours,
            amount_fen=int(amount or 0),
        )
        for att, lesson, amount in session.execute(
            select(Attendance, Lesson, amounts.c.amount)
            .join(Lesson, Lesson.id == Attendance.lesson_id)
            .outerjoin(amounts, amounts.c.attendance_id == Attendance.id)
            .where(Attendance.student_id == s.id, Attendance.is_deleted.is_(False))
            .order_by(Lesson.starts_at.desc())
            .limit(recent)
        )
    )
    growth = tuple(
        GrowthView(
            g.recorded_on,
            staff_names.get(g.teacher_id, ""),
            g.progress_note,
            g.progress,
            g.focus,
            g.performance,
            g.learning_ability,
            g.mastery,
            g.comment,
        )
        for g in session.scalars(
            select(GrowthRecord)
            .where(GrowthRecord.student_id == s.id, GrowthRecord.is_deleted.is_(False))
            .order_by(GrowthRecord.recorded_on.desc(), GrowthRecord.created_at.desc())
            .limit(recent)
        )
    )
    parent_ids = [p.parent_id for p in parents]
    communications = tuple(
        CommunicationView(
            c.id,
            c.occurred_on,
            pname,
            staff_names.get(c.staff_id, ""),
            c.channel,
            c.content,
            c.next_follow_up_on,
            c.follow_up_done,
        )
        for c, pname in session.execute(
            select(CommunicationRecord, Parent.name)
            .join(Parent, Parent.id == CommunicationRecord.parent_id)
            .where(
                CommunicationRecord.is_deleted.is_(False),
                or_(
                    CommunicationRecord.student_id == s.id,
                    and_(
                        CommunicationRecord.parent_id.in_(parent_ids),
                        CommunicationRecord.student_id.is_(None),
                    ),
                ),
            )
            .order_by(CommunicationRecord.occurred_on.desc(), CommunicationRecord.created_at.desc())
            .limit(recent)
        )
    )
    return StudentDetail(
        id=s.id,
        campus_id=s.campus_id,
        name=s.name,
        gender=s.gender,
        birth_on=s.birth_on,
        school=s.school,
        grade=s.grade,
        status=s.status,
        consultant_id=s.consultant_id,
        consultant_name=staff_names.get(s.consultant_id, "") if s.consultant_id else "",
        source=s.source,
        first_contact_on=s.first_contact_on,
        notes=s.notes,
        parents=parents,
        packages=packages,
        remaining_hours=remaining_hours(session, s.id),
        attendance=attendance,
        growth=growth,
        communications=communications,
    )
