"""预警: the warnings still awaiting action, who is on duty now, and what may be acknowledged.

Open (待确认) warnings come first, highest level first; acknowledged ones stay listed until closed so
the desk shows who took them and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from yuqing import roster
from yuqing.config import LEVELS, Config
from yuqing.daily_log import DELIVERY_CHANNEL_NAMES, DELIVERY_STATUS_NAMES, WARNING_STATUS_NAMES
from yuqing.desk.verification import verification_labels
from yuqing.models import EarlyWarning, WarningDelivery
from yuqing.templating import beijing, plain

MAX_WARNINGS = 200


def on_duty_now(config: Config, now: datetime) -> dict[str, str]:
    """Who is on duty at ``now``, or the roster gap and the principal who stands in (C4)."""
    try:
        duty = roster.on_duty(config, now)
    except roster.RosterGap:
        principal = config.person(config.organisation.principal)
        return {"name": "", "title": "", "hours": "", "backup": "", "id": "",
                "gap": f"当前无人值班（值班空缺），预警发送主要负责同志{principal.name}"}
    return {"id": duty.person.id, "name": duty.person.name, "title": duty.person.title,
            "hours": f"{duty.starts_at:%m-%d %H:%M} – {duty.ends_at:%m-%d %H:%M}",
            "backup": duty.backup.name if duty.backup else "", "gap": ""}


def warnings_page(session: Session, config: Config, *, now: datetime) -> dict[str, Any]:
    """Warnings not closed, open ones first, then by level and time."""
    status_order = case({"open": 0}, value=EarlyWarning.status, else_=1)
    level_rank = case({lv: i for i, lv in enumerate(LEVELS)}, value=EarlyWarning.level, else_=-1)
    rows = session.scalars(
        select(EarlyWarning)
        .where(EarlyWarning.status != "closed")
        .order_by(status_order, level_rank.desc(), EarlyWarning.created_at.desc(), EarlyWarning.id.desc())
        .limit(MAX_WARNINGS)
    ).all()
    deliveries: dict[int, list[str]] = {}
    if rows:
        for d in session.scalars(
            select(WarningDelivery).where(WarningDelivery.warning_id.in_([w.id for w in rows])).order_by(WarningDelivery.id)
        ):
            deliveries.setdefault(d.warning_id, []).append(
                f"{DELIVERY_CHANNEL_NAMES.get(d.channel, d.channel)}{DELIVERY_STATUS_NAMES.get(d.status, d.status)}"
            )
    labels = verification_labels(session, [w.event_id for w in rows if w.event_id])
    names = {p.id: p.name for p in config.people}
    warnings = [
        {
            "id": w.id,
            "level": w.level,
            "kind": "事件" if w.kind == "event" else "信源",
            "title": plain(w.title, 160),
            "summary": plain(w.summary, 400),
            "created_at": beijing(w.created_at),
            "status": w.status,
            "status_name": WARNING_STATUS_NAMES.get(w.status, w.status),
            "duty": names.get(w.duty_person or "", w.duty_person or "") or "值班空缺（已发主要负责同志）",
            "acknowledged_by": names.get(w.acknowledged_by or "", w.acknowledged_by or ""),
            "acknowledged_at": beijing(w.acknowledged_at) if w.acknowledged_at else "",
            "deliveries": "；".join(deliveries.get(w.id, [])) or "未安排发送",
            "verification": labels.get(w.event_id or -1, {}).get("label", ""),
        }
        for w in rows
    ]
    return {
        "page": "warnings",
        "generated_at": beijing(now),
        "on_duty": on_duty_now(config, now),
        "warnings": warnings,
        "open_count": sum(1 for w in warnings if w["status"] == "open"),
    }
