"""End to end, as real DAG runs (``dag.test()``): collect the bundled sources from a loopback server,
analyse, warn the person on duty over real SMTP and webhook servers, then write the 舆情日志."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from e2e_support import ROOT, DemoWorld, start_world
from yuqing.clock import local_today
from yuqing.config import LEVELS, load_config
from yuqing.models import CollectionRun, EarlyWarning, Event, Item, Source, WarningDelivery

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()


def _dag(module: str, attr: str):
    if str(ROOT / "dags") not in sys.path:
        sys.path.insert(0, str(ROOT / "dags"))
    return getattr(importlib.import_module(module), attr)


def _count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, airflow_db: None) -> Iterator[DemoWorld]:
    broken = [
        {"id": "broken_feed", "name": "故障信源（测试）", "type": "rss", "channel": "news",
         "url": "http://127.0.0.1:9/unreachable.xml", "timeout_seconds": 1, "retries": 0, "failure_threshold": 1},
    ]
    w = start_world(tmp_path, monkeypatch, extra_sources=broken)
    yield w
    w.stop()


def _run_ok(dag, **kwargs) -> dict[tuple[str, int], str]:
    dr = dag.test(**kwargs)
    states = {(ti.task_id, ti.map_index): ti.state for ti in dr.get_task_instances()}
    assert dr.state == "success", states
    return states


def test_collect_then_daily_log(world: DemoWorld, session: Session) -> None:
    config = load_config()
    collect_dag = _dag("yuqing_collect", "collect_dag")
    states = _run_ok(collect_dag)

    # every working source was collected as its own mapped task; the broken one failed alone
    collected = [k for k in states if k[0] == "collect"]
    expected = [s for s in config.sources if s.enabled and s.type != "manual"]
    assert len(collected) == len(expected)
    assert list(states.values()).count("failed") == 1
    for src in expected:
        if src.id == "broken_feed":
            continue
        assert _count(session, Item, Item.source_id == src.id) > 0, f"nothing stored from {src.id}"
    assert _count(session, CollectionRun, CollectionRun.source_id == "broken_feed", CollectionRun.status == "failed") >= 1

    # analysed and graded: the 清风寺 story is one event at 较大 or above
    items = _count(session, Item)
    assert _count(session, Item, Item.analyzed_at.is_(None)) == 0
    top = session.scalars(select(Event).order_by(Event.score.desc())).first()
    assert top is not None and LEVELS.index(top.level) >= LEVELS.index("较大"), top and top.explanation
    assert "清风寺" in top.title or any("清风寺" in (i.text or "") for i in top.items)
    assert top.explanation.get("factors")

    # warned: the event and the broken source, delivered once by mail and webhook to the person on duty
    warnings = session.scalars(select(EarlyWarning)).all()
    assert {w.kind for w in warnings} == {"event", "source_health"}
    assert any(w.event_id == top.id for w in warnings)
    assert _count(session, WarningDelivery, WarningDelivery.status != "sent") == 0
    mails = len(world.mail.messages)
    assert mails >= len(warnings)
    duty_emails = {config.person(w.duty_person).email for w in warnings if w.duty_person}
    assert {m["To"] for m in world.mail.messages} <= duty_emails | {config.person(config.organisation.principal).email}
    assert any("清风寺" in m["Subject"] or "清风寺" in m.get_body(("html",)).get_content() for m in world.mail.messages)
    assert len(world.webhook.received) == len(warnings)
    assert all(r["json"]["msgtype"] == "markdown" for r in world.webhook.received)

    # a rerun stores nothing twice and sends nothing again
    _run_ok(collect_dag)
    session.expire_all()
    assert _count(session, Item) == items
    assert _count(session, EarlyWarning) == len(warnings)
    assert len(world.mail.messages) == mails
    assert len(world.webhook.received) == len(warnings)
    assert session.get(Source, "broken_feed").consecutive_failures >= 2

    # the daily log of today lists real items with links, source health and the open warnings
    daily_dag = _dag("yuqing_daily_log", "daily_log_dag")
    today = local_today().isoformat()
    _run_ok(daily_dag, run_conf={"report_date": today})
    page = world.output_dir / "daily" / f"舆情日志-{today}.html"
    assert page.exists()
    html = page.read_text(encoding="utf-8")
    assert "舆情日志" in html and top.title in html
    urls = session.scalars(select(Item.url).where(Item.event_id == top.id, Item.url.is_not(None))).all()
    assert sum(f'href="{u}"' in html for u in urls) >= min(3, len(urls)), "the top event's items are not linked"
    assert "故障信源（测试）" in html
