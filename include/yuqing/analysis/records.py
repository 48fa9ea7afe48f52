"""The ``yuqing analyze`` file contract: JSON lines in, analysed JSON lines and events out.

Input (design.md): one object per line with ``id`` and ``text`` (required) and optional
``title``, ``source``, ``source_type``, ``url``, ``published_at`` (ISO 8601), ``engagement``.
A malformed line is reported with its line number and skipped; it never aborts the run. Output
lines are written as their input is read (in batches), so memory holds the duplicate index and
the events' member facts, not the items.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yuqing.analysis.engine import Components, analyze_item, components
from yuqing.analysis.events import EventGrouper
from yuqing.analysis.grading import MemberFacts, grade_event
from yuqing.analysis.text import first_sentence, normalise
from yuqing.clock import SHANGHAI
from yuqing.config import Config

log = logging.getLogger(__name__)

WRITE_BATCH = 1000
ENGAGEMENT_KEYS = ("comments", "reposts", "likes", "views")


class InvalidRecord(ValueError):
    """A record that breaks the input contract; the message says which field and why."""


@dataclass
class AnalyzeFileReport:
    lines_read: int = 0
    lines_ok: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    events: int = 0


@dataclass(frozen=True)
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


@dataclass
class _EventState:
    key: str
    members: list[Any] = field(default_factory=list)
    facts: list[MemberFacts] = field(default_factory=list)
    candidates: dict[Any, tuple[list[str], str]] = field(default_factory=dict)
    """Original (non-duplicate) members: their terms and a title, for choosing the event title."""


class RecordRun:
    """One pass over records: duplicates and events are found across everything seen so far."""

    def __init__(self, config: Config):
        from yuqing.analysis.dedup import DuplicateFinder

        self.config = config
        self.parts: Components = components(config)
        self.finder = DuplicateFinder()
        self.grouper = EventGrouper(config.grading.similarity, self.parts.weights)
        self.events: dict[str, _EventState] = {}
        self.event_of: dict[Any, str | None] = {}
        self.seen: set[Any] = set()
        self.latest: datetime | None = None
        self._agency = frozenset(normalise(t) for t in config.lexicons.agency_terms)
        self._sources = {s.id: s for s in config.sources} | {s.name: s for s in config.sources}

    def process(self, rec: Record) -> dict[str, Any]:
        """Analyse one record; returns its output object."""
        if rec.id in self.seen:
            raise InvalidRecord(f"duplicate id {rec.id!r} (ids must be unique in a file)")
        self.seen.add(rec.id)
        ia = analyze_item(rec.id, rec.title, rec.text, self.parts)
        original = self.finder.check(ia.fingerprint)
        event_key: str | None = None
        if original is None:
            self.finder.add(ia.fingerprint)
        else:
            event_key = self.event_of.get(original)
        if event_key is not None:
            self.grouper.join(event_key, rec.id, ia.terms)  # a repost joins its original's event
        elif ia.relevant:
            event_key = self.grouper.assign(rec.id, ia.terms)
            if event_key is None:
                event_key = f"E{len(self.events) + 1:05d}"
                self.grouper.create(event_key, rec.id, ia.terms)
                self.events[event_key] = _EventState(event_key)
        self.event_of[rec.id] = event_key
        if event_key is not None:
            self._remember(self.events[event_key], rec, ia, is_original=original is None)
        if rec.published_at and (self.latest is None or rec.published_at > self.latest):
            self.latest = rec.published_at
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

    def _remember(self, state: _EventState, rec: Record, ia: Any, *, is_original: bool) -> None:
        source = self._sources.get(rec.source or "")
        state.members.append(rec.id)
        state.facts.append(
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
            )
        )
        if is_original:
            state.candidates[rec.id] = (ia.terms, (rec.title or "").strip() or first_sentence(rec.text))

    def event_objects(self, now: datetime | None = None) -> Iterator[dict[str, Any]]:
        """The graded events, in the order they were opened."""
        now = now or self.latest or datetime.now(UTC)
        for key, state in self.events.items():
            grade = grade_event(state.facts, self.config, now)
            title = ""
            if state.candidates:
                best = max(state.candidates, key=lambda k: self.grouper.centrality(state.candidates[k][0], key))
                title = state.candidates[best][1]
            times = [f.at for f in state.facts if f.at is not None]
            yield {
                "event_id": key,
                "item_ids": state.members,
                "title": title,
                "level": grade.level,
                "score": grade.score,
                "heat": grade.heat,
                "response_value": grade.response_value,
                "categories": grade.explanation["factors"][0]["detail"]["categories"],
                "first_seen_at": min(times).isoformat() if times else None,
                "last_seen_at": max(times).isoformat() if times else None,
                "explanation": grade.explanation,
            }


def analyze_records(
    records: Iterable[dict[str, Any]],
    config: Config,
    *,
    errors: list[tuple[int, str]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Analyse records in memory: (one output per valid record, the graded events).

    An invalid record is skipped; its position (0-based) and reason go to ``errors`` if given,
    else to the log.
    """
    run = RecordRun(config)
    outputs: list[dict[str, Any]] = []
    for index, raw in enumerate(records):
        try:
            outputs.append(run.process(validate_record(raw)))
        except InvalidRecord as exc:
            if errors is not None:
                errors.append((index, str(exc)))
            else:
                log.warning("record %d skipped: %s", index, exc)
    return outputs, list(run.event_objects())


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def analyze_file(input_path: Path, output_path: Path, events_path: Path | None, config: Config) -> AnalyzeFileReport:
    """The file contract: every good line analysed, every bad one reported with its line number."""
    report = AnalyzeFileReport()
    run = RecordRun(config)
    pending: list[str] = []
    with open(input_path, encoding="utf-8", errors="replace") as src, open(output_path, "w", encoding="utf-8") as out:
        for line_no, line in enumerate(src, start=1):
            if not line.strip():
                continue
            report.lines_read += 1
            try:
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidRecord(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
                pending.append(_dump(run.process(validate_record(raw))))
                report.lines_ok += 1
            except InvalidRecord as exc:
                report.errors.append((line_no, str(exc)))
            if len(pending) >= WRITE_BATCH:
                out.write("\n".join(pending) + "\n")
                pending.clear()
        if pending:
            out.write("\n".join(pending) + "\n")
    if events_path is not None:
        with open(events_path, "w", encoding="utf-8") as ev:
            for event in run.event_objects():
                ev.write(_dump(event) + "\n")
                report.events += 1
    else:
        report.events = len(run.events)
    return report
