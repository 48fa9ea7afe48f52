"""A demo world for end-to-end tests: the bundled sources on a loopback server, a config pointing
at it, the hotline inbox staged, and real SMTP and webhook receivers wired as Airflow Connections."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "include" / "demo"
if str(DEMO) not in sys.path:
    sys.path.insert(0, str(DEMO))

from stack import Stack, stack_env  # noqa: E402

from demo_sinks import MailSink, WebhookSink, free_port  # noqa: E402
from hotline_stage import stage_hotline  # noqa: E402
from serve import start_server  # noqa: E402

DEMO_BASE = "http://127.0.0.1:8765"


def use_store_copy(tmp: Path, monkeypatch: Any, template: Path) -> Path:
    """This module's own store: a copy of the session's migrated SQLite template (no migration per module)."""
    store = tmp / "yuqing.db"
    shutil.copy(template, store)
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{store}")
    return store


@contextmanager
def airflow_stack(tmp: Path, users: dict[str, str], extra_env: dict[str, str] | None = None,
                  overrides: dict[str, str] | None = None) -> Iterator[Stack]:
    """A started Airflow stack (api-server, scheduler, dag-processor) in ``tmp/airflow`` with these
    SimpleAuthManager users, stopped by PID on exit. ``overrides`` replace any variable afterwards
    (e.g. the users setting and passwords file that `yuqing users sync` wrote)."""
    port = free_port()
    stack = Stack(tmp / "airflow", {}, port)
    stack.home.mkdir()
    stack.env = stack_env(stack.home, port, users, dict(os.environ) | (extra_env or {}))
    stack.env.update(overrides or {})
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@dataclass
class DemoWorld:
    base_url: str
    config_path: Path
    output_dir: Path
    hotline_inbox: Path
    mail: MailSink
    webhook: WebhookSink
    server: Any

    def stop(self) -> None:
        self.server.shutdown()
        self.mail.stop()
        self.webhook.stop()


def write_config(tmp_path: Path, base_url: str, extra_sources: list[dict[str, Any]] | None = None,
                 tweak: Any = None) -> tuple[Path, Path]:
    """The bundled yuqing.yaml, re-pointed at this test's server and hotline folder."""
    text = (ROOT / "yuqing.yaml").read_text(encoding="utf-8").replace(DEMO_BASE, base_url)
    raw = yaml.safe_load(text)
    inbox = tmp_path / "hotline" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for src in raw["sources"]:
        if src["type"] == "hotline":
            src["folder"] = str(inbox)
    raw["sources"].extend(extra_sources or [])
    if tweak is not None:
        tweak(raw)
    path = tmp_path / "yuqing.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, inbox


def start_world(tmp_path: Path, monkeypatch: Any, extra_sources: list[dict[str, Any]] | None = None,
                tweak: Any = None) -> DemoWorld:
    server, base_url = start_server(DEMO / "site", port=0)
    config_path, inbox = write_config(tmp_path, base_url, extra_sources, tweak)
    stage_hotline(inbox)
    mail = MailSink().start()
    webhook = WebhookSink().start()
    output = tmp_path / "output"
    monkeypatch.setenv("YUQING_CONFIG", str(config_path))
    monkeypatch.setenv("YUQING_OUTPUT_DIR", str(output))
    monkeypatch.setenv("AIRFLOW_CONN_YUQING_SMTP", mail.connection_json())
    monkeypatch.setenv("AIRFLOW_CONN_YUQING_WEBHOOK", webhook.connection_json())
    return DemoWorld(base_url, config_path, output, inbox, mail, webhook, server)


def collect_demo_sources() -> None:
    """The store as yuqing_collect leaves it (collected and analysed in-process, to keep tests fast)."""
    from yuqing.analysis import analyze_pending
    from yuqing.collection import collect_source, sync_sources
    from yuqing.config import load_config
    from yuqing.db import session_scope

    config = load_config()
    with session_scope() as session:
        sync_sources(session, config)
    for source in config.sources:
        if source.enabled and source.type != "manual":
            collect_source(config, source.id)
    with session_scope() as session:
        analyze_pending(session, config)
