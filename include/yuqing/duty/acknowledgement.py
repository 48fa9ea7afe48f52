"""Acknowledging a warning (签收, C2c 及时反馈): from the desk page, a mail/robot link, or the CLI.

Who may acknowledge a warning (checked by ``acknowledge`` whatever the way in):
- nobody with only the ``viewer`` role, and nobody the configuration does not know (``may_acknowledge``);
- anyone with the ``admin`` role, the 主要负责同志 and the 分管领导 for 舆情 work (``leader_in_charge``);
- the person it was sent to (on duty when it was raised, or the 主要负责同志 during a roster gap);
- the person on duty at the moment of acknowledging, and anyone it was handed over or escalated to.

A warning is acknowledged once: the store update is conditional (``acknowledged_at IS NULL``), so
two people acknowledging at the same moment give one acknowledgement and one refusal naming the
first. Links are signed (itsdangerous, secret from ``YUQING_SECRET_KEY``), carry the warning, the
person and a nonce, expire after ``acknowledgement.link_ttl_hours`` and work once: the nonce is
stored in ``ack_link_uses`` in the same transaction as the acknowledgement, so a second use is
refused even from another process. Functions never commit; the caller owns the transaction.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yuqing import audit, roster
from yuqing.clock import fmt_local
from yuqing.config import Config
from yuqing.duty.models import AckLinkUse, DutyHandover, WarningEscalation
from yuqing.early_warning import recipient_of
from yuqing.models import EarlyWarning

SECRET_ENV = "YUQING_SECRET_KEY"
_SALT = "yuqing.warning-ack.v1"
VIA = ("page", "link", "cli")
Via = Literal["page", "link", "cli"]


class AcknowledgementRefused(Exception):
    """An acknowledgement that cannot be taken. ``reason`` is a short Chinese sentence for the user;
    ``str(e)`` is English, for logs. ``code`` tells the cases apart (forged, reused, expired, …)."""

    def __init__(self, message: str, *, reason: str, code: str):
        super().__init__(message)
        self.reason = reason
        self.code = code


class SecretKeyMissing(RuntimeError):
    """YUQING_SECRET_KEY is not set, so no link can be made or checked (a deployment error, not the user's)."""


def _serializer() -> URLSafeSerializer:
    key = os.environ.get(SECRET_ENV)
    if not key:
        raise SecretKeyMissing(
            f"{SECRET_ENV} is not set: acknowledgement links are signed with it; "
            f"set it to a long random string (the same for every Airflow worker and the web desk)"
        )
    return URLSafeSerializer(key, salt=_SALT)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}; use an aware datetime")
    return now


def may_acknowledge(config: Config, person_id: str) -> bool:
    """Whether this person may acknowledge warnings at all: known, and more than a viewer."""
    try:
        person = config.person(person_id)
    except KeyError:
        return False
    return any(role != "viewer" for role in person.roles)


def _always_entitled(config: Config, person_id: str) -> bool:
    person = config.person(person_id)
    return (
        "admin" in person.roles
        or person_id == config.organisation.principal
        or person_id == config.acknowledgement.leader_in_charge
    )


def is_entitled(session: Session, config: Config, warning: EarlyWarning, person_id: str, *, now: datetime) -> bool:
    """Whether ``person_id`` may acknowledge this particular warning (see the module docstring)."""
    if not may_acknowledge(config, person_id):
        return False
    if _always_entitled(config, person_id) or recipient_of(config, warning.duty_person).id == person_id:
        return True
    try:
        if roster.on_duty(config, now).person.id == person_id:
            return True
    except roster.RosterGap:
        pass
    escalated = session.scalar(
        select(WarningEscalation.id).where(
            WarningEscalation.warning_id == warning.id, WarningEscalation.person_id == person_id
        )
    )
    if escalated is not None:
        return True
    handed = session.scalars(select(DutyHandover.warning_ids).where(DutyHandover.to_person == person_id)).all()
    return any(warning.id in ids for ids in handed)


def _already(warning: EarlyWarning, config: Config) -> AcknowledgementRefused:
    try:
        who = config.person(warning.acknowledged_by or "").name
    except KeyError:
        who = warning.acknowledged_by or "?"
    return AcknowledgementRefused(
        f"warning {warning.id} was already acknowledged by {warning.acknowledged_by} at "
        f"{warning.acknowledged_at.isoformat() if warning.acknowledged_at else '?'}",
        reason=f"该预警已由{who}于{fmt_local(warning.acknowledged_at)}确认，无需重复确认。",
        code="already_acknowledged",
    )


def _checked(session: Session, config: Config, warning_id: int, person_id: str, *, now: datetime) -> EarlyWarning:
    """The warning, if ``person_id`` may acknowledge it now; else AcknowledgementRefused."""
    if not may_acknowledge(config, person_id):
        raise AcknowledgementRefused(
            f"person {person_id!r} may not acknowledge warnings (unknown, or viewer only)",
            reason="您没有确认预警的权限（仅限值班人员及预警接收人）。",
            code="not_allowed",
        )
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise AcknowledgementRefused(
            f"no warning with id {warning_id}", reason="预警不存在或已被删除。", code="not_found"
        )
    if warning.acknowledged_at is not None:
        raise _already(warning, config)
    if warning.status == "closed":
        raise AcknowledgementRefused(
            f"warning {warning_id} is closed", reason="该预警已关闭，无需确认。", code="closed"
        )
    if not is_entitled(session, config, warning, person_id, now=now):
        raise AcknowledgementRefused(
            f"person {person_id!r} is neither on duty nor a recipient of warning {warning_id}",
            reason="该预警未发送给您，您当前也不在值班，不能代为确认。",
            code="not_entitled",
        )
    return warning


