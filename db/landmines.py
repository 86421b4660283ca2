"""Landmine hotspots (DBSCAN clusters, hexagons, admin units) and the mine-action severity layer.

Rules (user-facing; the README repeats them):

* **Landmine incidents** are published incidents with ``weapon`` in ``landmine`` or ``erw``
  (explosive remnants of war, cluster-munition remnants included). ``ied`` is left out by
  default because most IEDs in the reports are deliberate attacks (roadside and car bombs),
  not legacy contamination; ``include_ied=True`` adds them. Incidents located only to the
  country are left out (their point is a centroid, not a place).
* **Where incidents are:** the public view (``precise=False``) uses the point the public may
  see (``incidents.public_geom``: sensitive incidents on their sub-district, weighted as
  ``subdistrict``) for the bbox filter, clustering and binning, so no hotspot outlines or
  locates a sensitive incident; the partners' view (``precise=True``) uses the true point and
  precision.
* **Metric work** happens in EPSG:32637 (UTM zone 37N), which covers Syria with a scale error
  under 0.1 % in its centre and under 1 % at the edges: DBSCAN ``eps``, hexagon size and
  hazard distances are metres there. Stored geometry stays SRID 4326 (lon/lat).
* ``method=dbscan``: ``ST_ClusterDBSCAN`` with ``eps`` = :data:`DBSCAN_EPS_M` metres and
  ``minpoints`` = :data:`DBSCAN_MIN_POINTS` (a cluster is at least that many incidents, each
  within eps of another member); the hotspot geometry is the members' convex hull (a point
  or line for collinear members). Incidents that belong to no cluster are noise and appear in
  no hotspot.
* ``method=hex``: a hexagon grid (``ST_HexagonGrid``, edge length :data:`HEX_SIZE_M` metres,
  anchored at the projection origin so cells are stable between requests); each incident
  counts in exactly one hexagon.
* ``method=admin``: per admin unit (sub-district by default; ``admin_level`` 1-3) from the
  incidents' stored P-codes; incidents without a P-code at that level are not counted.
* **Hazard areas** counted for a hotspot are active or in-progress hazard areas that
  intersect its geometry or lie within :data:`HAZARD_DISTANCE_M` metres of it.
* **Score** = sum over member incidents of
  ``precision_weight x 0.5^(age_days / HALF_LIFE_DAYS) x (1 + killed + 0.5 x injured)``,
  where ``age_days`` counts from ``as_of`` (default: ``date_to`` or today) back to the
  incident date (never negative) and the precision weights are :data:`PRECISION_WEIGHTS`
  (unknown precision 0.5). Hotspots are ranked by score, then incident count.
* **Cost bound:** a ``dbscan`` or ``hex`` request spans ``area / cell area`` cells, where the
  area is the searched region (the bbox, clipped to :data:`SEARCH_EXTENT` and to the
  envelope of the ``admin`` unit when one is given; the whole extent without either) on the
  sphere, and a cell is a hexagon of the requested edge or an eps-disc (pi x eps^2). Finer
  cells over a larger region mean more groups to form, hull and rank; the API refuses
  requests beyond its limit (:func:`hotspot_cells`). ``admin`` is bounded by the number of
  admin units and has no such limit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.extent import SYRIA_BOUNDS

LANDMINE_WEAPONS = ("landmine", "erw")
METRIC_SRID = 32637
DBSCAN_EPS_M = 1000.0
DBSCAN_MIN_POINTS = 3
HEX_SIZE_M = 5000.0
HAZARD_DISTANCE_M = 1000.0
HALF_LIFE_DAYS = 365.0
PRECISION_WEIGHTS = {
    "exact": 1.0,
    "community": 1.0,
    "neighbourhood": 1.0,
    "camp": 1.0,
    "subdistrict": 0.5,
    "district": 0.25,
    "governorate": 0.1,
}
UNKNOWN_PRECISION_WEIGHT = 0.5
METHODS = ("dbscan", "hex", "admin")
ACTIVE_HAZARD_STATUSES = ["active", "in_progress"]
SEVERITY_REFERENCE_DATE = dt.date(2022, 12, 31)
# Admin level -> incident column; identifiers come from this table only, never from input.
_ADMIN_COLUMNS = {1: "admin1_pcode", 2: "admin2_pcode", 3: "admin3_pcode"}
_PCODE = re.compile(r"SY(?:[0-9]{2}){0,3}")
#: Syria with a margin (min lon, min lat, max lon, max lat): where landmine incidents can
#: be, so a view of the whole world costs no more than one of the whole country.
SEARCH_EXTENT = SYRIA_BOUNDS
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class HotspotQuery:
    method: str = "dbscan"
    bbox: tuple[float, float, float, float] | None = None
    admin_pcode: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    eps_m: float = DBSCAN_EPS_M
    min_points: int = DBSCAN_MIN_POINTS
    hex_size_m: float = HEX_SIZE_M
    admin_level: int = 3
    as_of: dt.date | None = None
    include_ied: bool = False
    hazard_distance_m: float = HAZARD_DISTANCE_M
    limit: int = 500
    precise: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        if self.admin_level not in _ADMIN_COLUMNS:
            raise ValueError("admin_level must be 1, 2 or 3")
        if self.admin_pcode is not None and not _PCODE.fullmatch(self.admin_pcode):
            raise ValueError(f"{self.admin_pcode!r} is not an admin P-code (SY, SY02, SY0200...)")
        if self.eps_m <= 0 or self.hex_size_m <= 0 or self.min_points < 1:
            raise ValueError("eps, hex size and minpoints must be positive")

    @property
    def reference_date(self) -> dt.date:
        return self.as_of or self.date_to or dt.date.today()


@dataclass
class Hotspot:
    id: str
    method: str
    geometry: dict[str, Any]
    incident_count: int
    killed: int
    killed_children: int
    killed_women: int
    injured: int
    first_date: dt.date
    last_date: dt.date
    hazard_areas: int
    score: float
    incident_ids: list[int]
    hazard_codes: list[str] = field(default_factory=list)
    admin_pcode: str | None = None
    admin_name: str | None = None
    rank: int = 0

    def properties(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rank": self.rank,
            "method": self.method,
            "incident_count": self.incident_count,
            "killed": self.killed,
            "killed_children": self.killed_children,
            "killed_women": self.killed_women,
            "injured": self.injured,
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "hazard_areas": self.hazard_areas,
            "hazard_codes": self.hazard_codes,
            "score": self.score,
            "admin_pcode": self.admin_pcode,
            "admin_name": self.admin_name,
            "incident_ids": self.incident_ids,
        }


def _filtered_incidents(query: HotspotQuery, params: dict[str, Any]) -> str:
    """The ``inc`` CTE body: landmine incidents in scope with metric point, weight, score."""
    # Column names come from here, never from input.
    if query.precise:
        point, precision = "i.geom", "i.location_precision"
    else:
        point = "i.public_geom"
        precision = "CASE WHEN i.sensitive THEN 'subdistrict' ELSE i.location_precision END"
    clauses = [
        "i.weapon = ANY(:weapons)",
        "i.status = 'published'",
        f"{point} IS NOT NULL",
        "COALESCE(i.location_precision, '') <> 'country'",
    ]
    params["weapons"] = [*LANDMINE_WEAPONS, *(("ied",) if query.include_ied else ())]
    if query.bbox is not None:
        clauses.append(f"{point} && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)")
        params.update(zip(("xmin", "ymin", "xmax", "ymax"), query.bbox, strict=True))
    if query.date_from is not None:
        clauses.append("i.date_start >= :date_from")
        params["date_from"] = query.date_from
    if query.date_to is not None:
        clauses.append("i.date_start <= :date_to")
        params["date_to"] = query.date_to
    if query.admin_pcode is not None:
        level = (len(query.admin_pcode) - 2) // 2
        if level == 0:
            clauses.append("i.admin1_pcode LIKE :pcode_prefix")
            params["pcode_prefix"] = f"{query.admin_pcode}%"
        elif level in _ADMIN_COLUMNS:
            clauses.append(f"i.{_ADMIN_COLUMNS[level]} = :pcode")
            params["pcode"] = query.admin_pcode
        else:
            raise ValueError(f"{query.admin_pcode!r} is not an admin P-code (SY, SY02...)")
    params.update(
        weights=json.dumps(PRECISION_WEIGHTS),
        unknown_weight=UNKNOWN_PRECISION_WEIGHT,
        as_of=query.reference_date,
        half_life=HALF_LIFE_DAYS,
    )
    return f"""
        SELECT i.id, i.date_start, i.admin1_pcode, i.admin2_pcode, i.admin3_pcode,
               ST_Transform({point}, {METRIC_SRID}) AS g,
               COALESCE(i.killed_total, 0) AS killed,
               COALESCE(i.killed_children, 0) AS killed_children,
               COALESCE(i.killed_women, 0) AS killed_women,
               COALESCE(i.injured, 0) AS injured,
               COALESCE((CAST(:weights AS jsonb) ->> ({precision}))::float8,
                        :unknown_weight)
               -- Capped at 1,000 half-lives (a weight of ~1e-301): past ~1,075 the power
               -- underflows a float8 and PostgreSQL raises instead of returning zero.
               * power(0.5, LEAST(GREATEST(CAST(:as_of AS date) - i.date_start, 0)
                                  / :half_life, 1000))
               * (1 + COALESCE(i.killed_total, 0) + 0.5 * COALESCE(i.injured, 0)) AS score
          FROM incidents i
         WHERE {" AND ".join(clauses)}
    """


_AGGREGATES = """
    count(*) AS incident_count,
    sum(killed)::int AS killed, sum(killed_children)::int AS killed_children,
    sum(killed_women)::int AS killed_women, sum(injured)::int AS injured,
    min(date_start) AS first_date, max(date_start) AS last_date,
    sum(score) AS score, array_agg(id ORDER BY id) AS incident_ids
