"""Retention on the real store (SQLite and PostgreSQL): old, unreferenced items are archived to a
readable gzip JSONL file and deleted; everything that reports, cases, open events or audit entries
refer to stays; a second run archives nothing; the monthly DAG does the same as the CLI."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing.cases.models import Case
from yuqing.cli import cli
from yuqing.config import load_config
from yuqing.models import AuditLog, Event, Item, Source
from yuqing.ops.retention import _verify_archive, months_before, read_archive, run_retention
from yuqing.reports.models import Report

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
OLD = AS_OF - timedelta(days=800)  # older than 24 months
NEW = AS_OF - timedelta(days=30)


def _item(session: Session, ext: str, at: datetime, **kw) -> Item:
    item = Item(source_id="forum_jc", external_id=ext, channel="forum", text=f"帖子 {ext}",
                content_hash=ext.ljust(64, "0"), collected_at=at, **kw)
    session.add(item)
    session.flush()
    return item


def _event(session: Session, status: str) -> Event:
    event = Event(title=f"{status} 事件", status=status, first_seen_at=OLD, last_seen_at=OLD, updated_at=OLD)
    session.add(event)
    session.flush()
    return event


def _world(session: Session) -> dict[str, int]:
    """One item per reason to stay, three that may go, one new one."""
    session.add(Source(id="forum_jc", name="江城论坛", type="html", channel="forum"))
    session.flush()
    ids = {f"plain{i}": _item(session, f"plain{i}", OLD).id for i in range(3)}
    ids["new"] = _item(session, "new", NEW).id
    ids["cited"] = _item(session, "cited", OLD).id
    session.add(Report(kind="special", key="event:1", title="专报", content_hash="a" * 64,
                       item_refs=[str(ids["cited"])]))
    ids["case_item"] = _item(session, "case_item", OLD).id
    closed_with_case, closed, open_event = _event(session, "closed"), _event(session, "closed"), _event(session, "open")
    ids["case_event_item"] = _item(session, "case_event_item", OLD, event_id=closed_with_case.id).id
    session.add(Case(number="YQ-20241001-0001", origin_key=f"item:{ids['case_item']}", item_id=ids["case_item"],
                     event_id=closed_with_case.id, title="诉求", case_type="投诉", lead_unit="office",
                     first_responsible="li_hua", due_at=OLD, deadline_rule="15 个工作日"))
    ids["open_event_item"] = _item(session, "open_event_item", OLD, event_id=open_event.id).id
    ids["representative"] = _item(session, "representative", OLD, event_id=closed.id).id
    closed.representative_item_id = ids["representative"]
    ids["audited"] = _item(session, "audited", OLD).id
    session.add(AuditLog(actor="liu_yang", action="item.add_manual", object_type="item", object_id=str(ids["audited"])))
    ids["original"] = _item(session, "original", OLD).id
    ids["dup_new"] = _item(session, "dup_new", NEW, duplicate_of_id=ids["original"]).id
    session.commit()
    return ids


def _left(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Item.external_id)))


@pytest.mark.postgres
def test_old_unreferenced_items_are_archived_then_deleted_and_evidence_stays(
        session: Session, demo_config, tmp_path: Path) -> None:
    tmp_path = tmp_path / "archive"
    ids = _world(session)
    everything = _left(session)
    dry = run_retention(session, demo_config, as_of=AS_OF, dry_run=True, archive_dir=tmp_path)
    assert (dry.archived, dry.candidates, dry.kept_referenced) == (3, 10, 7)
    assert dry.kept_reasons["cases.item_id"] == 1 and dry.kept_reasons["events.representative_item_id"] == 1
    assert _left(session) == everything and not tmp_path.exists()

    result = run_retention(session, demo_config, as_of=AS_OF, archive_dir=tmp_path)
    session.commit()
    assert result.archived == 3 and result.cutoff == datetime(2024, 11, 26, 2, 0, tzinfo=UTC)
    archive = Path(result.archive)
    assert archive.parent == tmp_path and archive.name.endswith(".jsonl.gz")
    rows = read_archive(archive)
    assert sorted(r["id"] for r in rows) == sorted(ids[f"plain{i}"] for i in range(3))
    assert {r["text"] for r in rows} == {"帖子 plain0", "帖子 plain1", "帖子 plain2"}
    assert rows[0]["collected_at"].startswith(OLD.date().isoformat())
    assert _left(session) == everything - {"plain0", "plain1", "plain2"}
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "retention.archived"))
    assert (entry.actor, entry.object_id, entry.detail["archived"]) == ("system:retention", archive.name, 3)

    again = run_retention(session, demo_config, as_of=AS_OF, archive_dir=tmp_path)
    session.commit()
    assert (again.archived, again.archive) == (0, None)
    assert [p.name for p in tmp_path.iterdir()] == [archive.name]
    runs = session.scalars(select(AuditLog.detail).where(AuditLog.action == "retention.archived")).all()
    assert [d["archived"] for d in runs] == [3, 0]


def test_an_archive_that_does_not_read_back_stops_the_deletion(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": 1, "text": "甲"}, ensure_ascii=False, sort_keys=True) + "\n")
    good = {1: hashlib.sha256(json.dumps({"id": 1, "text": "甲"}, ensure_ascii=False, sort_keys=True).encode()).hexdigest()}
    _verify_archive(path, good)
    with pytest.raises(RuntimeError, match="does not match the store"):
        _verify_archive(path, {**good, 2: "x"})


def test_months_before_clamps_to_the_end_of_the_month() -> None:
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)


@pytest.mark.postgres
def test_cli_uses_the_configured_months_and_folder(session: Session, tmp_path: Path, monkeypatch) -> None:
    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    raw["retention"] = {"items_months": 36, "archive_dir": str(tmp_path / "archive")}
    config = tmp_path / "yuqing.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG", str(config))
    _world(session)
    run = CliRunner().invoke(cli, ["retention", "run", "--as-of", "2026-11-26T10:00"], obj={})
    assert run.exit_code == 0, run.output
    out = json.loads(run.output)
    assert out["archived"] == 0 and out["cutoff"].startswith("2023-11-26T02:00")  # 800 days < 36 months
    run = CliRunner().invoke(cli, ["retention", "run", "--as-of", "2027-12-01T10:00"], obj={})
    out = json.loads(run.output)
    assert out["archived"] == 3 and Path(out["archive"]).parent == tmp_path / "archive"
    assert session.scalar(select(func.count()).select_from(Item)) == 9


def test_monthly_dag_archives_like_the_cli(db_url: str, tmp_path: Path, monkeypatch) -> None:
    """dag.test() of yuqing_retention on the real store (Airflow's run_after is the moment)."""
    from yuqing.db import session_scope

    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    raw["retention"] = {"items_months": 12, "archive_dir": str(tmp_path / "archive")}  # OLD < cutoff < NEW
    config = tmp_path / "yuqing.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("YUQING_CONFIG", str(config))
    assert load_config().retention.items_months == 12
    with session_scope() as s:
        _world(s)
    from airflow.utils.db import initdb

    initdb()
    if str(ROOT / "dags") not in sys.path:
        sys.path.insert(0, str(ROOT / "dags"))
    from yuqing_retention import retention_dag

    dr = retention_dag.test(run_conf={"dry_run": False})
    assert dr.state == "success", [(t.task_id, t.state) for t in dr.get_task_instances()]
    with session_scope() as s:
        left = set(s.scalars(select(Item.external_id)))
        assert "new" in left and "dup_new" in left and not {"plain0", "plain1", "plain2"} & left
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "retention.archived")) == 1
    assert len(list((tmp_path / "archive").iterdir())) == 1


def test_every_foreign_key_to_items_protects_its_items(db_url: str, session: Session) -> None:
    """A table another area adds later (e.g. verifications.item_id) is covered without code here."""
    from yuqing.all_models import Base
    from yuqing.ops.retention import referenced_items

    pointing = {f"{t.name}.{fk.parent.name}" for t in Base.metadata.sorted_tables for fk in t.foreign_keys
                if fk.column.table.name == "items" and t.name != "items"}
    assert {"cases.item_id", "events.representative_item_id"} <= pointing
    assert pointing <= set(referenced_items(session))
