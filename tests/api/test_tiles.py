"""Vector tiles on real PostGIS: geometry in the tile, filters, aggregation totals, privacy,
admin levels by zoom, control zones by date, ETag/304, gzip, cache invalidation, errors.

The module gets its own throwaway database with committed fixture incidents (the API reads
through its own connections, so per-test rollback would hide the data from it).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.fasttiles import FastTiles
from api.routers.tiles import tile_service_of
from api.tiles import (
    CLUSTER_BELOW_ZOOM,
    POINTS_ONLY_FROM_ZOOM,
    QUADKEY_LEVEL,
    TILE_BUFFER,
    TILE_EXTENT,
    Tile,
    compress_tile,
    lon_lat_to_tile,
    quadkey_range,
    tile_query,
)
from db.engine import make_engine, make_session_factory, transaction
from db.keys import create_key
from db.migrate import upgrade
from db.models import (
    AdminUnit,
    ControlZone,
    ControlZoneParty,
    HazardArea,
    Incident,
    ProvenanceSpan,
    SourceDocument,
    Victim,
)
from db.parties import load_party_taxonomy
from db.queries import PERSONAL_FIELDS, PUBLIC_INCIDENT_FIELDS, IncidentFilter
from db.reference import sync_parties
from db.settings import Settings
from db.versions import bump

MVT = "application/vnd.mapbox-vector-tile"
SENSITIVE_STORED_AT = (37.16, 36.20)  # Aleppo; shown on its Damascus sub-district instead
FAR_AWAY = (40.70, 34.45)  # east of Deir ez-Zor: only the cache test writes here
_counter = itertools.count(1)


@dataclass(frozen=True)
class Fixture:
    engine: Engine
    sub_district_point: tuple[float, float]


def _multipolygon(bounds: tuple[float, float, float, float]) -> Any:
    return from_shape(MultiPolygon([box(*bounds)]), srid=4326)


def _point(lon: float, lat: float) -> Any:
    return from_shape(Point(lon, lat), srid=4326)


def add_incident(
    session: Session,
    document: SourceDocument,
    lon_lat: tuple[float, float] | None,
    *,
    weapon: str = "airstrike",
    killed: int | None = 1,
    children: int | None = 0,
    women: int | None = 0,
    injured: int | None = None,
    massacre: bool = False,
    sensitive: bool = False,
    status: str = "published",
    day: dt.date = dt.date(2020, 3, 1),
) -> Incident:
    n = next(_counter)
    span = ProvenanceSpan(
        document_id=document.id, start_offset=0, end_offset=10, quote=f"quote naming Person {n}"
    )
    session.add(span)
    session.flush()
    incident = Incident(
        fingerprint=f"tile-test-{n}",
        date_start=day,
        date_precision="day",
        place_text=f"place {n}",
        governorate="Damascus",
        admin1_pcode="SY01",
        admin2_pcode="SY0101",
        admin3_pcode="SY010101",
        geom=_point(*lon_lat) if lon_lat else None,
        location_precision="exact",
        perpetrator_category="syrian_regime",
        weapon=weapon,
        killed_total=killed,
        killed_children=children,
        killed_women=women,
        injured=injured,
        massacre=massacre,
        sensitive=sensitive,
        status=status,
        evidence=f"Witness Person {n} said the victim Person {n} was killed",
        source_document_id=document.id,
        provenance_span_id=span.id,
    )
    session.add(incident)
    session.flush()
    session.add(Victim(incident_id=incident.id, name=f"Victim Name {n}", age=30))
    return incident


def _scatter() -> Iterator[tuple[float, float]]:
    """Deterministic points over Syria, some sharing a spot, some near tile edges."""
    for i in range(40):
        yield (36.0 + (i * 0.137) % 6.0, 32.6 + (i * 0.071) % 4.5)
    # Exactly on meridian 36.5625 and on parallel 33.72433 (z-level tile edges).
    yield (36.5625, 33.4)
    yield (36.5625, 33.72433935)
    yield (36.3, 33.5)
    yield (36.3, 33.5)


def populate(session: Session) -> tuple[float, float]:
    session.add_all(
        [
            AdminUnit(
                pcode="SY01",
                level=1,
                name_en="Damascus",
                name_ar="دمشق",
                geom=_multipolygon((36.0, 33.2, 36.8, 33.8)),
                source="test",
            ),
            AdminUnit(
                pcode="SY0101",
                level=2,
                name_en="Damascus district",
                parent_pcode="SY01",
                geom=_multipolygon((36.1, 33.3, 36.6, 33.7)),
                source="test",
            ),
            AdminUnit(
                pcode="SY010101",
                level=3,
                name_en="Damascus sub-district",
                parent_pcode="SY0101",
                geom=_multipolygon((36.2, 33.4, 36.4, 33.6)),
                source="test",
            ),
        ]
    )
    session.flush()
    document = SourceDocument(
        source_key="tile-tests",
        kind="manual",
        title="tile test document",
        checksum=hashlib.sha256(b"tile-tests").hexdigest(),
    )
    session.add(document)
    session.flush()
    weapons = ["airstrike", "landmine", "erw", "artillery", "landmine"]
    for i, spot in enumerate(_scatter()):
        add_incident(
            session,
            document,
            spot,
            weapon=weapons[i % len(weapons)],
            killed=None if i % 7 == 3 else i % 6,
            children=None if i % 7 == 3 else (i % 6) // 3,
            women=None if i % 7 == 3 else (1 if i % 6 >= 4 else 0),
            injured=i % 4 if i % 5 else None,
        )
    add_incident(session, document, (36.31, 33.51), killed=7, children=2, women=2, massacre=True)
    add_incident(session, document, SENSITIVE_STORED_AT, killed=3, sensitive=True)
    add_incident(session, document, (36.32, 33.52), killed=50, status="review")
    add_incident(session, document, None, killed=4)
    zone_2020 = ControlZone(
        geom=_multipolygon((36.0, 33.0, 37.0, 34.0)),
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2020, 12, 31),
        label="zone 2020",
        derivation="test",
        source="test",
    )
    zone_2020.parties = [ControlZoneParty(party_code="syrian_regime", share=Decimal("1"))]
    zone_2021 = ControlZone(
        geom=_multipolygon((36.0, 33.0, 37.0, 34.0)),
        valid_from=dt.date(2021, 1, 1),
        label="zone 2021",
        derivation="test",
        source="test",
    )
    zone_2021.parties = [
        ControlZoneParty(party_code="sdf", share=Decimal("0.3")),
        ControlZoneParty(party_code="hts", share=Decimal("0.7")),
    ]
    session.add_all([zone_2020, zone_2021])
    session.add_all(
        [
            HazardArea(
                hazard_code="HA-1",
                name="field",
                hazard_type="confirmed",
                contamination=["mine", "erw"],
                geom=from_shape(box(36.25, 33.45, 36.27, 33.47), srid=4326),
                source="test",
            ),
            HazardArea(
                hazard_code="HA-2",
                hazard_type="suspected",
                geom=_point(36.35, 33.55),
                source="test",
            ),
        ]
    )
    bump(session, "incidents", "admin_units", "control_zones", "hazard_areas")
    session.flush()
    centre = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_units "
            "WHERE pcode = 'SY010101') s"
        )
    ).one()
    return float(centre[0]), float(centre[1])


@pytest.fixture(scope="module")
def fixture_db(make_database: Callable[[], str]) -> Iterator[Fixture]:
    engine = make_engine(make_database(), application_name="athar-tile-tests")
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        sync_parties(session, load_party_taxonomy())
        centre = populate(session)
    yield Fixture(engine, centre)
    engine.dispose()


# A map asks for hundreds of tiles, and so do these tests: no rate limit here.
@pytest.fixture(scope="module")
def client(fixture_db: Fixture) -> Iterator[TestClient]:
    with TestClient(
        create_app(Settings(rate_limit_anonymous_per_minute=0), engine=fixture_db.engine)
    ) as test_client:
        yield test_client


# --- helpers ----------------------------------------------------------------------------


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int(
        (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi)
        / 2
        * n
    )
    return x, y


def get_tile(client: TestClient, layer: str, z: int, x: int, y: int, query: str = "") -> Any:
    response = client.get(
        f"/tiles/{layer}/{z}/{x}/{y}.mvt" + (f"?{query}" if query else ""),
        headers={"Accept-Encoding": "identity"},
    )
    assert response.status_code in (200, 204), response.text
    if response.status_code == 204:
        assert response.content == b""
        return []
    assert response.headers["content-type"] == MVT
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    assert set(decoded) <= {layer}
    return decoded.get(layer, {}).get("features", [])


def coordinates(geometry: dict[str, Any]) -> Iterator[tuple[float, float]]:
    def walk(value: Any) -> Iterator[tuple[float, float]]:
        if isinstance(value[0], (int, float)):
            yield value[0], value[1]
        else:
            for item in value:
                yield from walk(item)

    yield from walk(geometry["coordinates"])


def assert_in_tile(features: list[dict[str, Any]]) -> None:
    low, high = -TILE_BUFFER, TILE_EXTENT + TILE_BUFFER
    for feature in features:
        for px, py in coordinates(feature["geometry"]):
            assert low <= px <= high and low <= py <= high, (px, py)


def published_points(engine: Engine, where: str = "true") -> list[dict[str, Any]]:
    """Published incidents with a public position (sensitive ones at their sub-district)."""
    sql = text(
        "SELECT i.id, i.weapon, i.killed_total, i.killed_children, i.killed_women, i.injured,"
        " ST_X(p.g) AS lon, ST_Y(p.g) AS lat FROM incidents i CROSS JOIN LATERAL (SELECT CASE"
        " WHEN i.sensitive THEN (SELECT ST_PointOnSurface(a.geom) FROM admin_units a"
        " WHERE a.pcode = i.admin3_pcode) ELSE i.geom END AS g) p"
        f" WHERE i.status = 'published' AND p.g IS NOT NULL AND {where}"
    )
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(sql).mappings()]


def tiles_for(points: list[dict[str, Any]], z: int) -> set[tuple[int, int]]:
    return {tile_of(p["lon"], p["lat"], z) for p in points}


# --- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("z", range(CLUSTER_BELOW_ZOOM))
def test_low_zoom_cells_add_up_to_the_incidents(
    client: TestClient, fixture_db: Fixture, z: int
) -> None:
    points = published_points(fixture_db.engine)
    totals = {"count": 0, "killed_total": 0, "killed_children": 0, "killed_women": 0}
    # Every tile around the data, neighbours included: a point counted twice would show.
    xs = [x for x, _ in tiles_for(points, z)]
    ys = [y for _, y in tiles_for(points, z)]
    for x in range(max(min(xs) - 1, 0), min(max(xs) + 1, 2**z - 1) + 1):
        for y in range(max(min(ys) - 1, 0), min(max(ys) + 1, 2**z - 1) + 1):
            features = get_tile(client, "incidents", z, x, y)
            assert_in_tile(features)
            for feature in features:
                assert feature["geometry"]["type"] == "Point"
                for name in totals:
                    totals[name] += feature["properties"][name]
    assert totals == {
        "count": len(points),
        "killed_total": sum(p["killed_total"] or 0 for p in points),
        "killed_children": sum(p["killed_children"] or 0 for p in points),
        "killed_women": sum(p["killed_women"] or 0 for p in points),
    }


def test_low_zoom_totals_hold_under_a_filter(client: TestClient, fixture_db: Fixture) -> None:
    points = published_points(fixture_db.engine, "i.weapon IN ('landmine', 'erw')")
    for layer, query in (("incidents", "weapon=landmine,erw"), ("landmines", "")):
        count = killed = 0
        for x, y in tiles_for(points, 7):
            for feature in get_tile(client, layer, 7, x, y, query):
                count += feature["properties"]["count"]
                killed += feature["properties"]["killed_total"]
        assert count == len(points)
        assert killed == sum(p["killed_total"] or 0 for p in points)


def test_high_zoom_tiles_carry_single_public_incidents(
    client: TestClient, fixture_db: Fixture
) -> None:
    points = published_points(fixture_db.engine)
    seen: set[int] = set()
    for x, y in tiles_for(points, 12):
        features = get_tile(client, "incidents", 12, x, y)
        assert features
        assert_in_tile(features)
        for feature in features:
            properties = feature["properties"]
            assert set(properties) <= set(PUBLIC_INCIDENT_FIELDS)
            assert not set(properties) & PERSONAL_FIELDS
            assert feature["id"] == properties["id"]
            assert "count" not in properties
            seen.add(feature["id"])
    assert seen == {p["id"] for p in points}


def test_weapon_filter_holds_in_tiles(client: TestClient, fixture_db: Fixture) -> None:
    landmines = published_points(fixture_db.engine, "i.weapon = 'landmine'")
    found: set[int] = set()
    for x, y in tiles_for(published_points(fixture_db.engine), 12):
        for feature in get_tile(client, "incidents", 12, x, y, "weapon=landmine"):
            assert feature["properties"]["weapon"] == "landmine"
            found.add(feature["id"])
        for feature in get_tile(client, "landmines", 12, x, y):
            assert feature["properties"]["weapon"] in ("landmine", "erw")
        # landmines ∩ weapon=airstrike is nothing at all.
        assert get_tile(client, "landmines", 12, x, y, "weapon=airstrike") == []
    assert found == {p["id"] for p in landmines}


def test_sensitive_incident_is_shown_on_its_sub_district(
    client: TestClient, fixture_db: Fixture
) -> None:
    x, y = tile_of(*SENSITIVE_STORED_AT, 12)
    assert get_tile(client, "incidents", 12, x, y) == []
    x, y = tile_of(*fixture_db.sub_district_point, 12)
    shown = [
        f for f in get_tile(client, "incidents", 12, x, y) if f["properties"]["killed_total"] == 3
    ]
    assert len(shown) == 1
    assert shown[0]["properties"]["location_precision"] == "subdistrict"
    assert "place_pcode" not in shown[0]["properties"]


def test_no_personal_data_in_any_layer(client: TestClient, fixture_db: Fixture) -> None:
    forbidden_text = ("Person", "Victim Name", "Witness")
    for layer in ("incidents", "landmines", "hazard_areas", "control_zones", "admin_units"):
        for z in (4, 8, 12):
            x, y = tile_of(36.3, 33.5, z)
            for feature in get_tile(client, layer, z, x, y, "date=2020-06-01"):
                assert not set(feature["properties"]) & PERSONAL_FIELDS
                for value in feature["properties"].values():
                    assert not any(word in str(value) for word in forbidden_text)


@pytest.mark.parametrize(("z", "level"), [(3, 1), (6, 1), (7, 2), (8, 2), (9, 3), (13, 3)])
def test_admin_units_level_follows_zoom(client: TestClient, z: int, level: int) -> None:
    x, y = tile_of(36.3, 33.5, z)
    features = get_tile(client, "admin_units", z, x, y)
    assert features
    assert {f["properties"]["level"] for f in features} == {level}
    assert_in_tile(features)


def test_control_zones_follow_the_date(client: TestClient) -> None:
    x, y = tile_of(36.5, 33.5, 8)
    in_2020 = get_tile(client, "control_zones", 8, x, y, "date=2020-06-01")
    assert [f["properties"]["label"] for f in in_2020] == ["zone 2020"]
    assert in_2020[0]["properties"]["parties"] == "syrian_regime"
    in_2023 = get_tile(client, "control_zones", 8, x, y, "date=2023-01-01")
    assert [f["properties"]["label"] for f in in_2023] == ["zone 2021"]
    assert in_2023[0]["properties"]["parties"] == "hts,sdf"  # largest share first
    assert get_tile(client, "control_zones", 8, x, y, "date=2019-01-01") == []
    assert_in_tile(in_2020 + in_2023)
    bad = client.get(f"/tiles/control_zones/8/{x}/{y}.mvt?date=2020-02-30")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_hazard_areas_tile(client: TestClient) -> None:
    x, y = tile_of(36.26, 33.46, 11)
    features = get_tile(client, "hazard_areas", 11, x, y)
    by_code = {f["properties"]["hazard_code"]: f for f in features}
    assert by_code["HA-1"]["geometry"]["type"] == "Polygon"
    assert by_code["HA-1"]["properties"]["contamination"] == "mine,erw"
    assert_in_tile(features)


def test_empty_tile_is_204(client: TestClient) -> None:
    response = client.get("/tiles/incidents/12/0/0.mvt")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["etag"]


def test_etag_304_and_gzip(client: TestClient) -> None:
    x, y = tile_of(36.3, 33.5, 10)
    url = f"/tiles/incidents/10/{x}/{y}.mvt?weapon=landmine,airstrike"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.status_code == zipped.status_code == 200
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    # httpx un-gzips for us; the bytes on the wire were gzip of the same tile.
    assert zipped.content == plain.content
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert plain.headers["etag"] != zipped.headers["etag"]
    assert "max-age" in plain.headers["cache-control"]
    for response in (plain, zipped):
        again = client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
    # The same filter written differently is the same tile.
    reordered = client.get(
        f"/tiles/incidents/10/{x}/{y}.mvt?weapon=airstrike&weapon=landmine",
        headers={"Accept-Encoding": "identity"},
    )
    assert reordered.headers["etag"] == plain.headers["etag"]
    assert reordered.headers["x-tile-cache"] == "hit"
    # Another filter is another tile.
    other = client.get(f"/tiles/incidents/10/{x}/{y}.mvt?weapon=landmine")
    assert other.headers["etag"] not in (plain.headers["etag"], zipped.headers["etag"])


def test_cache_is_dropped_when_the_data_version_changes(
    client: TestClient, fixture_db: Fixture
) -> None:
    service = tile_service_of(client.app.state)  # type: ignore[attr-defined]
    x, y = tile_of(*FAR_AWAY, 11)
    url = f"/tiles/incidents/11/{x}/{y}.mvt"
    first = client.get(url)
    assert first.status_code == 204
    assert client.get(url).headers["x-tile-cache"] == "hit"
    sessions = make_session_factory(fixture_db.engine)
    with transaction(sessions) as session:
        document = session.query(SourceDocument).filter_by(source_key="tile-tests").one()
        added = add_incident(session, document, FAR_AWAY, killed=2)
        added_id = added.id
        bump(session, "incidents")
    try:
        service.watch.expire()  # as if a second had passed
        second = client.get(url, headers={"Accept-Encoding": "identity"})
        assert second.status_code == 200
        assert second.headers["x-tile-cache"] == "miss"
        assert second.headers["etag"] != first.headers["etag"]
        assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 200
        decoded = mapbox_vector_tile.decode(second.content)
        assert [f["id"] for f in decoded["incidents"]["features"]] == [added_id]
    finally:
        with transaction(sessions) as session:
            session.execute(
                text("DELETE FROM restricted.victims WHERE incident_id = :i"), {"i": added_id}
            )
            session.execute(text("DELETE FROM incidents WHERE id = :i"), {"i": added_id})
            bump(session, "incidents")
        service.watch.expire()
    assert client.get(url).status_code == 204


def test_versions_are_read_at_most_about_once_a_second(client: TestClient) -> None:
    service = tile_service_of(client.app.state)  # type: ignore[attr-defined]
    reads = 0
    original = service.watch._sessions

    def counting() -> Session:
        nonlocal reads
        reads += 1
        return original()  # type: ignore[no-any-return]

    service.watch._sessions = counting
    try:
        service.watch.expire()
        for _ in range(20):
            client.get("/tiles/incidents/5/19/12.mvt")
    finally:
        service.watch._sessions = original
    assert reads == 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/roads/1/0/0.mvt", 404),
        ("/tiles/incidents/23/0/0.mvt", 400),
        ("/tiles/incidents/-1/0/0.mvt", 400),
        ("/tiles/incidents/3/8/0.mvt", 400),
        ("/tiles/incidents/3/0/8.mvt", 400),
        ("/tiles/incidents/3/-1/0.mvt", 400),
        ("/tiles/incidents/z/0/0.mvt", 422),
        ("/tiles/incidents/3/0/0.mvt?weapon=spoon", 422),
        ("/tiles/incidents/3/0/0.mvt?date_from=2020-01-31&date_to=2020-01-01", 422),
    ],
)
def test_bad_tile_requests_are_problems(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


@pytest.mark.parametrize(
    ("z", "indexes"),
    [
        (5, {"ix_incidents_tile_grid"}),
        (12, {"ix_incidents_tile_grid", "ix_incidents_public_geom"}),
        (14, {"ix_incidents_public_geom"}),
    ],
)
def test_tile_queries_can_use_their_indexes(fixture_db: Fixture, z: int, indexes: set[str]) -> None:
    """Grids read the quadkey index (the adaptive zooms count with it), points the GiST."""
    sql, params = tile_query("incidents", Tile(z, *tile_of(36.3, 33.5, z)), IncidentFilter())
    with fixture_db.engine.connect() as connection:
        # Too few rows for the planner to prefer an index on its own: forbid the seq scan.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = connection.exec_driver_sql("EXPLAIN " + sql, params).scalars().all()
    used = {name for name in indexes if any(name in line for line in plan)}
    assert used == indexes, "\n".join(plan)


def test_gzip_tiles_are_plain_gzip_and_the_same_bytes_every_time(client: TestClient) -> None:
    x, y = tile_of(36.3, 33.5, 9)
    url = f"/tiles/incidents/9/{x}/{y}.mvt"
    raw = client.get(url, headers={"Accept-Encoding": "identity"}).content
    assert raw
    wire = []
    for _ in range(2):
        tile_service_of(client.app.state).cache.clear()  # type: ignore[attr-defined]
        with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["content-encoding"] == "gzip"
            wire.append(b"".join(response.iter_raw()))
    assert wire[0] == wire[1] == compress_tile(raw)
    # Any gzip reader unpacks it; no timestamp in the header (bytes 4-7), so no drift.
    assert gzip.decompress(wire[0]) == raw
    assert wire[0][:3] == b"\x1f\x8b\x08" and wire[0][4:8] == b"\x00\x00\x00\x00"


# --- dense tiles and quadkeys -------------------------------------------------------------


def owned_by(fixture_db: Fixture, tile: Tile) -> int:
    """Published incidents whose stored quadkey lies in the tile's range."""
    low, high = quadkey_range(tile)
    with fixture_db.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM incidents WHERE status = 'published'"
                    " AND public_quadkey >= :low AND public_quadkey < :high"
                ),
                {"low": low, "high": high},
            ).scalar_one()
        )


