"""Control through time on real PostGIS: zones by date, joint control, snapshots, overlaps,
observation fallback, incident refresh and disagreement with the report."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal
from typing import Any

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.control import (
    control_disagreements,
    controlling_force_at,
    record_observation,
    refresh_incident_control,
    zones_geojson,
)
from db.models import (
    ControlZone,
    ControlZoneParty,
    Incident,
    IncidentReportedControl,
    ProvenanceSpan,
    SourceDocument,
)
from db.versions import current

D = dt.date
_counter = itertools.count(1)


def add_zone(
    session: Session,
    bounds: tuple[float, float, float, float],
    parties: dict[str, float | None],
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    *,
    observed_on: dt.date | None = None,
    label: str = "test zone",
    derivation: str = "test",
) -> ControlZone:
    zone = ControlZone(
        geom=from_shape(MultiPolygon([box(*bounds)]), srid=4326),
        valid_from=valid_from,
        valid_to=valid_to,
        observed_on=observed_on,
        label=label,
        derivation=derivation,
        source="test source",
    )
    zone.parties = [
        ControlZoneParty(party_code=code, share=None if share is None else Decimal(str(share)))
        for code, share in parties.items()
    ]
    session.add(zone)
    session.flush()
    return zone


def add_document(session: Session, kind: str = "manual") -> SourceDocument:
    n = next(_counter)
    document = SourceDocument(
        source_key=f"test-doc-{n}-{kind}",
        kind=kind,
        title=f"test document {n}",
        checksum=hashlib.sha256(f"doc{n}".encode()).hexdigest(),
    )
    session.add(document)
    session.flush()
    return document


def add_incident(
    session: Session,
    lon: float,
    lat: float,
    day: dt.date,
    *,
    reported: tuple[str, ...] = (),
    document: SourceDocument | None = None,
    **fields: Any,
) -> Incident:
    document = document or add_document(session)
    span = ProvenanceSpan(document_id=document.id, start_offset=0, end_offset=10)
    session.add(span)
    session.flush()
    incident = Incident(
        fingerprint=f"test-{next(_counter)}",
        date_start=day,
        date_precision="day",
        geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326),
        source_document_id=document.id,
        provenance_span_id=span.id,
        **fields,
    )
    incident.reported_control = [IncidentReportedControl(party_code=c) for c in reported]
    session.add(incident)
    session.flush()
    return incident


@pytest.fixture(autouse=True)
def clean_slate(db_session: Session) -> None:
    """Other suites may commit zones or incidents to the shared session database (the
    bundled zones, sample reports); this test's transaction starts without them."""
    for table in ("incidents", "control_observations", "control_zones"):
        db_session.execute(text(f"DELETE FROM {table}"))


SQUARE = (36.0, 35.0, 36.1, 35.1)
INSIDE = (36.05, 35.05)


def test_point_inside_zone_on_a_date_inside_and_outside_its_validity(db_session: Session) -> None:
    zone = add_zone(db_session, SQUARE, {"sdf": None}, D(2020, 1, 1), D(2020, 12, 31))
    inside = controlling_force_at(db_session, *INSIDE, D(2020, 6, 1))
    assert inside is not None
    assert inside.method == "zone"
    assert inside.zone_id == zone.id
    assert [p.code for p in inside.parties] == ["sdf"]
    assert inside.evidence_age_days == (D(2020, 6, 1) - D(2020, 1, 1)).days
    # The period is inclusive at both ends.
    assert controlling_force_at(db_session, *INSIDE, D(2020, 12, 31)) is not None
    assert controlling_force_at(db_session, *INSIDE, D(2021, 1, 1)) is None
    assert controlling_force_at(db_session, *INSIDE, D(2019, 12, 31)) is None
    # Outside the polygon on a valid date.
    assert controlling_force_at(db_session, 36.5, 35.05, D(2020, 6, 1)) is None


def test_joint_control_returns_every_party_with_its_share(db_session: Session) -> None:
    add_zone(
        db_session,
        SQUARE,
        {"syrian_regime": 0.38, "hts": 0.62},
        D(2022, 12, 1),
        observed_on=D(2022, 12, 1),
    )
    answer = controlling_force_at(db_session, *INSIDE, D(2023, 1, 31))
    assert answer is not None
    assert [(p.code, p.share) for p in answer.parties] == [("hts", 0.62), ("syrian_regime", 0.38)]
    assert answer.evidence_age_days == 61


def test_open_ended_zone_holds_for_any_later_date(db_session: Session) -> None:
    add_zone(db_session, SQUARE, {"hts": None}, D(2019, 1, 1), None)
    answer = controlling_force_at(db_session, *INSIDE, D(2030, 1, 1))
    assert answer is not None and answer.valid_to is None
    assert answer.evidence_age_days == (D(2030, 1, 1) - D(2019, 1, 1)).days


