"""
### 应对处置：受理 → 转办 → 反馈，时限与督办 (policy C4, P1, P2, P4, C2d)

Every hour, Beijing time: open a case (受理, 受理编号 `YQ-YYYYMMDD-NNNN`) for every event that needs a
response and every hotline / 网络问政 item, routed by rule to the responsible unit with its
第一责任人 and 直接责任人; raise a case whose event grew; send new cases to their unit (转办) — except
重大 / 特别重大 ones, which wait for the leader's approval of the 预控处置意见 (C2d): for each of those
this sweep starts a `yuqing_event_assessment` run, once per case. Then check every deadline
(working days on the Chinese calendar for hotline items): remind the 直接责任人 before it, escalate to
the 分管领导 when it passes and to the 主要负责同志 later, each once, by mail.

Idempotent: re-running opens, dispatches and escalates nothing twice. Param `as_of` (ISO 8601,
optional) runs the sweep as if at that moment — for drills and tests of deadlines.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import CronTriggerTimetable, Param, TriggerRule, dag, task

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))


def _now(params: dict):
    from yuqing.clock import as_of_or_now

    return as_of_or_now(params.get("as_of"))


@dag(
    dag_id="yuqing_case_handling",
    schedule=CronTriggerTimetable("5 * * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=50),
    default_args={"owner": "应对处置", "retries": 2, "retry_delay": RETRY_DELAY},
    params={"as_of": Param(None, type=["null", "string"], title="按此时刻检查（演练/测试用）",
                           description="ISO 8601 with a time zone; empty = now")},
    tags=["yuqing", "C4", "C2d", "P1"],
    doc_md=__doc__,
)
def yuqing_case_handling() -> None:
    @task
    def open_cases(params: dict) -> list[str]:
        """受理: open a case for each new event needing a response and each hotline / 网络问政 item."""
        from yuqing.cases.service import follow_event_levels, open_pending_cases
        from yuqing.config import load_config
        from yuqing.db import session_scope

        config, now = load_config(), _now(params)
        with session_scope() as session:
            opened = [c.number for c in open_pending_cases(session, config, now=now)]
            follow_event_levels(session, config, now=now)
        return opened

    @task
    def dispatch_cases(params: dict) -> list[str]:
        """转办: send cases to their units (重大 and above wait for the C2d approval)."""
        from yuqing.cases.service import dispatch_new_cases
        from yuqing.config import load_config
        from yuqing.db import session_scope

        with session_scope() as session:
            return [c.number for c in dispatch_new_cases(session, load_config(), now=_now(params))]

    @task
    def assessments_to_request() -> list[dict]:
        """C2d: one assessment run per case waiting for it (run id fixed per case: started once)."""
        from sqlalchemy import select

        from yuqing.cases.models import Case
        from yuqing.db import session_scope

        with session_scope() as session:
            numbers = session.scalars(select(Case.number).where(Case.assessment_state == "pending"))
            return [{"trigger_run_id": f"c2d__{n}", "conf": {"case_number": n}} for n in numbers]

    @task
    def check_deadlines(params: dict) -> int:
        """Remind before a deadline; escalate to the 分管领导, then the 主要负责同志, once each."""
        from yuqing.cases.service import check_deadlines as check
        from yuqing.config import load_config
        from yuqing.db import session_scope

        with session_scope() as session:
            return len(check(session, load_config(), now=_now(params)))

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def notify_escalations(**context) -> dict:
        """Mail each reminder and escalation to its person; one already sent is never sent again."""
        from yuqing_airflow.case_notify import send_case_escalations

        return send_case_escalations(context)

    request_assessments = TriggerDagRunOperator.partial(
        task_id="request_assessments", trigger_dag_id="yuqing_event_assessment", skip_when_already_exists=True,
        wait_for_completion=False,
    ).expand_kwargs(assessments_to_request())

    opened = open_cases()
    dispatched = dispatch_cases()
    opened >> dispatched >> check_deadlines() >> notify_escalations()
    dispatched >> request_assessments


case_handling_dag = yuqing_case_handling()

if __name__ == "__main__":
    case_handling_dag.test()
