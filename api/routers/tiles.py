"""Vector tiles, TileJSON and PMTiles archives (issue 6).

* ``GET /tiles`` lists the layers; ``GET /tiles/{layer}.json`` is their TileJSON 3.0.0 (add
  it by URL in MapLibre or QGIS); ``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` is one Mapbox
  Vector Tile, built in PostGIS (:mod:`api.tiles`) and cached (:mod:`api.tilecache`).
  The incident query parameters (``weapon``, ``date_from``, ...) filter the incident layers;
  ``date`` picks the day of the control-zone layer (default today).
* A tile with no feature is answered **204 No Content** (with its ETag), which MapLibre,
  OpenLayers and QGIS treat as an empty tile; a tile with features is 200 with
  ``application/vnd.mapbox-vector-tile``, gzip-encoded when the client accepts gzip.
* Errors are problem+json: unknown layer 404; z outside 0..22 or x/y outside 0..2^z-1 400;
  non-integer z/x/y, a bad ``date`` or a bad filter 422.
* ``GET /pmtiles/{name}.pmtiles`` serves archives written by ``athar export pmtiles`` into
  ``<state_dir>/pmtiles/``, with HTTP ranges (206, 416 when unsatisfiable).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from psycopg_pool import AsyncConnectionPool
from starlette.datastructures import State

from api.auth import KEY_VARY, Caller, current_caller
from api.errors import Problem, problem_response
from api.filters import caller_incident_filter, incident_filter
from api.pmtiles_archive import (
    ARCHIVE_CACHE_CONTROL,
    RangeNotSatisfiableError,
    archive_path,
    parse_range,
    read_chunks,
)
from api.tilecache import (
    CACHE_MAX_BYTES,
    GZIP_ETAG_SUFFIX,
    TILE_CACHE_CONTROL,
    TileAnswer,
    TileCache,
    TileService,
    etag_matches,
)
from api.tiles import (
    ATTRIBUTION,
    LAYERS,
    SYRIA_BOUNDS,
    SYRIA_CENTER,
    LayerSpec,
    Tile,
    TileRangeError,
    vector_layer,
)
from db.queries import IncidentFilter

router = APIRouter(tags=["tiles"])

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
PMTILES_MEDIA_TYPE = "application/vnd.pmtiles"
# Beyond z14 a tile's 4096 units are under a metre: clients overzoom instead of asking.
TILEJSON_MAXZOOM = 14
PRIVATE_TILES = "private, max-age=60"

DayQuery = Annotated[
    dt.date | None,
    Query(
        description="Day of the control zones (YYYY-MM-DD, default today); other layers ignore it."
    ),
]


def tile_service(request: Request) -> TileService:
    return tile_service_of(request.app.state)


def tile_service_of(state: State) -> TileService:
    """The app's tile service, which the app's lifespan starts (:func:`start_tile_service`)."""
    service: TileService | None = getattr(state, "tile_service", None)
    if service is None:
        raise RuntimeError(
            "the tile service is not running: serve the app with lifespan events "
            "(uvicorn does by default; in tests, use TestClient as a context manager)"
        )
    return service


def start_tile_service(state: State, pool: AsyncConnectionPool) -> TileService:
    """A tile service on ``pool`` (open, of the running loop), sized by the app's state.

    ``state.tile_cache_max_bytes`` (default :data:`CACHE_MAX_BYTES`) sizes the LRU; tests
    and benchmarks set it, and ``state.sessions``, after :func:`api.app.create_app`.
    """
    service = TileService(
        pool,
        state.sessions,
        cache=TileCache(max_bytes=getattr(state, "tile_cache_max_bytes", CACHE_MAX_BYTES)),
        max_points=state.settings.tile_max_points,
    )
    state.tile_service = service
    return service


def _layer(name: str) -> LayerSpec:
    spec = LAYERS.get(name)
    if spec is None:
        raise Problem(404, f"unknown tile layer {name!r}; layers: {', '.join(LAYERS)}")
    return spec


def accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        quality = params.strip()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


@router.get("/tiles", summary="Tile layers")
def list_layers(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "layers": [
            {
                "id": spec.name,
                "title": spec.title,
                "description": spec.description,
                "tilejson": f"{base}/tiles/{spec.name}.json",
            }
            for spec in LAYERS.values()
        ]
    }


@router.get(
    "/tiles/{layer}.json",
    summary="TileJSON 3.0.0 of a tile layer",
    responses={404: {"description": "Unknown layer"}},
)
def tilejson(
    layer: str,
    request: Request,
    incidents: Annotated[IncidentFilter, Depends(incident_filter)],
    date: DayQuery = None,
) -> JSONResponse:
    """TileJSON for MapLibre/QGIS: the tile URL keeps this request's query string (filters)."""
    spec = _layer(layer)
    base = str(request.base_url).rstrip("/")
    query = request.url.query
    template = f"{base}/tiles/{spec.name}/{{z}}/{{x}}/{{y}}.mvt" + (f"?{query}" if query else "")
    body = {
        "tilejson": "3.0.0",
        "name": f"athar {spec.name}",
        "description": spec.description,
        "version": "1.0.0",
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [template],
        "minzoom": 0,
        "maxzoom": TILEJSON_MAXZOOM,
        "bounds": list(SYRIA_BOUNDS),
        "center": list(SYRIA_CENTER),
        "vector_layers": [vector_layer(spec, 0, TILEJSON_MAXZOOM)],
    }
    return JSONResponse(body, headers={"Cache-Control": TILE_CACHE_CONTROL})


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    summary="One Mapbox Vector Tile",
    response_class=Response,
    responses={
        200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "The tile"},
        204: {"description": "No feature in this tile"},
        304: {"description": "Not modified (If-None-Match)"},
        400: {"description": "z/x/y outside the tile pyramid"},
        404: {"description": "Unknown layer"},
    },
)
async def vector_tile(
    layer: str,
    z: int,
    x: int,
    y: int,
    request: Request,
    incidents: Annotated[IncidentFilter, Depends(caller_incident_filter)],
    caller: Annotated[Caller, Depends(current_caller)],
    date: DayQuery = None,
) -> Response:
    spec = _layer(layer)
    try:
        tile = Tile(z, x, y).check()
    except TileRangeError as exc:
        raise Problem(400, str(exc)) from None
    day = (date or dt.date.today()) if spec.dated else None
    answer = await tile_service(request).answer(
        spec.name, tile, incidents, day, request.headers.get("if-none-match")
    )
    return tile_response(
        answer, request.headers.get("accept-encoding"), caller.key_prefix is not None
    )


