"""Date strings from Chinese sources → aware UTC, or a clear refusal (never a silent wrong date)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yuqing.collection.dates import DateParseError, parse_datetime

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 20:00 in Beijing


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026年11月20日 08:30", utc(2026, 11, 20, 0, 30)),  # feedparser: 2026-11-01
        ("2026年11月20日08:30", utc(2026, 11, 20, 0, 30)),  # no space
        ("2026年11月20日 8时30分", utc(2026, 11, 20, 0, 30)),  # 时/分
        ("2026年11月20日", utc(2026, 11, 19, 16, 0)),  # date only: Beijing midnight
        ("11月20日 08:30", utc(2026, 11, 20, 0, 30)),  # no year: this year
        ("12月30日 08:30", utc(2025, 12, 30, 0, 30)),  # no year, would be ahead: last year
        ("2026/11/20 8:30", utc(2026, 11, 20, 0, 30)),  # feedparser: 2026-11-01
        ("2026-11-20 08:30:15", utc(2026, 11, 20, 0, 30, 15)),  # zone-less: Beijing, not UTC
        ("2026.11.20", utc(2026, 11, 19, 16, 0)),  # dotted
        ("11-20 08:30", utc(2026, 11, 20, 0, 30)),  # forum short form
        ("2026-11-20T08:30:00+08:00", utc(2026, 11, 20, 0, 30)),  # ISO with zone
        ("2026-11-20T00:30:00Z", utc(2026, 11, 20, 0, 30)),  # ISO Z
        ("2026-11-20T08:30:00", utc(2026, 11, 20, 0, 30)),  # ISO without zone: Beijing
        ("Fri, 20 Nov 2026 08:30:00 +0800", utc(2026, 11, 20, 0, 30)),  # RFC 822
        ("Fri, 20 Nov 2026 00:30:00 GMT", utc(2026, 11, 20, 0, 30)),  # RFC 822 GMT
        ("Fri, 20 Nov 2026 08:30:00", utc(2026, 11, 20, 0, 30)),  # RFC 822 without zone: Beijing
        ("1795134600", utc(2026, 11, 20, 0, 30)),  # unix seconds as text (feedparser: 1795)
        ("1795134600000", utc(2026, 11, 20, 0, 30)),  # unix milliseconds
        (1795134600, utc(2026, 11, 20, 0, 30)),  # unix seconds as a number
        ("3分钟前", utc(2026, 11, 25, 11, 57)),  # relative
        ("2小时前", utc(2026, 11, 25, 10, 0)),
        ("1天前", utc(2026, 11, 24, 12, 0)),
        ("刚刚", NOW),
        ("昨天 10:20", utc(2026, 11, 24, 2, 20)),  # yesterday in Beijing
        ("今天 09:05", utc(2026, 11, 25, 1, 5)),
        ("前天 23:59", utc(2026, 11, 23, 15, 59)),
        ("  2026年11月20日\u300008:30 ", utc(2026, 11, 20, 0, 30)),  # ideographic space, padding
        (datetime(2026, 11, 20, 8, 30), utc(2026, 11, 20, 0, 30)),  # naive datetime (XLSX cell): Beijing
    ],
)
def test_date_is_read_as_the_right_utc_instant(value: object, expected: datetime) -> None:
    got = parse_datetime(value, now=NOW)
    assert got == expected
    assert got.tzinfo is not None and got.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),  # the empty string
        ("   ", "empty"),
        (None, "no date given"),
        ("下周一", "unknown format"),
        ("2026/11/31 11:20", "no such date"),  # 31 November
        ("2026-13-01", "no such date"),
        ("2026年11月20日 25:30", "no such date"),
        ("2027-01-01 00:00", "in the future"),  # a misread that lands ahead of now
        ("1795", "unknown format"),  # a bare year is not a timestamp
        ("9999999999999", "in the future"),  # milliseconds in the year 2286
        ("Fri, 99 Foo 2026 08:30:00", "RFC 822"),
    ],
)
def test_unreadable_date_is_refused_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(DateParseError) as exc:
        parse_datetime(value, now=NOW)
    assert reason in str(exc.value)
    assert repr(value) in str(exc.value)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_datetime("刚刚", now=datetime(2026, 11, 25))
