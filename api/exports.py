"""Incident query results as GeoJSON, CSV, GeoPackage and FlatGeobuf, in constant memory.

Rows come from a server-side cursor (``stream_results`` + ``yield_per``), so PostgreSQL
holds the result and Python only ever sees one batch. GeoJSON and CSV are produced batch by
batch as bytes for a streaming response or a file; GeoPackage and FlatGeobuf need a seekable
file, so batches are appended to a temporary file with pyogrio and the file is sent after.

Every output is built from :func:`db.queries.public_incident_columns` and
:func:`db.queries.incident_geometry` only, so no personal field can reach an export. The
filter's ``precise`` flag picks the view: the public one places sensitive incidents on their
sub-district like everywhere else; the partners' one gives their true point and place.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyogrio.raw
from sqlalchemy import Boolean, ColumnElement, Integer, Numeric, Select, cast, func, select
from sqlalchemy.orm import Session

from api.geojson import COORDINATE_DECIMALS, feature_text
from db.models import Incident
from db.queries import IncidentFilter, incident_geometry, public_incident_columns

#: Rows fetched per round trip of the server-side cursor: large enough to amortise the
#: round trip, small enough that a batch of features stays a few megabytes.
BATCH_ROWS = 5_000

GeometryForm = Literal["geojson", "wkb", "xy", "none"]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    media_type: str
    driver: str | None  # GDAL driver for file formats, None for the streamed text formats


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "geojson": ExportFormat("geojson", "geojson", "application/geo+json", None),
    "csv": ExportFormat("csv", "csv", "text/csv; charset=utf-8", None),
    "gpkg": ExportFormat("gpkg", "gpkg", "application/geopackage+sqlite3", "GPKG"),
    "fgb": ExportFormat("fgb", "fgb", "application/vnd.flatgeobuf", "FlatGeobuf"),
}

#: CSV columns: the properties plus the point as lon/lat (the same for both views).
CSV_FIELDS: tuple[str, ...] = (
    *(column.key for column in public_incident_columns() if column.key is not None),
    "lon",
    "lat",
)


def _geometry_columns(form: GeometryForm, precise: bool) -> list[ColumnElement[Any]]:
    geometry = incident_geometry(precise)
    if form == "geojson":
        return [func.ST_AsGeoJSON(geometry, COORDINATE_DECIMALS).label("geometry_json")]
    if form == "wkb":
        return [func.ST_AsBinary(geometry).label("geometry_wkb")]
    if form == "xy":
        # ST_X is the longitude and ST_Y the latitude: SRID 4326 keeps lon/lat axis order.
        return [
            func.round(cast(func.ST_X(geometry), Numeric), COORDINATE_DECIMALS).label("lon"),
            func.round(cast(func.ST_Y(geometry), Numeric), COORDINATE_DECIMALS).label("lat"),
        ]
    return []


def incident_select(
    incident_filter: IncidentFilter, geometry: GeometryForm = "geojson"
) -> Select[Any]:
    """Columns and geometry of the incidents matching the filter, in the filter's view.

    ``incident_filter.precise`` decides both where incidents are searched and where they are
    shown, so a partner's query and its answer use the true points and a public one neither.
    Ordered by (date_start, id): the keyset order of ``/incidents``, and a stable order for
    exports so two downloads of the same query are identical files.
    """
    precise = incident_filter.precise
    return (
        select(*public_incident_columns(precise), *_geometry_columns(geometry, precise))
        .where(incident_filter.where())
        .order_by(Incident.date_start, Incident.id)
    )


def stream_rows(
    session: Session, statement: Select[Any], batch_rows: int = BATCH_ROWS
) -> Iterator[list[Any]]:
    """Batches of rows from a server-side cursor (psycopg named cursor inside the transaction)."""
    result = session.execute(
        statement, execution_options={"stream_results": True, "yield_per": batch_rows}
    )
    try:
        for partition in result.partitions():
            yield list(partition)
    finally:
        result.close()


def _properties(row: Any) -> dict[str, Any]:
    mapping = row._mapping
    return {key: mapping[key] for key in mapping if not key.startswith("geometry_")}


def geojson_chunks(
    session: Session, incident_filter: IncidentFilter, batch_rows: int = BATCH_ROWS
) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection in pieces of one batch each."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for batch in stream_rows(session, incident_select(incident_filter, "geojson"), batch_rows):
        text = ",".join(feature_text(row.id, row.geometry_json, _properties(row)) for row in batch)
        yield (text if first else "," + text).encode()
        first = False
    yield b"]}\n"


def _csv_value(value: Any) -> Any:
    # CSV has no boolean: spell it the way spreadsheets and pandas read back.
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value


def csv_chunks(
    session: Session, incident_filter: IncidentFilter, batch_rows: int = BATCH_ROWS
) -> Iterator[bytes]:
    """RFC 4180 CSV with a header row, UTF-8 with a BOM so spreadsheets read Arabic right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    for batch in stream_rows(session, incident_select(incident_filter, "xy"), batch_rows):
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            mapping = row._mapping
            writer.writerow([_csv_value(mapping[name]) for name in CSV_FIELDS])
        yield buffer.getvalue().encode()


# --- GeoPackage / FlatGeobuf ---------------------------------------------------------------


