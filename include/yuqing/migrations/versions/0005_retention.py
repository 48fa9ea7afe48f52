"""retention: indexes on the columns that point at items (issue 7)

A branch off 0001. Deleting archived items checks items.duplicate_of_id and
events.representative_item_id for rows still pointing at them; these indexes keep that a look-up
instead of a table scan per deleted item. No tables or columns change.

Revision ID: 0005_retention
Revises: 0001
Create Date: 2026-11-25 23:50:00
"""

from alembic import op

revision = '0005_retention'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_items_duplicate_of_id', 'items', ['duplicate_of_id'], unique=False)
    op.create_index('ix_events_representative_item_id', 'events', ['representative_item_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_events_representative_item_id', table_name='events')
    op.drop_index('ix_items_duplicate_of_id', table_name='items')
