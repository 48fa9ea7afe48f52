"""重大决策舆情风险评估 (C2b): from a proposal to a risk level, 处置预案, report and verdict.

Steps (each idempotent for its decision key): ``open_assessment`` → ``track`` (舆情跟踪 over stored
items) → ``import_survey`` (抽样调查, see ``survey``) → ``add_interviews`` (重点走访, from a form or a
file) → ``record_scores`` (会商分析: each assessor scores each dimension, or is recorded as not
answering) → ``conclude`` → ``build_risk_report`` → ``record_verdict``.

Risk level rules (after 发改投资〔2012〕2492号《重大固定资产投资项目社会稳定风险评估暂行办法》: 高 =
大部分群众有意见、反应特别强烈; 中 = 部分群众有意见、反应强烈; 低 = 多数群众理解支持、少部分人有意见):
- 高: survey opposition share ≥ 50% (大部分), or any risk with likelihood × impact ≥ 16;
- 中: opposition ≥ 20% (部分), or any risk with L × I ≥ 9, or at least half of the interviewed
  stakeholders oppose, or tracked items are ≥ 50% negative (at least 10 items);
- 低: otherwise.
Each risk dimension is scored 1–5 for likelihood and impact by every assessor; the combined score
is the mean of those who answered; the spread (max − min of L × I) shows disagreement (≥ 8 =
分歧较大). An assessor who never answers is recorded as 未作答 and left out; a dimension nobody
scored is counted at 3 × 3 (中), never as harmless. Suggested verdict: 高 → 不实施, 中 → 暂缓实施
(until the 预案 measures are in place), 低 → 可实施; the leader's recorded verdict is what counts.
未经评估不决策: a decision without a completed assessment shows as 未评估 (``decision_status``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.config import Config
from yuqing.models import Item, Source, utcnow
from yuqing.reports.document import Chart, Paragraph, Ref, ReportDocument, Section, Table
from yuqing.risk.models import AssessorScore, Decision, Interview, Risk, RiskAssessment
from yuqing.risk.survey import STANCE_NAMES, STANCES, SurveyImport, import_survey, survey_stats
from yuqing.templating import beijing, plain

DIMENSIONS: dict[str, tuple[str, str, str]] = {
    # key: (name, what the risk is, 处置预案 template)
    "legality": ("合法合规性", "决策内容或程序与法律法规、民族宗教政策不一致，引发质疑",
                 "由政策法规科牵头开展合法性审查，对照《宗教事务条例》等逐条核对；公开征求意见并说明依据，必要时修改条款后再提交决策。"),
    "acceptance": ("群众接受度", "受影响群体对决策不理解、不接受，出现集中反映或上访",
                   "在实施前召开座谈会、听证会，向受影响群体当面解释；设立咨询电话和意见箱，对合理诉求逐条回应并公开采纳情况。"),
    "feasibility": ("实施可行性", "实施条件、资金或配套措施不足，导致执行走样引发矛盾",
                    "明确牵头单位、配合单位和时间表，分步试点后推开；预留过渡期，建立实施情况周报和问题台账。"),
    "ethnic_religious": ("民族宗教因素", "涉及民族宗教敏感因素，被误读为针对特定民族或宗教",
                         "事先与宗教团体、场所负责人和民族代表沟通，争取理解支持；统一对外口径，防止不当表述；重点人员落实一对一联系。"),
    "opinion": ("舆情可控性", "决策公布后网上出现负面炒作、谣言，舆情升级",
                "制定舆情应对口径和新闻发布方案，决策公布同步发布政策解读；实行 24 小时舆情监测，出现谣言 1 小时内核实、及时澄清。"),
}
HIGH_PRODUCT, MEDIUM_PRODUCT = 16, 9
HIGH_OPPOSE, MEDIUM_OPPOSE = 0.5, 0.2
DISAGREEMENT_SPREAD = 8
VERDICTS = ("可实施", "暂缓实施", "不实施")
SUGGESTED = {"高": "不实施", "中": "暂缓实施", "低": "可实施"}
UNASSESSED = "未评估"


class AssessmentError(RuntimeError):
    pass


def product_level(product: float) -> str:
    return "高" if product >= HIGH_PRODUCT else "中" if product >= MEDIUM_PRODUCT else "低"


def open_assessment(session: Session, *, key: str, title: str, summary: str = "", affected_groups: list[str] | None = None,
                    keywords: list[str] | None = None, planned_date: str | None = None,
                    team: list[str] | None = None) -> RiskAssessment:
    """The decision with this key and its open assessment; the same key gives back the same rows."""
    if not title.strip():
        raise AssessmentError("a decision needs a title (决策事项名称)")
    decision = session.scalars(select(Decision).where(Decision.key == key)).first()
    if decision is None:
        decision = Decision(key=key, title=title.strip(), summary=summary, affected_groups=affected_groups or [],
                            keywords=keywords or [], planned_date=planned_date, team=team or [])
        session.add(decision)
        session.flush()
        audit.record(session, actor="system:risk", action="decision.proposed", object_type="decision",
                     object_id=decision.id, detail={"title": title, "key": key})
    current = decision.assessments[-1] if decision.assessments else None
    if current is None:
        current = RiskAssessment(decision_id=decision.id)
        session.add(current)
        session.flush()
        session.refresh(decision)
    return current


def _assessment(session: Session, assessment_id: int) -> RiskAssessment:
    a = session.get(RiskAssessment, assessment_id)
    if a is None:
        raise AssessmentError(f"risk assessment {assessment_id} does not exist")
    return a


def track(session: Session, assessment_id: int, *, days: int = 30, now: datetime | None = None) -> dict:
    """舆情跟踪: stored items mentioning any keyword in the window; counts, negatives, examples."""
    a = _assessment(session, assessment_id)
    now = now or utcnow()
    keywords = [k for k in a.decision.keywords if k.strip()]
    result = {"keywords": keywords, "days": days, "total": 0, "negative": 0, "items": []}
    if keywords:
        since = now - timedelta(days=days)
        cond = or_(*[Item.text.contains(k) for k in keywords], *[Item.title.contains(k) for k in keywords])
        rows = session.execute(select(Item, Source.name).join(Source, Source.id == Item.source_id)
                               .where(Item.collected_at >= since, cond).order_by(Item.collected_at.desc())).all()
        result["total"] = len(rows)
        result["negative"] = sum(1 for it, _ in rows if it.sentiment == "negative")
        result["items"] = [{"id": it.id, "source": src, "time": beijing(it.published_at or it.collected_at),
                            "title": plain(it.title or it.text, 80), "url": it.url or "", "sentiment": it.sentiment}
                           for it, src in rows[:10]]
    a.findings = {**a.findings, "tracking": result}
    return result


def add_survey(session: Session, assessment_id: int, path: Path | str) -> SurveyImport:
    a = _assessment(session, assessment_id)
    result = import_survey(session, assessment_id, path)
    a.findings = {**a.findings, "survey_import": {"path": Path(result.path).name, "imported": result.imported,
                                                  "already": result.already, "errors": result.errors}}
    return result


def add_interviews(session: Session, assessment_id: int, records: list[dict], *, origin: str) -> tuple[int, list[str]]:
    """重点走访 records ``{"stakeholder", "position", "concerns"}``; bad ones named, not stored."""
    _assessment(session, assessment_id)
    known = set(session.scalars(select(Interview.stakeholder).where(Interview.assessment_id == assessment_id)))
    added, errors = 0, []
    for i, r in enumerate(records, start=1):
        who = str(r.get("stakeholder") or r.get("对象") or "").strip()
        pos = STANCES.get(str(r.get("position") or r.get("态度") or "").strip().lower())
        if not who:
            errors.append(f"走访记录{i}：缺少走访对象")
            continue
        if pos is None:
            errors.append(f"走访记录{i}（{who}）：态度应为支持/反对/中立")
            continue
        if who in known:
            continue
        known.add(who)
        session.add(Interview(assessment_id=assessment_id, stakeholder=who, position=pos,
                              concerns=str(r.get("concerns") or r.get("关切") or "").strip(), origin=origin))
        added += 1
    session.flush()
    return added, errors


def read_interview_file(path: Path | str) -> list[dict]:
    """Interview records from CSV/XLSX (对象/stakeholder, 态度/position, 关切/concerns) or JSON."""
    import json

    from yuqing.risk.survey import _rows

    path = Path(path)
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else data.get("interviews", [])
    rows = _rows(path)
    header = [h.strip().lower() for h in rows[0]] if rows else []
    aliases = {"对象": "stakeholder", "走访对象": "stakeholder", "态度": "position", "关切": "concerns", "主要关切": "concerns"}
    keys = [aliases.get(h, h) for h in header]
    return [dict(zip(keys, row, strict=False)) for row in rows[1:] if any(c.strip() for c in row)]


def record_scores(session: Session, assessment_id: int, assessor: str, scores: dict[str, tuple[int, int]] | None,
                  note: str = "") -> None:
    """One assessor's 会商 scores (1–5 likelihood, impact per dimension), or ``None`` = 未作答."""
    _assessment(session, assessment_id)
    for dim in DIMENSIONS:
        row = session.scalars(select(AssessorScore).where(AssessorScore.assessment_id == assessment_id,
                                                          AssessorScore.assessor == assessor,
                                                          AssessorScore.dimension == dim)).first()
        if row is None:
            row = AssessorScore(assessment_id=assessment_id, assessor=assessor, dimension=dim)
            session.add(row)
        if scores is None:
            row.answered, row.likelihood, row.impact, row.note = False, None, None, note or "未作答（超时）"
            continue
        lik, imp = scores[dim]
        for what, v in (("likelihood", lik), ("impact", imp)):
            if not isinstance(v, int) or not 1 <= v <= 5:
                raise AssessmentError(f"assessor {assessor}, {DIMENSIONS[dim][0]}: {what} must be 1–5, got {v!r}")
        row.answered, row.likelihood, row.impact, row.note = True, lik, imp, note or None
    session.flush()


