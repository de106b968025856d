"""Writing a checked import: one transaction, all or nothing, fast enough for 10,000 rows.

New rows go in with bulk Core inserts (``executemany``) that carry one version taken from the
global counter (:func:`shared.versioning.next_version`), as the ORM's flush would stamp them;
rows are given ``created_at`` instants in file order, so the order packages are drawn in and
lessons are charged in is the file's. Students merged into existing ones go through the
services (:func:`~shared.services.students.update_student`,
:func:`~shared.services.students.link_parent`) and their 划课 is re-derived with
:func:`~shared.consumption.rebuild_student_course`; new students' 划课 is allocated in memory
with the same :func:`~shared.consumption.allocate`. Any failure rolls everything back.
"""

from __future__ import annotations

import time as clock
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..consumption import Charge, Package, allocate, charge_kind, rebuild_student_course
from ..db import Database
from ..errors import Conflict, Invalid
from ..models import (
    Attendance,
    ConsumptionEntry,
    Course,
    Lesson,
    LessonStatus,
    LessonStudent,
    Order,
    Parent,
    SignType,
    Staff,
    Student,
    StudentParent,
    StudentStatus,
)
from ..services.students import link_parent, update_student
from ..versioning import current_version, next_version
from .plan import MERGE, SKIP, ImportPlan, StudentKey, _Checker, describe_key
from .reader import FileRefused, Problem

ZERO = Decimal(0)


@dataclass
class ImportResult:
    """What an import wrote."""

    counts: dict[str, int] = field(default_factory=dict)  # new rows per table
    merged_students: int = 0
    skipped_students: int = 0
    skipped_rows: int = 0  # rows of other sheets left out with skipped students
    already_present: int = 0  # orders and attendance of merged students already in the file
    new_staff: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> list[str]:
        """The result in a few Chinese lines, for the CLI and the dialog."""
        labels = {
            "students": "学员",
            "parents": "家长",
            "student_parents": "家长与学员的关系",
            "courses": "课程",
            "orders": "订单",
            "lessons": "课节",
            "attendance": "点名记录",
            "lesson_students": "上课名单",
            "consumption_entries": "划课记录",
            "staff": "员工",
        }
        lines = [
            "新增：" + "，".join(f"{labels[k]} {v:,}" for k, v in self.counts.items() if v)
            if any(self.counts.values())
            else "没有新增记录"
        ]
        if self.new_staff:
            lines.append(
                f"新建员工（无 PIN，需在员工页设置后才能登录）：{'、'.join(self.new_staff)}"
            )
        if self.merged_students:
            lines.append(f"合并到已有学员：{self.merged_students} 名")
        if self.skipped_students:
            lines.append(
                f"跳过重复学员：{self.skipped_students} 名（及其相关的 {self.skipped_rows} 行记录）"
            )
        if self.already_present:
            lines.append(f"已有相同的订单或点名记录，未重复导入：{self.already_present} 行")
        lines.append(f"用时 {self.seconds:.1f} 秒")
        return lines


def _bytes_id() -> str:
    return str(uuid.uuid4())


