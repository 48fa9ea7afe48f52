"""The production files: the compose file validates with the real Compose tool against .env.example,
every secret it needs is required (and listed in .env.example), and the Dockerfile builds on the
pinned official Airflow image with the lock as constraints."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {"postgres", "redis", "smtp-relay", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer", "airflow-worker", "airflow-init", "yuqing-init", "yuqing-db-create"}


def _compose() -> list[str]:
    """`docker compose` (v2 plugin) when present, else Debian's `docker-compose` 1.29 (`make setup`)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    assert legacy, "neither `docker compose` nor `docker-compose` is installed (make setup installs docker-compose)"
    return [legacy]


def _config(env_file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_compose(), "-f", str(ROOT / "docker-compose.yaml"), "--env-file", str(env_file),
                           "config", *extra], capture_output=True, text=True, cwd=ROOT, timeout=60)


@pytest.fixture(scope="module")
def rendered() -> dict:
    result = _config(ROOT / ".env.example")
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr.lower() and "error" not in result.stderr.lower(), result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_validates_with_env_example(rendered: dict) -> None:
    assert SERVICES <= set(rendered["services"]), set(rendered["services"])
    assert _config(ROOT / ".env.example", "-q").returncode == 0


def test_celery_redis_postgres_and_a_separate_yuqing_database(rendered: dict) -> None:
    env = rendered["services"]["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://") and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg://")  # psycopg 3 throughout
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    airflow_db = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    yuqing_db = env["YUQING_DATABASE_URL"].rsplit("/", 1)[1]
    assert (airflow_db, yuqing_db) == ("airflow", "yuqing")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        s = rendered["services"][name]
        assert s["image"] == rendered["services"]["airflow-worker"]["image"] and "build" in s
        assert s["environment"]["AIRFLOW__API_AUTH__JWT_SECRET"] == env["AIRFLOW__API_AUTH__JWT_SECRET"]


def test_every_secret_is_required_and_listed_in_env_example(tmp_path: Path) -> None:
    text = (ROOT / "docker-compose.yaml").read_text(encoding="utf-8")
    required = sorted(set(re.findall(r"\$\{([A-Z0-9_]+):\?", text)))
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "YUQING_SECRET_KEY",
            "AIRFLOW_CONN_YUQING_SMTP"} <= set(required)
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    assert set(required) <= listed, set(required) - listed
    # without one of them the file does not validate, and the message names it
    broken = tmp_path / "broken.env"
    broken.write_text("\n".join(line for line in example.splitlines() if not line.startswith("YUQING_SECRET_KEY=")))
    result = _config(broken, "-q")
    assert result.returncode != 0 and "YUQING_SECRET_KEY" in result.stderr


def test_no_secrets_in_yuqing_yaml() -> None:
    raw = (ROOT / "yuqing.yaml").read_text(encoding="utf-8")
    assert not re.search(r"^\s*[\w-]*(password|secret|token|api_key)\s*:", raw, re.I | re.M)


def test_dockerfile_pins_the_official_image_and_installs_with_the_lock() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms == ["apache/airflow:3.3.2-python3.11"]
    assert "apache-airflow==3.3.2" in (ROOT / "requirements.txt").read_text()
    assert re.search(r"pip install .*-r \S*requirements\.txt -c \S*requirements\.lock", text)
    for src in re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)\s+\S+$", text, re.M):
        for path in src.split():
            assert (ROOT / path).exists(), f"Dockerfile copies {path}, which does not exist"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "var", "output", ".git"} <= set(ignored)
