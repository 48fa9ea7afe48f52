"""yuqing: 政务舆情 monitoring, grading, warning and reporting. Plain Python; never imports Airflow."""
