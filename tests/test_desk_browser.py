"""The 舆情 desk in a real browser: headless Debian Chromium (playwright) against a real Airflow stack
(api-server, scheduler, dag-processor; include/demo/stack.py) with the demo's data collected, its
warnings raised, its cases opened by the hourly sweep and a real C2d approval waiting in Airflow.

One stack and one browser serve the module. Most pages are opened with the login cookie from
``POST /auth/token``; one test goes through Airflow's login form and the 舆情 entry of the UI's
navigation. Each run saves a screenshot of every page to docs/screenshots/ (shown in the README).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from e2e_support import ROOT, airflow_stack, collect_demo_sources, start_world, use_store_copy

sys.path.insert(0, str(ROOT / "include" / "demo"))
sys.path.insert(0, str(ROOT / "plugins"))
from desk_support import HOSTILE_TITLE, HOSTILE_URL  # noqa: E402
from stack import Api, Stack  # noqa: E402

from yuqing.cases.models import Case  # noqa: E402
from yuqing.clock import utcnow  # noqa: E402
from yuqing.config import load_config  # noqa: E402
from yuqing.db import session_scope  # noqa: E402
from yuqing.early_warning import recipient_of  # noqa: E402
from yuqing.models import EarlyWarning, Event, Item  # noqa: E402

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "docs" / "screenshots"
PAGES = {"situation": ("", "今日态势"), "warnings": ("warnings", "预警"), "cases": ("cases", "案件"),
         "approvals": ("approvals", "待审批"), "sources": ("sources", "信源健康")}
USERS = {"admin": "admin", "liu_yang": "user", "huang_xin": "user", "he_jing": "user", "wang_jun": "user",
         "li_hua": "user", "chen_gang": "user", "wu_qiang": "user", "zheng_yan": "user", "gao_view": "viewer"}
C2D = "yuqing_event_assessment"


@dataclass
class Desk:
    base: str
    api: Api
    browser: object
    ack_user: str
    major: str
    hostile_warning: int


def _add_viewer(raw: dict) -> None:
    raw["people"].append({"id": "gao_view", "name": "高观", "roles": ["viewer"]})


def _hostile(now) -> int:
    """An item whose title holds a script and whose link is javascript:, graded and warned like any other."""
    with session_scope() as s:
        source = s.scalars(select(Item.source_id)).first()
        item = Item(source_id=source, external_id="hostile-1", channel="forum", title=HOSTILE_TITLE, text=HOSTILE_TITLE,
                    url=HOSTILE_URL, collected_at=now, content_hash="f" * 64, sentiment="negative", relevant=True)
        event = Event(title=HOSTILE_TITLE, level="较大", score=50, item_count=1, first_seen_at=now, last_seen_at=now)
        s.add_all([item, event])
        s.flush()
        item.event_id, event.representative_item_id = event.id, item.id
        warning = EarlyWarning(dedup_key="event:hostile-test", kind="event", level="较大", title=HOSTILE_TITLE,
                               summary=HOSTILE_TITLE, event_id=event.id, duty_person=None, created_at=now)
        s.add(warning)
        s.flush()
        return warning.id


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Desk]:
    """The demo's data collected, warned and cased, a hostile item, then a real stack with the desk."""
    from yuqing.cases.service import dispatch_new_cases, open_pending_cases
    from yuqing.collection.health import check_source_health
    from yuqing.early_warning import raise_warnings

    tmp = tmp_path_factory.mktemp("desk_browser")
    mp = pytest.MonkeyPatch()
    use_store_copy(tmp, mp, _sqlite_template)
    mp.setenv("YUQING_SECRET_KEY", "desk-browser-test-secret")
    world = start_world(tmp, mp, tweak=_add_viewer)
    collect_demo_sources()
    config, now = load_config(), utcnow()
    with session_scope() as s:  # what yuqing_collect's last task and the hourly case sweep do
        raise_warnings(s, config, now=now, health_problems=check_source_health(s, config, now=now))
        open_pending_cases(s, config, now=now)
        dispatch_new_cases(s, config, now=now)
    hostile = _hostile(now)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with airflow_stack(tmp, USERS) as stack:
            yield from _desk_on(stack, config, hostile)
    finally:
        world.stop()
        mp.undo()


