"""``athar dev synth``: a synthetic dataset that is complete, clustered, reproducible and
removable without touching real data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.control import controlling_force_at
from db.landmines import HotspotQuery, hotspots
from db.models import ControlZone, HazardArea, Incident, ProvenanceSpan, SourceDocument
from etl.synth import clear_synthetic, generate_synthetic


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(autouse=True)
def clean_slate(db_session: Session) -> None:
    """Start without incidents, hazards or zones other suites may have committed."""
    for table in ("incidents", "hazard_areas", "control_zones"):
        db_session.execute(text(f"DELETE FROM {table}"))


def test_generate_and_clear(db_session: Session) -> None:
    real = SourceDocument(source_key="real-doc", kind="manual", title="real", checksum="0" * 64)
    db_session.add(real)
    db_session.flush()
    report = generate_synthetic(db_session, incidents=3000, hazards=120, seed=7)
    assert count(db_session, Incident) == 3000
    assert report.landmine_incidents == 450
    assert count(db_session, HazardArea) == 120
    assert report.zones > 3
    # One distinct span per incident, all under the synthetic document.
    distinct_spans = db_session.scalar(
        select(func.count(func.distinct(Incident.provenance_span_id)))
    )
    assert distinct_spans == 3000
    kinds = set(
        db_session.scalars(
            select(SourceDocument.kind).join(
                Incident, Incident.source_document_id == SourceDocument.id
            )
        )
    )
    assert kinds == {"synthetic"}
    # Constraints the schema checks held (the COPY would have failed otherwise); landmines
    # along corridors form DBSCAN clusters.
    found = hotspots(db_session, HotspotQuery(method="dbscan"))
    assert len(found) >= 5 and found[0].incident_count >= 3
    # Every synthetic incident got the control of its date; snapshots close each other.
    unset = db_session.scalar(
        text(
            "SELECT count(*) FROM incidents WHERE control_method IS NULL"
            " AND date_start >= DATE '2014-01-01'"
        )
    )
    assert unset is not None and unset < 10  # a few points beyond the outline's margin
    open_zones = db_session.scalar(
        select(func.count()).select_from(ControlZone).where(ControlZone.valid_to.is_(None))
    )
    assert open_zones is not None and 0 < open_zones < report.zones
    assert controlling_force_at(db_session, 36.72, 34.73, dt.date(2018, 1, 1)) is not None

    assert clear_synthetic(db_session) == 1
    assert count(db_session, Incident) == 0
    assert count(db_session, HazardArea) == 0
    assert count(db_session, ControlZone) == 0
    spans_left = db_session.scalar(
        select(func.count())
        .select_from(ProvenanceSpan)
        .where(ProvenanceSpan.document_id == report.document_id)
    )
    assert spans_left == 0
    kinds_left = set(db_session.scalars(select(SourceDocument.kind)))
    assert "synthetic" not in kinds_left and "manual" in kinds_left


def test_same_seed_same_data(db_session: Session) -> None:
    def sample() -> list[tuple[str, str]]:
        rows = db_session.execute(
            text(
                "SELECT ST_AsText(geom), weapon || date_start FROM incidents"
                " WHERE source_document_id = (SELECT max(id) FROM source_documents)"
                " ORDER BY fingerprint"
            )
        ).all()
        return [(str(a), str(b)) for a, b in rows]

    generate_synthetic(db_session, incidents=200, hazards=5, seed=11, zones=False)
    first = sample()
    generate_synthetic(db_session, incidents=200, hazards=5, seed=11, zones=False)
    assert sample() == first


def test_cli_synth_and_clear(make_database: Any) -> None:
    from click.testing import CliRunner

    from athar.cli import main
    from db.engine import make_engine, make_session_factory, transaction
    from db.migrate import upgrade
    from db.parties import load_party_taxonomy
    from db.reference import sync_parties

    url = str(make_database())
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        sync_parties(session, load_party_taxonomy())
    env = {"DATABASE_URL": url}
    try:
        result = CliRunner().invoke(
            main, ["dev", "synth", "--incidents", "500", "--hazards", "20", "--seed", "3"], env=env
        )
        assert result.exit_code == 0, result.output
        assert "500 incidents (75 landmine/erw), 20 hazard areas" in result.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 500
        result = CliRunner().invoke(main, ["dev", "synth", "--clear"], env=env)
        assert result.exit_code == 0, result.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 0
            assert conn.execute(text("SELECT count(*) FROM source_documents")).scalar_one() == 0
    finally:
        engine.dispose()


def test_cli_synth_refuses_a_database_with_real_incidents(
    scratch_engine: Any, tmp_path: Any
) -> None:
    from click.testing import CliRunner

    from athar.cli import main

    report = tmp_path / "real-report.txt"
    report.write_text(
        "Civilian Death Toll in Syria in June 2022\n\n"
        "On Tuesday, June 7, 2022, a landmine planted by an unknown party exploded in Tal Hamis"
        " town in the southern suburbs of al Hasaka governorate, killing a child.\n",
        encoding="utf-8",
    )
    env = {"DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}
    assert CliRunner().invoke(main, ["etl", "ingest", str(report)], env=env).exit_code == 0
    result = CliRunner().invoke(main, ["dev", "synth", "--incidents", "10"], env=env)
    assert result.exit_code == 1
    assert "real incidents" in result.output
    with scratch_engine.connect() as conn:
        synthetic = conn.execute(
            text("SELECT count(*) FROM source_documents WHERE kind = 'synthetic'")
        ).scalar_one()
    assert synthetic == 0