"""


def _grouping(query: HotspotQuery, params: dict[str, Any]) -> str:
    """The ``spots`` CTE: one row per hotspot with key, aggregates and metric geometry ``gm``."""
    if query.method == "dbscan":
        params.update(eps=query.eps_m, min_points=query.min_points)
        return f"""
            clustered AS (
                SELECT inc.*,
                       ST_ClusterDBSCAN(g, eps := :eps, minpoints := :min_points) OVER () AS cid
                  FROM inc
            ),
            spots AS MATERIALIZED (
                SELECT 'dbscan-' || min(id) AS key, NULL::text AS pcode, NULL::text AS name,
                       ST_ConvexHull(ST_Collect(g)) AS gm, {_AGGREGATES}
                  FROM clustered WHERE cid IS NOT NULL GROUP BY cid
            )
        """
    if query.method == "hex":
        params["hex_size"] = query.hex_size_m
        # One hexagon per incident: the grid cells around its own point, first by (i, j)
        # so a point on a shared edge is never counted twice.
        return f"""
            binned AS (
                SELECT inc.*, h.i, h.j, h.geom AS hex
                  FROM inc
                  CROSS JOIN LATERAL (
                        SELECT hx.i, hx.j, hx.geom
                          FROM ST_HexagonGrid(:hex_size, inc.g) hx
                         WHERE ST_Intersects(hx.geom, inc.g)
                         ORDER BY hx.i, hx.j LIMIT 1) h
            ),
            spots AS MATERIALIZED (
                SELECT 'hex-' || i || '-' || j AS key, NULL::text AS pcode, NULL::text AS name,
                       hex AS gm, {_AGGREGATES}
                  FROM binned GROUP BY i, j, hex
            )
        """
    column = _ADMIN_COLUMNS[query.admin_level]
    return f"""
        by_unit AS (
            SELECT {column} AS pcode, {_AGGREGATES}
              FROM inc WHERE {column} IS NOT NULL GROUP BY {column}
        ),
        spots AS MATERIALIZED (
            SELECT 'admin-' || b.pcode AS key, b.pcode, a.name_en AS name,
                   ST_Transform(a.geom, {METRIC_SRID}) AS gm, b.incident_count, b.killed,
                   b.killed_children, b.killed_women, b.injured, b.first_date, b.last_date, b.score,
                   b.incident_ids
              FROM by_unit b JOIN admin_units a ON a.pcode = b.pcode
        )
    """


def hotspot_sql(query: HotspotQuery) -> tuple[str, dict[str, Any]]:
    """The full hotspot statement and its bound parameters (for reuse and EXPLAIN)."""
    params: dict[str, Any] = {
        "hazard_m": query.hazard_distance_m,
        "hazard_statuses": ACTIVE_HAZARD_STATUSES,
        "limit": query.limit,
    }
    inc = _filtered_incidents(query, params)
    grouping = _grouping(query, params)
    sql = f"""
        WITH inc AS ({inc}),
        {grouping}
        SELECT s.key, s.pcode, s.name, s.incident_count, s.killed, s.killed_children,
               s.killed_women, s.injured, s.first_date, s.last_date, s.score, s.incident_ids,
               ST_AsGeoJSON(ST_Transform(s.gm, 4326), 6) AS geojson,
               hz.n AS hazard_areas, hz.codes AS hazard_codes
          FROM (SELECT * FROM spots
                 ORDER BY score DESC, incident_count DESC, key LIMIT :limit) s
          LEFT JOIN LATERAL (
                -- The metric box, back in SRID 4326, lets the GiST index on hazard_areas.geom
                -- prefilter; the exact test is planar in UTM 37N (metres), much cheaper than
                -- geodesic distance between polygons.
                SELECT count(*)::int AS n,
                       array_agg(h.hazard_code ORDER BY h.hazard_code)
                           FILTER (WHERE h.hazard_code IS NOT NULL) AS codes
                  FROM hazard_areas h
                 WHERE h.geom && ST_Transform(ST_Expand(s.gm, :hazard_m), 4326)
                   AND h.status = ANY(:hazard_statuses)
                   AND ST_DWithin(ST_Transform(h.geom, {METRIC_SRID}), s.gm, :hazard_m)
                ) hz ON true
         ORDER BY s.score DESC, s.incident_count DESC, s.key
    """
    return sql, params


def hotspots(session: Session, query: HotspotQuery) -> list[Hotspot]:
    """Landmine hotspots ranked by score (see the module docstring for every rule)."""
    sql, params = hotspot_sql(query)
    found = []
    for rank, row in enumerate(session.execute(text(sql), params).mappings(), start=1):
        found.append(
            Hotspot(
                id=row["key"],
                method=query.method,
                geometry=json.loads(row["geojson"]),
                incident_count=row["incident_count"],
                killed=row["killed"],
                killed_children=row["killed_children"],
                killed_women=row["killed_women"],
                injured=row["injured"],
                first_date=row["first_date"],
                last_date=row["last_date"],
                hazard_areas=row["hazard_areas"] or 0,
                hazard_codes=list(row["hazard_codes"] or ())[:50],
                score=round(float(row["score"]), 4),
                incident_ids=list(row["incident_ids"]),
                admin_pcode=row["pcode"],
                admin_name=row["name"],
                rank=rank,
            )
        )
    return found


def box_area_km2(bbox: tuple[float, float, float, float]) -> float:
    """Area of a lon/lat box on the sphere (exact for a sphere; Syria is small enough)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    width = math.radians(max(0.0, max_lon - min_lon))
    height = math.sin(math.radians(max_lat)) - math.sin(math.radians(min_lat))
    return EARTH_RADIUS_KM**2 * width * max(0.0, height)


