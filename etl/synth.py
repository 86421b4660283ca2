"""A realistic synthetic dataset for development, tests and benchmarks (``athar dev synth``).

Everything is written under one ``SourceDocument`` of kind ``synthetic`` per run (key
``synthetic:<seed>:<counts>:<timestamp>``), so it never mixes with real data and
``athar dev synth --clear`` removes it all (incidents, spans, hazard areas, zones). Same seed,
same data (apart from database ids).

* **Incidents** cluster around real OCHA communities from the bundled gazetteer (a
  community is drawn with probability growing with its gazetteer weight; the point is
  jittered ~1 km), dated 2014-2024 (15 % month precision), with plausible tolls.
* **Landmine/ERW incidents** (about 15 %) lie along *corridors*: straight segments between a
  community and its nearest neighbouring community (a proxy for the road between them),
  jittered ~60 m across the line.
* **Hazard areas** sit on the same corridors: small polygons (buffered stretches of the
  corridor, 70 %) or points (30 %), with IMSMA-like attributes; landmine incidents within
  250 m of one are linked to it.
* **Zones over time**: three snapshots (2014-01-01, 2017-07-01, 2020-03-01 open-ended) of
  Voronoi cells around 60 random communities with random controllers, clipped to Syria,
  stored as one snapshot series (each closed by the next). They answer control lookups
  for every point, real or synthetic: use synthetic data in development databases only.

Bulk writes use COPY (incidents, hazard areas) and one INSERT ... SELECT ... RETURNING for
the provenance spans (one span per incident, as the schema requires).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, Point
from shapely.ops import unary_union
from shapely.strtree import STRtree
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.control import refresh_incident_control
from db.models import AdminUnit, SourceDocument
from db.versions import bump
from db.vocab import WEAPONS
from etl.zones import ParsedZone, polygonal_parts, store_zones
from gazetteer.data import Gazetteer, Place

FIRST_DAY = dt.date(2014, 1, 1)
LAST_DAY = dt.date(2024, 12, 31)
LANDMINE_SHARE = 0.15
SNAPSHOT_STARTS = (dt.date(2014, 1, 1), dt.date(2017, 7, 1), dt.date(2020, 3, 1))
ZONE_SEEDS = 60
HAZARD_LINK_DISTANCE_M = 250.0
_M_PER_DEG = 111_320.0

# Landmines and ERW are generated along corridors; drowning and fire are not attacks.
OTHER_WEAPONS = tuple(w for w in WEAPONS if w not in ("landmine", "erw", "drowning", "fire"))
OTHER_WEAPON_WEIGHTS = (30, 25, 10, 4, 3, 15, 5, 3, 3, 2)
PERPETRATORS = (
    "syrian_regime",
    "russian_forces",
    "isis",
    "hts",
    "sdf",
    "armed_opposition_sna",
    "international_coalition",
    "other_parties",
)
PERPETRATOR_WEIGHTS = (45, 15, 8, 6, 6, 8, 2, 10)
CONTROLLERS = ("syrian_regime", "armed_opposition_sna", "hts", "sdf", "isis")
PRECISIONS = ("community", "neighbourhood", "exact", "subdistrict", "district", "governorate")
PRECISION_WEIGHTS = (80, 5, 5, 6, 3, 1)
CONTAMINATIONS = (["mine"], ["erw"], ["mine", "erw"], ["cluster_munition"], ["ied"], ["uxo"])


@dataclass
class SynthReport:
    source_key: str
    document_id: int
    incidents: int
    landmine_incidents: int
    hazards: int
    zones: int
    seconds: float


def _choice(rng: np.random.Generator, n: int, weights: tuple[int, ...]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=n, p=p / p.sum())


def _communities(gazetteer: Gazetteer) -> list[Place]:
    return [
        p
        for p in gazetteer.places.values()
        if p.kind == "community" and p.precise and math.isfinite(p.lat) and p.adm3
    ]


def _corridors(
    rng: np.random.Generator, communities: list[Place], count: int
) -> list[tuple[Place, Place]]:
    """Segments from random communities to their nearest neighbour (roads proxy)."""
    points = [Point(p.lon, p.lat) for p in communities]
    tree = STRtree(points)
    chosen = rng.choice(len(communities), size=count, replace=count > len(communities))
    pairs = []
    for index in chosen:
        nearest = tree.query_nearest(points[int(index)], exclusive=True, all_matches=False)
        if len(nearest):
            pairs.append((communities[int(index)], communities[int(nearest[0])]))
    return pairs


def _copy(session: Session, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into ``table`` on the session's own connection (same transaction)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    names = ", ".join(columns)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _pg_array(items: list[str]) -> str:
    return "{" + ",".join(items) + "}"


def generate_synthetic(
    session: Session,
    *,
    incidents: int,
    hazards: int,
    seed: int = 1,
    gazetteer: Gazetteer | None = None,
    zones: bool = True,
    refresh: bool = True,
    log: Callable[[str], Any] | None = None,
) -> SynthReport:
    """Write a synthetic dataset; does not commit (the CLI commits once)."""
    started = time.monotonic()

    def say(message: str) -> None:
        if log is not None:
            log(f"[{time.monotonic() - started:6.1f} s] {message}")

    rng = np.random.default_rng(seed)
    gazetteer = gazetteer or Gazetteer.load()
    communities = _communities(gazetteer)
    known_admin = set(session.scalars(select(AdminUnit.pcode)))

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    source_key = f"synthetic:{seed}:{incidents}:{hazards}:{stamp}"
    document = SourceDocument(
        source_key=source_key,
        kind="synthetic",
        title=f"Synthetic dataset (seed {seed}, {incidents} incidents, {hazards} hazards)",
        publisher="athar dev synth",
        checksum=hashlib.sha256(source_key.encode()).hexdigest(),
        licence="synthetic; no real events",
    )
    session.add(document)
    session.flush()
    doc_id = document.id

    # --- incidents -------------------------------------------------------------------
    n_landmine = round(incidents * LANDMINE_SHARE)
    n_other = incidents - n_landmine
    weights = np.array([1.0 + max(p.weight, 0.0) for p in communities]) ** 2
    picks = rng.choice(len(communities), size=n_other, p=weights / weights.sum())
    jitter = rng.normal(0.0, 0.009, size=(n_other, 2))  # ~1 km
    lon = np.array([communities[i].lon for i in picks]) + jitter[:, 0]
    lat = np.array([communities[i].lat for i in picks]) + jitter[:, 1]
    places = [communities[i] for i in picks]

    corridor_count = max(10, n_landmine // 40, hazards // 5)
    corridors = _corridors(rng, communities, corridor_count)
    lm_corridor = rng.integers(0, len(corridors), size=n_landmine)
    t = rng.random(n_landmine)
    across = rng.normal(0.0, 0.0006, size=(n_landmine, 2))  # ~60 m
    lm_lon = (
        np.array(
            [
                corridors[c][0].lon + (corridors[c][1].lon - corridors[c][0].lon) * s
                for c, s in zip(lm_corridor, t, strict=True)
            ]
        )
        + across[:, 0]
    )
    lm_lat = (
        np.array(
            [
                corridors[c][0].lat + (corridors[c][1].lat - corridors[c][0].lat) * s
                for c, s in zip(lm_corridor, t, strict=True)
            ]
        )
        + across[:, 1]
    )
    lm_places = [corridors[c][0] for c in lm_corridor]

    all_lon = np.concatenate([lon, lm_lon])
    all_lat = np.concatenate([lat, lm_lat])
    all_places = places + lm_places
    weapon_index = _choice(rng, n_other, OTHER_WEAPON_WEIGHTS)
    weapons = [OTHER_WEAPONS[i] for i in weapon_index] + [
        "landmine" if r < 0.7 else "erw" for r in rng.random(n_landmine)
    ]
    span_days = (LAST_DAY - FIRST_DAY).days
    day_offsets = rng.integers(0, span_days + 1, size=incidents)
    month_precision = rng.random(incidents) < 0.15
    precision_index = _choice(rng, incidents, PRECISION_WEIGHTS)
    perpetrator_index = _choice(rng, incidents, PERPETRATOR_WEIGHTS)
    killed = np.minimum(rng.geometric(0.45, size=incidents) - 1, 60)
    heavy = rng.random(incidents) < 0.02
    killed = np.where(heavy, killed + rng.integers(5, 40, size=incidents), killed)
    children = rng.binomial(killed, 0.25)
    women = rng.binomial(killed - children, 0.2)
    injured = rng.poisson(np.maximum(killed, 1) * 0.8)

    say(f"creating {incidents} provenance spans")
    span_ids = list(
        session.execute(
            text(
                """
                INSERT INTO provenance_spans (document_id, start_offset, end_offset, locator)
                SELECT :doc, 0, 0, 'synthetic #' || g FROM generate_series(1, :n) g
                RETURNING id
                """
            ),
            {"doc": doc_id, "n": incidents},
        ).scalars()
    )
    say(f"copying {incidents} incidents")
    rows: list[tuple[Any, ...]] = []
    attributes = json.dumps({"synthetic": True, "seed": seed})
    for k in range(incidents):
        place = all_places[k]
        day = FIRST_DAY + dt.timedelta(days=int(day_offsets[k]))
        precision = "day"
        if month_precision[k]:
            day, precision = day.replace(day=1), "month"
        weapon = weapons[k]
        is_landmine = weapon in ("landmine", "erw")
        category = "other_parties" if is_landmine else PERPETRATORS[perpetrator_index[k]]
        subcategory = "landmine_unknown" if is_landmine else None
        k_total = int(killed[k])
        rows.append(
            (
                f"synthetic:{doc_id}:{k}",
                day,
                precision,
                place.name,
                place.pcode,
                place.adm1 if place.adm1 in known_admin else None,
                place.adm2 if place.adm2 in known_admin else None,
                place.adm3 if place.adm3 in known_admin else None,
                f"SRID=4326;POINT({all_lon[k]:.6f} {all_lat[k]:.6f})",
                PRECISIONS[precision_index[k]],
                category,
                subcategory,
                weapon,
                k_total,
                int(children[k]),
                int(women[k]),
                int(injured[k]),
                k_total >= 5 and bool(rng.random() < 0.3),
                "published",
                doc_id,
                span_ids[k],
                attributes,
            )
        )
    _copy(
        session,
        "incidents",
        [
            "fingerprint",
            "date_start",
            "date_precision",
            "place_text",
            "place_pcode",
            "admin1_pcode",
            "admin2_pcode",
            "admin3_pcode",
            "geom",
            "location_precision",
            "perpetrator_category",
            "perpetrator_subcategory",
            "weapon",
            "killed_total",
            "killed_children",
            "killed_women",
            "injured",
            "massacre",
            "status",
            "source_document_id",
            "provenance_span_id",
            "attributes",
        ],
        rows,
    )
    del rows

    # --- hazard areas -----------------------------------------------------------------
    say(f"copying {hazards} hazard areas")
    hazard_rows: list[tuple[Any, ...]] = []
    for h in range(hazards):
        start, end = corridors[int(rng.integers(0, len(corridors)))]
        a, b = sorted(rng.random(2))
        b = min(a + 0.05 + 0.1 * b, 1.0)
        line = LineString(
            [
                (start.lon + (end.lon - start.lon) * a, start.lat + (end.lat - start.lat) * a),
                (start.lon + (end.lon - start.lon) * b, start.lat + (end.lat - start.lat) * b),
            ]
        )
        if rng.random() < 0.7:
            width_deg = float(rng.uniform(50, 200)) / _M_PER_DEG
            # Few vertices, like surveyed hazard polygons (not a smooth 64-gon).
            geometry = line.buffer(width_deg, quad_segs=2)
            area = geometry.area * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(start.lat))
        else:
            geometry = line.interpolate(0.5, normalized=True)
            area = None
        reported = FIRST_DAY + dt.timedelta(days=int(rng.integers(0, span_days)))
        status = ("active", "active", "active", "in_progress", "closed")[int(rng.integers(0, 5))]
        closed = (
            reported + dt.timedelta(days=int(rng.integers(30, 900))) if status == "closed" else None
        )
        hazard_rows.append(
            (
                f"SYN-{doc_id}-{h:06d}",
                f"Synthetic hazard near {start.name}",
                "confirmed" if rng.random() < 0.4 else "suspected",
                status,
                _pg_array(CONTAMINATIONS[int(rng.integers(0, len(CONTAMINATIONS)))]),
                "{}",
                round(area, 1) if area is not None else None,
                f"SRID=4326;{shapely.to_wkt(geometry, rounding_precision=6)}",
                reported,
                closed,
                start.adm1 if start.adm1 in known_admin else None,
                start.adm2 if start.adm2 in known_admin else None,
                start.adm3 if start.adm3 in known_admin else None,
                start.pcode if start.pcode and start.pcode.startswith("C") else None,
                "Synthetic Mine Action Org",
                "synthetic",
                doc_id,
                attributes,
            )
        )
    _copy(
        session,
        "hazard_areas",
        [
            "hazard_code",
            "name",
            "hazard_type",
            "status",
            "contamination",
            "device_types",
            "area_m2",
            "geom",
            "reported_on",
            "closed_on",
            "admin1_pcode",
            "admin2_pcode",
            "admin3_pcode",
            "community_pcode",
            "organisation",
            "source",
            "source_document_id",
            "attributes",
        ],
        hazard_rows,
    )
    session.execute(text("ANALYZE incidents"))
    session.execute(text("ANALYZE hazard_areas"))
    session.execute(
        text(
            """
            INSERT INTO hazard_area_incidents (hazard_area_id, incident_id)
            SELECT h.id, i.id
              FROM hazard_areas h
              JOIN incidents i
                ON i.geom && ST_Expand(h.geom, :deg)
               AND ST_DWithin(i.geom::geography, h.geom::geography, :metres)
             WHERE h.source_document_id = :doc AND i.source_document_id = :doc
               AND i.weapon IN ('landmine', 'erw')
            ON CONFLICT DO NOTHING
            """
        ),
        {"doc": doc_id, "metres": HAZARD_LINK_DISTANCE_M, "deg": HAZARD_LINK_DISTANCE_M / 80_000},
    )

    # --- zones over time ----------------------------------------------------------------
    zone_count = 0
    if zones:
        say("building synthetic control snapshots")
        zone_count = _synthetic_zones(session, rng, gazetteer, communities, doc_id)
    bump(session, "incidents", "hazard_areas", *(("control_zones",) if zones else ()))
    if refresh:
        say("refreshing incident control")
        ids = session.scalars(
            text("SELECT id FROM incidents WHERE source_document_id = :doc"), {"doc": doc_id}
        ).all()
        refresh_incident_control(session, ids)
    return SynthReport(
        source_key=source_key,
        document_id=doc_id,
        incidents=incidents,
        landmine_incidents=n_landmine,
        hazards=hazards,
        zones=zone_count,
        seconds=time.monotonic() - started,
    )


def _synthetic_zones(
    session: Session,
    rng: np.random.Generator,
    gazetteer: Gazetteer,
    communities: list[Place],
    doc_id: int,
) -> int:
    _, _, geoms = gazetteer._load_polygons()
    # A 5 km margin keeps jittered border incidents inside some synthetic zone.
    syria = unary_union([shapely.make_valid(g) for g in geoms]).buffer(0.05).simplify(0.01)
    parsed: list[ParsedZone] = []
    for snapshot, start in enumerate(SNAPSHOT_STARTS):
        seeds = rng.choice(len(communities), size=ZONE_SEEDS, replace=False)
        points = [Point(communities[int(i)].lon, communities[int(i)].lat) for i in seeds]
        holders = [CONTROLLERS[int(rng.integers(0, len(CONTROLLERS)))] for _ in seeds]
        cells = shapely.voronoi_polygons(
            MultiPoint(points), extend_to=syria.envelope.buffer(1.0), ordered=True
        )
        by_holder: dict[str, list[Any]] = {}
        for holder, cell in zip(holders, cells.geoms, strict=True):
            by_holder.setdefault(holder, []).append(cell)
        for holder, parts in sorted(by_holder.items()):
            geometry = polygonal_parts(unary_union(parts).intersection(syria))
            if geometry.is_empty:
                continue
            parsed.append(
                ParsedZone(
                    index=len(parsed),
                    geometry=geometry,
                    parties=[(holder, None)],
                    valid_from=start,
                    valid_to=None,
                    source="synthetic",
                    label=f"synthetic snapshot {snapshot + 1}: {holder}",
                    observed_on=start,
                    admin3_pcode=None,
                    attributes={"synthetic": True},
                )
            )
    inserted, _ = store_zones(
        session, parsed, derivation=f"synthetic:{doc_id}", source_document_id=doc_id
    )
    return inserted


def clear_synthetic(session: Session) -> int:
    """Delete every synthetic document and everything written under it; returns documents."""
    doc_ids = list(
        session.scalars(select(SourceDocument.id).where(SourceDocument.kind == "synthetic"))
    )
    if not doc_ids:
        return 0
    params = {"docs": doc_ids}
    session.execute(text("DELETE FROM hazard_areas WHERE source_document_id = ANY(:docs)"), params)
    session.execute(text("DELETE FROM control_zones WHERE source_document_id = ANY(:docs)"), params)
    # Incidents hold their spans with RESTRICT: they go first, then the documents (spans
    # cascade with them).
    session.execute(text("DELETE FROM incidents WHERE source_document_id = ANY(:docs)"), params)
    session.execute(text("DELETE FROM source_documents WHERE id = ANY(:docs)"), params)
    bump(session, "incidents", "hazard_areas", "control_zones")
    # Real incidents may have pointed at synthetic zones: give them their real answer back.
    refresh_incident_control(session)
    return len(doc_ids)


def real_incident_count(session: Session) -> int:
    """Incidents from any source that is not synthetic (documented, imported or sample)."""
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM incidents i JOIN source_documents d"
                " ON d.id = i.source_document_id WHERE d.kind <> 'synthetic'"
            )
        )
        or 0
    )
