"""今日态势: the day's events by level with their grading explanation, volume by channel, sentiment
by hour (a chart) and spikes — for the Beijing calendar day, in a handful of aggregate queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.orm import Session

from yuqing.clock import local_day_bounds
from yuqing.config import CHANNEL_NAMES, LEVELS, Config
from yuqing.desk.chart import sentiment_chart
from yuqing.desk.verification import verification_labels
from yuqing.models import Event, Item
from yuqing.templating import beijing, channel_name, explanation_factors, plain, safe_url

TOP_EVENTS = 50
SPIKE_MIN_ITEMS = 5
SPIKE_FACTOR = 3.0
BASELINE_DAYS = 7


def level_order() -> ColumnElement[int]:
    """特别重大 first: the level's rank as a SQL expression, so ordering and limits stay in the database."""
    return case({lv: i for i, lv in enumerate(LEVELS)}, value=Event.level, else_=-1)


def utc_hour(session: Session, column: Any) -> ColumnElement[Any]:
    """The UTC hour (0–23) of a stored time, in the dialect's own words."""
    if session.get_bind().dialect.name == "sqlite":
        return func.cast(func.strftime("%H", column), Integer)
    return func.cast(func.extract("hour", func.timezone("UTC", column)), Integer)


def _events(session: Session, start: datetime, end: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    active = (Event.first_seen_at < end, Event.last_seen_at >= start)
    per_level = dict(session.execute(select(Event.level, func.count()).where(*active).group_by(Event.level)).all())
    counts = [{"level": lv, "count": per_level.get(lv, 0)} for lv in reversed(LEVELS)]
    top = session.execute(
        select(Event, Item.url, Item.title)
        .outerjoin(Item, Item.id == Event.representative_item_id)
        .where(*active)
        .order_by(level_order().desc(), Event.score.desc(), Event.id)
        .limit(TOP_EVENTS)
    ).all()
    labels = verification_labels(session, [ev.id for ev, _, _ in top])
    events = [
        {
            "id": ev.id,
            "title": plain(ev.title, 200),
            "level": ev.level,
            "score": round(ev.score, 1),
            "item_count": ev.item_count,
            "status": "已结束" if ev.status == "closed" else "持续",
            "response_value": ev.response_value or "",
            "first_seen": beijing(ev.first_seen_at),
            "last_seen": beijing(ev.last_seen_at),
            "factors": [[k, plain(v, 300)] for k, v in explanation_factors(ev.explanation)],
            "link": safe_url(url),
            "link_title": plain(title or ev.title, 80),
            "verification": labels.get(ev.id, {}).get("label", ""),
        }
        for ev, url, title in top
    ]
    return counts, events


def _volume(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    rows = dict(session.execute(
        select(Item.channel, func.count()).where(Item.collected_at >= start, Item.collected_at < end)
        .group_by(Item.channel)
    ).all())
    out = [{"channel": CHANNEL_NAMES[c], "count": rows[c]} for c in CHANNEL_NAMES if rows.get(c)]
    out += [{"channel": channel_name(c), "count": n} for c, n in sorted(rows.items()) if c not in CHANNEL_NAMES]
    return out


def _hours(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Items per Beijing hour of the day and per sentiment (UTC hour + 8: Beijing has no DST)."""
    hour = utc_hour(session, Item.collected_at)
    buckets = [{"hour": h, "negative": 0, "neutral": 0, "positive": 0, "other": 0, "total": 0} for h in range(24)]
    rows = session.execute(
        select(hour, Item.sentiment, func.count())
        .where(Item.collected_at >= start, Item.collected_at < end)
        .group_by(hour, Item.sentiment)
    )
    for utc_h, sentiment, n in rows:
        b = buckets[(int(utc_h) + 8) % 24]
        b[sentiment if sentiment in ("negative", "neutral", "positive") else "other"] += n
        b["total"] += n
    return buckets


def _spikes(session: Session, start: datetime, hours: list[dict[str, Any]]) -> tuple[float, list[dict[str, Any]]]:
    """Hours with at least SPIKE_FACTOR × the usual hourly volume of the previous week (and ≥ SPIKE_MIN_ITEMS)."""
    before = start - timedelta(days=BASELINE_DAYS)
    earlier = session.scalar(
        select(func.count()).select_from(Item).where(Item.collected_at >= before, Item.collected_at < start)
    ) or 0
    baseline = earlier / (BASELINE_DAYS * 24)
    threshold = max(SPIKE_MIN_ITEMS, SPIKE_FACTOR * baseline)
    spikes = [
        {"hour": f"{h['hour']:02d}:00–{h['hour']:02d}:59", "count": h["total"],
         "ratio": round(h["total"] / baseline, 1) if baseline else None, "negative": h["negative"]}
        for h in hours if h["total"] >= threshold
    ]
    return round(baseline, 2), spikes


def situation(session: Session, config: Config, day: date, *, now: datetime) -> dict[str, Any]:
    """今日态势 of ``day`` (Beijing)."""
    start, end = local_day_bounds(day)
    counts, events = _events(session, start, end)
    hours = _hours(session, start, end)
    baseline, spikes = _spikes(session, start, hours)
    return {
        "page": "situation",
        "day": day.isoformat(),
        "generated_at": beijing(now),
        "level_counts": counts,
        "events": events,
        "events_shown": len(events),
        "events_total": sum(c["count"] for c in counts),
        "volume": _volume(session, start, end),
        "items_total": sum(h["total"] for h in hours),
        "hours": hours,
        "chart": sentiment_chart(hours),
        "baseline_per_hour": baseline,
        "spike_threshold": max(SPIKE_MIN_ITEMS, SPIKE_FACTOR * baseline),
        "spikes": spikes,
    }
