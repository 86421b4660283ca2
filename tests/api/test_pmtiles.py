"""PMTiles export and serving: the archive reads back with the pmtiles reader, holds exactly
the live endpoint's tiles, covers every tile with data, and is served with HTTP ranges."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from pmtiles.reader import MemorySource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.app import create_app
from api.pmtiles_archive import export_pmtiles, parse_range
from api.tiles import CLUSTER_BELOW_ZOOM, LAYERS, compress_tile, lon_lat_to_tile
from athar.cli import main as athar_cli
from db.engine import make_engine, make_session_factory, transaction
from db.migrate import upgrade
from db.models import AdminUnit, Incident, ProvenanceSpan, SourceDocument
from db.parties import load_party_taxonomy
from db.queries import IncidentFilter
from db.reference import sync_parties
from db.settings import Settings
from db.versions import bump

SPOTS = [
    (36.30, 33.50, "airstrike"),
    (36.31, 33.51, "landmine"),
    (36.72, 34.73, "erw"),
    (37.16, 36.20, "artillery"),
    (40.14, 35.33, "landmine"),
    (38.99, 35.95, "airstrike"),
    (36.5625, 33.40, "landmine"),  # on a tile edge from z4 on
]
MAXZOOM = 12


def _populate(session: Session) -> None:
    session.add(
        AdminUnit(
            pcode="SY01",
            level=1,
            name_en="Damascus",
            geom=from_shape(MultiPolygon([box(36.0, 33.2, 36.8, 33.8)]), srid=4326),
            source="test",
        )
    )
    document = SourceDocument(
        source_key="pmtiles-tests",
        kind="manual",
        title="pmtiles test document",
        checksum=hashlib.sha256(b"pmtiles-tests").hexdigest(),
    )
    session.add(document)
    session.flush()
    for n, (lon, lat, weapon) in enumerate(SPOTS):
        span = ProvenanceSpan(document_id=document.id, start_offset=0, end_offset=5)
        session.add(span)
        session.flush()
        session.add(
            Incident(
                fingerprint=f"pmtiles-test-{n}",
                date_start=dt.date(2021, 5, 1 + n),
                date_precision="day",
                geom=from_shape(Point(lon, lat), srid=4326),
                weapon=weapon,
                killed_total=n,
                admin1_pcode="SY01" if lon < 36.8 else None,
                evidence=f"named person {n}",
                source_document_id=document.id,
                provenance_span_id=span.id,
            )
        )
    bump(session, "incidents", "admin_units")


@pytest.fixture(scope="module")
def database(make_database: Callable[[], str]) -> Iterator[tuple[Engine, str]]:
    url = make_database()
    engine = make_engine(url, application_name="athar-pmtiles-tests")
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        sync_parties(session, load_party_taxonomy())
        _populate(session)
    yield engine, url
    engine.dispose()


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("athar-home")


# A map asks for hundreds of tiles, and so do these tests: no rate limit here.
@pytest.fixture(scope="module")
def client(database: tuple[Engine, str], state_dir: Path) -> Iterator[TestClient]:
    app = create_app(
        Settings(home=state_dir, rate_limit_anonymous_per_minute=0), engine=database[0]
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def archive(database: tuple[Engine, str], state_dir: Path) -> Path:
    out = state_dir / "pmtiles" / "incidents.pmtiles"
    report = export_pmtiles(database[0], out, "incidents", maxzoom=MAXZOOM, workers=2)
    assert report.tiles > 0 and not report.data_changed
    return out


def _tiles(path: Path) -> dict[tuple[int, int, int], bytes]:
    data = path.read_bytes()
    return {zxy: bytes(tile) for zxy, tile in all_tiles(MemorySource(data))}


def _live(client: TestClient, layer: str, z: int, x: int, y: int, query: str = "") -> bytes:
    response = client.get(
        f"/tiles/{layer}/{z}/{x}/{y}.mvt{query}", headers={"Accept-Encoding": "identity"}
    )
    assert response.status_code in (200, 204)
    return response.content


def test_archive_header_and_metadata(archive: Path) -> None:
    reader = Reader(MemorySource(archive.read_bytes()))
    header = reader.header()
    assert header["tile_type"] == TileType.MVT
    assert header["tile_compression"] == Compression.GZIP
    assert header["clustered"] is True
    assert (header["min_zoom"], header["max_zoom"]) == (0, MAXZOOM)
    assert 35 * 10**7 < header["min_lon_e7"] < header["max_lon_e7"] < 43 * 10**7
    metadata = reader.metadata()
    assert "OCHA" in metadata["attribution"]
    (layer,) = metadata["vector_layers"]
    assert layer["id"] == "incidents"
    assert {"count", "killed_total", "weapon"} <= set(layer["fields"])


def test_archive_tiles_equal_the_live_tiles(archive: Path, client: TestClient) -> None:
    tiles = _tiles(archive)
    assert tiles
    reader = Reader(MemorySource(archive.read_bytes()))
    for (z, x, y), stored in tiles.items():
        live = _live(client, "incidents", z, x, y)
        assert live, f"archive has {z}/{x}/{y}, the endpoint says it is empty"
        assert gzip.decompress(stored) == live
        assert stored == compress_tile(live)
        assert reader.get(z, x, y) == stored


def test_archive_covers_every_tile_with_data(archive: Path, client: TestClient) -> None:
    tiles = _tiles(archive)
    for z in range(MAXZOOM + 1):
        # Below z10 a point on a tile edge is owned by one side only (the totals test checks
        # those zooms); from z10 single points are drawn with the buffer, on both sides.
        for lon, lat, _ in SPOTS if z >= CLUSTER_BELOW_ZOOM else ():
            tile = lon_lat_to_tile(lon, lat, z)
            assert (z, tile.x, tile.y) in tiles, (z, lon, lat)
        # A neighbour of a stored tile that the archive left out is empty on the endpoint.
        for tz, tx, ty in [key for key in tiles if key[0] == z][:5]:
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                nx, ny = tx + dx, ty + dy
                if 0 <= nx < 2**z and 0 <= ny < 2**z and (z, nx, ny) not in tiles:
                    assert _live(client, "incidents", tz, nx, ny) == b""


def test_low_zoom_archive_totals(archive: Path) -> None:
    for z in range(0, 10):
        count = killed = 0
        for (tz, _, _), stored in _tiles(archive).items():
            if tz != z:
                continue
            for feature in mapbox_vector_tile.decode(gzip.decompress(stored))["incidents"][
                "features"
            ]:
                count += feature["properties"]["count"]
                killed += feature["properties"]["killed_total"]
        assert (count, killed) == (len(SPOTS), sum(range(len(SPOTS))))


def test_filtered_export_matches_filtered_endpoint(
    database: tuple[Engine, str], client: TestClient, tmp_path: Path
) -> None:
    out = tmp_path / "landmines.pmtiles"
    only = IncidentFilter(weapons=("landmine",))
    export_pmtiles(database[0], out, "incidents", incident_filter=only, maxzoom=11)
    tiles = _tiles(out)
    assert tiles
    for (z, x, y), stored in tiles.items():
        assert gzip.decompress(stored) == _live(client, "incidents", z, x, y, "?weapon=landmine")
        if z >= 10:
            for feature in mapbox_vector_tile.decode(gzip.decompress(stored))["incidents"][
                "features"
            ]:
                assert feature["properties"]["weapon"] == "landmine"
                assert "evidence" not in feature["properties"]


def test_cli_export(database: tuple[Engine, str], tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": database[1]}
    out = tmp_path / "cli.pmtiles"
    result = runner.invoke(
        athar_cli,
        [
            "export",
            "pmtiles",
            str(out),
            "--layer",
            "landmines",
            "--weapon",
            "landmine",
            "--date-from",
            "2021-05-01",
            "--maxzoom",
            "10",
            "--quiet",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    reader = Reader(MemorySource(out.read_bytes()))
    assert reader.header()["max_zoom"] == 10
    assert reader.metadata()["athar"]["filter"]["weapons"] == ["landmine"]
    bad = runner.invoke(athar_cli, ["export", "pmtiles", str(out), "--weapon", "spoon"], env=env)
    assert bad.exit_code != 0
    assert "spoon" in bad.output
    empty = runner.invoke(
        athar_cli,
        [
            "export",
            "pmtiles",
            str(tmp_path / "none.pmtiles"),
            "--date-from",
            "2030-01-01",
            "--quiet",
        ],
        env=env,
    )
    assert empty.exit_code == 1
    assert not (tmp_path / "none.pmtiles").exists()


def test_admin_units_export(
    database: tuple[Engine, str], client: TestClient, tmp_path: Path
) -> None:
    out = tmp_path / "admin.pmtiles"
    export_pmtiles(database[0], out, "admin_units", maxzoom=LAYERS["admin_units"].export_maxzoom)
    tiles = _tiles(out)
    damascus = lon_lat_to_tile(36.3, 33.5, 6)
    assert (6, damascus.x, damascus.y) in tiles
    for (z, x, y), stored in tiles.items():
        assert gzip.decompress(stored) == _live(client, "admin_units", z, x, y)


# --- serving ------------------------------------------------------------------------------


def test_range_requests(archive: Path, client: TestClient) -> None:
    data = archive.read_bytes()
    size = len(data)
    head = client.get("/pmtiles/incidents.pmtiles", headers={"Range": "bytes=0-126"})
    assert head.status_code == 206
    assert head.headers["content-range"] == f"bytes 0-126/{size}"
    assert head.headers["accept-ranges"] == "bytes"
    assert head.content == data[:127]
    tail = client.get("/pmtiles/incidents.pmtiles", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    rest = client.get("/pmtiles/incidents.pmtiles", headers={"Range": f"bytes={size - 5}-"})
    assert rest.status_code == 206 and rest.content == data[-5:]
    clipped = client.get(
        "/pmtiles/incidents.pmtiles", headers={"Range": f"bytes=100-{size + 1000}"}
    )
    assert clipped.status_code == 206 and clipped.content == data[100:]
    whole = client.get("/pmtiles/incidents.pmtiles")
    assert whole.status_code == 200 and whole.content == data
    assert int(whole.headers["content-length"]) == size
    assert client.head("/pmtiles/incidents.pmtiles").headers["content-length"] == str(size)
    assert (
        client.get(
            "/pmtiles/incidents.pmtiles", headers={"If-None-Match": whole.headers["etag"]}
        ).status_code
        == 304
    )


def test_unsatisfiable_range_is_416(archive: Path, client: TestClient) -> None:
    size = archive.stat().st_size
    response = client.get("/pmtiles/incidents.pmtiles", headers={"Range": f"bytes={size}-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "name", ["nope", "..", ".hidden", "a%2F..%2F..%2Fetc", "%2e%2e", "incidents.pmtiles%00"]
)
def test_unknown_or_unsafe_names_are_404(archive: Path, client: TestClient, name: str) -> None:
    response = client.get(f"/pmtiles/{name}.pmtiles")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_reader_over_http_ranges(archive: Path, client: TestClient) -> None:
    """A client that only has HTTP ranges (like pmtiles.js) reads the same tiles."""

    def get_bytes(offset: int, length: int) -> bytes:
        response = client.get(
            "/pmtiles/incidents.pmtiles",
            headers={"Range": f"bytes={offset}-{offset + length - 1}"},
        )
        assert response.status_code == 206
        return response.content

    remote = Reader(get_bytes)
    assert remote.metadata()["vector_layers"][0]["id"] == "incidents"
    local = _tiles(archive)
    for (z, x, y), stored in list(local.items())[:20]:
        assert remote.get(z, x, y) == stored


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=90-200", (90, 99)),
        ("bytes=0-1,5-6", None),
        ("items=0-5", None),
        ("bytes=abc", None),
        ("bytes=9-3", None),
    ],
)
def test_parse_range(header: str | None, expected: Any) -> None:
    assert parse_range(header, 100) == expected
