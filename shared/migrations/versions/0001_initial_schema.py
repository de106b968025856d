"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op



revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campuses',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campuses')),
    sa.UniqueConstraint('code', name=op.f('uq_campuses_code'))
    )
    with op.batch_alter_table('campuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campuses_version'), ['version'], unique=False)

    op.create_table('sync_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_sync_counter_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_counter'))
    )
    op.execute("INSERT INTO sync_counter (id, value) VALUES (1, 0)")
    op.create_table('courses',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('price_per_hour_fen', sa.Integer(), nullable=False),
    sa.Column('hours_per_lesson', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('price_per_hour_fen >= 0', name=op.f('ck_courses_price_not_negative')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_courses_campus_id_campuses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_campus_id'), ['campus_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_version'), ['version'], unique=False)

    op.create_table('parents',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('phone2', sa.String(length=40), nullable=False),
    sa.Column('wechat', sa.String(length=60), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_parents_campus_id_campuses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parents'))
    )
    with op.batch_alter_table('parents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parents_campus_id'), ['campus_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parents_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_parents_version'), ['version'], unique=False)

    op.create_table('staff',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('hired_on', sa.Date(), nullable=True),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_staff_campus_id_campuses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_campus_id'), ['campus_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_version'), ['version'], unique=False)

    op.create_table('stages',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_stages_campus_id_campuses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stages')),
    sa.UniqueConstraint('campus_id', 'code', name=op.f('uq_stages_campus_id'))
    )
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stages_campus_id'), ['campus_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stages_version'), ['version'], unique=False)

    op.create_table('lessons',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('course_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('teacher_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('room', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('lesson_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'done', 'cancelled', name='lesson_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_lessons_ends_after_start')),
    sa.CheckConstraint('hours >= 0', name=op.f('ck_lessons_hours_not_negative')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_lessons_campus_id_campuses')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_lessons_course_id_courses')),
    sa.ForeignKeyConstraint(['teacher_id'], ['staff.id'], name=op.f('fk_lessons_teacher_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index('ix_lessons_campus_on', ['campus_id', 'lesson_on'], unique=False)
        batch_op.create_index('ix_lessons_teacher_on', ['teacher_id', 'lesson_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_lessons_version'), ['version'], unique=False)

    op.create_table('stage_targets',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('stage_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('target_count', sa.Integer(), nullable=False),
    sa.Column('is_manual', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('month BETWEEN 1 AND 12 AND week BETWEEN 1 AND 6', name=op.f('ck_stage_targets_week_shape')),
    sa.CheckConstraint('target_count >= 0', name=op.f('ck_stage_targets_count_not_negative')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_stage_targets_campus_id_campuses')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_stage_targets_staff_id_staff')),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_stage_targets_stage_id_stages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_targets'))
    )
    with op.batch_alter_table('stage_targets', schema=None) as batch_op:
        batch_op.create_index('ix_stage_targets_campus_year', ['campus_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_targets_version'), ['version'], unique=False)
        batch_op.create_index('uq_stage_targets_campus_week', ['campus_id', 'stage_id', 'year', 'month', 'week'], unique=True, sqlite_where=sa.text('staff_id IS NULL AND is_deleted = 0'))
        batch_op.create_index('uq_stage_targets_staff_week', ['staff_id', 'stage_id', 'year', 'month', 'week'], unique=True, sqlite_where=sa.text('staff_id IS NOT NULL AND is_deleted = 0'))

    op.create_table('students',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('gender', sa.String(length=2), nullable=False),
    sa.Column('birth_on', sa.Date(), nullable=True),
    sa.Column('school', sa.String(length=100), nullable=False),
    sa.Column('grade', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('lead', 'trial', 'enrolled', 'paused', 'churned', name='student_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('consultant_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('first_contact_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_students_campus_id_campuses')),
    sa.ForeignKeyConstraint(['consultant_id'], ['staff.id'], name=op.f('fk_students_consultant_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_students'))
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_students_campus_id'), ['campus_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_consultant_id'), ['consultant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_version'), ['version'], unique=False)

    op.create_table('targets',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('metric', sa.Enum('revenue', 'consumption', name='metric', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('period_kind', sa.Enum('year', 'month', 'week', name='period_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('staff_role', sa.Enum('consultant', 'intent_teacher', 'teacher', name='target_role', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('is_manual', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(period_kind = 'year' AND month = 0 AND week = 0) OR (period_kind = 'month' AND month BETWEEN 1 AND 12 AND week = 0) OR (period_kind = 'week' AND month BETWEEN 1 AND 12 AND week BETWEEN 1 AND 6)", name=op.f('ck_targets_period_shape')),
    sa.CheckConstraint('(staff_id IS NULL) = (staff_role IS NULL)', name=op.f('ck_targets_staff_has_role')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_targets_amount_not_negative')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_targets_campus_id_campuses')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_targets_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets'))
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.create_index('ix_targets_campus_year', ['campus_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_targets_version'), ['version'], unique=False)
        batch_op.create_index('uq_targets_campus_period', ['campus_id', 'metric', 'period_kind', 'year', 'month', 'week'], unique=True, sqlite_where=sa.text('staff_id IS NULL AND is_deleted = 0'))
        batch_op.create_index('uq_targets_staff_period', ['staff_id', 'staff_role', 'metric', 'period_kind', 'year', 'month', 'week'], unique=True, sqlite_where=sa.text('staff_id IS NOT NULL AND is_deleted = 0'))

    op.create_table('attendance',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('lesson_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('status', sa.Enum('present', 'leave', 'absent', 'makeup', name='attendance_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('is_trial', sa.Boolean(), nullable=False),
    sa.Column('charged_hours', sa.Integer(), nullable=False),
    sa.Column('marked_by_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('charged_hours >= 0', name=op.f('ck_attendance_charged_not_negative')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_attendance_campus_id_campuses')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_attendance_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['staff.id'], name=op.f('fk_attendance_marked_by_id_staff')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_attendance_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('lesson_id', 'student_id', name=op.f('uq_attendance_lesson_id'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_version'), ['version'], unique=False)

    op.create_table('communication_records',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('parent_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('next_follow_up_on', sa.Date(), nullable=True),
    sa.Column('follow_up_done', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_communication_records_campus_id_campuses')),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_communication_records_parent_id_parents')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_communication_records_staff_id_staff')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_communication_records_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication_records'))
    )
    with op.batch_alter_table('communication_records', schema=None) as batch_op:
        batch_op.create_index('ix_communication_records_campus_occurred', ['campus_id', 'occurred_on'], unique=False)
        batch_op.create_index('ix_communication_records_follow_up', ['campus_id', 'next_follow_up_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_communication_records_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_communication_records_staff_id'), ['staff_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_communication_records_version'), ['version'], unique=False)

    op.create_table('growth_records',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('lesson_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('teacher_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('progress_note', sa.String(length=200), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('focus', sa.Integer(), nullable=False),
    sa.Column('performance', sa.Integer(), nullable=False),
    sa.Column('learning_ability', sa.Integer(), nullable=False),
    sa.Column('mastery', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('progress BETWEEN 1 AND 5 AND focus BETWEEN 1 AND 5 AND performance BETWEEN 1 AND 5 AND learning_ability BETWEEN 1 AND 5 AND mastery BETWEEN 1 AND 5', name=op.f('ck_growth_records_ratings_1_to_5')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_growth_records_campus_id_campuses')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_growth_records_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_growth_records_student_id_students')),
    sa.ForeignKeyConstraint(['teacher_id'], ['staff.id'], name=op.f('fk_growth_records_teacher_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_growth_records'))
    )
    with op.batch_alter_table('growth_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_growth_records_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_growth_records_version'), ['version'], unique=False)

    op.create_table('lesson_students',
    sa.Column('lesson_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('is_trial', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_students_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_lesson_students_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_students')),
    sa.UniqueConstraint('lesson_id', 'student_id', name=op.f('uq_lesson_students_lesson_id'))
    )
    with op.batch_alter_table('lesson_students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_students_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_students_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_students_version'), ['version'], unique=False)

    op.create_table('stage_activities',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('stage_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('parent_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_stage_activities_campus_id_campuses')),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_stage_activities_parent_id_parents')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_stage_activities_staff_id_staff')),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_stage_activities_stage_id_stages')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_stage_activities_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_activities'))
    )
    with op.batch_alter_table('stage_activities', schema=None) as batch_op:
        batch_op.create_index('ix_stage_activities_campus_on', ['campus_id', 'occurred_on'], unique=False)
        batch_op.create_index('ix_stage_activities_staff_on', ['staff_id', 'occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_activities_version'), ['version'], unique=False)

    op.create_table('student_parents',
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('parent_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('relation', sa.String(length=20), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['parents.id'], name=op.f('fk_student_parents_parent_id_parents')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_student_parents_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_parents')),
    sa.UniqueConstraint('student_id', 'parent_id', name=op.f('uq_student_parents_student_id'))
    )
    with op.batch_alter_table('student_parents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_parents_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_parents_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_parents_version'), ['version'], unique=False)

    op.create_table('trial_lessons',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('course_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('consultant_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('intent_teacher_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('lesson_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('trial_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'held', 'no_show', 'cancelled', name='trial_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('outcome', sa.Enum('pending', 'signed', 'not_signed', name='trial_outcome', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('sign_type', sa.Enum('new', 'renewal', 'referral', 'cross_sell', 'refund', name='sign_type', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_trial_lessons_campus_id_campuses')),
    sa.ForeignKeyConstraint(['consultant_id'], ['staff.id'], name=op.f('fk_trial_lessons_consultant_id_staff')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_trial_lessons_course_id_courses')),
    sa.ForeignKeyConstraint(['intent_teacher_id'], ['staff.id'], name=op.f('fk_trial_lessons_intent_teacher_id_staff')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_trial_lessons_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_trial_lessons_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_lessons'))
    )
    with op.batch_alter_table('trial_lessons', schema=None) as batch_op:
        batch_op.create_index('ix_trial_lessons_campus_on', ['campus_id', 'trial_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_trial_lessons_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trial_lessons_version'), ['version'], unique=False)

    op.create_table('orders',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('course_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('sign_type', sa.Enum('new', 'renewal', 'referral', 'cross_sell', 'refund', name='sign_type', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('gift_hours', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('consultant_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('intent_teacher_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('trial_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('refund_of_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(sign_type = 'refund' AND amount_fen <= 0 AND refund_of_id IS NOT NULL) OR (sign_type != 'refund' AND amount_fen >= 0 AND refund_of_id IS NULL)", name=op.f('ck_orders_refund_shape')),
    sa.CheckConstraint('hours >= 0 AND gift_hours >= 0', name=op.f('ck_orders_hours_not_negative')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_orders_campus_id_campuses')),
    sa.ForeignKeyConstraint(['consultant_id'], ['staff.id'], name=op.f('fk_orders_consultant_id_staff')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_orders_course_id_courses')),
    sa.ForeignKeyConstraint(['intent_teacher_id'], ['staff.id'], name=op.f('fk_orders_intent_teacher_id_staff')),
    sa.ForeignKeyConstraint(['refund_of_id'], ['orders.id'], name=op.f('fk_orders_refund_of_id_orders')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_orders_student_id_students')),
    sa.ForeignKeyConstraint(['trial_id'], ['trial_lessons.id'], name=op.f('fk_orders_trial_id_trial_lessons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_campus_signed', ['campus_id', 'signed_on'], unique=False)
        batch_op.create_index('ix_orders_consultant_signed', ['consultant_id', 'signed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_version'), ['version'], unique=False)

    op.create_table('consumption_entries',
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('attendance_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('student_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('course_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('teacher_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('order_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('lesson_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('normal', 'leave_charged', 'absence_charged', 'makeup', 'gifted', 'trial', 'arrears', name='consumption_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hours >= 0 AND amount_fen >= 0', name=op.f('ck_consumption_entries_not_negative')),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendance.id'], name=op.f('fk_consumption_entries_attendance_id_attendance')),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_consumption_entries_campus_id_campuses')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_consumption_entries_course_id_courses')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_consumption_entries_order_id_orders')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_consumption_entries_student_id_students')),
    sa.ForeignKeyConstraint(['teacher_id'], ['staff.id'], name=op.f('fk_consumption_entries_teacher_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consumption_entries'))
    )
    with op.batch_alter_table('consumption_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consumption_entries_attendance_id'), ['attendance_id'], unique=False)
        batch_op.create_index('ix_consumption_entries_campus_on', ['campus_id', 'lesson_on'], unique=False)
        batch_op.create_index('ix_consumption_entries_order', ['order_id'], unique=False)
        batch_op.create_index('ix_consumption_entries_student_course', ['student_id', 'course_id'], unique=False)
        batch_op.create_index('ix_consumption_entries_teacher_on', ['teacher_id', 'lesson_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_consumption_entries_version'), ['version'], unique=False)




def downgrade() -> None:
    with op.batch_alter_table('consumption_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consumption_entries_version'))
        batch_op.drop_index('ix_consumption_entries_teacher_on')
        batch_op.drop_index('ix_consumption_entries_student_course')
        batch_op.drop_index('ix_consumption_entries_order')
        batch_op.drop_index('ix_consumption_entries_campus_on')
        batch_op.drop_index(batch_op.f('ix_consumption_entries_attendance_id'))

    op.drop_table('consumption_entries')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_version'))
        batch_op.drop_index(batch_op.f('ix_orders_student_id'))
        batch_op.drop_index('ix_orders_consultant_signed')
        batch_op.drop_index('ix_orders_campus_signed')

    op.drop_table('orders')
    with op.batch_alter_table('trial_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_lessons_version'))
        batch_op.drop_index(batch_op.f('ix_trial_lessons_student_id'))
        batch_op.drop_index('ix_trial_lessons_campus_on')

    op.drop_table('trial_lessons')
    with op.batch_alter_table('student_parents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_parents_version'))
        batch_op.drop_index(batch_op.f('ix_student_parents_student_id'))
        batch_op.drop_index(batch_op.f('ix_student_parents_parent_id'))

    op.drop_table('student_parents')
    with op.batch_alter_table('stage_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_activities_version'))
        batch_op.drop_index('ix_stage_activities_staff_on')
        batch_op.drop_index('ix_stage_activities_campus_on')

    op.drop_table('stage_activities')
    with op.batch_alter_table('lesson_students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_students_version'))
        batch_op.drop_index(batch_op.f('ix_lesson_students_student_id'))
        batch_op.drop_index(batch_op.f('ix_lesson_students_lesson_id'))

    op.drop_table('lesson_students')
    with op.batch_alter_table('growth_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_growth_records_version'))
        batch_op.drop_index(batch_op.f('ix_growth_records_student_id'))

    op.drop_table('growth_records')
    with op.batch_alter_table('communication_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communication_records_version'))
        batch_op.drop_index(batch_op.f('ix_communication_records_staff_id'))
        batch_op.drop_index(batch_op.f('ix_communication_records_parent_id'))
        batch_op.drop_index('ix_communication_records_follow_up')
        batch_op.drop_index('ix_communication_records_campus_occurred')

    op.drop_table('communication_records')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_version'))
        batch_op.drop_index(batch_op.f('ix_attendance_student_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_index('uq_targets_staff_period', sqlite_where=sa.text('staff_id IS NOT NULL AND is_deleted = 0'))
        batch_op.drop_index('uq_targets_campus_period', sqlite_where=sa.text('staff_id IS NULL AND is_deleted = 0'))
        batch_op.drop_index(batch_op.f('ix_targets_version'))
        batch_op.drop_index('ix_targets_campus_year')

    op.drop_table('targets')
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_students_version'))
        batch_op.drop_index(batch_op.f('ix_students_consultant_id'))
        batch_op.drop_index(batch_op.f('ix_students_campus_id'))

    op.drop_table('students')
    with op.batch_alter_table('stage_targets', schema=None) as batch_op:
        batch_op.drop_index('uq_stage_targets_staff_week', sqlite_where=sa.text('staff_id IS NOT NULL AND is_deleted = 0'))
        batch_op.drop_index('uq_stage_targets_campus_week', sqlite_where=sa.text('staff_id IS NULL AND is_deleted = 0'))
        batch_op.drop_index(batch_op.f('ix_stage_targets_version'))
        batch_op.drop_index('ix_stage_targets_campus_year')

    op.drop_table('stage_targets')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_version'))
        batch_op.drop_index('ix_lessons_teacher_on')
        batch_op.drop_index('ix_lessons_campus_on')

    op.drop_table('lessons')
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stages_version'))
        batch_op.drop_index(batch_op.f('ix_stages_campus_id'))

    op.drop_table('stages')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_version'))
        batch_op.drop_index(batch_op.f('ix_staff_campus_id'))

    op.drop_table('staff')
    with op.batch_alter_table('parents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parents_version'))
        batch_op.drop_index(batch_op.f('ix_parents_phone'))
        batch_op.drop_index(batch_op.f('ix_parents_campus_id'))

    op.drop_table('parents')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_version'))
        batch_op.drop_index(batch_op.f('ix_courses_campus_id'))

    op.drop_table('courses')
    op.drop_table('sync_counter')
    with op.batch_alter_table('campuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campuses_version'))

    op.drop_table('campuses')