def test_date_between_two_snapshots_gets_the_earlier_one(db_session: Session) -> None:
    first = add_zone(db_session, SQUARE, {"isis": None}, D(2015, 1, 1), D(2016, 12, 31))
    second = add_zone(db_session, SQUARE, {"sdf": None}, D(2017, 7, 1), None)
    before = controlling_force_at(db_session, *INSIDE, D(2016, 6, 1))
    gap = controlling_force_at(db_session, *INSIDE, D(2017, 3, 1))
    after = controlling_force_at(db_session, *INSIDE, D(2018, 3, 1))
    assert before is not None and before.zone_id == first.id
    assert gap is None  # nothing mapped between the snapshots, and no observation
    assert after is not None and after.zone_id == second.id


def test_true_overlap_later_start_then_later_source_wins(db_session: Session) -> None:
    add_zone(db_session, SQUARE, {"syrian_regime": None}, D(2018, 1, 1), None)
    later = add_zone(db_session, (36.04, 35.04, 36.06, 35.06), {"sdf": None}, D(2019, 1, 1))
    answer = controlling_force_at(db_session, *INSIDE, D(2019, 5, 1))
    assert answer is not None and answer.zone_id == later.id
    # Same start date: the zone stored last (the later source) wins.
    newest = add_zone(db_session, SQUARE, {"hts": None}, D(2019, 1, 1))
    answer = controlling_force_at(db_session, *INSIDE, D(2019, 5, 1))
    assert answer is not None and answer.zone_id == newest.id


def test_zone_lookup_uses_the_composite_gist_index(db_session: Session) -> None:
    add_zone(db_session, SQUARE, {"sdf": None}, D(2020, 1, 1))
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db_session.execute(
            text(
                "EXPLAIN SELECT id FROM control_zones z WHERE ST_Intersects(z.geom,"
                " ST_SetSRID(ST_MakePoint(36.05, 35.05), 4326))"
                " AND z.valid_during @> DATE '2020-06-01'"
            )
        ).scalars()
    )
    assert "ix_control_zones_geom_valid_during" in plan


def test_observation_fallback_within_radius_and_window(db_session: Session) -> None:
    document = add_document(db_session, "report")
    observation = record_observation(
        db_session,
        lon=37.0,
        lat=36.0,
        observed_on=D(2016, 3, 10),
        statement="the village, controlled by ISIS",
        party_codes=["isis"],
        source_document_id=document.id,
    )
    # ~1.1 km north, 20 days later: used.
    answer = controlling_force_at(db_session, 37.0, 36.01, D(2016, 3, 30))
    assert answer is not None
    assert answer.method == "observation"
    assert answer.observation_id == observation.id
    assert [p.code for p in answer.parties] == ["isis"]
    assert answer.evidence_age_days == 20
    assert answer.distance_m is not None and 1000 < answer.distance_m < 1200
    # ~5.5 km away, or a year later: not evidence.
    assert controlling_force_at(db_session, 37.0, 36.05, D(2016, 3, 30)) is None
    assert controlling_force_at(db_session, 37.0, 36.01, D(2017, 3, 30)) is None
    # A zone, when there is one, wins over the observation.
    add_zone(db_session, (36.9, 35.9, 37.1, 36.1), {"syrian_regime": None}, D(2016, 1, 1))
    zone_answer = controlling_force_at(db_session, 37.0, 36.01, D(2016, 3, 30))
    assert zone_answer is not None and zone_answer.method == "zone"


def test_refresh_stores_zone_and_flags_a_disagreeing_report(db_session: Session) -> None:
    zone = add_zone(db_session, SQUARE, {"sdf": None}, D(2020, 1, 1), observed_on=D(2020, 1, 1))
    agrees = add_incident(db_session, *INSIDE, D(2020, 3, 1), reported=("sdf",))
    disagrees = add_incident(
        db_session, *INSIDE, D(2020, 3, 2), reported=("hts",), place_text="test village"
    )
    silent = add_incident(db_session, *INSIDE, D(2020, 3, 3))
    outside = add_incident(db_session, 38.5, 35.5, D(2020, 3, 3), reported=("hts",))
    version = current(db_session).get("incidents", 0)
    changed = refresh_incident_control(db_session)
    assert changed == 4
    assert current(db_session)["incidents"] == version + 1
    for incident in (agrees, disagrees, silent, outside):
        db_session.refresh(incident)
    assert (agrees.control_zone_id, agrees.control_method) == (zone.id, "zone")
    assert agrees.control_evidence_age_days == 60
    assert agrees.control_disagrees is False
    assert disagrees.control_disagrees is True
    assert silent.control_disagrees is None and silent.control_method == "zone"
    assert outside.control_method == "as_reported"
    assert outside.control_zone_id is None and outside.control_disagrees is None
    # The codes tiles and popups show are stored with the join.
    assert (agrees.control_reported, agrees.control_mapped) == ("sdf", "sdf")
    assert (disagrees.control_reported, disagrees.control_mapped) == ("hts", "sdf")
    assert (silent.control_reported, silent.control_mapped) == (None, "sdf")
    assert (outside.control_reported, outside.control_mapped) == ("hts", None)
    listed = control_disagreements(db_session)
    assert [row.incident_id for row in listed] == [disagrees.id]
    assert listed[0].reported == ("hts",) and listed[0].mapped == ("sdf",)
    # Nothing changed: nothing rewritten.
    assert refresh_incident_control(db_session) == 0
    # Only the given incidents are refreshed.
    db_session.execute(
        text("UPDATE incidents SET control_method = NULL WHERE id = ANY(:ids)"),
        {"ids": [agrees.id, silent.id]},
    )
    assert refresh_incident_control(db_session, [agrees.id]) == 1
    db_session.refresh(silent)
    assert silent.control_method is None


