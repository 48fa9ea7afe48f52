"""Time as the office sees it: stored in UTC, shown and scheduled in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local(dt: datetime) -> datetime:
    """An aware datetime in Beijing time, for display."""
    return dt.astimezone(SHANGHAI)


def fmt_local(dt: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return local(dt).strftime(pattern) if dt is not None else "—"


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants that begin and end a calendar day in Beijing."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def local_today(now: datetime | None = None) -> date:
    return local(now or utcnow()).date()


def as_of_or_now(as_of: str | None) -> datetime:
    """The moment a sweep runs as: a DAG's `as_of` Param (drills, tests of the timings) or now.

    A naive time is refused rather than guessed: Beijing and UTC differ by eight hours.
    """
    if not as_of:
        return utcnow()
    moment = datetime.fromisoformat(as_of)
    if moment.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} needs a time zone, e.g. 2026-11-26T10:00:00+08:00")
    return moment