@pytest.mark.parametrize("z", range(CLUSTER_BELOW_ZOOM, POINTS_ONLY_FROM_ZOOM + 1))
def test_dense_tiles_between_z10_and_z13_become_grids(fixture_db: Fixture, z: int) -> None:
    """With a limit of 2 points, a tile owning more is drawn as cells that add up to it;
    a tile owning fewer keeps its single incidents; from z14 every tile has points."""
    dense = Settings(rate_limit_anonymous_per_minute=0, tile_max_points=2)
    with TestClient(create_app(dense, engine=fixture_db.engine)) as dense_client:
        seen = set()
        for point in published_points(fixture_db.engine):
            seen.add(tile_of(point["lon"], point["lat"], z))
        kinds = set()
        for x, y in sorted(seen):
            owned = owned_by(fixture_db, Tile(z, x, y))
            features = get_tile(dense_client, "incidents", z, x, y)
            cells = [f for f in features if "count" in f["properties"]]
            if owned > 2 and z < POINTS_ONLY_FROM_ZOOM:
                kinds.add("grid")
                assert len(cells) == len(features)
                assert sum(f["properties"]["count"] for f in cells) == owned
                assert_in_tile(features)
            else:
                kinds.add("points")
                assert not cells
                assert all("id" in f["properties"] for f in features)
    if z < POINTS_ONLY_FROM_ZOOM:
        assert "grid" in kinds  # the fixture has tiles dense enough at every such zoom
    else:
        assert kinds == {"points"}


