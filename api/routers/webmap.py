"""``GET /map``: the web map, served by the API itself so it works offline in the field.

The page is plain HTML, CSS and JavaScript from ``api/web/`` (no build step). MapLibre GL JS
and the pmtiles protocol come from the npm registry through the project's own set-up
(``npm ci --prefix api/web``, run by ``make setup``) and are served from
``api/web/node_modules/.../dist`` under ``/map/vendor/``; nothing is fetched from a CDN and
there is no external basemap: the base layer is the project's own admin boundaries.

Labels are DOM overlays, not MapLibre symbol layers: MapLibre text needs SDF glyph PBFs
(a glyphs URL) and, for Arabic, the RTL shaping plugin, neither of which ships in an npm or
Debian package. The browser shapes English and Arabic itself, so ``/map/labels.json``
returns a thinned set of admin-unit and place labels for the current view and the page
places them as HTML markers. The rest of the map (points, cells, polygons) needs no glyphs.

Two small JSON routes feed the page: ``/map/config.json`` (date range of the data, control
snapshot dates, party and weapon vocabularies with colours, admin-unit names for popups,
PMTiles archives on disk) and ``/map/labels.json``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from api.errors import Problem
from api.filters import parse_bbox
from api.pmtiles_archive import ARCHIVE_DIR
from api.tiles import ATTRIBUTION
from db.parties import load_party_taxonomy
from db.vocab import FACILITIES, VICTIM_CATEGORIES, WEAPONS

router = APIRouter(tags=["web map"], include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
NODE_MODULES = WEB_DIR / "node_modules"
# Only these npm packages' dist folders are reachable, so /map/vendor is no file browser.
VENDOR_DIRS = {
    "maplibre-gl": NODE_MODULES / "maplibre-gl" / "dist",
    "pmtiles": NODE_MODULES / "pmtiles" / "dist",
}
OWN_FILES = ("map.js", "map.css")
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".html": "text/html; charset=utf-8",
}
# Vendor files change only with package-lock.json; a day of caching saves reloads in the field.
VENDOR_CACHE = "public, max-age=86400"
OWN_CACHE = "no-cache"

# Colours chosen to stay apart for the main parties; subcategories fall back to the parent's.
PARTY_COLOURS = {
    "syrian_regime": "#c0392b",
    "russian_forces": "#7b241c",
    "iranian_militias": "#e67e22",
    "isis": "#1c1c1c",
    "hts": "#0e6655",
    "armed_opposition_sna": "#52be80",
    "sdf": "#d4ac0d",
    "international_coalition": "#2874a6",
    "turkish_forces": "#8e44ad",
    "turkish_border_guards": "#a569bd",
    "israeli_forces": "#5dade2",
    "jordanian_forces": "#6e2c00",
    "lebanese_forces": "#48c9b0",
    "other_parties": "#909497",
}
WEAPON_COLOURS = {
    "airstrike": "#c0392b",
    "artillery": "#e67e22",
    "rocket": "#f1c40f",
    "missile": "#8e44ad",
    "cluster_munition": "#6c3483",
    "gunfire": "#2c3e50",
    "landmine": "#117a65",
    "erw": "#1abc9c",
    "ied": "#7f8c8d",
    "car_bomb": "#34495e",
    "torture": "#641e16",
    "drowning": "#2980b9",
    "fire": "#d35400",
    "other": "#aab7b8",
}
FALLBACK_COLOUR = "#909497"
# Labels per response: enough to read a view, few enough for DOM markers on a phone.
MAX_LABELS = 150
PLACE_LABELS_FROM_ZOOM = 10


def _asset(path: Path, cache_control: str) -> FileResponse:
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None or not path.is_file():
        raise Problem(404, f"no map asset {path.name!r}")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": cache_control})


@router.get("/map", response_class=Response)
def map_page() -> FileResponse:
    """The web map (HTML); its assets are under /map/static and /map/vendor."""
    return _asset(WEB_DIR / "index.html", OWN_CACHE)


@router.get("/map/", response_class=Response)
def map_page_slash() -> RedirectResponse:
    return RedirectResponse("/map", status_code=308)


@router.get("/map/static/{name}", response_class=Response)
def own_asset(name: str) -> FileResponse:
    if name not in OWN_FILES:
        raise Problem(404, f"no map asset {name!r}")
    return _asset(WEB_DIR / name, OWN_CACHE)


@router.get("/map/vendor/{package}/{name}", response_class=Response)
def vendor_asset(package: str, name: str) -> FileResponse:
    """A file of an npm dependency's ``dist`` folder (installed by ``make setup``)."""
    directory = VENDOR_DIRS.get(package)
    if directory is None or not ASSET_NAME.match(name):
        raise Problem(404, f"no vendor asset {package}/{name}")
    if not directory.is_dir():
        raise Problem(
            503,
            f"{package} is not installed: run `make setup` (npm ci --prefix api/web)",
            title="Map libraries missing",
        )
    path = (directory / name).resolve()
    if path.parent != directory.resolve():
        raise Problem(404, f"no vendor asset {package}/{name}")
    return _asset(path, VENDOR_CACHE)


