"""One collection run of one source: fetch, store, move the cursor, record the run and the health.

Why three short transactions instead of one: fetching can take a while (timeouts, retries, many
article pages), and no database transaction or lock should be held meanwhile. The first reads
the cursor; the network work happens outside any transaction; the last stores the items, the
cursor, the run record, the source's health and an audit entry together — so a run is either
recorded whole or not at all. A failure is recorded and committed *before* ``SourceFailed`` is
raised, so the evidence survives the exception (不漏报: a failing source is itself news).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.collection import hotline, html_list, json_api, manual, rss
from yuqing.collection.base import FetchContext, FetchError, FetchResult, SourceFailed
from yuqing.collection.sources import sync_source
from yuqing.collection.store import known_external_ids, store_items
from yuqing.config import Config
from yuqing.config import Source as SourceConfig
from yuqing.db import session_scope
from yuqing.models import CollectionCursor, CollectionRun, Source, utcnow

__all__ = ["CollectionSummary", "collect_source", "ADAPTERS"]

log = logging.getLogger(__name__)

ADAPTERS: dict[str, Callable[[SourceConfig, FetchContext], FetchResult]] = {
    "rss": rss.fetch,
    "html": html_list.fetch,
    "json": json_api.fetch,
    "hotline": hotline.fetch,
    "manual": manual.fetch,
}
ACTOR = "system:collector"
MAX_PROBLEMS = 50


@dataclass
class CollectionSummary:
    """What one run did; ``dataclasses.asdict`` makes it the JSON a DAG task returns."""

    source_id: str
    status: str
    items_found: int = 0
    items_new: int = 0
    items_rejected: int = 0
    problems: list[str] = field(default_factory=list)


def _read_cursor(config: Config, cfg: SourceConfig, db_url: str | None) -> tuple[str | None, str | None, dict[str, Any]]:
    with session_scope(db_url) as session:
        sync_source(session, cfg)
        cursor = session.get(CollectionCursor, cfg.id)
        if cursor is None:
            return None, None, {}
        return cursor.etag, cursor.last_modified, dict(cursor.state or {})


def _known(db_url: str | None, source_id: str) -> Callable[[Iterable[str]], set[str]]:
    def known(ids: Iterable[str]) -> set[str]:
        with session_scope(db_url) as session:
            return known_external_ids(session, source_id, list(ids))

    return known


def _lock_source(session: Session, source_id: str) -> None:
    """Serialise concurrent runs of one source on PostgreSQL by locking its row first.

    Inserting items takes a key-share lock on the source row (foreign key); locking it for the
    health update only afterwards lets two overlapping runs deadlock. Taking the row lock first
    makes the second run wait, then find every item already stored. SQLite serialises writers anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Source.id).where(Source.id == source_id).with_for_update())


def _record(
    session: Session,
    cfg: SourceConfig,
    *,
    now: datetime,
    started: float,
    summary: CollectionSummary,
    error: str | None,
) -> None:
    """Run record, source health and audit entry, in the caller's transaction."""
    finished = now + timedelta(seconds=time.monotonic() - started)
    run = CollectionRun(
        source_id=cfg.id,
        started_at=now,
        finished_at=finished,
        status=summary.status,
        items_found=summary.items_found,
        items_new=summary.items_new,
        items_rejected=summary.items_rejected,
        error=error if error else ("; ".join(summary.problems[:MAX_PROBLEMS]) or None),
        dag_run_id=audit.run_context()["run_id"],
    )
    session.add(run)
    _lock_source(session, cfg.id)
    source = session.get(Source, cfg.id)
    assert source is not None
    source.last_attempt_at = now
    if error:
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        source.last_error = error
        if source.consecutive_failures >= cfg.failure_threshold:
            source.health = "failing"
    else:
        source.consecutive_failures = 0
        source.last_error = None
        source.last_success_at = now
        if summary.items_new:
            source.last_new_item_at = now
        if source.health in ("failing", "unknown") or summary.items_new:
            source.health = "ok"
    session.flush()
    audit.record(
        session,
        actor=ACTOR,
        action=f"collection.{summary.status}",
        object_type="source",
        object_id=cfg.id,
        detail={
            "run_id": run.id,
            "items_found": summary.items_found,
            "items_new": summary.items_new,
            "items_rejected": summary.items_rejected,
            "error": error,
            "problems": summary.problems[:10],
        },
    )