def conclude(session: Session, assessment_id: int, *, now: datetime | None = None) -> RiskAssessment:
    """Combine the scores into risks, apply the level rules and mark the assessment completed."""
    a = _assessment(session, assessment_id)
    scores = session.scalars(select(AssessorScore).where(AssessorScore.assessment_id == assessment_id)).all()
    survey = survey_stats(session, assessment_id)
    interviews = session.scalars(select(Interview).where(Interview.assessment_id == assessment_id)).all()
    tracking = a.findings.get("tracking", {})
    reasons: list[str] = []
    levels: list[str] = []
    for dim, (name, description, plan) in DIMENSIONS.items():
        answered = [s for s in scores if s.dimension == dim and s.answered]
        if answered:
            lik = sum(s.likelihood or 0 for s in answered) / len(answered)
            imp = sum(s.impact or 0 for s in answered) / len(answered)
            products = [(s.likelihood or 0) * (s.impact or 0) for s in answered]
            spread = float(max(products) - min(products))
        else:
            lik = imp = 3.0
            spread = 0.0
        level = product_level(lik * imp)
        risk = session.scalars(select(Risk).where(Risk.assessment_id == assessment_id, Risk.dimension == dim)).first()
        if risk is None:
            risk = Risk(assessment_id=assessment_id, dimension=dim, description=description, plan=plan,
                        likelihood=lik, impact=imp, level=level)
            session.add(risk)
        risk.likelihood, risk.impact, risk.level, risk.disagreement = lik, imp, level, spread
        levels.append(level)
        if level == "高":
            reasons.append(f"{name}风险高（可能性 {lik:.1f} × 影响 {imp:.1f} = {lik * imp:.1f} ≥ {HIGH_PRODUCT}）")
        elif level == "中":
            reasons.append(f"{name}风险中等（{lik * imp:.1f} ≥ {MEDIUM_PRODUCT}）")
    oppose = survey["shares"]["oppose"]["share"] if survey["n"] else 0.0
    if survey["n"] and oppose >= HIGH_OPPOSE:
        levels.append("高")
        reasons.append(f"问卷反对率 {oppose:.0%} ≥ {HIGH_OPPOSE:.0%}（大部分群众有意见）")
    elif survey["n"] and oppose >= MEDIUM_OPPOSE:
        levels.append("中")
        reasons.append(f"问卷反对率 {oppose:.0%} ≥ {MEDIUM_OPPOSE:.0%}（部分群众有意见）")
    if interviews and sum(1 for i in interviews if i.position == "oppose") * 2 >= len(interviews):
        levels.append("中")
        reasons.append("半数以上走访对象持反对意见")
    if tracking.get("total", 0) >= 10 and tracking.get("negative", 0) * 2 >= tracking["total"]:
        levels.append("中")
        reasons.append(f"相关网络信息负面占比 {tracking['negative'] / tracking['total']:.0%}")
    overall = "高" if "高" in levels else "中" if "中" in levels else "低"
    a.level = overall
    a.status = "completed"
    a.completed_at = a.completed_at or now or utcnow()  # first completion; a rerun keeps the report one version
    a.findings = {**a.findings, "survey": survey, "reasons": reasons or ["各维度风险均为低，多数群众理解支持"],
                  "suggested_verdict": SUGGESTED[overall]}
    session.flush()
    audit.record(session, actor="system:risk", action="risk_assessment.concluded", object_type="risk_assessment",
                 object_id=a.id, detail={"decision_id": a.decision_id, "level": overall, "reasons": reasons})
    return a


