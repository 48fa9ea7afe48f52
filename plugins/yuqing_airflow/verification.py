"""The verification forms (C1 核实衔接) as Airflow HITL steps whose questions and answers live in the store.

- ``FindingForm``: one per verifying body; options are the four findings, fields the evidence and links;
  assigned to the body's Airflow user. No answer in time: the default applies with no responder, which
  is recorded as 未答复 (excluded from the outcome), never as a finding.
- ``ConclusionForm``: shows every finding; its default is the combined finding (the rule in
  ``yuqing.verification.service``), which also stands when nobody concludes in time.

Both record the answer in ``execute_complete``; questions are built when the task runs
(``yuqing.verification.forms``), so the subject, body, assignees and timeout follow yuqing.yaml.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param

log = logging.getLogger(__name__)
OUTCOMES = ["属实", "不实", "部分属实", "无法核实"]


def _responder(event: dict[str, Any]) -> str | None:
    who = event.get("responded_by_user") or None
    return who.get("id") if isinstance(who, dict) else None


class FindingForm(HITLOperator):
    """核实意见: one verifying body's finding, evidence and links for one verification."""

    def __init__(self, *, verification_id: int | None = None, body_id: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("subject", "谣言核实")
        kwargs.setdefault("options", OUTCOMES)
        kwargs.setdefault("defaults", "无法核实")
        kwargs.setdefault("params", {
            "evidence": Param("", type="string", format="multiline", title="核实依据",
                              description="核实所依据的事实、记录或来电情况"),
            "links": Param("", type="string", format="multiline", title="相关链接", description="每行一个链接，可不填"),
        })
        super().__init__(**kwargs)
        self.verification_id, self.body_id = verification_id, body_id

    def execute(self, context: Any) -> Any:
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.verification.forms import finding_question

        with session_scope() as session:
            q = finding_question(session, load_config(), int(self.verification_id), self.body_id)
        self.subject, self.body = q.subject, q.body
        self.assigned_users = [{"id": uid, "name": name} for uid, name in q.assigned]
        self.response_timeout = timedelta(hours=q.timeout_hours)
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.verification.service import record_finding

        who = _responder(event)
        params = event.get("params_input") or {}
        chosen = list(event.get("chosen_options") or [])
        with session_scope() as session:
            record_finding(session, load_config(), int(self.verification_id), self.body_id,
                           finding=chosen[0] if who and chosen else None,
                           evidence=str(params.get("evidence") or ""),
                           links=str(params.get("links") or "").split(), responded_by=who, now=utcnow())
        return super().execute_complete(context, event)


class ConclusionForm(HITLOperator):
    """核实结论: the outcome, by the on-duty monitor or the 分管领导; defaults to the combined finding."""

    def __init__(self, *, verification_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("subject", "核实结论")
        kwargs.setdefault("options", OUTCOMES)
        kwargs.setdefault("params", {
            "note": Param("", type="string", format="multiline", title="结论说明", description="可不填"),
            "rebuttal": Param(False, type="boolean", title="发起辟谣回应",
                              description="结论为不实或部分属实时，按辟谣模板启动公开回应（仍须会签和领导审核）"),
        })
        super().__init__(**kwargs)
        self.verification_id = verification_id

    def execute(self, context: Any) -> Any:
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.verification.forms import conclusion_question

        with session_scope() as session:
            q = conclusion_question(session, load_config(), int(self.verification_id), utcnow())
        self.subject, self.body = q.subject, q.body
        self.assigned_users = [{"id": uid, "name": name} for uid, name in q.assigned]
        self.response_timeout = timedelta(hours=q.timeout_hours)
        self.defaults = [q.default or "无法核实"]
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from yuqing.clock import utcnow
        from yuqing.db import session_scope
        from yuqing.verification.service import combined_for, conclude

        who = _responder(event)
        params = event.get("params_input") or {}
        chosen = list(event.get("chosen_options") or [])
        with session_scope() as session:
            outcome = chosen[0] if who and chosen else combined_for(session, int(self.verification_id))
            conclude(session, int(self.verification_id), outcome=outcome, by=who, now=utcnow(),
                     note=str(params.get("note") or "") if who else "")
        result = super().execute_complete(context, event)
        return {"verification_id": int(self.verification_id), "outcome": outcome,
                "rebuttal": bool(who and params.get("rebuttal")), "by": who, "hitl": result}