def _record(session: Session, config: Config, warning: EarlyWarning, person_id: str, *, via: str,
            now: datetime) -> EarlyWarning:
    result = session.execute(
        update(EarlyWarning)
        .where(EarlyWarning.id == warning.id, EarlyWarning.acknowledged_at.is_(None))
        .values(status="acknowledged", acknowledged_at=now, acknowledged_by=person_id)
        .execution_options(synchronize_session=False)
    )
    session.refresh(warning)
    if result.rowcount != 1:  # someone else acknowledged it between our read and our update
        raise _already(warning, config)
    audit.record(
        session,
        actor=person_id,
        action="warning.acknowledge",
        object_type="warning",
        object_id=warning.id,
        detail={
            "via": via,
            "at": now.isoformat(),
            "seconds_to_acknowledge": round((now - warning.created_at).total_seconds()),
            "level": warning.level,
        },
    )
    session.flush()
    return warning


def acknowledge(
    session: Session, config: Config, warning_id: int, person_id: str, *, via: Via, now: datetime
) -> EarlyWarning:
    """Record that ``person_id`` has the warning in hand; stops its escalation. Audited; never twice.

    On AcknowledgementRefused nothing was written; the caller may go on with its session.
    """
    if via not in VIA:
        raise ValueError(f"via must be one of {', '.join(VIA)}, not {via!r}")
    now = _aware(now)
    warning = _checked(session, config, warning_id, person_id, now=now)
    return _record(session, config, warning, person_id, via=via, now=now)


def make_ack_link(config: Config, warning_id: int, person_id: str, *, now: datetime) -> str:
    """The full URL of a signed, single-use acknowledgement link for this person and warning."""
    now = _aware(now)
    expires = now + timedelta(hours=config.acknowledgement.link_ttl_hours)
    token = _serializer().dumps(
        {"w": int(warning_id), "p": person_id, "n": secrets.token_urlsafe(16), "e": int(expires.timestamp())}
    )
    return f"{config.notifications.dashboard_url.rstrip('/')}/yuqing/ack/{token}"


def _open_token(token: str, *, now: datetime) -> dict:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise AcknowledgementRefused(
            "acknowledgement link has a bad signature (forged or altered)",
            reason="确认链接无效（签名校验失败），请从系统页面确认。",
            code="forged",
        ) from None
    if not (isinstance(data, dict) and isinstance(data.get("w"), int) and isinstance(data.get("p"), str)
            and isinstance(data.get("n"), str) and isinstance(data.get("e"), int)):
        raise AcknowledgementRefused(
            "acknowledgement link payload is malformed", reason="确认链接无效，请从系统页面确认。", code="forged"
        )
    if _aware(now) >= datetime.fromtimestamp(data["e"], UTC):
        raise AcknowledgementRefused(
            f"acknowledgement link expired at {datetime.fromtimestamp(data['e'], UTC).isoformat()}",
            reason="确认链接已过期，请登录系统确认。",
            code="expired",
        )
    return data


def peek_link(config: Config, token: str, *, now: datetime) -> tuple[int, str]:
    """``(warning_id, person_id)`` of a valid, unexpired link, without using it (for a confirm page)."""
    data = _open_token(token, now=now)
    return data["w"], data["p"]


def acknowledge_with_link(session: Session, config: Config, token: str, *, now: datetime) -> EarlyWarning:
    """Acknowledge as the person the link was made for; a forged, expired or used link is refused.

    The link's nonce is stored in the caller's transaction together with the acknowledgement. When
    this raises after writing (a concurrent use of the same link, or of the warning), the caller
    must roll back — ``session_scope`` does.
    """
    now = _aware(now)
    data = _open_token(token, now=now)
    reused = AcknowledgementRefused(
        f"acknowledgement link {data['n']} was already used",
        reason="该确认链接已使用过，每个链接只能使用一次。",
        code="reused",
    )
    if session.get(AckLinkUse, data["n"]) is not None:
        raise reused
    try:
        warning = _checked(session, config, data["w"], data["p"], now=now)
    except AcknowledgementRefused as exc:
        # the same link used a moment ago by another request: say so, rather than "already acknowledged"
        if exc.code == "already_acknowledged" and session.get(AckLinkUse, data["n"]) is not None:
            raise reused from None
        raise
    session.add(AckLinkUse(nonce=data["n"], warning_id=warning.id, person_id=data["p"], used_at=now))
    try:
        session.flush()  # a concurrent use of the same link fails here, on the primary key
    except IntegrityError:
        raise reused from None
    return _record(session, config, warning, data["p"], via="link", now=now)
