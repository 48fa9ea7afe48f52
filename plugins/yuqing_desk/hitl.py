"""Pending HITL requests (approvals and forms) from Airflow's metadata DB, for the 待审批 page."""

from __future__ import annotations

from sqlalchemy import select

from yuqing.desk.approvals import PendingRequest


def pending_requests() -> list[PendingRequest]:
    """Requests not answered whose task is parked waiting for a person (timed-out ones are not pending)."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.dag_id, TaskInstance.run_id, TaskInstance.task_id, TaskInstance.map_index,
                   HITLDetail.subject, HITLDetail.body, HITLDetail.options, HITLDetail.assignees,
                   HITLDetail.created_at, HITLDetail.params)
            .join(TaskInstance, TaskInstance.id == HITLDetail.ti_id)
            .where(HITLDetail.responded_at.is_(None), TaskInstance.state == TaskInstanceState.AWAITING_INPUT)
            .order_by(HITLDetail.created_at)
        ).all()
    return [
        PendingRequest(dag_id=r.dag_id, run_id=r.run_id, task_id=r.task_id, map_index=r.map_index,
                       subject=r.subject, body=r.body, options=list(r.options or []),
                       assignees=[dict(a) for a in (r.assignees or [])], created_at=r.created_at,
                       has_form=bool(r.params))
        for r in rows
    ]
