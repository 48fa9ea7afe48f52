"""The handling and public-response part of `make demo` (issue 5), on a real Airflow stack.

After collection, the hourly case sweep (`yuqing_case_handling`) opens the cases; the 重大 清风寺
event waits for its C2d approval in `yuqing_event_assessment`. Then:

- by default (unattended) the demo answers the HITL requests over the REST API *as the assigned
  people* (drafter 郑燕, the police liaison for 会签, leader 陈刚), exactly as the UI would, and prints
  where the identical text stands on the three local channels and the audit lines proving who approved;
- with ``YUQING_DEMO_INTERACTIVE=1`` it stops at the approval request, prints the Airflow UI address
  and the users' passwords, and keeps everything running until Ctrl-C, so a person approves in the UI.
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
sys.path.insert(0, str(DEMO))

from channels import start_channels  # noqa: E402
from desk_demo import show_desk  # noqa: E402
from stack import Api, Stack, stack_env  # noqa: E402

USERS = {"admin": "admin", "chen_gang": "user", "wang_jun": "user", "li_hua": "user", "zheng_yan": "user",
         "zhao_min": "user", "zhang_jing": "user", "liu_yang": "user",
         # the rest of the roster, so whoever is on duty can log in to the 舆情 desk and acknowledge
         "huang_xin": "user", "he_jing": "user", "sun_li": "user", "zhou_ping": "user", "wu_qiang": "user"}
C2D, PR = "yuqing_event_assessment", "yuqing_public_response"


def _major_case(env: dict[str, str]) -> dict | None:
    out = subprocess.run([sys.executable, "-c", (
        "import json\nfrom sqlalchemy import select\nfrom yuqing.db import session_scope\n"
        "from yuqing.cases.models import Case, PublicResponse\n"
        "with session_scope() as s:\n"
        "    cs = s.scalars(select(Case).where(Case.level.in_(['重大', '特别重大'])).order_by(Case.id)).all()\n"
        "    c = next((x for x in cs if '清风寺' in x.title), cs[0] if cs else None)\n"
        "    r = c and s.scalar(select(PublicResponse).where(PublicResponse.case_id == c.id,"
        " PublicResponse.state == 'published').order_by(PublicResponse.id.desc()))\n"
        "    print(json.dumps(c and {'number': c.number, 'title': c.title, 'assessment': c.assessment_state,"
        " 'published': r and {p.channel: p.url for p in r.publications}}, ensure_ascii=False))\n")],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_response_demo(env: dict[str, str], out: Path, log: Path) -> None:
    interactive = os.environ.get("YUQING_DEMO_INTERACTIVE") == "1"
    port = int(os.environ.get("YUQING_DEMO_AIRFLOW_PORT", "8080"))
    publish = out / "publish"
    channels = start_channels(publish, port=int(os.environ.get("YUQING_DEMO_CHANNELS_PORT", "8766")),
                              folder=out / "demo-channels")
    home = Path(env["AIRFLOW_HOME"])
    senv = stack_env(home, port, USERS, env | channels.connections(publish))
    case = _major_case(senv)
    if case is None:
        print("no 重大 case was opened; nothing to approve")
        channels.shutdown()
        return
    print(f"==> 重大 case {case['number']}: {case['title']}  (C2d approval: {case['assessment']})")
    stack = Stack(home, senv, port)
    print(f"==> starting Airflow (api-server, scheduler, dag-processor) on http://127.0.0.1:{port} ...", flush=True)
    try:
        stack.start()
        api = Api(stack.base)
        api.unpause(C2D, PR)
        if case["published"]:
            print("    already approved and published in an earlier demo run")
            show_desk(api, port, interactive)
        else:
            _walk(api, case["number"], interactive, port)
        case = _major_case(senv)
        _print_results(case, channels, senv)
        if interactive:
            print("\nAirflow and the local channels keep running; press Ctrl-C to stop.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        channels.shutdown()
        channels.server_close()


def _walk(api: Api, number: str, interactive: bool, port: int) -> None:
    run = f"c2d__{number}"
    if api.run_state(C2D, run) is None:
        api.trigger(C2D, run, {"case_number": number})
    detail = api.wait_request(C2D, run, "approve_handling", timeout=180)
    who = detail["assigned_users"][0]["id"]
    print(f"==> approval request waiting for {who}: {detail['subject']}")
    show_desk(api, port, interactive)
    if interactive:
        print(f"\n  Open http://127.0.0.1:{port}/ and log in as {who} (password pw-{who}),")
        print("  then Browse → Required Actions (or the DAG yuqing_event_assessment → the run → approve_handling)")
        print("  and choose Approve. Afterwards answer the response steps the same way: edit_draft as zheng_yan,")
        print("  countersign as zhang_jing, approve_text as chen_gang. Passwords are pw-<user>.")
        deadline = time.monotonic() + 3 * 3600
        while api.run_state(C2D, run) not in ("success", "failed") and time.monotonic() < deadline:
            time.sleep(3)
        response_run = f"response__{run}"
        while api.run_state(PR, response_run) not in ("success", "failed") and time.monotonic() < deadline:
            time.sleep(3)
        return
    print(f"    answering as {who} over the REST API (what the Approve button does) ...", flush=True)
    _ok(api.respond(who, C2D, run, "approve_handling", "Approve", {"reason": ""}))
    if api.wait_run(C2D, run, timeout=180) != "success":
        raise SystemExit(f"{C2D} did not succeed: {api.task_states(C2D, run)}")
    response_run = f"response__{run}"
    _ok(api.respond("zheng_yan", PR, response_run, "edit_draft", "OK", {"text": ""}, timeout=180))
    print("    draft accepted by 郑燕 (zheng_yan)", flush=True)
    for i in range(5):
        try:
            d = api.wait_request(PR, response_run, "countersign", map_index=i, timeout=20)
        except (TimeoutError, AssertionError):
            break
        uid = d["assigned_users"][0]["id"]
        _ok(api.respond(uid, PR, response_run, "countersign", "Approve", {"reason": ""}, i))
        print(f"    会签 confirmed by {uid}", flush=True)
    d = api.wait_request(PR, response_run, "approve_text", timeout=180)
    uid = d["assigned_users"][0]["id"]
    _ok(api.respond(uid, PR, response_run, "approve_text", "Approve", {"reason": ""}))
    print(f"    text approved by {uid}; publishing (微博 first, then 微信 and the website) ...", flush=True)
    state = api.wait_run(PR, response_run, timeout=240)
    if state != "success":
        raise SystemExit(f"{PR} ended {state}: {api.task_states(PR, response_run)}")


def _ok(status: int) -> None:
    if status != 200:
        raise SystemExit(f"the HITL answer was refused: HTTP {status}")


def _print_results(case: dict | None, channels, env: dict[str, str]) -> None:
    if not case or not case["published"]:
        print("the response is not published yet")
        return
    print("\n公开回应 — the identical approved text on the three local channels:")
    for channel, url in case["published"].items():
        print(f"  {channel:8} {url}")
    print(f"  RSS      {channels.base_url}/site/rss.xml")
    audit = subprocess.run([str(Path(sys.executable).parent / "yuqing"), "audit", "export", "--since", "2000-01-01",
                            "--format", "json", "--action", "approval."], env=env, capture_output=True, text=True,
                           cwd=ROOT)
    rows = [r for r in json.loads(audit.stdout or "[]") if not r["action"].startswith("approval.requested")]
    print("\nwho decided (yuqing audit export --since … --action approval.):")
    for r in rows[-8:]:
        d = r["detail"]
        print(f"  {r['at'][:19]}Z {r['actor']:12} {r['action']:32} sha256={str(d.get('sha256'))[:16]}… "
              f"{d.get('dag_id')}/{d.get('run_id')}/{d.get('task_id')}")
