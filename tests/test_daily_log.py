"""The 舆情日志 (C2c): counts by channel, sentiment and level; top events; source health; open warnings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from yuqing import daily_log, early_warning
from yuqing.clock import SHANGHAI
from yuqing.config import Config
from yuqing.models import AuditLog, Event, Item, Source

DAY = date(2026, 11, 23)  # a Monday
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
GENERATED = datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
HOSTILE = "<script>alert(1)</script>{{ 7*7 }}"


def _sources(session: Session) -> None:
    session.add_all(
        [
            Source(
                id="portal",
                name="市政府门户网站",
                type="rss",
                channel="portal",
                health="ok",
                last_success_at=NOON,
            ),
            Source(
                id="forum",
                name="江城论坛",
                type="html",
                channel="forum",
                health="failing",
                consecutive_failures=4,
                last_error="HTTP 500 <b>boom</b>",
            ),
            Source(
                id="weibo",
                name="微博搜索",
                type="json",
                channel="weibo",
                health="silent",
                last_success_at=NOON,
            ),
            Source(id="hotline", name="12345热线", type="hotline", channel="hotline", health="ok"),
            Source(id="manual", name="人工录入", type="manual", channel="print", health="ok"),
        ]
    )
    session.flush()


_seq = iter(range(1_000_000))


def _item(session: Session, source: str, channel: str, *, at: datetime = NOON, **kw: object) -> Item:
    n = next(_seq)
    values: dict[str, object] = {
        "title": f"信息{n}",
        "text": f"正文{n}",
        "sentiment": "neutral",
        "relevant": True,
    }
    values.update(kw)
    item = Item(
        source_id=source, external_id=str(n), channel=channel, content_hash=str(n), collected_at=at, **values
    )
    session.add(item)
    return item


def _render(session: Session, config: Config, tmp_path: Path, day: date = DAY) -> str:
    path = daily_log.render_daily_log(session, config, day, out_dir=tmp_path / "out", now=GENERATED)
    assert path == tmp_path / "out" / f"舆情日志-{day.isoformat()}.html"
    return path.read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The page's visible text, tags dropped and whitespace collapsed, for plain assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.S))


def test_empty_day_says_nothing_was_collected(session: Session, demo_config: Config, tmp_path: Path) -> None:
    html = _render(session, demo_config, tmp_path)
    text = _text(html)
    assert "江城市民族宗教事务局" in text and "网络舆情日志" in text
    assert "2026年11月23日（周一）" in text and "生成时间：2026-11-24 08:00" in text
    assert "当日未采集到信息" in text and "当日无活跃舆情事件" in text
    assert "尚未配置任何信源" in text and "无未处置预警" in text
    assert "08:00 – 16:00 刘洋（舆情监测员） 黄欣" in text  # who was on duty that day
    assert "前日 20:00 – 08:00 何静（舆情监测员） 黄欣" in text and "16:00 – 24:00 黄欣" in text


def test_one_item_is_counted_and_shown_without_the_empty_notice(
    session: Session, demo_config: Config, tmp_path: Path
) -> None:
    _sources(session)
    _item(session, "portal", "portal", sentiment="negative")
    text = _text(_render(session, demo_config, tmp_path))
    assert "当日未采集到信息" not in text
    assert "当日共采集信息 1 条，其中相关信息 1 条、无关信息 0 条" in text
    assert "门户网站 1" in text and "负面 1 100%" in text and "正面 0 0%" in text


def test_many_items_counted_by_channel_sentiment_and_relevance_within_the_beijing_day(
    session: Session, demo_config: Config, tmp_path: Path
) -> None:
    _sources(session)
    for _ in range(3):
        _item(session, "weibo", "weibo", sentiment="negative")
    for _ in range(2):
        _item(session, "forum", "forum", sentiment="positive", relevant=False)
    _item(session, "hotline", "hotline", sentiment=None, relevant=None)
    _item(session, "manual", "print")
    # Beijing-day edges: 00:00 counts, 24:00 belongs to the next day, 23:59 UTC the day before is 07:59 here
    _item(session, "portal", "portal", at=datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI))
    _item(session, "portal", "portal", at=datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI))
    _item(session, "portal", "portal", at=datetime(2026, 11, 22, 15, 59, tzinfo=UTC))
    session.flush()
    counts = daily_log.build_context(session, demo_config, DAY, now=GENERATED)["items"]
    assert counts["total"] == 8
    assert counts["by_channel"] == [
        ("门户网站", 1),
        ("论坛", 2),
        ("微博", 3),
        ("热线电话", 1),
        ("传统媒体", 1),
    ]
    assert counts["by_sentiment"] == [("负面", 3), ("中性", 2), ("正面", 2), ("未分析", 1)]
    assert (counts["relevant"], counts["not_relevant"], counts["unanalysed"]) == (5, 2, 1)
    assert (counts["hotline"], counts["manual"]) == (1, 1)
    text = _text(_render(session, demo_config, tmp_path))
    assert "当日共采集信息 8 条" in text and "新增热线来电 1 条，人工录入 1 条" in text
    assert "微博 3" in text and "负面 3 38%" in text


def _event(session: Session, level: str, score: float, title: str, **kw: object) -> Event:
    event = Event(
        title=title,
        level=level,
        score=score,
        item_count=kw.pop("item_count", 0),  # type: ignore[arg-type]
        first_seen_at=kw.pop("first_seen_at", NOON - timedelta(hours=2)),  # type: ignore[arg-type]
        last_seen_at=kw.pop("last_seen_at", NOON),  # type: ignore[arg-type]
        updated_at=NOON,
        **kw,
    )
    session.add(event)
    session.flush()
    return event


def test_events_counted_by_level_and_top_events_ordered_with_explanation_and_items(
    session: Session, demo_config: Config, tmp_path: Path
) -> None:
    _sources(session)
    big = _event(
        session,
        "重大",
        70,
        "清风寺门票纠纷",
        explanation={"content": 0.9, "media": ["江城晚报"]},
        item_count=3,
    )
    mid_low = _event(session, "较大", 41, "慈云寺噪音扰民")
    mid_high = _event(session, "较大", 55, "玉皇观停车难")
    _event(session, "一般", 10, "政策解读咨询")
    # not active that day: ended the day before, or began the day after
    _event(
        session,
        "特别重大",
        90,
        "前日事件",
        first_seen_at=NOON - timedelta(days=3),
        last_seen_at=NOON - timedelta(days=1),
    )
    _event(
        session,
        "特别重大",
        90,
        "次日事件",
        first_seen_at=NOON + timedelta(days=1),
        last_seen_at=NOON + timedelta(days=1),
    )
    _item(
        session,
        "weibo",
        "weibo",
        event_id=big.id,
        sentiment="negative",
        title="清风寺收门票",
        url="https://weibo.example/1",
    )
    _item(
        session,
        "weibo",
        "weibo",
        event_id=big.id,
        sentiment="negative",
        url="javascript:alert(1)",
        title="坏链接",
    )
    _item(session, "forum", "forum", event_id=big.id, sentiment="neutral", title="论坛讨论门票")
    session.flush()
    context = daily_log.build_context(session, demo_config, DAY, now=GENERATED)
    assert context["level_counts"] == [("特别重大", 0), ("重大", 1), ("较大", 2), ("一般", 1)]
    assert [e["title"] for e in context["events"]] == [
        "清风寺门票纠纷",
        "玉皇观停车难",
        "慈云寺噪音扰民",
        "政策解读咨询",
    ]
    top = context["events"][0]
    assert top["sentiment"][0][:2] == ("负面", 2) and top["sentiment"][1][:2] == ("中性", 1)
    assert ("舆情内容", "0.9") in top["factors"] and ("媒体介入程度", "江城晚报") in top["factors"]
    assert mid_low.id != mid_high.id
    html = _render(session, demo_config, tmp_path)
    assert '<a href="https://weibo.example/1">清风寺收门票</a>' in html
    assert "javascript:" not in html and "坏链接" in html
    assert (
        "#ef6c00" in html and "#f9a825" in html and "#1565c0" in html
    )  # 重大 orange, 较大 yellow, 一般 blue
    text = _text(html)
    assert "研判依据" in text and "负面 2（67%）" in text and "微博搜索（微博）" in text
    assert "前日事件" not in text and "次日事件" not in text


def test_source_health_table_lists_every_source(
    session: Session, demo_config: Config, tmp_path: Path
) -> None:
    _sources(session)
    html = _render(session, demo_config, tmp_path)
    text = _text(html)
    assert "江城论坛 论坛 失败 — 4 HTTP 500 &lt;b&gt;boom&lt;/b&gt;" in text
    assert "微博搜索 微博 沉默 2026-11-23 12:00 0" in text
    assert "市政府门户网站 门户网站 正常" in text and "人工录入 传统媒体 正常" in text


def test_open_warnings_with_duty_person_and_delivery_status(
    session: Session, demo_config: Config, tmp_path: Path
) -> None:
    _event(session, "较大", 50, "清风寺门票纠纷")
    (warning,) = early_warning.raise_warnings(session, demo_config, now=NOON)
    email, _webhook = early_warning.plan_deliveries(session, demo_config, now=NOON)
    early_warning.record_delivery(session, email.id, ok=True, now=NOON)
    text = _text(_render(session, demo_config, tmp_path))
    assert (
        "较大 事件 较大舆情预警：清风寺门票纠纷 2026-11-23 12:00 刘洋 待确认 邮件已发送；机器人待发送" in text
    )
    warning.status = "closed"
    assert "无未处置预警" in _text(_render(session, demo_config, tmp_path))


def test_personal_data_in_item_text_is_masked(session: Session, demo_config: Config, tmp_path: Path) -> None:
    _sources(session)
    event = _event(session, "较大", 50, "来电反映车主13800000001被拦")
    _item(
        session,
        "hotline",
        "hotline",
        event_id=event.id,
        title="来电人13800000001反映",
        text="身份证130102199001011234，车牌冀E12345，电话 139-1234-5678",
    )
    session.flush()
    html = _render(session, demo_config, tmp_path)
    for raw in ("13800000001", "130102199001011234", "冀E12345", "139-1234-5678"):
        assert raw not in html
    assert "来电人138****0001反映" in html and "130102********1234" in html and "冀E***45" in html


def test_hostile_markup_in_titles_is_escaped(session: Session, demo_config: Config, tmp_path: Path) -> None:
    session.add(Source(id="forum", name=HOSTILE, type="html", channel="forum", last_error=HOSTILE))
    event = _event(session, "重大", 70, HOSTILE, explanation={"content": HOSTILE})
    _item(session, "forum", "forum", event_id=event.id, title=HOSTILE, text=HOSTILE)
    session.flush()
    early_warning.raise_warnings(session, demo_config, now=NOON)
    html = _render(session, demo_config, tmp_path)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html


def test_rerun_overwrites_the_same_file(session: Session, demo_config: Config, tmp_path: Path) -> None:
    _sources(session)
    first = _render(session, demo_config, tmp_path)
    _item(session, "portal", "portal")
    session.flush()
    second = _render(session, demo_config, tmp_path)
    assert first != second and "当日共采集信息 1 条" in _text(second)
    assert _render(session, demo_config, tmp_path) == second
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["舆情日志-2026-11-23.html"]
    entries = session.query(AuditLog).filter_by(action="report.daily_log_rendered").all()
    assert len(entries) == 3 and entries[0].object_id == "daily_log:2026-11-23"


def test_default_output_is_under_output_daily(
    session: Session, demo_config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YUQING_OUTPUT_DIR", str(tmp_path / "output"))
    path = daily_log.render_daily_log(session, demo_config, DAY, now=GENERATED)
    assert path == tmp_path / "output" / "daily" / "舆情日志-2026-11-23.html" and path.is_file()


def test_many_events_show_the_top_ten_and_say_how_many_items_are_not_listed(
    session: Session, demo_config: Config, tmp_path: Path
) -> None:
    _sources(session)
    events = [_event(session, "较大" if i % 2 else "一般", float(i), f"事件{i:02d}") for i in range(15)]
    for _ in range(25):
        _item(session, "weibo", "weibo", event_id=events[-1].id)
    session.flush()
    context = daily_log.build_context(session, demo_config, DAY, now=GENERATED)
    assert len(context["events"]) == daily_log.TOP_EVENTS
    assert [e["title"] for e in context["events"][:2]] == ["事件13", "事件11"]  # 较大 first, by score
    assert context["level_counts"] == [("特别重大", 0), ("重大", 0), ("较大", 7), ("一般", 8)]
    text = _text(_render(session, demo_config, tmp_path))
    assert "当日共采集信息 25 条" in text and "另有 15 条信息未列出" in text
