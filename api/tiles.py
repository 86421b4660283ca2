"""Vector tiles built in PostGIS: tile math, layer catalogue and the MVT SQL of every layer.

Rules (user-facing; the README repeats them):

* **Layers.** ``incidents``; ``landmines`` (incidents whose weapon is ``landmine`` or ``erw``);
  ``hazard_areas``; ``control_zones`` (zones valid on ``?date=``, default today);
  ``admin_units`` (governorates at z0–6, districts at z7–8, sub-districts from z9).
* **Aggregation.** Below zoom :data:`CLUSTER_BELOW_ZOOM` (z0–9) the incident layers carry no
  single incidents: each tile is cut into a 32 × 32 grid (:data:`GRID_CELLS_PER_TILE`) in Web
  Mercator and every non-empty cell becomes one point, at the mean position of its incidents,
  with ``count``, ``killed_total``, ``killed_children``, ``killed_women``, ``injured`` and
  ``massacres`` (sums; unknown counts add nothing), so a tile never has more than 1,024
  features whatever the number of incidents. An incident belongs to exactly one tile
  per zoom (its stored quadkey falls in one tile's range), so the sums over a zoom level's
  tiles equal the totals of the incidents matching the filter. From z10 a tile carries
  single incidents with the public popup attributes
  (:func:`db.queries.public_incident_columns`), including those in a
  :data:`TILE_BUFFER`-unit buffer around the tile so symbols are not cut at its edge —
  except that from z10 to z13 a tile owning more than ``max_points`` incidents (default
  :data:`MAX_TILE_POINTS`, setting ``ATHAR_TILE_MAX_POINTS``) is drawn as a grid like the
  low zooms, so no tile ships tens of thousands of points; from
  :data:`POINTS_ONLY_FROM_ZOOM` every tile has single incidents. Clients tell the two kinds
  of feature apart by the ``count`` attribute, which only cells have.
* **Privacy.** Only public columns are selected; incidents flagged sensitive are placed on
  their sub-district (:func:`db.queries.public_geometry`) at every zoom. A partner's
  filter (``precise``) draws single incidents at their true point; grid cells always use
  the public point, so aggregates are the same for every caller.
* **Filters.** The incident query parameters (``weapon``, ``date_from``, ...) filter the
  incident layers (``landmines`` keeps only landmine/erw within them); the other layers
  ignore them.

Every value reaches PostgreSQL as a bound parameter. Geometry is stored in SRID 4326
(lon/lat); tiles are cut in EPSG:3857. Grid tiles read the trigger-kept EPSG:3857
coordinates and level-18 quadkey of the public point (migration 0006) through the covering
index ``ix_incidents_tile_grid``: a tile is one contiguous key range, a cell one key
prefix. For single incidents the spatial filter compares the stored 4326 column
with ``ST_Transform(ST_TileEnvelope(...), 4326)`` so its GiST index is used; only the rows
found are transformed. A Web Mercator tile is a lon/lat rectangle in 4326 (meridians and
parallels stay straight), so the transformed envelope is exact; its margin covers the
buffer, and it is clipped to the Mercator square first so that it cannot wrap across the
antimeridian at low zoom.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from isal import igzip
from sqlalchemy import (
    BigInteger,
    Connection,
    Float,
    Integer,
    Select,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.types import Text

from db.control import zones_valid_on
from db.extent import SYRIA_BOUNDS
from db.models import Incident
from db.queries import (
    IncidentFilter,
    incident_geometry,
    public_incident_columns,
)

MAX_ZOOM = 22
# Tile SQL is compiled once per template for the driver the engines use (psycopg 3).
_DIALECT = PGDialect_psycopg()
TILE_EXTENT = 4096
# Extent units drawn around the tile for single features, so circles and lines are not cut.
TILE_BUFFER = 64
#: Incident layers are aggregated into grid cells at zooms below this one.
CLUSTER_BELOW_ZOOM = 10
#: A grid cell of an aggregated zoom-z tile is a tile of zoom z + GRID_LEVELS.
GRID_LEVELS = 5
#: Grid cells per tile side for aggregated incident tiles (128 extent units, ~32 px at 256 px).
GRID_CELLS_PER_TILE = 1 << GRID_LEVELS
#: From z10 to z13 a tile owning more incidents than this is drawn as a grid instead.
MAX_TILE_POINTS = 5000
#: From this zoom every tile carries single incidents, however many.
POINTS_ONLY_FROM_ZOOM = 14
#: Zoom of the stored quadkey (``incidents.public_quadkey``, migration 0006): cells of the
#: grid of any aggregated zoom (up to 13 + 5) are whole quadkey prefixes.
QUADKEY_LEVEL = 18
WEB_MERCATOR = 3857
LON_LAT = 4326
# Half the width of the EPSG:3857 world square, in metres.
MERCATOR_HALF_WORLD = 20037508.342789244
SYRIA_CENTER = (38.5, 35.0, 6)
LANDMINE_WEAPONS = ("landmine", "erw")
# Same level and mtime, same bytes: the live endpoint and the PMTiles export must agree.
# Tiles are compressed on the fly, by ISA-L's igzip (plain gzip, any client reads it): at
# level 1 it is 3-5 times faster than zlib's level 1 for the same size on MVT (a 330 KB
# z10 tile: 0.7 ms instead of 2.5; bench/README.md).
GZIP_LEVEL = 1
ATTRIBUTION = (
    "athar — incidents from published documentation reports; admin boundaries © OCHA "
    "(CC BY 3.0 IGO); control zones from OCHA HNO 2023 and Wikipedia (CC BY-SA)"
)


# --- Tile math --------------------------------------------------------------------------


class TileRangeError(ValueError):
    """A z/x/y outside the tile pyramid."""


@dataclass(frozen=True, order=True)
class Tile:
    z: int
    x: int
    y: int

    def check(self) -> Tile:
        if not 0 <= self.z <= MAX_ZOOM:
            raise TileRangeError(f"z must be within 0..{MAX_ZOOM}, got {self.z}")
        last = (1 << self.z) - 1
        if not 0 <= self.x <= last:
            raise TileRangeError(f"x must be within 0..{last} at z{self.z}, got {self.x}")
        if not 0 <= self.y <= last:
            raise TileRangeError(f"y must be within 0..{last} at z{self.z}, got {self.y}")
        return self

    @property
    def path(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


def lon_lat_to_tile(lon: float, lat: float, z: int) -> Tile:
    """The tile holding (lon, lat) at zoom ``z`` (clamped to the pyramid)."""
    n = 1 << z
    lat = max(min(lat, 85.0511287798066), -85.0511287798066)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return Tile(z, min(max(x, 0), n - 1), min(max(y, 0), n - 1))


def tiles_in_bounds(bounds: tuple[float, float, float, float], z: int) -> Iterator[Tile]:
    """Every tile at zoom ``z`` touching a lon/lat box."""
    top_left = lon_lat_to_tile(bounds[0], bounds[3], z)
    bottom_right = lon_lat_to_tile(bounds[2], bounds[1], z)
    for x in range(top_left.x, bottom_right.x + 1):
        for y in range(top_left.y, bottom_right.y + 1):
            yield Tile(z, x, y)


def _spread_bits(value: int) -> int:
    spread = 0
    for bit in range(QUADKEY_LEVEL):
        spread |= ((value >> bit) & 1) << (2 * bit)
    return spread


def quadkey(tile: Tile) -> int:
    """Morton code of a tile (x bits at even positions, y bits at odd), as SQL's
    ``athar_quadkey`` computes it for points at :data:`QUADKEY_LEVEL`."""
    return _spread_bits(tile.x) | (_spread_bits(tile.y) << 1)


def quadkey_range(tile: Tile) -> tuple[int, int]:
    """The half-open range of level-18 quadkeys of the points a tile owns (z <= 18).

    Every point has one quadkey, so each point is owned by exactly one tile per zoom and
    sums over a zoom's tiles equal the totals.
    """
    if tile.z > QUADKEY_LEVEL:
        raise TileRangeError(f"quadkey ranges exist up to z{QUADKEY_LEVEL}, got z{tile.z}")
    shift = 2 * (QUADKEY_LEVEL - tile.z)
    low = quadkey(tile) << shift
    return low, low + (1 << shift)


def admin_level_for_zoom(z: int) -> int:
    """Governorates at z0–6, districts at z7–8, sub-districts from z9."""
    if z <= 6:
        return 1
    if z <= 8:
        return 2
    return 3


# --- Layer catalogue --------------------------------------------------------------------

CLUSTER_FIELDS: dict[str, str] = {
    "count": f"Incidents in the grid cell (aggregated layer, z0–{CLUSTER_BELOW_ZOOM - 1}).",
    "killed_total": "Civilians killed (single incident), or their sum in the grid cell.",
    "killed_children": "Children among the killed (single incident or sum in the cell).",
    "killed_women": "Women among the killed (single incident or sum in the cell).",
    "injured": "Injured (single incident), or their sum in the grid cell.",
    "massacres": "Incidents in the cell with five or more civilians killed (aggregated).",
}

INCIDENT_FIELDS: dict[str, str] = {
    "id": f"Incident id (also the feature id), z{CLUSTER_BELOW_ZOOM}+.",
    "date": "Date of the incident (first day of the stated period), YYYY-MM-DD.",
    "date_precision": "day, month or year: how precise the date is.",
    "time": "Time of day when the source gives it, HH:MM.",
    "place": "The place as written in the source.",
    "governorate": "Governorate as written in the source.",
    "admin1_pcode": "OCHA P-code of the governorate.",
    "admin2_pcode": "OCHA P-code of the district.",
    "admin3_pcode": "OCHA P-code of the sub-district.",
    "place_pcode": "OCHA P-code of the community or neighbourhood (hidden if sensitive).",
    "location_precision": "How precise the point is (exact, community, ... subdistrict).",
    "perpetrator_category": "Perpetrator party code (category).",
    "perpetrator_subcategory": "Perpetrator party code (subcategory).",
    "weapon": "Weapon code (airstrike, landmine, erw, ...).",
    "massacre": "Five or more civilians killed.",
    "victim_categories": "Comma-separated victim categories (medical, media, ...).",
    "facility": "Facility hit (hospital, school, ...).",
    "controlling_force_reported": "Controlling force as written in the source.",
    "control_reported": "Comma-separated party codes the source says controlled the area.",
    "control_mapped": "Comma-separated party codes of the control zone of the date.",
    "control_method": "zone, observation or as_reported: where control_mapped comes from.",
    "control_disagrees": "True when the reported and mapped controlling forces differ.",
    "source_document_id": "Id of the source document (see /sources).",
}

HAZARD_FIELDS: dict[str, str] = {
    "id": "Hazard area id (also the feature id).",
    "hazard_code": "IMSMA-like hazard code.",
    "hazard_name": "Name of the hazard area.",
    "hazard_type": "suspected or confirmed.",
    "status": "active, in_progress, closed or cancelled.",
    "contamination": "Comma-separated contamination types (mine, erw, ...).",
    "device_types": "Comma-separated device types.",
    "area_m2": "Area in square metres.",
    "reported_on": "Date first reported, YYYY-MM-DD.",
    "surveyed_on": "Date surveyed, YYYY-MM-DD.",
    "closed_on": "Date closed, YYYY-MM-DD.",
    "admin1_pcode": "OCHA P-code of the governorate.",
    "admin2_pcode": "OCHA P-code of the district.",
    "admin3_pcode": "OCHA P-code of the sub-district.",
    "community_pcode": "OCHA P-code of the community.",
    "organisation": "Organisation that reported or surveyed it.",
    "source": "Source of the record.",
}

ZONE_FIELDS: dict[str, str] = {
    "id": "Control zone id (also the feature id).",
    "label": "Label of the zone.",
    "source": "Source of the zone.",
    "derivation": "How the zone was derived.",
    "valid_from": "First day of validity, YYYY-MM-DD.",
    "valid_to": "Last day of validity, YYYY-MM-DD (absent: still valid).",
    "observed_on": "Date the source observed this control, YYYY-MM-DD.",
    "parties": "Comma-separated party codes holding the zone, largest share first.",
    "parties_json": 'JSON list of {"code", "share"} (share is a fraction or null).',
}

ADMIN_FIELDS: dict[str, str] = {
    "pcode": "OCHA P-code (also the feature id is its row number in the tile).",
    "level": "1 governorate, 2 district, 3 sub-district.",
    "name_en": "English name.",
    "name_ar": "Arabic name.",
    "parent_pcode": "P-code of the enclosing unit.",
}


@dataclass(frozen=True)
class LayerSpec:
    """A tile layer: what it shows, which data versions it reads, how filters apply."""

    name: str
    title: str
    description: str
    fields: Mapping[str, str]
    reads: tuple[str, ...]
    incident_layer: bool = False
    dated: bool = False
    export_maxzoom: int = 14
    notes: dict[str, Any] = field(default_factory=dict)


LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            name="incidents",
            title="Incidents",
            description=(
                f"Documented incidents of civilian harm. z0–{CLUSTER_BELOW_ZOOM - 1}: grid cells "
                "with counts and killed totals; "
                f"z{CLUSTER_BELOW_ZOOM}+: single incidents (sensitive ones at their "
                "sub-district)."
            ),
            fields={**CLUSTER_FIELDS, **INCIDENT_FIELDS},
            # Sensitive positions come from admin units; control_mapped from control zones.
            reads=("incidents", "admin_units", "control_zones"),
            incident_layer=True,
        ),
        LayerSpec(
            name="landmines",
            title="Landmine and ERW incidents",
            description=(
                "Incidents caused by landmines or explosive remnants of war, aggregated like "
                "the incidents layer below "
                f"z{CLUSTER_BELOW_ZOOM}."
            ),
            fields={**CLUSTER_FIELDS, **INCIDENT_FIELDS},
            reads=("incidents", "admin_units", "control_zones"),
            incident_layer=True,
        ),
        LayerSpec(
            name="hazard_areas",
            title="Hazard areas",
            description="Suspected and confirmed hazardous areas (mines, ERW), IMSMA-like.",
            fields=HAZARD_FIELDS,
            reads=("hazard_areas",),
        ),
        LayerSpec(
            name="control_zones",
            title="Areas of control",
            description="Control zones valid on the requested date (?date=YYYY-MM-DD).",
            fields=ZONE_FIELDS,
            reads=("control_zones",),
            dated=True,
            export_maxzoom=10,
        ),
        LayerSpec(
            name="admin_units",
            title="Administrative units",
            description="OCHA governorates (z0–6), districts (z7–8), sub-districts (z9+).",
            fields=ADMIN_FIELDS,
            reads=("admin_units",),
            export_maxzoom=10,
        ),
    )
}


def layer_filter(spec: LayerSpec, incident_filter: IncidentFilter) -> IncidentFilter | None:
    """The filter a layer applies: the client's for incident layers, none for the others."""
    if not spec.incident_layer:
        return None
    if spec.name == "landmines":
        wanted = incident_filter.weapons or LANDMINE_WEAPONS
        kept = tuple(weapon for weapon in wanted if weapon in LANDMINE_WEAPONS)
        # An empty tuple means "any weapon" to IncidentFilter; no overlap must mean nothing.
        return replace(incident_filter, weapons=kept or ("__none__",))
    return incident_filter


