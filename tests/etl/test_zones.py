"""Zone import (GeoJSON) and the bundled zones: validation, snapshot closing, idempotence."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.control import controlling_force_at
from db.models import ControlZone, ControlZoneParty
from db.versions import current
from etl.zones import (
    ZoneImportError,
    bundled_zone_files,
    import_zone_document,
    import_zone_file,
    load_bundled_zones,
    parse_features,
)
from etl.zones_build import build_zone_files, hno_party_shares

D = dt.date
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def clean_slate(db_session: Session) -> None:
    """Start without zones (or zone files) other suites may have committed."""
    db_session.execute(text("DELETE FROM control_zones"))
    db_session.execute(text("DELETE FROM source_documents WHERE kind = 'zones'"))


def square(x: float, y: float, size: float = 0.1) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    props.setdefault("parties", "SDF")
    props.setdefault("valid_from", "2020-01-01")
    props.setdefault("source", "test map")
    return {"type": "Feature", "geometry": geometry or square(36.0, 35.0), "properties": props}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def zone_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ControlZone)) or 0)


def do_import(session: Session, document: dict[str, Any], **kwargs: Any) -> Any:
    checksum = f"{abs(hash(json.dumps(document, sort_keys=True))):064x}"[-64:]
    return import_zone_document(session, document, checksum=checksum, title="t.geojson", **kwargs)


def test_parties_as_aliases_list_or_string_with_shares(db_session: Session) -> None:
    before = current(db_session).get("control_zones", 0)
    report = do_import(
        db_session,
        collection(
            feature(parties="Syrian regime; HTS", shares=[0.4, 0.6], label="mixed"),
            feature(square(37, 35), parties=["Qasd"], valid_to="2020-12-31"),
        ),
    )
    assert report.inserted == 2 and not report.issues
    assert current(db_session)["control_zones"] == before + 1  # tile caches must drop
    answer = controlling_force_at(db_session, 36.05, 35.05, D(2020, 2, 1))
    assert answer is not None and answer.label == "mixed"
    assert {(p.code, p.share) for p in answer.parties} == {("syrian_regime", 0.4), ("hts", 0.6)}


def test_snapshot_closes_the_previous_open_zone_of_the_series(db_session: Session) -> None:
    report = do_import(
        db_session,
        collection(
            feature(parties="isis", valid_from="2015-05-01"),
            feature(parties="sdf", valid_from="2017-10-20"),
            # Another area: not closed by either.
            feature(square(38.0, 35.0), parties="regime", valid_from="2016-01-01"),
        ),
    )
    assert report.closed == 1
    first = controlling_force_at(db_session, 36.05, 35.05, D(2017, 10, 19))
    second = controlling_force_at(db_session, 36.05, 35.05, D(2017, 10, 20))
    assert first is not None and [p.code for p in first.parties] == ["isis"]
    assert first.valid_to == D(2017, 10, 19)
    assert second is not None and [p.code for p in second.parties] == ["sdf"]
    other = controlling_force_at(db_session, 38.05, 35.05, D(2020, 1, 1))
    assert other is not None and other.valid_to is None
    # A different series is not closed by this one.
    do_import(db_session, collection(feature(parties="hts", valid_from="2019-01-01")), series="x")
    still = controlling_force_at(db_session, 36.05, 35.05, D(2018, 1, 1))
    assert still is not None and still.valid_to is None


def test_older_snapshot_imported_later_is_closed_too(db_session: Session) -> None:
    do_import(db_session, collection(feature(parties="sdf", valid_from="2019-10-01")))
    report = do_import(db_session, collection(feature(parties="isis", valid_from="2015-05-01")))
    assert report.closed == 1
    old = controlling_force_at(db_session, 36.05, 35.05, D(2019, 9, 30))
    new = controlling_force_at(db_session, 36.05, 35.05, D(2019, 10, 1))
    assert old is not None and [p.code for p in old.parties] == ["isis"]
    assert old.valid_to == D(2019, 9, 30)
    assert new is not None and [p.code for p in new.parties] == ["sdf"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (feature(valid_from="2021-02-30"), "2021-02-30"),
        (feature(valid_from="2021-05-01", valid_to="2021-04-01"), "is after valid_to"),
        (feature(valid_from=None), "valid_from is missing"),
        (feature(parties=""), "no controlling parties"),
        (feature(shares=[0.7, 0.6], parties="sdf; hts"), "more than 1"),
        (feature(geometry={"type": "Point", "coordinates": [36, 35]}), "Polygon"),
        (feature(square(35.0, 40.0)), "the coordinates look swapped (lat, lon)"),
        (feature(square(13.4, 52.5)), "outside Syria: extent x 13.4..13.5"),
    ],
)
def test_bad_feature_refuses_the_whole_file(
    db_session: Session, bad: dict[str, Any], message: str
) -> None:
    before = zone_count(db_session)
    with pytest.raises(ZoneImportError) as caught:
        do_import(db_session, collection(feature(square(37, 35)), bad))
    errors = caught.value.report.errors
    assert [e.index for e in errors] == [1]
    assert message in errors[0].message
    assert zone_count(db_session) == before


def test_a_zone_outside_syria_is_refused_and_swapped_coordinates_are_named(
    db_session: Session,
) -> None:
    # Deir ez-Zor (lon 40.1..40.2, lat 35.3..35.4) written [lat, lon], with one ring
    # self-intersecting: the misplacement is the error, no repair warning is given first.
    swapped = {
        "type": "Polygon",
        "coordinates": [[[35.3, 40.1], [35.4, 40.2], [35.4, 40.1], [35.3, 40.2], [35.3, 40.1]]],
    }
    in_iraq = square(44.3, 33.3)  # Baghdad: valid lon/lat, outside, and not swapped either
    across_the_border = square(42.4, 37.0, 0.5)  # runs into Turkey and Iraq: kept
    document = collection(
        feature(across_the_border), feature(swapped, label="swapped"), feature(in_iraq)
    )
    zones, issues = parse_features(document)
    assert [zone.index for zone in zones] == [0]
    assert [(issue.index, issue.severity) for issue in issues] == [(1, "error"), (2, "error")]
    assert str(issues[0]) == (
        "feature 1: error: /features/1/geometry: outside Syria, the coordinates look swapped "
        "(lat, lon): extent x 35.3..35.4, y 40.1..40.2 does not meet lon 35.5..42.5, "
        "lat 32.2..37.5; GeoJSON positions are [lon, lat]"
    )
    assert str(issues[1]).startswith(
        "feature 2: error: /features/2/geometry: outside Syria: extent x 44.3..44.4, y 33.3..33.4"
    )
    assert "swapped" not in str(issues[1])

    before = zone_count(db_session)
    with pytest.raises(ZoneImportError) as caught:
        do_import(db_session, document)
    assert caught.value.report.skipped == 0 and zone_count(db_session) == before
    report = do_import(db_session, document, skip_bad=True)
    assert (report.inserted, report.skipped) == (1, 2)
    assert zone_count(db_session) == before + 1


def test_skip_bad_keeps_good_features(db_session: Session) -> None:
    report = do_import(
        db_session,
        collection(feature(), feature(valid_from="2021-02-30")),
        skip_bad=True,
    )
    assert report.inserted == 1 and report.skipped == 1


def test_unknown_party_warns_and_skips_the_feature(db_session: Session) -> None:
    report = do_import(
        db_session, collection(feature(parties="Martians; SDF"), feature(square(37, 35)))
    )
    assert report.inserted == 1 and report.skipped == 1
    assert report.warnings[0].index == 0 and "Martians" in report.warnings[0].message


def test_self_intersecting_polygon_is_repaired_and_reported(db_session: Session) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[36, 35], [36.1, 35.1], [36.1, 35], [36, 35.1], [36, 35]]],
    }
    report = do_import(db_session, collection(feature(bowtie)))
    assert report.inserted == 1
    assert "repaired" in report.warnings[0].message
    valid = db_session.scalar(select(func.bool_and(func.ST_IsValid(ControlZone.geom))))
    assert valid is True


def test_parse_without_database() -> None:
    zones, issues = parse_features(collection(feature(observed_on="2019-12-15")))
    assert not issues and zones[0].observed_on == D(2019, 12, 15)
    _, issues = parse_features({"type": "Feature"})
    assert issues[0].index == -1


def test_reimporting_the_same_file_replaces_its_zones(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(collection(feature(), feature(square(37, 35)))), encoding="utf-8")
    first = import_zone_file(db_session, path)
    second = import_zone_file(db_session, path)
    assert (first.inserted, second.inserted, second.replaced) == (2, 2, 2)
    assert zone_count(db_session) == 2
    with pytest.raises(ValueError, match="reserved"):
        import_zone_file(db_session, path, series="bundled:mine")


def test_hno_party_mapping() -> None:
    idleb = {"share_GoS": "0.38", "share_NWS": "0.62", "perc_pop_Idleb_NSAG": "1.0"}
    afrin = {"share_NWS": "0.84", "share_TallRefaat": "0.16", "perc_pop_Afrin_District": "1"}
    lattakia = {"share_GoS": "0.8", "share_NWS": "0.2", "admin1Pcode": "SY06"}
    raata = {"share_NES": "0.4", "share_RAATA": "0.6"}
    assert hno_party_shares(idleb) == {"syrian_regime": 0.38, "hts": 0.62}
    assert hno_party_shares(afrin) == {"armed_opposition_sna": 0.84, "sdf": 0.16}
    assert hno_party_shares(lattakia) == {"syrian_regime": 0.8, "hts": 0.2}
    assert hno_party_shares(raata) == {"sdf": 0.4, "armed_opposition_sna": 0.6}


def test_bundled_files_are_small_and_attributed() -> None:
    files = bundled_zone_files()
    assert {f.name for f in files} == {
        "hno2023_adm3_control.geojson.gz",
        "wikipedia_detailed_map_2017_07.geojson.gz",
    }
    for path in files:
        assert path.stat().st_size < 200_000
        document = json.loads(gzip.decompress(path.read_bytes()))
        assert document["metadata"]["attribution"]
        assert document["metadata"]["licence"]


def test_bundled_load_is_idempotent_and_spares_user_zones(db_session: Session) -> None:
    do_import(db_session, collection(feature(parties="isis", valid_from="2014-01-01")))
    first = load_bundled_zones(db_session)
    bundled = zone_count(db_session) - 1
    assert bundled == sum(first.files.values()) > 30
    again = load_bundled_zones(db_session)
    assert again.unchanged and not again.files
    forced = load_bundled_zones(db_session, force=True)
    assert sum(forced.files.values()) == bundled
    assert zone_count(db_session) == bundled + 1
    user = db_session.scalars(select(ControlZone).where(ControlZone.derivation == "imported")).one()
    assert user.valid_to is None
    # Idlib city end-2022 (HNO): HTS; Raqqa city mid-2017 (Wikipedia Voronoi): SDF.
    idlib = controlling_force_at(db_session, 36.633, 35.93, D(2023, 3, 1))
    assert idlib is not None and [p.code for p in idlib.parties] == ["hts"]
    raqqa = controlling_force_at(db_session, 39.0, 35.95, D(2018, 3, 1))
    assert raqqa is not None and "sdf" in [p.code for p in raqqa.parties]
    assert raqqa.valid_to == D(2022, 11, 30)
    shares = db_session.scalars(
        select(ControlZoneParty.share).where(ControlZoneParty.share.is_not(None))
    ).all()
    assert shares and all(s is not None and 0 <= s <= 1 for s in shares)


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs ../shared/data")
def test_build_reproduces_the_bundled_files(tmp_path: Path) -> None:
    results = build_zone_files(SHARED_DATA, tmp_path)
    for path, features, _ in results:
        bundled = next(f for f in bundled_zone_files() if f.name == path.name)
        assert features > 5
        assert gzip.decompress(path.read_bytes()) == gzip.decompress(bundled.read_bytes())


# --- The CLI commits for real: a database of its own ------------------------------------


@pytest.fixture(scope="module")
def cli_url(make_database: Any) -> str:
    from db.engine import make_engine, make_session_factory, transaction
    from db.migrate import upgrade
    from db.parties import load_party_taxonomy
    from db.reference import sync_parties

    url = str(make_database())
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        sync_parties(session, load_party_taxonomy())
    engine.dispose()
    return url


def _cli_zone_count(url: str) -> int:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(select(func.count()).select_from(ControlZone)).scalar_one()
    engine.dispose()
    return int(value)


def test_cli_import_refuses_a_bad_file_and_writes_nothing(cli_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from athar.cli import main

    env = {"DATABASE_URL": cli_url}
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(collection(feature(), feature(square(37, 35), valid_to="2019-13-01"))),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["zones", "import", str(bad)], env=env)
    assert result.exit_code == 1
    assert "feature 1: error: valid_to '2019-13-01' is not a valid date" in result.output
    assert _cli_zone_count(cli_url) == 0

    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(collection(feature(parties="HTS; SNA"))), encoding="utf-8")
    result = CliRunner().invoke(main, ["zones", "import", str(good)], env=env)
    assert result.exit_code == 0, result.output
    assert "1 zones imported" in result.output
    result = CliRunner().invoke(main, ["zones", "at", "36.05", "35.05", "2020-02-01"], env=env)
    assert result.exit_code == 0, result.output
    assert {p["code"] for p in json.loads(result.output)["parties"]} == {
        "hts",
        "armed_opposition_sna",
    }
    result = CliRunner().invoke(main, ["zones", "at", "40", "35", "2020-02-01"], env=env)
    assert result.exit_code == 1

    for _ in range(2):
        result = CliRunner().invoke(main, ["zones", "load"], env=env)
        assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    bundled = sum(
        len(json.loads(gzip.decompress(p.read_bytes()))["features"]) for p in bundled_zone_files()
    )
    assert _cli_zone_count(cli_url) == bundled + 1
