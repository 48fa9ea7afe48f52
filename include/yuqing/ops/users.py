"""The roster becomes Airflow accounts (`yuqing users sync`).

Why: HITL approvals are assigned to person ids (``assigned_users``), and Airflow only lets the
assigned account answer. So every person in ``yuqing.yaml`` (monitors, unit handlers, 分管领导,
主要负责同志) and every agency's 会签 contact must exist as an Airflow user whose name IS the
person id, with a role that lets them answer but not administer. Airflow is never imported here:
for SimpleAuthManager we write its users setting and passwords file; for FabAuthManager we drive
the ``airflow users``/``airflow roles`` CLI as subprocesses.

Role mapping (highest wins when a person has several roster roles):

=================  ================  ==============  =====================================
roster role        SimpleAuthManager FabAuthManager  why
=================  ================  ==============  =====================================
viewer             viewer            Viewer          reads DAGs, runs and reports only
monitor, handler   user              User            triggers runs, answers their HITL steps
leader, principal  user              User            approvals come from HITL assignment
admin              admin             Admin           operates Airflow itself
agency contact     user              User            answers the 会签 step
=================  ================  ==============  =====================================

A unit handler can therefore answer the steps assigned to them (edit a draft, give feedback) but
never a publication approval, which is assigned to the 分管领导 / 主要负责同志 only.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from yuqing.config import Config

SIMPLE_ORDER = ("viewer", "user", "op", "admin")
ROSTER_ROLE = {"viewer": "viewer", "monitor": "user", "handler": "user", "leader": "user", "principal": "user",
               "admin": "admin"}
FAB_ROLE = {"viewer": "Viewer", "user": "User", "op": "Op", "admin": "Admin"}
USERS_KEY = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"
PASSWORDS_KEY = "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
USERNAME = re.compile(r"[A-Za-z0-9_.@-]+")  # ',' and ':' would break the SimpleAuthManager users setting


class SyncError(RuntimeError):
    """The auth manager refused a change; the message names the command and its output."""


@dataclass(frozen=True)
class Account:
    """One Airflow account derived from the roster."""

    username: str
    role: str  # SimpleAuthManager role name: viewer | user | op | admin
    name: str
    title: str
    email: str
    because: tuple[str, ...]

    @property
    def fab_role(self) -> str:
        return FAB_ROLE[self.role]


@dataclass
class SyncReport:
    """What a sync changed; ``passwords`` holds only the ones generated now (shown once)."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> bool:
        return bool(self.created or self.changed or self.removed)


def _highest(roles: Sequence[str]) -> str:
    return max((ROSTER_ROLE[r] for r in roles), key=SIMPLE_ORDER.index, default="viewer")


def accounts_from_config(config: Config) -> list[Account]:
    """Every person, plus each agency's 会签 contact and each verifying body's user who is not a person.

    Anyone a HITL step may be assigned to needs an account, or the step can never be answered.
    """
    accounts = [
        Account(username=p.id, role=_highest(p.roles), name=p.name, title=p.title or "-",
                email=p.email or f"{p.id}@users.invalid", because=tuple(p.roles))
        for p in config.people
    ]
    known = {a.username for a in accounts}
    for agency in config.cases.agencies:
        if agency.contact not in known:
            known.add(agency.contact)
            accounts.append(Account(username=agency.contact, role="user", name=agency.contact_name or agency.contact,
                                    title=f"{agency.name}会签联系人", email=agency.email or f"{agency.contact}@users.invalid",
                                    because=("agency_contact",)))
    for body in config.verification.bodies:
        if body.user not in known:
            known.add(body.user)
            accounts.append(Account(username=body.user, role="user", name=body.name, title=f"{body.name}核实联系人",
                                    email=body.email or f"{body.user}@users.invalid", because=("verifying_body",)))
    bad = [a.username for a in accounts if not USERNAME.fullmatch(a.username)]
    if bad:
        raise SyncError(f"person ids that cannot be Airflow user names (letters, digits, _ . @ - only): {', '.join(bad)}")
    return accounts


def new_password() -> str:
    return secrets.token_urlsafe(12)


