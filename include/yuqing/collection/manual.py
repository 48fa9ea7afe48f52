"""Manual entry (``yuqing add-item``): print media clippings and phone tips (C1: 传统媒体).

A manual source has nothing to fetch; its items arrive one by one from a person, who is recorded
in the audit trail. The external id is the content hash, so entering the same clipping twice
stores it once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.collection.base import FetchContext, FetchResult, RawItem
from yuqing.collection.sources import sync_source
from yuqing.collection.store import store_items
from yuqing.collection.text import content_hash, plain_text, safe_url
from yuqing.config import Config
from yuqing.config import Source as SourceConfig
from yuqing.models import Item, utcnow

__all__ = ["add_manual_item", "fetch"]


def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    """Nothing to pull: a scheduled run of a manual source just records that it is alive."""
    return FetchResult()


def add_manual_item(
    session: Session,
    config: Config,
    *,
    source_id: str,
    text: str,
    title: str | None = None,
    url: str | None = None,
    author: str | None = None,
    published_at: datetime | None = None,
    actor: str,
) -> Item:
    """Store one manually entered item and audit who entered it; the caller commits.

    Raises ValueError naming the problem: unknown or non-manual source, empty text, a bad URL,
    a naive or future date.
    """
    try:
        source_cfg = config.source(source_id)
    except KeyError:
        manual = [s.id for s in config.sources if s.type == "manual"]
        raise ValueError(f"unknown source '{source_id}'; manual sources: {', '.join(manual) or 'none configured'}") from None
    if source_cfg.type != "manual":
        raise ValueError(f"source '{source_id}' is of type '{source_cfg.type}', not 'manual'; its items are collected")
    clean_text = plain_text(text)
    if not clean_text:
        raise ValueError("text is empty")
    if not actor.strip():
        raise ValueError("actor is empty: say who entered the item")
    clean_url = None
    if url:
        clean_url = safe_url(url)
        if clean_url is None:
            raise ValueError(f"url {url!r} is not an http(s) address")
    if published_at is not None:
        if published_at.tzinfo is None:
            raise ValueError("published_at needs a time zone (e.g. +08:00)")
        if published_at > utcnow():
            raise ValueError(f"published_at {published_at.isoformat()} lies in the future")
    source = sync_source(session, source_cfg)
    clean_title = plain_text(title) or None
    raw = RawItem(
        external_id=content_hash(clean_title, clean_text),
        title=clean_title,
        text=clean_text,
        url=clean_url,
        author=plain_text(author) or None,
        published_at=published_at,
        extra={"entered_by": actor},
    )
    _, new = store_items(session, source, [raw])
    item = session.scalars(select(Item).where(Item.source_id == source.id, Item.external_id == raw.external_id)).one()
    if new:
        source.last_new_item_at = source.last_success_at = utcnow()
        source.health = "ok"
    audit.record(
        session,
        actor=actor,
        action="item.add_manual" if new else "item.add_manual_duplicate",
        object_type="item",
        object_id=item.id,
        detail={"source_id": source.id, "title": item.title, "new": bool(new)},
    )
    return item
