"""``athar etl import``: CSV, GeoJSON and ACLED files into PostGIS; bad rows by line, skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from athar.cli import main
from db.models import Incident, ProvenanceSpan, SourceDocument
from etl.loaders.structured import import_structured

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def session(gazetteer_loaded: Engine, db_session: Session) -> Session:
    return db_session


def _stored(session: Session, key: str) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident)
            .join(SourceDocument)
            .where(SourceDocument.source_key == key)
            .order_by(Incident.date_start)
        )
    )


def test_csv_import_stores_good_rows_and_reports_bad_ones(session: Session) -> None:
    outcome = import_structured(session, FIXTURES / "incidents_sample.csv", "csv")
    assert sorted(problem.line for problem in outcome.problems) == [4, 5]
    assert outcome.summary.stored == 2 and outcome.resolved_places == 1
    tal_hamis, kafr_nobol = _stored(session, "csv:incidents_sample.csv")
    # The row without coordinates was located by the gazetteer in its stated governorate.
    assert tal_hamis.admin1_pcode == "SY08" and tal_hamis.geom is not None
    assert kafr_nobol.killed_total == 5 and kafr_nobol.weapon == "artillery"
    span = session.get(ProvenanceSpan, kafr_nobol.provenance_span_id)
    assert span is not None and span.locator == "line 3"
    document = session.scalar(select(SourceDocument).where(SourceDocument.id == span.document_id))
    assert document is not None and document.content is not None
    assert document.content[span.start_offset : span.end_offset].startswith("2022-06-18,Kafr")

    again = import_structured(session, FIXTURES / "incidents_sample.csv", "csv")
    assert (again.summary.stored, again.summary.unchanged) == (0, 2)


def test_acled_round_trip(session: Session) -> None:
    outcome = import_structured(session, FIXTURES / "acled_sample.csv", "acled")
    assert sorted(problem.line for problem in outcome.problems) == [4, 5]
    landmine, shelling = _stored(session, "acled:acled_sample.csv")
    assert landmine.date_start.isoformat() == "2022-03-14"
    assert landmine.weapon == "landmine" and landmine.killed_total == 2
    assert landmine.admin1_pcode == "SY05"
    assert shelling.perpetrator_category == "syrian_regime"
    assert shelling.admin1_pcode == "SY07"
    lon_lat = session.execute(
        select(func.ST_X(shelling.geom), func.ST_Y(shelling.geom))  # type: ignore[arg-type]
    ).one()
    assert lon_lat == pytest.approx((36.6094, 35.8134))


def test_geojson_import(session: Session, tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [36.7, 35.9]},
                "properties": {
                    "date": "2022-07",
                    "weapon": "airstrike",
                    "killed_total": 3,
                    "governorate": "Idleb",
                    "place_text": "a farm near Ariha",
                },
            },
            {"type": "Feature", "geometry": None, "properties": {"date": "not a date"}},
        ],
    }
    path = tmp_path / "incidents.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    outcome = import_structured(session, path, "geojson")
    assert [problem.where for problem in outcome.problems] == ["feature 1"]
    (stored,) = _stored(session, "geojson:incidents.geojson")
    assert stored.date_precision == "month" and stored.admin1_pcode == "SY07"


def test_cli_import_exits_1_when_rows_were_skipped(scratch_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cli_sample.csv"
    shutil.copy(FIXTURES / "incidents_sample.csv", path)
    url = scratch_engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        main, ["etl", "import", str(path), "--format", "csv"], env={"DATABASE_URL": url}
    )
    assert result.exit_code == 1
    assert f"{path}: line 4:" in result.output and "2 stored" in result.output
