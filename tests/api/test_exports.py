"""Exports: GeoJSON, CSV, GeoPackage and FlatGeobuf hold the right rows and only public fields.

File formats are read back with pyogrio (GDAL), as a GIS would open them.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyogrio
import pyogrio.raw
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api.exports import CSV_FIELDS, geojson_chunks, write_ogr_file
from athar.cli import main
from db.audit import entries as audit_entries
from db.engine import make_engine, make_session_factory, transaction
from db.migrate import upgrade
from db.parties import load_party_taxonomy
from db.queries import PERSONAL_FIELDS, PUBLIC_INCIDENT_FIELDS, IncidentFilter
from db.reference import sync_parties

# tests/ is not a package and tests/api/conftest.py is shared with other work, so the
# incident fixtures are loaded from their module by path rather than copied here.
_spec = importlib.util.spec_from_file_location(
    "athar_test_incident_fixtures", Path(__file__).with_name("test_incidents_api.py")
)
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)
dataset = fixtures.dataset
assert_no_personal_data = fixtures.assert_no_personal_data

PUBLISHED_COUNT = len(fixtures.PUBLISHED)


@pytest.fixture
def client(connection: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # Temporary export files go to the test's own folder, so leftovers can be checked.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield from fixtures.make_client(connection)


def no_personal_fields(names: list[str] | tuple[str, ...]) -> None:
    assert not set(names) & PERSONAL_FIELDS
    assert "quote" not in names and "evidence" not in names


def test_geojson_export_streams_every_match(client: TestClient, dataset: dict[str, Any]) -> None:
    response = client.get("/incidents/export.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert "attachment" in response.headers["content-disposition"]
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == PUBLISHED_COUNT
    assert set(body["features"][0]["properties"]) == set(PUBLIC_INCIDENT_FIELDS)
    assert_no_personal_data(response.text)
    filtered = client.get("/incidents/export.geojson", params={"weapon": "landmine,erw"}).json()
    assert len(filtered["features"]) == 2


def test_csv_export(client: TestClient, dataset: dict[str, Any]) -> None:
    response = client.get("/incidents/export.csv", params={"admin": "SY91"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert tuple(rows[0]) == CSV_FIELDS
    assert {row["admin1_pcode"] for row in rows} == {"SY91"}
    assert float(rows[0]["lon"]) == 38.5 and float(rows[0]["lat"]) == 35.5
    everything = client.get("/incidents/export.csv").content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(everything)))) == PUBLISHED_COUNT
    no_personal_fields(CSV_FIELDS)
    assert_no_personal_data(everything)


@pytest.mark.parametrize(("name", "driver"), [("gpkg", "GPKG"), ("fgb", "FlatGeobuf")])
def test_file_exports_open_in_gdal(
    client: TestClient, dataset: dict[str, Any], tmp_path: Path, name: str, driver: str
) -> None:
    response = client.get(f"/incidents/export.{name}", params={"date_to": "2021-05-31"})
    assert response.status_code == 200, response.text
    path = tmp_path / f"download.{name}"
    path.write_bytes(response.content)
    info = pyogrio.read_info(path)
    assert info["features"] == 10
    assert info["driver"] == driver
    assert info["geometry_type"] == "Point"
    assert "4326" in info["crs"]
    fields = list(info["fields"])
    assert fields == list(PUBLIC_INCIDENT_FIELDS)
    no_personal_fields(fields)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["killed_total"] == "int64" and types["massacre"] == "bool"
    _, _, geometry, values = pyogrio.raw.read(path)
    by_id = dict(zip(values[fields.index("id")], values[fields.index("killed_total")], strict=True))
    assert by_id[dataset["ids"]["massacre"]] == 7
    assert len(geometry) == 10
    # The temporary file behind the download is gone once the response is sent.
    assert not list(tmp_path.glob("*athar-export-*"))
    assert b"Secretname" not in response.content


@pytest.mark.parametrize("driver", ["GPKG", "FlatGeobuf"])
def test_file_exports_in_many_batches_and_empty(
    db_session: Session, dataset: dict[str, Any], tmp_path: Path, driver: str
) -> None:
    suffix = ".gpkg" if driver == "GPKG" else ".fgb"
    path = tmp_path / f"batches{suffix}"
    written = write_ogr_file(db_session, IncidentFilter(), path, driver, batch_rows=3)
    assert written == PUBLISHED_COUNT
    assert pyogrio.read_info(path)["features"] == PUBLISHED_COUNT
    _, _, _, values = pyogrio.raw.read(path)
    assert len(set(values[0])) == PUBLISHED_COUNT  # ids unique: no batch written twice

    empty = tmp_path / f"empty{suffix}"
    nothing = IncidentFilter(weapons=("torture",))
    assert write_ogr_file(db_session, nothing, empty, driver) == 0
    info = pyogrio.read_info(empty)
    # An empty FlatGeobuf does not state its count (-1 = unknown); reading it gives none.
    assert info["features"] in (0, -1) and list(info["fields"]) == list(PUBLIC_INCIDENT_FIELDS)
    assert len(pyogrio.raw.read(empty)[2]) == 0


def test_geojson_chunks_are_one_document_across_batches(
    db_session: Session, dataset: dict[str, Any]
) -> None:
    chunks = list(geojson_chunks(db_session, IncidentFilter(), batch_rows=4))
    assert len(chunks) == 2 + 3  # header, three batches (4+4+3), footer
    body = json.loads(b"".join(chunks))
    assert len(body["features"]) == PUBLISHED_COUNT
    empty = json.loads(b"".join(geojson_chunks(db_session, IncidentFilter(weapons=("fire",)))))
    assert empty == {"type": "FeatureCollection", "features": []}


def test_export_rejects_bad_input(client: TestClient) -> None:
    assert client.get("/incidents/export.shp").status_code == 422
    response = client.get("/incidents/export.geojson", params={"bbox": "1,2"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


# --- The command line ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed_database(make_database: Callable[[], str]) -> Iterator[str]:
    """A database of its own with the fixture incidents committed, for the CLI's own engine."""
    url = make_database()
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        sync_parties(session, load_party_taxonomy())
        fixtures.build_dataset(session)
    engine.dispose()
    yield url


