"""Publication of an approved response (C5 联动, G1 审核把关, G2 微博优先), verified by reading it back.

- Nothing is published without a leader's approval recorded for the *exact* text: the sha256 stored
  with the approval must equal the hash of the text about to go out. Otherwise publication is
  refused, the refusal audited, and a warning raised.
- 微博 first; only once it is published do 微信 and the website follow. A channel already published
  is never posted again (one ``Publication`` row per response and channel), so a rerun after a
  failure publishes only what is missing.
- Each channel is read back; the text there must be byte-identical to the approved text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.audit import record
from yuqing.cases.models import Case, CaseApproval, Publication, PublicResponse
from yuqing.clock import fmt_local
from yuqing.config import Config
from yuqing.models import EarlyWarning
from yuqing.response.channels import Channel, Receipt
from yuqing.response.drafts import sha256_text

log = logging.getLogger(__name__)
CHANNEL_LABELS = {"weibo": "政务微博", "wechat": "微信公众号", "website": "门户网站"}


class PublicationRefused(RuntimeError):
    """No approval for this exact text: nothing is published."""


class PublicationIncomplete(RuntimeError):
    """Some channels failed; those published stay published, the rest are retried on the next attempt."""


@dataclass
class PublishOutcome:
    response_id: int
    published: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_attempted: list[str] = field(default_factory=list)


def _warn(session: Session, *, key: str, level: str, title: str, summary: str, event_id: int | None) -> None:
    if session.scalar(select(EarlyWarning.id).where(EarlyWarning.dedup_key == key)) is None:
        session.add(EarlyWarning(dedup_key=key, kind="publication", level=level, title=title[:1000],
                                 summary=summary, event_id=event_id))


def approved_text_check(session: Session, response: PublicResponse) -> CaseApproval:
    """The leader's approval for this response whose hash matches the text now; else refuse."""
    approval = session.scalar(select(CaseApproval).where(
        CaseApproval.response_id == response.id, CaseApproval.kind == "publication",
        CaseApproval.decision == "approved").order_by(CaseApproval.id.desc()))
    current = sha256_text(response.text)
    case = session.get(Case, response.case_id)
    assert case is not None
    confirmed = set(session.scalars(select(CaseApproval.agency).where(
        CaseApproval.response_id == response.id, CaseApproval.kind == "countersign",
        CaseApproval.decision == "approved", CaseApproval.text_sha256 == current)))
    unconfirmed = [a for a in response.agencies if a not in confirmed]
    if approval is None or approval.text_sha256 != current or response.text_sha256 != current or unconfirmed:
        why = ("没有领导审核通过的记录" if approval is None
               else f"文本在审核后被改动（审核 {approval.text_sha256[:12]}…，现为 {current[:12]}…）"
               if approval.text_sha256 != current or response.text_sha256 != current
               else f"涉及的其他行政机关未会签确认此文本：{'、'.join(unconfirmed)}")
        response.state = "refused"
        record(session, actor="system:publication", action="publication.refused", object_type="response",
               object_id=response.id, detail={"case": case.number, "why": why, "sha256": current,
                                              "approved_sha256": approval.text_sha256 if approval else None})
        _warn(session, key=f"publication:{response.id}:refused", level=case.level, event_id=case.event_id,
              title=f"公开回应被拒绝发布：{case.number} {case.title[:40]}",
              summary=f"回应稿（第{response.attempt}稿）未发布：{why}。请重新履行审核程序。")
        raise PublicationRefused(f"response {response.id} of case {case.number}: {why}")
    return approval


def publish_response(session_scope: Callable[[], AbstractContextManager[Session]], config: Config,
                     response_id: int, channels: Mapping[str, Channel], *, now: Callable[[], datetime],
                     retry_pause: float = 1.0) -> PublishOutcome:
    """Publish on every channel of the response in the configured order; see the module docstring."""
    with session_scope() as session:
        response = session.get(PublicResponse, response_id)
        if response is None:
            raise LookupError(f"no response {response_id}")
        try:
            approved_text_check(session, response)
        except PublicationRefused:
            session.commit()
            raise
        order = [c for c in config.cases.channels.order if c in response.channels]
        title, text, sha = response.title, response.text, response.text_sha256
        case = session.get(Case, response.case_id)
        assert case is not None
        number = case.number
        for name in order:
            if session.scalar(select(Publication.id).where(Publication.response_id == response_id,
                                                           Publication.channel == name)) is None:
                session.add(Publication(response_id=response_id, channel=name, text_sha256=sha))
        response.state = "publishing" if response.state != "partial" else "partial"
    outcome = PublishOutcome(response_id)
    for position, name in enumerate(order):
        with session_scope() as session:
            pub = session.scalar(select(Publication).where(Publication.response_id == response_id,
                                                           Publication.channel == name))
            assert pub is not None
            done, receipt = pub.state in ("published", "verified"), (
                Receipt(pub.external_id or "", pub.url or "", pub.receipt) if pub.external_id else None)
        if not done:
            if name not in channels:
                outcome.failed[name] = "no channel configured"
                continue
            receipt, error = _post_with_retries(channels[name], number, response_id, title, text, now,
                                                config.cases.channels.attempts, retry_pause)
            with session_scope() as session:
                pub = session.scalar(select(Publication).where(Publication.response_id == response_id,
                                                               Publication.channel == name))
                assert pub is not None
                pub.attempts += config.cases.channels.attempts if receipt is None else 1
                if receipt is None:
                    pub.state, pub.error = "failed", error
                    record(session, actor="system:publication", action="publication.failed",
                           object_type="publication", object_id=pub.id,
                           detail={"case": number, "channel": name, "error": error})
                else:
                    pub.state, pub.external_id, pub.url, pub.receipt = "published", receipt.external_id, \
                        receipt.url, receipt.detail
                    pub.published_at, pub.error = now(), None
                    record(session, actor="system:publication", action="publication.published",
                           object_type="publication", object_id=pub.id,
                           detail={"case": number, "channel": name, "url": receipt.url, "sha256": sha,
                                   "receipt": receipt.detail})
            if receipt is None:
                outcome.failed[name] = error or "failed"
                if position == 0:  # 微博优先: nothing else goes out before Weibo has it
                    outcome.not_attempted = order[1:]
                    break
                continue
        assert receipt is not None
        _verify(session_scope, response_id, name, channels.get(name), receipt, text, sha, number, now, outcome)
    _finish(session_scope, response_id, order, outcome, now)
    return outcome


