"""What a warning says, in Chinese, on every channel — with hostile scraped text made harmless."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jinja2
import pytest
from sqlalchemy.orm import Session

from yuqing import early_warning, notifications, templating
from yuqing.clock import SHANGHAI
from yuqing.config import Config
from yuqing.models import EarlyWarning, Event, Item, Source
from yuqing.paths import templates_dir

NOW = datetime(2026, 11, 23, 10, 12, tzinfo=SHANGHAI)
# the shape yuqing.analysis.grading stores
EXPLANATION = {
    "factors": [
        {
            "name": "content",
            "label": "舆情内容",
            "value": 0.6,
            "weight": 40,
            "contribution": 24.0,
            "detail": {
                "categories": ["宗教活动场所"],
                "max_category_weight": 0.6,
                "agency_mentioned": True,
                "rumour_cue": False,
            },
        },
        {
            "name": "reaction",
            "label": "公众反应",
            "value": 0.45,
            "weight": 35,
            "contribution": 15.75,
            "detail": {
                "item_count": 3,
                "items_last_hour": 3,
                "engagement_total": 56.0,
                "negative_share": 0.5,
            },
        },
        {
            "name": "media",
            "label": "媒体介入程度",
            "value": 0.7,
            "weight": 15,
            "contribution": 10.5,
            "detail": {"outlets": {"江城晚报": "mainstream"}},
        },
        {
            "name": "reach",
            "label": "传播范围",
            "value": 0.15,
            "weight": 10,
            "contribution": 1.5,
            "detail": {"source_reach": 0.0, "channels": ["weibo", "forum"], "central_media": False},
        },
    ],
    "score": 51.75,
    "level": "较大",
    "response_value": "需回应",
    "response_reason": "等级较大（预警等级及以上），直接涉及本机关",
}
HOSTILE = "<script>alert(1)</script>{{ 7*7 }}[点我](javascript:alert(2))"


def _event_with_items(
    session: Session, *, title: str = "清风寺门票纠纷", item_title: str = "清风寺收门票引争议"
) -> Event:
    session.add(
        Source(id="weibo", name="微博搜索", type="json", channel="weibo", url="http://127.0.0.1/weibo")
    )
    event = Event(
        title=title,
        level="较大",
        score=52.34,
        item_count=3,
        response_value="需回应",
        explanation=EXPLANATION,
        first_seen_at=NOW - timedelta(hours=1),
        last_seen_at=NOW,
        updated_at=NOW,
    )
    session.add(event)
    session.flush()
    for i, (t, url, likes) in enumerate(
        [
            (item_title, "https://weibo.example/1?a=1&b=2", 5),
            ("知情人电话13800000001称门票已取消", "https://weibo.example/2", 50),
            ("转发链接", "javascript:alert(3)", 1),
        ]
    ):
        session.add(
            Item(
                source_id="weibo",
                external_id=str(i),
                channel="weibo",
                url=url,
                title=t,
                text=t,
                content_hash=str(i),
                engagement={"likes": likes},
                collected_at=NOW - timedelta(minutes=30 - i),
                event_id=event.id,
            )
        )
    session.flush()
    return event


def _event_warning(session: Session, config: Config, **kw: str) -> EarlyWarning:
    _event_with_items(session, **kw)
    (warning,) = early_warning.raise_warnings(session, config, now=NOW)
    return warning


def test_c2c_event_warning_in_chinese_with_items_factors_duty_and_dashboard(
    session: Session, demo_config: Config
) -> None:
    warning = _event_warning(session, demo_config)
    msg = notifications.render_warning(warning, demo_config, session=session)
    assert msg.subject == "【市民宗局】较大舆情预警：清风寺门票纠纷"
    for body in (msg.html, msg.text, msg.webhook_payload["markdown"]["content"]):
        assert "较大" in body and "清风寺门票纠纷" in body
        assert "刘洋（舆情监测员）" in body
        assert "舆情内容" in body and "0.60 × 权重 40 = 24 分" in body and "涉及类别：宗教活动场所" in body
        assert "公众反应" in body and "负面占比：50%" in body
        assert "媒体介入程度" in body and "江城晚报（主流媒体）" in body
        assert "传播范围" in body and "渠道：微博、论坛" in body
        assert "回应价值" in body and "直接涉及本机关" in body
        assert "清风寺收门票引争议" in body
        assert "2026-11-23 10:12" in body
        assert "http://localhost:8080" in body
    assert '<a href="https://weibo.example/1?a=1&amp;b=2"' in msg.html
    assert "https://weibo.example/1?a=1&b=2" in msg.text
    assert (
        "[清风寺收门票引争议](https://weibo.example/1?a=1&b=2)" in msg.webhook_payload["markdown"]["content"]
    )
    assert "#f9a825" in msg.html  # 较大 is yellow


def test_items_are_ordered_by_engagement_and_phone_numbers_masked(
    session: Session, demo_config: Config
) -> None:
    warning = _event_warning(session, demo_config)
    msg = notifications.render_warning(warning, demo_config, session=session)
    assert msg.text.index("138****0001") < msg.text.index("清风寺收门票引争议")
    for body in (msg.html, msg.text, json.dumps(msg.webhook_payload, ensure_ascii=False)):
        assert "13800000001" not in body


def test_javascript_links_are_dropped_everywhere(session: Session, demo_config: Config) -> None:
    warning = _event_warning(session, demo_config)
    msg = notifications.render_warning(warning, demo_config, session=session)
    for body in (msg.html, msg.text, json.dumps(msg.webhook_payload, ensure_ascii=False)):
        assert "javascript:" not in body
    assert "转发链接" in msg.html  # the item is still listed, without a link


def test_hostile_titles_are_escaped_in_html_and_neutralised_in_markdown(
    session: Session, demo_config: Config
) -> None:
    warning = _event_warning(session, demo_config, title=HOSTILE, item_title=HOSTILE)
    msg = notifications.render_warning(warning, demo_config, session=session)
    assert "<script>" not in msg.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in msg.html
    assert "&#123;{ 7*7 }}" in msg.html and "49" not in msg.html  # data is never evaluated as a template
    assert 'href="javascript' not in msg.html  # the scraped link syntax stays inert text
    md = msg.webhook_payload["markdown"]
    for text in (md["title"], md["content"]):
        assert "<" not in text and "](javascript" not in text and "49" not in text
    assert "＜script＞alert（1）＜/script＞" in md["content"]
    assert "［点我］（javascript:alert（2））" in md["content"]  # shown, but no longer a link
    assert "\n" not in msg.subject and "\r" not in msg.subject


def test_outputs_survive_a_later_jinja_pass(session: Session, demo_config: Config) -> None:
    """Airflow notifiers Jinja-render their fields when used as callbacks: scraped text must stay text."""
    warning = _event_warning(session, demo_config, title="{{ 7*7 }}{% if true %}条件{% endif %}{# 注释 #}")
    msg = notifications.render_warning(warning, demo_config, session=session)
    outputs = [msg.subject, msg.html, msg.text, json.dumps(msg.webhook_payload, ensure_ascii=False)]
    for out in outputs:
        again = (
            jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
            .from_string(out)
            .render()
        )
        assert again == out and "49" not in again
    assert msg.subject.endswith("｛{ 7*7 }}｛% if true %}条件｛% endif %}｛# 注释 #}")


def test_subject_has_no_line_breaks_from_scraped_titles(session: Session, demo_config: Config) -> None:
    warning = _event_warning(session, demo_config, title="第一行\r\nBcc: someone@example.com\n第三行")
    msg = notifications.render_warning(warning, demo_config, session=session)
    assert "\n" not in msg.subject and "\r" not in msg.subject
    assert msg.subject.endswith("第一行 Bcc: someone@example.com 第三行")


def test_webhook_payload_is_robot_markdown_json_within_size(session: Session, demo_config: Config) -> None:
    warning = _event_warning(session, demo_config, title="很长的标题" * 190)
    event = session.get(Event, warning.event_id)
    assert event is not None
    event.explanation = {f"因素{i}": "很长的说明" * 100 for i in range(20)}
    payload = notifications.render_warning(warning, demo_config, session=session).webhook_payload
    assert payload["msgtype"] == "markdown" and set(payload["markdown"]) == {"title", "content"}
    content = payload["markdown"]["content"]
    assert len(content.encode("utf-8")) <= notifications.WEBHOOK_MAX_BYTES
    assert content.startswith("**【较大】舆情事件预警**") and "（内容过长，已截断，详见系统）" in content
    assert content.endswith("[打开舆情系统处理](http://localhost:8080)")  # the link survives the cut
    json.dumps(payload)


def test_c1_source_health_warning_shows_the_source_and_its_failure(
    session: Session, demo_config: Config
) -> None:
    session.add(
        Source(
            id="forum",
            name="江城论坛",
            type="html",
            channel="forum",
            url="http://127.0.0.1/forum",
            health="failing",
            consecutive_failures=3,
            last_success_at=datetime(2026, 11, 23, 0, 30, tzinfo=UTC),
            last_error="HTTP 500 <b>Internal</b>",
        )
    )
    session.flush()

    class Problem:
        source_id, source_name, kind = "forum", "江城论坛", "failing"
        since, detail = datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "连续 3 次请求失败"

    (warning,) = early_warning.raise_warnings(session, demo_config, now=NOW, health_problems=[Problem()])
    msg = notifications.render_warning(warning, demo_config, session=session)
    assert msg.subject == "【市民宗局】信源异常预警：江城论坛连续采集失败"
    for body in (msg.html, msg.text, msg.webhook_payload["markdown"]["content"]):
        assert "信源异常预警" in body and "江城论坛" in body and "论坛" in body
        assert "失败" in body and "2026-11-23 08:30" in body and "3 次" in body
        assert "可能漏报" in body
    assert "HTTP 500 &lt;b&gt;Internal&lt;/b&gt;" in msg.html
    assert "HTTP 500 ＜b＞Internal＜/b＞" in msg.webhook_payload["markdown"]["content"]


def test_roster_gap_warning_names_the_principal_as_recipient(session: Session, demo_config: Config) -> None:
    warning = _event_warning(session, demo_config)
    warning.duty_person = None
    msg = notifications.render_warning(warning, demo_config, session=session)
    assert "接收人（值班表空缺）" in msg.text and "王军（局长）" in msg.text


TEMPLATES = sorted(
    p.relative_to(templates_dir()).as_posix() for p in templates_dir().rglob("*")
    if p.is_file() and p.suffix != ".docx"  # .docx: docxtpl templates, rendered by yuqing.reports.formats
)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_compiles(name: str) -> None:
    templating.environment().get_template(name)


def test_html_templates_autoescape_and_text_templates_do_not() -> None:
    env = templating.environment()
    assert env.autoescape("daily_log.html.j2") and env.autoescape("notifications/warning.html.j2")  # type: ignore[operator]
    assert not env.autoescape("notifications/warning.txt")  # type: ignore[operator]
    assert not env.autoescape("notifications/warning.md")  # type: ignore[operator]


def test_every_kind_of_warning_is_named_for_people(session, demo_config) -> None:
    """A failed publication (C5) is not a source problem: the mail says which kind of 预警 it is."""
    from yuqing.models import EarlyWarning
    from yuqing.notifications import render_warning

    w = EarlyWarning(dedup_key="publication:1", kind="publication", level="较大", title="微信未发布",
                     summary="微博已发布，微信发布失败")
    session.add(w)
    session.flush()
    message = render_warning(w, demo_config, session=session)
    assert "发布异常预警" in message.html
    assert "信源异常" not in message.html
