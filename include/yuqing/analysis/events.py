"""Incremental event grouping (舆情事件聚类), first version.

Each relevant item carries a small set of key terms: the configured places (weight 3), category
terms (2), agency names (0.5, they appear in nearly everything) and its other content words (1).
An item joins the open event whose signature covers the largest weighted share of its terms, if
that share reaches ``grading.similarity`` with at least two shared terms; otherwise it opens a
new event. Open events of earlier runs are loaded with their stored signature, so a post at
10:15 joins the event its 10:00 predecessors opened. Signatures are plain term lists (stored on
``events.signature``); term weights are recomputed from the lexicon, so nothing else is stored.

The full-analysis issue replaces the term overlap with TF-IDF (or a small offline embedding)
and adds merging; the ``EventGrouper`` interface (``open_event`` / ``assign`` / ``create``)
is what the pipeline relies on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from yuqing.analysis.lexicon import LexiconHits

SIGNATURE_SIZE = 20
ITEM_TERMS = 12
MIN_SHARED = 2


class TermWeights:
    """How much a shared term says about two items being about the same matter."""

    def __init__(self, places: Iterable[str], category_terms: Iterable[str], agency_terms: Iterable[str]):
        self._places = frozenset(places)
        self._category = frozenset(category_terms)
        self._agency = frozenset(agency_terms)

    def __call__(self, term: str) -> float:
        if term in self._places:
            return 3.0
        if term in self._category:
            return 2.0
        if term in self._agency:
            return 0.5
        return 1.0


def item_terms(hits: LexiconHits, keywords: list[str], weight: TermWeights) -> list[str]:
    """The item's key terms, most telling first: lexicon hits, then its most frequent words."""
    counts = Counter(keywords)
    terms: dict[str, float] = {}
    for t in hits.places + tuple(t for ts in hits.categories.values() for t in ts) + hits.agency:
        terms[t] = weight(t) * 10
    for t, n in counts.items():
        terms.setdefault(t, weight(t) * n)
    ranked = sorted(terms, key=lambda t: (-terms[t], keywords.index(t) if t in counts else -1))
    return ranked[:ITEM_TERMS]


@dataclass
class EventDraft:
    """An event while a run is grouping: its key, term counts and the items that joined now."""

    key: Any
    counts: Counter[str]
    is_new: bool
    new_items: list[Any] = field(default_factory=list)

    def signature(self, weight: TermWeights) -> list[str]:
        ranked = sorted(self.counts, key=lambda t: (-self.counts[t] * weight(t), t))
        return ranked[:SIGNATURE_SIZE]


class EventGrouper:
    """Single-pass grouping of items into open events."""

    def __init__(self, similarity: float, weight: TermWeights):
        self.similarity = similarity
        self.weight = weight
        self.events: dict[Any, EventDraft] = {}

    def open_event(self, key: Any, signature: list[str], item_count: int = 1) -> None:
        """Make an event of an earlier run joinable; earlier terms count as seen ``item_count`` times."""
        n = max(1, item_count)
        counts = Counter({t: max(1, n - i // 4) for i, t in enumerate(signature)})
        self.events[key] = EventDraft(key, counts, is_new=False)

    def similarity_to(self, terms: list[str], draft: EventDraft) -> tuple[float, int]:
        total = sum(self.weight(t) for t in terms)
        shared = [t for t in terms if t in draft.counts]
        if not total:
            return 0.0, 0
        return sum(self.weight(t) for t in shared) / total, len(shared)

    def assign(self, item_key: Any, terms: list[str]) -> Any | None:
        """Add the item to the best matching open event and return its key, or None if none fits."""
        best, best_sim = None, 0.0
        for draft in self.events.values():
            sim, shared = self.similarity_to(terms, draft)
            if shared >= MIN_SHARED and sim >= self.similarity and sim > best_sim:
                best, best_sim = draft, sim
        if best is None:
            return None
        self.join(best.key, item_key, terms)
        return best.key

    def create(self, key: Any, item_key: Any, terms: list[str]) -> EventDraft:
        draft = EventDraft(key, Counter(), is_new=True)
        self.events[key] = draft
        self.join(key, item_key, terms)
        return draft

    def join(self, key: Any, item_key: Any, terms: list[str]) -> None:
        """Record membership (duplicates join too: a repost is more reaction to the same matter)."""
        draft = self.events[key]
        draft.counts.update(set(terms))
        draft.new_items.append(item_key)

    def centrality(self, terms: list[str], key: Any) -> float:
        """How well an item stands for its event: the weight of its terms in the signature."""
        draft = self.events[key]
        top = set(draft.signature(self.weight))
        return sum(self.weight(t) * draft.counts[t] for t in terms if t in top)