class _Writer:
    def __init__(
        self,
        session: Session,
        plan: ImportPlan,
        decisions: Mapping[int, str],
        progress: Callable[[int, int], None] | None,
        check: Callable[[], None],
    ) -> None:
        self.s = session
        self.plan = plan
        self.decisions = decisions
        self.progress = progress
        self.check = check
        self.result = ImportResult()
        self.version = 0
        self.base = datetime.now(UTC)
        self.seq = 0
        self.done = 0
        self.total = (
            len(plan.students)
            + len(plan.links)
            + len(plan.courses)
            + len(plan.orders)
            + 2 * len(plan.attendance)
            + len(plan.new_staff)
        ) or 1

    # ------------------------------------------------------------------ helpers

    def stamp(self) -> dict[str, Any]:
        """The synced columns of a new row: id, version, created/updated in file order."""
        self.seq += 1
        at = self.base + timedelta(microseconds=self.seq)
        return {
            "id": _bytes_id(),
            "version": self.version,
            "is_deleted": False,
            "created_at": at,
            "updated_at": at,
        }

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)
        self.check()

    def bulk(self, model: type, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.s.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
            table = model.__tablename__  # type: ignore[attr-defined]
            self.result.counts[table] = self.result.counts.get(table, 0) + len(rows)

    # ------------------------------------------------------------------ steps

    def run(self) -> ImportResult:
        started = clock.perf_counter()
        plan = self.plan
        self.version = next_version(self.s)
        campus = plan.campus_id
        if self.progress is not None:
            self.progress(0, self.total)

        # Staff the file names and the campus lacks: no PIN until a manager sets one.
        staff_ids = dict(plan.existing_staff)
        rows = []
        for new in plan.new_staff:
            row = self.stamp() | {
                "campus_id": campus,
                "name": new.name,
                "phone": "",
                "roles": list(new.roles),
                "pin_hash": "",
                "active": True,
                "hired_on": None,
            }
            staff_ids[new.name] = row["id"]
            rows.append(row)
        self.bulk(Staff, rows)
        self.result.new_staff = [s.name for s in plan.new_staff]
        self.advance(len(rows))

        course_ids = dict(plan.existing_courses)
        rows = []
        for c in plan.courses:
            row = self.stamp() | {
                "campus_id": campus,
                "name": c.name,
                "subject": c.subject,
                "price_per_hour_fen": c.price_per_hour_fen,
                "hours_per_lesson": c.hours_per_lesson,
                "active": c.active,
            }
            course_ids[c.name] = row["id"]
            rows.append(row)
        self.bulk(Course, rows)
        self.advance(len(rows))

        # Students: duplicates merged, skipped, or new.
        dup_by_row = {d.row: d for d in plan.duplicates}
        skipped: set[StudentKey] = set()
        merged: dict[StudentKey, str] = {}
        student_ids: dict[StudentKey, str] = dict(plan.existing_students)
        new_students: dict[StudentKey, dict[str, Any]] = {}
        signed = {o.student for o in plan.orders if o.sign_type is not SignType.REFUND}
        merge_fields: dict[str, dict[str, object]] = {}
        for st in plan.students:
            dup = dup_by_row.get(st.row)
            decision = self.decisions.get(st.row, SKIP) if dup else None
            consultant_id = staff_ids.get(st.consultant) if st.consultant else None
            if dup is not None and dup.existing_student_id is None:
                # The same student again in the file: skip the row, or fill the first's blanks.
                if decision == MERGE:
                    first = new_students.get(st.key)
                    if first is not None:
                        for name, value in st.fields.items():
                            if first.get(name) in (None, "") and value not in (None, ""):
                                first[name] = value
                        if first["consultant_id"] is None:
                            first["consultant_id"] = consultant_id
                    else:
                        self._fill(merge_fields, student_ids.get(st.key), st.fields, consultant_id)
                continue
            if dup is not None:
                if decision == SKIP:
                    skipped.add(st.key)
                    student_ids.pop(st.key, None)
                    self.result.skipped_students += 1
                    continue
                assert dup.existing_student_id is not None
                merged[st.key] = dup.existing_student_id
                student_ids[st.key] = dup.existing_student_id
                self.result.merged_students += 1
                self._fill(merge_fields, dup.existing_student_id, st.fields, consultant_id)
                continue
            row = self.stamp() | {"campus_id": campus, **st.fields, "consultant_id": consultant_id}
            if not st.status_given and st.key in signed:
                row["status"] = StudentStatus.ENROLLED  # as record_order enrols a student
            new_students[st.key] = row
            student_ids[st.key] = row["id"]
        self.bulk(Student, list(new_students.values()))
        self.advance(len(plan.students))

        # Parents by phone: the campus's own, else new (details of their first row).
        parent_ids = dict(plan.existing_parents)
        rows = []
        for link in plan.links:
            if link.phone not in parent_ids:
                row = self.stamp() | {"campus_id": campus, **link.fields}
                parent_ids[link.phone] = row["id"]
                rows.append(row)
        self.bulk(Parent, rows)

        # Links: the row marked 主要联系人, else the parent at the student's 联系电话, is primary.
        wanted: dict[StudentKey, list[tuple[str, str, bool]]] = {}
        for link in plan.links:
            if link.student is None:
                continue
            if link.student in skipped:
                self.result.skipped_rows += 1
                continue
            wanted.setdefault(link.student, []).append(
                (parent_ids[link.phone], link.relation, link.is_primary)
            )
        for st in plan.students:
            phone = st.key[1]
            if phone and st.key not in skipped and phone in parent_ids:
                links = wanted.setdefault(st.key, [])
                if all(pid != parent_ids[phone] for pid, _, _ in links):
                    links.append((parent_ids[phone], "", False))
        rows = []
        for key, links in wanted.items():
            student_id = student_ids[key]
            if key in merged or key in plan.existing_students:
                for parent_id, relation, _ in links:
                    link_parent(
                        self.s, student_id=student_id, parent_id=parent_id, relation=relation
                    )
                continue
            primary = next((i for i, (_, _, p) in enumerate(links) if p), None)
            if primary is None and key[1] in parent_ids:
                primary = next(
                    (i for i, (pid, _, _) in enumerate(links) if pid == parent_ids[key[1]]), None
                )
            for i, (parent_id, relation, _) in enumerate(links):
                rows.append(
                    self.stamp()
                    | {
                        "student_id": student_id,
                        "parent_id": parent_id,
                        "relation": relation,
                        "is_primary": i == (primary or 0),
                    }
                )
        self.bulk(StudentParent, rows)
        for student_id, fields in merge_fields.items():
            if fields:
                update_student(self.s, student_id, fields)
        self.advance(len(plan.links))

        # Orders, in file order (the order packages are drawn in).
        existing_ids = set(plan.existing_students.values()) | set(merged.values())
        present = self._present_orders(existing_ids)
        order_ids: dict[str, str] = {}
        order_rows: list[dict[str, Any]] = []
        for o in plan.orders:
            if o.student in skipped:
                self.result.skipped_rows += 1
                continue
            student_id = student_ids[o.student]
            course_id = course_ids[o.course]
            same = (
                student_id,
                course_id,
                o.sign_type.value,
                o.signed_on,
                o.hours,
                o.gift_hours,
                o.amount_fen,
            )
            if student_id in existing_ids and same in present:
                if o.number:
                    order_ids[o.number] = present[same]
                self.result.already_present += 1
                continue
            row = self.stamp() | {
                "campus_id": campus,
                "student_id": student_id,
                "course_id": course_id,
                "sign_type": o.sign_type,
                "signed_on": o.signed_on,
                "hours": o.hours,
                "gift_hours": o.gift_hours,
                "amount_fen": o.amount_fen,
                "consultant_id": staff_ids.get(o.consultant) if o.consultant else None,
                "intent_teacher_id": staff_ids.get(o.intent_teacher) if o.intent_teacher else None,
                "trial_id": None,
                "refund_of_id": None,
                "notes": o.notes,
            }
            if o.number:
                order_ids[o.number] = row["id"]
            if o.sign_type is SignType.REFUND:
                row["refund_of_id"] = order_ids.get(o.refund_of)
                if row["refund_of_id"] is None:  # its package came later in the file
                    row["_refund_of"] = o.refund_of
            order_rows.append(row)
        for row in order_rows:
            late = row.pop("_refund_of", None)
            if late is not None:
                row["refund_of_id"] = order_ids[late]
        self.bulk(Order, order_rows)
        self.advance(len(plan.orders))

        # Lessons (one per key with a mark to keep), enrolments, attendance.
        kept = []
        for a in plan.attendance:
            if a.student in skipped:
                self.result.skipped_rows += 1
            else:
                kept.append(a)
        reuse = self._existing_lessons(
            {(course_ids[k[2]], staff_ids[k[3]]) for k in {a.lesson for a in kept}}
        )
        lesson_rows: dict[tuple, dict[str, Any]] = {}
        lesson_ids: dict[tuple, str] = {}
        for a in kept:
            if a.lesson in lesson_ids:
                continue
            lesson = plan.lessons[a.lesson]
            course_id, teacher_id = course_ids[a.lesson[2]], staff_ids[a.lesson[3]]
            found = reuse.get(
                (course_id, teacher_id, lesson.starts_at.astimezone(UTC), lesson.room)
            )
            if found is not None:
                lesson_ids[a.lesson] = found
                continue
            row = self.stamp() | {
                "campus_id": campus,
                "course_id": course_id,
                "teacher_id": teacher_id,
                "room": lesson.room,
                "title": a.lesson[2][:100],
                "lesson_on": a.lesson[0],
                "starts_at": lesson.starts_at,
                "ends_at": lesson.ends_at,
                "hours": lesson.hours,
                "status": LessonStatus.DONE,
            }
            lesson_rows[a.lesson] = row
            lesson_ids[a.lesson] = row["id"]
        self.bulk(Lesson, list(lesson_rows.values()))
        reused = {lesson_ids[k] for k in lesson_ids if k not in lesson_rows}
        marked, enrolled = self._existing_marks(reused)
        enrol_rows, mark_rows = [], []
        touched_existing: set[tuple[str, str]] = set()
        charges: dict[tuple[str, str], list[tuple[tuple, Charge]]] = {}
        facts: dict[str, tuple[Any, str]] = {}
        for a in kept:
            lesson_id = lesson_ids[a.lesson]
            student_id = student_ids[a.student]
            course_id = course_ids[a.lesson[2]]
            if (lesson_id, student_id) in marked:
                self.result.already_present += 1
                continue
            if (lesson_id, student_id) not in enrolled:
                enrol_rows.append(
                    self.stamp()
                    | {"lesson_id": lesson_id, "student_id": student_id, "is_trial": a.is_trial}
                )
            row = self.stamp() | {
                "campus_id": campus,
                "lesson_id": lesson_id,
                "student_id": student_id,
                "status": a.status,
                "is_trial": a.is_trial,
                "charged_hours": a.charged_hours,
                "marked_by_id": None,
                "note": a.note,
            }
            mark_rows.append(row)
            if student_id in existing_ids:
                touched_existing.add((student_id, course_id))
            else:
                lesson = plan.lessons[a.lesson]
                charges.setdefault((student_id, course_id), []).append(
                    (
                        (a.lesson[0], lesson.starts_at, self.seq),
                        Charge(row["id"], a.charged_hours, charge_kind(a.status, a.is_trial)),
                    )
                )
                facts[row["id"]] = (a.lesson[0], staff_ids[a.lesson[3]])
        self.bulk(LessonStudent, enrol_rows)
        self.bulk(Attendance, mark_rows)
        if reused:
            for lesson in self.s.scalars(select(Lesson).where(Lesson.id.in_(reused))):
                lesson.status = LessonStatus.DONE
        self.advance(len(plan.attendance))

        # 划课: new students' chains allocated in memory (the same rule), others rebuilt.
        packages: dict[tuple[str, str], list[Package]] = {}
        refunded: dict[str, tuple[Decimal, Decimal]] = {}
        for row in order_rows:
            if row["refund_of_id"] is not None:
                hours, gift = refunded.get(row["refund_of_id"], (ZERO, ZERO))
                refunded[row["refund_of_id"]] = (hours + row["hours"], gift + row["gift_hours"])
        sorted_orders = sorted(
            (r for r in order_rows if r["sign_type"] is not SignType.REFUND),
            key=lambda r: (r["signed_on"], r["created_at"]),
        )
        for row in sorted_orders:
            if row["student_id"] in existing_ids:
                touched_existing.add((row["student_id"], row["course_id"]))
                continue
            r_hours, r_gift = refunded.get(row["id"], (ZERO, ZERO))
            packages.setdefault((row["student_id"], row["course_id"]), []).append(
                Package(
                    row["id"], row["hours"], row["amount_fen"], row["gift_hours"], r_hours, r_gift
                )
            )
        for row in order_rows:
            if row["student_id"] in existing_ids:
                touched_existing.add((row["student_id"], row["course_id"]))
        entries = []
        for (student_id, course_id), items in charges.items():
            items.sort(key=lambda item: item[0])
            for alloc in allocate(packages.get((student_id, course_id), []), [c for _, c in items]):
                lesson_on, teacher_id = facts[alloc.attendance_id]
                entries.append(
                    self.stamp()
                    | {
                        "campus_id": campus,
                        "attendance_id": alloc.attendance_id,
                        "student_id": student_id,
                        "course_id": course_id,
                        "teacher_id": teacher_id,
                        "order_id": alloc.order_id,
                        "lesson_on": lesson_on,
                        "kind": alloc.kind,
                        "hours": alloc.hours,
                        "amount_fen": alloc.amount_fen,
                    }
                )
        self.bulk(ConsumptionEntry, entries)
        for student_id, course_id in sorted(touched_existing):
            rebuild_student_course(self.s, student_id, course_id)
        self.advance(len(plan.attendance))
        self.s.flush()
        self.result.seconds = clock.perf_counter() - started
        return self.result

    def _fill(
        self,
        merge_fields: dict[str, dict[str, object]],
        student_id: str | None,
        fields: Mapping[str, object],
        consultant_id: str | None,
    ) -> None:
        """Queue the fields an existing student lacks (empty) and the file has."""
        if student_id is None:
            return
        student = self.s.get(Student, student_id)
        assert student is not None
        wanted = merge_fields.setdefault(student_id, {})
        for name, value in fields.items():
            if name in ("name", "status"):
                continue
            if (
                getattr(student, name) in (None, "")
                and value not in (None, "")
                and name not in wanted
            ):
                wanted[name] = value
        if student.consultant_id is None and consultant_id is not None:
            wanted.setdefault("consultant_id", consultant_id)

    def _present_orders(self, student_ids: set[str]) -> dict[tuple, str]:
        if not student_ids:
            return {}
        present: dict[tuple, str] = {}
        for o in self.s.scalars(
            select(Order).where(Order.student_id.in_(student_ids), Order.is_deleted.is_(False))
        ):
            key = (
                o.student_id,
                o.course_id,
                o.sign_type.value,
                o.signed_on,
                o.hours,
                o.gift_hours,
                o.amount_fen,
            )
            present.setdefault(key, o.id)
        return present

    def _existing_lessons(self, pairs: set[tuple[str, str]]) -> dict[tuple, str]:
        """Live, not cancelled lessons of these (course, teacher) pairs, by start instant."""
        courses = {c for c, _ in pairs}
        teachers = {t for _, t in pairs}
        known_courses = courses & set(self.plan.existing_courses.values())
        known_teachers = teachers & set(self.plan.existing_staff.values())
        if not known_courses or not known_teachers:
            return {}
        found = {}
        for lesson_id, course_id, teacher_id, starts_at, room in self.s.execute(
            select(
                Lesson.id, Lesson.course_id, Lesson.teacher_id, Lesson.starts_at, Lesson.room
            ).where(
                Lesson.campus_id == self.plan.campus_id,
                Lesson.course_id.in_(known_courses),
                Lesson.teacher_id.in_(known_teachers),
                Lesson.is_deleted.is_(False),
                Lesson.status != LessonStatus.CANCELLED,
            )
        ):
            found[(course_id, teacher_id, starts_at, room)] = lesson_id
        return found

    def _existing_marks(self, lesson_ids: set[str]) -> tuple[set[tuple], set[tuple]]:
        if not lesson_ids:
            return set(), set()
        marked = {
            tuple(r)
            for r in self.s.execute(
                select(Attendance.lesson_id, Attendance.student_id).where(
                    Attendance.lesson_id.in_(lesson_ids), Attendance.is_deleted.is_(False)
                )
            )
        }
        enrolled = {
            tuple(r)
            for r in self.s.execute(
                select(LessonStudent.lesson_id, LessonStudent.student_id).where(
                    LessonStudent.lesson_id.in_(lesson_ids)
                )
            )
        }
        return marked, enrolled


def _refuse(problems: list[Problem]) -> FileRefused:
    first = "；".join(str(p) for p in problems[:3])
    more = f" 等 {len(problems)} 个问题" if len(problems) > 3 else ""
    return FileRefused(f"文件有问题，未导入任何数据：{first}{more}")


def commit_import(
    db: Database,
    plan: ImportPlan,
    decisions: Mapping[int, str] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    check: Callable[[], None] = lambda: None,
) -> ImportResult:
    """Write a checked plan in one transaction; nothing is written unless all of it is.

    ``decisions`` maps a duplicate's row (:attr:`Duplicate.row`) to ``"merge"`` or ``"skip"``;
    duplicates not named are skipped. When the campus changed since the plan was checked, the
    file is checked again inside the write transaction, and refused if it no longer passes.
    ``progress(done, total)`` reports rows written; ``check()`` may raise to cancel (the
    transaction is rolled back).
    """
    if not plan.ok:
        raise _refuse(plan.problems)
    chosen: dict[int, str] = {d.row: SKIP for d in plan.duplicates}
    for row, decision in (decisions or {}).items():
        if decision not in (MERGE, SKIP):
            raise Invalid("decisions", f"重复学员的处理方式只能是合并或跳过：{decision!r}")
        if row not in chosen:
            raise Invalid("decisions", f"第 {row} 行不是重复学员")
        chosen[row] = decision
    with db.unit_of_work() as session:
        if current_version(session) != plan.checked_at_version:
            plan = _recheck(session, plan)
            chosen = {d.row: chosen.get(d.row, SKIP) for d in plan.duplicates}
        return _Writer(session, plan, chosen, progress, check).run()


def _recheck(session: Session, plan: ImportPlan) -> ImportPlan:
    """Check the same file again against the campus as it is now (inside the write)."""
    from ..periods import today_local

    fresh = ImportPlan(
        path=plan.path, campus_id=plan.campus_id, campus_name=plan.campus_name, raw=plan.raw
    )
    fresh.problems.extend(plan.raw.problems)
    fresh.checked_at_version = current_version(session)
    _Checker(session, fresh, today_local(), lambda: None).run()
    if not fresh.ok:
        raise Conflict(
            "检查文件后数据有变动，重新检查时发现问题，未导入任何数据："
            + "；".join(str(p) for p in fresh.problems[:3])
        )
    before = {(d.key, d.existing_student_id) for d in plan.duplicates}
    if {(d.key, d.existing_student_id) for d in fresh.duplicates} != before:
        raise Conflict(
            "检查文件后有人新增或修改了学员，重复学员的情况已变化；请重新检查文件后再导入。"
        )
    return fresh


__all__ = ["ImportResult", "commit_import", "describe_key"]
