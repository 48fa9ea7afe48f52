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
