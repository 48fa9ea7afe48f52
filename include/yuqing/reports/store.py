"""Filing reports as versions, recording the leader's decision, and planning 归口报送 (C3).

- ``file_report``: render a ``ReportDocument`` and record it. If the latest version of the same
  report has the same content hash, nothing new is made (a rerun is idempotent); otherwise a new
  version is added as a draft. Files go to ``output/reports/<kind>/<key>/v<N>/``.
- ``decide``: approve or reject one version, once; the decider is recorded with the time.
- ``plan_deliveries``: one row per (version, channel, address) for the configured 本级 and 上级
  recipients — unique in the store, so planning twice plans nothing new.
- ``pending_deliveries`` / ``record_delivery``: what still has to go out, and each outcome with the
  receiving server's answer. A delivery marked sent is never sent again (``ResendRefused``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.config import Config
from yuqing.models import utcnow
from yuqing.paths import output_dir
from yuqing.reports.document import ReportDocument
from yuqing.reports.formats import render_all, slug
from yuqing.reports.models import Report, ReportDelivery

log = logging.getLogger(__name__)

KIND_NAMES = {"special": "舆情专报", "weekly": "舆情周报", "monthly": "舆情月报", "risk": "舆情风险评估报告"}
STATUS_NAMES = {"draft": "待审批", "approved": "已批准", "rejected": "未批准"}
MAX_ATTEMPTS = 5


class ReportError(RuntimeError):
    """A request about a report that cannot be honoured (unknown, not approved, decided already)."""


class ResendRefused(ReportError):
    """This report version has already been sent to every recipient: 同一版本不重复报送."""


def report_dir(kind: str, key: str, version: int) -> Path:
    return output_dir() / "reports" / kind / slug(key) / f"v{version}"


def latest(session: Session, kind: str, key: str) -> Report | None:
    return session.scalars(
        select(Report).where(Report.kind == kind, Report.key == key).order_by(Report.version.desc()).limit(1)
    ).first()


def file_report(session: Session, doc: ReportDocument, *, actor: str = "system:reports") -> tuple[Report, bool]:
    """Render and record ``doc``; returns (report version, whether it is new)."""
    digest = doc.content_hash()
    current = latest(session, doc.kind, doc.key)
    if current is not None and current.content_hash == digest:
        if not all(Path(p).exists() for p in current.files.values()):  # same content, files lost: redraw
            stem = f"{KIND_NAMES.get(doc.kind, doc.kind)}-{slug(doc.key)}-v{current.version}"
            current.files = render_all(doc, report_dir(doc.kind, doc.key, current.version), stem).as_dict()
        log.info("%s %s v%d unchanged (hash %s)", doc.kind, doc.key, current.version, digest[:12])
        return current, False
    version = current.version + 1 if current is not None else 1
    stem = f"{KIND_NAMES.get(doc.kind, doc.kind)}-{slug(doc.key)}-v{version}"
    files = render_all(doc, report_dir(doc.kind, doc.key, version), stem)
    report = Report(
        kind=doc.kind,
        key=doc.key,
        version=version,
        title=doc.title,
        content_hash=digest,
        files=files.as_dict(),
        item_refs=[str(i) for i in doc.item_ids()],
    )
    session.add(report)
    session.flush()
    audit.record(session, actor=actor, action="report.filed", object_type="report", object_id=report.id,
                 detail={"kind": doc.kind, "key": doc.key, "version": version, "hash": digest,
                         "items_cited": len(report.item_refs)})
    log.info("filed %s %s v%d at %s", doc.kind, doc.key, version, files.pdf.parent)
    return report, True


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise ReportError(f"report {report_id} does not exist")
    return report


def decide(session: Session, report_id: int, *, approve: bool, by: str, note: str = "",
           now: datetime | None = None) -> Report:
    """Record the leader's decision on one version; a version is decided once."""
    report = get_report(session, report_id)
    wanted = "approved" if approve else "rejected"
    if report.status == wanted and report.decided_by == by:
        return report  # the same answer recorded again (a retried task): nothing changes
    if report.status != "draft":
        raise ReportError(
            f"report {report_id} ({report.kind} {report.key} v{report.version}) was already "
            f"{STATUS_NAMES[report.status]} by {report.decided_by}; file a new version to change it"
        )
    report.status = wanted
    report.decided_by = by
    report.decided_at = now or utcnow()
    report.decision_note = note or None
    audit.record(session, actor=by, action=f"report.{wanted}", object_type="report", object_id=report.id,
                 detail={"kind": report.kind, "key": report.key, "version": report.version, "note": note})
    return report


