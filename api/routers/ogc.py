"""OGC API - Features - Part 1: Core under ``/ogc``, so QGIS, ArcGIS and GDAL can add athar
as a feature source (QGIS: Layer ▸ Add Layer ▸ Add WFS / OGC API - Features Layer, URL
``http://host:8000/ogc``).

Collections: ``incidents``, ``landmines`` (incidents by landmine or ERW), ``hazard_areas``,
``control_zones`` (``datetime`` means "valid during", ``date`` "valid on") and
``admin_units``. Incidents are served through the same views as every other route: public
for anonymous callers, precise (sensitive incidents at their true point, searched there too)
for partner, editor and admin keys; their answers vary by key for caches.
Coordinates are CRS84 (WGS84 longitude, latitude), the only CRS Part 1 requires. As the
standard asks, invalid parameters answer 400 (as problem+json).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Caller, current_caller, keyed_headers, sees_precise_locations
from api.errors import Problem
from api.exports import incident_select
from api.filters import parse_bbox
from api.geojson import COORDINATE_DECIMALS, GEOJSON_MEDIA_TYPE, collection_text, dumps
from api.geojson import feature_text as geojson_feature_text
from db.extent import SYRIA_BOUNDS
from db.models import SRID, AdminUnit, ControlZone, ControlZoneParty, HazardArea, Incident
from db.queries import MAX_OFFSET, BBox, IncidentFilter

router = APIRouter(prefix="/ogc", tags=["ogc"])

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
JSON = "application/json"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
# Syria with a margin: the spatial extent every collection advertises.
SYRIA_BBOX = list(SYRIA_BOUNDS)

Interval = tuple[dt.date | None, dt.date | None]


# --- Parameters ----------------------------------------------------------------------------


def _bad_request(detail: str) -> Problem:
    return Problem(400, detail)


def ogc_bbox(text: str | None) -> BBox | None:
    """bbox as OGC API allows it: four numbers, or six (3D: the heights are ignored)."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    try:
        return parse_bbox(",".join(parts))
    except Problem as problem:
        # Part 1 wants 400 for a parameter with an invalid value.
        raise _bad_request(problem.detail) from None


def _date_part(text: str) -> dt.date | None:
    if text in ("", ".."):
        return None
    try:
        if "T" in text or "t" in text:
            return dt.datetime.fromisoformat(text.replace("z", "Z")).date()
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _bad_request(
            f"datetime: {text!r} is not an RFC 3339 date or date-time (e.g. 2021-03-31)"
        ) from None


def parse_datetime(text: str | None) -> Interval | None:
    """An instant or an interval (``a/b``, ``../b``, ``a/..``), at day resolution."""
    if text is None or text == "":
        return None
    if "/" in text:
        start_text, _, end_text = text.partition("/")
        if start_text in ("", "..") and end_text in ("", ".."):
            return None
        start, end = _date_part(start_text), _date_part(end_text)
    else:
        if text == "..":
            raise _bad_request("datetime: '..' is only allowed as one end of an interval")
        start = end = _date_part(text)
    if start is not None and end is not None and start > end:
        raise _bad_request("datetime: the interval starts after it ends")
    return start, end


# --- Collections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemQuery:
    bbox: BBox | None
    interval: Interval | None
    precise: bool = False  # the partners' view of incidents; other layers have one view


@dataclass(frozen=True)
class Layer:
    """One collection: how to select its features, count them and find one by id."""

    id: str
    title: str
    description: str
    select_features: Callable[[ItemQuery], Select[Any]]  # columns: feature_id, geometry_json, ...
    count_features: Callable[[ItemQuery], Select[Any]]
    feature_by_id: Callable[[str, bool], Select[Any] | None]  # (id, precise)
    temporal: Callable[[], Select[Any, Any]] | None = None
    keywords: tuple[str, ...] = field(default=())
    keyed: bool = False  # whether a key changes the features (precise incident locations)


def _envelope(bbox: BBox) -> ColumnElement[Any]:
    return func.ST_MakeEnvelope(*bbox, SRID)


def _spatial(geometry: Any, bbox: BBox | None) -> list[ColumnElement[bool]]:
    if bbox is None:
        return []
    envelope = _envelope(bbox)
    # && first: the GiST index finds candidates by bounding box, ST_Intersects decides.
    return [geometry.op("&&")(envelope), func.ST_Intersects(geometry, envelope)]


def _as_geojson(geometry: Any) -> ColumnElement[Any]:
    return func.ST_AsGeoJSON(geometry, COORDINATE_DECIMALS).label("geometry_json")


def _int_id(text: str) -> int | None:
    # Feature ids of integer tables: anything else cannot exist (404, not 400).
    return int(text) if text.isdigit() and len(text) < 19 else None


