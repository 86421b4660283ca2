"""The partners' view: keys of partners, editors and admins see sensitive incidents precisely.

A sensitive incident of the fixture dataset happened at (36.95, 36.05); the public sees it
on a point of its sub-district, without its place name or P-code. Partner, editor and admin
keys get the true point, place, P-code and precision in every incident route (pages, polygon
search, one incident, exports, OGC API items, landmine hotspots, control disagreements), and
their spatial filters search the true points (statistics too). Answers that depend on the
key are marked for caches, and in-process caches keep the two views apart. No view carries
personal data.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path
from typing import Any

import pyogrio.raw
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from api.exports import CSV_FIELDS
from db.keys import create_key
from db.models import ControlZone, Incident
from db.queries import PUBLIC_INCIDENT_FIELDS, IncidentFilter

_spec = importlib.util.spec_from_file_location(
    "athar_test_incident_fixtures_precise", Path(__file__).with_name("test_incidents_api.py")
)
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)
dataset = fixtures.dataset
assert_no_personal_data = fixtures.assert_no_personal_data

ROLES = ("anonymous", "partner", "editor", "admin")
KEYED = ROLES[1:]
TRUE_POINT = [36.95, 36.05]
# A box and a circle around the true point that hold no other fixture incident.
NEAR_TRUE_POINT = "36.94,36.04,36.96,36.06"
AROUND_TRUE_POINT = {"lat": 36.05, "lon": 36.95, "radius_km": 1}
TRUE_PLACE = {"place": "Test village", "place_pcode": "C9999", "location_precision": "community"}
PUBLIC_PLACE = {"place": None, "place_pcode": None, "location_precision": "subdistrict"}


@pytest.fixture
def client(connection: Connection) -> Any:
    yield from fixtures.make_client(connection)


@pytest.fixture
def keys(db_session: Session) -> dict[str, dict[str, str]]:
    """Request headers per role: none for anonymous, a fresh key for the others."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in KEYED:
        plain = create_key(db_session, name=f"precise {role}", role=role).plain
        headers[role] = {"X-API-Key": plain}
    db_session.flush()
    return headers


def square(x: float, y: float, size: float) -> dict[str, Any]:
    return fixtures.square(x, y, size)


def sensitive_feature(body: dict[str, Any], incident_id: int) -> dict[str, Any] | None:
    return next((f for f in body["features"] if f["id"] == incident_id), None)


def place_of(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: properties[key] for key in TRUE_PLACE}


@pytest.mark.parametrize("role", ROLES)
def test_one_incident_in_the_callers_view(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]], role: str
) -> None:
    incident_id = dataset["ids"]["sensitive"]
    response = client.get(f"/incidents/{incident_id}", headers=keys[role])
    assert response.status_code == 200, response.text
    feature = response.json()
    coordinates = feature["geometry"]["coordinates"]
    if role == "anonymous":
        assert coordinates != TRUE_POINT
        assert place_of(feature["properties"]) == PUBLIC_PLACE
    else:
        assert coordinates == TRUE_POINT
        assert place_of(feature["properties"]) == TRUE_PLACE
    assert set(feature["properties"]) == set(PUBLIC_INCIDENT_FIELDS)
    assert_no_personal_data(response.text)


@pytest.mark.parametrize("role", ROLES)
def test_spatial_filters_search_true_points_only_with_a_key(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]], role: str
) -> None:
    incident_id = dataset["ids"]["sensitive"]
    headers = keys[role]
    bodies = [
        client.get("/incidents", params={"bbox": NEAR_TRUE_POINT}, headers=headers),
        client.get("/incidents", params=AROUND_TRUE_POINT, headers=headers),
        client.post(
            "/incidents/search",
            json={"geometry": square(36.94, 36.04, 0.02)},
            headers=headers,
        ),
        client.get("/incidents/export.geojson", params={"bbox": NEAR_TRUE_POINT}, headers=headers),
        client.get(
            "/ogc/collections/incidents/items", params={"bbox": NEAR_TRUE_POINT}, headers=headers
        ),
    ]
    for response in bodies:
        assert response.status_code == 200, response.text
        assert_no_personal_data(response.text)
        found = [feature["id"] for feature in response.json()["features"]]
        if role == "anonymous":
            assert found == [], response.url
        else:
            assert found == [incident_id], response.url
            feature = sensitive_feature(response.json(), incident_id)
            assert feature is not None
            assert feature["geometry"]["coordinates"] == TRUE_POINT
            assert place_of(feature["properties"]) == TRUE_PLACE


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_the_sensitive_incident_in_the_callers_view(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]], role: str
) -> None:
    incident_id = dataset["ids"]["sensitive"]
    headers = keys[role]
    for response in (
        client.get("/incidents", params={"limit": 1000}, headers=headers),
        client.get("/ogc/collections/incidents/items", params={"limit": 100}, headers=headers),
        client.get(f"/ogc/collections/incidents/items/{incident_id}", headers=headers),
    ):
        assert response.status_code == 200, response.text
        body = response.json()
        feature = body if body["type"] == "Feature" else sensitive_feature(body, incident_id)
        assert feature is not None
        precise = feature["geometry"]["coordinates"] == TRUE_POINT
        assert precise is (role != "anonymous"), response.url
        expected = PUBLIC_PLACE if role == "anonymous" else TRUE_PLACE
        assert place_of(feature["properties"]) == expected
        assert_no_personal_data(response.text)