_EXTENT_SQL = text(
    """
    SELECT (SELECT min(date_start) FROM incidents WHERE status = 'published'),
           (SELECT max(date_start) FROM incidents WHERE status = 'published'),
           (SELECT count(*) FROM incidents WHERE status = 'published')
    """
)
_SNAPSHOTS_SQL = text(
    "SELECT DISTINCT valid_from FROM control_zones ORDER BY valid_from DESC LIMIT 1000"
)
_ADMIN_NAMES_SQL = text("SELECT pcode, level, name_en, name_ar FROM admin_units ORDER BY pcode")


def _colour(code: str, parent: str | None) -> str:
    return PARTY_COLOURS.get(code) or PARTY_COLOURS.get(parent or "", FALLBACK_COLOUR)


def _archives(state_dir: Path) -> list[str]:
    directory = state_dir / ARCHIVE_DIR
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.glob("*.pmtiles") if path.is_file())


@router.get("/map/config.json")
def map_config(request: Request) -> JSONResponse:
    """What the page needs before drawing: date range, vocabularies, colours, names."""
    with request.app.state.sessions() as session:
        first, last, count = session.execute(_EXTENT_SQL).one()
        snapshots: list[dt.date] = sorted(session.scalars(_SNAPSHOTS_SQL))
        admin_rows = session.execute(_ADMIN_NAMES_SQL).all()
    today = dt.date.today()
    days = [day for day in (first, last, *snapshots) if day is not None and day <= today]
    start = min(days) if days else today - dt.timedelta(days=365)
    end = max(days) if days else today
    taxonomy = load_party_taxonomy()
    parties = [
        {
            "code": party.code,
            "parent": party.parent,
            "name_en": party.name_en,
            "name_ar": party.name_ar,
            "colour": _colour(party.code, party.parent),
        }
        for party in taxonomy.parties.values()
    ]
    body = {
        "date_min": start.isoformat(),
        "date_max": end.isoformat(),
        "incident_count": count,
        "incident_date_min": first.isoformat() if first else None,
        "incident_date_max": last.isoformat() if last else None,
        "control_snapshots": [day.isoformat() for day in snapshots],
        "parties": parties,
        "weapons": [
            {"code": code, "colour": WEAPON_COLOURS.get(code, FALLBACK_COLOUR)} for code in WEAPONS
        ],
        "facilities": list(FACILITIES),
        "victim_categories": list(VICTIM_CATEGORIES),
        "fallback_colour": FALLBACK_COLOUR,
        "attribution": ATTRIBUTION,
        "admin_units": {
            row.pcode: {"level": row.level, "name_en": row.name_en, "name_ar": row.name_ar}
            for row in admin_rows
        },
        "pmtiles_archives": _archives(request.app.state.settings.state_dir),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


# One label per grid cell (DISTINCT ON the snapped point) thins dense areas evenly.
_ADMIN_LABELS_SQL = text(
    """
    SELECT pcode, name_en, name_ar,
           ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
      FROM admin_units
     WHERE level = :level AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
     ORDER BY pcode
     LIMIT :limit
    """
)
_PLACE_LABELS_SQL = text(
    """
    SELECT DISTINCT ON (ST_SnapToGrid(geom, :cell))
           pcode, name_en, name_ar, kind, ST_X(geom) AS lon, ST_Y(geom) AS lat
      FROM places
     WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
       AND kind IN ('community', 'neighbourhood', 'camp')
     ORDER BY ST_SnapToGrid(geom, :cell), (kind = 'community') DESC, id
     LIMIT :limit
    """
)


def admin_level_for_labels(zoom: float) -> int:
    """The admin level whose names a view shows: the tile layer's level at that zoom."""
    if zoom < 7:
        return 1
    if zoom < 9:
        return 2
    return 3


@router.get("/map/labels.json")
def map_labels(
    request: Request,
    bbox: Annotated[str, Query(description="minlon,minlat,maxlon,maxlat (WGS84)")],
    zoom: Annotated[float, Query(ge=0, le=24)],
) -> JSONResponse:
    """English and Arabic labels for the view: admin units, and places from z10."""
    box = parse_bbox(bbox)
    assert box is not None
    x0, y0, x1, y1 = box
    params: dict[str, Any] = {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "limit": MAX_LABELS}
    labels: list[dict[str, Any]] = []
    with request.app.state.sessions() as session:
        level = admin_level_for_labels(zoom)
        for row in session.execute(_ADMIN_LABELS_SQL, {**params, "level": level}):
            labels.append(
                {
                    "kind": f"admin{level}",
                    "pcode": row.pcode,
                    "name_en": row.name_en,
                    "name_ar": row.name_ar,
                    "lon": row.lon,
                    "lat": row.lat,
                }
            )
        if zoom >= PLACE_LABELS_FROM_ZOOM:
            # About 90 px between labels: 360° spans 256·2^z px at zoom z.
            cell = 90 * 360.0 / (256 * 2**zoom)
            for row in session.execute(_PLACE_LABELS_SQL, {**params, "cell": cell}):
                labels.append(
                    {
                        "kind": row.kind,
                        "pcode": row.pcode,
                        "name_en": row.name_en,
                        "name_ar": row.name_ar,
                        "lon": row.lon,
                        "lat": row.lat,
                    }
                )
    return JSONResponse({"labels": labels[: 2 * MAX_LABELS]})
