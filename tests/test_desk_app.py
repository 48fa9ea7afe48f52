"""The desk inside Airflow's own web app, in-process: ``airflow.api_fastapi.app.create_app()`` with
the plugins folder, real SimpleAuthManager users and tokens, against a real store (SQLite, and
PostgreSQL when configured). Login, roster roles, CSRF, the acknowledge form, the signed mail link,
escaping of hostile text, and the JSON twins."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from desk_support import HOSTILE_TITLE, Seeded, seed
from fastapi.testclient import TestClient
from sqlalchemy import select

from yuqing.clock import utcnow
from yuqing.config import load_config
from yuqing.db import session_scope
from yuqing.models import AuditLog, EarlyWarning

ROOT = Path(__file__).resolve().parents[1]
USERS = {"admin": "admin", "liu_yang": "user", "wu_qiang": "user", "gao_view": "viewer", "stranger": "user"}
PAGES = ["/yuqing/", "/yuqing/warnings", "/yuqing/cases", "/yuqing/approvals", "/yuqing/sources"]
APIS = ["/yuqing/api/situation", "/yuqing/api/warnings", "/yuqing/api/cases", "/yuqing/api/approvals",
        "/yuqing/api/sources"]


@pytest.fixture(scope="module")
def airflow_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Airflow's root app with the desk plugin mounted; users with passwords ``pw-<user>``; a viewer on the roster."""
    home = tmp_path_factory.mktemp("desk-app")
    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    raw["people"].append({"id": "gao_view", "name": "高观", "roles": ["viewer"]})
    config = home / "yuqing.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({u: f"pw-{u}" for u in USERS}), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", ",".join(f"{u}:{r}" for u, r in USERS.items()))
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
    mp.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "desk-test-jwt-secret-" + "0" * 48)
    mp.setenv("YUQING_SECRET_KEY", "desk-test-secret-key")
    mp.setenv("YUQING_CONFIG", str(config))
    from airflow.api_fastapi.app import create_app
    from airflow.utils.db import upgradedb

    upgradedb()  # tokens are checked against revoked_token; approvals are read from hitl_detail

    with TestClient(create_app(), base_url="http://testserver", follow_redirects=False) as client:
        yield client
    mp.undo()


def login(app: TestClient, user: str) -> TestClient:
    """A client of the same app with the ``_token`` cookie the login page would set."""
    r = app.post("/auth/token", json={"username": user, "password": f"pw-{user}"})
    assert r.status_code == 201, r.text
    client = TestClient(app.app, base_url="http://testserver", follow_redirects=False)
    client.cookies.set("_token", r.json()["access_token"])
    return client


@pytest.fixture
def seeded(db_url: str) -> Seeded:
    with session_scope() as s:
        return seed(s, utcnow())


def warning(warning_id: int) -> EarlyWarning:
    with session_scope() as s:
        return s.get(EarlyWarning, warning_id)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "the page has no acknowledge form"
    return match.group(1)


