"""Engine, sessions and migrations for the yuqing store (separate from Airflow's metadata DB).

The URL comes from ``YUQING_DATABASE_URL``; the default is a SQLite file under ``var/`` so a
fresh checkout runs with nothing else installed. The schema is only ever built by Alembic
(``yuqing db upgrade``), never by ``create_all``, so tests run the same migrations as production.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from yuqing.all_models import Base
from yuqing.paths import var_dir

__all__ = ["Base", "database_url", "get_engine", "session_scope", "upgrade", "check"]

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url_from(url: str) -> str:
    """Plain ``postgresql://`` means psycopg 3 here (psycopg2 is not installed)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def database_url() -> str:
    url = os.environ.get("YUQING_DATABASE_URL")
    if url:
        return database_url_from(url)
    return f"sqlite:///{var_dir() / 'yuqing.db'}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process; the URL is resolved first, so a changed environment counts."""
    return _engine_for(database_url_from(url) if url else database_url())


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error. Callers own the boundary."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def check(url: str | None = None) -> None:
    """Fail if the models and the migrations have drifted apart (like ``alembic check``)."""
    from alembic import command

    command.check(alembic_config(url))
