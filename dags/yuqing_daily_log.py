"""
### 网络舆情日志 (policy C2c)

At 08:00 Beijing time, render the previous day's 舆情日志: what was collected per channel, how it
was graded, the top events with links to their items, which sources failed or fell silent, and the
warnings still open. Trigger by hand with `report_date` to (re)render any day; a rerun overwrites
the same file.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, task


@dag(
    dag_id="yuqing_daily_log",
    schedule=CronTriggerTimetable("0 8 * * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "舆情监测", "retries": 2, "retry_delay": timedelta(minutes=5)},
    params={
        "report_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="日志日期",
            description="北京时间的日期（YYYY-MM-DD）；留空则为运行日的前一天",
        )
    },
    tags=["yuqing", "C2c", "report"],
    doc_md=__doc__,
)
def yuqing_daily_log() -> None:
    @task
    def render_log(params: dict, dag_run=None) -> str:
        """Render the 舆情日志 of the chosen day to output/daily/ and return its path."""
        from datetime import date, timedelta

        from yuqing.clock import local
        from yuqing.config import load_config
        from yuqing.daily_log import render_daily_log
        from yuqing.db import session_scope

        if params.get("report_date"):
            day = date.fromisoformat(params["report_date"])
        else:
            day = local(dag_run.run_after).date() - timedelta(days=1)
        with session_scope() as session:
            path = render_daily_log(session, load_config(), day)
        print(f"舆情日志 written to {path}")
        return str(path)

    render_log()


daily_log_dag = yuqing_daily_log()

if __name__ == "__main__":
    daily_log_dag.test(run_conf={"report_date": None})
