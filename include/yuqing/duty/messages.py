"""What an escalation or handover notice says, rendered for its person (mail and robot)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.duty.escalation import escalation_notice
from yuqing.duty.models import DutyHandover, DutyNotice, WarningEscalation
from yuqing.models import EarlyWarning
from yuqing.notifications import WarningMessage, render_handover, render_warning


def is_obsolete(session: Session, notice: DutyNotice) -> bool:
    """An escalation notice about a warning acknowledged since it was planned is not sent."""
    if notice.kind != "escalation" or notice.warning_id is None:
        return False
    warning = session.get(EarlyWarning, notice.warning_id)
    return warning is None or warning.acknowledged_at is not None or warning.status != "open"


def message_for(session: Session, config: Config, notice: DutyNotice, *, now: datetime) -> WarningMessage:
    """The rendered message of one notice, with the 确认收到 link(s) made for its person."""
    person = config.person(notice.person_id)
    if notice.kind == "handover":
        handover = session.get(DutyHandover, notice.handover_id)
        if handover is None:
            raise LookupError(f"duty notice {notice.id}: no handover {notice.handover_id}")
        return render_handover(handover, config, session=session, person=person, now=now)
    warning = session.get(EarlyWarning, notice.warning_id)
    step = int(notice.key.split(":")[2])
    row = session.scalar(select(WarningEscalation).where(
        WarningEscalation.warning_id == notice.warning_id, WarningEscalation.step == step))
    if warning is None or row is None:
        raise LookupError(f"duty notice {notice.id}: no warning or escalation step for {notice.key}")
    return render_warning(warning, config, session=session, person=person,
                          notice=escalation_notice(row, warning), now=now)