# Incidents and landmines: the shared incident filter and public view.


def _incident_layer(layer_id: str, title: str, description: str, weapons: tuple[str, ...]) -> Layer:
    base = IncidentFilter(weapons=weapons)

    def incident_filter(query: ItemQuery) -> IncidentFilter:
        start, end = query.interval or (None, None)
        return replace(base, bbox=query.bbox, date_from=start, date_to=end, precise=query.precise)

    def features(query: ItemQuery) -> Select[Any]:
        return incident_select(incident_filter(query), "geojson").add_columns(
            Incident.id.label("feature_id")
        )

    def count(query: ItemQuery) -> Select[Any]:
        return select(func.count()).select_from(Incident).where(incident_filter(query).where())

    def by_id(feature_id: str, precise: bool) -> Select[Any] | None:
        number = _int_id(feature_id)
        if number is None:
            return None
        return (
            incident_select(replace(base, precise=precise), "geojson")
            .add_columns(Incident.id.label("feature_id"))
            .where(Incident.id == number)
        )

    def temporal() -> Select[Any, Any]:
        return select(func.min(Incident.date_start), func.max(Incident.date_start)).where(
            base.where()
        )

    return Layer(layer_id, title, description, features, count, by_id, temporal, keyed=True)


def _simple_layer(
    layer_id: str,
    title: str,
    description: str,
    *,
    model: Any,
    id_column: Any,
    geometry: Any,
    properties: list[Any],
    order_by: list[Any],
    time_condition: Callable[[Interval], ColumnElement[bool]] | None = None,
    temporal: Callable[[], Select[Any, Any]] | None = None,
    integer_ids: bool = True,
) -> Layer:
    def conditions(query: ItemQuery) -> list[ColumnElement[bool]]:
        where = _spatial(geometry, query.bbox)
        if query.interval is not None and time_condition is not None:
            where.append(time_condition(query.interval))
        return where

    def features(query: ItemQuery) -> Select[Any]:
        return (
            select(id_column.label("feature_id"), _as_geojson(geometry), *properties)
            .where(true(), *conditions(query))
            .order_by(*order_by)
        )

    def count(query: ItemQuery) -> Select[Any]:
        return select(func.count()).select_from(model).where(true(), *conditions(query))

    def by_id(feature_id: str, precise: bool) -> Select[Any] | None:
        key: Any = feature_id
        if integer_ids:
            key = _int_id(feature_id)
            if key is None:
                return None
        return select(id_column.label("feature_id"), _as_geojson(geometry), *properties).where(
            id_column == key
        )

    return Layer(layer_id, title, description, features, count, by_id, temporal)


def _zone_parties() -> ColumnElement[Any]:
    return (
        select(func.string_agg(ControlZoneParty.party_code, ","))
        .where(ControlZoneParty.zone_id == ControlZone.id)
        .scalar_subquery()
        .label("parties")
    )


def _zone_valid_during(interval: Interval) -> ColumnElement[bool]:
    start, end = interval
    # NULL bounds make an unbounded range, which is what an open interval ("../2021-03-31")
    # means; && on the generated range column is served by the (geom, valid_during) index.
    return ControlZone.valid_during.op("&&")(func.daterange(start, end, "[]"))


def _reported_on(interval: Interval) -> ColumnElement[bool]:
    start, end = interval
    where: list[ColumnElement[bool]] = [HazardArea.reported_on.is_not(None)]
    if start is not None:
        where.append(HazardArea.reported_on >= start)
    if end is not None:
        where.append(HazardArea.reported_on <= end)
    return and_(*where)


