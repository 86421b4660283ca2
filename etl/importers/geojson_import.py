"""GeoJSON incidents: a FeatureCollection of Point features whose properties are interchange
fields. The point gives lat/lon (properties may omit them); features with another geometry,
no geometry or bad properties are skipped and reported by their 1-based feature number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from etl.importers.record import ImportProblem, ImportResult, RowError, build_record


def import_geojson(source: str | Path | dict[str, Any]) -> ImportResult:
    result = ImportResult()
    if isinstance(source, dict):
        document: Any = source
    else:
        text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            result.problems.append(ImportProblem(error.lineno, f"not JSON: {error.msg}"))
            return result
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        result.problems.append(ImportProblem(0, "not a GeoJSON FeatureCollection"))
        return result
    for number, feature in enumerate(document.get("features") or [], start=1):
        if not isinstance(feature, dict):
            result.problems.append(ImportProblem(number, "feature is not an object"))
            continue
        geometry = feature.get("geometry") or {}
        properties = dict(feature.get("properties") or {})
        if geometry.get("type") != "Point":
            result.problems.append(
                ImportProblem(number, f"geometry {geometry.get('type')!r} is not a Point")
            )
            continue
        coordinates = geometry.get("coordinates") or []
        if len(coordinates) < 2:
            result.problems.append(ImportProblem(number, "Point has no coordinates"))
            continue
        properties.setdefault("lon", coordinates[0])
        properties.setdefault("lat", coordinates[1])
        try:
            result.add(build_record(properties), number)
        except RowError as error:
            result.problems.append(ImportProblem(number, str(error)))
    return result
