"""Date strings from Chinese sources, parsed to aware UTC — or refused with a reason.

Why our own parser: feedparser reads ``2026年11月20日 08:30`` as 2026-11-01, takes a date without a
zone as UTC (8 hours off for Chinese sources), reads a Unix timestamp as the year 1795 and gives
up on ``3分钟前``. A wrong date silently moves an item out of the day it belongs to, so every
format here either yields the right instant or raises :class:`DateParseError` saying why.

A date without a zone from a Chinese source is Beijing time (Asia/Shanghai).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

from yuqing.clock import SHANGHAI

__all__ = ["DateParseError", "parse_datetime"]

FUTURE_TOLERANCE = timedelta(hours=1)
"""A source clock may run a little ahead; more than this means we misread the date."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class DateParseError(ValueError):
    """A date we could not read; the message quotes the value and says why."""

    def __init__(self, value: object, reason: str):
        self.value = value
        self.reason = reason
        super().__init__(f"date {value!r} not understood: {reason}")


_REL_UNITS = {"秒": "seconds", "分钟": "minutes", "分": "minutes", "小时": "hours", "天": "days", "周": "weeks"}
_RE_RELATIVE = re.compile(r"^(\d+)\s*(秒|分钟|分|小时|天|周)前$")
_RE_DAYWORD = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
_RE_CN_FULL = re.compile(
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})[:：时](\d{1,2})分?(?:[:：](\d{1,2})秒?)?)?$"
)
_RE_CN_MONTHDAY = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$")
_RE_NUMERIC = re.compile(
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_RE_SHORT_MD = re.compile(r"^(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})$")
_RE_UNIX = re.compile(r"^\d{9,13}(?:\.\d+)?$")


def _local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, *, value: object) -> datetime:
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)
    except ValueError as exc:
        raise DateParseError(value, f"no such date or time ({exc})") from None


def _from_unix(number: float, value: object) -> datetime:
    if number > 1e11:  # milliseconds, as JavaScript-based APIs send them
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise DateParseError(value, f"unix timestamp out of range ({exc})") from None


def _year_for_month_day(mo: int, d: int, now_local: datetime, value: object) -> int:
    """``11月20日`` has no year: the current one, unless that lies ahead of now (then last year)."""
    year = now_local.year
    try:
        if date(year, mo, d) > now_local.date() + timedelta(days=1):
            year -= 1
    except ValueError as exc:
        raise DateParseError(value, f"no such date ({exc})") from None
    return year


def _parse_text(s: str, now: datetime, value: object) -> datetime:
    now_local = now.astimezone(SHANGHAI)
    if s in ("刚刚", "刚才"):
        return now
    if m := _RE_RELATIVE.match(s):
        return now - timedelta(**{_REL_UNITS[m[2]]: int(m[1])})
    if m := _RE_DAYWORD.match(s):
        back = {"今天": 0, "昨天": 1, "前天": 2}[m[1]]
        day = now_local.date() - timedelta(days=back)
        return _local(day.year, day.month, day.day, int(m[2]), int(m[3]), int(m[4] or 0), value=value)
    if m := _RE_CN_FULL.match(s):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        return _local(y, mo, d, int(m[4] or 0), int(m[5] or 0), int(m[6] or 0), value=value)
    if m := _RE_CN_MONTHDAY.match(s):
        mo, d = int(m[1]), int(m[2])
        y = _year_for_month_day(mo, d, now_local, value)
        return _local(y, mo, d, int(m[3] or 0), int(m[4] or 0), int(m[5] or 0), value=value)
    if m := _RE_NUMERIC.match(s):
        y, mo, d = int(m[1]), int(m[3]), int(m[4])
        return _local(y, mo, d, int(m[5] or 0), int(m[6] or 0), int(m[7] or 0), value=value)
    if m := _RE_SHORT_MD.match(s):
        mo, d = int(m[1]), int(m[2])
        y = _year_for_month_day(mo, d, now_local, value)
        return _local(y, mo, d, int(m[3]), int(m[4]), value=value)
    if _RE_UNIX.match(s):
        return _from_unix(float(s), value)
    if re.match(r"^\d{4}-\d{2}-\d{2}T", s) or re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+\-]\d{2}:?\d{2})$", s):
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError as exc:
            raise DateParseError(value, f"not a valid ISO 8601 date ({exc})") from None
        return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)
    if re.search(r"[A-Za-z]{3}", s) and re.search(r"\d{1,2}:\d{2}", s):
        try:
            dt = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError) as exc:
            raise DateParseError(value, f"not a valid RFC 822 date ({exc})") from None
        if dt is None:
            raise DateParseError(value, "not a valid RFC 822 date")
        # RFC 822 without a zone (or "-0000", zone unknown) from a Chinese source: Beijing time.
        return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)
    raise DateParseError(value, "unknown format")


def parse_datetime(value: object, *, now: datetime) -> datetime:
    """Parse one date as a source wrote it; returns aware UTC or raises :class:`DateParseError`.

    Accepts ``datetime`` (naive = Beijing time), Unix seconds or milliseconds (number or digit
    string), ISO 8601, RFC 822, ``2026年11月20日 08:30``, ``11月20日 08:30``, ``2026/11/20 8:30``,
    ``2026-11-20``, ``3分钟前``, ``2小时前``, ``昨天 10:20``, ``今天 09:05``, ``刚刚``.
    A result far in the future or before 2000 is refused: it means the format was misread.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if isinstance(value, bool) or value is None:
        raise DateParseError(value, "no date given")
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    elif isinstance(value, date):
        dt = datetime.combine(value, time.min, tzinfo=SHANGHAI)
    elif isinstance(value, int | float):
        dt = _from_unix(float(value), value)
    elif isinstance(value, str):
        s = re.sub(r"\s+", " ", value.replace("\u3000", " ")).strip()
        if not s:
            raise DateParseError(value, "empty")
        dt = _parse_text(s, now, value)
    else:
        raise DateParseError(value, f"unsupported type {type(value).__name__}")
    dt = dt.astimezone(UTC)
    if dt > now + FUTURE_TOLERANCE:
        raise DateParseError(value, f"lies in the future ({dt.isoformat()} > now {now.isoformat()})")
    if dt < EARLIEST:
        raise DateParseError(value, f"implausibly early ({dt.isoformat()})")
    return dt
