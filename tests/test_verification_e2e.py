"""谣言核实 on a real Airflow stack (api-server, scheduler, dag-processor; LocalExecutor), answered over REST
as the verifying bodies' users, with SimpleAuthManager enforcing ``assigned_users``.

One stack, one demo world: the demo's 清风寺 story (网传…紧急扩散) is proposed as 疑似谣言 by the analysis;
a run started by hand for that event asks the four configured bodies. Three answer (不实 with evidence), the
12345 hotline never does (its short timeout makes it 未答复, excluded), a body's user cannot answer another
body's form, the 分管领导 concludes 不实 and asks for a 辟谣 response, and `yuqing_public_response` is
started with template 辟谣 for the event's case (opened for it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from e2e_support import ROOT, airflow_stack, collect_demo_sources, start_world, use_store_copy

sys.path.insert(0, str(ROOT / "include" / "demo"))
from stack import Api  # noqa: E402

from yuqing.cases.models import Case, PublicResponse  # noqa: E402
from yuqing.db import session_scope  # noqa: E402
from yuqing.models import AuditLog, Event  # noqa: E402
from yuqing.verification import verifications_for_events  # noqa: E402
from yuqing.verification.models import Verification  # noqa: E402

pytestmark = pytest.mark.e2e
DAG, PR = "yuqing_rumour_verification", "yuqing_public_response"
USERS = {"admin": "admin", "zhao_min": "user", "hotline_12345": "user", "weibo_jcmz": "user", "zheng_yan": "user",
         "liu_yang": "user", "huang_xin": "user", "he_jing": "user", "chen_gang": "user", "li_hua": "user",
         "wang_jun": "user"}
FINDING_TIMEOUT_HOURS = 0.0125  # 45 s: the hotline's form times out while the others are answered


class World:
    def __init__(self, api: Api, event_id: int):
        self.api, self.event_id = api, event_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("e2e_verification")
    mp = pytest.MonkeyPatch()
    use_store_copy(tmp, mp, _sqlite_template)

    def short_timeouts(raw: dict) -> None:
        raw["verification"]["finding_timeout_hours"] = FINDING_TIMEOUT_HOURS

    demo = start_world(tmp, mp, tweak=short_timeouts)
    collect_demo_sources()
    try:
        with airflow_stack(tmp, USERS, {"AIRFLOW__CORE__PARALLELISM": "4"}) as stack:
            api = Api(stack.base)
            api.unpause(PR)
            with session_scope() as session:
                event_id = session.scalar(select(Event.id).where(Event.title.contains("清风寺"),
                                                                 Event.status == "open").order_by(Event.score.desc()))
            assert event_id, "the demo's 清风寺 story should be one event"
            yield World(api, event_id)
    finally:
        demo.stop()
        mp.undo()


def test_the_analysis_proposed_the_qingfengsi_story_as_a_suspected_rumour(world: World) -> None:
    with session_scope() as session:
        v = session.scalar(select(Verification).where(Verification.event_id == world.event_id))
        assert v is not None and (v.mark, v.origin, v.state) == ("疑似谣言", "分析提示", "待核实")
        assert {"网传", "紧急扩散"} <= set(v.cues)


def test_bodies_answer_one_times_out_and_the_outcome_starts_a_rebuttal(world: World) -> None:
    api = world.api
    run = api.trigger(DAG, "verify_qingfengsi", {"event_id": world.event_id, "item_id": None, "mark": "疑似谣言",
                                                  "reason": "网传高香年入几百万、老人被打伤"})
    answers = {0: ("zhao_min", "不实", "门户网站已核对场所收支公示，高香收入与网传严重不符。"),
               2: ("weibo_jcmz", "不实", "官微私信核实，发帖人承认“几百万”系听说。"),
               3: ("zheng_yan", "部分属实", "实地核查：确有推搡，老人轻微擦伤，已就医；“打人致重伤”不实。")}
    detail = api.wait_request(DAG, run, "ask_body", map_index=0)
    assert [u["id"] for u in detail["assigned_users"]] == ["zhao_min"] and "清风寺" in detail["subject"]
    r = api.answer("zheng_yan", DAG, run, "ask_body", "属实", {"evidence": "", "links": ""}, map_index=0)
    assert r.status_code == 403 and "is not a respondent" in r.text  # another body's user
    for index, (user, finding, evidence) in answers.items():
        links = "https://www.mzj.jiangcheng.example.gov.cn/gk/1" if index == 0 else ""
        assert api.respond(user, DAG, run, "ask_body", finding, {"evidence": evidence, "links": links}, index) == 200
    detail = api.wait_request(DAG, run, "conclude", map_index=0, timeout=150)  # after the hotline's timeout
    assert "12345政务服务热线（政府热线）：未答复（不计入）" in detail["body"]
    assert detail["defaults"] == ["部分属实"], detail["defaults"]  # 不实 + 部分属实 → 部分属实 (the rule)
    leader = detail["assigned_users"][-1]["id"]
    assert leader == "chen_gang", detail["assigned_users"]  # the venues unit's 分管领导 (with the monitor on duty)
    assert api.respond(leader, DAG, run, "conclude", "不实", {"note": "收入传言不实，推搡已另案处理", "rebuttal": True}, 0) == 200
    assert api.wait_run(DAG, run, timeout=120) == "success", api.task_states(DAG, run)

    with session_scope() as session:
        v = session.scalar(select(Verification).where(Verification.event_id == world.event_id))
        assert (v.state, v.outcome, v.concluded_by) == ("已核实", "不实", "chen_gang")
        statuses = {f.body_id: (f.status, f.finding, f.responded_by) for f in v.findings}
        assert statuses == {"portal": ("已答复", "不实", "zhao_min"), "hotline": ("未答复", None, None),
                            "weibo": ("已答复", "不实", "weibo_jcmz"), "venues": ("已答复", "部分属实", "zheng_yan")}
        assert next(f for f in v.findings if f.body_id == "portal").links == ["https://www.mzj.jiangcheng.example.gov.cn/gk/1"]
        actions = list(session.scalars(select(AuditLog.action).where(
            AuditLog.object_type == "event", AuditLog.object_id == str(world.event_id),
            AuditLog.action.like("verification.%")).order_by(AuditLog.id)))
        assert actions[0] == "verification.marked" and actions.count("verification.finding") == 3
        assert "verification.no_answer" in actions and actions[-2:] == ["verification.concluded",
                                                                         "verification.rebuttal_started"]
        concluded = session.scalar(select(AuditLog).where(AuditLog.action == "verification.concluded"))
        assert (concluded.actor, concluded.dag_id, concluded.run_id) == ("chen_gang", DAG, run)
        case = session.scalar(select(Case).where(Case.number == v.rebuttal_case))
        assert case is not None and case.event_id == world.event_id
        rebuttal_run = v.rebuttal_run_id
        label = verifications_for_events(session, [world.event_id])[world.event_id].label
    assert label == "已核实：不实"
    assert rebuttal_run == f"rebuttal__verification_{v.id}"
    conf = api.get(f"/dags/{PR}/dagRuns/{rebuttal_run}")["conf"]
    assert conf["template"] == "辟谣" and conf["case_number"] == case.number
    api.wait_request(PR, rebuttal_run, "edit_draft", settle=0)  # the 辟谣 draft was written from the template
    with session_scope() as session:
        response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == rebuttal_run))
        assert response is not None and response.template == "辟谣"


def test_a_proposal_asset_starts_a_verification_run_for_the_proposed_events(world: World) -> None:
    """The asset yuqing_collect emits (posted here as the collect run would) starts a run for its proposals."""
    import time

    from yuqing.clock import utcnow
    from yuqing.config import load_config
    from yuqing.verification.service import propose

    api = world.api
    with session_scope() as session:
        now = utcnow()
        event = Event(title="网传慈云寺将被整体拆除", level="较大", categories=["宗教活动场所"], signature=["慈云寺"],
                      first_seen_at=now, last_seen_at=now, updated_at=now)
        session.add(event)
        session.flush()
        [vid] = propose(session, load_config(), {event.id: ["网传"]}, now=now)
    api.unpause(DAG)
    asset = api.get("/assets", uri_pattern="verifications/proposed")["assets"][0]
    r = api.request("POST", "/api/v2/assets/events", json={"asset_id": asset["id"], "extra": {"verifications": [vid]}})
    assert r.status_code == 200, r.text
    deadline, runs = time.monotonic() + 60, []
    while not runs and time.monotonic() < deadline:
        runs = api.get(f"/dags/{DAG}/dagRuns", run_type="asset_triggered")["dag_runs"]
        time.sleep(0.5)
    assert len(runs) == 1, "one asset-triggered run"
    run = runs[0]["dag_run_id"]
    for index, user in enumerate(["zhao_min", "hotline_12345", "weibo_jcmz", "zheng_yan"]):
        assert api.respond(user, DAG, run, "ask_body", "属实", {"evidence": "经核实确有拆除计划", "links": ""}, index) == 200
    detail = api.wait_request(DAG, run, "conclude", map_index=0)
    assert detail["defaults"] == ["属实"] and "慈云寺" in detail["subject"]
    concluder = detail["assigned_users"][-1]["id"]
    assert api.respond(concluder, DAG, run, "conclude", "属实", {"note": "", "rebuttal": True}, 0) == 200
    assert api.wait_run(DAG, run, timeout=90) == "success", api.task_states(DAG, run)
    with session_scope() as session:
        v = session.get(Verification, vid)
        assert (v.origin, v.state, v.outcome, v.concluded_by, v.dag_run_id) == ("分析提示", "已核实", "属实", concluder, run)
        assert v.rebuttal_run_id is None  # 属实: nothing to rebut, whatever was ticked
    assert api.run_state(PR, f"rebuttal__verification_{vid}") is None