# -- SimpleAuthManager -------------------------------------------------------------------------
def read_users_env(path: Path) -> dict[str, str]:
    """username -> role from the env file this module writes (empty if there is none yet)."""
    if not path.exists():
        return {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{USERS_KEY}="):
            pairs = [p for p in line.split("=", 1)[1].split(",") if p.strip()]
            return {u.strip(): r.strip() for u, _, r in (p.partition(":") for p in pairs)}
    return {}


def _write_if_changed(path: Path, text: str, mode: int | None = None) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    if mode is not None:
        os.chmod(tmp, mode)
    tmp.replace(path)
    return True


def sync_simple(accounts: list[Account], env_file: Path, passwords_file: Path, *, keep: Sequence[str] = ("admin",),
                dry_run: bool = False) -> SyncReport:
    """Write ``[core] simple_auth_manager_users`` (as an env file) and the passwords JSON file.

    Existing passwords are kept; a new account gets a random one, returned once in the report.
    People no longer in the roster are dropped from both files (they can no longer log in); the
    accounts named in ``keep`` (default ``admin``) stay with their current role (admin if new).
    """
    report = SyncReport()
    before = read_users_env(env_file)
    try:
        passwords: dict[str, str] = json.loads(passwords_file.read_text(encoding="utf-8")) if passwords_file.exists() else {}
    except json.JSONDecodeError as exc:
        raise SyncError(f"{passwords_file}: not valid JSON ({exc}); fix or remove it") from None
    wanted = {a.username: a.role for a in accounts}
    for name in keep:
        if name not in wanted:
            wanted[name] = before.get(name, "admin")
    for name, role in wanted.items():
        if name not in before:
            report.created.append(name)
        elif before[name] != role:
            report.changed.append(f"{name}: {before[name]} -> {role}")
        else:
            report.unchanged.append(name)
        if name not in passwords:
            report.passwords[name] = passwords[name] = new_password()
    report.removed = sorted(set(before) - set(wanted))
    for name in list(passwords):
        if name not in wanted:
            del passwords[name]
            if name not in report.removed:
                report.removed.append(name)
    if dry_run:
        report.passwords = {k: "(would be generated)" for k in report.passwords}
        return report
    users_value = ",".join(f"{n}:{r}" for n, r in wanted.items())
    env_text = (
        "# Written by `yuqing users sync --auth-manager simple` from the roster in yuqing.yaml; edit the roster,\n"
        "# not this file. Load it into every Airflow component (docker compose env_file, or `set -a; . FILE`).\n"
        f"{USERS_KEY}={users_value}\n"
        f"{PASSWORDS_KEY}={passwords_file.resolve()}\n"
    )
    _write_if_changed(passwords_file, json.dumps(passwords, ensure_ascii=False, indent=1, sort_keys=True) + "\n", 0o600)
    _write_if_changed(env_file, env_text)
    return report


# -- FabAuthManager ----------------------------------------------------------------------------
class FabCli:
    """The ``airflow`` command of a FAB installation, one subprocess per call."""

    def __init__(self, command: Sequence[str] = ("airflow",), env: dict[str, str] | None = None, timeout: float = 300):
        self.command, self.env, self.timeout = list(command), env, timeout

    def run(self, *args: str) -> str:
        proc = subprocess.run([*self.command, *args], env=self.env, capture_output=True, text=True, timeout=self.timeout)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise SyncError(f"`airflow {' '.join(args[:2])}` failed ({proc.returncode}): {' | '.join(tail)}")
        return proc.stdout

    def json(self, *args: str) -> list[dict]:
        out = self.run(*args, "-o", "json")
        for line in reversed(out.splitlines()):  # log lines may come first; the list is one line
            if line.startswith("["):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    continue
        raise SyncError(f"`airflow {' '.join(args)}` printed no JSON list: {out[-300:]!r}")


def sync_fab(accounts: list[Account], cli: FabCli, *, keep: Sequence[str] = ("admin",),
             dry_run: bool = False) -> SyncReport:
    """Create, update and delete FAB users so they match the roster; idempotent.

    New users get a random password (returned once). Role and name changes of existing users go
    through one ``airflow users import``. Users who are neither in the roster nor in ``keep`` are
    deleted (FAB's CLI has no deactivate; their past answers stay in Airflow's HITL records, which
    store the name, not a foreign key).
    """
    report = SyncReport()
    roles = {r["name"] for r in cli.json("roles", "list")}
    missing_roles = sorted({a.fab_role for a in accounts} - roles)
    if missing_roles and not dry_run:
        cli.run("roles", "create", *missing_roles)
    current = {u["username"]: u for u in cli.json("users", "list")}
    updates: list[dict] = []
    for a in accounts:
        have = current.get(a.username)
        if have is None:
            report.created.append(a.username)
            if not dry_run:
                password = new_password()
                cli.run("users", "create", "--username", a.username, "--email", a.email, "--firstname", a.name,
                        "--lastname", a.title, "--role", a.fab_role, "--password", password)
                report.passwords[a.username] = password
            continue
        diffs = []
        if sorted(have.get("roles") or []) != [a.fab_role]:
            diffs.append(f"roles {have.get('roles')} -> [{a.fab_role}]")
        if (have.get("first_name"), have.get("last_name")) != (a.name, a.title):
            diffs.append("name")
        if have.get("email") != a.email:
            report.warnings.append(f"{a.username}: e-mail in Airflow is {have.get('email')!r}, roster says {a.email!r};"
                                   " change it in the Airflow UI (FAB's CLI matches users by e-mail)")
        if diffs:
            report.changed.append(f"{a.username}: {', '.join(diffs)}")
            updates.append({"username": a.username, "email": have.get("email"), "firstname": a.name,
                            "lastname": a.title, "roles": [a.fab_role]})
        else:
            report.unchanged.append(a.username)
    if updates and not dry_run:
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
            json.dump(updates, fh, ensure_ascii=False)
        try:
            cli.run("users", "import", fh.name)
        finally:
            os.unlink(fh.name)
    wanted = {a.username for a in accounts} | set(keep)
    for name in sorted(set(current) - wanted):
        report.removed.append(name)
        if not dry_run:
            cli.run("users", "delete", "--username", name)
    return report
