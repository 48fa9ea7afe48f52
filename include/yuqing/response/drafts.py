"""Response drafts (情况说明 / 辟谣 / 通报) filled from the case and its event, and the agencies they name."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing.audit import record
from yuqing.cases.models import Case, PublicResponse
from yuqing.clock import local
from yuqing.config import Agency, Config
from yuqing.models import Event
from yuqing.templating import render

TEMPLATES = {"情况说明": "responses/qingkuang_shuoming.txt", "辟谣": "responses/piyao.txt", "通报": "responses/tongbao.txt"}
FORMS = ("网上发布", "专家解读", "新闻发布会", "媒体专访")
POLICE_CUES = ("涉稳", "打人", "冲突", "斗殴", "伤人")


def sha256_text(text: str) -> str:
    """The identity of a text: sha256 of its exact UTF-8 bytes (no normalisation)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def named_agencies(config: Config, text: str) -> list[Agency]:
    """Every configured agency whose name or alias appears in the text (会签 needed from each)."""
    return [a for a in config.cases.agencies if any(n and n in text for n in [a.name, *a.aliases])]


def _place(config: Config, text: str) -> str:
    return next((p for p in config.lexicons.places if p in text and p not in ("江城", "江城市")), "我市")


def draft_text(session: Session, config: Config, case: Case, template: str, *, now: datetime) -> tuple[str, str]:
    if template not in TEMPLATES:
        raise ValueError(f"unknown response template '{template}'; one of {', '.join(TEMPLATES)}")
    event = session.get(Event, case.event_id) if case.event_id else None
    basis = " ".join([case.title, *((event.signature or []) if event else [])])
    categories = list(event.categories or []) if event else []
    subject = re.sub(r"\s+", " ", case.title).strip()[:40]
    text = render(
        TEMPLATES[template], subject=subject, org_name=config.organisation.name,
        lead_unit_name=next(u.name for u in config.organisation.units if u.id == case.lead_unit),
        involves_police="涉稳" in categories or any(c in basis for c in POLICE_CUES),
        place=_place(config, basis), seen_on=f"{local(event.first_seen_at if event else case.opened_at):%-m月%-d日}",
        today=f"{local(now):%Y年%-m月%-d日}",
    )
    title = text.splitlines()[0].strip()
    return title[:200], text.strip() + "\n"


def create_draft(session: Session, config: Config, case: Case, *, template: str, form: str, channels: list[str],
                 actor: str, dag_run_id: str, now: datetime) -> PublicResponse:
    """One draft per DAG run (a rerun returns the same one); ``attempt`` counts drafts for the case."""
    existing = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == dag_run_id))
    if existing is not None:
        return existing
    if form not in FORMS:
        raise ValueError(f"unknown response form '{form}'; one of {', '.join(FORMS)}")
    order = [c for c in config.cases.channels.order if c in channels]
    if not order:
        raise ValueError(f"no known channel in {channels}; configured: {', '.join(config.cases.channels.order)}")
    title, text = draft_text(session, config, case, template, now=now)
    attempt = (session.scalar(select(func.count()).select_from(PublicResponse)
                              .where(PublicResponse.case_id == case.id)) or 0) + 1
    response = PublicResponse(case_id=case.id, attempt=attempt, form=form, template=template, channels=order,
                              title=title, text=text, text_sha256=sha256_text(text),
                              agencies=[a.id for a in named_agencies(config, text)], state="draft",
                              drafted_by=actor, dag_run_id=dag_run_id, created_at=now, deadline_at=case.due_at)
    session.add(response)
    session.flush()
    record(session, actor=actor, action="response.drafted", object_type="response", object_id=response.id,
           detail={"case": case.number, "attempt": attempt, "template": template, "form": form,
                   "sha256": response.text_sha256, "agencies": response.agencies})
    return response


def revise_text(session: Session, config: Config, response: PublicResponse, *, text: str, actor: str) -> bool:
    """The drafter's edit (专人采编). Returns whether the text changed; the agencies are found again."""
    if response.state not in ("draft",):
        raise ValueError(f"response {response.id} is {response.state}; only a draft can be edited")
    text = text.replace("\r\n", "\n")
    if not text.strip() or text == response.text:
        return False
    old = response.text_sha256
    response.text, response.text_sha256 = text, sha256_text(text)
    response.title = text.strip().splitlines()[0][:200]
    response.agencies = [a.id for a in named_agencies(config, text)]
    record(session, actor=actor, action="response.edited", object_type="response", object_id=response.id,
           detail={"from_sha256": old, "sha256": response.text_sha256, "agencies": response.agencies})
    return True
