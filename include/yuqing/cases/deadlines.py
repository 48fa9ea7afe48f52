"""Deadlines by level and type (P1, C4): clock hours for events, working days for hotline / 网络问政 items.

- 特别重大 / 重大 events: first authoritative release within 5 h, press conference within 24 h
  (国办发〔2016〕80号); the case's reply deadline is the release deadline.
- other events: reply within 48 h (国办发〔2016〕61号).
- hotline / 网络问政: 咨询 7, 投诉 15 working days (configurable per type), on the Chinese calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from yuqing.cases.workdays import working_day_deadline
from yuqing.config import Config

MAJOR = ("重大", "特别重大")


@dataclass(frozen=True)
class Deadlines:
    due_at: datetime
    release_due_at: datetime | None
    press_due_at: datetime | None
    rule: str
    provisional: bool = False
    note: str | None = None


def deadlines_for(config: Config, *, case_type: str, level: str, opened_at: datetime) -> Deadlines:
    rules = config.cases.deadlines
    if case_type == "舆情事件":
        if level in MAJOR:
            release = opened_at + timedelta(hours=rules.major_release_hours)
            press = opened_at + timedelta(hours=rules.major_press_hours)
            rule = f"{level}：{rules.major_release_hours:g}小时内权威发布，{rules.major_press_hours:g}小时内新闻发布会"
            return Deadlines(release, release, press, rule)
        return Deadlines(opened_at + timedelta(hours=rules.reply_hours), None, None,
                         f"{level}：{rules.reply_hours:g}小时内回应")
    days = rules.working_days.get(case_type)
    if days is None:
        known = "、".join(rules.working_days)
        raise ValueError(f"no deadline rule for case type '{case_type}' (cases.deadlines.working_days has {known})")
    wd = working_day_deadline(opened_at, days, config.cases.calendar)
    return Deadlines(wd.due_at, None, None, f"{case_type}：{days}个工作日内办结答复", wd.provisional, wd.note)
