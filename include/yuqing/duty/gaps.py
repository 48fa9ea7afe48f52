"""值班空档 (C4 24小时联络畅通): a hole in the roster is itself a warning, raised once per gap.

The roster is weekly; ``roster.uncovered`` gives its holes as minutes of the week. Here they become
real instants around ``now``: a gap that is open now, or starts within
``acknowledgement.roster_lookahead_hours`` (24 h by default — a day's notice to fill it), raises one
warning, keyed by the gap's start (``roster_gap:<UTC start>``), so each gap episode warns once
however often the sweep runs. It goes to the 主要负责同志 (as any warning raised in a gap does); it is
not escalated or handed over.

Its deliveries are planned in the same transaction as the warning, with status ``queued``: the
duty sweep sends them itself, at once, and the collection DAG's sender (which takes only
``pending`` and ``failed`` rows) never races it for them. One that fails becomes ``failed`` and is
retried by that sender like any other delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing import audit, roster
from yuqing.clock import SHANGHAI
from yuqing.config import Config
from yuqing.duty.notices import ACTOR
from yuqing.models import EarlyWarning, WarningDelivery

QUEUED = "queued"

GAP_LEVEL = "一般"
"""Not graded opinion: the lowest level, named 值班空档预警 by its kind."""


def upcoming_gaps(config: Config, *, now: datetime, hours: float) -> list[tuple[datetime, datetime]]:
    """Uncovered ranges (Beijing start, end) that are open at ``now`` or start within ``hours``."""
    weekly = roster.uncovered(config)
    if not weekly:
        return []
    local = now.astimezone(SHANGHAI)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time.min, tzinfo=SHANGHAI)
    horizon = now + timedelta(hours=hours)
    found = set()
    for week in (-1, 0, 1):
        for gap in weekly:
            start = monday + timedelta(weeks=week, minutes=gap.start)
            end = monday + timedelta(weeks=week, minutes=gap.end)
            if end > now and start <= horizon:
                found.add((start, end))
    return sorted(found)


def gap_key(start: datetime) -> str:
    return f"roster_gap:{start.astimezone(UTC).isoformat(timespec='minutes')}"


def raise_gap_warnings(session: Session, config: Config, *, now: datetime) -> list[EarlyWarning]:
    """One 值班空档 warning per gap open now or starting soon; return only the new ones."""
    new: list[EarlyWarning] = []
    principal = config.person(config.organisation.principal)
    for start, end in upcoming_gaps(config, now=now, hours=config.acknowledgement.roster_lookahead_hours):
        key = gap_key(start)
        if session.scalar(select(EarlyWarning.id).where(EarlyWarning.dedup_key == key)) is not None:
            continue
        when = f"{start:%m月%d日 %H:%M} 至 {end:%m月%d日 %H:%M}"
        state = "目前正处于该空档" if start <= now else f"距空档开始约 {(start - now).total_seconds() / 3600:.1f} 小时"
        warning = EarlyWarning(
            dedup_key=key, kind="roster_gap", level=GAP_LEVEL,
            title=f"值班空档预警：{when} 无人值班",
            summary=(f"值班表在 {when}（北京时间）无人值班，{state}。期间预警将直接发送主要负责同志"
                     f"{principal.name}。请尽快在 yuqing.yaml 的 roster.shifts 中安排值班人员，确保24小时联络畅通。"),
            status="open", duty_person=None, created_at=now,
        )
        session.add(warning)
        session.flush()
        targets = [("webhook", principal.webhook_conn_id or config.notifications.webhook_conn_id)]
        if principal.email:
            targets.insert(0, ("email", principal.email))
        session.add_all(WarningDelivery(warning_id=warning.id, channel=channel, recipient=recipient, status=QUEUED,
                                        attempts=0) for channel, recipient in targets)
        audit.record(session, actor=ACTOR, action="warning.raise", object_type="warning", object_id=warning.id,
                     detail={"dedup_key": key, "kind": "roster_gap", "gap_start": start.isoformat(),
                             "gap_end": end.isoformat(), "roster_gap": True,
                             "targets": [f"{c}:{r}" for c, r in targets]})
        new.append(warning)
    session.flush()
    return new


def queued_deliveries(session: Session) -> list[WarningDelivery]:
    """Deliveries of 值班空档 warnings waiting for the duty sweep to send them."""
    return list(session.scalars(
        select(WarningDelivery).where(WarningDelivery.status == QUEUED).order_by(WarningDelivery.id)).all())
