"""``/control`` and ``/control/zones`` over HTTP: 200, 404 and 422 problem documents.

The app reads through a session bound to the test's rolled-back connection, so rows the
test adds are visible to the routes and vanish afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, Engine, func, text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from db.control import refresh_incident_control
from db.models import (
    ControlZone,
    ControlZoneParty,
    Incident,
    IncidentReportedControl,
    ProvenanceSpan,
    SourceDocument,
)
from db.settings import Settings

D = dt.date


@pytest.fixture
def client(engine: Engine, connection: Connection) -> Iterator[TestClient]:
    app = create_app(Settings(), engine=engine)
    app.state.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def zone(db_session: Session) -> ControlZone:
    # Start from no zones or incidents, whatever other suites committed.
    for table in ("incidents", "control_observations", "control_zones"):
        db_session.execute(text(f"DELETE FROM {table}"))
    zone = ControlZone(
        geom=from_shape(MultiPolygon([box(36.0, 35.0, 36.1, 35.1)]), srid=4326),
        valid_from=D(2020, 1, 1),
        valid_to=D(2020, 12, 31),
        observed_on=D(2020, 1, 1),
        label="joint zone",
        derivation="test",
        source="test map",
    )
    zone.parties = [
        ControlZoneParty(party_code="sdf", share=0.75),
        ControlZoneParty(party_code="syrian_regime", share=0.25),
    ]
    db_session.add(zone)
    db_session.flush()
    return zone


def assert_problem(response_status: int, body: dict[str, object], content_type: str) -> None:
    assert content_type.startswith("application/problem+json")
    assert body["status"] == response_status
    assert body["title"] and body["detail"]


def test_control_200(client: TestClient, zone: ControlZone) -> None:
    response = client.get("/control", params={"lat": 35.05, "lon": 36.05, "date": "2020-03-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["method"] == "zone"
    assert body["parties"] == [
        {"code": "sdf", "share": 0.75},
        {"code": "syrian_regime", "share": 0.25},
    ]
    assert body["evidence"]["id"] == zone.id
    assert body["evidence"]["label"] == "joint zone"
    assert body["evidence"]["source"] == "test map"
    assert body["evidence_age_days"] == 60


def test_control_404_when_nothing_known(client: TestClient, zone: ControlZone) -> None:
    response = client.get("/control", params={"lat": 35.05, "lon": 36.05, "date": "2021-03-01"})
    assert response.status_code == 404
    assert_problem(404, response.json(), response.headers["content-type"])


@pytest.mark.parametrize(
    "params",
    [
        {"lat": 95, "lon": 36.05, "date": "2020-03-01"},
        {"lat": 35, "lon": -181, "date": "2020-03-01"},
        {"lat": 35, "lon": 36, "date": "2021-02-30"},
        {"lat": 35, "lon": 36, "date": "yesterday"},
        {"lat": 35, "lon": 36},
        {"lat": "north", "lon": 36, "date": "2020-03-01"},
    ],
)
def test_control_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/control", params=params)
    assert response.status_code == 422
    assert_problem(422, response.json(), response.headers["content-type"])


def test_zones_geojson(client: TestClient, zone: ControlZone) -> None:
    response = client.get("/control/zones", params={"date": "2020-06-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    features = response.json()["features"]
    assert [f["properties"]["id"] for f in features] == [zone.id]
    clipped = client.get(
        "/control/zones", params={"date": "2020-06-01", "bbox": "36.05,35.05,37,36"}
    ).json()["features"]
    assert clipped[0]["properties"]["label"] == "joint zone"
    outside = client.get(
        "/control/zones", params={"date": "2020-06-01", "bbox": "40,33,41,34"}
    ).json()
    assert outside["features"] == []
    assert client.get("/control/zones", params={"date": "2019-06-01"}).json()["features"] == []


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "37,35,36,36", "36,35,37,95"])
def test_zones_bad_bbox_422(client: TestClient, bbox: str) -> None:
    response = client.get("/control/zones", params={"date": "2020-06-01", "bbox": bbox})
    assert response.status_code == 422
    assert_problem(422, response.json(), response.headers["content-type"])


def test_disagreements_listed(client: TestClient, db_session: Session, zone: ControlZone) -> None:
    document = SourceDocument(
        source_key="api-disagree",
        kind="manual",
        title="t",
        checksum=hashlib.sha256(b"api-disagree").hexdigest(),
    )
    db_session.add(document)
    db_session.flush()
    span = ProvenanceSpan(document_id=document.id, start_offset=0, end_offset=1)
    db_session.add(span)
    db_session.flush()
    incident = Incident(
        fingerprint="api-disagree-1",
        date_start=D(2020, 5, 5),
        date_precision="day",
        geom=func.ST_SetSRID(func.ST_MakePoint(36.05, 35.05), 4326),
        source_document_id=document.id,
        provenance_span_id=span.id,
    )
    incident.reported_control = [IncidentReportedControl(party_code="isis")]
    db_session.add(incident)
    db_session.flush()
    refresh_incident_control(db_session)
    items = client.get("/control/disagreements").json()["items"]
    assert [(i["incident_id"], i["reported"], i["mapped"]) for i in items] == [
        (incident.id, ["isis"], ["sdf", "syrian_regime"])
    ]
