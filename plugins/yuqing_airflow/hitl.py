"""Human-in-the-loop steps whose questions and answers are kept in the yuqing store.

Airflow's HITL operators ask and wait (``awaiting_input``); these subclasses add what the policy
needs around them:

- the question is built when the task runs, from the store: the subject, a Chinese Markdown body,
  the assigned users (leader by level, the agency's liaison, the drafter) and the response timeout
  from ``yuqing.yaml``; the request is recorded with the sha256 of the exact text shown;
- the answer is recorded when it arrives, in ``execute_complete`` and *before* Airflow skips any
  downstream task, so a rejection or a timeout is on record even though it leaves no XCom. No
  responder means the response timeout applied the safe default ("Reject"): not approved.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLEntryOperator
from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)


class HitlMail(BaseNotifier):
    """Mail each assigned person the question and the link where they answer (never fails the task).

    ``tag`` heads the subject: 待审批 for approvals and forms, 待核实 for rumour verification.
    """

    template_fields = ()

    def __init__(self, tag: str = "待审批") -> None:
        super().__init__()
        self.tag = tag

    def notify(self, context: Any) -> None:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        from yuqing.config import load_config

        task = context["task"]
        config = load_config()
        try:
            link = task.generate_link_to_ui_from_context(context=context)
        except Exception:  # no [api] base_url configured
            link = config.notifications.dashboard_url
        emails = {p.id: p.email for p in config.people}
        emails.update({a.contact: a.email for a in config.cases.agencies})
        emails.update({b.user: b.email for b in config.verification.bodies if b.email})
        html = (f"<p>{_esc(task.subject)}</p><pre>{_esc(task.body or '')}</pre>"
                f'<p>请在舆情系统中处理：<a href="{_esc(link)}">{_esc(link)}</a></p>')
        for user in task.assigned_users or []:
            to = emails.get(user["id"])
            if not to:
                log.warning("HITL %s: no email for %s", task.task_id, user["id"])
                continue
            try:
                SmtpNotifier(to=to, subject=f"[{self.tag}] {task.subject}", html_content=html,
                             smtp_conn_id=config.notifications.smtp_conn_id).notify(context)
                outcome = "sent"
            except Exception as exc:  # the request stands in the UI; a mail failure must not void it
                log.warning("HITL %s: mail to %s failed: %s", task.task_id, to, exc)
                outcome = f"failed: {exc}"[:500]
            _audit_notice(context, user["id"], to, outcome)


def _audit_notice(context: Any, user: str, to: str, outcome: str) -> None:
    from yuqing.audit import record
    from yuqing.db import session_scope

    ti = context["ti"]
    with session_scope() as session:
        record(session, actor="system:hitl", action="approval.notified", object_type="hitl_request",
               object_id=f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/{ti.map_index}",
               detail={"to": user, "email": to, "outcome": outcome})


def _esc(text: str) -> str:
    import html

    return html.escape(str(text))


def _fence(text: str) -> str:
    return "~~~~text\n" + text.replace("~~~~", "～～～～") + ("" if text.endswith("\n") else "\n") + "~~~~"


def _user(config: Any, uid: str) -> dict[str, str]:
    try:
        return {"id": uid, "name": config.person(uid).name}
    except KeyError:
        agency = next((a for a in config.cases.agencies if a.contact == uid), None)
        return {"id": uid, "name": agency.contact_name or uid if agency else uid}


def _question(kind: str, op: Any, context: Any) -> dict[str, Any]:
    """Build the question from the store: subject, body, assignees, timeout, and what it is about."""
    from yuqing.cases.assessment import draft_assessment
    from yuqing.cases.models import PublicResponse
    from yuqing.cases.service import get_case
    from yuqing.clock import fmt_local
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.response.drafts import sha256_text
    from yuqing.response.workflow import drafters, response_approver

    config = load_config()
    rules = config.cases.deadlines
    with session_scope() as session:
        if kind == "assessment":
            case = get_case(session, context["params"]["case_number"])
            a = draft_assessment(session, config, case)
            case.assessment_state = "requested"
            return {"subject": a.subject, "body": a.body, "assigned": [a.approver], "case_id": case.id,
                    "response_id": None, "sha": sha256_text(a.body), "agency": None,
                    "timeout": rules.assessment_timeout_hours}
        if kind == "feedback":
            from yuqing.response.workflow import feedback_unit

            case = get_case(session, context["params"]["case_number"])
            unit_id = feedback_unit(config, case, context["params"].get("unit") or None)
            unit = next(u for u in config.organisation.units if u.id == unit_id)
            role = "主办" if unit_id == case.lead_unit else "协办"
            return {"subject": f"【办理反馈】{case.number} {unit.name}（{role}）：{case.title[:40]}",
                    "assigned": [unit.head or unit.leader], "case_id": case.id, "response_id": None, "sha": None,
                    "agency": None, "timeout": rules.feedback_timeout_hours,
                    "body": (f"**{case.number}｜{case.level}｜{case.case_type}**\n\n事项：{case.title}\n\n"
                             f"当前状态：{case.state}；答复时限：{fmt_local(case.due_at)}"
                             f"{'（暂定）' if case.deadline_provisional else ''}\n\n"
                             "请在“办理情况”中填写本单位的办理情况。")}
        rid = context["ti"].xcom_pull(task_ids="prepare_draft")["response_id"]
        response = session.get(PublicResponse, rid)
        assert response is not None
        case = get_case(session, context["params"]["case_number"])
        head = f"{case.number}｜{case.level}｜{response.template}（第{response.attempt}稿）"
        shown = sha256_text(response.text)  # the hash of the very text shown below, not a stored column
        if kind == "draft":
            return {"subject": f"【回应稿编辑】{head}", "assigned": drafters(config, case), "case_id": case.id,
                    "response_id": rid, "sha": shown, "agency": None,
                    "timeout": rules.draft_timeout_hours,
                    "body": ("以下为系统根据模板生成的回应稿。如需修改，请在“回应稿全文”中填写修改后的全文；"
                             "留空则采用此稿。\n\n" + _fence(response.text))}
        if kind == "countersign":
            agency = next(a for a in config.cases.agencies if a.id == op.agency)
            return {"subject": f"【会签】{agency.name}：请确认回应稿中涉及贵单位的表述 {head}",
                    "assigned": [agency.contact], "case_id": case.id, "response_id": rid,
                    "sha": shown, "agency": agency.id, "timeout": rules.countersign_timeout_hours,
                    "body": (f"回应稿提及{agency.name}，请确认表述准确一致（C5）。sha256：`{shown}`\n\n"
                             + _fence(response.text))}
        response.state = "awaiting_approval"
        return {"subject": f"【发布审核】{head}", "assigned": [response_approver(config, case)],
                "case_id": case.id, "response_id": rid, "sha": shown, "agency": None,
                "timeout": rules.approval_timeout_hours,
                "body": (f"请审核以下回应稿全文。批准即同意按此文本（sha256：`{shown}`）"
                         f"依次在{'、'.join(response.channels)}发布，任何改动都须重新审核。\n\n" + _fence(response.text))}


class _Recorded:
    kind: str = ""

    def execute(self, context: Any) -> Any:
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.response import approvals

        q = _question(self.kind, self, context)
        config = load_config()
        self.subject, self.body = q["subject"], q["body"]  # type: ignore[attr-defined]
        self.assigned_users = [_user(config, uid) for uid in q["assigned"]]  # type: ignore[attr-defined]
        self.response_timeout = timedelta(hours=q["timeout"])  # type: ignore[attr-defined]
        ti = context["ti"]
        with session_scope() as session:
            approvals.request(session, kind=self.kind, dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id,
                              map_index=ti.map_index if ti.map_index is not None else -1, case_id=q["case_id"],
                              response_id=q["response_id"], assigned_to=q["assigned"], text_sha256=q["sha"],
                              agency=q["agency"], now=utcnow())
        return super().execute(context)  # type: ignore[misc]

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.response import approvals
        from yuqing.response.workflow import apply_decision

        ti = context["ti"]
        params_input = event.get("params_input") or {}
        with session_scope() as session:
            row = approvals.decide(session, dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id,
                                   map_index=ti.map_index if ti.map_index is not None else -1,
                                   chosen_options=list(event.get("chosen_options") or []),
                                   responded_by=event.get("responded_by_user"), params_input=params_input,
                                   responded_at=event.get("responded_at"), now=utcnow())
            apply_decision(session, load_config(), row, params_input=params_input, now=utcnow(),
                           run_params=dict(context.get("params") or {}))
        return super().execute_complete(context, event)  # type: ignore[misc]


class RecordedApproval(_Recorded, ApprovalOperator):
    """批准 / 不批准, recorded; the timeout default is "Reject" (not approved)."""

    def __init__(self, *, kind: str, agency: str | None = None, **kwargs: Any) -> None:
        from airflow.sdk import Param

        kwargs.setdefault("defaults", "Reject")
        kwargs.setdefault("params", {"reason": Param("", type="string", title="意见",
                                                     description="不批准时请写明理由（将记入审计）")})
        kwargs.setdefault("subject", "待审批")
        super().__init__(**kwargs)
        self.kind, self.agency = kind, agency


class RecordedEntry(_Recorded, HITLEntryOperator):
    """A form step (the drafter's edit), recorded; on timeout the draft stands as it is."""

    def __init__(self, *, kind: str = "draft", **kwargs: Any) -> None:
        from airflow.sdk import Param

        kwargs.setdefault("params", {"text": Param("", type="string", format="multiline", title="回应稿全文",
                                                   description="留空则采用系统草稿")})
        kwargs.setdefault("subject", "待编辑")
        super().__init__(**kwargs)
        self.kind = kind
