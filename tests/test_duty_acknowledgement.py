"""Acknowledgement (C2c 及时反馈): by function, CLI and signed single-use link; refusals are explicit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from test_duty_support import MONDAY_10, SECRET, raise_event_warning

from yuqing import db
from yuqing.cli import cli
from yuqing.config import Config
from yuqing.duty.acknowledgement import (
    AcknowledgementRefused,
    SecretKeyMissing,
    acknowledge,
    acknowledge_with_link,
    make_ack_link,
    may_acknowledge,
    peek_link,
)
from yuqing.duty.models import AckLinkUse
from yuqing.models import AuditLog, EarlyWarning


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_SECRET_KEY", SECRET)


def _token(url: str) -> str:
    assert "/yuqing/ack/" in url
    return url.rsplit("/", 1)[1]


def test_may_acknowledge_refuses_viewers_and_strangers(demo_config: Config) -> None:
    assert may_acknowledge(demo_config, "liu_yang")
    assert may_acknowledge(demo_config, "wang_jun")
    assert not may_acknowledge(demo_config, "nobody")
    viewer = demo_config.model_copy(update={"people": [*demo_config.people, demo_config.people[0].model_copy(
        update={"id": "guest", "roles": ["viewer"]})]})
    assert not may_acknowledge(viewer, "guest")


def test_a_viewer_is_refused_by_every_way_in(session: Session, demo_config: Config) -> None:
    guest = demo_config.people[0].model_copy(update={"id": "guest", "name": "访客", "roles": ["viewer"]})
    config = demo_config.model_copy(update={"people": [*demo_config.people, guest]})
    warning = raise_event_warning(session, config)
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge(session, config, warning.id, "guest", via="page", now=MONDAY_10)
    assert refused.value.code == "not_allowed" and "没有确认预警的权限" in refused.value.reason
    token = _token(make_ack_link(config, warning.id, "guest", now=MONDAY_10))
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge_with_link(session, config, token, now=MONDAY_10)
    assert refused.value.code == "not_allowed"
    session.rollback()
    assert session.get(EarlyWarning, warning.id).acknowledged_at is None
    assert session.scalar(select(func.count()).select_from(AckLinkUse)) == 0


def test_on_duty_person_acknowledges_once_and_it_is_audited(session: Session, demo_config: Config) -> None:
    warning = raise_event_warning(session, demo_config)
    at = MONDAY_10 + timedelta(minutes=7)
    acked = acknowledge(session, demo_config, warning.id, "liu_yang", via="page", now=at)
    session.commit()
    assert (acked.status, acked.acknowledged_by, acked.acknowledged_at) == ("acknowledged", "liu_yang", at)
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "warning.acknowledge")).one()
    assert (entry.actor, entry.object_id, entry.detail["via"]) == ("liu_yang", str(warning.id), "page")
    assert entry.detail["seconds_to_acknowledge"] == 420
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge(session, demo_config, warning.id, "wang_jun", via="page", now=at + timedelta(minutes=1))
    assert refused.value.code == "already_acknowledged"
    assert "刘洋" in refused.value.reason and "10:07" in refused.value.reason
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "warning.acknowledge")) == 1


def test_not_entitled_and_unknown_are_refused(session: Session, demo_config: Config) -> None:
    warning = raise_event_warning(session, demo_config)
    with pytest.raises(AcknowledgementRefused) as refused:  # a unit head, neither on duty nor a recipient
        acknowledge(session, demo_config, warning.id, "zhou_ping", via="page", now=MONDAY_10)
    assert refused.value.code == "not_entitled" and "不能代为确认" in refused.value.reason
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge(session, demo_config, warning.id, "nobody", via="cli", now=MONDAY_10)
    assert refused.value.code == "not_allowed"
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge(session, demo_config, 999999, "liu_yang", via="cli", now=MONDAY_10)
    assert refused.value.code == "not_found"
    assert session.get(EarlyWarning, warning.id).status == "open"


def test_link_acknowledges_once_then_is_refused_as_reused(session: Session, demo_config: Config) -> None:
    warning = raise_event_warning(session, demo_config)
    url = make_ack_link(demo_config, warning.id, "liu_yang", now=MONDAY_10)
    assert url.startswith("http://localhost:8080/yuqing/ack/")
    token = _token(url)
    assert peek_link(demo_config, token, now=MONDAY_10 + timedelta(minutes=5)) == (warning.id, "liu_yang")
    acked = acknowledge_with_link(session, demo_config, token, now=MONDAY_10 + timedelta(minutes=5))
    session.commit()
    assert acked.acknowledged_by == "liu_yang"
    assert session.get(AckLinkUse, peek_nonce(token)) is not None
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge_with_link(session, demo_config, token, now=MONDAY_10 + timedelta(minutes=6))
    assert refused.value.code == "reused" and "只能使用一次" in refused.value.reason
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "warning.acknowledge")).one()
    assert entry.detail["via"] == "link"


def peek_nonce(token: str) -> str:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer("x").load_payload(token.split(".")[0].encode())["n"]


def test_forged_and_expired_links_are_refused(session: Session, demo_config: Config,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    warning = raise_event_warning(session, demo_config)
    token = _token(make_ack_link(demo_config, warning.id, "liu_yang", now=MONDAY_10))
    payload, signature = token.rsplit(".", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for forged in (tampered, token[:-3] + "xyz", "not-a-token"):
        with pytest.raises(AcknowledgementRefused) as refused:
            acknowledge_with_link(session, demo_config, forged, now=MONDAY_10)
        assert refused.value.code == "forged" and "无效" in refused.value.reason
    monkeypatch.setenv("YUQING_SECRET_KEY", "another-deployment-key")
    with pytest.raises(AcknowledgementRefused) as refused:
        peek_link(demo_config, token, now=MONDAY_10)
    assert refused.value.code == "forged"
    monkeypatch.setenv("YUQING_SECRET_KEY", SECRET)
    late = MONDAY_10 + timedelta(hours=demo_config.acknowledgement.link_ttl_hours, seconds=1)
    with pytest.raises(AcknowledgementRefused) as refused:
        acknowledge_with_link(session, demo_config, token, now=late)
    assert refused.value.code == "expired" and "过期" in refused.value.reason
    session.rollback()
    assert session.get(EarlyWarning, warning.id).acknowledged_at is None
    assert session.scalar(select(func.count()).select_from(AckLinkUse)) == 0


def test_missing_secret_names_the_variable(demo_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YUQING_SECRET_KEY", raising=False)
    with pytest.raises(SecretKeyMissing, match="YUQING_SECRET_KEY"):
        make_ack_link(demo_config, 1, "liu_yang", now=MONDAY_10)


def test_one_link_used_concurrently_acknowledges_once(db_url: str, demo_config: Config) -> None:
    maker = sessionmaker(db.get_engine(db_url), expire_on_commit=False)
    with maker() as s:
        warning = raise_event_warning(s, demo_config)
    token = _token(make_ack_link(demo_config, warning.id, "liu_yang", now=MONDAY_10))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def use() -> None:
        barrier.wait()
        for _ in range(3):  # SQLite may answer a racing writer "database is locked" (busy snapshot): retry
            with maker() as s:
                try:
                    acknowledge_with_link(s, demo_config, token, now=MONDAY_10 + timedelta(minutes=1))
                    s.commit()
                    outcomes.append("ok")
                except AcknowledgementRefused as exc:
                    s.rollback()
                    outcomes.append(exc.code)
                except OperationalError as exc:
                    s.rollback()
                    if "locked" not in str(exc):
                        outcomes.append(repr(exc))
                        return
                    continue
                except Exception as exc:  # reported in the assertion below, not lost in the thread
                    outcomes.append(repr(exc))
                return

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok", "reused", "reused", "reused"]
    with maker() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "warning.acknowledge")) == 1
        assert s.scalar(select(func.count()).select_from(AckLinkUse)) == 1


def test_cli_warning_ack(db_url: str, demo_config: Config) -> None:
    maker = sessionmaker(db.get_engine(db_url), expire_on_commit=False)
    with maker() as s:
        warning = raise_event_warning(s, demo_config)
    runner = CliRunner()
    result = runner.invoke(cli, ["warning", "ack", str(warning.id), "--as", "liu_yang"], obj={})
    assert result.exit_code == 0, result.output
    assert f"warning {warning.id} acknowledged by liu_yang" in result.output
    again = runner.invoke(cli, ["warning", "ack", str(warning.id), "--as", "liu_yang"], obj={})
    assert again.exit_code == 1 and "already acknowledged" in again.output
    viewer = runner.invoke(cli, ["warning", "ack", str(warning.id), "--as", "nobody"], obj={})
    assert viewer.exit_code == 1 and "may not acknowledge" in viewer.output
    with maker() as s:
        assert s.get(EarlyWarning, warning.id).acknowledged_by == "liu_yang"
    listed = runner.invoke(cli, ["warnings", "list", "--all"], obj={})
    assert listed.exit_code == 0 and "acknowledged" in listed.output
