"""The ``athar`` command line: database commands, migrations and reference data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from athar.cli import main


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "migrate", "serve", "load", "gazetteer", "etl"):
        assert command in result.output


def test_db_status_reports_a_reachable_migrated_database(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["db", "status"], env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    assert state["reachable"] is True
    assert state["revision"] == state["head"]


def test_db_status_fails_on_unreachable_database() -> None:
    url = "postgresql+psycopg://nobody:x@127.0.0.1:9/none"
    result = CliRunner().invoke(main, ["db", "status"], env={"DATABASE_URL": url})
    assert result.exit_code == 1
    assert json.loads(result.output)["reachable"] is False


def test_migrate_and_load_are_idempotent(scratch_engine: Engine) -> None:
    url = scratch_engine.url.render_as_string(hide_password=False)
    for command in (["migrate"], ["migrate"], ["load"], ["load"]):
        result = CliRunner().invoke(main, command, env={"DATABASE_URL": url})
        assert result.exit_code == 0, result.output


def test_db_url_points_to_embedded_cluster_unless_database_url_set(engine: Engine) -> None:
    result = CliRunner().invoke(main, ["db", "url"], env={"DATABASE_URL": "postgres://u:p@h/d"})
    assert result.output.strip() == "postgresql+psycopg://u:p@h/d"


@pytest.mark.skipif(sys.platform != "linux", reason="the embedded cluster targets Linux")
def test_embedded_cluster_runs_unprivileged(settings) -> None:  # type: ignore[no-untyped-def]
    from db.cluster import EmbeddedCluster

    cluster = EmbeddedCluster(settings)
    if settings.database_url:
        pytest.skip("DATABASE_URL replaces the embedded cluster")
    status = cluster.status()
    assert status["running"] is True
    pid_line = (cluster.data_dir / "postmaster.pid").read_text().splitlines()[0]
    owner = subprocess.run(
        ["ps", "-o", "user=", "-p", pid_line], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert owner != "root"
    assert (cluster.socket_dir / f".s.PGSQL.{status['port']}").exists()


def test_serve_with_two_workers_answers_health(engine: Engine, tmp_path: Path) -> None:
    """``--workers 2`` hands the resolved database to two worker processes that answer."""
    import os
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url, "ATHAR_HOME": str(tmp_path)}
    # The console script installed beside this interpreter, as a user would run it.
    athar = str(Path(sys.executable).with_name("athar"))
    command = [athar, "serve", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    status = answer.status
                    body = json.loads(answer.read())
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.3)
        assert status == 200
        assert body["database"]["reachable"] is True
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert output.count("Started server process") == 2, output


def test_serve_warns_when_workers_could_exhaust_connections() -> None:
    from athar.cli_db import connection_budget_warning

    # 2 workers x (15 + 10) = 50 fits in 100; 4 x 25 = 100 still does; 5 x 25 does not.
    assert connection_budget_warning(2, 10) is None
    assert connection_budget_warning(4, 10) is None
    warning = connection_budget_warning(5, 10)
    assert warning is not None and "125" in warning and "ATHAR_TILE_POOL_SIZE" in warning
    assert connection_budget_warning(5, 5) is None
