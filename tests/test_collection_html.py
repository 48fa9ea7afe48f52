"""HTML list pages (C1 论坛、新闻跟帖) with configured selectors and article extraction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_collection_support import (  # noqa: F401
    DATA,
    DEMO,
    NOW,
    Fault,
    Site,
    fast_retries_fixture,
    make_config,
    site_fixture,
)

from yuqing.collection import SourceFailed, collect_source
from yuqing.models import CollectionRun, Item

FORUM = {"item": "li.thread", "title": "a.title", "link": "a.title", "date": "span.time", "author": "span.author", "comments": "span.replies"}


def forum_config(url: str, **extra: object):
    src = {"id": "forum", "name": "论坛", "type": "html", "channel": "forum", "url": url, "selectors": FORUM, "retries": 0}
    return make_config([{**src, **extra}])


def stored(session: Session, source_id: str = "forum") -> dict[str, Item]:
    session.expire_all()
    return {i.external_id: i for i in session.scalars(select(Item).where(Item.source_id == source_id))}


@pytest.fixture
def forum(site: Site) -> str:
    for page in (DEMO / "site" / "forum").iterdir():
        site.copy(page, f"forum/{page.name}")
    return f"{site.base}/forum/list.html"


def test_forum_list_with_articles_is_collected_with_full_text(forum: str, site: Site, db_url: str, session: Session) -> None:
    summary = collect_source(forum_config(forum, fetch_article=True), "forum", db_url=db_url)
    assert (summary.status, summary.items_found, summary.items_new, summary.items_rejected) == ("success", 14, 14, 0)
    items = stored(session)
    thread = items[f"{site.base}/forum/thread-1001.html"]
    assert thread.title == "清风寺强制收“香火钱”还打人？今天亲眼所见"
    assert "老人家被推倒在台阶上" in thread.text  # from the article page, not the list
    assert "首页" not in thread.text and "登录" not in thread.text  # site chrome stripped
    assert thread.author == "江城老李" and thread.engagement == {"comments": 186}
    assert thread.published_at is not None and thread.published_at.tzinfo is not None
    ad = [i for i in items.values() if i.title and "代开发票" in i.title][0]
    assert ad.url is None  # its javascript: link was dropped
    assert any("javascript:" in p and "dropped" in p for p in summary.problems)


def test_articles_are_fetched_only_for_new_entries(forum: str, site: Site, db_url: str) -> None:
    config = forum_config(forum, fetch_article=True)
    collect_source(config, "forum", db_url=db_url)
    assert len(site.hits("forum/thread-1001.html")) == 1
    listing = (site.root / "forum" / "list.html").read_text(encoding="utf-8")
    site.put("forum/list.html", listing + "<!-- changed -->")  # new ETag, same entries
    summary = collect_source(config, "forum", db_url=db_url)
    assert (summary.status, summary.items_new) == ("success", 0)
    assert len(site.hits("forum/thread-1001.html")) == 1  # not fetched again


def test_failed_article_is_listed_and_retried_next_run(forum: str, site: Site, db_url: str, session: Session) -> None:
    config = forum_config(forum, fetch_article=True)
    site.server.faults["/forum/thread-1003.html"] = Fault(status=404, times=1)
    first = collect_source(config, "forum", db_url=db_url)
    assert (first.items_new, first.items_rejected) == (13, 1)
    assert any("thread-1003.html: HTTP 404; will be retried next run" in p for p in first.problems)
    second = collect_source(config, "forum", db_url=db_url)  # validators were forgotten: a full GET
    assert (second.status, second.items_new) == ("success", 1)
    assert "老人还在市二院" in stored(session)[f"{site.base}/forum/thread-1003.html"].text


def test_page_missing_its_selector_is_a_clear_failure(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DATA / "html" / "redesigned.html", "list.html")
    config = make_config([{"id": "forum", "name": "论坛", "type": "html", "channel": "forum", "url": url, "retries": 0,
                           "selectors": {"item": "div.post", "title": "a.t"}}])
    with pytest.raises(SourceFailed) as exc:
        collect_source(config, "forum", db_url=db_url)
    assert str(exc.value) == f"source forum ({url}): selector 'div.post' matched nothing on {url}"
    assert stored(session) == {}
    session.expire_all()
    assert session.scalars(select(CollectionRun.error)).one() == f"selector 'div.post' matched nothing on {url}"


def test_gbk_list_page_is_decoded_and_links_resolved(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DATA / "html" / "list_gbk.html", "bbs/list.html")
    config = make_config([{"id": "forum", "name": "论坛", "type": "html", "channel": "forum", "url": url,
                           "selectors": {"item": "div.post", "title": "a.t", "link": "a.t", "date": "em",
                                         "author": "span.u", "summary": "p.s", "comments": "i"}}])
    summary = collect_source(config, "forum", db_url=db_url, now=NOW)
    assert summary.items_new == 3
    items = stored(session)
    first = items[f"{site.base}/t/1.html"]
    assert (first.title, first.text, first.author) == ("清风寺收费问题", "寺庙门口收香火钱", "老李")
    assert first.engagement == {"comments": 12000}  # 回复(1.2万)
    assert first.published_at == datetime(2026, 11, 25, 1, 15, tzinfo=UTC)
    assert f"{site.base}/bbs/t/2.html" in items  # relative link resolved against the page
    assert items[f"{site.base}/bbs/t/2.html"].published_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_news_comment_page_without_articles(site: Site, db_url: str, session: Session) -> None:
    url = site.copy(DEMO / "site" / "comments" / "qingfengsi.html", "c.html")
    config = make_config([{"id": "comments", "name": "跟帖", "type": "html", "channel": "news_comment", "url": url,
                           "selectors": {"item": "div.comment", "title": "p.content", "link": "a.permalink",
                                         "date": "span.time", "author": "span.nick", "comments": "span.replies"}}])
    summary = collect_source(config, "comments", db_url=db_url)
    assert (summary.items_new, summary.problems) == (10, [])
    item = stored(session, "comments")[f"{url}#c88101"]
    assert item.text == "寺庙强制收费还打人，必须严查！宗教场所不是生意场。" and item.channel == "news_comment"
