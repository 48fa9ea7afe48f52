"""End to end (``dag.test()``): yuqing_warning_escalation with ``as_of`` moving the clock, over the real
SMTP and webhook sinks — roster gaps to the 主要负责同志, escalation steps at their minutes, each sent
once, a mailed acknowledgement link that stops the chain, and a handover notice to the next shift."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_duty_support import MONDAY_10, SECRET, raise_event_warning

from e2e_support import ROOT, DemoWorld, start_world
from yuqing.config import load_config
from yuqing.duty.acknowledgement import AcknowledgementRefused, acknowledge_with_link
from yuqing.duty.models import DutyHandover, DutyNotice, WarningEscalation
from yuqing.models import AuditLog, EarlyWarning, WarningDelivery

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()


def _without_weekend_nights(raw: dict) -> None:
    """Drop the weekend night shift (gaps Sat/Sun 20:00–08:00) and look a week ahead for gaps."""
    raw["roster"]["shifts"] = [s for s in raw["roster"]["shifts"] if str(s["start"]) != "20:00"]
    raw["acknowledgement"]["roster_lookahead_hours"] = 168


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, airflow_db: None) -> Iterator[DemoWorld]:
    monkeypatch.setenv("YUQING_SECRET_KEY", SECRET)
    w = start_world(tmp_path, monkeypatch, tweak=_without_weekend_nights)
    yield w
    w.stop()


def _run(at: datetime) -> None:
    if str(ROOT / "dags") not in sys.path:
        sys.path.insert(0, str(ROOT / "dags"))
    dag = importlib.import_module("yuqing_warning_escalation").warning_escalation_dag
    dr = dag.test(run_conf={"as_of": at.isoformat()})
    states = {ti.task_id: ti.state for ti in dr.get_task_instances()}
    assert dr.state == "success", states


def _mails_to(world: DemoWorld, address: str) -> list:
    return [m for m in world.mail.messages if m["To"] == address]


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def test_escalation_dag_end_to_end(world: DemoWorld, session: Session) -> None:
    config = load_config()
    email = {p.id: p.email for p in config.people}
    warning = raise_event_warning(session, config, "较大")  # 10:00 Monday; 较大 escalates at 30, 60, 120 min

    # 10:05 — the week's two roster gaps are warned once each, to the 主要负责同志, each mail with his link
    _run(MONDAY_10 + timedelta(minutes=5))
    gaps = session.scalars(select(EarlyWarning).where(EarlyWarning.kind == "roster_gap")).all()
    assert len(gaps) == 2 and all("值班空档预警" in g.title for g in gaps)
    principal_mails = _mails_to(world, email["wang_jun"])
    assert len(principal_mails) == 2 and all("值班空档" in m["Subject"] for m in principal_mails)
    assert all("/yuqing/ack/" in _html(m) for m in principal_mails)
    assert len(world.mail.messages) == 2 and len(world.webhook.received) == 2
    assert session.scalar(select(func.count()).select_from(WarningDelivery).where(WarningDelivery.status != "sent")) == 0
    assert session.scalar(select(func.count()).select_from(WarningEscalation)) == 0

    # 10:30 the backup (huang_xin) gets mail and robot message, once
    _run(MONDAY_10 + timedelta(minutes=30))
    _run(MONDAY_10 + timedelta(minutes=31))  # a rerun sends nothing twice
    (backup_mail,) = _mails_to(world, email["huang_xin"])
    assert "【升级】" in backup_mail["Subject"]
    assert "按规定报送备班人员" in _html(backup_mail)
    robot = world.webhook.received[-1]["json"]["markdown"]
    assert len(world.webhook.received) == 3 and "升级提醒" in robot["content"] and "/yuqing/ack/" in robot["content"]

    # 11:00 the 分管领导 (li_hua); then huang_xin acknowledges with the link from his mail
    _run(MONDAY_10 + timedelta(minutes=60))
    (leader_mail,) = _mails_to(world, email["li_hua"])
    assert "按规定报送分管领导" in _html(leader_mail)
    token = re.search(r"/yuqing/ack/([A-Za-z0-9_.\-]+)", _html(backup_mail)).group(1)
    session.expire_all()
    acknowledge_with_link(session, config, token, now=MONDAY_10 + timedelta(minutes=65))
    session.commit()
    with pytest.raises(AcknowledgementRefused) as reused:
        acknowledge_with_link(session, config, token, now=MONDAY_10 + timedelta(minutes=66))
    assert reused.value.code == "reused"
    session.rollback()

    # 12:00 and later: acknowledged, so the 主要负责同志 is never escalated to
    _run(MONDAY_10 + timedelta(hours=2, minutes=30))
    assert _mails_to(world, email["wang_jun"]) and len(_mails_to(world, email["wang_jun"])) == 2
    session.expire_all()
    steps = session.scalars(select(WarningEscalation).order_by(WarningEscalation.step)).all()
    assert [(s.step, s.person_id, s.status) for s in steps] == [(1, "huang_xin", "notified"), (2, "li_hua", "notified")]
    assert session.get(EarlyWarning, warning.id).acknowledged_by == "huang_xin"

    # 15:50 a new warning stays open; 16:05 the evening shift takes over: one handover notice to huang_xin
    late = raise_event_warning(session, config, "较大", at=MONDAY_10 + timedelta(hours=5, minutes=50), title="停车难投诉")
    mails_before = len(world.mail.messages)
    _run(MONDAY_10 + timedelta(hours=6, minutes=5))
    session.expire_all()
    handover = session.scalars(select(DutyHandover).order_by(DutyHandover.shift_start.desc())).first()
    assert (handover.from_person, handover.to_person, handover.warning_ids) == ("liu_yang", "huang_xin", [late.id])
    new_mails = world.mail.messages[mails_before:]
    assert [m["To"] for m in new_mails] == [email["huang_xin"]]  # the handover notice, once
    assert "交接班：1 条预警待确认" in new_mails[0]["Subject"] and "停车难投诉" in _html(new_mails[0])
    assert session.scalar(select(func.count()).select_from(DutyNotice).where(DutyNotice.status != "sent")) == 0
    actions = set(session.scalars(select(AuditLog.action)).all())
    assert {"warning.escalate", "warning.acknowledge", "duty.handover", "duty.notice_sent"} <= actions
