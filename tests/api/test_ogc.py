"""OGC API - Features Part 1 under /ogc: landing, conformance, collections, items, paging."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from db.models import ControlZone, ControlZoneParty, HazardArea

# tests/ is not a package and tests/api/conftest.py is shared with other work, so the
# incident fixtures are loaded from their module by path rather than copied here.
_spec = importlib.util.spec_from_file_location(
    "athar_test_incident_fixtures", Path(__file__).with_name("test_incidents_api.py")
)
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"


@pytest.fixture
def client(connection: Connection) -> Any:
    yield from fixtures.make_client(connection)


@pytest.fixture
def layers(db_session: Session) -> dict[str, Any]:
    data = fixtures.build_dataset(db_session)
    later = ControlZone(
        valid_from=dt.date(2022, 1, 1),
        valid_to=None,
        geom=from_shape(MultiPolygon([box(38.0, 35.0, 39.0, 36.0)]), srid=4326),
        label="test zone, later",
        derivation="test",
        source="test",
    )
    later.parties.append(ControlZoneParty(party_code="syrian_regime"))
    hazard = HazardArea(
        hazard_code="TEST-HA-1",
        hazard_type="suspected",
        geom=from_shape(box(36.4, 36.4, 36.6, 36.6), srid=4326),
        contamination=["mine"],
        reported_on=dt.date(2021, 3, 5),
        source="test",
    )
    db_session.add_all([later, hazard])
    db_session.flush()
    data.update(later=later, hazard=hazard)
    return data


def link(document: dict[str, Any], rel: str) -> dict[str, Any] | None:
    return next((item for item in document["links"] if item["rel"] == rel), None)


def test_landing_and_conformance(client: TestClient) -> None:
    response = client.get("/ogc")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    landing = response.json()
    for rel in ("self", "service-desc", "service-doc", "conformance", "data"):
        assert link(landing, rel) is not None, rel
    assert client.get(link(landing, "conformance")["href"]).status_code == 200  # type: ignore[index]
    assert client.get(link(landing, "service-desc")["href"]).status_code == 200  # type: ignore[index]
    assert client.get(link(landing, "service-doc")["href"]).status_code == 200  # type: ignore[index]
    conformance = client.get("/ogc/conformance").json()
    assert {CORE, GEOJSON, OAS30} <= set(conformance["conformsTo"])


def test_collections_list_the_layers(client: TestClient, layers: dict[str, Any]) -> None:
    body = client.get("/ogc/collections").json()
    ids = [collection["id"] for collection in body["collections"]]
    assert {"incidents", "landmines", "control_zones", "hazard_areas", "admin_units"} <= set(ids)
    incidents = next(c for c in body["collections"] if c["id"] == "incidents")
    assert incidents["itemType"] == "feature"
    assert incidents["extent"]["temporal"]["interval"][0][0].startswith("2021-03-01")
    items_link = link(incidents, "items")
    assert items_link is not None and items_link["type"] == "application/geo+json"
    single = client.get("/ogc/collections/landmines").json()
    assert single["id"] == "landmines" and link(single, "items") is not None
    missing = client.get("/ogc/collections/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_items_page_through_with_next_links(client: TestClient, layers: dict[str, Any]) -> None:
    url: str | None = "/ogc/collections/incidents/items?limit=4"
    seen: list[int] = []
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/geo+json"
        page = response.json()
        assert page["numberMatched"] == len(fixtures.PUBLISHED)
        assert page["numberReturned"] == len(page["features"])
        seen.extend(feature["id"] for feature in page["features"])
        pages.append(page)
        next_link = link(page, "next")
        url = next_link["href"] if next_link else None
    assert len(pages) == 3 and len(seen) == len(set(seen)) == len(fixtures.PUBLISHED)
    assert link(pages[0], "prev") is None and link(pages[1], "prev") is not None
    prev = client.get(link(pages[1], "prev")["href"]).json()  # type: ignore[index]
    assert [f["id"] for f in prev["features"]] == [f["id"] for f in pages[0]["features"]]
    fixtures.assert_no_personal_data(client.get("/ogc/collections/incidents/items?limit=100").text)


@pytest.mark.parametrize(
    ("datetime", "expected"),
    [
        ("2021-03-02", 1),
        ("2021-03-01/2021-03-31", 3),
        ("../2021-03-31", 3),
        ("2021-06-01/..", 1),
        ("2021-05-02T10:00:00Z", 3),
        ("../..", 11),
    ],
)
def test_items_datetime_filter(
    client: TestClient, layers: dict[str, Any], datetime: str, expected: int
) -> None:
    response = client.get("/ogc/collections/incidents/items", params={"datetime": datetime})
    assert response.status_code == 200, response.text
    assert response.json()["numberMatched"] == expected


def test_landmines_bbox_and_single_items(client: TestClient, layers: dict[str, Any]) -> None:
    landmines = client.get("/ogc/collections/landmines/items").json()
    assert {f["properties"]["weapon"] for f in landmines["features"]} == {"landmine", "erw"}
    boxed = client.get("/ogc/collections/incidents/items", params={"bbox": "38,35,39,36"}).json()
    assert boxed["numberMatched"] == 2
    landmine_id = layers["ids"]["landmine"]
    feature = client.get(f"/ogc/collections/landmines/items/{landmine_id}")
    assert feature.status_code == 200
    assert feature.headers["content-type"] == "application/geo+json"
    assert feature.json()["id"] == landmine_id and link(feature.json(), "collection")
    # An incident that is not a landmine is not a feature of the landmines collection.
    other = layers["ids"]["aleppo_air"]
    assert client.get(f"/ogc/collections/landmines/items/{other}").status_code == 404
    retracted = layers["ids"]["retracted"]
    assert client.get(f"/ogc/collections/incidents/items/{retracted}").status_code == 404
    assert client.get("/ogc/collections/incidents/items/abc").status_code == 404


def test_control_zones_valid_on_a_date(client: TestClient, layers: dict[str, Any]) -> None:
    def labels(**params: str) -> set[str]:
        body = client.get("/ogc/collections/control_zones/items", params=params).json()
        return {feature["properties"]["label"] for feature in body["features"]}

    assert labels(date="2021-06-01") == {"test zone"}
    assert labels(datetime="2023-01-01") == {"test zone, later"}
    assert labels(datetime="2021-12-01/2022-02-01") == {"test zone", "test zone, later"}
    assert labels(datetime="../2019-12-31") == set()
    zone = client.get(f"/ogc/collections/control_zones/items/{layers['later'].id}").json()
    assert zone["properties"]["parties"] == "syrian_regime"
    assert zone["properties"]["valid_to"] is None
    assert zone["geometry"]["type"] == "MultiPolygon"


def test_hazard_areas_and_admin_units(client: TestClient, layers: dict[str, Any]) -> None:
    hazards = client.get("/ogc/collections/hazard_areas/items").json()
    codes = {f["properties"]["hazard_code"] for f in hazards["features"]}
    assert "TEST-HA-1" in codes
    march = client.get(
        "/ogc/collections/hazard_areas/items", params={"datetime": "2021-03-01/2021-03-31"}
    ).json()
    assert {f["properties"]["reported_on"] for f in march["features"]} == {"2021-03-05"}
    unit = client.get("/ogc/collections/admin_units/items/SY90").json()
    assert unit["id"] == "SY90" and unit["properties"]["level"] == 1
    assert client.get("/ogc/collections/admin_units/items/SY99").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 10_001},
        {"offset": -1},
        {"bbox": "1,2,3"},
        {"bbox": "40,30,30,40"},
        {"datetime": "yesterday"},
        {"datetime": "2021-04-01/2021-03-01"},
        {"datetime": ".."},
        {"date": "2021-01-01", "datetime": "2021-01-01"},
    ],
)
def test_bad_parameters_are_400_problems(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/ogc/collections/incidents/items", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_limit_defaults_to_ten(client: TestClient, layers: dict[str, Any]) -> None:
    page = client.get("/ogc/collections/incidents/items").json()
    assert page["numberReturned"] == 10 and link(page, "next") is not None
    assert "offset=10" in link(page, "next")["href"]  # type: ignore[index]


@pytest.fixture
def live_server(connection: Connection) -> Any:
    """The app on a real port (uvicorn in a thread), for clients that speak HTTP themselves."""
    import socket
    import threading

    import uvicorn
    from sqlalchemy.orm import sessionmaker

    from api.app import create_app
    from db.settings import Settings

    app = create_app(Settings(), engine=connection.engine)
    app.state.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_gdal_reads_the_collections_as_an_ogc_api_features_client(
    live_server: str, layers: dict[str, Any]
) -> None:
    # GDAL's OAPIF driver is a client like QGIS's own provider: if it lists the layers and
    # pages through every feature, a desktop GIS can use the server. It runs in a child
    # process because GDAL holds the GIL while it waits for this process's server thread.
    import json
    import subprocess
    import sys

    script = """
import json, sys, pyogrio, pyogrio.raw
source = "OAPIF:" + sys.argv[1]
layers = sorted(str(name) for name, _ in pyogrio.list_layers(source))
counts = {name: len(pyogrio.raw.read(source, layer=name)[2])
          for name in ("incidents", "landmines", "control_zones")}
print(json.dumps({"layers": layers, "counts": counts}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, f"{live_server}/ogc"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(result.stdout)
    assert {"incidents", "landmines", "control_zones", "hazard_areas", "admin_units"} <= set(
        seen["layers"]
    )
    # 11 incidents: two pages of the default ten, so GDAL followed the next link.
    assert seen["counts"] == {
        "incidents": len(fixtures.PUBLISHED),
        "landmines": 2,
        "control_zones": 2,
    }
