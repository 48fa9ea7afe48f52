"""`yuqing doctor` against real things: a loopback site that answers and a port that does not, a real
hotline folder, real SQLite and PostgreSQL stores (one behind its migrations), a real Airflow
metadata DB, Connections from the environment. One failing check never stops the others."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from yuqing import db
from yuqing.cli import cli
from yuqing.db import session_scope
from yuqing.models import Source
from yuqing.ops.doctor import (
    FAIL,
    OK,
    WARN,
    Check,
    _guarded,
    airflow_db_url,
    check_airflow_db,
    check_connections,
    check_disk,
    check_secret_key,
    check_sources,
    check_store,
    render_table,
    run_doctor,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include" / "demo"))
from demo_sinks import free_port  # noqa: E402
from serve import start_server  # noqa: E402

SECRET = "s" * 48


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server, base = start_server(ROOT / "include" / "demo" / "site", port=0)
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture
def config_path(tmp_path: Path, site: str) -> Path:
    """The demo config with four sources: one up, one down (nothing listens), a hotline folder, manual."""
    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    raw["sources"] = [
        {"id": "portal_up", "name": "门户", "type": "rss", "channel": "portal", "url": f"{site}/portal/rss.xml",
         "timeout_seconds": 5},
        {"id": "forum_down", "name": "论坛", "type": "rss", "channel": "forum",
         "url": f"http://127.0.0.1:{free_port()}/rss.xml", "timeout_seconds": 2},
        {"id": "hotline", "name": "热线", "type": "hotline", "channel": "hotline", "folder": str(inbox)},
        {"id": "gone_hotline", "name": "旧热线", "type": "hotline", "channel": "hotline", "folder": str(tmp_path / "nope")},
        {"id": "print_media", "name": "报刊", "type": "manual", "channel": "print"},
    ]
    path = tmp_path / "yuqing.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.check: c for c in checks}


@pytest.mark.postgres
def test_sources_up_down_folder_and_store_health(db_url: str, config_path: Path) -> None:
    from yuqing.config import load_config

    config = load_config(config_path)
    with session_scope() as session:
        session.add(Source(id="portal_up", name="门户", type="rss", channel="portal", health="failing",
                           consecutive_failures=4, last_error="HTTP 503"))
        session.add(Source(id="hotline", name="热线", type="hotline", channel="hotline", health="ok"))
    checks = _by_name(check_sources(config))
    up, down = checks["source portal_up"], checks["source forum_down"]
    assert up.status == WARN and "HTTP 200" in up.detail and "failing (4 failures: HTTP 503)" in up.detail
    assert down.status == FAIL and "ConnectionError" in down.detail and down.fix
    assert checks["source hotline"].status == OK and "writable" in checks["source hotline"].detail
    assert "health ok" in checks["source hotline"].detail
    assert checks["source gone_hotline"].status == FAIL and "does not exist" in checks["source gone_hotline"].detail
    assert checks["source print_media"].status == OK


@pytest.mark.postgres
def test_store_at_heads_is_ok_and_a_store_behind_fails_with_the_fix(db_url: str, tmp_path: Path) -> None:
    assert check_store().status == OK
    behind = f"sqlite:///{tmp_path / 'behind.db'}"
    db.upgrade(behind, "0001")
    result = check_store(behind)
    assert result.status == FAIL and "missing heads" in result.detail and "yuqing db upgrade" in result.fix
    down = check_store(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    assert down.status == FAIL and "OperationalError" in down.detail


def test_airflow_metadata_db_from_env_or_airflow_cfg(tmp_path: Path, monkeypatch) -> None:
    from airflow.utils.db import initdb

    initdb()  # the tests' Airflow metadata DB (conftest), now migrated
    assert check_airflow_db().status == OK
    empty = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'empty.db'}"}
    result = check_airflow_db(empty)
    assert result.status == FAIL and "airflow db migrate" in result.fix
    home = tmp_path / "home"
    home.mkdir()
    (home / "airflow.cfg").write_text(
        "[database]\nsql_alchemy_conn = postgresql+psycopg2://postgres@127.0.0.1:5432/yuqing_h2_nothing\n")
    assert airflow_db_url({"AIRFLOW_HOME": str(home)}) == (
        "postgresql+psycopg2://postgres@127.0.0.1:5432/yuqing_h2_nothing", str(home / "airflow.cfg"))
    result = check_airflow_db({"AIRFLOW_HOME": str(home)})
    assert result.status == FAIL and "airflow.cfg" in result.detail and "yuqing_h2_nothing" in result.detail
    missing = check_airflow_db({"AIRFLOW_HOME": str(tmp_path / "none")})
    assert missing.status == FAIL and "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in missing.fix


def test_connections_from_the_environment(demo_config) -> None:
    env = {"AIRFLOW_CONN_YUQING_SMTP": json.dumps({"conn_type": "smtp", "host": "127.0.0.1"}),
           "AIRFLOW_CONN_YUQING_WEBHOOK": '{"conn_type": "http", ',  # broken JSON
           "AIRFLOW_CONN_YUQING_WEIBO": "http://127.0.0.1:9"}
    checks = _by_name(check_connections(demo_config, env, airflow=""))
    assert checks["connection yuqing_smtp"].status == OK
    assert checks["connection yuqing_webhook"].status == FAIL and "not valid JSON" in checks["connection yuqing_webhook"].detail
    assert checks["connection yuqing_weibo"].status == OK
    assert checks["connection yuqing_wechat"].status == FAIL
    assert "AIRFLOW_CONN_YUQING_WECHAT" in checks["connection yuqing_wechat"].fix
    assert checks["connection yuqing_website"].status == WARN  # the website channel can fall back to its folder


def test_disk_and_secret(tmp_path: Path) -> None:
    assert check_disk(tmp_path / "reports").status == OK
    (tmp_path / "file").write_text("x")
    assert check_disk(tmp_path / "file" / "reports").status == FAIL
    assert check_disk(tmp_path, warn_gb=10**6, fail_gb=0).status == WARN
    assert check_secret_key({}).status == FAIL
    assert check_secret_key({"YUQING_SECRET_KEY": "short"}).status == WARN
    assert check_secret_key({"YUQING_SECRET_KEY": SECRET}).status == OK


def test_a_crashing_check_is_one_fail_line() -> None:
    def boom() -> Check:
        raise ZeroDivisionError("x")

    assert _guarded("boom", boom) == [Check("boom", FAIL, "the check itself crashed: ZeroDivisionError: x",
                                            "report this as a bug")]


@pytest.mark.postgres
def test_cli_prints_the_table_and_fails_when_anything_fails(db_url: str, config_path: Path, tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setenv("YUQING_SECRET_KEY", SECRET)
    for name in ("SMTP", "WEBHOOK", "WEIBO", "WECHAT", "WEBSITE"):
        monkeypatch.setenv(f"AIRFLOW_CONN_YUQING_{name}", '{"conn_type": "http"}')
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{tmp_path / 'af.db'}")
    run = CliRunner().invoke(cli, ["--config", str(config_path), "doctor", "--airflow", "",
                                   "--reports-dir", str(tmp_path / "out")], obj={})
    assert run.exit_code == 1, run.output
    lines = run.output.splitlines()
    assert lines[0].split() == ["CHECK", "STATUS", "DETAIL", "FIX"]
    assert any(line.startswith("source forum_down") and " FAIL " in line for line in lines)
    assert any(line.startswith("store ") and " OK " in line for line in lines)
    assert any(line.startswith("airflow metadata DB") and "airflow db migrate" in line for line in lines)
    assert lines[-1].endswith("FAIL") and "OK" in lines[-1]
    as_json = CliRunner().invoke(cli, ["--config", str(config_path), "doctor", "--json", "--airflow", "",
                                       "--reports-dir", str(tmp_path / "out")], obj={})
    rows = {r["check"]: r["status"] for r in json.loads(as_json.output)}
    assert rows["config"] == OK and rows["YUQING_SECRET_KEY"] == OK and rows["source portal_up"] == OK
    assert rows["disk (reports)"] == OK and rows["connection yuqing_smtp"] == OK


def test_an_invalid_config_still_checks_the_rest(tmp_path: Path, monkeypatch) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("organisation: {}\n", encoding="utf-8")
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    checks = run_doctor(bad, reports_dir=tmp_path / "out", airflow="")
    by = _by_name(checks)
    assert by["config"].status == FAIL and "yuqing config check" in by["config"].fix
    assert by["connections, sources"].status == WARN
    assert by["store"].status == FAIL and by["disk (reports)"].status == OK
    table = render_table(checks)
    assert "config" in table and table.splitlines()[-1].endswith("FAIL")


def test_connections_missing_from_env_are_looked_up_in_airflow(demo_config) -> None:
    """One `airflow connections list` subprocess against the tests' real metadata DB."""
    from airflow.models import Connection  # noqa: AIR311  (the ORM class: a row in the metadata DB)
    from airflow.utils.db import initdb
    from airflow.utils.session import create_session

    initdb()
    with create_session() as s:
        if not s.query(Connection).filter(Connection.conn_id == "yuqing_wechat").first():  # noqa: AIR311
            s.add(Connection(conn_id="yuqing_wechat", conn_type="http", host="https://api.weixin.example"))  # noqa: AIR311
    airflow = str(Path(sys.executable).parent / "airflow")
    env = {"AIRFLOW_CONN_YUQING_SMTP": '{"conn_type": "smtp"}'}
    checks = _by_name(check_connections(demo_config, env, airflow=airflow))
    assert checks["connection yuqing_smtp"].detail.endswith("from AIRFLOW_CONN_YUQING_SMTP")
    assert checks["connection yuqing_wechat"].status == OK and "metadata DB" in checks["connection yuqing_wechat"].detail
    weibo = checks["connection yuqing_weibo"]
    assert weibo.status == FAIL and "not in Airflow (airflow connections list)" in weibo.detail
