"""Schemathesis fuzzing of every API operation: no input may cause a 5xx.

Each operation of the OpenAPI schema gets valid and invalid requests generated from its
schema with a fixed seed (``derandomize``), so a run is reproducible and CI sees the same
requests every time. Every response must be below 500, and every error must be
``application/problem+json``. The app reads the bundled gazetteer and a dozen fixture incidents
committed to a throwaway database; write operations are called with an editor key and the
reads guarded by a role (personal data, the audit log) with an admin key, so their input is
validated rather than refused at the door.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.app import create_app
from db.engine import make_engine
from db.keys import create_key
from db.migrate import upgrade
from db.parties import load_party_taxonomy
from db.reference import sync_parties
from db.settings import Settings

# Enough per operation that the whole schema gets well over 5,000 requests in about a minute;
# operations with few distinct inputs stop early once Hypothesis has exhausted them.
MAX_EXAMPLES = 260
WRITE_METHODS = {"post", "put", "patch", "delete"}
GUARDED_READS = {"/incidents/{incident_id}/victims", "/incidents/{incident_id}/witnesses", "/audit"}
MIN_TOTAL_REQUESTS = 5000

# Rate limits would turn a burst of generated requests into 429s and hide real answers.
FUZZ_SETTINGS = Settings(rate_limit_anonymous_per_minute=0, rate_limit_key_per_minute=0)


def _load_incident_fixtures() -> Any:
    # The incident tests already build a varied dataset (published, retracted, sensitive
    # incidents, a control zone, a victim); tests are not a package, so load the file.
    path = Path(__file__).with_name("test_incidents_api.py")
    spec = importlib.util.spec_from_file_location("_athar_incident_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _operations() -> list[tuple[str, str]]:
    # The schema does not depend on the database, so an engine that never connects will do.
    app = create_app(FUZZ_SETTINGS, engine=create_engine("postgresql+psycopg://unused@/unused"))
    return [
        (path, method)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
        if method in {"get", "head", *WRITE_METHODS}
    ]


OPERATIONS = _operations()
REQUESTS: dict[str, int] = {}


@pytest.fixture(scope="module")
def fuzz_app(make_database: Callable[[], str]) -> Iterator[tuple[FastAPI, str]]:
    """The app over a database of its own: the gazetteer, fixture incidents, an editor key.

    Committed rather than rolled back, because tiles are read through the engine and would not
    see rows in a test transaction; the database is dropped at the end of the session.
    """
    from gazetteer.dbload import load_gazetteer

    engine = make_engine(make_database(), application_name="athar-fuzz")
    upgrade(engine)
    with Session(engine) as session:
        sync_parties(session, load_party_taxonomy())
        load_gazetteer(session)
        _load_incident_fixtures().build_dataset(session)
        editor = create_key(session, name="fuzz editor", role="editor")
        session.commit()
    try:
        yield create_app(FUZZ_SETTINGS, engine=engine), editor.plain
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def fuzz_admin_key(fuzz_app: tuple[FastAPI, str]) -> str:
    app, _ = fuzz_app
    with Session(app.state.engine) as session:
        admin = create_key(session, name="fuzz admin", role="admin")
        session.commit()
    return admin.plain


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app: tuple[FastAPI, str]) -> Any:
    app, _ = fuzz_app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_input_causes_a_server_error(
    fuzz_app: tuple[FastAPI, str], fuzz_admin_key: str, fuzz_schema: Any, path: str, method: str
) -> None:
    _, editor_key = fuzz_app
    operation = fuzz_schema[path][method.upper()]
    headers: dict[str, str] = {}
    if method in WRITE_METHODS:
        headers = {"X-API-Key": editor_key}
    elif path in GUARDED_READS:
        headers = {"X-API-Key": fuzz_admin_key}
    label = f"{method.upper()} {path}"
    REQUESTS[label] = 0
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        REQUESTS[label] += 1
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])
            if isinstance(content_type, list):
                content_type = content_type[0] if content_type else ""
            assert content_type.startswith("application/problem+json"), (
                f"{label} answered {response.status_code} as {content_type!r}"
            )

    fuzz()


def test_fuzzing_sent_enough_requests() -> None:
    """Runs after the operations above (file order); checks the campaign was not hollow."""
    if len(REQUESTS) < len(OPERATIONS):
        pytest.skip("only part of the fuzzing campaign ran")
    total = sum(REQUESTS.values())
    print(f"fuzzing: {total} requests over {len(REQUESTS)} operations")
    for label, count in sorted(REQUESTS.items()):
        print(f"  {count:5d}  {label}")
    assert total >= MIN_TOTAL_REQUESTS


# --- Regressions: what fuzzing found ------------------------------------------------------


def test_out_of_range_numbers_are_client_errors(fuzz_app: tuple[FastAPI, str]) -> None:
    """Numbers beyond PostgreSQL's bigint once reached the database and came back as 500s."""
    from fastapi.testclient import TestClient

    from api.routers.incidents import encode_cursor

    app, _ = fuzz_app
    huge = 2**64
    client = TestClient(app)
    assert client.get(f"/incidents/{huge}").status_code == 404
    assert client.get("/control/disagreements", params={"offset": huge}).status_code == 422
    items = "/ogc/collections/incidents/items"
    assert client.get(items, params={"offset": huge}).status_code == 400
    # A forged cursor, for the right query, carrying an id no bigint can hold.
    first = client.get("/incidents", params={"limit": 1})
    issued = first.json()["next_cursor"]
    padded = issued + "=" * (-len(issued) % 4)
    filter_key = base64.urlsafe_b64decode(padded).decode().split("|")[2]
    cursor = encode_cursor(dt.date(2021, 3, 1), huge, filter_key)
    response = client.get("/incidents", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_far_future_reference_date_does_not_underflow(fuzz_app: tuple[FastAPI, str]) -> None:
    """Hotspot decay over a thousand years underflowed float8 in PostgreSQL: a 500."""
    from fastapi.testclient import TestClient

    app, _ = fuzz_app
    # 100 m hexagons within the cell limit: a box around the fixture landmine incidents.
    params = {
        "method": "hex",
        "to": "3096-01-01",
        "hex_size": 100.0,
        "minpoints": 1,
        "bbox": "36.4,36.4,36.9,36.9",
    }
    response = TestClient(app).get("/landmines/hotspots", params=params)
    assert response.status_code == 200, response.text


def test_nul_characters_in_edits_are_refused(fuzz_app: tuple[FastAPI, str]) -> None:
    """A NUL in a JSON string reached PostgreSQL, which cannot store it: a 500 until fixed."""
    from fastapi.testclient import TestClient

    app, editor_key = fuzz_app
    client = TestClient(app, headers={"X-API-Key": editor_key})
    alias = {"target": "\u0000", "alias": "0", "source": "0"}
    place = {"name": "Camp\u0000", "kind": "camp", "lat": 36.0, "lon": 37.0, "source": "x"}
    for path, body in (("/gazetteer/aliases", alias), ("/gazetteer/places", place)):
        response = client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