def _desk_on(stack: Stack, config: Any, hostile: Any) -> Iterator[Desk]:
    """A real C2d approval waiting in Airflow, then one headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    api = Api(stack.base)
    with session_scope() as s:
        majors = s.execute(select(Case.number, Case.title).where(Case.level == "重大").order_by(Case.id)).all()
        major = next((n for n, t in majors if "清风寺" in t), majors[0][0])
        first = s.scalars(select(EarlyWarning).where(EarlyWarning.kind == "event")
                          .order_by(EarlyWarning.id)).first()
        ack_user = recipient_of(config, first.duty_person).id
    api.trigger(C2D, f"c2d__{major}", {"case_number": major})  # a real C2d approval, waiting in Airflow
    api.wait_request(C2D, f"c2d__{major}", "approve_handling", settle=0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield Desk(stack.base, api, browser, ack_user, major, hostile)
        finally:
            browser.close()


def page_as(desk: Desk, user: str):
    """A new browser page logged in as ``user`` (the ``_token`` cookie, as Airflow's login page sets it)."""
    context = desk.browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    token = desk.api.auth(user)["Authorization"].split(" ", 1)[1]
    context.add_cookies([{"name": "_token", "value": token, "url": desk.base}])
    page = context.new_page()
    page.on("dialog", lambda d: pytest.fail(f"a script ran and opened a dialog: {d.message}"))
    return page


def test_login_form_and_the_nav_entry(desk: Desk) -> None:
    from playwright.sync_api import expect

    context = desk.browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{desk.base}/yuqing/")
    page.wait_for_url("**/auth/login**")
    page.fill("input[name=username]", desk.ack_user)
    page.fill("input[name=password]", f"pw-{desk.ack_user}")
    page.click("button[type=submit]")
    page.wait_for_url("**/yuqing/")
    assert page.locator("h1").inner_text().startswith("今日态势")
    page.goto(f"{desk.base}/")
    entry = page.get_by_role("link", name="舆情").or_(page.get_by_role("button", name="舆情")).first
    entry.click()
    page.wait_for_url("**/plugin/yuqing**")
    frame = page.frame_locator("iframe")
    assert frame.locator("h1").inner_text(timeout=15000).startswith("今日态势")
    frame.locator("nav a[data-page=cases]").click()
    expect(frame.locator("h1")).to_have_text(re.compile("^案件"), timeout=15000)
    page.screenshot(path=str(SHOTS / "airflow-ui.png"))
    context.close()


def test_every_page_with_screenshots(desk: Desk) -> None:
    page = page_as(desk, desk.ack_user)
    for name, (path, heading) in PAGES.items():
        response = page.goto(f"{desk.base}/yuqing/{path}")
        assert response.status == 200, name
        assert page.locator("h1").inner_text().startswith(heading), name
        assert page.locator("nav a[aria-current=page]").inner_text() == heading
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.goto(f"{desk.base}/yuqing/")
    assert page.locator("[data-testid=events] tr[data-event-id]").count() >= 3
    assert "清风寺" in page.locator("[data-testid=events]").inner_text()
    assert page.locator("[data-testid=sentiment-chart] polyline").count() == 3
    assert page.locator("[data-testid=volume] th").count() >= 3
    page.goto(f"{desk.base}/yuqing/cases")
    assert page.locator(f"tr[data-case='{desk.major}']").count() == 1
    page.goto(f"{desk.base}/yuqing/approvals")
    row = page.locator("[data-testid=approvals] tr", has_text="研判处置审批")
    assert row.count() == 1
    assert "陈刚" in row.inner_text() or "chen_gang" in row.inner_text()  # the assigned leader
    href = row.locator("a[data-testid=answer-link]").get_attribute("href")
    assert href.startswith("../dags/yuqing_event_assessment/runs/") and "approve_handling/required_actions" in href
    row.locator("a[data-testid=answer-link]").click()  # Airflow's own page for answering
    page.wait_for_url(f"**/dags/{C2D}/runs/**/required_actions**")
    page.goto(f"{desk.base}/yuqing/sources")
    assert page.locator("[data-testid=sources] tr[data-source]").count() == len(load_config().sources)
    page.context.close()


def _glyph_png(page, text: str) -> bytes:
    page.evaluate("""t => { const s = document.getElementById('glyph-probe') || document.body.appendChild(
        Object.assign(document.createElement('span'), {id: 'glyph-probe'}));
        s.style.cssText = 'font-size:64px;line-height:1;display:inline-block;padding:4px;background:#fff;color:#000';
        s.textContent = t; }""", text)
    return page.locator("#glyph-probe").screenshot()


def test_chinese_renders_as_glyphs_not_boxes(desk: Desk) -> None:
    """Two different hanzi must look different, and unlike a code point no font has (a .notdef box):
    without a CJK font every hanzi is the same empty box and this fails."""
    page = page_as(desk, desk.ack_user)
    page.goto(f"{desk.base}/yuqing/")
    yu, qing, missing = _glyph_png(page, "舆"), _glyph_png(page, "情"), _glyph_png(page, "\U0010fffd")
    assert yu != qing and yu != missing and qing != missing
    widths = page.evaluate("""() => { const c = document.createElement('canvas').getContext('2d');
        c.font = '64px sans-serif'; return [c.measureText('舆情').width, c.measureText('\\u{10fffd}\\u{10fffd}').width]; }""")
    assert widths[0] > 100, widths
    page.context.close()


def test_acknowledge_a_warning_from_the_page(desk: Desk) -> None:
    page = page_as(desk, desk.ack_user)
    page.goto(f"{desk.base}/yuqing/warnings")
    with session_scope() as s:
        wid = s.scalars(select(EarlyWarning.id).where(EarlyWarning.kind == "event", EarlyWarning.status == "open",
                                                      EarlyWarning.id != desk.hostile_warning)
                        .order_by(EarlyWarning.id)).first()
    page.locator(f"[data-testid=ack-{wid}]").click()
    page.wait_for_url(f"**/yuqing/warnings?acked={wid}")
    assert "已确认预警" in page.locator("[data-testid=message]").inner_text()
    assert "已确认" in page.locator(f"tr[data-warning-id='{wid}']").inner_text()
    with session_scope() as s:
        w = s.get(EarlyWarning, wid)
        assert (w.status, w.acknowledged_by) == ("acknowledged", desk.ack_user)
    page.context.close()


def test_a_viewer_acknowledgement_is_refused(desk: Desk) -> None:
    from yuqing_desk.auth import csrf_token

    page = page_as(desk, "gao_view")
    page.goto(f"{desk.base}/yuqing/warnings")
    assert page.locator("[data-testid=read-only]").count() == 1
    assert page.locator("button[data-testid^=ack-]").count() == 0
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}

    class Req:  # the token a tampered page would have to carry; the role check must still refuse
        cookies = cookie

    r = page.request.post(f"{desk.base}/yuqing/warnings", form={"csrf_token": csrf_token(Req()),
                                                                 "warning_id": str(desk.hostile_warning)})
    assert r.status == 403 and "无权确认预警" in r.text()
    with session_scope() as s:
        assert s.get(EarlyWarning, desk.hostile_warning).status == "open"
    page.context.close()


