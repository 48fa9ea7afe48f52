"""
### 舆情监测：采集 → 研判 → 预警 (policy C1, C2a, C2c, C4)

Every 15 minutes, Beijing time, around the clock (全天候): collect every enabled source as its own
mapped task, so one slow or broken source never delays or stops the others; then analyse what is
new (relevance, sentiment, duplicates, events, grades); then raise warnings for events at or above
the warning level and for sources that fail or fall silent (不漏报), and deliver them to the person
on duty by mail and robot webhook — each warning once, however often the run is repeated.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, TriggerRule, dag, task

from yuqing_airflow.assets import EVENT_ESCALATED, RUMOUR_PROPOSED

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))


@dag(
    dag_id="yuqing_collect",
    schedule=CronTriggerTimetable("*/15 * * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=14),
    default_args={"owner": "舆情监测", "retries": 2, "retry_delay": RETRY_DELAY},
    tags=["yuqing", "C1", "C2a", "C2c"],
    doc_md=__doc__,
)
def yuqing_collect() -> None:
    @task
    def list_sources() -> list[str]:
        """Sync the configured sources into the store and list those to collect now."""
        from yuqing.collection import sync_sources
        from yuqing.config import load_config
        from yuqing.db import session_scope

        config = load_config()
        with session_scope() as session:
            sync_sources(session, config)
        return [s.id for s in config.sources if s.enabled and s.type != "manual"]

    @task(map_index_template="{{ source_id }}", execution_timeout=timedelta(minutes=10))
    def collect(source_id: str) -> dict:
        """Collect one source incrementally; a failure is recorded on the source, then raised."""
        import dataclasses

        from yuqing.collection import collect_source
        from yuqing.config import load_config

        return dataclasses.asdict(collect_source(load_config(), source_id))

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def analyse() -> dict:
        """研判: analyse every new item, whichever sources succeeded."""
        import dataclasses

        from yuqing.analysis import analyze_pending
        from yuqing.config import load_config
        from yuqing.db import session_scope

        with session_scope() as session:
            return dataclasses.asdict(analyze_pending(session, load_config()))

    @task
    def raise_warnings() -> list[int]:
        """预警: one warning per graded event level and per source-health episode."""
        from yuqing.clock import utcnow
        from yuqing.collection.health import check_source_health
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.early_warning import raise_warnings as raise_new

        config = load_config()
        now = utcnow()
        with session_scope() as session:
            problems = check_source_health(session, config, now=now)
            return [w.id for w in raise_new(session, config, now=now, health_problems=problems)]

    @task
    def notify_on_duty(**context) -> dict:
        """Mail and message the person on duty; a delivery already sent is never sent again."""
        from yuqing_airflow.delivery import send_pending_warnings

        return send_pending_warnings(context)

    @task(outlets=[EVENT_ESCALATED])
    def announce_escalations(summary: dict, outlet_events=None) -> list:
        """Emit the 专报 asset for events that reached 较大+ or were upgraded; skip when there are none."""
        from airflow.sdk.exceptions import AirflowSkipException

        from yuqing.reports.special import needs_special_report

        escalated = [list(c) for c in summary.get("level_changes", []) if needs_special_report(c[2])]
        if not escalated:
            raise AirflowSkipException("no event reached 较大 or was upgraded")
        outlet_events[EVENT_ESCALATED].extra = {"events": escalated}
        return escalated

    @task(outlets=[RUMOUR_PROPOSED])
    def announce_rumour_proposals(summary: dict, outlet_events=None) -> list:
        """C1 核实衔接: emit the verification asset for suspected rumours the analysis proposed; else skip."""
        from airflow.sdk.exceptions import AirflowSkipException

        proposed = list(summary.get("rumour_proposals") or [])
        if not proposed:
            raise AirflowSkipException("no suspected rumour was proposed")
        outlet_events[RUMOUR_PROPOSED].extra = {"verifications": proposed}
        return proposed

    collected = collect.expand(source_id=list_sources())
    analysed = analyse()
    collected >> analysed >> raise_warnings() >> notify_on_duty()
    announce_escalations(analysed)
    announce_rumour_proposals(analysed)


collect_dag = yuqing_collect()

if __name__ == "__main__":
    collect_dag.test()
