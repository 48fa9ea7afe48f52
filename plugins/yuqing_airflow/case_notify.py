"""Mail reminders and escalations of cases (C4) to the person named on each, once."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

STEP_SENTENCES = {
    0: "该事项临近办理时限，请抓紧办理并及时反馈。",
    1: "该事项已超过办理时限，按规定报告分管领导，请督促主办单位立即办理。",
    2: "该事项超时未办结（或审批超时未批准），按规定报告主要负责同志。",
}
DEADLINE_NAMES = {"due": "答复时限", "release": "首次权威发布时限", "press": "新闻发布会时限",
                  "assessment": "预控处置意见审批", "approval": "回应稿审核"}


def send_case_escalations(context: Any) -> dict[str, int]:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier
    from sqlalchemy import select

    from yuqing.audit import record
    from yuqing.cases.models import Case, CaseEscalation
    from yuqing.clock import fmt_local, utcnow
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.templating import render

    config = load_config()
    sent = failed = 0
    with session_scope() as session:
        ids = list(session.scalars(select(CaseEscalation.id).where(CaseEscalation.status != "sent")
                                   .order_by(CaseEscalation.id)))
    for esc_id in ids:
        with session_scope() as session:
            esc = session.get(CaseEscalation, esc_id)
            assert esc is not None
            case = session.get(Case, esc.case_id)
            assert case is not None
            person = config.person(esc.person)
            subject = (f"【{'催办' if esc.step == 0 else '督办'}】{case.number} "
                       f"{DEADLINE_NAMES.get(esc.deadline, esc.deadline)} {case.title[:30]}")
            html = render("cases/escalation.html.j2", subject=subject, case=case,
                          lead_unit_name=next(u.name for u in config.organisation.units if u.id == case.lead_unit),
                          deadline_name=DEADLINE_NAMES.get(esc.deadline, esc.deadline), due_at=fmt_local(esc.due_at),
                          sentence=STEP_SENTENCES.get(esc.step, ""), dashboard_url=config.notifications.dashboard_url)
            try:
                if not person.email:
                    raise ValueError(f"person {person.id} has no email")
                SmtpNotifier(to=person.email, subject=subject, html_content=html,
                             smtp_conn_id=config.notifications.smtp_conn_id).notify(context)
            except Exception as exc:
                esc.status, esc.error = "failed", str(exc)[:1000]
                failed += 1
                log.warning("case escalation %s to %s failed: %s", esc_id, person.id, exc)
                continue
            esc.status, esc.sent_at, esc.error = "sent", utcnow(), None
            sent += 1
            record(session, actor="system:case_handling", action="case.notice_sent", object_type="case",
                   object_id=case.number, detail={"to": person.id, "email": person.email, "step": esc.step,
                                                  "deadline": esc.deadline})
    return {"sent": sent, "failed": failed}
