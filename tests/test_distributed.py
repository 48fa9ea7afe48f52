"""yuqing_collect on a real Celery deployment (issue 7, part 2): scheduler, dag-processor, api-server
and two ``airflow celery worker`` processes, Airflow metadata and Celery results on PostgreSQL, Redis
as the broker — each on fresh databases made for this module and dropped after it.

Two dozen loopback JSON sources with known item counts. The first run must spread its mapped tasks
over both workers and store every item once. In the second, every source answers slowly and new
items have been posted; one worker is SIGKILLed (its process group, by PID) while it holds running
collect tasks: the scheduler notices the silent task instances (short heartbeat timeout), retries
them on the surviving worker, and the run still ends with every item stored exactly once.

Runs only when ``YUQING_TEST_DATABASE_URL`` and ``YUQING_TEST_REDIS_URL`` are both set (``.ci/run``
sets them when PostgreSQL and Redis answer); otherwise it is deselected and the report header says so.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from e2e_support import DEMO  # noqa: F401 - puts include/demo on sys.path

from cluster import (  # isort: skip
    Cluster, cluster_env, create_database, drop_database, feed_records, flush_redis_db, sibling_url,
    source_id, task_instances, try_hosts, write_config, write_feed,
)
from demo_sinks import MailSink, WebhookSink, free_port
from serve import Fault, start_server
from yuqing.db import session_scope
from yuqing.models import Item

pytestmark = [pytest.mark.distributed, pytest.mark.e2e]

PG_URL = os.environ.get("YUQING_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("YUQING_TEST_REDIS_URL", "")
SOURCES = 24
FIRST = 8  # items per source in the first run
ADDED = 4  # new items per source before the second run
DAG = "yuqing_collect"


@dataclass
class World:
    cluster: Cluster
    api: Any
    site: Path
    server: Any
    store_url: str

    def post(self, first: int, count: int) -> None:
        """Publish items ``first`` … of every source (the feed lists all items so far, newest last)."""
        published = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        for n in range(SOURCES):
            write_feed(self.site, n, feed_records(n, 0, first + count, published=published))

    def items(self) -> dict[str, list[str]]:
        with session_scope(self.store_url) as s:
            rows = s.execute(select(Item.source_id, Item.external_id)).all()
        out: dict[str, list[str]] = {}
        for sid, ext in rows:
            out.setdefault(sid, []).append(ext)
        return out

    def wait_idle(self, timeout: float = 240) -> list[dict[str, Any]]:
        """Wait until no run of the DAG is queued or running (unpausing adds the latest scheduled run)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = self.api.get(f"/dags/{DAG}/dagRuns", limit=50)["dag_runs"]
            if runs and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            time.sleep(1)
        raise TimeoutError(f"runs of {DAG} still active: {[(r['dag_run_id'], r['state']) for r in runs]}")


def _maintenance_name(url: str) -> str:
    return re.sub(r"\?.*$", "", url).rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("distributed")
    prefix = f"{_maintenance_name(PG_URL)}_dist_{secrets.token_hex(3)}"
    meta_db, store_db = f"{prefix}_airflow", f"{prefix}_store"
    site = tmp / "site"
    site.mkdir(parents=True)
    server, base_url = start_server(site, port=0)
    mail, webhook = MailSink().start(), WebhookSink().start()
    config = write_config(tmp / "yuqing.yaml", base_url, SOURCES)
    store_url = sibling_url(PG_URL, store_db)
    port = free_port()
    cluster = Cluster(tmp / "airflow", {}, port, workers=2, concurrency=2)  # stopped below, whatever started
    try:
        flush_redis_db(REDIS_URL)
        create_database(PG_URL, meta_db)
        create_database(PG_URL, store_db)
        env = cluster_env(tmp / "airflow", port, metadata_url=sibling_url(PG_URL, meta_db), broker_url=REDIS_URL,
                          base=dict(os.environ), parallelism=8)
        env.update({
            "YUQING_CONFIG": str(config),
            "YUQING_DATABASE_URL": store_url,
            "YUQING_OUTPUT_DIR": str(tmp / "output"),
            "YUQING_RETRY_DELAY_SECONDS": "2",
            "AIRFLOW_CONN_YUQING_SMTP": mail.connection_json(),
            "AIRFLOW_CONN_YUQING_WEBHOOK": webhook.connection_json(),
            # a task whose worker died is failed (and retried) 20 s after its last heartbeat, not 300 s
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "3",
            # only the runs the tests trigger: unpausing would otherwise add the latest 15-minute run
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        })
        # the store's schema, by the command production uses
        subprocess.run([str(Path(sys.executable).parent / "yuqing"), "db", "upgrade"], env=env, check=True,
                       capture_output=True, timeout=180)
        cluster.env = env
        w = World(cluster, None, site, server, store_url)
        w.post(0, FIRST)
        cluster.start()
        w.api = cluster.api()
        yield w
    finally:
        cluster.stop()
        server.shutdown()
        mail.stop()
        webhook.stop()
        from yuqing.db import get_engine

        get_engine(store_url).dispose()
        for name in (meta_db, store_db):
            drop_database(PG_URL, name)
        flush_redis_db(REDIS_URL)


