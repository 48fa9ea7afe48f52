"""谣言核实 (C1 核实衔接) on the store: marking by hand, proposals from cue words, findings, each outcome
recorded with audit rows and shown in the 舆情日志 and the 专报, bad values refused, re-marking idempotent."""

from __future__ import annotations

import html
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from yuqing.analysis import analyze_pending
from yuqing.collection.text import content_hash
from yuqing.config import Config
from yuqing.daily_log import build_context
from yuqing.models import AuditLog, Event, Item, Source
from yuqing.templating import render
from yuqing.verification import open_verifications, verifications_for_events
from yuqing.verification.forms import conclusion_question, finding_question
from yuqing.verification.models import Verification
from yuqing.verification.service import (
    OUTCOMES,
    VerificationError,
    combined_finding,
    conclude,
    mark,
    rebuttal_case,
    record_finding,
    start,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 Beijing
_ids = itertools.count(1)
RUMOUR = "网传清风寺的高香一年能卖几百万，紧急扩散！清风寺门口还有人打人，民宗局怎么没人管？"
PLAIN = "清风寺门口今天上午发生冲突，商贩和香客打起来了，好多人围观，民宗局怎么没人管？"


def _item(session: Session, text: str, *, at: datetime = T0, source: str = "weibo", url: str | None = None) -> Item:
    if session.get(Source, source) is None:
        session.add(Source(id=source, name=f"信源{source}", type="manual", channel="weibo"))
        session.flush()
    item = Item(source_id=source, external_id=f"x{next(_ids)}", channel="weibo", text=text, url=url,
                published_at=at, collected_at=at, content_hash=content_hash(None, text))
    session.add(item)
    session.flush()
    return item


def _event(session: Session, title: str = "清风寺强制收费打人", level: str = "较大") -> Event:
    ev = Event(title=title, level=level, categories=["涉稳"], signature=["清风寺"], first_seen_at=T0,
               last_seen_at=T0 + timedelta(hours=1), updated_at=T0, item_count=1, score=50.0)
    session.add(ev)
    session.flush()
    item = _item(session, PLAIN, url="https://weibo.example/1")
    item.event_id = ev.id
    session.flush()
    return ev


def _config(demo_config: Config, **rules: object) -> Config:
    return demo_config.model_copy(update={"verification": demo_config.verification.model_copy(update=rules)})


def _audit(session: Session, event_id: int) -> list[str]:
    return list(session.scalars(select(AuditLog.action).where(AuditLog.object_type == "event",
                                                             AuditLog.object_id == str(event_id))
                                .order_by(AuditLog.id)))


def test_mark_by_hand_via_an_item_marks_its_event_once(session: Session) -> None:
    ev = _event(session)
    item = session.scalar(select(Item).where(Item.event_id == ev.id))
    v, created = mark(session, mark="疑似谣言", actor="liu_yang", now=T0, item_id=item.id, reason="老人受伤情况待核实")
    assert created and (v.event_id, v.item_id, v.origin, v.state) == (ev.id, item.id, "人工标记", "待核实")
    again, created_again = mark(session, mark="疑似谣言", actor="liu_yang", now=T0, event_id=ev.id)
    assert not created_again and again.id == v.id
    assert session.scalars(select(Verification)).all() == [v]
    changed, _ = mark(session, mark="误解", actor="huang_xin", now=T0, event_id=ev.id)
    assert changed.id == v.id and changed.mark == "误解"
    assert _audit(session, ev.id) == ["verification.marked", "verification.remarked"]
    view = verifications_for_events(session, [ev.id, 999])[ev.id]
    assert (view.mark, view.origin, view.state, view.outcome, view.label) == ("误解", "人工标记", "待核实", None, "误解 · 待核实")
    assert [o.event_id for o in open_verifications(session)] == [ev.id]


def test_bad_values_are_refused_with_a_clear_error(session: Session, demo_config: Config) -> None:
    ev = _event(session)
    with pytest.raises(VerificationError, match="mark '谣言' is not allowed; use one of 疑似谣言 / 误解"):
        mark(session, mark="谣言", actor="x", now=T0, event_id=ev.id)
    with pytest.raises(VerificationError, match="no event with id 424242"):
        mark(session, mark="误解", actor="x", now=T0, event_id=424242)
    lone = _item(session, "今天天气不错", source="forum")
    with pytest.raises(VerificationError, match=f"item {lone.id} belongs to no event"):
        mark(session, mark="误解", actor="x", now=T0, item_id=lone.id)
    v, _ = mark(session, mark="疑似谣言", actor="x", now=T0, event_id=ev.id)
    start(session, demo_config, v.id, now=T0)
    with pytest.raises(VerificationError, match="outcome '假的' is not allowed; use one of 属实 / 不实 / 部分属实 / 无法核实"):
        conclude(session, v.id, outcome="假的", by="chen_gang", now=T0)
    with pytest.raises(VerificationError, match="finding of portal '大概' is not allowed"):
        record_finding(session, demo_config, v.id, "portal", finding="大概", responded_by="zhao_min", now=T0)
    with pytest.raises(VerificationError, match="no verifying body 'nobody'"):
        record_finding(session, demo_config, v.id, "nobody", finding="属实", responded_by="x", now=T0)
    with pytest.raises(VerificationError, match="is not an http"):
        record_finding(session, demo_config, v.id, "portal", finding="属实", links=["javascript:alert(1)"],
                       responded_by="zhao_min", now=T0)
    assert session.get(Verification, v.id).outcome is None


def test_analysis_proposes_a_suspected_rumour_from_cue_words_only(session: Session, demo_config: Config) -> None:
    config = _config(demo_config, propose_from_level="一般")
    rumour = _item(session, RUMOUR)
    summary = analyze_pending(session, config, now=T0 + timedelta(minutes=5))
    v = session.scalar(select(Verification))
    assert summary.rumour_proposals == [v.id] and v.event_id == rumour.event_id is not None
    assert (v.mark, v.origin, v.marked_by, v.state) == ("疑似谣言", "分析提示", "system:analysis", "待核实")
    assert set(v.cues) == {"网传", "紧急扩散"} and "网传" in v.reason
    # a new item of the same event proposes nothing more; an event without cue words proposes nothing
    _item(session, RUMOUR.replace("紧急扩散", "速看"), at=T0 + timedelta(minutes=20), source="forum")
    _item(session, "东关清真寺周边道路施工噪音扰民，投诉到民宗局没人管", at=T0 + timedelta(minutes=21), source="hotline")
    assert analyze_pending(session, config, now=T0 + timedelta(minutes=30)).rumour_proposals == []
    # an exclusion-only text (an advertisement that says 网传) is not relevant: no event, no proposal
    ad = _item(session, "网传清风寺附近新楼盘开盘，广告：速看优惠！", at=T0 + timedelta(minutes=40), source="ads")
    assert analyze_pending(session, config, now=T0 + timedelta(minutes=45)).rumour_proposals == []
    assert ad.relevant is False and ad.event_id is None
    assert len(session.scalars(select(Verification)).all()) == 1


def test_below_the_configured_level_nothing_is_proposed(session: Session, demo_config: Config) -> None:
    config = _config(demo_config, propose_from_level="特别重大")
    _item(session, RUMOUR)
    assert analyze_pending(session, config, now=T0 + timedelta(minutes=5)).rumour_proposals == []
    off = _config(demo_config, propose_from_analysis=False, propose_from_level="一般")
    _item(session, RUMOUR + "第二条", at=T0 + timedelta(hours=80))
    assert analyze_pending(session, off, now=T0 + timedelta(hours=81)).rumour_proposals == []
    nobody = _config(demo_config, bodies=[], propose_from_level="一般")
    _item(session, RUMOUR + "第三条", at=T0 + timedelta(hours=160))
    assert analyze_pending(session, nobody, now=T0 + timedelta(hours=161)).rumour_proposals == []
    assert session.scalar(select(Verification)) is None


@pytest.mark.parametrize(("answers", "combined"), [
    ({"portal": "不实", "hotline": "不实"}, "不实"),
    ({"portal": "属实", "hotline": "无法核实"}, "属实"),
    ({"portal": "属实", "hotline": "部分属实"}, "部分属实"),
    ({"portal": "属实", "hotline": "不实"}, "无法核实"),
    ({}, "无法核实"),
])
def test_combined_finding_rule(answers: dict[str, str], combined: str) -> None:
    assert combined_finding(answers.values()) == combined
    assert combined_finding([*answers.values(), None]) == combined  # 未答复 is left out


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_outcome_is_recorded_on_the_event_and_shown_in_the_daily_log_and_the_special_report(
        session: Session, demo_config: Config, outcome: str, tmp_path: Path) -> None:
    from yuqing.reports.document import Chart
    from yuqing.reports.formats import render_html
    from yuqing.reports.special import build_special_report

    ev = _event(session, title="清风寺<b>打人</b>传闻")
    v, _ = mark(session, mark="疑似谣言", actor="liu_yang", now=T0, event_id=ev.id, reason="网传打人")
    assert start(session, demo_config, v.id, now=T0) == ["portal", "hotline", "weibo", "venues"]
    assert start(session, demo_config, v.id, now=T0) == []  # asked once
    evidence = "经调取监控，<script>x</script>当日无人受伤，联系电话13812345678"
    record_finding(session, demo_config, v.id, "portal", finding=outcome, evidence=evidence,
                   links=["https://www.example.gov.cn/notice/1"], responded_by="zhao_min", now=T0)
    record_finding(session, demo_config, v.id, "venues", finding=outcome, evidence="场所管理科实地核查",
                   responded_by="zheng_yan", now=T0)
    record_finding(session, demo_config, v.id, "hotline", finding=None, responded_by=None, now=T0)  # timed out
    q = conclusion_question(session, demo_config, v.id, T0)
    assert q.default == outcome and "12345政务服务热线（政府热线）：未答复（不计入）" in q.body
    assert "＜script＞" in q.body and "<script>" not in q.body and "13812345678" not in q.body
    conclude(session, v.id, outcome=outcome, by="chen_gang", now=T0 + timedelta(hours=1), note="综合各方核实")
    session.flush()
    stored = session.get(Verification, v.id)
    assert (stored.state, stored.outcome, stored.concluded_by) == ("已核实", outcome, "chen_gang")
    assert {f.body_id: f.status for f in stored.findings} == {
        "portal": "已答复", "hotline": "未答复", "weibo": "未答复", "venues": "已答复"}
    assert _audit(session, ev.id) == ["verification.marked", "verification.started", "verification.finding",
                                      "verification.finding", "verification.no_answer", "verification.concluded"]
    concluded = session.scalar(select(AuditLog).where(AuditLog.action == "verification.concluded"))
    assert concluded.actor == "chen_gang" and concluded.detail["outcome"] == outcome
    view = verifications_for_events(session, [ev.id])[ev.id]
    assert view.label == f"已核实：{outcome}" and view.outcome == outcome
    assert [(n, f) for n, f, _ in view.findings] == [("市民宗局门户网站", outcome), ("宗教活动场所管理科", outcome)]
    assert open_verifications(session) == []

    page = render("daily_log.html.j2", **build_context(session, demo_config, T0.date(), now=T0 + timedelta(days=1)))
    line = next(x for x in page.splitlines() if "核实情况：" in x)
    assert f"已核实：{outcome}" in line and "疑似谣言（人工标记）" in line and f"市民宗局门户网站：{outcome}" in line
    assert "&lt;script&gt;" in line and "<script>" not in page and "13812345678" not in page

    doc = build_special_report(session, demo_config, ev.id, now=T0 + timedelta(days=1))
    charts = {id(b): "chart.png" for s in doc.sections for b in s.blocks if isinstance(b, Chart)}
    report = render_html(doc, tmp_path, charts)
    assert f"经核实，结论为{outcome}。" in report and "<td>宗教活动场所管理科</td>" in report
    assert "&lt;script&gt;" in report and "<script>" not in report
    assert html.unescape(report).count("13812345678") == 0


def test_conclusion_timeout_takes_the_combined_finding_and_a_revision_is_audited(
        session: Session, demo_config: Config) -> None:
    ev = _event(session)
    v, _ = mark(session, mark="误解", actor="liu_yang", now=T0, event_id=ev.id)
    start(session, demo_config, v.id, now=T0)
    record_finding(session, demo_config, v.id, "weibo", finding="不实", evidence="官微已发布说明", responded_by="weibo_jcmz",
                   now=T0)
    record_finding(session, demo_config, v.id, "weibo", finding="属实", responded_by="weibo_jcmz", now=T0)  # once
    conclude(session, v.id, outcome="不实", by=None, now=T0)
    assert (v.outcome, v.concluded_by) == ("不实", "system:verification_timeout") and "综合认定" in v.outcome_note
    conclude(session, v.id, outcome="不实", by=None, now=T0)  # same again: nothing new
    conclude(session, v.id, outcome="部分属实", by="chen_gang", now=T0, note="复核")
    assert _audit(session, ev.id)[-2:] == ["verification.concluded", "verification.revised"]


def test_rebuttal_case_opens_the_events_case_only_for_untrue_outcomes(session: Session, demo_config: Config) -> None:
    from yuqing.cases.models import Case

    ev = _event(session)
    v, _ = mark(session, mark="疑似谣言", actor="liu_yang", now=T0, event_id=ev.id)
    start(session, demo_config, v.id, now=T0)
    conclude(session, v.id, outcome="属实", by="chen_gang", now=T0)
    with pytest.raises(VerificationError, match="a 辟谣 response starts only from 不实 / 部分属实"):
        rebuttal_case(session, demo_config, v.id, now=T0)
    conclude(session, v.id, outcome="不实", by="chen_gang", now=T0)
    number = rebuttal_case(session, demo_config, v.id, now=T0)
    assert rebuttal_case(session, demo_config, v.id, now=T0) == number  # the same case, not a second one
    assert session.scalar(select(Case).where(Case.number == number)).event_id == ev.id


def test_finding_question_is_for_the_bodys_user(session: Session, demo_config: Config) -> None:
    ev = _event(session, title="清风寺**打人**[链接](javascript:x)")
    v, _ = mark(session, mark="疑似谣言", actor="liu_yang", now=T0, event_id=ev.id)
    q = finding_question(session, demo_config, v.id, "hotline")
    assert q.assigned == [("hotline_12345", "12345政务服务热线")] and q.timeout_hours == 24
    assert "](" not in q.body and "**打人**" not in q.body and "https://weibo.example/1" in q.body


def test_cli_mark_show_conclude_and_list(db_url: str, demo_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    from yuqing.cli import cli
    from yuqing.db import session_scope

    monkeypatch.setenv("YUQING_CONFIG", str(Path(__file__).resolve().parents[1] / "yuqing.yaml"))
    with session_scope() as s:
        event_id = _event(s).id
    runner = CliRunner()
    r = runner.invoke(cli, ["rumour", "mark", "--event", str(event_id), "--as", "疑似谣言", "--reason", "网传打人"])
    assert r.exit_code == 0 and f"event {event_id} marked 疑似谣言" in r.output
    r = runner.invoke(cli, ["rumour", "mark", "--event", str(event_id), "--as", "疑似谣言"])
    assert r.exit_code == 0 and "already marked" in r.output
    r = runner.invoke(cli, ["rumour", "mark", "--event", str(event_id), "--as", "谣传"])
    assert r.exit_code == 1 and "mark '谣传' is not allowed" in r.output
    r = runner.invoke(cli, ["rumour", "conclude", str(event_id), "--outcome", "错", "--by", "chen_gang"])
    assert r.exit_code == 1 and "outcome '错' is not allowed" in r.output
    r = runner.invoke(cli, ["rumour", "conclude", str(event_id), "--outcome", "不实", "--by", "chen_gang", "--note", "监控为证"])
    assert r.exit_code == 0 and "已核实：不实" in r.output
    r = runner.invoke(cli, ["rumour", "show", str(event_id)])
    assert r.exit_code == 0 and "outcome 不实 by chen_gang" in r.output and "监控为证" in r.output
    r = runner.invoke(cli, ["rumour", "list", "--state", "已核实"])
    assert r.exit_code == 0 and "已核实：不实" in r.output
