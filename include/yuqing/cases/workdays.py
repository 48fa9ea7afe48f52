"""The Chinese working-day calendar (法定节假日 and 调休) for deadlines counted in working days.

The official schedule comes from the State Council once a year; ``chinese-calendar`` knows the
years up to its release (1.11.0: 2004–2026) and raises ``NotImplementedError`` for later ones.
For a year it does not know, the office may type the notice into ``cases.calendar`` in yuqing.yaml;
without that, a deadline is still computed (weekends only) but marked provisional, with a warning
naming the missing year — never a crash, never a silent guess.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from yuqing.clock import SHANGHAI
from yuqing.config import CalendarYear

log = logging.getLogger(__name__)


@dataclass
class WorkdayCalendar:
    """Is a day a working day? Config overrides first, then the library, then a marked weekday guess."""

    overrides: Mapping[int, CalendarYear] = field(default_factory=dict)
    unknown_years: set[int] = field(default_factory=set)

    def is_workday(self, day: date) -> bool:
        year = self.overrides.get(day.year)
        if year is not None:
            if day in year.workdays:
                return True
            if day in year.holidays:
                return False
            return day.weekday() < 5
        import chinese_calendar

        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.unknown_years.add(day.year)
            return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (the day of receipt does not count)."""
        if n < 0:
            raise ValueError(f"working days must be ≥ 0, got {n}")
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


@dataclass(frozen=True)
class WorkdayDeadline:
    due_at: datetime
    provisional: bool
    note: str | None


def working_day_deadline(received_at: datetime, n: int, overrides: Mapping[int, CalendarYear]) -> WorkdayDeadline:
    """End (24:00 Beijing) of the n-th working day after the day of receipt."""
    cal = WorkdayCalendar(overrides=overrides)
    received_day = received_at.astimezone(SHANGHAI).date()
    last = cal.add_working_days(received_day, n)
    due = datetime.combine(last + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    if not cal.unknown_years:
        return WorkdayDeadline(due, False, None)
    years = "、".join(str(y) for y in sorted(cal.unknown_years))
    note = (
        f"{years}年法定节假日和调休安排未知（日历库与 yuqing.yaml cases.calendar 均无），"
        f"按周一至周五暂算，期限为暂定；请在 cases.calendar 中补录 {years} 年安排"
    )
    log.warning("working-day calendar has no data for %s; deadline %s is provisional", years, due.date())
    return WorkdayDeadline(due, True, note)
