"""A real Celery deployment on one machine: scheduler, dag-processor, api-server and N Celery workers,
on PostgreSQL (Airflow metadata and Celery results) with Redis as the broker — the shape of Airflow's
own production ``docker-compose.yaml`` (``CeleryExecutor``, ``db+postgresql`` result backend,
``redis://`` broker), minus the containers.

Used by ``tests/test_distributed.py`` and ``bench/load.py``. Every process runs in its own process
group and is stopped by PID (group), the Celery pool children and task processes included; one
worker can be killed on demand, as a crashed machine would be.

Which worker ran a task instance is read from the task instance itself: each worker's environment
names it (``YUQING_WORKER_NAME``) and ``[core] hostname_callable`` points at :func:`worker_hostname`,
so the ``hostname`` the worker's task supervisor reports to the Execution API is the worker's name.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOSTNAME_CALLABLE = "demo.cluster.worker_hostname"


def worker_hostname() -> str:
    """The host name Airflow records on task instances: the worker's name when one is set.

    Several workers share this machine, so the FQDN cannot tell them apart; a real deployment runs
    one worker per host and keeps Airflow's default.
    """
    return os.environ.get("YUQING_WORKER_NAME") or socket.getfqdn()


def _stack() -> Any:
    """``include/demo/stack.py``, whether ``include`` or ``include/demo`` is on the path."""
    try:
        import demo.stack as stack
    except ImportError:
        import stack  # type: ignore[no-redef]
    return stack


# --- PostgreSQL databases ---------------------------------------------------------------------------

def _psycopg_url(url: str) -> str:
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


def sibling_url(url: str, name: str, driver: str = "postgresql") -> str:
    """``url`` with its database replaced by ``name`` and its scheme by ``driver``."""
    rest = re.sub(r"^[a-z+]+://", "", url)
    server = rest.split("/", 1)[0]
    return f"{driver}://{server}/{name}"


def create_database(maintenance_url: str, name: str) -> None:
    """CREATE DATABASE ``name`` next to the maintenance database (dropped first if left over)."""
    import psycopg

    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"database name {name!r}: only a-z, 0-9 and _")
    with psycopg.connect(_psycopg_url(maintenance_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(maintenance_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_psycopg_url(maintenance_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis_db(broker_url: str) -> None:
    """Empty this broker's Redis database (ours alone: never FLUSHALL)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def fresh_databases(maintenance_url: str, prefix: str, *names: str) -> Iterator[list[str]]:
    """Create ``<prefix>_<name>`` databases for the block, drop them after."""
    made = [f"{prefix}_{n}" for n in names]
    for db in made:
        create_database(maintenance_url, db)
    try:
        yield made
    finally:
        for db in made:
            try:
                drop_database(maintenance_url, db)
            except Exception as exc:  # noqa: BLE001 - cleanup must try every database
                print(f"cluster: could not drop {db}: {exc}", file=sys.stderr)


# --- the cluster ----------------------------------------------------------------------------------

