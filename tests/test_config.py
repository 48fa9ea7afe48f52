"""yuqing.yaml: the bundled config is valid; a broken one names the file, the field and the reason."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from yuqing.cli import cli
from yuqing.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def raw() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "yuqing.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any) -> Path:
    p = tmp_path / "yuqing.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_bundled_config_is_valid_and_complete(demo_config) -> None:
    assert demo_config.organisation.principal == "wang_jun"
    assert {u.id for u in demo_config.organisation.units} >= {"office", "religion", "venues"}
    assert len(demo_config.roster.shifts) >= 3
    assert "宗教活动场所" in demo_config.lexicons.categories


def test_bundled_config_has_sources_of_every_kind(demo_config) -> None:
    assert {s.type for s in demo_config.sources} == {"rss", "html", "json", "hotline", "manual"}


def test_missing_field_names_file_path_and_reason(tmp_path: Path, raw: dict) -> None:
    del raw["organisation"]["principal"]
    path = _write(tmp_path, raw)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert ("organisation.principal", "Field required") in err.value.problems


def test_wrong_source_type_names_the_source(tmp_path: Path, raw: dict) -> None:
    bad = copy.deepcopy(raw)
    bad["sources"] = [{"id": "forum_x", "name": "论坛", "type": "html", "channel": "forum", "url": "http://127.0.0.1/"}]
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, bad))
    assert ("sources[0] (id=forum_x)", "a source of type 'html' needs selectors") in err.value.problems


def test_unknown_channel_is_reported_with_choices(raw: dict) -> None:
    raw["sources"] = [{"id": "x", "name": "x", "type": "manual", "channel": "tiktok"}]
    with pytest.raises(ConfigError) as err:
        parse_config(raw, "cfg.yaml")
    where, reason = err.value.problems[0]
    assert where == "sources[0] (id=x).channel"
    assert "'weibo'" in reason


def test_dangling_person_reference_is_reported(raw: dict) -> None:
    raw["roster"]["shifts"][0]["person"] = "nobody"
    with pytest.raises(ConfigError, match=r"roster.shifts\[0\].person: unknown person 'nobody'"):
        parse_config(raw, "cfg.yaml")


def test_thresholds_must_rise(raw: dict) -> None:
    raw["grading"]["thresholds"] = {"一般": 0, "较大": 70, "重大": 65, "特别重大": 85}
    with pytest.raises(ConfigError, match="thresholds must rise strictly"):
        parse_config(raw, "cfg.yaml")


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    p = tmp_path / "yuqing.yaml"
    p.write_text("organisation:\n  name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: YAML syntax error"):
        load_config(p)


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found; set YUQING_CONFIG"):
        load_config(tmp_path / "nope.yaml")


def test_cli_config_check_reports_and_exits_1(tmp_path: Path, raw: dict) -> None:
    raw["grading"]["warn_from"] = "严重"
    path = _write(tmp_path, raw)
    result = CliRunner().invoke(cli, ["config", "check", str(path)], obj={})
    assert result.exit_code == 1
    assert f"{path}: invalid configuration" in result.output
    assert "grading.warn_from" in result.output


def test_cli_config_check_ok() -> None:
    result = CliRunner().invoke(cli, ["config", "check", str(ROOT / "yuqing.yaml")], obj={})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")