def layer_cache_key(spec: LayerSpec, incident_filter: IncidentFilter, day: dt.date | None) -> str:
    """Normalised filter key of what a layer's tiles depend on (ignored filters excluded)."""
    applied = layer_filter(spec, incident_filter)
    parts = [applied.cache_key() if applied is not None else "-"]
    if spec.dated:
        parts.append(day.isoformat() if day else "-")
    return ":".join(parts)


# --- SQL --------------------------------------------------------------------------------


def _tile_envelope(tile: Tile) -> ColumnElement[Any]:
    return func.ST_TileEnvelope(
        bindparam("tile_z", tile.z, type_=Integer),
        bindparam("tile_x", tile.x, type_=Integer),
        bindparam("tile_y", tile.y, type_=Integer),
    )


def _search_envelope(tile: Tile) -> ColumnElement[Any]:
    """The tile plus its buffer as a SRID 4326 box, to compare with indexed 4326 columns."""
    world = func.ST_MakeEnvelope(
        -MERCATOR_HALF_WORLD,
        -MERCATOR_HALF_WORLD,
        MERCATOR_HALF_WORLD,
        MERCATOR_HALF_WORLD,
        WEB_MERCATOR,
    )
    # A margin a little wider than the buffer absorbs rounding between the two projections.
    margin = bindparam("tile_margin", 2 * TILE_BUFFER / TILE_EXTENT, type_=Float)
    widened = func.ST_TileEnvelope(
        bindparam("tile_z", tile.z, type_=Integer),
        bindparam("tile_x", tile.x, type_=Integer),
        bindparam("tile_y", tile.y, type_=Integer),
        world,
        margin,
    )
    # At the world's edge the margin would cross the antimeridian and wrap around in 4326.
    return func.ST_Transform(func.ST_ClipByBox2D(widened, world), LON_LAT)