def record_verdict(session: Session, decision_id: int, verdict: str, *, by: str, now: datetime | None = None) -> Decision:
    """The leader's recorded verdict; refused unless the latest assessment is completed (未经评估不决策)."""
    if verdict not in VERDICTS:
        raise AssessmentError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise AssessmentError(f"decision {decision_id} does not exist")
    if decision_status(decision) == UNASSESSED:
        raise AssessmentError(f"decision {decision_id} has no completed risk assessment (未经评估不决策)")
    if decision.verdict == verdict and decision.verdict_by == by:
        return decision
    decision.verdict, decision.verdict_by, decision.verdict_at = verdict, by, now or utcnow()
    audit.record(session, actor=by, action="decision.verdict", object_type="decision", object_id=decision.id,
                 detail={"verdict": verdict, "level": decision.assessments[-1].level})
    return decision


def decision_status(decision: Decision) -> str:
    """``已评估`` when the latest assessment is completed, else ``未评估``."""
    latest = decision.assessments[-1] if decision.assessments else None
    return "已评估" if latest is not None and latest.status == "completed" else UNASSESSED


def decisions_in_period(session: Session, start: datetime, end: datetime) -> list[dict]:
    out = []
    for d in session.scalars(select(Decision).where(Decision.created_at < end).order_by(Decision.id)):
        latest = d.assessments[-1] if d.assessments else None
        if d.created_at < start and (d.verdict_at is None or d.verdict_at < start) and \
                (latest is None or latest.completed_at is None or latest.completed_at < start):
            continue
        status = decision_status(d)
        out.append({"id": d.id, "title": d.title, "status": status,
                    "level": latest.level if status != UNASSESSED and latest else UNASSESSED,
                    "verdict": d.verdict or ("待决策" if status != UNASSESSED else UNASSESSED)})
    return out


