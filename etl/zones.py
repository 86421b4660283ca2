"""Import control zones from GeoJSON, and load the bundled zone files, in one transaction each.

File format (``athar zones import FILE.geojson``): a GeoJSON FeatureCollection of Polygon or
MultiPolygon features (SRID 4326, lon/lat). Feature properties:

============  =========================================================================
parties       required. Controlling parties: taxonomy codes or aliases, as a JSON list
              or one string separated by ``;`` ("SDF; Syrian regime"). Several parties
              mean joint or mixed control.
shares        optional. Share of each party (0..1), a list in the order of ``parties``
              or an object {party: share}; they may not add up to more than 1.
valid_from    required. ISO date (YYYY-MM-DD), first day the zone holds.
valid_to      optional. ISO date, last day (inclusive); empty/null = still valid.
source        required (or a collection-level ``metadata.source`` / ``--source``).
label         optional. Human label of the zone.
observed_on   optional. Date the source observed the situation (default valid_from);
              the evidence age of answers is counted from it.
admin3_pcode  optional. Sub-district P-code when the zone is one sub-district.
============  =========================================================================

Rules:

* **Snapshots.** Zones of one *series* (``--series``, stored as ``derivation``; default
  ``imported``) are snapshots: when a zone starts, every open-ended zone of the same series
  whose area overlaps it (interiors intersect) and that started earlier is closed the day
  before (``valid_to = new.valid_from - 1``); and an open-ended zone imported after a later
  snapshot of its series is itself closed the day before the earliest later overlapping
  zone starts — so the import order of files does not matter. Zones with an explicit
  ``valid_to`` are kept as given. Features are applied in ``valid_from`` order, so one
  file may hold several snapshots.
* **True overlaps** that remain are resolved at query time: the most recent
  ``valid_from`` wins, then the most recent ``observed_on``, then the zone stored last
  (see :mod:`db.control`).
* **Bad features** are reported with their index (0-based, in file order, as in the JSON
  pointer ``/features/N``). Unknown parties are a warning: the feature is skipped.
  Topologically invalid geometry (self-intersection) is repaired with GEOS ``make_valid`` and
  reported as a warning with GEOS's reason; structurally broken geometry (a ring not closed or
  with fewer than four positions, coordinates that are not finite lon/lat numbers, a type
  other than Polygon or MultiPolygon), geometry that has no area after repair, geometry
  lying entirely outside Syria's box (:data:`db.extent.SYRIA_BOUNDS`, Syria with a margin for
  border areas; the message says when the coordinates look swapped, [lat, lon]), a missing or
  impossible date (2021-02-30), ``valid_from`` after ``valid_to``, or bad shares are errors.
  Any error refuses the whole file and nothing is written, unless ``skip_bad`` is set, in
  which case those features are skipped too. A file that is not a GeoJSON FeatureCollection,
  or in which no feature is usable, is always refused.
* Re-importing the same file (same SHA-256) replaces the zones it created before.
* After a successful import every incident's control is refreshed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from geoalchemy2.shape import from_shape
from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from db.control import refresh_incident_control
from db.extent import SYRIA_BOUNDS, meets_syria
from db.models import AdminUnit, ControlZone, ControlZoneParty, SourceDocument
from db.parties import PartyTaxonomy, load_party_taxonomy
from db.versions import bump
from etl.inputs import (
    GeometryError,
    InputFileError,
    bad_string,
    decode_text,
    feature_properties,
    features_of,
    parse_json,
    read_bytes,
    read_geometry,
)

DEFAULT_SERIES = "imported"
BUNDLED_PREFIX = "bundled:"
# Shares are stored as NUMERIC(5,4); a sum a little over 1 is rounding, not an error.
_SHARE_SLACK = 0.0005


@dataclass(frozen=True)
class FeatureIssue:
    index: int
    severity: str  # 'error' | 'warning'
    message: str

    def __str__(self) -> str:
        if self.index < 0:  # the file as a whole
            return f"{self.severity}: {self.message}"
        return f"feature {self.index}: {self.severity}: {self.message}"


@dataclass
class ParsedZone:
    index: int
    geometry: MultiPolygon
    parties: list[tuple[str, float | None]]
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    label: str | None
    observed_on: dt.date | None
    admin3_pcode: str | None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ZoneImportReport:
    features: int = 0
    inserted: int = 0
    replaced: int = 0
    closed: int = 0
    skipped: int = 0
    incidents_refreshed: int = 0
    issues: list[FeatureIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[FeatureIssue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[FeatureIssue]:
        return [issue for issue in self.issues if issue.severity == "warning"]


class ZoneImportError(Exception):
    """The file was refused: nothing was written. ``report.issues`` says why."""

    def __init__(self, message: str, report: ZoneImportReport) -> None:
        super().__init__(message)
        self.report = report


def parse_date(value: Any, name: str) -> dt.date | None:
    """An ISO date, None for empty; ValueError with a readable message otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a YYYY-MM-DD string, got {value!r}")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a valid date (YYYY-MM-DD)") from None


