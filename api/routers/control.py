"""``GET /control``, ``/control/zones``, ``/control/disagreements``: who held a place when.

Coordinates are WGS84 longitude/latitude; dates are ISO ``YYYY-MM-DD``. Errors are
``application/problem+json``: 422 for out-of-range coordinates, impossible dates or a bad
bbox, 404 when no zone or observation is known for the point and date.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Caller, current_caller, keyed_headers, sees_precise_locations
from api.errors import Problem
from db.control import (
    OBSERVATION_RADIUS_M,
    OBSERVATION_WINDOW_DAYS,
    control_disagreements,
    controlling_force_at,
    zones_geojson,
)
from db.queries import MAX_OFFSET

router = APIRouter(tags=["control"])
GEOJSON = "application/geo+json"


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` in degrees, or a 422 problem."""
    if value is None or not value.strip():
        return None
    try:
        parts = tuple(float(part) for part in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise Problem(422, "bbox must be minlon,minlat,maxlon,maxlat (four numbers)")
    xmin, ymin, xmax, ymax = parts
    if not (-180 <= xmin < xmax <= 180 and -90 <= ymin < ymax <= 90):
        raise Problem(422, "bbox is out of range or empty (minlon < maxlon, minlat < maxlat)")
    return xmin, ymin, xmax, ymax


@router.get(
    "/control",
    summary="Who controlled a point on a date",
    description=(
        "The parties holding the point (with shares for mixed control), the zone or "
        "observation the answer comes from, the method (`zone` or `observation`) and the "
        "evidence age in days. Zones win; otherwise the nearest dated observation within "
        f"{OBSERVATION_RADIUS_M:.0f} m and {OBSERVATION_WINDOW_DAYS} days is used."
    ),
    responses={404: {"description": "Nothing known"}, 422: {"description": "Bad input"}},
)
def control_at(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude (WGS84)")],
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude (WGS84)")],
    date: Annotated[dt.date, Query(description="Day, YYYY-MM-DD")],
) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        answer = controlling_force_at(session, lon, lat, date)
    if answer is None:
        raise Problem(
            404,
            "no control zone covers this point on this date and no observation is near enough",
            title="Control unknown",
        )
    return {"lon": lon, "lat": lat, "date": date.isoformat(), **answer.as_dict()}


@router.get(
    "/control/zones",
    summary="Control zones valid on a date (GeoJSON)",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}}, 422: {"description": "Bad input"}},
)
def control_zones(
    request: Request,
    date: Annotated[dt.date, Query(description="Day, YYYY-MM-DD")],
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat; zones are clipped to it")
    ] = None,
    simplify: Annotated[
        float, Query(ge=0, le=0.1, description="Simplification tolerance in degrees")
    ] = 0.0,
) -> JSONResponse:
    box = parse_bbox(bbox)
    with request.app.state.sessions() as session:
        collection = zones_geojson(session, date, box, simplify_degrees=simplify)
    return JSONResponse(collection, media_type=GEOJSON)


@router.get(
    "/control/disagreements",
    summary="Incidents whose report names a different controlling force than the zones",
    description=(
        "A sensitive incident's `place` is withheld from anonymous callers (as in every "
        "public output) and shown to partner, editor and admin keys."
    ),
)
def disagreements(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    admin: Annotated[str | None, Query(pattern=r"^SY([0-9]{2}){0,3}$")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSONResponse:
    with request.app.state.sessions() as session:
        rows = control_disagreements(
            session,
            date_from=date_from,
            date_to=date_to,
            admin_pcode=admin,
            limit=limit,
            offset=offset,
            precise=sees_precise_locations(caller),
        )
    body = {
        "items": [
            {
                "incident_id": row.incident_id,
                "date": row.date_start.isoformat(),
                "place": row.place_text,
                "admin3_pcode": row.admin3_pcode,
                "reported": list(row.reported),
                "mapped": list(row.mapped),
                "method": row.control_method,
                "zone_id": row.control_zone_id,
                "observation_id": row.control_observation_id,
                "evidence_age_days": row.evidence_age_days,
            }
            for row in rows
        ]
    }
    return JSONResponse(body, headers=keyed_headers(caller))
