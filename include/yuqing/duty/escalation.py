"""Escalation (C4 第一责任人, 24小时联络畅通): an unacknowledged warning climbs a chain, one step at a time.

Per level, ``acknowledgement.escalate_after_minutes`` gives three moments after the warning was
raised. At the first it goes to the backup (备班) of the shift on duty at that moment (after a
handover the warning belongs to that shift); at the second to the 分管领导 for 舆情 work
(``acknowledgement.leader_in_charge``, else the leader of the recipient's unit); at the third to the
主要负责同志. Each step is taken once (unique per warning and step) and audited; a step whose person
is missing (no backup, roster gap) or who already has the warning is recorded as skipped, with a
note. An acknowledgement stops the chain: only open, unacknowledged warnings are looked at.
值班空档 warnings are not escalated: they already go to the 主要负责同志.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing import audit, roster
from yuqing.config import Config, Person
from yuqing.duty.models import WarningEscalation
from yuqing.duty.notices import ACTOR, plan_notices
from yuqing.early_warning import recipient_of
from yuqing.models import EarlyWarning

ROLES = ("backup", "leader", "principal")
ROLE_NAMES = {"backup": "备班人员", "leader": "分管领导", "principal": "主要负责同志"}
NOT_ESCALATED = frozenset({"roster_gap"})
HORIZON = timedelta(days=3)
"""Warnings older than this are not escalated any more: when the sweep first starts (or returns after a long
outage) it must not flood the leaders with stale warnings. They stay open and count as unacknowledged."""


def step_minutes(config: Config, level: str) -> list[int]:
    """Minutes after raising at which each step falls due (an unknown level escalates like 一般)."""
    table = config.acknowledgement.escalate_after_minutes
    return list(table.get(level) or table["一般"])  # type: ignore[index]


def leader_in_charge(config: Config, warning: EarlyWarning) -> Person | None:
    """The 分管领导 for this warning: the configured one, else the leader of the recipient's unit."""
    if config.acknowledgement.leader_in_charge:
        return config.person(config.acknowledgement.leader_in_charge)
    unit_id = recipient_of(config, warning.duty_person).unit
    for unit in config.organisation.units:
        if unit.id == unit_id:
            return config.person(unit.leader)
    return None


def _person_for(config: Config, warning: EarlyWarning, role: str, due_at: datetime) -> tuple[Person | None, str]:
    """Who a step goes to, or None with the reason it cannot be taken."""
    if role == "backup":
        try:
            duty = roster.on_duty(config, due_at)
        except roster.RosterGap:
            return None, "该时段值班表无人值班，无备班人员可通知"
        if duty.backup is None:
            return None, f"{duty.person.name}的班次未设备班人员"
        return duty.backup, ""
    if role == "leader":
        leader = leader_in_charge(config, warning)
        return (leader, "") if leader else (None, "未配置分管领导（acknowledgement.leader_in_charge）")
    return config.person(config.organisation.principal), ""


def escalate_due(session: Session, config: Config, *, now: datetime) -> list[WarningEscalation]:
    """Take every escalation step that has fallen due by ``now``; return the steps taken in this call."""
    warnings = session.scalars(
        select(EarlyWarning)
        .where(EarlyWarning.status == "open", EarlyWarning.acknowledged_at.is_(None),
               EarlyWarning.kind.not_in(NOT_ESCALATED), EarlyWarning.created_at >= now - HORIZON)
        .order_by(EarlyWarning.id)
    ).all()
    if not warnings:
        return []
    done: dict[int, list[WarningEscalation]] = {}
    for row in session.scalars(select(WarningEscalation).where(
            WarningEscalation.warning_id.in_([w.id for w in warnings]))):
        done.setdefault(row.warning_id, []).append(row)
    taken: list[WarningEscalation] = []
    for warning in warnings:
        steps = {row.step: row for row in done.get(warning.id, [])}
        informed = {recipient_of(config, warning.duty_person).id}
        informed |= {row.person_id for row in steps.values() if row.status == "notified" and row.person_id}
        for step, (role, minutes) in enumerate(zip(ROLES, step_minutes(config, warning.level), strict=True), 1):
            due_at = warning.created_at + timedelta(minutes=minutes)
            if now < due_at:
                break
            if step in steps:
                continue
            taken.append(_take(session, config, warning, step, role, minutes, due_at, informed, now))
    return taken


def _take(session: Session, config: Config, warning: EarlyWarning, step: int, role: str, minutes: int,
          due_at: datetime, informed: set[str], now: datetime) -> WarningEscalation:
    person, note = _person_for(config, warning, role, due_at)
    if person is not None and person.id in informed:
        note = f"{person.name}已收到该预警，不重复发送"
        status = "skipped"
    else:
        status = "notified" if person is not None else "skipped"
    row = WarningEscalation(warning_id=warning.id, step=step, role=role,
                            person_id=person.id if person is not None else None, status=status,
                            note=note or None, due_at=due_at, done_at=now)
    session.add(row)
    session.flush()
    if status == "notified":
        assert person is not None
        informed.add(person.id)
        plan_notices(session, config, person, key=f"escalation:{warning.id}:{step}", kind="escalation",
                     warning_id=warning.id, now=now)
    audit.record(
        session, actor=ACTOR,
        action="warning.escalate" if status == "notified" else "warning.escalation_skipped",
        object_type="warning", object_id=warning.id,
        detail={"step": step, "role": role, "person": row.person_id, "minutes_unacknowledged": minutes,
                "due_at": due_at.isoformat(), "at": now.isoformat(), "note": row.note},
    )
    return row


def escalation_notice(row: WarningEscalation, warning: EarlyWarning) -> str:
    """The sentence an escalation message opens with (Chinese, for the person it is escalated to)."""
    minutes = round((row.due_at - warning.created_at).total_seconds() / 60)
    return (f"升级提醒：本预警发出 {minutes} 分钟后仍未确认，按规定报送{ROLE_NAMES.get(row.role, row.role)}。"
            "请及时确认并督促处置。")
