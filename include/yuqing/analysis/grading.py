"""Grading of events (C2a 研判标准: 舆情内容、公众反应、媒体介入程度) with an explanation.

Each factor is a value in 0..1; its contribution is value × its weight from ``grading.weights``
(default content 40, reaction 35, media 15, reach 10 — they sum to 100), and the score is the sum
of contributions. The level is the highest one whose ``grading.thresholds`` entry the score
reaches (default 一般 0, 较大 40, 重大 65, 特别重大 85). Everything that went into the number is
kept in the explanation, so the monitor on duty can see *why* an event is 较大 (P3 时、度、效).

Factor values:
- content (舆情内容) = min(1, (0.7 × highest category weight + 0.2 if the office is named)
  × (0.3 + 0.7 × concern) + 0.1 if a rumour cue appears), where concern is the share of negative
  items (1 with a rumour cue): a praising report about 民族团结 is not a sensitive matter, a
  complaint about the same topic is;
- reaction (公众反应) = 0.35 volume + 0.20 velocity + 0.25 engagement + 0.20 negative share, with
  volume = log(1+items)/log(101), engagement = log(1+comments+reposts+likes+views/100)/log(10001),
  and velocity = σ-spike / 6, each capped to 0..1. The σ-spike is z = (items in the last hour −
  mean hourly count before) / max(standard deviation, 1) against a baseline of hourly counts: the
  event's own previous 24 h when it is older than that, else its keyword's previous 7 days (the
  hourly count of its strongest place or category term, when the caller keeps those), else what
  the young event has. A burst of 12 posts in an hour after a quiet day is z ≈ 12 (velocity 1); a
  steady trickle is z ≤ 0. The explanation says which baseline was used, its mean and deviation;
- media (媒体介入程度) = the strongest outlet among the items (central 1.0, mainstream 0.7,
  official account 0.5, any other news/print outlet 0.4) + 0.1 per further outlet, capped at 1;
- reach (传播范围) = the widest source reach (national 1.0, provincial 0.6, local 0), at least
  1.0 when central media are involved and 0.15/0.3 when the event spans 2/3+ channels.

Gate: 特别重大 (I) needs national attention — central media involved or a national source; an
event without it is held at 重大 whatever its score, and the explanation says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from yuqing.config import LEVELS, Config

FACTOR_LABELS: dict[str, str] = {
    "content": "舆情内容",
    "reaction": "公众反应",
    "media": "媒体介入程度",
    "reach": "传播范围",
}
REACH_VALUES: dict[str, float] = {"local": 0.0, "provincial": 0.6, "national": 1.0}
MEDIA_VALUES: dict[str, float] = {"central": 1.0, "mainstream": 0.7, "official": 0.5, "other_news": 0.4}
NEWS_CHANNELS = frozenset({"news", "print"})


@dataclass(slots=True)
class MemberFacts:
    """What grading needs to know about one item of an event (from the store or from a file)."""

    at: datetime | None
    channel: str | None = None
    source: str | None = None
    author: str | None = None
    reach: str = "local"
    engagement: dict[str, Any] = field(default_factory=dict)
    sentiment: str = "neutral"
    categories: tuple[str, ...] = ()
    agency: bool = False
    rumour: bool = False


@dataclass(frozen=True)
class Grade:
    score: float
    level: str
    heat: float
    response_value: str
    explanation: dict[str, Any]


def _clip(x: float) -> float:
    return max(0.0, min(1.0, x))


def _engagement_total(e: dict[str, Any]) -> float:
    total = 0.0
    for key, factor in (("comments", 1.0), ("reposts", 1.0), ("likes", 1.0), ("views", 0.01)):
        value = e.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            total += value * factor
    return total


SPIKE_FULL_SIGMA = 6.0
"""A last hour this many standard deviations above its baseline is full velocity (1.0)."""
MIN_SIGMA = 1.0
"""The deviation is at least one item an hour: a quiet baseline does not turn two posts into a spike."""
HISTORY_HOURS = 7 * 24
SLOT_SECONDS = 600
"""Counts are kept per 10 minutes, so "the last hour" is the six slots up to now, not a clock hour."""
SLOTS_PER_HOUR = 3600 // SLOT_SECONDS


def time_slot(at: datetime) -> int:
    return int(at.timestamp() // SLOT_SECONDS)


@dataclass(frozen=True)
class KeywordRate:
    """Hourly counts of one keyword (place or category term) before the hour being graded."""

    term: str
    slots: dict[int, int]
    """10-minute slot number (``time_slot``) → items mentioning the term."""
    baseline: tuple[float, float] | None = None
    """(mean, deviation) of its hourly counts over the 7 days before the last hour, if already known."""


@dataclass
class EventStats:
    """What grading needs of an event, kept as running totals so a stream never holds its items.

    ``add`` takes one member; ``grade_event`` also accepts a plain list of ``MemberFacts``.
    Counts per 10-minute slot older than ``HISTORY_HOURS`` before the newest member are dropped.
    """

    n: int = 0
    negative: int = 0
    categories: set[str] = field(default_factory=set)
    agency: bool = False
    rumour: bool = False
    engagement: float = 0.0
    outlets: dict[str, str] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)
    widest_reach: float = 0.0
    slots: dict[int, int] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, m: MemberFacts, config: Config) -> None:
        self.n += 1
        self.negative += m.sentiment == "negative"
        self.categories.update(m.categories)
        self.agency = self.agency or m.agency
        self.rumour = self.rumour or m.rumour
        self.engagement += _engagement_total(m.engagement)
        if m.channel:
            self.channels.add(m.channel)
        self.widest_reach = max(self.widest_reach, REACH_VALUES.get(m.reach, 0.0))
        found = _media_kind_cached(m, config) if (m.source or m.author or m.channel in NEWS_CHANNELS) else None
        if found and found[1] not in self.outlets and len(self.outlets) < 50:
            self.outlets[found[1]] = found[0]
        if m.at is not None:
            h = time_slot(m.at)
            self.slots[h] = self.slots.get(h, 0) + 1
            if self.first is None or m.at < self.first:
                self.first = m.at
            if self.last is None or m.at > self.last:
                self.last = m.at
                if len(self.slots) > (HISTORY_HOURS + 48) * SLOTS_PER_HOUR:
                    oldest = h - (HISTORY_HOURS + 2) * SLOTS_PER_HOUR
                    self.slots = {k: v for k, v in self.slots.items() if k >= oldest}

    def merge(self, other: EventStats) -> None:
        """Fold another event's totals into this one (two events found to be one matter)."""
        self.n += other.n
        self.negative += other.negative
        self.categories |= other.categories
        self.agency = self.agency or other.agency
        self.rumour = self.rumour or other.rumour
        self.engagement += other.engagement
        for name, kind in other.outlets.items():
            self.outlets.setdefault(name, kind)
        self.channels |= other.channels
        self.widest_reach = max(self.widest_reach, other.widest_reach)
        for k, v in other.slots.items():
            self.slots[k] = self.slots.get(k, 0) + v
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        if other.last is not None and (self.last is None or other.last > self.last):
            self.last = other.last

    @classmethod
    def of(cls, members: Iterable[MemberFacts], config: Config) -> EventStats:
        stats = cls()
        for m in members:
            stats.add(m, config)
        return stats