def test_the_point_limit_is_part_of_the_tile_etag(fixture_db: Fixture) -> None:
    x, y = tile_of(36.3, 33.5, 12)
    tags = set()
    for limit in (3, 5000):
        limited_settings = Settings(rate_limit_anonymous_per_minute=0, tile_max_points=limit)
        with TestClient(create_app(limited_settings, engine=fixture_db.engine)) as limited:
            tags.add(limited.get(f"/tiles/incidents/12/{x}/{y}.mvt").headers["etag"])
    assert len(tags) == 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lon=st.floats(min_value=35.0, max_value=43.0),
    lat=st.floats(min_value=32.0, max_value=38.0),
    z=st.integers(min_value=0, max_value=QUADKEY_LEVEL),
)
def test_sql_quadkey_of_a_point_is_in_its_tiles_range(
    fixture_db: Fixture, lon: float, lat: float, z: int
) -> None:
    """The trigger's quadkey and the Python tile math agree away from tile edges."""
    tile = lon_lat_to_tile(lon, lat, z)
    n = 2**z
    fx = (lon + 180.0) / 360.0 * n
    fy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    # On an edge the two projections may round to different sides; that case is about
    # ownership, which the totals tests cover.
    assume(min(fx % 1, 1 - fx % 1, fy % 1, 1 - fy % 1) > 1e-6)
    with fixture_db.engine.connect() as connection:
        key = connection.execute(
            text(
                "SELECT athar_quadkey(ST_X(p), ST_Y(p)) FROM (SELECT ST_Transform("
                "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 3857) AS p) s"
            ),
            {"lon": lon, "lat": lat},
        ).scalar_one()
    low, high = quadkey_range(tile)
    assert low <= key < high


