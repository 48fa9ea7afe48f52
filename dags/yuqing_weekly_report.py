"""
### 舆情周报、定期通报、考核 (policy C2c, C3, G3)

**Trigger:** every Monday at 09:00 Beijing time (the week Monday–Sunday before); or by hand with
`period` = `weekly` / `monthly` (the monthly roll-up, same code) and `report_date` (any day of the
week/month after the one to report).

**Steps:** `draft_report` renders the 周报 (or 月报): overview with charts, key events linked to
their items, the 定期通报 of case handling (受理 / 办结 / 超期 by unit), the 考核 scorecard per unit
(on-time rate, mean and worst response time, overdue), 专报 and 报送, and decisions with their
assessment status (未评估 when none is completed) → `approve` (HITL, 批准报送 / 不予报送; timeout →
不予报送) → `record_approval` → `deliver` to 本级 and 上级, once per version.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import CronTriggerTimetable, Param, TriggerRule, dag, task

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))
HITL_TIMEOUT = timedelta(seconds=int(os.environ.get("YUQING_HITL_TIMEOUT_SECONDS", str(24 * 3600))))
APPROVE, REFUSE = "批准报送", "不予报送"


@dag(
    dag_id="yuqing_weekly_report",
    schedule=CronTriggerTimetable("0 9 * * 1", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "舆情监测", "retries": 2, "retry_delay": RETRY_DELAY},
    params={
        "period": Param("weekly", enum=["weekly", "monthly"], title="报告周期", description="weekly = 周报，monthly = 月报"),
        "report_date": Param(None, type=["null", "string"], format="date", title="基准日期",
                             description="北京时间日期（YYYY-MM-DD）：报告其前一周（或前一月）；留空为运行日"),
    },
    tags=["yuqing", "C2c", "C3", "G3", "report"],
    doc_md=__doc__,
)
def yuqing_weekly_report() -> None:
    @task
    def draft_report(params: dict, dag_run=None) -> dict:
        """Render the 周报/月报 of the period before ``report_date`` (default: the run day)."""
        from datetime import date

        from yuqing.clock import local
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.reports.periodic import build_period_report, month_of, week_of
        from yuqing.reports.store import file_report

        day = date.fromisoformat(params["report_date"]) if params.get("report_date") else local(dag_run.run_after).date()
        kind = params.get("period") or "weekly"
        start, end = (week_of if kind == "weekly" else month_of)(day)
        with session_scope() as session:
            report, new = file_report(session, build_period_report(session, load_config(), kind, start, end))
            return {"id": report.id, "title": report.title, "version": report.version, "pdf": report.files["pdf"],
                    "status": report.status, "new": new}

    approve = HITLOperator(
        task_id="approve",
        subject="审批{{ params.period == 'monthly' and '舆情月报' or '舆情周报' }}报送",
        body="{% set r = ti.xcom_pull(task_ids='draft_report') %}{{ r.title }}（第 {{ r.version }} 版）：{{ r.pdf }}",
        options=[APPROVE, REFUSE],
        defaults=[REFUSE],
        response_timeout=HITL_TIMEOUT,
    )

    @task.branch
    def needs_approval(draft: dict) -> list[str]:
        """Ask a leader only when the version is undecided (an approved one just goes out)."""
        return ["approve", "record_approval"] if draft["status"] == "draft" else ["record_approval"]

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def record_approval(draft: dict, answer: dict | None = None) -> list[int]:
        """Write the answer into the store; return the version to send, if approved."""
        from yuqing.db import session_scope
        from yuqing.reports.store import decide, get_report
        from yuqing_airflow.report_delivery import hitl_answer

        chosen, who = hitl_answer(answer)
        with session_scope() as session:
            if chosen is not None and get_report(session, draft["id"]).status == "draft":
                decide(session, draft["id"], approve=chosen == APPROVE, by=who)
            return [draft["id"]] if get_report(session, draft["id"]).status == "approved" else []

    @task
    def deliver(report_ids: list[int], **context) -> list[dict]:
        """归口报送 to 本级 and 上级, once per version."""
        from yuqing_airflow.report_delivery import send_report

        return [send_report(context, rid) for rid in report_ids]

    draft = draft_report()
    recorded = record_approval(draft, approve.output)
    needs_approval(draft) >> [approve, recorded]
    deliver(recorded)


weekly_report_dag = yuqing_weekly_report()

if __name__ == "__main__":
    weekly_report_dag.test(run_conf={"period": "weekly", "report_date": None})