def spike(slots: dict[int, int], now: datetime, hours: int, last_hour: int | None = None) -> tuple[float, float, float]:
    """(z, mean, deviation) of the last hour against the ``hours`` hourly counts before it.

    Only the slots that have items are visited (a quiet week costs nothing).
    """
    if last_hour is None:
        last_hour = count_last_hour(slots, now)
    end = time_slot(now) - SLOTS_PER_HOUR  # the newest slot before the last hour
    start = end - hours * SLOTS_PER_HOUR
    per_hour: dict[int, int] = {}
    for k, v in slots.items():
        if start < k <= end:
            h = (end - k) // SLOTS_PER_HOUR
            per_hour[h] = per_hour.get(h, 0) + v
    total = sum(per_hour.values())
    mean = total / hours
    var = max(0.0, sum(c * c for c in per_hour.values()) / hours - mean * mean)
    sd = math.sqrt(var)
    return (last_hour - mean) / max(sd, MIN_SIGMA), mean, sd


def count_last_hour(slots: dict[int, int], now: datetime) -> int:
    now_slot = time_slot(now)
    return sum(slots.get(now_slot - j, 0) for j in range(SLOTS_PER_HOUR))


def content_factor(stats: EventStats, config: Config) -> tuple[float, dict[str, Any]]:
    cats = config.lexicons.categories
    found = sorted((c for c in stats.categories if c in cats), key=lambda c: (-cats[c].weight, c))
    top = cats[found[0]].weight if found else 0.0
    negative_share = stats.negative / stats.n if stats.n else 0.0
    concern = 1.0 if stats.rumour else negative_share
    value = _clip((0.7 * top + (0.2 if stats.agency else 0)) * (0.3 + 0.7 * concern) + (0.1 if stats.rumour else 0))
    return value, {
        "categories": found,
        "max_category_weight": top,
        "agency_mentioned": stats.agency,
        "rumour_cue": stats.rumour,
        "concern": round(concern, 3),
    }


