"""Server time of each desk page (舆情 in the Airflow UI) with 10,000 items and 1,000 cases in the store.

Generates a store (SQLite in a temporary folder; PostgreSQL too when YUQING_BENCH_DATABASE_URL is
set): 10,000 items over the last eight days (most of them today) on all channels, 800 graded events,
300 warnings, 1,000 open cases across the units (a fifth of them overdue) and 40 sources. Then it
serves the pages from Airflow's own app (``create_app()``, the desk plugin mounted, SimpleAuthManager
login with a real token) and prints, per page, the median and the worst of the app's own
``Server-Timing`` (login check + queries + rendering) over repeated requests, as a monitor (sees every
case) and as a unit handler. Target: under 300 ms per page. The 待审批 page reads Airflow's HITL
table too, which is empty here (a real deployment has a handful of pending requests).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
PAGES = {"今日态势": "/yuqing/", "预警": "/yuqing/warnings", "案件": "/yuqing/cases", "待审批": "/yuqing/approvals",
         "信源健康": "/yuqing/sources"}
CHANNELS = ["news", "weibo", "wechat", "forum", "video", "hotline", "wenzheng"]
LEVELS = ["一般", "较大", "重大", "特别重大"]


def _airflow_env(home: Path) -> None:
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"liu_yang": "pw", "wu_qiang": "pw"}), encoding="utf-8")
    os.environ.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "liu_yang:user,wu_qiang:user",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": "desk-bench-jwt-secret-" + "0" * 48,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "YUQING_SECRET_KEY": "desk-bench",
        "YUQING_HOME": str(ROOT),
    })


def generate(url: str, n_items: int, n_cases: int, seed: int = 9) -> None:
    """The store: migrated by Alembic, then filled with bulk inserts."""
    from sqlalchemy import insert

    from yuqing import db
    from yuqing.cases.models import Case
    from yuqing.clock import utcnow
    from yuqing.config import load_config
    from yuqing.models import EarlyWarning, Event, Item, Source

    rnd = random.Random(seed)
    db.upgrade(url)
    config = load_config()
    now = utcnow()
    units = [u.id for u in config.organisation.units]
    with db.session_scope(url) as s:
        s.execute(insert(Source), [
            {"id": f"src-{i}", "name": f"信源{i}", "type": "rss", "channel": CHANNELS[i % len(CHANNELS)],
             "cadence_minutes": 60, "health": rnd.choice(["ok", "ok", "ok", "silent", "failing"]),
             "consecutive_failures": rnd.randint(0, 4), "last_success_at": now - timedelta(minutes=rnd.randint(5, 900)),
             "last_new_item_at": now - timedelta(minutes=rnd.randint(5, 900)), "created_at": now - timedelta(days=30)}
            for i in range(40)])
        explanation = {"factors": [{"name": k, "label": k, "value": 0.5, "weight": 0.25, "contribution": 12.5,
                                    "detail": {"categories": ["宗教"], "matched_terms": ["寺庙", "香火"]}}
                                   for k in ("content", "reaction", "media", "reach")], "score": 50, "level": "较大"}
        s.execute(insert(Event), [
            {"title": f"事件{i}：某寺庙香火钱问题引发讨论", "level": rnd.choice(LEVELS), "score": rnd.uniform(0, 95),
             "item_count": rnd.randint(1, 40), "explanation": explanation, "response_value": "持续关注",
             "first_seen_at": now - timedelta(hours=rnd.randint(1, 30)), "last_seen_at": now - timedelta(minutes=rnd.randint(0, 600)),
             "updated_at": now}
            for i in range(800)])
        s.execute(insert(Item), [
            {"source_id": f"src-{i % 40}", "external_id": f"e{i}", "channel": CHANNELS[i % len(CHANNELS)],
             "title": f"标题{i}", "text": f"正文{i} 关于宗教活动场所的讨论", "url": f"http://example.test/{i}",
             "collected_at": now - timedelta(minutes=rnd.randint(0, 60 * (20 if i % 10 < 7 else 190))),
             "content_hash": hashlib.sha256(str(i).encode()).hexdigest(), "engagement": {}, "extra": {},
             "sentiment": rnd.choice(["negative", "neutral", "positive"]), "relevant": True,
             "matched_terms": [], "categories": [], "event_id": rnd.randint(1, 800) if i % 3 == 0 else None}
            for i in range(n_items)])
        s.execute(insert(EarlyWarning), [
            {"dedup_key": f"event:{i}", "kind": "event", "level": rnd.choice(LEVELS[1:]), "title": f"预警{i}",
             "summary": "请值班人员研判。", "event_id": i + 1, "status": rnd.choice(["open", "open", "acknowledged"]),
             "duty_person": "liu_yang", "created_at": now - timedelta(minutes=rnd.randint(1, 3000))}
            for i in range(300)])
        s.execute(insert(Case), [
            {"number": f"YQ-20260101-{i:04d}", "origin_key": f"item:{i}", "title": f"诉求{i}：清真寺周边停车难",
             "case_type": "投诉", "level": "一般", "lead_unit": units[i % len(units)],
             "co_units": [units[(i + 1) % len(units)]] if i % 4 == 0 else [], "first_responsible": "chen_gang",
             "direct_responsible": "wu_qiang", "state": rnd.choice(["受理", "转办", "办理中"]),
             "opened_at": now - timedelta(days=3), "due_at": now + timedelta(hours=rnd.randint(-100, 400) if i % 5 else -5),
             "deadline_rule": "投诉：15个工作日内办结答复", "updated_at": now}
            for i in range(n_cases)])


def measure(url: str, rounds: int) -> dict[str, dict[str, float]]:
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    os.environ["YUQING_DATABASE_URL"] = url
    out: dict[str, dict[str, float]] = {}
    with TestClient(create_app()) as client:  # runs the lifespans, as the api-server does
        _measure(client, rounds, out)
    return out


def _measure(client, rounds: int, out: dict[str, dict[str, float]]) -> None:
    for user, label in (("liu_yang", "monitor"), ("wu_qiang", "handler")):
        token = client.post("/auth/token", json={"username": user, "password": "pw"}).json()["access_token"]
        client.cookies.set("_token", token)
        for name, path in PAGES.items():
            times = []
            for i in range(rounds + 2):
                r = client.get(path)
                if r.status_code != 200:
                    raise SystemExit(f"{path} as {user}: HTTP {r.status_code} {r.text[:300]}")
                if i >= 2:  # two warm-up requests (first-use caches, template compilation)
                    times.append(float(r.headers["Server-Timing"].split("dur=")[1]))
            key = f"{name} ({label})"
            out[key] = {"median_ms": statistics.median(times), "max_ms": max(times), "bytes": len(r.content)}
            print(f"  {key:<22} median {statistics.median(times):7.1f} ms   worst {max(times):7.1f} ms   "
                  f"{len(r.content) / 1024:6.0f} KiB   {'meets' if max(times) < TARGET_MS else 'MISSES'} < {TARGET_MS:.0f} ms",
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--cases", type=int, default=1_000)
    ap.add_argument("--rounds", type=int, default=10, help="timed requests per page and user")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="yuqing-desk-bench-") as d:
        home = Path(d)
        _airflow_env(home)
        from airflow.utils.db import upgradedb

        upgradedb()
        targets = [("SQLite", f"sqlite:///{home / 'store.db'}")]
        pg = os.environ.get("YUQING_BENCH_DATABASE_URL")
        if pg:
            from sqlalchemy import text

            from yuqing import db

            pg = db.database_url_from(pg)
            with db.get_engine(pg).begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
            targets.append(("PostgreSQL", pg))
        for name, url in targets:
            started = time.perf_counter()
            generate(url, args.items, args.cases)
            print(f"desk pages — {name}, {args.items:,} items, {args.cases:,} open cases, 800 events, 300 warnings "
                  f"(generated in {time.perf_counter() - started:.1f} s); server time per page:", flush=True)
            measure(url, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
