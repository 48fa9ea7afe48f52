"""Store tables for 谣言核实 (C1: 疑虑/误解/谣言与门户网、政府热线、政务微博核实衔接).

One verification per event (``event_id`` is unique): marking the same event again never opens a
second one. Each configured verifying body has one finding row per verification; a body that never
answers stays 未答复 and is left out of the outcome. The outcome (属实 / 不实 / 部分属实 / 无法核实) and
who concluded it are kept on the verification, next to the event it is about; every change is also
an audit entry.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuqing.models import Base, IntPK, MaybeStamp, Stamp


class Verification(Base):
    """A suspected rumour (疑似谣言) or misunderstanding (误解) about one event, and its verification."""

    __tablename__ = "verifications"

    id: Mapped[IntPK]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), comment="the item marked by hand, if any")
    mark: Mapped[str] = mapped_column(String(8), comment="疑似谣言 | 误解")
    origin: Mapped[str] = mapped_column(String(8), comment="人工标记 | 分析提示")
    cues: Mapped[list[str]] = mapped_column(JSON, default=list, comment="rumour cue words the analysis matched")
    reason: Mapped[str] = mapped_column(Text, default="")
    marked_by: Mapped[str] = mapped_column(String(200), comment="person id, or system:analysis")
    state: Mapped[str] = mapped_column(String(8), default="待核实", comment="待核实 | 核实中 | 已核实")
    outcome: Mapped[str | None] = mapped_column(String(8), comment="属实 | 不实 | 部分属实 | 无法核实")
    outcome_note: Mapped[str | None] = mapped_column(Text, comment="the concluder's note, or the rule applied")
    concluded_by: Mapped[str | None] = mapped_column(String(200), comment="person id, or system:<rule>")
    concluded_at: Mapped[MaybeStamp]
    dag_run_id: Mapped[str | None] = mapped_column(String(250), comment="the verification run asking the bodies")
    rebuttal_case: Mapped[str | None] = mapped_column(String(20), comment="受理编号 of the case the 辟谣 is for")
    rebuttal_run_id: Mapped[str | None] = mapped_column(String(250), comment="yuqing_public_response run (辟谣)")
    created_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]

    findings: Mapped[list[VerificationFinding]] = relationship(
        back_populates="verification", order_by="VerificationFinding.id"
    )


class VerificationFinding(Base):
    """One verifying body's finding (核实意见) with its evidence; 未答复 when it never answered."""

    __tablename__ = "verification_findings"
    __table_args__ = (UniqueConstraint("verification_id", "body_id", name="uq_verification_findings_body"),)

    id: Mapped[IntPK]
    verification_id: Mapped[int] = mapped_column(ForeignKey("verifications.id"), index=True)
    body_id: Mapped[str] = mapped_column(String(64))
    body_name: Mapped[str] = mapped_column(String(200))
    body_kind: Mapped[str] = mapped_column(String(8), comment="门户网站 | 政府热线 | 政务微博 | 责任单位")
    status: Mapped[str] = mapped_column(String(8), default="待答复", comment="待答复 | 已答复 | 未答复")
    finding: Mapped[str | None] = mapped_column(String(8), comment="属实 | 不实 | 部分属实 | 无法核实")
    evidence: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    responded_by: Mapped[str | None] = mapped_column(String(200))
    responded_at: Mapped[MaybeStamp]
    created_at: Mapped[Stamp]

    verification: Mapped[Verification] = relationship(back_populates="findings")
