"""Assets shared between DAGs (kept in a module with no DAG, so no DAG is parsed twice).

``EVENT_ESCALATED``: emitted by ``yuqing_collect`` when an event reaches 较大 or above for the
first time, or is upgraded; its ``extra`` is ``{"events": [[event_id, from_level, to_level], ...]}``.
``yuqing_special_report`` is scheduled on it.
"""

from airflow.sdk import Asset

EVENT_ESCALATED = Asset("yuqing://events/escalated", group="yuqing")
