"""Hazard-area import (CSV and GeoJSON): line-numbered errors, upsert, admin P-codes;
and the bundled HNO mine-action severity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from db.models import AdminIndicator, HazardArea, SourceDocument
from db.versions import current
from etl.hazards import (
    HazardFileError,
    bundled_severity_path,
    import_hazard_file,
    import_hazard_rows,
    load_severity,
)
from gazetteer.data import Gazetteer

HEADER = (
    "hazard_code,name,hazard_type,status,contamination,device_types,area_m2,"
    "reported_on,surveyed_on,closed_on,organisation,community_pcode,lat,lon,source\n"
)
GOOD = (
    "HA-1,Field by the road,confirmed,active,mine;erw,AP blast,1200,2021-03-01,2021-04-01,,"
    "Org A,C1234,35.5,36.5,survey\n"
)
ROWS = (
    HEADER
    + GOOD
    + "HA-2,,probable,active,mine,,,,,,,,35.5,36.5,survey\n"  # line 3: hazard_type
    + "HA-3,,suspected,active,mine,,,2021-02-30,,,,,35.5,36.5,survey\n"  # line 4: date
    + "HA-4,,suspected,active,mine,,,,,,,,40.1,36.2,survey\n"  # line 5: swapped -> outside
    + "HA-5,,suspected,active,plutonium,,,,,,,,35.5,36.5,survey\n"  # line 6: contamination
    + "HA-6,,suspected,active,mine,,-4,,,,,,35.5,36.5,survey\n"  # line 7: area
    + ",,suspected,active,mine,,,,,,,,35.5,36.5,survey\n"  # line 8: no code
    + "HA-7,,suspected,closed,Cluster,,,2021-05-01,,2021-01-01,,,35.5,36.5,survey\n"  # 9
    + "HA-8,,suspected,active,uxo,,,,,,,,x,36.5,survey\n"  # line 10: lat
    + "HA-9,Second,suspected,in progress,UXO|ied,,,,,,,,35.6,36.6,\n"  # 11: no source
    + "HA-10,Third,suspected,,cm,,,,,,,,35.6,36.6,survey\n"  # good, default status
)


@pytest.fixture(autouse=True)
def clean_slate(db_session: Session) -> None:
    """Start without hazard areas or indicators other suites may have committed."""
    for table in ("hazard_areas", "admin_indicators"):
        db_session.execute(text(f"DELETE FROM {table}"))


def test_csv_bad_rows_reported_by_line_and_good_rows_stored(
    gazetteer_loaded: Engine, db_session: Session
) -> None:
    version = current(db_session).get("hazard_areas", 0)
    report = import_hazard_rows(db_session, ROWS, fmt="csv")
    assert (report.rows, report.inserted, report.updated) == (11, 2, 0)
    assert current(db_session)["hazard_areas"] == version + 1
    wheres = [issue.where for issue in report.issues]
    assert wheres == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11)]
    messages = " | ".join(str(issue) for issue in report.issues)
    for expected in (
        "hazard_type 'probable'",
        "2021-02-30",
        "outside Syria",
        "plutonium",
        "negative",
        "hazard_code is missing",
        "closed_on 2021-01-01 is before",
        "not numbers",
        "source is missing",
    ):
        assert expected in messages
    first = db_session.scalars(select(HazardArea).where(HazardArea.hazard_code == "HA-1")).one()
    assert first.contamination == ["mine", "erw"]
    assert first.device_types == ["AP blast"]
    # Point-in-polygon on the loaded OCHA sub-districts agrees with the offline gazetteer.
    located = Gazetteer.load().locate_admin(35.5, 36.5)
    assert located is not None
    assert (first.admin1_pcode, first.admin2_pcode, first.admin3_pcode) == located
    third = db_session.scalars(select(HazardArea).where(HazardArea.hazard_code == "HA-10")).one()
    assert third.status == "active" and third.contamination == ["cluster_munition"]


def test_upsert_by_hazard_code(db_session: Session) -> None:
    import_hazard_rows(db_session, HEADER + GOOD, fmt="csv")
    changed = GOOD.replace(",active,", ",closed,").replace(",,Org A", ",2022-01-01,Org A")
    report = import_hazard_rows(db_session, HEADER + changed, fmt="csv")
    assert (report.inserted, report.updated) == (0, 1)
    rows = db_session.scalars(select(HazardArea).where(HazardArea.hazard_code == "HA-1")).all()
    assert len(rows) == 1 and rows[0].status == "closed"


def test_geojson_polygons_and_points(db_session: Session, tmp_path: Path) -> None:
    ring = [[36.5, 35.5], [36.51, 35.5], [36.51, 35.51], [36.5, 35.51], [36.5, 35.5]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "hazard_code": "GJ-1",
                    "hazard_type": "confirmed",
                    "contamination": ["mine"],
                    "source": "ts",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [36.6, 35.6]},
                "properties": {
                    "hazard_code": "GJ-2",
                    "hazard_type": "suspected",
                    "idp_camp": "yes",
                    "ev_scrap": "",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[36, 35], [36.1, 35.1]]},
                "properties": {"hazard_code": "GJ-3", "hazard_type": "suspected"},
            },
            {"type": "Feature", "geometry": {"type": "Nope"}, "properties": {}},
        ],
    }
    path = tmp_path / "hazards.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    report = import_hazard_file(db_session, path, fmt="geojson", default_source="file")
    assert report.inserted == 2
    assert [(i.where, "LineString" in i.message) for i in report.issues] == [
        ("feature 2", True),
        ("feature 3", False),
    ]
    kinds: dict[str, str] = dict(
        db_session.execute(
            select(HazardArea.hazard_code, func.GeometryType(HazardArea.geom)).order_by(
                HazardArea.hazard_code
            )
        ).all()
    )
    assert kinds == {"GJ-1": "POLYGON", "GJ-2": "POINT"}
    extra = db_session.scalar(select(HazardArea.attributes).where(HazardArea.hazard_code == "GJ-2"))
    assert extra == {"idp_camp": "yes"}
    document_kind = db_session.scalar(
        select(SourceDocument.kind).where(SourceDocument.title == "hazards.geojson")
    )
    assert document_kind == "hazards"


def test_unusable_files_are_refused(db_session: Session) -> None:
    with pytest.raises(HazardFileError):
        import_hazard_rows(db_session, "a,b\n1,2\n", fmt="csv")
    with pytest.raises(HazardFileError):
        import_hazard_rows(db_session, "{not json", fmt="geojson")


def test_bundled_severity_loads_for_known_subdistricts(
    gazetteer_loaded: Engine, db_session: Session
) -> None:
    assert bundled_severity_path().exists()
    report = load_severity(db_session)
    assert report.stored == 2 * 270 and report.skipped == 0
    values = dict(
        db_session.execute(
            select(AdminIndicator.indicator, AdminIndicator.value).where(
                AdminIndicator.admin_pcode == "SY020000"
            )
        ).all()
    )
    assert values == {"mine_action_severity": 4.0, "mine_action_pin": 22796.0}
    again = load_severity(db_session)
    assert again.stored == 2 * 270
    total = db_session.scalar(select(func.count()).select_from(AdminIndicator))
    assert total == 2 * 270


def test_cli_import_reports_lines_and_commits_good_rows(make_database: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from athar.cli import main
    from db.engine import make_engine
    from db.migrate import upgrade

    url = str(make_database())
    engine = make_engine(url)
    upgrade(engine)
    path = tmp_path / "hazards.csv"
    path.write_text(ROWS, encoding="utf-8")
    try:
        result = CliRunner().invoke(
            main, ["hazards", "import", str(path)], env={"DATABASE_URL": url}
        )
        # Good rows are committed; the skipped ones make the exit status 1.
        assert result.exit_code == 1, result.output
        assert f"{path}: line 3: hazard_type 'probable'" in result.output
        assert "2 hazard areas added, 0 updated, 9 rows skipped" in result.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM hazard_areas")).scalar_one() == 2
    finally:
        engine.dispose()