# --- the caller's view --------------------------------------------------------------------


@pytest.fixture(scope="module")
def partner_key(fixture_db: Fixture) -> str:
    with transaction(make_session_factory(fixture_db.engine)) as session:
        return create_key(session, name="tile partner", role="partner").plain


def _sensitive(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in features if f["properties"].get("killed_total") == 3]


def test_partner_tiles_show_a_sensitive_incident_at_its_true_point(
    client: TestClient, fixture_db: Fixture, partner_key: str
) -> None:
    keyed = {"X-API-Key": partner_key, "Accept-Encoding": "identity"}
    x, y = tile_of(*SENSITIVE_STORED_AT, 14)
    response = client.get(f"/tiles/incidents/14/{x}/{y}.mvt", headers=keyed)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    assert "X-API-Key" in response.headers["vary"]
    decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
    shown = _sensitive(decoded["incidents"]["features"])
    assert len(shown) == 1
    assert shown[0]["properties"]["location_precision"] == "exact"
    assert shown[0]["properties"]["place"]
    # Anonymous callers find nothing there, and a public tile says so to shared caches.
    public = client.get(f"/tiles/incidents/14/{x}/{y}.mvt")
    assert _sensitive(get_tile(client, "incidents", 14, x, y)) == []
    assert public.headers["cache-control"].startswith("public")
    assert "X-API-Key" in public.headers["vary"]
    # The partner's tile at the public point no longer holds it; the ETags differ.
    px, py = tile_of(*fixture_db.sub_district_point, 14)
    partner_at_public = client.get(f"/tiles/incidents/14/{px}/{py}.mvt", headers=keyed)
    if partner_at_public.status_code == 200:
        decoded = mapbox_vector_tile.decode(partner_at_public.content)
        assert _sensitive(decoded.get("incidents", {}).get("features", [])) == []
    anonymous_at_public = client.get(f"/tiles/incidents/14/{px}/{py}.mvt")
    assert partner_at_public.headers["etag"] != anonymous_at_public.headers["etag"]


