"""
### 数据留存与归档 (retention)

At 03:30 Beijing time on the 1st of each month, archive the items collected more than
`retention.items_months` months ago (yuqing.yaml) to one compressed JSONL file under
`retention.archive_dir`, read the file back to verify it, then delete those items from the store.
Items that a report cites, that a case or a still-open event refers to, or that an audit entry
names are kept: reports keep their evidence. One audit entry per run; a rerun archives nothing new.
Param `dry_run` counts without changing anything.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, task


@dag(
    dag_id="yuqing_retention",
    schedule=CronTriggerTimetable("30 3 1 * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "系统运维", "retries": 2, "retry_delay": timedelta(minutes=10)},
    params={"dry_run": Param(False, type="boolean", title="只统计不删除",
                             description="true = only count what would be archived")},
    tags=["yuqing", "ops", "retention"],
    doc_md=__doc__,
)
def yuqing_retention() -> None:
    @task
    def archive_old_items(params: dict, dag_run=None) -> dict:
        """Archive, verify and delete the old unreferenced items; return what was done."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.ops.retention import run_retention

        with session_scope() as session:
            result = run_retention(session, load_config(), as_of=dag_run.run_after, dry_run=bool(params["dry_run"]))
        print(f"archived {result.archived} items to {result.archive}; kept {result.kept_referenced} referenced")
        return {"archived": result.archived, "archive": result.archive, "kept_referenced": result.kept_referenced,
                "cutoff": result.cutoff.isoformat()}

    archive_old_items()


retention_dag = yuqing_retention()

if __name__ == "__main__":
    retention_dag.test(run_conf={"dry_run": True})
