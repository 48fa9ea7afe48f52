"""Store tables for reports (舆情专报, 周报, 月报, 风险评估报告) and their 归口报送.

A report is identified by ``(kind, key)`` — e.g. ``("special", "event:12")`` or
``("weekly", "2026-W47")`` — and each rendering whose content differs gets a new ``version``.
Approval is per version; a delivery is unique per (version, channel, address), so an approved
version is sent to a recipient at most once, however often a task or the CLI is re-run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yuqing.models import Base, IntPK, MaybeStamp, Stamp


class Report(Base):
    """One version of one report: its files, its content hash and the leader's decision on it."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "key", "version", name="uq_reports_version"),)

    id: Mapped[IntPK]
    kind: Mapped[str] = mapped_column(String(16), comment="special | weekly | monthly | risk")
    key: Mapped[str] = mapped_column(String(100), comment="what it is about: event:<id>, 2026-W47, 2026-11, decision:<id>")
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64), comment="sha256 of the report content (not of the render time)")
    status: Mapped[str] = mapped_column(String(16), default="draft", comment="draft | approved | rejected")
    decided_by: Mapped[str | None] = mapped_column(String(200), comment="who approved or rejected (person id / Airflow user)")
    decided_at: Mapped[MaybeStamp]
    decision_note: Mapped[str | None] = mapped_column(Text)
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="format -> path (html, pdf, docx)")
    item_refs: Mapped[list[str]] = mapped_column(JSON, default=list, comment="ids of the stored items its statements cite")
    created_at: Mapped[Stamp]

    deliveries: Mapped[list[ReportDelivery]] = relationship(back_populates="report", order_by="ReportDelivery.id")


class ReportDelivery(Base):
    """One 报送 of one report version on one channel to one recipient, with its receipt."""

    __tablename__ = "report_deliveries"
    __table_args__ = (
        UniqueConstraint("report_id", "channel", "address", name="uq_report_deliveries_target"),
    )

    id: Mapped[IntPK]
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(300), comment="name of the receiving office")
    level: Mapped[str] = mapped_column(String(16), comment="same_level (本级) | upper (上级)")
    channel: Mapped[str] = mapped_column(String(16), comment="email | webhook")
    address: Mapped[str] = mapped_column(String(300), comment="mail address, or Airflow connection id of the webhook")
    status: Mapped[str] = mapped_column(String(16), default="pending", comment="pending | sent | failed")
    attempts: Mapped[int] = mapped_column(default=0)
    receipt: Mapped[str | None] = mapped_column(Text, comment="what the receiving server answered")
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[MaybeStamp]
    created_at: Mapped[Stamp]

    report: Mapped[Report] = relationship(back_populates="deliveries")
