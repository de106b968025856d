"""The columns that move rows between scopes, and the queries that find them since a version."""

from __future__ import annotations

import uuid

import pytest

from shared.db import Database
from shared.models import Lesson, LessonStudent, Student, StudentParent, TrialLesson
from shared.permissions import ScopeKind
from shared.scope_changes import _anchor_statement, anchor_columns

WIDE = ScopeKind(campus_wide=True, consultant=False, teacher=False)
CONSULTANT = ScopeKind(campus_wide=False, consultant=True, teacher=False)
TEACHER = ScopeKind(campus_wide=False, consultant=False, teacher=True)
BOTH = ScopeKind(campus_wide=False, consultant=True, teacher=True)


def test_the_columns_read_by_the_rules_are_found_in_the_rules_themselves() -> None:
    consultant, teacher, wide = (
        anchor_columns(CONSULTANT),
        anchor_columns(TEACHER),
        anchor_columns(WIDE),
    )
    assert "consultant_id" in consultant[Student]
    assert {"consultant_id", "is_deleted", "student_id"} <= consultant[TrialLesson]
    assert {"teacher_id", "is_deleted"} <= teacher[Lesson]
    assert {"is_deleted", "lesson_id", "student_id"} <= teacher[LessonStudent]
    assert {"is_deleted", "parent_id", "student_id"} <= teacher[StudentParent]
    # A teacher's scope never depends on who a student's consultant is; a manager's on nobody.
    assert "consultant_id" not in teacher.get(Student, frozenset())
    assert all("consultant_id" not in cols and "teacher_id" not in cols for cols in wide.values())
    assert all("id" not in cols for cols in anchor_columns(BOTH).values())


@pytest.mark.parametrize("kind", [WIDE, CONSULTANT, TEACHER, BOTH], ids=["wide", "c", "t", "ct"])
def test_anchors_are_looked_for_from_the_version_index(db: Database, kind: ScopeKind) -> None:
    """Never from the campus index (a whole campus of rows for a handful changed)."""
    with db.reader() as s:
        connection = s.connection()
        for model, columns in anchor_columns(kind).items():
            compiled = _anchor_statement(model, columns).compile(dialect=connection.dialect)
            values = compiled.construct_params({"since": 1, "campus": str(uuid.uuid4())})
            processors = compiled._bind_processors
            args = tuple(
                processors[name](values[name]) if name in processors else values[name]
                for name in compiled.positiontup
            )
            plan = [
                row[3]
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), args)
            ]
            assert "(version>?)" in plan[0], (model.__name__, plan)
            assert not [line for line in plan if line.startswith("SCAN")], (model.__name__, plan)
