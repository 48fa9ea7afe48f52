"""Warnings (C2c 及时预警, C4): raised once per cause, planned once per recipient, sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing import early_warning
from yuqing.clock import SHANGHAI
from yuqing.config import Config, parse_config
from yuqing.models import AuditLog, EarlyWarning, Event, Source, WarningDelivery

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # liu_yang on duty in the demo roster


@dataclass
class Problem:
    source_id: str
    source_name: str
    kind: str
    since: datetime
    detail: str


def add_event(session: Session, level: str, *, score: float = 50.0, title: str = "清风寺门票纠纷") -> Event:
    event = Event(
        title=title,
        level=level,
        score=score,
        item_count=3,
        explanation={"content": 0.8, "reaction": 0.5},
        first_seen_at=MONDAY_10 - timedelta(hours=2),
        last_seen_at=MONDAY_10,
        updated_at=MONDAY_10,
    )
    session.add(event)
    session.flush()
    return event


def add_source(session: Session, source_id: str = "forum") -> Source:
    source = Source(id=source_id, name="江城论坛", type="html", channel="forum", url="http://127.0.0.1/forum")
    session.add(source)
    session.flush()
    return source


def raise_(session: Session, config: Config, **kw: object) -> list[EarlyWarning]:
    return early_warning.raise_warnings(session, config, now=MONDAY_10, **kw)  # type: ignore[arg-type]


def test_c2c_event_at_warning_level_raises_once(session: Session, demo_config: Config) -> None:
    event = add_event(session, "较大")
    new = raise_(session, demo_config)
    assert [(w.dedup_key, w.kind, w.level, w.event_id) for w in new] == [
        (f"event:{event.id}:较大", "event", "较大", event.id)
    ]
    warning = new[0]
    assert warning.title == "较大舆情预警：清风寺门票纠纷"
    assert warning.duty_person == "liu_yang" and warning.status == "open"
    assert "研判为较大" in warning.summary and "值班人员：刘洋" in warning.summary
    assert warning.created_at == MONDAY_10
    session.commit()
    assert raise_(session, demo_config) == []
    assert session.scalars(select(EarlyWarning)).all() == [warning]


def test_every_new_warning_is_audited(session: Session, demo_config: Config) -> None:
    add_event(session, "重大")
    (warning,) = raise_(session, demo_config)
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "warning.raise")).one()
    assert (entry.object_type, entry.object_id, entry.actor) == (
        "warning",
        str(warning.id),
        "system:early_warning",
    )
    assert entry.detail["dedup_key"] == warning.dedup_key and entry.detail["roster_gap"] is False


def test_event_below_warning_level_raises_nothing(session: Session, demo_config: Config) -> None:
    add_event(session, "一般", score=30)
    assert raise_(session, demo_config) == []


def test_closed_event_raises_nothing(session: Session, demo_config: Config) -> None:
    add_event(session, "重大").status = "closed"
    assert raise_(session, demo_config) == []


def test_upgrade_raises_a_new_warning_and_downgrade_does_not(session: Session, demo_config: Config) -> None:
    event = add_event(session, "较大")
    assert len(raise_(session, demo_config)) == 1
    event.level, event.score = "重大", 70
    (upgraded,) = raise_(session, demo_config)
    assert upgraded.dedup_key == f"event:{event.id}:重大" and "由较大升级为重大" in upgraded.summary
    event.level = "较大"
    assert raise_(session, demo_config) == []
    event.level = "重大"  # back up to a level already warned
    assert raise_(session, demo_config) == []
    assert session.query(EarlyWarning).count() == 2


def test_event_first_seen_above_warning_level_then_downgraded_raises_nothing_more(
    session: Session, demo_config: Config
) -> None:
    event = add_event(session, "特别重大", score=90)
    assert [w.level for w in raise_(session, demo_config)] == ["特别重大"]
    event.level = "较大"
    assert raise_(session, demo_config) == []


def test_warn_from_is_configurable(session: Session, demo_config: Config) -> None:
    raw = demo_config.model_dump(mode="json")
    raw["grading"]["warn_from"] = "重大"
    config = parse_config(raw)
    add_event(session, "较大")
    assert raise_(session, config) == []


def test_c1_source_health_problem_warns_once_per_episode(session: Session, demo_config: Config) -> None:
    add_source(session)
    since = datetime(2026, 11, 23, 1, 15, tzinfo=UTC)
    problem = Problem("forum", "江城论坛", "failing", since, "连续 3 次请求失败：HTTP 500")
    (warning,) = raise_(session, demo_config, health_problems=[problem])
    assert warning.dedup_key == "source:forum:failing:2026-11-23T01:15:00+00:00"
    assert (warning.kind, warning.source_id, warning.event_id) == ("source_health", "forum", None)
    assert warning.title == "信源异常预警：江城论坛连续采集失败"
    assert "自 2026-11-23 09:15 起连续采集失败" in warning.summary and "HTTP 500" in warning.summary
    # the same episode, reported again (even as the same moment in another zone), warns no more
    same = Problem("forum", "江城论坛", "failing", since.astimezone(SHANGHAI), "连续 4 次请求失败")
    assert raise_(session, demo_config, health_problems=[problem, same]) == []
    # a new episode (the source recovered, then failed again) warns again; so does a silence
    later = Problem("forum", "江城论坛", "failing", since + timedelta(hours=5), "HTTP 502")
    silent = Problem("forum", "江城论坛", "silent", since, "已 6 小时无新信息")
    assert len(raise_(session, demo_config, health_problems=[later, silent])) == 2


def test_health_problem_of_a_source_not_in_the_store_still_warns(
    session: Session, demo_config: Config
) -> None:
    problem = Problem("gone", "已删除信源", "silent", MONDAY_10, "无新信息")
    (warning,) = raise_(session, demo_config, health_problems=[problem])
    assert warning.source_id is None and "已删除信源" in warning.title


def test_c4_roster_gap_sends_the_warning_to_the_principal(session: Session, demo_config: Config) -> None:
    raw = demo_config.model_dump(mode="json")
    raw["roster"] = {
        "shifts": [{"person": "liu_yang", "start": "08:00", "end": "18:00", "weekdays": [1, 2, 3, 4, 5]}]
    }
    config = parse_config(raw)
    add_event(session, "较大")
    saturday = datetime(2026, 11, 28, 3, 0, tzinfo=SHANGHAI)
    (warning,) = early_warning.raise_warnings(session, config, now=saturday)
    assert warning.duty_person is None
    assert "值班表此时无人值班" in warning.summary and "主要负责同志王军" in warning.summary
    (email, webhook) = early_warning.plan_deliveries(session, config, now=saturday)
    assert (email.channel, email.recipient) == ("email", "wangjun@mzj.jiangcheng.example.gov.cn")
    assert (webhook.channel, webhook.recipient) == ("webhook", "yuqing_webhook")


def test_deliveries_planned_once_per_channel_and_recipient(session: Session, demo_config: Config) -> None:
    add_event(session, "较大")
    (warning,) = raise_(session, demo_config)
    planned = early_warning.plan_deliveries(session, demo_config, now=MONDAY_10)
    assert [(d.warning_id, d.channel, d.recipient, d.status, d.attempts) for d in planned] == [
        (warning.id, "email", "liuyang@mzj.jiangcheng.example.gov.cn", "pending", 0),
        (warning.id, "webhook", "yuqing_webhook", "pending", 0),
    ]
    session.commit()
    again = early_warning.plan_deliveries(session, demo_config, now=MONDAY_10)
    assert [d.id for d in again] == [d.id for d in planned]
    assert session.query(WarningDelivery).count() == 2


def test_person_webhook_overrides_the_default(session: Session, demo_config: Config) -> None:
    raw = demo_config.model_dump(mode="json")
    for person in raw["people"]:
        if person["id"] == "liu_yang":
            person["webhook_conn_id"] = "robot_liu_yang"
    config = parse_config(raw)
    add_event(session, "较大")
    raise_(session, config)
    recipients = {
        d.channel: d.recipient for d in early_warning.plan_deliveries(session, config, now=MONDAY_10)
    }
    assert recipients["webhook"] == "robot_liu_yang"


def test_sent_delivery_is_never_planned_or_offered_again(session: Session, demo_config: Config) -> None:
    add_event(session, "较大")
    raise_(session, demo_config)
    email, webhook = early_warning.plan_deliveries(session, demo_config, now=MONDAY_10)
    early_warning.record_delivery(session, email.id, ok=True, now=MONDAY_10)
    assert (email.status, email.attempts, email.sent_at, email.error) == ("sent", 1, MONDAY_10, None)
    session.commit()
    assert early_warning.plan_deliveries(session, demo_config, now=MONDAY_10) == [webhook]
    early_warning.record_delivery(session, webhook.id, ok=True, now=MONDAY_10)
    assert early_warning.plan_deliveries(session, demo_config, now=MONDAY_10) == []
    # a late duplicate report of success changes nothing
    early_warning.record_delivery(session, email.id, ok=True, now=MONDAY_10 + timedelta(minutes=5))
    assert (email.attempts, email.sent_at) == (1, MONDAY_10)
    # a rerun of the whole cycle raises and plans nothing
    assert raise_(session, demo_config) == []
    assert session.query(WarningDelivery).count() == 2


def test_failed_delivery_is_retried_until_five_attempts(session: Session, demo_config: Config) -> None:
    add_event(session, "较大")
    raise_(session, demo_config)
    email, _webhook = early_warning.plan_deliveries(session, demo_config, now=MONDAY_10)
    for attempt in range(1, early_warning.MAX_ATTEMPTS + 1):
        assert email in early_warning.plan_deliveries(session, demo_config, now=MONDAY_10)
        early_warning.record_delivery(session, email.id, ok=False, error="SMTP 421 try later", now=MONDAY_10)
        assert (email.status, email.attempts, email.error) == ("failed", attempt, "SMTP 421 try later")
    assert email not in early_warning.plan_deliveries(session, demo_config, now=MONDAY_10)
    assert early_warning.exhausted_deliveries(session) == [email]
    actions = session.scalars(select(AuditLog.action).where(AuditLog.object_type == "warning_delivery")).all()
    assert actions == ["warning.delivery_failed"] * early_warning.MAX_ATTEMPTS


def test_acknowledged_warning_gets_no_new_deliveries(session: Session, demo_config: Config) -> None:
    add_event(session, "较大")
    (warning,) = raise_(session, demo_config)
    warning.status = "acknowledged"
    assert early_warning.plan_deliveries(session, demo_config, now=MONDAY_10) == []


def test_record_delivery_of_unknown_id_fails_clearly(session: Session) -> None:
    with pytest.raises(LookupError, match="no warning delivery with id 999"):
        early_warning.record_delivery(session, 999, ok=True, now=MONDAY_10)


def test_accepts_the_collection_packages_health_problems(session: Session, demo_config: Config) -> None:
    from yuqing.collection.health import HealthProblem

    add_source(session)
    problem = HealthProblem("forum", "江城论坛", "silent", MONDAY_10 - timedelta(hours=6), "已 6 小时无新信息")
    (warning,) = raise_(session, demo_config, health_problems=[problem])
    assert warning.title == "信源异常预警：江城论坛长时间无新信息"
