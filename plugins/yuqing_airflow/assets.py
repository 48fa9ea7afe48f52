"""Assets shared between DAGs (kept in a module with no DAG, so no DAG is parsed twice).

``EVENT_ESCALATED``: emitted by ``yuqing_collect`` when an event reaches 较大 or above for the
first time, or is upgraded; its ``extra`` is ``{"events": [[event_id, from_level, to_level], ...]}``.
``yuqing_special_report`` is scheduled on it.
"""

from airflow.sdk import Asset

EVENT_ESCALATED = Asset("yuqing://events/escalated", group="yuqing")
RUMOUR_PROPOSED = Asset("yuqing://verifications/proposed", group="yuqing")
"""Emitted by ``yuqing_collect`` when the analysis proposes suspected rumours (疑似谣言, 分析提示); its
``extra`` is ``{"verifications": [id, ...]}``. ``yuqing_rumour_verification`` is scheduled on it."""
