"""initial store: sources, items, collection, events, warnings, audit log

The audit log is made append-only below the ORM too: triggers refuse UPDATE and DELETE.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 20:24:10.202773
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


AUDIT_GUARD_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
AUDIT_GUARD_POSTGRES = [
    "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
]


def _guard_audit_log() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in {"sqlite": AUDIT_GUARD_SQLITE, "postgresql": AUDIT_GUARD_POSTGRES}.get(dialect, []):
        op.execute(stmt)


def _unguard_audit_log() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")


def upgrade() -> None:

    op.create_table('audit_log',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False, comment='person id, or system:<component>'),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('object_type', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('dag_id', sa.String(length=250), nullable=True),
    sa.Column('run_id', sa.String(length=250), nullable=True),
    sa.Column('task_id', sa.String(length=250), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_object', ['object_type', 'object_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='open | closed'),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('heat', sa.Double(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=False, comment='key terms used to join new items'),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('response_value', sa.String(length=8), nullable=True, comment='需回应 | 持续关注 | 无需回应'),
    sa.Column('representative_item_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_last_seen_at', ['last_seen_at'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('cadence_minutes', sa.Integer(), nullable=False),
    sa.Column('health', sa.String(length=16), nullable=False, comment='ok | failing | silent | unknown'),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_new_item_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources'))
    )
    op.create_table('collection_cursors',
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('etag', sa.String(length=500), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('last_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_collection_cursors_source_id_sources')),
    sa.PrimaryKeyConstraint('source_id', name=op.f('pk_collection_cursors'))
    )
    op.create_table('collection_runs',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False, comment='success | not_modified | failed'),
    sa.Column('items_found', sa.Integer(), nullable=False),
    sa.Column('items_new', sa.Integer(), nullable=False),
    sa.Column('items_rejected', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('dag_run_id', sa.String(length=250), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_collection_runs_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_runs'))
    )
    with op.batch_alter_table('collection_runs', schema=None) as batch_op:
        batch_op.create_index('ix_collection_runs_source_started', ['source_id', 'started_at'], unique=False)

    op.create_table('event_level_changes',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('event_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('from_level', sa.String(length=8), nullable=True),
    sa.Column('to_level', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_level_changes_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_level_changes'))
    )
    with op.batch_alter_table('event_level_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_level_changes_event_id'), ['event_id'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=500), nullable=False, comment="the source's id, else its URL, else the content hash"),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('title', sa.String(length=1000), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False, comment='sha256 of the normalised title + text'),
    sa.Column('engagement', sa.JSON(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False, comment='source-specific fields, e.g. 受理编号'),
    sa.Column('analyzed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('relevant', sa.Boolean(), nullable=True),
    sa.Column('matched_terms', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('sentiment', sa.String(length=8), nullable=True),
    sa.Column('sentiment_score', sa.Double(), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('event_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['items.id'], name=op.f('fk_items_duplicate_of_id_items')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_items_event_id_events')),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_items_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('source_id', 'external_id', name='uq_items_source_external')
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_analyzed_at', ['analyzed_at'], unique=False)
        batch_op.create_index('ix_items_collected_at', ['collected_at'], unique=False)
        batch_op.create_index('ix_items_content_hash', ['content_hash'], unique=False)
        batch_op.create_index('ix_items_event_id', ['event_id'], unique=False)

    op.create_table('warnings',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('dedup_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='event | source_health'),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('event_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False, comment='open | acknowledged | closed'),
    sa.Column('duty_person', sa.String(length=64), nullable=True, comment='person id on duty when raised'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_warnings_event_id_events')),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_warnings_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warnings')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_warnings_dedup_key'))
    )
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warnings_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_warnings_source_id'), ['source_id'], unique=False)

    op.create_table('warning_deliveries',
    sa.Column('id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('warning_id', sa.Integer().with_variant(sa.BigInteger(), 'postgresql'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False, comment='email | webhook'),
    sa.Column('recipient', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='pending | sent | failed'),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_warning_deliveries_warning_id_warnings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_deliveries')),
    sa.UniqueConstraint('warning_id', 'channel', 'recipient', name='uq_warning_deliveries_target')
    )

    # events <-> items refer to each other: the second key is added once both tables exist
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_events_representative_item_id_items'), 'items', ['representative_item_id'], ['id']
        )

    _guard_audit_log()


def downgrade() -> None:
    _unguard_audit_log()
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_events_representative_item_id_items'), type_='foreignkey')

    op.drop_table('warning_deliveries')
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warnings_source_id'))
        batch_op.drop_index(batch_op.f('ix_warnings_event_id'))

    op.drop_table('warnings')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_event_id')
        batch_op.drop_index('ix_items_content_hash')
        batch_op.drop_index('ix_items_collected_at')
        batch_op.drop_index('ix_items_analyzed_at')

    op.drop_table('items')
    with op.batch_alter_table('event_level_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_level_changes_event_id'))

    op.drop_table('event_level_changes')
    with op.batch_alter_table('collection_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_collection_runs_source_started')

    op.drop_table('collection_runs')
    op.drop_table('collection_cursors')
    op.drop_table('sources')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_last_seen_at')

    op.drop_table('events')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_object')

    op.drop_table('audit_log')

