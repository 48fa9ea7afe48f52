"""reports and 报送, decisions and risk assessments (issue 6)

A branch off 0001: reports (versions, approval, files), report_deliveries (unique per version,
channel and address: never sent twice), decisions, risk_assessments, survey_responses,
interviews, assessor_scores, risks. Reviewed by hand after autogenerate.

Revision ID: 0004_reports
Revises: 0001
Create Date: 2026-11-25 21:03:57.899440
"""

import sqlalchemy as sa
from alembic import op

import yuqing.models

revision = '0004_reports'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decisions',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False, comment='the DAG run (or CLI key) that proposed it'),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('affected_groups', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('planned_date', sa.String(length=10), nullable=True),
    sa.Column('team', sa.JSON(), nullable=False, comment='person ids of the assessors'),
    sa.Column('verdict', sa.String(length=8), nullable=True, comment='可实施 | 暂缓实施 | 不实施'),
    sa.Column('verdict_by', sa.String(length=200), nullable=True),
    sa.Column('verdict_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('key', name=op.f('uq_decisions_key'))
    )
    op.create_table('reports',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='special | weekly | monthly | risk'),
    sa.Column('key', sa.String(length=100), nullable=False, comment='what it is about: event:<id>, 2026-W47, 2026-11, decision:<id>'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False, comment='sha256 of the report content (not of the render time)'),
    sa.Column('status', sa.String(length=16), nullable=False, comment='draft | approved | rejected'),
    sa.Column('decided_by', sa.String(length=200), nullable=True, comment='who approved or rejected (person id / Airflow user)'),
    sa.Column('decided_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False, comment='format -> path (html, pdf, docx)'),
    sa.Column('item_refs', sa.JSON(), nullable=False, comment='ids of the stored items its statements cite'),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('kind', 'key', 'version', name='uq_reports_version')
    )
    op.create_table('report_deliveries',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('report_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('recipient', sa.String(length=300), nullable=False, comment='name of the receiving office'),
    sa.Column('level', sa.String(length=16), nullable=False, comment='same_level (本级) | upper (上级)'),
    sa.Column('channel', sa.String(length=16), nullable=False, comment='email | webhook'),
    sa.Column('address', sa.String(length=300), nullable=False, comment='mail address, or Airflow connection id of the webhook'),
    sa.Column('status', sa.String(length=16), nullable=False, comment='pending | sent | failed'),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.Text(), nullable=True, comment='what the receiving server answered'),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sent_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_deliveries_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_deliveries')),
    sa.UniqueConstraint('report_id', 'channel', 'address', name='uq_report_deliveries_target')
    )
    with op.batch_alter_table('report_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_deliveries_report_id'), ['report_id'], unique=False)

    op.create_table('risk_assessments',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('decision_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='in_progress | completed'),
    sa.Column('level', sa.String(length=4), nullable=True, comment='高 | 中 | 低'),
    sa.Column('findings', sa.JSON(), nullable=False, comment='tracking, survey and scoring summaries'),
    sa.Column('report_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('started_at', yuqing.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', yuqing.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_risk_assessments_decision_id_decisions')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_risk_assessments_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessments'))
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_assessments_decision_id'), ['decision_id'], unique=False)

    op.create_table('assessor_scores',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('assessment_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('assessor', sa.String(length=200), nullable=False),
    sa.Column('dimension', sa.String(length=50), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=True),
    sa.Column('impact', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_assessor_scores_assessment_id_risk_assessments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessor_scores')),
    sa.UniqueConstraint('assessment_id', 'assessor', 'dimension', name='uq_assessor_scores_target')
    )
    with op.batch_alter_table('assessor_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessor_scores_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('interviews',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('assessment_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('stakeholder', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=8), nullable=False, comment='support | oppose | neutral'),
    sa.Column('concerns', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False, comment='file | form'),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_interviews_assessment_id_risk_assessments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviews')),
    sa.UniqueConstraint('assessment_id', 'stakeholder', name='uq_interviews_stakeholder')
    )
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interviews_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('risks',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('assessment_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('dimension', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('likelihood', sa.Double(), nullable=False),
    sa.Column('impact', sa.Double(), nullable=False),
    sa.Column('level', sa.String(length=4), nullable=False, comment='高 | 中 | 低'),
    sa.Column('disagreement', sa.Double(), nullable=False, comment="spread of assessors' L×I scores"),
    sa.Column('plan', sa.Text(), nullable=False, comment='处置预案'),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_risks_assessment_id_risk_assessments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks')),
    sa.UniqueConstraint('assessment_id', 'dimension', name='uq_risks_dimension')
    )
    with op.batch_alter_table('risks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risks_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('survey_responses',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('assessment_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('respondent', sa.String(length=200), nullable=False),
    sa.Column('stance', sa.String(length=8), nullable=False, comment='support | oppose | neutral'),
    sa.Column('group', sa.String(length=100), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=False, comment='row number in the imported file'),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_survey_responses_assessment_id_risk_assessments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    sa.UniqueConstraint('assessment_id', 'respondent', name='uq_survey_responses_respondent')
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_assessment_id'), ['assessment_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_assessment_id'))

    op.drop_table('survey_responses')
    with op.batch_alter_table('risks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risks_assessment_id'))

    op.drop_table('risks')
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interviews_assessment_id'))

    op.drop_table('interviews')
    with op.batch_alter_table('assessor_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessor_scores_assessment_id'))

    op.drop_table('assessor_scores')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_assessments_decision_id'))

    op.drop_table('risk_assessments')
    with op.batch_alter_table('report_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_deliveries_report_id'))

    op.drop_table('report_deliveries')
    op.drop_table('reports')
    op.drop_table('decisions')
