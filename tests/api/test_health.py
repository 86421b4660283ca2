"""``/health`` reports the database state: 200 when migrated, 503 when it cannot be reached."""

from __future__ import annotations

import socket
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from db.engine import make_engine
from db.settings import Settings


def test_health_ok_with_migrated_database(engine: Engine) -> None:
    with TestClient(create_app(Settings(), engine=engine)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert body["database"]["migrated"] is True
    assert body["database"]["postgis"].startswith("3.")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_health_503_when_database_is_down() -> None:
    dead = make_engine(f"postgresql+psycopg://athar:x@127.0.0.1:{_closed_port()}/athar")
    with TestClient(create_app(Settings(), engine=dead)) as client:
        started = time.monotonic()
        response = client.get("/health")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"]["reachable"] is False
    # Not a timing target: a refused connection must be reported, not waited out.
    assert elapsed < 10


def test_unknown_route_is_problem_json(engine: Engine) -> None:
    with TestClient(create_app(Settings(), engine=engine)) as client:
        response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
