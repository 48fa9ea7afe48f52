"""
### 重大决策舆情风险评估 (policy C2b: 未经评估不决策)

**Trigger:** by hand only, with the form: `title` (决策事项), `summary`, `affected_groups`,
`keywords`, `planned_date`, `team` (person ids of the assessors), and optionally `survey_file`
(CSV/XLSX: 编号, 态度, 群体, 意见), `interview_file` (CSV/XLSX/JSON: 对象, 态度, 关切) and
`tracking_days`.

**Steps:** `open_assessment` → `track` (舆情跟踪: a targeted search of the sources that offer one, then stored items with the keywords in the window) and
`survey` (抽样调查: import, shares with 95% CIs, small-sample warning; bad rows named by row number)
→ `interviews_form` (重点走访 entered in a form, one per line `对象|态度|关切`; or the file) →
`score` (会商分析: one HITL form per assessor, likelihood and impact 1–5 per dimension; an assessor
who does not answer within `YUQING_HITL_TIMEOUT_SECONDS` is recorded as 未作答) → `conclude`
(risk level 高/中/低 by the rules in `yuqing.risk.assessment`, 处置预案 per risk, PDF/DOCX report)
→ `leader_verdict` (HITL: 可实施 / 暂缓实施 / 不实施; timeout → 暂缓实施) → `record_verdict`.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.hitl import HITLEntryOperator, HITLOperator
from airflow.sdk import Param, dag, task

RETRY_DELAY = timedelta(seconds=int(os.environ.get("YUQING_RETRY_DELAY_SECONDS", "120")))
HITL_TIMEOUT = timedelta(seconds=int(os.environ.get("YUQING_HITL_TIMEOUT_SECONDS", str(72 * 3600))))
DIMENSIONS = {"legality": "合法合规性", "acceptance": "群众接受度", "feasibility": "实施可行性",
              "ethnic_religious": "民族宗教因素", "opinion": "舆情可控性"}
SUBMIT, NO_ANSWER = "提交评分", "未作答"
SCORE_PARAMS = {
    f"{key}_{part}": Param(3, type="integer", minimum=1, maximum=5, title=f"{name}：{label}（1–5）")
    for key, name in DIMENSIONS.items()
    for part, label in (("likelihood", "发生可能性"), ("impact", "影响程度"))
}


@dag(
    dag_id="yuqing_risk_assessment",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    default_args={"owner": "政策法规科", "retries": 2, "retry_delay": RETRY_DELAY},
    params={
        "title": Param("", type="string", minLength=1, title="决策事项"),
        "summary": Param("", type="string", title="内容摘要"),
        "affected_groups": Param([], type="array", items={"type": "string"}, title="涉及群体"),
        "keywords": Param([], type="array", items={"type": "string"}, title="舆情跟踪关键词"),
        "planned_date": Param(None, type=["null", "string"], format="date", title="拟实施日期"),
        "team": Param([], type="array", items={"type": "string"}, minItems=1, title="评估组成员（人员编号）"),
        "survey_file": Param(None, type=["null", "string"], title="问卷文件（CSV/XLSX 路径）"),
        "interview_file": Param(None, type=["null", "string"], title="走访记录文件（CSV/XLSX/JSON 路径）"),
        "tracking_days": Param(30, type="integer", minimum=1, maximum=365, title="跟踪天数"),
    },
    tags=["yuqing", "C2b", "risk"],
    doc_md=__doc__,
)
def yuqing_risk_assessment() -> None:
    @task
    def open_assessment(params: dict, run_id=None) -> int:
        """Record the decision proposal (one per run) and open its assessment."""
        from yuqing.db import session_scope
        from yuqing.risk.assessment import open_assessment as open_

        with session_scope() as session:
            return open_(session, key=f"dag:{run_id}", title=params["title"], summary=params.get("summary") or "",
                         affected_groups=params.get("affected_groups") or [], keywords=params.get("keywords") or [],
                         planned_date=params.get("planned_date"), team=params.get("team") or []).id

    @task
    def track(assessment_id: int, params: dict) -> dict:
        """舆情跟踪: a targeted collection for the keywords, then stored items with them over the window."""
        from yuqing.collection.targeted import collect_keywords
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.risk.assessment import track as track_

        searched = collect_keywords(load_config(), params.get("keywords") or [])
        with session_scope() as session:
            r = track_(session, assessment_id, days=int(params.get("tracking_days") or 30))
            return {"total": r["total"], "negative": r["negative"],
                    "searched": [{"source": s.source_id, "status": s.status, "new": s.items_new} for s in searched]}

    @task
    def survey(assessment_id: int, params: dict) -> dict:
        """抽样调查: import the survey file (bad rows named, good rows kept) and compute the CIs."""
        from yuqing.db import session_scope
        from yuqing.risk.assessment import add_survey
        from yuqing.risk.survey import survey_stats

        with session_scope() as session:
            errors: list[str] = []
            if params.get("survey_file"):
                errors = add_survey(session, assessment_id, params["survey_file"]).errors
            stats = survey_stats(session, assessment_id)
            for e in errors:
                print(f"survey: {e}")
            return {"n": stats["n"], "warning": stats["warning"], "bad_rows": errors}

    interviews_form = HITLEntryOperator(
        task_id="interviews_form",
        subject="录入重点走访记录：{{ params.title }}",
        body="每行一条：走访对象|态度（支持/反对/中立）|主要关切。已上传文件的可留空直接提交。",
        params={"interviews": Param("", type="string", title="走访记录")},
        response_timeout=HITL_TIMEOUT,
    )

    @task
    def assessors(params: dict) -> list[str]:
        """One scoring form per member of the assessment team."""
        return [f"会商评分（{who}）：{params['title']}" for who in params["team"]]

    score = HITLOperator.partial(
        task_id="score",
        options=[SUBMIT, NO_ANSWER],
        defaults=[NO_ANSWER],
        body="请对各风险维度的发生可能性和影响程度打分（1 = 很低，5 = 很高），然后选择“提交评分”。",
        params=SCORE_PARAMS,
        response_timeout=HITL_TIMEOUT,
    ).expand(subject=assessors())

    @task(trigger_rule="all_done")
    def conclude(assessment_id: int, params: dict, interview_answer: dict | None = None, scores=None) -> dict:
        """Record interviews and every assessor's scores, apply the rules, render the report."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.reports.store import file_report
        from yuqing.risk.assessment import DIMENSIONS as DIMS
        from yuqing.risk.assessment import (
            add_interviews,
            build_risk_report,
            read_interview_file,
            record_scores,
        )
        from yuqing.risk.assessment import conclude as conclude_

        records = read_interview_file(params["interview_file"]) if params.get("interview_file") else []
        text = ((interview_answer or {}).get("params_input") or {}).get("interviews") or ""
        form = [dict(zip(("stakeholder", "position", "concerns"), line.split("|"), strict=False))
                for line in text.splitlines() if line.strip()]
        answers = list(scores or [])
        with session_scope() as session:
            _, bad = add_interviews(session, assessment_id, records, origin="file")
            _, bad_form = add_interviews(session, assessment_id, form, origin="form")
            for who, answer in zip(params["team"], answers + [None] * (len(params["team"]) - len(answers)), strict=True):
                chosen = ((answer or {}).get("chosen_options") or [NO_ANSWER])[0]
                if chosen == SUBMIT:
                    p = answer.get("params_input") or {}
                    record_scores(session, assessment_id, who,
                                  {d: (int(p[f"{d}_likelihood"]), int(p[f"{d}_impact"])) for d in DIMS})
                else:
                    record_scores(session, assessment_id, who, None)
            a = conclude_(session, assessment_id)
            report, _ = file_report(session, build_risk_report(session, load_config(), assessment_id))
            return {"assessment_id": assessment_id, "decision_id": a.decision_id, "level": a.level,
                    "suggested": a.findings["suggested_verdict"], "report_id": report.id, "pdf": report.files["pdf"],
                    "interview_errors": bad + bad_form}

    leader_verdict = HITLOperator(
        task_id="leader_verdict",
        subject="重大决策风险评估审定：{{ params.title }}",
        body="{% set r = ti.xcom_pull(task_ids='conclude') %}风险等级：{{ r.level }}；建议：{{ r.suggested }}。报告：{{ r.pdf }}",
        options=["可实施", "暂缓实施", "不实施"],
        defaults=["暂缓实施"],
        response_timeout=HITL_TIMEOUT,
    )

    @task
    def record_verdict(result: dict, answer: dict | None = None) -> dict:
        """Record the verdict and who gave it; re-render the report with it and mark it approved."""
        from yuqing.config import load_config
        from yuqing.db import session_scope
        from yuqing.reports.store import decide, file_report
        from yuqing.risk.assessment import build_risk_report
        from yuqing.risk.assessment import record_verdict as record
        from yuqing_airflow.report_delivery import hitl_answer

        chosen, who = hitl_answer(answer)
        if chosen is None:
            return {"verdict": None}
        with session_scope() as session:
            record(session, result["decision_id"], chosen, by=who)
            report, _ = file_report(session, build_risk_report(session, load_config(), result["assessment_id"]))
            if report.status == "draft":
                decide(session, report.id, approve=True, by=who, note=f"决策结论：{chosen}")
            return {"verdict": chosen, "by": who, "report_id": report.id}

    opened = open_assessment()
    facts = [track(opened), survey(opened)]
    facts >> interviews_form
    team = score
    interviews_form >> team
    result = conclude(opened, interview_answer=interviews_form.output, scores=score.output)
    result >> leader_verdict
    record_verdict(result, leader_verdict.output)


risk_assessment_dag = yuqing_risk_assessment()

if __name__ == "__main__":
    risk_assessment_dag.test(run_conf={"title": "示例决策", "team": ["li_hua"]})
