"""The append-only audit trail (G3 问责): who did what, when, to which object, from which run."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.orm import Session

from yuqing.models import AuditLog


def run_context() -> dict[str, str | None]:
    """The Airflow run a task is part of, read from the env Airflow sets for task processes."""
    return {
        "dag_id": os.environ.get("AIRFLOW_CTX_DAG_ID"),
        "run_id": os.environ.get("AIRFLOW_CTX_DAG_RUN_ID"),
        "task_id": os.environ.get("AIRFLOW_CTX_TASK_ID"),
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit entry to the caller's transaction (the caller commits)."""
    entry = AuditLog(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail or {},
        **run_context(),
    )
    session.add(entry)
    return entry
