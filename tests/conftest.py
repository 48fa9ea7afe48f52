"""Shared fixtures.

Airflow reads its settings when first imported, so its environment is set here, before any test
module imports it. The yuqing store is built by the real Alembic migrations, on SQLite always and
on PostgreSQL too when ``YUQING_TEST_DATABASE_URL`` is set (every ``db_url`` test runs on both).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="yuqing-test-airflow-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "YUQING_HOME": str(ROOT),
        "YUQING_RETRY_DELAY_SECONDS": "1",  # Airflow-level retries of DAG tasks, fast in tests
    }
)
os.environ.pop("YUQING_DATABASE_URL", None)  # tests never touch the developer's store

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from yuqing import db  # noqa: E402
from yuqing.config import Config, load_config  # noqa: E402

PG_URL = os.environ.get("YUQING_TEST_DATABASE_URL")


def pytest_configure(config: pytest.Config) -> None:
    # Old Airflow 2 import paths fail the suite. Added here, not in pyproject.toml: resolving the
    # warning class imports Airflow, which must happen after the environment above is set.
    config.addinivalue_line("filterwarnings", "error::airflow.utils.deprecation_tools.DeprecatedImportWarning")
    config.addinivalue_line("markers", "distributed: a Celery cluster on PostgreSQL + Redis (tests/test_distributed.py)")


DISTRIBUTED_ENV = ("YUQING_TEST_DATABASE_URL", "YUQING_TEST_REDIS_URL")


def pytest_report_header(config: pytest.Config) -> str:
    missing = [v for v in DISTRIBUTED_ENV if not os.environ.get(v)]
    if missing:
        return f"distributed (Celery) tests DESELECTED: {' and '.join(missing)} not set"
    return f"distributed (Celery) tests on {os.environ['YUQING_TEST_DATABASE_URL']} and {os.environ['YUQING_TEST_REDIS_URL']}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without PostgreSQL and Redis the Celery cluster cannot exist: deselect, never skip silently."""
    if all(os.environ.get(v) for v in DISTRIBUTED_ENV):
        return
    off = [i for i in items if i.get_closest_marker("distributed")]
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = [i for i in items if not i.get_closest_marker("distributed")]


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once, copy per test: a fresh store costs a file copy, not a migration."""
    path = tmp_path_factory.mktemp("store") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    db.get_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def _pg_migrated() -> str:
    assert PG_URL
    url = db.database_url_from(PG_URL)
    engine = db.get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated yuqing store; also exported as YUQING_DATABASE_URL for CLI/DAG code."""
    if request.param == "sqlite":
        path = tmp_path / "yuqing.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_pg_migrated")
        tables = ", ".join(t.name for t in reversed(db.Base.metadata.sorted_tables))
        with db.get_engine(url).begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    monkeypatch.setenv("YUQING_DATABASE_URL", url)
    yield url
    if request.param == "sqlite":
        db.get_engine(url).dispose()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    s = sessionmaker(db.get_engine(db_url), expire_on_commit=False)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture(scope="session")
def demo_config() -> Config:
    """The bundled bureau configuration (yuqing.yaml), as users get it."""
    return load_config(ROOT / "yuqing.yaml")
