"""``GET /landmines/hotspots`` and ``/landmines/severity``: where landmines kill, and need.

Hotspots are GeoJSON by default; ``?format=csv`` or ``Accept: text/csv`` gives CSV (one row
per hotspot, its centroid as lon/lat). Anonymous callers get hotspots of the public incident
points (sensitive incidents on their sub-district); partner, editor and admin keys get them
from the true points, and those answers vary by key for caches. Answers are cached per app,
keyed on the whole query (its view included) and the data versions of the layers they read.
Every rule (which weapons, eps, hexagon size, hazard distance, score, cost) is documented
in :mod:`db.landmines`.

Cost bound: a dbscan or hex request may span at most ``Settings.hotspot_max_cells`` cells
(searched area / area of a hexagon or eps-disc); beyond it the answer is 413 problem+json
saying how large a box fits at that resolution and how coarse a resolution fits that box.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from shapely.geometry import shape
from sqlalchemy.orm import Session

from api.auth import Caller, current_caller, keyed_headers, sees_precise_locations
from api.errors import Problem
from api.routers.control import GEOJSON, parse_bbox
from db.landmines import (
    DBSCAN_EPS_M,
    DBSCAN_MIN_POINTS,
    HALF_LIFE_DAYS,
    HAZARD_DISTANCE_M,
    HEX_SIZE_M,
    Hotspot,
    HotspotQuery,
    cell_area_km2,
    hotspot_cells,
    hotspots,
    hotspots_geojson,
    severity_geojson,
)
from db.settings import Settings
from db.versions import current as current_versions

router = APIRouter(tags=["landmines"])

CSV_COLUMNS = (
    "rank",
    "id",
    "method",
    "incident_count",
    "killed",
    "killed_children",
    "killed_women",
    "injured",
    "first_date",
    "last_date",
    "hazard_areas",
    "score",
    "admin_pcode",
    "admin_name",
    "centroid_lon",
    "centroid_lat",
    "incident_ids",
)


def hotspots_csv(found: list[Hotspot]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for spot in found:
        centroid = shape(spot.geometry).centroid
        props = spot.properties()
        writer.writerow(
            [
                *(props[column] for column in CSV_COLUMNS[:14]),
                round(centroid.x, 6),
                round(centroid.y, 6),
                " ".join(str(i) for i in spot.incident_ids),
            ]
        )
    return buffer.getvalue()


@router.get(
    "/landmines/hotspots",
    summary="Ranked landmine/ERW hotspots (GeoJSON or CSV)",
    description=(
        f"method=dbscan (eps {DBSCAN_EPS_M:.0f} m, minpoints {DBSCAN_MIN_POINTS}, convex "
        f"hulls), hex (edge {HEX_SIZE_M:.0f} m) or admin (sub-district by default). Score: "
        "sum of precision weight x recency (half-life "
        f"{HALF_LIFE_DAYS:.0f} days) x (1 + killed + 0.5 x injured). Hazard areas within "
        f"{HAZARD_DISTANCE_M:.0f} m are counted.\n\n"
        "**Cost limit:** a dbscan or hex request may span at most "
        f"{Settings.model_fields['hotspot_max_cells'].default:,} cells by default "
        "(`ATHAR_HOTSPOT_MAX_CELLS`): the searched area (bbox, clipped to Syria and to the "
        "`admin` unit's extent; all of Syria without them) divided by the area of one "
        "hexagon of `hex_size` or one disc of radius `eps`. A request beyond it gets 413 "
        "with the largest box that fits at its resolution (`max_area_km2`) and the finest "
        "resolution that fits its box (`min_hex_size_m` / `min_eps_m`). Anonymous callers "
        "get hotspots of the public incident points; partner, editor and admin keys of the "
        "true points."
    ),
    response_class=JSONResponse,
    responses={
        200: {"content": {GEOJSON: {}, "text/csv": {}}},
        413: {"description": "Too many cells: smaller bbox or coarser hex_size/eps (problem)"},
        422: {"description": "Bad input"},
    },
)
def landmine_hotspots(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    method: Literal["dbscan", "hex", "admin"] = "dbscan",
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    admin: Annotated[
        str | None, Query(pattern=r"^SY([0-9]{2}){0,3}$", description="Admin P-code")
    ] = None,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    eps: Annotated[float, Query(gt=0, le=50_000, description="DBSCAN eps, m")] = DBSCAN_EPS_M,
    minpoints: Annotated[int, Query(ge=1, le=1000)] = DBSCAN_MIN_POINTS,
    hex_size: Annotated[float, Query(ge=100, le=100_000, description="Hex edge, m")] = HEX_SIZE_M,
    admin_level: Annotated[int, Query(ge=1, le=3)] = 3,
    as_of: Annotated[dt.date | None, Query(description="Recency reference date")] = None,
    include_ied: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    output_format: Annotated[Literal["geojson", "csv"] | None, Query(alias="format")] = None,
) -> Response:
    if date_from and date_to and date_from > date_to:
        raise Problem(422, "from is after to")
    query = HotspotQuery(
        method=method,
        bbox=parse_bbox(bbox),
        admin_pcode=admin,
        date_from=date_from,
        date_to=date_to,
        eps_m=eps,
        min_points=minpoints,
        hex_size_m=hex_size,
        admin_level=admin_level,
        as_of=as_of,
        include_ied=include_ied,
        limit=limit,
        precise=sees_precise_locations(caller),
    )
    # "Today" is resolved here so that a cached answer is never reused on another day.
    query = replace(query, as_of=query.reference_date)
    wants_csv = output_format == "csv" or (
        output_format is None and "text/csv" in request.headers.get("accept", "")
    )
    cache = _cache(request)
    with request.app.state.sessions() as session:
        versions = current_versions(session)
        key = (
            query,
            wants_csv,
            tuple(versions.get(layer, 0) for layer in ("incidents", "hazard_areas", "admin_units")),
        )
        body = cache.get(key)
        if body is None:
            # Only a miss is checked: a cached answer is one that passed (its key is the query).
            _check_cost(session, query, request.app.state.settings.hotspot_max_cells)
            found = hotspots(session, query)
            if wants_csv:
                body = hotspots_csv(found).encode("utf-8")
            else:
                body = json.dumps(
                    hotspots_geojson(found, query), ensure_ascii=False, separators=(",", ":")
                ).encode("utf-8")
            cache.put(key, body)
    headers = keyed_headers(caller)
    if wants_csv:
        headers["Content-Disposition"] = 'attachment; filename="landmine_hotspots.csv"'
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return Response(body, media_type=GEOJSON, headers=headers)


def _check_cost(session: Session, query: HotspotQuery, limit: int) -> None:
    """413 when the request spans more cells than ``limit``, saying how to fit under it."""
    spanned = hotspot_cells(session, query) if limit > 0 else None
    if spanned is None or spanned[0] <= limit:
        return
    cells, area = spanned
    cell = cell_area_km2(query)
    assert cell is not None
    # Finest resolution for this area: cell area >= area / limit, solved for the length.
    if query.method == "hex":
        name, what, unit = "hex_size", f"hexagons of {query.hex_size_m:g} m", 3 * math.sqrt(3) / 2
    else:
        name, what, unit = "eps", f"discs of eps {query.eps_m:g} m", math.pi
    finest_m = math.ceil(1000 * math.sqrt(area / (limit * unit)))
    largest_km2 = math.floor(limit * cell)
    finest: dict[str, Any] = {f"min_{name}_m": finest_m}
    count = f"about {cells:,.0f}" if math.isfinite(cells) else "countless"
    raise Problem(
        413,
        f"this request spans {count} {what} over {area:,.0f} km², more than the "
        f"limit of {limit:,} cells: use a bbox of at most {largest_km2:,} km² at this "
        f"resolution, or {name} of at least {finest_m:,} m for this area",
        title="Request too large",
        max_cells=limit,
        cells=math.ceil(cells) if math.isfinite(cells) else None,
        area_km2=round(area, 1),
        max_area_km2=largest_km2,
        **finest,
    )


class HotspotCache:
    """A small LRU of rendered hotspot answers, per app.

    Keys carry the data versions of the layers read (``incidents``, ``hazard_areas``,
    ``admin_units``; bumped by every writer in the same transaction), so an answer is never
    served after a committed change. Whole-country clustering takes about half a second on
    200,000 incidents; the web map asks the same question at every stop of its time slider.
    """

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _cache(request: Request) -> HotspotCache:
    cache = getattr(request.app.state, "hotspot_cache", None)
    if cache is None:
        cache = request.app.state.hotspot_cache = HotspotCache()
    return cache


@router.get(
    "/landmines/severity",
    summary="HNO 2023 mine-action severity and people in need by sub-district (GeoJSON)",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}}},
)
def landmine_severity(
    request: Request,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
) -> JSONResponse:
    box = parse_bbox(bbox)
    with request.app.state.sessions() as session:
        layer = severity_geojson(session, bbox=box)
    return JSONResponse(layer, media_type=GEOJSON)
