"""The store: migrations match the models, keys hold, the audit log cannot be rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from yuqing import audit, db
from yuqing.models import AppendOnlyError, AuditLog, Item, Source


def _source(session: Session) -> Source:
    src = Source(id="portal", name="门户网站", type="rss", channel="portal", url="http://127.0.0.1/feed")
    session.add(src)
    session.flush()
    return src


def test_migrations_match_models(db_url: str) -> None:
    db.check(db_url)


def test_item_unique_per_source_and_external_id(session: Session) -> None:
    _source(session)
    session.add(Item(source_id="portal", external_id="a1", channel="portal", text="正文", content_hash="h"))
    session.flush()
    session.add(Item(source_id="portal", external_id="a1", channel="portal", text="正文2", content_hash="h2"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_times_come_back_aware_utc(session: Session) -> None:
    _source(session)
    session.commit()
    got = session.get(Source, "portal")
    assert got is not None and got.created_at.tzinfo is not None
    assert got.created_at.utcoffset().total_seconds() == 0


def test_audit_log_is_append_only_in_orm(session: Session) -> None:
    entry = audit.record(session, actor="liu_yang", action="warning.ack", object_type="warning", object_id=1)
    session.commit()
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        session.commit()


def test_audit_log_is_append_only_in_database(session: Session) -> None:
    audit.record(session, actor="liu_yang", action="warning.ack", object_type="warning", object_id=1)
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_log SET action = 'tampered'"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM audit_log"))
    session.rollback()
    assert session.query(AuditLog).one().action == "warning.ack"


def test_default_engine_follows_the_environment(tmp_path, monkeypatch) -> None:
    """The store URL is read on each call: a process that switches stores never writes to the old one."""
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{tmp_path}/a.db")
    first = db.get_engine()
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{tmp_path}/b.db")
    assert str(db.get_engine().url).endswith("b.db")
    assert db.get_engine() is not first