def velocity(stats: EventStats, now: datetime, keyword: KeywordRate | None = None) -> tuple[float, dict[str, Any]]:
    """The σ-spike of the last hour, with the baseline it was measured against."""
    last_hour = count_last_hour(stats.slots, now)
    old_enough = stats.first is not None and stats.first <= now - timedelta(hours=25)
    if old_enough or keyword is None:
        z, mean, sd = spike(stats.slots, now, 24, last_hour)
        basis = "事件此前24小时"
    else:
        if keyword.baseline is not None:
            mean, sd = keyword.baseline
            z = (last_hour - mean) / max(sd, MIN_SIGMA)
        else:
            z, mean, sd = spike(keyword.slots, now, HISTORY_HOURS, last_hour)
        basis = f"关键词「{keyword.term}」此前7天"
    text = f"近一小时{last_hour}条，{basis}每小时均值{mean:.2f}、标准差{sd:.2f}，偏离{z:+.1f}σ"
    return _clip(z / SPIKE_FULL_SIGMA), {
        "items_last_hour": last_hour,
        "hourly_baseline": round(mean, 3),
        "baseline_sd": round(sd, 3),
        "sigma": round(z, 2),
        "basis": basis,
        "velocity": text,
    }


def reaction_factor(
    stats: EventStats, now: datetime, keyword: KeywordRate | None = None
) -> tuple[float, dict[str, Any]]:
    n = stats.n
    negative_share = stats.negative / n if n else 0.0
    speed, speed_detail = velocity(stats, now, keyword)
    parts = {
        "volume": _clip(math.log1p(n) / math.log(101)),
        "velocity": speed,
        "engagement": _clip(math.log1p(stats.engagement) / math.log(10001)),
        "negative_share": negative_share,
    }
    value = 0.35 * parts["volume"] + 0.2 * parts["velocity"] + 0.25 * parts["engagement"] + 0.2 * negative_share
    detail = {
        "item_count": n,
        **speed_detail,
        "engagement_total": round(stats.engagement, 1),
        "negative_share": round(negative_share, 3),
        "parts": {k: round(v, 3) for k, v in parts.items()},
    }
    return _clip(value), detail


def media_kind(member: MemberFacts, config: Config) -> tuple[str, str] | None:
    """Which kind of outlet an item comes from (central/mainstream/official/other news), and its name."""
    names = [s for s in (member.source, member.author) if s]
    media = config.grading.media
    for kind, outlets in (("central", media.central), ("mainstream", media.mainstream), ("official", media.official)):
        for outlet in outlets:
            if any(outlet in n for n in names):
                return kind, outlet
    if member.channel in NEWS_CHANNELS:
        return "other_news", member.source or member.channel or "新闻媒体"
    return None


_MEDIA_CACHE: dict[tuple[int, str | None, str | None, str | None], tuple[str, str] | None] = {}


def _media_kind_cached(member: MemberFacts, config: Config) -> tuple[str, str] | None:
    key = (id(config.grading.media), member.source, member.author, member.channel)
    if key not in _MEDIA_CACHE:
        if len(_MEDIA_CACHE) > 100_000:
            _MEDIA_CACHE.clear()
        _MEDIA_CACHE[key] = media_kind(member, config)
    return _MEDIA_CACHE[key]


