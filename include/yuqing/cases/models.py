"""Tables of case handling (C4 受理→转办→反馈) and public response (C2d, C5, G1–G3).

Names other areas may read (issue 6 reports use them):

- ``Case`` (``cases``): one 受理 with its 受理编号 ``YQ-YYYYMMDD-NNNN``, what it came from (an event or a
  hotline / 网络问政 item), type, level, lead unit and 协办 units, 第一责任人 / 直接责任人, state and
  deadlines (``due_at``; for 重大/特别重大 also ``release_due_at`` and ``press_due_at``), and whether a
  deadline is ``deadline_provisional`` (a year the working-day calendar does not know).
- ``CaseTransition`` (``case_transitions``): every state change, who, when, why, from which run.
- ``CaseFeedback`` (``case_feedback``): each unit's feedback (lead and 协办).
- ``CaseEscalation`` (``case_escalations``): reminders (step 0), escalation to the 分管领导 (1) and to
  the 主要负责同志 (2), once per case, deadline and step.
- ``CaseApproval`` (``case_approvals``): each HITL decision — C2d assessment, 会签 by an agency, leader
  approval of a response — with who, when, the sha256 of the text decided on and the DAG run.
- ``PublicResponse`` (``public_responses``) and ``Publication`` (``publications``): a response text
  and its publication on each channel (微博, 微信, 网站) with URL/receipt and read-back verification.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuqing.models import Base, IntPK, MaybeStamp, Stamp

CASE_STATES: tuple[str, ...] = ("受理", "转办", "办理中", "反馈", "办结", "回访", "退回", "挂起")
OPEN_STATES: tuple[str, ...] = ("受理", "转办", "办理中", "退回")
"""States in which the office still owes an answer: deadlines run and escalate."""


class Case(Base):
    """一件受理的舆情或诉求 (C4, P2, P4)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("origin_key", name="uq_cases_origin_key"),
        Index("ix_cases_state", "state"),
        Index("ix_cases_opened_at", "opened_at"),
    )

    id: Mapped[IntPK]
    number: Mapped[str] = mapped_column(String(20), unique=True, comment="受理编号 YQ-YYYYMMDD-NNNN (Beijing date)")
    origin_key: Mapped[str] = mapped_column(String(100), comment="event:<id> or item:<id>; one case per origin")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(16), comment="channel of the origin item, if any")
    external_ref: Mapped[str | None] = mapped_column(String(200), comment="the hotline's own 受理编号, if any")
    title: Mapped[str] = mapped_column(String(1000))
    case_type: Mapped[str] = mapped_column(String(16), comment="舆情事件 | 咨询 | 投诉 | 求助 | 建议")
    level: Mapped[str] = mapped_column(String(8), default="一般")
    category: Mapped[str | None] = mapped_column(String(50))
    lead_unit: Mapped[str] = mapped_column(String(64), comment="unit id of the 主办 unit (谁主管谁负责)")
    co_units: Mapped[list[str]] = mapped_column(JSON, default=list, comment="unit ids of 协办 units")
    routing_rule: Mapped[str | None] = mapped_column(String(200), comment="which rule chose the lead unit")
    first_responsible: Mapped[str] = mapped_column(String(64), comment="person id of the 第一责任人")
    direct_responsible: Mapped[str | None] = mapped_column(String(64), comment="person id of the 直接责任人")
    state: Mapped[str] = mapped_column(String(8), default="受理")
    suspended_from: Mapped[str | None] = mapped_column(String(8), comment="state to resume after 挂起")
    state_reason: Mapped[str | None] = mapped_column(Text, comment="reason of the last 挂起 / 退回")
    opened_at: Mapped[Stamp]
    due_at: Mapped[datetime] = mapped_column(comment="reply deadline (答复时限)")
    release_due_at: Mapped[MaybeStamp] = mapped_column(comment="重大/特别重大: first authoritative release")
    press_due_at: Mapped[MaybeStamp] = mapped_column(comment="重大/特别重大: press conference")
    deadline_rule: Mapped[str] = mapped_column(String(200), comment="the rule that set the deadlines, in words")
    deadline_provisional: Mapped[bool] = mapped_column(default=False)
    deadline_note: Mapped[str | None] = mapped_column(Text, comment="why a deadline is provisional")
    assessment_state: Mapped[str] = mapped_column(
        String(16), default="not_needed", comment="C2d: not_needed | requested | approved | rejected | timed_out"
    )
    answered_at: Mapped[MaybeStamp] = mapped_column(comment="first 反馈 (reply) or first publication")
    closed_at: Mapped[MaybeStamp]
    updated_at: Mapped[Stamp]

    transitions: Mapped[list[CaseTransition]] = relationship(back_populates="case", order_by="CaseTransition.id")
    feedback: Mapped[list[CaseFeedback]] = relationship(back_populates="case", order_by="CaseFeedback.id")
    escalations: Mapped[list[CaseEscalation]] = relationship(back_populates="case", order_by="CaseEscalation.id")


