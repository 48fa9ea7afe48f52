"""A real Airflow stack (api-server, scheduler, dag-processor; LocalExecutor) and a small REST
client that answers HITL requests as named users — for the end-to-end tests and the demo.

Users come from SimpleAuthManager (``[core] simple_auth_manager_users``) with passwords from a file
we write, so ``assigned_users`` is enforced exactly as in production: only the assigned person may
answer, admins included.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

BIN = Path(sys.executable).parent
JWT_SECRET = "yuqing-demo-jwt-secret-0123456789abcdef0123456789abcdef0123456789abcdef"


def stack_env(home: Path, port: int, users: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """Environment for every component: SQLite metadata in ``home``, the users and their passwords."""
    from demo_sinks import free_port

    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({u: f"pw-{u}" for u in users}), encoding="utf-8")
    env = dict(base)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": env.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # only the DAGs a caller unpauses run
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in users.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": JWT_SECRET,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "2",
        "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}",
    })
    return env


class Stack:
    """Airflow components as separate processes, each in its own process group, stopped by PID."""

    def __init__(self, home: Path, env: dict[str, str], port: int):
        self.home, self.env, self.port, self.procs = home, env, port, []
        self.base = f"http://127.0.0.1:{port}"

    def run(self, *args: str) -> None:
        subprocess.run([str(BIN / "airflow"), *args], env=self.env, check=True, capture_output=True, timeout=180)

    def start(self) -> Stack:
        self.run("db", "migrate")
        self.run("dags", "reserialize")
        for args in (("api-server", "--port", str(self.port)), ("scheduler",), ("dag-processor",)):
            log = (self.home / f"{args[0]}.log").open("w")
            self.procs.append(subprocess.Popen([str(BIN / "airflow"), *args], env=self.env, stdout=log,
                                               stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"api-server at {self.base} did not become healthy; logs in {self.home}")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5  # idle components exit in < 2 s; busy ones are not worth waiting for
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Api:
    """The Airflow REST API as named users (tokens from POST /auth/token)."""

    def __init__(self, base: str, passwords: dict[str, str] | None = None):
        self.base, self.passwords, self.tokens = base, passwords or {}, {}

    def auth(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = requests.post(f"{self.base}/auth/token", timeout=10,
                              json={"username": user, "password": self.passwords.get(user, f"pw-{user}")})
            r.raise_for_status()
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def request(self, method: str, path: str, user: str = "admin", **kwargs: Any) -> requests.Response:
        """One call; retried on a 5xx (SQLite metadata can be briefly locked under a busy scheduler)."""
        for attempt in range(5):
            r = requests.request(method, f"{self.base}{path}", headers=self.auth(user), timeout=15, **kwargs)
            if r.status_code < 500:
                return r
            time.sleep(1 + attempt)
        return r

    def get(self, path: str, user: str = "admin", **params: Any) -> Any:
        r = self.request("GET", f"/api/v2{path}", user, params=params)
        r.raise_for_status()
        return r.json()

    def unpause(self, *dag_ids: str, user: str = "admin") -> None:
        for dag_id in dag_ids:
            self.request("PATCH", f"/api/v2/dags/{dag_id}", user, json={"is_paused": False}).raise_for_status()

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any] | None = None, user: str = "admin") -> str:
        self.unpause(dag_id, user=user)
        r = self.request("POST", f"/api/v2/dags/{dag_id}/dagRuns", user,
                         json={"logical_date": None, "dag_run_id": run_id, "conf": conf or {}})
        if r.status_code != 200:
            raise RuntimeError(f"trigger {dag_id}: {r.status_code} {r.text}")
        return run_id

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        r = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        return r.json().get("state") if r.status_code == 200 else None

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state
            time.sleep(0.5)
        raise TimeoutError(f"{dag_id}/{run_id} still {state} after {timeout}s")

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        tis = self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
        return {t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else ""): t["state"] for t in tis}

    def wait_request(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1,
                     timeout: float = 90, settle: float = 3) -> dict[str, Any]:
        """Wait until the HITL task is parked (awaiting_input), then a little more (see airflow-hitl.md §8)."""
        deadline = time.monotonic() + timeout
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"
        while time.monotonic() < deadline:
            r = self.request("GET", f"/api/v2{path}")
            if r.status_code == 200 and r.json().get("task_instance", {}).get("state") == "awaiting_input":
                time.sleep(settle)
                return r.json()
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                raise AssertionError(f"{dag_id}/{run_id} ended {state} before {task_id} asked: "
                                     f"{self.task_states(dag_id, run_id)}")
            time.sleep(0.5)
        raise TimeoutError(f"{dag_id}/{run_id}/{task_id}[{map_index}] never awaited input")

    def respond(self, user: str, dag_id: str, run_id: str, task_id: str, option: str,
                params_input: dict[str, Any] | None = None, map_index: int = -1, timeout: float = 150) -> int:
        """Answer once the task is parked, and again if Airflow retried it and asks anew.

        A bot answering soon after the task parked can race the executor's report of the parking
        process (airflow-hitl.md §8): the try is then failed and retried, and the retry asks again.
        A person sees the new request in the UI; this does what that person would do. Returns the
        HTTP status of the last answer.
        """
        path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"
        detail = self.wait_request(dag_id, run_id, task_id, map_index, timeout=timeout)
        answered_try = detail["task_instance"]["try_number"]
        status = self.answer(user, dag_id, run_id, task_id, option, params_input, map_index).status_code
        if status != 200:
            return status
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.request("GET", path)
            ti = r.json().get("task_instance", {}) if r.status_code == 200 else {}
            if ti.get("state") in ("success", "skipped", "failed", "upstream_failed"):
                return status
            if ti.get("state") == "awaiting_input" and ti.get("try_number", 0) > answered_try:
                time.sleep(4)
                answered_try = ti["try_number"]
                status = self.answer(user, dag_id, run_id, task_id, option, params_input, map_index).status_code
                if status != 200:
                    return status
            time.sleep(0.5)
        raise TimeoutError(f"{dag_id}/{run_id}/{task_id}[{map_index}] did not finish after the answer")

    def answer(self, user: str, dag_id: str, run_id: str, task_id: str, option: str,
               params_input: dict[str, Any] | None = None, map_index: int = -1) -> requests.Response:
        return self.request(
            "PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails",
            user, json={"chosen_options": [option], "params_input": params_input or {}})
