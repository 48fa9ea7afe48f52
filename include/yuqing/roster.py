"""Who is on duty (值班): the roster of ``yuqing.yaml`` read against Beijing time.

C4 asks for 24小时联络畅通: every moment of the week should have someone on duty. A shift's
``weekdays`` name the days on which the shift *starts* (1 = Monday … 7 = Sunday); a shift whose end
is not after its start runs past midnight into the next day (``end == start`` is a 24-hour shift).
Where shifts overlap, the one that started last has taken over (a handover), so the answer is
always one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from yuqing.clock import SHANGHAI
from yuqing.config import Config, Person, Shift

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEK_MINUTES = 7 * 24 * 60


class RosterGap(LookupError):
    """No shift of the roster covers a moment; the caller falls back to the principal leader."""

    def __init__(self, at: datetime):
        self.at = at.astimezone(SHANGHAI)
        super().__init__(
            f"no on-duty shift covers {self.at:%Y-%m-%d %H:%M} Beijing time "
            f"({self.at:%A}); add a shift for it under roster.shifts in yuqing.yaml"
        )


@dataclass(frozen=True)
class OnDuty:
    """The person on duty at a moment, their backup, and the shift instance (Beijing times)."""

    person: Person
    backup: Person | None
    shift: Shift
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Gap:
    """A weekly time range nobody covers; ``start``/``end`` are minutes from Monday 00:00."""

    start: int
    end: int

    def describe(self) -> str:
        return f"{_minute_label(self.start)} 至 {_minute_label(self.end)} 无人值班"


def _minute_label(minute: int) -> str:
    minute %= _WEEK_MINUTES
    day, rest = divmod(minute, 24 * 60)
    return f"{WEEKDAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def _duration(shift: Shift) -> timedelta:
    start = timedelta(hours=shift.start.hour, minutes=shift.start.minute, seconds=shift.start.second)
    end = timedelta(hours=shift.end.hour, minutes=shift.end.minute, seconds=shift.end.second)
    return end - start if end > start else end - start + timedelta(days=1)


def _instances(config: Config, day: date) -> list[tuple[Shift, datetime, datetime]]:
    """Shift instances that start on ``day`` (Beijing), with their start and end instants."""
    out = []
    for shift in config.roster.shifts:
        if day.isoweekday() in shift.weekdays:
            start = datetime.combine(day, shift.start, tzinfo=SHANGHAI)
            out.append((shift, start, start + _duration(shift)))
    return out


def _on_duty(config: Config, shift: Shift, start: datetime, end: datetime) -> OnDuty:
    backup = config.person(shift.backup) if shift.backup else None
    return OnDuty(
        person=config.person(shift.person), backup=backup, shift=shift, starts_at=start, ends_at=end
    )


def on_duty(config: Config, at: datetime) -> OnDuty:
    """The person on duty at ``at`` (an aware datetime); raises RosterGap if nobody is."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r} given to roster.on_duty; use an aware datetime")
    local = at.astimezone(SHANGHAI)
    covering = [
        inst
        for day in (local.date() - timedelta(days=1), local.date())
        for inst in _instances(config, day)
        if inst[1] <= local < inst[2]
    ]
    if not covering:
        raise RosterGap(at)
    shift, start, end = max(covering, key=lambda inst: inst[1])
    return _on_duty(config, shift, start, end)


def duty_of_day(config: Config, day: date) -> list[OnDuty]:
    """Every shift that is on duty during the Beijing calendar day ``day``, in time order."""
    day_start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    day_end = day_start + timedelta(days=1)
    found = [
        inst
        for d in (day - timedelta(days=1), day)
        for inst in _instances(config, d)
        if inst[1] < day_end and inst[2] > day_start
    ]
    return [_on_duty(config, *inst) for inst in sorted(found, key=lambda inst: inst[1])]


def uncovered(config: Config) -> list[Gap]:
    """The weekly ranges no shift covers, by minute, starting from Monday 00:00."""
    covered = bytearray(_WEEK_MINUTES)
    for shift in config.roster.shifts:
        length = int(_duration(shift).total_seconds() // 60)
        for weekday in shift.weekdays:
            first = (weekday - 1) * 24 * 60 + shift.start.hour * 60 + shift.start.minute
            for m in range(first, first + length):
                covered[m % _WEEK_MINUTES] = 1
    gaps: list[Gap] = []
    m = 0
    while m < _WEEK_MINUTES:
        if covered[m]:
            m += 1
            continue
        start = m
        while m < _WEEK_MINUTES and not covered[m]:
            m += 1
        gaps.append(Gap(start, m))
    # a gap running over Sunday midnight into Monday is one gap, not two
    if len(gaps) > 1 and gaps[0].start == 0 and gaps[-1].end == _WEEK_MINUTES:
        gaps = [Gap(gaps[-1].start, gaps[0].end + _WEEK_MINUTES), *gaps[1:-1]]
    return gaps


def gaps(config: Config) -> list[str]:
    """Uncovered weekly ranges in Chinese, e.g. ``周六 00:00 至 周六 08:00 无人值班`` (a roster warning)."""
    return [gap.describe() for gap in uncovered(config)]
