"""Query parameters shared by every incident route (queries, tiles, exports, statistics).

One FastAPI dependency turns the query string into a :class:`db.queries.IncidentFilter`, so
``/incidents``, ``/tiles/incidents/...``, exports and ``/stats`` accept the same filters with
the same validation. Lists are comma-separated (``weapon=landmine,erw``) or repeated.
:func:`caller_incident_filter` adds the caller's view: partner, editor and admin keys filter
on the true points of sensitive incidents, everyone else on their public points.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query

from api.auth import Caller, current_caller, sees_precise_locations
from api.errors import Problem
from db.parties import load_party_taxonomy
from db.queries import BBox, IncidentFilter
from db.vocab import FACILITIES, VICTIM_CATEGORIES, WEAPONS

ADMIN_PCODE = re.compile(r"^SY[0-9]{2}([0-9]{2}){0,2}$")
MAX_RADIUS_KM = 500.0


def split_list(values: list[str] | None) -> tuple[str, ...]:
    """``["a,b", "c"]`` -> ``("a", "b", "c")``: both list styles, blanks dropped."""
    if not values:
        return ()
    items = (item.strip() for value in values for item in value.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


def _checked(name: str, values: tuple[str, ...], allowed: set[str] | tuple[str, ...]) -> None:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise Problem(
            422,
            f"{name}: unknown value(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
        )


def parse_bbox(text: str | None) -> BBox | None:
    """``minlon,minlat,maxlon,maxlat`` in WGS84, validated (422 problem when malformed)."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise Problem(422, "bbox: expected four numbers minlon,minlat,maxlon,maxlat")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    except ValueError:
        raise Problem(422, "bbox: expected four numbers minlon,minlat,maxlon,maxlat") from None
    values = (min_lon, min_lat, max_lon, max_lat)
    if any(value != value for value in values):
        raise Problem(422, "bbox: NaN is not a coordinate")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise Problem(422, "bbox: longitudes must be within -180..180")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise Problem(422, "bbox: latitudes must be within -90..90")
    if min_lon > max_lon or min_lat > max_lat:
        raise Problem(422, "bbox: min values must not exceed max values")
    return values


def incident_filter(
    date_from: Annotated[
        dt.date | None, Query(description="First day (inclusive), YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[
        dt.date | None, Query(description="Last day (inclusive), YYYY-MM-DD.")
    ] = None,
    perpetrator: Annotated[
        list[str] | None, Query(description="Party codes (category or subcategory).")
    ] = None,
    weapon: Annotated[list[str] | None, Query(description="Weapon codes.")] = None,
    victim_category: Annotated[
        list[str] | None, Query(description="medical, civil_defense, media, aid_worker.")
    ] = None,
    facility: Annotated[list[str] | None, Query(description="Facility codes.")] = None,
    massacre: Annotated[bool | None, Query(description="Five or more civilians killed.")] = None,
    admin: Annotated[
        str | None, Query(description="OCHA P-code of a governorate, district or sub-district.")
    ] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS84).")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Centre latitude.")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180, description="Centre longitude.")] = None,
    radius_km: Annotated[
        float | None, Query(gt=0, le=MAX_RADIUS_KM, description="Radius around lat/lon, km.")
    ] = None,
    controlling_force: Annotated[
        list[str] | None,
        Query(description="Party codes in control at the time (mapped zone or as reported)."),
    ] = None,
) -> IncidentFilter:
    parties = set(load_party_taxonomy().parties)
    perpetrators = split_list(perpetrator)
    _checked("perpetrator", perpetrators, parties)
    weapons = split_list(weapon)
    _checked("weapon", weapons, WEAPONS)
    categories = split_list(victim_category)
    _checked("victim_category", categories, VICTIM_CATEGORIES)
    facilities = split_list(facility)
    _checked("facility", facilities, FACILITIES)
    controlling = split_list(controlling_force)
    _checked("controlling_force", controlling, parties)
    if admin is not None and not ADMIN_PCODE.match(admin):
        raise Problem(422, "admin: expected an OCHA P-code such as SY07, SY0703 or SY070301")
    if date_from and date_to and date_from > date_to:
        raise Problem(422, "date_from must not be after date_to")
    near = None
    given = [value is not None for value in (lat, lon, radius_km)]
    if any(given):
        if not all(given):
            raise Problem(422, "lat, lon and radius_km go together")
        assert lat is not None and lon is not None and radius_km is not None
        near = (lon, lat, radius_km)
    return IncidentFilter(
        date_from=date_from,
        date_to=date_to,
        perpetrators=perpetrators,
        weapons=weapons,
        victim_categories=categories,
        facilities=facilities,
        massacre=massacre,
        admin_pcode=admin,
        bbox=parse_bbox(bbox),
        near=near,
        controlling_parties=controlling,
    )


def caller_incident_filter(
    query: Annotated[IncidentFilter, Depends(incident_filter)],
    caller: Annotated[Caller, Depends(current_caller)],
) -> IncidentFilter:
    """The query's filter in the caller's view: partners and up search the true points."""
    return replace(query, precise=sees_precise_locations(caller))