class CaseTransition(Base):
    """One state change of a case."""

    __tablename__ = "case_transitions"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(8))
    to_state: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(64), comment="unit the case went to (转办 / 重新转办)")
    at: Mapped[Stamp]
    dag_run_id: Mapped[str | None] = mapped_column(String(250))

    case: Mapped[Case] = relationship(back_populates="transitions")


class CaseFeedback(Base):
    """A unit's feedback (反馈) on a case: the lead unit's answer or a 协办 unit's contribution."""

    __tablename__ = "case_feedback"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    unit: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8), comment="主办 | 协办")
    actor: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[Stamp]
    dag_run_id: Mapped[str | None] = mapped_column(String(250))

    case: Mapped[Case] = relationship(back_populates="feedback")


class CaseEscalation(Base):
    """A reminder or escalation about one deadline of a case, raised once and delivered once."""

    __tablename__ = "case_escalations"
    __table_args__ = (UniqueConstraint("case_id", "deadline", "step", name="uq_case_escalations_step"),)

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    deadline: Mapped[str] = mapped_column(String(16), comment="due | release | press | assessment")
    step: Mapped[int] = mapped_column(comment="0 reminder to 直接责任人, 1 分管领导, 2 主要负责同志")
    person: Mapped[str] = mapped_column(String(64), comment="person id notified")
    due_at: Mapped[datetime]
    raised_at: Mapped[Stamp]
    status: Mapped[str] = mapped_column(String(16), default="pending", comment="pending | sent | failed")
    sent_at: Mapped[MaybeStamp]
    error: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="escalations")


class CaseApproval(Base):
    """A human decision taken in an Airflow HITL step (G1 领导审核把关, C2d 报审, C5 会签)."""

    __tablename__ = "case_approvals"
    __table_args__ = (UniqueConstraint("dag_id", "run_id", "task_id", "map_index", name="uq_case_approvals_task"),)

    id: Mapped[IntPK]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("public_responses.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), comment="assessment | draft | countersign | publication")
    agency: Mapped[str | None] = mapped_column(String(200), comment="会签: the agency asked to confirm")
    assigned_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    text_sha256: Mapped[str | None] = mapped_column(String(64), comment="hash of the exact text shown for decision")
    decision: Mapped[str] = mapped_column(String(16), default="requested",
                                          comment="requested | approved | rejected | timed_out | submitted")
    decided_by: Mapped[str | None] = mapped_column(String(200), comment="Airflow user id; null on timeout")
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[Stamp]
    decided_at: Mapped[MaybeStamp]
    dag_id: Mapped[str] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250))
    task_id: Mapped[str] = mapped_column(String(250))
    map_index: Mapped[int] = mapped_column(default=-1)


class PublicResponse(Base):
    """A public response (公开回应) to a case: the text, its form and where it stands (C5)."""

    __tablename__ = "public_responses"
    __table_args__ = (UniqueConstraint("dag_run_id", name="uq_public_responses_dag_run_id"),)

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    form: Mapped[str] = mapped_column(String(16), comment="网上发布 | 专家解读 | 新闻发布会 | 媒体专访")
    template: Mapped[str] = mapped_column(String(16), comment="情况说明 | 辟谣 | 通报")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list, comment="weibo, wechat, website in order")
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list, comment="other agencies named: 会签 needed")
    state: Mapped[str] = mapped_column(
        String(16), default="draft",
        comment="draft | countersign | awaiting_approval | approved | rejected | refused | partial | published",
    )
    drafted_by: Mapped[str | None] = mapped_column(String(200))
    dag_run_id: Mapped[str] = mapped_column(String(250))
    created_at: Mapped[Stamp]
    approved_at: Mapped[MaybeStamp]
    first_published_at: Mapped[MaybeStamp]
    deadline_at: Mapped[MaybeStamp] = mapped_column(comment="the case deadline this response answers")
    on_time: Mapped[bool | None]

    publications: Mapped[list[Publication]] = relationship(back_populates="response", order_by="Publication.id")


class Publication(Base):
    """The approved text on one channel; unique per response and channel, so it is never posted twice."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("response_id", "channel", name="uq_publications_channel"),)

    id: Mapped[IntPK]
    response_id: Mapped[int] = mapped_column(ForeignKey("public_responses.id"))
    channel: Mapped[str] = mapped_column(String(16), comment="weibo | wechat | website")
    state: Mapped[str] = mapped_column(String(16), default="pending", comment="pending | published | verified | failed")
    text_sha256: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[MaybeStamp]
    verified_at: Mapped[MaybeStamp]
    error: Mapped[str | None] = mapped_column(Text)

    response: Mapped[PublicResponse] = relationship(back_populates="publications")