def _post_with_retries(channel: Channel, number: str, response_id: int, title: str, text: str,
                       now: Callable[[], datetime], attempts: int, pause: float) -> tuple[Receipt | None, str | None]:
    error = None
    for attempt in range(1, attempts + 1):
        try:
            return channel.publish(ref=f"{number}-{response_id}", title=title, text=text, at=now()), None
        except Exception as exc:  # a channel's failure is recorded, never lost
            error = f"attempt {attempt}/{attempts}: {exc}"
            log.warning("channel %s failed for response %s: %s", channel.name, response_id, error)
            if attempt < attempts:
                time.sleep(pause * attempt)
    return None, error


def _verify(session_scope: Callable[[], AbstractContextManager[Session]], response_id: int, name: str,
            channel: Channel | None, receipt: Receipt, text: str, sha: str, number: str,
            now: Callable[[], datetime], outcome: PublishOutcome) -> None:
    with session_scope() as session:
        pub = session.scalar(select(Publication).where(Publication.response_id == response_id,
                                                       Publication.channel == name))
        assert pub is not None
        if pub.state == "verified":
            outcome.published.append(name)
            return
        try:
            if channel is None:
                raise RuntimeError("no channel configured to read back from")
            shown = channel.read_back(receipt)
        except Exception as exc:
            pub.error = f"read-back failed: {exc}"
            outcome.failed[name] = pub.error
            return
        if shown.encode("utf-8") != text.encode("utf-8"):
            pub.error = f"read-back differs: sha256 {sha256_text(shown)[:12]}… ≠ approved {sha[:12]}…"
            outcome.failed[name] = pub.error
            record(session, actor="system:publication", action="publication.mismatch", object_type="publication",
                   object_id=pub.id, detail={"case": number, "channel": name, "shown_sha256": sha256_text(shown)})
            return
        pub.state, pub.verified_at = "verified", now()
        outcome.published.append(name)
        record(session, actor="system:publication", action="publication.verified", object_type="publication",
               object_id=pub.id, detail={"case": number, "channel": name, "url": pub.url, "sha256": sha})


def _finish(session_scope: Callable[[], AbstractContextManager[Session]], response_id: int, order: list[str],
            outcome: PublishOutcome, now: Callable[[], datetime]) -> None:
    with session_scope() as session:
        response = session.get(PublicResponse, response_id)
        assert response is not None
        case = session.get(Case, response.case_id)
        assert case is not None
        pubs = {p.channel: p for p in response.publications}
        first = min((p.published_at for p in pubs.values() if p.published_at), default=None)
        if first and response.first_published_at is None:
            response.first_published_at = first
            response.on_time = response.deadline_at is None or first <= response.deadline_at
            case.answered_at = case.answered_at or first
        if all(pubs.get(c) and pubs[c].state == "verified" for c in order):
            response.state = "published"
            record(session, actor="system:publication", action="response.published", object_type="response",
                   object_id=response.id, detail={"case": case.number, "channels": order, "sha256": response.text_sha256,
                                                  "first_published_at": first.isoformat() if first else None,
                                                  "on_time": response.on_time,
                                                  "urls": {c: pubs[c].url for c in order}})
            return
        response.state = "partial"
        done = "、".join(CHANNEL_LABELS[c] for c in order if c in outcome.published) or "无"
        missing = "、".join(CHANNEL_LABELS[c] for c in order if c not in outcome.published)
        summary = (f"回应稿已发布：{done}；未发布：{missing}。"
                   + "；".join(f"{CHANNEL_LABELS.get(k, k)}：{v}" for k, v in outcome.failed.items())
                   + f"。系统将重试，已发布的渠道不会重复发布。({fmt_local(now())})")
        record(session, actor="system:publication", action="response.partial", object_type="response",
               object_id=response.id, detail={"case": case.number, "published": outcome.published,
                                              "failed": outcome.failed, "not_attempted": outcome.not_attempted})
        _warn(session, key=f"publication:{response.id}:partial:{'+'.join(sorted(outcome.published)) or 'none'}",
              level=case.level, event_id=case.event_id,
              title=f"公开回应部分渠道未发布：{case.number} {case.title[:40]}", summary=summary)
    raise PublicationIncomplete(f"response {response_id}: published on {outcome.published or 'none'}, "
                                f"failed {outcome.failed}, not attempted {outcome.not_attempted}")
