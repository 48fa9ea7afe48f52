"""What a warning says (C2c 及时预警): subject, HTML mail, plain text and the robot message.

Sending is not done here — the Airflow notifiers in ``plugins/`` send what this module renders and
report back to ``early_warning.record_delivery``. Everything shown is Simplified Chinese, times in
Beijing time. Titles and texts come from scraped pages, so they are untrusted: the HTML template is
autoescaped, and the plain-text and markdown templates only ever receive values that were made
inert here (whitespace collapsed, personal data masked, markdown syntax turned into full-width
look-alikes). Links are kept only if they are http(s).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.clock import utcnow
from yuqing.config import Config, Person
from yuqing.early_warning import recipient_of
from yuqing.models import EarlyWarning, Event, Item, Source
from yuqing.templating import (
    LEVEL_COLOUR_NAMES,
    beijing,
    channel_name,
    explanation_factors,
    health_name,
    level_colour,
    neutralise_markdown,
    plain,
    render,
    safe_url,
)

log = logging.getLogger(__name__)

TOP_ITEMS = 5
WEBHOOK_MAX_BYTES = 4000  # WeCom markdown content is limited to 4096 bytes; keep a margin

WARNING_KIND_NAMES: dict[str, str] = {
    "event": "舆情事件预警",
    "source_health": "信源异常预警",
    "publication": "发布异常预警",
    "roster_gap": "值班空档预警",
}
"""How each kind of 预警 is named to people; a kind not listed is just 预警."""


@dataclass(frozen=True)
class WarningMessage:
    """One warning rendered for every channel: mail subject + HTML + text, and the robot payload."""

    subject: str
    html: str
    text: str
    webhook_payload: dict[str, Any]


def _engagement(item: Item) -> int:
    values = (item.engagement or {}).values()
    return sum(v for v in values if isinstance(v, int | float))


def top_items(
    session: Session, event_id: int, representative_id: int | None, limit: int = TOP_ITEMS
) -> list[dict]:
    """The items that best show an event: its representative, then originals by engagement, newest first."""
    rows = session.execute(
        select(Item, Source.name).join(Source, Source.id == Item.source_id).where(Item.event_id == event_id)
    ).all()
    rows.sort(
        key=lambda r: (
            r[0].id != representative_id,
            r[0].duplicate_of_id is not None,
            -_engagement(r[0]),
            -(r[0].published_at or r[0].collected_at).timestamp(),
        )
    )
    return [
        {
            "title": item.title or item.text[:60],
            "url": safe_url(item.url),
            "source": source_name,
            "channel": channel_name(item.channel),
            "time": beijing(item.published_at or item.collected_at),
        }
        for item, source_name in rows[:limit]
    ]


def ack_url_for(config: Config, warning: EarlyWarning, person: Person, now: datetime) -> str:
    """A signed single-use 确认收到 link for this person, or "" when the warning needs none or no key is set.

    A missing YUQING_SECRET_KEY must not stop a warning from going out: the message then says to
    acknowledge in the system, and the log names the variable.
    """
    from yuqing.duty.acknowledgement import SecretKeyMissing, make_ack_link

    if warning.acknowledged_at is not None or warning.status != "open":
        return ""
    try:
        return safe_url(make_ack_link(config, warning.id, person.id, now=now))
    except SecretKeyMissing as exc:
        log.warning("warning %s goes out without an acknowledgement link: %s", warning.id, exc)
        return ""


def _view(warning: EarlyWarning, config: Config, session: Session, person: Person | None = None,
          notice: str = "", now: datetime | None = None) -> dict[str, Any]:
    person = person or recipient_of(config, warning.duty_person)
    view: dict[str, Any] = {
        "organisation": config.organisation.name,
        "kind": warning.kind,
        "kind_name": WARNING_KIND_NAMES.get(warning.kind, "预警"),
        "level": warning.level,
        "level_colour_name": LEVEL_COLOUR_NAMES.get(warning.level, ""),
        "title": warning.title,
        "summary": warning.summary,
        "created_at": beijing(warning.created_at),
        "recipient": f"{person.name}（{person.title}）" if person.title else person.name,
        "roster_gap": warning.duty_person is None,
        "escalated": bool(notice),
        "notice": notice,
        "ack_url": ack_url_for(config, warning, person, now or utcnow()),
        "dashboard_url": safe_url(config.notifications.dashboard_url),
        "event": None,
        "source": None,
    }
    if warning.event_id is not None:
        event = session.get(Event, warning.event_id)
        if event is not None:
            view["event"] = {
                "title": event.title,
                "score": f"{event.score:.1f}",
                "item_count": event.item_count,
                "response_value": event.response_value or "",
                "first_seen": beijing(event.first_seen_at),
                "factors": explanation_factors(event.explanation),
                "top_items": top_items(session, event.id, event.representative_item_id),
            }
    if warning.source_id is not None:
        source = session.get(Source, warning.source_id)
        if source is not None:
            view["source"] = {
                "name": source.name,
                "channel": channel_name(source.channel),
                "health": health_name(source.health),
                "last_success": beijing(source.last_success_at),
                "consecutive_failures": source.consecutive_failures,
                "last_error": plain(source.last_error, 300) if source.last_error else "",
                "url": safe_url(source.url),
            }
    return view


def _neutralised(value: Any, clean: Callable[[Any], str], key: str = "") -> Any:
    """Every string of the view made inert by ``clean``, except URLs (already checked by safe_url)."""
    if isinstance(value, str):
        return value if key.endswith("url") else clean(value)
    if isinstance(value, dict):
        return {k: _neutralised(v, clean, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_neutralised(v, clean, key) for v in value)
    return value


_TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")


def defuse_template_syntax(rendered: str, *, html: bool) -> str:
    """Break ``{{``, ``{%`` and ``{#`` in finished output, so no later Jinja pass can evaluate scraped text.

    Airflow's notifiers Jinja-render their fields when called as callbacks; a title such as
    ``{{ conf }}`` must reach the reader as text. In HTML the brace becomes an entity (it looks
    the same); in plain text it becomes a full-width brace.
    """
    return _TEMPLATE_OPENER.sub("&#123;" if html else "｛", rendered)


def _fit(content: str, max_bytes: int = WEBHOOK_MAX_BYTES) -> str:
    """Drop detail lines until the robot accepts the message, keeping the head and the link at the end."""
    if len(content.encode("utf-8")) <= max_bytes:
        return content
    note = "（内容过长，已截断，详见系统）"
    lines = content.splitlines()
    head_end = lines.index("") if "" in lines else 1
    tail_start = len(lines) - lines[::-1].index("") if "" in lines else len(lines)
    head, middle, tail = lines[:head_end], lines[head_end:tail_start], lines[tail_start:]

    def joined() -> str:
        return "\n".join([*head, *middle, note, *tail])

    while middle and len(joined().encode("utf-8")) > max_bytes:
        middle.pop()
    while len(joined().encode("utf-8")) > max_bytes and len(head) > 1:
        head.pop()
    return joined()


def render_warning(warning: EarlyWarning, config: Config, *, session: Session, person: Person | None = None,
                   notice: str = "", now: datetime | None = None) -> WarningMessage:
    """Render one warning for mail (subject, HTML, text) and for the robot webhook (markdown JSON).

    ``person`` is whom it is for (default: its recipient — on duty, or the 主要负责同志 in a roster
    gap); the 确认收到 link is made for them. ``notice`` opens an escalation (升级提醒).
    """
    view = _view(warning, config, session, person, notice, now)
    prefix = "【升级】" if notice else ""
    subject = defuse_template_syntax(
        f"【{config.organisation.short_name}】{prefix}{plain(warning.title, 120)}", html=False
    )
    html = defuse_template_syntax(
        render(
            "notifications/warning.html.j2",
            **_neutralised(view, plain),
            level_hex=level_colour(warning.level),
            subject=subject,
        ),
        html=True,
    )
    text = defuse_template_syntax(
        render("notifications/warning.txt", **_neutralised(view, plain)), html=False
    )
    md_view = _neutralised(view, lambda s: neutralise_markdown(s, 200))
    content = _fit(render("notifications/warning.md", **md_view).strip())
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": neutralise_markdown(subject, 60), "content": content},
    }
    return WarningMessage(subject=subject, html=html, text=text, webhook_payload=payload)


def render_handover(handover: Any, config: Config, *, session: Session, person: Person,
                    now: datetime | None = None) -> WarningMessage:
    """交接班: the open warnings handed to ``person`` at a shift change, each with its own 确认收到 link."""
    now = now or utcnow()
    warnings = [w for w in (session.get(EarlyWarning, i) for i in handover.warning_ids) if w is not None]

    def name(person_id: str | None) -> str:
        if person_id is None:
            return "（值班空档）"
        try:
            return config.person(person_id).name
        except KeyError:
            return person_id

    view: dict[str, Any] = {
        "organisation": config.organisation.name,
        "shift_start": beijing(handover.shift_start),
        "from_name": name(handover.from_person),
        "to_name": person.name,
        "count": len(warnings),
        "warnings": [
            {"level": w.level, "title": w.title, "kind_name": WARNING_KIND_NAMES.get(w.kind, "预警"),
             "created_at": beijing(w.created_at), "ack_url": ack_url_for(config, w, person, now)}
            for w in warnings
        ],
        "dashboard_url": safe_url(config.notifications.dashboard_url),
    }
    subject = defuse_template_syntax(
        f"【{config.organisation.short_name}】交接班：{len(warnings)} 条预警待确认", html=False
    )
    html = defuse_template_syntax(
        render("notifications/handover.html.j2", **_neutralised(view, plain), subject=subject), html=True
    )
    md_view = _neutralised(view, lambda s: neutralise_markdown(s, 200))
    content = _fit(render("notifications/handover.md", **md_view).strip())
    text = defuse_template_syntax(content, html=False)
    payload = {"msgtype": "markdown", "markdown": {"title": neutralise_markdown(subject, 60), "content": content}}
    return WarningMessage(subject=subject, html=html, text=text, webhook_payload=payload)