def _split_parties(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    return []


def polygonal_parts(geometry: BaseGeometry) -> MultiPolygon:
    """The polygons of a geometry (dropping the lines/points make_valid may leave)."""
    if isinstance(geometry, Polygon):
        return MultiPolygon([geometry]) if not geometry.is_empty else MultiPolygon()
    if isinstance(geometry, MultiPolygon):
        return geometry
    parts: list[Polygon] = []
    for part in getattr(geometry, "geoms", ()):
        polygonal = polygonal_parts(part)
        parts.extend(polygonal.geoms)
    return MultiPolygon(parts)


def _shares(raw: Any, codes: list[str], taxonomy: PartyTaxonomy) -> list[float | None]:
    if raw is None or raw == "":
        return [None] * len(codes)
    values: list[float | None]
    if isinstance(raw, dict):
        by_code: dict[str, float] = {}
        for key, value in raw.items():
            party = taxonomy.lookup(str(key))
            if party is None:
                raise ValueError(f"shares names unknown party {key!r}")
            by_code[party.code] = float(value)
        values = [by_code.get(code) for code in codes]
    elif isinstance(raw, list):
        if len(raw) != len(codes):
            raise ValueError(f"shares has {len(raw)} values for {len(codes)} parties")
        values = [None if v is None else float(v) for v in raw]
    elif isinstance(raw, str):
        parts = [p.strip() for p in raw.split(";")]
        if len(parts) != len(codes):
            raise ValueError(f"shares has {len(parts)} values for {len(codes)} parties")
        values = [float(p) if p else None for p in parts]
    else:
        raise ValueError("shares must be a list, an object or a ';'-separated string")
    for value in values:
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError(f"share {value} is not between 0 and 1")
    if sum(v for v in values if v is not None) > 1.0 + _SHARE_SLACK:
        raise ValueError("shares add up to more than 1")
    return values


def outside_syria(geometry: BaseGeometry) -> str | None:
    """Why a zone cannot be in Syria, or None when its extent meets Syria's box at all.

    Only a zone entirely outside is refused: real zones may run over a border, but one that
    misses the whole country would silently give every incident a wrong controlling force.
    When the extent with x and y exchanged does meet the box, the file was written [lat, lon].
    """
    xmin, ymin, xmax, ymax = geometry.bounds
    if meets_syria((xmin, ymin, xmax, ymax)):
        return None
    west, south, east, north = SYRIA_BOUNDS
    extent = (
        f"extent x {xmin:g}..{xmax:g}, y {ymin:g}..{ymax:g} does not meet "
        f"lon {west:g}..{east:g}, lat {south:g}..{north:g}"
    )
    if meets_syria((ymin, xmin, ymax, xmax)):
        return (
            f"outside Syria, the coordinates look swapped (lat, lon): {extent}; "
            "GeoJSON positions are [lon, lat]"
        )
    return f"outside Syria: {extent}; positions must be WGS84 [lon, lat] (EPSG:4326)"


def collection_metadata(document: Any) -> dict[str, str]:
    """The collection-level ``metadata`` member's text values (anything else is ignored)."""
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(metadata, dict):
        return {}
    return {
        str(key): value
        for key, value in metadata.items()
        if isinstance(value, str) and bad_string(value, "") is None
    }


def parse_features(
    document: Any,
    *,
    taxonomy: PartyTaxonomy | None = None,
    default_source: str | None = None,
) -> tuple[list[ParsedZone], list[FeatureIssue]]:
    """Check every feature of a GeoJSON FeatureCollection; no database needed."""
    taxonomy = taxonomy or load_party_taxonomy()
    try:
        features = features_of(document)
    except InputFileError as exc:
        return [], [FeatureIssue(-1, "error", str(exc))]
    file_source = default_source or collection_metadata(document).get("source")
    zones: list[ParsedZone] = []
    issues: list[FeatureIssue] = []
    for index, feature in enumerate(features):
        pointer = f"/features/{index}"

        def error(message: str, index: int = index) -> None:
            issues.append(FeatureIssue(index, "error", message))

        props = feature_properties(feature, pointer)
        if isinstance(props, str):
            error(props)
            continue
        texts = {name: props.get(name) for name in ("label", "source", "admin3_pcode")}
        not_text = [name for name, value in texts.items() if not isinstance(value, str | None)]
        if not_text:
            error(f"{pointer}/properties/{not_text[0]}: must be a string")
            continue

        # Parties first: an unknown party skips the feature with a warning only.
        names = _split_parties(props.get("parties"))
        if not names:
            error("no controlling parties (property 'parties')")
            continue
        codes: list[str] = []
        unknown = []
        for name in names:
            party = taxonomy.lookup(name)
            if party is None:
                unknown.append(name)
            elif party.code not in codes:
                codes.append(party.code)
        if unknown:
            issues.append(
                FeatureIssue(
                    index,
                    "warning",
                    f"unknown part{'ies' if len(unknown) > 1 else 'y'} "
                    f"{', '.join(repr(u) for u in unknown)}; feature skipped",
                )
            )
            continue
        try:
            valid_from = parse_date(props.get("valid_from"), "valid_from")
            valid_to = parse_date(props.get("valid_to"), "valid_to")
            observed_on = parse_date(props.get("observed_on"), "observed_on")
        except ValueError as exc:
            error(str(exc))
            continue
        if valid_from is None:
            error("valid_from is missing")
            continue
        if valid_to is not None and valid_from > valid_to:
            error(f"valid_from {valid_from} is after valid_to {valid_to}")
            continue
        try:
            shares = _shares(props.get("shares"), codes, taxonomy)
        except (TypeError, ValueError) as exc:
            error(str(exc))
            continue
        source = props.get("source") or file_source
        if not source:
            error("no source (property 'source' or the file's metadata.source)")
            continue
        try:
            geometry = read_geometry(
                feature.get("geometry"), f"{pointer}/geometry", ("Polygon", "MultiPolygon")
            )
        except GeometryError as exc:
            error(str(exc))
            continue
        if geometry.is_empty:
            error(f"{pointer}/geometry: empty geometry")
            continue
        # Before any repair: a zone in the wrong place is refused, not repaired with a warning.
        misplaced = outside_syria(geometry)
        if misplaced:
            error(f"{pointer}/geometry: {misplaced}")
            continue
        if not geometry.is_valid:
            reason = explain_validity(geometry)
            geometry = make_valid(geometry)
            issues.append(FeatureIssue(index, "warning", f"geometry repaired ({reason})"))
        polygons = polygonal_parts(geometry)
        if polygons.is_empty or polygons.area == 0:
            error(f"{pointer}/geometry: geometry has no area")
            continue
        zones.append(
            ParsedZone(
                index=index,
                geometry=polygons,
                parties=list(zip(codes, shares, strict=True)),
                valid_from=valid_from,
                valid_to=valid_to,
                source=str(source),
                label=props.get("label") or None,
                observed_on=observed_on,
                admin3_pcode=props.get("admin3_pcode") or None,
                attributes={
                    key: value
                    for key, value in props.items()
                    if key
                    not in {
                        "parties",
                        "shares",
                        "valid_from",
                        "valid_to",
                        "source",
                        "label",
                        "observed_on",
                        "admin3_pcode",
                    }
                },
            )
        )
    return zones, issues


_CLOSE_PREVIOUS_SQL = text(
    """
    UPDATE control_zones old
       SET valid_to = CAST(:valid_from AS date) - 1
      FROM control_zones new
     WHERE new.id = :zone_id
       AND old.id <> new.id
       AND old.derivation = :derivation
       AND old.valid_to IS NULL
       AND old.valid_from < CAST(:valid_from AS date)
       AND old.geom && new.geom
       AND ST_Relate(old.geom, new.geom, '2********')
    """
)


# The same rule the other way round, for a snapshot imported after a later one: the new
# open-ended zone ends the day before the earliest later zone of its series that overlaps it.
_CLOSE_NEW_SQL = text(
    """
    UPDATE control_zones new
       SET valid_to = later.first_start - 1
      FROM (SELECT min(other.valid_from) AS first_start
              FROM control_zones other, control_zones me
             WHERE me.id = :zone_id
               AND other.id <> me.id
               AND other.derivation = :derivation
               AND other.valid_from > me.valid_from
               AND other.geom && me.geom
               AND ST_Relate(other.geom, me.geom, '2********')) later
     WHERE new.id = :zone_id AND new.valid_to IS NULL AND later.first_start IS NOT NULL
    """
)


def store_zones(
    session: Session,
    zones: Iterable[ParsedZone],
    *,
    derivation: str,
    source_document_id: int | None,
) -> tuple[int, int]:
    """Insert parsed zones in valid_from order, closing earlier open snapshots; (new, closed)."""
    ordered = sorted(zones, key=lambda z: (z.valid_from, z.index))
    wanted_pcodes = {z.admin3_pcode for z in ordered if z.admin3_pcode}
    known_pcodes = (
        set(session.scalars(select(AdminUnit.pcode).where(AdminUnit.pcode.in_(wanted_pcodes))))
        if wanted_pcodes
        else set()
    )
    inserted = closed = 0
    for parsed in ordered:
        attributes = dict(parsed.attributes)
        if parsed.admin3_pcode and parsed.admin3_pcode not in known_pcodes:
            # The admin units may not be loaded yet; keep the code without the foreign key.
            attributes["admin3_pcode"] = parsed.admin3_pcode
        zone = ControlZone(
            valid_from=parsed.valid_from,
            valid_to=parsed.valid_to,
            geom=from_shape(parsed.geometry, srid=4326),
            label=parsed.label,
            derivation=derivation,
            admin3_pcode=parsed.admin3_pcode if parsed.admin3_pcode in known_pcodes else None,
            observed_on=parsed.observed_on,
            source=parsed.source,
            source_document_id=source_document_id,
            attributes=attributes,
        )
        zone.parties = [
            ControlZoneParty(
                party_code=code, share=None if share is None else Decimal(f"{share:.4f}")
            )
            for code, share in parsed.parties
        ]
        session.add(zone)
        session.flush()
        inserted += 1
        result = session.execute(
            _CLOSE_PREVIOUS_SQL,
            {"zone_id": zone.id, "derivation": derivation, "valid_from": parsed.valid_from},
        )
        closed += int(getattr(result, "rowcount", 0) or 0)
        result = session.execute(_CLOSE_NEW_SQL, {"zone_id": zone.id, "derivation": derivation})
        closed += int(getattr(result, "rowcount", 0) or 0)
    return inserted, closed


def _source_document(
    session: Session, *, source_key: str, title: str, checksum: str, metadata: dict[str, str]
) -> tuple[SourceDocument, int]:
    """The document standing for a zone file, and how many zones it had (now deleted)."""
    document = session.scalars(
        select(SourceDocument).where(SourceDocument.source_key == source_key)
    ).one_or_none()
    replaced = 0
    if document is None:
        document = SourceDocument(
            source_key=source_key,
            kind="zones",
            title=title,
            checksum=checksum,
            media_type="application/geo+json",
        )
        session.add(document)
    else:
        replaced = int(
            getattr(
                session.execute(
                    delete(ControlZone).where(ControlZone.source_document_id == document.id)
                ),
                "rowcount",
                0,
            )
            or 0
        )
        document.title = title
        document.checksum = checksum
    document.publisher = metadata.get("publisher")
    document.url = metadata.get("url")
    document.licence = metadata.get("licence")
    session.flush()
    return document, replaced


def read_geojson(path: Path) -> tuple[Any, str]:
    """The parsed document and the SHA-256 of its bytes (gzip-compressed files allowed).

    InputFileError when the file cannot be read, decompressed, decoded or parsed as JSON.
    """
    raw = read_bytes(path)
    checksum = hashlib.sha256(raw).hexdigest()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputFileError(f"not a readable gzip file ({exc})") from None
    return parse_json(decode_text(raw)), checksum


def import_zone_document(
    session: Session,
    document: dict[str, Any],
    *,
    checksum: str,
    title: str,
    series: str = DEFAULT_SERIES,
    source: str | None = None,
    skip_bad: bool = False,
    refresh: bool = True,
    source_key: str | None = None,
) -> ZoneImportReport:
    """Validate and store one zone FeatureCollection; raises ZoneImportError on refusal.

    Does not commit: the caller commits once per file (or rolls back on the exception).
    """
    features = document.get("features") if isinstance(document, dict) else None
    report = ZoneImportReport(features=len(features) if isinstance(features, list) else 0)
    zones, issues = parse_features(document, default_source=source)
    report.issues = issues
    if any(issue.index < 0 for issue in report.errors):
        raise ZoneImportError("not a zone file; nothing imported", report)
    if report.errors and not skip_bad:
        raise ZoneImportError(f"{len(report.errors)} bad feature(s); nothing imported", report)
    if not zones:
        raise ZoneImportError("no usable feature; nothing imported", report)
    report.skipped = report.features - len(zones)
    metadata = collection_metadata(document)
    doc, report.replaced = _source_document(
        session,
        source_key=source_key or f"zones-file:{checksum}",
        title=title,
        checksum=checksum,
        metadata=metadata,
    )
    report.inserted, report.closed = store_zones(
        session, zones, derivation=series, source_document_id=doc.id
    )
    bump(session, "control_zones")
    if refresh:
        report.incidents_refreshed = refresh_incident_control(session)
    return report


def import_zone_file(
    session: Session,
    path: Path,
    *,
    series: str = DEFAULT_SERIES,
    source: str | None = None,
    skip_bad: bool = False,
) -> ZoneImportReport:
    """``athar zones import``: one file, one transaction (the caller commits)."""
    if series.startswith(BUNDLED_PREFIX):
        raise ValueError(f"series names starting with {BUNDLED_PREFIX!r} are reserved")
    document, checksum = read_geojson(path)
    features_of(document)  # not a FeatureCollection with features: refused as a file
    return import_zone_document(
        session,
        document,
        checksum=checksum,
        title=path.name,
        series=series,
        source=source,
        skip_bad=skip_bad,
    )


# --- Bundled zone files -----------------------------------------------------------------


def bundled_zone_files() -> list[Path]:
    """The zone files shipped in ``db/data/zones/`` (built by ``athar zones build``)."""
    directory = Path(str(resources.files("db").joinpath("data/zones")))
    return sorted(directory.glob("*.geojson.gz")) if directory.is_dir() else []


@dataclass
class BundledLoadReport:
    files: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    incidents_refreshed: int = 0


def load_bundled_zones(
    session: Session, paths: Iterable[Path] | None = None, *, force: bool = False
) -> BundledLoadReport:
    """Load (or replace) the bundled zones; never touches zones imported by users.

    Each file is a snapshot series ``bundled:<name>`` tied to one source document; a file
    whose checksum is unchanged is skipped unless ``force``. Does not commit.
    """
    report = BundledLoadReport()
    changed = False
    for path in paths if paths is not None else bundled_zone_files():
        document, checksum = read_geojson(path)
        name = path.name.removesuffix(".geojson.gz")
        source_key = f"bundled-zones:{name}"
        existing = session.scalars(
            select(SourceDocument).where(SourceDocument.source_key == source_key)
        ).one_or_none()
        if existing is not None and existing.checksum == checksum and not force:
            report.unchanged.append(name)
            continue
        metadata = collection_metadata(document)
        result = import_zone_document(
            session,
            document,
            checksum=checksum,
            title=str(metadata.get("title") or name),
            series=f"{BUNDLED_PREFIX}{name}",
            refresh=False,
            source_key=source_key,
        )
        report.files[name] = result.inserted
        changed = True
    if changed:
        report.incidents_refreshed = refresh_incident_control(session)
    return report
