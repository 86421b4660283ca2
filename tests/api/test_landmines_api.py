"""``/landmines/hotspots`` and ``/landmines/severity`` over HTTP: GeoJSON, CSV, 422 problems."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, Engine, func, text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from db.models import AdminIndicator, AdminUnit, Incident, ProvenanceSpan, SourceDocument
from db.settings import Settings
from db.versions import bump

D = dt.date


@pytest.fixture
def client(engine: Engine, connection: Connection) -> Iterator[TestClient]:
    app = create_app(Settings(), engine=engine)
    app.state.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def incidents(db_session: Session) -> list[int]:
    db_session.execute(text("DELETE FROM incidents"))
    document = SourceDocument(
        source_key="api-landmines",
        kind="manual",
        title="t",
        checksum=hashlib.sha256(b"api-landmines").hexdigest(),
    )
    db_session.add(document)
    db_session.flush()
    ids = []
    # Three landmine incidents ~250 m apart (one cluster) and one far away.
    for n, (lon, lat) in enumerate([(36.5, 35.5), (36.503, 35.5), (36.5, 35.502), (38, 35)]):
        span = ProvenanceSpan(document_id=document.id, start_offset=n, end_offset=n + 1)
        db_session.add(span)
        db_session.flush()
        incident = Incident(
            fingerprint=f"api-lm-{n}",
            date_start=D(2022, 1, 10 + n),
            date_precision="day",
            geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326),
            weapon="landmine",
            killed_total=1,
            location_precision="community",
            source_document_id=document.id,
            provenance_span_id=span.id,
        )
        db_session.add(incident)
        db_session.flush()
        ids.append(int(incident.id))
    return ids


def test_hotspots_geojson(client: TestClient, incidents: list[int]) -> None:
    response = client.get("/landmines/hotspots")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["parameters"]["eps_m"] == 1000.0
    [feature] = body["features"]
    assert feature["properties"]["incident_ids"] == incidents[:3]
    assert feature["properties"]["rank"] == 1
    hexes = client.get("/landmines/hotspots", params={"method": "hex"}).json()["features"]
    assert sum(f["properties"]["incident_count"] for f in hexes) == 4


def test_hotspots_csv_by_parameter_and_accept_header(
    client: TestClient, incidents: list[int]
) -> None:
    by_param = client.get("/landmines/hotspots", params={"format": "csv", "method": "hex"})
    by_header = client.get(
        "/landmines/hotspots", params={"method": "hex"}, headers={"Accept": "text/csv"}
    )
    for response in (by_param, by_header):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert sum(int(r["incident_count"]) for r in rows) == 4
        assert rows[0]["rank"] == "1"
        assert 35 < float(rows[0]["centroid_lon"]) < 39


def test_hotspots_filters(client: TestClient, incidents: list[int]) -> None:
    params = {"method": "hex", "bbox": "37.5,34.5,38.5,35.5", "from": "2022-01-01"}
    features = client.get("/landmines/hotspots", params=params).json()["features"]
    assert [f["properties"]["incident_ids"] for f in features] == [[incidents[3]]]


@pytest.mark.parametrize(
    "params",
    [
        {"method": "kmeans"},
        {"bbox": "1,2"},
        {"from": "2022-02-30"},
        {"from": "2022-03-01", "to": "2022-01-01"},
        {"eps": "-5"},
        {"admin": "XX01"},
        {"format": "xml"},
    ],
)
def test_hotspots_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/landmines/hotspots", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 422


def test_severity_layer(client: TestClient, db_session: Session) -> None:
    db_session.execute(text("DELETE FROM admin_indicators"))
    for pcode, level, parent in (("SY99", 1, None), ("SY9900", 2, "SY99")):
        db_session.add(
            AdminUnit(
                pcode=pcode,
                level=level,
                name_en=pcode,
                parent_pcode=parent,
                geom=from_shape(MultiPolygon([box(36, 35, 37, 36)]), srid=4326),
                source="test",
            )
        )
        db_session.flush()
    db_session.add(
        AdminUnit(
            pcode="SY990000",
            level=3,
            name_en="Test sub-district",
            parent_pcode="SY9900",
            geom=from_shape(MultiPolygon([box(36, 35, 37, 36)]), srid=4326),
            source="test",
        )
    )
    db_session.flush()
    db_session.add(
        AdminIndicator(
            admin_pcode="SY990000",
            indicator="mine_action_severity",
            reference_date=D(2022, 12, 31),
            value=4,
            source="test",
        )
    )
    db_session.flush()
    response = client.get("/landmines/severity")
    assert response.status_code == 200
    [feature] = response.json()["features"]
    assert feature["properties"]["mine_action_severity"] == 4
    assert feature["properties"]["mine_action_pin"] is None


def test_answers_are_cached_until_a_layer_version_changes(
    client: TestClient, db_session: Session, incidents: list[int]
) -> None:
    first = client.get("/landmines/hotspots", params={"method": "hex"}).json()
    # A write that does not bump the version is not seen (the cache answers) ...
    db_session.execute(
        text("UPDATE incidents SET killed_total = 3 WHERE id = :id"), {"id": incidents[3]}
    )
    cached = client.get("/landmines/hotspots", params={"method": "hex"}).json()
    assert cached == first
    # ... and every writer bumps it, which drops the cached answer.
    bump(db_session, "incidents")
    fresh = client.get("/landmines/hotspots", params={"method": "hex"}).json()
    killed = {
        f["properties"]["incident_ids"][0]: f["properties"]["killed"] for f in fresh["features"]
    }
    assert killed[incidents[3]] == 3
