"""Landmine hotspots on real PostGIS: known clusters found exactly at the documented eps,
hexagon and admin totals equal to the input, hazard proximity, score and filters."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import math
from collections.abc import Iterable
from typing import Any

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import func, text
from sqlalchemy.orm import Session

from db.landmines import (
    DBSCAN_EPS_M,
    DBSCAN_MIN_POINTS,
    HALF_LIFE_DAYS,
    HotspotQuery,
    hotspots,
    hotspots_geojson,
    severity_geojson,
)
from db.models import (
    AdminIndicator,
    AdminUnit,
    HazardArea,
    Incident,
    ProvenanceSpan,
    SourceDocument,
)

D = dt.date
_counter = itertools.count(1)
DEFAULT_DAY = D(2022, 6, 1)
# Metres per degree near 35.5 N, for laying out test points at known distances.
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(35.5))


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / M_PER_DEG_LON, lat + north_m / M_PER_DEG_LAT


class Builder:
    def __init__(self, session: Session) -> None:
        self.session = session
        n = next(_counter)
        self.document = SourceDocument(
            source_key=f"landmine-test-{n}",
            kind="manual",
            title="landmine test",
            checksum=hashlib.sha256(f"lm{n}".encode()).hexdigest(),
        )
        session.add(self.document)
        session.flush()

    def incident(
        self,
        lon: float,
        lat: float,
        day: dt.date = DEFAULT_DAY,
        *,
        weapon: str = "landmine",
        killed: int = 1,
        children: int = 0,
        women: int = 0,
        injured: int = 0,
        precision: str | None = "community",
        admin3: str | None = None,
    ) -> int:
        span = ProvenanceSpan(document_id=self.document.id, start_offset=0, end_offset=1)
        self.session.add(span)
        self.session.flush()
        incident = Incident(
            fingerprint=f"lm-{next(_counter)}",
            date_start=day,
            date_precision="day",
            geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326),
            weapon=weapon,
            killed_total=killed,
            killed_children=children,
            killed_women=women,
            injured=injured,
            location_precision=precision,
            admin3_pcode=admin3,
            admin2_pcode=admin3[:6] if admin3 else None,
            admin1_pcode=admin3[:4] if admin3 else None,
            source_document_id=self.document.id,
            provenance_span_id=span.id,
        )
        self.session.add(incident)
        self.session.flush()
        return int(incident.id)

    def many(self, points: Iterable[tuple[float, float]], **kwargs: Any) -> list[int]:
        return [self.incident(lon, lat, **kwargs) for lon, lat in points]


@pytest.fixture(autouse=True)
def clean_slate(db_session: Session) -> None:
    """Start without incidents, hazards or indicators other suites may have committed."""
    for table in ("incidents", "hazard_areas", "admin_indicators"):
        db_session.execute(text(f"DELETE FROM {table}"))


def add_admin_units(session: Session) -> None:
    """SY99 > SY9900 > SY990000 (west of 37 E) and SY990001 (east): codes no real unit has,
    so the test works with or without the real gazetteer loaded."""
    units = [
        ("SY99", 1, None, (35.0, 32.0, 43.0, 37.5)),
        ("SY9900", 2, "SY99", (35.0, 32.0, 43.0, 37.5)),
        ("SY990000", 3, "SY9900", (35.0, 32.0, 37.0, 37.5)),
        ("SY990001", 3, "SY9900", (37.0, 32.0, 43.0, 37.5)),
    ]
    for pcode, level, parent, bounds in units:
        session.add(
            AdminUnit(
                pcode=pcode,
                level=level,
                name_en=f"unit {pcode}",
                parent_pcode=parent,
                geom=from_shape(MultiPolygon([box(*bounds)]), srid=4326),
                source="test",
            )
        )
        session.flush()


A = (36.5, 35.5)
B = (37.5, 35.5)


@pytest.fixture
def scene(db_session: Session) -> dict[str, list[int]]:
    """Two true clusters, a chain, a pair below minpoints, isolated noise, other weapons."""
    add_admin_units(db_session)
    build = Builder(db_session)
    cluster_a = build.many(
        [offset(*A, e, n) for e, n in [(0, 0), (300, 0), (0, 300), (300, 300), (600, 150)]],
        killed=2,
        children=1,
        women=1,
        injured=1,
        admin3="SY990000",
    )
    cluster_b = build.many(
        [offset(*B, e, 0) for e in (0, 700, 1400, 2100)],
        day=D(2019, 6, 1),
        weapon="erw",
        admin3="SY990001",
    )
    pair = build.many([offset(36.5, 34.0, e, 0) for e in (0, 500)], admin3="SY990000")
    noise = build.many([(36.0, 33.5), (38.5, 34.5)], admin3="SY990001")
    # Not landmine incidents: an airstrike inside A, an IED beside B.
    other = [
        build.incident(*offset(*A, 150, 150), weapon="airstrike", admin3="SY990000"),
        build.incident(*offset(*B, 350, 200), weapon="ied", admin3="SY990001"),
    ]
    return {"a": cluster_a, "b": cluster_b, "pair": pair, "noise": noise, "other": other}


def test_dbscan_finds_the_known_clusters_exactly(
    db_session: Session, scene: dict[str, list[int]]
) -> None:
    assert (DBSCAN_EPS_M, DBSCAN_MIN_POINTS) == (1000.0, 3)
    found = hotspots(db_session, HotspotQuery(method="dbscan"))
    assert sorted(sorted(h.incident_ids) for h in found) == sorted([scene["a"], scene["b"]])
    by_members = {tuple(h.incident_ids): h for h in found}
    a = by_members[tuple(scene["a"])]
    assert (a.incident_count, a.killed, a.killed_children, a.killed_women, a.injured) == (
        5,
        10,
        5,
        5,
        5,
    )
    assert a.geometry["type"] == "Polygon"
    b = by_members[tuple(scene["b"])]
    assert b.geometry["type"] in ("Polygon", "LineString")  # a thin hull along the chain
    assert (b.first_date, b.last_date) == (D(2019, 6, 1), D(2019, 6, 1))


def test_eps_is_in_metres(db_session: Session, scene: dict[str, list[int]]) -> None:
    # B is a chain with 700 m steps: one cluster at eps 800 m, none at 600 m.
    at_800 = hotspots(db_session, HotspotQuery(method="dbscan", eps_m=800))
    assert scene["b"] in [h.incident_ids for h in at_800]
    at_600 = hotspots(db_session, HotspotQuery(method="dbscan", eps_m=600))
    assert scene["b"] not in [h.incident_ids for h in at_600]
    # The 500 m pair becomes a cluster when minpoints is 2.
    pairs = hotspots(db_session, HotspotQuery(method="dbscan", min_points=2))
    assert scene["pair"] in [h.incident_ids for h in pairs]


def test_ied_only_when_asked(db_session: Session, scene: dict[str, list[int]]) -> None:
    with_ied = hotspots(db_session, HotspotQuery(method="dbscan", include_ied=True))
    members = {i for h in with_ied for i in h.incident_ids}
    assert scene["other"][1] in members and scene["other"][0] not in members


@pytest.mark.parametrize(("method", "size"), [("hex", 5000.0), ("hex", 500.0), ("admin", 0)])
def test_hex_and_admin_totals_equal_the_input(
    db_session: Session, scene: dict[str, list[int]], method: str, size: float
) -> None:
    landmine_ids = sorted(scene["a"] + scene["b"] + scene["pair"] + scene["noise"])
    query = HotspotQuery(method=method, hex_size_m=size or 5000.0)
    found = hotspots(db_session, query)
    members = sorted(i for h in found for i in h.incident_ids)
    assert members == landmine_ids  # every incident exactly once
    assert sum(h.incident_count for h in found) == len(landmine_ids)
    assert sum(h.killed for h in found) == 5 * 2 + 4 + 2 + 2
    if method == "admin":
        assert {h.admin_pcode for h in found} == {"SY990000", "SY990001"}
        by_level = hotspots(db_session, HotspotQuery(method="admin", admin_level=1))
        assert [(h.admin_pcode, h.incident_count) for h in by_level] == [("SY99", 13)]


def test_hazard_areas_within_the_documented_distance(
    db_session: Session, scene: dict[str, list[int]]
) -> None:
    near = offset(*A, 300, -800)  # ~800 m south of the cluster's edge
    far = offset(*A, 300, -3000)
    for code, (lon, lat) in (("HA-NEAR", near), ("HA-FAR", far)):
        db_session.add(
            HazardArea(
                hazard_code=code,
                hazard_type="suspected",
                geom=from_shape(Point(lon, lat), srid=4326),
                source="test",
            )
        )
    db_session.flush()
    found = hotspots(db_session, HotspotQuery(method="dbscan"))
    a = next(h for h in found if h.incident_ids == scene["a"])
    assert (a.hazard_areas, a.hazard_codes) == (1, ["HA-NEAR"])


def test_score_and_ranking(db_session: Session, scene: dict[str, list[int]]) -> None:
    as_of = D(2023, 6, 1)
    found = hotspots(db_session, HotspotQuery(method="dbscan", as_of=as_of))
    assert [h.incident_ids for h in found] == [scene["a"], scene["b"]]
    decay_a = 0.5 ** ((as_of - D(2022, 6, 1)).days / HALF_LIFE_DAYS)
    assert found[0].score == pytest.approx(5 * decay_a * (1 + 2 + 0.5), rel=1e-4)
    decay_b = 0.5 ** ((as_of - D(2019, 6, 1)).days / HALF_LIFE_DAYS)
    assert found[1].score == pytest.approx(4 * decay_b * 2, rel=1e-4)
    assert [h.rank for h in found] == [1, 2]


def test_location_precision_weight(db_session: Session) -> None:
    build = Builder(db_session)
    precise = build.many([offset(36.2, 35.2, e, 0) for e in (0, 100, 200)])
    coarse = build.many([offset(37.2, 35.2, e, 0) for e in (0, 100, 200)], precision="governorate")
    found = hotspots(db_session, HotspotQuery(method="dbscan", as_of=D(2022, 6, 1)))
    scores = {tuple(h.incident_ids): h.score for h in found}
    assert scores[tuple(precise)] == pytest.approx(6.0)
    assert scores[tuple(coarse)] == pytest.approx(0.6)


def test_filters_bbox_dates_and_pcode(db_session: Session, scene: dict[str, list[int]]) -> None:
    west = hotspots(db_session, HotspotQuery(bbox=(36.0, 35.0, 37.0, 36.0)))
    assert [h.incident_ids for h in west] == [scene["a"]]
    recent = hotspots(db_session, HotspotQuery(date_from=D(2020, 1, 1)))
    assert [h.incident_ids for h in recent] == [scene["a"]]
    old = hotspots(db_session, HotspotQuery(date_to=D(2020, 1, 1)))
    assert [h.incident_ids for h in old] == [scene["b"]]
    east = hotspots(db_session, HotspotQuery(admin_pcode="SY990001"))
    assert [h.incident_ids for h in east] == [scene["b"]]
    with pytest.raises(ValueError):
        HotspotQuery(method="kmeans")
    with pytest.raises(ValueError):
        HotspotQuery(admin_pcode="SY0")


def test_geojson_document(db_session: Session, scene: dict[str, list[int]]) -> None:
    query = HotspotQuery(method="hex")
    document = hotspots_geojson(hotspots(db_session, query), query)
    assert document["type"] == "FeatureCollection"
    assert document["parameters"]["hex_size_m"] == 5000.0
    assert document["features"][0]["geometry"]["type"] == "Polygon"


def test_severity_layer(db_session: Session) -> None:
    add_admin_units(db_session)
    for pcode, severity, pin in (("SY990000", 4.0, 1200.0), ("SY990001", 2.0, 30.0)):
        for indicator, value in (("mine_action_severity", severity), ("mine_action_pin", pin)):
            db_session.add(
                AdminIndicator(
                    admin_pcode=pcode,
                    indicator=indicator,
                    reference_date=D(2022, 12, 31),
                    value=value,
                    source="test",
                )
            )
    db_session.flush()
    layer = severity_geojson(db_session)
    props = [f["properties"] for f in layer["features"]]
    assert [
        (p["admin3_pcode"], p["mine_action_severity"], p["mine_action_pin"]) for p in props
    ] == [
        ("SY990000", 4, 1200),
        ("SY990001", 2, 30),
    ]
    clipped = severity_geojson(db_session, bbox=(35.5, 33.0, 36.5, 34.0))
    assert [f["id"] for f in clipped["features"]] == ["SY990000"]
