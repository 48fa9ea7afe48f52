"""`yuqing audit export` for 考核 and audit, on SQLite and PostgreSQL (the `db_url` fixture), with
real audit rows written by the real commands plus rows at the edges of the time window."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from yuqing import audit
from yuqing.cli import cli
from yuqing.models import AuditLog


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


@pytest.mark.postgres
def test_export_csv_and_json_agree_and_respect_the_window(db_url: str, session: Session, tmp_path: Path,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "yuqing_public_response")
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "manual__2026-11-24")
    monkeypatch.setenv("AIRFLOW_CTX_TASK_ID", "approve_text")
    audit.record(session, actor="system:test", action="case.opened", object_type="case", object_id="YQ-0")
    # Beijing 2026-11-24 00:00 is 2026-11-23T16:00Z: one entry just before, one exactly at it
    rows = [
        ("chen_gang", "approval.approved.publication", datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC),
         {"sha256": "ab" * 32, "reason": "同意，\"按此发布\"\n第二行", "run_id": "manual__2026-11-24"}),
        ("chen_gang", "approval.approved.publication", datetime(2026, 11, 23, 16, 0, tzinfo=UTC),
         {"sha256": "cd" * 32, "nested": {"units": ["venues", "office"]}}),
        ("zheng_yan", "response.edited", datetime(2026, 11, 24, 3, 0, tzinfo=UTC), {"chars": 35}),
    ]
    for actor, action, at, detail in rows:
        session.add(AuditLog(actor=actor, action=action, object_type="response", object_id="7", detail=detail,
                             at=at, dag_id="yuqing_public_response", run_id="manual__2026-11-24",
                             task_id="approve_text"))
    session.commit()
    # and rows the real commands write now
    added = _run("add-item", "--source", "print_media", "--title", "江城日报", "--text", "本报讯 清风寺……",
                 "--actor", "liu_yang")
    assert added.exit_code == 0, added.output
    assert _run("retention", "run").exit_code == 0

    window = ("--since", "2026-11-24", "--until", "2026-11-25")
    as_json = json.loads(_run("audit", "export", *window, "--format", "json").output)
    assert [(r["actor"], r["action"]) for r in as_json] == [
        ("chen_gang", "approval.approved.publication"), ("zheng_yan", "response.edited")]
    first = as_json[0]
    assert first["at"] == "2026-11-23T16:00:00+00:00" and first["detail"]["nested"] == {"units": ["venues", "office"]}
    assert (first["dag_id"], first["run_id"], first["task_id"]) == (
        "yuqing_public_response", "manual__2026-11-24", "approve_text")

    as_csv = list(csv.DictReader(io.StringIO(_run("audit", "export", *window).output)))
    assert [r["id"] for r in as_csv] == [str(r["id"]) for r in as_json]
    assert [json.loads(r["detail"]) for r in as_csv] == [r["detail"] for r in as_json]

    everything = json.loads(_run("audit", "export", "--since", "2000-01-01", "--format", "json").output)
    actions = [r["action"] for r in everything]
    assert {"item.add_manual", "retention.archived", "case.opened"} <= set(actions)
    opened = next(r for r in everything if r["action"] == "case.opened")  # run context from AIRFLOW_CTX_*
    assert (opened["dag_id"], opened["run_id"], opened["task_id"]) == (
        "yuqing_public_response", "manual__2026-11-24", "approve_text")
    assert [r["id"] for r in everything] == sorted(r["id"] for r in everything)
    tricky = next(r for r in everything if r["detail"].get("reason"))
    assert tricky["detail"]["reason"] == "同意，\"按此发布\"\n第二行"

    target = tmp_path / "考核.csv"
    out = _run("audit", "export", "--since", "2000-01-01", "--action", "approval.", "-o", str(target))
    assert "2 entries written" in out.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese text correctly
    parsed = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [json.loads(r["detail"])["sha256"] for r in parsed] == ["ab" * 32, "cd" * 32]
    assert json.loads(parsed[0]["detail"])["reason"] == "同意，\"按此发布\"\n第二行"


@pytest.mark.postgres
def test_action_filter_is_a_literal_prefix(db_url: str, session: Session) -> None:
    """`_` and `%` in --action are characters, not LIKE wildcards."""
    for action in ("duty_notice.sent", "dutyXnotice.sent", "duty%x"):
        audit.record(session, actor="system:test", action=action, object_type="warning", object_id="1")
    session.commit()
    out = _run("audit", "export", "--since", "2000-01-01", "--action", "duty_", "--format", "json")
    assert [r["action"] for r in json.loads(out.output)] == ["duty_notice.sent"]
    out = _run("audit", "export", "--since", "2000-01-01", "--action", "duty%", "--format", "json")
    assert [r["action"] for r in json.loads(out.output)] == ["duty%x"]
