"""``/incidents``: GeoJSON queries with keyset pagination, polygon search, one incident with
its provenance, and exports of any query (GeoJSON, CSV, GeoPackage, FlatGeobuf).

Anonymous callers get the public view (sensitive incidents on their sub-district, searched
there too); partner, editor and admin keys get the precise view. Either way no personal field
is ever served here, and answers that depend on the key say so to caches (``Vary``,
``Cache-Control: private``).

Pagination is keyset, not offset: the cursor carries the (date_start, id) of the last row
sent and the next page starts strictly after it, so a page costs the same however deep it
is and rows inserted meanwhile never shift or repeat the pages already read.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import replace
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from api.auth import Caller, current_caller, keyed_headers, sees_precise_locations
from api.errors import Problem
from api.exports import EXPORT_FORMATS, incident_select, temporary_export, text_chunks
from api.filters import caller_incident_filter
from api.geojson import (
    GEOJSON_MEDIA_TYPE,
    GeoJSONResponse,
    check_search_geometry,
    collection_text,
    dumps,
    feature_dict,
    feature_text,
)
from db.models import Incident, ProvenanceSpan, SourceDocument
from db.queries import MAX_BIGINT, IncidentFilter

router = APIRouter(tags=["incidents"])

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

CallerDep = Annotated[Caller, Depends(current_caller)]


FilterDep = Annotated[IncidentFilter, Depends(caller_incident_filter)]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Features per page (1–{MAX_LIMIT}).")
]
CursorQuery = Annotated[
    str | None, Query(description="Opaque cursor from the previous page's `next` link.")
]

_GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "A GeoJSON FeatureCollection"},
    422: {"description": "Invalid parameter (problem+json)"},
}


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


# --- Cursor ------------------------------------------------------------------------------


def encode_cursor(date_start: dt.date, incident_id: int, filter_key: str) -> str:
    raw = f"{date_start.isoformat()}|{incident_id}|{filter_key[:8]}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, filter_key: str) -> tuple[dt.date, int]:
    """The (date_start, id) a cursor points after; 422 when forged or from another query."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        day, incident_id, key = base64.urlsafe_b64decode(padded).decode().split("|")
        position = (dt.date.fromisoformat(day), int(incident_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(422, "cursor: not a cursor this API issued") from None
    if not 0 <= position[1] <= MAX_BIGINT:
        # Issued cursors hold a bigint id; anything else would fail in the database.
        raise Problem(422, "cursor: not a cursor this API issued")
    if key != filter_key[:8]:
        raise Problem(422, "cursor: it belongs to a query with other filters; start again")
    return position


def _page(
    request: Request,
    query: IncidentFilter,
    limit: int,
    cursor: str | None,
    *,
    method: str,
    caller: Caller,
) -> Response:
    filter_key = query.cache_key()
    statement = incident_select(query, "geojson")
    if cursor:
        after = decode_cursor(cursor, filter_key)
        # A row-value comparison is exactly "after this row in (date_start, id) order".
        statement = statement.where(tuple_(Incident.date_start, Incident.id) > tuple_(*after))
    with _sessions(request)() as session:
        # One row more than asked tells whether there is a next page without a count(*).
        rows = session.execute(
            statement.add_columns(Incident.date_start.label("_date_start")).limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    features = []
    for row in rows:
        properties = {
            key: value
            for key, value in row._mapping.items()
            if key not in ("geometry_json", "_date_start")
        }
        features.append(feature_text(row.id, row.geometry_json, properties))
    links: list[dict[str, Any]] = [
        {"rel": "self", "href": str(request.url), "type": GEOJSON_MEDIA_TYPE}
    ]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(last._date_start, last.id, filter_key)
        link: dict[str, Any] = {
            "rel": "next",
            "href": str(request.url.include_query_params(cursor=next_cursor, limit=limit)),
            "type": GEOJSON_MEDIA_TYPE,
        }
        if method == "POST":
            link["method"] = "POST"
        links.append(link)
    body = collection_text(
        features, numberReturned=len(features), next_cursor=next_cursor, links=links
    )
    return Response(body, media_type=GEOJSON_MEDIA_TYPE, headers=keyed_headers(caller))


@router.get(
    "/incidents",
    summary="Incidents as GeoJSON, filtered, in pages",
    response_class=GeoJSONResponse,
    responses=_GEOJSON_RESPONSE,
)
def list_incidents(
    request: Request,
    query: FilterDep,
    caller: CallerDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    """Published incidents ordered by date then id; follow the `next` link for more.

    Coordinates are WGS84 longitude/latitude. Incidents whose exact place is sensitive are
    shown (and searched) at a point of their sub-district (`location_precision` =
    `subdistrict`, no `place`), except to partner, editor and admin keys, which see them
    where they happened.
    """
    return _page(request, query, limit, cursor, method="GET", caller=caller)


@router.post(
    "/incidents/search",
    summary="Incidents inside a polygon",
    response_class=GeoJSONResponse,
    responses={
        **_GEOJSON_RESPONSE,
        413: {"description": "Polygon with too many vertices (problem+json)"},
    },
)
def search_incidents(
    request: Request,
    query: FilterDep,
    caller: CallerDep,
    geometry: Annotated[
        dict[str, Any],
        Body(
            embed=True,
            description="GeoJSON Polygon or MultiPolygon in WGS84 lon/lat (at most 10,000 "
            "vertices); the query-string filters apply too.",
            examples=[
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[36.1, 36.1], [36.3, 36.1], [36.3, 36.3], [36.1, 36.3], [36.1, 36.1]]
                    ],
                }
            ],
        ),
    ],
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    """Incidents intersecting the polygon; pages as `GET /incidents` (the `next` link is a
    POST with the same body)."""
    shape = dumps(check_search_geometry(geometry))
    with _sessions(request)() as session:
        reason = session.scalar(select(func.ST_IsValidReason(func.ST_GeomFromGeoJSON(shape))))
    if reason != "Valid Geometry":
        raise Problem(422, f"geometry: invalid polygon: {reason}")
    return _page(
        request,
        replace(query, within_geojson=shape),
        limit,
        cursor,
        method="POST",
        caller=caller,
    )


# --- Exports -----------------------------------------------------------------------------


class ExportName(StrEnum):
    geojson = "geojson"
    csv = "csv"
    gpkg = "gpkg"
    fgb = "fgb"


@router.get(
    "/incidents/export.{format_name}",
    summary="Export every incident matching the filters (GeoJSON, CSV, GeoPackage, FlatGeobuf)",
    responses={
        200: {
            "content": {export.media_type: {} for export in EXPORT_FORMATS.values()},
            "description": "The whole result as a file",
        }
    },
)
def export_incidents(
    request: Request, format_name: ExportName, query: FilterDep, caller: CallerDep
) -> Response:
    """All matching incidents in one file, without paging, streamed as it is produced.

    The same view as `GET /incidents`: public for anonymous callers, precise for partner,
    editor and admin keys."""
    export = EXPORT_FORMATS[format_name.value]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    filename = f"athar-incidents-{stamp}.{export.extension}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        **keyed_headers(caller),
    }
    factory = _sessions(request)
    if export.driver is None:
        chunks = text_chunks(export.name)

        def stream() -> Iterator[bytes]:
            # The session (and its server-side cursor) lives exactly as long as the stream.
            with factory() as session:
                yield from chunks(session, query)

        return StreamingResponse(stream(), media_type=export.media_type, headers=headers)
    with factory() as session:
        path = temporary_export(session, query, export.name)
    return FileResponse(
        path,
        media_type=export.media_type,
        headers=headers,
        background=BackgroundTask(os.unlink, path),
    )


# --- One incident --------------------------------------------------------------------------


@router.get(
    "/incidents/{incident_id}",
    summary="One incident with its provenance",
    response_class=GeoJSONResponse,
    responses={
        200: {"content": {GEOJSON_MEDIA_TYPE: {}}, "description": "A GeoJSON Feature"},
        404: {"description": "No published incident with this id (problem+json)"},
    },
)
def get_incident(request: Request, incident_id: int, caller: CallerDep) -> GeoJSONResponse:
    """The incident as a GeoJSON Feature, with `provenance`: the source document and the
    character offsets of the passage it was read from.

    The passage itself is not returned: report sentences often name victims. Follow the
    document `url` and use the offsets to read it at the source. A sensitive incident is
    shown on its sub-district, except to partner, editor and admin keys.
    """
    if not 0 <= incident_id <= MAX_BIGINT:
        raise Problem(404, f"no published incident with id {incident_id}")
    view = IncidentFilter(precise=sees_precise_locations(caller))
    statement = (
        incident_select(view, "geojson")
        .add_columns(
            SourceDocument.title.label("_title"),
            SourceDocument.publisher.label("_publisher"),
            SourceDocument.url.label("_url"),
            SourceDocument.period.label("_period"),
            SourceDocument.published_on.label("_published_on"),
            SourceDocument.kind.label("_kind"),
            ProvenanceSpan.id.label("_span_id"),
            ProvenanceSpan.start_offset.label("_start"),
            ProvenanceSpan.end_offset.label("_end"),
            ProvenanceSpan.locator.label("_locator"),
        )
        .join(SourceDocument, SourceDocument.id == Incident.source_document_id)
        .join(ProvenanceSpan, ProvenanceSpan.id == Incident.provenance_span_id)
        .where(Incident.id == incident_id)
    )
    with _sessions(request)() as session:
        row = session.execute(statement).first()
    if row is None:
        raise Problem(404, f"no published incident with id {incident_id}")
    mapping = row._mapping
    properties = {
        key: value
        for key, value in mapping.items()
        if not key.startswith("_") and key != "geometry_json"
    }
    feature = feature_dict(row.id, row.geometry_json, properties)
    feature["provenance"] = {
        "document": {
            "id": row.source_document_id,
            "title": row._title,
            "publisher": row._publisher,
            "url": row._url,
            "period": row._period,
            "published_on": row._published_on.isoformat() if row._published_on else None,
            "kind": row._kind,
        },
        "span": {
            "id": row._span_id,
            "start_offset": row._start,
            "end_offset": row._end,
            "locator": row._locator,
        },
    }
    feature["links"] = [
        {"rel": "self", "href": str(request.url), "type": GEOJSON_MEDIA_TYPE},
        {"rel": "collection", "href": str(request.url_for("list_incidents"))},
    ]
    if row._url:
        feature["links"].append({"rel": "via", "href": row._url, "title": row._title})
    return GeoJSONResponse(feature, headers=keyed_headers(caller))
