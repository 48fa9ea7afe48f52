"""rumour verification (issue 9, C1 核实衔接)

A branch off 0001: verifications (one per event: mark 疑似谣言/误解, origin, state, outcome, who
concluded it, the 辟谣 run started from it) and verification_findings (one per verifying body, with
its finding and evidence; 未答复 when it never answered). Reviewed by hand after autogenerate.

Revision ID: 0007_verification
Revises: 0001
Create Date: 2026-11-25 23:26:10.600446
"""

import sqlalchemy as sa
from alembic import op

import yuqing.models

revision = '0007_verification'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('verifications',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('event_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('item_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True, comment='the item marked by hand, if any'),
    sa.Column('mark', sa.String(length=8), nullable=False, comment='疑似谣言 | 误解'),
    sa.Column('origin', sa.String(length=8), nullable=False, comment='人工标记 | 分析提示'),
    sa.Column('cues', sa.JSON(), nullable=False, comment='rumour cue words the analysis matched'),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('marked_by', sa.String(length=200), nullable=False, comment='person id, or system:analysis'),
    sa.Column('state', sa.String(length=8), nullable=False, comment='待核实 | 核实中 | 已核实'),
    sa.Column('outcome', sa.String(length=8), nullable=True, comment='属实 | 不实 | 部分属实 | 无法核实'),
    sa.Column('outcome_note', sa.Text(), nullable=True, comment="the concluder's note, or the rule applied"),
    sa.Column('concluded_by', sa.String(length=200), nullable=True, comment='person id, or system:<rule>'),
    sa.Column('concluded_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dag_run_id', sa.String(length=250), nullable=True, comment='the verification run asking the bodies'),
    sa.Column('rebuttal_case', sa.String(length=20), nullable=True, comment='受理编号 of the case the 辟谣 is for'),
    sa.Column('rebuttal_run_id', sa.String(length=250), nullable=True, comment='yuqing_public_response run (辟谣)'),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_verifications_event_id_events')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_verifications_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verifications')),
    sa.UniqueConstraint('event_id', name=op.f('uq_verifications_event_id'))
    )
    op.create_table('verification_findings',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('verification_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('body_id', sa.String(length=64), nullable=False),
    sa.Column('body_name', sa.String(length=200), nullable=False),
    sa.Column('body_kind', sa.String(length=8), nullable=False, comment='门户网站 | 政府热线 | 政务微博 | 责任单位'),
    sa.Column('status', sa.String(length=8), nullable=False, comment='待答复 | 已答复 | 未答复'),
    sa.Column('finding', sa.String(length=8), nullable=True, comment='属实 | 不实 | 部分属实 | 无法核实'),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('responded_by', sa.String(length=200), nullable=True),
    sa.Column('responded_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], name=op.f('fk_verification_findings_verification_id_verifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_findings')),
    sa.UniqueConstraint('verification_id', 'body_id', name='uq_verification_findings_body')
    )
    with op.batch_alter_table('verification_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_findings_verification_id'), ['verification_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('verification_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_findings_verification_id'))

    op.drop_table('verification_findings')
    op.drop_table('verifications')
