"""RSS/Atom collection (C1 门户网站、新闻): feedparser's blind spots handled, nothing stored wrongly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_collection_support import DATA, NOW, Site, fast_retries_fixture, make_config, site_fixture  # noqa: F401

from yuqing.collection import SourceFailed, collect_source
from yuqing.models import CollectionRun, Item


def feed_config(url: str, **extra: object):
    return make_config([{"id": "portal", "name": "某区政府门户", "type": "rss", "channel": "portal", "url": url, "retries": 0, **extra}])


def items(session: Session, source_id: str = "portal") -> dict[str, Item]:
    session.expire_all()
    return {i.external_id: i for i in session.scalars(select(Item).where(Item.source_id == source_id))}


def test_rss_edge_cases_are_read_with_beijing_dates_and_clean_text(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DATA / "feeds" / "edge_cases.xml", "feed.xml")
    summary = collect_source(feed_config(url), "portal", db_url=db_url, now=NOW)
    assert (summary.status, summary.items_found, summary.items_new) == ("success", 6, 6)
    got = items(session)
    assert got["a1"].published_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # 2026年11月20日 08:30
    assert got["a2"].published_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # 2026/11/20 8:30
    assert got["a3"].published_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # unix seconds
    assert got["a4"].published_at == datetime(2026, 11, 25, 11, 57, tzinfo=UTC)  # 3分钟前
    assert got["a5"].published_at == datetime(2026, 11, 24, 2, 20, tzinfo=UTC)  # 昨天 10:20
    assert got["a6"].published_at is None and got["a6"].extra["date_raw"] == "下周一"
    assert any("entry 6" in p and "下周一" in p and "kept without a date" in p for p in summary.problems)
    a4 = got["a4"]
    assert a4.url is None  # javascript: link dropped
    assert a4.title == "通知四：加粗标题"
    assert a4.text == "第一段\n第二段 & 结尾"
    assert "<" not in a4.text and "alert" not in a4.text


def test_nul_bytes_never_reach_the_store(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DATA / "feeds" / "nul_in_title.xml", "feed.xml")
    summary = collect_source(feed_config(url), "portal", db_url=db_url, now=NOW)
    assert summary.items_new == 1
    item = items(session)["n1"]
    assert item.title == "清风寺通知" and item.text == "正文内容"


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("truncated_utf8.xml", "feed is not valid utf-8 at byte 389 of 390 (truncated or mislabelled)"),
        ("empty.xml", "empty response body, not a feed"),
        ("not_a_feed.html", "not an RSS/Atom feed"),
    ],
)
def test_malformed_feed_fails_clearly_and_stores_nothing(
    site: Site, db_url: str, session: Session, fixture: str, reason: str
) -> None:
    url = site.copy(DATA / "feeds" / fixture, "feed.xml")
    with pytest.raises(SourceFailed) as exc:
        collect_source(feed_config(url), "portal", db_url=db_url, now=NOW)
    assert str(exc.value).startswith(f"source portal ({url}): ")
    assert reason in str(exc.value)
    assert items(session) == {}
    run = session.scalars(select(CollectionRun)).one()
    assert run.status == "failed" and reason in (run.error or "")


def test_second_run_sends_validators_and_gets_not_modified(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DATA / "feeds" / "edge_cases.xml", "feed.xml")
    config = feed_config(url)
    first = collect_source(config, "portal", db_url=db_url, now=NOW)
    second = collect_source(config, "portal", db_url=db_url, now=NOW)
    assert first.items_new == 6
    assert (second.status, second.items_found, second.items_new) == ("not_modified", 0, 0)
    conditional = site.hits("feed.xml")[1][2]
    assert conditional.get("If-None-Match") and conditional.get("If-Modified-Since")
    assert site.hits("feed.xml")[1][1] == 304
    statuses = session.scalars(select(CollectionRun.status).order_by(CollectionRun.id)).all()
    assert statuses == ["success", "not_modified"]


def test_changed_feed_stores_only_the_new_entries(site: Site, db_url: str, session: Session) -> None:
    path = DATA / "feeds" / "edge_cases.xml"
    url = site.copy(path, "feed.xml")
    config = feed_config(url)
    collect_source(config, "portal", db_url=db_url, now=NOW)
    extra = "<item><title>新通知</title><link>http://portal.example/a7.html</link><guid>a7</guid><description>新的</description></item>"
    site.put("feed.xml", path.read_text(encoding="utf-8").replace("</channel>", extra + "</channel>"))
    summary = collect_source(config, "portal", db_url=db_url, now=NOW)
    assert (summary.status, summary.items_found, summary.items_new) == ("success", 7, 1)
    assert session.scalar(select(func.count(Item.id))) == 7
