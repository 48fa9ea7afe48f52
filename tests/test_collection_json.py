"""JSON APIs (C1 微博、网络问政) through a configured dotted-path field mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_collection_support import DEMO, NOW, Site, fast_retries_fixture, make_config, site_fixture  # noqa: F401

from yuqing.collection import SourceFailed, collect_source
from yuqing.collection.json_api import dig
from yuqing.models import Item

MAPPING = {"items_path": "data.list", "external_id": "id", "text": "body", "title": "title", "url": "link",
           "published_at": "time", "author": "user.name", "comments": "n.c", "reposts": "n.r", "likes": "n.l"}


def api_config(url: str, mapping: dict[str, str] = MAPPING):
    return make_config([{"id": "api", "name": "问政", "type": "json", "channel": "wenzheng", "url": url,
                         "mapping": mapping, "retries": 0}])


def stored(session: Session, source_id: str = "api") -> dict[str, Item]:
    session.expire_all()
    return {i.external_id: i for i in session.scalars(select(Item).where(Item.source_id == source_id))}


def test_records_are_mapped_and_bad_records_listed(site: Site, db_url: str, session: Session) -> None:
    records = [
        {"id": 101, "title": "<b>问</b>清风寺", "body": "清风寺\u0000收费", "link": "/d/101", "time": 1795134600000,
         "user": {"name": "市民"}, "n": {"c": "1,234", "r": "2.5万", "l": 7}},
        {"id": 102, "body": "没有日期的记录"},
        {"id": 103, "body": "日期坏了", "time": "上周"},
        {"title": "没有 id"},
        {"id": 105, "body": ""},
        {"id": 106, "body": "恶意链接", "link": "javascript:alert(1)"},
    ]
    url = site.put("api.json", json.dumps({"data": {"list": records}}, ensure_ascii=False))
    summary = collect_source(api_config(url), "api", db_url=db_url, now=NOW)
    assert (summary.items_found, summary.items_new, summary.items_rejected) == (4, 4, 2)
    assert "record 4: no id at 'id'" in summary.problems
    assert "record 5: no text at 'body'" in summary.problems
    assert any(p.startswith("record 3 (id 103): date '上周' not understood") for p in summary.problems)
    items = stored(session)
    first = items["101"]
    assert (first.title, first.text, first.author) == ("问清风寺", "清风寺收费", "市民")
    assert first.url == f"{site.base}/d/101"
    assert first.published_at == datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # unix milliseconds
    assert first.engagement == {"comments": 1234, "reposts": 25000, "likes": 7}
    assert items["106"].url is None
    assert items["103"].published_at is None and items["103"].extra["date_raw"] == "上周"


def test_demo_weibo_search_keeps_engagement_and_unix_dates(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DEMO / "site" / "weibo" / "search.json", "weibo/search.json") + "?q=江城"
    mapping = {"items_path": "data.statuses", "external_id": "mid", "text": "text", "url": "url",
               "published_at": "created_at", "author": "user.screen_name", "comments": "comments_count",
               "reposts": "reposts_count", "likes": "attitudes_count"}
    summary = collect_source(api_config(url, mapping), "api", db_url=db_url)
    assert (summary.items_new, summary.problems) == (26, [])
    post = stored(session)["4990009"]
    assert post.author == "江城晚报" and post.engagement == {"comments": 3380, "reposts": 4210, "likes": 12600}
    assert abs((datetime.now(UTC) - post.published_at).total_seconds() - 3 * 3600) < 120


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{\"data\": ", "invalid JSON: Expecting value: line 1 column 10"),
        ("", "empty response body, expected JSON"),
        ("{\"data\": {}}", "no 'data.list' in the JSON from"),
        ("{\"data\": {\"list\": {\"id\": 1}}}", "'data.list' in the JSON from"),
    ],
)
def test_unusable_json_fails_with_reason(site: Site, db_url: str, session: Session, body: str, reason: str) -> None:
    url = site.put("api.json", body)
    with pytest.raises(SourceFailed, match="source api") as exc:
        collect_source(api_config(url), "api", db_url=db_url)
    assert reason in str(exc.value)
    assert stored(session) == {}


def test_dig_follows_dotted_paths_and_list_indexes() -> None:
    record = {"a": {"b": [{"c": 1}, {"c": 2}]}}
    assert dig(record, "a.b.1.c") == 2
    assert dig(record, "a.b.-1.c") == 2
    assert dig(record, "") is record
    assert dig(record, "a.x") is not None and dig(record, "a.x") == dig(record, "a.b.5")  # both "missing"