def _fail(config: Config, cfg: SourceConfig, db_url: str | None, now: datetime, started: float,
          summary: CollectionSummary, error: str) -> SourceFailed:
    summary.status = "failed"
    with session_scope(db_url) as session:
        sync_source(session, cfg)
        _record(session, cfg, now=now, started=started, summary=summary, error=error)
    log.warning("collection of %s failed: %s", cfg.id, error)
    return SourceFailed(cfg, error)


def collect_source(
    config: Config, source_id: str, *, db_url: str | None = None, now: datetime | None = None
) -> CollectionSummary:
    """Collect one source once (C1 检测收集); raises SourceFailed after recording a failure.

    ``now`` (aware) is when the run happens: relative dates (``3分钟前``) count back from it and
    the health columns are stamped with it. A disabled source is skipped with status ``skipped``.
    """
    cfg = config.source(source_id)
    now = now or utcnow()
    summary = CollectionSummary(source_id=source_id, status="success")
    if not cfg.enabled:
        summary.status = "skipped"
        summary.problems.append("disabled in the configuration")
        return summary
    started = time.monotonic()
    etag, last_modified, state = _read_cursor(config, cfg, db_url)
    ctx = FetchContext(
        config=config, now=now, etag=etag, last_modified=last_modified, state=state, known=_known(db_url, cfg.id)
    )
    try:
        result = ADAPTERS[cfg.type](cfg, ctx)
    except FetchError as exc:
        raise _fail(config, cfg, db_url, now, started, summary, str(exc)) from None
    except Exception as exc:  # an adapter bug must not hide as "no news"
        log.exception("collection of %s crashed", cfg.id)
        raise _fail(config, cfg, db_url, now, started, summary, f"unexpected {type(exc).__name__}: {exc}") from exc

    summary.problems = result.problems[:MAX_PROBLEMS]
    summary.items_rejected = result.rejected
    if result.not_modified:
        summary.status = "not_modified"
    try:
        with session_scope(db_url) as session:
            _lock_source(session, cfg.id)
            source = sync_source(session, cfg)
            summary.items_found, summary.items_new = store_items(session, source, result.items)
            cursor = session.get(CollectionCursor, cfg.id)
            if cursor is None:
                cursor = CollectionCursor(source_id=cfg.id, state={})
                session.add(cursor)
            if not result.not_modified:
                cursor.etag, cursor.last_modified = result.etag, result.last_modified
            dates = [it.published_at for it in result.items if it.published_at is not None]
            if dates and (cursor.last_published_at is None or max(dates) > cursor.last_published_at):
                cursor.last_published_at = max(dates)
            if result.state:
                cursor.state = {**(cursor.state or {}), **result.state}
            cursor.updated_at = now
            _record(session, cfg, now=now, started=started, summary=summary, error=None)
    except SQLAlchemyError as exc:
        log.exception("storing items of %s failed", cfg.id)
        summary.items_new = 0
        raise _fail(config, cfg, db_url, now, started, summary, f"storing items failed: {type(exc).__name__}: {exc}") from exc

    for step in result.after_commit:
        try:
            summary.problems.extend(step())
        except OSError as exc:
            summary.problems.append(f"after storing: {exc}")
    log.info(
        "collected %s: %s, %d found, %d new, %d rejected",
        cfg.id, summary.status, summary.items_found, summary.items_new, summary.items_rejected,
    )
    return summary
