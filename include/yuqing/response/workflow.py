"""What each HITL decision does to a case or a response (C2d, C5, G1). Called by the Airflow glue
when the answer arrives, in the same transaction as the recorded decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.audit import record
from yuqing.cases.assessment import approver_for
from yuqing.cases.models import Case, CaseApproval, CaseEscalation, PublicResponse
from yuqing.cases.service import add_feedback, dispatch_new_cases, escalate_assessment_timeout, get_case
from yuqing.config import Config
from yuqing.response.drafts import revise_text


def response_approver(config: Config, case: Case) -> str:
    return approver_for(config, case)


def drafters(config: Config, case: Case) -> list[str]:
    """专人采编: the lead unit's 直接责任人 drafts; the 办公室 head (政务公开) may too."""
    office = next((u.head for u in config.organisation.units if u.id == "office"), None)
    return [p for p in dict.fromkeys([case.direct_responsible, office]) if p]


def _escalate(session: Session, config: Config, case: Case, kind: str, why: str, now: datetime) -> None:
    session.flush()
    exists = session.scalar(select(CaseEscalation.id).where(CaseEscalation.case_id == case.id,
                                                           CaseEscalation.deadline == kind))
    if not exists:
        session.add(CaseEscalation(case_id=case.id, deadline=kind, step=2, person=config.organisation.principal,
                                   due_at=now, raised_at=now))
        record(session, actor="system:hitl_timeout", action="case.escalated", object_type="case",
               object_id=case.number, detail={"deadline": kind, "step": 2, "to": config.organisation.principal,
                                              "why": why})


def feedback_unit(config: Config, case: Case, requested: str | None) -> str:
    unit = requested or case.lead_unit
    if unit not in [case.lead_unit, *case.co_units]:
        raise ValueError(f"unit '{unit}' is neither the lead unit ({case.lead_unit}) nor a 协办 unit "
                         f"({', '.join(case.co_units) or 'none'}) of case {case.number}")
    return unit


def apply_decision(session: Session, config: Config, row: CaseApproval, *, params_input: dict, now: datetime,
                   run_params: dict | None = None) -> None:
    case = session.get(Case, row.case_id) if row.case_id else None
    if row.kind == "feedback" and case is not None:
        text = str((params_input or {}).get("text") or "").strip()
        if row.decided_by and text:
            unit = feedback_unit(config, case, (run_params or {}).get("unit"))
            add_feedback(session, config, case, unit=unit, actor=row.decided_by, text=text, now=now)
        return
    response = session.get(PublicResponse, row.response_id) if row.response_id else None
    if row.kind == "assessment" and case is not None:
        if row.decision == "approved":
            case.assessment_state = "approved"
            record(session, actor=row.decided_by or "?", action="case.assessment_approved", object_type="case",
                   object_id=case.number, detail={"approval_id": row.id})
            dispatch_new_cases(session, config, now=now)
        elif row.decision == "rejected":
            case.assessment_state = "rejected"
            record(session, actor=row.decided_by or "?", action="case.assessment_rejected", object_type="case",
                   object_id=case.number, detail={"approval_id": row.id, "reason": row.reason})
        else:
            escalate_assessment_timeout(session, config, case, now=now)
    elif row.kind == "draft" and response is not None:
        text = str((params_input or {}).get("text") or "")
        if row.decided_by and text.strip():
            revise_text(session, config, response, text=text, actor=row.decided_by)
        response.state = "countersign" if response.agencies else "awaiting_approval"
    elif row.kind == "countersign" and response is not None:
        if row.decision != "approved":
            response.state = "rejected"
            record(session, actor=row.decided_by or "system:hitl_timeout", action="response.countersign_failed",
                   object_type="response", object_id=response.id,
                   detail={"agency": row.agency, "decision": row.decision, "reason": row.reason})
    elif row.kind == "publication" and response is not None and case is not None:
        if row.decision == "approved":
            response.state, response.approved_at = "approved", row.decided_at
        else:
            response.state = "rejected"
            record(session, actor=row.decided_by or "system:hitl_timeout", action="response.rejected",
                   object_type="response", object_id=response.id,
                   detail={"decision": row.decision, "reason": row.reason, "sha256": row.text_sha256})
            if row.decision == "timed_out":
                _escalate(session, config, case, "approval", "回应稿审核超时，未发布", now)


def case_by_number(session: Session, number: str) -> Case:
    return get_case(session, number)
