"""`yuqing doctor`: is this installation able to do its job, and if not, what to fix.

Why: the failures that hurt in production are quiet ones — a store one migration behind, an SMTP
Connection nobody created, a source that moved, a full disk under the reports. Each check here runs
on its own (one failing or crashing check never stops the others) and says what to fix. Airflow is
not imported: its metadata DB is reached with SQLAlchemy from the URL Airflow itself would use, and
Connections are read from ``AIRFLOW_CONN_*`` or, if missing there, from one ``airflow connections
list`` subprocess.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from yuqing.config import Config, ConfigError, load_config

OK, WARN, FAIL = "OK", "WARN", "FAIL"
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table."""

    check: str
    status: str
    detail: str
    fix: str = ""


# -- configuration and databases ---------------------------------------------------------------
def check_config(path: Path | str | None) -> tuple[Check, Config | None]:
    try:
        config = load_config(path)
    except ConfigError as exc:
        first = exc.problems[0] if exc.problems else ("", str(exc))
        return Check("config", FAIL, f"{exc.path}: {first[0]}: {first[1]} ({len(exc.problems)} problem(s))",
                     "run `yuqing config check` and correct the fields it names"), None
    return Check("config", OK, f"{len(config.sources)} sources, {len(config.people)} people, "
                               f"{len(config.organisation.units)} units"), config


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is shown as what it is not
        return "(unparseable URL)"


def check_store(url: str | None = None) -> Check:
    """The yuqing store answers and carries every migration head."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from yuqing import db

    url = db.database_url_from(url) if url else db.database_url()
    try:
        with db.get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception as exc:
        return Check("store", FAIL, f"{_safe(url)}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                     "check YUQING_DATABASE_URL and that the database server is up")
    heads = set(ScriptDirectory.from_config(db.alembic_config(url)).get_heads())
    if current != heads:
        behind = ", ".join(sorted(heads - current)) or "-"
        return Check("store", FAIL, f"{_safe(url)}: at {sorted(current) or 'no revision'}, missing heads {behind}",
                     "run `yuqing db upgrade` (back up first, see README 'Upgrades')")
    return Check("store", OK, f"{_safe(url)}: at the migration heads ({', '.join(sorted(heads))})")


def airflow_db_url(environ: dict[str, str] | None = None) -> tuple[str | None, str]:
    """Airflow's metadata DB URL and where it came from, as Airflow itself would resolve it."""
    env = os.environ if environ is None else environ
    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        return env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
    home = Path(env.get("AIRFLOW_HOME") or Path.home() / "airflow")
    cfg_file = Path(env.get("AIRFLOW_CONFIG") or home / "airflow.cfg")
    if cfg_file.exists():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(cfg_file, encoding="utf-8")
        value = parser.get("database", "sql_alchemy_conn", fallback=None)
        if value:
            return value.replace("{AIRFLOW_HOME}", str(home)), str(cfg_file)
    return None, str(cfg_file)


