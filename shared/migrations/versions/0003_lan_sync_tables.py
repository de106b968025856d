"""LAN sync tables: devices, pairing tokens, PIN lockout, sync clients, field versions,
conflicts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('field_versions',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'row_id', 'field', name=op.f('pk_field_versions'))
    )
    op.create_table('conflicts',
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('overwritten_value', sa.JSON(), nullable=True),
    sa.Column('applied_value', sa.JSON(), nullable=True),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('mutation_id', sa.Integer(), nullable=False),
    sa.Column('campus_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['campus_id'], ['campuses.id'], name=op.f('fk_conflicts_campus_id_campuses')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_conflicts_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts')),
    sa.UniqueConstraint('client_id', 'mutation_id', 'table_name', 'row_id', 'field', name=op.f('uq_conflicts_client_id'))
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_conflicts_open', ['resolved_at', 'created_at'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_devices_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_staff_id'), ['staff_id'], unique=False)

    op.create_table('pin_lockouts',
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('failed_count', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_pin_lockouts_staff_id_staff')),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_pin_lockouts'))
    )
    op.create_table('pairing_tokens',
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('device_id', sa.LargeBinary(length=16), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_pairing_tokens_device_id_devices')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_pairing_tokens_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pairing_tokens_token_hash'))
    )
    op.create_table('sync_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('device_id', sa.LargeBinary(length=16), nullable=True),
    sa.Column('last_mutation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sync_clients_device_id_devices')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_sync_clients_staff_id_staff')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_sync_clients'))
    )
    with op.batch_alter_table('sync_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_clients_staff_id'), ['staff_id'], unique=False)




def downgrade() -> None:
    with op.batch_alter_table('sync_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_clients_staff_id'))

    op.drop_table('sync_clients')
    op.drop_table('pairing_tokens')
    op.drop_table('pin_lockouts')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_staff_id'))

    op.drop_table('devices')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_conflicts_open')

    op.drop_table('conflicts')
    op.drop_table('field_versions')