def _field_kinds() -> list[tuple[str, str]]:
    """(name, kind) of every public column: kind is int, bool or str, from the SQL type."""
    kinds = []
    for column in public_incident_columns():
        if column.key is None:
            continue
        if isinstance(column.type, Boolean):
            kind = "bool"
        elif isinstance(column.type, Integer):
            kind = "int"
        else:
            kind = "str"
        kinds.append((column.key, kind))
    return kinds


def _field_arrays(
    rows: list[Any], kinds: list[tuple[str, str]]
) -> tuple[list[np.ndarray[Any, Any]], list[np.ndarray[Any, Any] | None]]:
    """Typed column arrays and null masks, so integer fields stay integers in the file."""
    arrays: list[np.ndarray[Any, Any]] = []
    masks: list[np.ndarray[Any, Any] | None] = []
    for name, kind in kinds:
        values = [row._mapping[name] for row in rows]
        mask = np.array([value is None for value in values], dtype=bool)
        if kind == "int":
            arrays.append(np.array([0 if v is None else v for v in values], dtype=np.int64))
            masks.append(mask)
        elif kind == "bool":
            arrays.append(np.array([bool(v) for v in values], dtype=bool))
            masks.append(mask)
        else:
            arrays.append(np.array(values, dtype=object))
            masks.append(None)  # None in an object array already writes a NULL
    return arrays, masks


def write_ogr_file(
    session: Session,
    incident_filter: IncidentFilter,
    path: Path,
    driver: str,
    *,
    batch_rows: int = BATCH_ROWS,
    layer: str = "incidents",
) -> int:
    """Write the matching incidents to a GeoPackage or FlatGeobuf file; return the count.

    Each batch is appended to the layer, so memory holds one batch whatever the total.
    """
    if driver == "FlatGeobuf":
        return _write_flatgeobuf(session, incident_filter, path, batch_rows, layer)
    kinds = _field_kinds()
    names = [name for name, _ in kinds]
    written = 0
    options = {"driver": driver, "layer": layer, "geometry_type": "Point", "crs": "EPSG:4326"}
    for batch in stream_rows(session, incident_select(incident_filter, "wkb"), batch_rows):
        arrays, masks = _field_arrays(batch, kinds)
        geometry = np.array([row.geometry_wkb for row in batch], dtype=object)
        pyogrio.raw.write(
            str(path),
            geometry,
            arrays,
            fields=names,
            field_mask=masks,
            append=written > 0,
            **options,
        )
        written += len(batch)
    if written == 0:
        # An empty result is still a valid file with the layer and its fields.
        arrays, masks = _field_arrays([], kinds)
        pyogrio.raw.write(str(path), np.array([], dtype=object), arrays, fields=names, **options)
    return written


def _write_flatgeobuf(
    session: Session, incident_filter: IncidentFilter, path: Path, batch_rows: int, layer: str
) -> int:
    """FlatGeobuf by way of a staging GeoPackage.

    GDAL rewrites a whole FlatGeobuf, spatial index included, on every append, so time and
    memory would grow with the file. Batches go to a GeoPackage instead (cheap appends), and
    GDAL converts it in one pass over an Arrow C stream, a batch at a time. The file has no
    spatial index, which is what keeps that pass in constant memory.
    """
    staging = path.with_name(f".{path.stem}.staging.gpkg")
    staging.unlink(missing_ok=True)
    try:
        count = write_ogr_file(
            session, incident_filter, staging, "GPKG", batch_rows=batch_rows, layer=layer
        )
        with pyogrio.raw.open_arrow(str(staging), use_pyarrow=False, batch_size=batch_rows) as (
            meta,
            stream,
        ):
            pyogrio.raw.write_arrow(
                stream,
                str(path),
                driver="FlatGeobuf",
                layer=layer,
                geometry_name=meta["geometry_name"] or "geom",
                geometry_type="Point",
                crs="EPSG:4326",
                # The packed R-tree is built in memory (about 175 bytes per feature: 330 MB
                # peak for a million); without it memory stays flat and readers scan instead.
                layer_options={"SPATIAL_INDEX": "NO"},
            )
    finally:
        staging.unlink(missing_ok=True)
    return count


def write_export(
    session: Session, incident_filter: IncidentFilter, path: Path, format_name: str
) -> int | None:
    """Write an export of any format to ``path``; the count for file formats, else None."""
    export = EXPORT_FORMATS[format_name]
    if export.driver is not None:
        return write_ogr_file(session, incident_filter, path, export.driver)
    chunks = geojson_chunks if format_name == "geojson" else csv_chunks
    with path.open("wb") as out:
        for chunk in chunks(session, incident_filter):
            out.write(chunk)
    return None


def temporary_export(session: Session, incident_filter: IncidentFilter, format_name: str) -> Path:
    """Write a file-format export to a new temporary file the caller must delete."""
    export = EXPORT_FORMATS[format_name]
    handle, name = tempfile.mkstemp(prefix="athar-export-", suffix="." + export.extension)
    os.close(handle)
    path = Path(name)
    # GDAL creates the file itself and refuses to "create" over an existing one.
    path.unlink()
    try:
        write_export(session, incident_filter, path, format_name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def text_chunks(format_name: str) -> Callable[[Session, IncidentFilter], Iterator[bytes]]:
    return geojson_chunks if format_name == "geojson" else csv_chunks