LAYERS: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        _incident_layer(
            "incidents",
            "Incidents",
            "Documented incidents of civilian harm: date, place, perpetrator, weapon, "
            "victims, facility and the force in control. Sensitive locations are moved to "
            "their sub-district.",
            (),
        ),
        _incident_layer(
            "landmines",
            "Landmine and ERW incidents",
            "Incidents caused by landmines or explosive remnants of war.",
            ("landmine", "erw"),
        ),
        _simple_layer(
            "hazard_areas",
            "Hazard areas",
            "Suspected and confirmed hazardous areas (IMSMA-like attributes); datetime "
            "filters on the date reported.",
            model=HazardArea,
            id_column=HazardArea.id,
            geometry=HazardArea.geom,
            properties=[
                HazardArea.hazard_code,
                HazardArea.name,
                HazardArea.hazard_type,
                HazardArea.status,
                HazardArea.closure_reason,
                func.array_to_string(HazardArea.contamination, ",").label("contamination"),
                func.array_to_string(HazardArea.device_types, ",").label("device_types"),
                HazardArea.area_m2,
                HazardArea.reported_on,
                HazardArea.surveyed_on,
                HazardArea.closed_on,
                HazardArea.admin1_pcode,
                HazardArea.admin2_pcode,
                HazardArea.admin3_pcode,
                HazardArea.community_pcode,
                HazardArea.organisation,
                HazardArea.source,
            ],
            order_by=[HazardArea.id],
            time_condition=_reported_on,
            temporal=lambda: select(
                func.min(HazardArea.reported_on), func.max(HazardArea.reported_on)
            ),
        ),
        _simple_layer(
            "control_zones",
            "Control zones",
            "Areas held by one or more parties during a period (valid_to empty = still "
            "valid). datetime selects the zones valid during that instant or interval; "
            "date=YYYY-MM-DD the zones valid on that day.",
            model=ControlZone,
            id_column=ControlZone.id,
            geometry=ControlZone.geom,
            properties=[
                ControlZone.label,
                _zone_parties(),
                ControlZone.valid_from,
                ControlZone.valid_to,
                ControlZone.derivation,
                ControlZone.observed_on,
                ControlZone.admin3_pcode,
                ControlZone.source,
            ],
            order_by=[ControlZone.valid_from, ControlZone.id],
            time_condition=_zone_valid_during,
            temporal=lambda: select(
                func.min(ControlZone.valid_from), func.max(ControlZone.valid_to)
            ),
        ),
        _simple_layer(
            "admin_units",
            "Administrative units",
            "OCHA COD-AB governorates, districts and sub-districts with their P-codes "
            "(feature id = P-code).",
            model=AdminUnit,
            id_column=AdminUnit.pcode,
            geometry=AdminUnit.geom,
            properties=[
                AdminUnit.pcode,
                AdminUnit.level,
                AdminUnit.name_en,
                AdminUnit.name_ar,
                AdminUnit.parent_pcode,
            ],
            order_by=[AdminUnit.pcode],
            integer_ids=False,
        ),
    )
}


# --- Documents -----------------------------------------------------------------------------


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def _base(request: Request) -> str:
    return str(request.url_for("ogc_landing")).rstrip("/")


def _layer(collection_id: str) -> Layer:
    layer = LAYERS.get(collection_id)
    if layer is None:
        raise Problem(404, f"no collection {collection_id!r}; see /ogc/collections")
    return layer


def _collection_document(request: Request, layer: Layer, session: Session) -> dict[str, Any]:
    base = _base(request)
    href = f"{base}/collections/{layer.id}"
    extent: dict[str, Any] = {"spatial": {"bbox": [SYRIA_BBOX], "crs": CRS84}}
    if layer.temporal is not None:
        first, last = session.execute(layer.temporal()).one()
        extent["temporal"] = {
            "interval": [[_instant(first), _instant(last)]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": layer.id,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            {"rel": "self", "type": JSON, "title": "This collection", "href": href},
            {
                "rel": "items",
                "type": GEOJSON_MEDIA_TYPE,
                "title": f"{layer.title} (GeoJSON)",
                "href": f"{href}/items",
            },
        ],
    }


def _instant(value: dt.date | None) -> str | None:
    return f"{value.isoformat()}T00:00:00Z" if value is not None else None


@router.get("", summary="OGC API - Features landing page", name="ogc_landing")
def landing(request: Request) -> JSONResponse:
    base = _base(request)
    root = str(request.url_for("ogc_landing")).removesuffix("/ogc")
    return JSONResponse(
        {
            "title": "athar — OGC API - Features",
            "description": "Incidents of civilian harm in Syria, landmine incidents, hazard "
            "areas, control zones through time and administrative units.",
            "links": [
                {"rel": "self", "type": JSON, "title": "This document", "href": base},
                {
                    "rel": "service-desc",
                    "type": OPENAPI_MEDIA_TYPE,
                    "title": "The API definition",
                    "href": f"{root}/openapi.json",
                },
                {
                    "rel": "service-doc",
                    "type": "text/html",
                    "title": "The API documentation",
                    "href": f"{root}/docs",
                },
                {
                    "rel": "conformance",
                    "type": JSON,
                    "title": "Conformance classes",
                    "href": f"{base}/conformance",
                },
                {
                    "rel": "data",
                    "type": JSON,
                    "title": "Feature collections",
                    "href": f"{base}/collections",
                },
            ],
        }
    )


