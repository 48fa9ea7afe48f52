"""Reports and risk assessment on a real Airflow stack (api-server, scheduler, dag-processor;
LocalExecutor), every human step answered over REST by a named user, as in the Airflow UI.

One stack and one demo world serve the module, in story order: the 专报 of the 重大 event approved
by 李华 and sent 归口 once over real SMTP, with PDF and DOCX attached; a rerun on the same, already
approved version asks nobody and sends nothing; the 周报 refused (不予报送) is not sent; a risk assessment where
one assessor answers, one never does (the scheduler's timeout applies the safe default 未作答),
and the leader's verdict is recorded with who gave it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from e2e_support import ROOT, DemoWorld, airflow_stack, collect_demo_sources, start_world, use_store_copy

sys.path.insert(0, str(ROOT / "include" / "demo"))
from stack import Api  # noqa: E402

from yuqing.clock import local_today  # noqa: E402
from yuqing.db import session_scope  # noqa: E402
from yuqing.models import Event  # noqa: E402
from yuqing.reports.models import Report, ReportDelivery  # noqa: E402
from yuqing.reports.periodic import period_key, week_of  # noqa: E402
from yuqing.risk.models import AssessorScore, Decision, Interview  # noqa: E402

pytestmark = pytest.mark.e2e
USERS = {"admin": "admin", "li_hua": "user", "chen_gang": "user", "wang_jun": "user"}
SPECIAL, WEEKLY, RISK = "yuqing_special_report", "yuqing_weekly_report", "yuqing_risk_assessment"
HITL_TIMEOUT_SECONDS = 15
DATA = Path(__file__).parent / "data" / "reports"


class World:
    def __init__(self, demo: DemoWorld, api: Api, top_event: int):
        self.demo, self.api, self.top_event = demo, api, top_event

    def reports_sent(self) -> list:
        return [m for m in self.demo.mail.messages if str(m["Subject"]).startswith("【报送】")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("e2e_reports_hitl")
    mp = pytest.MonkeyPatch()
    use_store_copy(tmp, mp, _sqlite_template)
    mp.setenv("YUQING_HITL_TIMEOUT_SECONDS", str(HITL_TIMEOUT_SECONDS))
    demo = start_world(tmp, mp)
    collect_demo_sources()
    with session_scope() as session:
        top = session.scalars(select(Event).order_by(Event.score.desc())).first()
        assert top is not None and top.level in ("重大", "特别重大")
        top_id = top.id
    try:
        with airflow_stack(tmp, USERS, {"AIRFLOW__CORE__PARALLELISM": "4"}) as stack:
            api = Api(stack.base)
            api.unpause(SPECIAL, WEEKLY, RISK)
            yield World(demo, api, top_id)
    finally:
        demo.stop()
        mp.undo()


def test_special_report_approved_over_rest_is_sent_once(world: World) -> None:
    api = world.api
    conf = {"event_id": world.top_event}
    api.trigger(SPECIAL, "special_1", conf)
    detail = api.wait_request(SPECIAL, "special_1", "approve")
    assert "舆情专报" in detail["body"] and detail["defaults"] == ["不予报送"]
    assert api.answer("li_hua", SPECIAL, "special_1", "approve", "批准报送").status_code == 200
    assert api.wait_run(SPECIAL, "special_1") == "success", api.task_states(SPECIAL, "special_1")
    with session_scope() as session:
        report = session.scalars(select(Report).where(Report.key == f"event:{world.top_event}")).one()
        assert (report.status, report.decided_by, report.version) == ("approved", "li_hua", 1)
        deliveries = session.scalars(select(ReportDelivery).where(ReportDelivery.report_id == report.id)).all()
        assert deliveries and all(d.status == "sent" and d.attempts == 1 and d.receipt for d in deliveries)
    sent = world.reports_sent()
    assert len(sent) == sum(1 for d in deliveries if d.channel == "email")
    names = sorted(p.get_filename().rsplit(".", 1)[1] for p in sent[0].iter_attachments())
    assert names == ["docx", "pdf"]

    # the same, unchanged version again: already approved, so nobody is asked, and nothing is sent twice
    api.trigger(SPECIAL, "special_2", conf)
    assert api.wait_run(SPECIAL, "special_2") == "success"
    states = api.task_states(SPECIAL, "special_2")
    assert states["approve"] == "skipped" and states["deliver"] == "success", states
    assert len(world.reports_sent()) == len(sent)


def test_weekly_report_refused_is_not_sent(world: World) -> None:
    api = world.api
    before = len(world.reports_sent())
    monday = local_today() + timedelta(days=7 - local_today().weekday())
    api.trigger(WEEKLY, "weekly_1", {"period": "weekly", "report_date": monday.isoformat()})
    api.wait_request(WEEKLY, "weekly_1", "approve")
    assert api.answer("li_hua", WEEKLY, "weekly_1", "approve", "不予报送").status_code == 200
    assert api.wait_run(WEEKLY, "weekly_1") == "success"
    with session_scope() as session:
        # (unpausing also lets the scheduler start this week's Monday run; left unanswered, it times out
        # to 不予报送 — a different key, so only the run triggered here is checked)
        key = period_key("weekly", week_of(monday)[0])
        report = session.scalars(select(Report).where(Report.kind == "weekly", Report.key == key)).one()
        assert (report.status, report.decided_by) == ("rejected", "li_hua")
        assert report.deliveries == []
    assert len(world.reports_sent()) == before


def test_risk_assessment_with_an_assessor_who_never_answers(world: World) -> None:
    api = world.api
    conf = {"title": "江城市宗教活动场所管理办法（修订）", "summary": "规范收费与财务公开。",
            "affected_groups": ["信教群众", "场所管理人员"], "keywords": ["清风寺"], "planned_date": None,
            "team": ["li_hua", "chen_gang"], "survey_file": str(DATA / "survey_bad_rows.csv"),
            "interview_file": None, "tracking_days": 30}
    api.trigger(RISK, "risk_1", conf)
    api.wait_request(RISK, "risk_1", "interviews_form")
    r = api.answer("li_hua", RISK, "risk_1", "interviews_form", "OK",
                   {"interviews": "清风寺管委会|反对|收费标准一刀切\n市佛教协会|支持|希望出台财务公开指引"})
    assert r.status_code == 200, r.text
    detail = api.wait_request(RISK, "risk_1", "score", map_index=0)
    scores = {k: 2 for k in detail["params"]}
    assert len(scores) == 10
    assert api.answer("li_hua", RISK, "risk_1", "score", "提交评分", scores, map_index=0).status_code == 200
    # chen_gang (map index 1) never answers: after the timeout the scheduler applies 未作答
    detail = api.wait_request(RISK, "risk_1", "leader_verdict", timeout=HITL_TIMEOUT_SECONDS + 60)
    assert "风险等级" in detail["body"]
    assert api.answer("wang_jun", RISK, "risk_1", "leader_verdict", "暂缓实施").status_code == 200
    assert api.wait_run(RISK, "risk_1") == "success", api.task_states(RISK, "risk_1")
    with session_scope() as session:
        decision = session.scalars(select(Decision)).one()
        assert (decision.verdict, decision.verdict_by) == ("暂缓实施", "wang_jun")
        rows = session.scalars(select(AssessorScore)).all()
        assert {s.assessor for s in rows if s.answered} == {"li_hua"}
        assert {s.assessor for s in rows if not s.answered} == {"chen_gang"}
        assert {i.stakeholder for i in session.scalars(select(Interview))} == {"清风寺管委会", "市佛教协会"}
        assessment = decision.assessments[-1]
        assert assessment.level == "高"  # 2 of 4 valid survey answers oppose: 50%
        report = session.scalars(select(Report).where(Report.kind == "risk").order_by(Report.version.desc())).first()
        assert (report.status, report.decided_by) == ("approved", "wang_jun")
        assert Path(report.files["pdf"]).exists()