def test_hostile_title_and_javascript_link_are_inert(desk: Desk) -> None:
    page = page_as(desk, desk.ack_user)
    for path in ("", "warnings"):
        page.goto(f"{desk.base}/yuqing/{path}")
        assert page.get_by_text(HOSTILE_TITLE).first.is_visible()  # shown as text, so "<script>" is visible
        assert page.locator("script").count() == 0
        assert page.locator("a[href^='javascript:' i]").count() == 0
    page.context.close()


def test_ack_links_forged_reused_expired(desk: Desk) -> None:
    from yuqing.duty.acknowledgement import make_ack_link

    config = load_config()
    with session_scope() as s:
        ids = s.scalars(select(EarlyWarning.id).where(EarlyWarning.status == "open", EarlyWarning.kind == "source_health")
                        .order_by(EarlyWarning.id)).all() or [desk.hostile_warning]
    wid = ids[0]

    def link(**kw) -> str:
        return f"{desk.base}/yuqing/ack/" + make_ack_link(config, wid, "wang_jun", **kw).rsplit("/ack/", 1)[1]

    good = link(now=utcnow())
    assert requests.get(good, timeout=10).status_code == 200
    done = requests.post(good, timeout=10)
    assert done.status_code == 200 and "已确认收到预警" in done.text
    reused = requests.post(good, timeout=10)
    assert reused.status_code == 409 and "无法确认预警" in reused.text
    forged = requests.post(good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"), timeout=10)
    assert forged.status_code == 403 and "无法确认预警" in forged.text
    expired = requests.post(link(now=utcnow() - timedelta(days=5)), timeout=10)
    assert expired.status_code == 410 and "无法确认预警" in expired.text
