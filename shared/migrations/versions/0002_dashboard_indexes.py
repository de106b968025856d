"""covering indexes for the dashboard's actuals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

划课收入 over a year of a busy campus sums tens of thousands of consumption entries, and the
consumption outlook reads the entries of each student's current package. With these two
indexes both are answered from the index alone, without visiting the table rows.
"""

from __future__ import annotations

from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('consumption_entries', schema=None) as batch_op:
        batch_op.create_index('ix_consumption_entries_campus_on_amount', ['campus_id', 'lesson_on', 'teacher_id', 'amount_fen', 'is_deleted'], unique=False)
        batch_op.create_index('ix_consumption_entries_order_hours', ['order_id', 'is_deleted', 'kind', 'hours'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consumption_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_consumption_entries_order_hours')
        batch_op.drop_index('ix_consumption_entries_campus_on_amount')
