"""Source health (不漏报): a source that keeps failing, or falls silent, is itself a warning.

- failing: ``consecutive_failures >= failure_threshold``; the episode began with the first
  failure of the current streak (read from ``collection_runs``).
- silent: nothing new for longer than ``health.silence_factor × cadence_minutes``; counted from
  the last new item, else the last success, else when the source was first registered. Manual
  sources are never silent: nobody is obliged to clip a newspaper every hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.models import CollectionRun, Source

__all__ = ["HealthProblem", "check_source_health"]


@dataclass
class HealthProblem:
    source_id: str
    source_name: str
    kind: Literal["failing", "silent"]
    since: datetime
    detail: str


def _streak_start(session: Session, source_id: str, fallback: datetime) -> datetime:
    last_ok = session.scalar(
        select(CollectionRun.started_at)
        .where(CollectionRun.source_id == source_id, CollectionRun.status != "failed")
        .order_by(CollectionRun.started_at.desc())
        .limit(1)
    )
    query = select(CollectionRun.started_at).where(
        CollectionRun.source_id == source_id, CollectionRun.status == "failed"
    )
    if last_ok is not None:
        query = query.where(CollectionRun.started_at > last_ok)
    first = session.scalar(query.order_by(CollectionRun.started_at).limit(1))
    return first or fallback


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes}分钟"
    if minutes < 48 * 60:
        return f"{minutes // 60}小时"
    return f"{minutes // 1440}天"


def silence_since(source: Source) -> datetime:
    """Silence counts from the last new item, else the last success, else the source's registration."""
    return source.last_new_item_at or source.last_success_at or source.created_at


def silence_limit(config: Config, cadence_minutes: int) -> timedelta:
    """How long a source may stay quiet before it counts as silent."""
    return timedelta(minutes=config.health.silence_factor * cadence_minutes)


def check_source_health(session: Session, config: Config, *, now: datetime) -> list[HealthProblem]:
    """Problems of the enabled configured sources, and ``Source.health`` set to failing/silent/ok.

    The caller commits.
    """
    problems: list[HealthProblem] = []
    rows = {r.id: r for r in session.scalars(select(Source))}
    for cfg in config.sources:
        row = rows.get(cfg.id)
        if row is None or not cfg.enabled:
            continue
        if row.consecutive_failures >= cfg.failure_threshold:
            since = _streak_start(session, cfg.id, row.last_attempt_at or now)
            problems.append(
                HealthProblem(
                    source_id=cfg.id,
                    source_name=cfg.name,
                    kind="failing",
                    since=since,
                    detail=f"连续{row.consecutive_failures}次采集失败：{row.last_error or '原因未记录'}",
                )
            )
            row.health = "failing"
            continue
        if cfg.type != "manual":
            limit = silence_limit(config, cfg.cadence_minutes)
            since = silence_since(row)
            if now - since > limit:
                what = "无新增信息" if row.last_success_at else "从未成功采集"
                problems.append(
                    HealthProblem(
                        source_id=cfg.id,
                        source_name=cfg.name,
                        kind="silent",
                        since=since,
                        detail=(
                            f"已{_duration(now - since)}{what}（正常更新周期约{cfg.cadence_minutes}分钟，"
                            f"超过{config.health.silence_factor:g}倍即视为沉默）"
                        ),
                    )
                )
                row.health = "silent"
                continue
        row.health = "ok"
    session.flush()
    return problems
