"""重大决策舆情风险评估 (C2b): survey import with bad rows, 95% CIs and the small-sample warning,
interviews, assessors who never answer, the documented level rules, 未评估, verdict and report."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from yuqing.config import Config
from yuqing.reports.store import file_report
from yuqing.risk.assessment import (
    DIMENSIONS,
    UNASSESSED,
    AssessmentError,
    add_interviews,
    add_survey,
    build_risk_report,
    conclude,
    decision_status,
    open_assessment,
    record_scores,
    record_verdict,
)
from yuqing.risk.survey import SurveyFileError, survey_stats, wilson

DATA = Path(__file__).parent / "data" / "reports"


def _open(session: Session, key: str = "k1"):
    return open_assessment(session, key=key, title="宗教活动场所管理办法（修订）", summary="规范场所收费与安全管理。",
                           affected_groups=["信教群众", "场所管理人员"], keywords=["清风寺"], team=["li_hua", "chen_gang"])


def test_wilson_interval_is_sane() -> None:
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0


def test_survey_with_bad_rows_keeps_good_rows_and_names_bad_ones(session: Session) -> None:
    a = _open(session)
    result = add_survey(session, a.id, DATA / "survey_bad_rows.csv")
    assert result.imported == 4
    assert result.errors == [
        "第5行：缺少编号",
        "第6行（R005）：态度“也许吧”无法识别，应为支持/反对/中立",
        "第7行（R002）：编号与第3行重复",
    ]
    again = add_survey(session, a.id, DATA / "survey_bad_rows.csv")  # idempotent
    assert again.imported == 0 and again.already == 4
    stats = survey_stats(session, a.id)
    assert stats["n"] == 4 and stats["small_sample"] and "样本量偏小" in stats["warning"]
    oppose = stats["shares"]["oppose"]
    assert oppose["count"] == 2 and oppose["low"] < 0.5 < oppose["high"]


def test_survey_xlsx_and_unreadable_files(session: Session, tmp_path: Path) -> None:
    a = _open(session)
    wb = Workbook()
    ws = wb.active
    ws.append(["respondent", "stance"])
    for i in range(40):
        ws.append([f"X{i}", "support" if i % 4 else "oppose"])
    path = tmp_path / "s.xlsx"
    wb.save(path)
    assert add_survey(session, a.id, path).imported == 40
    stats = survey_stats(session, a.id)
    assert not stats["small_sample"] and stats["shares"]["oppose"]["share"] == 0.25
    bad = tmp_path / "bad.csv"
    bad.write_text("名字,年龄\n张三,30\n", encoding="utf-8")
    with pytest.raises(SurveyFileError, match="row 1: missing column"):
        add_survey(session, a.id, bad)
    with pytest.raises(SurveyFileError, match="not found"):
        add_survey(session, a.id, tmp_path / "none.csv")


def test_assessor_who_never_answers_is_left_out_and_nobody_scored_counts_as_medium(session: Session) -> None:
    a = _open(session)
    record_scores(session, a.id, "li_hua", {d: (2, 2) for d in DIMENSIONS})
    record_scores(session, a.id, "chen_gang", None)  # timed out: the safe default
    done = conclude(session, a.id)
    assert done.level == "低" and done.status == "completed"
    b = _open(session, key="k2")
    record_scores(session, b.id, "li_hua", None)
    record_scores(session, b.id, "chen_gang", None)
    assert conclude(session, b.id).level == "中"  # nobody answered: 3×3, never harmless


def test_level_rules_opposition_and_disagreement(session: Session, demo_config: Config) -> None:
    a = _open(session)
    add_survey(session, a.id, DATA / "survey_bad_rows.csv")  # 2 of 4 oppose = 50% → 高
    record_scores(session, a.id, "li_hua", {d: (1, 1) for d in DIMENSIONS})
    record_scores(session, a.id, "chen_gang", {d: (5, 5) if d == "opinion" else (1, 1) for d in DIMENSIONS})
    add_interviews(session, a.id, [{"stakeholder": "清风寺管委会", "position": "反对", "concerns": "收费标准"},
                                   {"stakeholder": "", "position": "支持"}], origin="form")
    done = conclude(session, a.id)
    assert done.level == "高"
    assert any("反对率 50%" in r for r in done.findings["reasons"])
    doc = build_risk_report(session, demo_config, a.id)
    text = str(doc)
    assert "分歧较大" in text and "处置预案" in text and "样本量偏小" in text and "95% 置信区间" in text
    report, _ = file_report(session, doc)
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", report.files["pdf"], "-"], capture_output=True, text=True,
                         check=True).stdout.replace("\n", "")
    assert "舆情风险评估报告" in pdf and "综合评估风险等级：高" in pdf and "2492" in pdf


def test_no_verdict_without_completed_assessment(session: Session) -> None:
    a = _open(session)
    assert decision_status(a.decision) == UNASSESSED
    with pytest.raises(AssessmentError, match="未经评估不决策"):
        record_verdict(session, a.decision_id, "可实施", by="wang_jun")
    record_scores(session, a.id, "li_hua", {d: (2, 2) for d in DIMENSIONS})
    conclude(session, a.id)
    d = record_verdict(session, a.decision_id, "暂缓实施", by="wang_jun")
    assert d.verdict == "暂缓实施" and d.verdict_by == "wang_jun" and decision_status(d) == "已评估"
    with pytest.raises(AssessmentError, match="must be one of"):
        record_verdict(session, a.decision_id, "批准", by="wang_jun")


def test_cli_lists_an_unassessed_decision_as_such(session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from yuqing.cli import cli

    _open(session)
    session.commit()
    monkeypatch.setenv("YUQING_DATABASE_URL", db_url)
    out = CliRunner().invoke(cli, ["risk", "list"], obj={})
    assert out.exit_code == 0, out.output
    assert "未评估\t未评估\t未评估" in out.output and "宗教活动场所管理办法" in out.output