def _clip(
    box: tuple[float, float, float, float], other: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    return (
        max(box[0], other[0]),
        max(box[1], other[1]),
        min(box[2], other[2]),
        min(box[3], other[3]),
    )


def cell_area_km2(query: HotspotQuery) -> float | None:
    """Area of one cell of the request's resolution: a hexagon or an eps-disc (None: admin)."""
    if query.method == "hex":
        edge_km = query.hex_size_m / 1000
        return 3 * math.sqrt(3) / 2 * edge_km**2
    if query.method == "dbscan":
        return math.pi * (query.eps_m / 1000) ** 2
    return None


def search_area_km2(session: Session, query: HotspotQuery) -> float:
    """The region a request searches: bbox, admin unit envelope and the extent, intersected."""
    region = SEARCH_EXTENT if query.bbox is None else _clip(query.bbox, SEARCH_EXTENT)
    if query.admin_pcode is not None:
        envelope = session.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
                " FROM (SELECT ST_Envelope(geom) AS e FROM admin_units WHERE pcode = :pcode) u"
            ),
            {"pcode": query.admin_pcode},
        ).first()
        if envelope is not None:
            min_lon, min_lat, max_lon, max_lat = envelope
            region = _clip(region, (min_lon, min_lat, max_lon, max_lat))
    return box_area_km2(region)


