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


def notify(channel: str, recipient: str, message: Any, config: Any, context: Any) -> None:
    """One rendered message through Airflow's SMTP notifier (``email``) or HTTP notifier (a webhook
    Connection id as ``recipient``); the addresses live in Airflow Connections."""
    from airflow.providers.http.notifications.http import HttpNotifier
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    if channel == "email":
        SmtpNotifier(to=recipient, subject=message.subject, html_content=message.html,
                     smtp_conn_id=config.notifications.smtp_conn_id).notify(context)
    else:
        HttpNotifier(http_conn_id=recipient, endpoint=config.notifications.webhook_endpoint,
                     json=message.webhook_payload, extra_options={"timeout": 10}).notify(context)


def send_pending_warnings(context: Any) -> dict[str, int]:
    """Plan and send every pending warning delivery; record each result in the store."""
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
            notify(channel, recipient, message, config, context)
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


def send_pending_notices(context: Any, *, now: Any) -> dict[str, int]:
    """Send every pending duty notice (escalation, handover) once; record each outcome.

    A notice whose warning was acknowledged meanwhile is cancelled instead of sent.
    """
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.duty.messages import is_obsolete, message_for
    from yuqing.duty.models import DutyNotice
    from yuqing.duty.notices import cancel_notice, pending_notices, record_notice

    config = load_config()
    with session_scope() as session:
        pending = [(n.id, n.channel, n.recipient) for n in pending_notices(session)]
    sent = failed = cancelled = 0
    errors: list[str] = []
    for notice_id, channel, recipient in pending:
        with session_scope() as session:
            notice = session.get_one(DutyNotice, notice_id)
            if is_obsolete(session, notice):
                cancel_notice(session, notice_id, reason="预警已确认，不再上报", now=now)
                cancelled += 1
                continue
            message = message_for(session, config, notice, now=now)
        try:
            notify(channel, recipient, message, config, context)
        except Exception as exc:  # one recipient's failure must not stop the others
            failed += 1
            errors.append(f"notice {notice_id} {channel} to {recipient}: {exc}")
            with session_scope() as session:
                record_notice(session, notice_id, ok=False, error=str(exc), now=now)
            continue
        sent += 1
        with session_scope() as session:
            record_notice(session, notice_id, ok=True, now=now)
    if failed:
        raise DeliveryFailed(f"{failed} of {len(pending)} notices failed: " + "; ".join(errors))
    return {"sent": sent, "failed": failed, "cancelled": cancelled}


def send_gap_warnings(context: Any, *, now: Any) -> dict[str, int]:
    """Send the queued deliveries of 值班空档 warnings; a failure is recorded, and the collection
    DAG's sender retries it like any failed warning delivery."""
    from yuqing.config import load_config
    from yuqing.db import session_scope
    from yuqing.duty.gaps import queued_deliveries
    from yuqing.early_warning import record_delivery
    from yuqing.models import EarlyWarning
    from yuqing.notifications import render_warning

    config = load_config()
    with session_scope() as session:
        queued = [(d.id, d.warning_id, d.channel, d.recipient) for d in queued_deliveries(session)]
    sent = failed = 0
    for delivery_id, warning_id, channel, recipient in queued:
        with session_scope() as session:
            message = render_warning(session.get_one(EarlyWarning, warning_id), config, session=session, now=now)
        try:
            notify(channel, recipient, message, config, context)
        except Exception as exc:  # recorded as failed: the collection DAG's sender retries it
            failed += 1
            log.warning("gap warning delivery %s failed: %s", delivery_id, exc)
            with session_scope() as session:
                record_delivery(session, delivery_id, ok=False, error=str(exc)[:2000], now=now)
            continue
        sent += 1
        with session_scope() as session:
            record_delivery(session, delivery_id, ok=True, now=now)
    return {"sent": sent, "failed": failed}
