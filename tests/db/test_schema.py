"""Schema constraints keep data honest; the control-zone lookup is one indexed query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from db.models import (
    AdminUnit,
    ControlZone,
    ControlZoneParty,
    Incident,
    Party,
    PartyAlias,
    ProvenanceSpan,
    SourceDocument,
    Victim,
)
from db.parties import load_party_taxonomy
from db.reference import sync_parties

SQUARE = "SRID=4326;MULTIPOLYGON(((36 35,37 35,37 36,36 36,36 35)))"


@pytest.fixture
def document(db_session: Session) -> Iterator[SourceDocument]:
    doc = SourceDocument(
        source_key="test/report-1",
        kind="report",
        title="A test report",
        checksum="a" * 64,
        period="2021-03",
    )
    db_session.add(doc)
    db_session.flush()
    yield doc


def _incident(document: SourceDocument, db_session: Session, **fields: object) -> Incident:
    span = ProvenanceSpan(document_id=document.id, start_offset=0, end_offset=10)
    db_session.add(span)
    db_session.flush()
    values: dict[str, object] = {
        "fingerprint": f"fp-{len(fields)}-{sorted(fields.items())!r}",
        "date_start": dt.date(2021, 3, 12),
        "date_precision": "day",
        "source_document_id": document.id,
        "provenance_span_id": span.id,
    }
    values.update(fields)
    incident = Incident(**values)
    db_session.add(incident)
    db_session.flush()
    return incident


def test_reference_parties_are_loaded(db_session: Session) -> None:
    codes = set(db_session.scalars(select(Party.code)))
    assert {"syrian_regime", "sdf", "hts", "landmine_unknown", "turkish_forces"} <= codes
    parent = db_session.scalar(select(Party.parent_code).where(Party.code == "landmine_unknown"))
    assert parent == "other_parties"
    qasd = db_session.scalar(select(PartyAlias.party_code).where(PartyAlias.key == "qasd"))
    assert qasd == "sdf"


def test_sync_parties_is_idempotent(db_session: Session) -> None:
    before = db_session.scalar(select(text("count(*)")).select_from(PartyAlias))
    sync_parties(db_session, load_party_taxonomy())
    after = db_session.scalar(select(text("count(*)")).select_from(PartyAlias))
    assert before == after and before and before > 40


def test_valid_incident_is_stored(db_session: Session, document: SourceDocument) -> None:
    incident = _incident(
        document,
        db_session,
        killed_total=3,
        killed_children=2,
        killed_women=1,
        perpetrator_category="other_parties",
        perpetrator_subcategory="landmine_unknown",
        weapon="landmine",
        victim_categories=["medical"],
        geom="SRID=4326;POINT(37.42 35.24)",
    )
    assert incident.id > 0
    assert incident.status == "published"


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"killed_total": 3, "killed_children": 2, "killed_women": 2}, "children_women_within"),
        ({"killed_total": 1, "killed_children": 2}, "each_within_killed"),
        ({"killed_total": -1}, "counts_nonnegative"),
        ({"massacre": True, "killed_total": 2}, "massacre_five_plus"),
        ({"weapon": "slingshot"}, "weapon_known"),
        ({"victim_categories": ["journalists"]}, "victim_categories_known"),
        ({"date_precision": "month", "date_start": dt.date(2021, 3, 12)}, "month_starts_day1"),
        ({"documented_on": dt.date(2021, 3, 1)}, "documented_after_event"),
        ({"perpetrator_category": "no_such_party"}, "fk_incidents_perpetrator_category"),
    ],
)
def test_dishonest_incidents_are_refused(
    db_session: Session, document: SourceDocument, fields: dict[str, object], constraint: str
) -> None:
    with pytest.raises(IntegrityError, match=constraint):
        _incident(document, db_session, **fields)


def test_incident_requires_provenance(db_session: Session) -> None:
    db_session.add(Incident(fingerprint="x", date_start=dt.date(2021, 1, 1), date_precision="day"))
    with pytest.raises(IntegrityError, match="source_document_id"):
        db_session.flush()


@pytest.mark.parametrize(
    ("pcode", "level"), [("SY1", 1), ("SY01", 2), ("XX01", 1), ("SY0101010", 3)]
)
def test_admin_pcode_format(db_session: Session, pcode: str, level: int) -> None:
    db_session.add(AdminUnit(pcode=pcode, level=level, name_en="x", geom=SQUARE, source="test"))
    with pytest.raises(IntegrityError, match="ck_admin_units"):
        db_session.flush()


def test_zone_dates_must_be_ordered(db_session: Session) -> None:
    db_session.add(
        ControlZone(
            valid_from=dt.date(2021, 5, 1),
            valid_to=dt.date(2021, 4, 1),
            geom=SQUARE,
            derivation="test",
            source="test",
        )
    )
    # The generated daterange column rejects the row before the CHECK is reached.
    with pytest.raises((IntegrityError, DataError), match=r"valid_order|range lower bound"):
        db_session.flush()


def test_control_lookup_is_one_indexed_query(db_session: Session, connection: Connection) -> None:
    zone = ControlZone(
        valid_from=dt.date(2020, 1, 1), valid_to=None, geom=SQUARE, derivation="test", source="t"
    )
    zone.parties = [
        ControlZoneParty(party_code="hts"),
        ControlZoneParty(party_code="armed_opposition_sna"),
    ]
    db_session.add(zone)
    db_session.flush()
    query = text(
        "SELECT z.id FROM control_zones z"
        " WHERE ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"
        " AND z.valid_during @> CAST(:day AS date)"
    )
    params = {"lon": 36.5, "lat": 35.5, "day": "2022-06-01"}
    assert connection.execute(query, params).scalars().all() == [zone.id]
    outside = {"lon": 36.5, "lat": 35.5, "day": "2019-12-31"}
    assert connection.execute(query, outside).scalars().all() == []
    # With a handful of rows the planner rightly prefers a scan; forbid it to prove the
    # composite GiST index serves both conditions.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(connection.execute(text("EXPLAIN " + query.text), params).scalars())
    assert "ix_control_zones_geom_valid_during" in plan
    assert "valid_during @>" in plan.split("Index Cond")[1]


def test_personal_data_lives_in_restricted_schema(connection: Connection) -> None:
    assert Victim.__table__.schema == "restricted"
    public_columns = connection.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name IN ('name', 'contact')"
        )
    ).all()
    # In public, "name" may only label keys, hazard areas and places, never a person.
    assert {table for table, _ in public_columns} <= {"api_keys", "hazard_areas", "place_names"}


def test_public_geom_hides_sensitive_locations(
    db_session: Session, document: SourceDocument
) -> None:
    for pcode, level, parent in (
        ("SY99", 1, None),
        ("SY9901", 2, "SY99"),
        ("SY990101", 3, "SY9901"),
    ):
        db_session.add(
            AdminUnit(
                pcode=pcode,
                level=level,
                name_en=pcode,
                geom=SQUARE,
                source="test",
                parent_pcode=parent,
            )
        )
    db_session.flush()
    point = "SRID=4326;POINT(36.9 35.1)"
    open_incident = _incident(document, db_session, geom=point, admin3_pcode="SY990101")
    hidden = _incident(
        document, db_session, geom=point, admin3_pcode="SY990101", sensitive=True, injured=1
    )
    unplaced = _incident(document, db_session, geom=point, sensitive=True, injured=2)
    rows = {
        row.id: row
        for row in db_session.execute(
            select(
                Incident.id,
                func.ST_AsText(Incident.public_geom).label("shown"),
                func.ST_AsText(
                    select(func.ST_PointOnSurface(AdminUnit.geom))
                    .where(AdminUnit.pcode == "SY990101")
                    .scalar_subquery()
                ).label("sub_district"),
            ).where(Incident.id.in_([open_incident.id, hidden.id, unplaced.id]))
        )
    }
    assert rows[open_incident.id].shown == "POINT(36.9 35.1)"
    assert rows[hidden.id].shown == rows[hidden.id].sub_district != "POINT(36.9 35.1)"
    assert rows[unplaced.id].shown is None
