"""Cases (C4 应对处置, P2 分级负责, P4 双向互动): 受理 → 转办 → 办理中 → 反馈 → 办结 → 回访.

Every function takes ``session`` keyword-only and never commits: the task or CLI command owns the
transaction. Every state change is a ``CaseTransition`` and an audit entry. Opening is idempotent:
one case per event or item (``origin_key``), so the hourly sweep may run any number of times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yuqing.audit import record
from yuqing.cases.deadlines import deadlines_for
from yuqing.cases.models import (
    OPEN_STATES,
    Case,
    CaseEscalation,
    CaseFeedback,
    CaseTransition,
    PublicResponse,
)
from yuqing.cases.routing import route_case
from yuqing.clock import SHANGHAI, fmt_local
from yuqing.config import Config
from yuqing.models import Event, Item

SYSTEM = "system:case_handling"

ALLOWED: dict[str, tuple[str, ...]] = {
    "受理": ("转办", "挂起"),
    "转办": ("办理中", "退回", "挂起"),
    "办理中": ("反馈", "退回", "挂起"),
    "退回": ("转办", "挂起"),  # 重新转办, possibly to another unit
    "反馈": ("办结", "办理中", "挂起"),
    "办结": ("回访",),
    "回访": (),
    "挂起": (),  # leaves only by resuming to the state it came from
}
NEEDS_REASON = ("挂起", "退回")


class CaseError(ValueError):
    """A refused case operation; the message says what and why."""


def _run_id() -> str | None:
    import os

    return os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")


def get_case(session: Session, number: str) -> Case:
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        raise CaseError(f"no case with 受理编号 {number}")
    return case


def next_case_number(session: Session, opened_at: datetime) -> str:
    prefix = f"YQ-{opened_at.astimezone(SHANGHAI):%Y%m%d}-"
    last = session.scalar(select(func.max(Case.number)).where(Case.number.like(prefix + "%")))
    return f"{prefix}{int(last[-4:]) + 1 if last else 1:04d}"


def _add_case(session: Session, case: Case) -> Case | None:
    """Insert with a fresh number; a concurrent opener of the same origin wins quietly."""
    for _ in range(5):
        case.number = next_case_number(session, case.opened_at)
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            return case
        except IntegrityError:
            if session.scalar(select(Case.id).where(Case.origin_key == case.origin_key)):
                return None
    raise CaseError(f"could not allocate a 受理编号 for {case.origin_key}")


def _open(session: Session, config: Config, *, origin_key: str, title: str, case_type: str, level: str,
          categories: list[str], text: str, now: datetime, **fields: object) -> Case | None:
    routing = route_case(config, categories=categories, text=text)
    dl = deadlines_for(config, case_type=case_type, level=level, opened_at=now)
    case = Case(
        origin_key=origin_key, title=title[:1000], case_type=case_type, level=level,
        category=categories[0] if categories else None, lead_unit=routing.lead_unit, co_units=routing.co_units,
        routing_rule=routing.rule, first_responsible=routing.first_responsible,
        direct_responsible=routing.direct_responsible, state="受理", opened_at=now, updated_at=now,
        due_at=dl.due_at, release_due_at=dl.release_due_at, press_due_at=dl.press_due_at, deadline_rule=dl.rule,
        deadline_provisional=dl.provisional, deadline_note=dl.note,
        assessment_state="pending" if level in config.cases.assessment_levels and case_type == "舆情事件" else "not_needed",
        **fields,
    )
    if _add_case(session, case) is None:
        return None
    session.add(CaseTransition(case_id=case.id, from_state=None, to_state="受理", actor=SYSTEM, at=now,
                               unit=case.lead_unit, reason=routing.rule, dag_run_id=_run_id()))
    record(session, actor=SYSTEM, action="case.opened", object_type="case", object_id=case.number,
           detail={"origin": origin_key, "type": case_type, "level": level, "lead_unit": case.lead_unit,
                   "co_units": case.co_units, "rule": routing.rule, "due_at": case.due_at.isoformat(),
                   "provisional": dl.provisional, "第一责任人": case.first_responsible,
                   "直接责任人": case.direct_responsible})
    if dl.provisional:
        record(session, actor=SYSTEM, action="case.deadline_provisional", object_type="case",
               object_id=case.number, detail={"note": dl.note})
    return case


def open_case_for_event(session: Session, config: Config, event: Event, *, now: datetime) -> Case | None:
    text = " ".join([event.title, *(event.signature or [])])
    return _open(session, config, origin_key=f"event:{event.id}", title=event.title, case_type="舆情事件",
                 level=event.level, categories=list(event.categories or []), text=text, now=now, event_id=event.id)


def open_case_for_item(session: Session, config: Config, item: Item, *, now: datetime) -> Case | None:
    extra = item.extra or {}
    case_type = str(extra.get("诉求类型") or extra.get("category") or config.cases.deadlines.default_item_type)
    if case_type not in config.cases.deadlines.working_days:
        case_type = config.cases.deadlines.default_item_type
    title = item.title or item.text[:60]
    return _open(session, config, origin_key=f"item:{item.id}", title=title, case_type=case_type, level="一般",
                 categories=list(item.categories or []), text=f"{item.title or ''} {item.text}", now=now,
                 item_id=item.id, event_id=item.event_id, channel=item.channel,
                 external_ref=str(extra.get("受理编号")) if extra.get("受理编号") else None)


def open_pending_cases(session: Session, config: Config, *, now: datetime) -> list[Case]:
    """受理: a case for every event that needs a response and every hotline / 网络问政 item, once."""
    rules = config.cases
    opened: list[Case] = []
    taken = set(session.scalars(select(Case.origin_key)))
    events = session.scalars(
        select(Event).where(Event.status == "open",
                            or_(Event.level.in_(rules.open_for_levels),
                                Event.response_value.in_(rules.open_for_response_value)))
        .order_by(Event.id)
    )
    for event in events:
        if f"event:{event.id}" not in taken and (case := open_case_for_event(session, config, event, now=now)):
            opened.append(case)
    items = session.scalars(
        select(Item).where(Item.channel.in_(rules.item_channels), Item.duplicate_of_id.is_(None)).order_by(Item.id)
    )
    for item in items:
        if f"item:{item.id}" not in taken and (case := open_case_for_item(session, config, item, now=now)):
            opened.append(case)
    return opened


def follow_event_levels(session: Session, config: Config, *, now: datetime) -> list[Case]:
    """An event that grew (e.g. 较大 → 重大) raises its open case: new deadlines from now, C2d if needed."""
    raised: list[Case] = []
    rows = session.execute(select(Case, Event).join(Event, Case.event_id == Event.id)
                           .where(Case.case_type == "舆情事件", Case.state.in_(OPEN_STATES)))
    from yuqing.config import LEVELS

    for case, event in rows:
        if LEVELS.index(event.level) <= LEVELS.index(case.level):
            continue
        old = case.level
        dl = deadlines_for(config, case_type=case.case_type, level=event.level, opened_at=now)
        case.level, case.updated_at = event.level, now
        case.due_at = min(case.due_at, dl.due_at)
        case.release_due_at, case.press_due_at, case.deadline_rule = dl.release_due_at, dl.press_due_at, dl.rule
        if event.level in config.cases.assessment_levels and case.assessment_state == "not_needed":
            case.assessment_state = "pending"
        record(session, actor=SYSTEM, action="case.level_raised", object_type="case", object_id=case.number,
               detail={"from": old, "to": event.level, "due_at": case.due_at.isoformat()})
        raised.append(case)
    return raised


def transition(session: Session, config: Config, case: Case, to_state: str, *, actor: str, now: datetime,
               reason: str | None = None, unit: str | None = None) -> CaseTransition:
    """Move a case to ``to_state``; an illegal move is refused with the allowed ones named."""
    frm = case.state
    if frm == "挂起":
        if to_state != case.suspended_from:
            raise CaseError(f"case {case.number} is 挂起 (from {case.suspended_from}); it can only resume to "
                            f"{case.suspended_from}, not {to_state}")
    elif to_state not in ALLOWED.get(frm, ()):
        allowed = "、".join(ALLOWED.get(frm, ())) or "nothing (final state)"
        raise CaseError(f"case {case.number}: {frm} → {to_state} is not allowed; from {frm} it may go to {allowed}")
    if to_state in NEEDS_REASON and not (reason and reason.strip()):
        raise CaseError(f"case {case.number}: {to_state} needs a reason (--reason)")
    if to_state == "转办" and case.assessment_state in ("pending", "requested", "rejected", "timed_out"):
        raise CaseError(f"case {case.number} is {case.level}: C2d 重大敏感舆情须经领导审批预控处置意见后方可处置 "
                        f"(assessment is {case.assessment_state})")
    if unit is not None:
        if unit not in {u.id for u in config.organisation.units}:
            raise CaseError(f"unknown unit '{unit}'")
        if to_state != "转办":
            raise CaseError("a unit can only be given when the case is 转办 (重新转办)")
        if unit != case.lead_unit:
            u = next(x for x in config.organisation.units if x.id == unit)
            case.lead_unit, case.first_responsible, case.direct_responsible = unit, u.leader, u.head
            case.co_units = [c for c in case.co_units if c != unit]
    if to_state == "办结":
        session.flush()
        given = set(session.scalars(select(CaseFeedback.unit).where(CaseFeedback.case_id == case.id)))
        missing = [u for u in [case.lead_unit, *case.co_units] if u not in given]
        if missing:
            raise CaseError(f"case {case.number} cannot be 办结: no feedback yet from {', '.join(missing)}")
        case.closed_at = now
    if to_state == "挂起":
        case.suspended_from = frm
    elif frm == "挂起":
        case.suspended_from = None
    if to_state in NEEDS_REASON:
        case.state_reason = reason
    case.state, case.updated_at = to_state, now
    t = CaseTransition(case_id=case.id, from_state=frm, to_state=to_state, actor=actor, reason=reason,
                       unit=unit or (case.lead_unit if to_state == "转办" else None), at=now, dag_run_id=_run_id())
    session.add(t)
    record(session, actor=actor, action="case.transition", object_type="case", object_id=case.number,
           detail={"from": frm, "to": to_state, "reason": reason, "unit": t.unit})
    return t


def add_feedback(session: Session, config: Config, case: Case, *, unit: str, actor: str, text: str,
                 now: datetime) -> CaseFeedback:
    """反馈: the lead unit's answer moves the case to 反馈; a 协办 unit's is recorded alongside."""
    if not text.strip():
        raise CaseError("feedback text is empty")
    if unit not in [case.lead_unit, *case.co_units]:
        raise CaseError(f"unit '{unit}' is neither the lead unit ({case.lead_unit}) nor a 协办 unit "
                        f"({', '.join(case.co_units) or 'none'}) of case {case.number}")
    role = "主办" if unit == case.lead_unit else "协办"
    if case.state in ("办结", "回访"):
        raise CaseError(f"case {case.number} is {case.state}; feedback is closed")
    fb = CaseFeedback(case_id=case.id, unit=unit, role=role, actor=actor, text=text, at=now, dag_run_id=_run_id())
    session.add(fb)
    session.flush()
    record(session, actor=actor, action="case.feedback", object_type="case", object_id=case.number,
           detail={"unit": unit, "role": role, "text": text[:2000]})
    if role == "主办":
        if case.state == "转办":
            transition(session, config, case, "办理中", actor=actor, now=now)
        if case.state == "办理中":
            transition(session, config, case, "反馈", actor=actor, now=now, reason="主办单位反馈")
        case.answered_at = case.answered_at or now
    return fb


def dispatch_new_cases(session: Session, config: Config, *, now: datetime) -> list[Case]:
    """转办: send every case still at 受理 to its routed unit, except those waiting for C2d approval."""
    moved = []
    for case in session.scalars(select(Case).where(Case.state == "受理", Case.assessment_state.in_(
            ("not_needed", "approved"))).order_by(Case.id)):
        transition(session, config, case, "转办", actor=SYSTEM, now=now, reason=case.routing_rule)
        moved.append(case)
    return moved


def _deadlines_of(session: Session, case: Case) -> list[tuple[str, datetime]]:
    out: list[tuple[str, datetime]] = []
    if case.state in OPEN_STATES:
        out.append(("due", case.due_at))
    if case.release_due_at and case.answered_at is None:
        out.append(("release", case.release_due_at))
    if case.press_due_at and case.state not in ("办结", "回访"):
        press_done = session.scalar(select(PublicResponse.id).where(
            PublicResponse.case_id == case.id, PublicResponse.form == "新闻发布会",
            PublicResponse.state == "published"))
        if not press_done:
            out.append(("press", case.press_due_at))
    return out


def check_deadlines(session: Session, config: Config, *, now: datetime) -> list[CaseEscalation]:
    """Remind before a deadline, escalate when it passes: 分管领导 first, then 主要负责同志. Once each."""
    rules = config.cases.deadlines
    principal = config.organisation.principal
    raised: list[CaseEscalation] = []
    existing = set(session.execute(select(CaseEscalation.case_id, CaseEscalation.deadline, CaseEscalation.step)))
    cases = session.scalars(select(Case).where(Case.state.not_in(("办结", "回访", "挂起"))).order_by(Case.id))
    for case in cases:
        for kind, due in _deadlines_of(session, case):
            steps: list[tuple[int, str | None]] = []
            if due - timedelta(hours=rules.remind_before_hours) <= now < due:
                steps.append((0, case.direct_responsible or case.first_responsible))
            if now >= due:
                steps.append((1, case.first_responsible))
            if now >= due + timedelta(hours=rules.escalate_principal_after_hours):
                steps.append((2, principal))
            for step, person in steps:
                if person is None or (case.id, kind, step) in existing:
                    continue
                esc = CaseEscalation(case_id=case.id, deadline=kind, step=step, person=person, due_at=due,
                                     raised_at=now)
                session.add(esc)
                existing.add((case.id, kind, step))
                raised.append(esc)
                record(session, actor=SYSTEM, action="case.reminded" if step == 0 else "case.escalated",
                       object_type="case", object_id=case.number,
                       detail={"deadline": kind, "step": step, "to": person, "due_at": fmt_local(due)})
    session.flush()
    return raised


def escalate_assessment_timeout(session: Session, config: Config, case: Case, *, now: datetime) -> CaseEscalation:
    """C2d approval not given in time: safe default (not approved) and escalation to the 主要负责同志."""
    case.assessment_state, case.updated_at = "timed_out", now
    esc = session.scalar(select(CaseEscalation).where(CaseEscalation.case_id == case.id,
                                                      CaseEscalation.deadline == "assessment"))
    if esc is None:
        esc = CaseEscalation(case_id=case.id, deadline="assessment", step=2, person=config.organisation.principal,
                             due_at=now, raised_at=now)
        session.add(esc)
        session.flush()
        record(session, actor=SYSTEM, action="case.escalated", object_type="case", object_id=case.number,
               detail={"deadline": "assessment", "step": 2, "to": esc.person, "why": "预控处置意见审批超时，未批准"})
    return esc
