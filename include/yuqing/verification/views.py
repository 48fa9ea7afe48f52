"""What the desk pages, the 舆情日志 and the 专报 show of a verification (read-only, a few queries).

``label`` is one short phrase for a table cell: ``疑似谣言 · 核实中`` while it runs, ``已核实：不实``
once concluded. ``findings`` lists only the bodies that answered (a body that never answered is
excluded from the outcome, so it is not shown as a finding either).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yuqing.verification.models import Verification


@dataclass(frozen=True)
class VerificationView:
    event_id: int
    mark: str
    """疑似谣言 | 误解"""
    origin: str
    """人工标记 | 分析提示"""
    state: str
    """待核实 | 核实中 | 已核实"""
    outcome: str | None
    """属实 | 不实 | 部分属实 | 无法核实; None while not concluded"""
    label: str
    findings: list[tuple[str, str, str]]
    """(body name, finding, evidence) of the bodies that answered so far"""


def label_of(mark: str, state: str, outcome: str | None) -> str:
    """One short Chinese phrase for a table cell."""
    if state == "已核实" and outcome:
        return f"已核实：{outcome}"
    return f"{mark} · {state}"


def view_of(v: Verification) -> VerificationView:
    findings = [(f.body_name, f.finding or "", f.evidence or "") for f in v.findings if f.status == "已答复"]
    return VerificationView(event_id=v.event_id, mark=v.mark, origin=v.origin, state=v.state, outcome=v.outcome,
                            label=label_of(v.mark, v.state, v.outcome), findings=findings)


def verifications_for_events(session: Session, event_ids: Sequence[int]) -> dict[int, VerificationView]:
    """The verification of each of these events that has one (event id → view); two queries in all."""
    ids = sorted({int(i) for i in event_ids})
    if not ids:
        return {}
    out: dict[int, VerificationView] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        rows = session.scalars(
            select(Verification).where(Verification.event_id.in_(ids[start:start + 500]))
            .options(selectinload(Verification.findings))
        )
        out.update({v.event_id: view_of(v) for v in rows})
    return out


def open_verifications(session: Session) -> list[VerificationView]:
    """Verifications not concluded yet (待核实 / 核实中), oldest first."""
    rows = session.scalars(
        select(Verification).where(Verification.state != "已核实")
        .options(selectinload(Verification.findings)).order_by(Verification.created_at, Verification.id)
    )
    return [view_of(v) for v in rows]
