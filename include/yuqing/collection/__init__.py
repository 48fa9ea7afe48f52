"""Collection (C1 检测收集): scheduled, incremental 7×24 collection from every channel type.

Adapters (one module each) read a source and hand back cleaned :class:`RawItem` values:
:mod:`.rss` (portals, news), :mod:`.html_list` (forums, boards, comment pages),
:mod:`.json_api` (Weibo-like search, 网络问政), :mod:`.hotline` (CSV/XLSX drop folder),
:mod:`.manual` (print media, phone tips). :func:`collect_source` runs one source and records
the run; :mod:`.health` turns failing or silent sources into problems (不漏报).
"""

from __future__ import annotations

from yuqing.collection.base import FetchError, RawItem, SourceFailed
from yuqing.collection.manual import add_manual_item
from yuqing.collection.run import CollectionSummary, collect_source
from yuqing.collection.sources import sync_sources
from yuqing.collection.store import store_items

__all__ = [
    "CollectionSummary",
    "FetchError",
    "RawItem",
    "SourceFailed",
    "add_manual_item",
    "collect_source",
    "store_items",
    "sync_sources",
]
