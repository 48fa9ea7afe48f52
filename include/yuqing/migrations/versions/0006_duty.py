"""the on-duty desk: used acknowledgement links, escalation steps, handovers, notices (issue 9, part 2)

A branch off 0001: ack_link_uses (a link's nonce, used once), warning_escalations (one row per
warning and step), duty_handovers (one per shift instance), duty_notices (one per channel, person
and step or handover: never sent twice). Reviewed by hand after autogenerate.

Revision ID: 0006_duty
Revises: 0001
Create Date: 2026-11-25 23:40:00
"""

import sqlalchemy as sa
from alembic import op

import yuqing.models

revision = '0006_duty'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duty_handovers',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('shift_start', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('from_person', sa.String(length=64), nullable=True, comment='null after a roster gap or on the first sweep'),
    sa.Column('to_person', sa.String(length=64), nullable=False),
    sa.Column('warning_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_handovers')),
    sa.UniqueConstraint('shift_start', name=op.f('uq_duty_handovers_shift_start'))
    )
    op.create_table('ack_link_uses',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('warning_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('used_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_ack_link_uses_warning_id_warnings')),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_ack_link_uses'))
    )
    op.create_index(op.f('ix_ack_link_uses_warning_id'), 'ack_link_uses', ['warning_id'], unique=False)
    op.create_table('duty_notices',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False, comment='escalation:<warning>:<step>:<channel> | handover:<id>:<channel>'),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='escalation | handover'),
    sa.Column('warning_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('handover_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False, comment='email | webhook'),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='pending | sent | failed | cancelled'),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['handover_id'], ['duty_handovers.id'], name=op.f('fk_duty_notices_handover_id_duty_handovers')),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_duty_notices_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_notices')),
    sa.UniqueConstraint('key', name=op.f('uq_duty_notices_key'))
    )
    op.create_table('warning_escalations',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('warning_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False, comment='backup | leader | principal'),
    sa.Column('person_id', sa.String(length=64), nullable=True, comment='null when the step was skipped'),
    sa.Column('status', sa.String(length=16), nullable=False, comment='notified | skipped'),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('due_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_escalations_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_escalations')),
    sa.UniqueConstraint('warning_id', 'step', name='uq_warning_escalations_step')
    )


def downgrade() -> None:
    op.drop_table('warning_escalations')
    op.drop_table('duty_notices')
    op.drop_index(op.f('ix_ack_link_uses_warning_id'), table_name='ack_link_uses')
    op.drop_table('ack_link_uses')
    op.drop_table('duty_handovers')