def test_grid_cells_are_the_same_for_partners_and_the_public(
    client: TestClient, fixture_db: Fixture, partner_key: str
) -> None:
    x, y = tile_of(*SENSITIVE_STORED_AT, 6)
    keyed = client.get(
        f"/tiles/incidents/6/{x}/{y}.mvt",
        headers={"X-API-Key": partner_key, "Accept-Encoding": "identity"},
    )
    public = client.get(f"/tiles/incidents/6/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert keyed.content == public.content


def test_a_revoked_or_unknown_key_gets_401_for_tiles(client: TestClient) -> None:
    response = client.get("/tiles/incidents/12/2460/1630.mvt", headers={"X-API-Key": "nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


# --- the short path for plain anonymous tiles (api.fasttiles) ---------------------------


@pytest.fixture(scope="module")
def route_client(fixture_db: Fixture) -> Iterator[TestClient]:
    """The app without :class:`api.fasttiles.FastTiles`: every tile goes through the route."""
    app = create_app(Settings(rate_limit_anonymous_per_minute=0), engine=fixture_db.engine)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not FastTiles]
    with TestClient(app) as test_client:
        yield test_client


def _short_path_requests() -> list[tuple[str, dict[str, str], int]]:
    x10, y10 = tile_of(36.3, 33.5, 10)
    x14, y14 = tile_of(36.3, 33.5, 14)
    return [
        ("/tiles/incidents/4/9/6.mvt", {"Accept-Encoding": "gzip"}, 200),
        ("/tiles/incidents/4/9/6.mvt", {"Accept-Encoding": "identity"}, 200),
        (f"/tiles/incidents/10/{x10}/{y10}.mvt?weapon=landmine,airstrike", {}, 200),
        (f"/tiles/incidents/10/{x10}/{y10}.mvt?weapon=airstrike&weapon=landmine&x=1", {}, 200),
        (f"/tiles/incidents/14/{x14}/{y14}.mvt?date_from=2020-01-01&massacre=false", {}, 200),
        ("/tiles/incidents/12/0/0.mvt", {}, 204),
        ("/tiles/control_zones/6/38/25.mvt?date=2020-06-01", {"Accept-Encoding": "gzip"}, 200),
        ("/tiles/admin_units/7/77/51.mvt", {}, 200),
        ("/tiles/landmines/8/154/103.mvt?weapon=landmine", {}, 200),
    ]


def test_the_short_path_and_the_route_send_the_same_answers(
    client: TestClient, route_client: TestClient
) -> None:
    for path, headers, status in _short_path_requests():
        short = client.get(path, headers=headers)
        route = route_client.get(path, headers=headers)
        assert short.status_code == route.status_code == status, path
        assert short.content == route.content, path
        assert bool(short.content) is (status == 200), path
        for name in ("etag", "cache-control", "vary", "content-type", "content-encoding"):
            assert short.headers.get(name) == route.headers.get(name), (path, name)
        tagged = client.get(path, headers={**headers, "If-None-Match": short.headers["etag"]})
        assert tagged.status_code == 304, path


def test_plain_anonymous_tiles_take_the_short_path_and_the_rest_the_route(
    client: TestClient, partner_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.fasttiles

    served: list[str] = []
    original = api.fasttiles.tile_service_of

    def counting(state: Any) -> Any:
        served.append("short")
        return original(state)

    monkeypatch.setattr(api.fasttiles, "tile_service_of", counting)
    x, y = tile_of(36.3, 33.5, 12)
    plain = client.get(f"/tiles/incidents/12/{x}/{y}.mvt?weapon=airstrike")
    assert plain.status_code == 200 and plain.content
    assert served == ["short"]
    for path, headers, status in [
        (f"/tiles/incidents/12/{x}/{y}.mvt", {"X-API-Key": partner_key}, 200),
        (f"/tiles/incidents/12/{x}/{y}.mvt", {"Authorization": "Bearer nope"}, 401),
        (f"/tiles/incidents/12/{x}/{y}.mvt?weapon=spoon", {}, 422),
        (f"/tiles/incidents/12/{x}/{y}.mvt?date_from=2020-01-01&date_from=x", {}, 422),
        ("/tiles/incidents/23/0/0.mvt", {}, 400),
        ("/tiles/roads/1/0/0.mvt", {}, 404),
        ("/tiles/incidents/\u0663/0/0.mvt", {}, 422),
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code == status, (path, response.text)
    assert served == ["short"]


def test_short_path_filters_read_like_the_route() -> None:
    from api.fasttiles import NotPlain, plain_filter

    parsed, day = plain_filter(b"weapon=landmine,erw&weapon=airstrike&unknown=1&date=2021-03-04")
    assert parsed.weapons == ("landmine", "erw", "airstrike")
    assert day == dt.date(2021, 3, 4)
    assert plain_filter(b"")[0] == IncidentFilter()
    for refused in (
        b"date_from=",
        b"date_from=2020-01-01&date_from=2020-01-02",
        b"weapon=spoon",
        b"massacre=maybe",
        b"lat=33.5",
        b"date=2021-02-30",
    ):
        with pytest.raises(NotPlain):
            plain_filter(refused)


def test_tiles_survive_a_dropped_database_connection(
    client: TestClient, fixture_db: Fixture
) -> None:
    """The tile pool does not ping before use: dropped connections are found and replaced."""
    x, y = sorted(tiles_for(published_points(fixture_db.engine), 14))[0]
    path = f"/tiles/incidents/14/{x}/{y}.mvt"
    identity = {"Accept-Encoding": "identity"}
    tile_service_of(client.app.state).cache.clear()  # type: ignore[attr-defined]
    first = client.get(path, headers=identity)
    assert first.status_code == 200 and first.content
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        dropped = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'athar-tiles' AND datname = current_database()"
            )
        ).scalar()
    assert dropped >= 1
    tile_service_of(client.app.state).cache.clear()  # type: ignore[attr-defined]
    again = client.get(path, headers=identity)
    assert again.status_code == 200
    assert again.content == first.content


def test_the_tile_pool_follows_its_setting(fixture_db: Fixture) -> None:
    settings = Settings(rate_limit_anonymous_per_minute=0, tile_pool_size=3)
    with TestClient(create_app(settings, engine=fixture_db.engine)) as test_client:
        pool = tile_service_of(test_client.app.state).pool  # type: ignore[attr-defined]
        assert pool.max_size == 3
        assert test_client.get("/tiles/incidents/4/9/6.mvt").status_code in (200, 204)
    assert test_client.app.state.tile_service is None  # type: ignore[attr-defined]
    assert pool.closed