def media_factor(stats: EventStats) -> tuple[float, dict[str, Any]]:
    outlets = dict(stats.outlets)
    if not outlets:
        return 0.0, {"outlets": {}}
    strongest = max(MEDIA_VALUES[k] for k in outlets.values())
    return _clip(strongest + 0.1 * (len(outlets) - 1)), {"outlets": outlets}


def reach_factor(stats: EventStats, media_detail: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    widest = stats.widest_reach
    channels = sorted(stats.channels)
    spread = 0.3 if len(channels) >= 3 else 0.15 if len(channels) == 2 else 0.0
    central = "central" in media_detail.get("outlets", {}).values()
    value = max(widest, spread, 1.0 if central else 0.0)
    return value, {"source_reach": widest, "channels": channels, "central_media": central}


def level_for(score: float, config: Config) -> str:
    """The highest level whose threshold the score reaches."""
    thresholds = config.grading.thresholds
    level = LEVELS[0]
    for lv in LEVELS:
        if score >= thresholds[lv]:
            level = lv
    return level


def response_value(level: str, content: dict[str, Any], reaction: dict[str, Any], config: Config) -> tuple[str, str]:
    """判断回应价值: 需回应 / 持续关注 / 无需回应, with the reason in words."""
    at_warning = LEVELS.index(level) >= LEVELS.index(config.grading.warn_from)
    negative = reaction["negative_share"]
    reasons = []
    if negative >= 0.5:
        reasons.append(f"负面信息占{negative:.0%}")
    if content["rumour_cue"]:
        reasons.append("含谣言线索，需核实澄清")
    if content["agency_mentioned"]:
        reasons.append("直接涉及本机关")
    if at_warning and reasons:
        return "需回应", f"等级{level}（预警等级及以上），" + "，".join(reasons)
    if at_warning:
        return "持续关注", f"等级{level}，但负面占比低、未直接涉及本机关，持续关注走势"
    if negative >= 0.5 and content["max_category_weight"] >= 0.5:
        return "持续关注", f"等级{level}，但涉及敏感类别且负面信息占{negative:.0%}，持续关注走势"
    return "无需回应", f"等级{level}，负面占比低，暂无需回应"


def grade_event(
    members: Sequence[MemberFacts] | EventStats, config: Config, now: datetime, keyword: KeywordRate | None = None
) -> Grade:
    """Score, level, heat and response value of one event from all of its items (or their totals)."""
    stats = members if isinstance(members, EventStats) else EventStats.of(members, config)
    weights = config.grading.weights
    content, content_detail = content_factor(stats, config)
    reaction, reaction_detail = reaction_factor(stats, now, keyword)
    media, media_detail = media_factor(stats)
    reach, reach_detail = reach_factor(stats, media_detail)
    values = {"content": content, "reaction": reaction, "media": media, "reach": reach}
    details = {"content": content_detail, "reaction": reaction_detail, "media": media_detail, "reach": reach_detail}
    factors = [
        {
            "name": name,
            "label": FACTOR_LABELS[name],
            "value": round(values[name], 4),
            "weight": weights.get(name, 0.0),
            "contribution": round(values[name] * weights.get(name, 0.0), 2),
            "detail": details[name],
        }
        for name in ("content", "reaction", "media", "reach")
    ]
    score = round(min(100.0, sum(f["contribution"] for f in factors)), 2)
    level = level_for(score, config)
    gate = None
    national = reach_detail["central_media"] or reach_detail["source_reach"] >= REACH_VALUES["national"]
    if level == "特别重大" and not national:
        level = "重大"
        gate = "无中央媒体介入、无全国性传播，等级最高定为重大"
    value, reason = response_value(level, content_detail, reaction_detail, config)
    heat = round(reaction * 100, 1)
    explanation = {
        "factors": factors,
        "score": score,
        "level": level,
        "gate": gate,
        "thresholds": dict(config.grading.thresholds),
        "heat": heat,
        "response_value": value,
        "response_reason": reason,
        "graded_at": now.isoformat(),
    }
    return Grade(score, level, heat, value, explanation)
