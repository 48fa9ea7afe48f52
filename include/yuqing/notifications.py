"""What a warning says (C2c 及时预警): subject, HTML mail, plain text and the robot message.

Sending is not done here — the Airflow notifiers in ``plugins/`` send what this module renders and
report back to ``early_warning.record_delivery``. Everything shown is Simplified Chinese, times in
Beijing time. Titles and texts come from scraped pages, so they are untrusted: the HTML template is
autoescaped, and the plain-text and markdown templates only ever receive values that were made
inert here (whitespace collapsed, personal data masked, markdown syntax turned into full-width
look-alikes). Links are kept only if they are http(s).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.config import Config
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

TOP_ITEMS = 5
WEBHOOK_MAX_BYTES = 4000  # WeCom markdown content is limited to 4096 bytes; keep a margin

WARNING_KIND_NAMES: dict[str, str] = {
    "event": "舆情事件预警",
    "source_health": "信源异常预警",
    "publication": "发布异常预警",
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


def _view(warning: EarlyWarning, config: Config, session: Session) -> dict[str, Any]:
    person = recipient_of(config, warning.duty_person)
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


def render_warning(warning: EarlyWarning, config: Config, *, session: Session) -> WarningMessage:
    """Render one warning for mail (subject, HTML, text) and for the robot webhook (markdown JSON)."""
    view = _view(warning, config, session)
    subject = defuse_template_syntax(
        f"【{config.organisation.short_name}】{plain(warning.title, 120)}", html=False
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