@dataclass(frozen=True)
class Target:
    recipient: str
    level: str
    channel: str
    address: str


def targets(config: Config) -> list[Target]:
    """Every (recipient, channel, address) the config names for 本级 and 上级 reports."""
    out: list[Target] = []
    for level, recipients in (("same_level", config.recipients.same_level), ("upper", config.recipients.upper)):
        for r in recipients:
            if r.email:
                out.append(Target(r.name, level, "email", r.email))
            if r.webhook_conn_id:
                out.append(Target(r.name, level, "webhook", r.webhook_conn_id))
    return out


def plan_deliveries(session: Session, config: Config, report_id: int) -> list[ReportDelivery]:
    """Create the missing delivery rows of an approved version; returns all of its rows."""
    report = get_report(session, report_id)
    if report.status != "approved":
        raise ReportError(
            f"report {report_id} ({report.kind} {report.key} v{report.version}) is "
            f"{STATUS_NAMES.get(report.status, report.status)}; only an approved report is sent (先审批后报送)"
        )
    existing = {(d.channel, d.address) for d in report.deliveries}
    for t in targets(config):
        if (t.channel, t.address) not in existing:
            session.add(ReportDelivery(report_id=report.id, recipient=t.recipient, level=t.level,
                                       channel=t.channel, address=t.address))
            existing.add((t.channel, t.address))
    session.flush()
    session.refresh(report)
    return list(report.deliveries)


def pending_deliveries(session: Session, config: Config, report_id: int, *, refuse_resend: bool = False) -> list[ReportDelivery]:
    """Deliveries of this version still to send (pending, or failed below the attempt limit).

    With ``refuse_resend``, asking to send a version that has already gone to everyone raises
    ``ResendRefused`` rather than returning an empty list.
    """
    rows = plan_deliveries(session, config, report_id)
    todo = [d for d in rows if d.status != "sent" and d.attempts < MAX_ATTEMPTS]
    if refuse_resend and rows and not todo and all(d.status == "sent" for d in rows):
        raise ResendRefused(
            f"report {report_id} has already been sent to all {len(rows)} recipients "
            "(同一版本不重复报送); file a new version to send changed content"
        )
    return todo


def record_delivery(session: Session, delivery_id: int, *, ok: bool, receipt: str = "", error: str = "",
                    now: datetime | None = None) -> ReportDelivery:
    d = session.get(ReportDelivery, delivery_id)
    if d is None:
        raise ReportError(f"delivery {delivery_id} does not exist")
    if d.status == "sent":
        raise ResendRefused(f"delivery {delivery_id} to {d.address} was already sent at {d.sent_at}")
    d.attempts += 1
    if ok:
        d.status, d.sent_at, d.receipt, d.error = "sent", now or utcnow(), receipt[:4000], None
    else:
        d.status, d.error = "failed", error[:4000]
    audit.record(session, actor="system:report_delivery", action="report.delivered" if ok else "report.delivery_failed",
                 object_type="report_delivery", object_id=d.id,
                 detail={"report_id": d.report_id, "channel": d.channel, "to": d.address, "attempt": d.attempts,
                         "receipt": receipt[:500], "error": error[:500]})
    return d


def delivery_summary(session: Session, report_id: int) -> dict[str, int]:
    rows = session.execute(
        select(ReportDelivery.status, func.count()).where(ReportDelivery.report_id == report_id).group_by(ReportDelivery.status)
    ).all()
    return {status: n for status, n in rows}