@pytest.mark.parametrize("name", ["geojson", "csv", "gpkg", "fgb"])
def test_cli_export(committed_database: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"incidents.{name}"
    result = CliRunner().invoke(
        main,
        ["export", "incidents", str(out), "--weapon", "landmine", "--weapon", "erw"],
        env={"DATABASE_URL": committed_database},
    )
    assert result.exit_code == 0, result.output
    if name == "geojson":
        assert len(json.loads(out.read_text())["features"]) == 2
    elif name == "csv":
        assert len(list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))) == 2
    else:
        assert pyogrio.read_info(out)["features"] == 2
    assert not list(tmp_path.glob(".*partial*"))


def test_cli_export_to_stdout_and_errors(committed_database: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": committed_database}
    result = CliRunner().invoke(main, ["export", "incidents", "-", "--massacre"], env=env)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["features"]) == 1
    assert "Secretname" not in result.stdout
    bad = CliRunner().invoke(main, ["export", "incidents", "-", "--weapon", "spoon"], env=env)
    assert bad.exit_code == 2 and "weapon" in bad.output
    unknown = CliRunner().invoke(main, ["export", "incidents", str(tmp_path / "x.txt")], env=env)
    assert unknown.exit_code == 2 and "--format" in unknown.output


def test_cli_precise_export_shows_true_points_and_is_audited(
    committed_database: str, tmp_path: Path
) -> None:
    """The public file moves the sensitive incident; ``--precise`` keeps it, and is logged."""
    env = {"DATABASE_URL": committed_database}
    true_point = [36.95, 36.05]
    near_it = ["--near", "36.95,36.05,1"]

    def points(out: Path) -> list[list[float]]:
        features = json.loads(out.read_text())["features"]
        return [feature["geometry"]["coordinates"] for feature in features]

    public, precise = tmp_path / "public.geojson", tmp_path / "precise.geojson"
    result = CliRunner().invoke(main, ["export", "incidents", str(public), *near_it], env=env)
    assert result.exit_code == 0, result.output
    assert true_point not in points(public)
    result = CliRunner().invoke(
        main, ["export", "incidents", str(precise), "--precise", *near_it], env=env
    )
    assert result.exit_code == 0, result.output
    assert points(precise) == [true_point]
    assert "Secretname" not in precise.read_text()

    engine = make_engine(committed_database)
    try:
        with make_session_factory(engine)() as session:
            entries = [
                entry
                for entry in audit_entries(session, action="export_precise", limit=10)
                if entry.details and entry.details.get("out") == "precise.geojson"
            ]
    finally:
        engine.dispose()
    assert len(entries) == 1
    assert entries[0].actor == "cli" and entries[0].details["format"] == "geojson"
