"""HTML list pages (forums, 网络问政 boards, news comment pages) read with configured selectors.

The list page gives one entry per ``selectors.item``; inside it, ``title``/``link``/``date``/
``summary``/``author``/``comments`` are CSS selectors (selectolax, lexbor engine). With
``fetch_article: true`` each *new* entry's link is followed and its main text extracted by
trafilatura, which is built to strip navigation, ads and footers from article pages.

A list page on which the item selector matches nothing is a failure, not "no news": sites get
redesigned, and a silently empty source is exactly the 漏报 the policy forbids.
"""

from __future__ import annotations

import re
from typing import Any

import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode

from yuqing.collection import http
from yuqing.collection.base import FetchContext, FetchError, FetchResult, RawItem
from yuqing.collection.dates import DateParseError, parse_datetime
from yuqing.collection.decode import DecodeError, decode_bytes
from yuqing.collection.text import content_hash, plain_text, safe_url
from yuqing.config import HtmlSelectors
from yuqing.config import Source as SourceConfig

__all__ = ["fetch", "parse_list", "extract_article"]

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万)?")


def _first(node: LexborNode, selector: str | None) -> LexborNode | None:
    return node.css_first(selector) if selector else None


def _text(node: LexborNode | None) -> str:
    return plain_text(node.html) if node is not None and node.html else ""


def _count(text: str) -> int | None:
    """``评论(1,234)`` → 1234, ``3.2万`` → 32000; None when there is no number."""
    m = _NUMBER.search(text.replace(",", ""))
    if not m:
        return None
    value = float(m[1]) * (10000 if m[2] else 1)
    return int(value)


def parse_list(html: str, *, url: str, selectors: HtmlSelectors, ctx: FetchContext) -> FetchResult:
    """Entries of one list page; raises FetchError when the item selector matches nothing."""
    tree = LexborHTMLParser(html)
    nodes = tree.css(selectors.item)
    if not nodes:
        raise FetchError(f"selector '{selectors.item}' matched nothing on {url}")
    result = FetchResult()
    for n, node in enumerate(nodes, start=1):
        title_node = _first(node, selectors.title)
        title = _text(title_node) or None
        link_node = _first(node, selectors.link) if selectors.link else title_node
        href = link_node.attributes.get("href") if link_node is not None else None
        link = safe_url(href, url)
        if href and link is None:
            result.problems.append(f"entry {n}: link {href!r} dropped (not http/https)")
        summary = _text(_first(node, selectors.summary))
        if not (title or summary):
            result.rejected += 1
            result.problems.append(f"entry {n}: selector '{selectors.title}' found no title and there is no summary")
            continue
        extra: dict[str, Any] = {}
        published = None
        date_node = _first(node, selectors.date)
        if selectors.date:
            raw_date = (date_node.attributes.get("datetime") if date_node is not None else None) or _text(date_node)
            if raw_date:
                try:
                    published = parse_datetime(raw_date, now=ctx.now)
                except DateParseError as exc:
                    result.problems.append(f"entry {n} ({title or summary[:20]}): {exc}; kept without a date")
                    extra["date_raw"] = raw_date
        engagement: dict[str, int] = {}
        if selectors.comments:
            count = _count(_text(_first(node, selectors.comments)))
            if count is not None:
                engagement["comments"] = count
        result.items.append(
            RawItem(
                external_id=link or content_hash(title, summary),
                title=title,
                text=summary or (title or ""),
                url=link,
                author=_text(_first(node, selectors.author)) or None,
                published_at=published,
                engagement=engagement,
                extra=extra,
            )
        )
    return result


def extract_article(html: str, url: str) -> str:
    """Main text of an article page: trafilatura, after dropping what is boilerplate by markup.

    Site chrome (``header``/``nav``/``footer``/``aside``) is removed first, because on a short
    post trafilatura's recall mode would otherwise take the navigation for content.
    """
    tree = LexborHTMLParser(html)
    for node in tree.css("script, style, noscript, header, nav, footer, aside, form"):
        node.decompose()
    cleaned = tree.html or html
    for recall in (False, True):  # precise first; recall for short pages precision drops entirely
        text = trafilatura.extract(cleaned, url=url, include_comments=False, include_tables=True, favor_recall=recall)
        if text and text.strip():
            return plain_text(text)
    main = tree.css_first("article") or tree.css_first("main") or tree.body
    return plain_text(main.html) if main is not None and main.html else ""


def _follow_articles(source: SourceConfig, result: FetchResult, ctx: FetchContext) -> None:
    """Fetch article text for entries not stored yet; an entry whose page fails waits for the next run."""
    known = ctx.known([it.external_id for it in result.items])
    kept: list[RawItem] = []
    for item in result.items:
        if item.external_id in known or not item.url:
            kept.append(item)
            continue
        try:
            resp = http.get(item.url, timeout=source.timeout_seconds, retries=source.retries)
            body = extract_article(decode_bytes(resp.body, resp.encoding, what="article"), resp.url)
        except (FetchError, DecodeError) as exc:
            result.rejected += 1
            result.problems.append(f"article {item.url}: {exc}; will be retried next run")
            continue
        if body:
            if item.text and item.text != item.title:
                item.extra["list_summary"] = item.text
            item.text = body
        kept.append(item)
    result.items = kept


def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    assert source.url and source.selectors
    resp = http.get_source(source, ctx)
    if resp.not_modified:
        return FetchResult(not_modified=True, etag=ctx.etag, last_modified=ctx.last_modified)
    try:
        html = decode_bytes(resp.body, resp.encoding, what="list page")
    except DecodeError as exc:
        raise FetchError(str(exc)) from None
    result = parse_list(html, url=resp.url, selectors=source.selectors, ctx=ctx)
    result.etag, result.last_modified = resp.etag, resp.last_modified
    if source.fetch_article:
        before = result.rejected
        _follow_articles(source, result, ctx)
        if result.rejected > before:  # forget the validators so the failed articles are retried
            result.etag = result.last_modified = None
    return result