def build_risk_report(session: Session, config: Config, assessment_id: int, *, now: datetime | None = None) -> ReportDocument:
    a = _assessment(session, assessment_id)
    if a.status != "completed":
        raise AssessmentError(f"risk assessment {assessment_id} is not concluded yet")
    d = a.decision
    now = now or utcnow()
    f = a.findings
    names = {p.id: p.name for p in config.people}
    sections: list[Section] = []
    sections.append(Section("一、决策事项", (
        Paragraph(f"决策事项：{d.title}。{d.summary}"),
        Table(("项目", "内容"), (("涉及群体", "、".join(d.affected_groups) or "—"), ("关键词", "、".join(d.keywords) or "—"),
                                 ("拟实施日期", d.planned_date or "—"),
                                 ("评估组成员", "、".join(names.get(t, t) for t in d.team) or "—"))),
    )))
    tr = f.get("tracking", {})
    refs = tuple(Ref(i["id"], i["source"], i["time"], i["title"], i["url"]) for i in tr.get("items", []))
    sections.append(Section("二、舆情跟踪", (
        Paragraph(f"以“{'、'.join(tr.get('keywords', []))}”为关键词检索近 {tr.get('days', 0)} 天的存储信息，共 {tr.get('total', 0)} 条，"
                  f"其中负面 {tr.get('negative', 0)} 条。" if tr.get("total") else "跟踪期内未检索到相关网络信息。",
                  refs[:5], max(0, tr.get("total", 0) - min(5, len(refs)))),
    )))
    sv = f.get("survey") or survey_stats(session, assessment_id)
    imp = f.get("survey_import", {})
    survey_blocks: list = []
    if imp:
        survey_blocks.append(Paragraph(f"导入问卷文件 {imp.get('path')}：有效问卷 {sv['n']} 份" +
                                       (f"，剔除无效行 {len(imp['errors'])} 行（{'；'.join(imp['errors'][:10])}）" if imp.get("errors") else "") + "。"))
    survey_blocks.append(Table(("态度", "份数", "占比", "95% 置信区间"), tuple(
        (s["name"], str(s["count"]), f"{s['share']:.1%}", f"{s['low']:.1%} – {s['high']:.1%}") for s in sv["shares"].values()),
        numeric=(1, 2), note="置信区间采用 Wilson 方法（95%）。"))
    if sv["warning"]:
        survey_blocks.append(Paragraph(sv["warning"], style="notice"))
    survey_blocks.append(Chart("bar", "问卷态度分布（%）", tuple(s["name"] for s in sv["shares"].values()),
                               (("占比", tuple(100 * s["share"] for s in sv["shares"].values())),), "%", name="survey"))
    sections.append(Section("三、抽样调查", tuple(survey_blocks)))
    interviews = session.scalars(select(Interview).where(Interview.assessment_id == assessment_id).order_by(Interview.id)).all()
    sections.append(Section("四、重点走访", (Table(("走访对象", "态度", "主要关切", "来源"), tuple(
        (i.stakeholder, STANCE_NAMES.get(i.position, i.position), i.concerns or "—", "表单" if i.origin == "form" else "文件")
        for i in interviews), empty="未录入走访记录。"),)))
    scores = session.scalars(select(AssessorScore).where(AssessorScore.assessment_id == assessment_id)
                             .order_by(AssessorScore.assessor, AssessorScore.id)).all()
    assessors = sorted({s.assessor for s in scores})
    score_rows = []
    for who in assessors:
        mine = {s.dimension: s for s in scores if s.assessor == who}
        score_rows.append((names.get(who, who),) + tuple(
            f"{mine[k].likelihood}×{mine[k].impact}" if k in mine and mine[k].answered else "未作答" for k in DIMENSIONS))
    risks = session.scalars(select(Risk).where(Risk.assessment_id == assessment_id).order_by(Risk.id)).all()
    sections.append(Section("五、会商分析", (
        Table(("评估人",) + tuple(v[0] for v in DIMENSIONS.values()), tuple(score_rows),
              note="各格为“可能性×影响程度”（1–5 分）；未作答者不计入合成分值。", empty="无评估人评分。"),
        Table(("风险维度", "可能性", "影响程度", "风险值", "等级", "分歧"), tuple(
            (DIMENSIONS[r.dimension][0], f"{r.likelihood:.1f}", f"{r.impact:.1f}", f"{r.likelihood * r.impact:.1f}", r.level,
             ("分歧较大" if r.disagreement >= DISAGREEMENT_SPREAD else "基本一致") + f"（极差 {r.disagreement:.0f}）")
            for r in risks), numeric=(1, 2, 3)),
        Chart("bar", "各风险维度风险值（可能性×影响）", tuple(DIMENSIONS[r.dimension][0] for r in risks),
              (("风险值", tuple(r.likelihood * r.impact for r in risks)),), name="risks"),
    )))
    sections.append(Section("六、风险等级与依据", (
        Paragraph(f"综合评估风险等级：{a.level}。", style="lead"),
        *[Paragraph(f"{i}. {r}") for i, r in enumerate(f.get("reasons", []), 1)],
        Paragraph("判定规则参照《重大固定资产投资项目社会稳定风险评估暂行办法》（发改投资〔2012〕2492号）：问卷反对率≥50%或任一风险值≥16 为高风险；"
                  "反对率≥20%、任一风险值≥9、半数以上走访对象反对或网络信息负面占比≥50% 为中风险；其余为低风险。"),
    )))
    sections.append(Section("七、处置预案", tuple(
        Paragraph(f"{DIMENSIONS[r.dimension][0]}（{r.level}风险：{r.description}）：{r.plan}") for r in risks)))
    verdict = d.verdict or "待领导审定"
    sections.append(Section("八、评估结论", (
        Paragraph(f"建议结论：{SUGGESTED.get(a.level or '中', '暂缓实施')}。决策结论：{verdict}"
                  + (f"（{names.get(d.verdict_by or '', d.verdict_by)}，{beijing(d.verdict_at)}）" if d.verdict else "") + "。"),
    )))
    return ReportDocument(
        kind="risk", key=f"decision:{d.id}", title=f"关于“{plain(d.title, 60)}”的舆情风险评估报告",
        organisation=config.organisation.name, subtitle=f"风险等级：{a.level}",
        meta=(("评估完成", beijing(a.completed_at)), ("决策结论", verdict)),
        sections=tuple(sections), sources=refs,
        footer="未经评估不决策。本报告由评估组会商形成，报领导审定；个人信息已脱敏处理。",
        generated_at=beijing(now),
        extra={"decision_id": d.id, "level": a.level},
    )
