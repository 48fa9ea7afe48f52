"""
### 反馈：承办单位在 Airflow 中反馈办理情况 (policy C4)

Triggered by hand (or by anyone's tooling) for one case and one unit: the unit's 直接责任人 gets a
form (HITL) in Airflow — Browse → Required Actions — and writes the feedback. The lead unit's
feedback moves the case to 反馈; a 协办 unit's is recorded alongside. The same as
`yuqing case feedback`. No answer within `cases.deadlines.draft_timeout_hours`: nothing is
recorded (the deadline sweep keeps escalating).

Params: `case_number` (受理编号), `unit` (unit id; empty = the lead unit).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag

from yuqing_airflow.hitl import HitlMail, RecordedEntry

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))


@dag(
    dag_id="yuqing_case_feedback",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    default_args={"owner": "应对处置", "retries": 2, "retry_delay": RETRY_DELAY},
    params={"case_number": Param(type="string", pattern=r"^YQ-\d{8}-\d{4}$", title="受理编号"),
            "unit": Param("", type="string", title="反馈单位（留空为主办单位）")},
    tags=["yuqing", "C4"],
    doc_md=__doc__,
)
def yuqing_case_feedback() -> None:
    RecordedEntry(task_id="give_feedback", kind="feedback", notifiers=[HitlMail()],
                  params={"text": Param("", type="string", format="multiline", title="办理情况")},
                  doc_md="承办单位直接责任人填写办理情况；主办单位反馈后案件进入“反馈”。")


case_feedback_dag = yuqing_case_feedback()
