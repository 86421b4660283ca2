"""GeoJSON incidents: a FeatureCollection of Point features whose properties are interchange
fields. The point gives lat/lon (properties may omit them).

A document that is not JSON, or not a FeatureCollection with features, raises
:class:`~etl.inputs.InputFileError`. Features with another geometry, no geometry, a malformed
point or bad properties are skipped and reported by their 0-based index (``feature 2`` is
``/features/2``), the message naming the JSON pointer of the bad member."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from etl.importers.record import ImportProblem, ImportResult, RowError, build_record
from etl.inputs import (
    GeometryError,
    feature_properties,
    features_of,
    parse_json,
    read_geometry,
    read_text_file,
)


def import_geojson(source: str | Path | dict[str, Any]) -> ImportResult:
    result = ImportResult()
    if isinstance(source, dict):
        document: Any = source
    else:
        document = parse_json(read_text_file(source) if isinstance(source, Path) else source)

    def skip(index: int, message: str) -> None:
        result.problems.append(ImportProblem(index, message, unit="feature"))

    for index, feature in enumerate(features_of(document)):
        pointer = f"/features/{index}"
        properties = feature_properties(feature, pointer)
        if isinstance(properties, str):
            skip(index, properties)
            continue
        try:
            point = read_geometry(feature.get("geometry"), f"{pointer}/geometry", ("Point",))
        except GeometryError as error:
            skip(index, str(error))
            continue
        values = dict(properties)
        values.setdefault("lon", point.x)
        values.setdefault("lat", point.y)
        try:
            result.add(build_record(values), index)
        except RowError as error:
            skip(index, str(error))
    return result
