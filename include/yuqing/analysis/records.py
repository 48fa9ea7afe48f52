"""The ``yuqing analyze`` file contract: JSON lines in, analysed JSON lines and events out.

Input (design.md): one object per line with ``id`` and ``text`` (required) and optional
``title``, ``source``, ``source_type``, ``url``, ``published_at`` (ISO 8601), ``engagement``.
A malformed line is reported with its line number and skipped; it never aborts the run.

Streaming with bounded memory: output lines are written as their input is read (in batches);
the duplicate index keeps the originals of the last ``grading.event_window_hours`` of stream time
(each item's ``published_at``; at most ``DUP_CAPACITY`` of them), events not joined for that long
are closed — graded and written to the events file at once — and at most ``EVENT_CAPACITY``
events are open. An open event holds running totals for grading (``EventStats``), a few title
candidates and its member ids. What grows with the file is only the set of ids seen (to reject
a repeated id: one 64-bit hash each) and the keyword counts of the last 7 days. A million items
therefore need neither a million fingerprints nor a million member records.

When two open events merge (the grouper finds them one matter), lines already written with the
absorbed event's id are relabelled in a final pass over the output file.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from yuqing.analysis.dedup import DuplicateFinder
from yuqing.analysis.engine import AnalysisCache, Components, ItemAnalysis, components
from yuqing.analysis.events import EventDraft, EventGrouper
from yuqing.analysis.grading import (
    HISTORY_HOURS,
    EventStats,
    KeywordRate,
    MemberFacts,
    grade_event,
    spike,
    time_slot,
)
from yuqing.analysis.text import first_sentence
from yuqing.clock import SHANGHAI
from yuqing.config import Config

log = logging.getLogger(__name__)

WRITE_BATCH = 1000
FREEZE_EVERY = 20_000
"""Lines between two ``gc.freeze()`` calls (see ``_GcFreezer``)."""
DUP_CAPACITY = 200_000
EVENT_CAPACITY = 20_000
TITLE_CANDIDATES = 6
KEYWORD_HISTORY_SLOTS = (7 * 24 + 2) * 6
ENGAGEMENT_KEYS = ("comments", "reposts", "likes", "views")


class InvalidRecord(ValueError):
    """A record that breaks the input contract; the message says which field and why."""


@dataclass
class AnalyzeFileReport:
    lines_read: int = 0
    lines_ok: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    events: int = 0


@dataclass(slots=True)
class Record:
    """One validated input record."""

    id: str | int
    text: str
    title: str | None
    source: str | None
    source_type: str | None
    author: str | None
    published_at: datetime | None
    engagement: dict[str, float]


def parse_time(value: str) -> datetime:
    """ISO 8601; a time without a zone is Beijing time (what Chinese sources mean), stored as UTC."""
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(UTC)


def _optional_str(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidRecord(f"'{name}' must be a string, got {type(value).__name__}")


def validate_record(raw: Any) -> Record:
    """Check one decoded line against the contract; raises InvalidRecord naming the field."""
    if not isinstance(raw, dict):
        raise InvalidRecord(f"expected a JSON object, got {type(raw).__name__}")
    if "id" not in raw:
        raise InvalidRecord("missing required field 'id'")
    rid = raw["id"]
    if isinstance(rid, bool) or not isinstance(rid, str | int) or (isinstance(rid, str) and not rid.strip()):
        raise InvalidRecord("'id' must be a non-empty string or an integer")
    if "text" not in raw:
        raise InvalidRecord("missing required field 'text'")
    if not isinstance(raw["text"], str):
        raise InvalidRecord(f"'text' must be a string, got {type(raw['text']).__name__}")
    if not raw["text"].strip() and not (raw.get("title") or "").strip():
        raise InvalidRecord("'text' is empty")
    published = _optional_str(raw, "published_at")
    try:
        published_at = parse_time(published) if published else None
    except ValueError:
        raise InvalidRecord(f"'published_at' is not an ISO 8601 time: {published!r}") from None
    engagement_raw = raw.get("engagement") or {}
    if not isinstance(engagement_raw, dict):
        raise InvalidRecord("'engagement' must be an object with comments/reposts/likes/views")
    engagement: dict[str, float] = {}
    for key, value in engagement_raw.items():
        if key not in ENGAGEMENT_KEYS:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InvalidRecord(f"'engagement.{key}' must be a non-negative number, got {value!r}")
        engagement[key] = value
    return Record(
        id=rid,
        text=raw["text"],
        title=_optional_str(raw, "title"),
        source=_optional_str(raw, "source"),
        source_type=_optional_str(raw, "source_type"),
        author=_optional_str(raw, "author"),
        published_at=published_at,
        engagement=engagement,
    )


@dataclass(eq=False)
class _EventState:
    key: str
    members: list[Any] = field(default_factory=list)
    stats: EventStats = field(default_factory=EventStats)
    candidates: dict[Any, tuple[dict[str, float], str]] = field(default_factory=dict)
    """A few original (non-duplicate) members: their terms and a title, for choosing the event title."""
    candidate_scores: dict[Any, float] = field(default_factory=dict)
    """Each candidate's centrality when it joined (the weakest is replaced by a stronger newcomer)."""


