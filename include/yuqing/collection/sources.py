"""The ``sources`` table mirrors the ``sources:`` section of yuqing.yaml.

Why a table at all: health (failures, silence) and every item hang off a source row, and a source
removed from the config must keep its history — so it is disabled, never deleted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.config import Source as SourceConfig
from yuqing.models import Source, utcnow

__all__ = ["sync_sources", "sync_source"]


def _apply(row: Source, cfg: SourceConfig) -> None:
    row.name = cfg.name
    row.type = cfg.type
    row.channel = cfg.channel
    row.url = cfg.url if cfg.url is not None else cfg.folder
    row.enabled = cfg.enabled
    row.cadence_minutes = cfg.cadence_minutes


def _ensure_row(session: Session, cfg: SourceConfig) -> Source:
    """Create the row if missing with ``ON CONFLICT DO NOTHING``: parallel runs may both try."""
    row = session.get(Source, cfg.id)
    if row is not None:
        return row
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(Source)
        .values(
            id=cfg.id, name=cfg.name, type=cfg.type, channel=cfg.channel, enabled=cfg.enabled,
            cadence_minutes=cfg.cadence_minutes, health="unknown", consecutive_failures=0, created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    row = session.get(Source, cfg.id)
    assert row is not None
    return row


def sync_source(session: Session, cfg: SourceConfig) -> Source:
    """The row for one configured source, created or updated (the caller commits)."""
    row = _ensure_row(session, cfg)
    _apply(row, cfg)
    session.flush()
    return row


def sync_sources(session: Session, config: Config) -> None:
    """Upsert every configured source; disable rows no longer configured. The caller commits."""
    configured = {s.id: s for s in config.sources}
    rows = {r.id: r for r in session.scalars(select(Source))}
    for sid, cfg in configured.items():
        row = rows.get(sid) or _ensure_row(session, cfg)
        _apply(row, cfg)
    for sid, row in rows.items():
        if sid not in configured:
            row.enabled = False
    session.flush()