def _mvt_geom(geom_3857: ColumnElement[Any], tile: Tile) -> ColumnElement[Any]:
    return func.ST_AsMVTGeom(geom_3857, _tile_envelope(tile), TILE_EXTENT, TILE_BUFFER, True)


def _incident_points_statement(
    spec: LayerSpec, tile: Tile, incident_filter: IncidentFilter
) -> Select[Any]:
    search_box = _search_envelope(tile)
    # Partners' filters (precise) draw the true point with the place; others the public view.
    shown_at = incident_geometry(incident_filter.precise)
    rows = (
        select(
            Incident.id.label("fid"),
            *public_incident_columns(incident_filter.precise),
            _mvt_geom(func.ST_Transform(shown_at, WEB_MERCATOR), tile).label("geom"),
        )
        # && on the same column as the filter: its GiST index (public_geom, or geom for a
        # partner's precise tiles) finds the candidates.
        .where(incident_filter.where(), shown_at.op("&&")(search_box))
        .subquery("candidates")
    )
    features = select(rows).where(rows.c.geom.is_not(None)).order_by(rows.c.fid).subquery("t")
    return select(func.ST_AsMVT(features.table_valued(), spec.name, TILE_EXTENT, "geom", "fid"))


def _owned_by_tile() -> list[ColumnElement[bool]]:
    """Incidents whose public point lies in the tile: one contiguous quadkey range."""
    return [
        Incident.public_quadkey >= bindparam("quadkey_low", 0, type_=BigInteger),
        Incident.public_quadkey < bindparam("quadkey_high", 0, type_=BigInteger),
    ]