def cluster_env(home: Path, port: int, *, metadata_url: str, broker_url: str, base: dict[str, str],
                users: dict[str, str] | None = None, parallelism: int = 8) -> dict[str, str]:
    """Environment for every component: ``stack_env`` with the CeleryExecutor on PostgreSQL + Redis.

    ``metadata_url`` is any ``postgresql://`` URL of the (empty) Airflow metadata database; psycopg 3
    is the driver, for SQLAlchemy and for Celery's result backend alike.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = _stack().stack_env(home, port, users or {"admin": "admin"}, base)
    meta = sibling_url(metadata_url, metadata_url.rsplit("/", 1)[1], "postgresql+psycopg")
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta,
        # Airflow would derive postgresql+asyncpg (not installed); psycopg 3 speaks asyncio itself
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": meta,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": HOSTNAME_CALLABLE,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{meta}",
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "include"), base.get("PYTHONPATH", "")) if p),
    })
    return env


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen
    log: Path
    alive: bool = True


@dataclass
class Cluster:
    """The components as separate processes; ``workers`` Celery workers named ``worker-1`` …"""

    home: Path
    env: dict[str, str]
    port: int
    workers: int = 2
    concurrency: int = 2
    procs: list[subprocess.Popen] = field(default_factory=list)
    nodes: dict[str, Worker] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self) -> Any:
        return _stack().Api(self.base)

    def airflow(self, *args: str, timeout: float = 300) -> None:
        """A one-off ``airflow`` command (migrate, reserialize); its output is kept in the home."""
        log = self.home / f"airflow-{args[0]}-{args[1] if len(args) > 1 else ''}.log"
        with log.open("w") as out:
            subprocess.run([str(BIN / "airflow"), *args], env=self.env, check=True, stdout=out,
                           stderr=subprocess.STDOUT, timeout=timeout)

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        log = self.home / f"{name}.log"
        proc = subprocess.Popen([str(BIN / "airflow"), *args], env=env, stdout=log.open("w"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc, log

    def start(self, timeout: float = 180) -> Cluster:
        """Migrate the metadata DB, register the DAGs, start everything, wait for health and workers."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.airflow("db", "migrate")
        self.airflow("dags", "reserialize")
        self._spawn("api-server", ["api-server", "--port", str(self.port)], self.env)
        self._spawn("scheduler", ["scheduler"], self.env)
        self._spawn("dag-processor", ["dag-processor"], self.env)
        for n in range(1, self.workers + 1):
            self.start_worker(f"worker-{n}")
        deadline = time.monotonic() + timeout
        self._wait(lambda: self._healthy(), deadline, "api-server healthy")
        for w in self.nodes.values():
            self._wait(lambda w=w: "ready." in w.log.read_text(errors="replace"), deadline, f"{w.name} ready")
        return self

    def start_worker(self, name: str) -> Worker:
        """One ``airflow celery worker`` with its own Celery node name and task-instance hostname."""
        env = dict(self.env, YUQING_WORKER_NAME=name)
        args = ["celery", "worker", "--celery-hostname", name, "--concurrency", str(self.concurrency),
                "--skip-serve-logs", "--without-mingle", "--without-gossip"]
        proc, log = self._spawn(name, args, env)
        self.nodes[name] = Worker(name, proc, log)
        return self.nodes[name]

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.base}/api/v2/monitor/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _wait(self, ready: Any, deadline: float, what: str) -> None:
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None and p.returncode not in (None, -9) and p not in self._killed():
                    raise RuntimeError(f"{p.args[1:3]} exited {p.returncode} while waiting for {what}; logs in "
                                       f"{self.home}; the last lines of its log:\n{self._tail(p)}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}; logs in {self.home}")

    def _tail(self, proc: subprocess.Popen, lines: int = 8) -> str:
        """The end of a component's log (an ImportError there explains a worker that would not start)."""
        name = next((w.name for w in self.nodes.values() if w.proc is proc), str(proc.args[1]))
        log = self.home / f"{name}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"

    def _killed(self) -> list[subprocess.Popen]:
        return [w.proc for w in self.nodes.values() if not w.alive]

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker's process group (its PID) and every descendant by PID: the main process,
        the pool children, their task supervisors and the task processes — which Airflow's supervisor
        moves into process groups of their own — die at once, with no warm shutdown: a crashed machine."""
        w = self.nodes[name]
        family = descendants(w.proc.pid)
        os.killpg(w.proc.pid, signal.SIGKILL)
        _kill(family, signal.SIGKILL)
        w.proc.wait(timeout=30)
        w.alive = False

    def worker_pids(self) -> dict[str, int]:
        return {name: w.proc.pid for name, w in self.nodes.items() if w.alive}

    def stop(self) -> None:
        """SIGTERM every group, then SIGKILL what is left, task processes in their own groups included."""
        family = [pid for p in self.procs if p.poll() is None for pid in descendants(p.pid)]
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 30
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for p in self.procs:  # children of a group leader that already left (pool, task processes)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if p.poll() is None:
                p.wait(timeout=10)
        _kill(family + [pid for p in self.procs for pid in descendants(p.pid)], signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """PIDs of every living descendant of ``pid`` (children of children too), whatever their group."""
    import psutil

    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _kill(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def task_instances(api: Any, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every task instance of a run (mapped ones included) with ``hostname``, ``state``, ``try_number``."""
    out: list[dict[str, Any]] = []
    while True:
        page = api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100, offset=len(out))
        out.extend(page["task_instances"])
        if len(out) >= page["total_entries"] or not page["task_instances"]:
            return out


def try_hosts(api: Any, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Every try of every task instance of a run (``/tries``), with the host that ran it."""
    out: list[dict[str, Any]] = []
    for ti in task_instances(api, dag_id, run_id):
        tries = api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/{ti['map_index']}/tries")
        out.extend(tries["task_instances"])
    return out


# --- loopback sources with known item counts --------------------------------------------------------

TOPICS = ("清真寺周边停车难，居民希望协调", "寺庙香火钱管理是否公开", "少数民族学生助学金发放进度", "教堂门口施工噪音扰民",
          "民族团结进步示范社区创建活动", "宗教活动场所消防检查", "斋月期间清真食品供应", "非法宗教活动举报",
          "民族村寨旅游开发纠纷", "宗教团体换届选举通知")


def source_id(n: int) -> str:
    return f"load_{n:03d}"


def feed_records(n: int, first: int, count: int, *, published: str) -> list[dict[str, Any]]:
    """Records ``first`` … ``first+count-1`` of source ``n``: ids unique per source, varied text."""
    out = []
    for i in range(first, first + count):
        topic = TOPICS[(n * 7 + i) % len(TOPICS)]
        out.append({
            "id": f"{source_id(n)}-{i}",
            "title": f"{topic}（{n}号源第{i}帖）",
            "content": f"网友反映：{topic}。江城市第{n % 13 + 1}区，第{i}条留言，编号{n}-{i}，请有关部门关注。",
            "url": f"/post/{n}/{i}",
            "askTime": published,
        })
    return out


def write_feed(site: Path, n: int, records: list[dict[str, Any]]) -> str:
    """Write source ``n``'s JSON feed (网络问政-style: ``data.list``); returns its path on the server."""
    import json

    path = f"/feeds/{source_id(n)}.json"
    (site / "feeds").mkdir(parents=True, exist_ok=True)
    (site / path.lstrip("/")).write_text(json.dumps({"data": {"list": records}}, ensure_ascii=False), encoding="utf-8")
    return path


def source_config(n: int, base_url: str, timeout: float = 30) -> dict[str, Any]:
    """The ``sources:`` entry for generated source ``n`` on the loopback server at ``base_url``."""
    return {
        "id": source_id(n), "name": f"压力测试源{n}", "type": "json", "channel": "forum",
        "url": f"{base_url}/feeds/{source_id(n)}.json", "cadence_minutes": 15, "timeout_seconds": timeout,
        "retries": 0, "failure_threshold": 3,
        "mapping": {"items_path": "data.list", "external_id": "id", "title": "title", "text": "content",
                    "url": "url", "published_at": "askTime"},
    }


def write_config(path: Path, base_url: str, sources: int, timeout: float = 30) -> Path:
    """The bundled ``yuqing.yaml`` (organisation, roster, grading …) with only the generated sources."""
    import yaml

    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    raw["sources"] = [source_config(n, base_url, timeout) for n in range(sources)]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
