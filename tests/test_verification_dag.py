"""The verification DAG's wiring: scheduled on the asset yuqing_collect emits, one form per body, the
conclusion after the forms, the 辟谣 trigger last; and yuqing_collect emits that asset."""

from __future__ import annotations

from pathlib import Path

from airflow.dag_processing.dagbag import BundleDagBag

DAGS = Path(__file__).resolve().parents[1] / "dags"


def _dag(name: str, dag_id: str):
    bag = BundleDagBag(dag_folder=str(DAGS / name), bundle_path=str(DAGS), bundle_name="x")
    assert bag.import_errors == {}
    return bag.dags[dag_id]


def test_verification_dag_is_scheduled_on_the_proposal_asset_and_ordered() -> None:
    dag = _dag("yuqing_rumour_verification.py", "yuqing_rumour_verification")
    assert "yuqing://verifications/proposed" in str(dag.timetable.asset_condition)
    assert set(dag.params) == {"event_id", "item_id", "mark", "reason"}
    assert dag.params.get_param("mark").schema["enum"] == ["疑似谣言", "误解"]
    tasks = dag.task_dict
    assert tasks["ask_body"].upstream_task_ids == {"open_verification"}
    assert {"ask_body", "to_conclude"} <= tasks["conclude"].upstream_task_ids
    assert "conclude" in tasks["plan_rebuttals"].upstream_task_ids
    assert tasks["start_rebuttal"].partial_kwargs["trigger_dag_id"] == "yuqing_public_response"


def test_collect_emits_the_proposal_asset() -> None:
    dag = _dag("yuqing_collect.py", "yuqing_collect")
    task = dag.task_dict["announce_rumour_proposals"]
    assert [a.uri for a in task.outlets] == ["yuqing://verifications/proposed"]
    assert task.upstream_task_ids == {"analyse"}
