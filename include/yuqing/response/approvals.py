"""HITL decisions kept in the store (G1, G3): who decided, when, on which exact text, in which DAG run.

Airflow keeps its own ``hitl_detail`` rows, but they cascade away with their task instances; this is
the long-term record that the audit export reads. ``request`` is written when the question is asked
(with the hash of the text shown), ``decide`` when the answer arrives — idempotent per task.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.audit import record
from yuqing.cases.models import CaseApproval

APPROVE, REJECT = "Approve", "Reject"


def request(session: Session, *, kind: str, dag_id: str, run_id: str, task_id: str, map_index: int = -1,
            case_id: int | None, response_id: int | None = None, assigned_to: list[str], text_sha256: str | None,
            agency: str | None = None, now: datetime) -> CaseApproval:
    row = session.scalar(select(CaseApproval).where(CaseApproval.dag_id == dag_id, CaseApproval.run_id == run_id,
                                                    CaseApproval.task_id == task_id,
                                                    CaseApproval.map_index == map_index))
    if row is not None:  # a retried task asks again: the new answer is the one that counts
        previous = row.decision
        row.text_sha256, row.assigned_to, row.requested_at = text_sha256, assigned_to, now
        row.decision, row.decided_by, row.decided_at, row.reason = "requested", None, None, None
        record(session, actor="system:hitl", action=f"approval.requested.{kind}", object_type="approval",
               object_id=row.id, detail={"assigned_to": assigned_to, "sha256": text_sha256, "case_id": case_id,
                                         "response_id": response_id, "agency": agency, "asked_again": True,
                                         "previous_decision": previous})
        return row
    row = CaseApproval(kind=kind, dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index,
                       case_id=case_id, response_id=response_id, assigned_to=assigned_to, text_sha256=text_sha256,
                       agency=agency, requested_at=now)
    session.add(row)
    session.flush()
    record(session, actor="system:hitl", action=f"approval.requested.{kind}", object_type="approval",
           object_id=row.id, detail={"assigned_to": assigned_to, "sha256": text_sha256, "case_id": case_id,
                                     "response_id": response_id, "agency": agency})
    return row


def decide(session: Session, *, dag_id: str, run_id: str, task_id: str, map_index: int = -1,
           chosen_options: list[str], responded_by: dict[str, Any] | None, params_input: dict[str, Any],
           responded_at: datetime | None, now: datetime) -> CaseApproval:
    """Record the answer. No responder means the response timeout applied the safe default."""
    row = session.scalar(select(CaseApproval).where(CaseApproval.dag_id == dag_id, CaseApproval.run_id == run_id,
                                                    CaseApproval.task_id == task_id,
                                                    CaseApproval.map_index == map_index))
    if row is None:
        raise LookupError(f"no approval request recorded for {dag_id}/{run_id}/{task_id}[{map_index}]")
    if row.decision != "requested":
        return row
    if responded_by is None:
        row.decision = "timed_out"
    elif row.kind in ("draft", "feedback"):
        row.decision = "submitted"
    else:
        row.decision = "approved" if chosen_options == [APPROVE] else "rejected"
    row.decided_by = responded_by.get("id") if responded_by else None
    reason = (params_input or {}).get("reason") or (params_input or {}).get("意见")
    row.reason = str(reason) if reason else ("超时未答复，按安全默认处理（不批准）" if responded_by is None else None)
    row.decided_at = responded_at or now
    record(session, actor=row.decided_by or "system:hitl_timeout", action=f"approval.{row.decision}.{row.kind}",
           object_type="approval", object_id=row.id,
           detail={"chosen": chosen_options, "sha256": row.text_sha256, "reason": row.reason,
                   "case_id": row.case_id, "response_id": row.response_id, "agency": row.agency,
                   "dag_id": dag_id, "run_id": run_id, "task_id": task_id,
                   "decided_at": row.decided_at.isoformat()})
    return row
