"""
### 值班：预警确认、逐级上报与交接班 (policy C2c 及时反馈, C4 24小时联络畅通/第一责任人)

Every 5 minutes, Beijing time, around the clock:

1. **值班空档** — a hole in the roster now or within `acknowledgement.roster_lookahead_hours` raises a
   warning once per gap, mailed and messaged to the 主要负责同志 at once (its deliveries are
   `warning_deliveries` rows this DAG sends itself, so the collection DAG's sender never races it);
2. **交接班** — when a new shift has begun, its handover is recorded once: the open, unacknowledged
   warnings pass to the incoming person, who gets one notice listing them;
3. **逐级上报** — a warning still unacknowledged `acknowledgement.escalate_after_minutes` after it was
   raised goes to the shift's backup, then the 分管领导, then the 主要负责同志, each step once;
4. every escalation and handover notice is sent by mail and robot webhook through Airflow's
   notifiers, each once, with a signed single-use 确认收到 link for its person.

Idempotent: re-running takes no step twice and sends nothing twice. Param `as_of` (ISO 8601 with a
time zone, optional) runs the sweep as if at that moment — for drills and tests of the timings.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, TriggerRule, dag, task

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "60")))


def _now(params: dict):
    from yuqing.clock import as_of_or_now

    return as_of_or_now(params.get("as_of"))


@dag(
    dag_id="yuqing_warning_escalation",
    schedule=CronTriggerTimetable("*/5 * * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=4),
    default_args={"owner": "值班", "retries": 2, "retry_delay": RETRY_DELAY},
    params={"as_of": Param(None, type=["null", "string"], title="按此时刻检查（演练/测试用）",
                           description="ISO 8601 with a time zone; empty = now")},
    tags=["yuqing", "C2c", "C4"],
    doc_md=__doc__,
)
def yuqing_warning_escalation() -> None:
    @task
    def check_roster(params: dict) -> list[int]:
        """值班空档: one warning per roster gap open now or starting soon."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.duty.gaps import raise_gap_warnings

        with session_scope() as session:
            return [w.id for w in raise_gap_warnings(session, load_config(), now=_now(params))]

    @task
    def notify_principal(gap_warnings: list[int], params: dict, **context) -> dict:
        """Mail and message the 主要负责同志 about each new 值班空档 warning, once."""
        from yuqing_airflow.delivery import send_gap_warnings

        return send_gap_warnings(context, now=_now(params))

    @task
    def hand_over(params: dict) -> int | None:
        """交接班: record the current shift's handover once and notify the incoming person."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.duty.handover import record_handover

        with session_scope() as session:
            handover = record_handover(session, load_config(), now=_now(params))
            return handover.id if handover else None

    @task
    def escalate(params: dict) -> list[list]:
        """逐级上报: take every escalation step due by now (备班 → 分管领导 → 主要负责同志), each once."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.duty.escalation import escalate_due

        with session_scope() as session:
            steps = escalate_due(session, load_config(), now=_now(params))
            return [[s.warning_id, s.step, s.role, s.person_id, s.status] for s in steps]

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def send_notices(params: dict, **context) -> dict:
        """Mail and message each escalation and handover notice once; record every outcome."""
        from yuqing_airflow.delivery import send_pending_notices

        return send_pending_notices(context, now=_now(params))

    notify_principal(check_roster())
    hand_over() >> escalate() >> send_notices()


warning_escalation_dag = yuqing_warning_escalation()

if __name__ == "__main__":
    warning_escalation_dag.test()
