"""Timestamps relative to "now", so the demo data is always fresh.

Demo files hold ``{{ago:35m}}``, ``{{ago:3h|cn}}``, ``{{ago:1d2h|rel}}``: the moment that long ago,
written in the named format (or the file type's usual one). Units: s, m, h, d.
Formats: rfc822 (RSS), iso (JSON, Atom), unix, unixms, cn (2026年11月20日 08:30), cnshort
(11月20日 08:30), slash (2026/11/20 8:30), dash (2026-11-20 08:30), rel (3分钟前, 昨天 10:20).
Chinese formats are written in Beijing time, without a zone, as Chinese sites do.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

__all__ = ["render", "format_time", "DEFAULT_FORMAT"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLACEHOLDER = re.compile(r"\{\{\s*ago:\s*((?:\d+[smhd])+)\s*(?:\|\s*([a-z0-9]+)\s*)?\}\}")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DEFAULT_FORMAT = {".xml": "rfc822", ".rss": "rfc822", ".atom": "iso", ".json": "iso", ".html": "dash", ".csv": "dash"}


def _delta(spec: str) -> timedelta:
    return sum(
        (timedelta(**{_UNIT[u]: int(n)}) for n, u in re.findall(r"(\d+)([smhd])", spec)), start=timedelta()
    )


def format_time(when: datetime, fmt: str, now: datetime) -> str:
    local = when.astimezone(SHANGHAI)
    if fmt == "rfc822":
        return format_datetime(local)
    if fmt == "iso":
        return local.isoformat(timespec="seconds")
    if fmt == "unix":
        return str(int(when.timestamp()))
    if fmt == "unixms":
        return str(int(when.timestamp() * 1000))
    if fmt == "cn":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    if fmt == "cnshort":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    if fmt == "slash":
        return f"{local.year}/{local.month}/{local.day} {local.hour}:{local:%M}"
    if fmt == "dash":
        return f"{local:%Y-%m-%d %H:%M}"
    if fmt == "rel":
        ago = now - when
        if ago < timedelta(minutes=1):
            return "刚刚"
        if ago < timedelta(hours=1):
            return f"{int(ago.total_seconds() // 60)}分钟前"
        now_local = now.astimezone(SHANGHAI)
        if local.date() == now_local.date():
            return f"{int(ago.total_seconds() // 3600)}小时前"
        if local.date() == now_local.date() - timedelta(days=1):
            return f"昨天 {local:%H:%M}"
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    raise ValueError(f"unknown time format '{fmt}'")


def render(text: str, *, suffix: str = "", now: datetime | None = None) -> str:
    """Replace every placeholder in ``text``; ``suffix`` (``.xml``) picks the default format."""
    now = now or datetime.now(UTC)
    default = DEFAULT_FORMAT.get(suffix.lower(), "iso")
    return PLACEHOLDER.sub(lambda m: format_time(now - _delta(m[1]), m[2] or default, now), text)
