"""
### 谣言核实：疑似谣言 / 误解 → 各核实单位核实 → 核实结论 → 辟谣回应 (policy C1 核实衔接, C5)

Started two ways: by hand (the Params form: an event id or an item id, the mark 疑似谣言 / 误解 and a
reason), or by the asset `yuqing://verifications/proposed` that `yuqing_collect` emits when the analysis
found rumour cue words in an event's items (分析提示). A run started with neither id takes every
verification still 待核实.

1. `select_verifications` — marks the event (an item's event) and lists the verifications to verify;
2. `open_verification` — 待核实 → 核实中: one pending finding per configured verifying body
   (`verification.bodies`: 门户网站, 政府热线, 政务微博 owners, the responsible unit);
3. `ask_body` — one HITL form per body, assigned to that body's Airflow user: finding 属实 / 不实 /
   部分属实 / 无法核实, evidence, links. No answer within `verification.finding_timeout_hours`: 未答复, excluded;
4. `conclude` — the on-duty monitor and the 分管领导 (or `verification.concluders`) see every finding and
   choose the outcome; the form defaults to the combined finding (rule in `yuqing.verification.service`),
   which stands if nobody concludes within `verification.conclusion_timeout_hours`. The outcome is
   recorded on the event with an audit entry;
5. `plan_rebuttals` / `start_rebuttal` — when the outcome is 不实 or 部分属实 and the concluder ticked
   发起辟谣回应: `yuqing_public_response` is triggered with template 辟谣 for the event's case (the case is
   opened if there is none). That run still needs 会签 and the leader's approval before anything is published.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, TriggerRule, dag, task

from yuqing_airflow.assets import RUMOUR_PROPOSED
from yuqing_airflow.hitl import HitlMail
from yuqing_airflow.verification import ConclusionForm, FindingForm

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))


@dag(
    dag_id="yuqing_rumour_verification",
    schedule=[RUMOUR_PROPOSED],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    default_args={"owner": "舆情监测", "retries": 2, "retry_delay": RETRY_DELAY},
    params={
        "event_id": Param(None, type=["null", "integer"], minimum=1, title="事件编号"),
        "item_id": Param(None, type=["null", "integer"], minimum=1, title="信息编号（标记其所属事件）"),
        "mark": Param("疑似谣言", type="string", enum=["疑似谣言", "误解"], title="标记"),
        "reason": Param("", type="string", title="标记理由"),
    },
    tags=["yuqing", "C1", "C5"],
    doc_md=__doc__,
)
def yuqing_rumour_verification() -> None:
    @task
    def select_verifications(params: dict, triggering_asset_events=None) -> list[int]:
        """Mark by hand (event or item), or take the proposals of the triggering asset, or all 待核实."""
        from yuqing.clock import utcnow
        from yuqing.db import session_scope
        from yuqing.verification.service import mark, pending_ids

        with session_scope() as session:
            if params.get("event_id") or params.get("item_id"):
                v, _ = mark(session, mark=params["mark"], actor="system:rumour_verification", now=utcnow(),
                            event_id=params.get("event_id"), item_id=params.get("item_id"),
                            reason=params.get("reason") or "")
                return pending_ids(session, [v.id])
            proposed = [vid for events in (triggering_asset_events or {}).values()
                        for ev in events for vid in (ev.extra or {}).get("verifications", [])]
            return pending_ids(session, proposed if proposed else None)

    @task
    def open_verification(verification_ids: list[int]) -> list[dict]:
        """待核实 → 核实中; one form per (verification, body)."""
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.verification.service import start

        config = load_config()
        forms = []
        with session_scope() as session:
            for vid in verification_ids:
                forms += [{"verification_id": vid, "body_id": b} for b in start(session, config, vid, now=utcnow())]
        return forms

    @task
    def to_conclude(forms: list[dict]) -> list[dict]:
        return [{"verification_id": vid} for vid in sorted({f["verification_id"] for f in forms})]

    selected = select_verifications()
    forms = open_verification(selected)
    ask_body = FindingForm.partial(
        task_id="ask_body", notifiers=[HitlMail(tag="待核实")], map_index_template="{{ task.body_id }}",
        doc_md="核实单位填写核实意见与依据；超时视为未答复，不计入结论。",
    ).expand_kwargs(forms)
    conclusions = to_conclude(forms)
    conclude = ConclusionForm.partial(
        task_id="conclude", notifiers=[HitlMail(tag="待核实")], trigger_rule=TriggerRule.ALL_DONE,
        doc_md="值班监测员或分管领导作出核实结论；超时按综合核实意见认定。",
    ).expand_kwargs(conclusions)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def plan_rebuttals(verification_ids: list[int], run_id: str) -> list[dict]:
        """不实 / 部分属实 and 发起辟谣回应 chosen: the event's case (opened if none) for a 辟谣 response."""
        from yuqing.clock import utcnow
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.verification.models import Verification
        from yuqing.verification.service import REBUTTAL_OUTCOMES, rebuttal_case, record_rebuttal

        config = load_config()
        wanted = _rebuttal_choices(run_id)
        plans = []
        with session_scope() as session:
            for vid in verification_ids:
                v = session.get(Verification, vid)
                if v is None or v.outcome not in REBUTTAL_OUTCOMES or not wanted.get(vid):
                    continue
                number = rebuttal_case(session, config, vid, now=utcnow())
                rebuttal_run = f"rebuttal__verification_{vid}"
                record_rebuttal(session, vid, case_number=number, run_id=rebuttal_run, actor=wanted[vid])
                plans.append({"trigger_run_id": rebuttal_run,
                              "conf": {"case_number": number, "template": "辟谣", "form": "网上发布",
                                       "channels": ["weibo", "wechat", "website"]}})
        return plans

    plans = plan_rebuttals(selected)
    TriggerDagRunOperator.partial(
        task_id="start_rebuttal", trigger_dag_id="yuqing_public_response", skip_when_already_exists=True,
        wait_for_completion=False,
    ).expand_kwargs(plans)
    ask_body >> conclude >> plans


def _rebuttal_choices(run_id: str) -> dict[int, str]:
    """verification id → who asked for a 辟谣 response in this run's conclusion forms (from XCom)."""
    from airflow.sdk import get_current_context

    ti = get_current_context()["ti"]
    results = ti.xcom_pull(task_ids="conclude", run_id=run_id) or []
    if isinstance(results, dict):
        results = [results]
    return {int(r["verification_id"]): r["by"] for r in results if r and r.get("rebuttal") and r.get("by")}


rumour_verification_dag = yuqing_rumour_verification()
