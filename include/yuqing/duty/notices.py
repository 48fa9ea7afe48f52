"""Notices of the on-duty desk (escalations and handovers): planned once, sent by the DAG, recorded here.

Why not ``WarningDelivery``: its key (warning, channel, recipient) cannot tell the first warning on the
shared robot webhook from an escalation of the same warning to a leader on that same webhook, and
its sender renders a warning without knowing for whom, so a personal acknowledgement link could
not be put in. A notice has its own key — ``escalation:<warning>:<step>:<channel>`` or
``handover:<id>:<channel>`` — and names its person; one marked sent is never offered again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.config import Config, Person
from yuqing.duty.models import DutyNotice

log = logging.getLogger(__name__)

ACTOR = "system:duty"
MAX_ATTEMPTS = 5


def plan_notices(
    session: Session, config: Config, person: Person, *, key: str, kind: str, now: datetime,
    warning_id: int | None = None, handover_id: int | None = None,
) -> list[DutyNotice]:
    """One notice per channel to ``person``: mail if they have an address, and the robot webhook."""
    targets = [("webhook", person.webhook_conn_id or config.notifications.webhook_conn_id)]
    if person.email:
        targets.insert(0, ("email", person.email))
    else:
        log.warning("person %s has no email: the %s notice goes by webhook only", person.id, key)
    notices = [
        DutyNotice(key=f"{key}:{channel}", kind=kind, warning_id=warning_id, handover_id=handover_id,
                   person_id=person.id, channel=channel, recipient=recipient, status="pending", attempts=0,
                   created_at=now)
        for channel, recipient in targets
    ]
    session.add_all(notices)
    session.flush()
    return notices


def pending_notices(session: Session) -> list[DutyNotice]:
    """Notices still to send: pending, or failed fewer than MAX_ATTEMPTS times. Never a sent one."""
    return list(session.scalars(
        select(DutyNotice)
        .where((DutyNotice.status == "pending")
               | ((DutyNotice.status == "failed") & (DutyNotice.attempts < MAX_ATTEMPTS)))
        .order_by(DutyNotice.id)
    ).all())


def record_notice(session: Session, notice_id: int, *, ok: bool, error: str | None = None, now: datetime) -> None:
    """Record one sending attempt as the notifier reported it; a notice already sent stays as it is."""
    notice = session.get(DutyNotice, notice_id)
    if notice is None:
        raise LookupError(f"no duty notice with id {notice_id}")
    if notice.status == "sent":
        log.warning("duty notice %s was already sent at %s; not recording again", notice_id, notice.sent_at)
        return
    notice.attempts += 1
    if ok:
        notice.status, notice.sent_at, notice.error = "sent", now, None
    else:
        notice.status, notice.error = "failed", (error or "unknown error")[:2000]
    audit.record(
        session, actor=ACTOR, action="duty.notice_sent" if ok else "duty.notice_failed",
        object_type="duty_notice", object_id=notice.id,
        detail={"key": notice.key, "person": notice.person_id, "channel": notice.channel,
                "recipient": notice.recipient, "attempts": notice.attempts, "error": notice.error,
                "at": now.isoformat()},
    )
    session.flush()


def cancel_notice(session: Session, notice_id: int, *, reason: str, now: datetime) -> None:
    """Do not send: the warning was acknowledged after the step was planned (acknowledgement stops it)."""
    notice = session.get(DutyNotice, notice_id)
    if notice is None or notice.status == "sent":
        return
    notice.status, notice.error = "cancelled", reason
    audit.record(session, actor=ACTOR, action="duty.notice_cancelled", object_type="duty_notice",
                 object_id=notice.id, detail={"key": notice.key, "reason": reason, "at": now.isoformat()})
    session.flush()