@router.get("/conformance", summary="OGC API conformance classes")
def conformance() -> JSONResponse:
    return JSONResponse({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="Feature collections")
def collections(request: Request) -> JSONResponse:
    with _sessions(request)() as session:
        documents = [_collection_document(request, layer, session) for layer in LAYERS.values()]
    base = _base(request)
    return JSONResponse(
        {
            "links": [{"rel": "self", "type": JSON, "href": f"{base}/collections"}],
            "collections": documents,
        }
    )


@router.get(
    "/collections/{collection_id}",
    summary="One feature collection",
    responses={404: {"description": "Unknown collection (problem+json)"}},
)
def collection(request: Request, collection_id: str) -> JSONResponse:
    layer = _layer(collection_id)
    with _sessions(request)() as session:
        return JSONResponse(_collection_document(request, layer, session))


@router.get(
    "/collections/{collection_id}/items",
    summary="Features of a collection (GeoJSON), paged",
    responses={
        200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "A FeatureCollection"},
        400: {"description": "Invalid parameter (problem+json)"},
        404: {"description": "Unknown collection (problem+json)"},
    },
)
def items(
    request: Request,
    collection_id: str,
    caller: Annotated[Caller, Depends(current_caller)],
    bbox: Annotated[
        str | None, Query(description="minlon,minlat,maxlon,maxlat (CRS84; six numbers for 3D).")
    ] = None,
    datetime: Annotated[
        str | None,
        Query(
            description="Instant (2021-03-01) or interval (2021-03-01/2021-03-31, "
            "../2021-03-31, 2021-03-01/..)."
        ),
    ] = None,
    date: Annotated[
        dt.date | None, Query(description="control_zones: the zones valid on this day.")
    ] = None,
    limit: Annotated[int, Query(description=f"Features per page, 1–{MAX_LIMIT}.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(description="Features to skip (follow the next link).")] = 0,
) -> Response:
    layer = _layer(collection_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_request(f"limit: must be between 1 and {MAX_LIMIT}")
    # PostgreSQL's OFFSET is a bigint: a larger number must be a 400, not a database error.
    if not 0 <= offset <= MAX_OFFSET:
        raise _bad_request(f"offset: must be between 0 and {MAX_OFFSET}")
    interval = parse_datetime(datetime)
    if date is not None:
        if interval is not None:
            raise _bad_request("give either date or datetime, not both")
        interval = (date, date)
    query = ItemQuery(
        bbox=ogc_bbox(bbox), interval=interval, precise=sees_precise_locations(caller)
    )
    with _sessions(request)() as session:
        matched = int(session.scalar(layer.count_features(query)) or 0)
        rows = session.execute(layer.select_features(query).limit(limit).offset(offset)).all()
    features = [_feature(row) for row in rows]
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": GEOJSON_MEDIA_TYPE, "title": "This page", "href": str(request.url)},
        {
            "rel": "collection",
            "type": JSON,
            "title": layer.title,
            "href": f"{_base(request)}/collections/{layer.id}",
        },
    ]
    if offset + len(rows) < matched:
        links.append(
            {
                "rel": "next",
                "type": GEOJSON_MEDIA_TYPE,
                "title": "Next page",
                "href": str(request.url.include_query_params(offset=offset + limit, limit=limit)),
            }
        )
    if offset > 0:
        links.append(
            {
                "rel": "prev",
                "type": GEOJSON_MEDIA_TYPE,
                "title": "Previous page",
                "href": str(
                    request.url.include_query_params(offset=max(0, offset - limit), limit=limit)
                ),
            }
        )
    body = collection_text(
        features,
        timeStamp=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        numberMatched=matched,
        numberReturned=len(features),
        links=links,
    )
    headers = keyed_headers(caller) if layer.keyed else None
    return Response(body, media_type=GEOJSON_MEDIA_TYPE, headers=headers)


def _feature(row: Any) -> str:
    properties = {
        key: value
        for key, value in row._mapping.items()
        if key not in ("feature_id", "geometry_json")
    }
    properties = {
        key: (None if isinstance(value, float) and not math.isfinite(value) else value)
        for key, value in properties.items()
    }
    return geojson_feature_text(row.feature_id, row.geometry_json, properties)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature (GeoJSON)",
    responses={
        200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "A Feature"},
        404: {"description": "Unknown collection or feature (problem+json)"},
    },
)
def item(
    request: Request,
    collection_id: str,
    feature_id: str,
    caller: Annotated[Caller, Depends(current_caller)],
) -> Response:
    layer = _layer(collection_id)
    statement = layer.feature_by_id(feature_id, sees_precise_locations(caller))
    row = None
    if statement is not None:
        with _sessions(request)() as session:
            row = session.execute(statement).first()
    if row is None:
        raise Problem(404, f"no feature {feature_id!r} in collection {collection_id!r}")
    base = _base(request)
    text = _feature(row)
    links = [
        {"rel": "self", "type": GEOJSON_MEDIA_TYPE, "href": str(request.url)},
        {"rel": "collection", "type": JSON, "href": f"{base}/collections/{layer.id}"},
    ]
    body = text[:-1] + ',"links":' + dumps(links) + "}"
    headers = keyed_headers(caller) if layer.keyed else None
    return Response(body, media_type=GEOJSON_MEDIA_TYPE, headers=headers)
