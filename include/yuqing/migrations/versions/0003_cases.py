"""cases: 受理→转办→反馈 cases, transitions, feedback, escalations, HITL approvals, public responses, publications

A branch off 0001 (issue 5); ``yuqing db upgrade`` applies every head.

Revision ID: 0003_cases
Revises: 0001
Create Date: 2026-11-25 21:04:18.746914
"""

import sqlalchemy as sa
from alembic import op

import yuqing.models

revision = '0003_cases'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False, comment='受理编号 YQ-YYYYMMDD-NNNN (Beijing date)'),
    sa.Column('origin_key', sa.String(length=100), nullable=False, comment='event:<id> or item:<id>; one case per origin'),
    sa.Column('event_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('item_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True, comment='channel of the origin item, if any'),
    sa.Column('external_ref', sa.String(length=200), nullable=True, comment="the hotline's own 受理编号, if any"),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('case_type', sa.String(length=16), nullable=False, comment='舆情事件 | 咨询 | 投诉 | 求助 | 建议'),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=True),
    sa.Column('lead_unit', sa.String(length=64), nullable=False, comment='unit id of the 主办 unit (谁主管谁负责)'),
    sa.Column('co_units', sa.JSON(), nullable=False, comment='unit ids of 协办 units'),
    sa.Column('routing_rule', sa.String(length=200), nullable=True, comment='which rule chose the lead unit'),
    sa.Column('first_responsible', sa.String(length=64), nullable=False, comment='person id of the 第一责任人'),
    sa.Column('direct_responsible', sa.String(length=64), nullable=True, comment='person id of the 直接责任人'),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('suspended_from', sa.String(length=8), nullable=True, comment='state to resume after 挂起'),
    sa.Column('state_reason', sa.Text(), nullable=True, comment='reason of the last 挂起 / 退回'),
    sa.Column('opened_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', yuqing.models.UTCDateTime(timezone=True), nullable=False, comment='reply deadline (答复时限)'),
    sa.Column('release_due_at', yuqing.models.UTCDateTime(timezone=True), nullable=True, comment='重大/特别重大: first authoritative release'),
    sa.Column('press_due_at', yuqing.models.UTCDateTime(timezone=True), nullable=True, comment='重大/特别重大: press conference'),
    sa.Column('deadline_rule', sa.String(length=200), nullable=False, comment='the rule that set the deadlines, in words'),
    sa.Column('deadline_provisional', sa.Boolean(), nullable=False),
    sa.Column('deadline_note', sa.Text(), nullable=True, comment='why a deadline is provisional'),
    sa.Column('assessment_state', sa.String(length=16), nullable=False, comment='C2d: not_needed | requested | approved | rejected | timed_out'),
    sa.Column('answered_at', yuqing.models.UTCDateTime(timezone=True), nullable=True, comment='first 反馈 (reply) or first publication'),
    sa.Column('closed_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_cases_event_id_events')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_cases_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number')),
    sa.UniqueConstraint('origin_key', name='uq_cases_origin_key')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_cases_opened_at', ['opened_at'], unique=False)
        batch_op.create_index('ix_cases_state', ['state'], unique=False)

    op.create_table('case_escalations',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('case_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('deadline', sa.String(length=16), nullable=False, comment='due | release | press | assessment'),
    sa.Column('step', sa.Integer(), nullable=False, comment='0 reminder to 直接责任人, 1 分管领导, 2 主要负责同志'),
    sa.Column('person', sa.String(length=64), nullable=False, comment='person id notified'),
    sa.Column('due_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('raised_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='pending | sent | failed'),
    sa.Column('sent_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_escalations_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_escalations')),
    sa.UniqueConstraint('case_id', 'deadline', 'step', name='uq_case_escalations_step')
    )
    with op.batch_alter_table('case_escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_escalations_case_id'), ['case_id'], unique=False)

    op.create_table('case_feedback',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('case_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('unit', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False, comment='主办 | 协办'),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dag_run_id', sa.String(length=250), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_feedback_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_feedback'))
    )
    with op.batch_alter_table('case_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_feedback_case_id'), ['case_id'], unique=False)

    op.create_table('case_transitions',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('case_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('from_state', sa.String(length=8), nullable=True),
    sa.Column('to_state', sa.String(length=8), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=True, comment='unit the case went to (转办 / 重新转办)'),
    sa.Column('at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dag_run_id', sa.String(length=250), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transitions_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transitions'))
    )
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_transitions_case_id'), ['case_id'], unique=False)

    op.create_table('public_responses',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('case_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False, comment='网上发布 | 专家解读 | 新闻发布会 | 媒体专访'),
    sa.Column('template', sa.String(length=16), nullable=False, comment='情况说明 | 辟谣 | 通报'),
    sa.Column('channels', sa.JSON(), nullable=False, comment='weibo, wechat, website in order'),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('agencies', sa.JSON(), nullable=False, comment='other agencies named: 会签 needed'),
    sa.Column('state', sa.String(length=16), nullable=False, comment='draft | countersign | awaiting_approval | approved | rejected | refused | partial | published'),
    sa.Column('drafted_by', sa.String(length=200), nullable=True),
    sa.Column('dag_run_id', sa.String(length=250), nullable=False),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_published_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline_at', yuqing.models.UTCDateTime(timezone=True), nullable=True, comment='the case deadline this response answers'),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_public_responses_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_responses')),
    sa.UniqueConstraint('dag_run_id', name='uq_public_responses_dag_run_id')
    )
    with op.batch_alter_table('public_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_responses_case_id'), ['case_id'], unique=False)

    op.create_table('case_approvals',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('case_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('response_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='assessment | draft | countersign | publication'),
    sa.Column('agency', sa.String(length=200), nullable=True, comment='会签: the agency asked to confirm'),
    sa.Column('assigned_to', sa.JSON(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=True, comment='hash of the exact text shown for decision'),
    sa.Column('decision', sa.String(length=16), nullable=False, comment='requested | approved | rejected | timed_out | submitted'),
    sa.Column('decided_by', sa.String(length=200), nullable=True, comment='Airflow user id; null on timeout'),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('requested_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dag_id', sa.String(length=250), nullable=False),
    sa.Column('run_id', sa.String(length=250), nullable=False),
    sa.Column('task_id', sa.String(length=250), nullable=False),
    sa.Column('map_index', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_approvals_case_id_cases')),
    sa.ForeignKeyConstraint(['response_id'], ['public_responses.id'], name=op.f('fk_case_approvals_response_id_public_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_approvals')),
    sa.UniqueConstraint('dag_id', 'run_id', 'task_id', 'map_index', name='uq_case_approvals_task')
    )
    with op.batch_alter_table('case_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_approvals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_approvals_response_id'), ['response_id'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('response_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False, comment='weibo | wechat | website'),
    sa.Column('state', sa.String(length=16), nullable=False, comment='pending | published | verified | failed'),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('receipt', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('published_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['public_responses.id'], name=op.f('fk_publications_response_id_public_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('response_id', 'channel', name='uq_publications_channel')
    )


def downgrade() -> None:
    op.drop_table('publications')
    with op.batch_alter_table('case_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_approvals_response_id'))
        batch_op.drop_index(batch_op.f('ix_case_approvals_case_id'))

    op.drop_table('case_approvals')
    with op.batch_alter_table('public_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_responses_case_id'))

    op.drop_table('public_responses')
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_transitions_case_id'))

    op.drop_table('case_transitions')
    with op.batch_alter_table('case_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_feedback_case_id'))

    op.drop_table('case_feedback')
    with op.batch_alter_table('case_escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_escalations_case_id'))

    op.drop_table('case_escalations')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_state')
        batch_op.drop_index('ix_cases_opened_at')
        batch_op.drop_index(batch_op.f('ix_cases_item_id'))
        batch_op.drop_index(batch_op.f('ix_cases_event_id'))

    op.drop_table('cases')
