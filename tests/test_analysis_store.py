"""``analyze_pending`` on the store: columns filled, duplicates, events across runs, grades, idempotence."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing.analysis import analyze_pending
from yuqing.collection.text import content_hash
from yuqing.config import Config
from yuqing.models import AuditLog, Event, EventLevelChange, Item, Source

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
_ids = itertools.count(1)

VENUE_POST = "清风寺门口今天上午发生冲突，商贩和香客打起来了，好多人围观，民宗局怎么没人管？"


def _source(session: Session, sid: str, channel: str, name: str | None = None) -> None:
    if session.get(Source, sid) is None:
        session.add(Source(id=sid, name=name or sid, type="manual", channel=channel))
        session.flush()


def _item(session: Session, text: str, *, at: datetime, source: str = "weibo", channel: str = "weibo",
          title: str | None = None, **kw: object) -> Item:
    _source(session, source, channel)
    item = Item(source_id=source, external_id=f"x{next(_ids)}", channel=channel, title=title, text=text,
                published_at=at, collected_at=at, content_hash=content_hash(title, text), **kw)
    session.add(item)
    session.flush()
    return item


def test_analysis_fills_item_columns_and_marks_duplicates(session: Session, demo_config: Config) -> None:
    a = _item(session, VENUE_POST, at=T0)
    exact = _item(session, VENUE_POST, at=T0 + timedelta(minutes=1), source="forum", channel="forum")
    repost = _item(session, "转发微博//@路人甲:" + VENUE_POST, at=T0 + timedelta(minutes=2))
    other = _item(session, "今天天气不错，适合去公园散步", at=T0)
    summary = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=10))
    assert summary.items_analyzed == 4 and summary.relevant == 3 and summary.duplicates == 2
    assert a.analyzed_at is not None and a.relevant and a.sentiment == "negative"
    assert "清风寺" in a.matched_terms and "涉稳" in a.categories
    assert exact.duplicate_of_id == a.id and repost.duplicate_of_id == a.id
    assert exact.event_id == repost.event_id == a.event_id is not None
    assert other.relevant is False and other.event_id is None and other.sentiment_score is not None


def test_new_item_joins_the_open_event_of_an_earlier_run(session: Session, demo_config: Config) -> None:
    first = _item(session, VENUE_POST, at=T0)
    s1 = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=10))
    assert s1.events_created == 1
    later = _item(session, "清风寺门口冲突还在继续，商贩和香客又吵起来了，民宗局到现在没人管", at=T0 + timedelta(minutes=40),
                  source="forum", channel="forum")
    unrelated = _item(session, "市民宗局召开民族团结进步创建工作会议，部署下半年工作", at=T0 + timedelta(minutes=41),
                      source="portal", channel="portal")
    s2 = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=45))
    assert later.event_id == first.event_id
    assert unrelated.event_id not in (None, first.event_id)
    assert s2.events_created == 1 and s2.events_updated == 1
    event = session.get(Event, first.event_id)
    assert event is not None and event.item_count == 2
    assert "清风寺" in event.signature


def test_event_outside_the_window_is_not_joined(session: Session, demo_config: Config) -> None:
    first = _item(session, VENUE_POST, at=T0)
    analyze_pending(session, demo_config, now=T0)
    days_later = T0 + timedelta(hours=demo_config.grading.event_window_hours + 1)
    again = _item(session, "清风寺门口冲突：商贩和香客又打起来了，民宗局没人管", at=days_later)
    analyze_pending(session, demo_config, now=days_later)
    assert again.event_id is not None and again.event_id != first.event_id


def test_event_is_graded_with_explanation_title_and_response_value(session: Session, demo_config: Config) -> None:
    _source(session, "jcwb", "news", name="江城晚报")
    for i in range(6):
        _item(session, VENUE_POST if i == 0 else f"转发微博//@网友{i}:" + VENUE_POST, at=T0 + timedelta(minutes=i),
              engagement={"comments": 50, "reposts": 100})
    _item(session, "今日上午，清风寺门前商贩与香客发生冲突，围观群众众多。", title="清风寺门前商贩与香客冲突",
          at=T0 + timedelta(minutes=30), source="jcwb", channel="news")
    analyze_pending(session, demo_config, now=T0 + timedelta(minutes=35))
    event = session.scalars(select(Event)).one()
    assert event.item_count == 7
    assert event.level != "一般" and event.score >= demo_config.grading.thresholds[event.level]
    assert event.title and event.representative_item_id is not None
    assert [f["label"] for f in event.explanation["factors"]] == ["舆情内容", "公众反应", "媒体介入程度", "传播范围"]
    assert event.explanation["factors"][2]["detail"]["outlets"] == {"江城晚报": "mainstream"}
    assert event.response_value in ("需回应", "持续关注") and event.explanation["response_reason"]


def test_level_change_is_recorded_once_and_rerun_changes_nothing(session: Session, demo_config: Config) -> None:
    _item(session, VENUE_POST, at=T0)
    s1 = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=5))
    event = session.scalars(select(Event)).one()
    assert s1.level_changes == [(event.id, None, event.level)]
    changes = session.scalars(select(EventLevelChange)).all()
    assert [(c.from_level, c.to_level) for c in changes] == [(None, event.level)]
    audit = session.scalars(select(AuditLog).where(AuditLog.object_type == "event")).all()
    assert [a.action for a in audit] == ["event.graded"]

    before = (event.score, event.level, event.updated_at, event.item_count)
    s2 = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=20))
    assert (s2.items_analyzed, s2.events_created, s2.events_updated, s2.level_changes) == (0, 0, 0, [])
    assert (event.score, event.level, event.updated_at, event.item_count) == before
    assert session.scalar(select(func.count()).select_from(EventLevelChange)) == 1


def test_upgrade_writes_a_second_level_change(session: Session, demo_config: Config) -> None:
    _item(session, "清风寺门口有商贩占道经营", at=T0)
    analyze_pending(session, demo_config, now=T0)
    event = session.scalars(select(Event)).one()
    assert event.level == "一般"
    for i in range(30):
        _item(session, f"清风寺门口商贩和香客冲突打人了，第{i}个视频，民宗局凭什么不管？😡", at=T0 + timedelta(minutes=30 + i),
              engagement={"comments": 300, "reposts": 500})
    summary = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=60))
    assert event.level != "一般"
    assert (event.id, "一般", event.level) in summary.level_changes
    levels = [(c.from_level, c.to_level) for c in session.scalars(select(EventLevelChange).order_by(EventLevelChange.id))]
    assert levels == [(None, "一般"), ("一般", event.level)]


def test_batches_give_the_same_result_as_one_pass(session: Session, demo_config: Config) -> None:
    items = [_item(session, VENUE_POST if i % 2 else "转发微博//@甲:" + VENUE_POST, at=T0 + timedelta(minutes=i)) for i in range(7)]
    summary = analyze_pending(session, demo_config, now=T0 + timedelta(minutes=10), batch_size=2)
    assert summary.items_analyzed == 7 and summary.duplicates == 6
    assert len({i.event_id for i in items}) == 1


def test_keyword_counts_are_kept_across_runs_as_the_velocity_baseline(session: Session, demo_config: Config) -> None:
    """A new event's σ-spike is measured against its keyword's stored hourly counts of the past week."""
    from yuqing.analysis.models import KeywordCount

    start = T0 - timedelta(days=3)
    topics = ["周末停车位难找", "门票又涨价了吗", "素斋味道不错", "银杏叶黄了真美", "志愿者讲解专业", "几点开门",
              "台阶太陡老人难走", "寄存柜不够用"]
    for h in range(0, 72, 3):  # a steady trickle of unrelated posts naming 清风寺, one run per day
        _item(session, f"清风寺{topics[(h // 3) % len(topics)]}", at=start + timedelta(hours=h))
        if h % 24 == 21:
            analyze_pending(session, demo_config, now=start + timedelta(hours=h + 1))
    stored = session.scalar(select(func.sum(KeywordCount.count)).where(KeywordCount.term == "清风寺"))
    assert stored == 24
    for m in range(12):  # then a burst within one hour
        _item(session, f"清风寺门口商贩和香客打起来了，有人受伤，第{m}个现场视频", at=T0 + timedelta(minutes=4 * m))
    analyze_pending(session, demo_config, now=T0 + timedelta(minutes=50))
    event = session.scalars(select(Event).order_by(Event.item_count.desc())).first()
    assert event is not None and event.item_count >= 10
    detail = event.explanation["factors"][1]["detail"]
    assert detail["basis"].startswith("关键词「清风寺」") and detail["items_last_hour"] >= 10
    assert detail["sigma"] > 3 and detail["parts"]["velocity"] > 0.5
    assert "σ" in detail["velocity"]


def test_old_keyword_counts_are_dropped(session: Session, demo_config: Config) -> None:
    from yuqing.analysis.grading import time_slot
    from yuqing.analysis.models import KeywordCount

    session.add(KeywordCount(term="清风寺", slot=time_slot(T0 - timedelta(days=30)), count=5))
    session.flush()
    _item(session, VENUE_POST, at=T0)
    analyze_pending(session, demo_config, now=T0)
    slots = session.scalars(select(KeywordCount.slot).where(KeywordCount.term == "清风寺")).all()
    assert slots == [time_slot(T0)]
