"""Warnings (预警, C2c 及时预警; C4 24小时联络畅通): raise them, plan their sending, record the outcome.

A warning exists once per cause — ``dedup_key`` is unique — so a rerun of the collection DAG
never raises or sends it again:

- an event at or above ``grading.warn_from``: ``event:{id}:{level}``. An upgrade past every level
  already warned raises a new warning; a downgrade, or a return to a level already warned, does not;
- a source-health problem (不漏报): ``source:{source_id}:{kind}:{since}``, one per failure episode.

Sending happens outside this package (Airflow notifiers in ``plugins/``): this module plans one
``WarningDelivery`` per channel and recipient, and records what the sender reports. Functions take
the session keyword-only and never commit; the task owns the transaction. Under a concurrent run
the unique keys make the second writer fail, and its retry then finds the warning already there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing import audit, roster
from yuqing.clock import SHANGHAI
from yuqing.config import LEVELS, Config, Person
from yuqing.models import EarlyWarning, Event, Source, WarningDelivery

log = logging.getLogger(__name__)

ACTOR = "system:early_warning"
MAX_ATTEMPTS = 5
"""A delivery that failed this many times is no longer offered for sending (the desk escalates it)."""

HEALTH_WARNING_LEVEL = "一般"
"""Source-health warnings are not graded opinion; they carry the lowest level and say 信源异常."""

HEALTH_KIND_NAMES = {"failing": "连续采集失败", "silent": "长时间无新信息"}


class HealthProblem(Protocol):
    """What ``yuqing.collection.health.check_source_health`` reports (duck-typed, read-only here)."""

    @property
    def source_id(self) -> str: ...
    @property
    def source_name(self) -> str: ...
    @property
    def kind(self) -> str: ...  # "failing" | "silent"
    @property
    def since(self) -> datetime: ...
    @property
    def detail(self) -> str: ...


def _clip(text: str, limit: int = 1000) -> str:
    """Titles fit the column (events carry scraped titles of any length)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def level_rank(level: str) -> int:
    """0 for 一般 … 3 for 特别重大; unknown levels rank below everything."""
    return LEVELS.index(level) if level in LEVELS else -1


def recipient_of(config: Config, duty_person: str | None) -> Person:
    """Who a warning goes to: the person on duty, or the 主要负责同志 when the roster had a gap."""
    return config.person(duty_person) if duty_person else config.person(config.organisation.principal)


def _duty(config: Config, now: datetime) -> tuple[str | None, str]:
    """The duty person id at ``now`` and the sentence the summary carries about it."""
    try:
        duty = roster.on_duty(config, now)
    except roster.RosterGap:
        principal = config.person(config.organisation.principal)
        log.warning("roster gap at %s: warning goes to the principal %s", now.isoformat(), principal.id)
        return None, (
            f"值班表此时无人值班，本预警直接发送主要负责同志{principal.name}"
            f"{'（' + principal.title + '）' if principal.title else ''}。"
        )
    return (
        duty.person.id,
        f"值班人员：{duty.person.name}{'（' + duty.person.title + '）' if duty.person.title else ''}。",
    )


def _event_warnings(session: Session, config: Config) -> list[tuple[Event, str | None]]:
    """Events that need a new warning, each with the highest level already warned (or None)."""
    warn_levels = LEVELS[level_rank(config.grading.warn_from) :]
    events = session.scalars(
        select(Event).where(Event.level.in_(warn_levels), Event.status != "closed").order_by(Event.id)
    ).all()
    if not events:
        return []
    warned: dict[int, list[str]] = {}
    rows = session.execute(
        select(EarlyWarning.event_id, EarlyWarning.level).where(
            EarlyWarning.kind == "event", EarlyWarning.event_id.in_([e.id for e in events])
        )
    )
    for event_id, level in rows:
        warned.setdefault(event_id, []).append(level)
    out = []
    for event in events:
        previous = max(warned.get(event.id, []), key=level_rank, default=None)
        if previous is None or level_rank(event.level) > level_rank(previous):
            out.append((event, previous))
    return out


def _event_summary(event: Event, previous: str | None, duty_sentence: str) -> str:
    change = f"由{previous}升级为{event.level}" if previous else f"研判为{event.level}"
    parts = [f"舆情事件{change}（综合评分 {event.score:.1f}），涉及 {event.item_count} 条信息。"]
    if event.response_value:
        parts.append(f"回应价值：{event.response_value}。")
    parts.append(duty_sentence)
    return "".join(parts)


def _health_summary(problem: HealthProblem, duty_sentence: str) -> str:
    what = HEALTH_KIND_NAMES.get(problem.kind, problem.kind)
    since = problem.since.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return f"信源「{problem.source_name}」自 {since} 起{what}，可能漏报。{problem.detail.rstrip('。. ')}。{duty_sentence}"


def health_dedup_key(problem: HealthProblem) -> str:
    """One key per failure episode: the episode is identified by when it began (UTC, to the second)."""
    since = problem.since.astimezone(UTC).isoformat(timespec="seconds")
    return f"source:{problem.source_id}:{problem.kind}:{since}"


