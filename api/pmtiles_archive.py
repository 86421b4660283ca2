"""PMTiles v3 archives of a tile layer: writing them, and serving them with HTTP ranges.

An archive holds the same gzip-compressed MVT bytes as the live endpoint (one renderer,
:func:`api.tiles.render_tile`, one compressor, :func:`api.tiles.compress_tile`), for the
tiles that can hold data at each zoom inside Syria's bounds (:func:`api.tiles.tiles_with_data`);
empty tiles are not stored. Tiles are rendered in PMTiles tile-id order so the archive is
clustered and written as a stream.

Archives are served from ``<state_dir>/pmtiles/`` by name; a name is a single path segment
of letters, digits, ``_``, ``-`` and ``.`` (never ``..``), so a request cannot leave that
directory.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from api.tiles import (
    ATTRIBUTION,
    LAYERS,
    MAX_TILE_POINTS,
    SYRIA_BOUNDS,
    SYRIA_CENTER,
    Tile,
    compress_tile,
    render_tile,
    tiles_with_data,
    vector_layer,
)
from db.queries import IncidentFilter
from db.versions import current as current_versions

ARCHIVE_DIR = "pmtiles"
ARCHIVE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
ARCHIVE_CACHE_CONTROL = "public, max-age=3600"
# Bytes read per chunk when streaming a range of an archive to a client.
STREAM_CHUNK = 256 * 1024


class EmptyArchiveError(ValueError):
    """Nothing to write: no tile of the layer holds data for this filter and zoom range."""


@dataclass(frozen=True)
class ExportReport:
    path: Path
    layer: str
    tiles: int
    tiles_tried: int
    bytes: int
    seconds: float
    per_zoom: dict[int, int]
    data_changed: bool


def _e7(degrees: float) -> int:
    return round(degrees * 10_000_000)


def archive_metadata(
    layer: str,
    minzoom: int,
    maxzoom: int,
    incident_filter: IncidentFilter | None,
    day: dt.date | None,
    versions: dict[str, int],
) -> dict[str, Any]:
    spec = LAYERS[layer]
    return {
        "name": f"athar {spec.name}",
        "description": spec.description,
        "attribution": ATTRIBUTION,
        "type": "overlay",
        "format": "pbf",
        "version": "1",
        "vector_layers": [vector_layer(spec, minzoom, maxzoom)],
        "athar": {
            "layer": spec.name,
            "filter": _filter_summary(incident_filter) if spec.incident_layer else None,
            "date": day.isoformat() if spec.dated and day else None,
            "data_versions": {name: versions.get(name, 0) for name in spec.reads},
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }


def _filter_summary(incident_filter: IncidentFilter | None) -> dict[str, Any]:
    if incident_filter is None:
        return {}
    summary: dict[str, Any] = {}
    for name, value in vars(incident_filter).items():
        if name == "extra" or value is None or value == ():
            continue
        summary[name] = list(value) if isinstance(value, tuple) else str(value)
    return summary


def planned_tiles(
    connection: Connection,
    layer: str,
    minzoom: int,
    maxzoom: int,
    incident_filter: IncidentFilter | None = None,
    day: dt.date | None = None,
) -> list[Tile]:
    """Every tile that can hold data, in PMTiles tile-id order (zoom, then Hilbert curve)."""
    tiles = [
        tile
        for z in range(minzoom, maxzoom + 1)
        for tile in tiles_with_data(connection, layer, z, incident_filter, day)
    ]
    tiles.sort(key=lambda tile: zxy_to_tileid(tile.z, tile.x, tile.y))
    return tiles


def export_pmtiles(
    engine: Engine,
    out: Path,
    layer: str,
    *,
    incident_filter: IncidentFilter | None = None,
    day: dt.date | None = None,
    minzoom: int = 0,
    maxzoom: int = 14,
    workers: int = 2,
    max_points: int = MAX_TILE_POINTS,
    progress: Callable[[int, int], None] | None = None,
) -> ExportReport:
    """Write a PMTiles v3 archive of ``layer`` to ``out`` (replaced atomically)."""
    started = time.perf_counter()
    spec = LAYERS[layer]
    if spec.dated and day is None:
        day = dt.date.today()
    with Session(engine) as session:
        versions_before = current_versions(session)
    with engine.connect() as connection:
        tiles = planned_tiles(connection, layer, minzoom, maxzoom, incident_filter, day)

    local = threading.local()
    opened: list[Connection] = []
    opened_lock = threading.Lock()

    def render(tile: Tile) -> bytes:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = engine.connect()
            local.connection = connection
            with opened_lock:
                opened.append(connection)
        return render_tile(connection, layer, tile, incident_filter, day, max_points)

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    written = 0
    per_zoom: dict[int, int] = {}
    try:
        with partial.open("wb") as handle, ThreadPoolExecutor(max(1, workers)) as pool:
            writer = Writer(handle)
            for done, (tile, raw) in enumerate(
                zip(tiles, pool.map(render, tiles), strict=True), start=1
            ):
                if raw:
                    writer.write_tile(zxy_to_tileid(tile.z, tile.x, tile.y), compress_tile(raw))
                    written += 1
                    per_zoom[tile.z] = per_zoom.get(tile.z, 0) + 1
                if progress is not None:
                    progress(done, len(tiles))
            if not written:
                raise EmptyArchiveError(
                    f"no {layer} tile holds data at z{minzoom}-{maxzoom} for this filter"
                )
            with Session(engine) as session:
                versions_after = current_versions(session)
            west, south, east, north = SYRIA_BOUNDS
            header = {
                "tile_compression": Compression.GZIP,
                "tile_type": TileType.MVT,
                "min_lon_e7": _e7(west),
                "min_lat_e7": _e7(south),
                "max_lon_e7": _e7(east),
                "max_lat_e7": _e7(north),
                "center_zoom": max(minzoom, min(SYRIA_CENTER[2], maxzoom)),
                "center_lon_e7": _e7(SYRIA_CENTER[0]),
                "center_lat_e7": _e7(SYRIA_CENTER[1]),
            }
            metadata = archive_metadata(
                layer, minzoom, maxzoom, incident_filter, day, versions_before
            )
            writer.finalize(header, metadata)
        partial.replace(out)
    finally:
        for connection in opened:
            connection.close()
        partial.unlink(missing_ok=True)
    return ExportReport(
        path=out,
        layer=layer,
        tiles=written,
        tiles_tried=len(tiles),
        bytes=out.stat().st_size,
        seconds=time.perf_counter() - started,
        per_zoom=per_zoom,
        data_changed=versions_after != versions_before,
    )


# --- Serving ----------------------------------------------------------------------------


def archive_path(state_dir: Path, name: str) -> Path | None:
    """The archive file for ``name`` (without ``.pmtiles``), or None if invalid or absent."""
    if not ARCHIVE_NAME.match(name) or ".." in name:
        return None
    directory = (state_dir / ARCHIVE_DIR).resolve()
    path = (directory / f"{name}.pmtiles").resolve()
    # A symlink pointing outside the directory is refused as well.
    if path.parent != directory or not path.is_file():
        return None
    return path


class RangeNotSatisfiableError(ValueError):
    """The Range header asks for bytes the file does not have."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single ``bytes=`` range, or None for all.

    Multiple ranges, other units and malformed headers are answered with the whole file,
    as RFC 9110 allows; a well-formed range beyond the end raises
    :class:`RangeNotSatisfiableError`.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first_text == "":
            suffix = int(last_text)
            if suffix <= 0:
                raise RangeNotSatisfiableError(header)
            return max(size - suffix, 0), size - 1
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first >= size:
        raise RangeNotSatisfiableError(header)
    if first < 0 or last < first:
        return None
    return first, min(last, size - 1)


def read_chunks(path: Path, first: int, last: int) -> Iterator[bytes]:
    """Bytes ``first``..``last`` (inclusive) of ``path``, in chunks."""
    with path.open("rb") as handle:
        handle.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = handle.read(min(STREAM_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
