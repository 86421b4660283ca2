"""Import hazard areas (IMSMA-like) from CSV or GeoJSON, and the HNO mine-action severity.

Column set (``athar hazards import FILE --format csv|geojson``), after the IMSMA Core
Hazard Area form (``ha_code``, ``status_ha``, ``closure_ha``, ``eo_mine``/``eo_erw``/
``eo_ied``, ``survey_date``, ``org_id``, ``community_code``):

================  ========================================================================
hazard_code       required, unique; rows with a known code update that hazard area (upsert)
name              optional
hazard_type       required: ``suspected`` or ``confirmed``
status            ``active`` (default), ``in_progress``, ``closed`` or ``cancelled``
closure_reason    optional text
contamination     list of ``mine``, ``erw``, ``ied``, ``cluster_munition``, ``uxo``,
                  ``other`` (CSV: separated by ``;`` or ``|``; GeoJSON: a list or such a
                  string). ``mines``, ``landmine``, ``cluster`` and ``cm`` are accepted.
device_types      free list (e.g. ``AP blast; AT``)
area_m2           optional number >= 0
reported_on,      optional ISO dates (YYYY-MM-DD); ``closed_on`` may not be before
surveyed_on,      ``reported_on``
closed_on
organisation      optional
community_pcode   optional OCHA community P-code (C + 4-6 digits)
lat, lon          CSV only: the point (WGS84 decimal degrees)
geometry          GeoJSON only: Point, Polygon or MultiPolygon (lon/lat)
source            required per row unless given with ``--source``
(other columns)   kept in ``attributes`` (e.g. IMSMA ``neighbourhood``, ``idp_camp``,
                  evidence flags), empty values dropped
================  ========================================================================

Admin P-codes (governorate, district, sub-district) are filled by point-in-polygon on
``admin_units`` (the point, or a point on the polygon's surface). A bad row is reported with
its line number (CSV, counting the header as line 1) or feature index (GeoJSON, 0-based as in
``/features/N``) and skipped; good rows are stored; the file is one transaction. A
self-intersecting polygon is repaired (GEOS ``make_valid``) with a warning giving GEOS's
reason; a ring that is not closed or has fewer than four positions, or coordinates that are
not finite lon/lat numbers, make the row bad. A file that is not CSV with the needed columns
or not a GeoJSON FeatureCollection, or in which no row is usable, is refused and nothing is
written.

The mine-action severity (HNO 2023, reference 2022-12-31) is bundled as
``db/data/mine_action_severity_2023.csv`` and loaded into ``admin_indicators`` as
``mine_action_severity`` (1-5) and ``mine_action_pin`` (people in need).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from shapely import make_valid
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import AdminIndicator, AdminUnit, SourceDocument
from db.versions import bump
from db.vocab import CONTAMINATION_TYPES, HAZARD_STATUSES, HAZARD_TYPES
from etl.inputs import (
    GeometryError,
    InputFileError,
    decode_text,
    feature_properties,
    features_of,
    parse_json,
    read_bytes,
    read_csv,
    read_geometry,
    read_text_file,
)

SEVERITY_REFERENCE_DATE = dt.date(2022, 12, 31)
SEVERITY_SOURCE = "OCHA HNO 2023, Protection - Mine Action AoR (sector dataset)"
SEVERITY_INDICATORS = ("mine_action_severity", "mine_action_pin")
HNO_SEVERITY_FILE = "ocha_hno2023_syr/syr_hno2023_adm3_mine_action_pin_severity.csv"

# Syria's extent with a margin; a point outside is a typo or swapped axes, not a hazard.
SYRIA_BOUNDS = (35.0, 32.0, 43.0, 37.7)
CONTAMINATION_SYNONYMS = {
    "mines": "mine",
    "landmine": "mine",
    "landmines": "mine",
    "cluster": "cluster_munition",
    "cluster_munitions": "cluster_munition",
    "cm": "cluster_munition",
    "ieds": "ied",
    "eo": "erw",
}
FIELDS = (
    "hazard_code",
    "name",
    "hazard_type",
    "status",
    "closure_reason",
    "contamination",
    "device_types",
    "area_m2",
    "reported_on",
    "surveyed_on",
    "closed_on",
    "organisation",
    "community_pcode",
    "source",
)


class HazardFileError(InputFileError):
    """The whole file is unusable (unreadable, not CSV/GeoJSON, no header, no usable row)."""


@dataclass(frozen=True)
class RowIssue:
    where: str  # 'line 7' or 'feature 3'
    message: str
    skipped: bool = True  # False for a warning about a row that was stored

    def __str__(self) -> str:
        if not self.skipped:
            return f"{self.where}: warning: {self.message}"
        return f"{self.where}: {self.message}; row skipped"


@dataclass
class HazardImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    warnings: list[RowIssue] = field(default_factory=list)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = str(value).replace("|", ";").split(";")
    return [item.strip() for item in items if item.strip()]


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a valid date (YYYY-MM-DD)") from None


def _in_syria(geometry: BaseGeometry) -> bool:
    xmin, ymin, xmax, ymax = geometry.bounds
    bx0, by0, bx1, by1 = SYRIA_BOUNDS
    return bx0 <= xmin and xmax <= bx1 and by0 <= ymin and ymax <= by1


def clean_row(
    raw: dict[str, Any], geometry: BaseGeometry, default_source: str | None
) -> dict[str, Any]:
    """A row ready for insertion; ValueError with the reason when it is not acceptable."""
    code = str(raw.get("hazard_code") or "").strip()
    if not code:
        raise ValueError("hazard_code is missing")
    hazard_type = str(raw.get("hazard_type") or "").strip().lower()
    if hazard_type not in HAZARD_TYPES:
        raise ValueError(f"hazard_type {hazard_type!r} is not one of {', '.join(HAZARD_TYPES)}")
    status = str(raw.get("status") or "active").strip().lower().replace(" ", "_")
    if status not in HAZARD_STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(HAZARD_STATUSES)}")
    contamination = []
    for item in _list(raw.get("contamination")):
        key = item.lower().replace(" ", "_").replace("-", "_")
        key = CONTAMINATION_SYNONYMS.get(key, key)
        if key not in CONTAMINATION_TYPES:
            raise ValueError(
                f"contamination {item!r} is not one of {', '.join(CONTAMINATION_TYPES)}"
            )
        if key not in contamination:
            contamination.append(key)
    area: float | None = None
    if raw.get("area_m2") not in (None, ""):
        try:
            area = float(raw["area_m2"])
        except (TypeError, ValueError):
            raise ValueError(f"area_m2 {raw['area_m2']!r} is not a number") from None
        if not math.isfinite(area):
            raise ValueError(f"area_m2 {raw['area_m2']!r} is not a finite number")
        if area < 0:
            raise ValueError("area_m2 is negative")
    reported_on = _date(raw.get("reported_on"), "reported_on")
    surveyed_on = _date(raw.get("surveyed_on"), "surveyed_on")
    closed_on = _date(raw.get("closed_on"), "closed_on")
    if closed_on and reported_on and closed_on < reported_on:
        raise ValueError(f"closed_on {closed_on} is before reported_on {reported_on}")
    community = str(raw.get("community_pcode") or "").strip() or None
    if community is not None and not (
        community.startswith("C") and community[1:].isdigit() and 4 <= len(community) - 1 <= 6
    ):
        raise ValueError(f"community_pcode {community!r} is not an OCHA community P-code")
    source = str(raw.get("source") or default_source or "").strip()
    if not source:
        raise ValueError("source is missing (column 'source' or --source)")
    if geometry.is_empty:
        raise ValueError("empty geometry")
    if geometry.geom_type not in ("Point", "Polygon", "MultiPolygon"):
        raise ValueError(f"geometry is a {geometry.geom_type}; Point or (Multi)Polygon needed")
    if not geometry.is_valid:
        geometry = make_valid(geometry)
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValueError("polygon cannot be repaired into a polygon")
    if not _in_syria(geometry):
        raise ValueError("geometry is outside Syria (check lon/lat order)")
    return {
        "hazard_code": code,
        "name": str(raw.get("name") or "").strip() or None,
        "hazard_type": hazard_type,
        "status": status,
        "closure_reason": str(raw.get("closure_reason") or "").strip() or None,
        "contamination": contamination,
        "device_types": _list(raw.get("device_types")),
        "area_m2": area,
        "reported_on": reported_on,
        "surveyed_on": surveyed_on,
        "closed_on": closed_on,
        "organisation": str(raw.get("organisation") or "").strip() or None,
        "community_pcode": community,
        "source": source,
        "wkt": geometry.wkt,
        # Other IMSMA fields (neighbourhood, idp_camp, evidence flags, team, ...) are kept.
        "attributes": json.dumps(
            {
                key: value
                for key, value in raw.items()
                if key
                and key not in FIELDS
                and key not in ("lat", "lon", "geometry")
                and value not in (None, "")
            },
            ensure_ascii=False,
            default=str,
        ),
    }


def _csv_rows(data: str) -> Iterable[tuple[str, dict[str, Any], BaseGeometry | str]]:
    try:
        table = read_csv(data, required=("hazard_code", "lat", "lon"))
    except InputFileError as exc:
        raise HazardFileError(exc.message, exc.where) from None
    for row in table.rows:
        where = f"line {row.line}"
        if row.problem:
            yield where, row.values, row.problem
            continue
        lat_text, lon_text = row.values.get("lat"), row.values.get("lon")
        try:
            lat, lon = float(lat_text or ""), float(lon_text or "")
        except ValueError:
            yield where, row.values, f"lat/lon {lat_text!r}, {lon_text!r} are not numbers"
            continue
        if not (math.isfinite(lat) and math.isfinite(lon)):
            yield where, row.values, f"lat/lon {lat_text!r}, {lon_text!r} are not finite numbers"
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            yield where, row.values, f"lat/lon {lat}, {lon} are out of range"
            continue
        yield where, row.values, Point(lon, lat)


def _geojson_rows(data: str) -> Iterable[tuple[str, dict[str, Any], BaseGeometry | str]]:
    try:
        features = features_of(parse_json(data))
    except InputFileError as exc:
        raise HazardFileError(exc.message, exc.where) from None
    for index, feature in enumerate(features):
        where = f"feature {index}"
        pointer = f"/features/{index}"
        props = feature_properties(feature, pointer)
        if isinstance(props, str):
            yield where, {}, props
            continue
        try:
            geometry = read_geometry(
                feature.get("geometry"), f"{pointer}/geometry", ("Point", "Polygon", "MultiPolygon")
            )
        except GeometryError as exc:
            yield where, props, str(exc)
            continue
        yield where, props, geometry


_UPSERT_SQL = text(
    """
    INSERT INTO hazard_areas (hazard_code, name, hazard_type, status, closure_reason,
        contamination, device_types, area_m2, geom, reported_on, surveyed_on, closed_on,
        community_pcode, organisation, source, source_document_id, attributes)
    VALUES (:hazard_code, :name, :hazard_type, :status, :closure_reason,
        :contamination, :device_types, :area_m2, ST_GeomFromText(:wkt, 4326),
        :reported_on, :surveyed_on, :closed_on, :community_pcode, :organisation, :source,
        :source_document_id, CAST(:attributes AS jsonb))
    ON CONFLICT (hazard_code) DO UPDATE SET
        name = EXCLUDED.name, hazard_type = EXCLUDED.hazard_type, status = EXCLUDED.status,
        closure_reason = EXCLUDED.closure_reason, contamination = EXCLUDED.contamination,
        device_types = EXCLUDED.device_types, area_m2 = EXCLUDED.area_m2,
        geom = EXCLUDED.geom, reported_on = EXCLUDED.reported_on,
        surveyed_on = EXCLUDED.surveyed_on, closed_on = EXCLUDED.closed_on,
        community_pcode = EXCLUDED.community_pcode, organisation = EXCLUDED.organisation,
        source = EXCLUDED.source, source_document_id = EXCLUDED.source_document_id,
        attributes = EXCLUDED.attributes, updated_at = now()
    RETURNING id, (xmax = 0) AS inserted
    """
)

# Sub-district by point-in-polygon (GiST on admin_units.geom), then its parents.
ASSIGN_ADMIN_SQL = text(
    """
    UPDATE hazard_areas h
       SET admin3_pcode = a3.pcode, admin2_pcode = a2.pcode, admin1_pcode = a2.parent_pcode
      FROM admin_units a3
      LEFT JOIN admin_units a2 ON a2.pcode = a3.parent_pcode
     WHERE h.id = ANY(:ids)
       AND a3.level = 3
       AND ST_Intersects(a3.geom, ST_PointOnSurface(h.geom))
    """
)


def check_hazard_rows(
    data: str, *, fmt: str, default_source: str | None = None
) -> tuple[list[dict[str, Any]], HazardImportReport]:
    """Validate every row without a database: the rows ready to store, and what was skipped.

    HazardFileError when the file is unusable or not a single row is.
    """
    if fmt not in ("csv", "geojson"):
        raise HazardFileError(f"unknown format {fmt!r}")
    rows = _csv_rows(data) if fmt == "csv" else _geojson_rows(data)
    report = HazardImportReport()
    cleaned: list[dict[str, Any]] = []
    for where, raw, geometry in rows:
        report.rows += 1
        if isinstance(geometry, str):
            report.issues.append(RowIssue(where, geometry))
            continue
        try:
            row = clean_row(raw, geometry, default_source)
        except ValueError as exc:
            report.issues.append(RowIssue(where, str(exc)))
            continue
        if not geometry.is_valid:
            report.warnings.append(
                RowIssue(where, f"geometry repaired ({explain_validity(geometry)})", skipped=False)
            )
        cleaned.append(row)
    if not cleaned:
        raise HazardFileError(
            f"no usable row ({len(report.issues)} skipped)" if report.rows else "no rows"
        )
    return cleaned, report


def import_hazard_rows(
    session: Session,
    data: str,
    *,
    fmt: str,
    default_source: str | None = None,
    source_document_id: int | None = None,
) -> HazardImportReport:
    """Validate and upsert hazard rows from CSV/GeoJSON text. Does not commit."""
    cleaned, report = check_hazard_rows(data, fmt=fmt, default_source=default_source)
    store_hazard_rows(session, cleaned, report, source_document_id=source_document_id)
    return report


def store_hazard_rows(
    session: Session,
    cleaned: list[dict[str, Any]],
    report: HazardImportReport,
    *,
    source_document_id: int | None,
) -> None:
    """Upsert rows from :func:`check_hazard_rows`, counting them in ``report``."""
    stored: list[int] = []
    for row in cleaned:
        result = session.execute(_UPSERT_SQL, {**row, "source_document_id": source_document_id})
        hazard_id, inserted = result.one()
        stored.append(hazard_id)
        if inserted:
            report.inserted += 1
        else:
            report.updated += 1
    if stored:
        session.execute(ASSIGN_ADMIN_SQL, {"ids": stored})
        bump(session, "hazard_areas")


def import_hazard_file(
    session: Session, path: Path, *, fmt: str, default_source: str | None = None
) -> HazardImportReport:
    """``athar hazards import``: the file is one source document and one transaction.

    Every row is checked before the first write, so a refused file writes nothing.
    """
    try:
        raw = read_bytes(path)
        data = decode_text(raw)
    except InputFileError as exc:
        raise HazardFileError(exc.message, exc.where) from None
    cleaned, report = check_hazard_rows(data, fmt=fmt, default_source=default_source)
    checksum = hashlib.sha256(raw).hexdigest()
    key = f"hazards-file:{checksum}"
    document = session.scalars(
        select(SourceDocument).where(SourceDocument.source_key == key)
    ).one_or_none()
    if document is None:
        document = SourceDocument(
            source_key=key,
            kind="hazards",
            title=path.name,
            checksum=checksum,
            media_type="text/csv" if fmt == "csv" else "application/geo+json",
        )
        session.add(document)
        session.flush()
    store_hazard_rows(session, cleaned, report, source_document_id=document.id)
    return report


# --- Mine-action severity (HNO 2023) ------------------------------------------------------


def bundled_severity_path() -> Path:
    return Path(str(resources.files("db").joinpath("data/mine_action_severity_2023.csv")))


def build_severity_csv(shared: Path, out_path: Path) -> tuple[Path, int]:
    """Write the compact bundled CSV (pcode, name, severity, PiN) from the HNO file."""
    rows = []
    with (shared / HNO_SEVERITY_FILE).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["admin3Pcode"] or not row["mine_action_severity"]:
                continue
            rows.append(
                (
                    row["admin3Pcode"],
                    row["admin3Name_en"],
                    int(float(row["mine_action_severity"])),
                    round(float(row["mine_action_pin"] or 0)),
                )
            )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(
            "# OCHA Syria HNO 2023 sector dataset (file dated 2023-03-15), Protection - Mine "
            "Action AoR; reference 2022-12-31. Licence not stated by the carrying repository "
            "(northwest-syria-cash-working-group/nws_syria_cash_reporting); see HDX.\n"
        )
        writer = csv.writer(fh)
        writer.writerow(["admin3_pcode", "admin3_name", "mine_action_severity", "mine_action_pin"])
        writer.writerows(sorted(rows))
    return out_path, len(rows)


@dataclass
class SeverityLoadReport:
    stored: int = 0
    skipped: int = 0


# The HNO severity scale; people in need is a count.
_SEVERITY_RANGES = {"mine_action_severity": (1.0, 5.0), "mine_action_pin": (0.0, 1e9)}


def _severity_records(path: Path) -> dict[str, dict[str, float]]:
    """Sub-district P-code -> indicator values, every row checked; HazardFileError otherwise."""
    try:
        text = read_text_file(path)
    except InputFileError as exc:
        raise HazardFileError(exc.message, exc.where) from None
    # Comment lines become blank lines, so the line numbers in messages stay the file's own.
    text = "\n".join("" if line.startswith("#") else line for line in text.split("\n"))
    try:
        table = read_csv(text, required=("admin3_pcode", *SEVERITY_INDICATORS))
    except InputFileError as exc:
        raise HazardFileError(exc.message, exc.where) from None
    records: dict[str, dict[str, float]] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    for row in table.rows:
        pcode = row.values.get("admin3_pcode", "").strip()
        if row.problem:
            problems.append(f"line {row.line}: {row.problem}")
            continue
        if not pcode:
            problems.append(f"line {row.line}: admin3_pcode is missing")
            continue
        if pcode in first_line:
            problems.append(f"line {row.line}: {pcode} is listed again (line {first_line[pcode]})")
            continue
        numbers: dict[str, float] = {}
        for indicator, (low, high) in _SEVERITY_RANGES.items():
            raw = row.values.get(indicator, "")
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not (math.isfinite(number) and low <= number <= high):
                problems.append(
                    f"line {row.line}: {indicator} {raw!r} is not a number {low:g}..{high:g}"
                )
                break
            numbers[indicator] = number
        else:
            first_line[pcode] = row.line
            records[pcode] = numbers
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise HazardFileError(f"{len(problems)} bad row(s), nothing loaded: {shown}")
    if not records:
        raise HazardFileError("no rows after the header")
    return records


def load_severity(session: Session, path: Path | None = None) -> SeverityLoadReport:
    """Upsert the severity indicators for sub-districts present in admin_units.

    The file is reference data, so it loads whole or not at all: any bad row (a value that
    is not a number in range, a sub-district listed twice) raises HazardFileError naming the
    lines, before anything is written.
    """
    path = path or bundled_severity_path()
    report = SeverityLoadReport()
    if not path.exists():
        return report
    records = _severity_records(path)
    known = set(session.scalars(select(AdminUnit.pcode).where(AdminUnit.level == 3)))
    values = []
    for pcode, numbers in records.items():
        if pcode not in known:
            report.skipped += 1
            continue
        for indicator in SEVERITY_INDICATORS:
            values.append(
                {
                    "admin_pcode": pcode,
                    "indicator": indicator,
                    "reference_date": SEVERITY_REFERENCE_DATE,
                    "value": numbers[indicator],
                    "source": SEVERITY_SOURCE,
                }
            )
    if values:
        statement = insert(AdminIndicator).values(values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    AdminIndicator.admin_pcode,
                    AdminIndicator.indicator,
                    AdminIndicator.reference_date,
                ],
                set_={"value": statement.excluded.value, "source": statement.excluded.source},
            )
        )
    report.stored = len(values)
    return report
