"""Per-item analysis and the per-configuration components it needs.

Why a cache: building the segmenter (user words), the lexicon automaton and the sentiment rules
takes tens of milliseconds; a collection run analyses a few items every 15 minutes and a file
run a million, so they are built once per configuration object and reused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Any

from yuqing.analysis.dedup import Fingerprint, fingerprint
from yuqing.analysis.events import TermWeights, item_terms
from yuqing.analysis.lexicon import LexiconHits, LexiconMatcher
from yuqing.analysis.segment import Segmenter
from yuqing.analysis.sentiment import Sentiment, SentimentScorer
from yuqing.analysis.text import normalise
from yuqing.config import Config


@dataclass(frozen=True)
class Components:
    matcher: LexiconMatcher
    segmenter: Segmenter
    sentiment: SentimentScorer
    weights: TermWeights
    entity_terms: tuple[str, ...]
    """Places and agency names: facts that tell two template notices apart."""
    entities: Any
    """An Aho-Corasick automaton over ``entity_terms`` (one pass per text)."""


@dataclass(slots=True)
class ItemAnalysis:
    """Everything the analysis decides about one item on its own (before duplicates and events)."""

    relevant: bool
    relevance_reason: str
    hits: LexiconHits
    sentiment: Sentiment
    terms: dict[str, float]
    fingerprint: Fingerprint
    anchors: frozenset[str] = frozenset()
    """Where it happened: configured places and named venues (an event is at one place)."""

    @property
    def matched_terms(self) -> list[str]:
        return list(self.hits.terms)

    @property
    def categories(self) -> list[str]:
        return list(self.hits.categories)


_VENUE = re.compile(r"[^\W\d了还其说传去在的到是个座家们这那和与及从向被把给让也都就又再很才有没要去来上下里我你他她它a-z]{2}(?:清真寺|教堂|天主堂|福音堂|寺|庙|路|街|巷)")
"""A named venue or street that the configuration may not list (南山寺, 城隍庙, 解放路 …)."""

_CACHE: dict[int, tuple[Config, Components]] = {}
_LOCK = Lock()


def components(config: Config) -> Components:
    """The analysis components of a configuration, built on first use (keyed by the object)."""
    with _LOCK:
        cached = _CACHE.get(id(config))
        if cached is not None and cached[0] is config:
            return cached[1]
        built = _build(config)
        if len(_CACHE) >= 8:
            _CACHE.clear()
        _CACHE[id(config)] = (config, built)  # the config is held, so its id cannot be reused
        return built


def _build(config: Config) -> Components:
    import ahocorasick_rs

    lex = config.lexicons
    sentiment = SentimentScorer(lex.negative, lex.positive)
    category_terms = [normalise(t) for c in lex.categories.values() for t in c.terms]
    user_words = (
        [normalise(w) for w in lex.user_dict + lex.agency_terms + lex.places]
        + category_terms
        + sorted(sentiment.segmenter_words())
    )
    places = [normalise(p) for p in lex.places]
    agency = [normalise(a) for a in lex.agency_terms]
    entity_terms = tuple(sorted({t for t in places + agency if t}, key=len, reverse=True))
    return Components(
        matcher=LexiconMatcher(lex),
        segmenter=Segmenter(user_words),
        sentiment=sentiment,
        weights=TermWeights(places, category_terms, agency),
        entity_terms=entity_terms,
        entities=ahocorasick_rs.AhoCorasick(list(entity_terms)) if entity_terms else None,
    )


def analyze_item(
    key: object, title: str | None, text: str, parts: Components, at: datetime | None = None
) -> ItemAnalysis:
    """Relevance, matched terms, categories, sentiment, event terms and duplicate fingerprint of one item."""
    body = normalise(text)
    head = normalise(title)
    full = f"{head}。{body}" if head and head not in body else body
    hits = parts.matcher.match(full)
    relevance = parts.matcher.relevance(hits)
    tokens = parts.segmenter.cut(full)
    sentiment = parts.sentiment.score(full, parts.segmenter, tokens)
    fp = fingerprint(key, body or head, parts.entity_terms, at, parts.entities)
    fp.near = relevance.relevant
    if relevance.relevant:  # event terms and places matter only for items that can join an event
        terms = item_terms(hits, parts.segmenter.keywords(tokens), parts.weights)
        anchors = frozenset(hits.places).union(_VENUE.findall(full))
    else:
        terms, anchors = {}, frozenset()
    return ItemAnalysis(relevance.relevant, relevance.reason, hits, sentiment, terms, fp, anchors)


class AnalysisCache:
    """The analysis of recent texts, reused for an exact copy (a bounded FIFO of ``capacity`` texts).

    Why: copies are common in a stream (the same post on several boards, bots, unedited reposts):
    one in seven items of the benchmark corpus. What an item is on its own depends only on its
    title and text, so a copy reuses it; only the duplicate fingerprint gets the copy's key and time.
    """

    def __init__(self, capacity: int = 20_000):
        from collections import OrderedDict

        self.capacity = capacity
        self._seen: OrderedDict[tuple[str | None, str], ItemAnalysis] = OrderedDict()
        self.hits = 0

    def analyze(
        self, key: object, title: str | None, text: str, parts: Components, at: datetime | None = None
    ) -> ItemAnalysis:
        cached = self._seen.get((title, text))
        if cached is None:
            result = analyze_item(key, title, text, parts, at)
            self._seen[(title, text)] = result
            if len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return result
        self.hits += 1
        fp = cached.fingerprint
        copy = Fingerprint(key, fp.core, fp.exact, fp.facts, at, fp.near, fp._shingles, fp._signature)
        return ItemAnalysis(
            cached.relevant, cached.relevance_reason, cached.hits, cached.sentiment, cached.terms, copy, cached.anchors
        )