def _expected(count: int) -> dict[str, list[str]]:
    return {source_id(n): sorted(f"{source_id(n)}-{i}" for i in range(count)) for n in range(SOURCES)}


def _assert_each_once(w: World, count: int) -> None:
    got = w.items()
    assert {k: sorted(v) for k, v in got.items()} == _expected(count), "items lost or duplicated"
    with session_scope(w.store_url) as s:
        assert s.scalar(select(func.count()).select_from(Item)) == SOURCES * count


def test_a_run_spreads_over_both_workers_and_stores_each_item_once(world: World) -> None:
    run_id = world.api.trigger(DAG, "distributed_1")
    state = world.api.wait_run(DAG, run_id, timeout=300)
    tis = task_instances(world.api, DAG, run_id)
    summary = sorted((t["task_id"], t["map_index"], t["state"], t["hostname"]) for t in tis)
    assert state == "success", f"run ended {state}: {summary}\nlogs in {world.cluster.home}"
    collect = [t for t in tis if t["task_id"] == "collect"]
    assert len(collect) == SOURCES and all(t["state"] == "success" for t in collect), summary
    hosts = {t["hostname"] for t in collect}
    assert hosts == {"worker-1", "worker-2"}, f"collect tasks ran on {hosts}"
    assert all(t["hostname"] in ("worker-1", "worker-2") for t in tis if t["state"] == "success"), summary
    world.wait_idle()
    _assert_each_once(world, FIRST)


def test_killing_a_worker_mid_run_loses_and_duplicates_nothing(world: World) -> None:
    world.wait_idle()
    world.post(FIRST, ADDED)
    for n in range(SOURCES):  # every source answers after 3 s: tasks are running when the worker dies
        world.server.faults[f"/feeds/{source_id(n)}.json"] = Fault(status=None, delay=3.0)
    run_id = world.api.trigger(DAG, "distributed_2")

    victim, survivor = "worker-2", "worker-1"
    deadline = time.monotonic() + 180
    held: list[dict[str, Any]] = []
    while not held and time.monotonic() < deadline:
        held = [t for t in task_instances(world.api, DAG, run_id)
                if t["task_id"] == "collect" and t["state"] == "running" and t["hostname"] == victim]
        time.sleep(0.3)
    assert held, f"{victim} never ran a collect task of {run_id}"
    world.cluster.kill_worker(victim)
    world.server.faults.clear()  # the slow part is over: the rest of the run at full speed
    held_keys = {(t["map_index"], t["try_number"]) for t in held}

    state = world.api.wait_run(DAG, run_id, timeout=300)
    tis = {(t["task_id"], t["map_index"]): t for t in task_instances(world.api, DAG, run_id)}
    summary = sorted((k, t["state"], t["try_number"], t["hostname"]) for k, t in tis.items())
    assert state == "success", f"run ended {state}: {summary}\nlogs in {world.cluster.home}"
    tries = [t for t in try_hosts(world.api, DAG, run_id) if t["task_id"] == "collect"]
    dead = {(t["map_index"], t["try_number"]) for t in tries if t["hostname"] == victim and t["state"] != "success"}
    assert dead & held_keys, f"none of the tries {victim} held when killed {sorted(held_keys)} failed: {tries}"
    for map_index, try_number in dead:  # retried on the survivor, after the try that died with its worker
        ti = tis[("collect", map_index)]
        assert ti["state"] == "success" and ti["try_number"] > try_number and ti["hostname"] == survivor, ti
    assert world.cluster.worker_pids().keys() == {survivor}
    _assert_each_once(world, FIRST + ADDED)
