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
  volume = log(1+items)/log(101), velocity = (items in the last hour − hourly mean of the 24 h
  before) / 10, engagement = log(1+comments+reposts+likes+views/100)/log(10001), each capped to 0..1;
- media (媒体介入程度) = the strongest outlet among the items (central 1.0, mainstream 0.7,
  official account 0.5, any other news/print outlet 0.4) + 0.1 per further outlet, capped at 1;
- reach (传播范围) = the widest source reach (national 1.0, provincial 0.6, local 0), at least
  1.0 when central media are involved and 0.15/0.3 when the event spans 2/3+ channels.

Gate: 特别重大 (I) needs national attention — central media involved or a national source; an
event without it is held at 重大 whatever its score, and the explanation says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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


@dataclass(frozen=True)
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


def content_factor(members: Sequence[MemberFacts], config: Config) -> tuple[float, dict[str, Any]]:
    cats = config.lexicons.categories
    found = sorted({c for m in members for c in m.categories if c in cats}, key=lambda c: -cats[c].weight)
    top = cats[found[0]].weight if found else 0.0
    agency = any(m.agency for m in members)
    rumour = any(m.rumour for m in members)
    negative_share = sum(1 for m in members if m.sentiment == "negative") / len(members) if members else 0.0
    concern = 1.0 if rumour else negative_share
    value = _clip((0.7 * top + (0.2 if agency else 0)) * (0.3 + 0.7 * concern) + (0.1 if rumour else 0))
    return value, {
        "categories": found,
        "max_category_weight": top,
        "agency_mentioned": agency,
        "rumour_cue": rumour,
        "concern": round(concern, 3),
    }


def reaction_factor(members: Sequence[MemberFacts], now: datetime) -> tuple[float, dict[str, Any]]:
    n = len(members)
    times = [m.at for m in members if m.at is not None]
    last_hour = sum(1 for t in times if now - timedelta(hours=1) < t <= now)
    before = sum(1 for t in times if now - timedelta(hours=25) < t <= now - timedelta(hours=1))
    baseline = before / 24
    engagement = sum(_engagement_total(m.engagement) for m in members)
    negative_share = sum(1 for m in members if m.sentiment == "negative") / n if n else 0.0
    parts = {
        "volume": _clip(math.log1p(n) / math.log(101)),
        "velocity": _clip((last_hour - baseline) / 10),
        "engagement": _clip(math.log1p(engagement) / math.log(10001)),
        "negative_share": negative_share,
    }
    value = 0.35 * parts["volume"] + 0.2 * parts["velocity"] + 0.25 * parts["engagement"] + 0.2 * negative_share
    detail = {
        "item_count": n,
        "items_last_hour": last_hour,
        "hourly_baseline": round(baseline, 3),
        "engagement_total": round(engagement, 1),
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


def media_factor(members: Sequence[MemberFacts], config: Config) -> tuple[float, dict[str, Any]]:
    outlets: dict[str, str] = {}
    for m in members:
        found = media_kind(m, config)
        if found and found[1] not in outlets:
            outlets[found[1]] = found[0]
    if not outlets:
        return 0.0, {"outlets": {}}
    strongest = max(MEDIA_VALUES[k] for k in outlets.values())
    return _clip(strongest + 0.1 * (len(outlets) - 1)), {"outlets": outlets}


def reach_factor(members: Sequence[MemberFacts], media_detail: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    widest = max((REACH_VALUES.get(m.reach, 0.0) for m in members), default=0.0)
    channels = sorted({m.channel for m in members if m.channel})
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


def grade_event(members: Sequence[MemberFacts], config: Config, now: datetime) -> Grade:
    """Score, level, heat and response value of one event from all of its items."""
    weights = config.grading.weights
    content, content_detail = content_factor(members, config)
    reaction, reaction_detail = reaction_factor(members, now)
    media, media_detail = media_factor(members, config)
    reach, reach_detail = reach_factor(members, media_detail)
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
