"""Incremental event clustering (舆情事件聚类): single-pass TF-IDF with an inverted index, windowed.

Each relevant original item becomes a small weighted term vector: its content words (jieba with
the office's user dictionary) and lexicon hits, each weighted by a domain prior × an IDF learned
online from the stream. Priors: category terms 2, places 1.5 (a venue alone does not make two
posts one matter: a fight at 清风寺 and its ticket price are two events), other words 1, agency
names 0.3 (they appear in nearly everything), numbers 0.

An event keeps a centroid (the summed term weights of its members, trimmed to its strongest
``CENTROID_SIZE`` terms, log-damped when compared so that a venue every member names does not
swallow every other post about that venue). A new item looks up the open events sharing one of its terms through
an inverted index (so the cost does not grow with the number of open events), scores the best
``MAX_CANDIDATES`` by cosine similarity, and joins the best one if it reaches ``similarity``
(``grading.similarity`` in yuqing.yaml) and shares at least ``MIN_SHARED`` content words with it
(places and agency names do not count: the same venue alone is not the same matter), and — when
both name places — names one of the event's places (the same complaint about another venue is
another matter; the city every other post names does not count);
otherwise it opens a new event. When the item is that close to a second event too, and the two
events' centroids are close to each other, the smaller event is merged into the larger one
(``merges`` lists them so the caller can relabel members).

Bounded: events not seen for ``window`` of stream time are closed (``pop_closed``), and at most
``capacity`` events are open, the longest quiet closed first. Open events of earlier runs are
loaded with their stored signature (``open_event``), so a post at 10:15 joins the event its 10:00
predecessors opened.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from yuqing.analysis.lexicon import LexiconHits

SIGNATURE_SIZE = 20
CENTROID_SIZE = 40
ITEM_TERMS = 16
MIN_SHARED = 2
MAX_CANDIDATES = 8
HOT_SIZE = 4
HOT_WINDOW = timedelta(hours=6)
HOT_COVERAGE = 0.3
HOT_TOP = 10
HOT_MIN_SHARED = 1
PER_TERM = 16
"""Open events looked at per shared term, most recently joined first."""
MERGE_FACTOR = 1.0
"""Two events merge when their centroids are at least ``similarity × MERGE_FACTOR`` alike."""
DEFAULT_CAPACITY = 50_000
IDF_PRIOR_DOCS = 50
"""Pseudo-documents in the IDF: a run of a dozen items falls back to the lexicon priors."""
COMMON_ANCHOR = 0.2
COMMON_SHARE = 0.05
"""A term in more than this share of the stream (after 1000 items) finds no candidates alone."""


def _damp(weight: float) -> float:
    """Centroid weights grow with the log of their sum: a venue named by every member must not
    outweigh what the members say, or the event swallows every post about the venue."""
    return 1.0 + math.log1p(weight)


class TermWeights:
    """How much a shared term says about two items being about the same matter (the prior)."""

    def __init__(self, places: Iterable[str], category_terms: Iterable[str], agency_terms: Iterable[str]):
        self._places = frozenset(places)
        self._category = frozenset(category_terms)
        self._agency = frozenset(agency_terms)
        self._cache: dict[str, float] = {}

    def is_content(self, term: str) -> bool:
        """A word that says what happened (not where, not which office): two of them must be shared."""
        return term not in self._places and term not in self._agency

    def is_place(self, term: str) -> bool:
        return term in self._places

    def keyword_terms(self) -> frozenset[str]:
        """Terms whose hourly counts make a keyword baseline for velocity: places and category terms."""
        return self._places | self._category

    def __call__(self, term: str) -> float:
        w = self._cache.get(term)
        if w is None:
            if term in self._places:
                w = 1.5
            elif term in self._category:
                w = 2.0
            elif term in self._agency:
                w = 0.3
            elif term.isdigit() or not any(ch.isalpha() for ch in term):
                w = 0.0
            else:
                w = 1.0
            if len(self._cache) < 200_000:
                self._cache[term] = w
        return w


def item_terms(hits: LexiconHits, keywords: list[str], weight: TermWeights) -> dict[str, float]:
    """The item's key terms with their prior weight × (1 + log tf), strongest first, at most ``ITEM_TERMS``."""
    counts: dict[str, int] = {}
    for t in keywords:
        counts[t] = counts.get(t, 0) + 1
    for t in hits.places:
        counts[t] = counts.get(t, 0) + 1
    for ts in hits.categories.values():
        for t in ts:
            counts[t] = counts.get(t, 0) + 1
    for t in hits.agency:
        counts[t] = counts.get(t, 0) + 1
    terms: dict[str, float] = {}
    log = math.log
    cache = weight._cache
    for t, n in counts.items():
        w = cache.get(t)
        if w is None:
            w = weight(t)
        if w > 0:
            terms[t] = w if n == 1 else w * (1.0 + log(n))
    if len(terms) > ITEM_TERMS:
        terms = dict(sorted(terms.items(), key=lambda kv: -kv[1])[:ITEM_TERMS])
    return terms


