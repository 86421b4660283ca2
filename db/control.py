"""Who controlled a place on a day: zone lookup, observation fallback, incident refresh.

Rules (user-facing; the README repeats them):

* **Zones.** A control zone holds one or more parties (joint or mixed control, with a
  population/area ``share`` when the source gives one) during an inclusive period
  ``valid_from``..``valid_to``; ``valid_to`` NULL means "still valid". A point on a day is
  answered from the zones whose polygon intersects the point and whose period contains the
  day — one query served by the composite GiST index ``(geom, valid_during)``.
* **Overlaps.** When several zones qualify, the one with the most recent ``valid_from``
  wins; ties go to the most recent ``observed_on`` and then to the zone stored last
  (``id``): the later source wins.
* **Observation fallback.** When no zone covers the point and day, the nearest dated
  control observation (a statement from a report, with parties) within
  :data:`OBSERVATION_RADIUS_M` metres and :data:`OBSERVATION_WINDOW_DAYS` days either side
  is used; closest in time first, then closest in space.
* **Evidence age** is ``|day - zone.observed_on|`` (``valid_from`` when the zone has no
  observation date), or ``|day - observation.observed_on|``.
* **Incidents** store the zone (method ``zone``) or observation (method ``observation``) of
  their date; when neither exists but the report named the controlling force the method is
  ``as_reported``. ``control_disagrees`` is true when the categories the report named
  (``incident_reported_control``) share none with the mapped parties' categories, false
  when they share one, and NULL when either side is unknown (and always for
  ``as_reported``). Categories are the top-level parties: a subcategory counts as its
  parent.

Query functions here never commit; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, Select, func, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import (
    ControlObservation,
    ControlObservationParty,
    ControlZone,
    ControlZoneParty,
)
from db.versions import bump

SRID = 4326
# Observations further than this from the asked point, or further apart in time, are not
# evidence for it: about the extent of a village and its fields, and one season.
OBSERVATION_RADIUS_M = 2000.0
OBSERVATION_WINDOW_DAYS = 90
# Metres per degree of latitude; used only to turn metres into a generous degree box so
# the geometry GiST index can prefilter before the exact geography distance test.
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class PartyShare:
    code: str
    share: float | None


@dataclass(frozen=True)
class ControlAnswer:
    """Who held a point on a day, and on what evidence."""

    method: str  # 'zone' | 'observation' | 'as_reported'
    parties: tuple[PartyShare, ...]
    evidence_age_days: int | None
    zone_id: int | None = None
    observation_id: int | None = None
    label: str | None = None
    source: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    observed_on: dt.date | None = None
    distance_m: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {
            "label": self.label,
            "source": self.source,
            "observed_on": self.observed_on.isoformat() if self.observed_on else None,
        }
        if self.zone_id is not None:
            evidence.update(
                kind="zone",
                id=self.zone_id,
                valid_from=self.valid_from.isoformat() if self.valid_from else None,
                valid_to=self.valid_to.isoformat() if self.valid_to else None,
            )
        elif self.observation_id is not None:
            evidence.update(kind="observation", id=self.observation_id, distance_m=self.distance_m)
        return {
            "method": self.method,
            "parties": [{"code": p.code, "share": p.share} for p in self.parties],
            "evidence_age_days": self.evidence_age_days,
            "evidence": evidence,
        }


def _parties(raw: Sequence[dict[str, Any]] | None) -> tuple[PartyShare, ...]:
    return tuple(
        PartyShare(code=item["code"], share=None if item["share"] is None else float(item["share"]))
        for item in raw or ()
    )


# Axis order is lon, lat (x, y) everywhere: ST_MakePoint(lon, lat).
_ZONE_AT_SQL = text(
    """
    SELECT z.id, z.label, z.source, z.valid_from, z.valid_to, z.observed_on,
           (SELECT json_agg(json_build_object('code', p.party_code, 'share', p.share)
                            ORDER BY p.share DESC NULLS LAST, p.party_code)
              FROM control_zone_parties p WHERE p.zone_id = z.id) AS parties
      FROM control_zones z
     WHERE ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
       AND z.valid_during @> CAST(:day AS date)
     ORDER BY z.valid_from DESC, COALESCE(z.observed_on, z.valid_from) DESC, z.id DESC
     LIMIT 1
    """
)

_OBSERVATION_NEAR_SQL = text(
    """
    SELECT o.id, o.statement, o.observed_on, d.title AS source,
           ST_Distance(o.geom::geography, pt.g::geography) AS distance_m,
           (SELECT json_agg(json_build_object('code', p.party_code, 'share', NULL)
                            ORDER BY p.party_code)
              FROM control_observation_parties p WHERE p.observation_id = o.id) AS parties
      FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g) pt
      JOIN control_observations o
        ON ST_DWithin(o.geom, pt.g, :radius_deg)
       AND ST_DWithin(o.geom::geography, pt.g::geography, :radius_m)
      LEFT JOIN source_documents d ON d.id = o.source_document_id
     WHERE o.observed_on BETWEEN CAST(:day AS date) - :window AND CAST(:day AS date) + :window
       AND EXISTS (SELECT 1 FROM control_observation_parties p WHERE p.observation_id = o.id)
     ORDER BY abs(o.observed_on - CAST(:day AS date)), distance_m, o.id DESC
     LIMIT 1
    """
)


def _radius_degrees(lat: float, radius_m: float) -> float:
    """A degree distance at least ``radius_m`` in every direction at latitude ``lat``."""
    shrink = max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)
    return radius_m / (_METRES_PER_DEGREE * shrink)


def controlling_force_at(
    session: Session,
    lon: float,
    lat: float,
    day: dt.date,
    *,
    observation_radius_m: float = OBSERVATION_RADIUS_M,
    observation_window_days: int = OBSERVATION_WINDOW_DAYS,
) -> ControlAnswer | None:
    """The parties holding (lon, lat) on ``day``, from a zone or else a nearby observation."""
    row = session.execute(_ZONE_AT_SQL, {"lon": lon, "lat": lat, "day": day}).mappings().first()
    if row is not None:
        reference = row["observed_on"] or row["valid_from"]
        return ControlAnswer(
            method="zone",
            parties=_parties(row["parties"]),
            evidence_age_days=abs((day - reference).days),
            zone_id=row["id"],
            label=row["label"],
            source=row["source"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            observed_on=row["observed_on"],
        )
    row = (
        session.execute(
            _OBSERVATION_NEAR_SQL,
            {
                "lon": lon,
                "lat": lat,
                "day": day,
                "radius_m": observation_radius_m,
                "radius_deg": _radius_degrees(lat, observation_radius_m),
                "window": observation_window_days,
            },
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    return ControlAnswer(
        method="observation",
        parties=_parties(row["parties"]),
        evidence_age_days=abs((day - row["observed_on"]).days),
        observation_id=row["id"],
        label=row["statement"],
        source=row["source"],
        observed_on=row["observed_on"],
        distance_m=round(float(row["distance_m"]), 1),
    )


def record_observation(
    session: Session,
    *,
    lon: float,
    lat: float,
    observed_on: dt.date,
    statement: str,
    party_codes: Iterable[str],
    source_document_id: int | None = None,
    provenance_span_id: int | None = None,
    incident_id: int | None = None,
    place_id: int | None = None,
) -> ControlObservation:
    """Store a dated control statement ("the area, held by the SDF, ...") with its parties.

    Party codes must exist in ``parties`` (the foreign key says so at flush time).
    """
    codes = sorted(set(party_codes))
    observation = ControlObservation(
        geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID),
        observed_on=observed_on,
        place_id=place_id,
        statement=statement,
        source_document_id=source_document_id,
        provenance_span_id=provenance_span_id,
        incident_id=incident_id,
    )
    observation.parties = [ControlObservationParty(party_code=code) for code in codes]
    session.add(observation)
    session.flush()
    return observation


# --- Zones valid on a date (GeoJSON now, vector tiles later) ----------------------------


def envelope(xmin: float, ymin: float, xmax: float, ymax: float) -> ColumnElement[Any]:
    """A lon/lat bounding box as a SRID 4326 polygon expression (values are bound)."""
    return func.ST_MakeEnvelope(xmin, ymin, xmax, ymax, SRID)


def zones_valid_on(day: dt.date, area: ColumnElement[Any] | None = None) -> Select[Any]:
    """Select the zones valid on ``day`` (optionally intersecting ``area``, SRID 4326).

    Columns: id, label, source, derivation, valid_from, valid_to, observed_on, parties (JSON
    list of {code, share}), geom. The tile layer wraps this select and clips ``geom`` itself
    (pass ``ST_Transform(ST_TileEnvelope(z, x, y), 4326)`` as ``area``).
    """
    parties = (
        select(
            func.json_agg(
                func.json_build_object(
                    "code", ControlZoneParty.party_code, "share", ControlZoneParty.share
                )
            )
        )
        .where(ControlZoneParty.zone_id == ControlZone.id)
        .scalar_subquery()
    )
    query = select(
        ControlZone.id,
        ControlZone.label,
        ControlZone.source,
        ControlZone.derivation,
        ControlZone.valid_from,
        ControlZone.valid_to,
        ControlZone.observed_on,
        parties.label("parties"),
        ControlZone.geom,
    ).where(ControlZone.valid_during.op("@>")(literal(day, Date)))
    if area is not None:
        query = query.where(func.ST_Intersects(ControlZone.geom, area))
    return query.order_by(ControlZone.valid_from, ControlZone.id)


def zones_geojson(
    session: Session,
    day: dt.date,
    bbox: tuple[float, float, float, float] | None = None,
    *,
    simplify_degrees: float = 0.0,
) -> dict[str, Any]:
    """The zones valid on ``day`` as a GeoJSON FeatureCollection (clipped to ``bbox``)."""
    area = envelope(*bbox) if bbox is not None else None
    inner = zones_valid_on(day, area).subquery()
    geom: ColumnElement[Any] = inner.c.geom
    if area is not None:
        geom = func.ST_Intersection(geom, area)
    if simplify_degrees > 0:
        geom = func.ST_SimplifyPreserveTopology(geom, simplify_degrees)
    rows = session.execute(
        select(
            inner.c.id,
            inner.c.label,
            inner.c.source,
            inner.c.derivation,
            inner.c.valid_from,
            inner.c.valid_to,
            inner.c.observed_on,
            inner.c.parties,
            func.ST_AsGeoJSON(geom, 5).label("geojson"),
        )
    ).mappings()
    features = []
    for row in rows:
        features.append(
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": json.loads(row["geojson"]),
                "properties": {
                    "id": row["id"],
                    "label": row["label"],
                    "source": row["source"],
                    "derivation": row["derivation"],
                    "valid_from": row["valid_from"].isoformat(),
                    "valid_to": row["valid_to"].isoformat() if row["valid_to"] else None,
                    "observed_on": row["observed_on"].isoformat() if row["observed_on"] else None,
                    "parties": [
                        {
                            "code": p["code"],
                            "share": None if p["share"] is None else float(p["share"]),
                        }
                        for p in sorted(
                            row["parties"] or (),
                            key=lambda p: (-(p["share"] or 0), p["code"]),
                        )
                    ],
                },
            }
        )
    return {"type": "FeatureCollection", "date": day.isoformat(), "features": features}


# --- Incidents --------------------------------------------------------------------------

# One set-based statement: for each target incident the best zone (same ordering as
# controlling_force_at, one GiST probe per incident through LATERAL), else the best nearby
# observation, then categories compared as arrays. :ids NULL means every incident. The party
# codes are also stored as text (control_reported/control_mapped) for tiles and popups, so
# every writer of incident_reported_control must call this afterwards (the loaders do).
_REFRESH_SQL = text(
    """
    WITH target AS (
        SELECT i.id, i.geom, i.date_start
          FROM incidents i
         WHERE (CAST(:all_incidents AS boolean) OR i.id = ANY(CAST(:ids AS bigint[])))
    ),
    zone_pick AS (
        SELECT t.id AS incident_id, t.geom, t.date_start, z.id AS zone_id,
               abs(t.date_start - COALESCE(z.observed_on, z.valid_from)) AS zone_age
          FROM target t
          LEFT JOIN LATERAL (
                SELECT z.id, z.observed_on, z.valid_from
                  FROM control_zones z
                 WHERE t.geom IS NOT NULL
                   AND ST_Intersects(z.geom, t.geom)
                   AND z.valid_during @> t.date_start
                 ORDER BY z.valid_from DESC, COALESCE(z.observed_on, z.valid_from) DESC,
                          z.id DESC
                 LIMIT 1) z ON true
    ),
    pick AS (
        SELECT zp.incident_id, zp.zone_id, zp.zone_age, o.id AS observation_id,
               abs(zp.date_start - o.observed_on) AS observation_age
          FROM zone_pick zp
          LEFT JOIN LATERAL (
                SELECT o.id, o.observed_on
                  FROM control_observations o
                 WHERE zp.zone_id IS NULL AND zp.geom IS NOT NULL
                   AND ST_DWithin(o.geom, zp.geom, :radius_m
                                  / (:m_per_deg * GREATEST(cos(radians(ST_Y(zp.geom))), 0.01)))
                   AND ST_DWithin(o.geom::geography, zp.geom::geography, :radius_m)
                   AND o.observed_on BETWEEN zp.date_start - :window AND zp.date_start + :window
                   AND EXISTS (SELECT 1 FROM control_observation_parties p
                                WHERE p.observation_id = o.id)
                 ORDER BY abs(o.observed_on - zp.date_start),
                          ST_Distance(o.geom::geography, zp.geom::geography), o.id DESC
                 LIMIT 1) o ON true
    ),
    categories AS (
        SELECT pick.*,
               (SELECT string_agg(r.party_code, ',' ORDER BY r.party_code)
                  FROM incident_reported_control r
                 WHERE r.incident_id = pick.incident_id) AS reported_codes,
               CASE WHEN pick.zone_id IS NOT NULL THEN
                    (SELECT string_agg(zp.party_code, ',' ORDER BY zp.party_code)
                       FROM control_zone_parties zp WHERE zp.zone_id = pick.zone_id)
                    WHEN pick.observation_id IS NOT NULL THEN
                    (SELECT string_agg(op.party_code, ',' ORDER BY op.party_code)
                       FROM control_observation_parties op
                      WHERE op.observation_id = pick.observation_id)
               END AS mapped_codes,
               (SELECT array_agg(DISTINCT COALESCE(pt.parent_code, pt.code))
                  FROM incident_reported_control r JOIN parties pt ON pt.code = r.party_code
                 WHERE r.incident_id = pick.incident_id) AS reported,
               CASE WHEN pick.zone_id IS NOT NULL THEN
                    (SELECT array_agg(DISTINCT COALESCE(pt.parent_code, pt.code))
                       FROM control_zone_parties zp JOIN parties pt ON pt.code = zp.party_code
                      WHERE zp.zone_id = pick.zone_id)
                    WHEN pick.observation_id IS NOT NULL THEN
                    (SELECT array_agg(DISTINCT COALESCE(pt.parent_code, pt.code))
                       FROM control_observation_parties op
                       JOIN parties pt ON pt.code = op.party_code
                      WHERE op.observation_id = pick.observation_id)
               END AS mapped
          FROM pick
    )
    UPDATE incidents i
       SET control_zone_id = c.zone_id,
           control_observation_id = CASE WHEN c.zone_id IS NULL THEN c.observation_id END,
           control_method = CASE
                WHEN c.zone_id IS NOT NULL THEN 'zone'
                WHEN c.observation_id IS NOT NULL THEN 'observation'
                WHEN c.reported IS NOT NULL THEN 'as_reported' END,
           control_evidence_age_days = CASE
                WHEN c.zone_id IS NOT NULL THEN c.zone_age
                WHEN c.observation_id IS NOT NULL THEN c.observation_age END,
           control_disagrees = CASE
                WHEN c.reported IS NULL OR c.mapped IS NULL THEN NULL
                ELSE NOT (c.reported && c.mapped) END,
           control_reported = c.reported_codes,
           control_mapped = c.mapped_codes
      FROM categories c
     WHERE i.id = c.incident_id
       AND (i.control_zone_id, i.control_observation_id, i.control_method,
            i.control_evidence_age_days, i.control_disagrees, i.control_reported,
            i.control_mapped)
           IS DISTINCT FROM
           (c.zone_id, CASE WHEN c.zone_id IS NULL THEN c.observation_id END,
            CASE WHEN c.zone_id IS NOT NULL THEN 'zone'
                 WHEN c.observation_id IS NOT NULL THEN 'observation'
                 WHEN c.reported IS NOT NULL THEN 'as_reported' END,
            CASE WHEN c.zone_id IS NOT NULL THEN c.zone_age
                 WHEN c.observation_id IS NOT NULL THEN c.observation_age END,
            CASE WHEN c.reported IS NULL OR c.mapped IS NULL THEN NULL
                 ELSE NOT (c.reported && c.mapped) END,
            c.reported_codes, c.mapped_codes)
    """
)


def refresh_incident_control(session: Session, incident_ids: Iterable[int] | None = None) -> int:
    """Store the control zone/observation of their date on incidents; returns rows changed.

    ``incident_ids`` None refreshes every incident (after zones change); pass the ids just
    ingested otherwise. Rows whose answer did not change are not rewritten.
    """
    ids = None if incident_ids is None else sorted({int(i) for i in incident_ids})
    if ids is not None and not ids:
        return 0
    result = session.execute(
        _REFRESH_SQL,
        {
            "all_incidents": ids is None,
            "ids": ids or [],
            "radius_m": OBSERVATION_RADIUS_M,
            "m_per_deg": _METRES_PER_DEGREE,
            "window": OBSERVATION_WINDOW_DAYS,
        },
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        # Incident tiles and caches show the control fields: they must see the change.
        bump(session, "incidents")
    return changed


@dataclass(frozen=True)
class Disagreement:
    incident_id: int
    date_start: dt.date
    place_text: str | None
    admin3_pcode: str | None
    reported: tuple[str, ...]
    mapped: tuple[str, ...]
    control_method: str
    control_zone_id: int | None
    control_observation_id: int | None
    evidence_age_days: int | None


def control_disagreements(
    session: Session,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    admin_pcode: str | None = None,
    limit: int = 1000,
    offset: int = 0,
    precise: bool = False,
) -> list[Disagreement]:
    """Incidents whose report names a controlling force the map does not (control_disagrees).

    Run :func:`refresh_incident_control` first; this reads the stored verdicts. Without
    ``precise`` (the public view) a sensitive incident's place name is withheld, as in every
    other public output, and so are the ids of the zone and observation found at its true
    point: the published zone polygon, or an observation's point and radius, would narrow
    it down below the sub-district.
    """
    clauses = ["i.control_disagrees"]
    params: dict[str, Any] = {"limit": limit, "offset": offset, "precise": precise}
    if date_from is not None:
        clauses.append("i.date_start >= :date_from")
        params["date_from"] = date_from
    if date_to is not None:
        clauses.append("i.date_start <= :date_to")
        params["date_to"] = date_to
    if admin_pcode is not None:
        clauses.append(
            "(i.admin1_pcode = :pcode OR i.admin2_pcode = :pcode OR i.admin3_pcode = :pcode)"
        )
        params["pcode"] = admin_pcode
    sql = text(
        """
        SELECT i.id, i.date_start,
               CASE WHEN i.sensitive AND NOT CAST(:precise AS boolean) THEN NULL
                    ELSE i.place_text END AS place_text,
               i.admin3_pcode, i.control_method,
               CASE WHEN i.sensitive AND NOT CAST(:precise AS boolean) THEN NULL
                    ELSE i.control_zone_id END AS control_zone_id,
               CASE WHEN i.sensitive AND NOT CAST(:precise AS boolean) THEN NULL
                    ELSE i.control_observation_id END AS control_observation_id,
               i.control_evidence_age_days,
               ARRAY(SELECT r.party_code FROM incident_reported_control r
                      WHERE r.incident_id = i.id ORDER BY 1) AS reported,
               COALESCE(
                 ARRAY(SELECT p.party_code FROM control_zone_parties p
                        WHERE p.zone_id = i.control_zone_id ORDER BY 1),
                 '{}') ||
               ARRAY(SELECT p.party_code FROM control_observation_parties p
                      WHERE p.observation_id = i.control_observation_id ORDER BY 1) AS mapped
          FROM incidents i
         WHERE """
        + " AND ".join(clauses)
        + " ORDER BY i.date_start, i.id LIMIT :limit OFFSET :offset"
    )
    return [
        Disagreement(
            incident_id=row["id"],
            date_start=row["date_start"],
            place_text=row["place_text"],
            admin3_pcode=row["admin3_pcode"],
            reported=tuple(row["reported"]),
            mapped=tuple(row["mapped"]),
            control_method=row["control_method"],
            control_zone_id=row["control_zone_id"],
            control_observation_id=row["control_observation_id"],
            evidence_age_days=row["control_evidence_age_days"],
        )
        for row in session.execute(sql, params).mappings()
    ]
