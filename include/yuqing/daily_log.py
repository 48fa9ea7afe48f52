"""The 舆情日志 (C2c 网络舆情日志): one printable HTML page per Beijing calendar day.

It answers what the on-duty monitor and the 分管领导 ask at 08:00: what was collected on each
channel, how it was graded, which events matter and why, which sources fell silent (不漏报), and
which warnings are still open. The store is read in a few grouped queries (not one per row), the
page is rendered from ``templates/daily_log.html.j2`` with autoescape, and quoted text has its
personal data masked. Rendering the same day again overwrites the same file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing import audit, roster
from yuqing.clock import local_day_bounds, utcnow
from yuqing.config import CHANNEL_NAMES, LEVELS, Config
from yuqing.early_warning import level_rank
from yuqing.models import EarlyWarning, Event, Item, Source, WarningDelivery
from yuqing.paths import output_dir
from yuqing.templating import (
    SENTIMENT_NAMES,
    beijing,
    channel_name,
    explanation_factors,
    health_name,
    plain,
    render,
    safe_url,
)

log = logging.getLogger(__name__)

TOP_EVENTS = 10
ITEMS_PER_EVENT = 10
DELIVERY_STATUS_NAMES = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
DELIVERY_CHANNEL_NAMES = {"email": "邮件", "webhook": "机器人"}
WARNING_STATUS_NAMES = {"open": "待确认", "acknowledged": "已确认", "closed": "已关闭"}


def daily_log_path(day: date, out_dir: Path | None = None) -> Path:
    return (out_dir or output_dir() / "daily") / f"舆情日志-{day.isoformat()}.html"


def _item_counts(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    in_day = (Item.collected_at >= start, Item.collected_at < end)
    by_channel = dict(
        session.execute(select(Item.channel, func.count()).where(*in_day).group_by(Item.channel)).all()
    )
    by_sentiment = dict(
        session.execute(select(Item.sentiment, func.count()).where(*in_day).group_by(Item.sentiment)).all()
    )
    by_relevance = dict(
        session.execute(select(Item.relevant, func.count()).where(*in_day).group_by(Item.relevant)).all()
    )
    manual = session.scalar(
        select(func.count())
        .select_from(Item)
        .join(Source, Source.id == Item.source_id)
        .where(*in_day, Source.type == "manual")
    )
    channels = [(CHANNEL_NAMES[c], by_channel.get(c, 0)) for c in CHANNEL_NAMES if by_channel.get(c)]
    channels += [(channel_name(c), n) for c, n in sorted(by_channel.items()) if c not in CHANNEL_NAMES]
    sentiments = [(name, by_sentiment.get(key, 0)) for key, name in SENTIMENT_NAMES.items()]
    if by_sentiment.get(None):
        sentiments.append(("未分析", by_sentiment[None]))
    return {
        "total": sum(by_channel.values()),
        "by_channel": channels,
        "by_sentiment": sentiments,
        "relevant": by_relevance.get(True, 0),
        "not_relevant": by_relevance.get(False, 0),
        "unanalysed": by_relevance.get(None, 0),
        "hotline": by_channel.get("hotline", 0),
        "manual": manual or 0,
    }


def _events(
    session: Session, start: datetime, end: datetime
) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    """Events active during the day: counts per level, and the top ones with their items."""
    active = session.scalars(
        select(Event).where(Event.first_seen_at < end, Event.last_seen_at >= start)
    ).all()
    per_level = {lv: 0 for lv in LEVELS}
    for ev in active:
        per_level[ev.level] = per_level.get(ev.level, 0) + 1
    counts = [(lv, per_level[lv]) for lv in reversed(LEVELS)]
    top = sorted(active, key=lambda e: (-level_rank(e.level), -e.score, e.id))[:TOP_EVENTS]
    if not top:
        return counts, []
    ids = [e.id for e in top]
    shares: dict[int, dict[str | None, int]] = {}
    for event_id, sentiment, n in session.execute(
        select(Item.event_id, Item.sentiment, func.count())
        .where(Item.event_id.in_(ids))
        .group_by(Item.event_id, Item.sentiment)
    ):
        shares.setdefault(event_id, {})[sentiment] = n
    items: dict[int, list[dict[str, Any]]] = {}
    rows = session.execute(
        select(Item, Source.name)
        .join(Source, Source.id == Item.source_id)
        .where(Item.event_id.in_(ids))
        .order_by(Item.event_id, Item.collected_at.desc(), Item.id.desc())
    )
    for item, source_name in rows:
        bucket = items.setdefault(item.event_id, [])
        if len(bucket) < ITEMS_PER_EVENT:
            bucket.append(_item_view(item, source_name))
    events = []
    for ev in top:
        share = shares.get(ev.id, {})
        total = sum(share.values())
        events.append(
            {
                "id": ev.id,
                "title": plain(ev.title, 200),
                "level": ev.level,
                "score": f"{ev.score:.1f}",
                "item_count": max(ev.item_count, total),
                "status": "已结束" if ev.status == "closed" else "持续",
                "response_value": ev.response_value or "",
                "first_seen": beijing(ev.first_seen_at),
                "last_seen": beijing(ev.last_seen_at),
                "sentiment": [
                    (name, share.get(key, 0), share.get(key, 0) / total if total else 0.0)
                    for key, name in SENTIMENT_NAMES.items()
                ],
                "factors": [(k, plain(v, 300)) for k, v in explanation_factors(ev.explanation)],
                "links": items.get(ev.id, []),
                "more_items": max(0, total - ITEMS_PER_EVENT),
            }
        )
    from yuqing.verification.report import verification_lines  # C1 核实衔接: 核实情况 per event

    checks = verification_lines(session, ids)
    for view in events:
        view["verification"] = checks.get(view["id"], "")
    return counts, events


def _item_view(item: Item, source_name: str) -> dict[str, Any]:
    return {
        "title": plain(item.title or item.text, 80),
        "snippet": plain(item.text, 120) if item.title else "",
        "url": safe_url(item.url),
        "source": source_name,
        "channel": channel_name(item.channel),
        "time": beijing(item.published_at or item.collected_at),
    }


def _sources(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "channel": channel_name(s.channel),
            "health": s.health,
            "health_name": health_name(s.health),
            "enabled": s.enabled,
            "last_success": beijing(s.last_success_at),
            "consecutive_failures": s.consecutive_failures,
            "last_error": plain(s.last_error, 160) if s.last_error else "",
        }
        for s in session.scalars(select(Source).order_by(Source.channel, Source.id))
    ]


def _open_warnings(session: Session, config: Config, end: datetime) -> list[dict[str, Any]]:
    warnings = session.scalars(
        select(EarlyWarning)
        .where(EarlyWarning.status != "closed", EarlyWarning.created_at < end)
        .order_by(EarlyWarning.created_at.desc(), EarlyWarning.id.desc())
    ).all()
    if not warnings:
        return []
    deliveries: dict[int, list[WarningDelivery]] = {}
    for d in session.scalars(
        select(WarningDelivery)
        .where(WarningDelivery.warning_id.in_([w.id for w in warnings]))
        .order_by(WarningDelivery.id)
    ):
        deliveries.setdefault(d.warning_id, []).append(d)
    names = {p.id: p.name for p in config.people}
    out = []
    for w in sorted(warnings, key=lambda w: -level_rank(w.level)):
        sent = [
            f"{DELIVERY_CHANNEL_NAMES.get(d.channel, d.channel)}{DELIVERY_STATUS_NAMES.get(d.status, d.status)}"
            + (f"（{d.attempts}次）" if d.status == "failed" else "")
            for d in deliveries.get(w.id, [])
        ]
        out.append(
            {
                "level": w.level,
                "kind": "事件" if w.kind == "event" else "信源",
                "title": plain(w.title, 120),
                "created_at": beijing(w.created_at),
                "status": WARNING_STATUS_NAMES.get(w.status, w.status),
                "duty": names.get(w.duty_person or "", w.duty_person or "")
                or f"（值班空缺，已发{names.get(config.organisation.principal, '主要负责同志')}）",
                "deliveries": "；".join(sent) or "未安排发送",
            }
        )
    return out


def _duty(config: Config, day: date) -> list[dict[str, str]]:
    """The shifts on duty that day, with times relative to it (前日 20:00 – 08:00, 16:00 – 24:00)."""

    def label(moment: datetime) -> str:
        if moment.date() < day:
            return f"前日 {moment:%H:%M}"
        if moment.date() > day:
            return (
                "24:00"
                if moment.time() == time.min and moment.date() == day + timedelta(days=1)
                else f"次日 {moment:%H:%M}"
            )
        return f"{moment:%H:%M}"

    return [
        {
            "name": d.person.name,
            "title": d.person.title,
            "hours": f"{label(d.starts_at)} – {label(d.ends_at)}",
            "backup": d.backup.name if d.backup else "",
        }
        for d in roster.duty_of_day(config, day)
    ]


def build_context(session: Session, config: Config, day: date, *, now: datetime) -> dict[str, Any]:
    """Everything the template shows, as plain values (masked, checked links); testable on its own."""
    start, end = local_day_bounds(day)
    level_counts, events = _events(session, start, end)
    return {
        "organisation": config.organisation.name,
        "day": day,
        "day_label": f"{day.year}年{day.month}月{day.day}日（{roster.WEEKDAY_NAMES[day.weekday()]}）",
        "generated_at": beijing(now),
        "duty": _duty(config, day),
        "roster_gaps": roster.gaps(config),
        "items": _item_counts(session, start, end),
        "level_counts": level_counts,
        "events": events,
        "sources": _sources(session),
        "warnings": _open_warnings(session, config, end),
    }


def _write_atomically(path: Path, text: str) -> None:
    """Write next to the target then rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".html")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_daily_log(
    session: Session, config: Config, day: date, *, out_dir: Path | None = None, now: datetime | None = None
) -> Path:
    """Write the 舆情日志 of Beijing day ``day`` and return its path; a rerun overwrites it."""
    now = now or utcnow()
    context = build_context(session, config, day, now=now)
    path = daily_log_path(day, out_dir)
    _write_atomically(path, render("daily_log.html.j2", **context))
    audit.record(
        session,
        actor="system:daily_log",
        action="report.daily_log_rendered",
        object_type="report",
        object_id=f"daily_log:{day.isoformat()}",
        detail={"path": str(path), "items": context["items"]["total"], "events": len(context["events"])},
    )
    log.info("wrote 舆情日志 for %s to %s (%d items)", day, path, context["items"]["total"])
    return path
