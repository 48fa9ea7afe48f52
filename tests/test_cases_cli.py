"""`yuqing case …` and `yuqing audit export` through the real commands, then the store."""

from __future__ import annotations

import csv
import io
import json

from cases_support import make_event, make_hotline_item
from click.testing import CliRunner
from sqlalchemy.orm import Session

from yuqing.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


def test_c4_case_commands_sweep_show_transition_feedback(db_url: str, session: Session) -> None:
    make_event(session, level="较大", categories=["服务投诉"], signature=["慈云寺"], title="慈云寺停车难")
    make_hotline_item(session, text="咨询法会报批", kind="咨询")
    session.commit()
    out = _run("case", "sweep", "--as-of", "2026-11-24T10:00")
    assert out.exit_code == 0 and out.output.strip() == "opened 2, dispatched 2, reminders/escalations 0"
    listing = _run("case", "list").output.splitlines()
    assert len(listing) == 2 and listing[0].startswith("YQ-20261124-0001 转办")
    bad = _run("case", "transition", "YQ-20261124-0001", "回访", "--actor", "zhao_min")
    assert bad.exit_code == 1
    assert "转办 → 回访 is not allowed; from 转办 it may go to 办理中、退回、挂起" in bad.output
    assert _run("case", "transition", "YQ-20261124-0001", "办理中", "--actor", "nobody").output.startswith(
        "Error: --actor: unknown person 'nobody'")
    co = _run("case", "feedback", "YQ-20261124-0001", "--unit", "office", "--actor", "zhao_min", "--text", "已统一口径")
    assert co.output.strip() == "YQ-20261124-0001: 转办"  # a 协办 unit's feedback does not answer the case
    fb = _run("case", "feedback", "YQ-20261124-0001", "--unit", "venues", "--actor", "zheng_yan", "--text", "已协调增设车位")
    assert fb.exit_code == 0 and fb.output.strip() == "YQ-20261124-0001: 反馈"
    shown = json.loads(_run("case", "show", "YQ-20261124-0001").output)
    assert [t["到"] for t in shown["流转"]] == ["受理", "转办", "办理中", "反馈"]
    assert [f["角色"] for f in shown["反馈"]] == ["协办", "主办"] and shown["第一责任人"] == "chen_gang"
    assert _run("case", "show", "YQ-20990101-0001").output.strip() == "Error: no case with 受理编号 YQ-20990101-0001"
    overdue = _run("case", "sweep", "--as-of", "2026-12-20T10:00+08:00")
    assert overdue.output.strip().endswith("reminders/escalations 2")  # the 咨询 case: 分管领导, then 主要负责同志


def test_g3_audit_export_csv_and_json(db_url: str, session: Session, tmp_path) -> None:
    make_hotline_item(session, text="投诉噪音", kind="投诉")
    session.commit()
    _run("case", "sweep", "--as-of", "2026-11-24T10:00")
    as_json = json.loads(_run("audit", "export", "--since", "2000-01-01", "--format", "json").output)
    actions = [r["action"] for r in as_json]
    assert actions[:2] == ["case.opened", "case.transition"]
    assert as_json[0]["object_id"] == "YQ-20261124-0001" and as_json[0]["detail"]["lead_unit"]
    rows = list(csv.DictReader(io.StringIO(_run("audit", "export", "--since", "2000-01-01").output)))
    assert [r["action"] for r in rows] == actions and json.loads(rows[0]["detail"])["type"] == "投诉"
    assert _run("audit", "export", "--since", "2999-01-01", "--format", "json").output.strip() == "[]"
    target = tmp_path / "audit.csv"
    _run("audit", "export", "--since", "2000-01-01", "--action", "case.transition", "-o", str(target))
    assert target.read_text(encoding="utf-8-sig").count("case.transition") == 1
    bad = _run("audit", "export", "--since", "yesterday")
    assert bad.exit_code != 0 and "--since: 'yesterday' is not an ISO 8601 date" in bad.output
