"""Storing collected items: idempotent by construction.

Why ``INSERT … ON CONFLICT DO NOTHING`` on (source_id, external_id) rather than "select, then
insert": two runs of the same source (a retry overlapping a scheduled run) can race; the unique
key makes the database decide, so an item is never stored twice and never lost. Items are
written in batches, one statement per batch, not one query per row, sorted by external id so that
concurrent writers of overlapping batches take the unique-index locks in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from yuqing.collection.base import RawItem
from yuqing.collection.text import content_hash, plain_text
from yuqing.models import Item, Source, utcnow

__all__ = ["store_items", "known_external_ids", "item_row"]

BATCH = 500
_LIMITS = {"external_id": 500, "url": 2000, "title": 1000, "author": 200}


def _clip(value: str | None, limit: int) -> str | None:
    return value if value is None or len(value) <= limit else value[:limit]


def item_row(source: Source, raw: RawItem) -> dict[str, Any]:
    """The ``items`` row for one raw item (text cleaned again: adapters are not trusted either)."""
    title = plain_text(raw.title) or None
    text = plain_text(raw.text) or (title or "")
    return {
        "source_id": source.id,
        "external_id": _clip(raw.external_id, _LIMITS["external_id"]),
        "channel": source.channel,
        "url": _clip(raw.url, _LIMITS["url"]),
        "title": _clip(title, _LIMITS["title"]),
        "text": text,
        "author": _clip(plain_text(raw.author) or None, _LIMITS["author"]),
        "published_at": raw.published_at,
        "collected_at": utcnow(),
        "content_hash": content_hash(title, text),
        "engagement": dict(raw.engagement),
        "extra": dict(raw.extra),
        "matched_terms": [],
        "categories": [],
    }


def _insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(Item)
    if name == "sqlite":
        return sqlite.insert(Item)
    raise NotImplementedError(f"store_items supports sqlite and postgresql, not {name}")


def store_items(session: Session, source: Source, items: Iterable[RawItem]) -> tuple[int, int]:
    """Insert new items of ``source``; returns (found, new). Existing (source, external id) are skipped.

    The caller owns the transaction (commits or rolls back).
    """
    rows: dict[str, dict[str, Any]] = {}
    found = 0
    for raw in items:
        found += 1
        row = item_row(source, raw)
        rows.setdefault(row["external_id"], row)  # the same id twice in one batch: first wins
    new = 0
    # in one order for every writer: concurrent batches sharing items then wait on each other instead
    # of each holding a key the other needs (PostgreSQL reports that as a deadlock and aborts one)
    values = sorted(rows.values(), key=lambda r: r["external_id"])
    # one cached statement, executed with many parameter sets ("insertmanyvalues" batches them)
    stmt = _insert(session).on_conflict_do_nothing(index_elements=["source_id", "external_id"]).returning(Item.id)
    for start in range(0, len(values), BATCH):
        new += len(session.execute(stmt, values[start : start + BATCH]).all())
    return found, new


def known_external_ids(session: Session, source_id: str, external_ids: Sequence[str]) -> set[str]:
    """Which of these external ids are already stored for the source."""
    ids = list(dict.fromkeys(external_ids))
    known: set[str] = set()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        known.update(
            session.scalars(select(Item.external_id).where(Item.source_id == source_id, Item.external_id.in_(chunk)))
        )
    return known
