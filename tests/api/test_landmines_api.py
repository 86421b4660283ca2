"""``/landmines/hotspots`` and ``/landmines/severity`` over HTTP: GeoJSON, CSV, 422 problems."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, Engine, cast, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from db.landmines import box_area_km2
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


# --- Cost bound: cells = searched area / cell area ----------------------------------------

ONE_DEGREE = "36,35,37,36"


def client_with_limit(engine: Engine, connection: Connection, limit: int) -> TestClient:
    app = create_app(Settings(hotspot_max_cells=limit), engine=engine)
    app.state.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    return TestClient(app)


def geodesic_area_km2(db_session: Session, bbox: str) -> float:
    """PostGIS's area of the box on the spheroid: an independent measure of the region."""
    x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
    area = db_session.scalar(
        select(func.ST_Area(cast(func.ST_MakeEnvelope(x0, y0, x1, y1, 4326), Geography())))
    )
    return float(area) / 1e6


def test_box_area_on_the_sphere_matches_postgis(db_session: Session) -> None:
    for bbox in (ONE_DEGREE, "35.5,32.2,42.5,37.5", "38.1,36.2,38.15,36.26"):
        values = tuple(float(v) for v in bbox.split(","))
        ours = box_area_km2(values)  # type: ignore[arg-type]
        assert ours == pytest.approx(geodesic_area_km2(db_session, bbox), rel=0.005)


@pytest.mark.parametrize(
    ("method", "size", "cell_km2"),
    [("hex", "hex_size", 3 * math.sqrt(3) / 2), ("dbscan", "eps", math.pi)],
)
def test_hotspots_at_the_cell_limit_pass_and_over_it_are_413(
    engine: Engine,
    connection: Connection,
    db_session: Session,
    incidents: list[int],
    method: str,
    size: str,
    cell_km2: float,
) -> None:
    # One-kilometre cells over a 1° box: about 10,000 km² / cell area.
    params = {"method": method, size: 1000, "bbox": ONE_DEGREE}
    cells = geodesic_area_km2(db_session, ONE_DEGREE) / cell_km2
    over = client_with_limit(engine, connection, math.floor(cells * 0.99))
    response = over.get("/landmines/hotspots", params=params)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["cells"] == pytest.approx(cells, rel=0.005)
    assert problem["max_cells"] == math.floor(cells * 0.99)
    assert f"{size} of at least" in problem["detail"] and "bbox of at most" in problem["detail"]
    # The two ways out it names both fit under the limit.
    coarser = over.get("/landmines/hotspots", params={**params, size: problem[f"min_{size}_m"]})
    assert coarser.status_code == 200, coarser.text
    side = math.sqrt(problem["max_area_km2"] / geodesic_area_km2(db_session, ONE_DEGREE))
    smaller = over.get(
        "/landmines/hotspots", params={**params, "bbox": f"36,35,{36 + side},{35 + side}"}
    )
    assert smaller.status_code == 200, smaller.text
    # At the limit is allowed.
    exact = problem["cells"]
    at_limit = client_with_limit(engine, connection, exact)
    assert at_limit.get("/landmines/hotspots", params=params).status_code == 200
    below = client_with_limit(engine, connection, exact - 1)
    assert below.get("/landmines/hotspots", params=params).status_code == 413


def test_default_limit_admits_the_map_and_refuses_fine_cells_over_the_country(
    client: TestClient, incidents: list[int]
) -> None:
    # The web map asks with default sizes and its view box, which may be the whole world.
    for params in (
        {"method": "dbscan"},
        {"method": "hex"},
        {"method": "hex", "bbox": "-180,-85,180,85"},
        {"method": "dbscan", "bbox": "-180,-85,180,85"},
        {"method": "admin", "admin_level": 3},
    ):
        assert client.get("/landmines/hotspots", params=params).status_code == 200, params
    for params in ({"method": "hex", "hex_size": 100}, {"method": "dbscan", "eps": 50}):
        response = client.get("/landmines/hotspots", params=params)
        assert response.status_code == 413, params
    # The same fine cells over a small box are fine.
    small = {"method": "hex", "hex_size": 100, "bbox": "36.45,35.45,36.55,35.55"}
    assert client.get("/landmines/hotspots", params=small).status_code == 200


def test_an_admin_unit_bounds_the_searched_area(
    engine: Engine, connection: Connection, db_session: Session, incidents: list[int]
) -> None:
    db_session.add(
        AdminUnit(
            pcode="SY98",
            level=1,
            name_en="Test governorate",
            geom=from_shape(MultiPolygon([box(36.4, 35.4, 36.6, 35.6)]), srid=4326),
            source="test",
        )
    )
    db_session.execute(text("UPDATE incidents SET admin1_pcode = 'SY98'"))
    db_session.flush()
    # Hexagons of 1 km over the whole extent are about 140,000 cells; over the unit, 160.
    limited = client_with_limit(engine, connection, 1000)
    params = {"method": "hex", "hex_size": 1000}
    assert limited.get("/landmines/hotspots", params=params).status_code == 413
    scoped = limited.get("/landmines/hotspots", params={**params, "admin": "SY98"})
    assert scoped.status_code == 200, scoped.text
    assert sum(f["properties"]["incident_count"] for f in scoped.json()["features"]) == 4


def test_admin_method_has_no_cell_limit(
    engine: Engine, connection: Connection, incidents: list[int]
) -> None:
    limited = client_with_limit(engine, connection, 1)
    assert limited.get("/landmines/hotspots", params={"method": "admin"}).status_code == 200
    assert limited.get("/landmines/hotspots", params={"method": "hex"}).status_code == 413
    off = client_with_limit(engine, connection, 0)
    fine = {"method": "hex", "hex_size": 100}
    assert off.get("/landmines/hotspots", params=fine).status_code == 200


def test_openapi_documents_the_cost_limit(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/landmines/hotspots"]["get"]
    assert "413" in operation["responses"]
    assert "ATHAR_HOTSPOT_MAX_CELLS" in operation["description"]
    assert "250,000 cells" in operation["description"]


def test_a_vanishing_eps_is_refused_not_a_crash(client: TestClient, incidents: list[int]) -> None:
    """Fuzzing found eps=5e-324: its disc area is 0.0 in floating point (a division by zero)."""
    response = client.get(
        "/landmines/hotspots", params={"method": "dbscan", "eps": 5e-324, "bbox": ONE_DEGREE}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["cells"] is None and "countless" in response.json()["detail"]
    outside = {"method": "dbscan", "eps": 5e-324, "bbox": "0,0,1,1"}
    assert client.get("/landmines/hotspots", params=outside).status_code == 200
