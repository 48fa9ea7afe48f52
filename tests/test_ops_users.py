"""`yuqing users sync`: the roster as Airflow accounts.

SimpleAuthManager: the users setting and the passwords file, idempotent, passwords kept. FAB: a real
FAB metadata DB (SQLite, `airflow db migrate` with our FabAuthManager subclass) driven through the `airflow users` /
`airflow roles` CLI; the stack-level proof (log in, 403 for a handler) is in test_e2e_response.py, whose stack runs on the synced accounts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from yuqing.cli import cli
from yuqing.ops.users import (
    USERS_KEY,
    Account,
    FabCli,
    SyncError,
    accounts_from_config,
    read_users_env,
    sync_fab,
    sync_simple,
)

AIRFLOW = str(Path(sys.executable).parent / "airflow")
FAB = "yuqing_airflow.auth.YuqingFabAuthManager"  # FAB, HITL assignments matched on the user name


def test_roster_roles_map_to_airflow_roles(demo_config) -> None:
    accounts = {a.username: a for a in accounts_from_config(demo_config)}
    assert {p.id for p in demo_config.people} < set(accounts)
    assert (accounts["wang_jun"].role, accounts["chen_gang"].role, accounts["zheng_yan"].role,
            accounts["liu_yang"].role) == ("user", "user", "user", "user")
    assert accounts["zhang_jing"].because == ("agency_contact",)  # 会签 contact of the police, not a person
    assert accounts["wang_jun"].name == "王军" and accounts["wang_jun"].fab_role == "User"
    assert not any(a.role == "admin" for a in accounts.values())  # leaders approve by assignment, not by role
    odd = demo_config.model_copy(update={"people": [*demo_config.people, demo_config.people[0].model_copy(
        update={"id": "li,hua:admin"})]})
    with pytest.raises(SyncError, match="li,hua:admin"):
        accounts_from_config(odd)


def test_simple_sync_writes_users_and_passwords_once(demo_config, tmp_path: Path) -> None:
    env, pw = tmp_path / "users.env", tmp_path / "passwords.json"
    first = CliRunner().invoke(cli, ["users", "sync", "--auth-manager", "simple", "--env-file", str(env),
                                     "--passwords-file", str(pw)], obj={})
    assert first.exit_code == 0, first.output
    users = read_users_env(env)
    assert users["chen_gang"] == "user" and users["admin"] == "admin" and users["zhang_jing"] == "user"
    assert len(users) == len(accounts_from_config(demo_config)) + 1
    passwords = json.loads(pw.read_text())
    assert set(passwords) == set(users) and all(len(p) >= 16 for p in passwords.values())
    assert oct(pw.stat().st_mode & 0o777) == "0o600"
    assert f"  chen_gang: {passwords['chen_gang']}" in first.output  # shown once
    before = (env.read_text(), pw.read_text(), env.stat().st_mtime_ns, pw.stat().st_mtime_ns)

    second = CliRunner().invoke(cli, ["users", "sync", "--auth-manager", "simple", "--env-file", str(env),
                                      "--passwords-file", str(pw)], obj={})
    assert second.exit_code == 0 and "0 created, 0 changed, 0 removed" in second.output
    assert "new passwords" not in second.output
    assert (env.read_text(), pw.read_text(), env.stat().st_mtime_ns, pw.stat().st_mtime_ns) == before


def test_simple_sync_changes_roles_drops_leavers_and_keeps_passwords(demo_config, tmp_path: Path) -> None:
    env, pw = tmp_path / "users.env", tmp_path / "passwords.json"
    accounts = accounts_from_config(demo_config)
    sync_simple(accounts, env, pw)
    old = json.loads(pw.read_text())
    changed = [replace(a, role="admin") if a.username == "liu_yang" else a
               for a in accounts if a.username != "he_jing"]
    plan = sync_simple(changed, env, pw, dry_run=True)
    assert plan.changed == ["liu_yang: user -> admin"] and plan.removed == ["he_jing"]
    assert "he_jing" in read_users_env(env)  # a dry run writes nothing
    report = sync_simple(changed, env, pw)
    assert (report.changed, report.removed, report.created, report.passwords) == (
        ["liu_yang: user -> admin"], ["he_jing"], [], {})
    users, passwords = read_users_env(env), json.loads(pw.read_text())
    assert users["liu_yang"] == "admin" and "he_jing" not in users and "he_jing" not in passwords
    assert all(passwords[u] == old[u] for u in users)
    assert f"{USERS_KEY}=" in env.read_text() and str(pw.resolve()) in env.read_text()
    pw.write_text("{not json")
    with pytest.raises(SyncError, match="not valid JSON"):
        sync_simple(changed, env, pw)


@pytest.fixture(scope="module")
def fab(tmp_path_factory: pytest.TempPathFactory) -> tuple[FabCli, Path]:
    """A real FAB metadata DB: `airflow db migrate` with FabAuthManager (also creates FAB's tables)."""
    home = tmp_path_factory.mktemp("fab")
    env = dict(os.environ, AIRFLOW_HOME=str(home), AIRFLOW__CORE__AUTH_MANAGER=FAB,
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
               AIRFLOW__CORE__LOAD_EXAMPLES="False")
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return FabCli([AIRFLOW], env), home / "airflow.db"


def _fab_users(cli: FabCli) -> dict[str, dict]:
    return {u["username"]: u for u in cli.json("users", "list")}


def _password_ok(db: Path, username: str, password: str) -> bool:
    from werkzeug.security import check_password_hash

    with create_engine(f"sqlite:///{db}").connect() as conn:
        stored = conn.execute(text("SELECT password FROM ab_user WHERE username = :u"), {"u": username}).scalar_one()
    return check_password_hash(stored, password)


def test_fab_sync_creates_changes_and_deletes_users_idempotently(demo_config, fab: tuple[FabCli, Path]) -> None:
    """Each `airflow` call costs ~3 s of CPU, so two accounts carry every case (11 calls in all)."""
    cli, db = fab
    chen_gang = next(a for a in accounts_from_config(demo_config) if a.username == "chen_gang")
    viewer = Account(username="auditor", role="viewer", name="审计员", title="审计", email="audit@example.gov.cn",
                     because=("viewer",))

    first = sync_fab([chen_gang, viewer], cli)
    assert first.created == ["chen_gang", "auditor"] and not first.changed and not first.removed
    assert _password_ok(db, "chen_gang", first.passwords["chen_gang"])

    second = sync_fab([chen_gang, viewer], cli)
    assert (second.created, second.changed, second.removed, second.passwords) == ([], [], [], {})
    assert sorted(second.unchanged) == ["auditor", "chen_gang"]  # roles, names and e-mails all matched

    third = sync_fab([replace(chen_gang, role="admin")], cli)  # promoted; the auditor left
    assert third.changed == ["chen_gang: roles ['User'] -> [Admin]"] and third.removed == ["auditor"]
    users = _fab_users(cli)
    assert list(users) == ["chen_gang"] and users["chen_gang"]["roles"] == ["Admin"]
    assert (users["chen_gang"]["first_name"], users["chen_gang"]["last_name"], users["chen_gang"]["email"]) == (
        "陈刚", chen_gang.title, chen_gang.email)
    assert _password_ok(db, "chen_gang", first.passwords["chen_gang"])  # an update keeps the password


def test_fab_hitl_assignment_matches_the_synced_user_name(demo_config, fab: tuple[FabCli, Path]) -> None:
    """Under FAB a user's id is the numeric ab_user.id; steps are assigned to person ids (user names)."""
    from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager
    from airflow.providers.fab.auth_manager.models import User
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from yuqing_airflow.auth import YuqingFabAuthManager

    cli, db = fab
    if "li_hua" not in _fab_users(cli):  # one `airflow users create` (~3 s), not a whole sync
        li_hua = next(a for a in accounts_from_config(demo_config) if a.username == "li_hua")
        cli.run("users", "create", "--username", "li_hua", "--firstname", li_hua.name, "--lastname", li_hua.title,
                "--email", li_hua.email, "--role", "User", "--password", "not-used-here-0")
    with Session(create_engine(f"sqlite:///{db}")) as session:
        user = session.scalars(select(User).where(User.username == "li_hua")).one()
        assert user.get_id() != "li_hua"  # FAB's id is numeric: the reason for the subclass
        assert not FabAuthManager().is_authorized_hitl_task(assigned_users={"li_hua"}, user=user)
        ours = YuqingFabAuthManager()
        assert ours.is_authorized_hitl_task(assigned_users={"li_hua", "chen_gang"}, user=user)
        assert not ours.is_authorized_hitl_task(assigned_users={"chen_gang"}, user=user)
        assert not ours.is_authorized_hitl_task(assigned_users={user.get_id()}, user=user)


def test_verifying_bodies_get_accounts(demo_config) -> None:
    """A verification form assigned to a body's user must be answerable by a real login."""
    accounts = {a.username: a for a in accounts_from_config(demo_config)}
    for body in demo_config.verification.bodies:
        assert body.user in accounts, body.id
    people = {p.id for p in demo_config.people}
    extra = [b for b in demo_config.verification.bodies if b.user not in people]
    assert extra, "the demo has bodies answered by non-roster users"
    for body in extra:
        assert accounts[body.user].because == ("verifying_body",) and accounts[body.user].role == "user"
