"""DAG integrity, parametrised over every DAG file: imports (a cycle is an import error), schedule,
tags, owners, retries, and cheap parsing (no heavy module imported at parse time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
HEAVY_AT_PARSE = ["pandas", "trafilatura", "feedparser", "datasketch", "rjieba", "openpyxl",
                  "yuqing.analysis", "yuqing.collection", "yuqing.db", "sqlalchemy.orm",
                  "weasyprint", "matplotlib", "docxtpl"]
EXPECTED_SCHEDULES = {"yuqing_collect": "*/15 * * * *", "yuqing_daily_log": "0 8 * * *",
                      "yuqing_weekly_report": "0 9 * * 1",
                      "yuqing_case_handling": "5 * * * *"}


def _bag(path: Path):
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=path, bundle_path=ROOT / "dags", bundle_name="dags-folder")


@pytest.fixture(scope="module", params=DAG_FILES, ids=lambda p: p.name)
def dag_file(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_dag_files_exist() -> None:
    assert {p.stem for p in DAG_FILES} >= set(EXPECTED_SCHEDULES)


def test_dag_file_imports_without_errors(dag_file: Path) -> None:
    bag = _bag(dag_file)
    assert bag.import_errors == {}, f"{dag_file.name}: {bag.import_errors}"
    assert bag.dags, f"{dag_file.name} defines no DAG"


def test_dag_metadata(dag_file: Path) -> None:
    for dag_id, dag in _bag(dag_file).dags.items():
        assert dag.tags and "yuqing" in dag.tags, f"{dag_id} in {dag_file.name} has no 'yuqing' tag"
        assert dag.doc_md, f"{dag_id} in {dag_file.name} has no doc_md"
        assert dag.catchup is False, f"{dag_id} must not catch up"
        for t in dag.tasks:
            assert t.owner and t.owner != "airflow", f"{dag_id}.{t.task_id} has no owner"
            assert t.retries >= 2, f"{dag_id}.{t.task_id} has retries={t.retries}; at least 2 expected"
        if dag_id in EXPECTED_SCHEDULES:
            timetable = dag.timetable
            assert timetable.expression == EXPECTED_SCHEDULES[dag_id], timetable
            assert str(timetable.timezone) == "Asia/Shanghai", timetable


def test_dag_file_parses_without_heavy_imports(dag_file: Path) -> None:
    """Parsing runs every 30 s and in every task process: heavy imports belong inside tasks."""
    probe = (
        "import json, sys, time\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        f"before = set(sys.modules)\nt = time.perf_counter()\n"
        f"bag = BundleDagBag(dag_folder={str(dag_file)!r}, bundle_path={str(ROOT / 'dags')!r}, bundle_name='x')\n"
        "print(json.dumps({'errors': {str(k): v for k, v in bag.import_errors.items()},"
        " 'seconds': time.perf_counter() - t, 'new': sorted(set(sys.modules) - before)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    loaded = [m for m in HEAVY_AT_PARSE if m in report["new"]]
    assert loaded == [], f"{dag_file.name} imports {loaded} at parse time; import them inside tasks"
