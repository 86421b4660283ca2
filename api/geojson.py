"""GeoJSON serialisation and validation shared by the incident, export and OGC routes.

Geometries arrive from PostGIS already serialised by ``ST_AsGeoJSON`` (SRID 4326, so the
coordinates are lon/lat as RFC 7946 wants) and are spliced into the output as text: parsing
them into Python objects only to print them again would double the cost of a large export.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from fastapi.responses import JSONResponse

from api.errors import Problem

GEOJSON_MEDIA_TYPE = "application/geo+json"

#: Six decimals of a degree is about 0.1 m: finer digits only add bytes, not information.
COORDINATE_DECIMALS = 6

#: A search polygon larger than this is refused (413) before it reaches the database.
MAX_SEARCH_VERTICES = 10_000

_SEARCH_TYPES = ("Polygon", "MultiPolygon")


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON_MEDIA_TYPE


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """Compact JSON; non-ASCII kept as is (Arabic place names stay readable); dates ISO 8601."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def feature_text(feature_id: Any, geometry_json: str | None, properties: Mapping[str, Any]) -> str:
    """One GeoJSON Feature as text, the geometry spliced in from ``ST_AsGeoJSON``."""
    return (
        '{"type":"Feature","id":'
        + dumps(feature_id)
        + ',"geometry":'
        + (geometry_json if geometry_json is not None else "null")
        + ',"properties":'
        + dumps(dict(properties))
        + "}"
    )


def feature_dict(
    feature_id: Any, geometry_json: str | None, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """One GeoJSON Feature as a dict (for small responses that add links or other members)."""
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": json.loads(geometry_json) if geometry_json is not None else None,
        "properties": dict(properties),
    }


def collection_text(features: Iterable[str], **members: Any) -> str:
    """A FeatureCollection from feature texts, with extra top-level members (links, counts)."""
    extra = "".join("," + dumps(key) + ":" + dumps(value) for key, value in members.items())
    return '{"type":"FeatureCollection"' + extra + ',"features":[' + ",".join(features) + "]}"


def _position_ok(position: Any) -> bool:
    if not isinstance(position, list) or len(position) not in (2, 3):
        return False
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
        return False
    if not all(math.isfinite(v) for v in position):
        return False
    lon, lat = position[0], position[1]
    return -180 <= lon <= 180 and -90 <= lat <= 90


def _check_rings(rings: Any, where: str) -> int:
    if not isinstance(rings, list) or not rings:
        raise Problem(422, f"{where}: a polygon is a non-empty list of linear rings")
    vertices = 0
    for index, ring in enumerate(rings):
        label = f"{where} ring {index}"
        if not isinstance(ring, list) or len(ring) < 4:
            raise Problem(422, f"{label}: a linear ring needs at least four positions")
        for position in ring:
            if not _position_ok(position):
                raise Problem(
                    422, f"{label}: positions are [longitude, latitude] numbers in WGS84 range"
                )
        if ring[0][:2] != ring[-1][:2]:
            raise Problem(422, f"{label}: ring is not closed (first and last positions differ)")
        vertices += len(ring)
        if vertices > MAX_SEARCH_VERTICES:
            raise Problem(
                413, f"geometry has more than {MAX_SEARCH_VERTICES} vertices; simplify it first"
            )
    return vertices


def check_search_geometry(geometry: Any) -> dict[str, Any]:
    """A GeoJSON Polygon or MultiPolygon, structurally checked (422) and bounded in size (413).

    Topological validity (self-intersections) is left to PostGIS, which names the problem.
    """
    if not isinstance(geometry, dict):
        raise Problem(422, "geometry: expected a GeoJSON object")
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
        if not isinstance(geometry, dict):
            raise Problem(422, "geometry: the Feature has no geometry")
    kind = geometry.get("type")
    if kind not in _SEARCH_TYPES:
        raise Problem(422, f"geometry: type must be Polygon or MultiPolygon, not {kind!r}")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        _check_rings(coordinates, "geometry: Polygon")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise Problem(422, "geometry: MultiPolygon: expected a non-empty list of polygons")
        vertices = 0
        for index, polygon in enumerate(coordinates):
            vertices += _check_rings(polygon, f"geometry: MultiPolygon polygon {index}")
            if vertices > MAX_SEARCH_VERTICES:
                raise Problem(
                    413,
                    f"geometry has more than {MAX_SEARCH_VERTICES} vertices; simplify it first",
                )
    return {"type": kind, "coordinates": coordinates}
