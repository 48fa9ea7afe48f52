"""analysis: keyword counts per 10 minutes (the 7-day baseline of velocity σ-spikes)

A branch off 0001 (issue 4); ``yuqing db upgrade`` applies every head.

Revision ID: 0002_analysis
Revises: 0001
Create Date: 2026-11-25 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0002_analysis'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analysis_keyword_counts',
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('slot', sa.Integer(), autoincrement=False, nullable=False, comment='Unix time // 600'),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', 'slot', name=op.f('pk_analysis_keyword_counts'))
    )


def downgrade() -> None:
    op.drop_table('analysis_keyword_counts')