def _incident_grid_statement(spec: LayerSpec, incident_filter: IncidentFilter) -> Select[Any]:
    """Grid cells of a tile: ``quadkey >> cell_shift`` numbers the cells of its 32 x 32 grid.

    Aggregates always use the public point, for every role: a cell count is the same for
    everyone and a sensitive incident's true point is never hinted at by which cell it
    lands in. Everything read is in ``ix_incidents_tile_grid`` for the common filters, so
    PostgreSQL answers with an index-only scan of the tile's quadkey range.
    """
    public = replace(incident_filter, precise=False)
    cell_key = Incident.public_quadkey.op(">>")(bindparam("cell_shift", 0, type_=Integer))
    cells = (
        select(
            cell_key.label("cell_key"),
            func.count().label("count"),
            func.coalesce(func.sum(Incident.killed_total), 0).label("killed_total"),
            func.coalesce(func.sum(Incident.killed_children), 0).label("killed_children"),
            func.coalesce(func.sum(Incident.killed_women), 0).label("killed_women"),
            func.coalesce(func.sum(Incident.injured), 0).label("injured"),
            func.count().filter(Incident.massacre.is_(true())).label("massacres"),
            # The mean of a cell's points lies in the cell, hence inside the tile.
            func.avg(Incident.public_mx).label("mx"),
            func.avg(Incident.public_my).label("my"),
        )
        .where(public.where(), *_owned_by_tile())
        .group_by(cell_key)
        .subquery("cells")
    )
    placeholder = Tile(0, 0, 0)
    mean_point = func.ST_SetSRID(func.ST_MakePoint(cells.c.mx, cells.c.my), WEB_MERCATOR)
    features = (
        select(
            cells.c.count,
            cells.c.killed_total,
            cells.c.killed_children,
            cells.c.killed_women,
            cells.c.injured,
            cells.c.massacres,
            _mvt_geom(mean_point, placeholder).label("geom"),
        )
        # "+ 0": ordering by the bare group key lets PostgreSQL sort every incident to
        # group them (it expects as many groups as keys); ordering the at most 1,024 cells
        # after a hash aggregate is what is cheap. The order keeps tile bytes reproducible.
        .order_by(cells.c.cell_key + literal(0, type_=BigInteger))
        .subquery("t")
    )
    return select(func.ST_AsMVT(features.table_valued(), spec.name, TILE_EXTENT, "geom"))


