"""Analysis on the store: every item not analysed yet, in batches, joined to earlier runs' events.

The caller owns the transaction (this module flushes, never commits). Idempotent: only items
with ``analyzed_at`` NULL are read, and only events that gained items are regraded, so a rerun
on an analysed store changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.analysis.dedup import DuplicateFinder, fingerprint
from yuqing.analysis.engine import _VENUE, AnalysisCache, Components, ItemAnalysis, analyze_item, components
from yuqing.analysis.events import EventGrouper
from yuqing.analysis.grading import (
    HISTORY_HOURS,
    SLOTS_PER_HOUR,
    EventStats,
    Grade,
    KeywordRate,
    MemberFacts,
    grade_event,
    time_slot,
)
from yuqing.analysis.models import KeywordCount
from yuqing.analysis.text import first_sentence, normalise
from yuqing.clock import utcnow
from yuqing.config import Config
from yuqing.models import Event, EventLevelChange, Item, Source

ACTOR = "system:analysis"


@dataclass
class AnalysisSummary:
    items_analyzed: int = 0
    relevant: int = 0
    duplicates: int = 0
    events_created: int = 0
    events_updated: int = 0
    events_merged: int = 0
    level_changes: list[tuple[int, str | None, str]] = field(default_factory=list)
    rumour_proposals: list[int] = field(default_factory=list)
    """Verifications (疑似谣言, 分析提示) opened for events whose items carry rumour cue words."""


def _item_time(item: Item) -> datetime:
    return item.published_at or item.collected_at


class _StoreRun:
    """The state of one ``analyze_pending`` call."""

    def __init__(self, session: Session, config: Config, now: datetime):
        self.session = session
        self.config = config
        self.now = now
        self.parts: Components = components(config)
        self.cache = AnalysisCache(capacity=5_000)
        window = timedelta(hours=config.grading.event_window_hours)
        self.since = now - window
        self.finder = DuplicateFinder(window=window)
        self.grouper = EventGrouper(config.grading.similarity, self.parts.weights, window)
        self.keyword_terms = self.parts.weights.keyword_terms()
        self.keyword_counts: dict[tuple[str, int], int] = {}
        self.event_of: dict[int, int | None] = {}
        self.rep_candidates: dict[int, dict[int, tuple[dict[str, float], str]]] = {}
        self.merged_into: dict[int, int] = {}
        self.summary = AnalysisSummary()
        self.rumour_cues: dict[int, set[str]] = {}

    # -- loading what earlier runs left -----------------------------------------------------
    def load_recent_originals(self) -> None:
        """Index the window's analysed originals, so today's repost finds yesterday's post."""
        at = func.coalesce(Item.published_at, Item.collected_at)
        rows = self.session.execute(
            select(Item.id, Item.title, Item.text, Item.event_id, Item.relevant, Item.published_at, Item.collected_at)
            .where(Item.analyzed_at.is_not(None), Item.duplicate_of_id.is_(None), at >= self.since)
            .order_by(at, Item.id)
        )
        for item_id, title, text, event_id, relevant, published, collected in rows:
            body = normalise(text) or normalise(title)
            fp = fingerprint(item_id, body, self.parts.entity_terms, published or collected, self.parts.entities)
            fp.near = bool(relevant)
            self.finder.add(fp)
            self.event_of[item_id] = event_id

    def load_open_events(self) -> None:
        events = self.session.scalars(
            select(Event).where(Event.status == "open", Event.last_seen_at >= self.since).order_by(Event.id)
        )
        places = self.parts.weights.keyword_terms()
        for event in events:
            signature = list(event.signature or [])
            anchors = {t for t in signature if t in places} | {t for t in signature if _VENUE.fullmatch(t)}
            self.grouper.open_event(event.id, signature, event.item_count, event.last_seen_at, anchors)

    def exact_originals(self, hashes: set[str]) -> dict[str, tuple[int, int | None]]:
        """content_hash → (original id, its event) among items analysed before, whatever their age."""
        if not hashes:
            return {}
        rows = self.session.execute(
            select(Item.content_hash, Item.id, Item.duplicate_of_id, Item.event_id)
            .where(Item.content_hash.in_(hashes), Item.analyzed_at.is_not(None))
            .order_by(Item.id)
        )
        found: dict[str, tuple[int, int | None]] = {}
        for content_hash, item_id, dup_of, event_id in rows:
            found.setdefault(content_hash, (dup_of or item_id, event_id))
        return found

    # -- one batch ------------------------------------------------------------------------------
    def analyse_batch(self, items: list[Item]) -> None:
        exact = self.exact_originals({i.content_hash for i in items})
        for item in items:
            at = _item_time(item)
            ia = self.cache.analyze(item.id, item.title, item.text, self.parts, at)
            original, original_event = exact.get(item.content_hash, (None, None))
            if original is None:
                original = self.finder.check(ia.fingerprint)
                original_event = self.event_of.get(original) if original is not None else None
            if original is None:
                self.finder.add(ia.fingerprint)
                exact[item.content_hash] = (item.id, None)
            self.store_item_analysis(item, ia, original)
            event_id = original_event if original is not None else None
            if ia.relevant:
                self.grouper.observe(ia.terms, ia.anchors)
                self.count_keywords(ia.terms, at)
            event_id = self.resolve(event_id)
            if event_id is not None and event_id in self.grouper.events:
                self.grouper.join(event_id, item.id, ia.terms, at, ia.anchors)
            elif event_id is None and ia.relevant:
                event_id = self.grouper.assign(item.id, ia.terms, at, ia.anchors) or self.new_event(item).id
                if event_id not in self.grouper.events:
                    self.grouper.create(event_id, item.id, ia.terms, at, ia.anchors)
                self.apply_merges()
                event_id = self.resolve(event_id)
                self.rep_candidates.setdefault(event_id, {})[item.id] = (ia.terms, self.title_of(item))
            item.event_id = event_id
            self.event_of[item.id] = event_id
            if original is None:
                exact[item.content_hash] = (item.id, event_id)
        self.session.flush()

    def store_item_analysis(self, item: Item, ia: ItemAnalysis, original: int | None) -> None:
        item.analyzed_at = self.now
        item.relevant = ia.relevant
        item.matched_terms = ia.matched_terms
        item.categories = ia.categories
        item.sentiment = ia.sentiment.label
        item.sentiment_score = ia.sentiment.score
        item.duplicate_of_id = original
        self.summary.items_analyzed += 1
        self.summary.relevant += int(ia.relevant)
        self.summary.duplicates += int(original is not None)

    def count_keywords(self, terms: dict[str, float], at: datetime) -> None:
        slot = time_slot(at)
        for t in terms:
            if t in self.keyword_terms:
                self.keyword_counts[(t, slot)] = self.keyword_counts.get((t, slot), 0) + 1

    def store_keyword_counts(self) -> None:
        """Add this run's keyword counts to the stored ones; drop counts older than 8 days."""
        if self.keyword_counts:
            terms = {t for t, _ in self.keyword_counts}
            slots = {s for _, s in self.keyword_counts}
            stored = {
                (k.term, k.slot): k
                for k in self.session.scalars(
                    select(KeywordCount).where(
                        KeywordCount.term.in_(terms), KeywordCount.slot.between(min(slots), max(slots))
                    )
                )
            }
            for (term, slot), n in sorted(self.keyword_counts.items()):
                row = stored.get((term, slot))
                if row is None:
                    self.session.add(KeywordCount(term=term, slot=slot, count=n))
                else:
                    row.count += n
            self.keyword_counts.clear()
        oldest = time_slot(self.now) - (HISTORY_HOURS + 24) * SLOTS_PER_HOUR
        self.session.execute(delete(KeywordCount).where(KeywordCount.slot < oldest))
        self.session.flush()

    def keyword_rate(self, signature: list[str]) -> KeywordRate | None:
        """The event's strongest place (else category term) with its stored counts of the last 7 days."""
        weights = self.parts.weights
        term = next((t for t in signature if weights.is_place(t)), None) or next(
            (t for t in signature if t in self.keyword_terms), None
        )
        if term is None:
            return None
        since = time_slot(self.now) - (HISTORY_HOURS + 2) * SLOTS_PER_HOUR
        rows = self.session.execute(
            select(KeywordCount.slot, KeywordCount.count).where(KeywordCount.term == term, KeywordCount.slot >= since)
        )
        slots = {slot: n for slot, n in rows}
        return KeywordRate(term, slots) if slots else None

    def resolve(self, event_id: int | None) -> int | None:
        while event_id is not None and event_id in self.merged_into:
            event_id = self.merged_into[event_id]
        return event_id

    def apply_merges(self) -> None:
        """Two open events found to be one matter: the smaller one's items move to the larger one."""
        for absorbed, into in self.grouper.merges:
            self.session.flush()
            self.session.execute(update(Item).where(Item.event_id == absorbed).values(event_id=into))
            for member in self.session.identity_map.values():  # items of this batch already in the session
                if isinstance(member, Item) and member.event_id == absorbed:
                    member.event_id = into
            gone = self.session.get(Event, absorbed)
            if gone is not None:
                gone.status = "merged"
                gone.updated_at = self.now
            for key, value in list(self.event_of.items()):
                if value == absorbed:
                    self.event_of[key] = into
            self.rep_candidates.setdefault(into, {}).update(self.rep_candidates.pop(absorbed, {}))
            self.merged_into[absorbed] = into
            audit.record(
                self.session, actor=ACTOR, action="event.merged", object_type="event", object_id=absorbed,
                detail={"into": into},
            )
            self.summary.events_merged += 1
        self.grouper.merges.clear()

    @staticmethod
    def title_of(item: Item) -> str:
        return (item.title or "").strip() or first_sentence(normalise(item.text))

    def new_event(self, item: Item) -> Event:
        at = _item_time(item)
        event = Event(title=self.title_of(item)[:1000], first_seen_at=at, last_seen_at=at, updated_at=self.now)
        self.session.add(event)
        self.session.flush()
        self.summary.events_created += 1
        return event

    # -- grading ------------------------------------------------------------------------------
    def regrade_touched(self) -> None:
        self.store_keyword_counts()
        closed = self.grouper.pop_closed()
        touched = [d for d in list(self.grouper.events.values()) + closed if d.new_items]
        for draft in sorted(touched, key=lambda d: d.key):
            event = self.session.get(Event, draft.key)
            assert event is not None
            self.regrade(event, draft)
            if not draft.is_new:
                self.summary.events_updated += 1
        if self.rumour_cues:  # C1 核实衔接: cue words the automaton already matched propose a verification
            from yuqing.verification.service import propose

            cues = {event_id: sorted(found) for event_id, found in self.rumour_cues.items()}
            self.summary.rumour_proposals = propose(self.session, self.config, cues, now=self.now)

    def member_facts(self, event_id: int) -> tuple[list[MemberFacts], list[datetime]]:
        sources = {s.id: s for s in self.config.sources}
        agency = {normalise(t) for t in self.config.lexicons.agency_terms}
        rumour = {normalise(t) for t in self.config.lexicons.rumour_cues}
        rows = self.session.execute(
            select(
                Item.published_at, Item.collected_at, Item.channel, Item.source_id, Item.author,
                Item.engagement, Item.sentiment, Item.categories, Item.matched_terms, Source.name,
            )
            .join(Source, Source.id == Item.source_id)
            .where(Item.event_id == event_id)
        )
        facts, times = [], []
        for published, collected, channel, source_id, author, engagement, sentiment, categories, terms, name in rows:
            source = sources.get(source_id)
            at = published or collected
            times.append(at)
            facts.append(
                MemberFacts(
                    at=at,
                    channel=channel,
                    source=source.name if source else name,
                    author=author,
                    reach=source.reach if source else "local",
                    engagement=engagement or {},
                    sentiment=sentiment or "neutral",
                    categories=tuple(categories or ()),
                    agency=any(t in agency for t in terms or ()),
                    rumour=any(t in rumour for t in terms or ()),
                )
            )
            cues = [t for t in terms or () if t in rumour]
            if cues:
                self.rumour_cues.setdefault(event_id, set()).update(cues)
        return facts, times

    def choose_representative(self, event: Event) -> None:
        """The member whose terms weigh most in the event's signature gives the event its title."""
        candidates = dict(self.rep_candidates.get(event.id, {}))
        current = self.session.get(Item, event.representative_item_id) if event.representative_item_id else None
        if current is not None and current.id not in candidates:
            ia = analyze_item(current.id, current.title, current.text, self.parts, _item_time(current))
            candidates[current.id] = (ia.terms, self.title_of(current))
        if not candidates:
            return
        best = max(sorted(candidates), key=lambda k: self.grouper.centrality(candidates[k][0], event.id))
        event.representative_item_id = best
        event.title = candidates[best][1][:1000] or event.title

    def regrade(self, event: Event, draft: Any) -> None:
        facts, times = self.member_facts(event.id)
        signature = draft.signature(self.parts.weights)
        stats = EventStats.of(facts, self.config)
        grade: Grade = grade_event(stats, self.config, self.now, self.keyword_rate(signature))
        previous = None if draft.is_new else event.level
        event.item_count = len(facts)
        event.first_seen_at = min(times)
        event.last_seen_at = max(times)
        event.signature = signature
        event.categories = grade.explanation["factors"][0]["detail"]["categories"]
        event.score = grade.score
        event.heat = grade.heat
        event.level = grade.level
        event.explanation = grade.explanation
        event.response_value = grade.response_value
        event.updated_at = self.now
        self.choose_representative(event)
        if previous != grade.level:
            self.record_level_change(event, previous, grade)

    def record_level_change(self, event: Event, previous: str | None, grade: Grade) -> None:
        self.session.add(
            EventLevelChange(
                event_id=event.id, from_level=previous, to_level=grade.level, score=grade.score,
                explanation=grade.explanation, changed_at=self.now,
            )
        )
        audit.record(
            self.session,
            actor=ACTOR,
            action="event.graded" if previous is None else "event.level_changed",
            object_type="event",
            object_id=event.id,
            detail={"from_level": previous, "to_level": grade.level, "score": grade.score},
        )
        self.summary.level_changes.append((event.id, previous, grade.level))


def analyze_pending(
    session: Session, config: Config, *, now: datetime | None = None, batch_size: int = 1000
) -> AnalysisSummary:
    """Analyse every stored item with ``analyzed_at`` NULL; fill items, group events, (re)grade them."""
    run = _StoreRun(session, config, now or utcnow())
    if session.scalar(select(func.count()).select_from(Item).where(Item.analyzed_at.is_(None))) == 0:
        return run.summary
    run.load_recent_originals()
    run.load_open_events()
    while True:
        batch = list(
            session.scalars(select(Item).where(Item.analyzed_at.is_(None)).order_by(Item.id).limit(batch_size))
        )
        if not batch:
            break
        batch.sort(key=lambda i: (_item_time(i), i.id))
        run.analyse_batch(batch)
    run.regrade_touched()
    session.flush()
    return run.summary
