"""Source health (C1 不漏报): N consecutive failures, or silence past silence_factor × cadence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from test_collection_support import DATA, NOW, Fault, Site, fast_retries_fixture, make_config, site_fixture  # noqa: F401

from yuqing.collection import SourceFailed, collect_source, sync_sources
from yuqing.collection.health import check_source_health
from yuqing.models import Source


def feed_config(site: Site, **extra: object):
    url = site.copy(DATA / "feeds" / "edge_cases.xml", "feed.xml")
    return make_config(
        [
            {"id": "feed", "name": "区门户", "type": "rss", "channel": "portal", "url": url, "retries": 0,
             "failure_threshold": 3, "cadence_minutes": 60, **extra},
            {"id": "print", "name": "报刊", "type": "manual", "channel": "print", "cadence_minutes": 60},
        ],
        health={"silence_factor": 3},
    )


def check(session: Session, config, *, now):
    """As the DAG does it: check, then commit (so the next run's transaction is not blocked)."""
    problems = check_source_health(session, config, now=now)
    session.commit()
    return problems


def fail(config, db_url: str, at) -> None:
    with pytest.raises(SourceFailed):
        collect_source(config, "feed", db_url=db_url, now=at)


def test_failing_after_threshold_failures_and_recovery_resets(site: Site, db_url: str, session: Session) -> None:
    config = feed_config(site)
    site.server.faults["/feed.xml"] = Fault(status=500)
    for minutes in (0, 15):
        fail(config, db_url, NOW + timedelta(minutes=minutes))
    session.expire_all()
    assert [p.kind for p in check(session, config, now=NOW + timedelta(minutes=20))] == []
    fail(config, db_url, NOW + timedelta(minutes=30))
    session.expire_all()
    problems = check(session, config, now=NOW + timedelta(minutes=31))
    assert len(problems) == 1
    p = problems[0]
    assert (p.source_id, p.source_name, p.kind, p.since) == ("feed", "区门户", "failing", NOW)
    assert p.detail == "连续3次采集失败：HTTP 500 after 1 attempt"
    assert session.get(Source, "feed").health == "failing"

    site.server.faults.clear()
    summary = collect_source(config, "feed", db_url=db_url, now=NOW + timedelta(minutes=45))
    assert summary.items_new == 6
    session.expire_all()
    assert check(session, config, now=NOW + timedelta(minutes=46)) == []
    row = session.get(Source, "feed")
    assert (row.health, row.consecutive_failures, row.last_error) == ("ok", 0, None)


def test_failing_streak_starts_after_the_last_success(site: Site, db_url: str, session: Session) -> None:
    config = feed_config(site, failure_threshold=2)
    collect_source(config, "feed", db_url=db_url, now=NOW)
    site.server.faults["/feed.xml"] = Fault(status=502)
    fail(config, db_url, NOW + timedelta(hours=1))
    fail(config, db_url, NOW + timedelta(hours=2))
    session.expire_all()
    [p] = check(session, config, now=NOW + timedelta(hours=2))
    assert (p.kind, p.since) == ("failing", NOW + timedelta(hours=1))


def test_silent_after_factor_times_cadence_but_not_before(site: Site, db_url: str, session: Session) -> None:
    config = feed_config(site)
    collect_source(config, "feed", db_url=db_url, now=NOW)  # 6 new items at NOW
    collect_source(config, "feed", db_url=db_url, now=NOW + timedelta(hours=2))  # not modified: alive, nothing new
    session.expire_all()
    assert check(session, config, now=NOW + timedelta(hours=3)) == []
    assert session.get(Source, "feed").health == "ok"
    [p] = check(session, config, now=NOW + timedelta(hours=3, minutes=1))
    assert (p.kind, p.since) == ("silent", NOW)
    assert p.detail == "已3小时无新增信息（正常更新周期约60分钟，超过3倍即视为沉默）"
    assert session.get(Source, "feed").health == "silent"


def test_never_collected_source_counts_silence_from_registration(db_url: str, session: Session) -> None:
    config = make_config([{"id": "feed", "name": "新源", "type": "rss", "channel": "news", "url": "http://127.0.0.1:9/x.xml", "cadence_minutes": 30}])
    sync_sources(session, config)
    created = session.get(Source, "feed").created_at
    assert check(session, config, now=created + timedelta(minutes=89)) == []
    [p] = check(session, config, now=created + timedelta(hours=5))
    assert (p.kind, p.since) == ("silent", created)
    assert "从未成功采集" in p.detail


def test_manual_sources_are_never_silent(site: Site, session: Session) -> None:
    config = feed_config(site)
    sync_sources(session, config)
    problems = check(session, config, now=NOW + timedelta(days=30))
    assert [p.source_id for p in problems] == ["feed"]
    assert session.get(Source, "print").health == "ok"