def raise_warnings(
    session: Session, config: Config, *, now: datetime, health_problems: Sequence[HealthProblem] = ()
) -> list[EarlyWarning]:
    """Create the warnings that do not exist yet and return only those (an empty list on a rerun)."""
    duty_person, duty_sentence = _duty(config, now)
    candidates: list[EarlyWarning] = []
    for event, previous in _event_warnings(session, config):
        candidates.append(
            EarlyWarning(
                dedup_key=f"event:{event.id}:{event.level}",
                kind="event",
                level=event.level,
                title=_clip(f"{event.level}舆情预警：{event.title}"),
                summary=_event_summary(event, previous, duty_sentence),
                event_id=event.id,
            )
        )
    ids = {p.source_id for p in health_problems}
    known_sources = set(session.scalars(select(Source.id).where(Source.id.in_(ids))).all()) if ids else set()
    for problem in health_problems:
        candidates.append(
            EarlyWarning(
                dedup_key=health_dedup_key(problem),
                kind="source_health",
                level=HEALTH_WARNING_LEVEL,
                title=_clip(
                    f"信源异常预警：{problem.source_name}{HEALTH_KIND_NAMES.get(problem.kind, problem.kind)}"
                ),
                summary=_health_summary(problem, duty_sentence),
                source_id=problem.source_id if problem.source_id in known_sources else None,
            )
        )
    if not candidates:
        return []
    existing = set(
        session.scalars(
            select(EarlyWarning.dedup_key).where(
                EarlyWarning.dedup_key.in_([w.dedup_key for w in candidates])
            )
        ).all()
    )
    new: list[EarlyWarning] = []
    for warning in candidates:
        if warning.dedup_key in existing:
            continue
        existing.add(warning.dedup_key)  # two problems of one episode in one call still warn once
        warning.status = "open"
        warning.duty_person = duty_person
        warning.created_at = now
        new.append(warning)
    session.add_all(new)
    session.flush()
    for warning in new:
        audit.record(
            session,
            actor=ACTOR,
            action="warning.raise",
            object_type="warning",
            object_id=warning.id,
            detail={
                "dedup_key": warning.dedup_key,
                "kind": warning.kind,
                "level": warning.level,
                "event_id": warning.event_id,
                "source_id": warning.source_id,
                "duty_person": warning.duty_person,
                "roster_gap": warning.duty_person is None,
            },
        )
        log.info(
            "raised warning %s (%s) for %s", warning.id, warning.dedup_key, warning.duty_person or "principal"
        )
    return new


def _targets(config: Config, warning: EarlyWarning) -> list[tuple[str, str]]:
    person = recipient_of(config, warning.duty_person)
    targets = [("webhook", person.webhook_conn_id or config.notifications.webhook_conn_id)]
    if person.email:
        targets.insert(0, ("email", person.email))
    else:
        log.warning("person %s has no email: warning %s goes by webhook only", person.id, warning.id)
    return targets


def pending_deliveries(session: Session) -> list[WarningDelivery]:
    """Deliveries still to send: pending, or failed fewer than MAX_ATTEMPTS times. Never a sent one."""
    return list(
        session.scalars(
            select(WarningDelivery)
            .where(
                (WarningDelivery.status == "pending")
                | ((WarningDelivery.status == "failed") & (WarningDelivery.attempts < MAX_ATTEMPTS))
            )
            .order_by(WarningDelivery.id)
        ).all()
    )


def plan_deliveries(session: Session, config: Config, *, now: datetime) -> list[WarningDelivery]:
    """Plan email + webhook for each open warning that has none yet; return everything still to send."""
    unplanned = session.scalars(
        select(EarlyWarning)
        .where(EarlyWarning.status == "open", ~EarlyWarning.deliveries.any())
        .order_by(EarlyWarning.id)
    ).all()
    for warning in unplanned:
        targets = _targets(config, warning)
        session.add_all(
            WarningDelivery(warning_id=warning.id, channel=channel, recipient=recipient, status="pending")
            for channel, recipient in targets
        )
        audit.record(
            session,
            actor=ACTOR,
            action="warning.plan_deliveries",
            object_type="warning",
            object_id=warning.id,
            detail={"targets": [f"{c}:{r}" for c, r in targets], "planned_at": now.isoformat()},
        )
    session.flush()
    return pending_deliveries(session)


def exhausted_deliveries(session: Session) -> list[WarningDelivery]:
    """Deliveries that failed MAX_ATTEMPTS times: nobody was reached on that channel (for escalation)."""
    return list(
        session.scalars(
            select(WarningDelivery)
            .where(WarningDelivery.status == "failed", WarningDelivery.attempts >= MAX_ATTEMPTS)
            .order_by(WarningDelivery.id)
        ).all()
    )


def record_delivery(
    session: Session, delivery_id: int, *, ok: bool, error: str | None = None, now: datetime
) -> None:
    """Record one sending attempt as reported by the notifier; a delivery already sent stays as it is."""
    delivery = session.get(WarningDelivery, delivery_id)
    if delivery is None:
        raise LookupError(f"no warning delivery with id {delivery_id}")
    if delivery.status == "sent":
        log.warning("delivery %s was already sent at %s; not recording again", delivery_id, delivery.sent_at)
        return
    delivery.attempts += 1
    if ok:
        delivery.status, delivery.sent_at, delivery.error = "sent", now, None
    else:
        delivery.status, delivery.error = "failed", (error or "unknown error")[:2000]
    audit.record(
        session,
        actor=ACTOR,
        action="warning.delivery_sent" if ok else "warning.delivery_failed",
        object_type="warning_delivery",
        object_id=delivery.id,
        detail={
            "warning_id": delivery.warning_id,
            "channel": delivery.channel,
            "recipient": delivery.recipient,
            "attempts": delivery.attempts,
            "error": delivery.error,
            "at": now.isoformat(),
        },
    )
    session.flush()


def delivery_counts(session: Session) -> dict[str, int]:
    """Deliveries by status, for task logs and the daily log."""
    rows = session.execute(select(WarningDelivery.status, func.count()).group_by(WarningDelivery.status))
    return {status: count for status, count in rows}