def hotspot_cells(session: Session, query: HotspotQuery) -> tuple[float, float] | None:
    """(cells spanned, searched area in km2) of a dbscan or hex request; None for admin."""
    cell = cell_area_km2(query)
    if cell is None:
        return None
    area = search_area_km2(session, query)
    if area == 0:
        return 0.0, area
    # A tiny eps squares to zero in floating point: infinitely many cells, not a crash.
    return (area / cell if cell > 0 else math.inf), area


def hotspots_geojson(hotspots_found: list[Hotspot], query: HotspotQuery) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "parameters": {
            "method": query.method,
            "eps_m": query.eps_m if query.method == "dbscan" else None,
            "min_points": query.min_points if query.method == "dbscan" else None,
            "hex_size_m": query.hex_size_m if query.method == "hex" else None,
            "admin_level": query.admin_level if query.method == "admin" else None,
            "as_of": query.reference_date.isoformat(),
            "half_life_days": HALF_LIFE_DAYS,
            "hazard_distance_m": query.hazard_distance_m,
            "weapons": [*LANDMINE_WEAPONS, *(("ied",) if query.include_ied else ())],
        },
        "features": [
            {"type": "Feature", "id": h.id, "geometry": h.geometry, "properties": h.properties()}
            for h in hotspots_found
        ],
    }


