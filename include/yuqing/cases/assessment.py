"""C2d 重大敏感舆情: an assessment of nature, trend and risk with a proposed handling (预控处置意见),
drafted from the stored data, for the assigned leader to approve before handling starts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.cases.models import Case
from yuqing.clock import fmt_local
from yuqing.config import Config
from yuqing.models import Event, EventLevelChange
from yuqing.templating import render


@dataclass(frozen=True)
class Assessment:
    case_number: str
    approver: str
    subject: str
    body: str


def approver_for(config: Config, case: Case) -> str:
    """领导审核 assigned by level: the lead unit's 分管领导, or the 主要负责同志 for the highest levels."""
    if config.cases.approver_by_level.get(case.level) == "principal":  # type: ignore[call-overload]
        return config.organisation.principal
    return case.first_responsible


def _unit_name(config: Config, unit_id: str) -> str:
    return next((u.name for u in config.organisation.units if u.id == unit_id), unit_id)


def draft_assessment(session: Session, config: Config, case: Case) -> Assessment:
    event = session.get(Event, case.event_id) if case.event_id else None
    categories = list(event.categories or []) if event else ([case.category] if case.category else [])
    factors = (event.explanation or {}).get("factors", []) if event else []
    nature = f"{'、'.join(categories) or '一般诉求'}类舆情，等级{case.level}"
    if "涉稳" in categories:
        nature += "，涉及现场冲突，具有引发群体性事件的风险"
    changes = list(session.scalars(select(EventLevelChange).where(EventLevelChange.event_id == case.event_id)
                                   .order_by(EventLevelChange.id))) if event else []
    path = " → ".join(c.to_level for c in changes) or case.level
    trend = (f"涉及信息{event.item_count}条，热度{event.heat:.1f}，等级变化：{path}；" if event else "") + \
        ("热度仍在上升，需持续跟踪" if len(changes) > 1 else "处于发酵期，需持续跟踪")
    strongest = sorted(factors, key=lambda f: -float(f.get("contribution") or 0))[:3] if factors else []
    risk = "；".join(f"{f.get('label') or f.get('name')}（贡献{float(f.get('contribution') or 0):.1f}）"
                    for f in strongest) or f"{case.level}舆情，存在扩散风险"
    proposals = [
        f"由{_unit_name(config, case.lead_unit)}牵头核查事实，{config.cases.deadlines.major_release_hours:g}小时内发布权威信息",
        "起草情况说明，涉及其他行政机关的内容会签确认后，经领导审定在政务微博首发，同步微信公众号和门户网站",
        f"{config.cases.deadlines.major_press_hours:g}小时内视情召开新闻发布会",
        "值班人员24小时跟踪舆情走势，每2小时报告一次",
    ]
    if "涉稳" in categories:
        proposals.insert(1, "商请公安机关依法介入，做好现场秩序维护和矛盾化解")
    first = config.person(case.first_responsible).name
    direct = config.person(case.direct_responsible).name if case.direct_responsible else "—"
    body = render("cases/assessment.md", case=case, nature=nature, trend=trend, risk=risk, proposals=proposals,
                  lead_unit_name=_unit_name(config, case.lead_unit), first_name=first, direct_name=direct,
                  release_due=fmt_local(case.release_due_at), press_due=fmt_local(case.press_due_at))
    subject = f"【{case.level}舆情】预控处置意见待审批：{case.number} {case.title[:40]}"
    return Assessment(case.number, approver_for(config, case), subject, body)
