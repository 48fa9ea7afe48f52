"""Retention and archival of old items (留存与归档).

Why: the store grows with every collection; months later only the items that something refers to
still matter. An item older than ``retention.items_months`` is written to a compressed JSONL archive
(one file per run, read back and checked before anything is deleted) and then deleted — unless a
report cites it, a case refers to it (or to its event), its event is still open, it is an event's
representative post, an audit entry names it, or a kept item is marked as its duplicate. A report
therefore keeps its evidence. Each run writes one audit entry; a second run finds nothing new.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.cases.models import Case
from yuqing.config import Config
from yuqing.models import AuditLog, Event, Item
from yuqing.reports.models import Report

ACTOR = "system:retention"
ITEMS = Item.__table__  # Core, not ORM objects: archiving reads rows, deleting needs no identity-map sync
BATCH = 500


@dataclass
class RetentionResult:
    """What one run did (or, with ``dry_run``, would do)."""

    cutoff: datetime
    candidates: int = 0
    kept_referenced: int = 0
    archived: int = 0
    archive: str | None = None
    dry_run: bool = False
    kept_reasons: dict[str, int] = field(default_factory=dict)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's last day)."""
    year, month = divmod(moment.year * 12 + (moment.month - 1) - months, 12)
    month += 1
    day = moment.day
    while True:
        try:
            date(year, month, day)
            break
        except ValueError:
            day -= 1
    return moment.replace(year=year, month=month, day=day)


def _ints(values: Iterable[Any]) -> set[int]:
    out: set[int] = set()
    for v in values:
        try:
            out.add(int(v))
        except (TypeError, ValueError):
            continue
    return out


def referenced_items(session: Session) -> dict[str, set[int]]:
    """Item ids that must stay, by reason: the evidence others depend on.

    Every foreign key to ``items.id`` in the store's schema counts (cases, events' representative
    posts, and whatever a later area adds), found from the metadata so a new table cannot be
    forgotten; ``items.duplicate_of_id`` is handled in ``_candidates``.
    """
    from yuqing.all_models import Base

    reasons: dict[str, set[int]] = {}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is ITEMS and table is not ITEMS:
                col = fk.parent
                reasons[f"{table.name}.{col.name}"] = set(session.scalars(select(col).where(col.is_not(None))))
    reasons["report"] = _ints(ref for refs in session.scalars(select(Report.item_refs)) for ref in (refs or []))
    case_events = select(Case.event_id).where(Case.event_id.is_not(None))
    reasons["case_event"] = set(session.scalars(select(Item.id).where(Item.event_id.in_(case_events))))
    open_events = select(Event.id).where(Event.status == "open")
    reasons["open_event"] = set(session.scalars(select(Item.id).where(Item.event_id.in_(open_events))))
    reasons["audit"] = _ints(session.scalars(select(AuditLog.object_id).where(AuditLog.object_type == "item")))
    return reasons


def _candidates(session: Session, cutoff: datetime, protected: set[int]) -> list[int]:
    """Old, unreferenced items; an item stays while a kept item points at it as its original."""
    chosen = {i for i, in session.execute(select(Item.id).where(Item.collected_at < cutoff))} - protected
    pairs = session.execute(select(Item.id, Item.duplicate_of_id).where(Item.duplicate_of_id.is_not(None))).all()
    while True:
        pointed = {orig for item_id, orig in pairs if orig in chosen and item_id not in chosen}
        if not pointed:
            return sorted(chosen)
        chosen -= pointed


def _row(mapping: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in ITEMS.columns:
        value = mapping[column]
        out[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _write_archive(session: Session, ids: list[int], path: Path) -> dict[int, str]:
    """Write the items to a gzip JSONL file (atomically); return each id's line digest for the check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    digests: dict[int, str] = {}
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            for row in session.execute(select(ITEMS).where(ITEMS.c.id.in_(chunk)).order_by(ITEMS.c.id)):
                record = _row(row._mapping)
                line = json.dumps(record, ensure_ascii=False, sort_keys=True)
                digests[record["id"]] = hashlib.sha256(line.encode()).hexdigest()
                fh.write(line + "\n")
    tmp.replace(path)
    return digests


def read_archive(path: Path) -> list[dict[str, Any]]:
    """Every item in an archive file (used to verify it, and by whoever restores from it)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _verify_archive(path: Path, digests: dict[int, str]) -> None:
    """Read the file back: every item must be there, byte for byte, before anything is deleted."""
    seen: dict[int, str] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            seen[row["id"]] = hashlib.sha256(line.rstrip("\n").encode()).hexdigest()
    if seen != digests:
        missing = sorted(set(digests) - set(seen))[:5]
        raise RuntimeError(f"archive {path} does not match the store (e.g. items {missing}); nothing deleted")


def run_retention(session: Session, config: Config, *, as_of: datetime, dry_run: bool = False,
                  archive_dir: Path | None = None) -> RetentionResult:
    """Archive and delete the items older than the configured months that nothing refers to.

    The caller commits; the archive file is complete and verified before the deletes are issued.
    """
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} needs a time zone")
    cutoff = months_before(as_of.astimezone(UTC), config.retention.items_months)
    reasons = referenced_items(session)
    protected = set().union(*reasons.values())
    old_total = len(session.execute(select(Item.id).where(Item.collected_at < cutoff)).all())
    ids = _candidates(session, cutoff, protected)
    result = RetentionResult(cutoff=cutoff, candidates=old_total, kept_referenced=old_total - len(ids),
                             dry_run=dry_run, kept_reasons={k: len(v) for k, v in reasons.items() if v})
    if dry_run:
        result.archived = len(ids)
        return result
    path = None
    if ids:
        folder = archive_dir or config.resolve_path(config.retention.archive_dir)
        path = folder / f"items-{as_of.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}.jsonl.gz"
        digests = _write_archive(session, ids, path)
        _verify_archive(path, digests)
        for start in range(0, len(ids), BATCH):
            session.execute(delete(ITEMS).where(ITEMS.c.id.in_(ids[start:start + BATCH])))
        result.archived, result.archive = len(ids), str(path)
    audit.record(session, actor=ACTOR, action="retention.archived", object_type="archive",
                 object_id=path.name if path else "-",
                 detail={"cutoff": cutoff.isoformat(), "months": config.retention.items_months,
                         "archived": result.archived, "kept_referenced": result.kept_referenced,
                         "file": str(path) if path else None, "first_id": ids[0] if ids else None,
                         "last_id": ids[-1] if ids else None})
    return result
