"""谣言核实 (C1 核实衔接): marking, proposals from cue words, the bodies' findings and the outcome.

Every function takes ``session`` and never commits: the task or CLI command owns the transaction.
Every change is an audit entry (G3). Values are checked here, so a bad mark or outcome is refused
with a message naming the value and what is allowed, whoever calls.

The outcome rule (``combined_finding``), used as the default of the conclusion form and when nobody
concludes in time:

- only bodies that answered count; a body that never answered (未答复) is left out;
- 无法核实 answers count only when no body reached a substantive finding (属实 / 不实 / 部分属实);
- all substantive findings agree → that finding;
- 属实 and 不实 both found → 无法核实 (the bodies contradict each other; the concluder must decide);
- otherwise (部分属实 with 属实 or with 不实) → 部分属实;
- nobody answered → 无法核实.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yuqing.audit import record
from yuqing.config import LEVELS, Config, VerifyingBody
from yuqing.models import AuditLog, Event, Item
from yuqing.verification.models import Verification, VerificationFinding

MARKS = ("疑似谣言", "误解")
ORIGINS = ("人工标记", "分析提示")
STATES = ("待核实", "核实中", "已核实")
OUTCOMES = ("属实", "不实", "部分属实", "无法核实")
REBUTTAL_OUTCOMES = ("不实", "部分属实")
"""Outcomes from which a 辟谣 response may be started."""
ANALYSIS = "system:analysis"
TIMEOUT_RULE = "system:verification_timeout"


class VerificationError(ValueError):
    """A refused verification operation; the message says what and why."""


def _run_id() -> str | None:
    return os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")


def check_mark(mark: str) -> str:
    if mark not in MARKS:
        raise VerificationError(f"mark {mark!r} is not allowed; use one of {' / '.join(MARKS)}")
    return mark


def check_outcome(outcome: str, what: str = "outcome") -> str:
    if outcome not in OUTCOMES:
        raise VerificationError(f"{what} {outcome!r} is not allowed; use one of {' / '.join(OUTCOMES)}")
    return outcome


def get_verification(session: Session, verification_id: int) -> Verification:
    v = session.get(Verification, verification_id)
    if v is None:
        raise VerificationError(f"no verification with id {verification_id}")
    return v


def for_event(session: Session, event_id: int) -> Verification | None:
    return session.scalar(select(Verification).where(Verification.event_id == event_id))


def event_of(session: Session, *, event_id: int | None = None, item_id: int | None = None) -> tuple[Event, Item | None]:
    """The event to mark: given directly, or the event an item belongs to."""
    if (event_id is None) == (item_id is None):
        raise VerificationError("name exactly one of an event id or an item id")
    item = None
    if item_id is not None:
        item = session.get(Item, item_id)
        if item is None:
            raise VerificationError(f"no item with id {item_id}")
        if item.event_id is None:
            raise VerificationError(f"item {item_id} belongs to no event (not relevant, or not analysed yet)")
        event_id = item.event_id
    event = session.get(Event, event_id)
    if event is None:
        raise VerificationError(f"no event with id {event_id}")
    for _ in range(20):  # an absorbed event: the verification belongs to the event it joined
        if event.status != "merged":
            break
        into = session.scalar(select(AuditLog.detail).where(
            AuditLog.action == "event.merged", AuditLog.object_type == "event",
            AuditLog.object_id == str(event.id)).order_by(AuditLog.id.desc()))
        joined = session.get(Event, int(into["into"])) if into and into.get("into") is not None else None
        if joined is None:
            break
        event = joined
    return event, item


def mark(session: Session, *, mark: str, actor: str, now: datetime, event_id: int | None = None,
         item_id: int | None = None, reason: str = "", origin: str = "人工标记",
         cues: Sequence[str] = ()) -> tuple[Verification, bool]:
    """Mark an event (or an item's event) as 疑似谣言 / 误解; returns (verification, created).

    Idempotent: an event has one verification. Marking it again with the same mark changes nothing
    (an 分析提示 keeps its origin and cue words); a different mark on a verification not yet concluded is
    recorded as a change (who, from, to).
    A concluded verification keeps its mark and outcome.
    """
    check_mark(mark)
    if origin not in ORIGINS:
        raise VerificationError(f"origin {origin!r} is not allowed; use one of {' / '.join(ORIGINS)}")
    event, item = event_of(session, event_id=event_id, item_id=item_id)
    existing = for_event(session, event.id)
    if existing is not None:
        if existing.state != "已核实" and existing.mark != mark:
            before = {"mark": existing.mark, "origin": existing.origin}
            existing.mark, existing.origin, existing.marked_by = mark, origin, actor
            existing.reason = reason or existing.reason
            existing.updated_at = now
            record(session, actor=actor, action="verification.remarked", object_type="event", object_id=event.id,
                   detail={"verification": existing.id, "from": before, "to": {"mark": mark, "origin": origin},
                           "reason": reason})
        return existing, False
    v = Verification(event_id=event.id, item_id=item.id if item else None, mark=mark, origin=origin,
                     cues=list(cues), reason=reason, marked_by=actor, state="待核实", created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(v)
            session.flush()
    except IntegrityError:  # a concurrent marker of the same event won
        found = for_event(session, event.id)
        assert found is not None
        return found, False
    record(session, actor=actor, action="verification.marked", object_type="event", object_id=event.id,
           detail={"verification": v.id, "mark": mark, "origin": origin, "cues": list(cues), "reason": reason,
                   "item": v.item_id})
    return v, True


def propose(session: Session, config: Config, cues_by_event: dict[int, list[str]], *, now: datetime) -> list[int]:
    """分析提示: mark events whose relevant items carry rumour cue words; returns the new verification ids.

    An event that already has a verification is left as it is. Only events graded at least
    ``verification.propose_from_level`` are proposed, so everyday chatter with 听说 does not flood the desk;
    nothing is proposed while no verifying body is configured.
    """
    rules = config.verification
    if not rules.propose_from_analysis or not rules.bodies or not cues_by_event:
        return []  # without verifying bodies there is nobody to verify with: nothing is proposed
    floor = LEVELS.index(rules.propose_from_level)
    created: list[int] = []
    for event_id in sorted(cues_by_event):
        cues = sorted(set(cues_by_event[event_id]))
        event = session.get(Event, event_id)
        if not cues or event is None or event.status == "merged" or LEVELS.index(event.level) < floor:
            continue
        if for_event(session, event_id) is not None:
            continue
        v, new = mark(session, mark="疑似谣言", actor=ANALYSIS, now=now, event_id=event_id, origin="分析提示",
                      cues=cues, reason="信息含谣言线索词：" + "、".join(cues))
        if new:
            created.append(v.id)
    return created


def body(config: Config, body_id: str) -> VerifyingBody:
    for b in config.verification.bodies:
        if b.id == body_id:
            return b
    raise VerificationError(f"no verifying body '{body_id}' under verification.bodies in the configuration")


def start(session: Session, config: Config, verification_id: int, *, now: datetime, actor: str = "system:verification",
          dag_run_id: str | None = None) -> list[str]:
    """待核实 → 核实中: one pending finding per configured body; returns the body ids to ask.

    A verification already 核实中 or 已核实 is not asked again (returns []), so a second run for the
    same verification does nothing.
    """
    v = get_verification(session, verification_id)
    if not config.verification.bodies:
        raise VerificationError("no verifying bodies are configured (verification.bodies in yuqing.yaml)")
    if v.state != "待核实":
        return []
    v.state, v.updated_at, v.dag_run_id = "核实中", now, dag_run_id or _run_id()
    for b in config.verification.bodies:
        session.add(VerificationFinding(verification_id=v.id, body_id=b.id, body_name=b.name, body_kind=b.kind,
                                        status="待答复", created_at=now))
    session.flush()
    record(session, actor=actor, action="verification.started", object_type="event", object_id=v.event_id,
           detail={"verification": v.id, "bodies": [b.id for b in config.verification.bodies]})
    return [b.id for b in config.verification.bodies]


def record_finding(session: Session, config: Config, verification_id: int, body_id: str, *, finding: str | None,
                   evidence: str = "", links: Sequence[str] = (), responded_by: str | None, now: datetime,
                   responded_at: datetime | None = None) -> VerificationFinding:
    """A body's answer (已答复), or its silence (``finding`` None: 未答复, excluded from the outcome).

    Recorded once: a finding already answered is not overwritten by a later call.
    """
    if finding is not None:
        check_outcome(finding, what=f"finding of {body_id}")
    b = body(config, body_id)
    v = get_verification(session, verification_id)
    row = session.scalar(select(VerificationFinding).where(VerificationFinding.verification_id == v.id,
                                                           VerificationFinding.body_id == b.id))
    if row is None:
        row = VerificationFinding(verification_id=v.id, body_id=b.id, body_name=b.name, body_kind=b.kind,
                                  created_at=now)
        session.add(row)
    elif row.status == "已答复":
        return row
    clean_links = [str(u).strip() for u in links if str(u).strip()]
    bad = [u for u in clean_links if not u.startswith(("http://", "https://"))]
    if bad:
        raise VerificationError(f"evidence link {bad[0]!r} of {body_id} is not an http(s) address")
    if finding is None:
        row.status, row.finding, row.responded_by, row.responded_at = "未答复", None, None, None
    else:
        row.status, row.finding, row.evidence, row.links = "已答复", finding, evidence.strip(), clean_links
        row.responded_by, row.responded_at = responded_by, responded_at or now
    v.updated_at = now
    session.flush()
    record(session, actor=responded_by or TIMEOUT_RULE,
           action="verification.finding" if finding else "verification.no_answer", object_type="event",
           object_id=v.event_id, detail={"verification": v.id, "body": b.id, "finding": finding,
                                         "evidence": row.evidence[:500], "links": row.links})
    return row


def combined_finding(findings: Iterable[str | None]) -> str:
    """The outcome the answered findings support (the rule in this module's docstring)."""
    answered = [f for f in findings if f]
    substantive = {f for f in answered if f != "无法核实"}
    if not substantive:
        return "无法核实"
    if len(substantive) == 1:
        return substantive.pop()
    if {"属实", "不实"} <= substantive:
        return "无法核实"
    return "部分属实"


def combined_for(session: Session, verification_id: int) -> str:
    v = get_verification(session, verification_id)
    return combined_finding(f.finding for f in v.findings if f.status == "已答复")


def conclude(session: Session, verification_id: int, *, outcome: str, by: str | None, now: datetime,
             note: str = "") -> Verification:
    """已核实: record the outcome on the event's verification, with who concluded it (None: the timeout rule).

    Pending findings become 未答复. Concluding again with the same outcome changes nothing; a different
    outcome is recorded as a revision (from → to) in the audit trail.
    """
    check_outcome(outcome)
    v = get_verification(session, verification_id)
    if v.state == "已核实" and v.outcome == outcome:
        return v
    for f in v.findings:
        if f.status == "待答复":
            f.status = "未答复"
    previous = v.outcome if v.state == "已核实" else None
    actor = by or TIMEOUT_RULE
    v.state, v.outcome, v.concluded_by, v.concluded_at, v.updated_at = "已核实", outcome, actor, now, now
    v.outcome_note = note.strip() or (None if by else "无人在时限内作出结论，按各核实单位意见综合认定")
    session.flush()
    record(session, actor=actor, action="verification.revised" if previous else "verification.concluded",
           object_type="event", object_id=v.event_id,
           detail={"verification": v.id, "outcome": outcome, "from": previous, "note": v.outcome_note,
                   "findings": {f.body_id: f.finding or f.status for f in v.findings}})
    return v


def rebuttal_case(session: Session, config: Config, verification_id: int, *, now: datetime) -> str:
    """The 受理编号 of the event's case for a 辟谣 response; the case is opened if there is none."""
    from yuqing.cases.models import Case
    from yuqing.cases.service import open_case_for_event

    v = get_verification(session, verification_id)
    if v.state != "已核实" or v.outcome not in REBUTTAL_OUTCOMES:
        raise VerificationError(
            f"verification {v.id} is {v.state}{'：' + v.outcome if v.outcome else ''}; "
            f"a 辟谣 response starts only from {' / '.join(REBUTTAL_OUTCOMES)}")
    number = session.scalar(select(Case.number).where(Case.event_id == v.event_id).order_by(Case.id))
    if number is None:
        event = session.get(Event, v.event_id)
        assert event is not None
        case = open_case_for_event(session, config, event, now=now)
        number = case.number if case is not None else session.scalar(
            select(Case.number).where(Case.origin_key == f"event:{event.id}"))
    assert number is not None
    return number


def record_rebuttal(session: Session, verification_id: int, *, case_number: str, run_id: str, actor: str) -> None:
    """Keep which 辟谣 run was started from this verification (once)."""
    v = get_verification(session, verification_id)
    if v.rebuttal_run_id == run_id:
        return
    v.rebuttal_case, v.rebuttal_run_id = case_number, run_id
    record(session, actor=actor, action="verification.rebuttal_started", object_type="event", object_id=v.event_id,
           detail={"verification": v.id, "case": case_number, "run_id": run_id, "template": "辟谣"})


def pending_ids(session: Session, ids: Iterable[int] | None = None) -> list[int]:
    """Verifications still 待核实 (all, or among ``ids``), oldest first."""
    q = select(Verification.id).where(Verification.state == "待核实").order_by(Verification.id)
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        q = q.where(Verification.id.in_(wanted))
    return list(session.scalars(q))


def evidence_summary(findings: Sequence[tuple[str, str, str]], limit: int = 60) -> str:
    """一句话: each answered body with its finding and the start of its evidence (for logs and reports)."""
    from yuqing.templating import plain

    parts = []
    for name, finding, evidence in findings:
        text = plain(evidence, limit) if evidence else ""
        parts.append(f"{name}：{finding}" + (f"（{text}）" if text else ""))
    return "；".join(parts)