def _incident_adaptive_statement(
    spec: LayerSpec, tile: Tile, incident_filter: IncidentFilter
) -> Select[Any]:
    """z10–13: single incidents, unless the tile owns more than ``max_points`` of them.

    The count stops at ``max_points + 1`` rows of the quadkey index; PostgreSQL runs only
    the branch of the CASE it needs (each is an init-plan evaluated on first use).
    """
    public = replace(incident_filter, precise=False)
    capped = (
        select(literal(1))
        .where(public.where(), *_owned_by_tile())
        .limit(bindparam("max_points_probe", MAX_TILE_POINTS + 1, type_=Integer))
    ).subquery("capped")
    owned = select(func.count()).select_from(capped).scalar_subquery()
    grid = _incident_grid_statement(spec, incident_filter).scalar_subquery()
    points = _incident_points_statement(spec, tile, incident_filter).scalar_subquery()
    return select(
        case((owned > bindparam("max_points", MAX_TILE_POINTS, type_=Integer), grid), else_=points)
    )


# The tile plus its margin, clipped to the Web Mercator world and brought to 4326 so that
# the GiST index on the stored geometry does the search. A constant: values stay bound.
_SEARCH_BOX_SQL = """(SELECT ST_Transform(ST_ClipByBox2D(
                           ST_TileEnvelope(:tile_z, :tile_x, :tile_y,
                               ST_MakeEnvelope(-:half, -:half, :half, :half, 3857),
                               :tile_margin),
                           ST_MakeEnvelope(-:half, -:half, :half, :half, 3857)),
                       4326) AS search)"""

