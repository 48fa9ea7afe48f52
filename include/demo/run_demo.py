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
            # signs the acknowledgement links in warning mails and the desk's forms; a real deployment sets its own
            "YUQING_SECRET_KEY": os.environ.get("YUQING_SECRET_KEY", "yuqing-demo-secret-not-for-production"),
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


def run_reports(airflow: str, yuqing: str, env: dict[str, str], log: Path) -> dict[str, list[str]]:
    """专报 for the 重大 清风寺 event and the 周报, each drafted by its DAG, approved by a named leader
    through the CLI (HITL steps cannot be answered inside `airflow dags test`; in the Airflow UI a
    leader answers them under Browse → Required Actions), then sent 归口 by the same DAG; and a
    risk assessment run from its CLI with the bundled survey, interviews and scores."""
    from datetime import timedelta

    from sqlalchemy import select

    from yuqing.clock import local_today
    from yuqing.db import session_scope
    from yuqing.models import Event
    from yuqing.reports.models import Report

    with session_scope() as session:
        top = session.scalars(select(Event).order_by(Event.score.desc())).first()
    if top is None:
        sys.exit("no event was graded; cannot make a 专报")
    today = local_today()
    monday_after = today + timedelta(days=7 - today.weekday())
    runs = {
        "舆情专报": ("yuqing_special_report", {"event_id": top.id}, "special", f"event:{top.id}"),
        "舆情周报": ("yuqing_weekly_report", {"period": "weekly", "report_date": monday_after.isoformat()}, "weekly", None),
    }
    out: dict[str, list[str]] = {}
    for name, (dag_id, conf, kind, key) in runs.items():
        cmd = [airflow, "dags", "test", dag_id, "-c", json.dumps(conf), "--mark-success-pattern", "^approve$"]
        run(cmd, env, log, f"running {dag_id} (draft; the approval step is left to the CLI)")
        with session_scope() as session:
            q = select(Report).where(Report.kind == kind) if key is None else select(Report).where(Report.key == key)
            report = session.scalars(q.order_by(Report.id.desc())).first()
            report_id, status, files = report.id, report.status, list(report.files.values())
        if status == "draft":
            run([yuqing, "report", "approve", str(report_id), "--by", "li_hua"], env, log,
                f"approving {name} {report_id} as 李华 (li_hua) through the CLI")
        run(cmd, env, log, f"running {dag_id} again: 归口报送 of the approved version")
        out[name] = files
    risk = DEMO / "risk"
    run([yuqing, "risk", "assess", "--key", "demo:venue-regulation", "--title", "江城市宗教活动场所管理办法（修订）",
         "--summary", "规范宗教活动场所收费、财务公开和安全管理。", "--group", "信教群众", "--group", "场所管理人员",
         "--keyword", "清风寺", "--keyword", "香火钱", "--survey", str(risk / "survey.csv"),
         "--interviews", str(risk / "interviews.csv"), "--scores", str(risk / "scores.json"),
         "--verdict", "暂缓实施", "--by", "wang_jun"], env, log, "running the 重大决策舆情风险评估 (CLI)")
    with session_scope() as session:
        report = session.scalars(select(Report).where(Report.kind == "risk").order_by(Report.id.desc())).first()
        out["舆情风险评估报告"] = list(report.files.values())
    return out


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
        run([airflow, "dags", "test", "yuqing_case_handling"], env, log, "running yuqing_case_handling (受理 → 转办)")
        from response_demo import run_response_demo  # C2d approval and public response on a real stack

        run_response_demo(env, out, log)
        reports = run_reports(airflow, yuqing, env, log)  # after the cases, so the 周报 has its 通报 and 考核
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
    for name, files in reports.items():
        print(f"{name}: " + "  ".join(str(f) for f in files))
    print("\n舆情 desk: run `make desk` to open the Airflow UI on these data (its 舆情 entry; Ctrl-C stops it)")


if __name__ == "__main__":
    main()