def test_logged_out_html_redirects_to_login_and_json_is_401(airflow_app: TestClient, seeded: Seeded) -> None:
    for page in PAGES:
        r = airflow_app.get(page)
        assert r.status_code == 303, page
        assert r.headers["location"].startswith("/auth/login?next=") and "yuqing" in r.headers["location"]
    for api in APIS:
        assert airflow_app.get(api).status_code == 401, api
    assert airflow_app.post(f"/yuqing/api/warnings/{seeded.warnings['major']}/acknowledge").status_code == 401
    forged = TestClient(airflow_app.app, base_url="http://testserver", follow_redirects=False)
    forged.cookies.set("_token", "not-a-jwt")
    assert forged.get("/yuqing/cases").status_code == 303
    assert forged.get("/yuqing/api/cases", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert warning(seeded.warnings["major"]).status == "open"


def test_every_page_in_chinese_for_a_monitor(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "liu_yang")
    expected = {"/yuqing/": ["今日态势", "清风寺收取高额香火钱引发质疑", "舆情内容", "情感走势", "<svg", "突增"],
                "/yuqing/warnings": ["预警", "当前值班", "重大预警：清风寺香火钱", "确认收到"],
                "/yuqing/cases": ["案件", "YQ-20260101-0001", "已超期", "宗教活动场所管理科"],
                "/yuqing/approvals": ["待审批"],
                "/yuqing/sources": ["信源健康", "江城论坛", "失败", "沉默"]}
    for page, needles in expected.items():
        r = client.get(page)
        assert r.status_code == 200, (page, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert "Server-Timing" in r.headers
        for needle in needles:
            assert needle in r.text, (page, needle)
    assert seeded.cases["closed"] not in client.get("/yuqing/cases").text  # 办结 is not open


def test_hostile_text_is_inert(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "liu_yang")
    for page in ("/yuqing/", "/yuqing/warnings"):
        html = client.get(page).text
        assert "&lt;script&gt;alert(&#34;desk&#34;)&lt;/script&gt;清风寺香火钱" in html, page
        assert "<script>" not in html and "javascript:" not in html, page
    assert client.get("/yuqing/api/warnings").json()["warnings"][0]["title"] != ""
    assert any(w["title"] == HOSTILE_TITLE for w in client.get("/yuqing/api/warnings").json()["warnings"])


def test_overdue_cases_first_and_marked(airflow_app: TestClient, seeded: Seeded) -> None:
    html = login(airflow_app, "liu_yang").get("/yuqing/cases").text
    rows = re.findall(r'data-case="([^"]+)"( class="overdue" data-overdue="1")?', html)
    assert rows[0] == (seeded.cases["overdue"], ' class="overdue" data-overdue="1"')
    assert all(not flag for _, flag in rows[1:])
    assert {n for n, _ in rows} == {seeded.cases["overdue"], seeded.cases["religion"], seeded.cases["ethnic"]}


def test_a_handler_sees_only_the_cases_of_the_unit(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "wu_qiang")  # 宗教工作科: lead of one case, 协办 of the overdue one
    numbers = {c["number"] for g in client.get("/yuqing/api/cases").json()["units"] for c in g["cases"]}
    assert numbers == {seeded.cases["religion"], seeded.cases["overdue"]}
    html = client.get("/yuqing/cases").text
    assert seeded.cases["ethnic"] not in html and seeded.cases["religion"] in html


def test_acknowledge_from_the_page(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "liu_yang")
    wid = seeded.warnings["major"]
    token = csrf_of(client.get("/yuqing/warnings").text)
    r = client.post("/yuqing/warnings", data={"csrf_token": token, "warning_id": str(wid)})
    assert r.status_code == 303 and r.headers["location"] == f"warnings?acked={wid}"
    w = warning(wid)
    assert (w.status, w.acknowledged_by) == ("acknowledged", "liu_yang")
    with session_scope() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "warning.acknowledge")).all()
    assert [(a.actor, a.object_id, a.detail["via"]) for a in audit] == [("liu_yang", str(wid), "page")]
    page = client.get(f"/yuqing/warnings?acked={wid}").text
    assert "已确认预警" in page and "刘洋" in page
    again = client.post("/yuqing/warnings", data={"csrf_token": token, "warning_id": str(wid)})
    assert again.status_code == 403 and "无需重复确认" in again.text


def test_acknowledge_needs_the_csrf_token_and_same_origin(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "liu_yang")
    wid = seeded.warnings["major"]
    token = csrf_of(client.get("/yuqing/warnings").text)
    missing = client.post("/yuqing/warnings", data={"warning_id": str(wid)})
    assert missing.status_code == 403 and "安全校验" in missing.text
    wrong = client.post("/yuqing/warnings", data={"csrf_token": "0" * 64, "warning_id": str(wid)})
    assert wrong.status_code == 403
    other_site = client.post("/yuqing/warnings", data={"csrf_token": token, "warning_id": str(wid)},
                             headers={"Origin": "http://evil.example"})
    assert other_site.status_code == 403
    json_no_token = client.post(f"/yuqing/api/warnings/{wid}/acknowledge")
    assert json_no_token.status_code == 403
    assert warning(wid).status == "open"


def test_a_viewer_cannot_acknowledge(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "gao_view")
    wid = seeded.warnings["major"]
    page = client.get("/yuqing/warnings").text
    assert "只读" in page and 'name="csrf_token"' not in page
    from yuqing_desk.auth import csrf_token  # what a tampered page would have to send

    class Req:
        cookies = client.cookies

    r = client.post("/yuqing/warnings", data={"csrf_token": csrf_token(Req()), "warning_id": str(wid)})
    assert r.status_code == 403 and "无权确认预警" in r.text
    bearer = {"Authorization": f"Bearer {client.cookies['_token']}"}
    api = client.post(f"/yuqing/api/warnings/{wid}/acknowledge", headers=bearer)
    assert api.status_code == 403 and api.json()["acknowledged"] is False
    assert warning(wid).status == "open"