class KeywordCounter:
    """Per-10-minute counts of place and category terms over the last 7 days of stream time."""

    def __init__(self, terms: Iterable[str]):
        self.terms = frozenset(terms)
        self.slots: dict[str, dict[int, int]] = {}
        self._pruned_at = 0
        self._rates: dict[tuple[str, int], KeywordRate] = {}

    def add(self, terms: Iterable[str], at: datetime) -> None:
        slot = time_slot(at)
        for t in terms:
            if t in self.terms:
                counts = self.slots.setdefault(t, {})
                counts[slot] = counts.get(slot, 0) + 1
        if slot - self._pruned_at > 6 * 24:  # once a day of stream time
            self._pruned_at = slot
            oldest = slot - KEYWORD_HISTORY_SLOTS
            for t, counts in self.slots.items():
                if counts and min(counts) < oldest:
                    self.slots[t] = {k: v for k, v in counts.items() if k >= oldest}

    def rate(self, term: str, now: datetime) -> KeywordRate | None:
        """The term's counts with its 7-day baseline before ``now`` (computed once per term and slot)."""
        counts = self.slots.get(term)
        if not counts:
            return None
        key = (term, time_slot(now))
        cached = self._rates.get(key)
        if cached is None:
            if len(self._rates) > 10_000:
                self._rates.clear()
            _z, mean, sd = spike(counts, now, HISTORY_HOURS, 0)
            cached = self._rates[key] = KeywordRate(term, counts, (mean, sd))
        return cached


