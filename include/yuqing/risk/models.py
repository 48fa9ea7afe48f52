"""Store tables for 重大决策舆情风险评估 (C2b): decisions, assessments and their evidence.

未经评估不决策: a decision whose latest assessment is not completed shows as 未评估 wherever it
appears (see ``yuqing.risk.assessment.decision_status``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuqing.models import Base, IntPK, MaybeStamp, Stamp


class Decision(Base):
    """A proposed 重大决策 (e.g. a new regulation on venue management) and its recorded verdict."""

    __tablename__ = "decisions"

    id: Mapped[IntPK]
    key: Mapped[str] = mapped_column(String(250), unique=True, comment="the DAG run (or CLI key) that proposed it")
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    affected_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    planned_date: Mapped[str | None] = mapped_column(String(10))
    team: Mapped[list[str]] = mapped_column(JSON, default=list, comment="person ids of the assessors")
    verdict: Mapped[str | None] = mapped_column(String(8), comment="可实施 | 暂缓实施 | 不实施")
    verdict_by: Mapped[str | None] = mapped_column(String(200))
    verdict_at: Mapped[MaybeStamp]
    created_at: Mapped[Stamp]

    assessments: Mapped[list[RiskAssessment]] = relationship(back_populates="decision", order_by="RiskAssessment.id")


class RiskAssessment(Base):
    """One assessment of a decision: tracking, survey, interviews, 会商 scores → level and risks."""

    __tablename__ = "risk_assessments"

    id: Mapped[IntPK]
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress", comment="in_progress | completed")
    level: Mapped[str | None] = mapped_column(String(4), comment="高 | 中 | 低")
    findings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="tracking, survey and scoring summaries")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    started_at: Mapped[Stamp]
    completed_at: Mapped[MaybeStamp]

    decision: Mapped[Decision] = relationship(back_populates="assessments")


class SurveyResponse(Base):
    """One answer of the 抽样调查, imported from a CSV/XLSX file."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("assessment_id", "respondent", name="uq_survey_responses_respondent"),)

    id: Mapped[IntPK]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risk_assessments.id"), index=True)
    respondent: Mapped[str] = mapped_column(String(200))
    stance: Mapped[str] = mapped_column(String(8), comment="support | oppose | neutral")
    group: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    source_row: Mapped[int] = mapped_column(comment="row number in the imported file")


class Interview(Base):
    """One 重点走访 record: who was visited, where they stand, what worries them."""

    __tablename__ = "interviews"
    __table_args__ = (UniqueConstraint("assessment_id", "stakeholder", name="uq_interviews_stakeholder"),)

    id: Mapped[IntPK]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risk_assessments.id"), index=True)
    stakeholder: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(8), comment="support | oppose | neutral")
    concerns: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(16), default="file", comment="file | form")


class AssessorScore(Base):
    """One assessor's 会商 score of one risk dimension (likelihood and impact, 1–5), or no answer."""

    __tablename__ = "assessor_scores"
    __table_args__ = (UniqueConstraint("assessment_id", "assessor", "dimension", name="uq_assessor_scores_target"),)

    id: Mapped[IntPK]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risk_assessments.id"), index=True)
    assessor: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[str] = mapped_column(String(50))
    answered: Mapped[bool] = mapped_column(default=True)
    likelihood: Mapped[int | None]
    impact: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)


class Risk(Base):
    """A risk found by the assessment, with its combined likelihood, impact and 处置预案."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("assessment_id", "dimension", name="uq_risks_dimension"),)

    id: Mapped[IntPK]
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risk_assessments.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    likelihood: Mapped[float]
    impact: Mapped[float]
    level: Mapped[str] = mapped_column(String(4), comment="高 | 中 | 低")
    disagreement: Mapped[float] = mapped_column(default=0.0, comment="spread of assessors' L×I scores")
    plan: Mapped[str] = mapped_column(Text, comment="处置预案")
