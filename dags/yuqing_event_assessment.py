"""
### 重大敏感舆情：研判与预控处置意见报审 (policy C2d, C4, G1)

Started by `yuqing_case_handling` for each 重大 / 特别重大 case (run id `c2d__<受理编号>`), or by hand with
the case number. From the stored data it drafts an assessment of the event's nature, trend and
risk with the proposed handling (预控处置意见) and asks the assigned leader — the lead unit's
分管领导, or the 主要负责同志 for 特别重大 — to approve it (an Airflow HITL step, "Required Actions"
in the UI). Only an approval starts handling: the case goes to its unit (转办) and a public
response run (`yuqing_public_response`) is started for it. Not approved: the case stays, the
reason is recorded. No answer within `cases.deadlines.assessment_timeout_hours`: the safe default
applies (not approved) and the 主要负责同志 is told.

Params: `case_number` (受理编号, required).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, TriggerRule, dag, task

from yuqing_airflow.hitl import HitlMail, RecordedApproval

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))


@dag(
    dag_id="yuqing_event_assessment",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    default_args={"owner": "应对处置", "retries": 2, "retry_delay": RETRY_DELAY},
    params={"case_number": Param(type="string", pattern=r"^YQ-\d{8}-\d{4}$", title="受理编号")},
    tags=["yuqing", "C2d", "G1"],
    doc_md=__doc__,
)
def yuqing_event_assessment() -> None:
    approve_handling = RecordedApproval(
        task_id="approve_handling", kind="assessment", notifiers=[HitlMail()],
        doc_md="分管领导（或主要负责同志）审批预控处置意见；超时按不批准处理并报告主要负责同志。",
    )

    @task
    def start_handling(params: dict) -> str:
        """Approved: the case goes to its unit (转办)."""
        from yuqing.cases.service import get_case
        from yuqing.db import session_scope

        with session_scope() as session:
            return get_case(session, params["case_number"]).state

    start_public_response = TriggerDagRunOperator(
        task_id="start_public_response", trigger_dag_id="yuqing_public_response",
        trigger_run_id="response__{{ run_id }}",
        conf={"case_number": "{{ params.case_number }}"}, skip_when_already_exists=True, wait_for_completion=False,
    )

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def notify_escalations(**context) -> dict:
        """Tell the 主要负责同志 when the approval timed out (and send any other pending notices)."""
        from yuqing_airflow.case_notify import send_case_escalations

        return send_case_escalations(context)

    handling = start_handling()
    approve_handling >> handling >> start_public_response >> notify_escalations()


assessment_dag = yuqing_event_assessment()