class RecordRun:
    """One pass over records: duplicates and events are found within the window of stream time."""

    def __init__(self, config: Config):
        self.config = config
        self.parts: Components = components(config)
        self.cache = AnalysisCache()
        window = timedelta(hours=config.grading.event_window_hours)
        self.finder = DuplicateFinder(window=window, capacity=DUP_CAPACITY)
        self.grouper = EventGrouper(config.grading.similarity, self.parts.weights, window, EVENT_CAPACITY)
        self.events: dict[str, _EventState] = {}
        self.event_of: dict[Any, str | None] = {}
        """Original item → its event (only originals still in the duplicate index are kept)."""
        self.alias: dict[str, str] = {}
        self.seen: set[int] = set()
        self.latest: datetime | None = None
        self.opened = 0
        self.closed: list[dict[str, Any]] = []
        """Events closed during the run and not yet taken by ``take_closed``."""
        self._sources = {s.id: s for s in config.sources} | {s.name: s for s in config.sources}
        self._keywords = KeywordCounter(self.parts.weights.keyword_terms())

    def process(self, rec: Record) -> dict[str, Any]:
        """Analyse one record; returns its output object."""
        marker = hash(rec.id)
        if marker in self.seen:
            raise InvalidRecord(f"duplicate id {rec.id!r} (ids must be unique in a file)")
        self.seen.add(marker)
        at = rec.published_at
        if at is not None and (self.latest is None or at > self.latest):
            self.latest = at
        ia = self.cache.analyze(rec.id, rec.title, rec.text, self.parts, at)
        original = self.finder.check(ia.fingerprint)
        event_key: str | None = None
        if original is None:
            self.finder.add(ia.fingerprint)
        else:
            event_key = self.resolve(self.event_of.get(original))
        if ia.relevant:
            self.grouper.observe(ia.terms, ia.anchors)
            if at is not None:
                self._keywords.add(ia.terms, at)
        if event_key is not None and event_key in self.grouper.events:
            self.grouper.join(event_key, rec.id, ia.terms, at, ia.anchors)  # a repost joins its original's event
        elif ia.relevant:
            event_key = self.grouper.assign(rec.id, ia.terms, at, ia.anchors)
            if event_key is None:
                self.opened += 1
                event_key = f"E{self.opened:05d}"
                self.grouper.create(event_key, rec.id, ia.terms, at, ia.anchors)
                self.events[event_key] = _EventState(event_key)
            self._apply_merges()
        else:
            event_key = None
        if original is None:
            self.event_of[rec.id] = event_key
            if len(self.event_of) > 2 * len(self.finder) + 10_000:
                self.event_of = {k: v for k, v in self.event_of.items() if k in self.finder}
        if event_key is not None:
            self._remember(self.events[event_key], rec, ia, is_original=original is None)
        self._close_quiet()
        return {
            "id": rec.id,
            "relevant": ia.relevant,
            "matched_terms": ia.matched_terms,
            "categories": ia.categories,
            "sentiment": ia.sentiment.label,
            "sentiment_score": ia.sentiment.score,
            "duplicate_of": original,
            "event_id": event_key,
        }

    def resolve(self, key: str | None) -> str | None:
        while key is not None and key in self.alias:
            key = self.alias[key]
        return key

    def _apply_merges(self) -> None:
        for absorbed, into in self.grouper.merges:
            a, b = self.events.pop(absorbed), self.events[into]
            b.members.extend(a.members)
            b.stats.merge(a.stats)
            b.candidates.update(a.candidates)
            b.candidate_scores.update(a.candidate_scores)
            self.alias[absorbed] = into
        self.grouper.merges.clear()

    def _remember(self, state: _EventState, rec: Record, ia: ItemAnalysis, *, is_original: bool) -> None:
        source = self._sources.get(rec.source or "")
        state.members.append(rec.id)
        state.stats.add(
            MemberFacts(
                at=rec.published_at,
                channel=rec.source_type or (source.channel if source else None),
                source=source.name if source else rec.source,
                author=rec.author,
                reach=source.reach if source else "local",
                engagement=rec.engagement,
                sentiment=ia.sentiment.label,
                categories=tuple(ia.categories),
                agency=bool(ia.hits.agency),
                rumour=bool(ia.hits.rumour),
            ),
            self.config,
        )
        if is_original:
            scores = state.candidate_scores
            score = self.grouper.centrality(ia.terms, state.key)
            if len(scores) >= TITLE_CANDIDATES:
                weakest = min(scores, key=scores.__getitem__)
                if scores[weakest] >= score:
                    return
                del scores[weakest], state.candidates[weakest]
            scores[rec.id] = score
            state.candidates[rec.id] = (ia.terms, (rec.title or "").strip() or first_sentence(rec.text))

    def _close_quiet(self) -> None:
        for draft in self.grouper.pop_closed():
            self.closed.append(self._event_object(draft))

    def take_closed(self) -> list[dict[str, Any]]:
        closed, self.closed = self.closed, []
        return closed

    def _event_object(self, draft: EventDraft, now: datetime | None = None) -> dict[str, Any]:
        state = self.events.pop(draft.key)
        now = now or self.latest or datetime.now(UTC)
        keyword = self._keyword_of(draft, now)
        grade = grade_event(state.stats, self.config, now, keyword)
        title = ""
        if state.candidates:
            best = max(
                state.candidates, key=lambda k: _centrality(draft, state.candidates[k][0], self.grouper)
            )
            title = state.candidates[best][1]
        stats = state.stats
        return {
            "event_id": state.key,
            "item_ids": state.members,
            "title": title,
            "level": grade.level,
            "score": grade.score,
            "heat": grade.heat,
            "response_value": grade.response_value,
            "categories": grade.explanation["factors"][0]["detail"]["categories"],
            "first_seen_at": stats.first.isoformat() if stats.first else None,
            "last_seen_at": stats.last.isoformat() if stats.last else None,
            "explanation": grade.explanation,
        }

    def _keyword_of(self, draft: EventDraft, now: datetime) -> KeywordRate | None:
        """The event's strongest place (else category term), with its counts of the last 7 days."""
        tracked = [t for t in draft.counts if t in self._keywords.terms]
        if not tracked:
            return None
        places = self.parts.weights
        term = max(tracked, key=lambda t: (places.is_place(t), draft.counts[t], t))
        return self._keywords.rate(term, now)

    def event_objects(self, now: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every event not yet taken: those closed during the run, then the open ones, graded now."""
        yield from self.take_closed()
        for draft in self.grouper.close_all():
            yield self._event_object(draft, now)


def _centrality(draft: EventDraft, terms: dict[str, float], grouper: EventGrouper) -> float:
    return sum(draft.counts.get(t, 0.0) * grouper.idf(t) for t in terms)


def analyze_records(
    records: Iterable[dict[str, Any]],
    config: Config,
    *,
    errors: list[tuple[int, str]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Analyse records in memory: (one output per valid record, the graded events).

    An invalid record is skipped; its position (0-based) and reason go to ``errors`` if given,
    else to the log. Event ids of merged events are relabelled in the outputs.
    """
    run = RecordRun(config)
    outputs: list[dict[str, Any]] = []
    with _GcFreezer() as freezer:
        for index, raw in enumerate(records):
            freezer.tick()
            try:
                outputs.append(run.process(validate_record(raw)))
            except InvalidRecord as exc:
                if errors is not None:
                    errors.append((index, str(exc)))
                else:
                    log.warning("record %d skipped: %s", index, exc)
    events = list(run.event_objects())
    if run.alias:
        for out in outputs:
            out["event_id"] = run.resolve(out["event_id"])
    return outputs, events


class _GcFreezer:
    """Keep the cyclic garbage collector off the long-lived indexes while a big file streams through.

    Why: the window's fingerprints, events and the ids seen are hundreds of thousands of container
    objects; every full collection walks all of them, so a run slowed down as it grew (measured:
    −15 % throughput at 100k items, more at 1 M). ``gc.freeze()`` moves what exists now into the
    permanent generation every ``FREEZE_EVERY`` lines; objects freed later are still freed at once by
    reference counting, and ``gc.unfreeze()`` at the end hands everything back to the collector.
    """

    def __init__(self) -> None:
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.count % FREEZE_EVERY == 0:
            gc.freeze()

    def __enter__(self) -> _GcFreezer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.count >= FREEZE_EVERY:
            gc.unfreeze()


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _load_line(line: bytes) -> Any:
    try:
        return _decode(line)
    except msgspec.DecodeError as exc:
        try:  # the stdlib parser for what msgspec refuses: bad UTF-8 (replaced), NaN, its error message
            return json.loads(line.decode("utf-8", errors="replace"))
        except json.JSONDecodeError as exc2:
            raise InvalidRecord(f"invalid JSON: {exc2.msg} (column {exc2.colno})") from None
        except ValueError:
            raise InvalidRecord(f"invalid JSON: {exc}") from None


def analyze_file(input_path: Path, output_path: Path, events_path: Path | None, config: Config) -> AnalyzeFileReport:
    """The file contract: every good line analysed, every bad one reported with its line number."""
    report = AnalyzeFileReport()
    run = RecordRun(config)
    pending: list[bytes] = []
    ev = open(events_path, "wb") if events_path is not None else None  # noqa: SIM115 (closed below)
    try:
        with open(input_path, "rb") as src, open(output_path, "wb") as out, _GcFreezer() as freezer:
            for line_no, line in enumerate(src, start=1):
                freezer.tick()
                if not line.strip():
                    continue
                report.lines_read += 1
                try:
                    pending.append(_encode(run.process(validate_record(_load_line(line)))))
                    report.lines_ok += 1
                except InvalidRecord as exc:
                    report.errors.append((line_no, str(exc)))
                if len(pending) >= WRITE_BATCH:
                    out.write(b"\n".join(pending) + b"\n")
                    pending.clear()
                    report.events += _write_events(ev, run.take_closed())
            if pending:
                out.write(b"\n".join(pending) + b"\n")
        report.events += _write_events(ev, run.event_objects())
    finally:
        if ev is not None:
            ev.close()
    if run.alias:
        _relabel(output_path, run)
    return report


def _write_events(ev: Any, events: Iterable[dict[str, Any]]) -> int:
    n = 0
    for event in events:
        if ev is not None:
            ev.write(_encode(event) + b"\n")
        n += 1
    return n


def _relabel(path: Path, run: RecordRun) -> None:
    """Rewrite lines whose event was merged into another (``"event_id":"E…"`` ends each line)."""
    tmp = path.with_name(path.name + ".relabel")
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        for line in src:
            cut = line.rfind(b'"event_id":"')
            if cut >= 0:
                key = line[cut + 12 :].split(b'"', 1)[0].decode()
                if key in run.alias:
                    line = line[:cut] + b'"event_id":"' + run.resolve(key).encode() + b'"}\n'
            dst.write(line)
    os.replace(tmp, path)
