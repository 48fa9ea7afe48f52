"""交接班 (C4 24小时联络畅通): at each shift change the open warnings pass to the incoming person.

One handover per shift instance (unique on its start), recorded by whichever sweep first sees the
new shift: it lists the open, unacknowledged warnings raised before that shift began, is audited, and — when there is
something to hand over to a different person — notifies the incoming person once. The incoming
person may then acknowledge those warnings (see ``acknowledgement``). Shift instances no sweep saw
(the scheduler was down for a whole shift) are not recorded after the fact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing import audit, roster
from yuqing.config import Config
from yuqing.duty.models import DutyHandover
from yuqing.duty.notices import ACTOR, plan_notices
from yuqing.models import EarlyWarning

NOT_HANDED_OVER = frozenset({"roster_gap"})


def record_handover(session: Session, config: Config, *, now: datetime) -> DutyHandover | None:
    """The handover to the shift on duty at ``now`` if not recorded yet; None if recorded or in a gap."""
    try:
        current = roster.on_duty(config, now)
    except roster.RosterGap:
        return None
    shift_start = current.starts_at.astimezone(UTC)
    if session.scalar(select(DutyHandover.id).where(DutyHandover.shift_start == shift_start)) is not None:
        return None
    try:
        outgoing: str | None = roster.on_duty(config, current.starts_at - timedelta(seconds=1)).person.id
    except roster.RosterGap:
        outgoing = None
    open_ids = list(session.scalars(
        select(EarlyWarning.id)
        .where(EarlyWarning.status == "open", EarlyWarning.acknowledged_at.is_(None),
               EarlyWarning.kind.not_in(NOT_HANDED_OVER), EarlyWarning.created_at < shift_start)
        .order_by(EarlyWarning.id)
    ).all())
    handover = DutyHandover(shift_start=shift_start, from_person=outgoing, to_person=current.person.id,
                            warning_ids=open_ids, recorded_at=now)
    session.add(handover)
    session.flush()
    notify = bool(open_ids) and outgoing != current.person.id
    if notify:
        plan_notices(session, config, current.person, key=f"handover:{handover.id}", kind="handover",
                     handover_id=handover.id, now=now)
    audit.record(
        session, actor=ACTOR, action="duty.handover", object_type="duty_handover", object_id=handover.id,
        detail={"shift_start": shift_start.isoformat(), "from": outgoing, "to": current.person.id,
                "warnings": open_ids, "notified": notify, "at": now.isoformat()},
    )
    return handover
