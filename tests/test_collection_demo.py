"""The bundled demo: a loopback site with fresh timestamps, and every demo source collected."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from demo.hotline_stage import stage_hotline
from demo.placeholders import render
from demo.serve import start_server
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_collection_support import DEMO, ROOT

from yuqing.collection import collect_source, sync_sources
from yuqing.config import parse_config
from yuqing.models import Item

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("template", "suffix", "expected"),
    [
        ("{{ago:35m}}", ".xml", "Wed, 25 Nov 2026 19:25:00 +0800"),
        ("{{ago:3h}}", ".json", "2026-11-25T17:00:00+08:00"),
        ("{{ago:1d2h|cn}}", ".html", "2026年11月24日 18:00"),
        ("{{ago:90m|slash}}", ".html", "2026/11/25 18:30"),
        ("{{ago:5m|rel}}", ".html", "5分钟前"),
        ("{{ago:1d|rel}}", ".html", "昨天 20:00"),
        ("{{ago:2h}}", ".html", "2026-11-25 18:00"),
        ("{{ago:1h|unix}}", ".json", "1795604400"),
    ],
)
def test_placeholders_render_in_the_files_format(template: str, suffix: str, expected: str) -> None:
    assert render(template, suffix=suffix, now=NOW) == expected


@pytest.fixture
def demo_site() -> Iterator[str]:
    server, base = start_server(DEMO / "site")
    yield base
    server.shutdown()
    server.server_close()


def test_server_answers_conditional_get_with_304(demo_site: str) -> None:
    first = requests.get(f"{demo_site}/portal/rss.xml", timeout=5)
    assert first.status_code == 200 and "{{" not in first.text
    assert first.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    again = requests.get(f"{demo_site}/portal/rss.xml", headers={"If-None-Match": first.headers["ETag"]}, timeout=5)
    since = requests.get(f"{demo_site}/portal/rss.xml", headers={"If-Modified-Since": first.headers["Last-Modified"]}, timeout=5)
    assert (again.status_code, since.status_code) == (304, 304)
    assert requests.get(f"{demo_site}/../yuqing.yaml", timeout=5).status_code == 404


def test_server_cli_serves_and_writes_its_pidfile(tmp_path: Path) -> None:
    pidfile = tmp_path / "demo.pid"
    proc = subprocess.Popen([sys.executable, str(DEMO / "serve.py"), "--port", "0", "--pidfile", str(pidfile)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving ") and pidfile.read_text().strip() == str(proc.pid)
        base = line.split(" on ")[1].strip()
        assert requests.get(f"{base}/weibo/search.json", timeout=5).json()["data"]["statuses"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    time.sleep(0.05)
    assert not pidfile.exists()


def test_whole_demo_is_collected_with_the_qingfengsi_story(demo_site: str, tmp_path: Path, db_url: str, session: Session) -> None:
    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8").replace("http://127.0.0.1:8765", demo_site))
    inbox = tmp_path / "hotline" / "inbox"
    for src in raw["sources"]:
        assert src["type"] in ("hotline", "manual") or src["url"].startswith(demo_site)
        if src["type"] == "hotline":
            src["folder"] = str(inbox)
    config = parse_config(raw)
    assert {s.type for s in config.sources} == {"rss", "html", "json", "hotline", "manual"}
    now = datetime.now(UTC)
    stage_hotline(inbox, now=now)
    sync_sources(session, config)
    session.commit()
    summaries = {s.id: collect_source(config, s.id, db_url=db_url, now=now) for s in config.sources}
    assert all(s.status == "success" for s in summaries.values()), summaries
    session.expire_all()
    total = session.scalar(select(func.count(Item.id)))
    assert 60 <= total <= 120
    for src in config.sources:
        if src.type != "manual":
            assert summaries[src.id].items_new > 0, src.id
    story = session.scalars(select(Item).where(Item.text.contains("清风寺"))).all()
    channels = {i.channel for i in story}
    assert len(story) >= 30 and {"weibo", "forum", "news", "news_comment", "wenzheng", "hotline"} <= channels
    assert any("江城晚报" in (i.author or "") for i in story if i.channel == "news")
    assert max(i.engagement.get("reposts", 0) for i in story) >= 3000
    recent = [i for i in story if i.published_at and now - i.published_at <= timedelta(hours=1)]
    assert len(recent) >= 8  # the spike in the last hour
    dated = [i for i in session.scalars(select(Item)) if i.published_at]
    assert sum(now - i.published_at <= timedelta(hours=12) for i in dated) >= 0.7 * len(dated)
    assert all(i.published_at <= now + timedelta(minutes=1) for i in dated)
