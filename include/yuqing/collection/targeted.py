"""Targeted collection for 舆情跟踪 (C2b): search the sources that offer a search for given keywords.

Why apart from the 15-minute run: a pre-decision assessment asks what is said about *its*
keywords, which the regular listing pages may not show. The same adapters read the search
results and the same idempotent store keeps them, so an item found both ways is stored once;
no cursor is moved (a search is not the source's listing), and one failing search never stops
the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote

from yuqing import audit
from yuqing.collection.base import FetchContext, FetchError
from yuqing.collection.run import ACTOR, ADAPTERS, CollectionSummary
from yuqing.collection.sources import sync_source
from yuqing.collection.store import store_items
from yuqing.config import Config
from yuqing.db import session_scope
from yuqing.models import utcnow

__all__ = ["collect_keywords", "search_url_for"]

log = logging.getLogger(__name__)


def search_url_for(template: str, keyword: str) -> str:
    return template.replace("{keyword}", quote(keyword, safe=""))


def collect_keywords(
    config: Config, keywords: Iterable[str], *, db_url: str | None = None, now: datetime | None = None
) -> list[CollectionSummary]:
    """Search every enabled source with a ``search_url`` for each keyword; store what is new."""
    now = now or utcnow()
    terms = list(dict.fromkeys(k.strip() for k in keywords if k and k.strip()))
    summaries: list[CollectionSummary] = []
    for cfg in config.sources:
        if not cfg.enabled or cfg.search_url is None:
            continue
        for keyword in terms:
            url = search_url_for(cfg.search_url, keyword)
            summary = CollectionSummary(source_id=cfg.id, status="success")
            try:
                result = ADAPTERS[cfg.type](cfg.model_copy(update={"url": url}), FetchContext(config=config, now=now))
            except FetchError as exc:
                summary.status = "failed"
                summary.problems.append(f"search '{keyword}' at {url}: {exc}")
                log.warning("targeted collection of %s for %r failed: %s", cfg.id, keyword, exc)
                summaries.append(summary)
                continue
            with session_scope(db_url) as session:
                source = sync_source(session, cfg)
                summary.items_found, summary.items_new = store_items(session, source, result.items)
                summary.items_rejected, summary.problems = result.rejected, result.problems[:50]
                audit.record(session, actor=ACTOR, action="collection.targeted", object_type="source",
                             object_id=cfg.id, detail={"keyword": keyword, "url": url,
                                                       "found": summary.items_found, "new": summary.items_new})
            summaries.append(summary)
    return summaries
