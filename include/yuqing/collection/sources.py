"""The ``sources`` table mirrors the ``sources:`` section of yuqing.yaml.

Why a table at all: health (failures, silence) and every item hang off a source row, and a source
removed from the config must keep its history — so it is disabled, never deleted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.config import Source as SourceConfig
from yuqing.models import Source

__all__ = ["sync_sources", "sync_source"]


def _apply(row: Source, cfg: SourceConfig) -> None:
    row.name = cfg.name
    row.type = cfg.type
    row.channel = cfg.channel
    row.url = cfg.url if cfg.url is not None else cfg.folder
    row.enabled = cfg.enabled
    row.cadence_minutes = cfg.cadence_minutes


def sync_source(session: Session, cfg: SourceConfig) -> Source:
    """The row for one configured source, created or updated (the caller commits)."""
    row = session.get(Source, cfg.id)
    if row is None:
        row = Source(id=cfg.id, health="unknown", consecutive_failures=0)
        session.add(row)
    _apply(row, cfg)
    session.flush()
    return row


def sync_sources(session: Session, config: Config) -> None:
    """Upsert every configured source; disable rows no longer configured. The caller commits."""
    configured = {s.id: s for s in config.sources}
    rows = {r.id: r for r in session.scalars(select(Source))}
    for sid, cfg in configured.items():
        row = rows.get(sid)
        if row is None:
            row = Source(id=sid, health="unknown", consecutive_failures=0)
            session.add(row)
        _apply(row, cfg)
    for sid, row in rows.items():
        if sid not in configured:
            row.enabled = False
    session.flush()
