"""The questions of the verification forms (Airflow HITL), built from the store.

Kept here, without Airflow, so what a verifying body or the concluder reads is testable on its own.
Scraped text is untrusted: it is masked and its Markdown made inert (``neutralise_markdown``) before
it reaches the form, which Airflow renders as Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.models import Event, Item, Source
from yuqing.templating import beijing, neutralise_markdown, safe_url
from yuqing.verification.service import OUTCOMES, body, combined_for, get_verification

SAMPLE_ITEMS = 5


@dataclass(frozen=True)
class Question:
    subject: str
    body: str
    assigned: list[tuple[str, str]]
    """(Airflow user id, display name)"""
    timeout_hours: float
    default: str | None = None


def _event_block(session: Session, event: Event, cues: list[str]) -> str:
    rows = session.execute(
        select(Item, Source.name).join(Source, Source.id == Item.source_id).where(Item.event_id == event.id)
        .order_by(Item.published_at.desc().nulls_last(), Item.id.desc()).limit(SAMPLE_ITEMS)
    ).all()
    lines = [f"**事件 #{event.id}｜{event.level}｜信息 {event.item_count} 条**", "",
             f"事件：{neutralise_markdown(event.title, 120)}", ""]
    if cues:
        lines += [f"分析提示的谣言线索词：{neutralise_markdown('、'.join(cues))}", ""]
    if rows:
        lines.append(f"相关信息（最近 {len(rows)} 条）：")
        lines.append("")
        for item, source in rows:
            url = safe_url(item.url)
            when = beijing(item.published_at or item.collected_at)
            text = neutralise_markdown(item.title or item.text, 100)
            lines.append(f"- #{item.id} {neutralise_markdown(source)}，{when}：{text}" + (f"　{url}" if url else ""))
    return "\n".join(lines)


def finding_question(session: Session, config: Config, verification_id: int, body_id: str) -> Question:
    """What one verifying body is asked: the event, the claim, and the four possible findings."""
    v = get_verification(session, verification_id)
    b = body(config, body_id)
    event = session.get(Event, v.event_id)
    assert event is not None
    text = "\n".join([
        f"{b.name}（{b.kind}）：该事件被标记为“{v.mark}”（{v.origin}），请核实并提供依据（C1 核实衔接）。",
        "",
        f"标记理由：{neutralise_markdown(v.reason or '—', 300)}",
        "",
        _event_block(session, event, list(v.cues or [])),
        "",
        f"请选择核实意见（{' / '.join(OUTCOMES)}），在“核实依据”中写明依据，可在“相关链接”中每行填写一个链接。"
        f"超过 {config.verification.finding_timeout_hours:g} 小时未答复的，视为未答复，不计入核实结论。",
    ])
    return Question(subject=f"【谣言核实】{b.name}：{neutralise_markdown(event.title, 40)}", body=text,
                    assigned=[(b.user, b.name)], timeout_hours=config.verification.finding_timeout_hours)


def concluders(session: Session, config: Config, event: Event, now: datetime) -> list[tuple[str, str]]:
    """Who concludes: the configured concluders, else the on-duty monitor and the routed unit's 分管领导."""
    from yuqing import roster
    from yuqing.cases.routing import route_case

    ids = list(config.verification.concluders)
    if not ids:
        try:
            ids.append(roster.on_duty(config, now).person.id)
        except roster.RosterGap:
            ids.append(config.organisation.principal)
        routing = route_case(config, categories=list(event.categories or []),
                             text=" ".join([event.title, *(event.signature or [])]))
        ids.append(routing.first_responsible)
    seen: dict[str, str] = {}
    for uid in ids:
        if uid not in seen:
            try:
                seen[uid] = config.person(uid).name
            except KeyError:
                seen[uid] = uid
    return list(seen.items())


def conclusion_question(session: Session, config: Config, verification_id: int, now: datetime) -> Question:
    """The conclusion form: every body's finding and evidence, defaulting to the combined finding."""
    v = get_verification(session, verification_id)
    event = session.get(Event, v.event_id)
    assert event is not None
    combined = combined_for(session, v.id)
    rows = []
    for f in v.findings:
        if f.status == "已答复":
            links = "　".join(safe_url(u) for u in f.links or [] if safe_url(u))
            rows.append(f"- {f.body_name}（{f.body_kind}）：**{f.finding}**。依据：{neutralise_markdown(f.evidence or '—', 300)}"
                        + (f"　{links}" if links else ""))
        else:
            rows.append(f"- {f.body_name}（{f.body_kind}）：未答复（不计入）")
    text = "\n".join([
        f"该事件被标记为“{v.mark}”（{v.origin}）。各核实单位意见如下：", "", *rows, "",
        f"按综合规则，核实结论默认为：**{combined}**（超时未作结论即按此认定）。",
        "请选择核实结论；结论为“不实”或“部分属实”时，可勾选“发起辟谣回应”，系统将按辟谣模板启动公开回应流程"
        "（仍须会签和领导审核后方可发布）。", "",
        _event_block(session, event, list(v.cues or [])),
    ])
    return Question(subject=f"【核实结论】{neutralise_markdown(event.title, 40)}", body=text,
                    assigned=concluders(session, config, event, now),
                    timeout_hours=config.verification.conclusion_timeout_hours, default=combined)
