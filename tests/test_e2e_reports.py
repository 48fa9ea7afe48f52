"""End to end as real DAG runs (``dag.test()``), in layers (see airflow-running-and-testing.md):
collect emits the 专报 asset for escalated events; the 专报 DAG files a version and sends nothing
until it is approved; once approved (recorded in the store with a named approver, as the CLI does),
it is sent 归口 over a real SMTP server with the PDF and DOCX attached, once; a resend is refused.
The HITL step itself is marked successful here (``dag.test`` cannot answer it); it is answered over
REST in tests/test_e2e_reports_hitl.py."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from e2e_support import ROOT, DemoWorld, start_world
from yuqing.config import load_config
from yuqing.models import Event
from yuqing.reports.models import Report, ReportDelivery
from yuqing.reports.store import ResendRefused, decide

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()


def _dag(module: str, attr: str):
    if str(ROOT / "dags") not in sys.path:
        sys.path.insert(0, str(ROOT / "dags"))
    return getattr(importlib.import_module(module), attr)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, airflow_db: None) -> Iterator[DemoWorld]:
    w = start_world(tmp_path, monkeypatch)
    yield w
    w.stop()


def _reports_sent(world: DemoWorld) -> list:
    return [m for m in world.mail.messages if str(m["Subject"]).startswith("【报送】")]


def test_escalation_asset_special_report_approval_and_single_delivery(world: DemoWorld, session: Session) -> None:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    collect = _dag("yuqing_collect", "collect_dag")
    dr = collect.test()
    assert dr.state == "success"
    with create_session() as s:
        events = [e for e in s.scalars(select(AssetEvent)) if e.extra.get("events")]
    assert events, "collect emitted no 专报 asset event"
    escalated = [e for ev in events for e in ev.extra["events"]]
    top = session.scalars(select(Event).order_by(Event.score.desc())).first()
    assert top is not None and top.level in ("重大", "特别重大")
    assert any(e[0] == top.id for e in escalated)

    special = _dag("yuqing_special_report", "special_report_dag")
    conf = {"event_id": top.id}
    dr = special.test(run_conf=conf, mark_success_pattern="^approve$")
    assert dr.state == "success"
    session.expire_all()
    report = session.scalars(select(Report).where(Report.key == f"event:{top.id}")).one()
    assert report.status == "draft" and report.version == 1
    assert _reports_sent(world) == [], "a draft must not be sent"
    for fmt in ("html", "pdf", "docx"):
        assert Path(report.files[fmt]).exists()
    pdf_text = subprocess.run(["pdftotext", "-enc", "UTF-8", report.files["pdf"], "-"], capture_output=True,
                              text=True, check=True).stdout.replace("\n", "")
    assert "舆情专报" in pdf_text and "清风寺" in pdf_text and "依据信息" in pdf_text

    decide(session, report.id, approve=True, by="li_hua")
    session.commit()
    dr = special.test(run_conf=conf, mark_success_pattern="^approve$")
    assert dr.state == "success"
    config = load_config()
    emails = [r.email for r in config.recipients.same_level + config.recipients.upper if r.email]
    assert sorted(m["To"] for m in _reports_sent(world)) == sorted(emails)
    attachments = sorted(p.get_filename() for p in _reports_sent(world)[0].iter_attachments())
    assert [a.rsplit(".", 1)[1] for a in attachments] == ["docx", "pdf"]
    session.expire_all()
    deliveries = session.scalars(select(ReportDelivery).where(ReportDelivery.report_id == report.id)).all()
    assert {d.status for d in deliveries} == {"sent"} and all(d.receipt and d.sent_at for d in deliveries)
    hooks = [h for h in world.webhook.received if h["json"].get("msgtype") == "report"]
    webhook_rows = [d for d in deliveries if d.channel == "webhook"]
    assert len(hooks) == len(webhook_rows) == 1 and hooks[0]["json"]["approved_by"] == "li_hua"
    assert webhook_rows[0].receipt.startswith("HTTP 200")

    # a rerun sends nothing again; an explicit resend of the same version is refused
    dr = special.test(run_conf=conf, mark_success_pattern="^approve$")
    assert dr.state == "success"
    assert len(_reports_sent(world)) == len(emails)
    assert len([h for h in world.webhook.received if h["json"].get("msgtype") == "report"]) == 1
    from yuqing_airflow.report_delivery import send_report

    with pytest.raises(ResendRefused):
        send_report({}, report.id, refuse_resend=True)
    assert len(_reports_sent(world)) == len(emails)
