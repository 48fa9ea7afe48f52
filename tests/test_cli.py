"""The `yuqing` CLI is a thin skin over the package: run the real commands, then read the store."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yuqing.cli import cli
from yuqing.models import AuditLog, Item

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        out.append((f"{prefix}{name}", cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix}{name} ")
    return out


@pytest.mark.parametrize("name,command", _commands(cli), ids=[n for n, _ in _commands(cli)])
def test_every_command_has_help(name: str, command: click.Command) -> None:
    assert command.help, f"`yuqing {name}` has no help text"
    assert name.split()[0] in (ROOT / "README.md").read_text(encoding="utf-8"), f"`yuqing {name}` is not in the README"


def test_db_upgrade_builds_a_fresh_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    result = _run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "fresh.db" in result.output
    assert _run("db", "check").output.strip() == "models and migrations agree"


def test_add_item_stores_a_print_clipping_once(db_url: str, session: Session) -> None:
    args = ["add-item", "--source", "print_media", "--title", "江城日报：清风寺收费引关注",
            "--text", "本报讯 近日有市民反映清风寺收取高额香火钱。", "--actor", "liu_yang",
            "--published-at", "2026-11-25T08:30"]
    first = _run(*args)
    assert first.exit_code == 0, first.output
    assert _run(*args).exit_code == 0
    items = session.scalars(select(Item).where(Item.source_id == "print_media")).all()
    assert len(items) == 1
    assert items[0].published_at.isoformat() == "2026-11-25T00:30:00+00:00"  # Beijing 08:30
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.actor == "liu_yang")) >= 1


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--actor", "nobody"], "--actor: unknown person 'nobody'"),
        (["--actor", "liu_yang", "--published-at", "昨天"], "--published-at: not an ISO 8601 time: '昨天'"),
        (["--actor", "liu_yang", "--source", "weibo_search"], "weibo_search"),
    ],
)
def test_add_item_refuses_bad_input_with_a_clear_error(db_url: str, session: Session, extra: list[str],
                                                       message: str) -> None:
    args = ["add-item", "--source", "print_media", "--text", "正文", *extra]
    result = _run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_analyze_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": "清风寺强收香火钱，市民宗局不作为！"}, ensure_ascii=False) + "\n"
        + "{not json\n"
        + json.dumps({"id": "b", "text": "今天天气不错"}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    out, events = tmp_path / "out.jsonl", tmp_path / "events.jsonl"
    result = CliRunner().invoke(cli, ["analyze", str(src), "-o", str(out), "--events", str(events)], obj={})
    assert result.exit_code == 0, result.output
    assert f"{src}:2: skipped" in result.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert lines[0]["relevant"] is True and lines[1]["relevant"] is False
    assert events.exists()


def test_daily_log_prints_the_path_it_wrote(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUQING_OUTPUT_DIR", str(tmp_path))
    result = _run("daily-log", "--date", "2026-11-24")
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path == tmp_path / "daily" / "舆情日志-2026-11-24.html"
    assert "当日未采集到信息" in path.read_text(encoding="utf-8")


def test_invalid_config_is_one_clear_line_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "yuqing.yaml"
    bad.write_text("organisation: {name: x}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "sources", "list"], obj={})
    assert result.exit_code == 1
    assert f"{bad}: invalid configuration" in result.output
    assert "Traceback" not in result.output
