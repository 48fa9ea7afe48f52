"""RSS/Atom feeds (portals, news sites) read with feedparser — and checked where it is lenient.

feedparser never refuses input, so we do: a zero-byte body, a body without a feed ``version``,
or a body that does not decode in its declared charset (a feed truncated inside a UTF-8
character would otherwise be read as iso-8859-2, every title garbled) fails the run with a
reason instead of storing nonsense. Dates are parsed by :mod:`yuqing.collection.dates`, not by
feedparser (which misreads Chinese dates and takes zone-less ones as UTC).
"""

from __future__ import annotations

from typing import Any
from xml.sax import SAXException

import feedparser

from yuqing.collection import http
from yuqing.collection.base import FetchContext, FetchError, FetchResult, RawItem
from yuqing.collection.dates import DateParseError, parse_datetime
from yuqing.collection.decode import DecodeError, decode_bytes
from yuqing.collection.text import content_hash, plain_text, safe_url
from yuqing.config import Source as SourceConfig

__all__ = ["fetch", "parse_feed"]


def _entry_text(entry: Any) -> str:
    for content in entry.get("content") or []:
        if content.get("value"):
            return plain_text(content["value"])
    return plain_text(entry.get("summary") or entry.get("description") or "")


def _engagement(entry: Any) -> dict[str, int]:
    count = entry.get("slash_comments") or entry.get("thr_total")
    try:
        return {"comments": int(count)} if count not in (None, "") else {}
    except (TypeError, ValueError):
        return {}


def parse_feed(
    body: bytes, *, url: str, ctx: FetchContext, header_charset: str | None = None, content_type: str = ""
) -> FetchResult:
    """Parse a feed body into items; raises FetchError when the body is not a usable feed."""
    if not body.strip():
        raise FetchError("empty response body, not a feed")
    try:
        decode_bytes(body, header_charset, what="feed")
    except DecodeError as exc:
        raise FetchError(str(exc)) from None
    # No content-location: feedparser would resolve a guid like "a1" against it, and the
    # external id would change with the feed's address. Links are resolved by safe_url below.
    headers = {"content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.get("version"):
        why = parsed.get("bozo_exception")
        raise FetchError(f"not an RSS/Atom feed{f' ({why})' if why else ''}")
    result = FetchResult()
    if parsed.get("bozo") and parsed.entries and isinstance(parsed.get("bozo_exception"), SAXException):
        result.problems.append(f"feed is not well-formed ({parsed.get('bozo_exception')}); entries read leniently")
    for n, entry in enumerate(parsed.entries, start=1):
        title = plain_text(entry.get("title")) or None
        text = _entry_text(entry)
        link = safe_url(entry.get("link"), url)
        if not (title or text):
            result.rejected += 1
            result.problems.append(f"entry {n}: no title and no text")
            continue
        external_id = plain_text(entry.get("id")) or link or content_hash(title, text)
        raw_date = entry.get("published") or entry.get("updated")
        published = None
        extra: dict[str, Any] = {}
        if raw_date:
            try:
                published = parse_datetime(raw_date, now=ctx.now)
            except DateParseError as exc:
                result.problems.append(f"entry {n} ({title or external_id}): {exc}; kept without a date")
                extra["date_raw"] = str(raw_date)
        author = plain_text(entry.get("author")) or plain_text(entry.get("source", {}).get("title")) or None
        if entry.get("source", {}).get("title"):
            extra["outlet"] = plain_text(entry["source"]["title"])
        result.items.append(
            RawItem(
                external_id=external_id,
                title=title,
                text=text or (title or ""),
                url=link,
                author=author,
                published_at=published,
                engagement=_engagement(entry),
                extra=extra,
            )
        )
    return result


def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    assert source.url
    resp = http.get_source(source, ctx)
    if resp.not_modified:
        return FetchResult(not_modified=True, etag=ctx.etag, last_modified=ctx.last_modified)
    result = parse_feed(resp.body, url=resp.url, ctx=ctx, header_charset=resp.encoding, content_type=resp.content_type)
    result.etag, result.last_modified = resp.etag, resp.last_modified
    return result
