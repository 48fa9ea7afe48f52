"""Deliver 预警 to the people on duty through Airflow's own notifiers (SMTP and robot webhook).

Why here and not in ``yuqing``: the addresses of the mail server and the webhook are Airflow
Connections, and the notifiers are Airflow's. The store decides *what* to send and records each
outcome; a delivery already marked sent is never sent again, so a rerun never resends.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class DeliveryFailed(RuntimeError):
    """Some deliveries failed; they stay pending and the task retries them."""


def send_pending_warnings(context: Any) -> dict[str, int]:
    """Plan and send every pending warning delivery; record each result in the store."""
    from airflow.providers.http.notifications.http import HttpNotifier
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from yuqing.clock import utcnow
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.early_warning import plan_deliveries, record_delivery
    from yuqing.models import EarlyWarning
    from yuqing.notifications import render_warning

    config = load_config()
    with session_scope() as session:
        pending = [(d.id, d.warning_id, d.channel, d.recipient) for d in plan_deliveries(session, config, now=utcnow())]
    sent = failed = 0
    errors: list[str] = []
    for delivery_id, warning_id, channel, recipient in pending:
        with session_scope() as session:
            warning = session.get(EarlyWarning, warning_id)
            assert warning is not None
            message = render_warning(warning, config, session=session)
        try:
            if channel == "email":
                SmtpNotifier(
                    to=recipient,
                    subject=message.subject,
                    html_content=message.html,
                    smtp_conn_id=config.notifications.smtp_conn_id,
                ).notify(context)
            else:
                HttpNotifier(
                    http_conn_id=recipient,
                    endpoint=config.notifications.webhook_endpoint,
                    json=message.webhook_payload,
                    extra_options={"timeout": 10},
                ).notify(context)
        except Exception as exc:  # one recipient's failure must not stop the others
            failed += 1
            errors.append(f"warning {warning_id} {channel} to {recipient}: {exc}")
            log.warning("delivery %s failed: %s", delivery_id, exc)
            with session_scope() as session:
                record_delivery(session, delivery_id, ok=False, error=str(exc)[:2000], now=utcnow())
            continue
        sent += 1
        with session_scope() as session:
            record_delivery(session, delivery_id, ok=True, now=utcnow())
    if failed:
        raise DeliveryFailed(f"{failed} of {len(pending)} deliveries failed: " + "; ".join(errors))
    return {"sent": sent, "failed": failed}