def severity_geojson(
    session: Session,
    *,
    reference_date: dt.date = SEVERITY_REFERENCE_DATE,
    bbox: tuple[float, float, float, float] | None = None,
    simplify_degrees: float = 0.002,
) -> dict[str, Any]:
    """Mine-action severity (1-5) and people in need per sub-district, as GeoJSON."""
    params: dict[str, Any] = {"reference_date": reference_date, "tolerance": simplify_degrees}
    area = ""
    if bbox is not None:
        area = "AND a.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)"
        params.update(zip(("xmin", "ymin", "xmax", "ymax"), bbox, strict=True))
    sql = text(
        f"""
        SELECT a.pcode, a.name_en, a.name_ar, s.value AS severity, p.value AS pin, s.source,
               ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, :tolerance), 5) AS geojson
          FROM admin_indicators s
          JOIN admin_units a ON a.pcode = s.admin_pcode
          LEFT JOIN admin_indicators p
            ON p.admin_pcode = s.admin_pcode AND p.indicator = 'mine_action_pin'
           AND p.reference_date = s.reference_date
         WHERE s.indicator = 'mine_action_severity' AND s.reference_date = :reference_date
           {area}
         ORDER BY a.pcode
        """
    )
    features = [
        {
            "type": "Feature",
            "id": row["pcode"],
            "geometry": json.loads(row["geojson"]),
            "properties": {
                "admin3_pcode": row["pcode"],
                "name_en": row["name_en"],
                "name_ar": row["name_ar"],
                "mine_action_severity": None if row["severity"] is None else int(row["severity"]),
                "mine_action_pin": None if row["pin"] is None else int(row["pin"]),
                "reference_date": reference_date.isoformat(),
                "source": row["source"],
            },
        }
        for row in session.execute(sql, params).mappings()
    ]
    return {"type": "FeatureCollection", "features": features}
