"""案件: open cases by unit with their deadlines, overdue first and marked (C4 限时办结).

The visible units are applied in SQL, so a handler's page never loads other units' cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, or_, select
from sqlalchemy.orm import Session

from yuqing.cases.models import OPEN_STATES, Case
from yuqing.config import Config
from yuqing.templating import beijing, plain

MAX_CASES = 2000


def _remaining(due: datetime, now: datetime) -> str:
    minutes = int((due - now).total_seconds() // 60)
    late, minutes = minutes < 0, abs(minutes)
    if minutes >= 48 * 60:
        span = f"{minutes // 1440}天"
    elif minutes >= 60:
        span = f"{minutes // 60}小时{minutes % 60:02d}分"
    else:
        span = f"{minutes}分钟"
    return f"已超期{span}" if late else f"剩余{span}"


def _unit_filter(units: Iterable[str] | None) -> list[Any]:
    if units is None:
        return []
    units = sorted(units)
    if not units:
        return [Case.id.is_(None)]  # a person without a unit sees no cases
    # 协办 units are a JSON list; matching the quoted id inside its text works on SQLite and PostgreSQL
    co = [_co_unit(u) for u in units]
    return [or_(Case.lead_unit.in_(units), *co)]


def _co_unit(unit: str) -> Any:
    return cast(Case.co_units, String).like(f'%"{unit}"%')


def cases_page(session: Session, config: Config, *, units: Iterable[str] | None, now: datetime) -> dict[str, Any]:
    """Open cases the viewer may see, grouped by lead unit; in each unit overdue first, then by deadline."""
    overdue = case((Case.due_at < now, 0), else_=1)
    columns = (Case.number, Case.title, Case.case_type, Case.level, Case.state, Case.lead_unit, Case.co_units,
               Case.direct_responsible, Case.first_responsible, Case.opened_at, Case.due_at,
               Case.deadline_provisional, Case.deadline_rule)
    rows = session.execute(  # columns, not entities: a thousand rows without identity-map bookkeeping
        select(*columns)
        .where(Case.state.in_(OPEN_STATES), *_unit_filter(units))
        .order_by(overdue, Case.due_at, Case.id)
        .limit(MAX_CASES)
    ).all()
    unit_names = {u.id: u.name for u in config.organisation.units}
    names = {p.id: p.name for p in config.people}
    groups: dict[str, dict[str, Any]] = {}
    for c in rows:
        late = c.due_at < now
        group = groups.setdefault(c.lead_unit, {"unit": unit_names.get(c.lead_unit, c.lead_unit), "unit_id": c.lead_unit,
                                               "cases": [], "overdue": 0})
        group["overdue"] += late
        group["cases"].append({
            "number": c.number,
            "title": plain(c.title, 120),
            "type": c.case_type,
            "level": c.level,
            "state": c.state,
            "co_units": "、".join(unit_names.get(u, u) for u in c.co_units),
            "responsible": names.get(c.direct_responsible or "", c.direct_responsible or "")
            or names.get(c.first_responsible, c.first_responsible),
            "opened_at": beijing(c.opened_at),
            "due_at": beijing(c.due_at),
            "remaining": _remaining(c.due_at, now),
            "overdue": late,
            "provisional": c.deadline_provisional,
            "rule": c.deadline_rule,
        })
    ordered = sorted(groups.values(), key=lambda g: (-g["overdue"], g["unit_id"]))
    return {
        "page": "cases",
        "generated_at": beijing(now),
        "scope": "全部科室" if units is None else "、".join(unit_names.get(u, u) for u in sorted(units)) or "（无）",
        "units": ordered,
        "total": len(rows),
        "overdue_total": sum(g["overdue"] for g in ordered),
    }