def test_subcategory_counts_as_its_category(db_session: Session) -> None:
    add_zone(db_session, SQUARE, {"armed_opposition_sna": None}, D(2020, 1, 1))
    # turkish_forces is a subcategory of other_parties: a different category from SNA.
    incident = add_incident(db_session, *INSIDE, D(2020, 3, 1), reported=("turkish_forces",))
    refresh_incident_control(db_session, [incident.id])
    db_session.refresh(incident)
    assert incident.control_disagrees is True


def test_refresh_falls_back_to_an_observation(db_session: Session) -> None:
    document = add_document(db_session, "report")
    observation = record_observation(
        db_session,
        lon=37.0,
        lat=36.0,
        observed_on=D(2016, 3, 10),
        statement="held by the regime",
        party_codes=["syrian_regime"],
        source_document_id=document.id,
    )
    incident = add_incident(db_session, 37.001, 36.0, D(2016, 3, 12), reported=("isis",))
    refresh_incident_control(db_session, [incident.id])
    db_session.refresh(incident)
    assert incident.control_method == "observation"
    assert incident.control_observation_id == observation.id
    assert incident.control_evidence_age_days == 2
    assert incident.control_disagrees is True
    # control_mapped names the observation's parties when it is the evidence.
    assert (incident.control_reported, incident.control_mapped) == ("isis", "syrian_regime")


def test_stored_codes_list_joint_control_sorted_and_follow_a_changed_report(
    db_session: Session,
) -> None:
    add_zone(db_session, SQUARE, {"sdf": 0.3, "hts": 0.7}, D(2020, 1, 1))
    incident = add_incident(db_session, *INSIDE, D(2020, 3, 1), reported=("sdf", "isis"))
    refresh_incident_control(db_session, [incident.id])
    db_session.refresh(incident)
    assert (incident.control_reported, incident.control_mapped) == ("isis,sdf", "hts,sdf")
    db_session.execute(
        text(
            "DELETE FROM incident_reported_control WHERE incident_id = :id AND party_code = 'isis'"
        ),
        {"id": incident.id},
    )
    assert refresh_incident_control(db_session, [incident.id]) == 1
    db_session.refresh(incident)
    assert incident.control_reported == "sdf"


def test_zones_geojson_for_a_date_and_bbox(db_session: Session) -> None:
    add_zone(db_session, SQUARE, {"sdf": 0.7, "syrian_regime": 0.3}, D(2020, 1, 1), label="a")
    add_zone(db_session, (38.0, 35.0, 38.1, 35.1), {"isis": None}, D(2020, 1, 1), label="b")
    add_zone(db_session, SQUARE, {"isis": None}, D(2015, 1, 1), D(2015, 12, 31), label="old")
    collection = zones_geojson(db_session, D(2020, 6, 1), (35.9, 34.9, 36.2, 35.2))
    assert [f["properties"]["label"] for f in collection["features"]] == ["a"]
    feature = collection["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert feature["properties"]["parties"] == [
        {"code": "sdf", "share": 0.7},
        {"code": "syrian_regime", "share": 0.3},
    ]
    everything = zones_geojson(db_session, D(2020, 6, 1))
    assert {f["properties"]["label"] for f in everything["features"]} == {"a", "b"}


@pytest.mark.parametrize("day", [D(2020, 2, 29)])
def test_leap_day_is_a_valid_day(db_session: Session, day: dt.date) -> None:
    add_zone(db_session, SQUARE, {"sdf": None}, D(2020, 2, 29), D(2020, 2, 29))
    answer = controlling_force_at(db_session, *INSIDE, day)
    assert answer is not None and answer.evidence_age_days == 0
    assert (db_session.scalar(select(func.count()).select_from(ControlZone)) or 0) >= 1
