"""定期通报 of case handling and the 考核 scorecard per unit (G3), from the case table.

The figures come from ``yuqing.cases.models.Case`` (issue 5) through one function,
``unit_case_rows``, which returns one ``UnitCaseRow`` per unit — the report never reads the case
table itself, so another source of case figures can replace it. With no cases in the period (or no
case table at all) it returns ``[]`` and the report says 本期无案件数据.

Definitions (period = [start, end) in UTC, Beijing calendar days):
- 受理: cases opened in the period; 办结: cases closed in the period;
- 超期: cases whose reply deadline fell before the end of the period and that were not answered
  by their deadline (answered late in the period, or still unanswered at its end);
- 按时答复率: of the cases answered in the period, the share answered by their deadline;
- 平均/最长响应时间: hours from 受理 to the first reply, over cases answered in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from yuqing.config import Config


@dataclass(frozen=True)
class UnitCaseRow:
    unit: str
    unit_name: str
    accepted: int
    closed: int
    overdue: int
    answered: int
    on_time: int
    mean_hours: float | None
    worst_hours: float | None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.answered if self.answered else None


def unit_case_rows(session: Session, config: Config, start: datetime, end: datetime) -> list[UnitCaseRow]:
    """Per-unit case figures for the period; ``[]`` when there are no cases (or no case table)."""
    try:
        from yuqing.cases.models import Case
    except ImportError:
        return []
    if not inspect(session.get_bind()).has_table(Case.__tablename__):
        return []
    cases = session.scalars(
        select(Case).where(
            or_(
                Case.opened_at.between(start, end),
                Case.closed_at.between(start, end),
                Case.answered_at.between(start, end),
                (Case.due_at < end) & (Case.opened_at < end),
            )
        )
    ).all()
    if not cases:
        return []
    names = {u.id: u.name for u in config.organisation.units}
    per: dict[str, dict] = {}
    for c in cases:
        r = per.setdefault(c.lead_unit, {"accepted": 0, "closed": 0, "overdue": 0, "answered": 0, "on_time": 0,
                                         "hours": []})
        if start <= c.opened_at < end:
            r["accepted"] += 1
        if c.closed_at is not None and start <= c.closed_at < end:
            r["closed"] += 1
        if c.answered_at is not None and start <= c.answered_at < end:
            r["answered"] += 1
            if c.answered_at <= c.due_at:
                r["on_time"] += 1
            r["hours"].append((c.answered_at - c.opened_at).total_seconds() / 3600)
        late_answer = c.answered_at is not None and c.answered_at > c.due_at and start <= c.answered_at < end
        unanswered = c.due_at < end and (c.answered_at is None or c.answered_at >= end)
        if late_answer or unanswered:
            r["overdue"] += 1
    rows = []
    for unit in sorted(per, key=lambda u: (list(names).index(u) if u in names else len(names), u)):
        r = per[unit]
        hours = r["hours"]
        rows.append(UnitCaseRow(unit=unit, unit_name=names.get(unit, unit), accepted=r["accepted"], closed=r["closed"],
                                overdue=r["overdue"], answered=r["answered"], on_time=r["on_time"],
                                mean_hours=sum(hours) / len(hours) if hours else None,
                                worst_hours=max(hours) if hours else None))
    return rows