def test_users_off_the_roster(airflow_app: TestClient, seeded: Seeded) -> None:
    stranger = login(airflow_app, "stranger")
    r = stranger.get("/yuqing/")
    assert r.status_code == 403 and "未列入值班名册" in r.text
    assert stranger.get("/yuqing/api/cases").status_code == 403
    admin = login(airflow_app, "admin")  # Airflow admin, not on the roster: reads everything, acknowledges nothing
    assert all(admin.get(p).status_code == 200 for p in PAGES)
    assert 'name="csrf_token"' not in admin.get("/yuqing/warnings").text
    assert len({c["number"] for g in admin.get("/yuqing/api/cases").json()["units"] for c in g["cases"]}) == 3


def test_signed_mail_link(airflow_app: TestClient, seeded: Seeded) -> None:
    from yuqing.duty.acknowledgement import make_ack_link

    config = load_config()
    wid = seeded.warnings["hostile"]
    path = "/yuqing/ack/" + make_ack_link(config, wid, "liu_yang", now=utcnow()).rsplit("/ack/", 1)[1]
    confirm = airflow_app.get(path)  # no login: the token is the credential
    assert confirm.status_code == 200 and "确认收到" in confirm.text and "<script>" not in confirm.text
    assert warning(wid).status == "open"  # a prefetching mail scanner consumes nothing
    done = airflow_app.post(path)
    assert done.status_code == 200 and "已确认收到预警" in done.text
    assert (warning(wid).status, warning(wid).acknowledged_by) == ("acknowledged", "liu_yang")
    reused = airflow_app.post(path)
    assert reused.status_code == 409 and "无法确认预警" in reused.text
    forged = airflow_app.post(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert forged.status_code == 403 and "无法确认预警" in forged.text
    other = seeded.warnings["source"]
    stale = make_ack_link(config, other, "liu_yang", now=utcnow() - timedelta(days=3)).rsplit("/ack/", 1)[1]
    expired = airflow_app.post(f"/yuqing/ack/{stale}")
    assert expired.status_code == 410 and "无法确认预警" in expired.text
    assert airflow_app.get(f"/yuqing/ack/{stale}").status_code == 410
    assert warning(other).status == "open"


def test_json_twins(airflow_app: TestClient, seeded: Seeded) -> None:
    client = login(airflow_app, "liu_yang")
    day = client.get("/yuqing/api/situation").json()
    assert [c["level"] for c in day["level_counts"]] == ["特别重大", "重大", "较大", "一般"]
    assert [c["count"] for c in day["level_counts"]] == [0, 1, 1, 1]
    assert day["events"][0]["title"] == "清风寺收取高额香火钱引发质疑"
    assert {v["channel"]: v["count"] for v in day["volume"]}["微博"] == 10
    assert [s["count"] for s in day["spikes"]] == [8]
    assert client.get("/yuqing/api/situation?day=yesterday").status_code == 400
    sources = {s["id"]: s for s in client.get("/yuqing/api/sources").json()["sources"]}
    assert sources["news-quiet"]["silent"] and not sources["weibo-demo"]["silent"]
    assert sources["forum-down"]["failures"] == 4
    assert client.get("/yuqing/api/warnings").json()["can_acknowledge"] is True
    assert client.get("/yuqing/api/approvals").status_code == 200


def test_verification_label_next_to_events(airflow_app: TestClient, seeded: Seeded) -> None:
    from yuqing.verification.service import mark

    with session_scope() as s:
        mark(s, mark="疑似谣言", actor="liu_yang", now=utcnow(), event_id=seeded.events["major"], reason="测试")
    client = login(airflow_app, "liu_yang")
    event = next(e for e in client.get("/yuqing/api/situation").json()["events"] if e["id"] == seeded.events["major"])
    assert event["verification"].startswith("疑似谣言")
    assert event["verification"] in client.get("/yuqing/").text
    assert event["verification"] in client.get("/yuqing/warnings").text


def test_the_plugin_is_listed_with_its_nav_entry_and_no_import_errors(airflow_app: TestClient) -> None:
    bearer = {"Authorization": f"Bearer {login(airflow_app, 'admin').cookies['_token']}"}
    plugins = airflow_app.get("/api/v2/plugins", headers=bearer).json()["plugins"]
    desk = next(p for p in plugins if p["name"] == "yuqing_desk")
    assert [(v["name"], v["href"], v["url_route"]) for v in desk["external_views"]] == [("舆情", "yuqing/", "yuqing")]
    assert airflow_app.get("/api/v2/plugins/importErrors", headers=bearer).json()["import_errors"] == []
    assert airflow_app.get("/yuqing/docs").status_code == 404  # no unauthenticated OpenAPI docs


def test_the_plugin_module_is_cheap_to_import() -> None:
    """Task processes import every plugin module: the web app must not come with it."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, 'plugins'); import yuqing_desk_plugin; "
            "assert 'yuqing_desk.app' not in sys.modules and 'fastapi' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
