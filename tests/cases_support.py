"""Small factories for case tests: events and hotline items in the store, as analysis leaves them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from yuqing.models import Event, Item, Source

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 Beijing


def make_event(session: Session, *, title: str = "清风寺强制收“香火钱”还打人？", level: str = "重大",
               categories: list[str] | None = None, signature: list[str] | None = None,
               response_value: str | None = "需回应", at: datetime = T0) -> Event:
    event = Event(title=title, level=level, score=70.0, heat=12.5, item_count=9,
                  categories=categories if categories is not None else ["宗教活动场所", "涉稳"],
                  signature=signature or ["清风寺", "香火钱", "打人"], response_value=response_value,
                  explanation={"factors": [{"name": "content", "label": "内容敏感度", "contribution": 30.0}]},
                  first_seen_at=at, last_seen_at=at, updated_at=at)
    session.add(event)
    session.flush()
    return event


def make_hotline_item(session: Session, *, text: str, kind: str | None = "投诉", ref: str = "RX-1",
                      categories: list[str] | None = None, at: datetime = T0) -> Item:
    if session.get(Source, "hotline_12345") is None:
        session.add(Source(id="hotline_12345", name="12345", type="hotline", channel="hotline"))
        session.flush()
    extra: dict[str, Any] = {"受理编号": ref}
    if kind:
        extra["诉求类型"] = kind
    item = Item(source_id="hotline_12345", external_id=ref, channel="hotline", title=None, text=text,
                content_hash=ref.ljust(64, "0"), extra=extra, categories=categories or [], published_at=at)
    session.add(item)
    session.flush()
    return item
