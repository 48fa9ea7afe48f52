"""The risk-assessment DAG as a real run (``dag.test()``) with its HITL steps left unanswered
(marked, as ``dag.test`` cannot answer them): the survey file with bad rows is imported with the
bad rows named, every assessor counts as 未作答, the level falls back to 中, the report is written,
and no verdict is recorded without a leader's answer."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from e2e_support import ROOT
from yuqing.reports.models import Report
from yuqing.risk.models import AssessorScore, Decision, SurveyResponse

pytestmark = pytest.mark.e2e
DATA = Path(__file__).parent / "data" / "reports"


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()


def test_risk_assessment_dag_with_unanswered_forms(session: Session, demo_config, airflow_db: None,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_OUTPUT_DIR", str(tmp_path / "out"))
    if str(ROOT / "dags") not in sys.path:
        sys.path.insert(0, str(ROOT / "dags"))
    dag = importlib.import_module("yuqing_risk_assessment").risk_assessment_dag
    conf = {"title": "宗教活动场所管理办法（修订）", "summary": "规范收费。", "affected_groups": ["信教群众"],
            "keywords": ["清风寺"], "planned_date": None, "team": ["li_hua", "chen_gang"],
            "survey_file": str(DATA / "survey_bad_rows.csv"), "interview_file": None, "tracking_days": 30}
    dr = dag.test(run_conf=conf, mark_success_pattern="^(interviews_form|score|leader_verdict)$")
    states = {(ti.task_id, ti.map_index): ti.state for ti in dr.get_task_instances()}
    assert dr.state == "success", states
    decision = session.scalars(select(Decision)).one()
    assessment = decision.assessments[-1]
    assert assessment.status == "completed"
    assert len(session.scalars(select(SurveyResponse)).all()) == 4
    assert "第5行：缺少编号" in assessment.findings["survey_import"]["errors"]
    scores = session.scalars(select(AssessorScore)).all()
    assert scores and not any(s.answered for s in scores)
    assert assessment.level == "高"  # 2 of 4 oppose in the survey: 50%
    assert decision.verdict is None
    report = session.scalars(select(Report).where(Report.kind == "risk")).one()
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", report.files["pdf"], "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "")
    assert "未作答" in text and "样本量偏小" in text