def tile_response(answer: TileAnswer, accept_encoding: str | None, keyed: bool) -> Response:
    """The HTTP answer for a tile (also used by :mod:`api.fasttiles`, so both agree)."""
    gzip_ok = accepts_gzip(accept_encoding)
    etag = f"{answer.etag}{GZIP_ETAG_SUFFIX}" if gzip_ok else answer.etag
    headers = {
        "ETag": f'"{etag}"',
        # A key changes the incident layers (partners see sensitive incidents precisely):
        # such tiles stay in the caller's own cache, and shared caches key on the header.
        "Cache-Control": PRIVATE_TILES if keyed else TILE_CACHE_CONTROL,
        "Vary": f"Accept-Encoding, {KEY_VARY}",
        "X-Tile-Cache": "hit" if answer.cache_hit else "miss",
    }
    if answer.tile is None:
        return Response(status_code=304, headers=headers)
    if not answer.tile.raw:
        return Response(status_code=204, headers=headers)
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
        return Response(answer.tile.gzipped, media_type=MVT_MEDIA_TYPE, headers=headers)
    return Response(answer.tile.raw, media_type=MVT_MEDIA_TYPE, headers=headers)


_PMTILES_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {PMTILES_MEDIA_TYPE: {}}, "description": "The whole archive"},
    206: {"description": "The requested byte range"},
    404: {"description": "No archive of that name"},
    416: {"description": "Range not satisfiable"},
}


# Two decorators rather than one api_route, so each method has its own operation id.
@router.head(
    "/pmtiles/{name}.pmtiles",
    summary="Size and validators of a PMTiles archive",
    response_class=Response,
    responses=_PMTILES_RESPONSES,
    operation_id="pmtiles_archive_head",
)
@router.get(
    "/pmtiles/{name}.pmtiles",
    summary="A PMTiles archive (HTTP range requests)",
    response_class=Response,
    responses=_PMTILES_RESPONSES,
    operation_id="pmtiles_archive_get",
)
def pmtiles_archive(name: str, request: Request) -> Response:
    """Serve ``<state_dir>/pmtiles/{name}.pmtiles``; clients read it with Range requests."""
    path = archive_path(request.app.state.settings.state_dir, name)
    if path is None:
        raise Problem(404, f"no PMTiles archive named {name!r}")
    stat = path.stat()
    size = stat.st_size
    etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": ARCHIVE_CACHE_CONTROL,
    }
    try:
        byte_range = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiableError:
        response = problem_response(
            416, f"range not satisfiable; the archive has {size} bytes", request
        )
        response.headers["Content-Range"] = f"bytes */{size}"
        return response
    if byte_range is None:
        if etag_matches(request.headers.get("if-none-match"), (etag.strip('"'),)):
            return Response(status_code=304, headers=headers)
        first, last, status = 0, size - 1, 200
    else:
        first, last = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(last - first + 1)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=PMTILES_MEDIA_TYPE)
    return StreamingResponse(
        read_chunks(path, first, last),
        status_code=status,
        headers=headers,
        media_type=PMTILES_MEDIA_TYPE,
    )
