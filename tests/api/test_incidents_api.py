"""``/incidents``: filters, bbox/radius/polygon search, keyset pages, provenance, privacy.

The fixture incidents are inserted through the ORM into the test's rolled-back transaction,
and the app's session factory is bound to that same connection so routes see them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from db.models import (
    AdminUnit,
    ControlZone,
    ControlZoneParty,
    Incident,
    IncidentReportedControl,
    ProvenanceSpan,
    SourceDocument,
    Victim,
)
from db.queries import PERSONAL_FIELDS
from db.settings import Settings

EVIDENCE = "Ahmad Secretname, a nurse, was killed with his son Omar Secretname."
VICTIM_NAME = "Khalid Hiddenname"


def add_admin_units(session: Session) -> None:
    """Two made-up governorates (SY90, SY91; real ones run SY01–SY14) with one sub-district."""
    for number, (x, y) in (("90", (36.0, 36.0)), ("91", (38.0, 35.0))):
        shape = from_shape(MultiPolygon([box(x, y, x + 1, y + 1)]), srid=4326)
        for level, pcode in ((1, f"SY{number}"), (2, f"SY{number}01"), (3, f"SY{number}0101")):
            session.add(
                AdminUnit(
                    pcode=pcode, level=level, name_en=f"Test {pcode}", geom=shape, source="test"
                )
            )
    session.flush()


def add_document(session: Session, key: str = "test-report-2021-03") -> SourceDocument:
    document = SourceDocument(
        source_key=key,
        kind="report",
        title=f"Monthly report {key}",
        publisher="Test Network for Human Rights",
        period="2021-03",
        url=f"https://example.org/{key}.pdf",
        checksum=hashlib.sha256(key.encode()).hexdigest(),
        content="x" * 200,
    )
    session.add(document)
    session.flush()
    return document


def add_incident(
    session: Session,
    document: SourceDocument,
    *,
    day: dt.date,
    lon: float,
    lat: float,
    governorate: str = "90",
    **fields: Any,
) -> Incident:
    span = ProvenanceSpan(
        document_id=document.id, start_offset=10, end_offset=80, quote=EVIDENCE, locator="p. 3"
    )
    session.add(span)
    session.flush()
    values: dict[str, Any] = {
        "fingerprint": f"fp-{document.id}-{span.id}",
        "date_start": day,
        "date_precision": "day",
        "place_text": "Test village",
        "admin1_pcode": f"SY{governorate}",
        "admin2_pcode": f"SY{governorate}01",
        "admin3_pcode": f"SY{governorate}0101",
        "geom": from_shape(Point(lon, lat), srid=4326),
        "location_precision": "community",
        "perpetrator_category": "syrian_regime",
        "weapon": "airstrike",
        "killed_total": 1,
        "killed_children": 0,
        "killed_women": 0,
        "evidence": EVIDENCE,
        "source_document_id": document.id,
        "provenance_span_id": span.id,
    }
    values.update(fields)
    incident = Incident(**values)
    session.add(incident)
    session.flush()
    return incident


@pytest.fixture
def dataset(db_session: Session) -> dict[str, Any]:
    return build_dataset(db_session)


def build_dataset(db_session: Session) -> dict[str, Any]:
    """Twelve incidents with distinct dates, places and attributes, one control zone."""
    add_admin_units(db_session)
    document = add_document(db_session)
    zone = ControlZone(
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2021, 12, 31),
        geom=from_shape(MultiPolygon([box(38.0, 35.0, 39.0, 36.0)]), srid=4326),
        label="test zone",
        derivation="test",
        source="test",
    )
    zone.parties.append(ControlZoneParty(party_code="sdf"))
    db_session.add(zone)
    db_session.flush()
    ids: dict[str, int] = {}

    def add(name: str, **fields: Any) -> Incident:
        incident = add_incident(db_session, document, **fields)
        ids[name] = incident.id
        return incident

    add("aleppo_air", day=dt.date(2021, 3, 1), lon=36.20, lat=36.20, killed_total=3)
    add(
        "massacre",
        day=dt.date(2021, 3, 2),
        lon=36.21,
        lat=36.21,
        killed_total=7,
        killed_children=3,
        killed_women=2,
        massacre=True,
    )
    add(
        "landmine",
        day=dt.date(2021, 3, 3),
        lon=36.50,
        lat=36.50,
        weapon="landmine",
        perpetrator_category="other_parties",
        perpetrator_subcategory="landmine_unknown",
        killed_total=2,
        killed_children=2,
    )
    add(
        "erw",
        day=dt.date(2021, 4, 10),
        lon=36.80,
        lat=36.80,
        weapon="erw",
        perpetrator_category="other_parties",
        perpetrator_subcategory="landmine_unknown",
    )
    add(
        "hospital",
        day=dt.date(2021, 4, 11),
        lon=36.30,
        lat=36.90,
        facility="hospital",
        victim_categories=["medical"],
        perpetrator_category="russian_forces",
    )
    reported = add(
        "east_sdf",
        day=dt.date(2021, 4, 12),
        lon=38.5,
        lat=35.5,
        governorate="91",
        weapon="gunfire",
        perpetrator_category="isis",
        control_zone_id=zone.id,
    )
    add("east_other", day=dt.date(2021, 5, 1), lon=38.9, lat=35.9, governorate="91")
    add("may_a", day=dt.date(2021, 5, 2), lon=36.1, lat=36.1)
    add("may_b", day=dt.date(2021, 5, 2), lon=36.15, lat=36.15)
    add("may_c", day=dt.date(2021, 5, 2), lon=36.16, lat=36.16)
    add(
        "sensitive",
        day=dt.date(2021, 6, 1),
        lon=36.95,
        lat=36.05,
        sensitive=True,
        place_pcode="C9999",
    )
    add("retracted", day=dt.date(2021, 6, 2), lon=36.4, lat=36.4, status="retracted")
    db_session.add(IncidentReportedControl(incident_id=ids["east_other"], party_code="sdf"))
    db_session.add(
        Victim(incident_id=ids["massacre"], name=VICTIM_NAME, alias="Abu Hidden", age=30)
    )
    db_session.flush()
    del reported
    return {"ids": ids, "document": document, "zone": zone}


def make_client(connection: Connection) -> Iterator[TestClient]:
    app = create_app(Settings(), engine=connection.engine)
    # Routes open their sessions on the test's connection, so they see the uncommitted
    # fixture rows and everything is rolled back after the test.
    app.state.sessions = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(connection: Connection) -> Iterator[TestClient]:
    yield from make_client(connection)


def names_of(response_json: dict[str, Any], ids: dict[str, int]) -> set[str]:
    by_id = {value: key for key, value in ids.items()}
    return {by_id[feature["id"]] for feature in response_json["features"]}


def assert_no_personal_data(text: str) -> None:
    assert "Secretname" not in text
    assert VICTIM_NAME not in text
    assert "Abu Hidden" not in text
    for field in PERSONAL_FIELDS:
        assert f'"{field}"' not in text


PUBLISHED = {
    "aleppo_air",
    "massacre",
    "landmine",
    "erw",
    "hospital",
    "east_sdf",
    "east_other",
    "may_a",
    "may_b",
    "may_c",
    "sensitive",
}


def get_names(client: TestClient, dataset: dict[str, Any], **params: Any) -> set[str]:
    response = client.get("/incidents", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return names_of(response.json(), dataset["ids"])


def test_list_is_geojson_of_published_incidents(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    response = client.get("/incidents")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert names_of(body, dataset["ids"]) == PUBLISHED
    feature = next(f for f in body["features"] if f["id"] == dataset["ids"]["aleppo_air"])
    assert feature["geometry"] == {"type": "Point", "coordinates": [36.2, 36.2]}
    assert feature["properties"]["date"] == "2021-03-01"
    assert feature["properties"]["killed_total"] == 3
    assert_no_personal_data(response.text)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"date_from": "2021-05-01", "date_to": "2021-05-31"},
            {"east_other", "may_a", "may_b", "may_c"},
        ),
        ({"perpetrator": "russian_forces"}, {"hospital"}),
        ({"perpetrator": "landmine_unknown"}, {"landmine", "erw"}),
        ({"weapon": "landmine,erw"}, {"landmine", "erw"}),
        ({"victim_category": "medical"}, {"hospital"}),
        ({"facility": "hospital"}, {"hospital"}),
        ({"massacre": "true"}, {"massacre"}),
        ({"admin": "SY91"}, {"east_sdf", "east_other"}),
        ({"admin": "SY910101"}, {"east_sdf", "east_other"}),
        ({"controlling_force": "sdf"}, {"east_sdf", "east_other"}),
        ({"bbox": "36.0,36.0,36.3,36.3"}, {"aleppo_air", "massacre", "may_a", "may_b", "may_c"}),
        ({"lat": 36.2, "lon": 36.2, "radius_km": 2}, {"aleppo_air", "massacre"}),
        ({"weapon": "airstrike", "date_to": "2021-03-31"}, {"aleppo_air", "massacre"}),
    ],
)
def test_each_filter_holds(
    client: TestClient, dataset: dict[str, Any], params: dict[str, Any], expected: set[str]
) -> None:
    assert get_names(client, dataset, **params) == expected


def test_sensitive_incident_is_moved_to_its_sub_district(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    incident_id = dataset["ids"]["sensitive"]
    feature = client.get(f"/incidents/{incident_id}").json()
    lon, lat = feature["geometry"]["coordinates"]
    assert (round(lon, 6), round(lat, 6)) != (36.95, 36.05)
    assert 36.0 <= lon <= 37.0 and 36.0 <= lat <= 37.0
    assert feature["properties"]["location_precision"] == "subdistrict"
    assert feature["properties"]["place_pcode"] is None
    assert feature["properties"]["place"] is None  # its name would give the place away


def test_cursor_pages_return_every_row_exactly_once(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    seen: list[int] = []
    url: str | None = "/incidents?limit=3"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["numberReturned"] == len(body["features"]) <= 3
        seen.extend(feature["id"] for feature in body["features"])
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages == 4  # 11 rows in pages of 3
    assert len(seen) == len(set(seen)) == len(PUBLISHED)
    dates = [
        (feature_date, feature_id)
        for feature_id, feature_date in zip(
            seen,
            [client.get(f"/incidents/{i}").json()["properties"]["date"] for i in seen],
            strict=True,
        )
    ]
    assert dates == sorted(dates)


def test_cursor_pages_with_filters_and_ties_on_date(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    # Three incidents share 2021-05-02: the id tie-breaker must not lose or repeat one.
    params = {"date_from": "2021-05-02", "limit": 1}
    seen = []
    body = client.get("/incidents", params=params).json()
    seen.extend(f["id"] for f in body["features"])
    while body["next_cursor"]:
        body = client.get("/incidents", params={**params, "cursor": body["next_cursor"]}).json()
        seen.extend(f["id"] for f in body["features"])
    ids = dataset["ids"]
    assert seen == sorted([ids["may_a"], ids["may_b"], ids["may_c"], ids["sensitive"]])


def test_bad_cursor_and_limits_are_problems(client: TestClient, dataset: dict[str, Any]) -> None:
    for params in (
        {"cursor": "not-a-cursor"},
        {"limit": 1001},
        {"limit": 0},
        {"bbox": "1,2,3"},
        {"bbox": "36,36,35,37"},
        {"lat": 36.0},
        {"weapon": "slingshot"},
        {"admin": "XX01"},
        {"date_from": "2021-05-01", "date_to": "2021-04-01"},
    ):
        response = client.get("/incidents", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 422
    page = client.get("/incidents", params={"limit": 1}).json()
    other = client.get("/incidents", params={"cursor": page["next_cursor"], "weapon": "erw"})
    assert other.status_code == 422
    assert "other filters" in other.json()["detail"]


def square(x: float, y: float, size: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


def test_polygon_search_with_filters_and_pages(client: TestClient, dataset: dict[str, Any]) -> None:
    body = {"geometry": square(36.0, 36.0, 0.3)}
    response = client.post("/incidents/search", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    assert names_of(response.json(), dataset["ids"]) == {
        "aleppo_air",
        "massacre",
        "may_a",
        "may_b",
        "may_c",
    }
    filtered = client.post("/incidents/search?massacre=true", json=body).json()
    assert names_of(filtered, dataset["ids"]) == {"massacre"}
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            square(36.19, 36.19, 0.015)["coordinates"],
            square(38.4, 35.4, 0.2)["coordinates"],
        ],
    }
    found = client.post("/incidents/search", json={"geometry": multi}).json()
    assert names_of(found, dataset["ids"]) == {"aleppo_air", "east_sdf"}
    seen = []
    page = client.post("/incidents/search?limit=2", json=body).json()
    seen.extend(f["id"] for f in page["features"])
    while page["next_cursor"]:
        next_link = next(link for link in page["links"] if link["rel"] == "next")
        assert next_link["method"] == "POST"
        page = client.post(next_link["href"], json=body).json()
        seen.extend(f["id"] for f in page["features"])
    assert len(seen) == len(set(seen)) == 5


def test_polygon_search_rejects_bad_geometry(client: TestClient, dataset: dict[str, Any]) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[36, 36], [37, 37], [37, 36], [36, 37], [36, 36]]],
    }
    response = client.post("/incidents/search", json={"geometry": bowtie})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "Self-intersection" in response.json()["detail"]

    unclosed = {"type": "Polygon", "coordinates": [[[36, 36], [37, 36], [37, 37], [36, 37]]]}
    response = client.post("/incidents/search", json={"geometry": unclosed})
    assert response.status_code == 422 and "not closed" in response.json()["detail"]

    point = {"type": "Point", "coordinates": [36, 36]}
    response = client.post("/incidents/search", json={"geometry": point})
    assert response.status_code == 422 and "Polygon" in response.json()["detail"]

    outside = square(200.0, 36.0, 1.0)
    assert client.post("/incidents/search", json={"geometry": outside}).status_code == 422
    assert client.post("/incidents/search", json={}).status_code == 422
    assert client.post("/incidents/search", content=b"{not json").status_code == 422

    ring = [[36 + 0.5 * (i / 10_001), 36.0] for i in range(10_001)]
    ring += [[36.5, 36.5], [36.0, 36.0]]
    huge = {"type": "Polygon", "coordinates": [ring]}
    response = client.post("/incidents/search", json={"geometry": huge})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_incident_has_provenance_but_no_evidence_text(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    incident_id = dataset["ids"]["massacre"]
    response = client.get(f"/incidents/{incident_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == incident_id
    assert feature["properties"]["massacre"] is True
    provenance = feature["provenance"]
    document = dataset["document"]
    assert provenance["document"] == {
        "id": document.id,
        "title": document.title,
        "publisher": "Test Network for Human Rights",
        "url": document.url,
        "period": "2021-03",
        "published_on": None,
        "kind": "report",
    }
    assert provenance["span"]["start_offset"] == 10
    assert provenance["span"]["end_offset"] == 80
    assert provenance["span"]["locator"] == "p. 3"
    assert any(link["rel"] == "via" and link["href"] == document.url for link in feature["links"])
    assert_no_personal_data(response.text)


def test_unknown_and_retracted_incidents_are_404(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    for incident_id in (dataset["ids"]["retracted"], 987_654_321):
        response = client.get(f"/incidents/{incident_id}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/incidents/abc").status_code == 422


def test_openapi_documents_the_incident_routes(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/incidents",
        "/incidents/search",
        "/incidents/{incident_id}",
        "/incidents/export.{format_name}",
        "/stats",
        "/ogc",
        "/ogc/collections/{collection_id}/items",
    ):
        assert path in paths, path
    assert client.get("/docs").status_code == 200


def test_responses_carry_no_personal_data(client: TestClient, dataset: dict[str, Any]) -> None:
    texts = [
        client.get("/incidents", params={"limit": 1000}).text,
        client.post("/incidents/search", json={"geometry": square(35, 34, 5)}).text,
    ]
    texts += [client.get(f"/incidents/{i}").text for i in dataset["ids"].values()]
    for text in texts:
        assert_no_personal_data(text)
    # Keys, too: no property of any feature is a personal field.
    for feature in json.loads(texts[0])["features"]:
        assert not set(feature["properties"]) & PERSONAL_FIELDS


def test_spatial_filters_do_not_reveal_a_sensitive_location(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    # The sensitive incident really is at (36.95, 36.05); the public view moves it.
    found = get_names(client, dataset, bbox="36.94,36.04,36.96,36.06")
    assert "sensitive" not in found
