"""Tables of the on-duty desk: used acknowledgement links, escalation steps, handovers, notices.

Each has a natural unique key, so the sweep that writes it can run any number of times:
a link's nonce is used once; a warning has each escalation step once; a shift instance is handed
over once; a notice (one channel to one person about one step or handover) is sent once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yuqing.models import Base, IntPK, MaybeStamp, Stamp, UTCDateTime


class AckLinkUse(Base):
    """A used acknowledgement link: its nonce is the primary key, so a second use is refused by the store."""

    __tablename__ = "ack_link_uses"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"), index=True)
    person_id: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[Stamp]


class WarningEscalation(Base):
    """One step of a warning's escalation chain (1 备班, 2 分管领导, 3 主要负责同志), taken once."""

    __tablename__ = "warning_escalations"
    __table_args__ = (UniqueConstraint("warning_id", "step", name="uq_warning_escalations_step"),)

    id: Mapped[IntPK]
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    step: Mapped[int]
    role: Mapped[str] = mapped_column(String(16), comment="backup | leader | principal")
    person_id: Mapped[str | None] = mapped_column(String(64), comment="null when the step was skipped")
    status: Mapped[str] = mapped_column(String(16), comment="notified | skipped")
    note: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[Stamp]


class DutyHandover(Base):
    """交接班: a shift instance began; the open warnings passed to its person (once per shift instance)."""

    __tablename__ = "duty_handovers"

    id: Mapped[IntPK]
    shift_start: Mapped[datetime] = mapped_column(UTCDateTime(), unique=True)
    from_person: Mapped[str | None] = mapped_column(String(64), comment="null after a roster gap or on the first sweep")
    to_person: Mapped[str] = mapped_column(String(64))
    warning_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[Stamp]


class DutyNotice(Base):
    """One sending on one channel to one person about an escalation step or a handover; sent once."""

    __tablename__ = "duty_notices"

    id: Mapped[IntPK]
    key: Mapped[str] = mapped_column(String(200), unique=True, comment="escalation:<warning>:<step>:<channel> | handover:<id>:<channel>")
    kind: Mapped[str] = mapped_column(String(16), comment="escalation | handover")
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("warnings.id"))
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("duty_handovers.id"))
    person_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), comment="email | webhook")
    recipient: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending", comment="pending | sent | failed | cancelled")
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[MaybeStamp]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Stamp]
