"""The 舆情 desk in `make demo`: where it is, who to log in as, and what its pages show right now.

Called once the demo's stack is up and the C2d approval is waiting, so every page has something:
the day's events, the open warnings, the cases, the pending approval and the sources. The figures
are read from the desk's own JSON endpoints as the person on duty (the same login a person uses).
"""

from __future__ import annotations

from stack import Api

from yuqing import roster
from yuqing.clock import utcnow
from yuqing.config import load_config


def on_duty_now() -> str:
    """The person on duty now (they may acknowledge), else the 主要负责同志 who stands in."""
    config = load_config()
    try:
        return roster.on_duty(config, utcnow()).person.id
    except roster.RosterGap:
        return config.organisation.principal


def show_desk(api: Api, port: int, interactive: bool) -> None:
    user = on_duty_now()
    base = f"http://127.0.0.1:{port}"
    print(f"==> 舆情 desk: {base}/yuqing/  (in the Airflow UI at {base}/ it is the 舆情 entry of the sidebar)")
    figures = {}
    for page in ("situation", "warnings", "cases", "approvals", "sources"):
        r = api.request("GET", f"/yuqing/api/{page}", user)
        if r.status_code != 200:
            print(f"    the desk's {page} page answered HTTP {r.status_code}: {r.text[:200]}")
            return
        figures[page] = r.json()
    day, warnings, cases = figures["situation"], figures["warnings"], figures["cases"]
    levels = ", ".join(f"{c['level']} {c['count']}" for c in day["level_counts"] if c["count"])
    trouble = figures["sources"]["trouble"]
    print(f"    今日态势 {day['events_total']} events ({levels}), {day['items_total']} items · "
          f"预警 {warnings['open_count']} awaiting acknowledgement · 案件 {cases['total']} open "
          f"({cases['overdue_total']} overdue) · 待审批 {len(figures['approvals']['requests'])} · "
          f"信源健康 {len(figures['sources']['sources'])} sources ({trouble} in trouble)")
    print(f"    log in as {user} (on duty now; password pw-{user}) to acknowledge a warning on 预警; "
          "other roster people log in the same way (password pw-<id>), admin/pw-admin reads only")
    if not interactive:
        print("    (the stack stops when the demo ends; run `YUQING_DEMO_INTERACTIVE=1 make demo` to keep it up)")
