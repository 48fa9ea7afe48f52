"""The store: typed SQLAlchemy 2 models.

Times are stored in UTC (``UTCDateTime`` returns aware datetimes); anything shown to people is
converted to Asia/Shanghai at the edge. Every table that a rerun could write twice has a natural
unique key, so the tasks that write it can be idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones, PostgreSQL keeps ours."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


IntPK = Annotated[int, mapped_column(Integer().with_variant(BigInteger, "postgresql"), primary_key=True)]
Stamp = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow)]
MaybeStamp = Annotated[datetime | None, mapped_column(UTCDateTime())]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: UTCDateTime()}


class Source(Base):
    """A watched channel and its health (不漏报: a silent or failing source is itself a warning)."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000))
    enabled: Mapped[bool] = mapped_column(default=True)
    cadence_minutes: Mapped[int] = mapped_column(default=60)
    health: Mapped[str] = mapped_column(String(16), default="unknown", comment="ok | failing | silent | unknown")
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[MaybeStamp]
    last_success_at: Mapped[MaybeStamp]
    last_new_item_at: Mapped[MaybeStamp]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Stamp]


class Item(Base):
    """One collected post, article, comment, hotline record or manual entry."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="uq_items_source_external"),
        Index("ix_items_collected_at", "collected_at"),
        Index("ix_items_content_hash", "content_hash"),
        Index("ix_items_event_id", "event_id"),
        Index("ix_items_analyzed_at", "analyzed_at"),
    )

    id: Mapped[IntPK]
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str] = mapped_column(String(500), comment="the source's id, else its URL, else the content hash")
    channel: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(1000))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[MaybeStamp]
    collected_at: Mapped[Stamp]
    content_hash: Mapped[str] = mapped_column(String(64), comment="sha256 of the normalised title + text")
    engagement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="source-specific fields, e.g. 受理编号")
    # analysis (filled by yuqing.analysis; null until analysed)
    analyzed_at: Mapped[MaybeStamp]
    relevant: Mapped[bool | None]
    matched_terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    sentiment: Mapped[str | None] = mapped_column(String(8))
    sentiment_score: Mapped[float | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))

    source: Mapped[Source] = relationship()
    event: Mapped[Event | None] = relationship(back_populates="items", foreign_keys=[event_id])


class CollectionCursor(Base):
    """Where incremental collection of a source stands: validators for conditional GET and what was seen."""

    __tablename__ = "collection_cursors"

    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_published_at: Mapped[MaybeStamp]
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[Stamp]


class CollectionRun(Base):
    """One attempt to collect one source: the evidence behind 不漏报、不迟报."""

    __tablename__ = "collection_runs"
    __table_args__ = (Index("ix_collection_runs_source_started", "source_id", "started_at"),)

    id: Mapped[IntPK]
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    started_at: Mapped[Stamp]
    finished_at: Mapped[MaybeStamp]
    status: Mapped[str] = mapped_column(String(16), comment="success | not_modified | failed")
    items_found: Mapped[int] = mapped_column(default=0)
    items_new: Mapped[int] = mapped_column(default=0)
    items_rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    dag_run_id: Mapped[str | None] = mapped_column(String(250))


class Event(Base):
    """A cluster of items about one matter (舆情事件), graded by C2a 研判标准."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_last_seen_at", "last_seen_at"),)

    id: Mapped[IntPK]
    title: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="open", comment="open | closed")
    level: Mapped[str] = mapped_column(String(8), default="一般")
    score: Mapped[float] = mapped_column(default=0.0)
    heat: Mapped[float] = mapped_column(default=0.0)
    item_count: Mapped[int] = mapped_column(default=0)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    signature: Mapped[list[str]] = mapped_column(JSON, default=list, comment="key terms used to join new items")
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_value: Mapped[str | None] = mapped_column(String(8), comment="需回应 | 持续关注 | 无需回应")
    representative_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", use_alter=True))
    first_seen_at: Mapped[Stamp]
    last_seen_at: Mapped[Stamp]
    updated_at: Mapped[Stamp]

    items: Mapped[list[Item]] = relationship(back_populates="event", foreign_keys=[Item.event_id])
    level_changes: Mapped[list[EventLevelChange]] = relationship(back_populates="event", order_by="EventLevelChange.id")


class EventLevelChange(Base):
    """Each grade an event has had, so upgrades and downgrades are on record."""

    __tablename__ = "event_level_changes"

    id: Mapped[IntPK]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    from_level: Mapped[str | None] = mapped_column(String(8))
    to_level: Mapped[str] = mapped_column(String(8))
    score: Mapped[float]
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[Stamp]

    event: Mapped[Event] = relationship(back_populates="level_changes")


class EarlyWarning(Base):
    """A 预警: an event at or above the warning level, or a source-health problem.

    ``dedup_key`` makes a warning exist once per cause, so reruns never raise it again.
    """

    __tablename__ = "warnings"

    id: Mapped[IntPK]
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16), comment="event | source_health")
    level: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(1000))
    summary: Mapped[str] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    source_id: Mapped[str | None] = mapped_column(ForeignKey("sources.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", comment="open | acknowledged | closed")
    duty_person: Mapped[str | None] = mapped_column(String(64), comment="person id on duty when raised")
    created_at: Mapped[Stamp]
    acknowledged_at: Mapped[MaybeStamp]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))

    deliveries: Mapped[list[WarningDelivery]] = relationship(back_populates="warning", order_by="WarningDelivery.id")


class WarningDelivery(Base):
    """One sending of a warning on one channel to one recipient; unique so it is never sent twice."""

    __tablename__ = "warning_deliveries"
    __table_args__ = (UniqueConstraint("warning_id", "channel", "recipient", name="uq_warning_deliveries_target"),)

    id: Mapped[IntPK]
    warning_id: Mapped[int] = mapped_column(ForeignKey("warnings.id"))
    channel: Mapped[str] = mapped_column(String(16), comment="email | webhook")
    recipient: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending", comment="pending | sent | failed")
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[MaybeStamp]
    error: Mapped[str | None] = mapped_column(Text)

    warning: Mapped[EarlyWarning] = relationship(back_populates="deliveries")


class AuditLog(Base):
    """Append-only record of who did what to which object, from which DAG run (G3 问责).

    Updates and deletes are refused by the ORM and, below it, by database triggers.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[IntPK]
    at: Mapped[Stamp]
    actor: Mapped[str] = mapped_column(String(200), comment="person id, or system:<component>")
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))
    task_id: Mapped[str | None] = mapped_column(String(250))


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_audit_change(mapper: Any, connection: Any, target: AuditLog) -> None:
    raise AppendOnlyError(f"audit_log is append-only: refusing to change entry {target.id}")