@pytest.mark.parametrize("role", ROLES)
def test_csv_export_in_the_callers_view(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]], role: str
) -> None:
    response = client.get("/incidents/export.csv", headers=keys[role])
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = {int(row["id"]): row for row in csv.DictReader(io.StringIO(text))}
    assert tuple(next(csv.reader(io.StringIO(text)))) == CSV_FIELDS
    row = rows[dataset["ids"]["sensitive"]]
    point = [float(row["lon"]), float(row["lat"])]
    assert (point == TRUE_POINT) is (role != "anonymous")
    assert (row["place_pcode"] == "C9999") is (role != "anonymous")
    assert_no_personal_data(text)


@pytest.mark.parametrize("name", ["gpkg", "fgb"])
@pytest.mark.parametrize("role", ["anonymous", "partner"])
def test_file_exports_in_the_callers_view(
    client: TestClient,
    dataset: dict[str, Any],
    keys: dict[str, dict[str, str]],
    tmp_path: Path,
    name: str,
    role: str,
) -> None:
    response = client.get(f"/incidents/export.{name}", headers=keys[role])
    assert response.status_code == 200, response.text
    path = tmp_path / f"download.{name}"
    path.write_bytes(response.content)
    _, _, geometry, values = pyogrio.raw.read(path)
    fields = list(PUBLIC_INCIDENT_FIELDS)
    ids = list(values[fields.index("id")])
    index = ids.index(dataset["ids"]["sensitive"])
    point = shapely.from_wkb(geometry[index])
    at_true_point = [round(point.x, 6), round(point.y, 6)] == TRUE_POINT
    assert at_true_point is (role == "partner")
    assert (values[fields.index("place_pcode")][index] == "C9999") is (role == "partner")
    assert b"Secretname" not in response.content


@pytest.mark.parametrize("role", ROLES)
def test_stats_count_in_the_callers_view(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]], role: str
) -> None:
    headers = keys[role]
    near = client.get("/stats", params={"bbox": NEAR_TRUE_POINT}, headers=headers).json()
    assert near["totals"]["incidents"] == (0 if role == "anonymous" else 1)
    # The view moves incidents, not months: report totals stay comparable for every caller.
    assert client.get("/stats", headers=headers).json()["reported_compared"] is True


def test_keyed_answers_are_private_and_vary_by_key(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]]
) -> None:
    incident_id = dataset["ids"]["sensitive"]
    urls = [
        "/incidents",
        f"/incidents/{incident_id}",
        "/incidents/export.geojson",
        "/incidents/export.csv",
        "/incidents/export.gpkg",
        "/ogc/collections/incidents/items",
        f"/ogc/collections/incidents/items/{incident_id}",
        "/ogc/collections/landmines/items",
        "/landmines/hotspots",
        "/landmines/hotspots?format=csv",
        "/control/disagreements",
        "/stats",
        "/stats?format=csv",
    ]
    for url in urls:
        public = client.get(url)
        assert public.status_code == 200, url
        assert "x-api-key" in public.headers.get("vary", "").lower(), url
        assert "authorization" in public.headers["vary"].lower(), url
        # The public answer may sit in a shared cache: it is the same for everyone.
        assert "private" not in public.headers.get("cache-control", ""), url
        keyed = client.get(url, headers=keys["partner"])
        assert keyed.status_code == 200, url
        assert "x-api-key" in keyed.headers["vary"].lower(), url
        assert keyed.headers["cache-control"] == "private", url
    search = client.post(
        "/incidents/search", json={"geometry": square(35, 34, 5)}, headers=keys["partner"]
    )
    assert search.headers["cache-control"] == "private"
    # A layer no key changes is left to ordinary caching.
    hazards = client.get("/ogc/collections/hazard_areas/items", headers=keys["partner"])
    assert "cache-control" not in hazards.headers


def test_an_invalid_key_is_refused_not_treated_as_anonymous(
    client: TestClient, dataset: dict[str, Any]
) -> None:
    for url in ("/incidents", "/landmines/hotspots", "/ogc/collections/incidents/items"):
        response = client.get(url, headers={"X-API-Key": "athar_0123456789_forged"})
        assert response.status_code == 401, url
        assert response.headers["content-type"] == "application/problem+json"


