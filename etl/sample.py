"""The bundled sample of real incidents: structured facts from published reports, no text.

``athar etl sample --from DIR`` parses the reports in DIR and writes
``etl/data/sample_incidents.json``: for each report its headline, publisher and period, and
its incidents and tolls as facts (date, place, parties, weapon, counts) with the character
span where the report states them — but never the report's sentences, which quote victims'
names and belong to their publisher. ``athar load`` stores the sample so that a fresh
``make run`` shows real data; ingesting the report itself later upgrades the same document and
incidents in place (same key, same fingerprints) instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.control import refresh_incident_control
from db.models import SourceDocument
from db.versions import bump
from etl.loaders.report import (
    IngestSummary,
    detect_publisher,
    document_title,
    store_incidents,
    store_tolls,
    upsert_document,
)
from etl.report import parse_report

SAMPLE_FILE = Path(__file__).resolve().parent / "data" / "sample_incidents.json"
# Interchange fields that quote the report's own sentences are left out of the sample.
TEXT_FIELDS = ("evidence",)


@dataclass(frozen=True)
class SampleLoad:
    documents: int
    incidents: int
    skipped: int


def build_sample(reports_dir: Path) -> dict[str, Any]:
    documents = []
    for path in sorted(reports_dir.glob("*.txt")):
        content = path.read_text(encoding="utf-8")
        parsed = parse_report(content, source_name=path.stem)
        incidents = []
        for incident in parsed.incidents:
            record = incident.to_interchange()
            for name in TEXT_FIELDS:
                record.pop(name, None)
            record["span"] = [incident.span_start, incident.span_end]
            incidents.append(record)
        tolls = []
        for toll in parsed.tolls:
            fact = toll.to_interchange()
            fact.pop("evidence", None)
            tolls.append(fact)
        documents.append(
            {
                "source_key": path.stem,
                "title": document_title(content, path.stem),
                "publisher": detect_publisher(content),
                "period": parsed.period,
                "report_sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(),
                "incidents": incidents,
                "tolls": tolls,
            }
        )
    return {
        "about": (
            "Incidents and tolls extracted by athar's report parser from published reports, "
            "kept as structured facts with the character span of their statement in the "
            "report. No report text is included; each fact is attributed to its publisher."
        ),
        "documents": documents,
    }


def write_sample(reports_dir: Path, out: Path = SAMPLE_FILE) -> int:
    sample = build_sample(reports_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(sample, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return sum(len(document["incidents"]) for document in sample["documents"])


def load_sample(session: Session, path: Path = SAMPLE_FILE) -> SampleLoad:
    """Store the sample's documents, incidents and tolls; unchanged documents are skipped."""
    if not path.exists():
        return SampleLoad(0, 0, 0)
    sample = json.loads(path.read_text(encoding="utf-8"))
    loaded = incidents = skipped = 0
    for document in sample["documents"]:
        blob = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
        digest = hashlib.sha256(blob).hexdigest()
        existing = session.execute(
            select(SourceDocument.kind, SourceDocument.checksum).where(
                SourceDocument.source_key == document["source_key"]
            )
        ).one_or_none()
        # The full report, once ingested, supersedes its sample; an unchanged sample is done.
        if existing is not None and (existing.kind != "sample" or existing.checksum == digest):
            skipped += 1
            continue
        stored = upsert_document(
            session,
            source_key=document["source_key"],
            content=None,
            digest=digest,
            kind="sample",
            title=document["title"],
            period=document["period"],
            publisher=document["publisher"],
            url=None,
            published_on=None,
            licence="facts extracted from the publisher's report; cite the publisher",
        )
        records = [
            (record, record["span"][0], record["span"][1]) for record in document["incidents"]
        ]
        summary = IngestSummary(source_key=document["source_key"])
        kept = store_incidents(session, stored, records, summary)
        refresh_incident_control(session, [incident_id for incident_id, _, _ in kept])
        store_tolls(session, stored, document["tolls"])
        loaded += 1
        incidents += summary.stored + summary.updated + summary.unchanged
    if loaded:
        bump(session, "incidents")
    return SampleLoad(loaded, incidents, skipped)