@dataclass(eq=False)
class EventDraft:
    """An event while grouping: its key, centroid, last activity and the items that joined now."""

    key: Any
    counts: dict[str, float]
    is_new: bool
    last_seen: datetime | None = None
    size: int = 0
    new_items: list[Any] = field(default_factory=list)
    norm: float = 0.0
    """The centroid's TF-IDF length (0: to be computed), refreshed when the event has grown by a tenth."""
    norm_size: int = 0
    vec: dict[str, float] | None = None
    """The centroid as damped TF-IDF weights, computed with ``norm`` (slightly stale between refreshes)."""
    anchors: dict[str, int] = field(default_factory=dict)
    """Places and venues its members name, with how many did."""
    top: frozenset[str] | None = None
    main: frozenset[str] | None = None

    def main_anchors(self) -> frozenset[str]:
        """The places most of its members name (at least a third as often as the most named one)."""
        if self.main is None:
            top = max(self.anchors.values(), default=0)
            self.main = frozenset(a for a, n in self.anchors.items() if n * 3 >= top)
        return self.main

    def signature(self, weight: TermWeights | None = None) -> list[str]:
        return sorted(self.counts, key=lambda t: (-self.counts[t], t))[:SIGNATURE_SIZE]


class EventGrouper:
    """Single-pass grouping of items into open events."""

    def __init__(
        self,
        similarity: float,
        weight: TermWeights,
        window: timedelta | None = None,
        capacity: int = DEFAULT_CAPACITY,
    ):
        self.similarity = similarity
        self.weight = weight
        self.window = window
        self.capacity = capacity
        self.events: OrderedDict[Any, EventDraft] = OrderedDict()
        self.index: dict[str, dict[Any, None]] = {}
        self.anchor_index: dict[str, dict[Any, None]] = {}
        self.big: set[Any] = set()
        """Open events with at least ``HOT_SIZE`` items (the only ones that can be hot)."""
        """place → open events whose members name it, most recently joined last."""
        """term → open events whose centroid has it, most recently joined last."""
        self.df: dict[str, int] = {}
        self.anchor_df: dict[str, int] = {}
        self._idf: dict[str, float] = {}
        self._idf_docs = 0
        self.docs = 0
        self.latest: datetime | None = None
        self.merges: list[tuple[Any, Any]] = []
        self._closed: list[EventDraft] = []

    # -- weights --------------------------------------------------------------------------------
    def idf(self, term: str) -> float:
        """log((N + prior) / (df + 1)) + 1, cached until the stream has grown by a twentieth."""
        value = self._idf.get(term)
        if value is None:
            if self.docs > self._idf_docs * 1.05 + 10:
                self._idf.clear()
                self._idf_docs = self.docs
            value = self._idf[term] = math.log((self.docs + IDF_PRIOR_DOCS) / (self.df.get(term, 0) + 1)) + 1.0
        return value

    def observe(self, terms: Iterable[str], anchors: Iterable[str] = ()) -> None:
        """Count an item's terms for the IDF (every relevant item, duplicates too, is a document)."""
        self.docs += 1
        df = self.df
        for t in terms:
            df[t] = df.get(t, 0) + 1
        for a in anchors:
            self.anchor_df[a] = self.anchor_df.get(a, 0) + 1
        if len(df) > 500_000:  # a vocabulary that large is mostly noise: keep the terms seen more than once
            self.df = {t: n for t, n in df.items() if n > 1}

    def specific(self, anchors: frozenset[str]) -> frozenset[str]:
        """Anchors that say where: not the city every other post names (over ``COMMON_ANCHOR`` of items)."""
        if self.docs < 200 or not anchors:
            return anchors
        limit = self.docs * COMMON_ANCHOR
        return frozenset(a for a in anchors if self.anchor_df.get(a, 0) <= limit)

    def vector(self, terms: dict[str, float]) -> dict[str, float]:
        return {t: w * self.idf(t) for t, w in terms.items()}

    # -- lifecycle ------------------------------------------------------------------------------
    def open_event(
        self,
        key: Any,
        signature: list[str],
        item_count: int = 1,
        last_seen: datetime | None = None,
        anchors: Iterable[str] = (),
    ) -> None:
        """Make an event of an earlier run joinable; earlier terms count as seen ``item_count`` times."""
        n = max(1, item_count)
        counts = {t: max(1.0, n - i // 4) * self.weight(t) or 0.1 for i, t in enumerate(signature)}
        draft = EventDraft(key, counts, is_new=False, last_seen=last_seen, size=n, anchors=dict.fromkeys(anchors, n))
        self.events[key] = draft
        self._index(draft, counts)
        if draft.size >= HOT_SIZE:
            self.big.add(key)
        for a in draft.anchors:
            self.anchor_index.setdefault(a, {})[key] = None

    def create(
        self, key: Any, item_key: Any, terms: dict[str, float], at: datetime | None = None, anchors: Iterable[str] = ()
    ) -> EventDraft:
        draft = EventDraft(key, {}, is_new=True)
        self.events[key] = draft
        self.join(key, item_key, terms, at, anchors)
        return draft

    def join(
        self, key: Any, item_key: Any, terms: dict[str, float], at: datetime | None = None, anchors: Iterable[str] = ()
    ) -> None:
        """Record membership (duplicates join too: a repost is more reaction to the same matter)."""
        draft = self.events[key]
        if anchors:
            draft.main = None
        for a in anchors:
            draft.anchors[a] = draft.anchors.get(a, 0) + 1
            keys = self.anchor_index.get(a)
            if keys is None:
                self.anchor_index[a] = {key: None}
            else:
                keys.pop(key, None)
                keys[key] = None
        counts = draft.counts
        for t, w in terms.items():
            counts[t] = counts.get(t, 0.0) + w
        if len(counts) > CENTROID_SIZE * 2:
            keep = dict(sorted(counts.items(), key=lambda kv: -kv[1])[:CENTROID_SIZE])
            for t in counts.keys() - keep.keys():
                self._unindex(t, key)
            draft.counts = counts = keep
        self._index(draft, terms)
        draft.size += 1
        if draft.size >= HOT_SIZE:
            self.big.add(key)
        if draft.size > draft.norm_size * 1.1:
            draft.norm = 0.0
        draft.new_items.append(item_key)
        self._touch(draft, at)

    def assign(
        self, item_key: Any, terms: dict[str, float], at: datetime | None = None, anchors: Iterable[str] = ()
    ) -> Any | None:
        """Add the item to the best matching open event and return its key, or None if none fits."""
        self._advance(at)
        anchors = frozenset(anchors)
        scored = self.candidates(terms, at, anchors)
        if not scored:
            return None
        best_sim, best = scored[0]
        self.join(best.key, item_key, terms, at, anchors)
        if len(scored) > 1:
            second = scored[1][1]
            if self.centroid_similarity(best, second) >= self.similarity * MERGE_FACTOR:
                self.merge(second.key, best.key) if second.size <= best.size else self.merge(best.key, second.key)
                return best.key if second.size <= best.size else second.key
        return best.key

    def candidates(
        self, terms: dict[str, float], at: datetime | None = None, anchors: frozenset[str] = frozenset()
    ) -> list[tuple[float, EventDraft]]:
        """Open events the item reaches the threshold with, best first.

        An item must name one of the event's main places when both name places. A hot event — at
        least ``HOT_SIZE`` items, the last one less than ``HOT_WINDOW`` before this item — also takes
        an item whose TF-IDF weight lies ≥ ``HOT_COVERAGE`` on the event's terms, however different
        its length and direction, when all the places the item names are the event's main places and
        it shares one of the event's ``HOT_TOP`` strongest content words (two when it names no
        place): while 清风寺 is in the news, "清风寺打人事件到底怎么处理" is about it.
        """
        anchors = self.specific(anchors)
        if not terms:
            return []
        common = self.docs * COMMON_SHARE if self.docs >= 1000 else math.inf
        shared: Counter[Any] = Counter()
        for t in terms:
            keys = self.index.get(t)
            if keys and self.df.get(t, 0) <= common:
                shared.update(iter(keys) if len(keys) <= PER_TERM else islice(reversed(keys), PER_TERM))
        hot: dict[Any, None] = {}
        if at is not None:
            for a in sorted(anchors):
                for key in islice(reversed(self.anchor_index.get(a, {})), PER_TERM):
                    if key in self.big and key not in hot:
                        draft = self.events[key]
                        if self._is_hot(draft, at) and anchors <= draft.main_anchors():
                            hot[key] = None
        if not shared and not hot:
            return []
        vec = self.vector(terms)
        norm = math.sqrt(sum(v * v for v in vec.values()))
        content = [t for t in terms if self.weight.is_content(t)]
        keys = [k for k, n in shared.most_common(MAX_CANDIDATES) if n >= MIN_SHARED]
        keys += [k for k in hot if k not in keys]
        out = []
        for key in keys:
            draft = self.events[key]
            if anchors and draft.anchors and anchors.isdisjoint(draft.main_anchors()):
                continue  # the same words about another place: another matter
            content_shared = sum(1 for t in content if t in draft.counts)
            if content_shared >= MIN_SHARED:
                sim = self._cosine(vec, norm, draft)
                if sim >= self.similarity:
                    out.append((sim, draft))
                    continue
            hot_here = key in hot or (not anchors and key in self.big and self._is_hot(draft, at))
            if hot_here and content_shared >= (HOT_MIN_SHARED if anchors else MIN_SHARED):
                top = self._top_content(draft)
                if sum(1 for t in content if t in top) < (HOT_MIN_SHARED if anchors else MIN_SHARED):
                    continue  # what it shares is incidental, not what the event is about
                covered = self._coverage(vec, draft)
                if covered >= HOT_COVERAGE:
                    out.append((self.similarity * covered, draft))
        out.sort(key=lambda x: -x[0])
        return out

    @staticmethod
    def _is_hot(draft: EventDraft, at: datetime | None) -> bool:
        return (
            at is not None and draft.size >= HOT_SIZE and draft.last_seen is not None
            and at - draft.last_seen <= HOT_WINDOW
        )

    def _top_content(self, draft: EventDraft) -> frozenset[str]:
        """The event's ``HOT_TOP`` strongest content words (refreshed with its norm)."""
        if draft.top is None or not draft.norm:
            ranked = sorted(
                (t for t in draft.counts if self.weight.is_content(t)),
                key=lambda t: -_damp(draft.counts[t]) * self.idf(t),
            )
            draft.top = frozenset(ranked[:HOT_TOP])
        return draft.top

    @staticmethod
    def _coverage(vec: dict[str, float], draft: EventDraft) -> float:
        """The share of the item's TF-IDF weight on terms the event already has."""
        total = sum(vec.values())
        counts = draft.counts
        return sum(v for t, v in vec.items() if t in counts) / total if total else 0.0

    def merge(self, absorbed: Any, into: Any) -> None:
        """Fold event ``absorbed`` into ``into``; callers relabel through ``merges``."""
        a, b = self.events.pop(absorbed), self.events[into]
        self._unanchor(a)
        self.big.discard(absorbed)
        b.main = None
        for anchor, n in a.anchors.items():
            b.anchors[anchor] = b.anchors.get(anchor, 0) + n
            self.anchor_index.setdefault(anchor, {})[into] = None
        for t, w in a.counts.items():
            self._unindex(t, absorbed)
            b.counts[t] = b.counts.get(t, 0.0) + w
        self._index(b, a.counts)
        b.norm = 0.0
        b.size += a.size
        if b.size >= HOT_SIZE:
            self.big.add(into)
        b.new_items.extend(a.new_items)
        if a.last_seen and (b.last_seen is None or a.last_seen > b.last_seen):
            b.last_seen = a.last_seen
        self.merges.append((absorbed, into))

    def pop_closed(self) -> list[EventDraft]:
        """Events closed since the last call (quiet for the window, or pushed out by capacity)."""
        closed, self._closed = self._closed, []
        return closed

    def close_all(self) -> list[EventDraft]:
        closed = self.pop_closed() + list(self.events.values())
        self.events.clear()
        self.index.clear()
        self.anchor_index.clear()
        self.big.clear()
        return closed

    # -- helpers --------------------------------------------------------------------------------
    def centrality(self, terms: dict[str, float] | list[str], key: Any) -> float:
        """How well an item stands for its event: the centroid weight of its terms."""
        draft = self.events.get(key)
        if draft is None:
            return 0.0
        return sum(draft.counts.get(t, 0.0) * self.idf(t) for t in terms)

    def centroid_similarity(self, a: EventDraft, b: EventDraft) -> float:
        va = {t: _damp(w) * self.idf(t) for t, w in a.counts.items()}
        na = math.sqrt(sum(v * v for v in va.values()))
        return self._cosine(va, na, b)

    def _cosine(self, vec: dict[str, float], norm: float, draft: EventDraft) -> float:
        """Cosine of an item vector with the event's damped TF-IDF centroid (cached with its norm)."""
        if not norm:
            return 0.0
        if not draft.norm or draft.vec is None:
            idf = self.idf
            draft.vec = {t: _damp(w) * idf(t) for t, w in draft.counts.items()}
            draft.norm = math.sqrt(sum(v * v for v in draft.vec.values()))
            draft.norm_size = draft.size
            draft.top = None
        centroid = draft.vec
        dot = 0.0
        for t, x in vec.items():
            v = centroid.get(t)
            if v is not None:
                dot += x * v
        if not dot or not draft.norm:
            return 0.0
        return dot / (norm * draft.norm)

    def _index(self, draft: EventDraft, terms: Iterable[str]) -> None:
        key = draft.key
        index = self.index
        for t in terms:
            if t in draft.counts:
                keys = index.get(t)
                if keys is None:
                    index[t] = {key: None}
                else:
                    keys.pop(key, None)
                    keys[key] = None

    def _unanchor(self, draft: EventDraft) -> None:
        for a in draft.anchors:
            keys = self.anchor_index.get(a)
            if keys is not None:
                keys.pop(draft.key, None)
                if not keys:
                    del self.anchor_index[a]

    def _unindex(self, term: str, key: Any) -> None:
        keys = self.index.get(term)
        if keys is not None:
            keys.pop(key, None)
            if not keys:
                del self.index[term]

    def _touch(self, draft: EventDraft, at: datetime | None) -> None:
        if at is not None and (draft.last_seen is None or at > draft.last_seen):
            draft.last_seen = at
        self.events.move_to_end(draft.key)
        self._advance(at)

    def _advance(self, at: datetime | None) -> None:
        """Move stream time forward and close events that went quiet or exceed capacity."""
        if at is not None and (self.latest is None or at > self.latest):
            self.latest = at
        cutoff = self.latest - self.window if (self.window is not None and self.latest is not None) else None
        events = self.events
        while events:
            key, draft = next(iter(events.items()))
            quiet = cutoff is not None and draft.last_seen is not None and draft.last_seen < cutoff
            if not quiet and len(events) <= self.capacity:
                break
            del events[key]
            for t in draft.counts:
                self._unindex(t, key)
            self._unanchor(draft)
            self.big.discard(key)
            self._closed.append(draft)
