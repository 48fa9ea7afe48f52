"""Handling and public response on a real Airflow stack (api-server, scheduler, dag-processor;
LocalExecutor), answered over REST by named users with SimpleAuthManager enforcing ``assigned_users``.

One stack and one demo world serve every test here (module scope). Its accounts are exactly what
`yuqing users sync` writes (the users setting and the passwords file), so every roster person logs in
with the generated password. In story order:
C2d approval (an unassigned admin is refused) → the first response draft rejected → a second
attempt published identically on the three loopback channels → a text changed after approval
refused → one channel down (retried, reported, nothing twice) → a C2d request left unanswered
(safe default, escalation) → overdue escalation by the hourly sweep run at a later moment.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from e2e_support import ROOT, DemoWorld, airflow_stack, collect_demo_sources, start_world, use_store_copy

sys.path.insert(0, str(ROOT / "include" / "demo"))
from channels import ChannelServer, start_channels  # noqa: E402
from stack import Api  # noqa: E402

from yuqing.cases.models import Case, CaseApproval, CaseEscalation, PublicResponse  # noqa: E402
from yuqing.cli import cli  # noqa: E402
from yuqing.db import session_scope  # noqa: E402
from yuqing.models import AuditLog, EarlyWarning, Event  # noqa: E402

pytestmark = pytest.mark.e2e
PR, C2D, SWEEP = "yuqing_public_response", "yuqing_event_assessment", "yuqing_case_handling"


class World:
    def __init__(self, demo: DemoWorld, channels: ChannelServer, api: Api, publish: Path, major: str,
                 passwords: dict[str, str]):
        self.demo, self.channels, self.api, self.publish, self.major = demo, channels, api, publish, major
        self.passwords = passwords


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("e2e_response")
    mp = pytest.MonkeyPatch()
    use_store_copy(tmp, mp, _sqlite_template)
    demo = start_world(tmp, mp)
    publish = tmp / "publish"
    channels = start_channels(publish)
    for key, value in channels.connections(publish).items():
        mp.setenv(key, value)
    collect_demo_sources()
    env_file, pw_file = tmp / "users.env", tmp / "passwords.json"
    synced = CliRunner().invoke(cli, ["users", "sync", "--auth-manager", "simple", "--env-file", str(env_file),
                                      "--passwords-file", str(pw_file)], obj={})
    assert synced.exit_code == 0, synced.output
    accounts = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line and line[0] != "#")
    try:
        with airflow_stack(tmp, {"admin": "admin"}, {"AIRFLOW__CORE__PARALLELISM": "4"}, overrides=accounts) as stack:
            passwords = json.loads(pw_file.read_text())
            api = Api(stack.base, passwords)
            api.unpause(C2D, PR, "yuqing_case_feedback")
            api.trigger(SWEEP, "sweep_1")
            assert api.wait_run(SWEEP, "sweep_1") == "success", api.task_states(SWEEP, "sweep_1")
            with session_scope() as session:
                majors = session.execute(select(Case.number, Case.title).where(Case.level == "重大")
                                         .order_by(Case.id)).all()
                major = next((n for n, t in majors if "清风寺" in t), majors[0][0] if majors else None)
            assert major, "the demo's 清风寺 event should open a 重大 case"
            yield World(demo, channels, api, publish, major, passwords)
    finally:
        channels.shutdown()
        channels.server_close()
        demo.stop()
        mp.undo()


def _walk_response(w: World, run_id: str, *, text: str | None = None, decision: str = "Approve",
                   reason: str = "", before_approval=None) -> None:
    """Drafter → (会签 by each agency named) → leader, over REST as the assigned people."""
    api = w.api
    api.wait_request(PR, run_id, "edit_draft")
    if text == "without the police":  # the drafter drops the sentence naming 公安机关: no 会签 needed
        import re

        with session_scope() as session:
            draft = session.scalar(select(PublicResponse.text).where(PublicResponse.dag_run_id == run_id))
        text = re.sub(r"[^。，\n]*公安机关[^。，\n]*[。，]", "", draft)
    assert api.respond("zheng_yan", PR, run_id, "edit_draft", "OK", {"text": text or ""}) == 200
    with session_scope() as session:
        agencies = session.scalar(select(PublicResponse.agencies).where(PublicResponse.dag_run_id == run_id))
    for i, _agency in enumerate(agencies):
        detail = api.wait_request(PR, run_id, "countersign", map_index=i)
        assert [u["id"] for u in detail["assigned_users"]] == ["zhang_jing"]
        assert api.respond("zhang_jing", PR, run_id, "countersign", "Approve", {"reason": ""}, i) == 200
    detail = api.wait_request(PR, run_id, "approve_text")
    assert [u["id"] for u in detail["assigned_users"]] == ["chen_gang"]
    if before_approval:
        before_approval()
    assert api.respond("chen_gang", PR, run_id, "approve_text", decision, {"reason": reason}) == 200


def _posts(w: World) -> tuple[int, int]:
    return len(w.channels.weibo), len(w.channels.wechat)


def test_every_synced_account_logs_in_with_its_generated_password(world: World, demo_config) -> None:
    from yuqing.ops.users import accounts_from_config

    people = [a.username for a in accounts_from_config(demo_config)]
    assert set(people) | {"admin"} == set(world.passwords)
    base = world.api.base
    for user in [*people, "admin"]:
        r = requests.post(f"{base}/auth/token", json={"username": user, "password": world.passwords[user]},
                          timeout=10)
        assert r.status_code == 201 and r.json()["access_token"], (user, r.status_code, r.text)
    wrong = requests.post(f"{base}/auth/token", json={"username": "zheng_yan", "password": "pw-zheng_yan"},
                          timeout=10)
    stranger = requests.post(f"{base}/auth/token", json={"username": "nobody", "password": "x"}, timeout=10)
    assert (wrong.status_code, stranger.status_code) == (401, 401)


def test_c2d_major_case_waits_for_the_assigned_leader_and_others_are_refused(world: World) -> None:
    api, run = world.api, f"c2d__{world.major}"
    detail = api.wait_request(C2D, run, "approve_handling")
    assert [u["id"] for u in detail["assigned_users"]] == ["chen_gang"]
    assert "预控处置意见" in detail["subject"] and "性质" in detail["body"] and "风险" in detail["body"]
    with session_scope() as session:
        case = session.scalar(select(Case).where(Case.number == world.major))
        assert (case.state, case.assessment_state) == ("受理", "requested")  # handling has not started
    for intruder in ("admin", "li_hua"):  # an admin and another 分管领导, neither assigned
        r = api.answer(intruder, C2D, run, "approve_handling", "Approve", {"reason": ""})
        assert r.status_code == 403 and "is not a respondent" in r.text
    assert api.respond("chen_gang", C2D, run, "approve_handling", "Approve", {"reason": ""}) == 200
    assert api.wait_run(C2D, run) == "success"
    with session_scope() as session:
        case = session.scalar(select(Case).where(Case.number == world.major))
        assert (case.state, case.assessment_state) == ("转办", "approved")
        approval = session.scalar(select(CaseApproval).where(CaseApproval.run_id == run))
        assert (approval.decision, approval.decided_by, approval.run_id) == ("approved", "chen_gang", run)
    assert api.run_state(PR, f"response__{run}") is not None, "approval starts the public response"


def test_c5_rejected_draft_publishes_nothing_and_keeps_the_reason(world: World) -> None:
    run = f"response__c2d__{world.major}"
    _walk_response(world, run, decision="Reject", reason="涉警表述须与公安机关再核对")
    assert world.api.wait_run(PR, run) == "success"
    states = world.api.task_states(PR, run)
    assert states["publish"] == "skipped" and states["countersign[0]"] == "success", states
    assert _posts(world) == (0, 0) and not (world.publish / "rss.xml").exists()
    with session_scope() as session:
        response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == run))
        assert response.state == "rejected"
        row = session.scalar(select(CaseApproval).where(CaseApproval.response_id == response.id,
                                                        CaseApproval.kind == "publication"))
        assert (row.decision, row.decided_by, row.reason) == ("rejected", "chen_gang", "涉警表述须与公安机关再核对")


def test_c5_g1_g2_second_attempt_is_published_identically_with_proof_of_approval(world: World) -> None:
    run = world.api.trigger(PR, "attempt_2", {"case_number": world.major, "template": "情况说明",
                                              "form": "网上发布", "channels": ["weibo", "wechat", "website"]})
    with session_scope() as session:
        pass
    def handlers_are_refused() -> None:  # the unit's handlers drafted it but may not approve it
        for handler in ("zheng_yan", "zhao_min"):
            r = world.api.answer(handler, PR, run, "approve_text", "Approve", {"reason": ""})
            assert r.status_code == 403 and "is not a respondent" in r.text, (handler, r.status_code, r.text)

    _walk_response(world, run, before_approval=handlers_are_refused)
    assert world.api.wait_run(PR, run) == "success", world.api.task_states(PR, run)
    with session_scope() as session:
        response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == run))
        assert (response.attempt, response.state, response.on_time) == (2, "published", True)
        text, sha = response.text, response.text_sha256
        approval = session.scalar(select(CaseApproval).where(CaseApproval.response_id == response.id,
                                                             CaseApproval.kind == "publication"))
        assert (approval.decided_by, approval.text_sha256) == ("chen_gang", sha)
        urls = {p.channel: p.url for p in response.publications}
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "approval.approved.publication"))
        assert audit.actor == "chen_gang" and audit.detail["sha256"] == sha and audit.detail["run_id"] == run
        assert audit.dag_id == PR and audit.task_id == "approve_text"
    assert world.channels.weibo[0]["text"] == text == world.channels.wechat[0]["content"]
    page = requests.get(urls["website"], timeout=5).text
    import html
    import re

    assert html.unescape(re.search(r'<pre class="release-text">(.*?)</pre>', page, re.S).group(1)) == text
    assert requests.get(urls["weibo"], timeout=5).status_code == 200
    assert "清风寺" in requests.get(f"{world.channels.base_url}/site/rss.xml", timeout=5).text


def test_g1_text_changed_after_approval_is_refused_and_warned(world: World) -> None:
    run = world.api.trigger(PR, "attempt_3", {"case_number": world.major, "template": "通报", "form": "网上发布",
                                              "channels": ["weibo", "wechat", "website"]})
    before = _posts(world)

    def tamper() -> None:
        with session_scope() as session:
            response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == run))
            response.text += "（审核后私自添加的一句）"

    _walk_response(world, run, text="without the police", before_approval=tamper)
    assert world.api.wait_run(PR, run) == "failed"
    assert world.api.task_states(PR, run)["publish"] == "failed" and _posts(world) == before
    with session_scope() as session:
        response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == run))
        assert response.state == "refused"
        assert session.scalar(select(EarlyWarning).where(EarlyWarning.dedup_key == f"publication:{response.id}:refused"))


def test_c5_one_channel_down_is_retried_reported_and_never_doubled(world: World) -> None:
    world.channels.fail["wechat"] = 3  # the whole first attempt of the publish task fails on WeChat
    weibo_before, wechat_before = _posts(world)
    run = world.api.trigger(PR, "attempt_4", {"case_number": world.major, "template": "辟谣", "form": "网上发布",
                                              "channels": ["weibo", "wechat", "website"]})
    _walk_response(world, run, text="without the police")
    with session_scope() as session:
        response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == run))
        assert response.agencies == [] and "公安机关" not in response.text  # the drafter's edit counts
    assert world.api.wait_run(PR, run) == "success", world.api.task_states(PR, run)
    assert _posts(world) == (weibo_before + 1, wechat_before + 1)
    tis = world.api.get(f"/dags/{PR}/dagRuns/{run}/taskInstances")["task_instances"]
    assert next(t for t in tis if t["task_id"] == "publish")["try_number"] == 2
    with session_scope() as session:
        response = session.scalar(select(PublicResponse).where(PublicResponse.dag_run_id == run))
        assert response.state == "published"
        warning = session.scalar(select(EarlyWarning).where(EarlyWarning.dedup_key.like(f"publication:{response.id}:partial%")))
        assert "未发布：微信公众号" in warning.summary
    assert any("公开回应部分渠道未发布" in str(m["Subject"]) for m in world.demo.mail.messages)


def test_c4_unit_gives_feedback_through_an_airflow_form(world: World) -> None:
    with session_scope() as session:
        number = session.scalar(select(Case.number).where(Case.level == "较大", Case.lead_unit == "venues",
                                                          Case.state == "转办").order_by(Case.id))
    run = world.api.trigger("yuqing_case_feedback", f"feedback__{number}", {"case_number": number, "unit": ""})
    detail = world.api.wait_request("yuqing_case_feedback", run, "give_feedback")
    assert [u["id"] for u in detail["assigned_users"]] == ["zheng_yan"] and number in detail["subject"]
    text = "已约谈场所负责人，责令退还香火钱并公开道歉。"
    assert world.api.respond("zheng_yan", "yuqing_case_feedback", run, "give_feedback", "OK", {"text": text}) == 200
    assert world.api.wait_run("yuqing_case_feedback", run) == "success"
    with session_scope() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case.state == "反馈" and [(f.unit, f.role, f.actor, f.text) for f in case.feedback] == [
            ("venues", "主办", "zheng_yan", text)]


def test_c2d_unanswered_request_defaults_to_not_approved_and_escalates(world: World) -> None:
    from yuqing.cases.service import open_case_for_event
    from yuqing.clock import utcnow
    from yuqing.config import load_config

    path = world.demo.config_path
    original = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(original)
    raw["cases"]["deadlines"]["assessment_timeout_hours"] = 0.002  # 7.2 s
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        with session_scope() as session:
            event = Event(title="慈云寺门前聚集，要求退还功德款", level="重大", categories=["涉稳"], signature=["慈云寺"],
                          first_seen_at=utcnow(), last_seen_at=utcnow(), updated_at=utcnow())
            session.add(event)
            session.flush()
            number = open_case_for_event(session, load_config(), event, now=utcnow()).number
        run = world.api.trigger(C2D, f"c2d__{number}", {"case_number": number})
        assert world.api.wait_run(C2D, run, timeout=90) == "success"
    finally:
        path.write_text(original, encoding="utf-8")
    assert world.api.task_states(C2D, run)["start_handling"] == "skipped"
    with session_scope() as session:
        row = session.scalar(select(CaseApproval).where(CaseApproval.run_id == run))
        assert (row.decision, row.decided_by) == ("timed_out", None)
        case = session.scalar(select(Case).where(Case.number == number))
        assert (case.state, case.assessment_state) == ("受理", "timed_out")
        esc = session.scalar(select(CaseEscalation).where(CaseEscalation.case_id == case.id))
        assert (esc.deadline, esc.person, esc.status) == ("assessment", "wang_jun", "sent")
    assert any(m["To"] == "wangjun@mzj.jiangcheng.example.gov.cn" and number in str(m["Subject"])
               for m in world.demo.mail.messages)


def test_p1_overdue_cases_escalate_when_the_sweep_runs_later(world: World) -> None:
    from yuqing.clock import local, utcnow

    later = local(utcnow() + timedelta(days=30)).isoformat()
    run = world.api.trigger(SWEEP, "sweep_later", {"as_of": later})
    assert world.api.wait_run(SWEEP, run) == "success", world.api.task_states(SWEEP, run)
    with session_scope() as session:
        steps = dict(session.execute(select(CaseEscalation.step, func.count()).group_by(CaseEscalation.step)).all())
        assert steps.get(1, 0) > 0 and steps.get(2, 0) > 0
        unsent = session.scalar(select(func.count()).select_from(CaseEscalation).where(CaseEscalation.status != "sent"))
        assert unsent == 0
    assert any(m["To"] == "chengang@mzj.jiangcheng.example.gov.cn" and "督办" in str(m["Subject"])
               for m in world.demo.mail.messages)