_HAZARD_SQL = text(
    f"""
    SELECT ST_AsMVT(t, :layer_name, :extent, 'geom', 'fid') FROM (
        SELECT h.id AS fid, h.id, h.hazard_code, h.name AS hazard_name, h.hazard_type, h.status,
               array_to_string(h.contamination, ',') AS contamination,
               array_to_string(h.device_types, ',') AS device_types,
               h.area_m2,
               to_char(h.reported_on, 'YYYY-MM-DD') AS reported_on,
               to_char(h.surveyed_on, 'YYYY-MM-DD') AS surveyed_on,
               to_char(h.closed_on, 'YYYY-MM-DD') AS closed_on,
               h.admin1_pcode, h.admin2_pcode, h.admin3_pcode, h.community_pcode,
               h.organisation, h.source,
               ST_AsMVTGeom(ST_Transform(ST_ClipByBox2D(h.geom, box.search), 3857),
                            ST_TileEnvelope(:tile_z, :tile_x, :tile_y),
                            :extent, :buffer, true) AS geom
          FROM {_SEARCH_BOX_SQL} box
          JOIN hazard_areas h ON h.geom && box.search
         ORDER BY h.id
    ) t
    WHERE t.geom IS NOT NULL
    """
)

_ADMIN_SQL = text(
    f"""
    SELECT ST_AsMVT(t, :layer_name, :extent, 'geom') FROM (
        SELECT a.pcode, a.level, a.name_en, a.name_ar, a.parent_pcode,
               ST_AsMVTGeom(ST_Transform(ST_ClipByBox2D(a.geom, box.search), 3857),
                            ST_TileEnvelope(:tile_z, :tile_x, :tile_y),
                            :extent, :buffer, true) AS geom
          FROM {_SEARCH_BOX_SQL} box
          JOIN admin_units a ON a.geom && box.search
         WHERE a.level = :level
         ORDER BY a.pcode
    ) t
    WHERE t.geom IS NOT NULL
    """
)


def _text_params(spec: LayerSpec, tile: Tile) -> dict[str, Any]:
    return {
        "layer_name": spec.name,
        "extent": TILE_EXTENT,
        "buffer": TILE_BUFFER,
        "tile_z": tile.z,
        "tile_x": tile.x,
        "tile_y": tile.y,
        "half": MERCATOR_HALF_WORLD,
        "tile_margin": 2 * TILE_BUFFER / TILE_EXTENT,
    }


def _control_zone_statement(spec: LayerSpec, tile: Tile, day: dt.date) -> Select[Any]:
    search_box = _search_envelope(tile)
    zones = zones_valid_on(day, search_box).subquery("zones")
    party = func.json_array_elements(zones.c.parties).table_valued("value").alias("party")
    share = cast(party.c.value.op("->>")(literal("share")), Float)
    code = party.c.value.op("->>")(literal("code"))
    party_codes = (
        select(
            func.string_agg(code, aggregate_order_by(literal(","), share.desc().nulls_last(), code))
        )
        .select_from(party)
        .scalar_subquery()
    )
    rows = (
        select(
            zones.c.id.label("fid"),
            zones.c.id,
            zones.c.label,
            zones.c.source,
            zones.c.derivation,
            func.to_char(zones.c.valid_from, "YYYY-MM-DD").label("valid_from"),
            func.to_char(zones.c.valid_to, "YYYY-MM-DD").label("valid_to"),
            func.to_char(zones.c.observed_on, "YYYY-MM-DD").label("observed_on"),
            party_codes.label("parties"),
            cast(zones.c.parties, Text).label("parties_json"),
            _mvt_geom(
                func.ST_Transform(func.ST_ClipByBox2D(zones.c.geom, search_box), WEB_MERCATOR),
                tile,
            ).label("geom"),
        )
        .order_by(zones.c.valid_from, zones.c.id)
        .subquery("candidates")
    )
    features = select(rows).where(rows.c.geom.is_not(None)).subquery("t")
    return select(func.ST_AsMVT(features.table_valued(), spec.name, TILE_EXTENT, "geom", "fid"))


