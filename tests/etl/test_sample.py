"""The bundled sample: facts without report text, loaded idempotently, superseded by ingest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import Incident, ReportToll, SourceDocument
from etl.loaders.report import ingest_report
from etl.sample import SAMPLE_FILE, load_sample, write_sample

FIXTURE = Path(__file__).parent / "fixtures" / "ingest_sample_report.txt"


def test_bundled_sample_has_no_report_text() -> None:
    sample = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    assert len(sample["documents"]) >= 5
    for document in sample["documents"]:
        assert document["publisher"]
        for record in document["incidents"]:
            assert "evidence" not in record
            start, end = record["span"]
            assert 0 <= start < end
        for toll in document["tolls"]:
            assert "evidence" not in toll


def test_sample_loads_once_and_ingest_supersedes_it(
    gazetteer_loaded: Engine, db_session: Session, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copy(FIXTURE, reports / "fixture-sample.txt")
    sample_file = tmp_path / "sample.json"
    assert write_sample(reports, sample_file) == 2

    first = load_sample(db_session, sample_file)
    assert (first.documents, first.incidents) == (1, 2)
    document = db_session.scalar(
        select(SourceDocument).where(SourceDocument.source_key == "fixture-sample")
    )
    assert document is not None and document.kind == "sample" and document.content is None
    evidence = db_session.scalars(
        select(Incident.evidence).where(Incident.source_document_id == document.id)
    ).all()
    assert evidence == [None, None]
    tolls = db_session.scalar(
        select(func.count()).select_from(ReportToll).where(ReportToll.document_id == document.id)
    )
    assert tolls == 1

    assert load_sample(db_session, sample_file).skipped == 1

    summary = ingest_report(
        db_session, FIXTURE.read_text(encoding="utf-8"), source_key="fixture-sample"
    )
    assert summary.stored == 0 and summary.updated == 2
    db_session.refresh(document)
    assert document.kind == "report" and document.content is not None
    count = db_session.scalar(
        select(func.count()).select_from(Incident).where(Incident.source_document_id == document.id)
    )
    assert count == 2
    assert load_sample(db_session, sample_file).skipped == 1
