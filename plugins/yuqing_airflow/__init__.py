"""Airflow-side glue for yuqing: sending through Airflow's notifiers, task helpers.

Kept apart from ``include/yuqing`` (which never imports Airflow) and imported by DAG tasks only at
run time, so DAG files stay cheap to parse.
"""
