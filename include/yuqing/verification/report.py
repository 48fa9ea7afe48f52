"""The 核实情况 of an event in the 舆情日志 and the 舆情专报: mark, state, outcome and evidence summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from yuqing.templating import plain
from yuqing.verification.service import evidence_summary
from yuqing.verification.views import VerificationView, verifications_for_events


def verification_line(view: VerificationView) -> str:
    """One line: ``疑似谣言（分析提示）；已核实：不实；核实意见：门户网站：不实（…）；…`` (plain text, masked)."""
    parts = [f"{view.mark}（{view.origin}）", view.label if view.state == "已核实" else view.state]
    if view.findings:
        parts.append("核实意见：" + evidence_summary(view.findings))
    elif view.state != "待核实":
        parts.append("暂无核实单位答复")
    return plain("；".join(parts))


def verification_lines(session: Session, event_ids: Sequence[int]) -> dict[int, str]:
    """event id → its 核实情况 line, for the events that have a verification (one query for all)."""
    return {eid: verification_line(v) for eid, v in verifications_for_events(session, event_ids).items()}


def special_report_blocks(session: Session, event_id: int) -> list[Any]:
    """The 核实情况 paragraph and findings table for the 专报 (empty when the event was never marked)."""
    from yuqing.reports.document import Paragraph, Table

    view = verifications_for_events(session, [event_id]).get(event_id)
    if view is None:
        return []
    text = f"核实情况：该事件被标记为{view.mark}（{view.origin}），" + (
        f"经核实，结论为{view.outcome}。" if view.state == "已核实" else f"目前{view.state}。")
    rows = tuple((plain(name, 40), finding, plain(evidence, 200) or "—") for name, finding, evidence in view.findings)
    return [Paragraph(text), Table(("核实单位", "核实意见", "依据"), rows, empty="暂无核实单位答复。")]
