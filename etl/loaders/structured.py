"""Store structured incident files (athar CSV, GeoJSON, ACLED exports) in PostGIS.

The importers in :mod:`etl.importers` validate rows into interchange records and report bad
rows by line; this loader resolves places that came without coordinates through the
gazetteer, and stores the good rows in one transaction per file, each with a provenance span
pointing at its line (or feature) in the stored file. Re-importing the same or a corrected
file updates rather than duplicates (the document key is the file name and format).

A file the importer refuses as a whole, or one in which not a single row is usable, raises
:class:`~etl.inputs.InputFileError` before anything is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.audit import record as audit
from db.control import refresh_incident_control
from db.versions import bump
from etl.importers import ImportProblem, ImportResult, import_acled, import_csv, import_geojson
from etl.inputs import InputFileError, read_text_file
from etl.loaders.report import IngestSummary, store_incidents, upsert_document

IMPORTERS = {"csv": import_csv, "geojson": import_geojson, "acled": import_acled}


@dataclass
class StructuredImport:
    summary: IngestSummary
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    resolved_places: int = 0


class NoUsableRows(InputFileError):
    """Every row of the file was bad: the file is refused, its ``problems`` say why."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"no usable row ({len(problems)} skipped)")
        self.problems = problems


def _locate(record: dict[str, Any]) -> bool:
    """Fill coordinates from the gazetteer for a row that names a place but gives no point."""
    if record.get("lat") is not None or not record.get("place_text"):
        return False
    from gazetteer import resolve

    context = ", ".join(
        part for part in (record.get("place_context"), record.get("governorate")) if part
    )
    found = resolve(record["place_text"], context or None)
    if not found.resolved or found.lat is None or found.lon is None:
        return False
    if record.get("admin1_pcode") and found.admin1_pcode != record["admin1_pcode"]:
        return False  # the file's governorate wins over a namesake elsewhere
    precision = found.location_precision
    record.update(
        lat=found.lat,
        lon=found.lon,
        place_pcode=record.get("place_pcode") or found.pcode,
        admin1_pcode=record.get("admin1_pcode") or found.admin1_pcode,
        governorate=record.get("governorate") or found.admin1_name,
        location_precision="community" if precision == "camp" else precision,
    )
    return True


def _line_offsets(content: str) -> list[int]:
    offsets = [0]
    for index, char in enumerate(content):
        if char == "\n":
            offsets.append(index + 1)
    return offsets


def import_structured(
    session: Session, path: Path, file_format: str, *, actor: str = "cli"
) -> StructuredImport:
    """Validate, locate and store one file in the caller's transaction; never commits.

    Everything is validated before the first write, so a refused file costs no rollback.
    """
    content = read_text_file(path)
    parsed: ImportResult = IMPORTERS[file_format](content)
    if not parsed.records:
        raise NoUsableRows(parsed.problems)
    source_key = f"{file_format}:{path.name}"
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": source_key})
    outcome = StructuredImport(summary=IngestSummary(source_key=source_key))
    outcome.problems = list(parsed.problems)
    outcome.warnings = list(parsed.warnings)
    document = upsert_document(
        session,
        source_key=source_key,
        content=content,
        digest=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        kind=file_format,
        title=path.name,
        period=None,
        publisher=None,
        url=None,
        published_on=None,
        licence=None,
    )
    line_starts = _line_offsets(content)
    records: list[tuple[dict[str, Any], int, int]] = []
    locators: list[str] = []
    unit = "feature" if file_format == "geojson" else "line"
    for record, line in zip(parsed.records, parsed.lines, strict=True):
        if _locate(record):
            outcome.resolved_places += 1
        if unit == "line" and 0 < line <= len(line_starts):
            start = line_starts[line - 1]
            end = line_starts[line] - 1 if line < len(line_starts) else len(content)
        else:
            start = end = 0
        records.append((record, start, max(start, end)))
        locators.append(f"{unit} {line}")
    kept = store_incidents(session, document, records, outcome.summary, locators)
    refresh_incident_control(session, [incident_id for incident_id, _, _ in kept])
    bump(session, "incidents")
    audit(
        session,
        actor=actor,
        action="import",
        entity="source_document",
        entity_id=document.id,
        details={
            "source_key": source_key,
            "stored": outcome.summary.stored,
            "updated": outcome.summary.updated,
            "skipped_rows": len(outcome.problems),
        },
    )
    return outcome
