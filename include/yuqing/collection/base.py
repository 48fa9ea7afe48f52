"""What every adapter hands back, and the errors that stop a source's run.

Adapters only read: they turn a source's response (or dropped files) into :class:`RawItem` values
and never touch the store. :mod:`yuqing.collection.run` stores the items, moves the cursor and
records the run, so the bookkeeping lives in one place for every kind of source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yuqing.config import Config
from yuqing.config import Source as SourceConfig

__all__ = ["RawItem", "FetchResult", "FetchContext", "FetchError", "SourceFailed"]


@dataclass
class RawItem:
    """One post/article/record as read from a source, already cleaned to plain text."""

    external_id: str
    text: str
    title: str | None = None
    url: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FetchResult:
    """The outcome of reading a source once.

    ``problems`` are things a person should see but that do not fail the run (a bad row, an
    unreadable date); ``rejected`` counts the entries that were dropped because of them.
    ``after_commit`` runs once the items are safely stored (e.g. moving hotline files away),
    so a crash in between costs a harmless re-read, never a lost record.
    """

    items: list[RawItem] = field(default_factory=list)
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], list[str]]] = field(default_factory=list)


@dataclass
class FetchContext:
    """What an adapter may know besides its own source config."""

    config: Config
    now: datetime
    etag: str | None = None
    last_modified: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    known: Callable[[Iterable[str]], set[str]] = lambda ids: set()
    """Which of these external ids are already stored (so articles are fetched only for new posts)."""


class FetchError(Exception):
    """A source could not be read at all; the message says why (HTTP status, timeout, bad feed)."""


class SourceFailed(Exception):
    """Raised by ``collect_source`` after a failed run has been recorded and committed."""

    def __init__(self, source: SourceConfig, reason: str):
        self.source_id = source.id
        self.reason = reason
        where = source.url or source.folder or source.type
        super().__init__(f"source {source.id} ({where}): {reason}")
