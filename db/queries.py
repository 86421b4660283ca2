"""Incident filters and the public view of an incident, shared by queries, tiles and exports.

Every consumer (``/incidents``, vector tiles, PMTiles, exports, statistics, OGC API Features)
builds its WHERE clause from one :class:`IncidentFilter`, so a filter means the same thing
everywhere and values are always bound parameters, never formatted into SQL.

No view of an incident ever carries personal data: no names, no evidence sentences (they
quote victims' names). The public view moves incidents flagged ``sensitive`` to a point on
their sub-district and withholds their place name and P-code, so a precise location is not
disclosed; the precise view (partners, editors, admins) shows the true point, place and
location precision. Both views have the same columns, so every output has one schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from db.models import (
    SRID,
    ControlZoneParty,
    Incident,
    IncidentReportedControl,
    SourceDocument,
)

# Ids are bigint: a larger number names no row, and PostgreSQL would refuse it as a value,
# so routes answer 4xx before it reaches the database.
MAX_BIGINT = 2**63 - 1
#: The largest OFFSET the API accepts (a page that far in is a client error, not a query).
MAX_OFFSET = 2**31 - 1

# Axis order everywhere: (min lon, min lat, max lon, max lat), as in GeoJSON and OGC bbox.
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class IncidentFilter:
    """What a client may ask for; empty tuples and ``None`` mean "no condition"."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    perpetrators: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    victim_categories: tuple[str, ...] = ()
    facilities: tuple[str, ...] = ()
    massacre: bool | None = None
    admin_pcode: str | None = None
    bbox: BBox | None = None
    near: tuple[float, float, float] | None = None  # lon, lat, radius in km
    within_geojson: str | None = None  # a GeoJSON geometry (SRID 4326) as text
    controlling_parties: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("published",)
    # Partners may search true locations; everyone else searches where the public sees them.
    precise: bool = False
    include_synthetic: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def cache_key(self) -> str:
        """A short stable key of the normalised filter, for tile and response caches."""
        # Every tile asks for it, and a map asks with the same few filters over and over;
        # equal filters (``extra`` is left out of equality) have equal keys. A search
        # polygon (up to 10,000 vertices, any caller) is never kept: it would pin its text.
        if self.within_geojson is not None:
            return _filter_cache_key.__wrapped__(self)
        return _filter_cache_key(self)

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on ``incidents`` (alias-free), AND-ed by the caller."""
        where: list[ColumnElement[bool]] = []
        located = Incident.geom if self.precise else Incident.public_geom
        if self.statuses:
            where.append(Incident.status.in_(self.statuses))
        if self.date_from is not None:
            where.append(Incident.date_start >= self.date_from)
        if self.date_to is not None:
            where.append(Incident.date_start <= self.date_to)
        if self.perpetrators:
            where.append(
                or_(
                    Incident.perpetrator_category.in_(self.perpetrators),
                    Incident.perpetrator_subcategory.in_(self.perpetrators),
                )
            )
        if self.weapons:
            where.append(Incident.weapon.in_(self.weapons))
        if self.victim_categories:
            where.append(
                Incident.victim_categories.overlap(cast(list(self.victim_categories), ARRAY(Text)))
            )
        if self.facilities:
            where.append(Incident.facility.in_(self.facilities))
        if self.massacre is not None:
            where.append(Incident.massacre.is_(self.massacre))
        if self.admin_pcode:
            column = {
                4: Incident.admin1_pcode,
                6: Incident.admin2_pcode,
                8: Incident.admin3_pcode,
            }.get(len(self.admin_pcode))
            where.append(column == self.admin_pcode if column is not None else false())
        if self.bbox is not None:
            # ST_MakeEnvelope + && lets the GiST index on geom do the work.
            envelope = func.ST_MakeEnvelope(*self.bbox, SRID)
            where.append(located.op("&&")(envelope))
            where.append(func.ST_Intersects(located, envelope))
        if self.near is not None:
            lon, lat, radius_km = self.near
            point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)
            # Metres on the spheroid via geography; ST_DWithin still uses the geometry index
            # through its bounding-box expansion.
            where.append(
                func.ST_DWithin(
                    cast(located, Geography(srid=SRID)),
                    cast(point, Geography(srid=SRID)),
                    radius_km * 1000.0,
                )
            )
        if self.within_geojson is not None:
            shape = func.ST_SetSRID(func.ST_GeomFromGeoJSON(self.within_geojson), SRID)
            where.append(func.ST_Intersects(located, shape))
        if self.controlling_parties:
            mapped = exists().where(
                ControlZoneParty.zone_id == Incident.control_zone_id,
                ControlZoneParty.party_code.in_(self.controlling_parties),
            )
            reported = exists().where(
                IncidentReportedControl.incident_id == Incident.id,
                IncidentReportedControl.party_code.in_(self.controlling_parties),
            )
            where.append(or_(mapped, reported))
        if not self.include_synthetic:
            where.append(
                ~exists().where(
                    SourceDocument.id == Incident.source_document_id,
                    SourceDocument.kind == "synthetic",
                )
            )
        return where

    def where(self) -> ColumnElement[bool]:
        conditions = self.conditions()
        return and_(true(), *conditions) if conditions else true()


@lru_cache(maxsize=4096)
def _filter_cache_key(incident_filter: IncidentFilter) -> str:
    normalised = {
        key: (sorted(value) if isinstance(value, tuple) and key != "bbox" else value)
        for key, value in asdict(incident_filter).items()
        if key != "extra"
    }
    blob = json.dumps(normalised, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def public_geometry() -> ColumnElement[Any]:
    """The incident point a public client may see: sensitive ones sit on their sub-district.

    A stored column (``public_geom``, kept by a trigger) rather than an expression, so that
    it has its own GiST index and filters on it never reveal a true location.
    """
    return Incident.public_geom.expression


def incident_geometry(precise: bool = False) -> ColumnElement[Any]:
    """The true point for the precise view, else :func:`public_geometry`."""
    return Incident.geom.expression if precise else public_geometry()


def public_location_precision() -> ColumnElement[Any]:
    return case(
        (Incident.sensitive.is_(true()), literal("subdistrict")),
        else_=Incident.location_precision,
    )


def public_incident_columns(precise: bool = False) -> list[ColumnElement[Any]]:
    """The attributes of an incident a client may see (popups, GeoJSON, CSV, tiles).

    ``precise`` gives the partners' view: a sensitive incident's place, place P-code and
    true location precision. Without it those are withheld or coarsened. The columns are the
    same either way, and neither view has a personal field.
    """
    if precise:
        place: ColumnElement[Any] = Incident.place_text.expression
        place_pcode: ColumnElement[Any] = Incident.place_pcode.expression
        precision: ColumnElement[Any] = Incident.location_precision.expression
    else:
        # A sensitive incident's place name would give away what its moved point hides.
        place = case((Incident.sensitive.is_(true()), None), else_=Incident.place_text)
        place_pcode = case((Incident.sensitive.is_(true()), None), else_=Incident.place_pcode)
        precision = public_location_precision()
    return [
        Incident.id.label("id"),
        func.to_char(Incident.date_start, "YYYY-MM-DD").label("date"),
        Incident.date_precision.label("date_precision"),
        func.to_char(Incident.event_time, "HH24:MI").label("time"),
        place.label("place"),
        Incident.governorate.label("governorate"),
        Incident.admin1_pcode.label("admin1_pcode"),
        Incident.admin2_pcode.label("admin2_pcode"),
        Incident.admin3_pcode.label("admin3_pcode"),
        place_pcode.label("place_pcode"),
        precision.label("location_precision"),
        Incident.perpetrator_category.label("perpetrator_category"),
        Incident.perpetrator_subcategory.label("perpetrator_subcategory"),
        Incident.weapon.label("weapon"),
        Incident.killed_total.label("killed_total"),
        Incident.killed_children.label("killed_children"),
        Incident.killed_women.label("killed_women"),
        Incident.injured.label("injured"),
        Incident.massacre.label("massacre"),
        func.array_to_string(Incident.victim_categories, ",").label("victim_categories"),
        Incident.facility.label("facility"),
        Incident.controlling_force_text.label("controlling_force_reported"),
        # Stored by refresh_incident_control: no sub-query per incident in tiles or exports.
        Incident.control_reported.label("control_reported"),
        Incident.control_mapped.label("control_mapped"),
        Incident.control_method.label("control_method"),
        Incident.control_disagrees.label("control_disagrees"),
        Incident.source_document_id.label("source_document_id"),
    ]


#: Column names of :func:`public_incident_columns`, for TileJSON and export schemas.
PUBLIC_INCIDENT_FIELDS: Sequence[str] = tuple(
    column.key for column in public_incident_columns() if column.key is not None
)

#: Fields that must never appear in anything public (checked by tests of every output).
PERSONAL_FIELDS: frozenset[str] = frozenset(
    {"name", "names", "victim_name", "witness", "contact", "alias", "evidence", "quote"}
)
