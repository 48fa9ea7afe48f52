"""A collection run: idempotent, recorded, and a failing source never stops the others (不漏报)."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_collection_support import DATA, NOW, Fault, Site, fast_retries_fixture, make_config, site_fixture  # noqa: F401

from yuqing import db
from yuqing.collection import RawItem, SourceFailed, collect_source, store_items, sync_sources
from yuqing.models import AuditLog, CollectionCursor, CollectionRun, Item, Source


def two_feeds(site: Site, **broken: object):
    good = site.copy(DATA / "feeds" / "edge_cases.xml", "good.xml")
    bad = site.copy(DATA / "feeds" / "edge_cases.xml", "bad.xml")
    return make_config([
        {"id": "bad", "name": "坏源", "type": "rss", "channel": "portal", "url": bad, **broken},
        {"id": "good", "name": "好源", "type": "rss", "channel": "portal", "url": good},
    ])


def collect_all(config, db_url: str) -> dict[str, str]:
    """What a DAG does: one call per source; a failure is reported, the loop goes on."""
    outcome = {}
    for src in config.sources:
        try:
            outcome[src.id] = collect_source(config, src.id, db_url=db_url, now=NOW).status
        except SourceFailed as exc:
            outcome[src.id] = str(exc)
    return outcome


def test_http_500_is_retried_then_recorded_and_others_still_collected(site: Site, db_url: str, session: Session) -> None:
    config = two_feeds(site, retries=2)
    site.server.faults["/bad.xml"] = Fault(status=500)
    outcome = collect_all(config, db_url)
    assert outcome == {"bad": f"source bad ({site.base}/bad.xml): HTTP 500 after 3 attempts", "good": "success"}
    assert len(site.hits("bad.xml")) == 3
    session.expire_all()
    bad = session.get(Source, "bad")
    assert (bad.consecutive_failures, bad.last_error, bad.last_success_at) == (1, "HTTP 500 after 3 attempts", None)
    assert bad.last_attempt_at == NOW
    run = session.scalars(select(CollectionRun).where(CollectionRun.source_id == "bad")).one()
    assert (run.status, run.items_new, run.error) == ("failed", 0, "HTTP 500 after 3 attempts")
    audit = session.scalars(select(AuditLog).where(AuditLog.object_id == "bad")).one()
    assert (audit.action, audit.actor, audit.detail["error"]) == ("collection.failed", "system:collector", "HTTP 500 after 3 attempts")
    assert session.scalar(select(func.count(Item.id)).where(Item.source_id == "good")) == 6
    assert session.get(CollectionCursor, "bad") is None  # nothing to remember from a failure


def test_transient_500_recovers_within_the_retries(site: Site, db_url: str) -> None:
    config = two_feeds(site, retries=2)
    site.server.faults["/bad.xml"] = Fault(status=503, times=2)
    assert collect_source(config, "bad", db_url=db_url, now=NOW).items_new == 6


def test_source_that_times_out_fails_with_the_timeout(site: Site, db_url: str, session: Session) -> None:
    config = two_feeds(site, retries=1, timeout_seconds=0.2)
    site.server.faults["/bad.xml"] = Fault(status=None, delay=0.6)
    outcome = collect_all(config, db_url)
    assert outcome["bad"] == f"source bad ({site.base}/bad.xml): timed out after 0.2 s after 2 attempts"
    assert outcome["good"] == "success"
    session.expire_all()
    assert session.get(Source, "bad").consecutive_failures == 1


def test_connection_refused_is_a_failure(db_url: str, fast_retries: None) -> None:
    config = make_config([{"id": "gone", "name": "停站", "type": "rss", "channel": "news", "url": "http://127.0.0.1:9/feed.xml", "retries": 1}])
    with pytest.raises(SourceFailed, match=r"source gone \(http://127.0.0.1:9/feed.xml\): connection failed \(ConnectionError\) after 2 attempts"):
        collect_source(config, "gone", db_url=db_url, now=NOW)


def test_rerun_without_validators_stores_nothing_twice(site: Site, db_url: str, session: Session) -> None:
    config = two_feeds(site)
    first = collect_source(config, "good", db_url=db_url, now=NOW)
    with db.session_scope(db_url) as s:  # forget the ETag: the full feed comes again
        s.get(CollectionCursor, "good").etag = None
        s.get(CollectionCursor, "good").last_modified = None
    second = collect_source(config, "good", db_url=db_url, now=NOW)
    assert (first.items_new, second.status, second.items_found, second.items_new) == (6, "success", 6, 0)
    session.expire_all()
    assert session.scalar(select(func.count(Item.id))) == 6


def test_summary_is_json_serialisable(site: Site, db_url: str) -> None:
    summary = collect_source(two_feeds(site), "good", db_url=db_url, now=NOW)
    data = json.loads(json.dumps(dataclasses.asdict(summary)))
    assert data["source_id"] == "good" and data["items_new"] == 6 and isinstance(data["problems"], list)


def test_concurrent_runs_never_duplicate_or_lose_items(site: Site, db_url: str, session: Session) -> None:
    config = two_feeds(site)
    results, errors = [], []

    def run() -> None:
        try:
            results.append(collect_source(config, "good", db_url=db_url, now=NOW))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    assert session.scalar(select(func.count(Item.id))) == 6
    assert sum(r.items_new for r in results) == 6


def test_store_items_is_idempotent_within_and_across_batches(db_url: str, session: Session) -> None:
    sync_sources(session, make_config([{"id": "m", "name": "m", "type": "manual", "channel": "print"}]))
    source = session.get(Source, "m")
    batch = [RawItem(external_id=str(i % 700), text=f"正文{i % 700}") for i in range(1400)]
    assert store_items(session, source, batch) == (1400, 700)
    assert store_items(session, source, batch[:10]) == (10, 0)
    session.flush()
    item = session.scalars(select(Item).where(Item.external_id == "1")).one()
    assert len(item.content_hash) == 64 and item.channel == "print"


def test_sync_sources_upserts_and_disables_removed(session: Session) -> None:
    first = make_config([
        {"id": "a", "name": "甲", "type": "manual", "channel": "print"},
        {"id": "b", "name": "乙", "type": "rss", "channel": "news", "url": "http://127.0.0.1:1/x.xml", "cadence_minutes": 30},
    ])
    sync_sources(session, first)
    second = make_config([{"id": "b", "name": "乙（改名）", "type": "rss", "channel": "news", "url": "http://127.0.0.1:1/y.xml"}])
    sync_sources(session, second)
    a, b = session.get(Source, "a"), session.get(Source, "b")
    assert a.enabled is False
    assert (b.name, b.url, b.cadence_minutes, b.enabled) == ("乙（改名）", "http://127.0.0.1:1/y.xml", 60, True)


def test_disabled_source_is_skipped(db_url: str) -> None:
    config = make_config([{"id": "off", "name": "停用", "type": "rss", "channel": "news", "url": "http://127.0.0.1:9/x", "enabled": False}])
    summary = collect_source(config, "off", db_url=db_url)
    assert (summary.status, summary.problems) == ("skipped", ["disabled in the configuration"])
