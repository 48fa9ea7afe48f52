"""待审批: pending approvals and forms (Airflow HITL requests), each linked to Airflow's own page.

The requests themselves live in Airflow's metadata DB and are read by the web app (which may import
Airflow); this module only shapes them for people and adds what the store knows (the case and the
kind of decision), so the page reads 「清风寺…（YQ-…）会签」 instead of a task id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.cases.models import Case, CaseApproval
from yuqing.templating import beijing, plain

KIND_NAMES = {"assessment": "研判处置审批", "draft": "回应稿修改", "countersign": "会签",
              "publication": "发布审批", "feedback": "承办反馈"}


class PendingRequest(TypedDict):
    """One unanswered HITL request as read from Airflow's ``hitl_detail`` and ``task_instance``."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    subject: str
    body: str | None
    options: list[str]
    assignees: list[dict[str, str]]
    created_at: datetime | None
    has_form: bool


def answer_href(req: PendingRequest) -> str:
    """Airflow's page for answering, relative to the desk (``/yuqing/approvals`` → ``/dags/…``).

    Relative so it follows ``[api] base_url`` when Airflow is served under a prefix.
    """
    return (f"../dags/{quote(req['dag_id'], safe='')}/runs/{quote(req['run_id'], safe='')}"
            f"/tasks/{quote(req['task_id'], safe='')}/required_actions?map_index={int(req['map_index'])}")


def approvals_page(session: Session, requests: list[PendingRequest], *, person_id: str,
                   now: datetime) -> dict[str, Any]:
    """Requests oldest first; those assigned to the viewer are marked 待我处理."""
    keys = [(r["dag_id"], r["run_id"], r["task_id"], r["map_index"]) for r in requests]
    known: dict[tuple[str, str, str, int], tuple[CaseApproval, str | None, str | None]] = {}
    if keys:
        rows = session.execute(
            select(CaseApproval, Case.number, Case.title)
            .outerjoin(Case, Case.id == CaseApproval.case_id)
            .where(CaseApproval.run_id.in_(sorted({k[1] for k in keys})))
        )
        for approval, number, title in rows:
            known[(approval.dag_id, approval.run_id, approval.task_id, approval.map_index)] = (approval, number, title)
    out = []
    for r in sorted(requests, key=lambda r: (r["created_at"] is None, r["created_at"] or now)):
        approval, number, title = known.get((r["dag_id"], r["run_id"], r["task_id"], r["map_index"]), (None, None, None))
        assignees = [a.get("name") or a.get("id", "") for a in r["assignees"]]
        out.append({
            "subject": plain(r["subject"], 160),
            "body": plain(r["body"], 300) if r["body"] else "",
            "kind": KIND_NAMES.get(approval.kind, approval.kind) if approval else ("表单" if r["has_form"] else "审批"),
            "case": f"{number} {plain(title, 60)}" if number else "",
            "options": "、".join(r["options"]),
            "assignees": "、".join(assignees) or "不限（有权限者均可处理）",
            "mine": any(a.get("id") == person_id for a in r["assignees"]),
            "created_at": beijing(r["created_at"]),
            "waiting": _waited(r["created_at"], now),
            "dag_id": r["dag_id"],
            "task_id": r["task_id"],
            "href": answer_href(r),
        })
    return {"page": "approvals", "generated_at": beijing(now), "requests": out,
            "mine": sum(1 for r in out if r["mine"])}


def _waited(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    return f"{minutes // 60}小时{minutes % 60:02d}分" if minutes >= 60 else f"{minutes}分钟"
