"""CLI groups for operations: ``yuqing doctor``, ``yuqing users …``, ``yuqing retention …``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from yuqing.config import ConfigError, load_config


def _load(ctx: click.Context):
    try:
        return load_config(ctx.find_root().obj.get("config_path") if ctx.find_root().obj else None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


# -- doctor ------------------------------------------------------------------------------------
@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="print the checks as JSON instead of a table")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
              help="where reports are written (default: $YUQING_OUTPUT_DIR, else output/)")
@click.option("--airflow", "airflow_cmd", help="the `airflow` command used to list Connections not in the "
              "environment (default: `airflow` on PATH; '' to skip)")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool, reports_dir: Path | None, airflow_cmd: str | None) -> None:
    """Check config, both databases, Connections, sources, disk and secrets; exit 1 if anything FAILs."""
    from yuqing.ops.doctor import FAIL, render_table, run_doctor
    from yuqing.ops.doctor import as_json as to_json

    checks = run_doctor(ctx.find_root().obj.get("config_path"), reports_dir=reports_dir, airflow=airflow_cmd)
    click.echo(to_json(checks) if as_json else render_table(checks))
    if any(c.status == FAIL for c in checks):
        sys.exit(1)


# -- users -------------------------------------------------------------------------------------
@click.group("users")
def users_group() -> None:
    """The roster as Airflow users and roles (HITL assigned_users are these accounts)."""


@users_group.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Show the Airflow account and role each roster person gets."""
    from yuqing.ops.users import accounts_from_config

    for a in accounts_from_config(_load(ctx)):
        click.echo(f"{a.username:16} {a.role:7} {a.fab_role:7} {a.name} ({', '.join(a.because)})")


@users_group.command("sync")
@click.option("--auth-manager", "manager", type=click.Choice(["simple", "fab"]), required=True,
              help="simple: write the users setting and passwords file; fab: drive `airflow users`/`roles`")
@click.option("--env-file", type=click.Path(dir_okay=False, path_type=Path), default=Path("var/airflow/users.env"),
              show_default=True, help="simple: env file with AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS")
@click.option("--passwords-file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("var/airflow/simple_auth_manager_passwords.json"), show_default=True,
              help="simple: the passwords JSON file (existing passwords are kept)")
@click.option("--keep", multiple=True, default=("admin",), show_default=True,
              help="accounts outside the roster that must stay (repeatable)")
@click.option("--airflow", "airflow_cmd", default="airflow", show_default=True, help="fab: the airflow command")
@click.option("--dry-run", is_flag=True, help="show what would change, change nothing")
@click.pass_context
def users_sync(ctx: click.Context, manager: str, env_file: Path, passwords_file: Path, keep: tuple[str, ...],
               airflow_cmd: str, dry_run: bool) -> None:
    """Create, update and remove Airflow users so they match the roster; a second run changes nothing."""
    import shlex

    from yuqing.ops.users import FabCli, SyncError, accounts_from_config, sync_fab, sync_simple

    accounts = accounts_from_config(_load(ctx))
    try:
        if manager == "simple":
            report = sync_simple(accounts, env_file, passwords_file, keep=keep, dry_run=dry_run)
        else:
            report = sync_fab(accounts, FabCli(shlex.split(airflow_cmd)), keep=keep, dry_run=dry_run)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    prefix = "would be " if dry_run else ""
    for label, names in (("created", report.created), ("changed", report.changed), ("removed", report.removed)):
        for name in names:
            click.echo(f"{prefix}{label}: {name}")
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    if report.passwords and not dry_run:
        click.echo("new passwords (shown once; hand them over and have them changed):")
        for name, password in report.passwords.items():
            click.echo(f"  {name}: {password}")
    click.echo(f"{len(report.created)} created, {len(report.changed)} changed, {len(report.removed)} removed, "
               f"{len(report.unchanged)} unchanged" + (" (dry run)" if dry_run else ""))
    if manager == "simple" and not dry_run:
        click.echo(f"load {env_file} into every Airflow component (then restart the api-server)")


# -- retention ---------------------------------------------------------------------------------
@click.group("retention")
def retention_group() -> None:
    """Archive and delete old items (retention.items_months); reports keep their evidence."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="count what would be archived, change nothing")
@click.option("--as-of", help="run as if at this moment (ISO 8601; Beijing time if no zone); default now")
@click.pass_context
def retention_run(ctx: click.Context, dry_run: bool, as_of: str | None) -> None:
    """Archive items older than the configured months to compressed JSONL, verify, then delete them."""
    from yuqing.clock import SHANGHAI, utcnow
    from yuqing.db import session_scope
    from yuqing.ops.retention import run_retention

    config = _load(ctx)
    moment = utcnow()
    if as_of:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            raise click.ClickException(f"--as-of: not an ISO 8601 time: {as_of!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)
    with session_scope() as session:
        result = run_retention(session, config, as_of=moment, dry_run=dry_run)
    click.echo(json.dumps({"cutoff": result.cutoff.isoformat(), "old_items": result.candidates,
                           "kept_referenced": result.kept_referenced, "archived": result.archived,
                           "archive": result.archive, "dry_run": result.dry_run}, ensure_ascii=False))
