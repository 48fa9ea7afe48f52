"""归口报送 of approved reports through Airflow's notifiers and hooks (C3).

The store (``yuqing.reports.store``) decides what still has to go out and records each outcome;
this module only moves bytes: email through ``SmtpNotifier`` with the PDF and DOCX attached
(``files=``), webhook through ``HttpHook`` (so the receiver's answer is kept as the receipt). A
delivery already marked sent is never sent again; a failed one stays pending and the task retries.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class ReportDeliveryFailed(RuntimeError):
    """Some deliveries failed; they stay pending and the task's retry sends them again."""


def _mail_html(report: Any, org: str) -> str:
    from html import escape

    return (f"<p>{escape(org)}报送：<b>{escape(report.title)}</b>（第 {report.version} 版）。</p>"
            f"<p>正文见附件（PDF、DOCX）。审批：{escape(report.decided_by or '')}。</p>")


def send_report(context: Any, report_id: int, *, refuse_resend: bool = False) -> dict[str, int]:
    """Send one approved report version to every configured recipient not yet reached."""
    from airflow.providers.http.hooks.http import HttpHook
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.reports.store import get_report, pending_deliveries, record_delivery

    config = load_config()
    with session_scope() as session:
        report = get_report(session, report_id)
        todo = [(d.id, d.channel, d.address, d.recipient)
                for d in pending_deliveries(session, config, report_id, refuse_resend=refuse_resend)]
        files = [report.files["pdf"], report.files["docx"]]
        subject = f"【报送】{report.title}（v{report.version}）"
        html = _mail_html(report, config.organisation.name)
        payload = {"msgtype": "report", "title": report.title, "version": report.version, "kind": report.kind,
                   "key": report.key, "approved_by": report.decided_by,
                   "files": {k: Path(v).name for k, v in report.files.items()}}
    sent = failed = 0
    errors = []
    for delivery_id, channel, address, recipient in todo:
        try:
            if channel == "email":
                SmtpNotifier(to=address, subject=subject, html_content=html, files=files,
                             smtp_conn_id=config.notifications.smtp_conn_id).notify(context)
                receipt = f"SMTP server accepted the message for {address} with {len(files)} attachments"
            else:
                response = HttpHook(method="POST", http_conn_id=address).run(
                    endpoint=config.notifications.webhook_endpoint, json=payload, extra_options={"timeout": 10})
                receipt = f"HTTP {response.status_code}: {response.text[:500]}"
        except Exception as exc:  # one recipient's failure must not stop the others
            failed += 1
            errors.append(f"{channel} to {recipient} <{address}>: {exc}")
            with session_scope() as session:
                record_delivery(session, delivery_id, ok=False, error=str(exc))
            continue
        sent += 1
        with session_scope() as session:
            record_delivery(session, delivery_id, ok=True, receipt=receipt)
        log.info("report %s sent by %s to %s", report_id, channel, address)
    if failed:
        raise ReportDeliveryFailed(f"{failed} of {len(todo)} deliveries of report {report_id} failed: " + "; ".join(errors))
    return {"report_id": report_id, "sent": sent, "failed": failed, "planned": len(todo)}


def hitl_answer(answer: Any) -> tuple[str | None, str]:
    """(chosen option, who) from an HITL task's XCom; (None, "") when the step was not run (marked)."""
    if not answer:
        return None, ""
    chosen = (answer.get("chosen_options") or [None])[0]
    user = answer.get("responded_by_user") or {}
    who = (user.get("id") or user.get("name")) if isinstance(user, dict) else None
    return chosen, who or "timeout:default"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
