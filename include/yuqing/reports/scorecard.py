"""定期通报 of case handling and the 考核 scorecard per unit (G3), from the case table — and, for
C2c 及时反馈, the time to acknowledge warnings per person and per unit (``acknowledgement_rows``).

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


@dataclass(frozen=True)
class AckRow:
    """考核 of acknowledgement (C2c 及时反馈) for one person or one unit over a period."""

    key: str
    name: str
    warnings: int
    acknowledged: int
    unacknowledged: int
    mean_minutes: float | None
    worst_minutes: float | None


def acknowledgement_rows(session: Session, config: Config, start: datetime, end: datetime) -> tuple[list[AckRow], list[AckRow]]:
    """Time to acknowledge (acknowledged_at − created_at) per responsible person and per unit.

    Counted: warnings raised in [start, end), except 值班空档 ones (they measure the roster, not a
    person). The responsible person is the one a warning was sent to — on duty when it was raised,
    or the 主要负责同志 during a roster gap — whoever finally acknowledged it: an escalated warning
    counts against the person on duty. Their unit is the roster's ``unit`` of that person.
    """
    from yuqing.early_warning import recipient_of
    from yuqing.models import EarlyWarning

    warnings = session.scalars(select(EarlyWarning).where(
        EarlyWarning.created_at >= start, EarlyWarning.created_at < end, EarlyWarning.kind != "roster_gap")).all()
    unit_names = {u.id: u.name for u in config.organisation.units}
    per_person: dict[str, list[float | None]] = {}
    person_unit: dict[str, str] = {}
    for w in warnings:
        try:
            person = recipient_of(config, w.duty_person)
            pid, unit = person.id, person.unit or ""
        except KeyError:  # a person since removed from the roster still counts, under their id
            pid, unit = w.duty_person or "?", ""
        person_unit[pid] = unit
        minutes = (w.acknowledged_at - w.created_at).total_seconds() / 60 if w.acknowledged_at else None
        per_person.setdefault(pid, []).append(minutes)

    def row(key: str, name: str, values: list[float | None]) -> AckRow:
        done = [v for v in values if v is not None]
        return AckRow(key=key, name=name, warnings=len(values), acknowledged=len(done),
                      unacknowledged=len(values) - len(done), mean_minutes=sum(done) / len(done) if done else None,
                      worst_minutes=max(done) if done else None)

    def person_name(pid: str) -> str:
        try:
            return config.person(pid).name
        except KeyError:
            return pid

    people = [row(pid, person_name(pid), vals) for pid, vals in sorted(per_person.items())]
    per_unit: dict[str, list[float | None]] = {}
    for pid, vals in per_person.items():
        per_unit.setdefault(person_unit[pid], []).extend(vals)
    order = list(unit_names)
    units = [row(u, unit_names.get(u, u or "（未设科室）"), vals)
             for u, vals in sorted(per_unit.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]))]
    return people, units


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def acknowledgement_blocks(session: Session, config: Config, start: datetime, end: datetime, period_name: str) -> tuple:
    """The 考核 blocks on time to acknowledge warnings, for the periodic report (本周/本月)."""
    from yuqing.reports.document import Paragraph, Table

    people, units = acknowledgement_rows(session, config, start, end)
    if not people:
        return (Paragraph(f"本{period_name}无需确认的预警。", style="notice"),)
    total = sum(r.warnings for r in people)
    open_ = sum(r.unacknowledged for r in people)
    columns = ("预警数", "已确认", "未确认", "平均确认用时（分钟）", "最长确认用时（分钟）")
    note = "确认用时自预警发出起算至值班人员确认；逐级上报后由他人确认的，仍计入原接收人。"
    return (
        Paragraph(f"本{period_name}发出预警 {total} 条，已确认 {total - open_} 条，未确认 {open_} 条。"),
        Table(("接收人", *columns), tuple((r.name, str(r.warnings), str(r.acknowledged), str(r.unacknowledged),
                                           _minutes(r.mean_minutes), _minutes(r.worst_minutes)) for r in people),
              numeric=(1, 2, 3, 4, 5), note=note),
        Table(("所在单位", *columns), tuple((r.name, str(r.warnings), str(r.acknowledged), str(r.unacknowledged),
                                             _minutes(r.mean_minutes), _minutes(r.worst_minutes)) for r in units),
              numeric=(1, 2, 3, 4, 5)),
    )
