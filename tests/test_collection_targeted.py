"""舆情跟踪 (C2b): a targeted collection searches the sources that offer a search for the keywords."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_collection_support import DEMO, Site, fast_retries_fixture, make_config, site_fixture  # noqa: F401

from yuqing.collection.targeted import collect_keywords
from yuqing.config import ConfigError
from yuqing.models import AuditLog, Item

MAPPING = {"items_path": "data.statuses", "external_id": "mid", "text": "text", "url": "url",
           "published_at": "created_at", "author": "user.screen_name"}


def _config(search: str, broken: str):
    return make_config([
        {"id": "weibo", "name": "微博搜索", "type": "json", "channel": "weibo", "url": search + "?q=江城",
         "search_url": search + "?q={keyword}", "mapping": MAPPING, "retries": 0},
        {"id": "down", "name": "坏的搜索", "type": "json", "channel": "wenzheng", "url": broken,
         "search_url": broken + "?kw={keyword}", "mapping": MAPPING, "retries": 0},
        {"id": "portal", "name": "门户", "type": "rss", "channel": "portal", "url": search},  # no search: skipped
    ])


def test_c2b_keywords_are_searched_and_stored_once(site: Site, db_url: str, session: Session) -> None:
    search = site.copy(DEMO / "site" / "weibo" / "search.json", "weibo/search.json")
    broken = f"{site.base}/missing.json"
    config = _config(search, broken)

    first = collect_keywords(config, ["清风寺", " 香火钱 ", "清风寺"], db_url=db_url)
    by = {(s.source_id, s.status) for s in first}
    assert by == {("weibo", "success"), ("down", "failed")}  # one failing search never stops the others
    assert len([s for s in first if s.source_id == "weibo"]) == 2  # each keyword once, blanks trimmed
    queries = sorted(unquote(path.split("?q=")[1]) for path, *_ in site.hits("weibo/search.json"))
    assert queries == ["清风寺", "香火钱"]
    failed = next(s for s in first if s.source_id == "down")
    assert "search '清风寺'" in failed.problems[0] and "404" in failed.problems[0]

    stored = session.scalar(select(func.count()).select_from(Item).where(Item.source_id == "weibo"))
    assert stored and stored == sum(s.items_new for s in first)
    again = collect_keywords(config, ["清风寺"], db_url=db_url)
    assert [s.items_new for s in again if s.source_id == "weibo"] == [0]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Item).where(Item.source_id == "weibo")) == stored
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "collection.targeted")) == 3


@pytest.mark.parametrize(
    "source,reason",
    [
        ({"type": "json", "url": "http://127.0.0.1/x", "search_url": "http://127.0.0.1/x?q=", "mapping": MAPPING},
         "search_url must contain {keyword}"),
        ({"type": "hotline", "folder": "var/x", "search_url": "http://127.0.0.1/?q={keyword}"},
         "a source of type 'hotline' cannot be searched"),
    ],
)
def test_search_url_is_validated(source: dict, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        make_config([{"id": "s", "name": "s", "channel": "weibo", **source}])
