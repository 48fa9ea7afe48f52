"""信源健康: every source with its last success, its failures and its silence against its usual cadence.

Silence is counted by the health check's own rules (``yuqing.collection.health``); manual sources are
never silent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from yuqing.collection.health import silence_limit, silence_since
from yuqing.config import Config
from yuqing.models import Source
from yuqing.templating import beijing, channel_name, health_name, plain

TYPE_NAMES = {"rss": "RSS", "html": "网页", "json": "接口", "hotline": "12345热线", "manual": "人工录入"}


def _span(minutes: int) -> str:
    if minutes >= 48 * 60:
        return f"{minutes // 1440}天"
    if minutes >= 120:
        return f"{minutes // 60}小时"
    return f"{minutes}分钟"


def sources_page(session: Session, config: Config, *, now: datetime) -> dict[str, Any]:
    """Sources in trouble first (failing, silent), then by channel."""
    trouble = case({"failing": 0, "silent": 1, "unknown": 2}, value=Source.health, else_=3)
    factor = config.health.silence_factor
    out = []
    for s in session.scalars(select(Source).order_by(trouble, Source.channel, Source.id)):
        quiet = max(0, int((now - silence_since(s)).total_seconds() // 60))
        limit = int(silence_limit(config, s.cadence_minutes).total_seconds() // 60)
        silent = s.type != "manual" and quiet > limit
        out.append({
            "id": s.id,
            "name": plain(s.name, 80),
            "type": TYPE_NAMES.get(s.type, s.type),
            "channel": channel_name(s.channel),
            "enabled": s.enabled,
            "health": s.health,
            "health_name": health_name(s.health),
            "last_success": beijing(s.last_success_at),
            "last_attempt": beijing(s.last_attempt_at),
            "last_new_item": beijing(s.last_new_item_at),
            "failures": s.consecutive_failures,
            "last_error": plain(s.last_error, 160) if s.last_error else "",
            "cadence": _span(s.cadence_minutes),
            "quiet_for": _span(quiet),
            "silence_limit": "不适用（人工录入）" if s.type == "manual" else _span(limit),
            "silence_ratio": None if s.type == "manual" else round(quiet / limit, 1) if limit else None,
            "silent": silent,
        })
    return {
        "page": "sources",
        "generated_at": beijing(now),
        "silence_factor": factor,
        "sources": out,
        "trouble": sum(1 for s in out if s["health"] in ("failing", "silent") or s["silent"]),
    }
