"""A short path for the commonest request, an anonymous vector tile, beside the FastAPI route.

A map view asks for dozens of tiles at once, and on a warm database a single-incident tile
costs well under a millisecond of SQL; FastAPI's routing and per-parameter dependency
resolution used to cost more than that. This ASGI middleware sits inside CORS and the rate
limits and answers ``GET /tiles/{layer}/{z}/{x}/{y}.mvt`` itself when the request is plainly
valid and carries no API key. It parses the query string with the route's own model
(:class:`api.filters.IncidentQuery`) and answers through the same tile service and
:func:`api.routers.tiles.tile_response`, so both paths send the same bytes and headers.

Anything else goes on to the documented FastAPI route unchanged: a key (which needs its
database check), a method other than GET, an unknown layer, z/x/y outside the pyramid, a
repeated single-valued parameter or any value the model or the vocabularies refuse. The
route then answers, errors included, exactly as it does without this middleware.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import get_args, get_origin
from urllib.parse import parse_qsl

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers
from starlette.routing import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import Problem
from api.filters import IncidentQuery, filter_from_query
from api.routers.tiles import tile_response, tile_service_of
from api.tiles import LAYERS, Tile, TileRangeError
from db.queries import IncidentFilter

# ASCII digits only: ``\d`` would also take Arabic-Indic digits, which the route refuses.
_TILE_PATH = re.compile(r"/tiles/([a-z_]+)/([0-9]{1,3})/([0-9]{1,9})/([0-9]{1,9})\.mvt")
_LIST_PARAMS = frozenset(
    name
    for name, field in IncidentQuery.model_fields.items()
    if any(get_origin(kind) is list for kind in (field.annotation, *get_args(field.annotation)))
)
_KNOWN_PARAMS = frozenset(IncidentQuery.model_fields) | {"date"}
_DAY = TypeAdapter(dt.date)


class NotPlain(Exception):
    """The request is not one the short path answers: the route will."""


# Every tile of a map view carries the same query string: parse each one once. (Refused
# strings raise, and lru_cache keeps no exceptions, so those are parsed each time.)
@lru_cache(maxsize=1024)
def plain_filter(query_string: bytes) -> tuple[IncidentFilter, dt.date | None]:
    """The incident filter and control-zone day of a query string, or :class:`NotPlain`."""
    values: dict[str, str | list[str]] = {}
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    for name, value in pairs:
        if name not in _KNOWN_PARAMS:
            continue  # the route ignores parameters it does not know, and so does this
        if name in _LIST_PARAMS:
            listed = values.setdefault(name, [])
            assert isinstance(listed, list)
            listed.append(value)
        elif name in values:
            raise NotPlain(f"{name} given twice")
        else:
            values[name] = value
    day_text = values.pop("date", None)
    try:
        day = _DAY.validate_python(day_text) if isinstance(day_text, str) else None
        return filter_from_query(IncidentQuery.model_validate(values)), day
    except (ValidationError, Problem) as exc:
        raise NotPlain(str(exc)) from None


class FastTiles:
    """ASGI middleware answering plain anonymous tile requests (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = _TILE_PATH.fullmatch(get_route_path(scope))
        headers = Headers(scope=scope) if match else None
        if match is None or headers is None or "x-api-key" in headers or "authorization" in headers:
            await self.app(scope, receive, send)
            return
        layer, z, x, y = match.groups()
        spec = LAYERS.get(layer)
        try:
            if spec is None:
                raise NotPlain(f"unknown layer {layer}")
            tile = Tile(int(z), int(x), int(y)).check()
            incidents, day = plain_filter(scope.get("query_string", b""))
        except (NotPlain, TileRangeError):
            await self.app(scope, receive, send)
            return
        day = (day or dt.date.today()) if spec.dated else None
        service = tile_service_of(scope["app"].state)
        answer = await service.answer(spec.name, tile, incidents, day, headers.get("if-none-match"))
        response = tile_response(answer, headers.get("accept-encoding"), keyed=False)
        await response(scope, receive, send)