def test_a_cursor_belongs_to_its_view(
    client: TestClient, dataset: dict[str, Any], keys: dict[str, dict[str, str]]
) -> None:
    page = client.get("/incidents", params={"limit": 1}, headers=keys["partner"]).json()
    public = client.get("/incidents", params={"limit": 1, "cursor": page["next_cursor"]})
    assert public.status_code == 422


def test_filter_cache_keys_separate_the_views() -> None:
    assert IncidentFilter(precise=True).cache_key() != IncidentFilter().cache_key()
    box = (36.0, 36.0, 37.0, 37.0)
    assert (
        IncidentFilter(bbox=box, precise=True).cache_key() != IncidentFilter(bbox=box).cache_key()
    )


def test_search_polygons_are_not_kept_by_the_cache_key_memo() -> None:
    """Keys of ordinary filters are memoised; a caller's polygon must not be pinned there."""
    from db.queries import _filter_cache_key

    ring = [[36.0, 36.0], [36.5, 36.0], [36.5, 36.5], [36.0, 36.0]]
    polygon = IncidentFilter(within_geojson=f'{{"type":"Polygon","coordinates":[{ring}]}}')
    kept = _filter_cache_key.cache_info().currsize
    key = polygon.cache_key()
    assert _filter_cache_key.cache_info().currsize == kept
    assert key == polygon.cache_key() != IncidentFilter().cache_key()


def _make_sensitive_a_landmine(db_session: Session, dataset: dict[str, Any]) -> int:
    incident_id: int = dataset["ids"]["sensitive"]
    db_session.execute(update(Incident).where(Incident.id == incident_id).values(weapon="landmine"))
    db_session.flush()
    return incident_id


def test_hotspots_cluster_true_points_only_for_keys(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, dict[str, str]],
) -> None:
    incident_id = _make_sensitive_a_landmine(db_session, dataset)
    params = {"method": "dbscan", "minpoints": 1, "bbox": NEAR_TRUE_POINT}
    # The partner asks first, so a cache that ignored the view would hand this to the public.
    for role in ("partner", "anonymous", "editor", "admin"):
        response = client.get("/landmines/hotspots", params=params, headers=keys[role])
        assert response.status_code == 200, response.text
        spots = response.json()["features"]
        if role == "anonymous":
            assert spots == []
        else:
            [spot] = spots
            assert spot["properties"]["incident_ids"] == [incident_id]
            assert spot["geometry"]["coordinates"] == TRUE_POINT
    # Across its governorate, the public sees it clustered at the public point.
    everywhere = {"method": "dbscan", "minpoints": 1, "eps": 500, "bbox": "36,36,37,37"}
    public = client.get("/landmines/hotspots", params=everywhere).json()["features"]
    [spot] = [s for s in public if incident_id in s["properties"]["incident_ids"]]
    assert spot["geometry"]["coordinates"] != TRUE_POINT
    for role in ("anonymous", "partner"):
        response = client.get(
            "/landmines/hotspots", params={**everywhere, "format": "csv"}, headers=keys[role]
        )
        rows = list(csv.DictReader(io.StringIO(response.text)))
        [row] = [r for r in rows if str(incident_id) in r["incident_ids"].split()]
        centroid = [float(row["centroid_lon"]), float(row["centroid_lat"])]
        assert (centroid == TRUE_POINT) is (role == "partner")


def test_hotspot_weights_use_the_callers_precision(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, dict[str, str]],
) -> None:
    incident_id = _make_sensitive_a_landmine(db_session, dataset)
    params = {"method": "admin", "admin_level": 3, "as_of": "2021-06-01"}

    def score(headers: dict[str, str]) -> float:
        features = client.get("/landmines/hotspots", params=params, headers=headers).json()
        return sum(
            f["properties"]["score"]
            for f in features["features"]
            if incident_id in f["properties"]["incident_ids"]
        )

    # A sub-district weighs half a community: the public score must not betray the precision.
    assert score(keys["anonymous"]) < score(keys["partner"])


def test_disagreements_withhold_a_sensitive_place_from_the_public(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, dict[str, str]],
) -> None:
    incident_id = dataset["ids"]["sensitive"]
    # The zone found at the true point: its published polygon would narrow the point down.
    zone_id = db_session.scalars(select(ControlZone.id).limit(1)).one()
    db_session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(control_disagrees=True, control_method="zone", control_zone_id=zone_id)
    )
    db_session.flush()
    for role in ROLES:
        items = client.get("/control/disagreements", headers=keys[role]).json()["items"]
        [item] = [i for i in items if i["incident_id"] == incident_id]
        assert item["place"] == (None if role == "anonymous" else "Test village")
        assert item["zone_id"] == (None if role == "anonymous" else zone_id)
        assert item["observation_id"] is None
