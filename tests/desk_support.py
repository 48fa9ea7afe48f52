"""Small, explicit store contents for the desk tests: events of every level, items on several
channels and hours, warnings, cases of several units (one overdue), sources in every health state,
and the hostile item (``<script>`` title, ``javascript:`` link) every page must show inert."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yuqing.cases.models import Case
from yuqing.clock import local_day_bounds, local_today
from yuqing.models import EarlyWarning, Event, Item, Source

HOSTILE_TITLE = '<script>alert("desk")</script>清风寺香火钱'
HOSTILE_URL = "javascript:alert(document.cookie)"


@dataclass
class Seeded:
    events: dict[str, int]
    warnings: dict[str, int]
    cases: dict[str, str]


def _item(source: str, channel: str, n: int, at: datetime, sentiment: str, **kw: Any) -> Item:
    text = kw.pop("text", f"测试信息{n}")
    return Item(source_id=source, external_id=f"x{n}", channel=channel, text=text, collected_at=at,
                content_hash=hashlib.sha256(f"{n}{text}".encode()).hexdigest(), sentiment=sentiment,
                relevant=True, analyzed_at=at, **kw)


def seed(session: Session, now: datetime) -> Seeded:
    """Everything the desk tests look for; ``now`` must fall on today's Beijing date."""
    start, _ = local_day_bounds(local_today(now))
    session.add_all([
        Source(id="weibo-demo", name="江城微博", type="json", channel="weibo", cadence_minutes=30, health="ok",
               last_success_at=now - timedelta(minutes=10), last_new_item_at=now - timedelta(minutes=10)),
        Source(id="news-quiet", name="江城日报网", type="rss", channel="news", cadence_minutes=60, health="silent",
               last_success_at=now - timedelta(hours=8), last_new_item_at=now - timedelta(hours=9)),
        Source(id="forum-down", name="江城论坛", type="html", channel="forum", cadence_minutes=60, health="failing",
               consecutive_failures=4, last_error="HTTP 503 from forum", last_success_at=now - timedelta(days=1)),
    ])
    session.flush()
    events = {
        "major": Event(title="清风寺收取高额香火钱引发质疑", level="重大", score=70.5, item_count=3,
                       explanation={"factors": [{"name": "content", "label": "舆情内容", "value": 0.8,
                                                 "weight": 0.4, "contribution": 32}], "score": 70.5, "level": "重大"},
                       response_value="需回应", first_seen_at=start + timedelta(hours=1), last_seen_at=now),
        "minor": Event(title="民族团结进步宣传月活动", level="一般", score=12.0, item_count=1,
                       first_seen_at=start + timedelta(hours=2), last_seen_at=now),
        "hostile": Event(title=HOSTILE_TITLE, level="较大", score=45.0, item_count=1,
                         first_seen_at=start + timedelta(hours=3), last_seen_at=now),
    }
    session.add_all(events.values())
    session.flush()
    items = [
        _item("weibo-demo", "weibo", 1, start + timedelta(hours=1, minutes=5), "negative", event_id=events["major"].id),
        _item("weibo-demo", "weibo", 2, start + timedelta(hours=1, minutes=15), "negative", event_id=events["major"].id),
        _item("news-quiet", "news", 3, start + timedelta(hours=2), "positive", event_id=events["minor"].id),
        _item("forum-down", "forum", 4, start + timedelta(hours=3), "neutral", event_id=events["hostile"].id,
              title=HOSTILE_TITLE, url=HOSTILE_URL),
    ]
    items += [_item("weibo-demo", "weibo", 10 + i, start + timedelta(hours=4, minutes=i), "negative")
              for i in range(8)]  # a spike at 04:00
    session.add_all(items)
    session.flush()
    events["hostile"].representative_item_id = items[3].id
    events["major"].representative_item_id = items[0].id
    warnings = {
        "major": EarlyWarning(dedup_key="event:major", kind="event", level="重大", title="重大预警：清风寺香火钱",
                              summary="请值班人员立即研判。", event_id=events["major"].id, duty_person="liu_yang",
                              created_at=now - timedelta(minutes=20)),
        "hostile": EarlyWarning(dedup_key="event:hostile", kind="event", level="较大", title=HOSTILE_TITLE,
                                summary=HOSTILE_TITLE, event_id=events["hostile"].id, duty_person="liu_yang",
                                created_at=now - timedelta(minutes=5)),
        "source": EarlyWarning(dedup_key="source:forum-down", kind="source_health", level="一般",
                               title="信源异常：江城论坛", summary="连续4次采集失败", source_id="forum-down",
                               duty_person="liu_yang", created_at=now - timedelta(minutes=2)),
    }
    session.add_all(warnings.values())
    cases = [
        Case(number="YQ-20260101-0001", origin_key="event:1", title="清风寺香火钱问题", case_type="舆情事件",
             level="重大", lead_unit="venues", co_units=["religion"], first_responsible="chen_gang",
             direct_responsible="zheng_yan", state="转办", opened_at=now - timedelta(hours=7),
             due_at=now - timedelta(hours=2), deadline_rule="重大：5小时内权威发布"),
        Case(number="YQ-20260101-0002", origin_key="item:2", title="清真寺周边停车难", case_type="投诉",
             level="一般", lead_unit="religion", first_responsible="chen_gang", direct_responsible="wu_qiang",
             state="办理中", opened_at=now - timedelta(days=1), due_at=now + timedelta(days=10),
             deadline_rule="投诉：15个工作日内办结答复"),
        Case(number="YQ-20260101-0003", origin_key="item:3", title="少数民族学生助学政策咨询", case_type="咨询",
             level="一般", lead_unit="ethnic", first_responsible="chen_gang", direct_responsible="zhou_ping",
             state="受理", opened_at=now - timedelta(hours=3), due_at=now + timedelta(days=5),
             deadline_rule="咨询：7个工作日内办结答复"),
        Case(number="YQ-20260101-0004", origin_key="item:4", title="已办结的旧诉求", case_type="咨询",
             level="一般", lead_unit="religion", first_responsible="chen_gang", state="办结",
             opened_at=now - timedelta(days=9), due_at=now - timedelta(days=1), deadline_rule="咨询"),
    ]
    session.add_all(cases)
    session.commit()
    return Seeded({k: e.id for k, e in events.items()}, {k: w.id for k, w in warnings.items()},
                  {"overdue": cases[0].number, "religion": cases[1].number, "ethnic": cases[2].number,
                   "closed": cases[3].number})
