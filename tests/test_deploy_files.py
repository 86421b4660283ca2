"""docker-compose.yml and the Dockerfile are checked offline (no Docker engine here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


def _compose_config() -> dict[str, Any]:
    # Parse what docker-compose resolved (defaults filled in), not the raw file.
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    config = yaml.safe_load(result.stdout)
    assert isinstance(config, dict)
    return config


needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose not installed (make test installs it with apt)",
)


@needs_compose
def test_compose_file_is_valid() -> None:
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


@needs_compose
def test_compose_runs_postgis_and_api() -> None:
    config = _compose_config()
    services = config["services"]
    assert isinstance(services, dict)
    db = services["db"]
    assert re.fullmatch(r"postgis/postgis:15-3\.\d+", db["image"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any("athar-pgdata" in str(v) for v in db["volumes"])
    api = services["api"]
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert "@db:5432/athar" in api["environment"]["DATABASE_URL"]
    assert "athar-pgdata" in config["volumes"]


def test_dockerfile_copies_every_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) ", text, flags=re.MULTILINE))
    assert {"athar", "db", "gazetteer", "etl", "api", "migrations"} <= copied
    # The web map's npm packages are installed in the image from the same lock file.
    assert "COPY api/web/package.json api/web/package-lock.json" in text
    assert "npm ci" in text and "api/web/node_modules" in text
