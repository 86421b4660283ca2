"""Ingesting reports: provenance kept, re-ingest idempotent, edits update, failures undone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from athar.cli import main
from db.engine import make_session_factory, transaction
from db.models import (
    ControlObservation,
    Incident,
    IncidentReportedControl,
    ProvenanceSpan,
    ReportToll,
    SourceDocument,
    Victim,
)
from etl.loaders import report as report_loader
from etl.loaders.report import ingest_report

FIXTURE = Path(__file__).parent / "fixtures" / "ingest_sample_report.txt"


@pytest.fixture
def report_text() -> str:
    return FIXTURE.read_text(encoding="utf-8")


@pytest.fixture
def session(gazetteer_loaded: Engine, db_session: Session) -> Session:
    return db_session


def _incidents(session: Session, key: str) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident)
            .join(SourceDocument)
            .where(SourceDocument.source_key == key)
            .order_by(Incident.date_start)
        )
    )


def test_ingest_stores_incidents_with_provenance(session: Session, report_text: str) -> None:
    summary = ingest_report(session, report_text, source_key="fixture-2022-06")
    assert (summary.stored, summary.updated, summary.retracted) == (2, 0, 0)
    landmine, shelling = _incidents(session, "fixture-2022-06")

    assert landmine.weapon == "landmine" and landmine.killed_children == 2
    assert landmine.admin1_pcode == "SY08" and landmine.admin3_pcode is not None
    assert shelling.perpetrator_category == "syrian_regime" and shelling.killed_total == 5
    assert shelling.admin1_pcode == "SY07"

    document = session.scalar(
        select(SourceDocument).where(SourceDocument.source_key == "fixture-2022-06")
    )
    assert document is not None and document.content == report_text
    for incident in (landmine, shelling):
        span = session.get(ProvenanceSpan, incident.provenance_span_id)
        assert span is not None and span.document_id == document.id
        quoted = report_text[span.start_offset : span.end_offset]
        assert incident.evidence and quoted.startswith(incident.evidence[:40])

    assert landmine.evidence and "Yaman" not in landmine.evidence
    assert "[name withheld]" in landmine.evidence
    victims = session.scalars(select(Victim.name).where(Victim.incident_id == landmine.id))
    assert list(victims) == ["Yaman Odai al Harbi"]

    reported = set(
        session.scalars(
            select(IncidentReportedControl.party_code).where(
                IncidentReportedControl.incident_id == shelling.id
            )
        )
    )
    assert reported == {"armed_opposition_sna", "hts"}
    tolls = session.scalars(select(ReportToll).where(ReportToll.document_id == document.id)).all()
    assert [(t.period, t.killed, t.children, t.women) for t in tolls] == [("2022-06", 12, 4, 2)]
    observations = session.scalars(
        select(ControlObservation).where(ControlObservation.source_document_id == document.id)
    ).all()
    assert {o.incident_id for o in observations} == {landmine.id, shelling.id}


def test_reingest_is_idempotent(session: Session, report_text: str) -> None:
    ingest_report(session, report_text, source_key="fixture-idem")
    again = ingest_report(session, report_text, source_key="fixture-idem")
    assert again.skipped_document
    forced = ingest_report(session, report_text, source_key="fixture-idem", force=True)
    assert (forced.stored, forced.updated, forced.unchanged) == (0, 0, 2)
    assert len(_incidents(session, "fixture-idem")) == 2
    spans = session.scalar(select(func.count()).select_from(ProvenanceSpan))
    assert spans == 2


def test_edited_report_updates_and_retracts(session: Session, report_text: str) -> None:
    ingest_report(session, report_text, source_key="fixture-edit")
    first_ids = [i.id for i in _incidents(session, "fixture-edit")]
    edited = report_text.replace("deaths of two children", "deaths of three children")
    edited = edited[: edited.index("On Saturday, June 18")]
    summary = ingest_report(session, edited, source_key="fixture-edit")
    assert (summary.stored, summary.updated, summary.retracted) == (0, 1, 1)
    incidents = _incidents(session, "fixture-edit")
    assert [i.id for i in incidents] == first_ids
    assert incidents[0].killed_children == 3 and incidents[0].status == "published"
    assert incidents[1].status == "retracted"


def test_failed_ingest_leaves_no_partial_document(
    gazetteer_loaded: Engine, report_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = make_session_factory(gazetteer_loaded)

    def broken_tolls(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_loader, "store_tolls", broken_tolls)
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        ingest_report(session, report_text, source_key="fixture-broken")
    with sessions() as session:
        documents = select(func.count()).select_from(SourceDocument)
        assert session.scalar(documents.where(SourceDocument.source_key == "fixture-broken")) == 0
        incidents = select(func.count()).select_from(Incident)
        assert session.scalar(incidents.where(Incident.place_text == "Tal Hamis town")) == 0


def test_cli_ingest_reports_unreadable_file(gazetteer_loaded: Engine, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\xff\xfe\x00binary\x00junk")
    url = gazetteer_loaded.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["etl", "ingest", str(junk)], env={"DATABASE_URL": url})
    assert result.exit_code == 1
    assert "save the file as UTF-8" in result.output and "nothing stored" in result.output
    assert "Traceback" not in result.output


def test_ingest_joins_incidents_to_the_zone_of_their_date(
    session: Session, report_text: str
) -> None:
    from db.models import ControlZone, ControlZoneParty

    # A box over north-east Syria held by the SDF from 2022, and by the regime before.
    box = "SRID=4326;MULTIPOLYGON(((40 36,42.5 36,42.5 37.5,40 37.5,40 36)))"
    sdf = ControlZone(valid_from=dt.date(2022, 1, 1), geom=box, derivation="test", source="t")
    sdf.parties = [ControlZoneParty(party_code="sdf")]
    older = ControlZone(
        valid_from=dt.date(2019, 1, 1),
        valid_to=dt.date(2021, 12, 31),
        geom=box,
        derivation="test",
        source="t",
    )
    older.parties = [ControlZoneParty(party_code="syrian_regime")]
    session.add_all([sdf, older])
    session.flush()
    ingest_report(session, report_text, source_key="fixture-zones")
    landmine = _incidents(session, "fixture-zones")[0]
    assert landmine.control_zone_id == sdf.id
    assert landmine.control_method == "zone"
    assert landmine.control_disagrees is False