def tile_params(tile: Tile) -> dict[str, Any]:
    """The values of the tile-dependent bound parameters of every tile statement."""
    return {"tile_z": tile.z, "tile_x": tile.x, "tile_y": tile.y}


def tile_mode(layer: str, z: int) -> str:
    """How an incident layer draws zoom ``z``: ``grid``, ``adaptive`` or ``points``."""
    if not LAYERS[layer].incident_layer:
        return "features"
    if z < CLUSTER_BELOW_ZOOM:
        return "grid"
    if z < POINTS_ONLY_FROM_ZOOM:
        return "adaptive"
    return "points"


@dataclass(frozen=True)
class CompiledTileQuery:
    """A tile statement compiled once: SQL with named placeholders and its constant values.

    Executing the SQL text directly skips SQLAlchemy's per-execution cache-key walk over
    the statement tree (about a millisecond per tile); every value is still bound.
    """

    sql: str
    constants: Mapping[str, Any]


@lru_cache(maxsize=256)
def _compiled_template(
    layer: str, mode: str, applied: IncidentFilter | None, day: dt.date | None
) -> CompiledTileQuery:
    """One compiled statement per layer, tile mode and filter; tiles only change parameters."""
    spec = LAYERS[layer]
    placeholder = Tile(0, 0, 0)
    statement: ClauseElement
    if applied is not None:
        if mode == "grid":
            statement = _incident_grid_statement(spec, applied)
        elif mode == "adaptive":
            statement = _incident_adaptive_statement(spec, placeholder, applied)
        else:
            statement = _incident_points_statement(spec, placeholder, applied)
    elif layer == "control_zones":
        statement = _control_zone_statement(spec, placeholder, day or dt.date.today())
    elif layer == "hazard_areas":
        statement = _HAZARD_SQL
    elif layer == "admin_units":
        statement = _ADMIN_SQL
    else:
        raise KeyError(layer)
    # render_postcompile: an IN list of the filter becomes one placeholder per value.
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return CompiledTileQuery(str(compiled), dict(compiled.params))


