"""indexes for the permission scopes: trials by consultant, intent teacher and lesson; growth
records by teacher

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

A consultant's "my students" include the students of their trials, a teacher's those of the
trials where they are the intent teacher; a teacher sees the trials held in their lessons and
every growth record they wrote. Listing those sets (a phone's first pull, "all my students")
scanned the whole trial_lessons or growth_records table, once per set in every query using
it; with these indexes each is a search. Every other step of the scope queries already had an
index (EXPLAIN QUERY PLAN; tests/shared/test_permissions.py holds the plans scan-free).
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trial_lessons", schema=None) as batch_op:
        batch_op.create_index("ix_trial_lessons_consultant_id", ["consultant_id"], unique=False)
        batch_op.create_index(
            "ix_trial_lessons_intent_teacher_id", ["intent_teacher_id"], unique=False
        )
        batch_op.create_index("ix_trial_lessons_lesson_id", ["lesson_id"], unique=False)
    with op.batch_alter_table("growth_records", schema=None) as batch_op:
        batch_op.create_index("ix_growth_records_teacher_id", ["teacher_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("growth_records", schema=None) as batch_op:
        batch_op.drop_index("ix_growth_records_teacher_id")
    with op.batch_alter_table("trial_lessons", schema=None) as batch_op:
        batch_op.drop_index("ix_trial_lessons_lesson_id")
        batch_op.drop_index("ix_trial_lessons_intent_teacher_id")
        batch_op.drop_index("ix_trial_lessons_consultant_id")