def _driver_we_have(url: str) -> str:
    """Airflow images use psycopg2; this venv has psycopg 3. Same server, same check."""
    if url.startswith("postgresql+psycopg2://") or url.startswith("postgres://"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            return "postgresql+psycopg://" + url.split("://", 1)[1]
    from yuqing.db import database_url_from

    return database_url_from(url)


def check_airflow_db(environ: dict[str, str] | None = None) -> Check:
    from sqlalchemy import create_engine, inspect, text

    url, origin = airflow_db_url(environ)
    if not url:
        return Check("airflow metadata DB", FAIL, f"no sql_alchemy_conn (looked in the environment and {origin})",
                     "set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN (see .env.example)")
    engine = create_engine(_driver_we_have(url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            migrated = inspect(conn).has_table("alembic_version") and inspect(conn).has_table("dag")
    except Exception as exc:
        return Check("airflow metadata DB", FAIL, f"{_safe(url)} (from {origin}): {type(exc).__name__}: "
                     f"{str(exc).splitlines()[0][:200]}", "start the database or correct the URL; then `airflow db check`")
    finally:
        engine.dispose()
    if not migrated:
        return Check("airflow metadata DB", FAIL, f"{_safe(url)}: reachable but has no Airflow tables",
                     "run `airflow db migrate`")
    return Check("airflow metadata DB", OK, f"{_safe(url)} (from {origin}) reachable, migrated")


# -- connections -------------------------------------------------------------------------------
def referenced_connections(config: Config) -> dict[str, tuple[str, bool]]:
    """conn id -> (what uses it, required). The website channel can fall back to its folder."""
    refs: dict[str, tuple[str, bool]] = {
        config.notifications.smtp_conn_id: ("SMTP for warnings and reports", True),
        config.notifications.webhook_conn_id: ("default robot webhook", True),
    }
    for p in config.people:
        if p.webhook_conn_id:
            refs.setdefault(p.webhook_conn_id, (f"webhook of {p.id}", True))
    for r in [*config.recipients.same_level, *config.recipients.upper]:
        if r.webhook_conn_id:
            refs.setdefault(r.webhook_conn_id, (f"报送 webhook of {r.name}", True))
    ch = config.cases.channels
    for channel in ch.order:
        conn_id = getattr(ch, f"{channel}_conn_id")
        refs.setdefault(conn_id, (f"publication channel {channel}", channel != "website"))
    return refs


def _airflow_command() -> str | None:
    """`airflow` on the PATH, else the one installed beside this Python (`.venv/bin/yuqing doctor`)."""
    beside = Path(sys.executable).parent / "airflow"
    return shutil.which("airflow") or (str(beside) if beside.exists() else None)


def _airflow_connection_ids(airflow: str | None, timeout: float) -> tuple[set[str] | None, str]:
    if not airflow:
        return None, "no `airflow` command to ask"
    try:
        proc = subprocess.run([airflow, "connections", "list", "-o", "json"], capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"`airflow connections list` did not run: {exc}"
    if proc.returncode != 0:
        return None, f"`airflow connections list` failed: {(proc.stderr or proc.stdout).strip()[-200:]}"
    for line in reversed(proc.stdout.splitlines()):  # log lines may come first; the list is one line
        if line.startswith("["):
            try:
                return {r.get("conn_id") for r in json.loads(line)}, "airflow connections list"
            except (json.JSONDecodeError, AttributeError):
                continue
    return None, "`airflow connections list` printed no JSON"


def check_connections(config: Config, environ: dict[str, str] | None = None, airflow: str | None = None,
                      timeout: float = 60) -> list[Check]:
    env = os.environ if environ is None else environ
    refs = referenced_connections(config)
    found: dict[str, str] = {}
    checks: list[Check] = []
    for conn_id in refs:
        value = env.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if value is None:
            continue
        if value.lstrip().startswith("{"):
            try:
                json.loads(value)
            except json.JSONDecodeError as exc:
                checks.append(Check(f"connection {conn_id}", FAIL, f"AIRFLOW_CONN_{conn_id.upper()} is not valid JSON: {exc}",
                                    "fix the JSON value in .env"))
                found[conn_id] = "broken"
                continue
        found[conn_id] = f"AIRFLOW_CONN_{conn_id.upper()}"
    in_db: set[str] | None = set()
    how = ""
    if any(c not in found for c in refs):
        in_db, how = _airflow_connection_ids(airflow if airflow is not None else _airflow_command(), timeout)
    for conn_id, (use, required) in refs.items():
        if found.get(conn_id) == "broken":
            continue
        if conn_id in found:
            checks.append(Check(f"connection {conn_id}", OK, f"{use}: from {found[conn_id]}"))
        elif in_db is not None and conn_id in in_db:
            checks.append(Check(f"connection {conn_id}", OK, f"{use}: in Airflow's metadata DB"))
        else:
            where = "not in the environment" + (f", not in Airflow ({how})" if in_db is not None else f"; {how}")
            checks.append(Check(f"connection {conn_id}", FAIL if required else WARN, f"{use}: {where}",
                                f"set AIRFLOW_CONN_{conn_id.upper()} in .env or `airflow connections add {conn_id}`"))
    return checks


# -- sources, disk, secrets ----------------------------------------------------------------------
def _store_health(source_ids: Iterable[str]) -> dict[str, tuple[str, int, str | None]]:
    from sqlalchemy import select

    from yuqing.db import session_scope
    from yuqing.models import Source

    with session_scope() as session:
        rows = session.execute(select(Source.id, Source.health, Source.consecutive_failures, Source.last_error)
                               .where(Source.id.in_(list(source_ids)))).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _reach(source: Any, config: Config) -> tuple[str, str, str]:
    import requests

    if source.type == "manual":
        return OK, "entered by hand", ""
    if source.type == "hotline":
        folder = config.resolve_path(source.folder)
        if not folder.is_dir():
            return FAIL, f"drop folder {folder} does not exist", f"create {folder} (writable by the Airflow workers)"
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
                pass
        except OSError as exc:
            return FAIL, f"drop folder {folder} is not writable: {exc.strerror}", f"chown/chmod {folder} for the workers"
        return OK, f"drop folder {folder} exists, writable", ""
    try:
        r = requests.get(source.url, timeout=source.timeout_seconds, headers={"User-Agent": "yuqing-doctor"})
    except requests.RequestException as exc:
        return FAIL, f"{source.url}: {type(exc).__name__}", "check the URL, DNS and the proxy (HTTP(S)_PROXY)"
    if r.status_code >= 400:
        return FAIL, f"{source.url}: HTTP {r.status_code}", "the page moved or blocks us: check the URL in yuqing.yaml"
    return OK, f"{source.url}: HTTP {r.status_code} in {r.elapsed.total_seconds():.1f}s", ""


def check_sources(config: Config) -> list[Check]:
    enabled = [s for s in config.sources if s.enabled]
    try:
        health: dict[str, tuple[str, int, str | None]] | None = _store_health(s.id for s in enabled)
    except Exception:  # the store check reports the store; here we only lose the health column
        health = None
    with ThreadPoolExecutor(max_workers=8) as pool:
        reaches = list(pool.map(lambda s: _reach(s, config), enabled))
    checks = []
    for source, (status, detail, fix) in zip(enabled, reaches, strict=True):
        h = (health or {}).get(source.id)
        if health is None:
            detail += "; health unknown (store unreachable)"
        elif h is None:
            detail += "; not collected yet (run `yuqing sources sync`)"
        else:
            detail += f"; health {h[0]}"
            if h[0] in ("failing", "silent"):
                detail += f" ({h[1]} failures{': ' + h[2][:80] if h[2] else ''})"
                if status == OK:
                    status, fix = WARN, "see `yuqing sources list`; the next collection will tell if it recovered"
        checks.append(Check(f"source {source.id}", status, detail, fix))
    return checks


def check_disk(path: Path, warn_gb: float = 5, fail_gb: float = 1) -> Check:
    try:
        path.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(path).free / 1024**3
    except OSError as exc:
        return Check("disk (reports)", FAIL, f"{path}: {exc}", "create the reports directory (YUQING_OUTPUT_DIR)")
    if not os.access(path, os.W_OK):
        return Check("disk (reports)", FAIL, f"{path} is not writable", "fix the owner of the reports directory")
    detail = f"{path}: {free:.1f} GB free"
    if free < fail_gb:
        return Check("disk (reports)", FAIL, detail, f"free space (< {fail_gb} GB); run `yuqing retention run`, rotate logs")
    if free < warn_gb:
        return Check("disk (reports)", WARN, detail, f"less than {warn_gb} GB left: plan more space")
    return Check("disk (reports)", OK, detail)


def check_secret_key(environ: dict[str, str] | None = None) -> Check:
    value = (os.environ if environ is None else environ).get("YUQING_SECRET_KEY", "")
    if not value:
        return Check("YUQING_SECRET_KEY", FAIL, "not set: acknowledgement links cannot be signed",
                     "set YUQING_SECRET_KEY in .env: python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if len(value) < MIN_SECRET_LENGTH:
        return Check("YUQING_SECRET_KEY", WARN, f"only {len(value)} characters", f"use at least {MIN_SECRET_LENGTH}")
    return Check("YUQING_SECRET_KEY", OK, f"set ({len(value)} characters)")


# -- the whole run -----------------------------------------------------------------------------
def _guarded(name: str, fn: Callable[[], Check | list[Check]]) -> list[Check]:
    """A check that crashes becomes a FAIL line; the others still run."""
    try:
        result = fn()
    except Exception as exc:
        return [Check(name, FAIL, f"the check itself crashed: {type(exc).__name__}: {exc}", "report this as a bug")]
    return result if isinstance(result, list) else [result]


def run_doctor(config_path: Path | str | None = None, *, reports_dir: Path | None = None,
               airflow: str | None = None) -> list[Check]:
    from yuqing.paths import output_dir

    checks: list[Check] = []
    config_check, config = check_config(config_path)
    checks.append(config_check)
    checks += _guarded("store", check_store)
    checks += _guarded("airflow metadata DB", check_airflow_db)
    if config is None:
        checks.append(Check("connections, sources", WARN, "not checked: the configuration is invalid",
                            "fix the config first"))
    else:
        checks += _guarded("connections", lambda: check_connections(config, airflow=airflow))
        checks += _guarded("sources", lambda: check_sources(config))
    checks += _guarded("disk (reports)", lambda: check_disk(reports_dir or output_dir()))
    checks += _guarded("YUQING_SECRET_KEY", check_secret_key)
    return checks


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(checks: list[Check]) -> str:
    """A plain-text table (CJK-aware widths) with a summary line."""
    rows = [("CHECK", "STATUS", "DETAIL", "FIX")] + [(c.check, c.status, c.detail, c.fix) for c in checks]
    widths = [max(_width(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join([_pad(r[0], widths[0]), _pad(r[1], widths[1]), _pad(r[2], widths[2]), r[3]]).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ---")
    counts = {s: sum(c.status == s for c in checks) for s in (OK, WARN, FAIL)}
    lines.append(f"\n{counts[OK]} OK, {counts[WARN]} WARN, {counts[FAIL]} FAIL")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> str:
    return json.dumps([asdict(c) for c in checks], ensure_ascii=False, indent=1)
