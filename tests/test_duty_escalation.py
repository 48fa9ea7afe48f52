"""Escalation, handover, roster gaps and the 考核 figures (C2c 及时反馈, C4), with the clock as a parameter."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_duty_support import MONDAY_10, SECRET, raise_event_warning

from yuqing.config import Config, Roster, Shift
from yuqing.duty.acknowledgement import AcknowledgementRefused, acknowledge
from yuqing.duty.escalation import escalate_due
from yuqing.duty.gaps import queued_deliveries, raise_gap_warnings, upcoming_gaps
from yuqing.duty.handover import record_handover
from yuqing.duty.messages import message_for
from yuqing.duty.models import DutyHandover, DutyNotice, WarningEscalation
from yuqing.early_warning import plan_deliveries
from yuqing.models import AuditLog, EarlyWarning
from yuqing.notifications import render_warning
from yuqing.reports.periodic import build_period_report
from yuqing.reports.scorecard import acknowledgement_rows


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_SECRET_KEY", SECRET)


def _steps(session: Session) -> list[tuple[int, str, str | None, str]]:
    rows = session.scalars(select(WarningEscalation).order_by(WarningEscalation.id)).all()
    return [(r.step, r.role, r.person_id, r.status) for r in rows]


def _count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_steps_fall_due_at_the_configured_minutes_each_once(session: Session, demo_config: Config) -> None:
    warning = raise_event_warning(session, demo_config, "较大")  # 较大: 30, 60, 120 minutes
    assert escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=29, seconds=59)) == []
    taken = escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=30))
    assert [(s.step, s.role, s.person_id, s.status) for s in taken] == [(1, "backup", "huang_xin", "notified")]
    assert escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=45)) == []  # a rerun: nothing
    session.commit()
    notices = session.scalars(select(DutyNotice).order_by(DutyNotice.id)).all()
    assert [(n.key, n.person_id, n.channel, n.recipient) for n in notices] == [
        (f"escalation:{warning.id}:1:email", "huang_xin", "email", "huangxin@mzj.jiangcheng.example.gov.cn"),
        (f"escalation:{warning.id}:1:webhook", "huang_xin", "webhook", "yuqing_webhook"),
    ]
    escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=60))
    assert _steps(session)[-1] == (2, "leader", "li_hua", "notified")
    # the 分管领导 acknowledges: the chain stops, the 主要负责同志 is never bothered
    acknowledge(session, demo_config, warning.id, "li_hua", via="page", now=MONDAY_10 + timedelta(minutes=70))
    session.commit()
    assert escalate_due(session, demo_config, now=MONDAY_10 + timedelta(hours=5)) == []
    assert [s[:3] for s in _steps(session)] == [(1, "backup", "huang_xin"), (2, "leader", "li_hua")]
    audited = session.scalars(select(AuditLog.detail).where(AuditLog.action == "warning.escalate")).all()
    assert [(d["step"], d["person"], d["minutes_unacknowledged"]) for d in audited] == [(1, "huang_xin", 30), (2, "li_hua", 60)]


def test_a_late_sweep_takes_every_due_step_once_and_levels_differ(session: Session, demo_config: Config) -> None:
    big = raise_event_warning(session, demo_config, "特别重大", title="清风寺踩踏")  # 10, 20, 30 minutes
    small = raise_event_warning(session, demo_config, "较大", title="门票纠纷")
    taken = escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=31))
    assert [(s.warning_id, s.step, s.person_id) for s in taken] == [
        (big.id, 1, "huang_xin"), (big.id, 2, "li_hua"), (big.id, 3, "wang_jun"), (small.id, 1, "huang_xin")]
    session.commit()
    assert escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=31)) == []
    assert _count(session, DutyNotice) == 8
    stale = raise_event_warning(session, demo_config, "较大", at=MONDAY_10 - timedelta(days=4), title="旧事")
    assert escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=31)) == []  # past the horizon
    assert _count(session, WarningEscalation, WarningEscalation.warning_id == stale.id) == 0


def test_missing_backup_or_same_person_is_skipped_with_a_note(session: Session, demo_config: Config) -> None:
    shifts = [Shift(person="liu_yang", backup=None, start=time(0), end=time(0)),]
    config = demo_config.model_copy(update={"roster": Roster(shifts=shifts)})
    warning = raise_event_warning(session, config, "重大")  # 15, 30, 60
    taken = escalate_due(session, config, now=MONDAY_10 + timedelta(minutes=15))
    assert [(s.step, s.status, s.person_id) for s in taken] == [(1, "skipped", None)]
    assert "未设备班" in taken[0].note
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "warning.escalation_skipped")).one()
    assert entry.object_id == str(warning.id) and "未设备班" in entry.detail["note"]
    assert _count(session, DutyNotice) == 0
    # the 分管领导 is the person on duty's own backup-in-chief elsewhere; a person already informed is skipped
    config2 = config.model_copy(update={"acknowledgement": config.acknowledgement.model_copy(
        update={"leader_in_charge": "liu_yang"})})
    taken = escalate_due(session, config2, now=MONDAY_10 + timedelta(minutes=30))
    assert [(s.step, s.status, s.person_id) for s in taken] == [(2, "skipped", "liu_yang")]
    assert "已收到该预警" in taken[0].note


def test_roster_gap_raises_one_warning_to_the_principal(session: Session, demo_config: Config) -> None:
    # weekdays only, 08:00–20:00: nights and weekends are gaps
    shifts = [Shift(person="liu_yang", backup="huang_xin", start=time(8), end=time(20), weekdays=[1, 2, 3, 4, 5])]
    config = demo_config.model_copy(update={"roster": Roster(shifts=shifts)})
    gaps = upcoming_gaps(config, now=MONDAY_10, hours=24)
    assert [(s.isoformat(), e.isoformat()) for s, e in gaps] == [("2026-11-23T20:00:00+08:00", "2026-11-24T08:00:00+08:00")]
    (warning,) = raise_gap_warnings(session, config, now=MONDAY_10)
    assert warning.kind == "roster_gap" and warning.duty_person is None
    assert "值班空档预警" in warning.title and "11月23日 20:00 至 11月24日 08:00" in warning.title
    session.commit()
    # once per gap episode: later sweeps raise nothing more for it, also from inside the gap …
    for later in (timedelta(hours=1), timedelta(hours=9, minutes=55)):
        assert raise_gap_warnings(session, config, now=MONDAY_10 + later) == []
    # … where the next night, now 24 hours ahead, is a new episode
    (tuesday,) = raise_gap_warnings(session, config, now=MONDAY_10 + timedelta(hours=10, minutes=5))
    assert "11月24日 20:00" in tuesday.title
    assert raise_gap_warnings(session, config, now=MONDAY_10 + timedelta(hours=21)) == []
    principal = config.person("wang_jun")
    assert {(d.warning_id, d.channel, d.recipient) for d in queued_deliveries(session)} == {
        (warning.id, "email", principal.email), (tuesday.id, "email", principal.email),
        (warning.id, "webhook", "yuqing_webhook"), (tuesday.id, "webhook", "yuqing_webhook")}
    assert plan_deliveries(session, config, now=MONDAY_10) == []  # not offered to the collection DAG's sender
    assert escalate_due(session, config, now=MONDAY_10 + timedelta(days=2)) == []  # not escalated
    assert raise_gap_warnings(session, demo_config, now=MONDAY_10) == []  # the demo roster has no gap


def test_handover_passes_open_warnings_once(session: Session, demo_config: Config) -> None:
    at = MONDAY_10 + timedelta(hours=5, minutes=50)  # 15:50, liu_yang
    first = raise_event_warning(session, demo_config, "较大", at=at, title="门票纠纷")
    done = raise_event_warning(session, demo_config, "较大", at=at, title="已处理")
    acknowledge(session, demo_config, done.id, "liu_yang", via="page", now=at + timedelta(minutes=1))
    session.commit()
    early = record_handover(session, demo_config, now=at)  # the 08:00 shift, as the first sweep sees it
    assert early is not None and early.to_person == "liu_yang"
    evening = record_handover(session, demo_config, now=at + timedelta(minutes=15))  # 16:05
    assert evening is not None
    assert (evening.from_person, evening.to_person, evening.warning_ids) == ("liu_yang", "huang_xin", [first.id])
    assert record_handover(session, demo_config, now=at + timedelta(minutes=20)) is None
    session.commit()
    assert _count(session, DutyHandover) == 2
    notices = session.scalars(select(DutyNotice).where(DutyNotice.kind == "handover")).all()
    assert {(n.person_id, n.channel) for n in notices} == {("huang_xin", "email"), ("huang_xin", "webhook")}
    message = message_for(session, demo_config, notices[0], now=at + timedelta(minutes=15))
    assert "交接班：1 条预警待确认" in message.subject and "门票纠纷" in message.html
    assert message.html.count("/yuqing/ack/") == 1
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "duty.handover",
                                                   AuditLog.object_id == str(evening.id))).one()
    assert entry.detail["warnings"] == [first.id] and entry.detail["notified"] is True
    # after midnight he_jing is on duty; huang_xin may still acknowledge what was handed to him
    midnight = at + timedelta(hours=8, minutes=40)
    with pytest.raises(AcknowledgementRefused):
        acknowledge(session, demo_config, first.id, "zhou_ping", via="page", now=midnight)
    acked = acknowledge(session, demo_config, first.id, "huang_xin", via="page", now=midnight)
    assert acked.acknowledged_by == "huang_xin"


def test_messages_carry_a_personal_ack_link_and_the_escalation_notice(session: Session, demo_config: Config,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    warning = raise_event_warning(session, demo_config, "较大")
    plain = render_warning(warning, demo_config, session=session, now=MONDAY_10)
    assert plain.html.count("/yuqing/ack/") == 1 and "确认收到" in plain.html
    assert "/yuqing/ack/" in plain.text and "/yuqing/ack/" in plain.webhook_payload["markdown"]["content"]
    escalate_due(session, demo_config, now=MONDAY_10 + timedelta(minutes=30))
    notice = session.scalars(select(DutyNotice).where(DutyNotice.channel == "email")).first()
    message = message_for(session, demo_config, notice, now=MONDAY_10 + timedelta(minutes=30))
    assert message.subject.startswith("【市民宗局】【升级】")
    assert "升级提醒：本预警发出 30 分钟后仍未确认，按规定报送备班人员" in message.html
    assert "黄欣" in message.html
    monkeypatch.delenv("YUQING_SECRET_KEY")
    no_key = render_warning(warning, demo_config, session=session, now=MONDAY_10)
    assert "/yuqing/ack/" not in no_key.html and "打开舆情系统处理" in no_key.html


def test_scorecard_time_to_acknowledge_per_person_and_unit(session: Session, demo_config: Config) -> None:
    a = raise_event_warning(session, demo_config, "较大", title="甲")
    raise_event_warning(session, demo_config, "较大", title="乙")  # never acknowledged
    evening = MONDAY_10 + timedelta(hours=8)  # 18:00, huang_xin
    c = raise_event_warning(session, demo_config, "重大", at=evening, title="丙")
    acknowledge(session, demo_config, a.id, "liu_yang", via="page", now=MONDAY_10 + timedelta(minutes=7))
    acknowledge(session, demo_config, c.id, "li_hua", via="page", now=evening + timedelta(minutes=45))
    session.commit()
    start, end = MONDAY_10 - timedelta(hours=10), MONDAY_10 + timedelta(days=6)
    people, units = acknowledgement_rows(session, demo_config, start, end)
    assert [(r.key, r.warnings, r.acknowledged, r.unacknowledged, r.mean_minutes, r.worst_minutes) for r in people] == [
        ("huang_xin", 1, 1, 0, 45.0, 45.0), ("liu_yang", 2, 1, 1, 7.0, 7.0)]
    assert [(r.name, r.warnings, r.acknowledged, r.unacknowledged, r.mean_minutes, r.worst_minutes) for r in units] == [
        ("办公室", 3, 2, 1, 26.0, 45.0)]
    doc = build_period_report(session, demo_config, "weekly", MONDAY_10.date(), MONDAY_10.date() + timedelta(days=7),
                              now=MONDAY_10 + timedelta(days=7))
    score = next(s for s in doc.sections if s.heading == "四、考核情况")
    texts = [getattr(b, "text", "") for b in score.blocks]
    assert "本周发出预警 3 条，已确认 2 条，未确认 1 条。" in texts
    tables = [b for b in score.blocks if getattr(b, "columns", None) and b.columns[0] in ("接收人", "所在单位")]
    assert ("黄欣", "1", "1", "0", "45", "45") in tables[0].rows
    assert tables[1].rows == (("办公室", "3", "2", "1", "26", "45"),)
    assert _count(session, EarlyWarning) == 3


def test_config_check_reports_roster_gaps(tmp_path) -> None:
    import yaml
    from click.testing import CliRunner

    from yuqing.cli import cli
    from yuqing.config import config_path

    raw = yaml.safe_load(config_path().read_text(encoding="utf-8"))
    raw["roster"]["shifts"] = [s for s in raw["roster"]["shifts"] if str(s["start"]) != "20:00"]
    path = tmp_path / "yuqing.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["config", "check", str(path)], obj={})
    assert result.exit_code == 0, result.output
    assert "warning: roster gap: 周六 20:00 至 周日 08:00 无人值班" in result.output
    assert "warning: roster gap: 周日 20:00 至 周一 08:00 无人值班" in result.output
    clean = CliRunner().invoke(cli, ["config", "check", str(config_path())], obj={})
    assert clean.exit_code == 0 and "roster gap" not in clean.output
