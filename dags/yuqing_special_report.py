"""
### 舆情专报 (policy C2c, C3)

**Trigger:** the Asset `yuqing://events/escalated`, which `yuqing_collect` emits when an event
reaches 较大 or above, or is upgraded; or by hand with `event_id`.

**Steps:** `draft_reports` renders one 专报 per event (HTML, PDF, DOCX; every statement linked to
the stored items it rests on; a new version only when the content changed) → `approve`: a leader
answers 批准报送 / 不予报送 in the Airflow UI (asked only when a version is undecided) (Browse → Required Actions), unanswered after
`YUQING_HITL_TIMEOUT_SECONDS` (default 24 h) it falls back to 不予报送 → `record_approval` writes
the decision and who made it into the store → `deliver` sends each approved version 归口 to the
本级 and 上级 recipients in `yuqing.yaml` (mail with PDF+DOCX attached and/or webhook), records
receipts, retries failures, and never sends the same version twice.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import Param, TriggerRule, dag, task

from yuqing_airflow.assets import EVENT_ESCALATED

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))
HITL_TIMEOUT = timedelta(seconds=int(os.environ.get("YUQING_HITL_TIMEOUT_SECONDS", str(24 * 3600))))
APPROVE, REFUSE = "批准报送", "不予报送"


@dag(
    dag_id="yuqing_special_report",
    schedule=[EVENT_ESCALATED],
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "舆情监测", "retries": 2, "retry_delay": RETRY_DELAY},
    params={
        "event_id": Param(None, type=["null", "integer"], title="事件编号",
                          description="手动编报时填写；由资产触发时留空"),
    },
    tags=["yuqing", "C2c", "C3", "report"],
    doc_md=__doc__,
)
def yuqing_special_report() -> None:
    @task
    def draft_reports(params: dict, triggering_asset_events=None) -> list[dict]:
        """Render a 专报 for each escalated event (or the chosen one); returns the versions filed."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.reports.special import build_special_report, needs_special_report
        from yuqing.reports.store import file_report

        wanted: dict[int, str] = {}
        if params.get("event_id"):
            wanted[int(params["event_id"])] = "手动编报"
        for events in (triggering_asset_events or {}).values():
            for ev in events:
                for event_id, before, after in (ev.extra or {}).get("events", []):
                    if needs_special_report(after):
                        wanted[int(event_id)] = f"等级{'定为' + after if not before else '由' + before + '升为' + after}"
        config = load_config()
        out = []
        for event_id, reason in sorted(wanted.items()):
            with session_scope() as session:
                report, new = file_report(session, build_special_report(session, config, event_id, reason=reason))
                out.append({"id": report.id, "title": report.title, "version": report.version,
                            "status": report.status, "pdf": report.files["pdf"], "new": new})
        print(f"专报 filed: {out}")
        return out

    approve = HITLOperator(
        task_id="approve",
        subject="审批舆情专报报送",
        body="以下专报待审批后归口报送（本级、上级）：\n\n"
        "{% for r in ti.xcom_pull(task_ids='draft_reports') or [] %}- {{ r.title }}（第 {{ r.version }} 版）：{{ r.pdf }}\n{% endfor %}",
        options=[APPROVE, REFUSE],
        defaults=[REFUSE],
        response_timeout=HITL_TIMEOUT,
    )

    @task.branch
    def needs_approval(drafts: list[dict]) -> list[str]:
        """Ask a leader only when there is an undecided version (an approved one just goes out)."""
        return ["approve", "record_approval"] if any(d["status"] == "draft" for d in drafts) else ["record_approval"]

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def record_approval(drafts: list[dict], answer: dict | None = None) -> list[int]:
        """Write the leader's answer on each draft into the store; return the approved versions."""
        from yuqing.db import session_scope
        from yuqing.reports.store import decide, get_report
        from yuqing_airflow.report_delivery import hitl_answer

        chosen, who = hitl_answer(answer)
        approved = []
        with session_scope() as session:
            for d in drafts:
                if chosen is not None and get_report(session, d["id"]).status == "draft":
                    decide(session, d["id"], approve=chosen == APPROVE, by=who,
                           note="审批超时，按默认不予报送" if who == "timeout:default" else "")
                if get_report(session, d["id"]).status == "approved":
                    approved.append(d["id"])
        return approved

    @task
    def deliver(report_ids: list[int], **context) -> list[dict]:
        """归口报送 each approved version once; receipts recorded, failures retried."""
        from yuqing_airflow.report_delivery import send_report

        return [send_report(context, rid) for rid in report_ids]

    drafts = draft_reports()
    recorded = record_approval(drafts, approve.output)
    needs_approval(drafts) >> [approve, recorded]
    deliver(recorded)


special_report_dag = yuqing_special_report()

if __name__ == "__main__":
    special_report_dag.test(run_conf={"event_id": 1})
