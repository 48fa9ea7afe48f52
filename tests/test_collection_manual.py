"""Manual entry (C1 传统媒体): print clippings and phone tips, with who entered them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_collection_support import make_config

from yuqing.collection import add_manual_item
from yuqing.models import AuditLog, Item

CONFIG = make_config([
    {"id": "print_media", "name": "报刊", "type": "manual", "channel": "print"},
    {"id": "feed", "name": "门户", "type": "rss", "channel": "portal", "url": "http://127.0.0.1:9/x.xml"},
])


def test_manual_item_is_stored_once_and_audited(session: Session) -> None:
    when = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    item = add_manual_item(session, CONFIG, source_id="print_media", title="江城晚报 A3版：清风寺收费调查",
                           text="<p>本报记者调查清风寺收费情况\x00</p>", url="http://news.example/a3",
                           author="江城晚报", published_at=when, actor="liu_yang")
    again = add_manual_item(session, CONFIG, source_id="print_media", title="江城晚报 A3版：清风寺收费调查",
                            text="本报记者调查清风寺收费情况", actor="huang_xin")
    assert again.id == item.id
    assert (item.text, item.channel, item.published_at, item.extra) == (
        "本报记者调查清风寺收费情况", "print", when, {"entered_by": "liu_yang"})
    assert session.scalars(select(Item)).all() == [item]
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["item.add_manual", "item.add_manual_duplicate"]
    assert session.scalars(select(AuditLog.actor).order_by(AuditLog.id)).all() == ["liu_yang", "huang_xin"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_id": "nope"}, "unknown source 'nope'; manual sources: print_media"),
        ({"source_id": "feed"}, "source 'feed' is of type 'rss', not 'manual'; its items are collected"),
        ({"text": " <p> </p> "}, "text is empty"),
        ({"url": "javascript:alert(1)"}, "url 'javascript:alert(1)' is not an http(s) address"),
        ({"published_at": datetime(2026, 11, 25, 8, 0)}, "published_at needs a time zone (e.g. +08:00)"),
        ({"published_at": datetime.now(UTC) + timedelta(days=2)}, "lies in the future"),
        ({"actor": " "}, "actor is empty"),
    ],
)
def test_bad_manual_entry_is_refused_with_the_problem(session: Session, kwargs: dict, message: str) -> None:
    args = {"source_id": "print_media", "text": "内容", "actor": "liu_yang", **kwargs}
    with pytest.raises(ValueError) as exc:
        add_manual_item(session, CONFIG, **args)
    assert message in str(exc.value)
    assert session.scalars(select(Item)).all() == []
