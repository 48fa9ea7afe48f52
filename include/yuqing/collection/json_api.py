"""JSON APIs (a Weibo-search-like endpoint, a 网络问政 board) read through a configured field mapping.

``mapping.items_path`` is a dotted path to the list of records (``data.list``; '' for a top-level
list); each other field of :class:`~yuqing.config.JsonMapping` is a dotted path inside a record
(``user.screen_name``, ``counts.reposts``; a number selects a list element: ``pics.0.url``).
A record without its id or its text is rejected and listed, the others are kept.
"""

from __future__ import annotations

import json
from typing import Any

from yuqing.collection import http
from yuqing.collection.base import FetchContext, FetchError, FetchResult, RawItem
from yuqing.collection.dates import DateParseError, parse_datetime
from yuqing.collection.decode import DecodeError, decode_bytes
from yuqing.collection.text import plain_text, safe_url
from yuqing.config import JsonMapping
from yuqing.config import Source as SourceConfig

__all__ = ["fetch", "parse_records", "dig"]

_MISSING = object()
ENGAGEMENT = ("comments", "reposts", "likes", "views")


def dig(record: Any, path: str) -> Any:
    """The value at a dotted path, or a sentinel when any step is missing."""
    node = record
    for part in path.split(".") if path else []:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _get(record: Any, path: str | None) -> Any:
    if not path:
        return None
    value = dig(record, path)
    return None if value is _MISSING else value


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    s = str(value).strip().replace(",", "")
    try:
        return int(float(s[:-1]) * 10000) if s.endswith("万") else int(float(s))
    except ValueError:
        return None


def parse_records(data: Any, *, url: str, mapping: JsonMapping, ctx: FetchContext) -> FetchResult:
    records = dig(data, mapping.items_path)
    if records is _MISSING:
        raise FetchError(f"no '{mapping.items_path}' in the JSON from {url}")
    if not isinstance(records, list):
        raise FetchError(f"'{mapping.items_path or '(top level)'}' in the JSON from {url} is not a list")
    result = FetchResult()
    for n, record in enumerate(records, start=1):
        ext = _get(record, mapping.external_id)
        text = plain_text(_get(record, mapping.text))
        if ext in (None, "") or not text:
            missing = "id" if ext in (None, "") else "text"
            result.rejected += 1
            result.problems.append(f"record {n}: no {missing} at '{getattr(mapping, 'external_id' if missing == 'id' else 'text')}'")
            continue
        extra: dict[str, Any] = {}
        published = None
        raw_date = _get(record, mapping.published_at)
        if raw_date not in (None, ""):
            try:
                published = parse_datetime(raw_date, now=ctx.now)
            except DateParseError as exc:
                result.problems.append(f"record {n} (id {ext}): {exc}; kept without a date")
                extra["date_raw"] = str(raw_date)
        engagement = {}
        for key in ENGAGEMENT:
            count = _to_int(_get(record, getattr(mapping, key)))
            if count is not None and count >= 0:
                engagement[key] = count
        result.items.append(
            RawItem(
                external_id=str(ext),
                title=plain_text(_get(record, mapping.title)) or None,
                text=text,
                url=safe_url(_get(record, mapping.url), url),
                author=plain_text(_get(record, mapping.author)) or None,
                published_at=published,
                engagement=engagement,
                extra=extra,
            )
        )
    return result


def fetch(source: SourceConfig, ctx: FetchContext) -> FetchResult:
    assert source.url and source.mapping
    resp = http.get_source(source, ctx)
    if resp.not_modified:
        return FetchResult(not_modified=True, etag=ctx.etag, last_modified=ctx.last_modified)
    if not resp.body.strip():
        raise FetchError("empty response body, expected JSON")
    try:
        data = json.loads(decode_bytes(resp.body, resp.encoding, what="JSON"))
    except DecodeError as exc:
        raise FetchError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise FetchError(f"invalid JSON: {exc}") from None
    result = parse_records(data, url=resp.url, mapping=source.mapping, ctx=ctx)
    result.etag, result.last_modified = resp.etag, resp.last_modified
    return result
