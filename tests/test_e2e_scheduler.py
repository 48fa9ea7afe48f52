"""yuqing_collect under Airflow's real scheduler: api-server, scheduler and dag-processor as separate
processes (LocalExecutor, SQLite metadata), a run triggered over the REST API, every process stopped
by PID at the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from e2e_support import ROOT, DemoWorld, start_world
from yuqing.db import session_scope
from yuqing.models import EarlyWarning, Item

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


def _free_port() -> int:
    from demo_sinks import free_port

    return free_port()


class Stack:
    """Airflow components started as separate processes, each in its own process group."""

    def __init__(self, home: Path, env: dict[str, str]):
        self.home, self.env, self.procs = home, env, []

    def run(self, *args: str) -> None:
        subprocess.run([str(BIN / "airflow"), *args], env=self.env, check=True, capture_output=True, timeout=180)

    def start(self, *args: str) -> None:
        log = (self.home / f"{args[0]}.log").open("w")
        self.procs.append(subprocess.Popen([str(BIN / "airflow"), *args], env=self.env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for p in self.procs:  # LocalExecutor workers share the group; make sure none is left
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def db_url(tmp_path: Path, _sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The default deployment's store: SQLite, written by concurrent LocalExecutor workers."""
    path = tmp_path / "yuqing.db"
    shutil.copy(_sqlite_template, path)
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{path}")
    return f"sqlite:///{path}"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[DemoWorld]:
    w = start_world(tmp_path, monkeypatch)
    yield w
    w.stop()


@pytest.fixture
def stack(tmp_path: Path, world: DemoWorld, db_url: str) -> Iterator[tuple[Stack, str]]:
    home = tmp_path / "airflow"
    home.mkdir()
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "3",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            # only the DAG under test runs: the other scheduled DAGs (weekly report, case sweep) would
            # start their latest runs at once and lock the SQLite metadata DB under the REST calls
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "5",
            "YUQING_DATABASE_URL": db_url,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    s = Stack(home, env)
    s.run("db", "migrate")
    s.run("dags", "reserialize")
    try:
        s.start("api-server", "--port", str(port))
        s.start("scheduler")
        s.start("dag-processor")
        yield s, f"http://127.0.0.1:{port}"
    finally:
        s.stop()


def _wait_healthy(base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError(f"api-server at {base} did not become healthy in {timeout}s")


def test_collect_runs_under_the_scheduler(stack: tuple[Stack, str], world: DemoWorld) -> None:
    s, base = stack
    _wait_healthy(base)
    token = requests.get(f"{base}/auth/token", timeout=10).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    r = requests.patch(f"{base}/api/v2/dags/yuqing_collect", json={"is_paused": False}, headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    r = requests.post(f"{base}/api/v2/dags/yuqing_collect/dagRuns",
                      json={"logical_date": None, "dag_run_id": "e2e_scheduler"}, headers=auth, timeout=10)
    assert r.status_code == 200, r.text

    deadline = time.monotonic() + 240
    state = "queued"
    while time.monotonic() < deadline and state not in ("success", "failed"):
        time.sleep(2)
        state = requests.get(f"{base}/api/v2/dags/yuqing_collect/dagRuns/e2e_scheduler",
                             headers=auth, timeout=10).json()["state"]
    tis = requests.get(f"{base}/api/v2/dags/yuqing_collect/dagRuns/e2e_scheduler/taskInstances",
                       headers=auth, timeout=10).json()["task_instances"]
    summary = sorted((t["task_id"], t["map_index"], t["state"]) for t in tis)
    assert state == "success", f"run ended {state}: {summary}\nsee logs in {s.home}"
    mapped = [t for t in summary if t[0] == "collect"]
    assert len(mapped) >= 5 and all(t[2] == "success" for t in mapped), summary

    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Item)) > 20
        assert session.scalar(select(func.count()).select_from(EarlyWarning)) >= 1
    assert world.mail.messages, "the on-duty person got no mail"
    assert world.webhook.received, "the robot webhook got nothing"
    assert (ROOT / "dags").is_dir()