def tile_query(
    layer: str,
    tile: Tile,
    incident_filter: IncidentFilter | None = None,
    day: dt.date | None = None,
    max_points: int = MAX_TILE_POINTS,
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters whose single value is the raw MVT tile."""
    spec = LAYERS[layer]
    applied = layer_filter(spec, incident_filter or IncidentFilter())
    mode = tile_mode(layer, tile.z)
    template = _compiled_template(
        layer, mode, applied, (day or dt.date.today()) if spec.dated else None
    )
    params = {**template.constants, **tile_params(tile)}
    if mode in ("grid", "adaptive"):
        low, high = quadkey_range(tile)
        params.update(
            quadkey_low=low,
            quadkey_high=high,
            # Cells of the 32 x 32 grid are the tiles of zoom z + 5.
            cell_shift=2 * (QUADKEY_LEVEL - tile.z - GRID_LEVELS),
            max_points=max_points,
            max_points_probe=max_points + 1,
        )
    if layer in ("hazard_areas", "admin_units"):
        params.update(_text_params(spec, tile))
        if layer == "admin_units":
            params["level"] = admin_level_for_zoom(tile.z)
    return template.sql, params


def render_tile(
    connection: Connection,
    layer: str,
    tile: Tile,
    incident_filter: IncidentFilter | None = None,
    day: dt.date | None = None,
    max_points: int = MAX_TILE_POINTS,
) -> bytes:
    """The raw (uncompressed) MVT bytes of one tile; ``b""`` when it has no feature."""
    sql, params = tile_query(layer, tile, incident_filter, day, max_points)
    value = connection.exec_driver_sql(sql, params).scalar()
    return bytes(value) if value else b""


def compress_tile(raw: bytes) -> bytes:
    """gzip with a fixed level and no timestamp: the same tile always gives the same bytes."""
    return igzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)


# --- Which tiles can hold data (PMTiles export) -----------------------------------------


def _point_tiles_statement(spec: LayerSpec, z: int, incident_filter: IncidentFilter) -> Executable:
    """Distinct (x, y) of the tiles whose buffered box holds a public incident point."""
    width = 2 * MERCATOR_HALF_WORLD / (1 << z)
    pad = width * TILE_BUFFER / TILE_EXTENT
    last = (1 << z) - 1
    applied = layer_filter(spec, incident_filter)
    assert applied is not None
    # Aggregated tiles and single points are both found by the public point; its stored
    # EPSG:3857 coordinates spare a projection per incident.
    points = (
        select(Incident.public_mx.label("mx"), Incident.public_my.label("my"))
        .where(applied.where(), Incident.public_mx.is_not(None))
        .subquery("points")
    )
    px, py = points.c.mx, points.c.my

    def index(offset: ColumnElement[Any]) -> ColumnElement[Any]:
        return cast(func.floor(offset / bindparam("width", width)), Integer)

    half = bindparam("half", MERCATOR_HALF_WORLD, type_=Float)
    spans = select(
        index(px - bindparam("pad", pad) + half).label("x0"),
        index(px + bindparam("pad", pad) + half).label("x1"),
        index(half - py - bindparam("pad", pad)).label("y0"),
        index(half - py + bindparam("pad", pad)).label("y1"),
    ).subquery("spans")
    lowest = bindparam("lowest", 0, type_=Integer)
    highest = bindparam("last", last, type_=Integer)
    tiles_x = (
        func.generate_series(func.greatest(spans.c.x0, lowest), func.least(spans.c.x1, highest))
        .table_valued("value")
        .render_derived(name="tiles_x")
    )
    tiles_y = (
        func.generate_series(func.greatest(spans.c.y0, lowest), func.least(spans.c.y1, highest))
        .table_valued("value")
        .render_derived(name="tiles_y")
    )
    return (
        select(tiles_x.c.value, tiles_y.c.value)
        .select_from(spans.join(tiles_x, true()).join(tiles_y, true()))
        .distinct()
    )


_ZONE_BOXES_SQL = text(
    """
    SELECT ST_XMin(z.geom), ST_YMin(z.geom), ST_XMax(z.geom), ST_YMax(z.geom)
      FROM control_zones z
     WHERE z.valid_during @> CAST(:day AS date)
    """
)
_HAZARD_BOXES_SQL = text(
    "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM hazard_areas"
)
_ADMIN_BOXES_SQL = text(
    "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"
    " FROM admin_units WHERE level = :level"
)


def _feature_boxes(
    connection: Connection, layer: str, z: int, day: dt.date | None
) -> Iterable[tuple[float, float, float, float]]:
    """Lon/lat boxes of a polygon layer's features, widened by the tile buffer."""
    if layer == "control_zones":
        rows = connection.execute(_ZONE_BOXES_SQL, {"day": day or dt.date.today()})
    elif layer == "hazard_areas":
        rows = connection.execute(_HAZARD_BOXES_SQL)
    else:
        rows = connection.execute(_ADMIN_BOXES_SQL, {"level": admin_level_for_zoom(z)})
    # One buffer's worth of degrees at this zoom (360° / 2^z per tile, 1/64 of a tile).
    pad = 360.0 / (1 << z) * TILE_BUFFER / TILE_EXTENT
    for xmin, ymin, xmax, ymax in rows:
        yield (xmin - pad, ymin - pad, xmax + pad, ymax + pad)


def tiles_with_data(
    connection: Connection,
    layer: str,
    z: int,
    incident_filter: IncidentFilter | None = None,
    day: dt.date | None = None,
    bounds: tuple[float, float, float, float] = SYRIA_BOUNDS,
) -> list[Tile]:
    """Tiles at zoom ``z`` inside ``bounds`` that can contain a feature of ``layer``.

    Derived from the data (each feature's footprint plus the tile buffer), not from every
    tile of the box; a tile not listed renders empty. Sorted for reproducible archives.
    """
    spec = LAYERS[layer]
    if spec.incident_layer:
        statement = _point_tiles_statement(spec, z, incident_filter or IncidentFilter())
        found = {Tile(z, int(x), int(y)) for x, y in connection.execute(statement)}
    else:
        found = {
            tile
            for box in _feature_boxes(connection, layer, z, day)
            for tile in tiles_in_bounds(box, z)
        }
    allowed = set(tiles_in_bounds(bounds, z))
    return sorted(found & allowed)


# --- Descriptions for TileJSON and PMTiles metadata -------------------------------------


def vector_layer(spec: LayerSpec, minzoom: int = 0, maxzoom: int = MAX_ZOOM) -> dict[str, Any]:
    """The ``vector_layers`` entry of a layer (TileJSON 3.0.0 and PMTiles metadata)."""
    return {
        "id": spec.name,
        "description": spec.description,
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "fields": dict(spec.fields),
    }
