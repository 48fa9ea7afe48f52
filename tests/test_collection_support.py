"""Shared helpers for the collection tests (no tests here): a loopback site per test and configs.

Import ``site_fixture``/``fast_retries_fixture`` into a test module to use the ``site`` and
``fast_retries`` fixtures there. Collectors are tested against a real HTTP server on 127.0.0.1 (``demo.serve.start_server``)
serving a temporary folder, with faults injected by path; never the network.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from demo.serve import DemoServer, Fault, start_server

from yuqing.config import Config, parse_config

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "collection"
DEMO = ROOT / "include" / "demo"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
"""A fixed "now" (20:00 in Beijing) for fixtures with absolute dates."""

__all__ = ["DATA", "DEMO", "NOW", "ROOT", "Fault", "Site", "make_config", "site_fixture", "fast_retries_fixture"]


@dataclass
class Site:
    server: DemoServer
    base: str
    root: Path

    def put(self, path: str, content: str | bytes) -> str:
        """Write a file into the served folder; returns its URL."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
        return f"{self.base}/{path}"

    def copy(self, src: Path, path: str) -> str:
        return self.put(path, src.read_bytes())

    def hits(self, path: str) -> list[tuple[str, int, dict[str, str]]]:
        return [r for r in self.server.requests if r[0].split("?")[0] == "/" + path]


@pytest.fixture(name="fast_retries")
def fast_retries_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_RETRY_BACKOFF", "0.01")


@pytest.fixture(name="site")
def site_fixture(tmp_path: Path, fast_retries: None) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    server, base = start_server(root)
    try:
        yield Site(server, base, root)
    finally:
        server.shutdown()
        server.server_close()


def make_config(sources: list[dict[str, Any]], **sections: Any) -> Config:
    """The bundled configuration with its sources replaced (everything else as shipped)."""
    raw = yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))
    raw["sources"] = sources
    raw.update(sections)
    return parse_config(raw, "test-config")


def demo_site_copy(dest: Path) -> Path:
    shutil.copytree(DEMO / "site", dest)
    return dest
