"""The roster synced into a real Airflow stack (SimpleAuthManager; api-server, scheduler, dag-processor):
every person logs in with the password `yuqing users sync` generated, and on a real publication
approval a unit handler is refused (403) while the assigned 分管领导 is accepted.

The stack's users setting and passwords file are exactly the files the sync wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from e2e_support import ROOT, start_world

sys.path.insert(0, str(ROOT / "include" / "demo"))
sys.path.insert(0, str(ROOT / "tests"))
from cases_support import make_event  # noqa: E402
from channels import start_channels  # noqa: E402
from stack import Api, Stack, stack_env  # noqa: E402

from demo_sinks import free_port  # noqa: E402
from yuqing.cases.models import Case, CaseApproval  # noqa: E402
from yuqing.cases.service import open_pending_cases  # noqa: E402
from yuqing.cli import cli  # noqa: E402
from yuqing.clock import utcnow  # noqa: E402
from yuqing.config import load_config  # noqa: E402
from yuqing.db import session_scope  # noqa: E402
from yuqing.ops.users import PASSWORDS_KEY, USERS_KEY, accounts_from_config  # noqa: E402

pytestmark = pytest.mark.e2e
PR = "yuqing_public_response"


class Synced:
    def __init__(self, api: Api, base: str, passwords: dict[str, str], case: str):
        self.api, self.base, self.passwords, self.case = api, base, passwords, case


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Synced]:
    tmp = tmp_path_factory.mktemp("users_stack")
    mp = pytest.MonkeyPatch()
    store = tmp / "yuqing.db"
    shutil.copy(_sqlite_template, store)
    mp.setenv("YUQING_DATABASE_URL", f"sqlite:///{store}")
    demo = start_world(tmp, mp)
    publish = tmp / "publish"
    channels = start_channels(publish)
    for key, value in channels.connections(publish).items():
        mp.setenv(key, value)
    config = load_config()
    with session_scope() as session:  # one 重大 case for the 宗教活动场所管理科 (leader 陈刚, head 郑燕)
        make_event(session, at=utcnow())
        case = open_pending_cases(session, config, now=utcnow())[0]
        number, unit = case.number, case.lead_unit
    assert unit == "venues"

    env_file, pw_file = tmp / "users.env", tmp / "passwords.json"
    run = CliRunner().invoke(cli, ["users", "sync", "--auth-manager", "simple", "--env-file", str(env_file),
                                   "--passwords-file", str(pw_file)], obj={})
    assert run.exit_code == 0, run.output
    synced_env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line and line[0] != "#")
    port = free_port()
    stack = Stack(tmp / "airflow", {}, port)
    stack.home.mkdir()
    env = stack_env(stack.home, port, {"admin": "admin"}, dict(os.environ) | {"AIRFLOW__CORE__PARALLELISM": "4"})
    env.update(synced_env)  # the users and passwords exactly as `yuqing users sync` wrote them
    assert env[PASSWORDS_KEY] == str(pw_file.resolve()) and "zheng_yan:user" in env[USERS_KEY]
    stack.env = env
    try:
        stack.start()
        passwords = json.loads(pw_file.read_text())
        yield Synced(Api(stack.base, passwords), stack.base, passwords, number)
    finally:
        stack.stop()
        channels.shutdown()
        channels.server_close()
        demo.stop()
        mp.undo()


def test_every_roster_person_logs_in_with_the_synced_password(synced: Synced, demo_config) -> None:
    people = [a.username for a in accounts_from_config(demo_config)]
    assert set(people) | {"admin"} == set(synced.passwords)
    for user in [*people, "admin"]:
        r = requests.post(f"{synced.base}/auth/token", json={"username": user, "password": synced.passwords[user]},
                          timeout=10)
        assert r.status_code == 201 and r.json()["access_token"], (user, r.status_code, r.text)
    wrong = requests.post(f"{synced.base}/auth/token", json={"username": "zheng_yan", "password": "pw-zheng_yan"},
                          timeout=10)
    assert wrong.status_code == 401
    stranger = requests.post(f"{synced.base}/auth/token", json={"username": "nobody", "password": "x"}, timeout=10)
    assert stranger.status_code == 401


def test_a_unit_handler_cannot_approve_a_publication_but_the_assigned_leader_can(synced: Synced) -> None:
    api = synced.api
    run = api.trigger(PR, "users_sync_1", {"case_number": synced.case, "template": "情况说明", "form": "网上发布",
                                           "channels": ["weibo", "wechat", "website"]})
    detail = api.wait_request(PR, run, "edit_draft")
    assert "zheng_yan" in [u["id"] for u in detail["assigned_users"]]  # the unit's handler drafts…
    text = "关于清风寺有关情况的说明：我局已会同属地核实处置，将及时公布进展。"  # names no other agency: no 会签
    assert api.respond("zheng_yan", PR, run, "edit_draft", "OK", {"text": text}) == 200
    detail = api.wait_request(PR, run, "approve_text")
    assert [u["id"] for u in detail["assigned_users"]] == ["chen_gang"]
    for handler in ("zheng_yan", "zhao_min"):  # …but may not approve, not even the text they wrote
        r = api.answer(handler, PR, run, "approve_text", "Approve", {"reason": ""})
        assert r.status_code == 403 and "is not a respondent" in r.text, (handler, r.status_code, r.text)
    assert api.respond("chen_gang", PR, run, "approve_text", "Approve", {"reason": ""}) == 200
    assert api.wait_run(PR, run) == "success", api.task_states(PR, run)
    with session_scope() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == synced.case))
        row = session.scalar(select(CaseApproval).where(CaseApproval.case_id == case_id,
                                                        CaseApproval.kind == "publication"))
        assert (row.decision, row.decided_by) == ("approved", "chen_gang")
