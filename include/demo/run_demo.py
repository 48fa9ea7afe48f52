"""`make demo`: one bureau day in a few minutes, on real parts.

Initialises Airflow's metadata DB (SQLite, LocalExecutor) and the yuqing store, serves the bundled
demo sources from a loopback HTTP server, starts a loopback SMTP server and a robot-webhook
receiver, runs `yuqing_collect` and then `yuqing_daily_log` as real Airflow DAG runs
(`airflow dags test`), and prints the path of the 舆情日志 it wrote under output/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "include" / "demo"
BIN = Path(sys.executable).parent
DEMO_PORT = int(os.environ.get("YUQING_DEMO_PORT", "8765"))
sys.path.insert(0, str(DEMO))

from demo_sinks import MailSink, WebhookSink  # noqa: E402
from hotline_stage import stage_hotline  # noqa: E402
from serve import start_server  # noqa: E402


def airflow_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(ROOT / "airflow_home"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
            "YUQING_HOME": str(ROOT),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], log: Path, what: str) -> None:
    started = time.monotonic()
    print(f"==> {what} ...", flush=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    took = time.monotonic() - started
    if proc.returncode != 0:
        print(f"    FAILED after {took:.1f}s (exit {proc.returncode}); see {log}", flush=True)
        print("".join(log.read_text(encoding="utf-8").splitlines(keepends=True)[-40:]))
        sys.exit(proc.returncode)
    print(f"    done in {took:.1f}s", flush=True)


def stage_hotline_files() -> None:
    """Drop the bundled hotline exports into the inbox, as the 12345 centre would, dated today.

    Each demo run drops them again; their 受理编号 are already stored, so nothing is duplicated.
    """
    stage_hotline(ROOT / "var" / "hotline" / "inbox")


def main() -> None:
    out = ROOT / "output"
    logs = out / "demo-logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"demo-{time.strftime('%Y%m%d-%H%M%S')}.log"

    mail = MailSink(folder=out / "demo-mailbox").start()
    webhook = WebhookSink(folder=out / "demo-webhook").start()
    try:
        server, base_url = start_server(DEMO / "site", port=DEMO_PORT)
    except OSError as exc:
        sys.exit(f"cannot serve the demo sources on 127.0.0.1:{DEMO_PORT} ({exc}); set YUQING_DEMO_PORT")
    print(f"demo sources at {base_url}; SMTP on 127.0.0.1:{mail.port}; webhook on 127.0.0.1:{webhook.port}")

    env = airflow_env(
        {
            "AIRFLOW_CONN_YUQING_SMTP": mail.connection_json(),
            "AIRFLOW_CONN_YUQING_WEBHOOK": webhook.connection_json(),
            "YUQING_RETRY_DELAY_SECONDS": "5",
        }
    )
    airflow, yuqing = str(BIN / "airflow"), str(BIN / "yuqing")
    try:
        run([airflow, "db", "migrate"], env, log, "initialising Airflow's metadata database")
        run([yuqing, "db", "upgrade"], env, log, "migrating the yuqing store")
        stage_hotline_files()
        run([airflow, "dags", "reserialize"], env, log, "registering the DAGs")
        run([airflow, "dags", "test", "yuqing_collect"], env, log, "running yuqing_collect (collect → analyse → warn)")
        from yuqing.clock import local_today

        today = local_today().isoformat()
        conf = json.dumps({"report_date": today})
        run([airflow, "dags", "test", "yuqing_daily_log", "-c", conf], env, log, "running yuqing_daily_log")
    finally:
        server.shutdown()
        mail.stop()
        webhook.stop()

    summary = subprocess.run([yuqing, "warnings", "list", "--all"], env=env, capture_output=True, text=True, cwd=ROOT)
    print("\n预警 (warnings):\n" + (summary.stdout.rstrip() or "(none)"))
    print(f"\nmail delivered to the loopback SMTP server: {len(mail.messages)} (saved in {out / 'demo-mailbox'})")
    print(f"robot messages delivered to the webhook: {len(webhook.received)} (saved in {out / 'demo-webhook'})")
    print(f"log of the DAG runs: {log}")
    daily = out / "daily" / f"舆情日志-{today}.html"
    if not daily.exists():
        sys.exit(f"the daily log was not written where expected: {daily}")
    print(f"\n舆情日志: {daily}")


if __name__ == "__main__":
    main()
